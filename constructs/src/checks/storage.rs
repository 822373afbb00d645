//! Storage rules: S3 buckets, DynamoDB tables, log groups.

use super::{Cx, Findings, RuleInfo, Severity};
use crate::dynamodb::{DynamoTable, TableEncryption};
use crate::ecs::FargateTaskDefinition;
use crate::logs::{LogGroup, Retention};
use crate::property_path::Segment;
use crate::s3::Bucket;
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
