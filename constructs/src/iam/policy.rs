//! Typed IAM policy documents: statements, principals, conditions, and the checks
//! AWS would otherwise only make at deploy time.
//!
//! A [`PolicyDocument`] renders to an [`Expr::Map`] with AWS's usual key order;
//! constructs wrap it in [`Expr::json`] so it is an object in CloudFormation and a
//! canonical JSON string in Terraform. Lists stay lists even with one element
//! (`"Action": ["ecr:BatchGetImage"]`), so the rendering does not change shape when
//! a second action is added.

use indexmap::IndexMap;

use crate::expr::{kind, Attr, Expr, Value};
use crate::problem::Checker;

/// The only policy language version worth writing: `2008-10-17` lacks policy
/// variables and is accepted only for old documents.
pub const POLICY_VERSION: &str = "2012-10-17";

/// Whether a statement grants or denies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

/// Who a statement applies to (resource and trust policies only).
#[derive(Clone, Debug, PartialEq)]
pub enum Principal {
    /// An AWS service, e.g. `ecs-tasks.amazonaws.com`.
    Service(String),
    /// An IAM principal by ARN: a role, a user, or an account's `:root`.
    Aws(Value<kind::Arn>),
    /// Every principal of an account (rendered as `arn:<partition>:iam::<id>:root`,
    /// the form IAM stores, so Terraform sees no difference after apply).
    Account(Value<kind::AccountId>),
    /// Anyone, rendered as `"Principal": "*"`. Never a default: it must be written
    /// out, and the security checks flag it.
    Any,
}

impl Principal {
    /// An AWS service principal, e.g. `Principal::service("ecs-tasks.amazonaws.com")`.
    pub fn service(name: &str) -> Self {
        Principal::Service(name.to_string())
    }

    /// An IAM principal by ARN, e.g. a role's `arn()`.
    pub fn aws(arn: impl Into<Value<kind::Arn>>) -> Self {
        Principal::Aws(arn.into())
    }

    /// Every principal of an account, e.g. `Principal::account("123456789012")`.
    pub fn account(id: impl Into<Value<kind::AccountId>>) -> Self {
        Principal::Account(id.into())
    }

    /// Every principal of the account the stack is deployed into.
    pub fn this_account() -> Self {
        Principal::Account(Attr::account_id().into())
    }
}

/// One condition: `"Condition": {operator: {key: [values]}}`, e.g.
/// `Condition::new("Bool", "aws:SecureTransport", ["false"])`.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// e.g. `StringEquals`, `ArnLike`, `ForAnyValue:StringLike`, `NumericLessThanIfExists`.
    pub operator: String,
    /// e.g. `aws:SourceAccount`, `ecr:ResourceTag/team`.
    pub key: String,
    /// Matched with OR; literals or references (e.g. the account id).
    pub values: Vec<Expr>,
}

impl Condition {
    pub fn new<V: Into<Expr>>(
        operator: &str,
        key: &str,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        Condition {
            operator: operator.to_string(),
            key: key.to_string(),
            values: values.into_iter().map(Into::into).collect(),
        }
    }

    /// `aws:SourceAccount` equals the stack's account: guards a service principal
    /// against the confused-deputy problem (another account's resource making the
    /// service act on this role or resource).
    pub fn source_account_is_this_account() -> Self {
        Condition::new(
            "StringEquals",
            "aws:SourceAccount",
            [Attr::account_id().expr()],
        )
    }
}

/// One statement of a policy document.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    /// Optional statement id: letters and digits, unique in the document.
    pub sid: Option<String>,
    pub effect: Effect,
    /// Who the statement applies to; required in resource and trust policies,
    /// forbidden in identity policies.
    pub principals: Vec<Principal>,
    /// Everyone except these (`NotPrincipal`); only meaningful with `Deny`.
    pub not_principals: Vec<Principal>,
    /// `service:Action`, with `*`/`?` wildcards, or exactly `*`.
    pub actions: Vec<String>,
    /// ARNs (or `*`) the actions apply to; required in identity policies,
    /// forbidden where the policy is attached to the resource itself (ECR, trust).
    pub resources: Vec<Value<kind::Arn>>,
    /// All must hold (AND); values within one condition are alternatives (OR).
    pub conditions: Vec<Condition>,
}

impl Statement {
    fn new(effect: Effect) -> Self {
        Statement {
            sid: None,
            effect,
            principals: Vec::new(),
            not_principals: Vec::new(),
            actions: Vec::new(),
            resources: Vec::new(),
            conditions: Vec::new(),
        }
    }

    /// A statement that grants: `Statement::allow().actions([..]).resource(arn)`.
    pub fn allow() -> Self {
        Statement::new(Effect::Allow)
    }

    /// A statement that denies, overriding any allow.
    pub fn deny() -> Self {
        Statement::new(Effect::Deny)
    }

    pub fn sid(mut self, sid: &str) -> Self {
        self.sid = Some(sid.to_string());
        self
    }

    pub fn action(mut self, action: &str) -> Self {
        self.actions.push(action.to_string());
        self
    }

    pub fn actions<S: Into<String>>(mut self, actions: impl IntoIterator<Item = S>) -> Self {
        self.actions.extend(actions.into_iter().map(Into::into));
        self
    }

    /// Adds a resource: an ARN handle (`repo.arn()`), a built value, or a literal.
    pub fn resource(mut self, arn: impl Into<Value<kind::Arn>>) -> Self {
        self.resources.push(arn.into());
        self
    }

    pub fn resources<R: Into<Value<kind::Arn>>>(
        mut self,
        arns: impl IntoIterator<Item = R>,
    ) -> Self {
        self.resources.extend(arns.into_iter().map(Into::into));
        self
    }

    /// `"Resource": ["*"]`, for the few actions that have no resource-level
    /// permissions (e.g. `ecr:GetAuthorizationToken`). Written out on purpose.
    pub fn any_resource(self) -> Self {
        self.resource("*")
    }

    pub fn principal(mut self, principal: Principal) -> Self {
        self.principals.push(principal);
        self
    }

    pub fn principals(mut self, principals: impl IntoIterator<Item = Principal>) -> Self {
        self.principals.extend(principals);
        self
    }

    pub fn not_principal(mut self, principal: Principal) -> Self {
        self.not_principals.push(principal);
        self
    }

    pub fn condition(mut self, condition: Condition) -> Self {
        self.conditions.push(condition);
        self
    }

    /// `ecr:GetAuthorizationToken` on `*`: what any identity needs (besides a
    /// repository's pull statement) to log in to ECR before pulling. AWS does not
    /// support resource-level permissions for this action, so `*` is the only
    /// valid resource; the token alone grants access to no repository.
    pub fn ecr_auth_token() -> Self {
        Statement::allow()
            .action("ecr:GetAuthorizationToken")
            .any_resource()
    }

    /// The statement as `Expr::Map`: Sid, Effect, Principal, NotPrincipal, Action,
    /// Resource, Condition, each present only when set.
    pub fn to_expr(&self) -> Expr {
        let mut m: IndexMap<String, Expr> = IndexMap::new();
        if let Some(sid) = &self.sid {
            m.insert("Sid".into(), Expr::str(sid));
        }
        m.insert("Effect".into(), Expr::str(self.effect.as_str()));
        if !self.principals.is_empty() {
            m.insert("Principal".into(), render_principals(&self.principals));
        }
        if !self.not_principals.is_empty() {
            m.insert(
                "NotPrincipal".into(),
                render_principals(&self.not_principals),
            );
        }
        m.insert(
            "Action".into(),
            Expr::list(self.actions.iter().map(Expr::str)),
        );
        if !self.resources.is_empty() {
            m.insert(
                "Resource".into(),
                Expr::list(self.resources.iter().map(Expr::from)),
            );
        }
        if !self.conditions.is_empty() {
            let mut ops: IndexMap<String, Expr> = IndexMap::new();
            for cond in &self.conditions {
                let entry = ops
                    .entry(cond.operator.clone())
                    .or_insert_with(|| Expr::Map(IndexMap::new()));
                if let Expr::Map(keys) = entry {
                    keys.insert(cond.key.clone(), Expr::List(cond.values.clone()));
                }
            }
            m.insert("Condition".into(), Expr::Map(ops));
        }
        Expr::Map(m)
    }
}

/// Principals grouped by type (`{"AWS": [...], "Service": [...]}`), duplicates
/// removed, or `"*"` when [`Principal::Any`] is among them.
fn render_principals(principals: &[Principal]) -> Expr {
    if principals.contains(&Principal::Any) {
        return Expr::str("*");
    }
    let mut aws: Vec<Expr> = Vec::new();
    let mut service: Vec<Expr> = Vec::new();
    let push = |list: &mut Vec<Expr>, e: Expr| {
        if !list.contains(&e) {
            list.push(e)
        }
    };
    for p in principals {
        match p {
            Principal::Aws(arn) => push(&mut aws, arn.expr().clone()),
            Principal::Account(id) => push(
                &mut aws,
                Expr::concat([
                    Expr::str("arn:"),
                    Attr::partition().expr(),
                    Expr::str(":iam::"),
                    id.expr().clone(),
                    Expr::str(":root"),
                ]),
            ),
            Principal::Service(s) => push(&mut service, Expr::str(s)),
            Principal::Any => {}
        }
    }
    let mut m: IndexMap<String, Expr> = IndexMap::new();
    if !aws.is_empty() {
        m.insert("AWS".into(), Expr::List(aws));
    }
    if !service.is_empty() {
        m.insert("Service".into(), Expr::List(service));
    }
    Expr::Map(m)
}

/// An IAM policy document (`Version` is always [`POLICY_VERSION`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PolicyDocument {
    pub statements: Vec<Statement>,
}

impl PolicyDocument {
    pub fn new() -> Self {
        PolicyDocument::default()
    }

    /// Adds a statement (builder style).
    pub fn statement(mut self, statement: Statement) -> Self {
        self.statements.push(statement);
        self
    }

    /// Adds a statement to a document already held by a construct.
    pub fn add_statement(&mut self, statement: Statement) -> &mut Self {
        self.statements.push(statement);
        self
    }

    /// `{"Version": "2012-10-17", "Statement": [...]}`. Wrap it in [`Expr::json`]
    /// for properties that are objects in CloudFormation and strings in Terraform.
    pub fn to_expr(&self) -> Expr {
        Expr::map([
            ("Version", Expr::str(POLICY_VERSION)),
            (
                "Statement",
                Expr::list(self.statements.iter().map(Statement::to_expr)),
            ),
        ])
    }

    /// Characters of the compact rendering, counting only literal parts: a lower
    /// bound of what IAM measures (it ignores whitespace, as this does), since
    /// references (ARNs, account ids) are filled in only at deploy time.
    pub fn estimated_chars(&self) -> usize {
        literal_json(&self.to_expr()).to_string().chars().count()
    }

    /// Records every problem with the document, for a policy of the given kind.
    /// `what` names the document in messages, e.g. `inline policy "ecr"`.
    pub fn check(&self, c: &mut Checker<'_>, kind: &PolicyKind, what: &str) {
        c.ensure(!self.statements.is_empty(), "iam-policy-empty", || {
            format!("{what} has no statements; a policy needs at least one")
        });
        let mut sids: Vec<&str> = Vec::new();
        for (i, st) in self.statements.iter().enumerate() {
            let at = match &st.sid {
                Some(sid) => format!("{what}, statement {} ({sid})", i + 1),
                None => format!("{what}, statement {}", i + 1),
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
    }
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

fn check_statement(c: &mut Checker<'_>, st: &Statement, kind: &PolicyKind, at: &str) {
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
            format!("{at} has no resources; name the ARNs the actions apply to (or \"*\" explicitly with any_resource())")
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
            format!(
                "{at} has no principal; a {} must say who it applies to",
                kind.name
            )
        }),
        Need::Forbidden => c.ensure(!has_principal, "iam-principal-not-allowed", || {
            format!("{at} names a principal, which a {} must not: it applies to the identity it is attached to", kind.name)
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
        let key_ok = key
            .split_once(':')
            .is_some_and(|(p, n)| !p.is_empty() && !n.is_empty())
            && !key.chars().any(char::is_whitespace);
        c.ensure(key_ok, "iam-condition-key", || {
            format!(
                "{at}: condition key {key:?} must be \"prefix:name\", e.g. \"aws:SourceAccount\""
            )
        });
        c.ensure(!cond.values.is_empty(), "iam-condition-values", || {
            format!("{at}: condition {op} on {key} has no values")
        });
        if seen.contains(&(op, key)) {
            c.error(
                "iam-condition-duplicate",
                format!("{at}: two conditions use {op} on {key}; put all values in one condition (values are alternatives)"),
            );
        }
        seen.push((op, key));
    }
}

fn check_principal(c: &mut Checker<'_>, p: &Principal, at: &str) {
    match p {
        Principal::Service(s) => {
            let ok = s.contains(".amazonaws.com")
                && s.chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ".-".contains(ch));
            c.ensure(ok, "iam-service-principal", || {
                format!("{at}: service principal {s:?} must look like \"ecs-tasks.amazonaws.com\"")
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
    let ok = lit.starts_with("arn:")
        || (!whole && "arn:".starts_with(lit))
        || (whole && star_ok && lit == "*");
    (!ok).then(|| lit.to_string())
}

/// The document as JSON with references left out (empty strings).
fn literal_json(e: &Expr) -> serde_json::Value {
    use serde_json::Value as J;
    match e {
        Expr::Null => J::Null,
        Expr::Bool(b) => J::Bool(*b),
        Expr::Int(n) => J::from(*n),
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
        Expr::Map(m) => J::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), literal_json(v)))
                .collect(),
        ),
        Expr::Json(inner) => literal_json(inner),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::Problem;
    use serde_json::json;

    fn rules(doc: &PolicyDocument, kind: &PolicyKind) -> Vec<&'static str> {
        let mut out: Vec<Problem> = Vec::new();
        doc.check(&mut Checker::new("S/X", &mut out), kind, "test policy");
        out.into_iter().map(|p| p.rule).collect()
    }

    fn doc(st: Statement) -> PolicyDocument {
        PolicyDocument::new().statement(st)
    }

    #[test]
    fn statements_render_in_aws_key_order_with_lists_kept_as_lists() {
        let st = Statement::allow()
            .sid("Pull")
            .principal(Principal::service("ecs-tasks.amazonaws.com"))
            .principal(Principal::aws("arn:aws:iam::123456789012:role/ci"))
            .actions(["ecr:BatchGetImage"])
            .resource("arn:aws:ecr:eu-west-2:123456789012:repository/x")
            .condition(Condition::new("Bool", "aws:SecureTransport", ["true"]));
        let Expr::Map(m) = doc(st.clone()).to_expr() else {
            panic!("a map")
        };
        assert_eq!(m.keys().collect::<Vec<_>>(), ["Version", "Statement"]);
        let Expr::Map(s) = st.to_expr() else {
            panic!("a map")
        };
        assert_eq!(
            s.keys().collect::<Vec<_>>(),
            [
                "Sid",
                "Effect",
                "Principal",
                "Action",
                "Resource",
                "Condition"
            ]
        );
        assert_eq!(s["Action"], Expr::list([Expr::str("ecr:BatchGetImage")]));
        assert_eq!(
            s["Principal"],
            Expr::map([
                (
                    "AWS",
                    Expr::list([Expr::str("arn:aws:iam::123456789012:role/ci")])
                ),
                (
                    "Service",
                    Expr::list([Expr::str("ecs-tasks.amazonaws.com")])
                ),
            ])
        );
        assert_eq!(
            literal_json(&s["Condition"]),
            json!({"Bool": {"aws:SecureTransport": ["true"]}})
        );
    }

    #[test]
    fn any_principal_renders_as_a_bare_star_and_accounts_as_root_arns() {
        let any = Statement::allow().principal(Principal::Any).to_expr();
        let Expr::Map(m) = any else { panic!() };
        assert_eq!(m["Principal"], Expr::str("*"));
        let acct = Statement::allow()
            .principal(Principal::account("123456789012"))
            .to_expr();
        let Expr::Map(m) = acct else { panic!() };
        assert_eq!(
            literal_json(&m["Principal"]),
            json!({"AWS": ["arn::iam::123456789012:root"]})
        );
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
            .actions([
                "ecr BatchGetImage",
                "ecr:",
                ":X",
                "ECR:Get",
                "ecr:Get-Image",
            ])
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
        assert_eq!(
            rules(&bad_arn, &PolicyKind::INLINE),
            ["iam-resource-syntax"]
        );
    }

    #[test]
    fn resource_policies_need_principals_and_ecr_forbids_resources() {
        let d = doc(Statement::allow()
            .action("ecr:BatchGetImage")
            .any_resource());
        assert_eq!(
            rules(&d, &PolicyKind::ECR_REPOSITORY),
            ["iam-resource-not-allowed", "iam-statement-principal"]
        );
    }

    #[test]
    fn sids_must_be_alphanumeric_and_unique() {
        let st = |sid: &str| Statement::allow().sid(sid).action("s3:*").any_resource();
        let d = doc(st("new policy"))
            .statement(st("A1"))
            .statement(st("A1"));
        assert_eq!(
            rules(&d, &PolicyKind::INLINE),
            ["iam-sid", "iam-sid-unique"]
        );
        assert_eq!(
            rules(&PolicyDocument::new(), &PolicyKind::INLINE),
            ["iam-policy-empty"]
        );
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
            [
                "iam-service-principal",
                "iam-aws-principal",
                "iam-account-id"
            ]
        );
        let mixed = doc(Statement::allow()
            .action("ecr:BatchGetImage")
            .principal(Principal::Any)
            .principal(Principal::this_account()));
        assert_eq!(
            rules(&mixed, &PolicyKind::ECR_REPOSITORY),
            ["iam-principal-any-alone"]
        );
        let not = doc(Statement::allow()
            .action("ecr:BatchGetImage")
            .not_principal(Principal::this_account()));
        assert_eq!(
            rules(&not, &PolicyKind::ECR_REPOSITORY),
            ["iam-not-principal"]
        );
    }

    #[test]
    fn conditions_are_checked_for_operator_key_values_and_duplicates() {
        let d = doc(Statement::allow()
            .action("s3:GetObject")
            .any_resource()
            .condition(Condition::new("Bool", "aws:SecureTransport", ["true"]))
            .condition(Condition::new(
                "ForAnyValue:StringLikeIfExists",
                "aws:TagKeys",
                ["a*"],
            ))
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
        assert_eq!(rules(&d, &PolicyKind::MANAGED), ["iam-policy-size"]);
    }
}
