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

pub mod checkov;
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
    network::RULE_DESCRIPTION,
    storage::S3_PUBLIC_ACCESS,
    storage::S3_INSECURE_TRANSPORT,
    storage::S3_ENCRYPTION,
    storage::S3_VERSIONING,
    storage::S3_LIFECYCLE,
    storage::S3_SENSITIVE_CUSTOMER_KEY,
    storage::DYNAMODB_PITR,
    storage::DYNAMODB_AWS_OWNED_KEY,
    storage::DYNAMODB_SENSITIVE_CUSTOMER_KEY,
    storage::KMS_KEY_ROTATION,
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

/// The built-in rule with this id.
pub fn rule(id: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.id == id)
}

/// The rule with this id, built in or from one of the app's rule packs.
pub fn rule_of(app: &App, id: &str) -> Option<&'static RuleInfo> {
    rule(id).or_else(|| app.checks().flat_map(|c| c.rules().iter()).find(|r| r.id == id))
}

/// Every rule that runs for this app: the built-in ones, then each
/// registered pack's, in registration order.
pub fn rules_of(app: &App) -> Vec<&'static RuleInfo> {
    RULES
        .iter()
        .chain(app.checks().flat_map(|c| c.rules().iter()))
        .collect()
}

/// A rule pack a team registers with [`App::add_checks`], like a cdk-nag
/// pack: its rules run with the built-in ones over every construct (custom
/// resources included), support the same reasoned suppressions, and are
/// reported by `check` in every format.
///
/// ```
/// use constructs::checks::{Check, CheckCx, Findings, RuleInfo, Severity};
/// use constructs::prelude::*;
///
/// const SHORT_RETENTION: RuleInfo = RuleInfo {
///     id: "acme-log-retention-two-years",
///     severity: Severity::Warning,
///     title: "Log groups keep events for at least two years",
///     why: "Acme's audit policy asks for two years of logs.",
///     fix: "Set .retention(Retention::Days(731)) or more.",
/// };
///
/// struct AcmeRules;
///
/// impl Check for AcmeRules {
///     fn rules(&self) -> &'static [RuleInfo] {
///         &[SHORT_RETENTION]
///     }
///     fn check(&self, cx: &CheckCx<'_>, out: &mut Findings) {
///         for (i, _path, logs) in cx.all::<LogGroup>() {
///             if let Retention::Days(d) = logs.retention {
///                 if d < 731 {
///                     out.report(&SHORT_RETENTION, i, format!("events are kept {d} days"));
///                 }
///             }
///         }
///     }
/// }
///
/// let mut app = App::new();
/// app.add_checks(AcmeRules);
/// app.stack("S").add("Logs", LogGroup::new("/app"));
/// let report = constructs::checks::check(&app);
/// assert_eq!(report.findings[0].rule.id, "acme-log-retention-two-years");
/// ```
pub trait Check: Send + Sync + 'static {
    /// Every rule the pack reports. Ids must be unique across the app
    /// (prefix them with your team's name).
    fn rules(&self) -> &'static [RuleInfo];

    /// Looks at one stack and reports what it finds.
    fn check(&self, cx: &CheckCx<'_>, out: &mut Findings);
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
    /// Every rule that ran (built-in and registered), for reports that list rules (SARIF).
    pub rules: Vec<&'static RuleInfo>,
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

/// The built-in rules, as a pack like any other.
struct BuiltIn;

impl Check for BuiltIn {
    fn rules(&self) -> &'static [RuleInfo] {
        RULES
    }
    fn check(&self, cx: &CheckCx<'_>, out: &mut Findings) {
        iam::check(cx, out);
        network::check(cx, out);
        storage::check(cx, out);
        containers::check(cx, out);
    }
}

/// Runs every rule, built-in and registered, over every stack of the app.
pub fn check(app: &App) -> Report {
    let mut report = Report {
        rules: rules_of(app),
        ..Report::default()
    };
    let packs: Vec<&dyn Check> = std::iter::once(&BuiltIn as &dyn Check).chain(app.checks()).collect();
    for stack in app.stacks() {
        let cx = CheckCx { stack };
        let mut found = Findings {
            stack: stack.name().to_string(),
            items: Vec::new(),
        };
        for pack in &packs {
            pack.check(&cx, &mut found);
        }
        let rule_order = |f: &Finding| {
            report
                .rules
                .iter()
                .position(|r| r.id == f.rule.id)
                .unwrap_or(usize::MAX)
        };
        // Stable sort: messages of one rule on one construct keep their order.
        found.items.sort_by_key(|(node, f)| (*node, rule_order(f)));
        for (i, mut finding) in found.items {
            finding.path = cx.path(i).to_string();
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

/// Where a rule pack reports what it finds.
pub struct Findings {
    stack: String,
    items: Vec<(usize, Finding)>,
}

impl Findings {
    /// Whether `rule` was already reported on the construct at `index`.
    pub fn has(&self, index: usize, rule: &RuleInfo) -> bool {
        self.items.iter().any(|(n, f)| *n == index && f.rule.id == rule.id)
    }

    /// Reports `rule` on the construct at `index` (as given by [`CheckCx::all`]).
    pub fn report(&mut self, rule: &'static RuleInfo, index: usize, message: impl Into<String>) {
        self.items.push((
            index,
            Finding {
                rule,
                path: String::new(),
                stack: self.stack.clone(),
                message: message.into(),
            },
        ));
    }
}

/// What rules see of a stack: every construct, typed.
pub struct CheckCx<'a> {
    stack: &'a Stack,
}

pub(crate) type Cx<'a> = CheckCx<'a>;

impl<'a> CheckCx<'a> {
    /// The stack being checked.
    pub fn stack(&self) -> &'a Stack {
        self.stack
    }

    /// Every resource of type `T`, with its index and path.
    pub fn all<T: Resource>(&self) -> impl Iterator<Item = (usize, &'a str, &'a T)> + 'a {
        self.stack.nodes.iter().enumerate().filter_map(|(i, n)| {
            let any: &dyn Any = n.resource.as_ref()?.as_any();
            any.downcast_ref::<T>().map(|r| (i, n.path.as_str(), r))
        })
    }

    /// Every resource of any type, with its index, path and type name
    /// (e.g. to inspect what custom resources render, with [`CheckCx::cloudformation`]).
    pub fn resources(&self) -> impl Iterator<Item = (usize, &'a str, &'static str)> + 'a {
        self.stack
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.resource.is_some())
            .map(|(i, n)| (i, n.path.as_str(), n.kind))
    }

    /// Whether the construct at `index` is a resource of type `T`.
    pub fn is<T: Resource>(&self, index: usize) -> bool {
        self.stack
            .nodes
            .get(index)
            .and_then(|n| n.resource.as_ref())
            .is_some_and(|r| r.as_any().is::<T>())
    }

    /// The construct of type `T` a value refers to directly (`role.arn()`), if any.
    pub fn referenced<T: Resource>(&self, e: &Expr) -> Option<(usize, &'a str, &'a T)> {
        let Expr::Ref(Target::Node(n, _)) = e else { return None };
        let node = self.stack.node(*n)?;
        let r = node.resource.as_ref()?.as_any().downcast_ref::<T>()?;
        Some((n.index as usize, node.path.as_str(), r))
    }

    /// What the resource at `index` renders for CloudFormation (`None` for
    /// composites and resources without a CloudFormation rendering).
    pub fn cloudformation(&self, index: usize) -> Option<Vec<crate::resource::CfnBlock>> {
        let node = self.stack.nodes.get(index)?;
        let cx = crate::resource::RenderCx {
            node: self.stack.node_ref(index),
            path: &node.path,
        };
        node.resource.as_ref()?.cloudformation(&cx)
    }

    /// What the resource at `index` renders for Terraform.
    pub fn terraform(&self, index: usize) -> Option<Vec<crate::resource::TfBlock>> {
        let node = self.stack.nodes.get(index)?;
        let cx = crate::resource::RenderCx {
            node: self.stack.node_ref(index),
            path: &node.path,
        };
        node.resource.as_ref()?.terraform(&cx)
    }

    /// The path of the construct at `index`.
    pub fn path(&self, index: usize) -> &'a str {
        self.stack.nodes.get(index).map(|n| n.path.as_str()).unwrap_or("")
    }

    /// Whether construct `from` (or a composite around it) explicitly depends
    /// on construct `to` (or on a composite around it).
    pub fn depends_on(&self, from: usize, to: usize) -> bool {
        self.stack.ancestry(from).any(|n| {
            n.depends_on
                .iter()
                .any(|d| d.index as usize == to || self.stack.is_under(to, d.index as usize))
        })
    }

    /// The escape-hatch overrides of the construct at `index`.
    pub fn overrides(&self, index: usize) -> &'a [crate::tree::Override] {
        self.stack
            .nodes
            .get(index)
            .map(|n| n.overrides.as_slice())
            .unwrap_or(&[])
    }

    pub(crate) fn finding(&self, out: &mut Findings, rule: &'static RuleInfo, index: usize, message: String) {
        out.report(rule, index, message);
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
