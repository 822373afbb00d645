//! `check` and the checks inside `synth`: formats validate against their
//! schemas (SARIF 2.1.0), exit codes follow severities, failures write nothing.

use std::process::ExitCode;

use clap::Parser;
use constructs::prelude::*;
use serde_json::Value as Json;
use stack::cli::{run_with, AppSource, Cli};

fn run(args: &[&str], build: impl FnOnce() -> App) -> (ExitCode, String, String) {
    let cli = Cli::try_parse_from(std::iter::once("stack").chain(args.iter().copied())).expect("arguments parse");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run_with(cli, AppSource::new(build), &mut out, &mut err);
    (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
}

/// One error (open ingress), one warning (unversioned bucket), one suppressed finding.
fn flawed() -> App {
    let mut app = App::new();
    let stack = app.stack("Flawed");
    stack.add(
        "Open",
        SecurityGroup::new("d", "vpc-0123456789abcdef0").ingress(Rule::tcp(Peer::any_ipv4(), 22).description("SSH")),
    );
    stack.add("Files", Bucket::new().unversioned());
    let public = stack.add(
        "Public",
        SecurityGroup::new("d", "vpc-0123456789abcdef0").ingress(Rule::tcp(Peer::any_ipv4(), 443).description("HTTPS")),
    );
    stack.suppress(&public, "ec2-open-ingress", "public HTTPS endpoint behind AWS WAF");
    app
}

fn warning_only() -> App {
    let mut app = App::new();
    app.stack("Warn").add("Files", Bucket::new().unversioned());
    app
}

fn validator(schema: &Json) -> jsonschema::Validator {
    jsonschema::validator_for(schema).expect("schema compiles")
}

fn assert_valid(schema: &Json, doc: &Json) {
    let v = validator(schema);
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
}

#[test]
fn json_output_validates_against_its_schema() {
    let (code, out, _) = run(&["check", "--format", "json"], flawed);
    assert_eq!(code, ExitCode::FAILURE);
    let doc: Json = serde_json::from_str(&out).unwrap();
    let schema: Json = serde_json::from_str(&stack::report::json_schema()).unwrap();
    assert_valid(&schema, &doc);
    assert_eq!(
        doc["summary"],
        serde_json::json!({"errors": 1, "warnings": 1, "suppressed": 1})
    );
    assert_eq!(doc["findings"][0]["rule"], "ec2-open-ingress");
    assert_eq!(doc["findings"][0]["path"], "Flawed/Open");
    assert!(doc["findings"][0]["fix"]
        .as_str()
        .unwrap()
        .contains("tcp_from_security_group"));
    assert_eq!(doc["suppressed"][0]["reason"], "public HTTPS endpoint behind AWS WAF");
    // The schema is strict enough to catch a broken document.
    let mut broken = doc.clone();
    broken["summary"]["errors"] = Json::String("one".into());
    assert!(!validator(&schema).is_valid(&broken));
}

#[test]
fn sarif_output_validates_against_the_sarif_2_1_0_schema() {
    let (_, out, _) = run(&["check", "--format", "sarif"], flawed);
    let doc: Json = serde_json::from_str(&out).unwrap();
    let mut schema: Json = serde_json::from_str(include_str!("schemas/sarif-2.1.0-rtm.5.json")).unwrap();
    // The published schema's language-tag patterns have a stray `]` that strict
    // regex engines reject when checking the schema itself; escape it (what the
    // patterns accept is unchanged).
    assert_eq!(fix_language_patterns(&mut schema), 2);
    assert_valid(&schema, &doc);
    assert_eq!(doc["version"], "2.1.0");
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["ruleId"], "ec2-open-ingress");
    assert_eq!(results[0]["level"], "error");
    assert_eq!(
        results[0]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "Flawed/Open"
    );
    assert_eq!(
        results[2]["suppressions"][0]["justification"],
        "public HTTPS endpoint behind AWS WAF"
    );
    let rules = doc["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), constructs::checks::RULES.len());
    let index = results[0]["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[index]["id"], "ec2-open-ingress");
    let mut broken = doc.clone();
    broken["version"] = Json::String("2.0".into());
    assert!(!validator(&schema).is_valid(&broken));
}

#[test]
fn human_output_says_what_why_and_how_to_fix() {
    let (code, out, _) = run(&["check"], flawed);
    assert_eq!(code, ExitCode::FAILURE);
    assert!(
        out.contains("error[ec2-open-ingress] Flawed/Open: ingress allows tcp port 22 from 0.0.0.0/0"),
        "{out}"
    );
    assert!(out.contains("    why: ") && out.contains("    fix: "), "{out}");
    assert!(out.contains("suppressed[ec2-open-ingress] Flawed/Public"), "{out}");
    assert!(out.ends_with("1 error, 1 warning, 1 suppressed\n"), "{out}");
}

#[test]
fn warnings_pass_unless_strict() {
    assert_eq!(run(&["check"], warning_only).0, ExitCode::SUCCESS);
    assert_eq!(run(&["check", "--strict"], warning_only).0, ExitCode::FAILURE);
}

#[test]
fn synth_refuses_to_write_when_a_check_fails() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (code, _, err) = run(&["synth", "--out", out.to_str().unwrap()], flawed);
    assert_eq!(code, ExitCode::FAILURE);
    assert!(
        err.contains("error[ec2-open-ingress]") && err.contains("nothing was written"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn synth_prints_warnings_and_writes_unless_strict() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (code, _, err) = run(&["synth", "--out", out.to_str().unwrap()], warning_only);
    assert_eq!(code, ExitCode::SUCCESS);
    assert!(err.contains("warning[s3-versioning] Warn/Files"), "{err}");
    assert!(out.join("cloudformation/Warn.template.json").is_file());
    let strict_out = dir.path().join("strict");
    let (code, _, _) = run(
        &["synth", "--strict", "--out", strict_out.to_str().unwrap()],
        warning_only,
    );
    assert_eq!(code, ExitCode::FAILURE);
    assert!(!strict_out.exists());
}

#[test]
fn an_advisory_app_writes_despite_errors_but_check_still_fails() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(&["synth", "--out", dir.path().to_str().unwrap()], examples_blog_like);
    assert_eq!(code, ExitCode::SUCCESS);
    assert!(err.contains("advisory"), "{err}");
    assert_eq!(run(&["check"], examples_blog_like).0, ExitCode::FAILURE);
}

fn examples_blog_like() -> App {
    let mut app = flawed();
    app.set_checks_advisory("reproduces a flawed stack on purpose");
    app
}

#[test]
fn the_vault_stack_checks_clean() {
    let (code, out, _) = run(&["check", "--strict"], || {
        stack::vault::app_for_environment("dev").unwrap()
    });
    assert_eq!(code, ExitCode::SUCCESS, "{out}");
    assert_eq!(out, "0 errors, 0 warnings, 0 suppressed\n");
}

/// Escapes the stray `]` in the SARIF schema's language-tag patterns; returns how many it fixed.
fn fix_language_patterns(v: &mut Json) -> usize {
    const BROKEN: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
    match v {
        Json::Object(m) => {
            let mut n = 0;
            if m.get("pattern").and_then(Json::as_str) == Some(BROKEN) {
                m.insert(
                    "pattern".into(),
                    Json::String("^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$".into()),
                );
                n += 1;
            }
            n + m.values_mut().map(fix_language_patterns).sum::<usize>()
        }
        Json::Array(a) => a.iter_mut().map(fix_language_patterns).sum(),
        _ => 0,
    }
}
