//! `cargo run -p examples --bin minimal -- synth`
fn main() -> std::process::ExitCode {
    stack::cli::run(examples::minimal::app)
}
