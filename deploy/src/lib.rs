//! `diff`, `deploy`, `destroy` and `bootstrap` for synthesized stacks, on both
//! backends, behind one diff model, one renderer and one progress display.
//!
//! What this crate knows about an app comes from [`constructs::synth`]'s
//! [`Artifact`]s (as CDK works from `cdk.out`): each stack's template or module,
//! the account and region it is meant for, and the lookups its CloudFormation
//! parameters need. `stack::cli` synthesizes, then calls [`run`].
//!
//! - **CloudFormation** through the AWS SDK: a change set per deploy (CREATE for
//!   a new stack, UPDATE otherwise), templates over 51,200 bytes uploaded to the
//!   staging bucket made by [`bootstrap`], progress from stack events.
//! - **Terraform** through its CLI: `init`, `plan -out`, `show -json`, `apply
//!   -json` of that plan, `output -json`; local state under
//!   `state/terraform/<env>/<Stack>/` unless the environment chooses S3.
//!
//! Safety rules, in order: synth and its checks pass (the caller's job); the
//! caller's account and region match the stack's ([`aws::Aws::guard`]); lookups
//! resolve to exactly one thing; the stack is not in a state that blocks an
//! update; no listener priority clashes; approval ([`approval`]). Only then is
//! anything changed.

pub mod approval;
pub mod aws;
pub mod bootstrap;
pub mod cloudformation;
pub mod diff;
mod error;
pub mod lookups;
pub mod outputs;
pub mod progress;
pub mod terraform;

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::PathBuf;

pub use approval::Approval;
pub use constructs::Artifact;
use constructs::Backend;
pub use error::Error;

/// What to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    Diff,
    Deploy,
    Destroy,
}

/// Where Terraform keeps its state.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum TerraformState {
    /// `<state_dir>/terraform/<env>/<Stack>/terraform.tfstate` (the default).
    #[default]
    Local,
    /// An S3 bucket with S3-native locking (`use_lockfile`, Terraform ≥ 1.10).
    /// `key` may contain `{stack}`; the default is `<env>/<Stack>/terraform.tfstate`.
    S3 {
        bucket: String,
        key: Option<String>,
        region: Option<String>,
    },
}

/// The terminal, for progress bars and approval prompts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Terminal {
    /// Progress may draw a bar on stderr.
    pub progress_bar: bool,
    /// Approval may be asked on stdin.
    pub can_ask: bool,
}

impl Terminal {
    /// What the process's own stdin and stderr are.
    pub fn detect() -> Terminal {
        use std::io::IsTerminal;
        Terminal {
            progress_bar: std::io::stderr().is_terminal(),
            can_ask: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
        }
    }
}

/// Everything [`run`] needs besides the artifacts.
#[derive(Clone, Debug)]
pub struct Settings {
    pub backend: Backend,
    /// Where templates, modules and outputs are written (`out`).
    pub out_dir: PathBuf,
    /// Where local Terraform state lives (`state`); never written by `synth`.
    pub state_dir: PathBuf,
    /// The environment's name (`dev`), when the app has environments.
    pub environment: Option<String>,
    /// `environment dev (stack/environments/dev.json)`, for messages.
    pub environment_source: String,
    pub terraform_state: TerraformState,
    pub approval: Approval,
    /// `--yes`: approve whatever the rules would ask about.
    pub yes: bool,
    pub terminal: Terminal,
    /// Values for stack inputs that are neither lookups nor defaulted: per
    /// stack, then per CloudFormation parameter or Terraform variable (the
    /// name for [`Settings::backend`]). The CLI fills it with the image
    /// references `publish` printed.
    pub inputs: BTreeMap<String, BTreeMap<String, Input>>,
}

/// The value of a stack input ([`Settings::inputs`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// What the stack is deployed with (e.g. a published image's reference).
    Value(String),
    /// A stand-in for a value not known yet (an image `diff` does not
    /// publish): a CloudFormation stack keeps its parameter's previous value
    /// when it has one; otherwise (a new stack, and always for Terraform,
    /// which keeps no variable values) the diff is computed with this, and
    /// says so.
    Placeholder(String),
}

/// Exit codes, as documented in the README.
pub mod exit {
    /// Success; for `diff`: no changes.
    pub const OK: u8 = 0;
    /// An error, a refusal, or a failed deploy (nothing or a rolled-back change applied).
    pub const ERROR: u8 = 1;
    /// `diff` only: there are changes.
    pub const CHANGES: u8 = 2;
}

/// Prints to the command's streams.
pub struct Console<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    pub terminal: Terminal,
    /// Where answers to prompts come from (stdin on a terminal).
    pub input: Option<&'a mut dyn BufRead>,
    /// The account line said last: a command run in several steps (deploy
    /// with images: repositories, publish, services) connects for each step
    /// but says which account it works in once.
    account_said: Option<String>,
}

impl<'a> Console<'a> {
    pub fn new(
        out: &'a mut dyn Write,
        err: &'a mut dyn Write,
        terminal: Terminal,
        input: Option<&'a mut dyn BufRead>,
    ) -> Self {
        Console {
            out,
            err,
            terminal,
            input,
            account_said: None,
        }
    }

    /// Says which account and region the command works in, unless this
    /// console said the same line already.
    fn say_account(&mut self, line: String) {
        if self.account_said.as_ref() != Some(&line) {
            self.say(&line);
            self.account_said = Some(line);
        }
    }

    pub fn say(&mut self, text: &str) {
        let _ = writeln!(self.out, "{}", text.trim_end());
    }
    pub fn warn(&mut self, text: &str) {
        let _ = writeln!(self.err, "{text}");
    }
    /// Asks a yes/no question; `false` unless the answer starts with `y`.
    pub fn confirm(&mut self, question: &str) -> bool {
        let _ = write!(self.err, "{question} [y/N] ");
        let _ = self.err.flush();
        let Some(input) = self.input.as_mut() else {
            return false;
        };
        let mut line = String::new();
        input.read_line(&mut line).is_ok() && line.trim().to_ascii_lowercase().starts_with('y')
    }
}

/// Runs `command` for every stack in `artifacts` of `settings.backend`, in
/// order (stacks cannot reference each other, so any order respects their
/// dependencies). Returns the exit code.
pub fn run(command: Command, artifacts: &[Artifact], settings: &Settings, console: &mut Console<'_>) -> u8 {
    let Some(runtime) = runtime(console) else {
        return exit::ERROR;
    };
    runtime.block_on(run_async(command, artifacts, settings, console))
}

async fn run_async(command: Command, artifacts: &[Artifact], settings: &Settings, console: &mut Console<'_>) -> u8 {
    let stacks: Vec<&Artifact> = artifacts.iter().filter(|a| a.backend == settings.backend).collect();
    let aws = match connect_and_guard(&stacks, settings, console).await {
        Ok(aws) => aws,
        Err(code) => return code,
    };
    // Every stack's lookups and state are checked before the first one is
    // changed, so a problem with a later stack changes nothing.
    if let Err(e) = check_stacks(command, &aws, &stacks, settings).await {
        console.warn(&format!("error: {e}"));
        return exit::ERROR;
    }
    let mut changes = false;
    for (i, a) in stacks.iter().enumerate() {
        let cfn_outputs = cloudformation_output_names(artifacts, &a.stack);
        let result = match settings.backend {
            Backend::CloudFormation => cloudformation::run(command, &aws, a, settings, console).await,
            Backend::Terraform => terraform::run(command, &aws, a, &cfn_outputs, settings, console).await,
        };
        match result {
            Ok(changed) => changes |= changed,
            Err(e) => {
                console.warn(&format!("error: {e}"));
                if command != Command::Diff && stacks.len() > 1 {
                    // Say what the run left behind: the stacks before this
                    // one are done and stay so, those after it were not tried.
                    let list = |s: &[&Artifact]| {
                        let names: Vec<&str> = s.iter().map(|a| a.stack.as_str()).collect();
                        if names.is_empty() {
                            "none".to_string()
                        } else {
                            names.join(", ")
                        }
                    };
                    let done = if command == Command::Destroy {
                        "destroyed"
                    } else {
                        "deployed"
                    };
                    console.warn(&format!(
                        "Already {done} before {}: {}. Not attempted: {}.",
                        a.stack,
                        list(&stacks[..i]),
                        list(&stacks[i + 1..])
                    ));
                }
                return exit::ERROR;
            }
        }
    }
    if command == Command::Diff && changes {
        exit::CHANGES
    } else {
        exit::OK
    }
}

/// What [`run`] checks before changing anything, for every stack of
/// `settings.backend` in `artifacts`, changing nothing: the caller's account
/// and region, that each stack's lookups resolve to exactly one thing, and
/// (CloudFormation) that no stack is in a state that blocks `command`.
/// Returns the exit code: [`exit::OK`] when every stack may be worked on.
///
/// For callers that [`run`] an app's stacks in several steps (the CLI deploys
/// the repository stacks, publishes images, then deploys the rest): a problem
/// with a later stack is then reported before the first step changes
/// anything.
pub fn preflight(command: Command, artifacts: &[Artifact], settings: &Settings, console: &mut Console<'_>) -> u8 {
    let Some(runtime) = runtime(console) else {
        return exit::ERROR;
    };
    let stacks: Vec<&Artifact> = artifacts.iter().filter(|a| a.backend == settings.backend).collect();
    runtime.block_on(async {
        let aws = match connect_and_guard(&stacks, settings, console).await {
            Ok(aws) => aws,
            Err(code) => return code,
        };
        match check_stacks(command, &aws, &stacks, settings).await {
            Ok(()) => exit::OK,
            Err(e) => {
                console.warn(&format!("error: {e}"));
                exit::ERROR
            }
        }
    })
}

/// The per-stack part of [`preflight`], also run by [`run`] before its first
/// change: each stack's lookups resolve to exactly one thing (not for
/// `destroy`, which does not use them) and (CloudFormation) no stack is in a
/// state that blocks `command`.
async fn check_stacks(
    command: Command,
    aws: &aws::Aws,
    stacks: &[&Artifact],
    settings: &Settings,
) -> Result<(), Error> {
    let place = format!("account {} in {}", aws.account, aws.region);
    for a in stacks {
        if command != Command::Destroy {
            lookups::resolve(&aws.signed, &a.lookups, &place).await?;
        }
        if settings.backend == Backend::CloudFormation {
            if let Some(d) = cloudformation::describe(aws, &a.stack).await? {
                if let Some(msg) = cloudformation::blocked(&a.stack, &d.status, command) {
                    return Err(Error::new(format!("{msg} Nothing was changed.")));
                }
            }
        }
    }
    Ok(())
}

/// A single-threaded runtime for one command; `None` (the error printed) if
/// it cannot start.
fn runtime(console: &mut Console<'_>) -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => Some(r),
        Err(e) => {
            console.warn(&format!("error: cannot start the async runtime: {e}"));
            None
        }
    }
}

/// The AWS connection, once every stack passed the account guard; else the
/// exit code (the error printed).
async fn connect_and_guard(
    stacks: &[&Artifact],
    settings: &Settings,
    console: &mut Console<'_>,
) -> Result<aws::Aws, u8> {
    if stacks.is_empty() {
        console.warn("error: no stack to work on");
        return Err(exit::ERROR);
    }
    let fallback_region = stacks.iter().find_map(|a| a.region.as_deref());
    let aws = match aws::Aws::connect(fallback_region).await {
        Ok(a) => a,
        Err(e) => {
            console.warn(&format!("error: {e}"));
            return Err(exit::ERROR);
        }
    };
    if stacks.iter().all(|a| a.account.is_none()) {
        console.say_account(format!(
            "Environment-agnostic app: using the credentials' account {} in {} ({}).",
            aws.account, aws.region, aws.caller
        ));
    } else {
        console.say_account(format!("Account {} in {} ({}).", aws.account, aws.region, aws.caller));
    }
    // Guard every stack before touching any.
    for a in stacks {
        if let Err(e) = aws.guard(
            &a.stack,
            a.account.as_deref(),
            a.region.as_deref(),
            &settings.environment_source,
        ) {
            console.warn(&format!("error: {e}"));
            return Err(exit::ERROR);
        }
    }
    Ok(aws)
}

/// Deploys the template staging stack ([`bootstrap`]) into the credentials'
/// account and region. Returns the exit code.
pub fn bootstrap(settings: &Settings, console: &mut Console<'_>) -> u8 {
    let Some(runtime) = runtime(console) else {
        return exit::ERROR;
    };
    runtime.block_on(async {
        let result = async {
            let aws = aws::Aws::connect(None).await?;
            console.say(&format!(
                "Bootstrapping account {} in {}: stack {}, bucket {}",
                aws.account,
                aws.region,
                bootstrap::STACK,
                bootstrap::bucket_name(&aws.account, &aws.region)
            ));
            let artifact = bootstrap::artifact(&aws.account, &aws.region)?;
            cloudformation::run(Command::Deploy, &aws, &artifact, settings, console).await
        }
        .await;
        match result {
            Ok(_) => exit::OK,
            Err(e) => {
                console.warn(&format!("error: {e}"));
                exit::ERROR
            }
        }
    })
}

/// The CloudFormation output ids of `stack` (the names given to
/// `stack.output`), which the outputs file uses for both backends.
fn cloudformation_output_names(artifacts: &[Artifact], stack: &str) -> Vec<String> {
    artifacts
        .iter()
        .find(|a| a.stack == stack && a.backend == Backend::CloudFormation)
        .and_then(|a| serde_json::from_str::<serde_json::Value>(&a.text).ok())
        .and_then(|t| {
            t.get("Outputs")
                .and_then(|o| o.as_object())
                .map(|o| o.keys().cloned().collect())
        })
        .unwrap_or_default()
}
