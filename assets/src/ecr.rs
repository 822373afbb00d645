//! Amazon ECR: registry credentials from `GetAuthorizationToken`, and the
//! repository and its images through the ECR API.
//!
//! Blobs go through the registry API (`<account>.dkr.ecr.<region>.amazonaws.com`,
//! Basic auth with the token); the manifest is recorded with `PutImage`, the
//! same IAM action (`ecr:PutImage`) as a registry-API manifest push, but with
//! ECR's own errors (`RepositoryNotFoundException`,
//! `ImageTagAlreadyExistsException`, `LayersNotFoundException`) instead of
//! generic HTTP ones. Credentials come from the standard AWS chain
//! (environment, profiles, SSO, instance roles); `AWS_ENDPOINT_URL` is
//! honoured for the API (not for the registry endpoint, which the token names).

use aws_sdk_ecr::error::{DisplayErrorContext, SdkError};
use aws_sdk_ecr::operation::describe_images::DescribeImagesError;
use aws_sdk_ecr::operation::describe_repositories::DescribeRepositoriesError;
use aws_sdk_ecr::operation::put_image::PutImageError;
use aws_sdk_ecr::types::ImageIdentifier;
use base64::Engine as _;

use crate::image::Blob;
use crate::registry::Credentials;

/// Why ECR could not be used.
#[derive(Debug)]
pub enum EcrError {
    /// A call failed: no credentials, access denied, network, ….
    Call { action: &'static str, detail: String },
    /// The credentials belong to another account than the stack's.
    WrongAccount {
        expected: String,
        actual: String,
        region: String,
    },
    /// The repository does not exist.
    NoRepository {
        repository: String,
        account: String,
        region: String,
    },
    /// The tag already names another image.
    TagTaken { repository: String, tag: String },
    /// A blob the manifest names is missing.
    LayersMissing { repository: String, detail: String },
}

impl std::fmt::Display for EcrError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EcrError::Call { action, detail } => write!(f, "ECR {action} failed: {detail}"),
            EcrError::WrongAccount {
                expected,
                actual,
                region,
            } => write!(
                f,
                "the AWS credentials are for account {actual}, but the images go to account {expected} ({region}); use credentials for {expected}"
            ),
            EcrError::NoRepository {
                repository,
                account,
                region,
            } => write!(
                f,
                "the ECR repository {repository} does not exist in account {account} region {region}; deploy the stack that declares it first"
            ),
            EcrError::TagTaken { repository, tag } => write!(
                f,
                "the tag {tag} in {repository} already names another image; tags are immutable, so nothing was changed"
            ),
            EcrError::LayersMissing { repository, detail } => write!(
                f,
                "ECR is missing layers of the image in {repository} ({detail}); run publish again to upload them"
            ),
        }
    }
}

impl std::error::Error for EcrError {}

/// The registry endpoint and Basic credentials for the caller's account.
#[derive(Clone, Debug)]
pub struct EcrLogin {
    /// `https://<account>.dkr.ecr.<region>.amazonaws.com`.
    pub endpoint: String,
    /// The account the endpoint belongs to.
    pub account: String,
    pub credentials: Credentials,
}

fn call_error<E, R>(action: &'static str, e: &SdkError<E, R>) -> EcrError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    EcrError::Call {
        action,
        detail: DisplayErrorContext(e).to_string(),
    }
}

/// Logs in: `GetAuthorizationToken` gives a base64 `AWS:<password>` token
/// and the registry endpoint, valid for 12 hours.
pub async fn login(client: &aws_sdk_ecr::Client) -> Result<EcrLogin, EcrError> {
    let out = client
        .get_authorization_token()
        .send()
        .await
        .map_err(|e| call_error("GetAuthorizationToken", &e))?;
    let data = out.authorization_data().first().ok_or_else(|| EcrError::Call {
        action: "GetAuthorizationToken",
        detail: "no authorization data in the answer".into(),
    })?;
    let bad = |what: &str| EcrError::Call {
        action: "GetAuthorizationToken",
        detail: what.to_string(),
    };
    let token = data
        .authorization_token()
        .ok_or_else(|| bad("no token in the answer"))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token)
        .map_err(|_| bad("the token is not base64"))?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad("the token is not text"))?;
    let (username, password) = decoded
        .split_once(':')
        .ok_or_else(|| bad("the token is not user:password"))?;
    let endpoint = data
        .proxy_endpoint()
        .ok_or_else(|| bad("no registry endpoint in the answer"))?
        .trim_end_matches('/')
        .to_string();
    let host = endpoint.split("://").nth(1).unwrap_or(&endpoint);
    let account = host.split('.').next().unwrap_or_default().to_string();
    Ok(EcrLogin {
        endpoint,
        account,
        credentials: Credentials {
            username: username.to_string(),
            password: password.to_string(),
        },
    })
}

/// One ECR repository, through the ECR API.
#[derive(Clone, Debug)]
pub struct EcrRepository {
    pub client: aws_sdk_ecr::Client,
    pub name: String,
    pub account: String,
    pub region: String,
}

impl EcrRepository {
    fn missing(&self) -> EcrError {
        EcrError::NoRepository {
            repository: self.name.clone(),
            account: self.account.clone(),
            region: self.region.clone(),
        }
    }

    /// Checks that the repository exists, before anything is uploaded.
    pub async fn require_exists(&self) -> Result<(), EcrError> {
        match self
            .client
            .describe_repositories()
            .repository_names(&self.name)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(DescribeRepositoriesError::RepositoryNotFoundException(_))
                ) =>
            {
                Err(self.missing())
            }
            Err(e) => Err(call_error("DescribeRepositories", &e)),
        }
    }

    /// The digest of the image `tag` names, if any.
    pub async fn tagged_digest(&self, tag: &str) -> Result<Option<String>, EcrError> {
        let id = ImageIdentifier::builder().image_tag(tag).build();
        match self
            .client
            .describe_images()
            .repository_name(&self.name)
            .image_ids(id)
            .send()
            .await
        {
            Ok(out) => Ok(out
                .image_details()
                .first()
                .and_then(|d| d.image_digest())
                .map(str::to_string)),
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(DescribeImagesError::ImageNotFoundException(_))
                ) =>
            {
                Ok(None)
            }
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(DescribeImagesError::RepositoryNotFoundException(_))
                ) =>
            {
                Err(self.missing())
            }
            Err(e) => Err(call_error("DescribeImages", &e)),
        }
    }

    /// Records the manifest under `tag` (`PutImage`), unless the tag already
    /// names it. Returns whether it was put.
    pub async fn put_manifest(&self, tag: &str, manifest: &Blob) -> Result<bool, EcrError> {
        let taken = || EcrError::TagTaken {
            repository: self.name.clone(),
            tag: tag.into(),
        };
        match self.tagged_digest(tag).await? {
            Some(d) if d == manifest.digest => return Ok(false),
            Some(_) => return Err(taken()),
            None => {}
        }
        let text = std::str::from_utf8(&manifest.bytes).map_err(|_| EcrError::Call {
            action: "PutImage",
            detail: "the manifest is not UTF-8".into(),
        })?;
        let result = self
            .client
            .put_image()
            .repository_name(&self.name)
            .image_manifest(text)
            .image_manifest_media_type(manifest.media_type)
            .image_digest(&manifest.digest)
            .image_tag(tag)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) => match e.as_service_error() {
                Some(PutImageError::ImageAlreadyExistsException(_)) => Ok(false),
                Some(PutImageError::ImageTagAlreadyExistsException(_)) => Err(taken()),
                Some(PutImageError::RepositoryNotFoundException(_)) => Err(self.missing()),
                Some(PutImageError::LayersNotFoundException(l)) => Err(EcrError::LayersMissing {
                    repository: self.name.clone(),
                    detail: l.to_string(),
                }),
                _ => Err(call_error("PutImage", &e)),
            },
        }
    }
}
