//! Filesystems a test mounts for itself, to produce real disk conditions
//! without touching the machine's disks: a small tmpfs to fill up, and a
//! small ext4 image on a loop device to freeze (every write then blocks, as
//! on a disk that stopped answering). Both need root (CI runs as root). With
//! `CI` set, a failure to set one up fails the test; without it the test is
//! skipped with a loud message naming the command that failed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

/// Runs `program args`, returning why it failed if it did.
fn run(program: &str, args: &[&str]) -> Result<(), String> {
    match Command::new(program).args(args).output() {
        Ok(output) if output.status.success() => Ok(()),
        Ok(output) => Err(format!(
            "`{program} {}` exited with {}: {}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )),
        Err(e) => Err(format!("could not run `{program}`: {e}")),
    }
}

/// Skips (returns `None`) or, with `CI` set, fails for a missing capability.
fn unavailable<T>(what: &str, failure: &str) -> Option<T> {
    if std::env::var_os("CI").is_some() {
        panic!("CI is set but this test cannot set up {what} (it needs root): {failure}");
    }
    eprintln!("\n*** SKIPPING: this test needs {what}, which needs root. {failure} ***\n");
    None
}

/// A mounted tmpfs, unmounted (lazily, in case something still has a file
/// open) when dropped.
pub struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (as `mount -o size=` takes it, e.g. `4m`) on
    /// a fresh temporary directory.
    pub fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().to_str().expect("UTF-8 temp path").to_owned();
        let options = format!("size={size},mode=0700");
        match run("mount", &["-t", "tmpfs", "-o", &options, "tmpfs", &target]) {
            Ok(()) => {
                eprintln!("mounted tmpfs ({size}) on {target} with: mount -t tmpfs -o {options} tmpfs {target}");
                Some(Tmpfs { dir })
            }
            Err(failure) => unavailable("a tmpfs mount", &failure),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside the mount.
    pub fn join(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}

/// A 16 MiB ext4 filesystem in an image file, mounted through a loop device,
/// that can be frozen with `fsfreeze`. Thawed, unmounted (lazily) and its
/// image removed when dropped.
pub struct FreezableFs {
    mount_point: tempfile::TempDir,
    _image_dir: tempfile::TempDir,
    frozen: AtomicBool,
}

impl FreezableFs {
    pub fn mount() -> Option<FreezableFs> {
        let image_dir = tempfile::tempdir().expect("temp dir");
        let mount_point = tempfile::tempdir().expect("temp dir");
        let image = image_dir.path().join("fs.img");
        let image = image.to_str().expect("UTF-8 temp path");
        let target = mount_point.path().to_str().expect("UTF-8 temp path");
        let steps: [(&str, Vec<&str>); 3] = [
            ("truncate", vec!["-s", "16M", image]),
            ("mkfs.ext4", vec!["-q", "-F", image]),
            ("mount", vec!["-o", "loop", image, target]),
        ];
        for (program, args) in &steps {
            if let Err(failure) = run(program, args) {
                return unavailable(
                    "an ext4 image on a loop device (truncate, mkfs.ext4, mount -o loop)",
                    &failure,
                );
            }
        }
        eprintln!(
            "mounted a 16 MiB ext4 image on {target} with: mkfs.ext4 -q -F {image}; mount -o loop {image} {target}"
        );
        Some(FreezableFs {
            mount_point,
            _image_dir: image_dir,
            frozen: AtomicBool::new(false),
        })
    }

    /// A path inside the mount.
    pub fn join(&self, name: &str) -> PathBuf {
        self.mount_point.path().join(name)
    }

    /// Freezes the filesystem: writes block until [`thaw`](Self::thaw).
    /// Returns false (after a loud message, or a panic with `CI` set) if the
    /// kernel refuses.
    pub fn freeze(&self) -> bool {
        let target = self.mount_point.path().to_str().expect("UTF-8 temp path");
        match run("fsfreeze", &["-f", target]) {
            Ok(()) => {
                self.frozen.store(true, Ordering::SeqCst);
                true
            }
            Err(failure) => unavailable::<()>("fsfreeze", &failure).is_some(),
        }
    }

    pub fn thaw(&self) {
        if self.frozen.swap(false, Ordering::SeqCst) {
            let target = self.mount_point.path().to_str().expect("UTF-8 temp path");
            run("fsfreeze", &["-u", target]).expect("thawing the test filesystem");
        }
    }
}

impl Drop for FreezableFs {
    fn drop(&mut self) {
        self.thaw();
        let _ = Command::new("umount").arg("-l").arg(self.mount_point.path()).status();
    }
}
