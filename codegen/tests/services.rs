//! Every Terraform resource and data source of the pinned provider maps to a
//! service (and so to a module and a cargo feature). Reads the committed
//! schema metadata, so it needs no external tool.

use std::collections::BTreeSet;

fn names(file: &str) -> Vec<String> {
    let path = codegen::workspace_root()
        .join("constructs/src/schema/generated")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .skip(1)
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["t"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn every_terraform_name_maps_to_a_service() {
    let cfn_services: BTreeSet<String> = names("cloudformation.jsonl")
        .iter()
        .map(|t| t.split("::").nth(1).unwrap().to_ascii_lowercase())
        .collect();
    let tf = names("terraform.jsonl");
    assert!(tf.len() > 2000, "{} Terraform names", tf.len());
    let unmapped: Vec<String> = tf
        .iter()
        .filter_map(|n| codegen::services::terraform_service(n, &cfn_services).err())
        .collect();
    assert!(unmapped.is_empty(), "{}", unmapped.join("\n"));
    // The names CloudFormation has too land in CloudFormation's service.
    for (name, service) in [
        ("aws_lb", "elasticloadbalancingv2"),
        ("aws_cloudwatch_log_group", "logs"),
        ("aws_vpc", "ec2"),
        ("aws_subnet", "ec2"),
        ("aws_security_group", "ec2"),
        ("aws_sqs_queue", "sqs"),
        ("aws_db_instance", "rds"),
        ("aws_sfn_state_machine", "stepfunctions"),
    ] {
        assert_eq!(
            codegen::services::terraform_service(name, &cfn_services).unwrap(),
            service
        );
    }
    // Terraform-only services are named as the provider names them, and only
    // where CloudFormation has no such service.
    for s in codegen::services::TERRAFORM_ONLY {
        assert!(!cfn_services.contains(*s), "{s} is a CloudFormation service");
    }
}
