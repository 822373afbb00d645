//! Image assets: container images built from a workspace binary when the app
//! is published, and named by digest in the templates.
//!
//! An [`ImageAsset`] is declared in the stack that runs the image. It renders
//! as a deploy-time input holding the full image reference by digest
//! (`<registry>/<repository>@sha256:…`): a CloudFormation `String` parameter
//! and a Terraform `variable`. Synthesis builds nothing and touches no
//! network; it describes every asset in an [`AssetManifest`] (what to build,
//! which repository it goes to, which stack input receives the reference),
//! which the CLI writes next to the templates as [`ASSET_MANIFEST_FILE`] and
//! which `publish` (crate `assets`) reads to build and push the images.
//!
//! The repository must exist before the push, and the stack that runs the
//! image needs the reference before it deploys. So the repository lives in a
//! stack of its own, deployed first (the manifest names it as
//! [`ImageAssetEntry::repository_stack`]); declaring the repository in the
//! same stack as the asset, or an image asset in a stack that holds
//! repositories, is a synth-time problem (`image-asset-repository-stack`). A
//! repository the app does not declare must already exist.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ecr::{valid_repo_name, EcrRepo};
use crate::expr::{kind, Attr, Attribute, CfnAttr, Expr, Value};
use crate::ids;
use crate::problem::{Checker, Problem, SynthError};
use crate::props;
use crate::resource::{CfnBlock, CfnParameter, RenderCx, Resource, TfBlock};
use crate::tree::App;

/// Where the CLI writes the manifest, relative to the output directory.
pub const ASSET_MANIFEST_FILE: &str = "assets.json";

/// The manifest format's version; bumped when a field changes meaning.
pub const ASSET_MANIFEST_VERSION: u32 = 1;

/// The unprivileged user images run as by default: distroless's `nonroot`.
pub const DEFAULT_USER: u32 = 65532;

/// What a digest reference looks like: anything, `@sha256:`, 64 hex digits.
/// CloudFormation refuses a parameter value (such as a tag) that does not match.
pub const DIGEST_REFERENCE_PATTERN: &str = "^[^@]+@sha256:[0-9a-f]{64}$";

const REFERENCE: Attribute = Attribute::new(CfnAttr::Ref, "");

/// A container image built from a binary of a crate in this workspace.
///
/// The image has no base: one layer with the binary (statically linked) at
/// `/usr/local/bin/<binary>`, the CA bundle, `/etc/passwd` and `/etc/group`
/// naming the non-root user, its home directory and a writable `/tmp`.
/// Defaults, and why:
/// - the binary is the crate's namesake: a crate's main binary usually is;
/// - the repository is named like the crate;
/// - user 65532 (`nonroot`, as distroless images use): the process never runs
///   as root;
/// - no exposed port and no environment: say what the service needs with
///   [`ImageAsset::port`] and [`ImageAsset::env`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageAsset {
    /// The workspace crate (package) that holds the binary.
    pub crate_name: String,
    /// The binary target; defaults to the crate name.
    pub binary: Option<String>,
    /// The ECR repository the image is pushed to; defaults to the crate name.
    pub repository: Option<String>,
    /// The image's `ExposedPorts` (TCP).
    pub port: Option<u16>,
    /// The image's `Env`, as `NAME=value`; the task definition may add more.
    pub env: Vec<(String, String)>,
    /// An environment variable that receives the crate's version (e.g. the
    /// version a service reports), set in the image when it is built.
    pub version_env: Option<String>,
    /// The numeric user (and group) the process runs as.
    pub user: u32,
}

impl ImageAsset {
    /// The image of the binary named like `crate_name`, in a repository named
    /// like it.
    pub fn from_crate(crate_name: &str) -> Self {
        ImageAsset {
            crate_name: crate_name.to_string(),
            binary: None,
            repository: None,
            port: None,
            env: Vec::new(),
            version_env: None,
            user: DEFAULT_USER,
        }
    }

    /// Another binary target of the crate.
    pub fn binary(mut self, name: &str) -> Self {
        self.binary = Some(name.to_string());
        self
    }

    /// Another repository name.
    pub fn repository(mut self, name: &str) -> Self {
        self.repository = Some(name.to_string());
        self
    }

    /// The TCP port the process listens on (`ExposedPorts`).
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// An environment variable baked into the image.
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    /// Bakes the crate's version (`0.1.0`) into the image as `name`.
    pub fn version_env(mut self, name: &str) -> Self {
        self.version_env = Some(name.to_string());
        self
    }

    /// Runs the process as another numeric user and group. 0 (root) is
    /// refused: grant what the process needs instead.
    pub fn user(mut self, uid: u32) -> Self {
        self.user = uid;
        self
    }

    /// The binary target's name.
    pub fn binary_name(&self) -> &str {
        self.binary.as_deref().unwrap_or(&self.crate_name)
    }

    /// The repository's name.
    pub fn repository_name(&self) -> &str {
        self.repository.as_deref().unwrap_or(&self.crate_name)
    }

    /// The image's configuration, as recorded in the manifest.
    pub fn image_config(&self) -> ImageConfig {
        let binary = self.binary_name();
        ImageConfig {
            entrypoint: vec![format!("/usr/local/bin/{binary}")],
            user: self.user,
            port: self.port,
            env: self.env.iter().cloned().collect(),
            version_env: self.version_env.clone(),
            stop_signal: "SIGTERM".into(),
        }
    }
}

crate::refs! {
    /// What a handle to an [`ImageAsset`] exposes: the reference it is deployed with.
    pub ImageAssetRefs
}

impl ImageAssetRefs {
    /// The image reference by digest, `<registry>/<repository>@sha256:…`,
    /// supplied at deploy time.
    pub fn reference(&self) -> Attr<kind::Uri> {
        self.attr(REFERENCE)
    }
}

/// A Cargo package or binary name: letters, digits, `-` and `_`.
fn valid_cargo_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// An environment variable name the image config can carry.
fn valid_env_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Resource for ImageAsset {
    type Refs = ImageAssetRefs;

    fn kind(&self) -> &'static str {
        "ImageAsset"
    }

    fn validate(&self, c: &mut Checker<'_>) {
        let krate = &self.crate_name;
        c.ensure(valid_cargo_name(krate), "image-asset-crate-name", || {
            format!("crate name {krate:?} must be letters, digits, '-' and '_', starting with a letter")
        });
        let binary = self.binary_name();
        c.ensure(valid_cargo_name(binary), "image-asset-binary-name", || {
            format!("binary name {binary:?} must be letters, digits, '-' and '_', starting with a letter")
        });
        let repo = self.repository_name();
        c.ensure(valid_repo_name(repo), "ecr-repo-name", || {
            format!("repository name {repo:?} must be 2-256 characters: lowercase letters and digits, with single '.', '_' or '-' between them, in '/'-separated components")
        });
        c.ensure(self.port != Some(0), "image-asset-port", || {
            "port 0 cannot be exposed; give the port the process listens on".into()
        });
        c.ensure(self.user != 0, "image-asset-root-user", || {
            "the image would run as root (user 0); keep the default unprivileged user 65532 or choose another non-zero uid".into()
        });
        let mut names: Vec<&str> = self.env.iter().map(|(k, _)| k.as_str()).collect();
        names.extend(self.version_env.as_deref());
        for (i, name) in names.iter().enumerate() {
            c.ensure(valid_env_name(name), "image-asset-env-name", || {
                format!("environment variable name {name:?} must be letters, digits and '_', not starting with a digit")
            });
            c.ensure(!names[..i].contains(name), "image-asset-env-name", || {
                format!("environment variable {name} is set twice")
            });
        }
    }

    fn cloudformation(&self, _: &RenderCx) -> Option<Vec<CfnBlock>> {
        let mut p = CfnParameter::new("String", self.input_description());
        p.allowed_pattern = Some(DIGEST_REFERENCE_PATTERN);
        Some(vec![p.into_block()])
    }

    fn terraform(&self, _: &RenderCx) -> Option<Vec<TfBlock>> {
        let body = props! { "type" => "string", "description" => self.input_description() };
        Some(vec![TfBlock::variable(body)])
    }
}

impl ImageAsset {
    fn input_description(&self) -> String {
        format!(
            "Image of {} ({}) by digest: <registry>/{}@sha256:<digest>, printed by publish",
            self.crate_name,
            self.binary_name(),
            self.repository_name()
        )
    }
}

/// The pull statement's resource for an asset's repository in this stack's
/// account and region: `arn:<partition>:ecr:<region>:<account>:repository/<name>`.
pub(crate) fn repository_arn(name: &str) -> Value<kind::Arn> {
    Value::concat([
        Expr::str("arn:"),
        Attr::partition().expr(),
        Expr::str(":ecr:"),
        Attr::region().expr(),
        Expr::str(":"),
        Attr::account_id().expr(),
        Expr::str(format!(":repository/{name}")),
    ])
}

/// Every image asset of an app: what `publish` builds and pushes, and where
/// each reference goes. Written by the CLI as `out/assets.json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetManifest {
    /// [`ASSET_MANIFEST_VERSION`].
    pub version: u32,
    /// In the order the stacks and their constructs were added.
    pub images: Vec<ImageAssetEntry>,
}

impl AssetManifest {
    /// The text of `out/assets.json`: pretty JSON and a final newline.
    pub fn to_json_text(&self) -> String {
        // Plain data (strings, numbers, lists, maps with string keys) always serializes.
        let mut text = serde_json::to_string_pretty(self).expect("the manifest serializes");
        text.push('\n');
        text
    }

    /// The stacks that create the assets' repositories, in manifest order,
    /// each once: deploy them before publishing.
    pub fn repository_stacks(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for s in self.images.iter().filter_map(|e| e.repository_stack.as_deref()) {
            if !out.contains(&s) {
                out.push(s);
            }
        }
        out
    }
}

/// One image asset in the manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageAssetEntry {
    /// The asset's construct path, e.g. `Vault/Image`.
    pub id: String,
    /// The stack whose input receives the reference.
    pub stack: String,
    /// The account and region of that stack (and of the repository), when set.
    pub account: Option<String>,
    pub region: Option<String>,
    /// The workspace crate and its binary target.
    #[serde(rename = "crate")]
    pub crate_name: String,
    pub binary: String,
    /// The ECR repository name.
    pub repository: String,
    /// The stack of this app that creates the repository: deploy it before
    /// publishing. `None`: the app does not declare it, so it must exist.
    pub repository_stack: Option<String>,
    /// The CloudFormation parameter (logical id) that takes the reference.
    pub cloudformation_parameter: String,
    /// The Terraform variable that takes the reference.
    pub terraform_variable: String,
    /// How the image is configured.
    pub image: ImageConfig,
}

/// An image's runtime configuration (the OCI image config's fields).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageConfig {
    /// `Entrypoint`: the binary's path in the image.
    pub entrypoint: Vec<String>,
    /// `User`, numeric, also the group.
    pub user: u32,
    /// `ExposedPorts` (TCP).
    pub port: Option<u16>,
    /// `Env`, sorted by name.
    pub env: BTreeMap<String, String>,
    /// An `Env` entry set to the crate's version when the image is built.
    pub version_env: Option<String>,
    /// `StopSignal`: what ECS and `docker stop` send; the process drains on it.
    pub stop_signal: String,
}

/// The app's asset manifest, or the problems that make it unusable (the same
/// ones [`crate::synth()`] reports for assets).
pub fn manifest(app: &App) -> Result<AssetManifest, SynthError> {
    let mut problems = Vec::new();
    let images = entries(app, &mut problems);
    if problems.is_empty() {
        Ok(AssetManifest {
            version: ASSET_MANIFEST_VERSION,
            images,
        })
    } else {
        Err(SynthError { problems })
    }
}

/// Problems only visible across stacks: where each asset's repository lives.
pub(crate) fn check_app(app: &App) -> Vec<Problem> {
    let mut problems = Vec::new();
    entries(app, &mut problems);
    problems
}

fn entries(app: &App, problems: &mut Vec<Problem>) -> Vec<ImageAssetEntry> {
    // Repositories each stack declares, by name.
    let repositories: Vec<(&str, &crate::tree::Stack)> = app
        .stacks()
        .iter()
        .flat_map(|s| {
            s.nodes
                .iter()
                .filter_map(|n| n.resource.as_ref()?.as_any().downcast_ref::<EcrRepo>())
                .map(move |r| (r.name.as_str(), s))
        })
        .collect();
    let mut out = Vec::new();
    for stack in app.stacks() {
        for node in &stack.nodes {
            let Some(asset) = node
                .resource
                .as_ref()
                .and_then(|r| r.as_any().downcast_ref::<ImageAsset>())
            else {
                continue;
            };
            let repository = asset.repository_name();
            let home = repositories
                .iter()
                .find(|(name, _)| *name == repository)
                .map(|(_, s)| *s);
            if let Some(home) = home {
                if home.name() == stack.name() {
                    problems.push(Problem::new(
                        &node.path,
                        "image-asset-repository-stack",
                        format!(
                            "repository {repository:?} is declared in this stack ({}), but the image must be pushed to it before this stack deploys; declare the repository in its own stack, deployed first",
                            stack.name()
                        ),
                    ));
                } else if home.account() != stack.account() || home.region() != stack.region() {
                    problems.push(Problem::new(
                        &node.path,
                        "image-asset-repository-stack",
                        format!(
                            "repository {repository:?} is declared in stack {} for account {} region {}, but the image runs in account {} region {}; declare it where the image runs",
                            home.name(),
                            home.account().unwrap_or("(any)"),
                            home.region().unwrap_or("(any)"),
                            stack.account().unwrap_or("(any)"),
                            stack.region().unwrap_or("(any)"),
                        ),
                    ));
                }
            }
            out.push(ImageAssetEntry {
                id: node.path.clone(),
                stack: stack.name().to_string(),
                account: stack.account().map(str::to_string),
                region: stack.region().map(str::to_string),
                crate_name: asset.crate_name.clone(),
                binary: asset.binary_name().to_string(),
                repository: repository.to_string(),
                repository_stack: home.map(|s| s.name().to_string()),
                cloudformation_parameter: ids::logical_id(&node.components),
                terraform_variable: ids::terraform_name(&node.components),
                image: asset.image_config(),
            });
        }
    }
    // Repository stacks deploy before any image is pushed: one that also ran
    // an image would need that image before it exists.
    for e in &out {
        let holds: Vec<&str> = out
            .iter()
            .filter(|other| other.stack != e.stack && other.repository_stack.as_deref() == Some(e.stack.as_str()))
            .map(|other| other.id.as_str())
            .collect();
        if !holds.is_empty() {
            problems.push(Problem::new(
                &e.id,
                "image-asset-repository-stack",
                format!(
                    "stack {} holds the repository of {}, so it deploys before images are pushed and cannot run an image asset itself; move the repository or this image to another stack",
                    e.stack,
                    holds.join(", ")
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests;
