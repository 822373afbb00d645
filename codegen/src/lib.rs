//! Generates what is derived from the CloudFormation and Terraform schemas:
//! `cargo run -p codegen` writes it, `cargo run -p codegen -- --check` (and
//! the test `tests/current.rs`) fails if the committed output differs from
//! what the pinned sources give.
//!
//! Inputs (see [`sources`]): cfn-lint's bundled resource provider schemas and
//! `terraform providers schema -json` for the AWS provider in the filesystem
//! mirror (default `/opt/tf-plugins`).

pub mod metadata;
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
    Ok(vec![
        Output {
            path: data.join("cloudformation.jsonl"),
            text: metadata::cfn(&cfn),
        },
        Output {
            path: data.join("terraform.jsonl"),
            text: metadata::tf(&tf),
        },
    ])
}

/// The outputs whose committed text differs from `outputs`.
pub fn stale(outputs: &[Output]) -> Vec<String> {
    let root = workspace_root();
    outputs
        .iter()
        .filter(|o| std::fs::read_to_string(root.join(&o.path)).unwrap_or_default() != o.text)
        .map(|o| o.path.display().to_string())
        .collect()
}
