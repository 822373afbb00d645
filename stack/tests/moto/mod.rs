//! Shared by the moto tests: the seed's network, created through the APIs.

use std::process::Command;

use serde_json::Value as Json;
use stack::tools::Tool;

/// Runs `network.py` against `endpoint`; returns the ids it created (`vpc`,
/// `subnets`, `lb_security_group`, `lb_arn`, `listener_arn`).
pub fn create_network(python: &Tool, endpoint: &str) -> Json {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/moto/network.py");
    let out = Command::new(&python.path)
        .args([script, endpoint])
        .output()
        .expect("network.py runs");
    assert!(
        out.status.success(),
        "network.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("network.py prints JSON")
}
