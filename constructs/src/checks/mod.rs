//! Security and best-practice checks over the construct model.
//!
//! `cfn-lint` and `terraform validate` check that a template is well-formed; a
//! stack granting `ecr:*` on `*` passes both. These rules look at the typed model
//! before it becomes JSON, so they see intent (a role used by ECS tasks, a
//! repository the stack itself creates) and judge both backends at once.
//!
//! Each [`Finding`] has a stable rule id, a severity, the construct path, what is
//! wrong, and (from its [`RuleInfo`]) why it matters and how to fix it. A
//! construct can be exempted from a rule with [`crate::Stack::suppress`], only
//! with a written reason, which is emitted into the output for reviewers.
//! `docs/checks.md` compares the rules with cdk-nag's AwsSolutions pack and
//! checkov's AWS checks.

mod containers;
mod iam;
mod network;
mod storage;

use std::any::Any;
use std::fmt;

use crate::expr::{Expr, Target};
use crate::resource::Resource;
use crate::tree::{App, Stack};

/// How serious a finding is: errors fail `synth`; warnings are printed (and fail
/// only with `--strict`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rule's fixed description.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleInfo {
    /// Stable, kebab-case, prefixed by the service family (`iam-`, `s3-`, …).
    pub id: &'static str,
    pub severity: Severity,
    /// One line: what the rule looks for.
    pub title: &'static str,
    /// Why it matters.
    pub why: &'static str,
    /// How to fix it with this library.
    pub fix: &'static str,
}

/// Every rule, in the order findings are reported within a construct.
pub const RULES: &[RuleInfo] = &[
    iam::WILDCARD_PRINCIPAL,
    iam::WILDCARD_ACTION,
    iam::WILDCARD_RESOURCE,
    iam::ADMIN_POLICY,
    iam::BROAD_TRUST,
    iam::SHARED_TASK_EXECUTION_ROLE,
    network::OPEN_INGRESS,
    network::OPEN_EGRESS,
    storage::S3_PUBLIC_ACCESS,
    storage::S3_INSECURE_TRANSPORT,
    storage::S3_ENCRYPTION,
    storage::S3_VERSIONING,
    storage::DYNAMODB_PITR,
    storage::DYNAMODB_AWS_OWNED_KEY,
    storage::LOGS_RETENTION,
    containers::ECR_SCAN_ON_PUSH,
    containers::ECR_MUTABLE_TAGS,
    containers::ECS_CIRCUIT_BREAKER,
    containers::ECS_MINIMUM_HEALTHY,
    containers::ECS_PUBLIC_IP,
    containers::ECS_SECRET_IN_ENVIRONMENT,
    containers::ECS_CONTAINER_LOGGING,
    containers::ECS_ROOT_USER,
    containers::ECS_READONLY_ROOT_FILESYSTEM,
    containers::ECS_CONTAINER_INSIGHTS,
    containers::ECS_SERVICE_BEFORE_LISTENER_RULE,
];

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.id == id)
}

/// One thing a rule found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static RuleInfo,
    /// The construct path, e.g. `Blog/Repo`.
    pub path: String,
    /// The stack the construct belongs to.
    pub stack: String,
    /// What is wrong with this construct, specifically.
    pub message: String,
}

impl Finding {
    pub fn severity(&self) -> Severity {
        self.rule.severity
    }
}

/// A finding a suppression covers, with the suppression's reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppressed {
    pub finding: Finding,
    pub reason: String,
}

/// What the checks found in an app.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Unsuppressed findings, by stack, then construct order, then rule order.
    pub findings: Vec<Finding>,
    pub suppressed: Vec<Suppressed>,
}

impl Report {
    pub fn errors(&self) -> usize {
        self.findings.iter().filter(|f| f.severity() == Severity::Error).count()
    }
    pub fn warnings(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity() == Severity::Warning)
            .count()
    }
    /// Whether the findings should fail a build: any error, or any warning when `strict`.
    pub fn fails(&self, strict: bool) -> bool {
        self.errors() > 0 || (strict && self.warnings() > 0)
    }
}

/// Runs every rule over every stack of the app.
pub fn check(app: &App) -> Report {
    let mut report = Report::default();
    for stack in app.stacks() {
        let cx = Cx { stack };
        let mut found: Vec<(usize, Finding)> = Vec::new();
        iam::check(&cx, &mut found);
        network::check(&cx, &mut found);
        storage::check(&cx, &mut found);
        containers::check(&cx, &mut found);
        let rule_order = |f: &Finding| RULES.iter().position(|r| r.id == f.rule.id).unwrap_or(usize::MAX);
        // Stable sort: messages of one rule on one construct keep their order.
        found.sort_by_key(|(node, f)| (*node, rule_order(f)));
        for (_, finding) in found {
            let suppression = stack
                .suppressions()
                .iter()
                .find(|s| s.rule == finding.rule.id && s.covers(&finding.path));
            match suppression {
                Some(s) => report.suppressed.push(Suppressed {
                    finding,
                    reason: s.reason.clone(),
                }),
                None => report.findings.push(finding),
            }
        }
    }
    report
}

/// What rules see of a stack.
pub(crate) struct Cx<'a> {
    pub stack: &'a Stack,
}

impl<'a> Cx<'a> {
    /// Every construct of type `T`, with its index and path.
    pub fn all<T: Resource>(&self) -> impl Iterator<Item = (usize, &'a str, &'a T)> + 'a {
        self.stack.nodes.iter().enumerate().filter_map(|(i, n)| {
            let any: &dyn Any = n.resource.as_any();
            any.downcast_ref::<T>().map(|r| (i, n.path.as_str(), r))
        })
    }

    /// The construct of type `T` a value refers to directly (`role.arn()`), if any.
    pub fn referenced<T: Resource>(&self, e: &Expr) -> Option<(usize, &'a str, &'a T)> {
        let Expr::Ref(Target::Node(n, _)) = e else { return None };
        let node = self.stack.node(*n)?;
        let r = node.resource.as_any().downcast_ref::<T>()?;
        Some((n.index as usize, node.path.as_str(), r))
    }

    /// The path of the construct at `index`.
    pub fn path(&self, index: usize) -> &'a str {
        self.stack.nodes.get(index).map(|n| n.path.as_str()).unwrap_or("")
    }

    /// Whether construct `from` explicitly depends on construct `to`.
    pub fn depends_on(&self, from: usize, to: usize) -> bool {
        self.stack
            .nodes
            .get(from)
            .is_some_and(|n| n.depends_on.iter().any(|d| d.index as usize == to))
    }

    /// The escape-hatch overrides of construct `index`.
    pub fn overrides(&self, index: usize) -> &'a [crate::tree::Override] {
        self.stack
            .nodes
            .get(index)
            .map(|n| n.overrides.as_slice())
            .unwrap_or(&[])
    }

    pub fn finding(&self, out: &mut Vec<(usize, Finding)>, rule: &'static RuleInfo, index: usize, message: String) {
        let finding = Finding {
            rule,
            path: self.path(index).to_string(),
            stack: self.stack.name().to_string(),
            message,
        };
        out.push((index, finding));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_unique_kebab_case_and_documented() {
        let mut seen = std::collections::HashSet::new();
        for r in RULES {
            assert!(seen.insert(r.id), "duplicate rule id {}", r.id);
            assert!(
                r.id.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                r.id
            );
            assert!(
                !r.title.is_empty() && !r.why.is_empty() && !r.fix.is_empty(),
                "{}",
                r.id
            );
        }
    }
}
