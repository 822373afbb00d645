//! `IamRole`: a role with a typed trust policy, inline policies and managed
//! policy attachments.

use std::time::Duration;

use indexmap::IndexMap;

use super::check::PolicyKind;
use super::policy::{Condition, PolicyDocument, Principal, Statement};
use crate::expr::{kind, Attr, Attribute, CfnAttr, Value};
use crate::l1::{self, Json};
use crate::problem::Checker;
use crate::resource::{CfnBlock, RenderCx, Resource, TfBlock};
use crate::{cfn, tf};

const ARN: Attribute = Attribute::new(CfnAttr::GetAtt("Arn"), "arn");
const NAME: Attribute = Attribute::new(CfnAttr::Ref, "name");
const UNIQUE_ID: Attribute = Attribute::new(CfnAttr::GetAtt("RoleId"), "unique_id");
/// Terraform's `id` of a role is its name; policies and attachments refer to it.
const TF_ID: Attribute = Attribute::new(CfnAttr::Ref, "id");

/// Most managed policies IAM lets one role have (the default quota is 10,
/// raisable to 20).
pub const MAX_MANAGED_POLICIES: usize = 20;

/// An IAM role.
///
/// Defaults: no permissions at all (add statements with [`IamRole::add_to_policy`]
/// or attach managed policies), so a role grants only what is written down; a
/// one-hour maximum session ([`IamRole::DEFAULT_MAX_SESSION`], IAM's own
/// default), the shortest IAM allows, so leaked credentials expire soonest; no
/// name, so CloudFormation/Terraform generate a unique one and two stacks never
/// collide on it.
#[derive(Clone, Debug, PartialEq)]
pub struct IamRole {
    /// Who may assume the role (`sts:AssumeRole`).
    pub trust: Vec<Principal>,
    /// Conditions on assuming the role, e.g.
    /// [`Condition::source_account_is_this_account`].
    pub trust_conditions: Vec<Condition>,
    /// 1-64 characters of letters, digits and `+=,.@_-`; generated when `None`.
    pub name: Option<String>,
    /// `/` or `/a/b/`; IAM uses `/` when `None`.
    pub path: Option<String>,
    pub description: Option<String>,
    /// Inline policies by name, rendered in insertion order.
    pub inline_policies: IndexMap<String, PolicyDocument>,
    pub managed_policy_arns: Vec<Value<kind::Arn>>,
    /// 3,600 to 43,200 seconds.
    pub max_session_duration: Duration,
    /// The ARN of a managed policy that caps the role's permissions.
    pub permissions_boundary: Option<Value<kind::Arn>>,
}

impl IamRole {
    /// One hour: IAM's default and minimum.
    pub const DEFAULT_MAX_SESSION: Duration = Duration::from_secs(3_600);

    /// A role the given principals may assume.
    pub fn new(trust: impl IntoIterator<Item = Principal>) -> Self {
        IamRole {
            trust: trust.into_iter().collect(),
            trust_conditions: Vec::new(),
            name: None,
            path: None,
            description: None,
            inline_policies: IndexMap::new(),
            managed_policy_arns: Vec::new(),
            max_session_duration: Self::DEFAULT_MAX_SESSION,
            permissions_boundary: None,
        }
    }

    /// A role an AWS service assumes, e.g. `IamRole::for_service("ecs-tasks.amazonaws.com")`.
    pub fn for_service(service: &str) -> Self {
        IamRole::new([Principal::service(service)])
    }

    /// Adds a principal that may assume the role.
    pub fn trust(mut self, principal: Principal) -> Self {
        self.trust.push(principal);
        self
    }

    /// Adds a condition on assuming the role.
    pub fn trust_condition(mut self, condition: Condition) -> Self {
        self.trust_conditions.push(condition);
        self
    }

    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }

    pub fn path(mut self, path: &str) -> Self {
        self.path = Some(path.to_string());
        self
    }

    pub fn description(mut self, text: &str) -> Self {
        self.description = Some(text.to_string());
        self
    }

    /// Sets (or replaces) a whole inline policy.
    pub fn inline_policy(mut self, name: &str, document: PolicyDocument) -> Self {
        self.inline_policies.insert(name.to_string(), document);
        self
    }

    /// Attaches a managed policy by ARN, e.g. an AWS-managed one.
    pub fn managed_policy(mut self, arn: impl Into<Value<kind::Arn>>) -> Self {
        self.managed_policy_arns.push(arn.into());
        self
    }

    pub fn max_session_duration(mut self, duration: Duration) -> Self {
        self.max_session_duration = duration;
        self
    }

    pub fn permissions_boundary(mut self, arn: impl Into<Value<kind::Arn>>) -> Self {
        self.permissions_boundary = Some(arn.into());
        self
    }

    /// Appends a statement to the named inline policy, creating the policy if
    /// needed. Works after the role was added, through `stack.get_mut(&role)`,
    /// so other constructs can grant access to it.
    pub fn add_to_policy(&mut self, policy_name: &str, statement: Statement) -> &mut Self {
        self.inline_policies
            .entry(policy_name.to_string())
            .or_default()
            .add_statement(statement);
        self
    }

    /// The trust policy: one statement allowing `sts:AssumeRole` to every trust
    /// principal, under the trust conditions.
    pub fn trust_document(&self) -> PolicyDocument {
        let mut st = Statement::allow()
            .principals(self.trust.iter().cloned())
            .action("sts:AssumeRole");
        st.conditions = self.trust_conditions.clone();
        PolicyDocument::new().statement(st)
    }

    /// The Terraform name suffix of an inline policy's `aws_iam_role_policy`.
    fn policy_suffix(name: &str) -> String {
        let snake = crate::ids::terraform_name(&[name.to_string()]);
        if snake.is_empty() {
            // `Default`/`Resource` are dropped by id derivation; keep them here.
            name.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_lowercase()
                    } else {
                        '_'
                    }
                })
                .collect()
        } else {
            snake
        }
    }
}

crate::refs! {
    /// What a handle to [`IamRole`] exposes: its attributes and grants.
    pub IamRoleRefs
}

impl IamRoleRefs {
    pub fn arn(&self) -> Attr<kind::Arn> {
        self.attr(ARN)
    }

    /// The role name (generated unless set).
    pub fn name(&self) -> Attr<kind::Name> {
        self.attr(NAME)
    }

    /// The stable id IAM gives the role (`AROA…`), e.g. for `aws:userid` conditions.
    pub fn unique_id(&self) -> Attr<kind::Id> {
        self.attr(UNIQUE_ID)
    }

    /// The role as a principal of a resource policy, e.g. for `EcrRepo::grant_pull`.
    pub fn principal(&self) -> Principal {
        Principal::Aws(self.arn().into())
    }
}

/// IAM names of roles and policies: letters, digits and `+=,.@_-`.
fn iam_name_ok(name: &str, max: usize) -> bool {
    (1..=max).contains(&name.chars().count())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
}

impl Resource for IamRole {
    type Refs = IamRoleRefs;

    fn kind(&self) -> &'static str {
        "IamRole"
    }

    fn validate(&self, c: &mut Checker<'_>) {
        if let Some(n) = &self.name {
            c.ensure(iam_name_ok(n, 64), "iam-role-name", || {
                format!("role name {n:?} must be 1-64 characters of letters, digits and '+=,.@_-'")
            });
        }
        if let Some(p) = &self.path {
            let ok = (1..=512).contains(&p.len())
                && p.starts_with('/')
                && p.ends_with('/')
                && p.chars().all(|c| ('\u{21}'..='\u{7f}').contains(&c));
            c.ensure(ok, "iam-role-path", || {
                format!("role path {p:?} must be \"/\" or start and end with '/', at most 512 printable ASCII characters without spaces")
            });
        }
        if let Some(d) = &self.description {
            let ok = d.chars().count() <= 1000
                && d.chars()
                    .all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{a1}'..='\u{ff}'));
            c.ensure(ok, "iam-role-description", || {
                "role description must be at most 1000 characters of printable Latin-1 text".to_string()
            });
        }
        c.duration(
            "maximum session duration",
            self.max_session_duration,
            3_600,
            43_200,
            "iam-role-max-session-duration",
        );
        c.ensure(!self.trust.is_empty(), "iam-role-trust-principal", || {
            "the role trusts no principal, so nothing can assume it; add one, e.g. IamRole::for_service(\"ecs-tasks.amazonaws.com\")".to_string()
        });
        if !self.trust.is_empty() {
            self.trust_document().check(c, &PolicyKind::TRUST, "trust policy");
        }

        let mut suffixes: IndexMap<String, &str> = IndexMap::new();
        let mut total = 0;
        for (name, doc) in &self.inline_policies {
            c.ensure(iam_name_ok(name, 128), "iam-policy-name", || {
                format!("inline policy name {name:?} must be 1-128 characters of letters, digits and '+=,.@_-'")
            });
            if let Some(other) = suffixes.insert(Self::policy_suffix(name), name) {
                c.error(
                    "iam-policy-name-collision",
                    format!("inline policies {other:?} and {name:?} differ only in case or punctuation; IAM and Terraform would treat them as one"),
                );
            }
            total += doc.check(c, &PolicyKind::INLINE, &format!("inline policy {name:?}"));
        }
        if self.inline_policies.len() > 1 {
            let max = PolicyKind::INLINE.max_chars;
            c.ensure(total <= max, "iam-role-inline-policies-size", || {
                format!("the role's inline policies total at least {total} characters; IAM allows {max} for all of a role's inline policies together. Move some to a managed policy")
            });
        }

        c.ensure(
            self.managed_policy_arns.len() <= MAX_MANAGED_POLICIES,
            "iam-role-managed-policy-count",
            || {
                format!(
                    "the role attaches {} managed policies; IAM allows at most {MAX_MANAGED_POLICIES} (10 unless the quota was raised)",
                    self.managed_policy_arns.len()
                )
            },
        );
        for (i, arn) in self.managed_policy_arns.iter().enumerate() {
            if let Some(bad) = super::check::bad_arn_literal(arn.expr(), false) {
                c.error(
                    "iam-managed-policy-arn",
                    format!("managed policy {bad:?} must be a policy ARN (\"arn:...:policy/...\")"),
                );
            }
            if self.managed_policy_arns[..i].contains(arn) {
                c.error(
                    "iam-role-managed-policy-duplicate",
                    format!("managed policy {:?} is attached twice", arn.expr()),
                );
            }
        }
        if let Some(b) = &self.permissions_boundary {
            if let Some(bad) = super::check::bad_arn_literal(b.expr(), false) {
                c.error(
                    "iam-permissions-boundary-arn",
                    format!("permissions boundary {bad:?} must be a managed policy ARN"),
                );
            }
        }
    }

    fn unique_keys(&self) -> Vec<(&'static str, String, String)> {
        // IAM role names are unique per account regardless of case.
        self.name
            .iter()
            .map(|n| {
                (
                    "iam-role-name-unique",
                    n.to_ascii_lowercase(),
                    format!("role name {n:?}"),
                )
            })
            .collect()
    }

    fn cloudformation(&self, _: &RenderCx) -> Option<Vec<CfnBlock>> {
        let policies: Vec<_> = self
            .inline_policies
            .iter()
            .map(|(name, doc)| cfn::iam::role::Policy::new(doc, name))
            .collect();
        let managed = &self.managed_policy_arns;
        let role = cfn::iam::Role {
            role_name: self.name.as_deref().map(Into::into),
            path: self.path.as_deref().map(Into::into),
            description: self.description.as_deref().map(Into::into),
            max_session_duration: Some(self.max_session_duration.as_secs().into()),
            permissions_boundary: self.permissions_boundary.as_ref().map(Into::into),
            policies: (!policies.is_empty()).then(|| policies.into()),
            managed_policy_arns: (!managed.is_empty())
                .then(|| managed.iter().map(l1::Str::from).collect::<Vec<_>>().into()),
            ..cfn::iam::Role::new(self.trust_document())
        };
        Some(vec![role.into_cfn_resource().into_block()])
    }

    fn terraform(&self, cx: &RenderCx) -> Option<Vec<TfBlock>> {
        let role = tf::aws::IamRole {
            name: self.name.as_deref().map(Into::into),
            path: self.path.as_deref().map(Into::into),
            description: self.description.as_deref().map(Into::into),
            max_session_duration: Some(self.max_session_duration.as_secs().into()),
            permissions_boundary: self.permissions_boundary.as_ref().map(Into::into),
            ..tf::aws::IamRole::new(Json::from(self.trust_document()))
        };
        let mut blocks = vec![role.into_tf_block()];
        let role: Attr<kind::Name> = cx.this(TF_ID);
        let mut used: Vec<String> = Vec::new();
        for (i, (name, doc)) in self.inline_policies.iter().enumerate() {
            let mut suffix = Self::policy_suffix(name);
            if used.contains(&suffix) {
                // Reported as `iam-policy-name-collision`; keep addresses distinct
                // so that rule is the only report.
                suffix = format!("{suffix}_{i}");
            }
            used.push(suffix.clone());
            let policy = tf::aws::IamRolePolicy::new(Json::from(doc), &role).name(name);
            blocks.push(policy.into_tf_block().suffix(suffix).awaited());
        }
        for (i, arn) in self.managed_policy_arns.iter().enumerate() {
            let attachment = tf::aws::IamRolePolicyAttachment::new(arn, &role);
            blocks.push(attachment.into_tf_block().suffix(format!("attachment_{i}")).awaited());
        }
        Some(blocks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{cfn_resource, problems, synth_one, tf_json_string, tf_resource};
    use crate::App;
    use serde_json::json;

    fn ecs_role() -> IamRole {
        IamRole::for_service("ecs-tasks.amazonaws.com")
    }

    #[test]
    fn a_bare_service_role_renders_its_trust_policy_in_both_backends() {
        let mut app = App::new();
        app.stack("S").add("TaskRole", ecs_role());
        let (cfn, tf) = synth_one(&app);
        let trust = json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Service": ["ecs-tasks.amazonaws.com"]},
                "Action": ["sts:AssumeRole"]
            }]
        });
        let role = cfn_resource(&cfn, "TaskRole");
        assert_eq!(role["Type"], "AWS::IAM::Role");
        assert_eq!(role["Properties"]["AssumeRolePolicyDocument"], trust);
        assert_eq!(role["Properties"]["MaxSessionDuration"], 3600);
        assert!(role["Properties"].get("Policies").is_none());
        assert!(role["Properties"].get("RoleName").is_none());
        let r = tf_resource(&tf, "aws_iam_role", "task_role");
        assert_eq!(tf_json_string(&r["assume_role_policy"]), trust);
        assert!(tf["resource"].get("aws_iam_role_policy").is_none());
    }

    #[test]
    fn inline_policies_are_inline_in_cloudformation_and_separate_in_terraform() {
        let mut app = App::new();
        let stack = app.stack("S");
        let role = stack.add("Role", ecs_role().name("vault-api-role"));
        stack
            .get_mut(&role)
            .expect("same stack")
            .add_to_policy(
                "vault-api-ecr",
                Statement::allow()
                    .action("ecr:BatchGetImage")
                    .resource("arn:aws:ecr:eu-west-2:123456789012:repository/vault-api"),
            )
            .add_to_policy("vault-api-ecr", Statement::ecr_auth_token());
        let (cfn, tf) = synth_one(&app);
        let policies = &cfn_resource(&cfn, "Role")["Properties"]["Policies"];
        assert_eq!(policies[0]["PolicyName"], "vault-api-ecr");
        assert_eq!(
            policies[0]["PolicyDocument"]["Statement"][1]["Action"],
            json!(["ecr:GetAuthorizationToken"])
        );
        let p = tf_resource(&tf, "aws_iam_role_policy", "role_vault_api_ecr");
        assert_eq!(p["name"], "vault-api-ecr");
        assert_eq!(p["role"], "${aws_iam_role.role.id}");
        assert_eq!(tf_json_string(&p["policy"]), policies[0]["PolicyDocument"].clone());
        assert!(p.get("tags").is_none());
    }

    #[test]
    fn managed_policies_become_attachments_in_terraform() {
        let mut app = App::new();
        let stack = app.stack("S");
        let exec = stack.add(
            "Exec",
            ecs_role()
                .managed_policy("arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")
                .managed_policy("arn:aws:iam::aws:policy/ReadOnlyAccess"),
        );
        stack.tag(&exec, "team", "vault");
        let (cfn, tf) = synth_one(&app);
        assert_eq!(
            cfn_resource(&cfn, "Exec")["Properties"]["ManagedPolicyArns"][1],
            "arn:aws:iam::aws:policy/ReadOnlyAccess"
        );
        let a = tf_resource(&tf, "aws_iam_role_policy_attachment", "exec_attachment_1");
        assert_eq!(a["policy_arn"], "arn:aws:iam::aws:policy/ReadOnlyAccess");
        assert_eq!(a["role"], "${aws_iam_role.exec.id}");
        assert!(a.get("tags").is_none());
        assert_eq!(tf_resource(&tf, "aws_iam_role", "exec")["tags"]["team"], "vault");
    }

    #[test]
    fn role_attributes_render_per_backend() {
        let mut app = App::new();
        let stack = app.stack("S");
        let role = stack.add("Role", ecs_role());
        stack.output("Arn", role.arn(), "");
        stack.output("Name", role.name(), "");
        stack.output("Id", role.unique_id(), "");
        let (cfn, tf) = synth_one(&app);
        assert_eq!(cfn["Outputs"]["Arn"]["Value"], json!({"Fn::GetAtt": ["Role", "Arn"]}));
        assert_eq!(cfn["Outputs"]["Name"]["Value"], json!({"Ref": "Role"}));
        assert_eq!(cfn["Outputs"]["Id"]["Value"], json!({"Fn::GetAtt": ["Role", "RoleId"]}));
        assert_eq!(tf["output"]["arn"]["value"], "${aws_iam_role.role.arn}");
        assert_eq!(tf["output"]["name"]["value"], "${aws_iam_role.role.name}");
        assert_eq!(tf["output"]["id"]["value"], "${aws_iam_role.role.unique_id}");
    }

    #[test]
    fn invalid_role_settings_are_reported_with_the_path() {
        let mut app = App::new();
        let stack = app.stack("S");
        let mut role = IamRole::new([])
            .name("vault api role")
            .path("service-role")
            .description("bad\u{7f}")
            .max_session_duration(Duration::from_secs(60))
            .managed_policy("AmazonECSTaskExecutionRolePolicy")
            .managed_policy("AmazonECSTaskExecutionRolePolicy")
            .permissions_boundary("boundary");
        role.add_to_policy("bad name", Statement::allow().action("s3:GetObject"));
        role.add_to_policy("ecr", Statement::allow().action("ecr:*").any_resource());
        role.add_to_policy("ECR", Statement::allow().action("ecr:*").any_resource());
        stack.add("Role", role);
        let rules: Vec<_> = problems(&app).into_iter().map(|(_, r)| r).collect();
        assert_eq!(
            rules,
            [
                "iam-role-name",
                "iam-role-path",
                "iam-role-description",
                "iam-role-max-session-duration",
                "iam-role-trust-principal",
                "iam-policy-name",
                "iam-statement-resources",
                "iam-policy-name-collision",
                "iam-managed-policy-arn",
                "iam-managed-policy-arn",
                "iam-role-managed-policy-duplicate",
                "iam-permissions-boundary-arn",
            ]
        );
        assert!(problems(&app).iter().all(|(p, _)| p == "S/Role"));
    }

    #[test]
    fn too_many_managed_policies_and_oversized_inline_policies_are_reported() {
        let mut app = App::new();
        let stack = app.stack("S");
        let mut role = ecs_role();
        for i in 0..21 {
            role = role.managed_policy(format!("arn:aws:iam::aws:policy/P{i}").as_str());
        }
        let big = |n: usize| {
            Statement::allow()
                .action("s3:GetObject")
                .resources((0..n).map(|i| format!("arn:aws:s3:::bucket-{i:04}/*")))
        };
        role.add_to_policy("a", big(200));
        role.add_to_policy("b", big(200));
        stack.add("Role", role);
        let rules: Vec<_> = problems(&app).into_iter().map(|(_, r)| r).collect();
        assert_eq!(
            rules,
            ["iam-role-inline-policies-size", "iam-role-managed-policy-count"]
        );
    }

    #[test]
    fn role_names_are_unique_per_account_ignoring_case() {
        let mut app = App::new();
        let stack = app.stack("S");
        stack.add("A", ecs_role().name("Vault"));
        stack.add("B", ecs_role().name("vault"));
        assert_eq!(problems(&app), [("S/B".to_string(), "iam-role-name-unique")]);
    }

    #[test]
    fn trust_conditions_and_extra_principals_are_rendered_and_checked() {
        let mut app = App::new();
        let stack = app.stack("S");
        stack.add(
            "Role",
            ecs_role()
                .trust(Principal::service("ecs.amazonaws.com"))
                .trust_condition(Condition::source_account_is_this_account()),
        );
        let (cfn, _) = synth_one(&app);
        let st = &cfn_resource(&cfn, "Role")["Properties"]["AssumeRolePolicyDocument"]["Statement"][0];
        assert_eq!(
            st["Principal"]["Service"],
            json!(["ecs-tasks.amazonaws.com", "ecs.amazonaws.com"])
        );
        assert_eq!(
            st["Condition"],
            json!({"StringEquals": {"aws:SourceAccount": [{"Ref": "AWS::AccountId"}]}})
        );
    }
}
