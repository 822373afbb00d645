//! The template staging bucket, one per account and region, like `cdk bootstrap`.
//!
//! CloudFormation takes a template of at most 51,200 bytes inline; a larger one
//! (up to 1 MB) must be read from S3. `bootstrap` deploys the stack
//! `DeployStaging` holding the bucket `deploy-staging-<account>-<region>`,
//! built with this project's own constructs: private (every public-access
//! block on, ACLs off), SSE-S3 encrypted, versioned, refusing any request not
//! made over TLS, and retained if the stack is deleted. A lifecycle rule
//! expires staged templates after 30 days (previous versions after 1 day):
//! CloudFormation reads a template once, when the change set is created.
//! `deploy` uploads each large template as `templates/<Stack>/<sha256>.json`
//! and refuses, naming this command, when the bucket does not exist.

use constructs::prelude::*;
use sha2::{Digest, Sha256};

use crate::aws::Aws;
use crate::{Artifact, Error};

/// The staging stack's name.
pub const STACK: &str = "DeployStaging";

/// The staging bucket of an account and region.
pub fn bucket_name(account: &str, region: &str) -> String {
    format!("deploy-staging-{account}-{region}")
}

/// The staging stack, for `bootstrap` to deploy.
pub fn app(account: &str, region: &str) -> App {
    let mut app = App::new();
    let stack = app.stack(STACK);
    stack.set_description("Staging bucket for CloudFormation templates over 51,200 bytes (created by `bootstrap`)");
    stack.set_account(account).set_region(region);
    let bucket = stack.add("Templates", Bucket::named(&bucket_name(account, region)));
    // The typed Bucket has no lifecycle rules yet: the escape hatch.
    stack.override_property(
        &bucket,
        Backend::CloudFormation,
        "Properties.LifecycleConfiguration",
        serde_json::json!({"Rules": [{
            "Id": "ExpireStagedTemplates",
            "Status": "Enabled",
            "ExpirationInDays": 30,
            "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}
        }]}),
    );
    stack.output("BucketName", bucket.name(), "Where deploy stages large templates");
    app
}

/// The staging stack's CloudFormation artifact.
pub fn artifact(account: &str, region: &str) -> Result<Artifact, Error> {
    constructs::synth(&app(account, region), &[Backend::CloudFormation])
        .map_err(|e| Error::new(format!("the staging stack does not synthesize: {e}")))?
        .into_iter()
        .next()
        .ok_or_else(|| Error::new("the staging stack synthesized to nothing"))
}

/// Uploads a template to the staging bucket; returns its URL for CloudFormation.
pub async fn upload_template(aws: &Aws, stack: &str, text: &str) -> Result<String, Error> {
    let bucket = bucket_name(&aws.account, &aws.region);
    if !aws.signed.bucket_exists(&bucket).await? {
        return Err(Error::new(format!(
            "the template of {stack} is {} bytes, over CloudFormation's inline limit of {}, so it must be staged in s3://{bucket}, which does not exist. Run `bootstrap` once for account {} in {}, then deploy again. Nothing was changed.",
            text.len(),
            crate::cloudformation::INLINE_TEMPLATE_LIMIT,
            aws.account,
            aws.region
        )));
    }
    let hash = Sha256::digest(text.as_bytes());
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    let key = format!("templates/{stack}/{hex}.json");
    aws.signed.put_object(&bucket, &key, text.as_bytes().to_vec()).await?;
    Ok(format!("https://{bucket}.s3.{}.amazonaws.com/{key}", aws.region))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_staging_bucket_is_private_encrypted_tls_only_and_expires_templates() {
        let a = artifact("123456789012", "eu-west-2").unwrap();
        let t: serde_json::Value = serde_json::from_str(&a.text).unwrap();
        let b = &t["Resources"]["Templates"];
        assert_eq!(b["Properties"]["BucketName"], "deploy-staging-123456789012-eu-west-2");
        assert_eq!(b["DeletionPolicy"], "Retain");
        assert_eq!(
            b["Properties"]["PublicAccessBlockConfiguration"]["BlockPublicPolicy"],
            true
        );
        assert!(b["Properties"]["BucketEncryption"].is_object());
        assert_eq!(
            b["Properties"]["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"],
            30
        );
        let policy = t["Resources"]
            .as_object()
            .unwrap()
            .values()
            .find(|r| r["Type"] == "AWS::S3::BucketPolicy")
            .unwrap();
        assert!(policy.to_string().contains("aws:SecureTransport"));
        assert_eq!(a.account.as_deref(), Some("123456789012"));
        // The project's own checks pass on it.
        assert!(constructs::checks::check(&app("123456789012", "eu-west-2"))
            .findings
            .iter()
            .all(|f| f.severity() != constructs::checks::Severity::Error));
    }
}
