//! Environment files: the shipped ones load; bad ones get an error naming the
//! file, the field and what is expected; the committed JSON Schema is current.

use std::path::Path;

use clap::Parser;
use stack::cli::{run_with, AppSource, Cli};
use stack::environment::{self, Environment, EnvironmentError};

const GOOD: &str = r#"{
  "account": "123456789012",
  "region": "eu-west-2",
  "vpc": { "name_tag": "main" },
  "private_subnets": { "ids": ["subnet-0123456789abcdef0"] },
  "load_balancer": { "name": "lb-private" },
  "listener": { "port": 443 },
  "load_balancer_security_group": { "id": "sg-0123456789abcdef0" },
  "desired_count": 2
}"#;

fn parse(text: &str) -> Result<Environment, Vec<EnvironmentError>> {
    environment::parse(Path::new("envs/test.json"), text)
}

fn single_error(text: &str) -> EnvironmentError {
    let errors = parse(text).expect_err("the file is rejected");
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors.into_iter().next().unwrap()
}

#[test]
fn shipped_environment_files_load() {
    for name in environment::names(&stack::vault::environments_dir().unwrap()) {
        stack::vault::app_for_environment(&name).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    }
    assert_eq!(
        environment::names(&stack::vault::environments_dir().unwrap()),
        ["dev", "prod"]
    );
    assert!(parse(GOOD).is_ok());
}

#[test]
fn a_missing_field_is_named() {
    let e = single_error(&GOOD.replace(r#""region": "eu-west-2","#, ""));
    assert_eq!(e.file, Path::new("envs/test.json"));
    assert!(e.message.contains("missing field `region`"), "{e}");
    assert!(e.to_string().starts_with("envs/test.json: "), "{e}");
}

#[test]
fn a_wrong_type_names_the_field_and_the_expected_type() {
    let e = single_error(&GOOD.replace(r#""desired_count": 2"#, r#""desired_count": "two""#));
    assert_eq!(e.field, "desired_count");
    assert!(e.message.contains("expected u32"), "{e}");
}

#[test]
fn an_unknown_field_is_rejected() {
    let e = single_error(&GOOD.replace(r#""region""#, r#""regoin": "x", "region""#));
    assert!(e.message.contains("unknown field `regoin`"), "{e}");
    let nested = single_error(&GOOD.replace(r#"{ "port": 443 }"#, r#"{ "port": 443, "protocol": "HTTPS" }"#));
    assert_eq!(nested.field, "listener.protocol");
    assert!(
        nested
            .message
            .contains("unknown field `protocol`, expected `arn` or `port`"),
        "{nested}"
    );
    let both = single_error(&GOOD.replace(r#"{ "port": 443 }"#, r#"{ "port": 443, "arn": "arn:x" }"#));
    assert_eq!(both.field, "listener");
    assert!(
        both.message.starts_with("give exactly one of `arn` or `port`"),
        "{both}"
    );
}

#[test]
fn an_invalid_subnet_id_names_its_index() {
    let e = single_error(&GOOD.replace("subnet-0123456789abcdef0", "subnet-xyz"));
    assert_eq!(e.field, "private_subnets.ids[0]");
    assert!(e.message.contains("is not a subnet id"), "{e}");
}

#[test]
fn every_format_problem_is_reported_at_once() {
    let text = GOOD
        .replace("123456789012", "1234")
        .replace("eu-west-2", "Europe")
        .replace(r#""desired_count": 2"#, r#""desired_count": 1001"#);
    let errors = parse(&text).unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["account", "region", "desired_count"]);
}

#[test]
fn an_unknown_environment_lists_the_known_ones() {
    let errors = environment::load::<Environment>(&stack::vault::environments_dir().unwrap(), "staging").unwrap_err();
    assert!(
        errors[0].message.contains("no environment named \"staging\""),
        "{}",
        errors[0]
    );
    assert!(errors[0].message.contains("dev, prod"), "{}", errors[0]);
}

#[test]
fn the_cli_reports_a_bad_environment_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken.json"), GOOD.replace("\"region\"", "\"regoin\"")).unwrap();
    let out = dir.path().join("out");
    let cli = Cli::try_parse_from(["stack", "synth", "--env", "broken", "--out", out.to_str().unwrap()]).unwrap();
    let source = AppSource::with_environments(dir.path(), "dev", stack::vault::app);
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let code = run_with(cli, source, &mut stdout, &mut stderr);
    assert_eq!(code, std::process::ExitCode::FAILURE);
    let stderr = String::from_utf8(stderr).unwrap();
    assert!(stderr.contains("broken.json") && stderr.contains("regoin"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn the_committed_schema_is_current() {
    let committed = std::fs::read_to_string(format!(
        "{}/environment.schema.json",
        std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo test")
    ))
    .unwrap();
    assert_eq!(
        committed,
        environment::json_schema::<Environment>(),
        "regenerate it: cargo run -p stack -- schema > stack/environment.schema.json"
    );
}
