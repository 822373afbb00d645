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
//! - The vault's data gets a table (on-demand, point-in-time recovery) and a
//!   bucket (private, versioned with a lifecycle, TLS only), granted to the
//!   task role. Both are declared sensitive and, with the log group, encrypted
//!   with one customer-managed KMS key whose policy lets only those services
//!   use it; the grants include the key use the task role needs. The image
//!   repository, in `VaultImages`, has a key of its own that only ECR may use.
//! - What checkov flags beyond that is suppressed with a written reason
//!   ([`OBJECTS_SCANNER_EXCEPTIONS`], [`HTTP_TO_TASKS`],
//!   [`REFERENCED_GROUP_FALSE_POSITIVE`]): CloudFormation fails no check; in
//!   Terraform JSON only these skips count as failed, because checkov's
//!   `terraform_json` runner reads no skip (see `docs/checks.md`).

use std::path::{Path, PathBuf};
use std::time::Duration;

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

/// checkov checks the bucket fails on purpose, each with the reason a reviewer
/// reads next to the bucket in both outputs.
pub const OBJECTS_SCANNER_EXCEPTIONS: [(&str, &str); 3] = [
    (
        "CKV_AWS_18",
        "no server access logs: S3 delivers them best-effort, and the log bucket could not use the customer key (log delivery writes SSE-S3 only) and would need this same exception; audit object access with CloudTrail S3 data events on the account's trail",
    ),
    (
        "CKV2_AWS_62",
        "no event notifications: nothing consumes object events; the service itself records what it writes",
    ),
    (
        "CKV_AWS_144",
        "no cross-region replication: a single-region service; versioning (90 days of old versions) covers overwrites and deletes, and a second region is a disaster-recovery decision with its own cost",
    ),
];

/// Why the service's target group speaks HTTP (checkov CKV_AWS_378).
pub const HTTP_TO_TASKS: &str = "HTTP to the tasks by design: TLS ends at the private load balancer's HTTPS listener (a lookup, which checkov cannot see), and the hop to the task stays in the VPC, admitted only from the load balancer's security group";

/// Why the task security group's port-80 rule is not open to the world
/// (checkov CKV_AWS_260, a false positive on the Terraform rule resource).
pub const REFERENCED_GROUP_FALSE_POSITIVE: &str = "false positive in the Terraform output: the port-80 rule's source is the load balancer's security group (referenced_security_group_id), which checkov reads as no source at all";

/// Where the vault stack's environment files live, relative to the checkout
/// (found at run time, see [`environment::find_dir`]).
pub const ENVIRONMENTS_DIR: &str = "stack/environments";

/// The vault stack's environment directory in the checkout the command runs in.
pub fn environments_dir() -> Result<PathBuf, String> {
    environment::find_dir(Path::new(ENVIRONMENTS_DIR))
}

/// The vault app for the environment file `name` in [`environments_dir`].
pub fn app_for_environment(name: &str) -> Result<App, Vec<environment::EnvironmentError>> {
    let dir = environments_dir().map_err(|message| {
        vec![environment::EnvironmentError {
            file: PathBuf::from(ENVIRONMENTS_DIR),
            field: String::new(),
            message,
        }]
    })?;
    let env: Environment = environment::load(&dir, name)?;
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
    // The images get a customer-managed key of their own: the vault's data
    // key lives in the Vault stack, which a stack deployed before it cannot
    // refer to (references across stacks are rejected).
    let images_key = images.add(
        "ImagesKey",
        KmsKey::new("vault-api: container images").usable_by([KeyUser::Ecr]),
    );
    let repo = images.add(
        "Repository",
        EcrRepo::new(SERVICE_NAME).kms_key(images_key.arn()).lifecycle_rule(
            LifecycleRule::keep_last(1, TagSelection::tagged(["v"]), 5).description("Keep last 5 images"),
        ),
    );
    images.output("RepositoryUri", repo.uri(), "Where publish pushes vault-api images");

    let stack = app.stack(STACK);
    stack.set_description("vault-api on ECS Fargate behind the private load balancer's /vault* rule");
    stack.set_region(&env.region).set_account(&env.account);
    stack.add_tag("service", SERVICE_NAME);

    let network = env.add_lookups(stack);

    // One customer-managed key for everything the vault stores: its policy
    // lets the table, bucket and log group use it, and nobody decrypt
    // outside them.
    let key = stack.add(
        "DataKey",
        KmsKey::new("vault-api: items, objects and logs").usable_by([
            KeyUser::DynamoDb,
            KeyUser::S3,
            KeyUser::CloudWatchLogs,
        ]),
    );

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
    let table = stack.add(
        "Items",
        DynamoTable::new(TABLE_NAME, Key::string(TABLE_PARTITION_KEY))
            .kms_key(key.arn())
            .sensitive(),
    );
    let bucket = stack.add("Objects", Bucket::new().kms_key(key.arn()).sensitive());
    for (id, reason) in OBJECTS_SCANNER_EXCEPTIONS {
        stack.suppress(&bucket, id, reason);
    }
    let cluster = stack.add("Cluster", EcsCluster::new().name("fargate-cluster"));

    let placement = Placement::new(
        network.vpc.id(),
        network.subnets.ids(),
        network.listener.arn(),
        network.load_balancer_security_group.id(),
        cluster.arn(),
    );
    let pattern = LoadBalancedFargateService::new(SERVICE_NAME, placement, Image::Asset(image), CONTAINER_PORT)
        .route_paths(1, ["/vault*"])
        .desired_count(env.desired_count)
        // The seed's health check: GET /vault on port 80, 5 healthy / 2 unhealthy, every 30 s.
        .health_check(
            HealthCheck::at("/vault")
                .port(CONTAINER_PORT)
                .healthy_threshold(5)
                .unhealthy_threshold(2)
                .timeout(Duration::from_secs(5))
                .interval(Duration::from_secs(30))
                .matcher("200"),
        )
        .health_check_grace_period(Duration::from_secs(30))
        .log_group_name("ecs/fargate/ditto-vault")
        .log_kms_key(key.arn())
        .env("PORT", CONTAINER_PORT.to_string())
        .env("VAULT_TABLE", table.name().text())
        .env("VAULT_BUCKET", bucket.name().text())
        // The image runs as a non-root user; let it bind the seed's port 80.
        .customize_container(|c| c.unprivileged_ports_from(CONTAINER_PORT));
    let service = stack.add("Api", pattern);
    stack.suppress(&service.target_group, "CKV_AWS_378", HTTP_TO_TASKS);
    stack.suppress(&service.security_group, "CKV_AWS_260", REFERENCED_GROUP_FALSE_POSITIVE);

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
