//! The vault stack against a `moto_server` on loopback, with the seed's network
//! created first (`tests/moto/network.py`):
//! - in deploy order: `VaultImages` (the repository) deploys; vault-api is
//!   published through the ECR path (GetAuthorizationToken, DescribeRepositories,
//!   PutImage on moto; the blobs to a local `docker-registry` standing in for
//!   ECR's registry endpoint, which moto lacks); then `Vault` deploys with the
//!   published reference, reaches CREATE_COMPLETE, and its task definition names
//!   the image by digest. What moto's CloudFormation drops from an ECS service
//!   (LoadBalancers, LaunchType, deployment settings) is asserted on the
//!   template instead. The deploys are driven by `tests/moto/deploy.py` (boto3);
//! - its Terraform module plans: every lookup (VPC by Name tag, subnets by tag,
//!   load balancer by name, listener by port, security group by name) resolves to
//!   the resources created. (`terraform apply` is not attempted: the AWS provider
//!   5.100 crashes creating `aws_ecs_service` against moto.)

mod support;

use std::path::Path;
use std::process::Command;

use constructs::{synth, Artifact, Backend};
use serde_json::Value as Json;
use stack::tools::{self, MotoServer, Tool};
use support::images::*;

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

/// Runs deploy.py for one template; its JSON report.
fn deploy(python: &Tool, endpoint: &str, dir: &Path, stack: &str, parameters: &[String]) -> Json {
    let text = artifact(stack, Backend::CloudFormation).text;
    let path = dir.join(format!("{stack}.template.json"));
    std::fs::write(&path, text).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/moto/deploy.py");
    let out = Command::new(&python.path)
        .args([script, endpoint, path.to_str().unwrap(), stack])
        .args(parameters)
        .output()
        .expect("deploy.py runs");
    assert!(
        out.status.success(),
        "deploy.py failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Json = serde_json::from_slice(&out.stdout).expect("deploy.py prints JSON");
    assert_eq!(
        report["status"], "CREATE_COMPLETE",
        "stack {stack} failed: {}",
        report["status_reason"]
    );
    report
}

/// AWS configuration for moto: test credentials, the dev region.
fn moto_config(endpoint: &str) -> assets::aws_config::SdkConfig {
    use assets::aws_config;
    block_on(
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(aws_config::Region::new("eu-west-2"))
            .credentials_provider(assets::aws_sdk_ecr::config::Credentials::new(
                "testing", "testing", None, None, "tests",
            ))
            .load(),
    )
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
fn vault_stack_deploys_to_moto_and_creates_the_service_and_listener_rule() {
    let Some(moto) = tools::require(tools::moto_server(), "moto deploy") else {
        return;
    };
    let Some(python) = tools::require(tools::python_with_boto3(), "moto deploy") else {
        return;
    };
    let Some(registry_tool) = registry_tool("moto deploy with a published image") else {
        return;
    };
    let server = MotoServer::start(&moto).expect("moto_server starts");
    let dir = tempfile::tempdir().unwrap();

    // 1. The repository's stack.
    let images = deploy(&python, &server.endpoint, dir.path(), stack::vault::IMAGES_STACK, &[]);
    assert_eq!(images["resources"]["Repository"]["type"], "AWS::ECR::Repository");

    // 2. Publish vault-api: ECR's API on moto, the blobs to a local registry.
    let registry = LocalRegistry::start(&registry_tool, None);
    let options = assets::PublishOptions {
        aws: Some(moto_config(&server.endpoint)),
        ecr_registry_endpoint: Some(registry.endpoint()),
        ..vault_options()
    };
    let manifest = vault_manifest();
    let published = block_on(assets::publish(&manifest, &options)).unwrap_or_else(|e| panic!("{e}"));
    let image = &published[0];
    assert_eq!(image.cloudformation_parameter, "Image");
    assert_eq!(
        image.reference,
        format!(
            "123456789012.dkr.ecr.eu-west-2.amazonaws.com/vault-api@{}",
            image.digest
        )
    );
    assert!(image.tagged, "PutImage recorded the manifest");
    // ECR describes the image under its tag, by digest.
    let ecr = assets::aws_sdk_ecr::Client::new(&moto_config(&server.endpoint));
    let described = block_on(
        ecr.describe_images()
            .repository_name("vault-api")
            .image_ids(
                assets::aws_sdk_ecr::types::ImageIdentifier::builder()
                    .image_tag(&image.tag)
                    .build(),
            )
            .send(),
    )
    .unwrap();
    assert_eq!(described.image_details()[0].image_digest(), Some(image.digest.as_str()));
    // Published again: nothing to upload, the tag already names it.
    let again = block_on(assets::publish(&manifest, &options)).unwrap();
    assert!(!again[0].pushed_anything(), "{:?}", again[0]);

    // 3. The service's stack, naming the image by digest.
    let report = deploy(
        &python,
        &server.endpoint,
        dir.path(),
        stack::vault::STACK,
        &[format!("{}={}", image.cloudformation_parameter, image.reference)],
    );
    let definitions = report["task_definitions"].as_object().unwrap();
    assert_eq!(definitions.len(), 1);
    let container = &definitions.values().next().unwrap()["containerDefinitions"][0];
    assert_eq!(
        container["image"],
        image.reference.as_str(),
        "the task runs the image by digest"
    );

    // The ECS service, as the ECS API describes it.
    let services = report["services"].as_array().unwrap();
    assert_eq!(services.len(), 1, "{services:?}");
    assert_eq!(services[0]["serviceName"], "vault-api");
    assert_eq!(services[0]["desiredCount"], 2);

    // The listener has the /vault* rule at priority 1, forwarding to an IP target group.
    let rules = report["rules"].as_array().unwrap();
    let rule = rules
        .iter()
        .find(|r| r["Priority"] == "1")
        .unwrap_or_else(|| panic!("no priority-1 rule: {rules:?}"));
    assert_eq!(rule["Conditions"][0]["Field"], "path-pattern");
    let values = &rule["Conditions"][0]["PathPatternConfig"]["Values"];
    let values = if values.is_null() {
        &rule["Conditions"][0]["Values"]
    } else {
        values
    };
    assert_eq!(values[0], "/vault*");
    assert_eq!(rule["Actions"][0]["Type"], "forward");
    let tg_arn = rule["Actions"][0]["TargetGroupArn"].as_str().unwrap();
    let tg = report["target_groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["TargetGroupArn"] == tg_arn)
        .unwrap();
    assert_eq!(tg["TargetType"], "ip");
    assert_eq!(tg["TargetGroupName"], "vault-api");
    assert_eq!(tg["HealthCheckPath"], "/vault");

    // The task role's policies name only the table's and the bucket's ARNs.
    let resources = &report["resources"];
    let physical = |logical: &str| {
        resources[logical]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no {logical}"))
            .to_string()
    };
    let table = format!("arn:aws:dynamodb:eu-west-2:123456789012:table/{}", physical("Items"));
    let bucket = format!("arn:aws:s3:::{}", physical("Objects"));
    let allowed = [
        table.clone(),
        format!("{table}/index/*"),
        bucket.clone(),
        format!("{bucket}/*"),
    ];
    let policies = report["role_policies"][physical("ApiTaskRole")]
        .as_object()
        .expect("task role policies");
    assert_eq!(
        policies.keys().collect::<Vec<_>>(),
        ["Items-read-write", "Objects-read-write"]
    );
    let mut named: Vec<String> = Vec::new();
    for doc in policies.values() {
        for statement in doc["Statement"].as_array().unwrap() {
            assert_eq!(statement["Effect"], "Allow");
            for r in statement["Resource"].as_array().unwrap() {
                named.push(r.as_str().unwrap().to_string());
            }
        }
    }
    named.sort();
    let mut expected = allowed.to_vec();
    expected.sort();
    assert_eq!(
        named, expected,
        "the task role reaches exactly the table (and its indexes) and the bucket (and its objects)"
    );
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
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/moto/network.py");
    let out = Command::new(&python.path)
        .args([script, &server.endpoint])
        .output()
        .expect("network.py runs");
    assert!(
        out.status.success(),
        "network.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let network: Json = serde_json::from_slice(&out.stdout).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let cfg = tools::TerraformConfig::new(dir.path()).unwrap();
    let module = dir.path().join("module");
    std::fs::create_dir_all(&module).unwrap();
    let vault = artifact(stack::vault::STACK, Backend::Terraform);
    std::fs::write(module.join("main.tf.json"), &vault.text).unwrap();
    // Point the provider at moto; Terraform merges override files into the module.
    let endpoints: serde_json::Map<String, Json> =
        ["ec2", "elbv2", "ecs", "iam", "ecr", "dynamodb", "s3", "logs", "sts"]
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
