//! Credentials, region, identity and the account guard.
//!
//! Credentials come from the standard AWS chain (environment variables,
//! profiles, SSO, container and instance roles), exactly as the AWS CLI and
//! SDKs find them; `AWS_ENDPOINT_URL` (and `AWS_ENDPOINT_URL_<SERVICE>`) is
//! honoured, which is how the tests point everything at a local moto_server.

pub mod query;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudformation::error::ProvideErrorMetadata;

use crate::Error;

/// A connection to one account and region, with who the caller is.
#[derive(Clone)]
pub struct Aws {
    pub config: SdkConfig,
    pub region: String,
    /// Where the region came from, for messages.
    pub region_source: &'static str,
    pub account: String,
    /// The caller's ARN (user or role), for messages.
    pub caller: String,
    pub cfn: aws_sdk_cloudformation::Client,
    pub signed: query::Signed,
}

impl Aws {
    /// Loads the credential chain and asks STS who the caller is.
    ///
    /// The region is the configured one (`AWS_REGION`, the profile's); when
    /// none is configured, `fallback_region` (the stack's own) is used.
    pub async fn connect(fallback_region: Option<&str>) -> Result<Aws, Error> {
        let config = aws_config::defaults(BehaviorVersion::latest()).load().await;
        let (region, region_source) = match (config.region(), fallback_region) {
            (Some(r), _) => (r.to_string(), "the AWS configuration (AWS_REGION or the profile)"),
            (None, Some(r)) => (r.to_string(), "the stack (no region is configured)"),
            (None, None) => return Err(Error::new(
                "no AWS region is configured and the stack does not name one: set AWS_REGION (or a profile's region)",
            )),
        };
        let config = config.into_builder().region(Region::new(region.clone())).build();
        if config.credentials_provider().is_none() {
            return Err(no_credentials("no credentials provider is configured"));
        }
        let sts = aws_sdk_sts::Client::new(&config);
        let identity = sts.get_caller_identity().send().await.map_err(|e| {
            let text = sdk_error_text(&e);
            if text.contains("credential") || text.contains("Credential") {
                no_credentials(&text)
            } else {
                Error::new(format!("STS GetCallerIdentity failed: {text}"))
            }
        })?;
        let account = identity.account().unwrap_or_default().to_string();
        let caller = identity.arn().unwrap_or_default().to_string();
        let signed = query::Signed::new(&config, &region)?;
        Ok(Aws {
            cfn: aws_sdk_cloudformation::Client::new(&config),
            config,
            region,
            region_source,
            account,
            caller,
            signed,
        })
    }

    /// Refuses when the stack names an account or region other than the
    /// caller's. `what` is the stack, `source` where its account came from.
    pub fn guard(&self, stack: &str, account: Option<&str>, region: Option<&str>, source: &str) -> Result<(), Error> {
        let mut problems = Vec::new();
        if let Some(want) = account.filter(|a| *a != self.account) {
            problems.push(format!(
                "it is for account {want} ({source}) but the credentials are for account {} ({})",
                self.account, self.caller
            ));
        }
        if let Some(want) = region.filter(|r| *r != self.region) {
            problems.push(format!(
                "it is for region {want} ({source}) but the region is {} (from {})",
                self.region, self.region_source
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::new(format!(
                "refusing to touch stack {stack}: {}. Nothing was changed; use credentials for the right account (AWS_PROFILE) and set AWS_REGION to match.",
                problems.join("; ")
            )))
        }
    }
}

fn no_credentials(detail: &str) -> Error {
    Error::new(format!(
        "no usable AWS credentials ({detail}). Configure them as for the AWS CLI: AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, `aws sso login`, or an instance/container role. Nothing was changed."
    ))
}

/// A readable one-line description of any error and its sources.
pub fn error_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

/// An SDK error as `Code: message` when the service answered, else the
/// transport or credential problem with its causes.
pub fn sdk_error_text<E, R>(e: &aws_sdk_cloudformation::error::SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match e.as_service_error() {
        Some(s) => match (s.code(), s.message()) {
            (Some(c), Some(m)) => format!("{c}: {m}"),
            (Some(c), None) => c.to_string(),
            _ => error_text(s),
        },
        None => format!("{}", aws_sdk_cloudformation::error::DisplayErrorContext(e)),
    }
}

/// Converts an SDK error into an [`Error`] naming the call, keeping the code.
pub fn sdk_error<E, R>(call: &str, e: aws_sdk_cloudformation::error::SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let code = e.as_service_error().and_then(|s| s.code()).map(str::to_string);
    let err = Error::new(format!("{call}: {}", sdk_error_text(&e)));
    match code {
        Some(c) => err.with_code(c),
        None => err,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn guard_names_both_accounts_and_both_regions() {
        // The guard needs no network: build an Aws around a dummy config.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let aws = rt.block_on(async {
            let config = aws_config::SdkConfig::builder()
                .region(aws_config::Region::new("us-east-1"))
                .behavior_version(aws_config::BehaviorVersion::latest())
                .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(
                    aws_credential_types::Credentials::for_tests(),
                ))
                .build();
            super::Aws {
                cfn: aws_sdk_cloudformation::Client::new(&config),
                signed: super::query::Signed::new(&config, "us-east-1").unwrap(),
                config,
                region: "us-east-1".into(),
                region_source: "AWS_REGION",
                account: "999999999999".into(),
                caller: "arn:aws:iam::999999999999:user/me".into(),
            }
        });
        assert!(aws
            .guard("Vault", Some("999999999999"), Some("us-east-1"), "env dev")
            .is_ok());
        assert!(aws.guard("Vault", None, None, "env dev").is_ok());
        let e = aws
            .guard("Vault", Some("123456789012"), Some("eu-west-2"), "environment dev")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "refusing to touch stack Vault: it is for account 123456789012 (environment dev) but the credentials are for account 999999999999 (arn:aws:iam::999999999999:user/me); it is for region eu-west-2 (environment dev) but the region is us-east-1 (from AWS_REGION). Nothing was changed; use credentials for the right account (AWS_PROFILE) and set AWS_REGION to match."
        );
    }
}
