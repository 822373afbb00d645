//! The command-line runner: `synth`, `list` and friends for any app.
//!
//! A team's own binary gets the same subcommands as `cargo run -p stack`
//! (an app configured per environment uses [`run_with_environments`]):
//!
//! ```no_run
//! use constructs::prelude::*;
//!
//! fn my_app() -> App {
//!     let mut app = App::new();
//!     app.stack("Logs").add("AppLogs", LogGroup::new("/my/app"));
//!     app
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     stack::cli::run(my_app)
//! }
//! ```

// The subcommand doc comments are the CLI's help text, where `<ENV>` and
// `<Stack>` are placeholders, not HTML.
#![allow(rustdoc::invalid_html_tags)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use constructs::{App, Backend};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use crate::environment::{self, CheckEnvironment};
use crate::report;
use constructs::checks;

/// Synthesize AWS infrastructure defined in Rust to CloudFormation and Terraform JSON.
#[derive(Debug, Parser)]
#[command(version, long_about = None)]
pub struct Cli {
    /// The environment to build for: the file <env-dir>/<ENV>.json (apps
    /// configured per environment only).
    #[arg(long, global = true)]
    pub env: Option<String>,
    /// Where environment files live, instead of the app's default.
    #[arg(long, global = true)]
    pub env_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate the app and write every stack's template(s).
    ///
    /// Writes out/cloudformation/<Stack>.template.json and
    /// out/terraform/<Stack>/main.tf.json. Every problem is reported at once, with
    /// the construct path and the rule broken; if there is any, nothing is written
    /// and the exit code is 1.
    ///
    /// The security and best-practice checks run first: an error finding fails
    /// the synth (nothing written), warnings are printed.
    Synth {
        /// Directory to write into.
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Which backend to synthesize; both when omitted.
        #[arg(long, value_enum)]
        target: Option<Target>,
        /// Fail on warning findings too.
        #[arg(long)]
        strict: bool,
    },
    /// Run the security and best-practice checks and report the findings.
    ///
    /// Exits 1 when there is an error finding (or, with --strict, a warning).
    Check {
        /// Output format: human-readable text, JSON, or SARIF 2.1.0 for code scanning.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// Fail on warning findings too.
        #[arg(long)]
        strict: bool,
    },
    /// List the app's stacks with how many constructs each holds.
    List,
    /// Build every image asset and push it; print each image reference.
    ///
    /// Each asset's binary is built with cargo (release, statically linked for
    /// x86_64-unknown-linux-gnu) into a reproducible image (the same binary
    /// gives the same digest) and pushed to its ECR repository in the asset's
    /// stack's account and region (AWS credentials from the standard chain),
    /// or to --registry. What the registry already has is not uploaded again.
    /// Prints one reference per line on stdout,
    /// <registry>/<repository>@sha256:<digest>, in the order the assets were
    /// declared; progress and cargo's output go to stderr. The repositories
    /// must exist: deploy the stacks that declare them first.
    ///
    /// Needs the `publish` feature of the stack crate (it brings the AWS SDK
    /// for ECR, kept out of the synth build): `cargo run -p stack --features
    /// publish -- publish`.
    Publish {
        /// Push to this registry instead of ECR: HOST or HOST:PORT (each
        /// asset keeps its repository name), optionally followed by /REPO
        /// (every asset goes there). If it needs credentials, set
        /// REGISTRY_USERNAME and REGISTRY_PASSWORD.
        #[arg(long, value_name = "HOST[:PORT][/REPO]")]
        registry: Option<String>,
        /// Talk plain HTTP to --registry; only for a registry on loopback
        /// (127.0.0.1, localhost or ::1), e.g. in tests.
        #[arg(long, requires = "registry")]
        insecure: bool,
        /// The workspace's Cargo.toml, when not run from inside the workspace.
        #[arg(long, value_name = "PATH")]
        manifest_path: Option<PathBuf>,
    },
    /// Print the JSON Schema of environment files, for editors.
    Schema,
}

/// How `check` prints its report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
}

/// A synthesis backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Target {
    Cloudformation,
    Terraform,
}

impl From<Target> for Backend {
    fn from(t: Target) -> Backend {
        match t {
            Target::Cloudformation => Backend::CloudFormation,
            Target::Terraform => Backend::Terraform,
        }
    }
}

/// Builds the app from `--env` and `--env-dir`, or says why it cannot.
type BuildApp<'a> = Box<dyn FnOnce(Option<&str>, Option<&Path>) -> Result<App, String> + 'a>;

/// How the runner gets the app: directly, or from an environment file.
pub struct AppSource<'a> {
    build: BuildApp<'a>,
    schema: Option<fn() -> String>,
}

impl<'a> AppSource<'a> {
    /// An app without environments.
    pub fn new(build: impl FnOnce() -> App + 'a) -> Self {
        AppSource {
            build: Box::new(move |env, dir| {
                if env.is_some() || dir.is_some() {
                    return Err("this app is not configured per environment; drop --env/--env-dir".into());
                }
                Ok(build())
            }),
            schema: None,
        }
    }

    /// An app built from the environment file `<dir>/<name>.json` (`--env`,
    /// default `default_env`; `--env-dir` overrides `dir`).
    pub fn with_environments<E>(dir: &Path, default_env: &str, build: impl FnOnce(&str, &E) -> App + 'a) -> Self
    where
        E: DeserializeOwned + JsonSchema + CheckEnvironment,
    {
        let (dir, default_env) = (dir.to_path_buf(), default_env.to_string());
        AppSource {
            build: Box::new(move |env, dir_override| {
                let name = env.unwrap_or(&default_env);
                let dir = dir_override.unwrap_or(&dir);
                let config: E = environment::load(dir, name)
                    .map_err(|errors| errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))?;
                Ok(build(name, &config))
            }),
            schema: Some(environment::json_schema::<E>),
        }
    }
}

/// Parses the process arguments and runs the command against the app `build` returns.
pub fn run(build: impl FnOnce() -> App) -> ExitCode {
    run_source(AppSource::new(build))
}

/// Like [`run`], for an app configured by environment files in `dir` (see
/// [`crate::environment`]): adds `--env` (default `default_env`) and `schema`.
pub fn run_with_environments<E>(dir: &Path, default_env: &str, build: impl FnOnce(&str, &E) -> App) -> ExitCode
where
    E: DeserializeOwned + JsonSchema + CheckEnvironment,
{
    run_source(AppSource::with_environments(dir, default_env, build))
}

fn run_source(source: AppSource<'_>) -> ExitCode {
    run_with(Cli::parse(), source, &mut std::io::stdout(), &mut std::io::stderr())
}

/// Runs a parsed command, printing to the given streams (tests use buffers).
pub fn run_with(cli: Cli, source: AppSource<'_>, out: &mut dyn Write, err: &mut dyn Write) -> ExitCode {
    let AppSource { build, schema } = source;
    let build_app = |err: &mut dyn Write| match build(cli.env.as_deref(), cli.env_dir.as_deref()) {
        Ok(app) => Some(app),
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            None
        }
    };
    match cli.command {
        Command::Schema => match schema {
            Some(schema) => {
                let _ = write!(out, "{}", schema());
                ExitCode::SUCCESS
            }
            None => {
                let _ = writeln!(
                    err,
                    "error: this app is not configured per environment, so it has no schema"
                );
                ExitCode::FAILURE
            }
        },
        Command::Check { format, strict } => {
            let Some(app) = build_app(err) else {
                return ExitCode::FAILURE;
            };
            if let Err(e) = constructs::synth(&app, &[]) {
                let _ = write!(err, "error: {e}");
                return ExitCode::FAILURE;
            }
            let findings = checks::check(&app);
            let text = match format {
                Format::Human => report::human(&findings),
                Format::Json => report::json(&findings),
                Format::Sarif => report::sarif(&findings),
            };
            let _ = write!(out, "{text}");
            if findings.fails(strict) {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Command::Synth {
            out: ref dir,
            target,
            strict,
        } => {
            let Some(app) = build_app(err) else {
                return ExitCode::FAILURE;
            };
            let backends: Vec<Backend> = match target {
                Some(t) => vec![t.into()],
                None => Backend::ALL.to_vec(),
            };
            let artifacts = match constructs::synth(&app, &backends) {
                Ok(a) => a,
                Err(e) => {
                    let _ = write!(err, "error: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let findings = checks::check(&app);
            if !findings.findings.is_empty() || !findings.suppressed.is_empty() {
                let _ = write!(err, "{}", report::human(&findings));
            }
            if findings.fails(strict) {
                match app.checks_advisory() {
                    Some(reason) => {
                        let _ = writeln!(
                            err,
                            "note: findings are advisory for this app ({reason}); writing anyway"
                        );
                    }
                    None => {
                        let _ = writeln!(
                            err,
                            "error: the checks failed; nothing was written (fix the findings, or suppress one with a reason)"
                        );
                        return ExitCode::FAILURE;
                    }
                }
            }
            let manifest = match constructs::assets::manifest(&app) {
                Ok(m) => m,
                Err(e) => {
                    let _ = write!(err, "error: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let mut manifest_text = serde_json::to_string_pretty(&manifest).expect("the manifest serializes");
            manifest_text.push('\n');
            let mut files: Vec<(&str, &str)> = artifacts
                .iter()
                .map(|a| (a.relative_path.as_str(), a.text.as_str()))
                .collect();
            files.push((constructs::assets::ASSET_MANIFEST_FILE, &manifest_text));
            match crate::write::write_files(dir, &files) {
                Ok(paths) => {
                    for (a, path) in artifacts.iter().zip(&paths) {
                        let _ = writeln!(
                            out,
                            "{:<16} {:<15} {:>4} resources  {}",
                            a.stack,
                            a.backend.name(),
                            a.resource_count,
                            path.display()
                        );
                    }
                    if let Some(path) = paths.last() {
                        let _ = writeln!(
                            out,
                            "{:<16} {:<15} {:>4} images     {}",
                            "(app)",
                            "assets",
                            manifest.images.len(),
                            path.display()
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    let _ = writeln!(err, "error: writing to {}: {e}", dir.display());
                    ExitCode::FAILURE
                }
            }
        }
        Command::Publish {
            registry,
            insecure,
            manifest_path,
        } => {
            #[cfg(feature = "publish")]
            {
                let Some(app) = build_app(err) else {
                    return ExitCode::FAILURE;
                };
                let options = crate::publish::options(registry.as_deref(), insecure, manifest_path);
                crate::publish::run(&app, options, out, err)
            }
            #[cfg(not(feature = "publish"))]
            {
                let _ = (registry, insecure, manifest_path);
                let _ = writeln!(err, "error: {WITHOUT_PUBLISH}");
                ExitCode::FAILURE
            }
        }
        Command::List => {
            let Some(app) = build_app(err) else {
                return ExitCode::FAILURE;
            };
            for s in app.stacks() {
                let _ = writeln!(out, "{:<16} {:>4} constructs", s.name(), s.len());
            }
            ExitCode::SUCCESS
        }
    }
}

/// What a binary built without the `publish` feature says.
#[cfg(not(feature = "publish"))]
const WITHOUT_PUBLISH: &str = "publish needs the `publish` feature of the `stack` crate, which this binary was built without (it keeps the AWS SDK out of the synth build): run `cargo run -p stack --features publish -- publish`, or depend on stack with `features = [\"publish\"]` in your own crate";

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
