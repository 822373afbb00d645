//! `LoadBalancedFargateService`: its defaults are what its documentation says,
//! and every override takes effect in both backends.

use constructs::ecs::CircuitBreaker;
use constructs::patterns::LoadBalancedFargateServiceRefs;
use constructs::prelude::*;
use constructs::testing::{cfn_resource, problems, synth_one, tf_json_string, tf_resource};
use serde_json::{json, Value as Json};
use std::time::Duration;

const LISTENER: &str =
    "arn:aws:elasticloadbalancing:eu-west-2:123456789012:listener/app/lb/0123456789abcdef/0123456789abcdef";

fn placement_in(stack: &mut Stack) -> Placement {
    let cluster = stack.add("Cluster", constructs::ecs::EcsCluster::new());
    Placement {
        vpc: "vpc-0123456789abcdef0".into(),
        subnets: vec!["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"].into(),
        listener: LISTENER.into(),
        load_balancer_security_group: "sg-0123456789abcdef0".into(),
        cluster: cluster.arn().into(),
    }
}

/// Builds an app with one service (`id` "Web") after `configure` adjusts it.
fn build(
    configure: impl FnOnce(LoadBalancedFargateService) -> LoadBalancedFargateService,
) -> (App, LoadBalancedFargateServiceRefs) {
    let mut app = App::new();
    let stack = app.stack("S");
    let repo = stack.add("Repo", EcrRepo::new("web"));
    let placement = placement_in(stack);
    let pattern = LoadBalancedFargateService::new("web", placement, Image::EcrTag(repo, "v1".into()), 8080)
        .route_paths(10, ["/web*"]);
    let handles = *stack.add("Web", configure(pattern));
    (app, handles)
}

fn synth(configure: impl FnOnce(LoadBalancedFargateService) -> LoadBalancedFargateService) -> (Json, Json) {
    let (app, _) = build(configure);
    synth_one(&app)
}

#[test]
fn defaults_are_what_the_documentation_says_in_both_backends() {
    let (cfn, tf) = synth(|p| p);
    let svc = cfn_resource(&cfn, "Web");
    assert_eq!(
        svc["DependsOn"],
        json!(["WebListenerRule"]),
        "the service waits for the listener rule"
    );
    let p = &svc["Properties"];
    assert_eq!(
        p["DeploymentConfiguration"],
        json!({"MinimumHealthyPercent": 100, "MaximumPercent": 200, "DeploymentCircuitBreaker": {"Enable": true, "Rollback": true}})
    );
    assert_eq!(
        p["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"],
        "DISABLED"
    );
    assert_eq!(p["HealthCheckGracePeriodSeconds"], 60);
    assert_eq!(p["DesiredCount"], 2);
    let t = tf_resource(&tf, "aws_ecs_service", "web");
    assert_eq!(t["depends_on"], json!(["aws_lb_listener_rule.web_listener_rule"]));
    assert_eq!(t["deployment_minimum_healthy_percent"], 100);
    assert_eq!(t["deployment_maximum_percent"], 200);
    assert_eq!(
        t["deployment_circuit_breaker"],
        json!({"enable": true, "rollback": true})
    );
    assert_eq!(t["network_configuration"]["assign_public_ip"], false);
    assert_eq!(t["health_check_grace_period_seconds"], 60);

    let tg = &cfn_resource(&cfn, "WebTargetGroup")["Properties"];
    assert_eq!(tg["TargetType"], "ip");
    assert_eq!(
        tg["TargetGroupAttributes"],
        json!([{"Key": "deregistration_delay.timeout_seconds", "Value": "30"}])
    );
    assert_eq!(tg["HealthCheckPath"], "/");
    assert_eq!(tg["HealthCheckIntervalSeconds"], 15);
    assert_eq!(tg["HealthyThresholdCount"], 2);
    assert_eq!(tg["UnhealthyThresholdCount"], 3);
    let ttg = tf_resource(&tf, "aws_lb_target_group", "web_target_group");
    assert_eq!(ttg["deregistration_delay"], "30");
    assert_eq!(ttg["health_check"]["interval"], 15);

    assert_eq!(cfn_resource(&cfn, "WebLogs")["Properties"]["RetentionInDays"], 365);
    assert_eq!(cfn_resource(&cfn, "WebLogs")["Properties"]["LogGroupName"], "/ecs/web");
    assert_eq!(
        tf_resource(&tf, "aws_cloudwatch_log_group", "web_logs")["retention_in_days"],
        365
    );

    let rule = &cfn_resource(&cfn, "WebListenerRule")["Properties"];
    assert_eq!(rule["Priority"], 10);
    assert_eq!(rule["ListenerArn"], LISTENER);
    assert_eq!(rule["Conditions"][0]["PathPatternConfig"]["Values"], json!(["/web*"]));
    assert_eq!(rule["Actions"][0]["TargetGroupArn"], json!({"Ref": "WebTargetGroup"}));
}

#[test]
fn the_security_group_admits_only_the_load_balancer_on_the_container_port() {
    let (cfn, tf) = synth(|p| p);
    let sg = &cfn_resource(&cfn, "WebSecurityGroup")["Properties"];
    let ingress = sg["SecurityGroupIngress"].as_array().unwrap();
    assert_eq!(ingress.len(), 1);
    assert_eq!(ingress[0]["SourceSecurityGroupId"], "sg-0123456789abcdef0");
    assert_eq!(
        (ingress[0]["FromPort"].clone(), ingress[0]["ToPort"].clone()),
        (json!(8080), json!(8080))
    );
    let rule = tf_resource(
        &tf,
        "aws_vpc_security_group_ingress_rule",
        "web_security_group_ingress_0",
    );
    assert_eq!(rule["referenced_security_group_id"], "sg-0123456789abcdef0");
    assert_eq!(rule["from_port"], 8080);
    // Every rule says what it is for (checkov CKV_AWS_23, our ec2-rule-description).
    assert_eq!(ingress[0]["Description"], "web: from the load balancer on port 8080");
    assert_eq!(rule["description"], "web: from the load balancer on port 8080");
    assert!(
        tf["resource"]["aws_vpc_security_group_ingress_rule"]
            .as_object()
            .unwrap()
            .len()
            == 1
    );
}

#[test]
fn the_execution_role_reaches_only_its_repository_and_log_group_and_the_task_role_nothing() {
    let (cfn, tf) = synth(|p| p);
    let exec = &cfn_resource(&cfn, "WebExecutionRole")["Properties"];
    let trust = &exec["AssumeRolePolicyDocument"]["Statement"][0];
    assert_eq!(trust["Principal"], json!({"Service": ["ecs-tasks.amazonaws.com"]}));
    let resources: Vec<Json> = exec["Policies"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["PolicyDocument"]["Statement"].as_array().unwrap().clone())
        .flat_map(|s| s["Resource"].as_array().unwrap().clone())
        .collect();
    assert_eq!(
        resources,
        [
            json!({"Fn::GetAtt": ["Repo", "Arn"]}),
            json!("*"),
            json!({"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${WebLogs}:*"})
        ]
    );
    let task = &cfn_resource(&cfn, "WebTaskRole")["Properties"];
    assert!(task.get("Policies").is_none(), "the task role starts empty: {task}");
    let td = &cfn_resource(&cfn, "WebTaskDefinition")["Properties"];
    assert_eq!(
        td["ExecutionRoleArn"],
        json!({"Fn::GetAtt": ["WebExecutionRole", "Arn"]})
    );
    assert_eq!(td["TaskRoleArn"], json!({"Fn::GetAtt": ["WebTaskRole", "Arn"]}));
    let pull = tf_json_string(&tf_resource(&tf, "aws_iam_role_policy", "web_execution_role_pull_image")["policy"]);
    assert_eq!(
        pull["Statement"][0]["Resource"],
        json!(["${aws_ecr_repository.repo.arn}"])
    );
}

#[test]
fn the_container_runs_the_tagged_image_and_logs_to_the_group() {
    let (cfn, tf) = synth(|p| p.env("MODE", "test"));
    let c = &cfn_resource(&cfn, "WebTaskDefinition")["Properties"]["ContainerDefinitions"][0];
    assert_eq!(c["Image"], json!({"Fn::Sub": "${Repo.RepositoryUri}:v1"}));
    assert_eq!(c["PortMappings"][0]["ContainerPort"], 8080);
    assert_eq!(c["Environment"], json!([{"Name": "MODE", "Value": "test"}]));
    assert_eq!(
        c["LogConfiguration"]["Options"]["awslogs-group"],
        json!({"Ref": "WebLogs"})
    );
    let defs =
        tf_json_string(&tf_resource(&tf, "aws_ecs_task_definition", "web_task_definition")["container_definitions"]);
    assert_eq!(defs[0]["image"], "${aws_ecr_repository.repo.repository_url}:v1");
}

#[test]
fn outputs_give_the_service_cluster_target_group_and_route() {
    let (cfn, tf) = synth(|p| p);
    let outputs = cfn["Outputs"].as_object().unwrap();
    assert_eq!(
        outputs["WebServiceName"]["Value"],
        json!({"Fn::GetAtt": ["Web", "Name"]})
    );
    assert_eq!(
        outputs["WebCluster"]["Value"],
        json!({"Fn::GetAtt": ["Cluster", "Arn"]})
    );
    assert_eq!(outputs["WebTargetGroupArn"]["Value"], json!({"Ref": "WebTargetGroup"}));
    assert_eq!(outputs["WebRoute"]["Value"], "path /web*");
    assert_eq!(tf["output"]["web_service_name"]["value"], "${aws_ecs_service.web.name}");
}

#[test]
fn every_override_takes_effect_in_both_backends() {
    let (cfn, tf) = synth(|p| {
        p.size(constructs::ecs::FargateSize::CPU_512_MEM_1024)
            .desired_count(4)
            .health_check(
                LoadBalancedFargateService::default_health_check("/healthz").interval(Duration::from_secs(10)),
            )
            .deregistration_delay(Duration::from_secs(5))
            .health_check_grace_period(Duration::from_secs(120))
            .deployment_percent(50, 150)
            .circuit_breaker(CircuitBreaker::Disabled)
            .public_ip()
            .log_group_name("/custom/web")
            .log_retention(Retention::Days(30))
            .log_kms_key("arn:aws:kms:eu-west-2:123456789012:key/0a1b2c3d-0000-4000-8000-0123456789ab")
            .route_hosts(["web.example.com"])
            .customize_container(|c| c.writable_root_filesystem())
    });
    let p = &cfn_resource(&cfn, "Web")["Properties"];
    assert_eq!(p["DesiredCount"], 4);
    assert_eq!(p["HealthCheckGracePeriodSeconds"], 120);
    assert_eq!(p["DeploymentConfiguration"]["MinimumHealthyPercent"], 50);
    assert_eq!(p["DeploymentConfiguration"]["MaximumPercent"], 150);
    assert_eq!(
        p["DeploymentConfiguration"]["DeploymentCircuitBreaker"]["Enable"],
        false
    );
    assert_eq!(
        p["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"],
        "ENABLED"
    );
    let t = tf_resource(&tf, "aws_ecs_service", "web");
    assert_eq!(t["desired_count"], 4);
    assert_eq!(t["health_check_grace_period_seconds"], 120);
    assert_eq!(t["deployment_minimum_healthy_percent"], 50);
    assert_eq!(t["deployment_maximum_percent"], 150);
    assert_eq!(t["deployment_circuit_breaker"]["enable"], false);
    assert_eq!(t["network_configuration"]["assign_public_ip"], true);

    let td = &cfn_resource(&cfn, "WebTaskDefinition")["Properties"];
    assert_eq!((td["Cpu"].clone(), td["Memory"].clone()), (json!("512"), json!("1024")));
    assert_eq!(td["ContainerDefinitions"][0]["ReadonlyRootFilesystem"], false);
    let ttd = tf_resource(&tf, "aws_ecs_task_definition", "web_task_definition");
    assert_eq!(
        (ttd["cpu"].clone(), ttd["memory"].clone()),
        (json!("512"), json!("1024"))
    );
    assert_eq!(
        tf_json_string(&ttd["container_definitions"])[0]["readonlyRootFilesystem"],
        false
    );

    let tg = &cfn_resource(&cfn, "WebTargetGroup")["Properties"];
    assert_eq!(tg["HealthCheckPath"], "/healthz");
    assert_eq!(tg["HealthCheckIntervalSeconds"], 10);
    assert_eq!(tg["TargetGroupAttributes"][0]["Value"], "5");
    let ttg = tf_resource(&tf, "aws_lb_target_group", "web_target_group");
    assert_eq!(ttg["health_check"]["path"], "/healthz");
    assert_eq!(ttg["deregistration_delay"], "5");

    assert_eq!(
        cfn_resource(&cfn, "WebLogs")["Properties"]["LogGroupName"],
        "/custom/web"
    );
    assert_eq!(cfn_resource(&cfn, "WebLogs")["Properties"]["RetentionInDays"], 30);
    let key = "arn:aws:kms:eu-west-2:123456789012:key/0a1b2c3d-0000-4000-8000-0123456789ab";
    assert_eq!(cfn_resource(&cfn, "WebLogs")["Properties"]["KmsKeyId"], key);
    let tlogs = tf_resource(&tf, "aws_cloudwatch_log_group", "web_logs");
    assert_eq!(tlogs["kms_key_id"], key);
    assert_eq!(
        (tlogs["name"].clone(), tlogs["retention_in_days"].clone()),
        (json!("/custom/web"), json!(30))
    );

    let conditions = &cfn_resource(&cfn, "WebListenerRule")["Properties"]["Conditions"];
    assert_eq!(conditions[1]["HostHeaderConfig"]["Values"], json!(["web.example.com"]));
    let tconditions = &tf_resource(&tf, "aws_lb_listener_rule", "web_listener_rule")["condition"];
    assert_eq!(tconditions[1]["host_header"]["values"], json!(["web.example.com"]));
    assert_eq!(
        cfn["Outputs"]["WebRoute"]["Value"],
        "path /web* and host web.example.com"
    );
}

#[test]
fn grants_to_the_task_role_name_only_the_granted_resources() {
    let (mut app, handles) = build(|p| p);
    let stack = &mut app.stacks_mut()[0];
    let table = stack.add("Table", DynamoTable::new("web-items", Key::string("id")));
    let bucket = stack.add("Files", Bucket::new());
    table.grant_read_write(stack, &handles.task_role());
    bucket.grant_read(stack, &handles.task_role());
    let (cfn, _) = synth_one(&app);
    let policies = cfn_resource(&cfn, "WebTaskRole")["Properties"]["Policies"]
        .as_array()
        .unwrap()
        .clone();
    let names: Vec<&str> = policies.iter().map(|p| p["PolicyName"].as_str().unwrap()).collect();
    assert_eq!(names, ["Table-read-write", "Files-read"]);
}

#[test]
fn a_service_without_a_route_is_reported() {
    let mut app = App::new();
    let stack = app.stack("S");
    let repo = stack.add("Repo", EcrRepo::new("web"));
    let placement = placement_in(stack);
    stack.add(
        "Web",
        LoadBalancedFargateService::new("web", placement, Image::EcrTag(repo, "v1".into()), 8080),
    );
    let found = problems(&app);
    assert!(
        found.contains(&("S/Web".to_string(), "pattern-route-required")),
        "{found:?}"
    );
}

#[test]
fn images_by_digest_are_pinned_and_checked() {
    let digest = format!("sha256:{}", "ab".repeat(32));
    let mut app = App::new();
    let stack = app.stack("S");
    let repo = stack.add("Repo", EcrRepo::new("web"));
    let placement = placement_in(stack);
    stack.add(
        "Web",
        LoadBalancedFargateService::new("web", placement, Image::EcrDigest(repo, digest.clone()), 8080)
            .route_paths(1, ["/*"]),
    );
    let (cfn, _) = synth_one(&app);
    let image = &cfn_resource(&cfn, "WebTaskDefinition")["Properties"]["ContainerDefinitions"][0]["Image"];
    assert_eq!(image, &json!({"Fn::Sub": format!("${{Repo.RepositoryUri}}@{digest}")}));

    let mut bad = App::new();
    let stack = bad.stack("S");
    let repo = stack.add("Repo", EcrRepo::new("web"));
    let placement = placement_in(stack);
    stack.add(
        "Web",
        LoadBalancedFargateService::new("web", placement, Image::EcrDigest(repo, "latest".into()), 8080)
            .route_paths(1, ["/*"]),
    );
    assert_eq!(problems(&bad), [("S/Web".to_string(), "pattern-image-digest")]);
}

#[test]
fn in_terraform_the_task_definition_waits_for_its_roles_policies() {
    // CloudFormation inlines role policies in the role; Terraform has separate
    // aws_iam_role_policy resources, which whatever refers to the role waits for.
    let (app, handles) = build(|p| p);
    let mut app = app;
    let stack = &mut app.stacks_mut()[0];
    let table = stack.add("Table", DynamoTable::new("web-items", Key::string("id")));
    table.grant_read(stack, &handles.task_role());
    let (_, tf) = synth_one(&app);
    let td = tf_resource(&tf, "aws_ecs_task_definition", "web_task_definition");
    assert_eq!(
        td["depends_on"],
        json!([
            "aws_iam_role_policy.web_execution_role_pull_image",
            "aws_iam_role_policy.web_execution_role_write_logs",
            "aws_iam_role_policy.web_task_role_table_read"
        ])
    );
}
