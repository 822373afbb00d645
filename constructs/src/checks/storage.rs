//! Storage rules: S3 buckets, DynamoDB tables, KMS keys, log groups.

use super::{Cx, Findings, RuleInfo, Severity};
use crate::dynamodb::{DynamoTable, TableEncryption};
use crate::ecs::FargateTaskDefinition;
use crate::kms::KmsKey;
use crate::logs::{LogGroup, Retention};
use crate::property_path::Segment;
use crate::s3::{Bucket, BucketEncryption};
use crate::tree::Backend;

pub const S3_PUBLIC_ACCESS: RuleInfo = RuleInfo {
    id: "s3-public-access",
    severity: Severity::Error,
    title: "A bucket's public access block is off",
    why: "Without the block, one ACL or bucket policy statement is enough to publish objects to the internet.",
    fix:
        "Remove .allow_public_access(); serve public content through CloudFront with an origin access control instead.",
};

pub const S3_INSECURE_TRANSPORT: RuleInfo = RuleInfo {
    id: "s3-insecure-transport",
    severity: Severity::Error,
    title: "A bucket accepts requests over plain HTTP",
    why: "Requests without TLS expose object data and credentials-bearing headers to anyone on the network path.",
    fix: "Remove .allow_insecure_transport(): the default bucket policy denies aws:SecureTransport = false.",
};

pub const S3_ENCRYPTION: RuleInfo = RuleInfo {
    id: "s3-encryption",
    severity: Severity::Error,
    title: "A bucket's default encryption is changed through the raw escape hatch",
    why: "Bucket encryption is always on in the typed API; overriding it by hand can leave new objects unencrypted at rest.",
    fix: "Drop the override and choose BucketEncryption::S3Managed or BucketEncryption::Kms(..) on the Bucket.",
};

pub const S3_VERSIONING: RuleInfo = RuleInfo {
    id: "s3-versioning",
    severity: Severity::Warning,
    title: "A bucket does not keep object versions",
    why: "Without versioning an overwrite or delete (by a bug or an attacker) cannot be undone.",
    fix: "Remove .unversioned(); add a lifecycle rule for old versions if storage cost matters.",
};

pub const S3_LIFECYCLE: RuleInfo = RuleInfo {
    id: "s3-lifecycle",
    severity: Severity::Warning,
    title: "A versioned bucket keeps old object versions forever",
    why: "Every overwrite and delete leaves a noncurrent version behind; without an expiration, storage (and cost) grows without bound and deleted data is never really gone.",
    fix: "Keep the default BucketLifecycle (noncurrent versions expire after 90 days), or set .lifecycle(BucketLifecycle { noncurrent_version_expiration: Some(..), .. }).",
};

pub const S3_SENSITIVE_CUSTOMER_KEY: RuleInfo = RuleInfo {
    id: "s3-sensitive-customer-key",
    severity: Severity::Error,
    title: "A bucket declared sensitive is not encrypted with a customer-managed KMS key",
    why: "With SSE-S3 or the AWS-managed key, anyone whose IAM policy allows s3:GetObject can read the data; a customer-managed key adds a key policy this stack controls, and every decryption is logged in CloudTrail.",
    fix: "Create a KmsKey usable_by KeyUser::S3 and set .kms_key(key.arn()) on the Bucket.",
};

pub const DYNAMODB_PITR: RuleInfo = RuleInfo {
    id: "dynamodb-point-in-time-recovery",
    severity: Severity::Error,
    title: "A DynamoDB table has no point-in-time recovery",
    why: "Without it, a bad deploy or a mistaken delete of items cannot be rolled back to any second of the last 35 days.",
    fix: "Remove .without_point_in_time_recovery().",
};

pub const DYNAMODB_AWS_OWNED_KEY: RuleInfo = RuleInfo {
    id: "dynamodb-aws-owned-key",
    severity: Severity::Warning,
    title: "A DynamoDB table is encrypted with the AWS-owned key",
    why: "Use of the AWS-owned key is invisible in CloudTrail and cannot be restricted by key policy.",
    fix: "Use TableEncryption::AwsManaged (the default) or TableEncryption::CustomerManaged(key_arn).",
};

pub const DYNAMODB_SENSITIVE_CUSTOMER_KEY: RuleInfo = RuleInfo {
    id: "dynamodb-sensitive-customer-key",
    severity: Severity::Error,
    title: "A DynamoDB table declared sensitive is not encrypted with a customer-managed KMS key",
    why: "With the AWS-owned or AWS-managed key, anyone whose IAM policy allows dynamodb:GetItem can read the data; a customer-managed key adds a key policy this stack controls, and every decryption is logged in CloudTrail.",
    fix: "Create a KmsKey usable_by KeyUser::DynamoDb and set .kms_key(key.arn()) on the DynamoTable.",
};

pub const KMS_KEY_ROTATION: RuleInfo = RuleInfo {
    id: "kms-key-rotation",
    severity: Severity::Warning,
    title: "A KMS key does not rotate its key material",
    why: "Without rotation one key material protects every piece of data for the key's whole life, so a compromise or a cryptanalytic break exposes all of it.",
    fix: "Remove .without_rotation() (yearly automatic rotation is the default).",
};

pub const LOGS_RETENTION: RuleInfo = RuleInfo {
    id: "logs-retention",
    severity: Severity::Warning,
    title: "Logs are kept forever",
    why: "Log groups without retention grow (and cost) without bound and keep personal data longer than any policy allows.",
    fix: "Create the group with a LogGroup (finite retention by default) and log to it; do not use Retention::Forever or AwsLogs::create_group().",
};

pub(super) fn check(cx: &Cx<'_>, out: &mut Findings) {
    for (i, _, b) in cx.all::<Bucket>() {
        if !b.block_public_access {
            cx.finding(
                out,
                &S3_PUBLIC_ACCESS,
                i,
                "the public access block is turned off".into(),
            );
        }
        if !b.enforce_tls {
            cx.finding(
                out,
                &S3_INSECURE_TRANSPORT,
                i,
                "the bucket policy does not deny non-TLS requests".into(),
            );
        }
        for o in cx.overrides(i) {
            let touches = match o.backend {
                Backend::CloudFormation => {
                    matches!(
                        o.path.segments(),
                        [Segment::Key(p), Segment::Key(e), ..] if p == "Properties" && e == "BucketEncryption"
                    )
                }
                Backend::Terraform => o.block.as_deref() == Some("aws_s3_bucket_server_side_encryption_configuration"),
            };
            if touches {
                cx.finding(
                    out,
                    &S3_ENCRYPTION,
                    i,
                    format!(
                        "a {} override changes the bucket's encryption ({})",
                        o.backend.name(),
                        o.path
                    ),
                );
            }
        }
        if !b.versioned {
            cx.finding(out, &S3_VERSIONING, i, "versioning is off".into());
        } else if b.lifecycle.noncurrent_version_expiration.is_none() {
            cx.finding(
                out,
                &S3_LIFECYCLE,
                i,
                "the bucket is versioned and its noncurrent versions never expire".into(),
            );
        }
        if b.sensitive && !matches!(b.encryption, BucketEncryption::Kms(Some(_))) {
            let how = match b.encryption {
                BucketEncryption::S3Managed => "SSE-S3",
                BucketEncryption::Kms(_) => "the AWS-managed aws/s3 key",
            };
            cx.finding(
                out,
                &S3_SENSITIVE_CUSTOMER_KEY,
                i,
                format!("the bucket is declared sensitive but encrypted with {how}"),
            );
        }
    }
    for (i, _, k) in cx.all::<KmsKey>() {
        if !k.rotation {
            cx.finding(out, &KMS_KEY_ROTATION, i, "automatic key rotation is off".into());
        }
    }
    for (i, _, t) in cx.all::<DynamoTable>() {
        if !t.point_in_time_recovery {
            cx.finding(
                out,
                &DYNAMODB_PITR,
                i,
                format!("table {:?} has point-in-time recovery off", t.name),
            );
        }
        if t.encryption == TableEncryption::AwsOwned {
            cx.finding(
                out,
                &DYNAMODB_AWS_OWNED_KEY,
                i,
                format!("table {:?} uses the AWS-owned key", t.name),
            );
        }
        if t.sensitive && !matches!(t.encryption, TableEncryption::CustomerManaged(_)) {
            let how = match t.encryption {
                TableEncryption::AwsOwned => "the AWS-owned key",
                _ => "the AWS-managed aws/dynamodb key",
            };
            cx.finding(
                out,
                &DYNAMODB_SENSITIVE_CUSTOMER_KEY,
                i,
                format!("table {:?} is declared sensitive but encrypted with {how}", t.name),
            );
        }
    }
    for (i, _, g) in cx.all::<LogGroup>() {
        if g.retention == Retention::Forever {
            cx.finding(
                out,
                &LOGS_RETENTION,
                i,
                format!("log group {:?} never expires events", g.name),
            );
        }
    }
    for (i, _, task) in cx.all::<FargateTaskDefinition>() {
        for c in &task.containers {
            if c.logging.as_ref().is_some_and(|l| l.create_group) {
                cx.finding(
                    out,
                    &LOGS_RETENTION,
                    i,
                    format!(
                        "container {:?} lets the awslogs driver create its log group, which keeps logs forever",
                        c.name
                    ),
                );
            }
        }
    }
}
