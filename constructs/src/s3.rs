//! S3: `Bucket`.

use std::time::Duration;

use crate::expr::{kind, Attr, Attribute, CfnAttr, Expr, Value};
use crate::grants::grant;
use crate::iam::{Condition, IamRole, PolicyDocument, PolicyKind, Principal, Statement};
use crate::l1::{self, Json};
use crate::problem::Checker;
use crate::resource::{CfnBlock, RenderCx, Resource, TfBlock};
use crate::tree::{Handle, Stack};
use crate::{cfn, tf};

/// S3 bucket policies: principals and resources required, 20 KB.
const BUCKET_POLICY: PolicyKind = PolicyKind::resource_policy("bucket policy", crate::iam::Need::Required, 20_480);

const NAME: Attribute = Attribute::new(CfnAttr::Ref, "bucket");
const ARN: Attribute = Attribute::new(CfnAttr::GetAtt("Arn"), "arn");
const REGIONAL_DOMAIN: Attribute = Attribute::new(CfnAttr::GetAtt("RegionalDomainName"), "bucket_regional_domain_name");

/// Default encryption of new objects.
#[derive(Clone, Debug, PartialEq)]
pub enum BucketEncryption {
    /// SSE-S3 (AES-256 with S3's keys).
    S3Managed,
    /// SSE-KMS with the given key, or the AWS-managed `aws/s3` key when `None`;
    /// an S3 bucket key cuts the KMS request cost.
    Kms(Option<Value<kind::Arn>>),
}

/// What the bucket's lifecycle configuration removes, and when.
///
/// Durations are whole days (S3 counts days, rounding up to the next midnight UTC).
#[derive(Clone, Debug, PartialEq)]
pub struct BucketLifecycle {
    /// Deletes a noncurrent object version this long after it was replaced or
    /// deleted (versioned buckets only). `None` keeps old versions forever.
    pub noncurrent_version_expiration: Option<Duration>,
    /// Aborts a multipart upload this long after it started, freeing the parts
    /// it stored (which cost money and are invisible in object listings).
    pub abort_incomplete_multipart_upload: Option<Duration>,
}

impl BucketLifecycle {
    /// 90 days: long enough to notice and undo a mistaken overwrite or delete,
    /// short enough that a bucket's storage does not grow without bound.
    pub const DEFAULT_NONCURRENT_EXPIRATION: Duration = Duration::from_secs(90 * 86_400);
    /// 7 days: far longer than any upload takes.
    pub const DEFAULT_ABORT_INCOMPLETE_UPLOAD: Duration = Duration::from_secs(7 * 86_400);

    /// No rules at all (an explicit opt-out).
    pub fn none() -> Self {
        BucketLifecycle {
            noncurrent_version_expiration: None,
            abort_incomplete_multipart_upload: None,
        }
    }
}

impl Default for BucketLifecycle {
    fn default() -> Self {
        BucketLifecycle {
            noncurrent_version_expiration: Some(Self::DEFAULT_NONCURRENT_EXPIRATION),
            abort_incomplete_multipart_upload: Some(Self::DEFAULT_ABORT_INCOMPLETE_UPLOAD),
        }
    }
}

fn days(d: Duration) -> i64 {
    (d.as_secs() / 86_400) as i64
}

/// An S3 bucket.
///
/// Defaults, each an explicit opt-out away:
/// - all four public-access blocks on: nothing in it can be made public by ACL or policy;
/// - ACLs disabled (`BucketOwnerEnforced`): access is decided by policies alone;
/// - SSE-S3 encryption of every new object;
/// - versioning on: an overwrite or delete can be undone;
/// - a lifecycle rule ([`BucketLifecycle::default`]): noncurrent versions are
///   deleted after 90 days and incomplete multipart uploads aborted after 7,
///   so versioning does not make storage grow forever;
/// - a bucket policy refusing every request not made over TLS
///   (`aws:SecureTransport = false` → deny), so data never travels in clear;
/// - kept when it leaves the stack (CloudFormation `DeletionPolicy: Retain`,
///   Terraform `force_destroy = false`): objects outlive a mistaken delete.
#[derive(Clone, Debug, PartialEq)]
pub struct Bucket {
    /// Globally unique name; `None` lets CloudFormation / Terraform generate one.
    pub name: Option<String>,
    pub block_public_access: bool,
    pub encryption: BucketEncryption,
    pub versioned: bool,
    pub lifecycle: BucketLifecycle,
    pub retain_on_delete: bool,
    /// Adds the deny-non-TLS statement to the bucket policy.
    pub enforce_tls: bool,
    /// Further bucket policy statements (resource policy: each needs principals).
    pub policy: PolicyDocument,
    /// The bucket holds data that must be under a customer-managed key
    /// (declared with [`Bucket::sensitive`]; the checks enforce it).
    pub sensitive: bool,
}

impl Default for Bucket {
    fn default() -> Self {
        Bucket {
            name: None,
            block_public_access: true,
            encryption: BucketEncryption::S3Managed,
            versioned: true,
            lifecycle: BucketLifecycle::default(),
            retain_on_delete: true,
            enforce_tls: true,
            policy: PolicyDocument::new(),
            sensitive: false,
        }
    }
}

impl Bucket {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn named(name: &str) -> Self {
        Bucket {
            name: Some(name.into()),
            ..Self::default()
        }
    }
    pub fn encryption(mut self, encryption: BucketEncryption) -> Self {
        self.encryption = encryption;
        self
    }
    /// Encrypts new objects with a customer-managed KMS key (its ARN, e.g. a
    /// `KmsKey`'s `arn()`); the `grant_*` methods then also grant the key use
    /// they need.
    pub fn kms_key(self, key_arn: impl Into<Value<kind::Arn>>) -> Self {
        self.encryption(BucketEncryption::Kms(Some(key_arn.into())))
    }
    /// Declares that the bucket holds sensitive data: the checks then require
    /// a customer-managed key (`s3-sensitive-customer-key`).
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
    /// Replaces the lifecycle rules (`BucketLifecycle::none()` removes them, an
    /// explicit opt-out the checks flag on a versioned bucket).
    pub fn lifecycle(mut self, lifecycle: BucketLifecycle) -> Self {
        self.lifecycle = lifecycle;
        self
    }
    /// Turns versioning off (an explicit opt-out: overwrites are then final).
    pub fn unversioned(mut self) -> Self {
        self.versioned = false;
        self
    }
    /// Allows public access settings (an explicit opt-out; for website buckets).
    pub fn allow_public_access(mut self) -> Self {
        self.block_public_access = false;
        self
    }
    /// Accepts plain-HTTP requests (an explicit opt-out; hardly ever right).
    pub fn allow_insecure_transport(mut self) -> Self {
        self.enforce_tls = false;
        self
    }
    /// Adds a statement to the bucket policy.
    pub fn policy_statement(mut self, statement: Statement) -> Self {
        self.policy.add_statement(statement);
        self
    }
    /// Deletes the bucket with the stack (it must be empty).
    pub fn destroy_on_delete(mut self) -> Self {
        self.retain_on_delete = false;
        self
    }
}

crate::refs! {
    /// What a handle to [`Bucket`] exposes: its attributes and grants.
    pub BucketRefs
}

impl BucketRefs {
    pub fn name(&self) -> Attr<kind::Name> {
        self.attr(NAME)
    }
    pub fn arn(&self) -> Attr<kind::Arn> {
        self.attr(ARN)
    }
    /// `arn:…:s3:::bucket/*`: every object in the bucket, for object-level grants.
    pub fn objects_arn(&self) -> Value<kind::Arn> {
        Value::concat([self.arn().expr(), Expr::str("/*")])
    }
    pub fn regional_domain_name(&self) -> Attr<kind::Text> {
        self.attr(REGIONAL_DOMAIN)
    }

    /// Lets `role` list the bucket and read its objects.
    pub fn grant_read(&self, stack: &mut Stack, role: &Handle<IamRole>) {
        let statements = self.grant_statements(stack, &["s3:GetObject"]);
        grant(stack, self, "read", role, statements);
    }

    /// Lets `role` list the bucket and read, write and delete its objects (not
    /// the bucket itself, its policy or its configuration).
    pub fn grant_read_write(&self, stack: &mut Stack, role: &Handle<IamRole>) {
        let statements = self.grant_statements(
            stack,
            &[
                "s3:GetObject",
                "s3:PutObject",
                "s3:DeleteObject",
                "s3:AbortMultipartUpload",
            ],
        );
        grant(stack, self, "read-write", role, statements);
    }

    fn grant_statements(&self, stack: &Stack, object_actions: &[&str]) -> Vec<Statement> {
        let mut out = vec![
            Statement::allow()
                .actions(object_actions.iter().copied())
                .resource(self.objects_arn()),
            Statement::allow().action("s3:ListBucket").resource(self.arn()),
        ];
        // Objects under a customer-managed key also need the key.
        if let Some(BucketEncryption::Kms(Some(key))) = stack.resource::<Bucket>(self).map(|b| &b.encryption) {
            let mut actions = vec!["kms:Decrypt"];
            if object_actions.contains(&"s3:PutObject") {
                actions.push("kms:GenerateDataKey");
            }
            out.push(Statement::allow().actions(actions).resource(key.clone()));
        }
        out
    }
}

/// The statement refusing plain-HTTP access to `bucket` and its objects.
fn deny_insecure_transport(bucket: Value<kind::Arn>) -> Statement {
    let objects = Value::concat([bucket.clone().into_expr(), Expr::str("/*")]);
    Statement::deny()
        .sid("DenyInsecureTransport")
        .principal(Principal::Any)
        .action("s3:*")
        .resources([bucket, objects])
        .condition(Condition::new("Bool", "aws:SecureTransport", ["false"]))
}

impl Bucket {
    /// When the one lifecycle rule (covering every object) expires noncurrent
    /// versions and aborts multipart uploads, in days; `None` without actions.
    /// Noncurrent-version expiration applies only to a versioned bucket.
    fn lifecycle_days(&self) -> Option<(Option<i64>, Option<i64>)> {
        let l = &self.lifecycle;
        let noncurrent = l.noncurrent_version_expiration.filter(|_| self.versioned).map(days);
        let abort = l.abort_incomplete_multipart_upload.map(days);
        (noncurrent.is_some() || abort.is_some()).then_some((noncurrent, abort))
    }
}

/// S3's bucket naming rules (general purpose buckets).
impl Bucket {
    /// The bucket policy as rendered: the user's statements, then the TLS deny.
    fn rendered_policy(&self, cx: &RenderCx) -> Option<PolicyDocument> {
        let mut doc = self.policy.clone();
        if self.enforce_tls {
            doc.add_statement(deny_insecure_transport(cx.this::<kind::Arn>(ARN).into()));
        }
        (!doc.statements.is_empty()).then_some(doc)
    }
}

fn check_bucket_name(n: &str) -> Result<(), &'static str> {
    if !(3..=63).contains(&n.len()) {
        return Err("must be 3-63 characters");
    }
    if !n
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
    {
        return Err("may contain only lowercase letters, digits, '.' and '-'");
    }
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !edge_ok(n.chars().next()) || !edge_ok(n.chars().last()) {
        return Err("must begin and end with a letter or digit");
    }
    if n.contains("..") || n.contains(".-") || n.contains("-.") {
        return Err("must not contain '..', '.-' or '-.'");
    }
    if n.split('.').count() == 4 && n.split('.').all(|p| p.parse::<u8>().is_ok()) {
        return Err("must not look like an IP address");
    }
    if n.starts_with("xn--") || n.starts_with("sthree-") || n.ends_with("-s3alias") || n.ends_with("--ol-s3") {
        return Err("must not use a prefix or suffix S3 reserves (xn--, sthree-, -s3alias, --ol-s3)");
    }
    Ok(())
}

impl Resource for Bucket {
    type Refs = BucketRefs;

    fn kind(&self) -> &'static str {
        "Bucket"
    }

    fn validate(&self, c: &mut Checker<'_>) {
        if let Some(n) = &self.name {
            if let Err(why) = check_bucket_name(n) {
                c.error("s3-bucket-name", format!("bucket name {n:?} {why}"));
            }
        }
        if !self.policy.statements.is_empty() {
            self.policy.check(c, &BUCKET_POLICY, "bucket policy");
        }
        let periods = [
            (
                "noncurrent version expiration",
                self.lifecycle.noncurrent_version_expiration,
            ),
            (
                "incomplete multipart upload abort",
                self.lifecycle.abort_incomplete_multipart_upload,
            ),
        ];
        for (what, period) in periods {
            if let Some(d) = period {
                c.ensure(
                    d.as_secs().is_multiple_of(86_400) && d.as_secs() >= 86_400,
                    "s3-lifecycle-days",
                    || format!("{what} after {d:?} must be a whole number of days, at least 1"),
                );
            }
        }
    }

    fn unique_keys(&self) -> Vec<(&'static str, String, String)> {
        self.name
            .iter()
            .map(|n| ("s3-bucket-name-unique", n.clone(), format!("bucket name {n:?}")))
            .collect()
    }

    fn cloudformation(&self, cx: &RenderCx) -> Option<Vec<CfnBlock>> {
        use cfn::s3::bucket as b;
        let (algorithm, key, bucket_key) = encryption(&self.encryption);
        let by_default = b::ServerSideEncryptionByDefault {
            kms_master_key_id: key.map(Into::into),
            ..b::ServerSideEncryptionByDefault::new(algorithm)
        };
        let encryption_rule = b::ServerSideEncryptionRule::new()
            .server_side_encryption_by_default(by_default)
            .bucket_key_enabled(bucket_key);
        let block = self.block_public_access;
        let lifecycle = self.lifecycle_days().map(|(noncurrent, abort)| {
            let rule = b::Rule {
                id: Some("default".into()),
                noncurrent_version_expiration: noncurrent.map(b::NoncurrentVersionExpiration::new),
                abort_incomplete_multipart_upload: abort.map(b::AbortIncompleteMultipartUpload::new),
                ..b::Rule::new("Enabled")
            };
            b::LifecycleConfiguration::new([rule])
        });
        let bucket = b::Bucket {
            bucket_name: self.name.as_deref().map(Into::into),
            bucket_encryption: Some(b::BucketEncryption::new([encryption_rule])),
            public_access_block_configuration: Some(b::PublicAccessBlockConfiguration {
                block_public_acls: Some(block.into()),
                block_public_policy: Some(block.into()),
                ignore_public_acls: Some(block.into()),
                restrict_public_buckets: Some(block.into()),
            }),
            ownership_controls: Some(b::OwnershipControls::new([
                b::OwnershipControlsRule::new().object_ownership(b::ObjectOwnership::BucketOwnerEnforced)
            ])),
            versioning_configuration: self.versioned.then(|| b::VersioningConfiguration::new("Enabled")),
            lifecycle_configuration: lifecycle,
            ..Default::default()
        };
        let mut r = bucket.into_cfn_resource();
        if self.retain_on_delete {
            r = r.retained();
        }
        let mut blocks = vec![r.into_block()];
        if let Some(doc) = self.rendered_policy(cx) {
            let policy = cfn::s3::BucketPolicy::new(cx.this::<kind::Name>(NAME), doc);
            blocks.push(policy.into_cfn_resource().suffix("Policy").into_block());
        }
        Some(blocks)
    }

    fn terraform(&self, cx: &RenderCx) -> Option<Vec<TfBlock>> {
        use tf::aws::s3::{
            s3_bucket_lifecycle_configuration as lc, s3_bucket_ownership_controls as oc,
            s3_bucket_server_side_encryption_configuration as sse, s3_bucket_versioning as v,
        };
        let bucket: Attr<kind::Name> = cx.this(NAME);
        let main = tf::aws::S3Bucket {
            bucket: self.name.as_deref().map(Into::into),
            force_destroy: Some((!self.retain_on_delete).into()),
            ..Default::default()
        };
        let block = self.block_public_access;
        let public_access = tf::aws::S3BucketPublicAccessBlock {
            block_public_acls: Some(block.into()),
            block_public_policy: Some(block.into()),
            ignore_public_acls: Some(block.into()),
            restrict_public_buckets: Some(block.into()),
            ..tf::aws::S3BucketPublicAccessBlock::new(&bucket)
        };
        let ownership = tf::aws::S3BucketOwnershipControls::new(&bucket, oc::Rule::new("BucketOwnerEnforced"));
        let (algorithm, key, bucket_key) = encryption(&self.encryption);
        let by_default = sse::ApplyServerSideEncryptionByDefault {
            kms_master_key_id: key.map(Into::into),
            ..sse::ApplyServerSideEncryptionByDefault::new(algorithm)
        };
        let encryption_rule = sse::Rule::new()
            .apply_server_side_encryption_by_default(by_default)
            .bucket_key_enabled(bucket_key);
        let encryption =
            tf::aws::S3BucketServerSideEncryptionConfiguration::new(&bucket, l1::List::one(encryption_rule));
        let mut blocks = vec![
            main.into_tf_block(),
            public_access.into_tf_block(),
            ownership.into_tf_block(),
            encryption.into_tf_block(),
        ];
        if self.versioned {
            let versioning = tf::aws::S3BucketVersioning::new(&bucket, v::VersioningConfiguration::new("Enabled"));
            blocks.push(versioning.into_tf_block());
        }
        if let Some((noncurrent, abort)) = self.lifecycle_days() {
            let rule = lc::Rule {
                // An empty filter: the rule covers every object.
                filter: Some(l1::List::one(lc::Filter::new())),
                noncurrent_version_expiration: noncurrent
                    .map(|d| l1::List::one(lc::NoncurrentVersionExpiration::new(d))),
                abort_incomplete_multipart_upload: abort
                    .map(|d| l1::List::one(lc::AbortIncompleteMultipartUpload::new().days_after_initiation(d))),
                ..lc::Rule::new("default", "Enabled")
            };
            let lifecycle = tf::aws::S3BucketLifecycleConfiguration::new(&bucket).rule([rule]);
            blocks.push(lifecycle.into_tf_block());
        }
        if let Some(doc) = self.rendered_policy(cx) {
            blocks.push(tf::aws::S3BucketPolicy::new(bucket, Json::from(doc)).into_tf_block());
        }
        Some(blocks)
    }
}

/// The default encryption's algorithm, key (`None`: the AWS-managed key) and
/// whether an S3 bucket key cuts the KMS request cost.
fn encryption(e: &BucketEncryption) -> (&'static str, Option<&Value<kind::Arn>>, bool) {
    match e {
        BucketEncryption::S3Managed => ("AES256", None, false),
        BucketEncryption::Kms(key) => ("aws:kms", key.as_ref(), true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{cfn_resource, problems, synth_one, tf_resource};
    use crate::App;
    use serde_json::json;

    #[test]
    fn bucket_defaults_block_public_access_encrypt_version_and_retain_in_both_backends() {
        let mut app = App::new();
        app.stack("S").add("Objects", Bucket::new());
        let (cfn, tf) = synth_one(&app);
        let c = cfn_resource(&cfn, "Objects");
        assert_eq!(c["DeletionPolicy"], "Retain");
        assert_eq!(
            c["Properties"]["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"],
            true
        );
        assert_eq!(
            c["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
                ["ServerSideEncryptionByDefault"],
            json!({"SSEAlgorithm": "AES256"})
        );
        assert_eq!(c["Properties"]["VersioningConfiguration"]["Status"], "Enabled");
        assert_eq!(tf_resource(&tf, "aws_s3_bucket", "objects")["force_destroy"], false);
        let pab = tf_resource(&tf, "aws_s3_bucket_public_access_block", "objects");
        assert_eq!(pab["bucket"], "${aws_s3_bucket.objects.bucket}");
        assert_eq!(pab["block_public_policy"], true);
        assert_eq!(
            tf_resource(&tf, "aws_s3_bucket_versioning", "objects")["versioning_configuration"]["status"],
            "Enabled"
        );
        let sse = tf_resource(&tf, "aws_s3_bucket_server_side_encryption_configuration", "objects");
        assert_eq!(
            sse["rule"]["apply_server_side_encryption_by_default"]["sse_algorithm"],
            "AES256"
        );
    }

    #[test]
    fn bucket_policy_refuses_plain_http_in_both_backends() {
        let mut app = App::new();
        app.stack("S").add("Objects", Bucket::new());
        let (cfn, tf) = synth_one(&app);
        let policy = cfn_resource(&cfn, "ObjectsPolicy");
        assert_eq!(policy["Type"], "AWS::S3::BucketPolicy");
        assert_eq!(policy["Properties"]["Bucket"], json!({"Ref": "Objects"}));
        let statement = &policy["Properties"]["PolicyDocument"]["Statement"][0];
        assert_eq!(statement["Effect"], "Deny");
        assert_eq!(statement["Principal"], "*");
        assert_eq!(
            statement["Condition"],
            json!({"Bool": {"aws:SecureTransport": ["false"]}})
        );
        assert_eq!(
            statement["Resource"],
            json!([{"Fn::GetAtt": ["Objects", "Arn"]}, {"Fn::Sub": "${Objects.Arn}/*"}])
        );
        let tf_policy = crate::testing::tf_json_string(&tf_resource(&tf, "aws_s3_bucket_policy", "objects")["policy"]);
        assert_eq!(
            tf_policy["Statement"][0]["Resource"],
            json!(["${aws_s3_bucket.objects.arn}", "${aws_s3_bucket.objects.arn}/*"])
        );
    }

    #[test]
    fn insecure_transport_is_an_explicit_opt_out() {
        let mut app = App::new();
        app.stack("S").add("Objects", Bucket::new().allow_insecure_transport());
        let (cfn, tf) = synth_one(&app);
        assert!(cfn["Resources"].get("ObjectsPolicy").is_none());
        assert!(tf["resource"].get("aws_s3_bucket_policy").is_none());
    }

    #[test]
    fn grants_cover_the_objects_and_listing_only() {
        let mut app = App::new();
        let stack = app.stack("S");
        let bucket = stack.add("Objects", Bucket::new());
        let role = stack.add("Role", IamRole::for_service("ecs-tasks.amazonaws.com"));
        bucket.grant_read_write(stack, &role);
        let (cfn, _) = synth_one(&app);
        let policy = &cfn_resource(&cfn, "Role")["Properties"]["Policies"][0];
        assert_eq!(policy["PolicyName"], "Objects-read-write");
        let statements = &policy["PolicyDocument"]["Statement"];
        assert_eq!(statements[0]["Resource"], json!([{"Fn::Sub": "${Objects.Arn}/*"}]));
        assert_eq!(statements[1]["Action"], json!(["s3:ListBucket"]));
        assert_eq!(statements[1]["Resource"], json!([{"Fn::GetAtt": ["Objects", "Arn"]}]));
        assert_eq!(statements.as_array().unwrap().len(), 2);
    }

    #[test]
    fn lifecycle_expires_noncurrent_versions_and_aborts_uploads_by_default_in_both_backends() {
        let mut app = App::new();
        let stack = app.stack("S");
        stack.add("Objects", Bucket::new());
        stack.add("Scratch", Bucket::new().unversioned());
        stack.add("Kept", Bucket::new().lifecycle(BucketLifecycle::none()));
        let (cfn, tf) = synth_one(&app);
        assert_eq!(
            cfn_resource(&cfn, "Objects")["Properties"]["LifecycleConfiguration"],
            json!({"Rules": [{
                "Id": "default",
                "Status": "Enabled",
                "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}
            }]})
        );
        assert_eq!(
            tf_resource(&tf, "aws_s3_bucket_lifecycle_configuration", "objects")["rule"],
            json!([{
                "id": "default",
                "status": "Enabled",
                "filter": {},
                "noncurrent_version_expiration": {"noncurrent_days": 90},
                "abort_incomplete_multipart_upload": {"days_after_initiation": 7}
            }])
        );
        // Unversioned: nothing noncurrent to expire.
        assert_eq!(
            cfn_resource(&cfn, "Scratch")["Properties"]["LifecycleConfiguration"]["Rules"][0]
                .get("NoncurrentVersionExpiration"),
            None
        );
        assert!(cfn_resource(&cfn, "Kept")["Properties"]
            .get("LifecycleConfiguration")
            .is_none());
        assert!(tf["resource"]["aws_s3_bucket_lifecycle_configuration"]
            .get("kept")
            .is_none());
    }

    #[test]
    fn lifecycle_periods_are_whole_days() {
        let mut app = App::new();
        app.stack("S").add(
            "B",
            Bucket::new().lifecycle(BucketLifecycle {
                noncurrent_version_expiration: Some(Duration::from_secs(3_600)),
                abort_incomplete_multipart_upload: None,
            }),
        );
        assert_eq!(problems(&app), [("S/B".to_string(), "s3-lifecycle-days")]);
    }

    #[test]
    fn grants_on_a_bucket_under_a_customer_key_include_the_key_use() {
        let mut app = App::new();
        let stack = app.stack("S");
        let key = stack.add("Key", crate::kms::KmsKey::new("k").usable_by([crate::kms::KeyUser::S3]));
        let bucket = stack.add("Objects", Bucket::new().kms_key(key.arn()));
        let role = stack.add("Role", IamRole::for_service("ecs-tasks.amazonaws.com"));
        bucket.grant_read_write(stack, &role);
        let (cfn, _) = synth_one(&app);
        let statements = &cfn_resource(&cfn, "Role")["Properties"]["Policies"][0]["PolicyDocument"]["Statement"];
        assert_eq!(
            statements[2],
            json!({"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": [{"Fn::GetAtt": ["Key", "Arn"]}]})
        );
    }

    #[test]
    fn kms_encryption_uses_a_bucket_key() {
        let mut app = App::new();
        app.stack("S").add(
            "B",
            Bucket::named("my-bucket")
                .encryption(BucketEncryption::Kms(None))
                .unversioned(),
        );
        let (cfn, tf) = synth_one(&app);
        let rule = &cfn_resource(&cfn, "B")["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0];
        assert_eq!(rule["BucketKeyEnabled"], true);
        assert_eq!(rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"], "aws:kms");
        assert!(tf["resource"].get("aws_s3_bucket_versioning").is_none());
    }

    #[test]
    fn bucket_names_follow_s3_rules() {
        for bad in [
            "ab",
            "Upper",
            "-start",
            "a..b",
            "192.168.1.1",
            "xn--x",
            "x-s3alias",
            "a_b",
        ] {
            let mut app = App::new();
            app.stack("S").add("B", Bucket::named(bad));
            assert_eq!(problems(&app), [("S/B".to_string(), "s3-bucket-name")], "{bad}");
        }
        assert!(check_bucket_name("vault-objects.example-1").is_ok());
    }
}
