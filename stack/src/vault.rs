//! The vault stack: everything `../shared/seed/vault-api-into-fargate.md` builds,
//! with its names and values, made least-privilege where the seed is careless.
//!
//! What changed against the seed, and why:
//! - Two roles instead of one swapped pair: the *execution* role (used by ECS to
//!   start the task) may only pull from this repository and write to this log
//!   group; the *task* role (used by the service's code) may only use this table
//!   and this bucket. The seed's `ecr:*`, `elasticloadbalancing:*`, `logs:*` and
//!   `cloudwatch:*` grants go: Fargate does not need them.
//! - Both roles trust only `ecs-tasks.amazonaws.com` (not `ecs.amazonaws.com`),
//!   and only on behalf of this account (`aws:SourceAccount`).
//! - No repository policy: same-account pulls are authorised by the execution
//!   role's IAM policy, so the seed's `Principal: "*"` policy (which let anyone
//!   push, delete images and rewrite the policy) is simply not needed.
//! - The repository scans on push and its tags are immutable.
//! - The log group is created by the stack with finite retention instead of by
//!   the awslogs driver (`awslogs-create-group`), which keeps logs forever.
//! - The service deploys after the listener rule exists, with a circuit breaker
//!   that rolls back a failing deploy, and never below desired capacity.
//! - The task security group admits only the load balancer's security group on
//!   port 80 and sends only HTTPS out.

use constructs::dynamodb::{DynamoTable, Key};
use constructs::ecs::{
    AwsLogs, ContainerDefinition, EcsCluster, FargateService, FargateSize, FargateTaskDefinition, LoadBalancerTarget,
};
use constructs::iam::Condition;
use constructs::prelude::*;

/// The table's partition key. The service states its expectations in
/// `vault_api::table`; depending on that crate here would pull the AWS SDK into
/// the synth path, so `tests/table_schema.rs` proves the two equal instead.
pub const TABLE_PARTITION_KEY: &str = "id";
pub const TABLE_NAME: &str = "vault-api-items";
pub const CONTAINER_NAME: &str = "vault-api";
pub const CONTAINER_PORT: u16 = 80;

pub fn app() -> App {
    let mut app = App::new();
    vault_stack(app.stack("Vault"));
    app
}

/// Builds the vault stack into `stack`.
pub fn vault_stack(stack: &mut Stack) {
    stack.set_description("vault-api on ECS Fargate behind the private load balancer's /vault* rule");
    stack.add_tag("service", "vault-api");

    // What the stack only looks up, as the seed does.
    let vpc = stack.add("Vpc", VpcLookup::by_name_tag("vpc-name-goes-here"));
    let subnets = stack.add(
        "PrivateSubnets",
        SubnetsLookup::by_tags(vpc.id(), &[("Tier", "private")]),
    );
    let lb = stack.add("PrivateLb", LoadBalancerLookup::by_name("lb-private"));
    let listener = stack.add("PrivateListener", ListenerLookup::by_port(lb.arn(), 443));
    let lb_sg = stack.add(
        "PrivateLbSecurityGroup",
        SecurityGroupLookup::by_name("private-lb-security-group", vpc.id()),
    );
    let version = stack.add(
        "ApplicationVersion",
        Parameter::string("Image tag of vault-api to deploy").default_value("v0.1.0"),
    );

    // Image repository: keep the last 5 `v`-tagged images, as the seed does.
    let repo = stack.add(
        "Repository",
        EcrRepo::new("vault-api").lifecycle_rule(
            LifecycleRule::keep_last(1, TagSelection::tagged(["v"]), 5).description("Keep last 5 images"),
        ),
    );

    // Storage the service uses.
    let table = stack.add("Items", DynamoTable::new(TABLE_NAME, Key::string(TABLE_PARTITION_KEY)));
    let bucket = stack.add("Objects", Bucket::new());
    let logs = stack.add("Logs", LogGroup::new("ecs/fargate/ditto-vault"));

    // Routing: target group and listener rule.
    let target_group = stack.add(
        "TargetGroup",
        IpTargetGroup::new(CONTAINER_PORT, vpc.id())
            .name("vault-api")
            .health_check(
                HealthCheck::at("/vault")
                    .port(CONTAINER_PORT)
                    .healthy_threshold(5)
                    .unhealthy_threshold(2)
                    .timeout_secs(5)
                    .interval_secs(30)
                    .matcher("200"),
            ),
    );
    let rule = stack.add(
        "ListenerRule",
        LoadBalancerRule::forward(listener.arn(), 1, target_group.arn()).path_patterns(["/vault*"]),
    );

    let tasks_sg = stack.add(
        "TaskSecurityGroup",
        SecurityGroup::new("allow inbound access from the ALB only", vpc.id())
            .name("vault-ecs-tasks")
            .ingress(Rule::tcp_from_security_group(lb_sg.id(), CONTAINER_PORT)),
    );

    // Roles: ECS's execution role and the application's task role.
    let mut execution = IamRole::for_service("ecs-tasks.amazonaws.com")
        .trust_condition(Condition::source_account_is_this_account())
        .description("Lets ECS pull the vault-api image and write its logs");
    execution
        .add_to_policy("pull-image", repo.pull_statement())
        .add_to_policy("pull-image", Statement::ecr_auth_token())
        .add_to_policy(
            "write-logs",
            Statement::allow()
                .actions(["logs:CreateLogStream", "logs:PutLogEvents"])
                .resource(logs.streams_arn()),
        );
    let execution = stack.add("ExecutionRole", execution);

    let mut task_role = IamRole::for_service("ecs-tasks.amazonaws.com")
        .trust_condition(Condition::source_account_is_this_account())
        .description("What the vault-api code may do: its table and its bucket, nothing else");
    task_role
        .add_to_policy(
            "items-table",
            Statement::allow()
                .actions([
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:Scan",
                    "dynamodb:DescribeTable",
                ])
                .resource(table.arn()),
        )
        .add_to_policy(
            "objects-bucket",
            Statement::allow()
                .actions(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"])
                .resource(bucket.objects_arn()),
        )
        .add_to_policy(
            "objects-bucket",
            Statement::allow().action("s3:ListBucket").resource(bucket.arn()),
        );
    let task_role = stack.add("TaskRole", task_role);

    // Compute.
    let cluster = stack.add("Cluster", EcsCluster::new().name("fargate-cluster"));
    let container = ContainerDefinition::new(CONTAINER_NAME, repo.image_uri(version.value()).into_text())
        .port(CONTAINER_PORT)
        .env("ApplicationVersion", version.value())
        .env("PORT", CONTAINER_PORT.to_string())
        .env("VAULT_TABLE", table.name().text())
        .env("VAULT_BUCKET", bucket.name().text())
        .logging(AwsLogs::new(logs.name(), "vault"));
    let task = stack.add(
        "TaskDefinition",
        FargateTaskDefinition::new("vault-api", FargateSize::CPU_256_MEM_512)
            .execution_role(execution.arn())
            .task_role(task_role.arn())
            .container(container),
    );
    let service = stack.add(
        "Service",
        FargateService::new(cluster.arn(), task.arn(), subnets.ids())
            .name("vault-api")
            .desired_count(2)
            .security_group(tasks_sg.id())
            .health_check_grace_period_secs(30)
            .load_balancer(LoadBalancerTarget::new(
                CONTAINER_NAME,
                CONTAINER_PORT,
                target_group.arn(),
            )),
    );
    // ECS rejects a service whose target group is not yet attached to a listener.
    stack.add_dependency(&service, &rule);

    stack.output("ServiceName", service.name(), "Name of the ECS service");
    stack.output("ClusterName", cluster.name(), "Name of the ECS cluster");
    stack.output(
        "TargetGroupArn",
        target_group.arn(),
        "ARN of the service's target group",
    );
    stack.output("RepositoryUri", repo.uri(), "Where to push vault-api images");
    stack.output("TableName", table.name(), "DynamoDB table holding the vault's items");
    stack.output("BucketName", bucket.name(), "S3 bucket holding the vault's objects");
}
