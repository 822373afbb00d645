//! `deploy --target terraform --yes` through the examples' own binaries against a
//! moto_server on loopback: `minimal` (one bucket) and `storage` (bucket, table,
//! log group, repository, security group, role), each applied, applied again
//! with nothing to do, and destroyed; and `minimal` on CloudFormation. The
//! module is what `synth` writes; the test only adds a `moto_override.tf.json`
//! beside it (path-style S3 on loopback) and `AWS_ENDPOINT_URL`.

use std::path::Path;
use std::process::Command;

use serde_json::Value as Json;
use stack::tools::{self, MotoServer, Run};

struct World {
    server: MotoServer,
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl World {
    fn start(check: &str, terraform: bool) -> Option<World> {
        let moto = tools::require(tools::moto_server(), check)?;
        let dir = tempfile::tempdir().unwrap();
        let server = MotoServer::start(&moto).expect("moto_server starts");
        let mut env = server.aws_env();
        if terraform {
            tools::require(tools::terraform(), check)?;
            let cfg = tools::TerraformConfig::new(dir.path()).unwrap();
            env.push(("TF_CLI_CONFIG_FILE".into(), cfg.file.display().to_string()));
        }
        Some(World { server, dir, env })
    }

    fn run(&self, binary: &str, args: &[&str]) -> Run {
        tools::run_cli(Path::new(binary), args, self.dir.path(), &self.env)
    }

    /// Points the stack's Terraform module at moto without changing it.
    fn override_for(&self, stack: &str) {
        let dir = self.dir.path().join("out/terraform").join(stack);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("moto_override.tf.json"), tools::TERRAFORM_MOTO_OVERRIDE).unwrap();
    }

    fn outputs(&self, stack: &str) -> Json {
        let path = self.dir.path().join("out/outputs").join(format!("{stack}.json"));
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
            .unwrap()
    }
}

/// Applies, re-applies (nothing to do) and destroys one example on Terraform.
fn terraform_round_trip(w: &World, binary: &str, stack: &str, adds: usize) {
    w.override_for(stack);
    let deploy = w.run(binary, &["deploy", "--target", "terraform", "--yes"]);
    assert_eq!(deploy.code, 0, "{}", deploy.all());
    assert!(
        deploy.stdout.contains(&format!(
            "{stack}: {adds} to add, 0 to change, 0 to replace, 0 to remove"
        )),
        "{}",
        deploy.all()
    );
    assert!(deploy.stdout.contains("CREATE_COMPLETE"), "{}", deploy.all());
    let state = w
        .dir
        .path()
        .join(format!("state/terraform/default/{stack}/terraform.tfstate"));
    assert!(state.is_file(), "local state in {}", state.display());
    let outputs = w.outputs(stack);
    assert!(
        outputs["BucketName"].as_str().is_some_and(|b| !b.is_empty()),
        "{outputs}"
    );

    let again = w.run(binary, &["deploy", "--target", "terraform", "--yes"]);
    assert_eq!(again.code, 0, "{}", again.all());
    assert!(
        again
            .stdout
            .contains(&format!("{stack}: no changes; nothing to deploy.")),
        "{}",
        again.all()
    );
    let diff = w.run(binary, &["diff", "--target", "terraform"]);
    assert_eq!(diff.code, 0, "{}", diff.all());

    let destroy = w.run(binary, &["destroy", "--target", "terraform", "--yes"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    assert!(
        destroy.stdout.contains(&format!(
            "{stack}: 0 to add, 0 to change, 0 to replace, {adds} to remove"
        )),
        "{}",
        destroy.all()
    );
    assert!(destroy.stdout.contains("DELETE_COMPLETE"), "{}", destroy.all());
    assert!(state.is_file(), "the state file is kept");
    let after = w.run(binary, &["destroy", "--target", "terraform", "--yes"]);
    assert!(
        after.stdout.contains(&format!("{stack}: nothing to destroy.")),
        "{}",
        after.all()
    );
}

#[test]
fn minimal_deploys_and_destroys_with_terraform_on_moto() {
    let Some(w) = World::start("terraform deploy of minimal on moto", true) else {
        return;
    };
    let resources =
        constructs::synth(&examples::minimal::app(), &[constructs::Backend::Terraform]).unwrap()[0].resource_count;
    terraform_round_trip(&w, env!("CARGO_BIN_EXE_minimal"), "Minimal", resources);
}

#[test]
fn storage_deploys_and_destroys_with_terraform_on_moto() {
    let Some(w) = World::start("terraform deploy of storage on moto", true) else {
        return;
    };
    let python = tools::require(tools::python_with_boto3(), "terraform deploy of storage on moto").unwrap();
    // The VPC the storage example looks up by its Name tag.
    let code = format!(
        "import boto3\ns = boto3.session.Session(aws_access_key_id='testing', aws_secret_access_key='testing', region_name='eu-west-2')\nec2 = s.client('ec2', endpoint_url='{}')\nv = ec2.create_vpc(CidrBlock='10.0.0.0/16')['Vpc']['VpcId']\nec2.create_tags(Resources=[v], Tags=[{{'Key': 'Name', 'Value': 'main'}}])",
        w.server.endpoint
    );
    let out = Command::new(&python.path).args(["-c", &code]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let resources =
        constructs::synth(&examples::storage::app(), &[constructs::Backend::Terraform]).unwrap()[0].resource_count;
    terraform_round_trip(&w, env!("CARGO_BIN_EXE_storage"), "Storage", resources);
}

#[test]
fn minimal_deploys_and_destroys_with_cloudformation_on_moto() {
    let Some(w) = World::start("cloudformation deploy of minimal on moto", false) else {
        return;
    };
    let bin = env!("CARGO_BIN_EXE_minimal");
    let diff = w.run(bin, &["diff"]);
    assert_eq!(diff.code, 2, "{}", diff.all());
    assert!(
        diff.stdout
            .starts_with("Environment-agnostic app: using the credentials' account 123456789012 in eu-west-2"),
        "{}",
        diff.all()
    );
    let deploy = w.run(bin, &["deploy"]);
    assert_eq!(
        deploy.code,
        0,
        "a bucket and its TLS-only policy need no approval: {}",
        deploy.all()
    );
    assert!(
        deploy.stdout.contains("Minimal: deployed (CREATE_COMPLETE)"),
        "{}",
        deploy.all()
    );
    let again = w.run(bin, &["deploy"]);
    assert!(
        again.stdout.contains("Minimal: no changes; nothing to deploy."),
        "{}",
        again.all()
    );
    let destroy = w.run(bin, &["destroy"]);
    assert_eq!(destroy.code, 1, "destroy always asks: {}", destroy.all());
    assert!(
        destroy
            .stderr
            .contains("error: approval needed (destroying stack Minimal deletes ")
            && destroy.stderr.contains("rerun with --yes."),
        "{}",
        destroy.all()
    );
    let destroy = w.run(bin, &["destroy", "--yes"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    assert!(
        destroy
            .stdout
            .contains("Retained, left in the account and no longer managed (1):\n  AWS::S3::Bucket Files"),
        "{}",
        destroy.all()
    );
}
