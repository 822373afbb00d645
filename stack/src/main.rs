//! `cargo run -p stack -- synth` synthesizes the vault stack.

fn main() -> std::process::ExitCode {
    stack::cli::run(stack::vault::app)
}
