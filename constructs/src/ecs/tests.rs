//! Tests of the ECS constructs, each asserting both backends where it can.

use serde_json::json;
use std::time::Duration;

use super::*;
use crate::expr::{kind, Attr, Expr, Value};
use crate::logs::LogGroup;
use crate::lookup::{SecurityGroupLookup, SubnetsLookup, VpcLookup};
use crate::parameter::Parameter;
use crate::testing::{cfn_resource, problems, synth_one, tf_json_string, tf_resource};
use crate::tree::App;

const ROLE: &str = "arn:aws:iam::123456789012:role/vault-api";
const TG: &str = "arn:aws:elasticloadbalancing:eu-west-2:123456789012:targetgroup/vault-api/0123456789abcdef";

fn rules(app: &App) -> Vec<(String, &'static str)> {
    let mut p = problems(app);
    p.dedup();
    p
}

fn has(app: &App, path: &str, rule: &str) -> bool {
    problems(app).iter().any(|(p, r)| p == path && *r == rule)
}

fn nginx() -> ContainerDefinition {
    ContainerDefinition::new("web", "public.ecr.aws/nginx/nginx:1.27")
}

fn service() -> FargateService {
    FargateService::new(
        Value::literal("arn:aws:ecs:eu-west-2:123456789012:cluster/c"),
        Value::literal("arn:aws:ecs:eu-west-2:123456789012:task-definition/web:1"),
        vec!["subnet-0123"],
    )
    .security_group("sg-0123")
}

#[test]
fn the_seed_task_and_service_render_in_both_backends() {
    let mut app = App::new();
    let stack = app.stack("Vault");
    let version = stack.add("AppVersion", Parameter::string("Application version to deploy"));
    let logs = stack.add("Logs", LogGroup::new("ecs/fargate/ditto-vault"));
    let cluster = stack.add("Cluster", EcsCluster::new().name("fargate-cluster"));
    let image = Value::concat([
        Attr::account_id().into(),
        ".dkr.ecr.eu-west-2.amazonaws.com/vault-api:".into(),
        version.value().into(),
    ]);
    let task = stack.add(
        "Task",
        FargateTaskDefinition::new("vault-api", FargateSize::CPU_256_MEM_512)
            .execution_role(ROLE)
            .task_role(ROLE)
            .container(
                ContainerDefinition::new("vault-api", image)
                    .port(80)
                    .env("ApplicationVersion", version.value())
                    .logging(AwsLogs::new(logs.name(), "vault").region("eu-west-2")),
            ),
    );
    stack.add(
        "Service",
        FargateService::new(cluster.arn(), task.arn(), vec!["subnet-0123"])
            .name("vault-api")
            .desired_count(2)
            .security_group("sg-0123")
            .health_check_grace_period(Duration::from_secs(30))
            .load_balancer(LoadBalancerTarget::new("vault-api", 80, TG)),
    );
    let (cfn, tf) = synth_one(&app);

    let td = &cfn_resource(&cfn, "Task")["Properties"];
    assert_eq!(td["Family"], "vault-api");
    assert_eq!((&td["Cpu"], &td["Memory"]), (&json!("256"), &json!("512")));
    assert_eq!(td["NetworkMode"], "awsvpc");
    assert_eq!(td["RequiresCompatibilities"], json!(["FARGATE"]));
    assert_eq!(
        td["RuntimePlatform"],
        json!({"CpuArchitecture": "X86_64", "OperatingSystemFamily": "LINUX"})
    );
    assert_eq!(
        td["ContainerDefinitions"],
        json!([{
            "Name": "vault-api",
            "Image": {"Fn::Sub": "${AWS::AccountId}.dkr.ecr.eu-west-2.amazonaws.com/vault-api:${AppVersion}"},
            "Essential": true,
            "ReadonlyRootFilesystem": true,
            "PortMappings": [{"ContainerPort": 80, "HostPort": 80, "Protocol": "tcp"}],
            "Environment": [{"Name": "ApplicationVersion", "Value": {"Ref": "AppVersion"}}],
            "LogConfiguration": {
                "LogDriver": "awslogs",
                "Options": {
                    "awslogs-group": {"Ref": "Logs"},
                    "awslogs-region": "eu-west-2",
                    "awslogs-stream-prefix": "vault"
                }
            }
        }])
    );

    let tf_td = tf_resource(&tf, "aws_ecs_task_definition", "task");
    assert_eq!((&tf_td["cpu"], &tf_td["memory"]), (&json!("256"), &json!("512")));
    assert_eq!(tf_td["network_mode"], "awsvpc");
    assert_eq!(tf_td["requires_compatibilities"], json!(["FARGATE"]));
    // The definitions refer to a variable, so Terraform encodes them (jsonencode
    // escapes whatever value the variable is given).
    let defs = tf_td["container_definitions"].as_str().unwrap();
    assert!(defs.starts_with("${jsonencode([{") && defs.ends_with("}])}"), "{defs}");
    for part in [
        r#""environment" = [{"name" = "ApplicationVersion", "value" = var.app_version}]"#,
        r#""image" = "${data.aws_caller_identity.current.account_id}.dkr.ecr.eu-west-2.amazonaws.com/vault-api:${var.app_version}""#,
        r#""logConfiguration" = {"logDriver" = "awslogs", "options" = {"awslogs-group" = aws_cloudwatch_log_group.logs.name, "awslogs-region" = "eu-west-2", "awslogs-stream-prefix" = "vault"}}"#,
        r#""portMappings" = [{"containerPort" = 80, "hostPort" = 80, "protocol" = "tcp"}]"#,
        r#""readonlyRootFilesystem" = true"#,
    ] {
        assert!(defs.contains(part), "{part} not in {defs}");
    }

    let svc = &cfn_resource(&cfn, "Service")["Properties"];
    assert_eq!(svc["ServiceName"], "vault-api");
    assert_eq!(svc["Cluster"], json!({"Fn::GetAtt": ["Cluster", "Arn"]}));
    assert_eq!(svc["TaskDefinition"], json!({"Ref": "Task"}));
    assert_eq!(svc["LaunchType"], "FARGATE");
    assert_eq!(svc["DesiredCount"], 2);
    assert_eq!(svc["HealthCheckGracePeriodSeconds"], 30);
    assert_eq!(
        svc["LoadBalancers"],
        json!([{"ContainerName": "vault-api", "ContainerPort": 80, "TargetGroupArn": TG}])
    );
    assert_eq!(
        svc["NetworkConfiguration"],
        json!({"AwsvpcConfiguration": {
            "Subnets": ["subnet-0123"], "SecurityGroups": ["sg-0123"], "AssignPublicIp": "DISABLED"
        }})
    );
    let tf_svc = tf_resource(&tf, "aws_ecs_service", "service");
    assert_eq!(tf_svc["name"], "vault-api");
    assert_eq!(tf_svc["cluster"], "${aws_ecs_cluster.cluster.arn}");
    assert_eq!(tf_svc["task_definition"], "${aws_ecs_task_definition.task.arn}");
    assert_eq!(tf_svc["launch_type"], "FARGATE");
    assert_eq!(tf_svc["health_check_grace_period_seconds"], 30);
    assert_eq!(
        tf_svc["load_balancer"],
        json!([{"container_name": "vault-api", "container_port": 80, "target_group_arn": TG}])
    );
    assert_eq!(
        tf_svc["network_configuration"],
        json!({"subnets": ["subnet-0123"], "security_groups": ["sg-0123"], "assign_public_ip": false})
    );
}

#[test]
fn service_defaults_keep_capacity_roll_back_and_stay_private_in_both_backends() {
    let mut app = App::new();
    app.stack("S").add("Service", service());
    let (cfn, tf) = synth_one(&app);
    let svc = &cfn_resource(&cfn, "Service")["Properties"];
    assert_eq!(
        svc["DeploymentConfiguration"],
        json!({
            "MinimumHealthyPercent": 100,
            "MaximumPercent": 200,
            "DeploymentCircuitBreaker": {"Enable": true, "Rollback": true}
        })
    );
    assert_eq!(svc["DesiredCount"], 2);
    assert_eq!(svc["PlatformVersion"], "LATEST");
    assert_eq!(svc["PropagateTags"], "SERVICE");
    assert_eq!(svc["EnableExecuteCommand"], false);
    assert!(svc.get("ServiceName").is_none());
    assert!(svc.get("LoadBalancers").is_none());
    assert!(svc.get("HealthCheckGracePeriodSeconds").is_none());

    let t = tf_resource(&tf, "aws_ecs_service", "service");
    assert_eq!(t["name"], "S-Service");
    assert_eq!(t["deployment_minimum_healthy_percent"], 100);
    assert_eq!(t["deployment_maximum_percent"], 200);
    assert_eq!(
        t["deployment_circuit_breaker"],
        json!({"enable": true, "rollback": true})
    );
    assert_eq!(t["platform_version"], "LATEST");
    assert_eq!(t["propagate_tags"], "SERVICE");
    assert_eq!(t["enable_execute_command"], false);
    assert_eq!(t["network_configuration"]["assign_public_ip"], false);
}

#[test]
fn service_options_render_in_both_backends() {
    let mut app = App::new();
    app.stack("S").add(
        "Service",
        service()
            .public_ip()
            .deployment_percent(50, 150)
            .circuit_breaker(CircuitBreaker::FailOnly)
            .platform_version("1.4.0")
            .propagate_tags(PropagateTags::None)
            .enable_execute_command(),
    );
    let (cfn, tf) = synth_one(&app);
    let svc = &cfn_resource(&cfn, "Service")["Properties"];
    assert_eq!(
        svc["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"],
        "ENABLED"
    );
    assert_eq!(
        svc["DeploymentConfiguration"]["DeploymentCircuitBreaker"],
        json!({"Enable": true, "Rollback": false})
    );
    assert!(svc.get("PropagateTags").is_none());
    assert_eq!(svc["EnableExecuteCommand"], true);
    let t = tf_resource(&tf, "aws_ecs_service", "service");
    assert_eq!(t["network_configuration"]["assign_public_ip"], true);
    assert_eq!(t["deployment_minimum_healthy_percent"], 50);
    assert!(t.get("propagate_tags").is_none());
    assert_eq!(t["platform_version"], "1.4.0");
}

#[test]
fn a_list_valued_subnet_lookup_is_passed_through_without_another_list() {
    let mut app = App::new();
    let stack = app.stack("S");
    let vpc = stack.add("Vpc", VpcLookup::by_name_tag("main"));
    let subnets = stack.add(
        "PrivateSubnets",
        SubnetsLookup::by_tags(vpc.id(), &[("Tier", "private")]),
    );
    let sg = stack.add("TaskSg", SecurityGroupLookup::by_id("sg-0abc"));
    stack.add(
        "Service",
        FargateService::new(
            Value::literal("arn:aws:ecs:eu-west-2:123456789012:cluster/c"),
            Value::literal("web:1"),
            subnets.ids(),
        )
        .security_group(sg.id()),
    );
    let (cfn, tf) = synth_one(&app);
    let awsvpc = &cfn_resource(&cfn, "Service")["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"];
    assert_eq!(awsvpc["Subnets"], json!({"Ref": "PrivateSubnets"}));
    assert_eq!(awsvpc["SecurityGroups"], json!([{"Ref": "TaskSg"}]));
    assert_eq!(
        cfn["Parameters"]["PrivateSubnets"]["Type"],
        "List<AWS::EC2::Subnet::Id>"
    );
    let net = &tf_resource(&tf, "aws_ecs_service", "service")["network_configuration"];
    assert_eq!(net["subnets"], "${data.aws_subnets.private_subnets.ids}");
    assert_eq!(net["security_groups"], json!(["${data.aws_security_group.task_sg.id}"]));
}

#[test]
fn a_service_can_be_ordered_after_a_construct_it_does_not_reference() {
    let mut app = App::new();
    let stack = app.stack("S");
    // Stands in for the listener rule forwarding to the service's target group.
    let rule = stack.add("Rule", LogGroup::new("/rule"));
    let svc = stack.add("Service", service());
    stack.add_dependency(&svc, &rule);
    let (cfn, tf) = synth_one(&app);
    assert_eq!(cfn_resource(&cfn, "Service")["DependsOn"], json!(["Rule"]));
    assert_eq!(
        tf_resource(&tf, "aws_ecs_service", "service")["depends_on"],
        json!(["aws_cloudwatch_log_group.rule"])
    );
}

#[test]
fn attributes_render_as_each_backend_names_them() {
    let mut app = App::new();
    let stack = app.stack("S");
    let cluster = stack.add("Cluster", EcsCluster::new());
    let task = stack.add(
        "Task",
        FargateTaskDefinition::new("web", FargateSize::CPU_256_MEM_512).container(nginx()),
    );
    let svc = stack.add("Service", service());
    stack.output("ClusterName", cluster.name(), "");
    stack.output("ClusterArn", cluster.arn(), "");
    stack.output("TaskArn", task.arn(), "");
    stack.output("ServiceName", svc.name(), "");
    stack.output("ServiceArn", svc.arn(), "");
    let (cfn, tf) = synth_one(&app);
    let o = &cfn["Outputs"];
    assert_eq!(o["ClusterName"]["Value"], json!({"Ref": "Cluster"}));
    assert_eq!(o["ClusterArn"]["Value"], json!({"Fn::GetAtt": ["Cluster", "Arn"]}));
    assert_eq!(o["TaskArn"]["Value"], json!({"Ref": "Task"}));
    assert_eq!(o["ServiceName"]["Value"], json!({"Fn::GetAtt": ["Service", "Name"]}));
    assert_eq!(o["ServiceArn"]["Value"], json!({"Ref": "Service"}));
    let o = &tf["output"];
    assert_eq!(o["cluster_name"]["value"], "${aws_ecs_cluster.cluster.name}");
    assert_eq!(o["cluster_arn"]["value"], "${aws_ecs_cluster.cluster.arn}");
    assert_eq!(o["task_arn"]["value"], "${aws_ecs_task_definition.task.arn}");
    assert_eq!(o["service_name"]["value"], "${aws_ecs_service.service.name}");
    assert_eq!(o["service_arn"]["value"], "${aws_ecs_service.service.id}");
}

#[test]
fn clusters_enable_container_insights_and_take_a_path_name_only_in_terraform() {
    let mut app = App::new();
    let stack = app.stack("S");
    stack.add("Cluster", EcsCluster::new());
    stack.add(
        "Quiet",
        EcsCluster::new()
            .name("quiet")
            .container_insights(ContainerInsights::Disabled),
    );
    let (cfn, tf) = synth_one(&app);
    let c = &cfn_resource(&cfn, "Cluster")["Properties"];
    assert!(c.get("ClusterName").is_none());
    assert_eq!(
        c["ClusterSettings"],
        json!([{"Name": "containerInsights", "Value": "enabled"}])
    );
    let t = tf_resource(&tf, "aws_ecs_cluster", "cluster");
    assert_eq!(t["name"], "S-Cluster");
    assert_eq!(t["setting"], json!([{"name": "containerInsights", "value": "enabled"}]));
    assert_eq!(cfn_resource(&cfn, "Quiet")["Properties"]["ClusterName"], "quiet");
    assert_eq!(
        tf_resource(&tf, "aws_ecs_cluster", "quiet")["setting"][0]["value"],
        "disabled"
    );
}

#[test]
fn container_definitions_are_canonical_sorted_and_omit_empty_lists() {
    let mut app = App::new();
    let container = nginx()
        .env("ZETA", "z")
        .env("ALPHA", "a")
        .secret("DB_PASSWORD", "arn:aws:ssm:eu-west-2:123456789012:parameter/db")
        .secret("API_KEY", "arn:aws:secretsmanager:eu-west-2:123456789012:secret:k")
        .port_mapping(PortMapping::udp(5353))
        .cpu_units(128)
        .memory_limit_mib(512)
        .memory_reservation_mib(256)
        .user("1000")
        .writable_root_filesystem()
        .command(["nginx", "-g", "daemon off;"])
        .health_check(ContainerHealthCheck::shell("curl -f http://localhost/ || exit 1"));
    let sidecar = ContainerDefinition::new("sidecar", "public.ecr.aws/x/y:1")
        .non_essential()
        .health_check(ContainerHealthCheck::exec(["/bin/ok"]).start_period(Duration::from_secs(10)));
    app.stack("S").add(
        "Task",
        FargateTaskDefinition::new("web", FargateSize::CPU_512_MEM_1024)
            .execution_role(ROLE)
            .cpu_architecture(CpuArchitecture::Arm64)
            .container(container)
            .container(sidecar),
    );
    let (cfn, tf) = synth_one(&app);
    let defs = tf_json_string(&tf_resource(&tf, "aws_ecs_task_definition", "task")["container_definitions"]);
    let web = &defs[0];
    let keys: Vec<&String> = web.as_object().unwrap().keys().collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "keys are sorted for a stable string");
    assert_eq!(
        web["environment"],
        json!([{"name": "ALPHA", "value": "a"}, {"name": "ZETA", "value": "z"}])
    );
    assert_eq!(web["secrets"][0]["name"], "API_KEY");
    assert_eq!(
        web["secrets"][1]["valueFrom"],
        "arn:aws:ssm:eu-west-2:123456789012:parameter/db"
    );
    assert_eq!(
        web["portMappings"],
        json!([{"containerPort": 5353, "hostPort": 5353, "protocol": "udp"}])
    );
    assert_eq!(
        (&web["cpu"], &web["memory"], &web["memoryReservation"]),
        (&json!(128), &json!(512), &json!(256))
    );
    assert_eq!(web["user"], "1000");
    assert_eq!(web["readonlyRootFilesystem"], false);
    assert_eq!(
        web["healthCheck"],
        json!({
            "command": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"],
            "interval": 30, "retries": 3, "timeout": 5
        })
    );
    let side = &defs[1];
    assert_eq!(side["essential"], false);
    assert_eq!(side["healthCheck"]["startPeriod"], 10);
    for empty in ["portMappings", "environment", "secrets", "command", "logConfiguration"] {
        assert!(side.get(empty).is_none(), "{empty} is left out");
    }
    let cfn_web = &cfn_resource(&cfn, "Task")["Properties"]["ContainerDefinitions"][0];
    assert_eq!(
        cfn_web["Secrets"][0],
        json!({"Name": "API_KEY", "ValueFrom": "arn:aws:secretsmanager:eu-west-2:123456789012:secret:k"})
    );
    assert_eq!(cfn_web["HealthCheck"]["Interval"], 30);
    assert_eq!(cfn_web["MemoryReservation"], 256);
    assert_eq!(cfn_web["Command"], json!(["nginx", "-g", "daemon off;"]));
    assert_eq!(
        cfn_resource(&cfn, "Task")["Properties"]["RuntimePlatform"]["CpuArchitecture"],
        "ARM64"
    );
    assert_eq!(
        tf_resource(&tf, "aws_ecs_task_definition", "task")["runtime_platform"]["cpu_architecture"],
        "ARM64"
    );
}

#[test]
fn awslogs_defaults_to_the_stack_region() {
    let mut app = App::new();
    app.stack("S").add(
        "Task",
        FargateTaskDefinition::new("web", FargateSize::CPU_256_MEM_512)
            .execution_role(ROLE)
            .container(nginx().logging(AwsLogs::new(Value::literal("/web"), "web"))),
    );
    let (cfn, tf) = synth_one(&app);
    let opts = &cfn_resource(&cfn, "Task")["Properties"]["ContainerDefinitions"][0]["LogConfiguration"]["Options"];
    assert_eq!(opts["awslogs-region"], json!({"Ref": "AWS::Region"}));
    let defs = tf_json_string(&tf_resource(&tf, "aws_ecs_task_definition", "task")["container_definitions"]);
    assert_eq!(
        defs[0]["logConfiguration"]["options"]["awslogs-region"],
        "${data.aws_region.current.name}"
    );
}

#[test]
fn a_size_fargate_does_not_run_is_reported_with_the_valid_memory_sizes() {
    let mut app = App::new();
    app.stack("S").add(
        "Task",
        FargateTaskDefinition::new("web", FargateSize::new(256, 4096)).container(nginx()),
    );
    app.stack("T").add(
        "Task",
        FargateTaskDefinition::new("web", FargateSize::new(300, 512)).container(nginx()),
    );
    let problems = crate::validate(&app);
    let mine: Vec<_> = problems.iter().filter(|p| p.rule == "fargate-cpu-memory").collect();
    assert_eq!(mine.len(), 2);
    assert_eq!(mine[0].path, "S/Task");
    assert!(mine[0].message.contains("512, 1024, 2048 MiB"), "{}", mine[0].message);
    assert_eq!(mine[1].path, "T/Task");
    assert!(mine[1].message.contains("300 cpu units"));
}

#[test]
fn bad_names_are_reported_for_each_construct() {
    let mut app = App::new();
    let stack = app.stack("S");
    stack.add("Cluster", EcsCluster::new().name("my cluster"));
    stack.add(
        "Task",
        FargateTaskDefinition::new("web/1", FargateSize::CPU_256_MEM_512)
            .container(ContainerDefinition::new("", "img")),
    );
    stack.add("Service", service().name(&"s".repeat(256)));
    let got = rules(&app);
    for (path, rule) in [
        ("S/Cluster", "ecs-cluster-name"),
        ("S/Task", "ecs-task-family"),
        ("S/Task", "ecs-container-name"),
        ("S/Service", "ecs-service-name"),
    ] {
        assert!(got.contains(&(path.to_string(), rule)), "{path} {rule} in {got:?}");
    }
}

#[test]
fn container_settings_out_of_range_are_reported() {
    let mut app = App::new();
    let bad = ContainerDefinition::new("web", "")
        .port(0)
        .env("1BAD", "x")
        .env("DUP", "x")
        .secret("DUP", "arn:aws:ssm:eu-west-2:123456789012:parameter/p")
        .memory_limit_mib(256)
        .memory_reservation_mib(512)
        .user(" ")
        .health_check(
            ContainerHealthCheck::shell("")
                .interval(Duration::from_secs(1))
                .timeout(Duration::from_secs(61))
                .retries(0)
                .start_period(Duration::from_secs(301)),
        );
    app.stack("S").add(
        "Task",
        FargateTaskDefinition::new("web", FargateSize::CPU_256_MEM_512)
            .execution_role(ROLE)
            .container(bad),
    );
    let got = rules(&app);
    let expected = [
        "ecs-container-image",
        "ecs-container-port",
        "ecs-env-name",
        "ecs-env-name-unique",
        "ecs-container-memory",
        "ecs-container-user",
        "ecs-health-check",
    ];
    for rule in expected {
        assert!(got.contains(&("S/Task".to_string(), rule)), "{rule} in {got:?}");
    }
    let health = problems(&app).iter().filter(|(_, r)| *r == "ecs-health-check").count();
    assert_eq!(health, 5, "four ranges and the empty command");
}

#[test]
fn an_empty_or_unsafe_stream_prefix_is_reported() {
    let mut app = App::new();
    app.stack("S").add(
        "Task",
        FargateTaskDefinition::new("web", FargateSize::CPU_256_MEM_512)
            .execution_role(ROLE)
            .container(nginx().logging(AwsLogs::new(Value::literal("/web"), "a:b"))),
    );
    assert_eq!(rules(&app), [("S/Task".to_string(), "ecs-awslogs-stream-prefix")]);
}

#[test]
fn task_level_rules_are_reported() {
    let mut app = App::new();
    let stack = app.stack("S");
    stack.add(
        "Empty",
        FargateTaskDefinition::new("empty", FargateSize::CPU_256_MEM_512),
    );
    stack.add(
        "Crowded",
        FargateTaskDefinition::new("crowded", FargateSize::CPU_256_MEM_512)
            .container(
                nginx()
                    .non_essential()
                    .port(80)
                    .cpu_units(200)
                    .memory_reservation_mib(300),
            )
            .container(nginx().non_essential().port(80).cpu_units(200).memory_limit_mib(1024)),
    );
    let got = rules(&app);
    assert!(got.contains(&("S/Empty".into(), "ecs-container-required")));
    for rule in [
        "ecs-container-name-unique",
        "ecs-port-unique",
        "ecs-essential-container",
        "ecs-container-cpu",
        "ecs-container-memory",
    ] {
        assert!(got.contains(&("S/Crowded".into(), rule)), "{rule} in {got:?}");
    }
}

#[test]
fn ecr_images_awslogs_and_secrets_need_an_execution_role() {
    let mut app = App::new();
    let stack = app.stack("S");
    let ecr = ContainerDefinition::new(
        "api",
        Value::<kind::Text>::concat([
            Attr::account_id().into(),
            Expr::str(".dkr.ecr.eu-west-2.amazonaws.com/api:1"),
        ]),
    );
    stack.add(
        "Task",
        FargateTaskDefinition::new("api", FargateSize::CPU_256_MEM_512).container(
            ecr.logging(AwsLogs::new(Value::literal("/api"), "api"))
                .secret("TOKEN", "arn:aws:ssm:eu-west-2:123456789012:parameter/t"),
        ),
    );
    stack.add(
        "Public",
        FargateTaskDefinition::new("public", FargateSize::CPU_256_MEM_512).container(nginx()),
    );
    let p = problems(&app);
    let mine: Vec<_> = p.iter().filter(|(_, r)| *r == "ecs-execution-role-required").collect();
    assert_eq!(mine.len(), 3, "image, logs and secrets each need the role: {p:?}");
    assert!(mine.iter().all(|(path, _)| path == "S/Task"));
    assert!(!has(&app, "S/Public", "ecs-execution-role-required"));
}

#[test]
fn service_rules_are_reported() {
    let mut app = App::new();
    let stack = app.stack("S");
    stack.add(
        "NoSg",
        FargateService::new(Value::literal("c"), Value::literal("t:1"), Vec::<&str>::new())
            .health_check_grace_period(Duration::from_secs(u64::from(u32::MAX)))
            .deployment_percent(150, 90)
            .platform_version("latest"),
    );
    stack.add("Lbs", service().load_balancer(LoadBalancerTarget::new("web", 0, TG)));
    let got = rules(&app);
    for rule in [
        "ecs-security-groups",
        "ecs-subnets",
        "ecs-health-check-grace-period",
        "ecs-deployment-percent",
        "ecs-platform-version",
    ] {
        assert!(got.contains(&("S/NoSg".into(), rule)), "{rule} in {got:?}");
    }
    let grace = problems(&app)
        .iter()
        .filter(|(_, r)| *r == "ecs-health-check-grace-period")
        .count();
    assert_eq!(grace, 2, "out of range, and without a load balancer");
    let pct = problems(&app)
        .iter()
        .filter(|(_, r)| *r == "ecs-deployment-percent")
        .count();
    assert_eq!(pct, 3, "min above 100, max below 100, max not above min");
    assert!(got.contains(&("S/Lbs".into(), "ecs-container-port")));
}

#[test]
fn equal_min_and_max_percent_would_stall_a_deployment() {
    let mut app = App::new();
    app.stack("S").add("Service", service().deployment_percent(100, 100));
    assert_eq!(rules(&app), [("S/Service".to_string(), "ecs-deployment-percent")]);
}

#[test]
fn more_than_five_target_groups_are_reported() {
    let mut app = App::new();
    let mut svc = service();
    for _ in 0..6 {
        svc = svc.load_balancer(LoadBalancerTarget::new("web", 80, TG));
    }
    app.stack("S").add("Service", svc);
    assert_eq!(rules(&app), [("S/Service".to_string(), "ecs-load-balancers")]);
}

#[test]
fn names_that_must_be_unique_are_reported_on_the_second_use() {
    let mut app = App::new();
    let stack = app.stack("S");
    stack.add("A", EcsCluster::new().name("c"));
    stack.add("B", EcsCluster::new().name("c"));
    let td = || FargateTaskDefinition::new("web", FargateSize::CPU_256_MEM_512).container(nginx());
    stack.add("TaskA", td());
    stack.add("TaskB", td());
    stack.add("SvcA", service().name("web"));
    stack.add("SvcB", service().name("web"));
    assert_eq!(
        rules(&app),
        [
            ("S/B".to_string(), "ecs-cluster-name-unique"),
            ("S/TaskB".to_string(), "ecs-task-family-unique"),
            ("S/SvcB".to_string(), "ecs-service-name-unique"),
        ]
    );
}

#[test]
fn path_names_replace_characters_ecs_rejects() {
    assert_eq!(name_from_path("Vault/Api.v2/Service"), "Vault-Api-v2-Service");
    assert_eq!(name_from_path(&"a".repeat(300)).len(), 255);
}

#[test]
fn system_controls_render_in_both_backends() {
    let mut app = App::new();
    let stack = app.stack("S");
    let image = "123456789012.dkr.ecr.eu-west-2.amazonaws.com/app:v1";
    let role = "arn:aws:iam::123456789012:role/exec";
    stack.add(
        "Task",
        FargateTaskDefinition::new("app", FargateSize::CPU_256_MEM_512)
            .execution_role(role)
            .container(
                ContainerDefinition::new("app", image)
                    .port(80)
                    .unprivileged_ports_from(80),
            ),
    );
    let (cfn, tf) = synth_one(&app);
    let c = &cfn_resource(&cfn, "Task")["Properties"]["ContainerDefinitions"][0];
    assert_eq!(
        c["SystemControls"],
        json!([{"Namespace": "net.ipv4.ip_unprivileged_port_start", "Value": "80"}])
    );
    let defs = tf_json_string(&tf_resource(&tf, "aws_ecs_task_definition", "task")["container_definitions"]);
    assert_eq!(
        defs[0]["systemControls"],
        json!([{"namespace": "net.ipv4.ip_unprivileged_port_start", "value": "80"}])
    );
}
