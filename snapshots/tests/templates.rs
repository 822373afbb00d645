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

/// Compares every template of one app with its snapshot (`<app>__<Stack>__<backend>.snap`
/// in this package's folder). Every template is compared even when an earlier
/// one differs, so `cargo insta review` shows all the changes at once.
fn snapshot_app(name: &str) {
    let build = examples::all_apps()
        .into_iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no app named {name} in examples::all_apps()"))
        .1;
    let artifacts = synth(&build(), &Backend::ALL).unwrap_or_else(|e| panic!("app {name} does not synthesize:\n{e}"));
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(env!("CARGO_MANIFEST_DIR"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    let mut changed = Vec::new();
    for a in &artifacts {
        let snapshot = format!("{name}__{}__{}", a.stack, a.backend.name());
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            settings.bind(|| insta::assert_snapshot!(snapshot.clone(), a.text));
        }));
        if result.is_err() {
            changed.push(snapshot);
        }
    }
    assert!(
        changed.is_empty(),
        "templates differ from their reviewed snapshots: {}; review with `cargo insta review`",
        changed.join(", ")
    );
}

/// One test per app, so one changed app does not hide another.
macro_rules! snapshot_tests {
    ($($test:ident => $app:literal),+ $(,)?) => {
        $(
            #[test]
            fn $test() {
                snapshot_app($app);
            }
        )+

        #[test]
        fn every_app_has_a_snapshot_test() {
            let tested = [$($app),+];
            let apps: Vec<&str> = examples::all_apps().into_iter().map(|(n, _)| n).collect();
            assert_eq!(apps, tested, "add the new app to snapshot_tests! in snapshots/tests/templates.rs");
        }
    };
}

snapshot_tests! {
    vault_dev_matches_its_snapshots => "vault-dev",
    vault_prod_matches_its_snapshots => "vault-prod",
    blog_matches_its_snapshots => "blog",
    minimal_matches_its_snapshots => "minimal",
    storage_matches_its_snapshots => "storage",
    suppressions_matches_its_snapshots => "suppressions",
    orders_matches_its_snapshots => "orders",
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
