//! Amazon ECS on Fargate: [`EcsCluster`], [`FargateTaskDefinition`] with its
//! [`ContainerDefinition`]s, [`FargateService`], and the validated [`FargateSize`].
//!
//! Only Fargate is modelled: task definitions always use the `awsvpc` network mode
//! and require `FARGATE`, services always launch on `FARGATE`. That removes the
//! settings that only make sense on EC2 container instances (host ports, bridge
//! networking, placement) instead of validating them away.
//!
//! Ordering: a service attached to a target group must be created after the
//! listener rule that forwards to that group, or ECS rejects it ("target group
//! does not have an associated load balancer"). Nothing in the service refers to
//! the rule, so say it explicitly: `stack.add_dependency(&service, &rule)`.
//!
//! The seed's cluster, task definition and service:
//!
//! ```
//! use constructs::ecs::*;
//! use constructs::prelude::*;
//! use std::time::Duration;
//!
//! let mut app = App::new();
//! let stack = app.stack("Vault");
//! let version = stack.add("AppVersion", Parameter::string("Image tag to deploy"));
//! let logs = stack.add("Logs", LogGroup::new("ecs/fargate/ditto-vault"));
//! let vpc = stack.add("Vpc", VpcLookup::by_name_tag("vpc-name-goes-here"));
//! let subnets = stack.add("Private", SubnetsLookup::by_tags(vpc.id(), &[("Tier", "private")]));
//! let role = Value::literal("arn:aws:iam::123456789012:role/vault-api");
//!
//! let cluster = stack.add("Cluster", EcsCluster::new().name("fargate-cluster"));
//! let image = Value::concat([
//!     Attr::account_id().into(),
//!     ".dkr.ecr.eu-west-2.amazonaws.com/vault-api:".into(),
//!     version.value().into(),
//! ]);
//! let task = stack.add(
//!     "Task",
//!     FargateTaskDefinition::new("vault-api", FargateSize::CPU_256_MEM_512)
//!         .execution_role(role.clone())
//!         .task_role(role)
//!         .container(
//!             ContainerDefinition::new("vault-api", image)
//!                 .port(80)
//!                 .env("ApplicationVersion", version.value())
//!                 .logging(AwsLogs::new(logs.name(), "vault").region("eu-west-2")),
//!         ),
//! );
//! let tg = "arn:aws:elasticloadbalancing:eu-west-2:123456789012:targetgroup/vault-api/0123456789abcdef";
//! let service = stack.add(
//!     "Service",
//!     FargateService::new(cluster.arn(), task.arn(), subnets.ids())
//!         .name("vault-api")
//!         .desired_count(2)
//!         .security_group("sg-0123456789abcdef0")
//!         .health_check_grace_period(Duration::from_secs(30))
//!         .load_balancer(LoadBalancerTarget::new("vault-api", 80, tg)),
//! );
//! // With the listener rule `rule` in the stack: stack.add_dependency(&service, &rule);
//! # let _ = service;
//! assert!(constructs::validate(&app).is_empty());
//! ```

mod cluster;
mod container;
mod service;
mod size;
mod task;

pub use cluster::{ContainerInsights, EcsCluster};
pub use container::{AwsLogs, ContainerDefinition, ContainerHealthCheck, PortMapping, Protocol};
pub use service::{CircuitBreaker, FargateService, LoadBalancerTarget, PropagateTags};
pub use size::{FargateSize, FARGATE_CPU_UNITS};
pub use task::{CpuArchitecture, FargateTaskDefinition};

use crate::problem::Checker;

/// Cluster, service, task family and container names: 1-255 letters, digits,
/// hyphens and underscores.
fn is_ecs_name(s: &str) -> bool {
    (1..=255).contains(&s.len()) && s.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
}

fn check_name(c: &mut Checker<'_>, what: &str, name: &str, rule: &'static str) {
    c.ensure(is_ecs_name(name), rule, || {
        format!("{what} {name:?} must be 1-255 characters of letters, digits, '-' and '_'")
    });
}

/// The name Terraform gives a cluster or service whose name was left to the
/// library (the provider requires one; CloudFormation generates its own): the
/// construct path with `/` and `.` turned into `-`, e.g. `Vault-Api-Service`.
fn name_from_path(path: &str) -> String {
    let mut name: String = path
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || ch == '_' {
                ch
            } else {
                '-'
            }
        })
        .collect();
    name.truncate(255);
    name
}

#[cfg(test)]
mod tests;
