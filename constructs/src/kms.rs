//! AWS KMS: `KmsKey`, a customer-managed key for the stack's data stores and
//! log groups, with rotation on and a key policy that names who may use it.

use std::time::Duration;

use crate::expr::{kind, Attr, Attribute, CfnAttr, Expr, Target};
use crate::iam::{Condition, Need, PolicyDocument, PolicyKind, Principal, Statement};
use crate::l1::Json;
use crate::problem::{Checker, Problem};
use crate::resource::{CfnBlock, RenderCx, Resource, TfBlock};
use crate::tree::Stack;
use crate::{cfn, tf};

const ARN: Attribute = Attribute::new(CfnAttr::GetAtt("Arn"), "arn");
const KEY_ID: Attribute = Attribute::new(CfnAttr::Ref, "key_id");

/// Key policies: principals required, `Resource` is `"*"` (the key itself), 32 KB.
const KEY_POLICY: PolicyKind = PolicyKind::resource_policy("key policy", Need::Required, 32_768);

/// What the account's administrators may do with the key through their own
/// IAM policies: manage it, never encrypt or decrypt with it. `kms:PutKeyPolicy`
/// is among them, so the key can never become unmanageable (AWS's "lockout"
/// concern behind its default `kms:*` statement for the account).
pub const ADMIN_ACTIONS: [&str; 18] = [
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:PutKeyPolicy",
    "kms:ListKeyPolicies",
    "kms:GetKeyRotationStatus",
    "kms:EnableKeyRotation",
    "kms:ListResourceTags",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateKeyDescription",
    "kms:EnableKey",
    "kms:DisableKey",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:ListGrants",
    "kms:RevokeGrant",
    "kms:CreateAlias",
    "kms:DeleteAlias",
];

/// Encrypting and decrypting: what CloudWatch Logs needs for a log group's
/// events, and what DynamoDB and S3 do on behalf of a caller of this account.
pub const CRYPTO_ACTIONS: [&str; 7] = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:DescribeKey",
];

/// What the data services need besides [`CRYPTO_ACTIONS`]: ECR and DynamoDB
/// create grants on the key for their own background use.
pub const SERVICE_GRANT_ACTION: &str = "kms:CreateGrant";

/// A service that may use the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyUser {
    /// DynamoDB tables (`kms:ViaService` `dynamodb.<region>.amazonaws.com`).
    DynamoDb,
    /// S3 buckets (`kms:ViaService` `s3.<region>.amazonaws.com`).
    S3,
    /// ECR repositories (`kms:ViaService` `ecr.<region>.amazonaws.com`).
    Ecr,
    /// CloudWatch Logs log groups: the regional `logs` service principal, only
    /// for log groups of this account and region (by encryption context).
    CloudWatchLogs,
}

impl KeyUser {
    /// The service's endpoint prefix (`dynamodb`, `s3`, `ecr`, `logs`).
    pub fn service(self) -> &'static str {
        match self {
            KeyUser::DynamoDb => "dynamodb",
            KeyUser::S3 => "s3",
            KeyUser::Ecr => "ecr",
            KeyUser::CloudWatchLogs => "logs",
        }
    }

    /// The construct type whose encryption needs this permission, for messages.
    fn construct(self) -> &'static str {
        match self {
            KeyUser::DynamoDb => "DynamoTable",
            KeyUser::S3 => "Bucket",
            KeyUser::Ecr => "EcrRepo",
            KeyUser::CloudWatchLogs => "LogGroup",
        }
    }
}

/// A symmetric customer-managed KMS key.
///
/// Defaults, each the safe choice:
/// - automatic rotation on (yearly): old ciphertext stays readable, new data
///   gets new key material (cdk-nag KMS5, checkov CKV_AWS_7);
/// - kept when it leaves the stack (CloudFormation `DeletionPolicy: Retain`)
///   and, when deleted, only after the longest waiting period, 30 days, during
///   which the deletion can be cancelled: data encrypted under a deleted key is
///   lost for good;
/// - a key policy that grants exactly:
///   1. the account, for administration only ([`ADMIN_ACTIONS`]: describe,
///      rotate, tag, enable/disable, schedule deletion, replace the policy; no
///      encryption, no decryption, no grants). The account principal means
///      "IAM principals of this account whose own IAM policy allows it", which
///      is how AWS's default key policy delegates to IAM; AWS's default grants
///      `kms:*`, this one does not;
///   2. if a data service is among [`KmsKey::usable_by`]: the cryptographic
///      actions ([`CRYPTO_ACTIONS`] and [`SERVICE_GRANT_ACTION`]) for callers of this account, only
///      through those services (`kms:ViaService`) and only when their own IAM
///      policy allows it, which the tables' and buckets' `grant_*` methods add;
///   3. if [`KeyUser::CloudWatchLogs`] is among them: the regional CloudWatch
///      Logs service principal, only for log groups of this account and region
///      (`kms:EncryptionContext:aws:logs:arn`), as the CloudWatch Logs guide
///      documents.
///
/// A table, bucket, repository or log group of the stack encrypted with the
/// key while the key does not list its service is a synth-time problem
/// (`kms-key-user`): the deploy would fail.
#[derive(Clone, Debug, PartialEq)]
pub struct KmsKey {
    /// What the key protects, shown in the console (at most 8,192 characters).
    pub description: String,
    pub rotation: bool,
    /// 7-30 days between scheduling deletion and the key's deletion.
    pub pending_window: Duration,
    pub retain_on_delete: bool,
    /// The services that may use the key, in the order given.
    pub users: Vec<KeyUser>,
}

impl KmsKey {
    /// The longest waiting period AWS allows before a key is deleted.
    pub const DEFAULT_PENDING_WINDOW: Duration = Duration::from_secs(30 * 86_400);

    pub fn new(description: &str) -> Self {
        KmsKey {
            description: description.into(),
            rotation: true,
            pending_window: Self::DEFAULT_PENDING_WINDOW,
            retain_on_delete: true,
            users: Vec::new(),
        }
    }

    /// Lets these services use the key (see the type's documentation for the
    /// statement each gets).
    pub fn usable_by(mut self, users: impl IntoIterator<Item = KeyUser>) -> Self {
        for u in users {
            if !self.users.contains(&u) {
                self.users.push(u);
            }
        }
        self
    }

    /// Turns automatic rotation off (an explicit opt-out; the checks flag it).
    pub fn without_rotation(mut self) -> Self {
        self.rotation = false;
        self
    }

    /// The waiting period before a scheduled deletion happens, 7-30 days.
    pub fn pending_window(mut self, window: Duration) -> Self {
        self.pending_window = window;
        self
    }

    /// Lets the stack delete the key (after the pending window) when it leaves
    /// the template. Only for keys that protect nothing you need to keep.
    pub fn destroy_on_delete(mut self) -> Self {
        self.retain_on_delete = false;
        self
    }

    /// The key policy as rendered.
    pub fn policy(&self) -> PolicyDocument {
        let mut doc = PolicyDocument::new().statement(
            Statement::allow()
                .sid("KeyAdministration")
                .principal(Principal::this_account())
                .actions(ADMIN_ACTIONS)
                .any_resource(),
        );
        let via: Vec<Expr> = self
            .users
            .iter()
            .filter(|u| **u != KeyUser::CloudWatchLogs)
            .map(|u| {
                Expr::concat([
                    Expr::str(format!("{}.", u.service())),
                    Attr::region().expr(),
                    Expr::str("."),
                    Attr::url_suffix().expr(),
                ])
            })
            .collect();
        if !via.is_empty() {
            doc.add_statement(
                Statement::allow()
                    .sid("UseThroughDataServices")
                    .principal(Principal::this_account())
                    .actions(CRYPTO_ACTIONS)
                    .action(SERVICE_GRANT_ACTION)
                    .any_resource()
                    .condition(Condition::new(
                        "StringEquals",
                        "kms:CallerAccount",
                        [Attr::account_id().expr()],
                    ))
                    .condition(Condition::new("StringEquals", "kms:ViaService", via)),
            );
        }
        if self.users.contains(&KeyUser::CloudWatchLogs) {
            let log_groups = Expr::concat([
                Expr::str("arn:"),
                Attr::partition().expr(),
                Expr::str(":logs:"),
                Attr::region().expr(),
                Expr::str(":"),
                Attr::account_id().expr(),
                Expr::str(":log-group:*"),
            ]);
            doc.add_statement(
                Statement::allow()
                    .sid("CloudWatchLogsOfThisAccount")
                    .principal(Principal::regional_service("logs"))
                    .actions(CRYPTO_ACTIONS)
                    .any_resource()
                    .condition(Condition::new(
                        "ArnLike",
                        "kms:EncryptionContext:aws:logs:arn",
                        [log_groups],
                    )),
            );
        }
        doc
    }
}

crate::refs! {
    /// What a handle to [`KmsKey`] exposes: its attributes.
    pub KmsKeyRefs
}

impl KmsKeyRefs {
    /// The key's ARN: what tables, buckets, repositories and log groups take.
    pub fn arn(&self) -> Attr<kind::Arn> {
        self.attr(ARN)
    }

    /// The key id (a UUID).
    pub fn key_id(&self) -> Attr<kind::Text> {
        self.attr(KEY_ID)
    }
}

impl Resource for KmsKey {
    type Refs = KmsKeyRefs;

    fn kind(&self) -> &'static str {
        "KmsKey"
    }

    fn validate(&self, c: &mut Checker<'_>) {
        let d = &self.description;
        c.ensure(d.chars().count() <= 8_192, "kms-key-description", || {
            format!(
                "key description is {} characters; KMS allows at most 8192",
                d.chars().count()
            )
        });
        let days = self.pending_window.as_secs() / 86_400;
        c.ensure(
            self.pending_window.as_secs().is_multiple_of(86_400) && (7..=30).contains(&days),
            "kms-key-pending-window",
            || {
                format!(
                    "pending window of {:?} must be whole days between 7 and 30",
                    self.pending_window
                )
            },
        );
        self.policy().check(c, &KEY_POLICY, "key policy");
    }

    fn cloudformation(&self, _: &RenderCx) -> Option<Vec<CfnBlock>> {
        let key = cfn::kms::Key {
            description: Some(self.description.as_str().into()),
            enable_key_rotation: Some(self.rotation.into()),
            key_policy: Some(self.policy().into()),
            pending_window_in_days: Some(pending_window_days(self.pending_window).into()),
            ..Default::default()
        };
        let mut r = key.into_cfn_resource();
        if self.retain_on_delete {
            r = r.retained();
        }
        Some(vec![r.into_block()])
    }

    fn terraform(&self, _: &RenderCx) -> Option<Vec<TfBlock>> {
        let key = tf::aws::KmsKey {
            deletion_window_in_days: Some(pending_window_days(self.pending_window).into()),
            description: Some(self.description.as_str().into()),
            enable_key_rotation: Some(self.rotation.into()),
            policy: Some(Json::from(self.policy()).into()),
            ..Default::default()
        };
        Some(vec![key.into_tf_block()])
    }
}

/// The pending window in whole days (validation reports other durations).
fn pending_window_days(window: Duration) -> i64 {
    (window.as_secs() / 86_400) as i64
}

/// The KMS key of this stack a key value names (`key.arn()`), if it is one.
pub(crate) fn stack_key<'a>(stack: &'a Stack, key: &Expr) -> Option<&'a KmsKey> {
    match key {
        Expr::Ref(Target::Node(n, _)) => stack.resource::<KmsKey>(n),
        _ => None,
    }
}

/// Every table, bucket, repository and log group encrypted with a key of this
/// stack needs the key to list its service, or the deploy fails (the service
/// is refused the key). Reported as `kms-key-user` at the encrypted construct.
pub(crate) fn check_key_users(stack: &Stack, problems: &mut Vec<Problem>) {
    use crate::dynamodb::{DynamoTable, TableEncryption};
    use crate::ecr::{EcrRepo, Encryption};
    use crate::logs::LogGroup;
    use crate::s3::{Bucket, BucketEncryption};
    for node in &stack.nodes {
        let Some(resource) = node.resource.as_ref() else {
            continue;
        };
        let any = resource.as_any();
        let used: Option<(&Expr, KeyUser)> = if let Some(t) = any.downcast_ref::<DynamoTable>() {
            match &t.encryption {
                TableEncryption::CustomerManaged(k) => Some((k.expr(), KeyUser::DynamoDb)),
                _ => None,
            }
        } else if let Some(b) = any.downcast_ref::<Bucket>() {
            match &b.encryption {
                BucketEncryption::Kms(Some(k)) => Some((k.expr(), KeyUser::S3)),
                _ => None,
            }
        } else if let Some(r) = any.downcast_ref::<EcrRepo>() {
            match &r.encryption {
                Encryption::Kms(Some(k)) => Some((k.expr(), KeyUser::Ecr)),
                _ => None,
            }
        } else if let Some(g) = any.downcast_ref::<LogGroup>() {
            g.kms_key.as_ref().map(|k| (k.expr(), KeyUser::CloudWatchLogs))
        } else {
            None
        };
        let Some((key, user)) = used else { continue };
        let Some(k) = stack_key(stack, key) else { continue };
        if !k.users.contains(&user) {
            let key_path = match key {
                Expr::Ref(Target::Node(n, _)) => stack.path_of(n).unwrap_or_default().to_string(),
                _ => String::new(),
            };
            problems.push(Problem::new(
                &node.path,
                "kms-key-user",
                format!(
                    "the {} is encrypted with {key_path}, whose key policy does not let {} use it; add KeyUser::{:?} to that key's usable_by(..)",
                    user.construct(),
                    user.service(),
                    user
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{cfn_resource, problems, synth_one, tf_json_string, tf_resource};
    use crate::App;
    use serde_json::json;

    #[test]
    fn key_defaults_rotate_retain_and_administer_without_crypto_in_both_backends() {
        let mut app = App::new();
        app.stack("S").add("Key", KmsKey::new("data"));
        let (cfn, tf) = synth_one(&app);
        let c = cfn_resource(&cfn, "Key");
        assert_eq!(c["Type"], "AWS::KMS::Key");
        assert_eq!(c["DeletionPolicy"], "Retain");
        assert_eq!(c["Properties"]["EnableKeyRotation"], true);
        assert_eq!(c["Properties"]["PendingWindowInDays"], 30);
        let statements = c["Properties"]["KeyPolicy"]["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 1, "nobody but administrators without users");
        assert_eq!(
            statements[0]["Principal"],
            json!({"AWS": [{"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}]})
        );
        let actions: Vec<&str> = statements[0]["Action"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert!(actions.contains(&"kms:PutKeyPolicy"));
        assert!(!actions
            .iter()
            .any(|a| a.contains('*') || *a == "kms:Decrypt" || *a == "kms:CreateGrant"));
        let t = tf_resource(&tf, "aws_kms_key", "key");
        assert_eq!(t["enable_key_rotation"], true);
        assert_eq!(t["deletion_window_in_days"], 30);
        assert_eq!(tf_json_string(&t["policy"])["Statement"][0]["Sid"], "KeyAdministration");
    }

    #[test]
    fn users_get_service_scoped_use_and_logs_by_encryption_context() {
        let mut app = App::new();
        app.stack("S").add(
            "Key",
            KmsKey::new("data").usable_by([KeyUser::DynamoDb, KeyUser::S3, KeyUser::CloudWatchLogs]),
        );
        let (cfn, tf) = synth_one(&app);
        let policy = &cfn_resource(&cfn, "Key")["Properties"]["KeyPolicy"];
        let services = &policy["Statement"][1];
        assert_eq!(
            services["Condition"]["StringEquals"]["kms:ViaService"],
            json!([
                {"Fn::Sub": "dynamodb.${AWS::Region}.${AWS::URLSuffix}"},
                {"Fn::Sub": "s3.${AWS::Region}.${AWS::URLSuffix}"}
            ])
        );
        assert_eq!(
            services["Condition"]["StringEquals"]["kms:CallerAccount"],
            json!([{"Ref": "AWS::AccountId"}])
        );
        let logs = &policy["Statement"][2];
        assert_eq!(
            logs["Principal"],
            json!({"Service": [{"Fn::Sub": "logs.${AWS::Region}.${AWS::URLSuffix}"}]})
        );
        assert_eq!(
            logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"],
            json!([{"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"}])
        );
        let tf_policy = tf_json_string(&tf_resource(&tf, "aws_kms_key", "key")["policy"]);
        assert_eq!(
            tf_policy["Statement"][2]["Principal"]["Service"],
            json!(["logs.${data.aws_region.current.name}.${data.aws_partition.current.dns_suffix}"])
        );
    }

    #[test]
    fn a_store_encrypted_with_a_key_that_does_not_list_its_service_is_a_problem() {
        let mut app = App::new();
        let stack = app.stack("S");
        let key = stack.add("Key", KmsKey::new("data").usable_by([KeyUser::S3]));
        stack.add("Logs", crate::logs::LogGroup::new("/app").kms_key(key.arn()));
        stack.add(
            "Objects",
            crate::s3::Bucket::new().encryption(crate::s3::BucketEncryption::Kms(Some(key.arn().into()))),
        );
        assert_eq!(problems(&app), [("S/Logs".to_string(), "kms-key-user")]);
    }

    #[test]
    fn pending_window_must_be_whole_days_from_7_to_30() {
        let mut app = App::new();
        app.stack("S")
            .add("Key", KmsKey::new("data").pending_window(Duration::from_secs(86_400)));
        assert_eq!(problems(&app), [("S/Key".to_string(), "kms-key-pending-window")]);
    }
}
