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
    let files: Vec<(&str, &str)> = artifacts
        .iter()
        .map(|a| (a.relative_path.as_str(), a.text.as_str()))
        .collect();
    write_files(out, &files)
}

/// Writes `(relative path, text)` pairs under `out`, all or nothing,
/// returning the final path of each.
pub fn write_files(out: &Path, files: &[(&str, &str)]) -> io::Result<Vec<PathBuf>> {
    fs::create_dir_all(out)?;
    let staging = out.join(format!(".staging-{}", std::process::id()));
    let result = stage_and_commit(out, &staging, files);
    let _ = fs::remove_dir_all(&staging);
    result
}

fn stage_and_commit(out: &Path, staging: &Path, files: &[(&str, &str)]) -> io::Result<Vec<PathBuf>> {
    for (relative_path, text) in files {
        let path = staging.join(relative_path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&path, text)?;
    }
    let mut written = Vec::new();
    for (relative_path, _) in files {
        let target = out.join(relative_path);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::rename(staging.join(relative_path), &target)?;
        written.push(target);
    }
    Ok(written)
}
