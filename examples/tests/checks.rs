//! The checks on the shipped apps: the blog's stack yields exactly the findings
//! that match its real flaws; the vault stack and the other examples yield none.

use constructs::checks;

#[test]
fn the_blog_stack_yields_exactly_its_real_flaws() {
    let report = checks::check(&examples::blog::app());
    let found: Vec<(&str, &str)> = report.findings.iter().map(|f| (f.rule.id, f.path.as_str())).collect();
    assert_eq!(
        found,
        [
            ("ec2-open-egress", "Blog/EcsTasks"),
            // neither of its two rules says what it is for
            ("ec2-rule-description", "Blog/EcsTasks"),
            // ecr:*, elasticloadbalancing:*, logs:* + cloudwatch:*
            ("iam-wildcard-action", "Blog/VaultRole"),
            ("iam-wildcard-action", "Blog/VaultRole"),
            ("iam-wildcard-action", "Blog/VaultRole"),
            // ecr:* on *, elasticloadbalancing:* on *, logs:* on the whole account
            ("iam-wildcard-resource", "Blog/VaultRole"),
            ("iam-wildcard-resource", "Blog/VaultRole"),
            ("iam-wildcard-resource", "Blog/VaultRole"),
            // trusted by ecs.amazonaws.com as well as ecs-tasks.amazonaws.com
            ("iam-broad-trust", "Blog/VaultRole"),
            // Principal "*" with push, delete and set-policy actions
            ("iam-wildcard-principal", "Blog/Repo"),
            ("ecr-scan-on-push", "Blog/Repo"),
            ("ecr-mutable-tags", "Blog/Repo"),
            ("ecs-container-insights", "Blog/FargateCluster"),
            // awslogs-create-group: a log group without retention
            ("logs-retention", "Blog/Definition"),
            ("ecs-readonly-root-filesystem", "Blog/Definition"),
            ("ecs-circuit-breaker", "Blog/VaultApiService"),
            // no ordering between the service and its listener rule
            ("ecs-service-before-listener-rule", "Blog/VaultApiService"),
        ]
    );
    assert!(report.suppressed.is_empty());
    assert_eq!((report.errors(), report.warnings()), (9, 8));
    let principal = report
        .findings
        .iter()
        .find(|f| f.rule.id == "iam-wildcard-principal")
        .unwrap();
    assert!(
        principal.message.contains("ecr:DeleteRepository") && principal.message.contains("ecr:SetRepositoryPolicy")
    );
}

#[test]
fn the_vault_stack_and_the_other_examples_have_no_unsuppressed_findings() {
    for (name, build) in examples::all_apps() {
        if name == "blog" {
            continue;
        }
        let report = checks::check(&build());
        let found: Vec<String> = report
            .findings
            .iter()
            .map(|f| format!("{} {}: {}", f.rule.id, f.path, f.message))
            .collect();
        assert!(found.is_empty(), "{name}: {found:#?}");
        if name == "suppressions" {
            let suppressed: Vec<(&str, &str)> = report
                .suppressed
                .iter()
                .map(|s| (s.finding.rule.id, s.finding.path.as_str()))
                .collect();
            assert_eq!(
                suppressed,
                [
                    ("ec2-open-ingress", "Suppressions/EdgeSecurityGroup"),
                    ("ec2-open-ingress", "Suppressions/EdgeSecurityGroup"),
                    ("s3-versioning", "Suppressions/BuildScratch"),
                ]
            );
        } else {
            assert!(report.suppressed.is_empty(), "{name} needs no suppressions");
        }
    }
}
