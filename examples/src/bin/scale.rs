//! `SCALE_RESOURCES=20000 cargo run --release -p examples --bin scale -- synth --out /tmp/scale`:
//! a generated estate of about that many CloudFormation resources (default
//! 20,000), through the standard runner, for whole-process measurements.
fn main() -> std::process::ExitCode {
    let resources = std::env::var("SCALE_RESOURCES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    stack::cli::run(move || examples::scale::app_of(resources))
}
