//! Checks of policy documents: what IAM (or the service holding the policy)
//! would reject at deploy time, found before anything is written.

use super::policy::{Effect, PolicyDocument, Principal, Statement};
use crate::expr::Expr;
use crate::problem::Checker;

impl PolicyDocument {
    /// Characters of the compact rendering, counting only literal parts: a lower
    /// bound of what IAM measures (it ignores whitespace, as this does), since
    /// references (ARNs, account ids) are filled in only at deploy time.
    ///
    /// Counted from the statements without rendering the document (every
    /// role's policies are measured on every synthesis); equal to
    /// `literal_json_chars(&self.to_expr())`, which the tests hold it to.
    pub fn estimated_chars(&self) -> usize {
        map_chars([
            entry_chars("Version", json_string_chars(super::policy::POLICY_VERSION)),
            entry_chars("Statement", list_chars(self.statements.iter().map(statement_chars))),
        ])
    }

    /// Records every problem with the document, for a policy of the given kind,
    /// and returns its [`estimated_chars`](Self::estimated_chars) (a role adds
    /// up its inline policies' sizes). `what` names the document in messages,
    /// e.g. `inline policy "ecr"`.
    pub fn check(&self, c: &mut Checker<'_>, kind: &PolicyKind, what: &str) -> usize {
        c.ensure(!self.statements.is_empty(), "iam-policy-empty", || {
            format!("{what} has no statements; a policy needs at least one")
        });
        let mut sids: Vec<&str> = Vec::new();
        for (i, st) in self.statements.iter().enumerate() {
            let at = StatementAt {
                what,
                number: i + 1,
                sid: st.sid.as_deref(),
            };
            if let Some(sid) = &st.sid {
                c.ensure(
                    !sid.is_empty() && sid.chars().all(|ch| ch.is_ascii_alphanumeric()),
                    "iam-sid",
                    || format!("{at}: Sid {sid:?} must be non-empty letters and digits only"),
                );
                if sids.contains(&sid.as_str()) {
                    c.error(
                        "iam-sid-unique",
                        format!("{at}: Sid {sid:?} is used by another statement of {what}"),
                    );
                }
                sids.push(sid);
            }
            check_statement(c, st, kind, &at);
        }
        let chars = self.estimated_chars();
        c.ensure(chars <= kind.max_chars, "iam-policy-size", || {
            format!(
                "{what} is at least {chars} characters; a {} may have at most {}",
                kind.name, kind.max_chars
            )
        });
        chars
    }
}

/// Where a statement is, for messages: `inline policy "ecr", statement 2 (Pull)`.
/// Written only when a message is (most statements have no problem).
struct StatementAt<'a> {
    what: &'a str,
    number: usize,
    sid: Option<&'a str>,
}

impl std::fmt::Display for StatementAt<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}, statement {}", self.what, self.number)?;
        match self.sid {
            Some(sid) => write!(f, " ({sid})"),
            None => Ok(()),
        }
    }
}

/// [`literal_json_chars`] of [`Statement::to_expr`], from the statement's
/// fields; principals and conditions (rare outside trust and resource
/// policies) are measured on their rendering.
fn statement_chars(st: &Statement) -> usize {
    use super::policy::{render_conditions, render_principals};
    let principals = |list: &[Principal]| literal_json_chars(&render_principals(list));
    let entries = [
        st.sid.as_deref().map(|sid| entry_chars("Sid", json_string_chars(sid))),
        Some(entry_chars("Effect", json_string_chars(st.effect.as_str()))),
        (!st.principals.is_empty()).then(|| entry_chars("Principal", principals(&st.principals))),
        (!st.not_principals.is_empty()).then(|| entry_chars("NotPrincipal", principals(&st.not_principals))),
        Some(entry_chars(
            "Action",
            list_chars(st.actions.iter().map(|a| json_string_chars(a))),
        )),
        (!st.resources.is_empty()).then(|| {
            entry_chars(
                "Resource",
                list_chars(st.resources.iter().map(|r| literal_json_chars(r.expr()))),
            )
        }),
        (!st.conditions.is_empty())
            .then(|| entry_chars("Condition", literal_json_chars(&render_conditions(&st.conditions)))),
    ];
    map_chars(entries.into_iter().flatten())
}

/// `"key":` followed by a value of `value` characters.
fn entry_chars(key: &str, value: usize) -> usize {
    json_string_chars(key) + 1 + value
}

/// An object of entries of the given sizes: braces and commas.
fn map_chars(entries: impl IntoIterator<Item = usize>) -> usize {
    list_chars(entries)
}

/// An array of elements of the given sizes: brackets and commas.
fn list_chars(items: impl IntoIterator<Item = usize>) -> usize {
    let (mut count, mut sum) = (0, 0);
    for chars in items {
        count += 1;
        sum += chars;
    }
    2 + usize::saturating_sub(count, 1) + sum
}

/// Whether a policy element must, may or must not appear.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    Required,
    Optional,
    Forbidden,
}

/// What kind of policy a document is, which decides the checks it gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicyKind {
    /// For messages, e.g. `role inline policy`.
    pub name: &'static str,
    pub principals: Need,
    pub resources: Need,
    /// Largest size IAM (or the owning service) accepts, whitespace excluded.
    pub max_chars: usize,
    /// Whether every action must be an `sts:` assume-role action.
    pub trust: bool,
}

impl PolicyKind {
    /// A role's inline (identity) policy: no principals, resources required.
    /// IAM allows 10,240 characters for all of a role's inline policies together.
    pub const INLINE: PolicyKind = PolicyKind {
        name: "role inline policy",
        principals: Need::Forbidden,
        resources: Need::Required,
        max_chars: 10_240,
        trust: false,
    };

    /// A customer-managed (identity) policy: at most 6,144 characters.
    pub const MANAGED: PolicyKind = PolicyKind {
        name: "managed policy",
        principals: Need::Forbidden,
        resources: Need::Required,
        max_chars: 6_144,
        trust: false,
    };

    /// A role's trust policy: principals required, no resources, only
    /// `sts:AssumeRole`-family actions; 2,048 characters (the default quota).
    pub const TRUST: PolicyKind = PolicyKind {
        name: "role trust policy",
        principals: Need::Required,
        resources: Need::Forbidden,
        max_chars: 2_048,
        trust: true,
    };

    /// An ECR repository policy: principals required, and no `Resource`
    /// (ECR rejects it: the repository is implied); at most 10,240 characters.
    pub const ECR_REPOSITORY: PolicyKind = PolicyKind {
        name: "repository policy",
        principals: Need::Required,
        resources: Need::Forbidden,
        max_chars: 10_240,
        trust: false,
    };

    /// Another resource-based policy (e.g. an S3 bucket policy: resources
    /// required, 20,480 characters).
    pub const fn resource_policy(name: &'static str, resources: Need, max_chars: usize) -> Self {
        PolicyKind {
            name,
            principals: Need::Required,
            resources,
            max_chars,
            trust: false,
        }
    }
}

/// Actions a trust policy may allow.
const TRUST_ACTIONS: [&str; 6] = [
    "sts:AssumeRole",
    "sts:AssumeRoleWithWebIdentity",
    "sts:AssumeRoleWithSAML",
    "sts:TagSession",
    "sts:SetSourceIdentity",
    "sts:SetContext",
];

/// Condition operators without the `ForAllValues:`/`ForAnyValue:` prefix and the
/// `IfExists` suffix.
const CONDITION_OPERATORS: [&str; 27] = [
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
];

fn check_statement(c: &mut Checker<'_>, st: &Statement, kind: &PolicyKind, at: &StatementAt<'_>) {
    // Actions.
    c.ensure(!st.actions.is_empty(), "iam-statement-actions", || {
        format!("{at} has no actions; name at least one, e.g. \"ecr:BatchGetImage\"")
    });
    for a in &st.actions {
        c.ensure(valid_action(a), "iam-action-syntax", || {
            format!("{at}: action {a:?} must be \"service:Action\" (letters and digits, '*' or '?' wildcards) or exactly \"*\"")
        });
        if kind.trust {
            c.ensure(TRUST_ACTIONS.contains(&a.as_str()), "iam-trust-action", || {
                format!("{at}: action {a:?} does not belong in a trust policy; use one of {TRUST_ACTIONS:?}")
            });
        }
    }

    // Resources.
    match kind.resources {
        Need::Required => c.ensure(!st.resources.is_empty(), "iam-statement-resources", || {
            format!(
                "{at} has no resources; name the ARNs the actions apply to (or \"*\" explicitly with any_resource())"
            )
        }),
        Need::Forbidden => c.ensure(st.resources.is_empty(), "iam-resource-not-allowed", || {
            format!(
                "{at} names resources, which a {} must not (the resource is implied)",
                kind.name
            )
        }),
        Need::Optional => {}
    }
    for r in &st.resources {
        if let Some(bad) = bad_arn_literal(r.expr(), true) {
            c.error(
                "iam-resource-syntax",
                format!("{at}: resource {bad:?} must be an ARN (\"arn:...\") or \"*\""),
            );
        }
    }

    // Principals.
    let has_principal = !st.principals.is_empty() || !st.not_principals.is_empty();
    match kind.principals {
        Need::Required => c.ensure(has_principal, "iam-statement-principal", || {
            format!("{at} has no principal; a {} must say who it applies to", kind.name)
        }),
        Need::Forbidden => c.ensure(!has_principal, "iam-principal-not-allowed", || {
            format!(
                "{at} names a principal, which a {} must not: it applies to the identity it is attached to",
                kind.name
            )
        }),
        Need::Optional => {}
    }
    if !st.not_principals.is_empty() {
        c.ensure(
            st.effect == Effect::Deny && st.principals.is_empty(),
            "iam-not-principal",
            || format!("{at}: NotPrincipal is only allowed with Deny and without Principal; Allow with NotPrincipal grants everyone else"),
        );
    }
    for list in [&st.principals, &st.not_principals] {
        c.ensure(
            !list.contains(&Principal::Any) || list.len() == 1,
            "iam-principal-any-alone",
            || format!("{at}: Principal::Any already means everyone; remove the other principals"),
        );
        for p in list {
            check_principal(c, p, at);
        }
    }

    // Conditions.
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for cond in &st.conditions {
        let (op, key) = (cond.operator.as_str(), cond.key.as_str());
        c.ensure(valid_operator(op), "iam-condition-operator", || {
            format!("{at}: condition operator {op:?} is not one IAM knows, e.g. StringEquals, ArnLike, Bool (optionally ForAnyValue:/ForAllValues: and ...IfExists)")
        });
        let key_ok = key.split_once(':').is_some_and(|(p, n)| !p.is_empty() && !n.is_empty())
            && !key.chars().any(char::is_whitespace);
        c.ensure(key_ok, "iam-condition-key", || {
            format!("{at}: condition key {key:?} must be \"prefix:name\", e.g. \"aws:SourceAccount\"")
        });
        c.ensure(!cond.values.is_empty(), "iam-condition-values", || {
            format!("{at}: condition {op} on {key} has no values")
        });
        if seen.contains(&(op, key)) {
            c.error(
                "iam-condition-duplicate",
                format!(
                    "{at}: two conditions use {op} on {key}; put all values in one condition (values are alternatives)"
                ),
            );
        }
        seen.push((op, key));
    }
}

fn check_principal(c: &mut Checker<'_>, p: &Principal, at: &StatementAt<'_>) {
    match p {
        Principal::Service(s) => {
            let ok = s.contains(".amazonaws.com")
                && s.chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ".-".contains(ch));
            c.ensure(ok, "iam-service-principal", || {
                format!("{at}: service principal {s:?} must look like \"ecs-tasks.amazonaws.com\"")
            });
        }
        Principal::RegionalService(s) => {
            let ok = !s.is_empty()
                && s.chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-');
            c.ensure(ok, "iam-service-principal", || {
                format!("{at}: regional service principal {s:?} must be a service name such as \"logs\"")
            });
        }
        Principal::Aws(arn) => {
            if let Some(bad) = bad_arn_literal(arn.expr(), false) {
                let hint = if bad == "*" {
                    "; write Principal::Any for everyone"
                } else if bad.len() == 12 && bad.chars().all(|ch| ch.is_ascii_digit()) {
                    "; use Principal::account for an account id"
                } else {
                    ""
                };
                c.error(
                    "iam-aws-principal",
                    format!("{at}: AWS principal {bad:?} must be an IAM ARN (\"arn:...\"){hint}"),
                );
            }
        }
        Principal::Account(id) => {
            if let Some(s) = id.expr().as_literal() {
                c.ensure(
                    s.len() == 12 && s.chars().all(|ch| ch.is_ascii_digit()),
                    "iam-account-id",
                    || format!("{at}: account id {s:?} must be 12 digits"),
                );
            }
        }
        Principal::Any => {}
    }
}

/// `service:Action` with `*`/`?` wildcards in the action part, or exactly `*`.
pub(crate) fn valid_action(a: &str) -> bool {
    if a == "*" {
        return true;
    }
    let Some((service, action)) = a.split_once(':') else {
        return false;
    };
    !service.is_empty()
        && service
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
        && !action.is_empty()
        && action
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '*' || ch == '?')
}

fn valid_operator(op: &str) -> bool {
    let op = op
        .strip_prefix("ForAllValues:")
        .or_else(|| op.strip_prefix("ForAnyValue:"))
        .unwrap_or(op);
    let base = match op.strip_suffix("IfExists") {
        Some(b) if b != "Null" => b,
        Some(_) => return false,
        None => op,
    };
    CONDITION_OPERATORS.contains(&base)
}

/// The literal start of a value that cannot be an ARN (or `*` when allowed).
/// Values starting with a reference are accepted: only deploy time knows them.
pub(crate) fn bad_arn_literal(e: &Expr, star_ok: bool) -> Option<String> {
    let (lit, whole) = match e {
        Expr::Str(s) => (s.as_str(), true),
        Expr::Concat(parts) => match parts.first() {
            Some(Expr::Str(s)) => (s.as_str(), false),
            _ => return None,
        },
        _ => return None,
    };
    let ok = lit.starts_with("arn:") || (!whole && "arn:".starts_with(lit)) || (whole && star_ok && lit == "*");
    (!ok).then(|| lit.to_string())
}

/// The length in characters of a JSON string holding `s`, quotes and escapes included.
fn json_string_chars(s: &str) -> usize {
    2 + s
        .chars()
        .map(|c| match c {
            '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
            c if (c as u32) < 0x20 => 6,
            _ => 1,
        })
        .sum::<usize>()
}

/// `literal_json(e).to_string().chars().count()` without building either:
/// policy size limits are checked for every role on every synthesis.
pub(crate) fn literal_json_chars(e: &Expr) -> usize {
    match e {
        Expr::Null => 4,
        Expr::Bool(b) => {
            if *b {
                4
            } else {
                5
            }
        }
        Expr::Int(n) => n.to_string().len(),
        Expr::Str(s) => json_string_chars(s),
        Expr::Ref(_) => 2,
        Expr::Concat(parts) if parts.iter().all(|p| matches!(p, Expr::Str(_) | Expr::Ref(_))) => {
            let text: String = parts.iter().filter_map(Expr::as_literal).collect();
            json_string_chars(&text)
        }
        Expr::List(items) => list_chars(items.iter().map(literal_json_chars)),
        Expr::Map(m) => map_chars(m.iter().map(|(k, v)| entry_chars(k, literal_json_chars(v)))),
        Expr::Json(inner) => literal_json_chars(inner),
        other => literal_json(other).to_string().chars().count(),
    }
}

/// The document as JSON with references left out (empty strings).
pub(crate) fn literal_json(e: &Expr) -> serde_json::Value {
    use serde_json::Value as J;
    match e {
        Expr::Null => J::Null,
        Expr::Bool(b) => J::Bool(*b),
        Expr::Int(n) => J::from(*n),
        Expr::Num(n) => J::from(*n),
        Expr::Str(s) => J::String(s.clone()),
        Expr::Ref(_) => J::String(String::new()),
        Expr::Concat(parts) => {
            let mut s = String::new();
            for p in parts {
                match literal_json(p) {
                    J::String(lit) => s.push_str(&lit),
                    other => s.push_str(&other.to_string()),
                }
            }
            J::String(s)
        }
        Expr::List(items) => J::Array(items.iter().map(literal_json).collect()),
        Expr::Map(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), literal_json(v))).collect()),
        Expr::Json(inner) => literal_json(inner),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::policy::{Condition, Principal};
    use crate::problem::Problem;

    fn rules(doc: &PolicyDocument, kind: &PolicyKind) -> Vec<&'static str> {
        let mut out: Vec<Problem> = Vec::new();
        doc.check(&mut Checker::new("S/X", &mut out), kind, "test policy");
        out.into_iter().map(|p| p.rule).collect()
    }

    fn doc(st: Statement) -> PolicyDocument {
        PolicyDocument::new().statement(st)
    }

    #[test]
    fn a_valid_identity_policy_has_no_problems() {
        let d = doc(Statement::allow()
            .actions(["ecr:BatchGetImage", "ecr:Get*", "s3:?etObject"])
            .resource("arn:aws:ecr:eu-west-2:123456789012:repository/x"))
        .statement(Statement::ecr_auth_token());
        assert!(rules(&d, &PolicyKind::INLINE).is_empty());
    }

    #[test]
    fn malformed_actions_and_missing_actions_are_reported() {
        let d = doc(Statement::allow()
            .actions(["ecr BatchGetImage", "ecr:", ":X", "ECR:Get", "ecr:Get-Image"])
            .any_resource())
        .statement(Statement::allow().any_resource());
        assert_eq!(
            rules(&d, &PolicyKind::INLINE),
            [
                "iam-action-syntax",
                "iam-action-syntax",
                "iam-action-syntax",
                "iam-action-syntax",
                "iam-action-syntax",
                "iam-statement-actions"
            ]
        );
    }

    #[test]
    fn identity_policies_need_resources_and_no_principals() {
        let d = doc(Statement::allow()
            .action("ecr:BatchGetImage")
            .principal(Principal::service("ecs.amazonaws.com")));
        assert_eq!(
            rules(&d, &PolicyKind::INLINE),
            ["iam-statement-resources", "iam-principal-not-allowed"]
        );
        let bad_arn = doc(Statement::allow().action("s3:GetObject").resource("bucket"));
        assert_eq!(rules(&bad_arn, &PolicyKind::INLINE), ["iam-resource-syntax"]);
    }

    #[test]
    fn resource_policies_need_principals_and_ecr_forbids_resources() {
        let d = doc(Statement::allow().action("ecr:BatchGetImage").any_resource());
        assert_eq!(
            rules(&d, &PolicyKind::ECR_REPOSITORY),
            ["iam-resource-not-allowed", "iam-statement-principal"]
        );
    }

    #[test]
    fn sids_must_be_alphanumeric_and_unique() {
        let st = |sid: &str| Statement::allow().sid(sid).action("s3:*").any_resource();
        let d = doc(st("new policy")).statement(st("A1")).statement(st("A1"));
        assert_eq!(rules(&d, &PolicyKind::INLINE), ["iam-sid", "iam-sid-unique"]);
        assert_eq!(rules(&PolicyDocument::new(), &PolicyKind::INLINE), ["iam-policy-empty"]);
    }

    #[test]
    fn principal_checks_catch_malformed_values() {
        let d = doc(Statement::allow()
            .action("ecr:BatchGetImage")
            .principal(Principal::service("ECS Tasks"))
            .principal(Principal::aws("123456789012"))
            .principal(Principal::account("12345")));
        assert_eq!(
            rules(&d, &PolicyKind::ECR_REPOSITORY),
            ["iam-service-principal", "iam-aws-principal", "iam-account-id"]
        );
        let mixed = doc(Statement::allow()
            .action("ecr:BatchGetImage")
            .principal(Principal::Any)
            .principal(Principal::this_account()));
        assert_eq!(rules(&mixed, &PolicyKind::ECR_REPOSITORY), ["iam-principal-any-alone"]);
        let not = doc(Statement::allow()
            .action("ecr:BatchGetImage")
            .not_principal(Principal::this_account()));
        assert_eq!(rules(&not, &PolicyKind::ECR_REPOSITORY), ["iam-not-principal"]);
    }

    #[test]
    fn conditions_are_checked_for_operator_key_values_and_duplicates() {
        let d = doc(Statement::allow()
            .action("s3:GetObject")
            .any_resource()
            .condition(Condition::new("Bool", "aws:SecureTransport", ["true"]))
            .condition(Condition::new("ForAnyValue:StringLikeIfExists", "aws:TagKeys", ["a*"]))
            .condition(Condition::new("StringEqual", "aws:SourceAccount", ["1"]))
            .condition(Condition::new("NullIfExists", "aws:x", ["true"]))
            .condition(Condition::new("StringLike", "SourceArn", ["x"]))
            .condition(Condition::new("StringEquals", "aws:y", Vec::<Expr>::new()))
            .condition(Condition::new("Bool", "aws:SecureTransport", ["false"])));
        assert_eq!(
            rules(&d, &PolicyKind::INLINE),
            [
                "iam-condition-operator",
                "iam-condition-operator",
                "iam-condition-key",
                "iam-condition-values",
                "iam-condition-duplicate"
            ]
        );
    }

    #[test]
    fn trust_policies_allow_only_assume_role_actions_and_no_resources() {
        let d = doc(Statement::allow()
            .principal(Principal::service("ecs-tasks.amazonaws.com"))
            .actions(["sts:AssumeRole", "s3:GetObject"])
            .any_resource());
        assert_eq!(
            rules(&d, &PolicyKind::TRUST),
            ["iam-trust-action", "iam-resource-not-allowed"]
        );
    }

    #[test]
    fn oversized_policies_are_reported_with_their_estimated_size() {
        let arns: Vec<String> = (0..200)
            .map(|i| format!("arn:aws:s3:::bucket-with-a-long-name-{i}/*"))
            .collect();
        let d = doc(Statement::allow().action("s3:GetObject").resources(arns));
        assert!(d.estimated_chars() > PolicyKind::MANAGED.max_chars);
        assert_eq!(
            d.estimated_chars(),
            literal_json(&d.to_expr()).to_string().chars().count()
        );
        assert_eq!(rules(&d, &PolicyKind::MANAGED), ["iam-policy-size"]);
    }

    /// The estimate counted from the statements equals the one measured on
    /// the rendering, for every element a statement can have.
    #[test]
    fn the_estimate_from_statements_equals_the_rendered_one() {
        use crate::expr::Attr;
        let docs = [
            PolicyDocument::new(),
            doc(Statement::allow().action("s3:GetObject").any_resource()),
            doc(Statement::deny()
                .sid("NoTls")
                .principal(Principal::Any)
                .actions(["s3:*"])
                .resource(crate::expr::Value::concat([
                    Expr::str("arn:"),
                    Attr::partition().expr(),
                    Expr::str(":s3:::b"),
                ]))
                .resource("arn:aws:s3:::b/\"e\u{1}")
                .condition(Condition::new("Bool", "aws:SecureTransport", ["false"]))
                .condition(Condition::new("Bool", "aws:ViaAWSService", ["false"]))
                .condition(Condition::source_account_is_this_account())),
            doc(Statement::allow()
                .principal(Principal::service("ecs-tasks.amazonaws.com"))
                .principal(Principal::regional_service("logs"))
                .principal(Principal::this_account())
                .principal(Principal::aws("arn:aws:iam::123456789012:role/ci"))
                .action("sts:AssumeRole"))
            .statement(Statement {
                not_principals: vec![Principal::account("123456789012")],
                ..Statement::deny().sid("X").action("sts:AssumeRole")
            }),
        ];
        for d in &docs {
            assert_eq!(d.estimated_chars(), literal_json_chars(&d.to_expr()), "{d:?}");
            assert_eq!(
                d.estimated_chars(),
                literal_json(&d.to_expr()).to_string().chars().count()
            );
        }
    }

    #[test]
    fn the_size_estimate_counts_exactly_what_the_json_text_has() {
        use crate::expr::Attr;
        let e = Expr::map([
            ("Quote\"d", Expr::str("a \"b\" \\ c\nd\te\u{1}é${x}")),
            ("Ref", Attr::region().expr()),
            (
                "Sub",
                Expr::concat([Expr::str("arn:"), Attr::partition().expr(), Expr::str(":é")]),
            ),
            (
                "List",
                Expr::List(vec![Expr::Int(-12), Expr::Bool(false), Expr::Null, Expr::List(vec![])]),
            ),
            ("Empty", Expr::Map(Default::default())),
            ("Doc", Expr::json(Expr::map([("Version", Expr::str("2012-10-17"))]))),
        ]);
        assert_eq!(literal_json_chars(&e), literal_json(&e).to_string().chars().count());
    }
}
