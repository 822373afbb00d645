//! Every app the project ships (the vault stack and every example), for each
//! backend: snapshotted, byte-deterministic, clean under cfn-lint and under
//! `terraform init` + `terraform validate` against the real AWS provider.

use std::path::{Path, PathBuf};

use constructs::{synth, Artifact, Backend};
use stack::tools;

fn all_artifacts() -> Vec<(&'static str, Artifact)> {
    let mut out = Vec::new();
    for (name, build) in examples::all_apps() {
        let artifacts =
            synth(&build(), &Backend::ALL).unwrap_or_else(|e| panic!("app {name} does not synthesize:\n{e}"));
        out.extend(artifacts.into_iter().map(|a| (name, a)));
    }
    out
}

fn write_out(dir: &Path) -> Vec<(&'static str, Artifact, PathBuf)> {
    all_artifacts()
        .into_iter()
        .map(|(name, a)| {
            let path = dir.join(name).join(&a.relative_path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &a.text).unwrap();
            (name, a, path)
        })
        .collect()
}

#[test]
fn every_template_matches_its_reviewed_snapshot() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/../snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for (name, a) in all_artifacts() {
            let snapshot = format!("{name}__{}__{}", a.stack, a.backend.name());
            insta::assert_snapshot!(snapshot, a.text);
        }
    });
}

#[test]
fn synthesizing_twice_gives_byte_identical_output() {
    for (name, build) in examples::all_apps() {
        let first = synth(&build(), &Backend::ALL).unwrap();
        let second = synth(&build(), &Backend::ALL).unwrap();
        assert_eq!(first, second, "app {name} is not deterministic");
        for a in &first {
            assert!(a.text.ends_with("}\n"), "{} lacks a trailing newline", a.relative_path);
        }
    }
}

#[test]
fn every_cloudformation_template_passes_cfn_lint() {
    let Some(tool) = tools::require(tools::cfn_lint(), "cfn-lint") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let templates: Vec<PathBuf> = write_out(dir.path())
        .into_iter()
        .filter(|(_, a, _)| a.backend == Backend::CloudFormation)
        .map(|(_, _, p)| p)
        .collect();
    assert!(!templates.is_empty());
    if let Err(report) = tools::run_cfn_lint(&tool, &templates) {
        panic!("{report}");
    }
}

#[test]
fn every_terraform_module_passes_init_and_validate() {
    let Some(tool) = tools::require(tools::terraform(), "terraform validate") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cfg = tools::TerraformConfig::new(dir.path()).unwrap();
    let modules: Vec<PathBuf> = write_out(&dir.path().join("out"))
        .into_iter()
        .filter(|(_, a, _)| a.backend == Backend::Terraform)
        .map(|(_, _, p)| p.parent().unwrap().to_path_buf())
        .collect();
    assert!(!modules.is_empty());
    let failures: Vec<String> = modules
        .iter()
        .filter_map(|m| tools::run_terraform_validate(&tool, &cfg, m).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
