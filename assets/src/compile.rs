//! Building a workspace binary, statically linked, with cargo.
//!
//! `cargo build -p <crate> --bin <binary> --target x86_64-unknown-linux-gnu
//! --profile <profile>` with `-C target-feature=+crt-static` added to
//! `RUSTFLAGS`. With an explicit `--target`, cargo applies `RUSTFLAGS` to the
//! target's artifacts only, so build scripts and proc macros are built as
//! usual, and the static artifacts live apart from the normal ones
//! (`target/x86_64-unknown-linux-gnu/<profile>/`): an image build never
//! invalidates `cargo build` or `cargo test`. Works for crates whose TLS is
//! rustls (glibc's static libc is enough; OpenSSL would need its static
//! libraries). The result is checked: a binary that still asks for a dynamic
//! loader (`PT_INTERP`) is refused, since the image has none.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;

/// The only target images are built for (Fargate's `X86_64`).
pub const TARGET: &str = "x86_64-unknown-linux-gnu";

/// The flag that links the C runtime statically.
pub const STATIC_FLAG: &str = "-C target-feature=+crt-static";

/// What to build.
#[derive(Clone, Debug)]
pub struct BuildRequest {
    pub crate_name: String,
    pub binary: String,
    /// A cargo profile: `release` for images that ship.
    pub profile: String,
    /// The workspace's `Cargo.toml`; cargo's own discovery from the working
    /// directory when `None`.
    pub manifest_path: Option<PathBuf>,
    /// Cargo's `--target-dir`; cargo's own choice (`CARGO_TARGET_DIR`,
    /// config, `<workspace>/target`) when `None`.
    pub target_dir: Option<PathBuf>,
}

/// A crate of the workspace, as `cargo metadata` describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Package {
    pub name: String,
    pub version: String,
    pub binaries: Vec<String>,
}

/// A built binary.
#[derive(Clone, Debug)]
pub struct Built {
    pub path: PathBuf,
    /// The crate's version, for the image tag.
    pub version: String,
    /// Whether cargo found it up to date (built nothing).
    pub fresh: bool,
    /// Cargo's target directory.
    pub target_directory: PathBuf,
}

/// Why a binary could not be built.
#[derive(Debug)]
pub enum BuildError {
    /// `cargo` itself could not run, or `cargo metadata` failed.
    Cargo(String),
    /// No such crate in the workspace.
    NoSuchCrate {
        name: String,
        workspace: PathBuf,
        crates: Vec<String>,
    },
    /// The crate has no binary of that name.
    NoSuchBinary {
        crate_name: String,
        binary: String,
        binaries: Vec<String>,
    },
    /// The build failed; `output` is what cargo printed about it.
    Failed { crate_name: String, output: String },
    /// The binary is dynamically linked.
    NotStatic { path: PathBuf },
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::Cargo(why) => write!(f, "cargo: {why}"),
            BuildError::NoSuchCrate { name, workspace, crates } => write!(
                f,
                "there is no crate named `{name}` in the workspace {}; its crates are: {}",
                workspace.display(),
                crates.join(", ")
            ),
            BuildError::NoSuchBinary {
                crate_name,
                binary,
                binaries,
            } => {
                if binaries.is_empty() {
                    write!(f, "crate `{crate_name}` has no binary named `{binary}`; it has no binaries at all")
                } else {
                    write!(
                        f,
                        "crate `{crate_name}` has no binary named `{binary}`; its binaries are: {}",
                        binaries.join(", ")
                    )
                }
            }
            BuildError::Failed { crate_name, output } => {
                write!(f, "cargo could not build `{crate_name}`:\n{}", output.trim_end())
            }
            BuildError::NotStatic { path } => write!(
                f,
                "{} is dynamically linked although it was built with {STATIC_FLAG}; a RUSTFLAGS setting of your own (CARGO_ENCODED_RUSTFLAGS, or a linker override) may have replaced the flag",
                path.display()
            ),
        }
    }
}

impl std::error::Error for BuildError {}

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<MetaPackage>,
    workspace_members: Vec<String>,
    workspace_root: PathBuf,
    target_directory: PathBuf,
}

#[derive(Deserialize)]
struct MetaPackage {
    id: String,
    name: String,
    version: String,
    targets: Vec<MetaTarget>,
}

#[derive(Deserialize)]
struct MetaTarget {
    name: String,
    kind: Vec<String>,
}

fn cargo() -> Command {
    // `cargo run` tells its child which cargo it is.
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

fn with_manifest(cmd: &mut Command, manifest_path: Option<&Path>) {
    if let Some(p) = manifest_path {
        cmd.arg("--manifest-path").arg(p);
    }
}

/// The workspace's crate `crate_name`, checked to have the binary `binary`,
/// and the target directory.
pub fn find_package(
    manifest_path: Option<&Path>,
    crate_name: &str,
    binary: &str,
) -> Result<(Package, PathBuf), BuildError> {
    let mut cmd = cargo();
    cmd.args(["metadata", "--no-deps", "--format-version", "1"]);
    with_manifest(&mut cmd, manifest_path);
    let out = cmd
        .output()
        .map_err(|e| BuildError::Cargo(format!("cannot run cargo: {e}")))?;
    if !out.status.success() {
        return Err(BuildError::Cargo(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let meta: Metadata = serde_json::from_slice(&out.stdout)
        .map_err(|e| BuildError::Cargo(format!("cannot read cargo metadata's output: {e}")))?;
    let members: Vec<&MetaPackage> = meta
        .packages
        .iter()
        .filter(|p| meta.workspace_members.contains(&p.id))
        .collect();
    let Some(package) = members.iter().find(|p| p.name == crate_name) else {
        let mut crates: Vec<String> = members.iter().map(|p| p.name.clone()).collect();
        crates.sort();
        return Err(BuildError::NoSuchCrate {
            name: crate_name.into(),
            workspace: meta.workspace_root,
            crates,
        });
    };
    let binaries: Vec<String> = package
        .targets
        .iter()
        .filter(|t| t.kind.iter().any(|k| k == "bin"))
        .map(|t| t.name.clone())
        .collect();
    if !binaries.iter().any(|b| b == binary) {
        return Err(BuildError::NoSuchBinary {
            crate_name: crate_name.into(),
            binary: binary.into(),
            binaries,
        });
    }
    Ok((
        Package {
            name: package.name.clone(),
            version: package.version.clone(),
            binaries,
        },
        meta.target_directory,
    ))
}

#[derive(Deserialize)]
struct Message {
    reason: String,
    #[serde(default)]
    target: Option<MetaTarget>,
    #[serde(default)]
    executable: Option<PathBuf>,
    #[serde(default)]
    fresh: bool,
}

/// Builds the binary, passing each line cargo prints on stderr (progress and
/// rendered diagnostics) to `on_line` as it comes.
pub fn build(request: &BuildRequest, on_line: &mut dyn FnMut(&str)) -> Result<Built, BuildError> {
    let (package, target_directory) =
        find_package(request.manifest_path.as_deref(), &request.crate_name, &request.binary)?;
    let mut cmd = cargo();
    cmd.args(["build", "-p", &request.crate_name, "--bin", &request.binary])
        .args(["--target", TARGET, "--profile", &request.profile])
        .args(["--message-format", "json-render-diagnostics"]);
    with_manifest(&mut cmd, request.manifest_path.as_deref());
    if let Some(dir) = &request.target_dir {
        cmd.arg("--target-dir").arg(dir);
    }
    let rustflags = match std::env::var("RUSTFLAGS") {
        Ok(existing) if !existing.trim().is_empty() => format!("{existing} {STATIC_FLAG}"),
        _ => STATIC_FLAG.to_string(),
    };
    cmd.env("RUSTFLAGS", rustflags)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|e| BuildError::Cargo(format!("cannot run cargo: {e}")))?;
    let stdout = child.stdout.take().expect("piped");
    let stderr = child.stderr.take().expect("piped");
    // JSON messages on stdout, read on a thread while stderr streams here.
    let reader = std::thread::spawn(move || {
        let mut found: Option<(PathBuf, bool)> = None;
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let Ok(m) = serde_json::from_str::<Message>(&line) else {
                continue;
            };
            if m.reason == "compiler-artifact" {
                if let (Some(t), Some(exe)) = (m.target, m.executable) {
                    if t.kind.iter().any(|k| k == "bin") {
                        found = Some((exe, m.fresh));
                    }
                }
            }
        }
        found
    });
    let mut diagnostics = String::new();
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        on_line(&line);
        let progress = [
            "Compiling ",
            "Checking ",
            "Blocking ",
            "Downloading ",
            "Downloaded ",
            "Updating ",
            "Locking ",
        ]
        .iter()
        .any(|p| line.trim_start().starts_with(p));
        if !progress {
            diagnostics.push_str(&line);
            diagnostics.push('\n');
        }
    }
    let status = child
        .wait()
        .map_err(|e| BuildError::Cargo(format!("waiting for cargo: {e}")))?;
    let artifact = reader.join().unwrap_or(None);
    if !status.success() {
        return Err(BuildError::Failed {
            crate_name: request.crate_name.clone(),
            output: diagnostics,
        });
    }
    let Some((path, fresh)) = artifact else {
        return Err(BuildError::Cargo(format!(
            "cargo built {} but did not name the binary {}",
            request.crate_name, request.binary
        )));
    };
    if !is_static(&path).map_err(|e| BuildError::Cargo(format!("reading {}: {e}", path.display())))? {
        return Err(BuildError::NotStatic { path });
    }
    Ok(Built {
        path,
        version: package.version,
        fresh,
        target_directory: request.target_dir.clone().unwrap_or(target_directory),
    })
}

/// Whether an ELF executable runs without a dynamic loader: it has no
/// `PT_INTERP` program header (a static-pie still has `PT_DYNAMIC`, for its
/// own relocations, but no interpreter).
pub fn is_static(path: &Path) -> std::io::Result<bool> {
    let bytes = std::fs::read(path)?;
    elf_has_no_interpreter(&bytes)
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "not a 64-bit little-endian ELF file"))
}

fn elf_has_no_interpreter(b: &[u8]) -> Option<bool> {
    const PT_INTERP: u32 = 3;
    if b.get(..4)? != b"\x7fELF" || *b.get(4)? != 2 || *b.get(5)? != 1 {
        return None;
    }
    let u16_at = |o: usize| Some(u16::from_le_bytes(b.get(o..o + 2)?.try_into().ok()?));
    let u32_at = |o: usize| Some(u32::from_le_bytes(b.get(o..o + 4)?.try_into().ok()?));
    let u64_at = |o: usize| Some(u64::from_le_bytes(b.get(o..o + 8)?.try_into().ok()?));
    let phoff = usize::try_from(u64_at(0x20)?).ok()?;
    let phentsize = usize::from(u16_at(0x36)?);
    let phnum = usize::from(u16_at(0x38)?);
    for i in 0..phnum {
        if u32_at(phoff + i * phentsize)? == PT_INTERP {
            return Some(false);
        }
    }
    Some(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dynamically_linked_executable_is_recognised() {
        // The test binary itself is dynamically linked (built without crt-static).
        let me = std::env::current_exe().unwrap();
        assert_eq!(is_static(&me).unwrap(), false);
        assert!(is_static(Path::new(file!())).is_err(), "a source file is not ELF");
    }
}
