//! Publishing: build every image of a manifest, then push each one.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;

use constructs::assets::{AssetManifest, ImageAssetEntry};
use sha2::{Digest as _, Sha256};

use crate::compile::{self, BuildError, BuildRequest};
use crate::ecr::{self, EcrError, EcrRepository};
use crate::image::{self, media_type, Blob, Image, ImageError, ImageInput};
use crate::registry::{Credentials, RegistryError, Repository};

/// A registry given on the command line instead of each asset's ECR
/// repository: `HOST[:PORT]` (each asset keeps its repository name) or
/// `HOST[:PORT]/REPO` (every asset goes to `REPO`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryOverride {
    /// `host[:port]`.
    pub host: String,
    pub repository: Option<String>,
    /// Plain HTTP instead of HTTPS: for a registry on loopback in tests.
    pub insecure: bool,
}

impl FromStr for RegistryOverride {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s.contains("://") {
            return Err(format!(
                "{s:?}: give HOST[:PORT]/REPO without a scheme (--insecure chooses plain HTTP)"
            ));
        }
        let (host, repository) = match s.split_once('/') {
            Some((h, r)) => (h, Some(r)),
            None => (s, None),
        };
        let host_ok = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
        if !host_ok {
            return Err(format!("{s:?}: {host:?} is not a HOST[:PORT]"));
        }
        if let Some(r) = repository {
            if !constructs::ecr::valid_repo_name(r) {
                return Err(format!(
                    "{s:?}: repository {r:?} must be lowercase letters and digits, with single '.', '_' or '-' between them, in '/'-separated components"
                ));
            }
        }
        Ok(RegistryOverride {
            host: host.to_string(),
            repository: repository.map(str::to_string),
            insecure: false,
        })
    }
}

/// What happened, as it happens: for a progress display.
#[derive(Clone, Debug, PartialEq)]
pub enum Progress {
    /// Cargo is about to build the asset's binary with `profile`.
    Building {
        id: String,
        crate_name: String,
        binary: String,
        profile: String,
    },
    /// A line cargo printed (its progress, warnings and errors).
    Cargo { line: String },
    /// The binary is built; `fresh`: cargo found it up to date.
    Built { id: String, fresh: bool, seconds: f64 },
    /// The image is ready; `cached`: the same binary's image was reused.
    Image {
        id: String,
        digest: String,
        compressed_bytes: u64,
        cached: bool,
    },
    /// A blob was uploaded (`uploaded`) or was already in the registry.
    Blob {
        id: String,
        digest: String,
        bytes: u64,
        uploaded: bool,
    },
    /// The tag now names the image (`put`), or already did.
    Tagged {
        id: String,
        reference: String,
        tag: String,
        put: bool,
    },
}

/// A callback receiving [`Progress`].
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// How to publish.
#[derive(Clone)]
pub struct PublishOptions {
    /// Push every image here instead of to ECR.
    pub registry: Option<RegistryOverride>,
    /// Credentials for [`PublishOptions::registry`] (ECR's come from
    /// `GetAuthorizationToken`).
    pub credentials: Option<Credentials>,
    /// The cargo profile: `release` (the default) for what ships.
    pub profile: String,
    /// The workspace's `Cargo.toml`; by default cargo finds it from the
    /// working directory.
    pub manifest_path: Option<PathBuf>,
    /// Cargo's `--target-dir`, when not cargo's own choice.
    pub target_dir: Option<PathBuf>,
    /// The CA bundle copied into images ([`image::CA_BUNDLE`]).
    pub ca_bundle: PathBuf,
    /// AWS configuration for ECR; loaded from the environment (standard
    /// credential chain, `AWS_ENDPOINT_URL`) when `None`. The region is each
    /// asset's stack's region.
    pub aws: Option<aws_config::SdkConfig>,
    /// Sends ECR's blob uploads here (`http(s)://host:port`) instead of to
    /// the endpoint `GetAuthorizationToken` names; the ECR API calls are
    /// unchanged. For tests, where an emulator serves the ECR API but has no
    /// registry, and a local registry stands in for it.
    pub ecr_registry_endpoint: Option<String>,
    pub progress: Option<ProgressFn>,
}

impl Default for PublishOptions {
    fn default() -> Self {
        PublishOptions {
            registry: None,
            credentials: None,
            profile: "release".into(),
            manifest_path: None,
            target_dir: None,
            ca_bundle: PathBuf::from(image::CA_BUNDLE),
            aws: None,
            ecr_registry_endpoint: None,
            progress: None,
        }
    }
}

impl std::fmt::Debug for PublishOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublishOptions")
            .field("registry", &self.registry)
            .field("credentials", &self.credentials)
            .field("profile", &self.profile)
            .field("manifest_path", &self.manifest_path)
            .field("ca_bundle", &self.ca_bundle)
            .finish_non_exhaustive()
    }
}

impl PublishOptions {
    fn report(&self, p: Progress) {
        if let Some(f) = &self.progress {
            f(&p);
        }
    }
}

/// One published image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishedImage {
    /// The asset's construct path (`Vault/Image`).
    pub id: String,
    /// The stack whose input takes [`PublishedImage::reference`], and the
    /// input's name per backend.
    pub stack: String,
    pub cloudformation_parameter: String,
    pub terraform_variable: String,
    /// `<registry host>/<repository>@sha256:…`: what the stack input gets.
    pub reference: String,
    /// The manifest digest, `sha256:…`.
    pub digest: String,
    /// `v<crate version>-<first 12 hex digits of the digest>`.
    pub tag: String,
    /// Layer and config, as stored in the registry.
    pub compressed_bytes: u64,
    /// Whether cargo compiled anything.
    pub rebuilt: bool,
    /// Blobs uploaded by this run (empty: all were already there).
    pub uploaded: Vec<String>,
    pub uploaded_bytes: u64,
    /// Whether this run wrote the tag.
    pub tagged: bool,
}

impl PublishedImage {
    /// Whether this run changed anything in the registry.
    pub fn pushed_anything(&self) -> bool {
        !self.uploaded.is_empty() || self.tagged
    }
}

/// Why publishing failed. Nothing is pushed when any build fails, and a tag is
/// written only after every blob of its image is in place.
#[derive(Debug)]
pub enum PublishError {
    /// The binary could not be built (cargo's error is in the message).
    Build { id: String, source: BuildError },
    /// The image could not be made.
    Image { id: String, source: ImageError },
    /// The registry refused, was unreachable or broke off.
    Registry { id: String, source: RegistryError },
    /// ECR (credentials, repository, tag) failed.
    Ecr { id: String, source: EcrError },
    /// The asset has no ECR registry to go to.
    NoRegistry { id: String, stack: String },
}

impl std::fmt::Display for PublishError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PublishError::Build { id, source } => write!(f, "{id}: {source}"),
            PublishError::Image { id, source } => write!(f, "{id}: {source}"),
            PublishError::Registry { id, source } => write!(f, "{id}: {source}"),
            PublishError::Ecr { id, source } => write!(f, "{id}: {source}"),
            PublishError::NoRegistry { id, stack } => write!(
                f,
                "{id}: stack {stack} sets no account and region, so there is no ECR registry to push to; set them (Stack::set_account, set_region) or pass --registry HOST[:PORT]/REPO"
            ),
        }
    }
}

impl std::error::Error for PublishError {}

/// An image built for an asset.
struct Built {
    image: Image,
    version: String,
    rebuilt: bool,
}

/// Builds every image of `manifest`, then pushes each, in manifest order.
///
/// Contract (what `deploy` relies on):
/// - every binary is built (static, `options.profile`) before anything is
///   pushed: a build failure pushes nothing;
/// - for each image, blobs go first and the tag last, so a tag never names an
///   incomplete image; blobs and tags already in place are not uploaded
///   again, so a rerun after a failure completes the push, and a rerun with
///   no change uploads nothing;
/// - ECR (no [`PublishOptions::registry`]): the registry is the asset's
///   stack's account and region; credentials whose account differs, and a
///   repository that does not exist, are refused before any upload;
/// - the result has one [`PublishedImage`] per manifest entry, in order; pass
///   each [`PublishedImage::reference`] to its stack's input
///   ([`PublishedImage::cloudformation_parameter`] /
///   [`PublishedImage::terraform_variable`]).
///
/// Cargo and the image work run on tokio's blocking pool; call it from
/// within a tokio runtime.
pub async fn publish(manifest: &AssetManifest, options: &PublishOptions) -> Result<Vec<PublishedImage>, PublishError> {
    let mut built = Vec::new();
    for entry in &manifest.images {
        let (entry_c, options_c) = (entry.clone(), options.clone());
        let b = tokio::task::spawn_blocking(move || build_image(&entry_c, &options_c))
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?;
        built.push(b);
    }
    let mut out = Vec::new();
    for (entry, b) in manifest.images.iter().zip(built) {
        out.push(push_image(entry, b, options).await?);
    }
    Ok(out)
}

/// Builds the binary, then the image, reusing the cached image when the
/// binary, CA bundle and config are unchanged.
fn build_image(entry: &ImageAssetEntry, options: &PublishOptions) -> Result<Built, PublishError> {
    let id = entry.id.clone();
    options.report(Progress::Building {
        id: id.clone(),
        crate_name: entry.crate_name.clone(),
        binary: entry.binary.clone(),
        profile: options.profile.clone(),
    });
    let started = Instant::now();
    let request = BuildRequest {
        crate_name: entry.crate_name.clone(),
        binary: entry.binary.clone(),
        profile: options.profile.clone(),
        manifest_path: options.manifest_path.clone(),
        target_dir: options.target_dir.clone(),
    };
    let built = compile::build(&request, &mut |line| {
        options.report(Progress::Cargo { line: line.to_string() })
    })
    .map_err(|source| PublishError::Build { id: id.clone(), source })?;
    options.report(Progress::Built {
        id: id.clone(),
        fresh: built.fresh,
        seconds: started.elapsed().as_secs_f64(),
    });
    let image_error = |source| PublishError::Image { id: id.clone(), source };
    let binary = std::fs::read(&built.path).map_err(|e| image_error(ImageError::Io(e)))?;
    let ca_bundle = image::read_ca_bundle(&options.ca_bundle).map_err(image_error)?;
    let input = ImageInput {
        binary: &binary,
        ca_bundle: &ca_bundle,
        config: &entry.image,
        version: &built.version,
    };
    let cache = ImageCache::new(&built.target_directory, entry, &input);
    let (image, cached) = match cache.load() {
        Some(image) => (image, true),
        None => {
            let image = image::build(&input).map_err(image_error)?;
            cache.store(&image);
            (image, false)
        }
    };
    options.report(Progress::Image {
        id,
        digest: image.digest().to_string(),
        compressed_bytes: image.layer.size() + image.config.size(),
        cached,
    });
    Ok(Built {
        image,
        version: built.version,
        rebuilt: !built.fresh,
    })
}

/// The last image built for an asset, under the target directory
/// (`images/<asset id>/`), keyed by a hash of everything that goes into it,
/// so publishing an unchanged binary neither tars nor compresses it again.
struct ImageCache {
    dir: PathBuf,
    key: String,
}

/// Bumped when the image format changes, so old cache entries are not reused.
const IMAGE_FORMAT: &str = "assets-image-1";

/// What the compressor makes of a fixed sample: part of the cache key, so an
/// update of `flate2`/`zlib-rs` that changes their output (and so the layer's
/// digest) does not reuse a layer the old version compressed, as long as the
/// change shows on this sample (a change of the compression level or of the
/// match finder does). A cached image would otherwise push different bytes
/// than a clean build of the same commit. The sample mixes text, repeats and
/// noise, as a binary does; compressing it takes well under a millisecond.
fn compressor_fingerprint() -> Vec<u8> {
    const TEXT: &[u8] = b"vault-api image layer ";
    let mut sample = Vec::with_capacity(48 * 1024);
    let mut x: u32 = 0x9e37_79b9;
    for i in 0..48 * 1024usize {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        sample.push(match i % 3 {
            0 => TEXT[(i / 3) % TEXT.len()],
            1 => (i % 251) as u8,
            _ => x as u8,
        });
    }
    // Compressing into memory does not fail (the vector grows or the
    // process aborts); an empty fingerprint would only weaken the key.
    image::gzip(&sample).unwrap_or_default()
}

impl ImageCache {
    fn new(target_directory: &Path, entry: &ImageAssetEntry, input: &ImageInput<'_>) -> Self {
        let mut h = Sha256::new();
        let config = serde_json::to_string(input.config).unwrap_or_default();
        let compressor = compressor_fingerprint();
        for part in [
            IMAGE_FORMAT.as_bytes(),
            &compressor,
            input.binary,
            input.ca_bundle,
            config.as_bytes(),
            input.version.as_bytes(),
        ] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part);
        }
        let name: String = entry
            .id
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
            .collect();
        ImageCache {
            dir: target_directory.join("images").join(name),
            key: image::hex(&h.finalize()),
        }
    }

    fn load(&self) -> Option<Image> {
        let key = std::fs::read_to_string(self.dir.join("key")).ok()?;
        if key.trim() != self.key {
            return None;
        }
        let read = |name: &str, media_type| {
            std::fs::read(self.dir.join(name))
                .ok()
                .map(|b| Blob::new(media_type, b))
        };
        let image = Image {
            layer: read("layer.tar.gz", media_type::LAYER)?,
            config: read("config.json", media_type::CONFIG)?,
            manifest: read("manifest.json", media_type::MANIFEST)?,
        };
        // A manifest naming other blobs than those beside it is not this image.
        let m = String::from_utf8_lossy(&image.manifest.bytes);
        (m.contains(&image.layer.digest) && m.contains(&image.config.digest)).then_some(image)
    }

    /// Best effort: a cache that cannot be written only costs time next run.
    fn store(&self, image: &Image) {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = self.dir.with_extension(format!("tmp-{}-{n}", std::process::id()));
        let write = || -> std::io::Result<()> {
            let _ = std::fs::remove_dir_all(&tmp);
            std::fs::create_dir_all(&tmp)?;
            std::fs::write(tmp.join("layer.tar.gz"), &image.layer.bytes)?;
            std::fs::write(tmp.join("config.json"), &image.config.bytes)?;
            std::fs::write(tmp.join("manifest.json"), &image.manifest.bytes)?;
            std::fs::write(tmp.join("key"), &self.key)?;
            let _ = std::fs::remove_dir_all(&self.dir);
            std::fs::rename(&tmp, &self.dir)
        };
        if write().is_err() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
    }
}

/// `v<version>-<12 hex digits of the digest>`: unique per image, so tags stay
/// immutable, and starting with `v`, so the lifecycle rule keeping the last
/// `v` images counts every push. A character an OCI tag may not hold
/// (`[A-Za-z0-9_.-]` only: cargo allows `+build` metadata in a version)
/// becomes `-`, and the tag is cut to the 128 characters a tag may have.
pub fn tag_for(version: &str, digest: &str) -> String {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    let hex = &hex[..hex.len().min(12)];
    let version: String = version
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '-'
            }
        })
        .take(128 - 2 - hex.len())
        .collect();
    format!("v{version}-{hex}")
}

async fn push_image(
    entry: &ImageAssetEntry,
    b: Built,
    options: &PublishOptions,
) -> Result<PublishedImage, PublishError> {
    let id = entry.id.clone();
    let image = &b.image;
    let tag = tag_for(&b.version, image.digest());
    let registry_error = |source| PublishError::Registry { id: id.clone(), source };
    let ecr_error = |source| PublishError::Ecr { id: id.clone(), source };

    // Where the blobs go, and (for ECR) the ECR repository for the manifest.
    let mut ecr_login_host = None;
    let (repository, ecr_repository) = match &options.registry {
        Some(r) => {
            let scheme = if r.insecure { "http" } else { "https" };
            let name = r.repository.as_deref().unwrap_or(&entry.repository);
            let repo = Repository::new(&format!("{scheme}://{}", r.host), name, options.credentials.clone())
                .map_err(registry_error)?;
            (repo, None)
        }
        None => {
            let (Some(account), Some(region)) = (&entry.account, &entry.region) else {
                return Err(PublishError::NoRegistry {
                    id,
                    stack: entry.stack.clone(),
                });
            };
            let sdk = match &options.aws {
                Some(c) => c.clone(),
                None => aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await,
            };
            let config = aws_sdk_ecr::config::Builder::from(&sdk)
                .region(aws_sdk_ecr::config::Region::new(region.clone()))
                .build();
            let client = aws_sdk_ecr::Client::from_conf(config);
            let login = ecr::login(&client).await.map_err(ecr_error)?;
            if &login.account != account {
                return Err(ecr_error(EcrError::WrongAccount {
                    expected: account.clone(),
                    actual: login.account,
                    region: region.clone(),
                }));
            }
            let ecr_repository = EcrRepository {
                client,
                name: entry.repository.clone(),
                account: account.clone(),
                region: region.clone(),
            };
            ecr_repository.require_exists().await.map_err(ecr_error)?;
            ecr_login_host = Some(login.endpoint.split("://").last().unwrap_or_default().to_string());
            let endpoint = options.ecr_registry_endpoint.as_deref().unwrap_or(&login.endpoint);
            let repo = Repository::new(endpoint, &entry.repository, Some(login.credentials)).map_err(registry_error)?;
            (repo, Some(ecr_repository))
        }
    };

    let mut uploaded = Vec::new();
    let mut uploaded_bytes = 0;
    for blob in image.blobs() {
        let present = repository.has_blob(&blob.digest).await.map_err(registry_error)?;
        if !present {
            repository.upload_blob(blob).await.map_err(registry_error)?;
            uploaded.push(blob.digest.clone());
            uploaded_bytes += blob.size();
        }
        options.report(Progress::Blob {
            id: id.clone(),
            digest: blob.digest.clone(),
            bytes: blob.size(),
            uploaded: !present,
        });
    }
    let tagged = match &ecr_repository {
        Some(ecr) => ecr.put_manifest(&tag, &image.manifest).await.map_err(ecr_error)?,
        None => repository
            .tag_manifest(&tag, &image.manifest)
            .await
            .map_err(registry_error)?,
    };
    // ECR images are named by the registry the token names, wherever the blobs went.
    let host = match &ecr_login_host {
        Some(h) => h.as_str(),
        None => repository.host(),
    };
    let reference = format!("{host}/{}@{}", repository.name(), image.digest());
    options.report(Progress::Tagged {
        id: id.clone(),
        reference: reference.clone(),
        tag: tag.clone(),
        put: tagged,
    });
    Ok(PublishedImage {
        id,
        stack: entry.stack.clone(),
        cloudformation_parameter: entry.cloudformation_parameter.clone(),
        terraform_variable: entry.terraform_variable.clone(),
        reference,
        digest: image.digest().to_string(),
        tag,
        compressed_bytes: image.layer.size() + image.config.size(),
        rebuilt: b.rebuilt,
        uploaded,
        uploaded_bytes,
        tagged,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_overrides_parse_host_port_and_repository() {
        let r: RegistryOverride = "127.0.0.1:5000/team/api".parse().unwrap();
        assert_eq!(
            (r.host.as_str(), r.repository.as_deref()),
            ("127.0.0.1:5000", Some("team/api"))
        );
        let r: RegistryOverride = "registry.example".parse().unwrap();
        assert_eq!((r.host.as_str(), r.repository), ("registry.example", None));
        assert!("http://x/y"
            .parse::<RegistryOverride>()
            .unwrap_err()
            .contains("without a scheme"));
        assert!("host/Upper".parse::<RegistryOverride>().is_err());
        assert!("/repo".parse::<RegistryOverride>().is_err());
    }

    #[test]
    fn tags_are_v_version_and_a_short_digest() {
        let digest = format!("sha256:{}", "0123456789abcdef".repeat(4));
        assert_eq!(tag_for("0.1.0", &digest), "v0.1.0-0123456789ab");
        assert_eq!(tag_for("0.1.0+build.5", &digest), "v0.1.0-build.5-0123456789ab");
        assert!(tag_for(&"9".repeat(300), &digest).len() <= 128);
    }
}
