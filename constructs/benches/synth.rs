//! Synthesis benchmark: builds generated apps of about 100, 1,000, 10,000 and 20,000
//! CloudFormation resources (split into stacks under the 500-resource limit) and
//! synthesizes each to both backends, reporting time and peak memory per size.
//!
//! Run: `cargo bench -p constructs --bench synth` (add `-- --quick` for one run
//! per size). Each size runs in a fresh child process, so the peak resident set
//! size it reports (`VmHWM`) belongs to that size alone.

use std::process::Command;
use std::time::{Duration, Instant};

use constructs::dynamodb::{DynamoTable, Key};
use constructs::ecs::{
    AwsLogs, ContainerDefinition, EcsCluster, FargateService, FargateSize, FargateTaskDefinition, LoadBalancerTarget,
};
use constructs::prelude::*;

/// CloudFormation resources one generated service adds.
const RESOURCES_PER_SERVICE: usize = 12;
/// Services per stack: 41 × 12 + the cluster = 493, under the 500 limit.
const SERVICES_PER_STACK: usize = 41;

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
fn build(services: usize) -> App {
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

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

/// Measures one size in this process and prints one tab-separated result line.
fn child(target_resources: usize, runs: usize) {
    let services = target_resources.div_ceil(RESOURCES_PER_SERVICE);
    let mut best_build = Duration::MAX;
    let mut best_synth = Duration::MAX;
    let (mut resources, mut stacks, mut bytes) = (0, 0, 0);
    for _ in 0..runs {
        let t0 = Instant::now();
        let app = build(services);
        let t1 = Instant::now();
        let files = constructs::synth(&app, &Backend::ALL).expect("generated app is valid");
        let t2 = Instant::now();
        best_build = best_build.min(t1 - t0);
        best_synth = best_synth.min(t2 - t1);
        resources = files
            .iter()
            .filter(|f| f.backend == Backend::CloudFormation)
            .map(|f| f.resource_count)
            .sum();
        stacks = app.stacks().len();
        bytes = files.iter().map(|f| f.text.len()).sum();
        drop(files);
        drop(app);
    }
    println!(
        "{resources}\t{stacks}\t{}\t{}\t{bytes}\t{}",
        best_build.as_micros(),
        best_synth.as_micros(),
        peak_rss_kib()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let size = args[i + 1].parse().expect("size");
        let runs = args[i + 2].parse().expect("runs");
        child(size, runs);
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let exe = std::env::current_exe().expect("own path");
    println!(
        "| CloudFormation resources | stacks | build app | synthesize both backends | total | output | peak RSS |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for (size, runs) in [(100, 20), (1_000, 5), (10_000, 3), (20_000, 2)] {
        let runs = if quick { 1 } else { runs };
        let out = Command::new(&exe)
            .args(["--child", &size.to_string(), &runs.to_string()])
            .output()
            .expect("child runs");
        assert!(
            out.status.success(),
            "child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = String::from_utf8_lossy(&out.stdout);
        let f: Vec<u64> = line.trim().split('\t').map(|x| x.parse().unwrap()).collect();
        let ms = |us: u64| us as f64 / 1000.0;
        let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
        println!(
            "| {} | {} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} MiB | {:.1} MiB |",
            f[0],
            f[1],
            ms(f[2]),
            ms(f[3]),
            ms(f[2] + f[3]),
            mib(f[4]),
            f[5] as f64 / 1024.0
        );
    }
}
