//! The image: one reproducible layer, an OCI image config and an OCI manifest.
//!
//! The layer holds, and only holds:
//! - the binary at its entrypoint path (`/usr/local/bin/<binary>`, mode 0755);
//! - the CA bundle at `/etc/ssl/certs/ca-certificates.crt` (Debian's
//!   `ca-certificates`), so TLS clients find their roots where OpenSSL and
//!   rustls-native-certs look;
//! - `/etc/passwd` and `/etc/group` naming `root` and the image's non-root
//!   user (`nonroot`, 65532 by default), whose home `/home/<user>` it owns;
//! - `/tmp`, world-writable with the sticky bit.
//!
//! Reproducible: entries sorted by name, every mtime 0, owners numeric
//! (root, or the image user for its home), no user or group names, and a
//! gzip header with no file name and mtime 0 (`gzip -n`). The compressed bytes
//! depend on the compressor (`flate2` with `zlib-rs`, pinned by Cargo.lock),
//! so the same binary gives the same digests on any machine building with the
//! same lock file. The config carries no creation time.

use std::io::Write;
use std::path::Path;

use constructs::assets::ImageConfig;
use serde_json::{json, Map, Value as Json};
use sha2::{Digest as _, Sha256};

/// Media types of what this module produces.
pub mod media_type {
    pub const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    pub const CONFIG: &str = "application/vnd.oci.image.config.v1+json";
    pub const LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
}

/// Where Debian's `ca-certificates` installs the bundle, and where the image
/// has it.
pub const CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// `PATH` in the image: where the binary is.
const PATH_ENV: &str = "PATH=/usr/local/bin:/usr/bin:/bin";

/// The name of the image's non-root user in `/etc/passwd` and `/etc/group`.
pub const USER_NAME: &str = "nonroot";

/// A content-addressed blob: a layer, a config or a manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blob {
    pub media_type: &'static str,
    /// `sha256:<64 hex digits>`.
    pub digest: String,
    pub bytes: bytes::Bytes,
}

impl Blob {
    pub fn new(media_type: &'static str, bytes: impl Into<bytes::Bytes>) -> Self {
        let bytes = bytes.into();
        Blob {
            media_type,
            digest: sha256_digest(&bytes),
            bytes,
        }
    }

    pub fn size(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// The OCI descriptor naming this blob.
    pub fn descriptor(&self) -> Json {
        json!({"mediaType": self.media_type, "digest": self.digest, "size": self.size()})
    }
}

/// `sha256:<hex>` of some bytes.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(bytes)))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A built image: its single layer, its config and its manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    pub layer: Blob,
    pub config: Blob,
    pub manifest: Blob,
}

impl Image {
    /// The manifest's digest, which names the image.
    pub fn digest(&self) -> &str {
        &self.manifest.digest
    }

    /// Every blob, in push order: layer and config before the manifest that
    /// names them.
    pub fn blobs(&self) -> [&Blob; 2] {
        [&self.layer, &self.config]
    }
}

/// What goes into an image.
pub struct ImageInput<'a> {
    /// The statically linked binary.
    pub binary: &'a [u8],
    /// The CA bundle's contents.
    pub ca_bundle: &'a [u8],
    pub config: &'a ImageConfig,
    /// The crate's version, for [`ImageConfig::version_env`].
    pub version: &'a str,
}

/// Why an image cannot be made.
#[derive(Debug)]
pub enum ImageError {
    /// The CA bundle is not where Debian's `ca-certificates` puts it.
    MissingCaBundle(String),
    /// The config cannot be turned into an image (e.g. a relative entrypoint).
    Config(String),
    Io(std::io::Error),
}

impl std::fmt::Display for ImageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImageError::MissingCaBundle(why) => write!(
                f,
                "the CA bundle {CA_BUNDLE} is missing ({why}); install Debian's ca-certificates (apt-get install ca-certificates)"
            ),
            ImageError::Config(why) => write!(f, "{why}"),
            ImageError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ImageError {}

/// Reads the CA bundle, or says which package provides it.
pub fn read_ca_bundle(path: &Path) -> Result<Vec<u8>, ImageError> {
    match std::fs::read(path) {
        Ok(b) if !b.is_empty() => Ok(b),
        Ok(_) => Err(ImageError::MissingCaBundle(format!("{} is empty", path.display()))),
        Err(e) => Err(ImageError::MissingCaBundle(format!("{}: {e}", path.display()))),
    }
}

/// Builds the image.
pub fn build(input: &ImageInput<'_>) -> Result<Image, ImageError> {
    let tar = layer_tar(input)?;
    let diff_id = sha256_digest(&tar);
    let layer = Blob::new(media_type::LAYER, gzip(&tar).map_err(ImageError::Io)?);
    let config = Blob::new(media_type::CONFIG, config_json(input, &diff_id).into_bytes());
    let manifest = Blob::new(media_type::MANIFEST, manifest_json(&config, &layer).into_bytes());
    Ok(Image {
        layer,
        config,
        manifest,
    })
}

/// One entry of the layer.
struct Entry<'a> {
    path: String,
    kind: tar::EntryType,
    mode: u32,
    uid: u32,
    data: std::borrow::Cow<'a, [u8]>,
}

impl<'a> Entry<'a> {
    fn dir(path: &str, mode: u32, uid: u32) -> Self {
        Entry {
            path: format!("{path}/"),
            kind: tar::EntryType::Directory,
            mode,
            uid,
            data: std::borrow::Cow::Borrowed(&[]),
        }
    }
    fn file(path: &str, mode: u32, data: impl Into<std::borrow::Cow<'a, [u8]>>) -> Self {
        Entry {
            path: path.to_string(),
            kind: tar::EntryType::Regular,
            mode,
            uid: 0,
            data: data.into(),
        }
    }
}

/// The uncompressed layer: a tar of sorted entries with fixed metadata.
pub fn layer_tar(input: &ImageInput<'_>) -> Result<Vec<u8>, ImageError> {
    let config = input.config;
    let uid = config.user;
    let binary_path = config
        .entrypoint
        .first()
        .and_then(|p| p.strip_prefix('/'))
        .filter(|p| !p.is_empty() && !p.ends_with('/'))
        .ok_or_else(|| {
            ImageError::Config(format!(
                "the entrypoint {:?} must start with an absolute path to the binary",
                config.entrypoint
            ))
        })?;
    let home = format!("home/{USER_NAME}");
    let passwd =
        format!("root:x:0:0:root:/root:/sbin/nologin\n{USER_NAME}:x:{uid}:{uid}:{USER_NAME}:/{home}:/sbin/nologin\n");
    let group = format!("root:x:0:\n{USER_NAME}:x:{uid}:\n");
    let mut entries = vec![
        Entry::file("etc/passwd", 0o644, passwd.into_bytes()),
        Entry::file("etc/group", 0o644, group.into_bytes()),
        Entry::file(&CA_BUNDLE[1..], 0o644, input.ca_bundle),
        Entry::file(binary_path, 0o755, input.binary),
        Entry::dir("home", 0o755, 0),
        Entry::dir(&home, 0o700, uid),
        Entry::dir("tmp", 0o1777, 0),
    ];
    // Every parent directory of every file, root-owned 0755.
    let mut parents: Vec<String> = Vec::new();
    for e in &entries {
        let mut path = e.path.trim_end_matches('/');
        while let Some((parent, _)) = path.rsplit_once('/') {
            parents.push(parent.to_string());
            path = parent;
        }
    }
    parents.sort();
    parents.dedup();
    for p in parents {
        if !entries.iter().any(|e| e.path == format!("{p}/")) {
            entries.push(Entry::dir(&p, 0o755, 0));
        }
    }
    entries.sort_by(|a, b| a.path.cmp(&b.path));

    let mut builder = tar::Builder::new(Vec::new());
    for e in &entries {
        let mut header = tar::Header::new_ustar();
        header.set_path(&e.path).map_err(ImageError::Io)?;
        header.set_entry_type(e.kind);
        header.set_mode(e.mode);
        header.set_uid(e.uid.into());
        header.set_gid(e.uid.into());
        header.set_mtime(0);
        header.set_size(e.data.len() as u64);
        header.set_cksum();
        builder.append(&header, &e.data[..]).map_err(ImageError::Io)?;
    }
    builder.into_inner().map_err(ImageError::Io)
}

/// gzip with no file name and mtime 0 in the header, like `gzip -n`.
pub fn gzip(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = flate2::GzBuilder::new()
        .mtime(0)
        .operating_system(3) // Unix, as gzip writes on Linux
        .write(Vec::with_capacity(data.len() / 2), flate2::Compression::default());
    encoder.write_all(data)?;
    encoder.finish()
}

/// The OCI image config: how to run the binary, and the layer's uncompressed digest.
fn config_json(input: &ImageInput<'_>, diff_id: &str) -> String {
    let c = input.config;
    let mut env = vec![PATH_ENV.to_string()];
    env.extend(c.env.iter().map(|(k, v)| format!("{k}={v}")));
    if let Some(name) = &c.version_env {
        env.push(format!("{name}={}", input.version));
    }
    let mut config = Map::new();
    config.insert("User".into(), json!(format!("{0}:{0}", c.user)));
    if let Some(port) = c.port {
        config.insert("ExposedPorts".into(), json!({ format!("{port}/tcp"): {} }));
    }
    config.insert("Env".into(), json!(env));
    config.insert("Entrypoint".into(), json!(c.entrypoint));
    config.insert("WorkingDir".into(), json!(format!("/home/{USER_NAME}")));
    config.insert("StopSignal".into(), json!(c.stop_signal));
    let doc = json!({
        "architecture": "amd64",
        "os": "linux",
        "config": config,
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    });
    serde_json::to_string(&doc).expect("JSON values always serialize")
}

/// The OCI image manifest naming the config and the layer.
fn manifest_json(config: &Blob, layer: &Blob) -> String {
    let doc = json!({
        "schemaVersion": 2,
        "mediaType": media_type::MANIFEST,
        "config": config.descriptor(),
        "layers": [layer.descriptor()],
    });
    serde_json::to_string(&doc).expect("JSON values always serialize")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::io::Read;

    fn config() -> ImageConfig {
        ImageConfig {
            entrypoint: vec!["/usr/local/bin/app".into()],
            user: 65532,
            port: Some(8080),
            env: BTreeMap::from([("VAULT_DATA_DIR".to_string(), "/tmp/data".to_string())]),
            version_env: Some("ApplicationVersion".into()),
            stop_signal: "SIGTERM".into(),
        }
    }

    fn image(binary: &[u8]) -> Image {
        let config = config();
        build(&ImageInput {
            binary,
            ca_bundle: b"-----BEGIN CERTIFICATE-----\n",
            config: &config,
            version: "1.2.3",
        })
        .unwrap()
    }

    /// (path, type, mode, uid, gid, mtime, size, uname, data) of every entry.
    type Listed = (String, u8, u32, u64, u64, u64, u64, String, Vec<u8>);

    fn list(layer: &Blob) -> Vec<Listed> {
        let mut tar = Vec::new();
        flate2::read::GzDecoder::new(&layer.bytes[..])
            .read_to_end(&mut tar)
            .unwrap();
        let mut archive = tar::Archive::new(&tar[..]);
        archive
            .entries()
            .unwrap()
            .map(|e| {
                let mut e = e.unwrap();
                let h = e.header().clone();
                let mut data = Vec::new();
                e.read_to_end(&mut data).unwrap();
                (
                    h.path().unwrap().to_string_lossy().into_owned(),
                    h.entry_type().as_byte(),
                    h.mode().unwrap(),
                    h.uid().unwrap(),
                    h.gid().unwrap(),
                    h.mtime().unwrap(),
                    h.size().unwrap(),
                    String::from_utf8_lossy(h.username_bytes().unwrap_or_default()).into_owned(),
                    data,
                )
            })
            .collect()
    }

    #[test]
    fn the_layer_holds_the_binary_certificates_users_and_tmp_sorted_with_fixed_metadata() {
        let img = image(b"\x7fELF binary");
        let entries = list(&img.layer);
        let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(
            names,
            [
                "etc/",
                "etc/group",
                "etc/passwd",
                "etc/ssl/",
                "etc/ssl/certs/",
                "etc/ssl/certs/ca-certificates.crt",
                "home/",
                "home/nonroot/",
                "tmp/",
                "usr/",
                "usr/local/",
                "usr/local/bin/",
                "usr/local/bin/app",
            ]
        );
        for (path, _, mode, uid, gid, mtime, _, uname, _) in &entries {
            assert_eq!(*mtime, 0, "{path}");
            assert_eq!(uname, "", "{path}");
            let owner = if path == "home/nonroot/" { 65532 } else { 0 };
            assert_eq!((*uid, *gid), (owner, owner), "{path}");
            let expected = match path.as_str() {
                "tmp/" => 0o1777,
                "home/nonroot/" => 0o700,
                "usr/local/bin/app" => 0o755,
                p if p.ends_with('/') => 0o755,
                _ => 0o644,
            };
            assert_eq!(*mode, expected, "{path}");
        }
        let file = |name: &str| entries.iter().find(|e| e.0 == name).unwrap().8.clone();
        assert_eq!(file("usr/local/bin/app"), b"\x7fELF binary");
        assert_eq!(
            String::from_utf8(file("etc/passwd")).unwrap(),
            "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
        );
        assert_eq!(
            String::from_utf8(file("etc/group")).unwrap(),
            "root:x:0:\nnonroot:x:65532:\n"
        );
    }

    #[test]
    fn the_gzip_header_has_no_name_and_no_mtime() {
        let img = image(b"x");
        let b = &img.layer.bytes;
        assert_eq!(&b[..3], &[0x1f, 0x8b, 8], "gzip, deflate");
        assert_eq!(b[3], 0, "no FNAME, FCOMMENT or FEXTRA flags");
        assert_eq!(&b[4..8], &[0, 0, 0, 0], "mtime 0");
    }

    #[test]
    fn the_same_inputs_give_the_same_digests_and_a_changed_binary_a_new_one() {
        let (a, b) = (image(b"same"), image(b"same"));
        assert_eq!(a, b);
        let c = image(b"changed");
        assert_ne!(a.layer.digest, c.layer.digest);
        assert_ne!(a.digest(), c.digest());
    }

    #[test]
    fn the_config_runs_the_entrypoint_as_the_non_root_user() {
        let img = image(b"x");
        let config: Json = serde_json::from_slice(&img.config.bytes).unwrap();
        assert_eq!(
            config["config"],
            json!({
                "User": "65532:65532",
                "ExposedPorts": {"8080/tcp": {}},
                "Env": [PATH_ENV, "VAULT_DATA_DIR=/tmp/data", "ApplicationVersion=1.2.3"],
                "Entrypoint": ["/usr/local/bin/app"],
                "WorkingDir": "/home/nonroot",
                "StopSignal": "SIGTERM"
            })
        );
        assert_eq!(
            (config["os"].as_str(), config["architecture"].as_str()),
            (Some("linux"), Some("amd64"))
        );
        let mut tar = Vec::new();
        flate2::read::GzDecoder::new(&img.layer.bytes[..])
            .read_to_end(&mut tar)
            .unwrap();
        assert_eq!(config["rootfs"]["diff_ids"], json!([sha256_digest(&tar)]));
        assert!(config.get("created").is_none(), "no timestamp");
    }

    #[test]
    fn the_manifest_names_the_config_and_the_layer_by_digest_and_size() {
        let img = image(b"x");
        let m: Json = serde_json::from_slice(&img.manifest.bytes).unwrap();
        assert_eq!(m["schemaVersion"], 2);
        assert_eq!(m["mediaType"], media_type::MANIFEST);
        assert_eq!(m["config"], img.config.descriptor());
        assert_eq!(m["layers"], json!([img.layer.descriptor()]));
        assert_eq!(img.digest(), sha256_digest(&img.manifest.bytes));
    }

    #[test]
    fn a_relative_entrypoint_and_a_missing_ca_bundle_are_errors() {
        let mut config = config();
        config.entrypoint = vec!["app".into()];
        let input = ImageInput {
            binary: b"x",
            ca_bundle: b"x",
            config: &config,
            version: "1",
        };
        assert!(build(&input).unwrap_err().to_string().contains("absolute path"));
        let err = read_ca_bundle(Path::new("/nonexistent/ca.crt"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("ca-certificates"), "{err}");
    }
}
