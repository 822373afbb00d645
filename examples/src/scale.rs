//! A generated estate for measuring synthesis at scale: services of 12
//! CloudFormation resources each (a log group, an ECR repository, a table, a
//! bucket and its TLS-only policy, a target group, a listener rule, a security
//! group, two roles, a task definition and a service), 41 per stack to stay
//! under CloudFormation's 500-resource limit.
//!
//! `SCALE_RESOURCES=20000 cargo run --release -p examples --bin scale -- synth --out /tmp/scale`
//! synthesizes about 20,000 CloudFormation resources (36,900 Terraform ones)
//! through the same runner as every other app; `cargo bench -p examples --bench synth`
//! measures sizes from 100 to 100,000 in-process.

use constructs::dynamodb::{DynamoTable, Key};
use constructs::ecs::{
    AwsLogs, ContainerDefinition, EcsCluster, FargateService, FargateSize, FargateTaskDefinition, LoadBalancerTarget,
};
use constructs::prelude::*;
use constructs::{kind, Value};

/// The app for about `resources` CloudFormation resources.
pub fn app_of(resources: usize) -> App {
    build(resources.div_ceil(RESOURCES_PER_SERVICE))
}

/// CloudFormation resources one generated service adds.
pub const RESOURCES_PER_SERVICE: usize = 12;
/// Services per stack: 41 × 12 + the cluster = 493, under the 500 limit.
pub const SERVICES_PER_STACK: usize = 41;

/// One load-balanced service with its storage, roles and logs: 12 CloudFormation
/// resources (the bucket's TLS-only policy is one of them) and 21 Terraform resources.
fn service(stack: &mut Stack, i: usize, shared: &Shared) {
    let mut s = stack.scope(&format!("Svc{i}"));
    let logs = s.add("Logs", LogGroup::new(&format!("/bench/svc-{i}")));
    let repo = s.add("Repo", EcrRepo::new(&format!("bench/svc-{i}")));
    let table = s.add("Table", DynamoTable::new(&format!("bench-svc-{i}"), Key::string("id")));
    let bucket = s.add("Bucket", Bucket::new());
    let tg = s.add(
        "TargetGroup",
        IpTargetGroup::new(8080, shared.vpc.clone()).health_check(HealthCheck::at("/health")),
    );
    let rule = s.add(
        "Rule",
        LoadBalancerRule::forward(shared.listener.clone(), (i % 50_000) as u32 + 1, tg.arn())
            .path_patterns([format!("/svc-{i}/*")]),
    );
    let sg = s.add(
        "SecurityGroup",
        SecurityGroup::new("service tasks", shared.vpc.clone())
            .ingress(Rule::tcp_from_security_group(shared.lb_sg.clone(), 8080)),
    );
    let mut exec = IamRole::for_service("ecs-tasks.amazonaws.com");
    exec.add_to_policy("pull", repo.pull_statement())
        .add_to_policy("pull", Statement::ecr_auth_token())
        .add_to_policy(
            "logs",
            Statement::allow()
                .actions(["logs:CreateLogStream", "logs:PutLogEvents"])
                .resource(logs.streams_arn()),
        );
    let exec = s.add("ExecutionRole", exec);
    let mut task_role = IamRole::for_service("ecs-tasks.amazonaws.com");
    task_role
        .add_to_policy(
            "data",
            Statement::allow()
                .actions(["dynamodb:GetItem", "dynamodb:PutItem"])
                .resource(table.arn()),
        )
        .add_to_policy(
            "data",
            Statement::allow()
                .actions(["s3:GetObject", "s3:PutObject"])
                .resource(bucket.objects_arn()),
        );
    let task_role = s.add("TaskRole", task_role);
    let container = ContainerDefinition::new("app", repo.image_uri("v1").into_text())
        .port(8080)
        .env("TABLE", table.name().text())
        .env("BUCKET", bucket.name().text())
        .logging(AwsLogs::new(logs.name(), "app"));
    let task = s.add(
        "Task",
        FargateTaskDefinition::new(&format!("bench-svc-{i}"), FargateSize::CPU_256_MEM_512)
            .execution_role(exec.arn())
            .task_role(task_role.arn())
            .container(container),
    );
    let svc = s.add(
        "Service",
        FargateService::new(shared.cluster.clone(), task.arn(), shared.subnets.clone())
            .security_group(sg.id())
            .load_balancer(LoadBalancerTarget::new("app", 8080, tg.arn())),
    );
    s.stack().add_dependency(&svc, &rule);
}

struct Shared {
    vpc: Value<kind::VpcId>,
    subnets: Value<kind::SubnetIds>,
    listener: Value<kind::Arn>,
    lb_sg: Value<kind::SecurityGroupId>,
    cluster: Value<kind::Arn>,
}

/// An app with `services` generated services, 41 per stack.
pub fn build(services: usize) -> App {
    let mut app = App::new();
    for (n, first) in (0..services).step_by(SERVICES_PER_STACK).enumerate() {
        let stack = app.stack(&format!("Bench{n}"));
        let vpc = stack.add("Vpc", VpcLookup::by_id("vpc-0123456789abcdef0"));
        let subnets = stack.add(
            "Subnets",
            SubnetsLookup::by_ids(&["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]),
        );
        let lb = stack.add("Lb", LoadBalancerLookup::by_name("bench-lb"));
        let listener = stack.add("Listener", ListenerLookup::by_port(lb.arn(), 443));
        let lb_sg = stack.add("LbSecurityGroup", SecurityGroupLookup::by_id("sg-0123456789abcdef0"));
        let cluster = stack.add("Cluster", EcsCluster::new());
        let shared = Shared {
            vpc: vpc.id().into(),
            subnets: subnets.ids().into(),
            listener: listener.arn().into(),
            lb_sg: lb_sg.id().into(),
            cluster: cluster.arn().into(),
        };
        for i in first..(first + SERVICES_PER_STACK).min(services) {
            service(stack, i, &shared);
        }
    }
    app
}
