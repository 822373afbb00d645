//! `cargo run -p examples --bin blog -- synth`
fn main() -> std::process::ExitCode {
    stack::cli::run(examples::blog::app)
}
