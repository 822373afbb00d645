//! Shared by the moto tests: the seed's network, created through the APIs.

use std::process::Command;

use serde_json::Value as Json;
use stack::tools::Tool;

/// The `stack` package's directory, from cargo at run time: a path baked in
/// at compile time goes stale when cargo reuses the build for another
/// checkout sharing the target directory.
pub fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo test")
}

/// Runs `network.py` against `endpoint`; returns the ids it created (`vpc`,
/// `subnets`, `lb_security_group`, `lb_arn`, `listener_arn`).
pub fn create_network(python: &Tool, endpoint: &str) -> Json {
    let script = format!("{}/tests/moto/network.py", manifest_dir());
    let out = Command::new(&python.path)
        .args([script.as_str(), endpoint])
        .output()
        .expect("network.py runs");
    assert!(
        out.status.success(),
        "network.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("network.py prints JSON")
}
