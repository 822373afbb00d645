//! The command-line runner: `synth`, `list`, `diff`, `deploy`, `destroy` and
//! friends for any app.
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

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use constructs::{App, Backend};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use crate::environment::{self, CheckEnvironment, DeploySettings};
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
    /// Show what deploy would change, per stack and resource.
    ///
    /// Synthesizes (with the same validation and checks as synth), resolves the
    /// stack's lookups, then compares with what is deployed: a CloudFormation
    /// change set (deleted afterwards) or a Terraform plan. Replacements, data
    /// loss risks and IAM / security-group changes are called out.
    ///
    /// diff builds and pushes nothing: an image asset keeps the deployed
    /// stack's previous value (CloudFormation), or shows as the placeholder
    /// <repository>@sha256:000… (a new stack, and Terraform).
    ///
    /// Exit code: 0 no changes, 1 error, 2 changes.
    Diff {
        #[command(flatten)]
        deploy: DeployArgs,
    },
    /// Show the diff, ask for approval when needed, apply it with live progress.
    ///
    /// An app with image assets deploys in three steps: the stacks that hold
    /// the images' repositories, then publish (build and push every image, as
    /// the publish command does), then the other stacks, each image passed by
    /// digest as its stack's parameter or variable. If publishing fails,
    /// nothing after it is deployed.
    ///
    /// Refuses (nothing changed) when the credentials' account or region differs
    /// from the stack's, a lookup matches nothing or several things, the stack is
    /// in a state that blocks an update, or approval is needed and cannot be
    /// asked. Outputs are printed and written to <out>/outputs/<Stack>.json.
    ///
    /// Exit code: 0 deployed or nothing to do, 1 error, refusal or failed deploy.
    Deploy {
        #[command(flatten)]
        deploy: DeployArgs,
        /// Approve without asking (for CI).
        #[arg(long)]
        yes: bool,
        /// When to ask before applying.
        #[arg(long, value_enum, default_value = "broadening")]
        require_approval: RequireApproval,
        /// How the app's images are built and pushed (as for publish).
        #[command(flatten)]
        publish: PublishArgs,
    },
    /// Delete the stack(s), listing what is deleted and what is retained first.
    ///
    /// Always asks (or --yes). Exit code: 0 destroyed or nothing to destroy, 1 error.
    Destroy {
        #[command(flatten)]
        deploy: DeployArgs,
        /// Approve without asking (for CI).
        #[arg(long)]
        yes: bool,
    },
    /// Create the CloudFormation template staging bucket in the credentials'
    /// account and region (once per account and region, like cdk bootstrap).
    ///
    /// Deploys the stack DeployStaging: a private, encrypted, TLS-only bucket
    /// deploy-staging-<account>-<region> whose templates expire after 30 days.
    /// deploy needs it only for templates over 51,200 bytes.
    Bootstrap {
        /// Approve without asking (for CI).
        #[arg(long)]
        yes: bool,
        /// Directory for the staging stack's outputs file.
        #[arg(long, default_value = "out")]
        out: PathBuf,
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
        #[command(flatten)]
        publish: PublishArgs,
    },
    /// Print the JSON Schema of environment files, for editors.
    Schema,
}

/// What diff, deploy and destroy share.
#[derive(Debug, clap::Args)]
pub struct DeployArgs {
    /// Which backend deploys the stacks.
    #[arg(long, value_enum, default_value = "cloudformation")]
    pub target: Target,
    /// Only these stacks (repeat for several); all of the app's when omitted.
    #[arg(long = "stack", value_name = "NAME")]
    pub stacks: Vec<String>,
    /// Directory the templates, modules and outputs are written to.
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
    /// Where local Terraform state lives (state/terraform/<env>/<Stack>/).
    #[arg(long, default_value = "state")]
    pub state_dir: PathBuf,
}

/// How images are built and pushed: publish's flags, which deploy takes too.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct PublishArgs {
    /// Push to this registry instead of ECR: HOST or HOST:PORT (each
    /// asset keeps its repository name), optionally followed by /REPO
    /// (every asset goes there). If it needs credentials, set
    /// REGISTRY_USERNAME and REGISTRY_PASSWORD.
    #[arg(long, value_name = "HOST[:PORT][/REPO]")]
    pub registry: Option<String>,
    /// Talk plain HTTP to --registry; only for a registry on loopback
    /// (127.0.0.1, localhost or ::1), e.g. in tests.
    #[arg(long, requires = "registry")]
    pub insecure: bool,
    /// The workspace's Cargo.toml, when not run from inside the workspace.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// The cargo profile the binaries are built with; release when omitted.
    /// Another profile gives other bytes, so another digest.
    #[arg(long, value_name = "NAME")]
    pub cargo_profile: Option<String>,
}

/// `--require-approval`: when deploy asks before applying.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RequireApproval {
    /// Never ask.
    Never,
    /// Ask when permissions broaden or data-bearing resources are replaced or removed.
    Broadening,
    /// Ask whenever anything changes.
    AnyChange,
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

/// The environment an app was built for, as deploy needs it.
#[derive(Clone, Debug, Default)]
pub struct EnvironmentInfo {
    /// `dev`.
    pub name: String,
    /// `stack/environments/dev.json`.
    pub file: PathBuf,
    pub deploy: DeploySettings,
}

/// Builds the app from `--env` and `--env-dir`, or says why it cannot.
type BuildApp<'a> = Box<dyn FnOnce(Option<&str>, Option<&Path>) -> Result<(App, Option<EnvironmentInfo>), String> + 'a>;

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
                Ok((build(), None))
            }),
            schema: None,
        }
    }

    /// An app built from the environment file `<dir>/<name>.json` (`--env`,
    /// default `default_env`). `dir` is found when the command runs (see
    /// [`environment::find_dir`]: relative to the working directory or an
    /// ancestor of it); `--env-dir` or `STACK_ENV_DIR` override it.
    pub fn with_environments<E>(dir: &Path, default_env: &str, build: impl FnOnce(&str, &E) -> App + 'a) -> Self
    where
        E: DeserializeOwned + JsonSchema + CheckEnvironment,
    {
        let (dir, default_env) = (dir.to_path_buf(), default_env.to_string());
        AppSource {
            build: Box::new(move |env, dir_override| {
                let name = env.unwrap_or(&default_env);
                let dir = match dir_override {
                    Some(d) if d.is_dir() => d.to_path_buf(),
                    Some(d) => return Err(format!("--env-dir {} is not a directory", d.display())),
                    None => environment::find_dir(&dir)?,
                };
                let config: E = environment::load(&dir, name)
                    .map_err(|errors| errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))?;
                let info = EnvironmentInfo {
                    name: name.to_string(),
                    file: dir.join(format!("{name}.json")),
                    deploy: config.deploy_settings(),
                };
                Ok((build(name, &config), Some(info)))
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
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let terminal = Interaction::detect(&mut input);
    run_interactive(
        Cli::parse(),
        source,
        &mut std::io::stdout(),
        &mut std::io::stderr(),
        terminal,
    )
}

/// Whether a terminal is there to draw progress on and to ask for approval.
pub struct Interaction<'a> {
    /// Draw a progress bar on stderr.
    pub progress_bar: bool,
    /// Where approval answers come from; `None`: nobody to ask.
    pub input: Option<&'a mut dyn BufRead>,
}

impl<'a> Interaction<'a> {
    /// No terminal: plain progress lines, and approval only through `--yes`.
    pub fn none() -> Interaction<'static> {
        Interaction {
            progress_bar: false,
            input: None,
        }
    }

    /// The process's own terminal, if stdin and stderr are one.
    pub fn detect(stdin: &'a mut dyn BufRead) -> Interaction<'a> {
        #[cfg(feature = "deploy")]
        {
            let t = deploy::Terminal::detect();
            Interaction {
                progress_bar: t.progress_bar,
                input: if t.can_ask { Some(stdin) } else { None },
            }
        }
        #[cfg(not(feature = "deploy"))]
        {
            let _ = stdin;
            Interaction {
                progress_bar: false,
                input: None,
            }
        }
    }
}

/// Runs a parsed command, printing to the given streams (tests use buffers);
/// nothing is asked (approval needs `--yes`).
pub fn run_with(cli: Cli, source: AppSource<'_>, out: &mut dyn Write, err: &mut dyn Write) -> ExitCode {
    run_interactive(cli, source, out, err, Interaction::none())
}

/// [`run_with`], with a terminal to ask on and draw progress to.
pub fn run_interactive(
    cli: Cli,
    source: AppSource<'_>,
    out: &mut dyn Write,
    err: &mut dyn Write,
    interaction: Interaction<'_>,
) -> ExitCode {
    let AppSource { build, schema } = source;
    let env_given = cli.env.clone();
    let build_with_info = |err: &mut dyn Write| match build(env_given.as_deref(), cli.env_dir.as_deref()) {
        Ok(built) => Some(built),
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            None
        }
    };
    let build_app = build_with_info;
    match cli.command {
        Command::Diff { deploy } => deploy_command(
            DeployKind::Diff,
            deploy,
            false,
            RequireApproval::Never,
            PublishArgs::default(),
            build_app,
            out,
            err,
            interaction,
        ),
        Command::Deploy {
            deploy,
            yes,
            require_approval,
            publish,
        } => deploy_command(
            DeployKind::Deploy,
            deploy,
            yes,
            require_approval,
            publish,
            build_app,
            out,
            err,
            interaction,
        ),
        Command::Destroy { deploy, yes } => deploy_command(
            DeployKind::Destroy,
            deploy,
            yes,
            RequireApproval::Never,
            PublishArgs::default(),
            build_app,
            out,
            err,
            interaction,
        ),
        Command::Bootstrap { yes, out: dir } => bootstrap_command(yes, dir, out, err, interaction),
        other => run_synth_commands(other, schema, build_app, out, err),
    }
}

type Built = Option<(App, Option<EnvironmentInfo>)>;

fn run_synth_commands(
    command: Command,
    schema: Option<fn() -> String>,
    build: impl FnOnce(&mut dyn Write) -> Built,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> ExitCode {
    let build_app = |err: &mut dyn Write| build(err).map(|(app, _)| app);
    match command {
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
            let problems = constructs::validate(&app);
            if !problems.is_empty() {
                let _ = write!(err, "error: {}", constructs::SynthError { problems });
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
                None => app.backends(),
            };
            let options = constructs::SynthOptions {
                backends,
                checks: constructs::Checks::Skip,
            };
            let mut staging = match crate::write::Staging::new(dir) {
                Ok(s) => s,
                Err(e) => {
                    let _ = writeln!(err, "error: writing to {}: {e}", dir.display());
                    return ExitCode::FAILURE;
                }
            };
            // Files go to staging as each stack is rendered, and into place
            // only when the checks passed and every stack synthesized. The
            // checks read the model, not the output, so they run beside the
            // rendering instead of before it; what is printed is the same.
            let (findings, rendered) = std::thread::scope(|scope| {
                let checks = scope.spawn(|| checks::check(&app));
                let rendered = constructs::synth_to(&app, &options, &mut |a| staging.stage(a));
                let findings = checks.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                (findings, rendered)
            });
            if !report_checks(&app, &findings, strict, err) {
                return ExitCode::FAILURE;
            }
            let images;
            if let Err(e) = rendered {
                let _ = write!(err, "error: {e}");
                return ExitCode::FAILURE;
            }
            // The asset manifest: what publish builds and where each image goes.
            // Synthesis succeeded, so the assets are valid.
            match constructs::assets::manifest(&app) {
                Ok(manifest) => {
                    staging.stage_file(constructs::assets::ASSET_MANIFEST_FILE, &manifest.to_json_text());
                    images = manifest.images.len();
                }
                Err(e) => {
                    let _ = write!(err, "error: {e}");
                    return ExitCode::FAILURE;
                }
            }
            let code = match staging.commit() {
                Ok(written) => {
                    for (a, path) in written.stacks {
                        let _ = writeln!(
                            out,
                            "{:<16} {:<15} {:>4} resources  {}",
                            a.stack,
                            a.backend.name(),
                            a.resource_count,
                            path.display()
                        );
                    }
                    for path in written.files {
                        let _ = writeln!(
                            out,
                            "{:<16} {:<15} {:>4} images     {}",
                            "(app)",
                            "assets",
                            images,
                            path.display()
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    let _ = writeln!(err, "error: writing to {}: {e}", dir.display());
                    ExitCode::FAILURE
                }
            };
            drop_in_background(app);
            code
        }
        Command::Publish { publish } => {
            #[cfg(feature = "publish")]
            {
                let Some(app) = build_app(err) else {
                    return ExitCode::FAILURE;
                };
                crate::publish::run(&app, crate::publish::options(&publish), out, err)
            }
            #[cfg(not(feature = "publish"))]
            {
                let _ = publish;
                let _ = writeln!(err, "error: {WITHOUT_PUBLISH}");
                ExitCode::FAILURE
            }
        }
        Command::List => {
            let Some(app) = build_app(err) else {
                return ExitCode::FAILURE;
            };
            // Listing an app that cannot be synthesized (two stacks of one
            // name) would print a list no deploy could act on.
            let problems = constructs::validate(&app);
            if !problems.is_empty() {
                let _ = write!(err, "error: {}", constructs::SynthError { problems });
                return ExitCode::FAILURE;
            }
            for s in app.stacks() {
                let _ = writeln!(out, "{:<16} {:>4} constructs", s.name(), s.len());
            }
            ExitCode::SUCCESS
        }
        Command::Diff { .. } | Command::Deploy { .. } | Command::Destroy { .. } | Command::Bootstrap { .. } => {
            unreachable!("handled by run_interactive")
        }
    }
}

/// Frees a large app model on a thread of its own. Freeing an app of 20,000
/// resources takes about a tenth of `synth`'s time; the command's work is done,
/// so a process about to exit need not wait for it (the thread ends with the
/// process), while a long-lived caller (tests) still gets the memory back.
fn drop_in_background(app: App) {
    std::thread::spawn(move || drop(app));
}

/// Runs the checks as `synth` does and prints the report; `false` when they
/// fail (an error finding, or a warning with `strict`) and the app's findings
/// are not advisory. The checks run outside synthesis so the whole report
/// (warnings, suppressions, why and how to fix) is printed, and nothing is
/// written when they fail.
fn checks_pass(app: &App, strict: bool, err: &mut dyn Write) -> bool {
    report_checks(app, &checks::check(app), strict, err)
}

/// [`checks_pass`] for findings already made.
fn report_checks(app: &App, findings: &checks::Report, strict: bool, err: &mut dyn Write) -> bool {
    if !findings.findings.is_empty() || !findings.suppressed.is_empty() {
        let _ = write!(err, "{}", report::human(findings));
    }
    if !findings.fails(strict) {
        return true;
    }
    match app.checks_advisory() {
        Some(reason) => {
            let _ = writeln!(
                err,
                "note: findings are advisory for this app ({reason}); writing anyway"
            );
            true
        }
        None => {
            // Validation problems are worth knowing too.
            let problems = constructs::validate(app);
            if !problems.is_empty() {
                let _ = write!(err, "error: {}", constructs::SynthError { problems });
            }
            let _ = writeln!(
                err,
                "error: the checks failed; nothing was written (fix the findings, or suppress one with a reason)"
            );
            false
        }
    }
}

/// The checks, then every backend synthesized in memory, as `synth` does
/// before writing; `None` (with everything printed) when synth would fail.
fn synth_checked(
    app: &App,
    backends: &[Backend],
    strict: bool,
    err: &mut dyn Write,
) -> Option<Vec<constructs::Artifact>> {
    if !checks_pass(app, strict, err) {
        return None;
    }
    let options = constructs::SynthOptions {
        backends: backends.to_vec(),
        checks: constructs::Checks::Skip,
    };
    match constructs::synth_with(app, &options) {
        Ok(a) => Some(a),
        Err(e) => {
            let _ = write!(err, "error: {e}");
            None
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DeployKind {
    Diff,
    Deploy,
    Destroy,
}

/// Keeps the artifacts of the stacks asked for; an unknown name is an error
/// listing the app's stacks.
fn select_stacks(artifacts: Vec<constructs::Artifact>, wanted: &[String]) -> Result<Vec<constructs::Artifact>, String> {
    let mut names: Vec<&str> = artifacts.iter().map(|a| a.stack.as_str()).collect();
    names.dedup();
    let unknown: Vec<&String> = wanted.iter().filter(|w| !names.contains(&w.as_str())).collect();
    if !unknown.is_empty() {
        return Err(format!(
            "no stack named {} in this app; its stacks: {}",
            unknown.iter().map(|u| format!("{u:?}")).collect::<Vec<_>>().join(", "),
            names.join(", ")
        ));
    }
    Ok(artifacts
        .into_iter()
        .filter(|a| wanted.is_empty() || wanted.contains(&a.stack))
        .collect())
}

#[allow(clippy::too_many_arguments)]
fn deploy_command(
    kind: DeployKind,
    args: DeployArgs,
    yes: bool,
    require_approval: RequireApproval,
    publish: PublishArgs,
    build: impl FnOnce(&mut dyn Write) -> Built,
    out: &mut dyn Write,
    err: &mut dyn Write,
    interaction: Interaction<'_>,
) -> ExitCode {
    let Some((app, env)) = build(err) else {
        return ExitCode::FAILURE;
    };
    let backend: Backend = args.target.into();
    if !app.backends().contains(&backend) {
        let _ = writeln!(
            err,
            "error: this app is not rendered for {}; choose another --target",
            backend.name()
        );
        return ExitCode::FAILURE;
    }
    let Some(artifacts) = synth_checked(&app, &app.backends(), false, err) else {
        return ExitCode::FAILURE;
    };
    let artifacts = match select_stacks(artifacts, &args.stacks) {
        Ok(a) => a,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Synthesis succeeded, so the assets are valid.
    let manifest = match constructs::assets::manifest(&app) {
        Ok(m) => m,
        Err(e) => {
            let _ = write!(err, "error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let manifest_text = manifest.to_json_text();
    let files = [(constructs::assets::ASSET_MANIFEST_FILE, manifest_text.as_str())];
    let to_write = artifacts.iter().filter(|a| a.backend == backend).cloned();
    if let Err(e) = crate::write::write_all(&args.out, to_write, &files) {
        let _ = writeln!(err, "error: writing to {}: {e}", args.out.display());
        return ExitCode::FAILURE;
    }
    run_deploy(
        kind,
        &args,
        yes,
        require_approval,
        &publish,
        &artifacts,
        &manifest,
        env,
        out,
        err,
        interaction,
    )
}

#[cfg(feature = "deploy")]
fn settings(
    args: &DeployArgs,
    yes: bool,
    require_approval: RequireApproval,
    env: Option<EnvironmentInfo>,
    interaction: &Interaction<'_>,
) -> deploy::Settings {
    use crate::environment::TerraformStateSetting;
    let terraform_state = match env.as_ref().map(|e| &e.deploy.terraform_state) {
        Some(TerraformStateSetting::S3(s3)) => deploy::TerraformState::S3 {
            bucket: s3.bucket.clone(),
            key: s3.key.clone(),
            region: s3.region.clone(),
        },
        _ => deploy::TerraformState::Local,
    };
    deploy::Settings {
        backend: args.target.into(),
        out_dir: args.out.clone(),
        state_dir: args.state_dir.clone(),
        environment_source: match &env {
            Some(e) => format!("environment {}, {}", e.name, e.file.display()),
            None => "set in the app".into(),
        },
        environment: env.map(|e| e.name),
        terraform_state,
        approval: match require_approval {
            RequireApproval::Never => deploy::Approval::Never,
            RequireApproval::Broadening => deploy::Approval::Broadening,
            RequireApproval::AnyChange => deploy::Approval::AnyChange,
        },
        yes,
        terminal: deploy::Terminal {
            progress_bar: interaction.progress_bar,
            can_ask: interaction.input.is_some(),
        },
        inputs: Default::default(),
    }
}

#[cfg(feature = "deploy")]
#[allow(clippy::too_many_arguments)]
fn run_deploy(
    kind: DeployKind,
    args: &DeployArgs,
    yes: bool,
    require_approval: RequireApproval,
    publish: &PublishArgs,
    artifacts: &[constructs::Artifact],
    manifest: &constructs::assets::AssetManifest,
    env: Option<EnvironmentInfo>,
    out: &mut dyn Write,
    err: &mut dyn Write,
    interaction: Interaction<'_>,
) -> ExitCode {
    let mut settings = settings(args, yes, require_approval, env, &interaction);
    let mut console = deploy::Console::new(
        out,
        err,
        settings.terminal,
        interaction.input.map(|i| i as &mut dyn BufRead),
    );
    let steps = crate::deploy_steps::plan(kind, artifacts, manifest, settings.backend);
    let code = match steps {
        crate::deploy_steps::Steps::One {
            command,
            stacks,
            placeholders,
        } => {
            settings.inputs = placeholders;
            deploy::run(command, &stacks, &settings, &mut console)
        }
        crate::deploy_steps::Steps::WithPublish(plan) => {
            crate::deploy_steps::deploy_with_publish(&plan, publish, &mut settings, &mut console)
        }
    };
    ExitCode::from(code)
}

#[cfg(not(feature = "deploy"))]
#[allow(clippy::too_many_arguments)]
fn run_deploy(
    _: DeployKind,
    _: &DeployArgs,
    _: bool,
    _: RequireApproval,
    _: &PublishArgs,
    _: &[constructs::Artifact],
    _: &constructs::assets::AssetManifest,
    _: Option<EnvironmentInfo>,
    _: &mut dyn Write,
    err: &mut dyn Write,
    _: Interaction<'_>,
) -> ExitCode {
    let _ = writeln!(err, "error: {WITHOUT_DEPLOY}");
    ExitCode::FAILURE
}

/// What a binary built without the `deploy` feature says.
#[cfg(not(feature = "deploy"))]
const WITHOUT_DEPLOY: &str = "diff, deploy, destroy and bootstrap need the `deploy` feature of the `stack` crate, which this binary was built without (it keeps the AWS SDK out of the synth build): run `cargo run -p stack --features deploy -- <command>`, or depend on stack with `features = [\"deploy\"]` in your own crate";

#[cfg(feature = "deploy")]
fn bootstrap_command(
    yes: bool,
    dir: PathBuf,
    out: &mut dyn Write,
    err: &mut dyn Write,
    interaction: Interaction<'_>,
) -> ExitCode {
    let args = DeployArgs {
        target: Target::Cloudformation,
        stacks: Vec::new(),
        out: dir,
        state_dir: PathBuf::from("state"),
    };
    let settings = settings(&args, yes, RequireApproval::Never, None, &interaction);
    let mut console = deploy::Console::new(
        out,
        err,
        settings.terminal,
        interaction.input.map(|i| i as &mut dyn BufRead),
    );
    ExitCode::from(deploy::bootstrap(&settings, &mut console))
}

#[cfg(not(feature = "deploy"))]
fn bootstrap_command(_: bool, _: PathBuf, _: &mut dyn Write, err: &mut dyn Write, _: Interaction<'_>) -> ExitCode {
    let _ = writeln!(err, "error: {WITHOUT_DEPLOY}");
    ExitCode::FAILURE
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
