//! Writing synthesized files: all or nothing.
//!
//! The stacks' templates and modules go with the app's own files (the asset
//! manifest, `assets.json`), so a failed run leaves neither a half-written
//! template nor a manifest that describes another synthesis.
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
    /// App-wide files staged with the stacks' (relative paths).
    files: Vec<String>,
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
            files: Vec::new(),
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

    /// Writes one app-wide file (not a stack's, e.g. the asset manifest) to
    /// staging; committed with the stacks' files.
    pub fn stage_file(&mut self, relative_path: &str, text: &str) {
        if self.error.is_some() {
            return;
        }
        let path = self.dir.join(relative_path);
        match path
            .parent()
            .map_or(Ok(()), fs::create_dir_all)
            .and_then(|_| fs::write(&path, text))
        {
            Ok(()) => self.files.push(relative_path.to_string()),
            Err(e) => self.error = Some(e),
        }
    }

    /// Moves every staged file into place, returning each stack's file and
    /// each app-wide file with its final path.
    pub fn commit(mut self) -> io::Result<Committed> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.committed = true;
        let mut files = Vec::new();
        for relative in std::mem::take(&mut self.files) {
            let target = self.out.join(&relative);
            fs::rename(self.dir.join(&relative), &target)?;
            files.push(target);
        }
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
        Ok(Committed { stacks: written, files })
    }
}

/// What [`Staging::commit`] put in place.
pub struct Committed {
    /// Each stack's file, with what the summary line needs.
    pub stacks: Vec<(Staged, PathBuf)>,
    /// The app-wide files ([`Staging::stage_file`]).
    pub files: Vec<PathBuf>,
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

/// Writes `artifacts` and the app-wide `files` (relative path, text) under
/// `out`, all or nothing, returning the final path of each artifact.
pub fn write_all(
    out: &Path,
    artifacts: impl IntoIterator<Item = Artifact>,
    files: &[(&str, &str)],
) -> io::Result<Vec<PathBuf>> {
    let mut staging = Staging::new(out)?;
    for a in artifacts {
        staging.stage(a);
    }
    for (relative_path, text) in files {
        staging.stage_file(relative_path, text);
    }
    Ok(staging.commit()?.stacks.into_iter().map(|(_, p)| p).collect())
}
