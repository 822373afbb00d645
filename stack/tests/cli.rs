//! The command-line runner: what `synth` and `list` print and write, and that a
//! failed synthesis exits non-zero with every problem and writes nothing.

use std::process::ExitCode;

use clap::Parser;
use constructs::prelude::*;
use stack::cli::{run_with, AppSource, Cli};

fn run(args: &[&str], build: impl FnOnce() -> App) -> (ExitCode, String, String) {
    let cli = Cli::try_parse_from(std::iter::once("stack").chain(args.iter().copied())).expect("arguments parse");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run_with(cli, AppSource::new(build), &mut out, &mut err);
    (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
}

#[test]
fn synth_writes_both_targets_and_prints_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (code, stdout, _) = run(&["synth", "--out", out.to_str().unwrap()], vault_dev);
    assert_eq!(code, ExitCode::SUCCESS);
    let cfn = out.join("cloudformation/Vault.template.json");
    let tf = out.join("terraform/Vault/main.tf.json");
    assert!(cfn.is_file() && tf.is_file());
    assert!(
        stdout.contains("Vault") && stdout.contains("cloudformation") && stdout.contains("terraform"),
        "{stdout}"
    );
    assert!(stdout.contains(cfn.to_str().unwrap()), "{stdout}");
    // The asset manifest goes beside the templates: what publish builds.
    let manifest: constructs::assets::AssetManifest =
        serde_json::from_str(&std::fs::read_to_string(out.join("assets.json")).unwrap()).unwrap();
    assert_eq!(manifest.images[0].crate_name, "vault-api");
    assert_eq!(manifest.images[0].repository_stack.as_deref(), Some("VaultImages"));
    assert!(stdout.contains("assets.json"), "{stdout}");
    let mut files: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(
        files,
        ["assets.json", "cloudformation", "terraform"],
        "no staging directory is left behind"
    );
}

#[test]
fn synth_target_selects_one_backend() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, _) = run(
        &["synth", "--out", dir.path().to_str().unwrap(), "--target", "terraform"],
        vault_dev,
    );
    assert_eq!(code, ExitCode::SUCCESS);
    assert!(dir.path().join("terraform/Vault/main.tf.json").is_file());
    assert!(!dir.path().join("cloudformation").exists());
}

#[test]
fn a_failed_synth_reports_every_problem_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let bad = || {
        let mut app = App::new();
        let stack = app.stack("Bad");
        stack.add("Logs", LogGroup::new("no spaces allowed"));
        stack.add("Logs", LogGroup::new("/dup"));
        app
    };
    let (code, stdout, stderr) = run(&["synth", "--out", out.to_str().unwrap()], bad);
    assert_eq!(code, ExitCode::FAILURE);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("[Bad/Logs]") && stderr.contains("duplicate-id") && stderr.contains("log-group-name"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing is written when synthesis fails");
}

#[test]
fn list_names_every_stack() {
    let (code, stdout, _) = run(&["list"], examples_like_app);
    assert_eq!(code, ExitCode::SUCCESS);
    assert!(stdout.contains("One") && stdout.contains("Two"), "{stdout}");
}

fn examples_like_app() -> App {
    let mut app = App::new();
    app.stack("One").add("Logs", LogGroup::new("/one"));
    app.stack("Two").add("Logs", LogGroup::new("/two"));
    app
}

#[test]
fn unknown_targets_are_rejected_by_the_parser() {
    assert!(Cli::try_parse_from(["stack", "synth", "--target", "pulumi"]).is_err());
}

fn vault_dev() -> App {
    stack::vault::app_for_environment("dev").unwrap()
}

#[test]
fn list_validates_the_app_first() {
    let (code, stdout, stderr) = run(&["list"], || {
        let mut app = App::new();
        app.stack("Twice");
        app.stack("Twice");
        app
    });
    assert_eq!(code, ExitCode::FAILURE);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("[Twice] a stack named \"Twice\" already exists in this app (duplicate-id)"),
        "{stderr}"
    );
}

#[test]
fn out_pointing_at_a_file_says_it_is_not_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "keep me").unwrap();
    let (code, _, stderr) = run(&["synth", "--out", file.to_str().unwrap()], vault_dev);
    assert_eq!(code, ExitCode::FAILURE);
    assert!(stderr.contains("not a directory"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
}

/// Runs the real `stack` binary in `cwd`.
fn stack_binary(cwd: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_stack"));
    cmd.args(args).current_dir(cwd).env_remove("STACK_ENV_DIR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the stack binary runs")
}

#[test]
fn environment_files_are_found_where_the_command_runs_not_where_it_was_built() {
    // A second checkout with its own dev environment (another desired count).
    let other = tempfile::tempdir().unwrap();
    let envs = other.path().join("stack/environments");
    std::fs::create_dir_all(&envs).unwrap();
    let ours = stack::vault::environments_dir().unwrap().join("dev.json");
    let text = std::fs::read_to_string(ours)
        .unwrap()
        .replace("\"desired_count\": 2", "\"desired_count\": 7");
    std::fs::write(envs.join("dev.json"), text).unwrap();
    let below = other.path().join("some/folder");
    std::fs::create_dir_all(&below).unwrap();
    let out = other.path().join("out");
    let run = stack_binary(
        &below,
        &["synth", "--out", out.to_str().unwrap(), "--target", "cloudformation"],
        &[],
    );
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let template = std::fs::read_to_string(out.join("cloudformation/Vault.template.json")).unwrap();
    assert!(
        template.contains("\"DesiredCount\": 7"),
        "the other checkout's environment file was not used"
    );

    // Nowhere to be found: a clear error naming the way out.
    let empty = tempfile::tempdir().unwrap();
    let run = stack_binary(empty.path(), &["list"], &[]);
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("no environment directory stack/environments in"),
        "{stderr}"
    );
    assert!(stderr.contains("--env-dir"), "{stderr}");

    // The variable points elsewhere explicitly.
    let run = stack_binary(empty.path(), &["list"], &[("STACK_ENV_DIR", envs.to_str().unwrap())]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
}
