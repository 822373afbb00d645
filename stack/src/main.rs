//! `cargo run -p stack -- synth` synthesizes the vault stack for the `dev`
//! environment; `--env prod` for another file in `stack/environments/`.

fn main() -> std::process::ExitCode {
    stack::cli::run_with_environments(
        std::path::Path::new(stack::vault::ENVIRONMENTS_DIR),
        stack::vault::DEFAULT_ENVIRONMENT,
        stack::vault::app,
    )
}
