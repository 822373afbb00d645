//! IAM rules: wildcard principals, actions and resources; trust broader than
//! needed; one role doing two jobs.

use std::borrow::Cow;

use super::{Cx, Findings, RuleInfo, Severity};
use crate::dynamodb::DynamoTable;
use crate::ec2::SecurityGroup;
use crate::ecr::EcrRepo;
use crate::ecs::{EcsCluster, FargateService, FargateTaskDefinition};
use crate::elbv2::{IpTargetGroup, LoadBalancerRule};
use crate::expr::Expr;
use crate::iam::{Effect, IamRole, PolicyDocument, Principal, Statement};
use crate::kms::KmsKey;
use crate::logs::LogGroup;
use crate::s3::Bucket;

pub const WILDCARD_PRINCIPAL: RuleInfo = RuleInfo {
    id: "iam-wildcard-principal",
    severity: Severity::Error,
    title: "A resource or trust policy allows any principal (\"*\")",
    why: "Principal \"*\" means every AWS account and, for most services, anonymous callers: whatever the statement allows, anyone on the internet can do.",
    fix: "Name the principals that need access (a role's principal(), Principal::account(..)); for pulls from this account, grant the execution role through IAM instead of a repository policy.",
};

pub const WILDCARD_ACTION: RuleInfo = RuleInfo {
    id: "iam-wildcard-action",
    severity: Severity::Error,
    title: "A policy allows every action (\"*\" or \"service:*\")",
    why: "A service wildcard includes destructive and administrative actions (deleting repositories, rewriting policies) and every action the service adds later.",
    fix: "List the actions the workload calls, e.g. repo.pull_statement(), table.grant_read_write(..), or Statement::allow().actions([..]).",
};

pub const WILDCARD_RESOURCE: RuleInfo = RuleInfo {
    id: "iam-wildcard-resource",
    severity: Severity::Error,
    title: "A policy allows actions on every resource (\"*\") although the stack creates the specific one",
    why: "Resource \"*\" extends the grant to every resource of that service in the account, not just the one this stack creates and whose ARN is known.",
    fix: "Scope the statement to the construct's ARN (repo.arn(), table.arn(), log_group.streams_arn(), …) or use the construct's grant methods.",
};

pub const ADMIN_POLICY: RuleInfo = RuleInfo {
    id: "iam-admin-policy",
    severity: Severity::Error,
    title: "A role has the AdministratorAccess managed policy",
    why: "AdministratorAccess allows every action on every resource in the account, including IAM itself: whoever can use the role owns the account.",
    fix: "Grant only what the workload calls: inline statements scoped to this stack's ARNs, or the storage constructs' grant methods.",
};

pub const BROAD_TRUST: RuleInfo = RuleInfo {
    id: "iam-broad-trust",
    severity: Severity::Error,
    title: "A role used by ECS tasks is trusted by more than ecs-tasks.amazonaws.com",
    why: "Only the ECS tasks service assumes task and execution roles; every further trusted principal (ecs.amazonaws.com, an account) is another way into the role's permissions.",
    fix: "Create the role with IamRole::for_service(\"ecs-tasks.amazonaws.com\") and nothing else, ideally with Condition::source_account_is_this_account().",
};

pub const SHARED_TASK_EXECUTION_ROLE: RuleInfo = RuleInfo {
    id: "ecs-shared-task-execution-role",
    severity: Severity::Error,
    title: "One role is both a task definition's task role and its execution role",
    why: "The execution role holds what ECS needs to start the task (pull images, write logs, read secrets); sharing it hands all of that to the application's code.",
    fix: "Give the task definition two roles: an execution role for ECS and a task role with only the application's grants (LoadBalancedFargateService does this).",
};

/// Actions that AWS only supports on `Resource: "*"` (no resource-level permissions).
const STAR_ONLY_ACTIONS: [&str; 6] = [
    "ecr:GetAuthorizationToken",
    "cloudwatch:PutMetricData",
    "s3:ListAllMyBuckets",
    "dynamodb:ListTables",
    "logs:DescribeLogGroups",
    "ecs:DiscoverPollEndpoint",
];

/// Every policy document of the stack: (construct index, what it is, the document,
/// whether it is a resource policy).
fn documents<'a>(cx: &Cx<'a>) -> Vec<(usize, String, Cow<'a, PolicyDocument>, bool)> {
    let mut out = Vec::new();
    for (i, _, role) in cx.all::<IamRole>() {
        for (name, doc) in &role.inline_policies {
            out.push((i, format!("inline policy {name:?}"), Cow::Borrowed(doc), false));
        }
    }
    for (i, _, repo) in cx.all::<EcrRepo>() {
        if let Some(doc) = &repo.policy {
            out.push((i, "repository policy".to_string(), Cow::Borrowed(doc), true));
        }
    }
    for (i, _, bucket) in cx.all::<Bucket>() {
        out.push((i, "bucket policy".to_string(), Cow::Borrowed(&bucket.policy), true));
    }
    for (i, _, key) in cx.all::<KmsKey>() {
        out.push((i, "key policy".to_string(), Cow::Owned(key.policy()), true));
    }
    out
}

fn allows(s: &Statement) -> bool {
    s.effect == Effect::Allow
}

fn is_service_wildcard(action: &str) -> bool {
    action == "*" || action.ends_with(":*")
}

/// The literal shape of a value, references written `${}`.
fn shape(e: &Expr) -> String {
    match e {
        Expr::Str(s) => s.clone(),
        Expr::Concat(parts) => parts.iter().map(shape).collect(),
        _ => "${}".into(),
    }
}

/// `*`, or an ARN whose resource part is `*` (every resource of the account).
fn is_wildcard_resource(e: &Expr) -> bool {
    let s = shape(e);
    s == "*" || (s.starts_with("arn:") && s.splitn(6, ':').nth(5) == Some("*"))
}

/// A construct of this stack whose ARN a statement on `service` could name.
fn known_resource<'a>(cx: &Cx<'a>, service: &str) -> Option<&'a str> {
    fn first<'a, T: crate::resource::Resource>(cx: &Cx<'a>) -> Option<&'a str> {
        cx.all::<T>().next().map(|(_, p, _)| p)
    }
    match service {
        "ecr" => first::<EcrRepo>(cx),
        "dynamodb" => first::<DynamoTable>(cx),
        "s3" => first::<Bucket>(cx),
        // A container logging with awslogs names its log group too.
        "logs" => first::<LogGroup>(cx).or_else(|| {
            cx.all::<FargateTaskDefinition>()
                .find(|(_, _, t)| t.containers.iter().any(|c| c.logging.is_some()))
                .map(|(_, p, _)| p)
        }),
        "elasticloadbalancing" => first::<IpTargetGroup>(cx).or_else(|| first::<LoadBalancerRule>(cx)),
        "ecs" => first::<FargateService>(cx)
            .or_else(|| first::<EcsCluster>(cx))
            .or_else(|| first::<FargateTaskDefinition>(cx)),
        "iam" => first::<IamRole>(cx),
        "ec2" => first::<SecurityGroup>(cx),
        "kms" => first::<KmsKey>(cx),
        _ => None,
    }
}

/// A policy statement found in a resource the checks do not model (a custom
/// or raw resource, a generated binding): where it is, and what it grants.
struct UntypedStatement {
    at: String,
    principal_any: bool,
    has_condition: bool,
    actions: Vec<String>,
}

/// `"*"`, `{"AWS": "*"}` or a list holding `"*"`.
fn is_any_principal(e: &Expr) -> bool {
    match e {
        Expr::Str(s) => s == "*",
        Expr::List(items) => items.iter().any(is_any_principal),
        Expr::Map(m) => m.values().any(is_any_principal),
        _ => false,
    }
}

fn literal_strings(e: &Expr) -> Vec<String> {
    match e {
        Expr::Str(s) => vec![s.clone()],
        Expr::List(items) => items.iter().flat_map(literal_strings).collect(),
        _ => Vec::new(),
    }
}

/// Walks a rendered value for IAM statements (maps with an `Effect` of
/// `Allow`), including JSON documents given as literal strings.
fn find_statements(e: &Expr, at: &str, out: &mut Vec<UntypedStatement>) {
    match e {
        Expr::Map(m) => {
            if m.get("Effect").and_then(Expr::as_literal) == Some("Allow") {
                out.push(UntypedStatement {
                    at: at.to_string(),
                    principal_any: m.get("Principal").is_some_and(is_any_principal),
                    has_condition: m.contains_key("Condition"),
                    actions: m.get("Action").map(literal_strings).unwrap_or_default(),
                });
            }
            for (k, v) in m {
                let path = if at.is_empty() { k.clone() } else { format!("{at}.{k}") };
                find_statements(v, &path, out);
            }
        }
        Expr::List(items) => {
            for (n, v) in items.iter().enumerate() {
                find_statements(v, &format!("{at}[{n}]"), out);
            }
        }
        Expr::Json(inner) => find_statements(inner, at, out),
        Expr::Str(s) if s.trim_start().starts_with('{') && s.contains("Statement") => {
            if let Ok(doc) = serde_json::from_str::<serde_json::Value>(s) {
                find_statements(&Expr::from(doc), at, out);
            }
        }
        _ => {}
    }
}

/// Whether the construct is a built-in type: either its policies are read
/// through its type above (roles, repositories, buckets) or it has none, so
/// rendering it to look for statements would only cost time.
fn is_modelled(cx: &Cx<'_>, i: usize) -> bool {
    use crate::ecs::{EcsCluster, FargateService, FargateTaskDefinition};
    use crate::lookup::{
        IamRoleLookup, ListenerLookup, LoadBalancerLookup, SecurityGroupLookup, SubnetsLookup, VpcLookup,
    };
    cx.is::<IamRole>(i)
        || cx.is::<EcrRepo>(i)
        || cx.is::<Bucket>(i)
        || cx.is::<KmsKey>(i)
        || cx.is::<LogGroup>(i)
        || cx.is::<DynamoTable>(i)
        || cx.is::<SecurityGroup>(i)
        || cx.is::<IpTargetGroup>(i)
        || cx.is::<LoadBalancerRule>(i)
        || cx.is::<EcsCluster>(i)
        || cx.is::<FargateService>(i)
        || cx.is::<FargateTaskDefinition>(i)
        || cx.is::<crate::parameter::Parameter>(i)
        || cx.is::<VpcLookup>(i)
        || cx.is::<SubnetsLookup>(i)
        || cx.is::<LoadBalancerLookup>(i)
        || cx.is::<ListenerLookup>(i)
        || cx.is::<SecurityGroupLookup>(i)
        || cx.is::<IamRoleLookup>(i)
}

/// Statements in every resource the typed rules do not already read.
fn untyped_statements(cx: &Cx<'_>) -> Vec<(usize, UntypedStatement)> {
    let mut out = Vec::new();
    for (i, _, _) in cx.resources() {
        if is_modelled(cx, i) {
            continue;
        }
        let mut found = Vec::new();
        match cx.cloudformation(i) {
            Some(blocks) => {
                for b in blocks {
                    if let crate::resource::CfnBlock::Resource(r) = b {
                        for (k, v) in &r.properties {
                            find_statements(v, &format!("{} {k}", r.type_name), &mut found);
                        }
                    }
                }
            }
            None => {
                for b in cx.terraform(i).unwrap_or_default() {
                    for (k, v) in &b.body {
                        find_statements(v, &format!("{} {k}", b.type_name), &mut found);
                    }
                }
            }
        }
        out.extend(found.into_iter().map(|s| (i, s)));
    }
    out
}

pub(super) fn check(cx: &Cx<'_>, out: &mut Findings) {
    for (i, s) in untyped_statements(cx) {
        if s.principal_any && !s.has_condition {
            cx.finding(
                out,
                &WILDCARD_PRINCIPAL,
                i,
                format!("a statement in {} allows \"*\" to {}", s.at, s.actions.join(", ")),
            );
        }
        let wild: Vec<&str> = s
            .actions
            .iter()
            .map(String::as_str)
            .filter(|a| is_service_wildcard(a))
            .collect();
        if !wild.is_empty() {
            cx.finding(
                out,
                &WILDCARD_ACTION,
                i,
                format!("a statement in {} allows {}", s.at, wild.join(", ")),
            );
        }
    }
    for (i, _, role) in cx.all::<IamRole>() {
        if role.trust.contains(&Principal::Any) {
            cx.finding(
                out,
                &WILDCARD_PRINCIPAL,
                i,
                "the trust policy lets any principal assume the role".into(),
            );
        }
        for arn in &role.managed_policy_arns {
            let arn = shape(arn.expr());
            if arn.ends_with(":policy/AdministratorAccess") {
                cx.finding(out, &ADMIN_POLICY, i, format!("the role has {arn}"));
            }
        }
    }
    for (i, what, doc, resource_policy) in documents(cx) {
        for s in doc.statements.iter().filter(|s| allows(s)) {
            if resource_policy && s.principals.contains(&Principal::Any) && s.conditions.is_empty() {
                cx.finding(
                    out,
                    &WILDCARD_PRINCIPAL,
                    i,
                    format!("the {what} allows \"*\" to {}", s.actions.join(", ")),
                );
            }
            let wild: Vec<&str> = s
                .actions
                .iter()
                .map(String::as_str)
                .filter(|a| is_service_wildcard(a))
                .collect();
            if !wild.is_empty() {
                cx.finding(
                    out,
                    &WILDCARD_ACTION,
                    i,
                    format!("the {what} allows {}", wild.join(", ")),
                );
            }
            if resource_policy || !s.resources.iter().any(|r| is_wildcard_resource(r.expr())) {
                continue;
            }
            let resource = s
                .resources
                .iter()
                .find(|r| is_wildcard_resource(r.expr()))
                .map(|r| shape(r.expr()));
            let mut named: Vec<String> = Vec::new();
            for action in s.actions.iter().filter(|a| !STAR_ONLY_ACTIONS.contains(&a.as_str())) {
                let service = action.split(':').next().unwrap_or("");
                let known = if action == "*" {
                    cx.stack
                        .nodes
                        .iter()
                        .find(|n| n.resource.as_ref().is_some_and(|r| !r.is_lookup()))
                        .map(|n| n.path.as_str())
                } else {
                    known_resource(cx, service)
                };
                if let Some(path) = known {
                    let note = format!("{action} (its resource is known: {path})");
                    if !named.contains(&note) {
                        named.push(note);
                    }
                }
            }
            if !named.is_empty() {
                cx.finding(
                    out,
                    &WILDCARD_RESOURCE,
                    i,
                    format!(
                        "the {what} allows {} on {}",
                        named.join(", "),
                        resource.unwrap_or_default()
                    ),
                );
            }
        }
    }
    for (t, _, task) in cx.all::<FargateTaskDefinition>() {
        for role_value in [&task.execution_role, &task.task_role].into_iter().flatten() {
            let Some((i, _, role)) = cx.referenced::<IamRole>(role_value.expr()) else {
                continue;
            };
            let extra: Vec<String> = role
                .trust
                .iter()
                .filter(|p| **p != Principal::service("ecs-tasks.amazonaws.com"))
                .map(describe_principal)
                .collect();
            let already = out.has(i, &BROAD_TRUST);
            if !extra.is_empty() && !already {
                cx.finding(
                    out,
                    &BROAD_TRUST,
                    i,
                    format!(
                        "the role runs {} but is also trusted by {}",
                        cx.path(t),
                        extra.join(", ")
                    ),
                );
            }
        }
        if let (Some(exec), Some(task_role)) = (&task.execution_role, &task.task_role) {
            if exec == task_role {
                cx.finding(
                    out,
                    &SHARED_TASK_EXECUTION_ROLE,
                    t,
                    "the execution role is also the task role".into(),
                );
            }
        }
    }
}

fn describe_principal(p: &Principal) -> String {
    match p {
        Principal::Service(s) => s.clone(),
        Principal::RegionalService(s) => format!("{s}.<region>.amazonaws.com"),
        Principal::Any => "\"*\"".into(),
        Principal::Aws(v) => shape(v.expr()),
        Principal::Account(v) => format!("account {}", shape(v.expr())),
    }
}
