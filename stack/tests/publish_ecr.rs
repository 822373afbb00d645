//! Publishing to ECR, against `moto_server` on loopback. moto has ECR's API
//! (GetAuthorizationToken, DescribeRepositories, DescribeImages, PutImage)
//! but no registry endpoint, so the blobs go to a local `docker-registry`
//! standing in for it (`PublishOptions::ecr_registry_endpoint`); everything
//! else is the path `publish` takes against real ECR.

mod support;

use assets::aws_sdk_ecr;
use assets::{publish, PublishOptions};
use stack::tools::{self, MotoServer};
use support::images::*;

fn moto_client(endpoint: &str) -> (assets::aws_config::SdkConfig, aws_sdk_ecr::Client) {
    use assets::aws_config;
    let config = block_on(
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(aws_config::Region::new("eu-west-2"))
            .credentials_provider(aws_sdk_ecr::config::Credentials::new(
                "testing", "testing", None, None, "tests",
            ))
            .load(),
    );
    let client = aws_sdk_ecr::Client::new(&config);
    (config, client)
}

/// moto and a local registry, or `None` when a tool is missing outside CI.
fn services(check: &str) -> Option<(MotoServer, LocalRegistry)> {
    let moto = tools::require(tools::moto_server(), check)?;
    let registry = registry_tool(check)?;
    Some((
        MotoServer::start(&moto).expect("moto_server starts"),
        LocalRegistry::start(&registry, None),
    ))
}

fn ecr_options(moto: &MotoServer, registry: &LocalRegistry) -> PublishOptions {
    let (config, _) = moto_client(&moto.endpoint);
    PublishOptions {
        registry: None,
        aws: Some(config),
        ecr_registry_endpoint: Some(registry.endpoint()),
        ..fixture_options(registry, None)
    }
}

#[test]
fn get_authorization_token_gives_the_registry_and_basic_credentials() {
    let Some(moto) = tools::require(tools::moto_server(), "ECR login on moto") else {
        return;
    };
    let server = MotoServer::start(&moto).expect("moto_server starts");
    let (_, client) = moto_client(&server.endpoint);
    let login = block_on(assets::ecr::login(&client)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(login.endpoint, "https://123456789012.dkr.ecr.eu-west-2.amazonaws.com");
    assert_eq!(login.account, "123456789012");
    assert_eq!(login.credentials.username, "AWS");
    assert!(!login.credentials.password.is_empty());
}

#[test]
fn an_image_is_published_to_ecr_recorded_with_put_image_and_not_pushed_twice() {
    let Some((moto, registry)) = services("ECR publish on moto") else {
        return;
    };
    let (_, client) = moto_client(&moto.endpoint);
    block_on(client.create_repository().repository_name("fixture").send()).unwrap();
    let manifest = fixture_manifest("fixture");
    let options = ecr_options(&moto, &registry);

    let first = block_on(publish(&manifest, &options)).unwrap_or_else(|e| panic!("{e}"));
    let p = &first[0];
    assert_eq!(
        p.reference,
        format!("123456789012.dkr.ecr.eu-west-2.amazonaws.com/fixture@{}", p.digest)
    );
    assert!(p.tagged && p.uploaded.len() == 2, "{p:?}");
    let described = block_on(
        client
            .describe_images()
            .repository_name("fixture")
            .image_ids(aws_sdk_ecr::types::ImageIdentifier::builder().image_tag(&p.tag).build())
            .send(),
    )
    .unwrap();
    assert_eq!(described.image_details()[0].image_digest(), Some(p.digest.as_str()));

    let second = block_on(publish(&manifest, &options)).unwrap();
    assert!(!second[0].pushed_anything(), "{:?}", second[0]);
}

#[test]
fn a_missing_repository_is_refused_before_anything_is_uploaded() {
    let Some((moto, registry)) = services("ECR missing repository") else {
        return;
    };
    let err = block_on(publish(&fixture_manifest("fixture"), &ecr_options(&moto, &registry)))
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "Fixture/Image: the ECR repository fixture does not exist in account 123456789012 region eu-west-2; deploy the stack that declares it first"
    );
    let repo = assets::registry::Repository::new(&registry.endpoint(), "fixture", None).unwrap();
    let layers = block_on(repo.manifest_digest("latest")).unwrap();
    assert_eq!(layers, None);
}

#[test]
fn credentials_of_another_account_are_refused() {
    let Some((moto, registry)) = services("ECR wrong account") else {
        return;
    };
    let mut manifest = fixture_manifest("fixture");
    manifest.images[0].account = Some("111122223333".into());
    let err = block_on(publish(&manifest, &ecr_options(&moto, &registry)))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("the AWS credentials are for account 123456789012, but the images go to account 111122223333"),
        "{err}"
    );
}

#[test]
fn a_stack_without_account_or_region_needs_a_registry() {
    let mut manifest = fixture_manifest("fixture");
    manifest.images[0].region = None;
    let (dir, manifest_path) = fixture();
    let options = PublishOptions {
        manifest_path: Some(manifest_path.clone()),
        target_dir: Some(dir.path().join("target")),
        ..PublishOptions::default()
    };
    let err = block_on(publish(&manifest, &options)).unwrap_err().to_string();
    assert!(
        err.starts_with("Fixture/Image: stack Fixture sets no account and region") && err.contains("--registry"),
        "{err}"
    );
}
