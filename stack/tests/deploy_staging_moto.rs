//! A template over CloudFormation's 51,200-byte inline limit goes through the
//! staging bucket: without `bootstrap` the deploy refuses and names the
//! command; after it, the template is uploaded and the stack is created from
//! its S3 URL (moto reads it back from its S3). In-process through
//! `stack::cli::run_with`, alone in its test binary because it points the AWS
//! environment variables of this process at moto.
#![cfg(feature = "deploy")]

use std::process::ExitCode;

use clap::Parser;
use constructs::prelude::*;
use stack::cli::{run_with, AppSource, Cli};
use stack::tools::{self, MotoServer};

/// 300 log groups: a template of about 90 kB.
fn big() -> App {
    let mut app = App::new();
    let stack = app.stack("Big");
    for i in 0..300 {
        stack.add(
            &format!("Logs{i}"),
            LogGroup::new(&format!("/big/service-{i:03}/application")),
        );
    }
    app
}

fn run(args: &[&str]) -> (ExitCode, String, String) {
    let cli = Cli::try_parse_from(std::iter::once("big").chain(args.iter().copied())).unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run_with(cli, AppSource::new(big), &mut out, &mut err);
    (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
}

#[test]
fn a_large_template_needs_bootstrap_then_deploys_through_the_staging_bucket() {
    let Some(moto) = tools::require(tools::moto_server(), "staging bucket on moto") else {
        return;
    };
    let server = MotoServer::start(&moto).expect("moto_server starts");
    let dir = tempfile::tempdir().unwrap();
    for k in ["AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION"] {
        std::env::remove_var(k);
    }
    std::env::set_var("AWS_CONFIG_FILE", dir.path().join("none"));
    std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", dir.path().join("none"));
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    for (k, v) in server.aws_env() {
        std::env::set_var(k, v);
    }
    let size = constructs::synth(&big(), &[Backend::CloudFormation]).unwrap()[0]
        .text
        .len();
    assert!(size > 51_200, "the template is {size} bytes");
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();

    let (code, _, err) = run(&["deploy", "--yes", "--out", out]);
    assert_eq!(code, ExitCode::FAILURE, "{err}");
    assert!(
        err.contains(&format!("error: the template of Big is {size} bytes, over CloudFormation's inline limit of 51200, so it must be staged in s3://deploy-staging-123456789012-eu-west-2, which does not exist. Run `bootstrap` once for account 123456789012 in eu-west-2, then deploy again. Nothing was changed.")),
        "{err}"
    );

    let (code, stdout, err) = run(&["bootstrap", "--yes", "--out", out]);
    assert_eq!(code, ExitCode::SUCCESS, "{stdout}{err}");
    assert!(
        stdout.contains("Bootstrapping account 123456789012 in eu-west-2: stack DeployStaging, bucket deploy-staging-123456789012-eu-west-2"),
        "{stdout}"
    );
    assert!(stdout.contains("DeployStaging: deployed (CREATE_COMPLETE)"), "{stdout}");

    let (code, stdout, err) = run(&["deploy", "--yes", "--out", out]);
    assert_eq!(code, ExitCode::SUCCESS, "{stdout}{err}");
    assert!(stdout.contains("Big: 300 to add"), "{stdout}");
    assert!(stdout.contains("Big: deployed (CREATE_COMPLETE)"), "{stdout}");
}
