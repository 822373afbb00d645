//! Typed IAM policy documents: statements, principals and conditions, and their
//! rendering (the checks are in `check.rs`).
//!
//! A [`PolicyDocument`] renders to an [`Expr::Map`] with AWS's usual key order;
//! constructs wrap it in [`Expr::json`] so it is an object in CloudFormation and a
//! canonical JSON string in Terraform. Lists stay lists even with one element
//! (`"Action": ["ecr:BatchGetImage"]`), so the rendering does not change shape when
//! a second action is added.

use crate::expr::{kind, Attr, Expr, Value};

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
    /// An AWS service's principal in the stack's region, for services whose
    /// principal is regional: `logs` renders as `logs.<region>.<url suffix>`
    /// (`logs.eu-west-2.amazonaws.com`).
    RegionalService(String),
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

    /// A regional service principal, e.g. `Principal::regional_service("logs")`
    /// for CloudWatch Logs in the stack's region.
    pub fn regional_service(name: &str) -> Self {
        Principal::RegionalService(name.to_string())
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
    pub fn new<V: Into<Expr>>(operator: &str, key: &str, values: impl IntoIterator<Item = V>) -> Self {
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
        Condition::new("StringEquals", "aws:SourceAccount", [Attr::account_id().expr()])
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

    pub fn resources<R: Into<Value<kind::Arn>>>(mut self, arns: impl IntoIterator<Item = R>) -> Self {
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
        Statement::allow().action("ecr:GetAuthorizationToken").any_resource()
    }

    /// The statement as `Expr::Map`: Sid, Effect, Principal, NotPrincipal, Action,
    /// Resource, Condition, each present only when set.
    pub fn to_expr(&self) -> Expr {
        let mut m = crate::expr::ExprMap::default();
        if let Some(sid) = &self.sid {
            m.insert("Sid".into(), Expr::str(sid));
        }
        m.insert("Effect".into(), Expr::str(self.effect.as_str()));
        if !self.principals.is_empty() {
            m.insert("Principal".into(), render_principals(&self.principals));
        }
        if !self.not_principals.is_empty() {
            m.insert("NotPrincipal".into(), render_principals(&self.not_principals));
        }
        m.insert("Action".into(), Expr::list(self.actions.iter().map(Expr::str)));
        if !self.resources.is_empty() {
            m.insert("Resource".into(), Expr::list(self.resources.iter().map(Expr::from)));
        }
        if !self.conditions.is_empty() {
            m.insert("Condition".into(), render_conditions(&self.conditions));
        }
        Expr::Map(m)
    }
}

/// Conditions grouped by operator: `{"Bool": {"aws:SecureTransport": ["true"]}}`.
pub(crate) fn render_conditions(conditions: &[Condition]) -> Expr {
    let mut ops = crate::expr::ExprMap::default();
    for cond in conditions {
        let entry = ops.get_or_insert_with(cond.operator.clone(), || Expr::Map(Default::default()));
        if let Expr::Map(keys) = entry {
            keys.insert(cond.key.clone(), Expr::List(cond.values.clone()));
        }
    }
    Expr::Map(ops)
}

/// Principals grouped by type (`{"AWS": [...], "Service": [...]}`), duplicates
/// removed, or `"*"` when [`Principal::Any`] is among them.
pub(crate) fn render_principals(principals: &[Principal]) -> Expr {
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
            Principal::RegionalService(s) => push(
                &mut service,
                Expr::concat([
                    Expr::str(format!("{s}.")),
                    Attr::region().expr(),
                    Expr::str("."),
                    Attr::url_suffix().expr(),
                ]),
            ),
            Principal::Any => {}
        }
    }
    let mut m = crate::expr::ExprMap::default();
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
            ("Statement", Expr::list(self.statements.iter().map(Statement::to_expr))),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::check::literal_json;
    use serde_json::json;

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
        let Expr::Map(s) = st.to_expr() else { panic!("a map") };
        assert_eq!(
            s.keys().collect::<Vec<_>>(),
            ["Sid", "Effect", "Principal", "Action", "Resource", "Condition"]
        );
        assert_eq!(s["Action"], Expr::list([Expr::str("ecr:BatchGetImage")]));
        assert_eq!(
            s["Principal"],
            Expr::map([
                ("AWS", Expr::list([Expr::str("arn:aws:iam::123456789012:role/ci")])),
                ("Service", Expr::list([Expr::str("ecs-tasks.amazonaws.com")])),
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
}
