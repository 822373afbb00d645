//! Writing synthesized files: all or nothing.
//!
//! Every file is first written to a staging directory inside the output directory,
//! then renamed into place, so an interrupted or failed run never leaves a
//! half-written template behind. Files of stacks that no longer exist are left
//! alone, and so is anything else in the output directory (Terraform's
//! `.terraform/` and state live next to `main.tf.json`).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use constructs::Artifact;

/// Writes `artifacts` under `out`, returning the final path of each.
pub fn write_all(out: &Path, artifacts: &[Artifact]) -> io::Result<Vec<PathBuf>> {
    if out.exists() && !out.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            "not a directory (--out names the folder to write the templates into)",
        ));
    }
    fs::create_dir_all(out)?;
    let staging = out.join(format!(".staging-{}", std::process::id()));
    let result = stage_and_commit(out, &staging, artifacts);
    let _ = fs::remove_dir_all(&staging);
    result
}

fn stage_and_commit(out: &Path, staging: &Path, artifacts: &[Artifact]) -> io::Result<Vec<PathBuf>> {
    for a in artifacts {
        let path = staging.join(&a.relative_path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&path, &a.text)?;
    }
    let mut written = Vec::new();
    for a in artifacts {
        let target = out.join(&a.relative_path);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::rename(staging.join(&a.relative_path), &target)?;
        written.push(target);
    }
    Ok(written)
}
