//! Helpers for tests of stacks and constructs: synthesize a single-stack app and
//! pick out one block per backend, so a test can assert the same construct in
//! CloudFormation and Terraform side by side. They panic with a readable message
//! when what they look for is missing, which is what a test wants.
//!
//! They test rendering, so they do not run the security checks (a test of how
//! an open security group renders is not a deployment of one); test the checks
//! with [`crate::checks::check`].

use serde_json::Value as Json;

use crate::synth::{synth_with, Checks, SynthOptions};
use crate::{App, Backend};

/// Synthesizes an app with one stack and returns (CloudFormation, Terraform) documents.
pub fn synth_one(app: &App) -> (Json, Json) {
    let options = SynthOptions {
        backends: Backend::ALL.to_vec(),
        checks: Checks::Skip,
    };
    let files = match synth_with(app, &options) {
        Ok(files) => files,
        Err(e) => panic!("synthesis failed:\n{e}"),
    };
    assert_eq!(files.len(), 2, "synth_one expects an app with exactly one stack");
    let parse = |i: usize| serde_json::from_str(&files[i].text).expect("synthesized JSON parses");
    (parse(0), parse(1))
}

/// The problems synthesis reports, as `(path, rule)` pairs.
pub fn problems(app: &App) -> Vec<(String, &'static str)> {
    crate::validate(app).into_iter().map(|p| (p.path, p.rule)).collect()
}

/// A CloudFormation resource by logical id.
pub fn cfn_resource<'a>(template: &'a Json, logical_id: &str) -> &'a Json {
    let r = &template["Resources"][logical_id];
    assert!(
        !r.is_null(),
        "no resource {logical_id} in {}",
        keys(&template["Resources"])
    );
    r
}

/// A Terraform resource block by type and name.
pub fn tf_resource<'a>(module: &'a Json, type_name: &str, name: &str) -> &'a Json {
    let r = &module["resource"][type_name][name];
    assert!(
        !r.is_null(),
        "no resource {type_name}.{name}; types: {}",
        keys(&module["resource"])
    );
    r
}

/// A Terraform data block by type and name.
pub fn tf_data<'a>(module: &'a Json, type_name: &str, name: &str) -> &'a Json {
    let r = &module["data"][type_name][name];
    assert!(
        !r.is_null(),
        "no data {type_name}.{name}; types: {}",
        keys(&module["data"])
    );
    r
}

/// Parses a Terraform JSON-string property (a policy, container definitions).
pub fn tf_json_string(value: &Json) -> Json {
    let s = value
        .as_str()
        .unwrap_or_else(|| panic!("expected a JSON string, got {value}"));
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

fn keys(v: &Json) -> String {
    v.as_object()
        .map(|m| m.keys().cloned().collect::<Vec<_>>().join(", "))
        .unwrap_or_default()
}
