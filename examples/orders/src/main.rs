//! `cargo run -p orders -- synth` (and `check`, `list`, `diff`, `deploy`…).
fn main() -> std::process::ExitCode {
    stack::cli::run(orders::app)
}
