//! Container rules: ECR repositories, ECS clusters, task definitions and services.

use super::{Cx, Findings, RuleInfo, Severity};
use crate::ecr::{EcrRepo, TagMutability};
use crate::ecs::{CircuitBreaker, ContainerInsights, EcsCluster, FargateService, FargateTaskDefinition};
use crate::elbv2::{Action, IpTargetGroup, LoadBalancerRule};

pub const ECR_SCAN_ON_PUSH: RuleInfo = RuleInfo {
    id: "ecr-scan-on-push",
    severity: Severity::Warning,
    title: "An ECR repository does not scan images on push",
    why: "Known vulnerabilities in an image go unnoticed until someone scans by hand.",
    fix: "Remove .without_scan_on_push() (scanning on push is the default).",
};

pub const ECR_MUTABLE_TAGS: RuleInfo = RuleInfo {
    id: "ecr-mutable-tags",
    severity: Severity::Warning,
    title: "An ECR repository lets tags be overwritten",
    why: "With mutable tags the image behind a deployed tag can be replaced silently, so what runs is not what was reviewed.",
    fix: "Remove .tag_mutability(TagMutability::Mutable) and push a new tag per build.",
};

pub const ECS_CIRCUIT_BREAKER: RuleInfo = RuleInfo {
    id: "ecs-circuit-breaker",
    severity: Severity::Warning,
    title: "An ECS service has no deployment circuit breaker",
    why: "A deploy whose tasks never become healthy retries forever instead of failing and rolling back.",
    fix: "Use .circuit_breaker(CircuitBreaker::Rollback) (the default).",
};

pub const ECS_MINIMUM_HEALTHY: RuleInfo = RuleInfo {
    id: "ecs-minimum-healthy",
    severity: Severity::Warning,
    title: "An ECS service behind a load balancer may drop below its desired count during deploys",
    why:
        "A minimum healthy percent below 100 stops old tasks before new ones are healthy, so a deploy reduces capacity.",
    fix: "Use .deployment_percent(100, 200) (the default).",
};

pub const ECS_PUBLIC_IP: RuleInfo = RuleInfo {
    id: "ecs-public-ip",
    severity: Severity::Error,
    title: "An ECS service gives its tasks public IP addresses",
    why: "Tasks with public IPs are reachable from the internet whenever a security group rule allows it, bypassing the load balancer.",
    fix: "Remove .public_ip(); run tasks in private subnets with a NAT gateway or VPC endpoints.",
};

pub const ECS_SECRET_IN_ENVIRONMENT: RuleInfo = RuleInfo {
    id: "ecs-secret-in-environment",
    severity: Severity::Error,
    title: "A container gets what looks like a secret as a plain environment variable",
    why: "Plain environment values are stored in the task definition, visible to anyone who can describe it, and kept in every revision.",
    fix: "Store the value in Secrets Manager or SSM Parameter Store and pass it with ContainerDefinition::secret(name, arn).",
};

pub const ECS_CONTAINER_LOGGING: RuleInfo = RuleInfo {
    id: "ecs-container-logging",
    severity: Severity::Error,
    title: "A container sends its output nowhere",
    why: "Without a log configuration a Fargate container's stdout and stderr are discarded: nothing is left to debug a failure or investigate an incident.",
    fix: "Log to a LogGroup with .logging(AwsLogs::new(log_group.name(), prefix)) (LoadBalancedFargateService does this).",
};

pub const ECS_ROOT_USER: RuleInfo = RuleInfo {
    id: "ecs-root-user",
    severity: Severity::Error,
    title: "A container is set to run as root",
    why: "A process running as root turns any remote code execution into full control of the container.",
    fix: "Set a non-root user (.user(\"1000\")) or build the image with a non-root USER and do not override it.",
};

pub const ECS_READONLY_ROOT_FILESYSTEM: RuleInfo = RuleInfo {
    id: "ecs-readonly-root-filesystem",
    severity: Severity::Warning,
    title: "A container's root filesystem is writable",
    why: "A writable root filesystem lets a compromised process change binaries and configuration in place.",
    fix: "Remove .writable_root_filesystem(); write to a mounted volume or /tmp-like scratch space instead.",
};

pub const ECS_CONTAINER_INSIGHTS: RuleInfo = RuleInfo {
    id: "ecs-container-insights",
    severity: Severity::Warning,
    title: "An ECS cluster has Container Insights off",
    why: "Without per-task CPU and memory metrics, operators cannot see a task running out of resources before it is killed.",
    fix: "Remove .container_insights(ContainerInsights::Disabled) (enabled is the default).",
};

pub const ECS_SERVICE_BEFORE_LISTENER_RULE: RuleInfo = RuleInfo {
    id: "ecs-service-before-listener-rule",
    severity: Severity::Error,
    title: "An ECS service may be created before the listener rule for its target group",
    why: "ECS rejects a service whose target group is not yet attached to a load balancer (\"target group does not have an associated load balancer\"); nothing else orders the two.",
    fix: "stack.add_dependency(&service, &rule), or use LoadBalancedFargateService, which does it.",
};

/// Name fragments that mark an environment variable as a secret.
const SECRET_WORDS: [&str; 8] = [
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "CREDENTIAL",
];

fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_WORDS.iter().any(|w| upper.contains(w)) || upper.ends_with("ACCESS_KEY") || upper.ends_with("_KEY_ID")
}

fn is_root(user: &str) -> bool {
    let who = user.split(':').next().unwrap_or(user);
    who == "root" || who == "0"
}

pub(super) fn check(cx: &Cx<'_>, out: &mut Findings) {
    for (i, _, repo) in cx.all::<EcrRepo>() {
        if !repo.scan_on_push {
            cx.finding(
                out,
                &ECR_SCAN_ON_PUSH,
                i,
                format!("repository {:?} does not scan on push", repo.name),
            );
        }
        if repo.tag_mutability == TagMutability::Mutable {
            cx.finding(
                out,
                &ECR_MUTABLE_TAGS,
                i,
                format!("repository {:?} has mutable tags", repo.name),
            );
        }
    }
    for (i, _, cluster) in cx.all::<EcsCluster>() {
        if cluster.container_insights == ContainerInsights::Disabled {
            cx.finding(out, &ECS_CONTAINER_INSIGHTS, i, "Container Insights is disabled".into());
        }
    }
    for (i, _, task) in cx.all::<FargateTaskDefinition>() {
        for c in &task.containers {
            for (name, _) in c.environment.iter().filter(|(n, _)| looks_secret(n)) {
                cx.finding(
                    out,
                    &ECS_SECRET_IN_ENVIRONMENT,
                    i,
                    format!("container {:?} gets {name} as a plain environment variable", c.name),
                );
            }
            if c.logging.is_none() {
                cx.finding(
                    out,
                    &ECS_CONTAINER_LOGGING,
                    i,
                    format!("container {:?} has no log configuration", c.name),
                );
            }
            if let Some(user) = c.user.as_deref().filter(|u| is_root(u)) {
                cx.finding(
                    out,
                    &ECS_ROOT_USER,
                    i,
                    format!("container {:?} runs as user {user:?}", c.name),
                );
            }
            if !c.readonly_root_filesystem {
                cx.finding(
                    out,
                    &ECS_READONLY_ROOT_FILESYSTEM,
                    i,
                    format!("container {:?} has a writable root filesystem", c.name),
                );
            }
        }
    }
    for (i, _, svc) in cx.all::<FargateService>() {
        if svc.circuit_breaker == CircuitBreaker::Disabled {
            cx.finding(
                out,
                &ECS_CIRCUIT_BREAKER,
                i,
                "the deployment circuit breaker is disabled".into(),
            );
        }
        if svc.minimum_healthy_percent < 100 && !svc.load_balancers.is_empty() {
            cx.finding(
                out,
                &ECS_MINIMUM_HEALTHY,
                i,
                format!(
                    "minimum healthy percent is {} behind a load balancer",
                    svc.minimum_healthy_percent
                ),
            );
        }
        if svc.assign_public_ip {
            cx.finding(out, &ECS_PUBLIC_IP, i, "tasks get public IP addresses".into());
        }
        for lb in &svc.load_balancers {
            let Some((tg, _, _)) = cx.referenced::<IpTargetGroup>(lb.target_group_arn.expr()) else {
                continue;
            };
            for (r, rule_path, rule) in cx.all::<LoadBalancerRule>() {
                let Action::Forward(target) = &rule.action;
                let forwards = cx
                    .referenced::<IpTargetGroup>(target.expr())
                    .is_some_and(|(t, _, _)| t == tg);
                if forwards && !cx.depends_on(i, r) {
                    cx.finding(
                        out,
                        &ECS_SERVICE_BEFORE_LISTENER_RULE,
                        i,
                        format!(
                            "the service uses {} but does not depend on {rule_path}, which attaches it",
                            cx.path(tg)
                        ),
                    );
                }
            }
        }
    }
}
