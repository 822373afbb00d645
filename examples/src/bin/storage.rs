//! `cargo run -p examples --bin storage -- synth` (or `diff`, `deploy`, `destroy`)
fn main() -> std::process::ExitCode {
    stack::cli::run(examples::storage::app)
}
