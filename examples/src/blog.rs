//! The blog's stack (`../shared/seed/vault-api-into-fargate.md`) translated one to
//! one, flaws included, as a migration reference: a Terraform user can put this
//! next to the blog's HCL and see how each block is written here. Do not deploy
//! it as is; `stack::vault` is the same deployment made safe.
//!
//! Run: `cargo run -p examples --bin blog -- synth`, and
//! `cargo run -p examples --bin blog -- check` for what is wrong with it and how
//! to fix each item (the findings are advisory for this app, so `synth` still
//! writes the translation).
//!
//! | blog (Terraform)                                   | here                                       |
//! |----------------------------------------------------|--------------------------------------------|
//! | `data.aws_lb.private-lb`                           | `PrivateLb` (`LoadBalancerLookup`)         |
//! | `data.aws_lb_listener.private`                     | `Private` (`ListenerLookup`, port 443)     |
//! | `data.aws_vpc.vpc`                                 | `Vpc` (`VpcLookup` by `Name` tag)          |
//! | `data.aws_subnet_ids.private`                      | `PrivateSubnets` (`SubnetsLookup`)         |
//! | `data.aws_security_group.private-lb-security-group`| `PrivateLbSecurityGroup`                   |
//! | `data.aws_iam_role.ecs-task-execution-role`        | `EcsTaskExecutionRole` (`IamRoleLookup`)   |
//! | `data.aws_caller_identity.current`                 | `Attr::account_id()`                       |
//! | `var.region`, `var.application_version`            | `Region`, `ApplicationVersion` parameters  |
//! | `var.app_name`                                     | the literal `vault-api` (see below)        |
//! | `aws_lb_listener_rule.vault-api`                   | `VaultApiRule`                             |
//! | `aws_lb_target_group.vault-api`                    | `VaultApi`                                 |
//! | `aws_security_group.ecs_tasks`                     | `EcsTasks`                                 |
//! | `aws_iam_role.vault-role` + four `aws_iam_role_policy` | `VaultRole` with four inline policies  |
//! | `aws_ecr_repository.repo` + `_policy` + `aws_ecr_lifecycle_policy` | `Repo`                     |
//! | `aws_ecs_cluster.fargate-cluster`                  | `FargateCluster`                           |
//! | `aws_ecs_service.vault-api`                        | `VaultApiService`                          |
//! | `aws_ecs_task_definition.definition`               | `Definition`                               |
//!
//! Where the blog is not expressible literally:
//! - The repository policy's `Version` is `2012-10-17` (the blog's `2008-10-17`
//!   is a legacy version) and its Sid `new policy` becomes `NewPolicy` (Sids are
//!   alphanumeric).
//! - The container definition's `networkMode`, `networkConfiguration` and
//!   `requiresCompatibilities` keys are task-level settings ECS ignores inside a
//!   container; they are set on the task definition and service instead.
//! - The blog does not show how `data.aws_subnet_ids.private` filters; here it is
//!   the VPC's subnets tagged `Tier=private`. The container name is the literal
//!   value of `var.app_name` (`vault-api`): container names are checked at synth
//!   time and the service must repeat the same name.

use constructs::ecs::{
    AwsLogs, CircuitBreaker, ContainerDefinition, ContainerInsights, EcsCluster, FargateService, FargateSize,
    FargateTaskDefinition, LoadBalancerTarget, PropagateTags,
};
use constructs::elbv2::Protocol;
use constructs::prelude::*;
use std::time::Duration;

pub fn app() -> App {
    let mut app = App::new();
    // `synth` writes the translation despite its findings; `check` lists them.
    app.set_checks_advisory("the blog's stack is reproduced one to one, flaws included, as a migration reference");
    let stack = app.stack("Blog");
    stack.set_description("The blog's vault-api deployment, translated one to one (flaws included)");

    let region = stack.add(
        "Region",
        Parameter::string("AWS region (var.region)").default_value("eu-west-2"),
    );
    let version = stack.add(
        "ApplicationVersion",
        Parameter::string("Image tag (var.application_version)"),
    );

    let lb = stack.add("PrivateLb", LoadBalancerLookup::by_name("lb-private"));
    let listener = stack.add("Private", ListenerLookup::by_port(lb.arn(), 443));
    let vpc = stack.add("Vpc", VpcLookup::by_name_tag("vpc-name-goes-here"));
    let subnets = stack.add(
        "PrivateSubnets",
        SubnetsLookup::by_tags(vpc.id(), &[("Tier", "private")]),
    );
    let lb_sg = stack.add(
        "PrivateLbSecurityGroup",
        SecurityGroupLookup::by_name("private-lb-security-group", vpc.id()),
    );
    let shared_role = stack.add("EcsTaskExecutionRole", IamRoleLookup::by_name("ecsTaskExecutionRole"));

    let tg = stack.add(
        "VaultApi",
        IpTargetGroup::new(80, vpc.id())
            .name("vault-api")
            .protocol(Protocol::Http)
            .deregistration_delay(Duration::from_secs(300))
            .health_check(
                HealthCheck::at("/vault")
                    .port(80)
                    .protocol(Protocol::Http)
                    .healthy_threshold(5)
                    .unhealthy_threshold(2)
                    .timeout(Duration::from_secs(5))
                    .interval(Duration::from_secs(30))
                    .matcher("200"),
            ),
    );
    stack.add(
        "VaultApiRule",
        LoadBalancerRule::forward(listener.arn(), 1, tg.arn()).path_patterns(["/vault*"]),
    );

    let tasks = stack.add(
        "EcsTasks",
        SecurityGroup::new("allow inbound access from the ALB only", vpc.id())
            .name("vault-ecs-tasks")
            .ingress(Rule::tcp_from_security_group(lb_sg.id(), 80))
            .allow_all_egress(),
    );

    // One role for everything, trusted by two services, with wildcard grants.
    let account = || Attr::account_id().expr();
    let mut role = IamRole::new([
        Principal::service("ecs.amazonaws.com"),
        Principal::service("ecs-tasks.amazonaws.com"),
    ])
    .name("vault-api-role");
    role.add_to_policy("vault-api-ecr", Statement::allow().action("ecr:*").any_resource())
        .add_to_policy(
            "vault-api-vpc",
            Statement::allow()
                .actions([
                    "ec2:CreateNetworkInterface",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DeleteNetworkInterface",
                ])
                .resource(Value::concat([
                    Expr::str("arn:aws:ec2:"),
                    region.value().into(),
                    Expr::str(":"),
                    account(),
                    Expr::str(":vpc/*"),
                ])),
        )
        .add_to_policy(
            "vault-api-lb",
            Statement::allow().action("elasticloadbalancing:*").any_resource(),
        )
        .add_to_policy(
            "vault-api-cloudwatch",
            Statement::allow()
                .actions(["logs:*", "cloudwatch:*"])
                .resource(Value::concat([
                    Expr::str("arn:aws:logs:"),
                    region.value().into(),
                    Expr::str(":"),
                    account(),
                    Expr::str(":*"),
                ])),
        );
    let role = stack.add("VaultRole", role);

    // The repository, open to everyone.
    stack.add(
        "Repo",
        EcrRepo::new("vault-api")
            .tag_mutability(TagMutability::Mutable)
            .without_scan_on_push()
            .lifecycle_rule(
                LifecycleRule::keep_last(1, TagSelection::tagged(["v"]), 5).description("Keep last 5 images"),
            )
            .policy(PolicyDocument::new().statement(
                Statement::allow().sid("NewPolicy").principal(Principal::Any).actions([
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:BatchGetImage",
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:PutImage",
                    "ecr:InitiateLayerUpload",
                    "ecr:UploadLayerPart",
                    "ecr:CompleteLayerUpload",
                    "ecr:DescribeRepositories",
                    "ecr:GetRepositoryPolicy",
                    "ecr:ListImages",
                    "ecr:DeleteRepository",
                    "ecr:BatchDeleteImage",
                    "ecr:SetRepositoryPolicy",
                    "ecr:DeleteRepositoryPolicy",
                ]),
            )),
    );

    let cluster = stack.add(
        "FargateCluster",
        EcsCluster::new()
            .name("fargate-cluster")
            .container_insights(ContainerInsights::Disabled),
    );

    // The execution and task roles are swapped, as in the blog.
    let image = Value::<kind::Text>::concat([
        account(),
        Expr::str(".dkr.ecr.eu-west-2.amazonaws.com/vault-api:"),
        version.value().into(),
    ]);
    let container = ContainerDefinition::new("vault-api", image)
        .cpu_units(256)
        .memory_limit_mib(512)
        .port(80)
        .env("ApplicationVersion", version.value())
        .writable_root_filesystem()
        .logging(
            AwsLogs::new("ecs/fargate/ditto-vault", "vault")
                .region("eu-west-2")
                .create_group(),
        );
    let task = stack.add(
        "Definition",
        FargateTaskDefinition::new("vault-api", FargateSize::CPU_256_MEM_512)
            .execution_role(role.arn())
            .task_role(shared_role.arn())
            .container(container),
    );

    // AWS's defaults where the blog sets nothing: no circuit breaker, no tag
    // propagation. And no dependency on the listener rule: the blog forgets it.
    stack.add(
        "VaultApiService",
        FargateService::new(cluster.arn(), task.arn(), subnets.ids())
            .name("vault-api")
            .circuit_breaker(CircuitBreaker::Disabled)
            .propagate_tags(PropagateTags::None)
            .desired_count(2)
            .health_check_grace_period(Duration::from_secs(30))
            .security_group(tasks.id())
            .load_balancer(LoadBalancerTarget::new("vault-api", 80, tg.arn())),
    );
    app
}
