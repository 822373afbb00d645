//! Writing synthesized files: all or nothing.
//!
//! Every file is first written to a staging directory inside the output directory,
//! as soon as synthesis renders it (so the text of every file is never held in
//! memory at once), then renamed into place when the whole synthesis succeeded,
//! so an interrupted or failed run never leaves a half-written template behind.
//! Files of stacks that no longer exist are left alone, and so is anything else
//! in the output directory (Terraform's `.terraform/` and state live next to
//! `main.tf.json`).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use constructs::Artifact;

/// A file written to staging, with what the summary line needs.
pub struct Staged {
    pub stack: String,
    pub backend: constructs::Backend,
    pub resource_count: usize,
    pub relative_path: String,
    /// Files staged with it (a checkov baseline).
    pub extra_files: Vec<String>,
}

/// Files being written under `out`, not yet in place.
pub struct Staging {
    out: PathBuf,
    dir: PathBuf,
    staged: Vec<Staged>,
    error: Option<io::Error>,
    /// Whether `out` did not exist before: it is removed again if nothing is committed.
    created_out: bool,
    committed: bool,
}

impl Staging {
    /// Prepares to write under `out` (created if missing).
    pub fn new(out: &Path) -> io::Result<Staging> {
        if out.exists() && !out.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                "not a directory (--out names the folder to write the templates into)",
            ));
        }
        let dir = out.join(format!(".staging-{}", std::process::id()));
        Ok(Staging {
            out: out.to_path_buf(),
            dir,
            staged: Vec::new(),
            error: None,
            created_out: !out.exists(),
            committed: false,
        })
    }

    /// Writes one file to staging. The first error is kept and reported by
    /// [`Staging::commit`]; later files are not written.
    pub fn stage(&mut self, a: Artifact) {
        if self.error.is_some() {
            return;
        }
        let write = |relative: &str, text: &str| {
            let path = self.dir.join(relative);
            path.parent()
                .map_or(Ok(()), fs::create_dir_all)
                .and_then(|_| fs::write(&path, text))
        };
        let mut written = write(&a.relative_path, &a.text);
        for extra in &a.extra_files {
            written = written.and_then(|_| write(&extra.relative_path, &extra.text));
        }
        let extras: Vec<String> = a.extra_files.iter().map(|e| e.relative_path.clone()).collect();
        match written {
            Ok(()) => self.staged.push(Staged {
                stack: a.stack,
                backend: a.backend,
                resource_count: a.resource_count,
                relative_path: a.relative_path,
                extra_files: extras,
            }),
            Err(e) => self.error = Some(e),
        }
    }

    /// Moves every staged file into place, returning each with its final path.
    pub fn commit(mut self) -> io::Result<Vec<(Staged, PathBuf)>> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.committed = true;
        let mut written = Vec::new();
        for s in std::mem::take(&mut self.staged) {
            for relative in std::iter::once(&s.relative_path).chain(&s.extra_files) {
                let target = self.out.join(relative);
                if let Some(parent) = target.parent() {
                    fs::create_dir_all(parent)?;
                }
                fs::rename(self.dir.join(relative), &target)?;
            }
            let target = self.out.join(&s.relative_path);
            // A Terraform module whose stack skips no checkov check any more
            // must not keep an old baseline that would still skip them.
            if s.backend == constructs::Backend::Terraform && s.extra_files.is_empty() {
                if let Some(dir) = target.parent() {
                    let stale = dir.join(".checkov.baseline");
                    if stale.is_file() {
                        fs::remove_file(stale)?;
                    }
                }
            }
            written.push((s, target));
        }
        Ok(written)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
        if self.created_out && !self.committed {
            // Only if empty: nothing but our staging was ever there.
            let _ = fs::remove_dir(&self.out);
        }
    }
}

/// Writes `artifacts` under `out`, returning the final path of each.
pub fn write_all(out: &Path, artifacts: &[Artifact]) -> io::Result<Vec<PathBuf>> {
    let mut staging = Staging::new(out)?;
    for a in artifacts {
        staging.stage(a.clone());
    }
    Ok(staging.commit()?.into_iter().map(|(_, p)| p).collect())
}
