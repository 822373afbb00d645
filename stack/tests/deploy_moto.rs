//! The vault stack against a `moto_server` on loopback, with the seed's network
//! created first (`tests/moto/network.py`):
//! - what moto's CloudFormation drops from an ECS service (LoadBalancers,
//!   LaunchType, deployment settings) is asserted on the template (the deploy
//!   itself is in `deploy_cli_moto.rs`);
//! - its Terraform module plans: every lookup (VPC by Name tag, subnets by tag,
//!   load balancer by name, listener by port, security group by name) resolves to
//!   the resources created (`deploy_cli_moto.rs` runs the same plan through
//!   `diff --target terraform`). (`terraform apply` is not attempted: the AWS provider 5.100 crashes
//!   creating `aws_ecs_service` against moto.)

use constructs::{synth, Artifact, Backend};
use serde_json::Value as Json;
use stack::tools::{self, MotoServer};

mod moto;

/// The vault app's file for one stack and backend.
fn artifact(stack: &str, backend: Backend) -> Artifact {
    synth(&stack::vault::app_for_environment("dev").unwrap(), &[backend])
        .expect("vault stack synthesizes")
        .into_iter()
        .find(|a| a.stack == stack)
        .unwrap_or_else(|| panic!("no stack {stack}"))
}

fn template() -> (String, Json) {
    let text = artifact(stack::vault::STACK, Backend::CloudFormation).text;
    let json = serde_json::from_str(&text).unwrap();
    (text, json)
}

fn resources_of_type<'a>(template: &'a Json, type_name: &str) -> Vec<(&'a String, &'a Json)> {
    template["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == type_name)
        .collect()
}

#[test]
fn vault_service_settings_moto_ignores_are_in_the_template() {
    let (_, t) = template();
    let services = resources_of_type(&t, "AWS::ECS::Service");
    assert_eq!(services.len(), 1);
    let (_, svc) = services[0];
    let p = &svc["Properties"];
    assert_eq!(p["LaunchType"], "FARGATE");
    assert_eq!(p["DesiredCount"], 2);
    assert_eq!(p["HealthCheckGracePeriodSeconds"], 30);
    assert_eq!(
        p["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"],
        "DISABLED"
    );
    assert_eq!(p["LoadBalancers"][0]["ContainerName"], "vault-api");
    assert_eq!(p["LoadBalancers"][0]["ContainerPort"], 80);
    assert_eq!(
        p["DeploymentConfiguration"],
        serde_json::json!({"MinimumHealthyPercent": 100, "MaximumPercent": 200, "DeploymentCircuitBreaker": {"Enable": true, "Rollback": true}})
    );
    let rule_ids: Vec<&String> = resources_of_type(&t, "AWS::ElasticLoadBalancingV2::ListenerRule")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(rule_ids.len(), 1);
    assert!(
        svc["DependsOn"]
            .as_array()
            .is_some_and(|d| d.iter().any(|x| x == rule_ids[0].as_str())),
        "the service must depend on the listener rule: {svc}"
    );
    let tg = resources_of_type(&t, "AWS::ElasticLoadBalancingV2::TargetGroup");
    assert_eq!(
        p["LoadBalancers"][0]["TargetGroupArn"],
        serde_json::json!({"Ref": tg[0].0})
    );
}

#[test]
fn vault_terraform_module_plans_against_moto_with_every_lookup_resolved() {
    let Some(moto) = tools::require(tools::moto_server(), "terraform plan on moto") else {
        return;
    };
    let Some(python) = tools::require(tools::python_with_boto3(), "terraform plan on moto") else {
        return;
    };
    let Some(terraform) = tools::require(tools::terraform(), "terraform plan on moto") else {
        return;
    };
    let server = MotoServer::start(&moto).expect("moto_server starts");
    let network = moto::create_network(&python, &server.endpoint);

    let dir = tempfile::tempdir().unwrap();
    let cfg = tools::TerraformConfig::new(dir.path()).unwrap();
    let module = dir.path().join("module");
    std::fs::create_dir_all(&module).unwrap();
    let vault = artifact(stack::vault::STACK, Backend::Terraform);
    std::fs::write(module.join("main.tf.json"), &vault.text).unwrap();
    // Point the provider at moto; Terraform merges override files into the module.
    let endpoints: serde_json::Map<String, Json> = [
        "ec2", "elbv2", "ecs", "iam", "ecr", "dynamodb", "s3", "logs", "kms", "sts",
    ]
    .into_iter()
    .map(|service| (service.to_string(), Json::String(server.endpoint.clone())))
    .collect();
    let provider = serde_json::json!({"provider": {"aws": {
        "access_key": "testing",
        "secret_key": "testing",
        "skip_credentials_validation": true,
        "skip_metadata_api_check": true,
        "s3_use_path_style": true,
        "endpoints": endpoints
    }}});
    std::fs::write(module.join("override.tf.json"), provider.to_string()).unwrap();

    let run = |args: &[&str]| tools::run_terraform(&terraform, &cfg, &module, args).unwrap_or_else(|e| panic!("{e}"));
    run(&["init", "-backend=false", "-input=false", "-no-color"]);
    // The image reference deploy passes after publishing (any digest plans).
    let image = format!(
        "-var=image=123456789012.dkr.ecr.eu-west-2.amazonaws.com/vault-api@sha256:{}",
        "0".repeat(64)
    );
    run(&[
        "plan",
        "-input=false",
        "-no-color",
        "-lock=false",
        &image,
        "-out=plan.bin",
    ]);
    let plan: Json = serde_json::from_str(&run(&["show", "-json", "plan.bin"])).expect("plan JSON");

    // Every resource is planned for creation.
    let creates = plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["mode"] == "managed" && c["change"]["actions"] == serde_json::json!(["create"]))
        .count();
    assert_eq!(creates, vault.resource_count);

    // The lookups resolved to what network.py created.
    let data = |address: &str| -> Json {
        plan["prior_state"]["values"]["root_module"]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["address"] == address)
            .unwrap_or_else(|| panic!("no {address} in the plan's prior state"))["values"]
            .clone()
    };
    assert_eq!(data("data.aws_vpc.vpc")["id"], network["vpc"]);
    let mut subnets: Vec<String> = data("data.aws_subnets.private_subnets")["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    subnets.sort();
    let mut expected: Vec<String> = network["subnets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    expected.sort();
    assert_eq!(subnets, expected);
    assert_eq!(data("data.aws_lb.private_lb")["arn"], network["lb_arn"]);
    assert_eq!(
        data("data.aws_lb_listener.private_listener")["arn"],
        network["listener_arn"]
    );
    assert_eq!(
        data("data.aws_security_group.private_lb_security_group")["id"],
        network["lb_security_group"]
    );
}
