//! Generates what is derived from the CloudFormation and Terraform schemas:
//! `cargo run -p codegen` writes it, `cargo run -p codegen -- --check` (and
//! the test `tests/current.rs`) fails if the committed output differs from
//! what the pinned sources give.
//!
//! Inputs (see [`sources`]): cfn-lint's bundled resource provider schemas and
//! `terraform providers schema -json` for the AWS provider in the filesystem
//! mirror (default `/opt/tf-plugins`).

pub mod l1;
pub mod metadata;
pub mod names;
pub mod services;
pub mod sources;

use std::path::{Path, PathBuf};

/// One generated file: where it goes, relative to the workspace root, and its text.
pub struct Output {
    pub path: PathBuf,
    pub text: String,
}

/// The workspace root, where output paths start.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("codegen lives in the workspace")
        .to_path_buf()
}

/// Every generated file, from the sources installed on this machine.
pub fn generate(mirror: &Path) -> Result<Vec<Output>, String> {
    let (dir, version) = sources::cfn_lint_dir()?;
    if version != sources::EXPECTED_CFN_LINT {
        return Err(format!(
            "cfn-lint {version} is installed; the committed output is generated from {} (pip install cfn-lint=={})",
            sources::EXPECTED_CFN_LINT,
            sources::EXPECTED_CFN_LINT
        ));
    }
    let cfn = sources::load_cfn(&dir, version)?;
    let tf = sources::load_tf(mirror)?;
    let data = Path::new("constructs/src/schema/generated");
    let mut outputs = vec![
        Output {
            path: data.join("cloudformation.jsonl"),
            text: metadata::cfn(&cfn),
        },
        Output {
            path: data.join("terraform.jsonl"),
            text: metadata::tf(&tf),
        },
    ];
    let model = l1_model(&cfn, &tf)?;
    let cfn_source = format!(
        "cfn-lint {} resource provider schemas ({})",
        cfn.version,
        sources::CFN_REGION
    );
    let tf_source = format!(
        "`terraform providers schema -json`, hashicorp/aws {}",
        tf.provider_version
    );
    outputs.extend(l1::emit::outputs(&model, &cfn_source, &tf_source));
    let manifest = Path::new("constructs/Cargo.toml");
    let current =
        std::fs::read_to_string(workspace_root().join(manifest)).map_err(|e| format!("{}: {e}", manifest.display()))?;
    outputs.push(Output {
        path: manifest.to_path_buf(),
        text: l1::features::cargo_toml(&current, &model.services())?,
    });
    Ok(outputs)
}

/// The L1 model of both sources.
pub fn l1_model(cfn: &sources::CfnSource, tf: &sources::TfSource) -> Result<l1::Model, String> {
    let cfn_model = l1::cfn::model(cfn)?;
    let cfn_services = cfn_model.keys().cloned().collect();
    let tf_model = l1::tf::model(tf, &cfn_services)?;
    Ok(l1::Model {
        cfn: cfn_model,
        tf: tf_model,
    })
}

/// Folders that hold only generated files: a file there that the generator
/// no longer writes is stale too (a type the schemas dropped).
pub const GENERATED_DIRS: [&str; 2] = ["constructs/src/cfn", "constructs/src/tf"];

/// Files under [`GENERATED_DIRS`] that `outputs` does not contain.
pub fn leftovers(outputs: &[Output]) -> Vec<PathBuf> {
    let root = workspace_root();
    let wanted: std::collections::BTreeSet<&Path> = outputs.iter().map(|o| o.path.as_path()).collect();
    let mut found = Vec::new();
    let mut stack: Vec<PathBuf> = GENERATED_DIRS.iter().map(PathBuf::from).collect();
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(root.join(&dir)) else {
            continue;
        };
        for e in entries.flatten() {
            let rel = dir.join(e.file_name());
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(rel);
            } else if !wanted.contains(rel.as_path()) {
                found.push(rel);
            }
        }
    }
    found.sort();
    found
}

/// The outputs whose committed text differs from `outputs`, and the
/// generated files that should no longer exist.
pub fn stale(outputs: &[Output]) -> Vec<String> {
    let root = workspace_root();
    let mut stale: Vec<String> = outputs
        .iter()
        .filter(|o| std::fs::read_to_string(root.join(&o.path)).unwrap_or_default() != o.text)
        .map(|o| o.path.display().to_string())
        .collect();
    stale.extend(
        leftovers(outputs)
            .iter()
            .map(|p| format!("{} (no longer generated)", p.display())),
    );
    stale
}
