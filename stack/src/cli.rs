//! The command-line runner: `synth`, `list` and friends for any app.
//!
//! A team's own binary gets the same subcommands as `cargo run -p stack`:
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

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use constructs::{App, Backend};

/// Synthesize AWS infrastructure defined in Rust to CloudFormation and Terraform JSON.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
pub struct Cli {
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
    Synth {
        /// Directory to write into.
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Which backend to synthesize; both when omitted.
        #[arg(long, value_enum)]
        target: Option<Target>,
    },
    /// List the app's stacks with their resource counts.
    List,
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

/// Parses the process arguments and runs the command against the app `build` returns.
pub fn run(build: impl FnOnce() -> App) -> ExitCode {
    run_with(Cli::parse(), build, &mut std::io::stdout(), &mut std::io::stderr())
}

/// Runs a parsed command, printing to the given streams (tests use buffers).
pub fn run_with(cli: Cli, build: impl FnOnce() -> App, out: &mut dyn Write, err: &mut dyn Write) -> ExitCode {
    let app = build();
    match cli.command {
        Command::Synth { out: dir, target } => {
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
            match crate::write::write_all(&dir, &artifacts) {
                Ok(paths) => {
                    for (a, path) in artifacts.iter().zip(paths) {
                        let _ = writeln!(
                            out,
                            "{:<16} {:<15} {:>4} resources  {}",
                            a.stack,
                            a.backend.name(),
                            a.resource_count,
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
        Command::List => {
            for s in app.stacks() {
                let _ = writeln!(out, "{:<16} {:>4} constructs", s.name(), s.len());
            }
            ExitCode::SUCCESS
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
