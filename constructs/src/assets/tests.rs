use super::*;
use crate::patterns::{Image, LoadBalancedFargateService, Placement};
use crate::testing::{cfn_resource, problems, synth_one};
use crate::{App, Backend};
use serde_json::json;

fn placement() -> Placement {
    Placement {
        vpc: "vpc-0123456789abcdef0".into(),
        subnets: vec!["subnet-0123456789abcdef0"].into(),
        listener: "arn:aws:elasticloadbalancing:eu-west-2:123456789012:listener/app/lb/1/2".into(),
        load_balancer_security_group: "sg-0123456789abcdef0".into(),
        cluster: "arn:aws:ecs:eu-west-2:123456789012:cluster/c".into(),
    }
}

/// A repository stack and a service stack using an asset pushed to it.
fn two_stacks(asset: ImageAsset) -> App {
    let mut app = App::new();
    let images = app.stack("Images");
    images.set_account("123456789012").set_region("eu-west-2");
    images.add("Repository", EcrRepo::new("vault-api"));
    let stack = app.stack("Service");
    stack.set_account("123456789012").set_region("eu-west-2");
    let image = stack.add("Image", asset);
    stack.add(
        "Api",
        LoadBalancedFargateService::new("vault-api", placement(), Image::Asset(image), 8080)
            .route_paths(1, ["/vault*"]),
    );
    app
}

#[test]
fn an_asset_is_a_digest_input_in_both_backends() {
    let mut app = App::new();
    let stack = app.stack("S");
    let image = stack.add("Image", ImageAsset::from_crate("vault-api"));
    stack.output("ImageRef", image.reference(), "the image");
    let (cfn, tf) = synth_one(&app);
    assert_eq!(
        cfn["Parameters"]["Image"],
        json!({
            "Type": "String",
            "Description": "Image of vault-api (vault-api) by digest: <registry>/vault-api@sha256:<digest>, printed by publish",
            "AllowedPattern": DIGEST_REFERENCE_PATTERN
        })
    );
    assert_eq!(cfn["Outputs"]["ImageRef"]["Value"], json!({"Ref": "Image"}));
    assert_eq!(tf["variable"]["image"]["type"], "string");
    assert_eq!(tf["output"]["image_ref"]["value"], "${var.image}");
}

#[test]
fn the_service_runs_the_asset_by_reference_and_pulls_only_from_its_repository() {
    let app = two_stacks(ImageAsset::from_crate("vault-api").port(8080));
    let files = crate::synth(&app, &Backend::ALL).unwrap();
    let cfn: serde_json::Value = serde_json::from_str(&files[2].text).unwrap();
    let task = cfn_resource(&cfn, "ApiTaskDefinition");
    assert_eq!(
        task["Properties"]["ContainerDefinitions"][0]["Image"],
        json!({"Ref": "Image"})
    );
    let role = cfn_resource(&cfn, "ApiExecutionRole");
    let pull = &role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0];
    assert_eq!(
        pull["Resource"],
        json!([{"Fn::Sub": "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/vault-api"}])
    );
    let tf: serde_json::Value = serde_json::from_str(&files[3].text).unwrap();
    // A document referring to a variable is written with jsonencode.
    let defs = tf["resource"]["aws_ecs_task_definition"]["api_task_definition"]["container_definitions"]
        .as_str()
        .unwrap();
    assert!(defs.contains(r#""image" = var.image,"#), "{defs}");
}

#[test]
fn the_manifest_says_what_to_build_and_where_it_goes() {
    let app = two_stacks(
        ImageAsset::from_crate("vault-api")
            .port(8080)
            .env("VAULT_DATA_DIR", "/tmp/vault-data")
            .version_env("ApplicationVersion"),
    );
    let m = manifest(&app).unwrap();
    assert_eq!(m.version, ASSET_MANIFEST_VERSION);
    let e = &m.images[0];
    assert_eq!(
        serde_json::to_value(e).unwrap(),
        json!({
            "id": "Service/Image",
            "stack": "Service",
            "account": "123456789012",
            "region": "eu-west-2",
            "crate": "vault-api",
            "binary": "vault-api",
            "repository": "vault-api",
            "repository_stack": "Images",
            "cloudformation_parameter": "Image",
            "terraform_variable": "image",
            "image": {
                "entrypoint": ["/usr/local/bin/vault-api"],
                "user": 65532,
                "port": 8080,
                "env": {"VAULT_DATA_DIR": "/tmp/vault-data"},
                "version_env": "ApplicationVersion",
                "stop_signal": "SIGTERM"
            }
        })
    );
    assert_eq!(m.repository_stacks(), ["Images"]);
    let text = serde_json::to_string(&m).unwrap();
    assert_eq!(serde_json::from_str::<AssetManifest>(&text).unwrap(), m);
}

#[test]
fn an_undeclared_repository_must_exist_already() {
    let mut app = App::new();
    app.stack("S").add(
        "Image",
        ImageAsset::from_crate("api").binary("server").repository("team/api"),
    );
    let e = &manifest(&app).unwrap().images[0];
    assert_eq!((e.binary.as_str(), e.repository.as_str()), ("server", "team/api"));
    assert_eq!(e.repository_stack, None);
    assert_eq!(e.image.entrypoint, ["/usr/local/bin/server"]);
}

#[test]
fn a_repository_in_the_same_stack_cannot_be_pushed_to_before_the_stack_deploys() {
    let mut app = App::new();
    let stack = app.stack("S");
    stack.add("Repository", EcrRepo::new("api"));
    stack.add("Image", ImageAsset::from_crate("api"));
    assert_eq!(
        problems(&app),
        [("S/Image".to_string(), "image-asset-repository-stack")]
    );
    let err = manifest(&app).unwrap_err();
    assert!(
        err.to_string().contains("declare the repository in its own stack"),
        "{err}"
    );
}

#[test]
fn a_repository_in_another_account_or_region_is_refused() {
    let mut app = App::new();
    app.stack("Images")
        .set_region("us-east-1")
        .add("Repository", EcrRepo::new("api"));
    app.stack("S")
        .set_region("eu-west-2")
        .add("Image", ImageAsset::from_crate("api"));
    assert_eq!(
        problems(&app),
        [("S/Image".to_string(), "image-asset-repository-stack")]
    );
}

#[test]
fn a_stack_holding_a_repository_cannot_run_an_asset_itself() {
    // Repository stacks deploy before any image is pushed, so an image they
    // ran could not exist yet.
    let mut app = App::new();
    let a = app.stack("A");
    a.add("Repository", EcrRepo::new("api"));
    a.add("Image", ImageAsset::from_crate("worker"));
    let b = app.stack("B");
    b.add("Repository", EcrRepo::new("worker"));
    b.add("Image", ImageAsset::from_crate("api"));
    let found = problems(&app);
    assert_eq!(
        found,
        [
            ("A/Image".to_string(), "image-asset-repository-stack"),
            ("B/Image".to_string(), "image-asset-repository-stack")
        ]
    );
    let err = manifest(&app).unwrap_err().to_string();
    assert!(
        err.contains("stack A holds the repository of B/Image, so it deploys before images are pushed"),
        "{err}"
    );
}

#[test]
fn invalid_names_ports_users_and_env_are_reported() {
    let mut app = App::new();
    let stack = app.stack("S");
    stack.add(
        "Image",
        ImageAsset::from_crate("no spaces")
            .binary("")
            .repository("Upper")
            .port(0)
            .user(0)
            .env("A-B", "x")
            .env("OK", "1")
            .env("OK", "2"),
    );
    let rules: Vec<&str> = problems(&app).into_iter().map(|(_, r)| r).collect();
    assert_eq!(
        rules,
        [
            "image-asset-crate-name",
            "image-asset-binary-name",
            "ecr-repo-name",
            "image-asset-port",
            "image-asset-root-user",
            "image-asset-env-name",
            "image-asset-env-name",
        ]
    );
}

#[test]
fn an_asset_of_another_stack_is_a_problem_for_the_pattern() {
    let mut app = App::new();
    let image = app.stack("A").add("Image", ImageAsset::from_crate("api"));
    app.stack("B").add(
        "Api",
        LoadBalancedFargateService::new("api", placement(), Image::Asset(image), 8080).route_paths(1, ["/api*"]),
    );
    assert!(
        problems(&app).contains(&("B/Api".to_string(), "foreign-handle")),
        "{:?}",
        problems(&app)
    );
}
