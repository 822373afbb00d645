//! `cargo run -p examples --bin suppressions -- check`
fn main() -> std::process::ExitCode {
    stack::cli::run(examples::suppressions::app)
}
