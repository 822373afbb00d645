//! `cargo run -p codegen [-- --check] [--mirror DIR]`: see the library docs.

use std::path::PathBuf;
use std::process::ExitCode;

use codegen::{generate, leftovers, stale, workspace_root};

fn main() -> ExitCode {
    let mut check = false;
    let mut mirror = PathBuf::from("/opt/tf-plugins");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--mirror" => match args.next() {
                Some(m) => mirror = m.into(),
                None => {
                    eprintln!("error: --mirror needs a directory");
                    return ExitCode::FAILURE;
                }
            },
            "-h" | "--help" => {
                println!(
                    "usage: codegen [--check] [--mirror DIR]\n\nRegenerates what is generated from cfn-lint's schemas and the AWS provider's schema."
                );
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("error: unknown argument {other:?} (see --help)");
                return ExitCode::FAILURE;
            }
        }
    }
    let outputs = match generate(&mirror) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if check {
        let stale = stale(&outputs);
        if !stale.is_empty() {
            eprintln!(
                "error: generated files are stale: {}\nrun `cargo run -p codegen` and commit the result",
                stale.join(", ")
            );
            return ExitCode::FAILURE;
        }
        println!("generated files are current ({} checked)", outputs.len());
        return ExitCode::SUCCESS;
    }
    let root = workspace_root();
    for o in &outputs {
        let path = root.join(&o.path);
        if std::fs::read_to_string(&path).is_ok_and(|current| current == o.text) {
            continue;
        }
        if let Some(parent) = path.parent() {
            if let Err(e) = std::fs::create_dir_all(parent) {
                eprintln!("error: {}: {e}", parent.display());
                return ExitCode::FAILURE;
            }
        }
        // Write beside, then rename: an interrupted run never leaves half a file.
        let tmp = path.with_extension("tmp");
        if let Err(e) = std::fs::write(&tmp, &o.text).and_then(|_| std::fs::rename(&tmp, &path)) {
            eprintln!("error: {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("wrote {}", o.path.display());
    }
    for gone in leftovers(&outputs) {
        if let Err(e) = std::fs::remove_file(root.join(&gone)) {
            eprintln!("error: {}: {e}", gone.display());
            return ExitCode::FAILURE;
        }
        println!("removed {}", gone.display());
    }
    ExitCode::SUCCESS
}
