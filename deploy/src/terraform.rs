//! The Terraform driver: the `terraform` CLI, its JSON outputs, and state that
//! the tool never deletes or overwrites.
//!
//! For stack `S` the module is `<out>/terraform/S/main.tf.json` (what `synth`
//! writes). At deploy time a second file, `backend.tf.json`, is written beside
//! it, choosing where state lives:
//! - by default, locally in `<state>/terraform/<env>/S/terraform.tfstate`
//!   (`state/` next to `out/`, which `synth` never touches; apps without
//!   environments use `default` for `<env>`);
//! - or in S3, when the environment file says so (`deploy.terraform_state.s3`):
//!   bucket, key (default `<env>/S/terraform.tfstate`), region, with encryption
//!   and S3-native locking (`use_lockfile`, Terraform ≥ 1.10). The bucket must
//!   exist; it is checked before Terraform runs.
//!
//! Then `init`, `plan -out` (`-destroy` for destroy), `show -json` of that plan
//! (the diff), approval, `apply -json` of exactly that plan (the progress), and
//! `output -json` (the outputs file). Other `*.tf.json` files in the module
//! directory are Terraform's to merge, e.g. a `*_override.tf.json` that points
//! the provider somewhere else (the tests point it at moto this way).

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::time::Instant;

use serde_json::Value as Json;

use crate::approval;
use crate::aws::Aws;
use crate::diff::{self, render::render, Action, StackDiff};
use crate::lookups::{self, PlannedRule};
use crate::outputs;
use crate::progress::{Event, Progress};
use crate::{Artifact, Command, Console, Error, Input, Settings, TerraformState};

/// The plan file `deploy` writes and applies, inside the module directory.
const PLAN_FILE: &str = "deploy.tfplan";
/// The backend configuration written beside the module at deploy time.
pub const BACKEND_FILE: &str = "backend.tf.json";

/// Finds `terraform` on `PATH`.
pub fn find_terraform() -> Result<PathBuf, Error> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("terraform"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            Error::new(
                "terraform is not on PATH: install Terraform 1.5 or later (1.10 or later for S3 state) and try again. Nothing was changed.",
            )
        })
}

/// Where the local state of `stack` lives.
pub fn local_state_path(settings: &Settings, stack: &str) -> PathBuf {
    settings
        .state_dir
        .join("terraform")
        .join(settings.environment.as_deref().unwrap_or("default"))
        .join(stack)
        .join("terraform.tfstate")
}

/// The backend configuration for `stack`.
pub fn backend_config(settings: &Settings, stack: &str, state_path: &Path, region: &str) -> Json {
    match &settings.terraform_state {
        TerraformState::Local => serde_json::json!({
            "terraform": {"backend": {"local": {"path": state_path.display().to_string()}}}
        }),
        TerraformState::S3 { bucket, key, region: r } => {
            let env = settings.environment.as_deref().unwrap_or("default");
            let key = key
                .as_deref()
                .map(|k| k.replace("{stack}", stack))
                .unwrap_or_else(|| format!("{env}/{stack}/terraform.tfstate"));
            serde_json::json!({
                "terraform": {"backend": {"s3": {
                    "bucket": bucket,
                    "key": key,
                    "region": r.as_deref().unwrap_or(region),
                    "encrypt": true,
                    "use_lockfile": true
                }}}
            })
        }
    }
}

struct Tf<'a> {
    binary: PathBuf,
    dir: &'a Path,
}

impl Tf<'_> {
    fn command(&self, args: &[&str]) -> Process {
        let mut c = Process::new(&self.binary);
        c.args(args)
            .current_dir(self.dir)
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("CHECKPOINT_DISABLE", "1")
            .stdin(Stdio::null());
        c
    }

    /// Runs to completion; stdout on success, everything printed on failure.
    fn run(&self, args: &[&str]) -> Result<String, Error> {
        let out = self
            .command(args)
            .output()
            .map_err(|e| Error::new(format!("terraform did not start: {e}")))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(Error::new(format!(
                "terraform {} failed in {}:\n{}{}",
                args.first().unwrap_or(&""),
                self.dir.display(),
                String::from_utf8_lossy(&out.stdout).trim_end(),
                String::from_utf8_lossy(&out.stderr).trim_end()
            )))
        }
    }
}

/// Whether version `text` is at least `minimum` (`1.10`, `>= 1.5.0`), by
/// major and minor.
fn version_at_least(text: &str, minimum: &str) -> bool {
    let major_minor = |t: &str| {
        let v: Vec<u64> = t
            .trim_start_matches(">=")
            .trim()
            .split('.')
            .take(2)
            .map(|p| p.parse().unwrap_or(0))
            .collect();
        (v.first().copied().unwrap_or(0), v.get(1).copied().unwrap_or(0))
    };
    major_minor(text) >= major_minor(minimum)
}

/// Runs `command` for one stack; returns whether there were changes.
pub async fn run(
    command: Command,
    aws: &Aws,
    a: &Artifact,
    cfn_outputs: &[String],
    settings: &Settings,
    console: &mut Console<'_>,
) -> Result<bool, Error> {
    let binary = find_terraform()?;
    let dir = settings.out_dir.join("terraform").join(&a.stack);
    if !dir.join("main.tf.json").is_file() {
        return Err(Error::new(format!(
            "{} has no main.tf.json: synthesize first",
            dir.display()
        )));
    }
    let tf = Tf { binary, dir: &dir };
    // The synthesized `terraform` block states the version it was written for
    // in a comment only (checkov cannot parse `required_version`), so the
    // check Terraform would make is made here, before anything runs.
    let version: Json = serde_json::from_str(&tf.run(&["version", "-json"])?).unwrap_or_default();
    let v = version["terraform_version"].as_str().unwrap_or("0.0");
    let required = constructs::synth::terraform::REQUIRED_TERRAFORM;
    if !version_at_least(v, required) {
        return Err(Error::new(format!(
            "{} is Terraform {v}; the output is written for Terraform {required}: install a newer terraform. Nothing was changed.",
            tf.binary.display(),
        )));
    }
    let state_path = local_state_path(settings, &a.stack);
    match &settings.terraform_state {
        TerraformState::Local => {
            let parent = state_path.parent().unwrap_or(Path::new("."));
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::new(format!("cannot create {}: {e}", parent.display())))?;
        }
        TerraformState::S3 { bucket, .. } => {
            if !version_at_least(v, "1.10") {
                return Err(Error::new(format!(
                    "S3 state with S3-native locking (use_lockfile) needs Terraform 1.10 or later; this is {v}. Nothing was changed."
                )));
            }
            if !aws.signed.bucket_exists(bucket).await? {
                return Err(Error::new(format!(
                    "the Terraform state bucket s3://{bucket} (deploy.terraform_state.s3 in the environment file) does not exist in account {}: create it (versioned, encrypted, private) or fix the name. Nothing was changed.",
                    aws.account
                )));
            }
        }
    }
    let state_abs = std::path::absolute(&state_path).unwrap_or(state_path.clone());
    let backend = backend_config(settings, &a.stack, &state_abs, &aws.region);
    std::fs::write(
        dir.join(BACKEND_FILE),
        serde_json::to_string_pretty(&backend).unwrap_or_default() + "\n",
    )
    .map_err(|e| Error::new(format!("cannot write {}: {e}", dir.join(BACKEND_FILE).display())))?;
    match &settings.terraform_state {
        TerraformState::Local => console.say(&format!("Terraform state: {}", state_path.display())),
        TerraformState::S3 { .. } => console.say(&format!(
            "Terraform state: s3://{}/{}",
            backend["terraform"]["backend"]["s3"]["bucket"]
                .as_str()
                .unwrap_or_default(),
            backend["terraform"]["backend"]["s3"]["key"]
                .as_str()
                .unwrap_or_default()
        )),
    }
    tf.run(&["init", "-input=false", "-no-color"])?;
    let plan_path = dir.join(PLAN_FILE);
    let out_arg = format!("-out={PLAN_FILE}");
    let mut plan_args = vec![
        "plan",
        "-input=false",
        "-no-color",
        "-lock-timeout=60s",
        out_arg.as_str(),
    ];
    if command == Command::Destroy {
        plan_args.push("-destroy");
    }
    // Variables given by the caller (published images); Terraform keeps no
    // variable values, so a placeholder is what diff and destroy plan with.
    let mut var_args = Vec::new();
    for (name, input) in settings.inputs.get(&a.stack).into_iter().flatten() {
        let value = match input {
            Input::Value(v) => v,
            Input::Placeholder(v) => {
                if command == Command::Diff {
                    console.say(&format!("{name}: not published by diff; shown as {v}"));
                }
                v
            }
        };
        var_args.push(format!("-var={name}={value}"));
    }
    plan_args.extend(var_args.iter().map(String::as_str));
    let planned = tf.run(&plan_args).and_then(|_| tf.run(&["show", "-json", PLAN_FILE]));
    let plan: Json = match planned {
        Ok(text) => serde_json::from_str(&text).map_err(|e| Error::new(format!("terraform show -json: {e}")))?,
        Err(e) => {
            let _ = std::fs::remove_file(&plan_path);
            return Err(e);
        }
    };
    let mut diff = diff::terraform::build(&a.stack, &plan);
    if command != Command::Destroy {
        let (planned_rules, owned) = rules_in_plan(&plan);
        match lookups::priority_clashes(&aws.signed, &planned_rules, &owned).await {
            Ok(w) => diff.warnings.extend(w),
            Err(e) => {
                let _ = std::fs::remove_file(&plan_path);
                return Err(e);
            }
        }
    }
    console.say(&render(&diff));
    let changed = !diff.is_empty();
    let result = apply_if_wanted(command, &tf, a, cfn_outputs, &diff, settings, console).await;
    let _ = std::fs::remove_file(&plan_path);
    result.map(|_| changed)
}

#[allow(clippy::too_many_arguments)]
async fn apply_if_wanted(
    command: Command,
    tf: &Tf<'_>,
    a: &Artifact,
    cfn_outputs: &[String],
    diff: &StackDiff,
    settings: &Settings,
    console: &mut Console<'_>,
) -> Result<(), Error> {
    if command == Command::Diff {
        return Ok(());
    }
    if diff.changes.is_empty() {
        if command == Command::Destroy {
            console.say(&format!("{}: nothing to destroy.", a.stack));
            return Ok(());
        }
        // Outputs may still change (or be first written).
        if diff.outputs.is_empty() {
            console.say(&format!("{}: no changes; nothing to deploy.", a.stack));
            return write_outputs(tf, a, cfn_outputs, settings, console);
        }
    }
    if !diff.warnings.is_empty() && command == Command::Deploy {
        return Err(lookups::priority_clash_error(diff.warnings.len()));
    }
    let why = match command {
        Command::Destroy => Some(format!(
            "destroying stack {} deletes {} resources",
            a.stack,
            diff.count(Action::Remove)
        )),
        _ => approval::reason(settings.approval, diff).map(|w| format!("deploying {}: {w}", a.stack)),
    };
    if let Some(why) = why {
        approval::obtain(console, settings, &why, command == Command::Deploy)?;
    }
    let started = Instant::now();
    let (ok, root_cause) = {
        let mut progress = if console.terminal.progress_bar {
            Progress::terminal(&a.stack, diff.changes.len())
        } else {
            Progress::plain(&mut *console.out, &a.stack, diff.changes.len())
        };
        let ok = apply(tf, &mut progress)?;
        progress.finish();
        (ok, progress.root_cause.describe())
    };
    let verb = if command == Command::Destroy {
        "destroyed"
    } else {
        "deployed"
    };
    if !ok {
        let text = format!(
            "{}: {} failed\n  cause: {}\n  next: Terraform does not roll back: what was changed before the failure stays, recorded in the state. Fix the cause and run it again.",
            a.stack,
            if command == Command::Destroy { "destroy" } else { "deploy" },
            root_cause.unwrap_or_else(|| "see the messages above".into())
        );
        return Err(Error::new(text));
    }
    console.say(&format!(
        "{}: {verb} in {:.0} s",
        a.stack,
        started.elapsed().as_secs_f64()
    ));
    if command == Command::Destroy {
        outputs::remove(&settings.out_dir, &a.stack);
        Ok(())
    } else {
        write_outputs(tf, a, cfn_outputs, settings, console)
    }
}

/// The listener rules the plan creates or keeps, and the ARNs of those already in state.
fn rules_in_plan(plan: &Json) -> (Vec<PlannedRule>, Vec<String>) {
    let resources = |root: &Json| -> Vec<Json> {
        root["root_module"]["resources"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r["type"] == "aws_lb_listener_rule" && r["mode"] == "managed")
            .collect()
    };
    let planned = resources(&plan["planned_values"])
        .into_iter()
        .filter_map(|r| {
            Some(PlannedRule {
                id: r["address"].as_str()?.to_string(),
                listener: r["values"]["listener_arn"].as_str()?.to_string(),
                priority: r["values"]["priority"].as_u64()?,
            })
        })
        .collect();
    let owned = resources(&plan["prior_state"]["values"])
        .into_iter()
        .filter_map(|r| r["values"]["arn"].as_str().map(str::to_string))
        .collect();
    (planned, owned)
}

/// One `apply -json` line as zero or more progress events. Errors wait for
/// their diagnostic (which carries the reason) in `errored`.
pub fn apply_line(line: &Json, errored: &mut BTreeMap<String, Event>) -> Vec<Event> {
    let kind = line["type"].as_str().unwrap_or_default();
    let hook = &line["hook"];
    let address = hook["resource"]["addr"].as_str().unwrap_or_default().to_string();
    let make = |status: String, reason: Option<String>| Event {
        timestamp: line["@timestamp"].as_str().unwrap_or_default().to_string(),
        id: address.clone(),
        resource_type: hook["resource"]["resource_type"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        status,
        reason,
        is_stack: false,
        event_id: String::new(),
    };
    let verb = match hook["action"].as_str().unwrap_or_default() {
        "create" => "CREATE",
        "update" => "UPDATE",
        "delete" => "DELETE",
        "replace" => "REPLACE",
        _ => {
            return if kind == "diagnostic" {
                diagnostic(line, errored)
            } else {
                Vec::new()
            }
        }
    };
    match kind {
        "apply_start" => vec![make(format!("{verb}_IN_PROGRESS"), None)],
        "apply_complete" => {
            let id = hook["id_value"].as_str().map(|v| format!("id {v}"));
            vec![make(format!("{verb}_COMPLETE"), id)]
        }
        "apply_errored" => {
            errored.insert(address.clone(), make(format!("{verb}_FAILED"), None));
            Vec::new()
        }
        _ => Vec::new(),
    }
}

fn diagnostic(line: &Json, errored: &mut BTreeMap<String, Event>) -> Vec<Event> {
    let d = &line["diagnostic"];
    if d["severity"] != "error" {
        return Vec::new();
    }
    let summary = d["summary"].as_str().unwrap_or_default();
    let detail = d["detail"]
        .as_str()
        .unwrap_or_default()
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let reason = if detail.is_empty() {
        summary.to_string()
    } else {
        format!("{summary}: {}", detail.trim())
    };
    let address = d["address"].as_str().unwrap_or_default();
    match errored.remove(address) {
        Some(mut e) => {
            e.reason = Some(reason);
            e.timestamp = line["@timestamp"].as_str().unwrap_or(&e.timestamp).to_string();
            vec![e]
        }
        None => vec![Event {
            timestamp: line["@timestamp"].as_str().unwrap_or_default().to_string(),
            id: if address.is_empty() {
                "terraform".into()
            } else {
                address.into()
            },
            resource_type: String::new(),
            status: "Error".into(),
            reason: Some(reason),
            is_stack: address.is_empty(),
            event_id: String::new(),
        }],
    }
}

/// Applies the saved plan, streaming its JSON lines into `progress`.
fn apply(tf: &Tf<'_>, progress: &mut Progress<'_>) -> Result<bool, Error> {
    let mut child = tf
        .command(&["apply", "-input=false", "-json", "-lock-timeout=60s", PLAN_FILE])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::new(format!("terraform apply did not start: {e}")))?;
    let mut errored = BTreeMap::new();
    let mut other = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            match serde_json::from_str::<Json>(&line) {
                Ok(json) => {
                    for e in apply_line(&json, &mut errored) {
                        progress.event(&e);
                    }
                }
                Err(_) => other.push(line),
            }
        }
    }
    let mut stderr = String::new();
    if let Some(mut s) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut s, &mut stderr);
    }
    for e in errored.into_values() {
        progress.event(&e);
    }
    let status = child.wait().map_err(|e| Error::new(format!("terraform apply: {e}")))?;
    if !status.success() {
        for l in other.iter().map(String::as_str).chain(stderr.lines()) {
            if !l.trim().is_empty() {
                progress.note(l);
            }
        }
    }
    Ok(status.success())
}

fn write_outputs(
    tf: &Tf<'_>,
    a: &Artifact,
    cfn_outputs: &[String],
    settings: &Settings,
    console: &mut Console<'_>,
) -> Result<(), Error> {
    let text = tf.run(&["output", "-json", "-no-color"])?;
    let json: Json = serde_json::from_str(&text).unwrap_or_default();
    let mut values = BTreeMap::new();
    for (name, o) in json.as_object().into_iter().flatten() {
        let value = if o["sensitive"] == Json::Bool(true) {
            "(sensitive)".to_string()
        } else {
            match &o["value"] {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            }
        };
        values.insert(outputs::output_id(name, cfn_outputs), value);
    }
    console.say(&outputs::render(&a.stack, &values));
    let path = outputs::write(&settings.out_dir, &a.stack, &values)?;
    console.say(&format!("Outputs written to {}", path.display()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_major_and_minor() {
        assert!(version_at_least("1.11.2", "1.10"));
        assert!(version_at_least("1.10.0", "1.10"));
        assert!(!version_at_least("1.9.8", "1.10"));
        assert!(version_at_least("2.0.0", "1.10"));
        assert!(version_at_least("1.5.0", ">= 1.5.0"));
        assert!(!version_at_least("1.4.6", ">= 1.5.0"));
    }
}
