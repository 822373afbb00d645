"""The scale benchmark's estate written with troposphere (CloudFormation only),
for a side-by-side measurement against `examples --bin scale`.

Each service has the same 12 CloudFormation resources as examples/src/scale.rs
(log group, ECR repository, table, bucket, bucket policy, target group,
listener rule, security group, two roles, task definition, service), 41
services and one cluster per template, every template written to OUT_DIR.

    pip install troposphere==4.11.1
    SCALE_RESOURCES=20000 python3 troposphere_scale.py /tmp/tropo-out
"""

import os
import sys

from troposphere import GetAtt, Join, Parameter, Ref, Sub, Tags, Template
from troposphere import dynamodb, ec2, ecr, ecs, elasticloadbalancingv2 as elb, iam, logs, s3

RESOURCES_PER_SERVICE = 12
SERVICES_PER_STACK = 41


def trust():
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": ["ecs-tasks.amazonaws.com"]}, "Action": ["sts:AssumeRole"]}
        ],
    }


def service(t, i, p):
    name = f"Svc{i}"
    log = t.add_resource(logs.LogGroup(f"{name}Logs", LogGroupName=f"/bench/svc-{i}", RetentionInDays=365))
    repo = t.add_resource(
        ecr.Repository(
            f"{name}Repo",
            RepositoryName=f"bench/svc-{i}",
            ImageScanningConfiguration=ecr.ImageScanningConfiguration(ScanOnPush=True),
            ImageTagMutability="IMMUTABLE",
            EncryptionConfiguration=ecr.EncryptionConfiguration(EncryptionType="AES256"),
        )
    )
    table = t.add_resource(
        dynamodb.Table(
            f"{name}Table",
            TableName=f"bench-svc-{i}",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[dynamodb.AttributeDefinition(AttributeName="id", AttributeType="S")],
            KeySchema=[dynamodb.KeySchema(AttributeName="id", KeyType="HASH")],
            PointInTimeRecoverySpecification=dynamodb.PointInTimeRecoverySpecification(
                PointInTimeRecoveryEnabled=True
            ),
            SSESpecification=dynamodb.SSESpecification(SSEEnabled=True),
            DeletionProtectionEnabled=True,
            DeletionPolicy="Retain",
            UpdateReplacePolicy="Retain",
        )
    )
    bucket = t.add_resource(
        s3.Bucket(
            f"{name}Bucket",
            PublicAccessBlockConfiguration=s3.PublicAccessBlockConfiguration(
                BlockPublicAcls=True, BlockPublicPolicy=True, IgnorePublicAcls=True, RestrictPublicBuckets=True
            ),
            BucketEncryption=s3.BucketEncryption(
                ServerSideEncryptionConfiguration=[
                    s3.ServerSideEncryptionRule(
                        ServerSideEncryptionByDefault=s3.ServerSideEncryptionByDefault(SSEAlgorithm="AES256")
                    )
                ]
            ),
            VersioningConfiguration=s3.VersioningConfiguration(Status="Enabled"),
            OwnershipControls=s3.OwnershipControls(Rules=[s3.OwnershipControlsRule(ObjectOwnership="BucketOwnerEnforced")]),
            LifecycleConfiguration=s3.LifecycleConfiguration(
                Rules=[
                    s3.LifecycleRule(
                        Id="noncurrent-versions",
                        Status="Enabled",
                        NoncurrentVersionExpiration=s3.NoncurrentVersionExpiration(NoncurrentDays=90),
                        AbortIncompleteMultipartUpload=s3.AbortIncompleteMultipartUpload(DaysAfterInitiation=7),
                    )
                ]
            ),
            DeletionPolicy="Retain",
            UpdateReplacePolicy="Retain",
        )
    )
    t.add_resource(
        s3.BucketPolicy(
            f"{name}BucketPolicy",
            Bucket=Ref(bucket),
            PolicyDocument={
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": ["s3:*"],
                        "Resource": [GetAtt(bucket, "Arn"), Join("", [GetAtt(bucket, "Arn"), "/*"])],
                        "Condition": {"Bool": {"aws:SecureTransport": ["false"]}},
                    }
                ],
            },
        )
    )
    tg = t.add_resource(
        elb.TargetGroup(
            f"{name}TargetGroup",
            TargetType="ip",
            Protocol="HTTP",
            Port=8080,
            VpcId=Ref(p["vpc"]),
            HealthCheckEnabled=True,
            HealthCheckPath="/health",
            HealthCheckPort="traffic-port",
            HealthCheckProtocol="HTTP",
            HealthyThresholdCount=5,
            UnhealthyThresholdCount=2,
            HealthCheckTimeoutSeconds=5,
            HealthCheckIntervalSeconds=30,
            Matcher=elb.Matcher(HttpCode="200"),
            TargetGroupAttributes=[elb.TargetGroupAttribute(Key="deregistration_delay.timeout_seconds", Value="30")],
        )
    )
    rule = t.add_resource(
        elb.ListenerRule(
            f"{name}Rule",
            ListenerArn=Ref(p["listener"]),
            Priority=(i % 50_000) + 1,
            Conditions=[elb.Condition(Field="path-pattern", PathPatternConfig=elb.PathPatternConfig(Values=[f"/svc-{i}/*"]))],
            Actions=[elb.ListenerRuleAction(Type="forward", TargetGroupArn=Ref(tg))],
        )
    )
    sg = t.add_resource(
        ec2.SecurityGroup(
            f"{name}SecurityGroup",
            GroupDescription="service tasks",
            VpcId=Ref(p["vpc"]),
            SecurityGroupIngress=[
                ec2.SecurityGroupRule(
                    IpProtocol="tcp", FromPort=8080, ToPort=8080, SourceSecurityGroupId=Ref(p["lb_sg"]),
                    Description="from the load balancer",
                )
            ],
            SecurityGroupEgress=[
                ec2.SecurityGroupRule(IpProtocol="tcp", FromPort=443, ToPort=443, CidrIp="0.0.0.0/0", Description="HTTPS out")
            ],
        )
    )
    exec_role = t.add_resource(
        iam.Role(
            f"{name}ExecutionRole",
            AssumeRolePolicyDocument=trust(),
            MaxSessionDuration=3600,
            Policies=[
                iam.Policy(
                    PolicyName="pull",
                    PolicyDocument={
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
                                "Resource": [GetAtt(repo, "Arn")],
                            },
                            {"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": ["*"]},
                        ],
                    },
                ),
                iam.Policy(
                    PolicyName="logs",
                    PolicyDocument={
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                                "Resource": [Sub(f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:${{{name}Logs}}:*")],
                            }
                        ],
                    },
                ),
            ],
        )
    )
    task_role = t.add_resource(
        iam.Role(
            f"{name}TaskRole",
            AssumeRolePolicyDocument=trust(),
            MaxSessionDuration=3600,
            Policies=[
                iam.Policy(
                    PolicyName="data",
                    PolicyDocument={
                        "Version": "2012-10-17",
                        "Statement": [
                            {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"], "Resource": [GetAtt(table, "Arn")]},
                            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": [Join("", [GetAtt(bucket, "Arn"), "/*"])]},
                        ],
                    },
                )
            ],
        )
    )
    task = t.add_resource(
        ecs.TaskDefinition(
            f"{name}Task",
            Family=f"bench-svc-{i}",
            Cpu="256",
            Memory="512",
            NetworkMode="awsvpc",
            RequiresCompatibilities=["FARGATE"],
            ExecutionRoleArn=GetAtt(exec_role, "Arn"),
            TaskRoleArn=GetAtt(task_role, "Arn"),
            ContainerDefinitions=[
                ecs.ContainerDefinition(
                    Name="app",
                    Image=Sub(f"${{{name}Repo.RepositoryUri}}:v1"),
                    Essential=True,
                    ReadonlyRootFilesystem=True,
                    PortMappings=[ecs.PortMapping(ContainerPort=8080, Protocol="tcp")],
                    Environment=[
                        ecs.Environment(Name="TABLE", Value=Ref(table)),
                        ecs.Environment(Name="BUCKET", Value=Ref(bucket)),
                    ],
                    LogConfiguration=ecs.LogConfiguration(
                        LogDriver="awslogs",
                        Options={"awslogs-group": Ref(log), "awslogs-region": Ref("AWS::Region"), "awslogs-stream-prefix": "app"},
                    ),
                )
            ],
        )
    )
    t.add_resource(
        ecs.Service(
            f"{name}Service",
            Cluster=GetAtt(p["cluster"], "Arn"),
            TaskDefinition=Ref(task),
            LaunchType="FARGATE",
            DesiredCount=2,
            NetworkConfiguration=ecs.NetworkConfiguration(
                AwsvpcConfiguration=ecs.AwsvpcConfiguration(
                    Subnets=Ref(p["subnets"]), SecurityGroups=[GetAtt(sg, "GroupId")], AssignPublicIp="DISABLED"
                )
            ),
            LoadBalancers=[ecs.LoadBalancer(ContainerName="app", ContainerPort=8080, TargetGroupArn=Ref(tg))],
            DeploymentConfiguration=ecs.DeploymentConfiguration(
                MinimumHealthyPercent=100,
                MaximumPercent=200,
                DeploymentCircuitBreaker=ecs.DeploymentCircuitBreaker(Enable=True, Rollback=True),
            ),
            PropagateTags="SERVICE",
            DependsOn=[rule.title],
        )
    )


def main():
    out = sys.argv[1]
    resources = int(os.environ.get("SCALE_RESOURCES", "20000"))
    services = -(-resources // RESOURCES_PER_SERVICE)
    os.makedirs(out, exist_ok=True)
    for n, first in enumerate(range(0, services, SERVICES_PER_STACK)):
        t = Template(Description=f"Bench{n}")
        p = {
            "vpc": t.add_parameter(Parameter("Vpc", Type="AWS::EC2::VPC::Id", Default="vpc-0123456789abcdef0")),
            "subnets": t.add_parameter(
                Parameter("Subnets", Type="List<AWS::EC2::Subnet::Id>", Default="subnet-0123456789abcdef0,subnet-0123456789abcdef1")
            ),
            "listener": t.add_parameter(Parameter("Listener", Type="String")),
            "lb_sg": t.add_parameter(Parameter("LbSecurityGroup", Type="AWS::EC2::SecurityGroup::Id", Default="sg-0123456789abcdef0")),
        }
        p["cluster"] = t.add_resource(
            ecs.Cluster("Cluster", ClusterSettings=[ecs.ClusterSetting(Name="containerInsights", Value="enabled")])
        )
        for i in range(first, min(first + SERVICES_PER_STACK, services)):
            service(t, i, p)
        with open(os.path.join(out, f"Bench{n}.template.json"), "w") as f:
            f.write(t.to_json(indent=2))
            f.write("\n")


if __name__ == "__main__":
    main()
