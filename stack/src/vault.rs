//! The vault stack: everything `../shared/seed/vault-api-into-fargate.md` builds,
//! with its names and values, made least-privilege where the seed is careless,
//! built on [`LoadBalancedFargateService`] and configured per environment
//! (`stack/environments/<env>.json`, see [`crate::environment`]).
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
//! - The repository scans on push and its tags are immutable. It lives in its
//!   own stack, `VaultImages`, deployed first: the image is pushed to it
//!   (`publish`) before `Vault` deploys, and `Vault` names the image by digest
//!   (its `Image` parameter / `image` variable), so a deploy runs exactly what
//!   was built and a code change always rolls the service.
//! - The log group is created by the stack with finite retention instead of by
//!   the awslogs driver (`awslogs-create-group`), which keeps logs forever.
//! - The service deploys after the listener rule exists, with a circuit breaker
//!   that rolls back a failing deploy, and never below desired capacity.
//! - The task security group admits only the load balancer's security group on
//!   port 80 and sends only HTTPS out.
//! - The vault's data gets a table (on-demand, point-in-time recovery, KMS) and a
//!   bucket (private, encrypted, versioned, TLS only), granted to the task role.

use std::path::PathBuf;

use constructs::dynamodb::{DynamoTable, Key};
use constructs::ecs::EcsCluster;
use constructs::prelude::*;

use crate::environment::{self, Environment};

/// The stack holding the image repository; deployed before [`STACK`].
pub const IMAGES_STACK: &str = "VaultImages";
/// The stack running the service.
pub const STACK: &str = "Vault";
/// The service's image: built from this workspace crate.
pub const SERVICE_CRATE: &str = "vault-api";
/// The port the image listens on by default (the vault's task sets `PORT`).
pub const IMAGE_PORT: u16 = 8080;

/// The table's partition key. The service states its expectations in
/// `vault_api::table`; depending on that crate here would pull the AWS SDK into
/// the synth path, so `tests/table_schema.rs` proves the two equal instead.
pub const TABLE_PARTITION_KEY: &str = "id";
pub const TABLE_NAME: &str = "vault-api-items";
pub const SERVICE_NAME: &str = "vault-api";
pub const CONTAINER_PORT: u16 = 80;
/// The environment `cargo run -p stack -- synth` builds when `--env` is not given.
pub const DEFAULT_ENVIRONMENT: &str = "dev";

/// Where the vault stack's environment files live (`stack/environments`).
pub fn environments_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/environments"))
}

/// The vault app for the environment file `name` in [`environments_dir`].
pub fn app_for_environment(name: &str) -> Result<App, Vec<environment::EnvironmentError>> {
    let env: Environment = environment::load(&environments_dir(), name)?;
    Ok(app(name, &env))
}

/// The vault app for one environment.
pub fn app(_name: &str, env: &Environment) -> App {
    let mut app = App::new();

    // Image repository, in a stack deployed before the service's: keep the
    // last 5 `v`-tagged images, as the seed does. `publish` tags each push
    // `v<version>-<short digest>`, so every push counts and no tag is reused.
    let images = app.stack(IMAGES_STACK);
    images.set_description("vault-api image repository; deployed before Vault, which runs the image by digest");
    images.set_region(&env.region).set_account(&env.account);
    images.add_tag("service", SERVICE_NAME);
    let repo = images.add(
        "Repository",
        EcrRepo::new(SERVICE_NAME).lifecycle_rule(
            LifecycleRule::keep_last(1, TagSelection::tagged(["v"]), 5).description("Keep last 5 images"),
        ),
    );
    images.output("RepositoryUri", repo.uri(), "Where publish pushes vault-api images");

    let stack = app.stack(STACK);
    stack.set_description("vault-api on ECS Fargate behind the private load balancer's /vault* rule");
    stack.set_region(&env.region).set_account(&env.account);
    stack.add_tag("service", SERVICE_NAME);

    let network = env.add_lookups(stack);

    // The service's image, built from the vault-api crate by `publish`, which
    // bakes its version into ApplicationVersion (reported by GET /vault).
    let image = stack.add(
        "Image",
        ImageAsset::from_crate(SERVICE_CRATE)
            .repository(SERVICE_NAME)
            .port(IMAGE_PORT)
            .env("PORT", &IMAGE_PORT.to_string())
            .version_env("ApplicationVersion"),
    );
    let table = stack.add("Items", DynamoTable::new(TABLE_NAME, Key::string(TABLE_PARTITION_KEY)));
    let bucket = stack.add("Objects", Bucket::new());
    let cluster = stack.add("Cluster", EcsCluster::new().name("fargate-cluster"));

    let placement = Placement {
        vpc: network.vpc.id().into(),
        subnets: network.subnets.ids().into(),
        listener: network.listener.arn().into(),
        load_balancer_security_group: network.load_balancer_security_group.id().into(),
        cluster: cluster.arn().into(),
    };
    let service = LoadBalancedFargateService::new(SERVICE_NAME, placement, Image::Asset(image), CONTAINER_PORT)
        .route_paths(1, ["/vault*"])
        .desired_count(env.desired_count)
        // The seed's health check: GET /vault on port 80, 5 healthy / 2 unhealthy, every 30 s.
        .health_check(
            HealthCheck::at("/vault")
                .port(CONTAINER_PORT)
                .healthy_threshold(5)
                .unhealthy_threshold(2)
                .timeout_secs(5)
                .interval_secs(30)
                .matcher("200"),
        )
        .health_check_grace_period_secs(30)
        .log_group_name("ecs/fargate/ditto-vault")
        .env("PORT", CONTAINER_PORT.to_string())
        .env("VAULT_TABLE", table.name().text())
        .env("VAULT_BUCKET", bucket.name().text())
        // The image runs as a non-root user; let it bind the seed's port 80.
        .customize_container(|c| c.unprivileged_ports_from(CONTAINER_PORT))
        .add_to(stack, "Api");

    table.grant_read_write(stack, &service.task_role());
    bucket.grant_read_write(stack, &service.task_role());

    stack.output(
        "Image",
        image.reference(),
        "The vault-api image the service runs, by digest",
    );
    stack.output("TableName", table.name(), "DynamoDB table holding the vault's items");
    stack.output("BucketName", bucket.name(), "S3 bucket holding the vault's objects");
    app
}
