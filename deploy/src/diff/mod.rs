//! One diff model for both backends, and its renderer.
//!
//! CloudFormation's change set (plus the deployed and new templates, for
//! property values) and Terraform's saved plan (`terraform show -json`) are each
//! turned into a [`StackDiff`]: per resource, add / modify / replace / remove,
//! with property-level before and after. Each change is classified:
//! - **data-bearing** (tables, buckets, repositories, log groups, queues,
//!   databases, file systems, and anything retained on delete): replacing or
//!   removing it is shown as a data loss risk;
//! - **security** (IAM, security groups, resource policies): listed in their own
//!   section; a change that adds an `Allow` statement, a managed policy or a
//!   security group rule *broadens* permissions (CDK's definition, which
//!   `--require-approval broadening` asks about).

pub mod cloudformation;
pub mod render;
pub mod replacement;
pub mod terraform;

use std::collections::BTreeSet;

use serde_json::Value as Json;

/// What happens to one resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    Add,
    Modify,
    Replace,
    Remove,
}

impl Action {
    /// The marker in front of a line: `[+]`, `[~]`, `[-/+]`, `[-]`.
    pub fn marker(self) -> &'static str {
        match self {
            Action::Add => "[+]",
            Action::Modify => "[~]",
            Action::Replace => "[-/+]",
            Action::Remove => "[-]",
        }
    }
}

/// Whether a modification replaces the resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Replacement {
    /// Updated in place.
    No,
    /// Replaced because these properties change (empty when the backend said
    /// so without naming them).
    Yes(Vec<String>),
    /// May be replaced, depending on values only known while deploying
    /// (CloudFormation's `Conditional`).
    Maybe(Vec<String>),
}

/// One property that changes.
#[derive(Clone, Debug, PartialEq)]
pub struct PropertyChange {
    /// `DesiredCount`, `Tags[0].Value`, `policy`.
    pub path: String,
    pub before: Option<Json>,
    /// `None` when removed; [`UNKNOWN`] when only known after apply.
    pub after: Option<Json>,
    pub forces_replacement: bool,
}

/// Shown for a value Terraform knows only after apply.
pub const UNKNOWN: &str = "(known after apply)";

/// One resource's change.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceChange {
    /// CloudFormation logical id, or Terraform address.
    pub id: String,
    pub resource_type: String,
    pub action: Action,
    /// For [`Action::Replace`] (and modifications that may replace).
    pub replacement: Replacement,
    pub properties: Vec<PropertyChange>,
    pub data_bearing: bool,
    /// Kept in the account when deleted (`DeletionPolicy: Retain`).
    pub retained: bool,
    pub security: bool,
    pub broadening: bool,
}

impl ResourceChange {
    pub fn new(id: impl Into<String>, resource_type: impl Into<String>, action: Action) -> ResourceChange {
        let resource_type = resource_type.into();
        ResourceChange {
            id: id.into(),
            data_bearing: is_data_bearing(&resource_type),
            security: is_security(&resource_type),
            resource_type,
            action,
            replacement: if action == Action::Replace {
                Replacement::Yes(Vec::new())
            } else {
                Replacement::No
            },
            properties: Vec::new(),
            retained: false,
            broadening: false,
        }
    }

    /// Replacing or removing something that holds data.
    pub fn data_loss_risk(&self) -> bool {
        (self.data_bearing || self.retained)
            && (matches!(self.action, Action::Replace | Action::Remove)
                || matches!(self.replacement, Replacement::Maybe(_)))
    }
}

/// A stack's whole diff.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct StackDiff {
    pub stack: String,
    /// `CloudFormation` or `Terraform`.
    pub backend: String,
    /// The stack does not exist yet.
    pub new_stack: bool,
    pub changes: Vec<ResourceChange>,
    /// Outputs added, changed or removed (paths are output names).
    pub outputs: Vec<PropertyChange>,
    /// Things the user must know before applying (listener priority clashes, …).
    pub warnings: Vec<String>,
}

impl StackDiff {
    /// Nothing would change.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.outputs.is_empty()
    }
    pub fn broadening(&self) -> bool {
        self.changes.iter().any(|c| c.broadening)
    }
    pub fn data_loss_risk(&self) -> bool {
        self.changes.iter().any(ResourceChange::data_loss_risk)
    }
    pub fn count(&self, action: Action) -> usize {
        self.changes.iter().filter(|c| c.action == action).count()
    }
}

/// Resource types whose deletion loses data (CloudFormation and Terraform names).
const DATA_BEARING: &[&str] = &[
    "AWS::DynamoDB::Table",
    "AWS::DynamoDB::GlobalTable",
    "AWS::S3::Bucket",
    "AWS::ECR::Repository",
    "AWS::Logs::LogGroup",
    "AWS::SQS::Queue",
    "AWS::RDS::DBInstance",
    "AWS::RDS::DBCluster",
    "AWS::EFS::FileSystem",
    "AWS::Kinesis::Stream",
    "AWS::KMS::Key",
    "AWS::SecretsManager::Secret",
    "aws_dynamodb_table",
    "aws_s3_bucket",
    "aws_ecr_repository",
    "aws_cloudwatch_log_group",
    "aws_sqs_queue",
    "aws_db_instance",
    "aws_rds_cluster",
    "aws_efs_file_system",
    "aws_kinesis_stream",
    "aws_kms_key",
    "aws_secretsmanager_secret",
];

pub fn is_data_bearing(resource_type: &str) -> bool {
    DATA_BEARING.contains(&resource_type)
}

/// IAM, security groups and resource policies.
pub fn is_security(t: &str) -> bool {
    t.starts_with("AWS::IAM::")
        || t.starts_with("AWS::EC2::SecurityGroup")
        || t.ends_with("Policy") && t.starts_with("AWS::") && !t.starts_with("AWS::IAM::")
        || t == "AWS::Lambda::Permission"
        || t.starts_with("aws_iam_")
        || t.starts_with("aws_security_group")
        || t.starts_with("aws_vpc_security_group_")
        || t.ends_with("_policy") && t.starts_with("aws_")
        || t == "aws_lambda_permission"
}

/// What a resource's properties grant: `Allow` statements, managed policies
/// and security-group rules, each as canonical JSON. A change broadens when the
/// new set has an element the old one lacks.
pub fn grants(resource_type: &str, properties: &Json) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if !is_security(resource_type) {
        return out;
    }
    // Standalone rule resources: the rule is the whole resource.
    let standalone_rule = matches!(
        resource_type,
        "AWS::EC2::SecurityGroupIngress"
            | "AWS::EC2::SecurityGroupEgress"
            | "aws_security_group_rule"
            | "aws_vpc_security_group_ingress_rule"
            | "aws_vpc_security_group_egress_rule"
            | "aws_iam_role_policy_attachment"
            | "AWS::Lambda::Permission"
            | "aws_lambda_permission"
    );
    if standalone_rule {
        if !properties.is_null() {
            out.insert(canonical(properties));
        }
        return out;
    }
    collect_grants(properties, None, &mut out);
    out
}

fn collect_grants(v: &Json, key: Option<&str>, out: &mut BTreeSet<String>) {
    match v {
        Json::Object(m) => {
            if m.get("Effect").and_then(Json::as_str) == Some("Allow") {
                out.insert(canonical(v));
                return;
            }
            for (k, child) in m {
                collect_grants(child, Some(k), out);
            }
        }
        Json::Array(items) => {
            let rules = matches!(
                key,
                Some("SecurityGroupIngress" | "SecurityGroupEgress" | "ingress" | "egress")
            );
            let managed = matches!(key, Some("ManagedPolicyArns" | "managed_policy_arns"));
            for item in items {
                if rules || managed {
                    out.insert(format!("{}:{}", key.unwrap_or(""), canonical(item)));
                } else {
                    collect_grants(item, key, out);
                }
            }
        }
        // Terraform holds policy documents as JSON text.
        Json::String(s) if s.trim_start().starts_with('{') && s.contains("Statement") => {
            if let Ok(doc) = serde_json::from_str::<Json>(s) {
                collect_grants(&doc, key, out);
            }
        }
        _ => {}
    }
}

/// JSON with object keys sorted, for set comparisons.
pub fn canonical(v: &Json) -> String {
    fn sort(v: &Json) -> Json {
        match v {
            Json::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                Json::Object(keys.into_iter().map(|k| (k.clone(), sort(&m[k]))).collect())
            }
            Json::Array(a) => Json::Array(a.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    sort(v).to_string()
}

/// Sets `broadening` from the grants before and after.
pub fn classify_security(change: &mut ResourceChange, before: &Json, after: &Json) {
    if !change.security || change.action == Action::Remove {
        return;
    }
    let old = grants(&change.resource_type, before);
    let new = grants(&change.resource_type, after);
    // A policy or rule only known after apply (Terraform: it names a resource
    // not created yet) cannot be shown not to broaden: count it as broadening.
    let unknown = before != after && after.to_string().contains(UNKNOWN) && grants_unknown(&change.resource_type);
    change.broadening = unknown || new.difference(&old).next().is_some();
}

/// Types whose grants live in values Terraform may know only after apply.
fn grants_unknown(resource_type: &str) -> bool {
    resource_type.starts_with("aws_iam_")
        || resource_type.ends_with("_policy")
        || resource_type.contains("security_group_")
}

/// Property-level differences between two JSON values: objects are compared
/// key by key, arrays of equal length element by element, anything else whole.
pub fn property_changes(prefix: &str, before: Option<&Json>, after: Option<&Json>, out: &mut Vec<PropertyChange>) {
    let join = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match (before, after) {
        (Some(a), Some(b)) if a == b => {}
        (Some(Json::Object(a)), Some(Json::Object(b))) => {
            for (k, va) in a {
                property_changes(&join(k), Some(va), b.get(k), out);
            }
            for (k, vb) in b {
                if !a.contains_key(k) {
                    property_changes(&join(k), None, Some(vb), out);
                }
            }
        }
        (Some(Json::Array(a)), Some(Json::Array(b))) if a.len() == b.len() && !prefix.is_empty() => {
            for (i, (va, vb)) in a.iter().zip(b).enumerate() {
                property_changes(&format!("{prefix}[{i}]"), Some(va), Some(vb), out);
            }
        }
        (None, None) => {}
        _ => out.push(PropertyChange {
            path: prefix.to_string(),
            before: before.cloned(),
            after: after.cloned(),
            forces_replacement: false,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn property_changes_descend_into_objects_and_equal_length_arrays() {
        let mut out = Vec::new();
        property_changes(
            "",
            Some(&json!({"A": 1, "B": {"C": [1, 2], "D": "x"}, "E": [1]})),
            Some(&json!({"A": 2, "B": {"C": [1, 3], "D": "x"}, "E": [1, 2], "F": true})),
            &mut out,
        );
        let paths: Vec<&str> = out.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["A", "B.C[1]", "E", "F"]);
        assert_eq!(out[3].before, None);
    }

    #[test]
    fn a_new_allow_statement_broadens_and_a_removed_one_does_not() {
        let before = json!({"Policies": [{"PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}}]});
        let after = json!({"Policies": [{"PolicyDocument": {"Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}]}}]});
        let mut c = ResourceChange::new("Role", "AWS::IAM::Role", Action::Modify);
        classify_security(&mut c, &before, &after);
        assert!(c.broadening);
        classify_security(&mut c, &after, &before);
        assert!(!c.broadening);
        // A Deny statement narrows.
        let deny = json!({"Policies": [{"PolicyDocument": {"Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
            {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}}]});
        classify_security(&mut c, &before, &deny);
        assert!(!c.broadening);
    }

    #[test]
    fn a_terraform_policy_known_only_after_apply_counts_as_broadening() {
        let mut c = ResourceChange::new("aws_iam_role_policy.p", "aws_iam_role_policy", Action::Add);
        classify_security(&mut c, &Json::Null, &json!({"name": "p", "policy": UNKNOWN}));
        assert!(c.broadening);
        let mut sg = ResourceChange::new("aws_security_group.g", "aws_security_group", Action::Add);
        classify_security(&mut sg, &Json::Null, &json!({"name": "g", "id": UNKNOWN}));
        assert!(!sg.broadening, "a group without rules grants nothing");
    }

    #[test]
    fn terraform_policy_text_and_security_group_rules_count_as_grants() {
        let policy =
            json!({"policy": "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sqs:*\",\"Resource\":\"*\"}]}"});
        assert_eq!(grants("aws_iam_role_policy", &policy).len(), 1);
        let sg = json!({"SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "SourceSecurityGroupId": {"Ref": "Lb"}}]});
        assert_eq!(grants("AWS::EC2::SecurityGroup", &sg).len(), 1);
        assert!(grants("AWS::S3::Bucket", &policy).is_empty());
    }

    #[test]
    fn data_loss_is_a_replaced_or_removed_data_bearing_or_retained_resource() {
        let mut table = ResourceChange::new("Items", "AWS::DynamoDB::Table", Action::Replace);
        assert!(table.data_loss_risk());
        table.action = Action::Modify;
        table.replacement = Replacement::No;
        assert!(!table.data_loss_risk());
        let mut sg = ResourceChange::new("Sg", "AWS::EC2::SecurityGroup", Action::Remove);
        assert!(!sg.data_loss_risk());
        sg.retained = true;
        assert!(sg.data_loss_risk());
    }
}
