//! Amazon ECR: `EcrRepo`, a private image repository with scanning, tag
//! immutability, encryption, lifecycle rules and a typed repository policy.

mod lifecycle;

pub use lifecycle::{lifecycle_policy_text, CountType, LifecycleRule, TagSelection, MAX_LIFECYCLE_POLICY_CHARS};

use crate::expr::{kind, Attr, Attribute, CfnAttr, Expr, Value};
use crate::iam::{PolicyDocument, PolicyKind, Principal, Statement};
use crate::l1::{self, Json};
use crate::problem::Checker;
use crate::resource::{CfnBlock, RenderCx, Resource, TfBlock};
use crate::{cfn, tf};

const NAME: Attribute = Attribute::new(CfnAttr::Ref, "name");
const ARN: Attribute = Attribute::new(CfnAttr::GetAtt("Arn"), "arn");
const URI: Attribute = Attribute::new(CfnAttr::GetAtt("RepositoryUri"), "repository_url");

/// What pulling an image takes: layer existence checks, layer downloads, manifests.
pub const PULL_ACTIONS: [&str; 3] = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:GetDownloadUrlForLayer",
    "ecr:BatchGetImage",
];

/// What pushing an image takes (besides `ecr:GetAuthorizationToken`).
pub const PUSH_ACTIONS: [&str; 5] = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
];

/// Whether a pushed tag can later point at another image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagMutability {
    /// A push may move an existing tag to a new image.
    Mutable,
    /// A tag, once pushed, always names the same image.
    Immutable,
}

impl TagMutability {
    fn as_str(self) -> &'static str {
        match self {
            TagMutability::Mutable => "MUTABLE",
            TagMutability::Immutable => "IMMUTABLE",
        }
    }
}

/// How images are encrypted at rest.
#[derive(Clone, Debug, PartialEq)]
pub enum Encryption {
    /// Amazon S3-managed keys (AES-256).
    Aes256,
    /// AWS KMS: a customer key (its ARN), or the AWS-managed `aws/ecr` key when `None`.
    Kms(Option<Value<kind::Arn>>),
}

/// A private ECR repository.
///
/// Defaults, each the safe choice:
/// - `scan_on_push: true`: every pushed image is scanned, so known
///   vulnerabilities show up before the image is deployed.
/// - `tag_mutability: Immutable`: a deployed tag (`v1.2.3`) can never be
///   silently replaced by a later push, so what runs is what was tested and a
///   rollback to a tag gets the same image back.
/// - `encryption: Aes256`: images are encrypted at rest (ECR always encrypts;
///   this writes it down). Choose [`Encryption::Kms`] for key-level control.
/// - `empty_on_delete: false`: deleting the stack never destroys images; a
///   repository that still holds images is left for a person to empty.
/// - no repository policy: only identities of this account that are granted
///   access by their own IAM policies can use the repository.
#[derive(Clone, Debug, PartialEq)]
pub struct EcrRepo {
    /// 2-256 characters: lowercase components separated by `/`, each made of
    /// letters and digits joined by single `.`, `_` or `-`.
    pub name: String,
    pub scan_on_push: bool,
    pub tag_mutability: TagMutability,
    pub encryption: Encryption,
    /// Delete the images with the repository (`EmptyOnDelete` / `force_delete`).
    pub empty_on_delete: bool,
    /// Rules that expire images; empty means images are kept forever.
    pub lifecycle_rules: Vec<LifecycleRule>,
    /// The repository (resource) policy: statements need principals and must
    /// not name resources (the repository is implied).
    pub policy: Option<PolicyDocument>,
}

impl EcrRepo {
    pub fn new(name: &str) -> Self {
        EcrRepo {
            name: name.to_string(),
            scan_on_push: true,
            tag_mutability: TagMutability::Immutable,
            encryption: Encryption::Aes256,
            empty_on_delete: false,
            lifecycle_rules: Vec::new(),
            policy: None,
        }
    }

    /// An explicit opt-out: pushed images are not scanned for vulnerabilities.
    pub fn without_scan_on_push(mut self) -> Self {
        self.scan_on_push = false;
        self
    }

    pub fn tag_mutability(mut self, mutability: TagMutability) -> Self {
        self.tag_mutability = mutability;
        self
    }

    pub fn encryption(mut self, encryption: Encryption) -> Self {
        self.encryption = encryption;
        self
    }

    /// Encrypts with a customer-managed KMS key (its ARN).
    pub fn kms_key(self, key_arn: impl Into<Value<kind::Arn>>) -> Self {
        self.encryption(Encryption::Kms(Some(key_arn.into())))
    }

    /// An explicit opt-in: deleting the repository deletes every image in it.
    pub fn empty_on_delete(mut self) -> Self {
        self.empty_on_delete = true;
        self
    }

    pub fn lifecycle_rule(mut self, rule: LifecycleRule) -> Self {
        self.lifecycle_rules.push(rule);
        self
    }

    /// Sets the whole repository policy.
    pub fn policy(mut self, document: PolicyDocument) -> Self {
        self.policy = Some(document);
        self
    }

    /// Appends a statement to the repository policy, creating it if needed.
    pub fn add_to_policy(&mut self, statement: Statement) -> &mut Self {
        self.policy
            .get_or_insert_with(PolicyDocument::new)
            .add_statement(statement);
        self
    }

    /// Lets `principal` pull images: a repository-policy statement with exactly
    /// [`PULL_ACTIONS`]. Needed for other accounts or services; identities of
    /// this account can instead get `Handle<EcrRepo>::pull_statement()` in their
    /// own policy. The principal also needs `Statement::ecr_auth_token()`.
    ///
    /// In CloudFormation the repository policy is part of the repository, so a
    /// role named here must not also reference this repository in its own
    /// inline policy (e.g. `pull_statement()`): the two would depend on each
    /// other (cfn-lint E3004). Same-account roles need only the identity side.
    pub fn grant_pull(&mut self, principal: Principal) -> &mut Self {
        self.add_to_policy(Statement::allow().principal(principal).actions(PULL_ACTIONS))
    }
}

crate::refs! {
    /// What a handle to [`EcrRepo`] exposes: its attributes and grants.
    pub EcrRepoRefs
}

impl EcrRepoRefs {
    pub fn name(&self) -> Attr<kind::Name> {
        self.attr(NAME)
    }

    pub fn arn(&self) -> Attr<kind::Arn> {
        self.attr(ARN)
    }

    /// `<account>.dkr.ecr.<region>.amazonaws.com/<name>`.
    pub fn uri(&self) -> Attr<kind::Uri> {
        self.attr(URI)
    }

    /// `<uri>:<tag>`, e.g. with a deploy-time parameter as the tag.
    pub fn image_uri(&self, tag: impl Into<Expr>) -> Value<kind::Uri> {
        Value::concat([self.uri().expr(), Expr::str(":"), tag.into()])
    }

    /// The identity-policy statement to pull from this repository only: exactly
    /// [`PULL_ACTIONS`] on its ARN. Pair it with `Statement::ecr_auth_token()`
    /// (which must be on `*`) in e.g. a task execution role.
    pub fn pull_statement(&self) -> Statement {
        Statement::allow().actions(PULL_ACTIONS).resource(self.arn())
    }

    /// The identity-policy statement to push to this repository only:
    /// [`PUSH_ACTIONS`] on its ARN (plus `Statement::ecr_auth_token()`).
    pub fn push_statement(&self) -> Statement {
        Statement::allow().actions(PUSH_ACTIONS).resource(self.arn())
    }
}

/// The ECR repository name pattern
/// `(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*`, by hand:
/// each `/`-separated component is lowercase letters and digits, with single
/// `.`, `_` or `-` only between two of them.
pub fn valid_repo_name(name: &str) -> bool {
    (2..=256).contains(&name.len())
        && name.split('/').all(|component| {
            let bytes = component.as_bytes();
            let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
            !bytes.is_empty()
                && alnum(bytes[0])
                && alnum(bytes[bytes.len() - 1])
                && bytes.windows(2).all(|w| alnum(w[0]) || alnum(w[1]))
                && bytes.iter().all(|&b| alnum(b) || b"._-".contains(&b))
        })
}

impl Resource for EcrRepo {
    type Refs = EcrRepoRefs;

    fn kind(&self) -> &'static str {
        "EcrRepo"
    }

    fn validate(&self, c: &mut Checker<'_>) {
        let n = &self.name;
        c.ensure(valid_repo_name(n), "ecr-repo-name", || {
            format!("repository name {n:?} must be 2-256 characters: lowercase letters and digits, with single '.', '_' or '-' between them, in '/'-separated components")
        });
        lifecycle::check_rules(c, &self.lifecycle_rules);
        if let Some(doc) = &self.policy {
            doc.check(c, &PolicyKind::ECR_REPOSITORY, "repository policy");
        }
    }

    fn unique_keys(&self) -> Vec<(&'static str, String, String)> {
        vec![(
            "ecr-repo-name-unique",
            self.name.clone(),
            format!("repository name {:?}", self.name),
        )]
    }

    fn cloudformation(&self, _: &RenderCx) -> Option<Vec<CfnBlock>> {
        use cfn::ecr::repository as r;
        let encryption = match &self.encryption {
            Encryption::Aes256 => r::EncryptionConfiguration::new(r::EncryptionType::Aes256),
            Encryption::Kms(key) => r::EncryptionConfiguration {
                encryption_type: r::EncryptionType::Kms.into(),
                kms_key: key.as_ref().map(Into::into),
            },
        };
        let repository = cfn::ecr::Repository {
            repository_name: Some(self.name.as_str().into()),
            image_scanning_configuration: Some(r::ImageScanningConfiguration::new().scan_on_push(self.scan_on_push)),
            image_tag_mutability: Some(self.tag_mutability.as_str().into()),
            encryption_configuration: Some(encryption),
            empty_on_delete: Some(self.empty_on_delete.into()),
            lifecycle_policy: (!self.lifecycle_rules.is_empty())
                .then(|| r::LifecyclePolicy::new().lifecycle_policy_text(lifecycle_policy_text(&self.lifecycle_rules))),
            repository_policy_text: self.policy.as_ref().map(Into::into),
            ..Default::default()
        };
        Some(vec![repository.into_cfn_resource().into_block()])
    }

    fn terraform(&self, cx: &RenderCx) -> Option<Vec<TfBlock>> {
        use tf::aws::ecr::ecr_repository as r;
        let encryption = match &self.encryption {
            Encryption::Aes256 => r::EncryptionConfiguration::new().encryption_type("AES256"),
            Encryption::Kms(key) => r::EncryptionConfiguration {
                encryption_type: Some("KMS".into()),
                kms_key: key.as_ref().map(Into::into),
            },
        };
        let repository = tf::aws::EcrRepository {
            image_tag_mutability: Some(self.tag_mutability.as_str().into()),
            image_scanning_configuration: Some(r::ImageScanningConfiguration::new(self.scan_on_push)),
            encryption_configuration: Some(l1::List::one(encryption)),
            force_delete: Some(self.empty_on_delete.into()),
            ..tf::aws::EcrRepository::new(self.name.as_str())
        };
        let mut blocks = vec![repository.into_tf_block()];
        let name: Attr<kind::Name> = cx.this(NAME);
        if !self.lifecycle_rules.is_empty() {
            let policy = tf::aws::EcrLifecyclePolicy::new(lifecycle_policy_text(&self.lifecycle_rules), &name);
            blocks.push(policy.into_tf_block());
        }
        if let Some(doc) = &self.policy {
            let policy = tf::aws::EcrRepositoryPolicy::new(Json::from(doc), name);
            blocks.push(policy.into_tf_block());
        }
        Some(blocks)
    }
}

#[cfg(test)]
mod tests;
