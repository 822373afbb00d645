//! `vault-api` binary: `serve` (the default) or `create-table`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use vault_api::config::ServeArgs;
use vault_api::store::dynamo::{client_from_environment, create_table, CreateTableOutcome};
use vault_api::telemetry::{self, LogFormat};

#[derive(Parser)]
#[command(name = "vault-api", version, about = "JSON item vault over HTTP")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Serve HTTP (the default when no subcommand is given).
    Serve,
    /// Create the DynamoDB table named by VAULT_TABLE, with the key schema
    /// the stack deploys, at AWS_ENDPOINT_URL if set (for local emulators).
    CreateTable {
        #[arg(long, env = "VAULT_TABLE")]
        table: String,
    },
    /// Print the OpenAPI document.
    Openapi,
}

/// Threads for blocking work: the embedded store's writes, listings and
/// opening. Writes take redb's single writer lock in turn, so more threads
/// than this add no throughput, while each one costs a stack and, under
/// glibc, its own malloc arena: with tokio's default (512), a burst of
/// concurrent writes grew the resident memory by several MiB.
const MAX_BLOCKING_THREADS: usize = 8;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(MAX_BLOCKING_THREADS)
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("vault-api: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let config = match cli.serve.into_config(vault_api::config::running_on_ecs()) {
                Ok(config) => config,
                Err(e) => {
                    eprintln!("vault-api: configuration refused: {e}");
                    return ExitCode::from(2);
                }
            };
            // Dropped when this arm ends, after the last line is logged: it
            // waits for the log writer to write everything out.
            let _log_guard = telemetry::init(LogFormat::detect());
            match runtime.block_on(vault_api::server::run(config)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!(error = %e, "vault-api failed");
                    ExitCode::FAILURE
                }
            }
        }
        Command::CreateTable { table } => runtime.block_on(async {
            let attempt = std::time::Duration::from_millis(vault_api::config::DEFAULT_DYNAMODB_ATTEMPT_TIMEOUT_MS);
            let client = client_from_environment(attempt).await;
            match create_table(&client, &table).await {
                Ok(CreateTableOutcome::Created) => {
                    println!("created table {table}");
                    ExitCode::SUCCESS
                }
                Ok(CreateTableOutcome::AlreadyExisted) => {
                    println!("table {table} already exists");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("vault-api: creating table {table}: {e}");
                    ExitCode::FAILURE
                }
            }
        }),
        Command::Openapi => match serde_json::to_string_pretty(&vault_api::openapi::document()) {
            Ok(text) => {
                println!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("vault-api: {e}");
                ExitCode::FAILURE
            }
        },
    }
}
