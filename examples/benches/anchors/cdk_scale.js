// The scale benchmark's estate written with AWS CDK (CloudFormation only), for a
// side-by-side measurement against `examples --bin scale`: the same 12
// resources per service (as L1 constructs, the cheapest CDK has), 41 services
// and one cluster per stack. `app.synth()` is what `cdk synth` runs.
//
//   npm install aws-cdk-lib@2.276.0 constructs@10   (in a scratch folder)
//   NODE_PATH=<that folder>/node_modules SCALE_RESOURCES=1000 node cdk_scale.js /tmp/cdk-out
const cdk = require("aws-cdk-lib");
const { aws_logs: logs, aws_ecr: ecr, aws_dynamodb: ddb, aws_s3: s3, aws_elasticloadbalancingv2: elb,
  aws_ec2: ec2, aws_iam: iam, aws_ecs: ecs } = cdk;

const RESOURCES_PER_SERVICE = 12;
const SERVICES_PER_STACK = 41;
const trust = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: ["ecs-tasks.amazonaws.com"] }, Action: ["sts:AssumeRole"] }],
};

function service(stack, i, p) {
  const n = `Svc${i}`;
  const log = new logs.CfnLogGroup(stack, `${n}Logs`, { logGroupName: `/bench/svc-${i}`, retentionInDays: 365 });
  const repo = new ecr.CfnRepository(stack, `${n}Repo`, {
    repositoryName: `bench/svc-${i}`, imageScanningConfiguration: { scanOnPush: true },
    imageTagMutability: "IMMUTABLE", encryptionConfiguration: { encryptionType: "AES256" },
  });
  const table = new ddb.CfnTable(stack, `${n}Table`, {
    tableName: `bench-svc-${i}`, billingMode: "PAY_PER_REQUEST",
    attributeDefinitions: [{ attributeName: "id", attributeType: "S" }],
    keySchema: [{ attributeName: "id", keyType: "HASH" }],
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    sseSpecification: { sseEnabled: true }, deletionProtectionEnabled: true,
  });
  table.cfnOptions.deletionPolicy = cdk.CfnDeletionPolicy.RETAIN;
  table.cfnOptions.updateReplacePolicy = cdk.CfnDeletionPolicy.RETAIN;
  const bucket = new s3.CfnBucket(stack, `${n}Bucket`, {
    publicAccessBlockConfiguration: { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
    bucketEncryption: { serverSideEncryptionConfiguration: [{ serverSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
    versioningConfiguration: { status: "Enabled" },
    ownershipControls: { rules: [{ objectOwnership: "BucketOwnerEnforced" }] },
    lifecycleConfiguration: { rules: [{ id: "noncurrent-versions", status: "Enabled",
      noncurrentVersionExpiration: { noncurrentDays: 90 }, abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } }] },
  });
  bucket.cfnOptions.deletionPolicy = cdk.CfnDeletionPolicy.RETAIN;
  bucket.cfnOptions.updateReplacePolicy = cdk.CfnDeletionPolicy.RETAIN;
  new s3.CfnBucketPolicy(stack, `${n}BucketPolicy`, {
    bucket: bucket.ref,
    policyDocument: { Version: "2012-10-17", Statement: [{ Effect: "Deny", Principal: "*", Action: ["s3:*"],
      Resource: [bucket.attrArn, cdk.Fn.join("", [bucket.attrArn, "/*"])],
      Condition: { Bool: { "aws:SecureTransport": ["false"] } } }] },
  });
  const tg = new elb.CfnTargetGroup(stack, `${n}TargetGroup`, {
    targetType: "ip", protocol: "HTTP", port: 8080, vpcId: p.vpc.valueAsString, healthCheckEnabled: true,
    healthCheckPath: "/health", healthCheckPort: "traffic-port", healthCheckProtocol: "HTTP",
    healthyThresholdCount: 5, unhealthyThresholdCount: 2, healthCheckTimeoutSeconds: 5, healthCheckIntervalSeconds: 30,
    matcher: { httpCode: "200" }, targetGroupAttributes: [{ key: "deregistration_delay.timeout_seconds", value: "30" }],
  });
  const rule = new elb.CfnListenerRule(stack, `${n}Rule`, {
    listenerArn: p.listener.valueAsString, priority: (i % 50000) + 1,
    conditions: [{ field: "path-pattern", pathPatternConfig: { values: [`/svc-${i}/*`] } }],
    actions: [{ type: "forward", targetGroupArn: tg.ref }],
  });
  const sg = new ec2.CfnSecurityGroup(stack, `${n}SecurityGroup`, {
    groupDescription: "service tasks", vpcId: p.vpc.valueAsString,
    securityGroupIngress: [{ ipProtocol: "tcp", fromPort: 8080, toPort: 8080, sourceSecurityGroupId: p.lbSg.valueAsString, description: "from the load balancer" }],
    securityGroupEgress: [{ ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIp: "0.0.0.0/0", description: "HTTPS out" }],
  });
  const exec = new iam.CfnRole(stack, `${n}ExecutionRole`, {
    assumeRolePolicyDocument: trust, maxSessionDuration: 3600,
    policies: [
      { policyName: "pull", policyDocument: { Version: "2012-10-17", Statement: [
        { Effect: "Allow", Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"], Resource: [repo.attrArn] },
        { Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: ["*"] }] } },
      { policyName: "logs", policyDocument: { Version: "2012-10-17", Statement: [
        { Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: [cdk.Fn.sub(`arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:\${${stack.getLogicalId(log)}}:*`)] }] } },
    ],
  });
  const taskRole = new iam.CfnRole(stack, `${n}TaskRole`, {
    assumeRolePolicyDocument: trust, maxSessionDuration: 3600,
    policies: [{ policyName: "data", policyDocument: { Version: "2012-10-17", Statement: [
      { Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:PutItem"], Resource: [table.attrArn] },
      { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: [cdk.Fn.join("", [bucket.attrArn, "/*"])] }] } }],
  });
  const task = new ecs.CfnTaskDefinition(stack, `${n}Task`, {
    family: `bench-svc-${i}`, cpu: "256", memory: "512", networkMode: "awsvpc", requiresCompatibilities: ["FARGATE"],
    executionRoleArn: exec.attrArn, taskRoleArn: taskRole.attrArn,
    containerDefinitions: [{ name: "app", image: cdk.Fn.join(":", [repo.attrRepositoryUri, "v1"]), essential: true,
      readonlyRootFilesystem: true, portMappings: [{ containerPort: 8080, protocol: "tcp" }],
      environment: [{ name: "TABLE", value: table.ref }, { name: "BUCKET", value: bucket.ref }],
      logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": log.ref, "awslogs-region": cdk.Aws.REGION, "awslogs-stream-prefix": "app" } } }],
  });
  const svc = new ecs.CfnService(stack, `${n}Service`, {
    cluster: p.cluster.attrArn, taskDefinition: task.ref, launchType: "FARGATE", desiredCount: 2,
    networkConfiguration: { awsvpcConfiguration: { subnets: p.subnets.valueAsList, securityGroups: [sg.attrGroupId], assignPublicIp: "DISABLED" } },
    loadBalancers: [{ containerName: "app", containerPort: 8080, targetGroupArn: tg.ref }],
    deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200, deploymentCircuitBreaker: { enable: true, rollback: true } },
    propagateTags: "SERVICE",
  });
  svc.addResourceDependency(rule);
}

const out = process.argv[2];
const resources = parseInt(process.env.SCALE_RESOURCES || "1000", 10);
const services = Math.ceil(resources / RESOURCES_PER_SERVICE);
const app = new cdk.App({ outdir: out });
for (let n = 0, first = 0; first < services; n++, first += SERVICES_PER_STACK) {
  const stack = new cdk.Stack(app, `Bench${n}`, { synthesizer: new cdk.LegacyStackSynthesizer() });
  const p = {
    vpc: new cdk.CfnParameter(stack, "Vpc", { type: "AWS::EC2::VPC::Id", default: "vpc-0123456789abcdef0" }),
    subnets: new cdk.CfnParameter(stack, "Subnets", { type: "List<AWS::EC2::Subnet::Id>", default: "subnet-0123456789abcdef0,subnet-0123456789abcdef1" }),
    listener: new cdk.CfnParameter(stack, "Listener", { type: "String" }),
    lbSg: new cdk.CfnParameter(stack, "LbSecurityGroup", { type: "AWS::EC2::SecurityGroup::Id", default: "sg-0123456789abcdef0" }),
  };
  p.cluster = new ecs.CfnCluster(stack, "Cluster", { clusterSettings: [{ name: "containerInsights", value: "enabled" }] });
  for (let i = first; i < Math.min(first + SERVICES_PER_STACK, services); i++) service(stack, i, p);
}
app.synth();
