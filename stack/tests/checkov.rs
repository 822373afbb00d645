//! checkov (pinned, in its own virtual environment) over every app the project
//! ships, in both targets, in one checkov run: the vault stack (each
//! environment) and every example of `examples::all_apps()`.
//!
//! - The vault stack fails nothing in CloudFormation: what checkov would flag
//!   is fixed, or suppressed with a reason through `stack.suppress`, which
//!   checkov reads from `Metadata.checkov.skip` and reports as skipped.
//! - In Terraform JSON every check checkov fails on the vault stack is one its
//!   resource skips, with a reason, in a `checkov:skip=<id>:<reason>` line of
//!   its `//` comment, and there is no other. checkov 3.3.30's
//!   `terraform_json` runner reads no inline skip at all (its runner passes an
//!   empty skip list to every check), so those count as failed there;
//!   `docs/checks.md` has the details.
//! - The examples fail exactly what they are expected to: `blog` reproduces
//!   the seed's flaws on purpose; `minimal` and `suppressions` use defaults
//!   that checkov's stricter checks flag, listed here with why.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use constructs::{synth, Backend};
use serde_json::Value as Json;
use stack::tools;

/// What checkov reported for one app in one framework.
#[derive(Debug, Default)]
struct Outcome {
    passed: usize,
    /// (check id, resource as checkov names it).
    failed: BTreeSet<(String, String)>,
    /// (check id, resource, suppress comment).
    skipped: BTreeSet<(String, String, String)>,
}

/// Writes every app's output under `dir/<app>/` and returns the Terraform
/// modules by app, for reading their `//` comments.
fn write_apps(dir: &Path) -> BTreeMap<&'static str, Vec<Json>> {
    let mut modules: BTreeMap<&'static str, Vec<Json>> = BTreeMap::new();
    for (name, build) in examples::all_apps() {
        let artifacts =
            synth(&build(), &Backend::ALL).unwrap_or_else(|e| panic!("app {name} does not synthesize:\n{e}"));
        for a in artifacts {
            let path = dir.join(name).join(&a.relative_path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &a.text).unwrap();
            for extra in &a.extra_files {
                std::fs::write(dir.join(name).join(&extra.relative_path), &extra.text).unwrap();
            }
            if a.backend == Backend::Terraform {
                modules
                    .entry(name)
                    .or_default()
                    .push(serde_json::from_str(&a.text).unwrap());
            }
        }
    }
    modules
}

/// Outcomes by (app, framework), from checkov's JSON reports.
fn outcomes(reports: &[Json]) -> BTreeMap<(String, String), Outcome> {
    let mut out: BTreeMap<(String, String), Outcome> = BTreeMap::new();
    for report in reports {
        let framework = report["check_type"].as_str().unwrap_or_default().to_string();
        let results = &report["results"];
        let app_of = |record: &Json| -> String {
            let file = record["file_path"].as_str().unwrap_or_default();
            file.trim_start_matches('/')
                .split('/')
                .next()
                .unwrap_or_default()
                .to_string()
        };
        for r in results["passed_checks"].as_array().into_iter().flatten() {
            out.entry((app_of(r), framework.clone())).or_default().passed += 1;
        }
        for r in results["failed_checks"].as_array().into_iter().flatten() {
            out.entry((app_of(r), framework.clone())).or_default().failed.insert((
                r["check_id"].as_str().unwrap().to_string(),
                r["resource"].as_str().unwrap().to_string(),
            ));
        }
        for r in results["skipped_checks"].as_array().into_iter().flatten() {
            out.entry((app_of(r), framework.clone())).or_default().skipped.insert((
                r["check_id"].as_str().unwrap().to_string(),
                r["resource"].as_str().unwrap().to_string(),
                r["check_result"]["suppress_comment"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            ));
        }
    }
    out
}

/// The `checkov:skip=` lines of every Terraform resource, as (check id,
/// `type.name`) and, because checkov 3.3.30 names resources of its Python
/// checks `resource.<name>` in Terraform JSON, (check id, `resource.name`) too.
fn terraform_skips(modules: &[Json]) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for module in modules {
        for (type_name, blocks) in module["resource"].as_object().into_iter().flatten() {
            for (name, body) in blocks.as_object().into_iter().flatten() {
                for line in body["//"].as_array().into_iter().flatten() {
                    let Some(rest) = line.as_str().and_then(|l| l.strip_prefix("checkov:skip=")) else {
                        continue;
                    };
                    let (id, reason) = rest.split_once(':').expect("checkov:skip=<id>:<reason>");
                    assert!(
                        !reason.trim().is_empty(),
                        "{type_name}.{name} skips {id} without a reason"
                    );
                    out.insert((id.to_string(), format!("{type_name}.{name}")));
                    out.insert((id.to_string(), format!("resource.{name}")));
                }
            }
        }
    }
    out
}

fn pairs(list: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

#[test]
fn checkov_passes_the_vault_stack_and_flags_exactly_what_each_example_is_expected_to() {
    let Some(tool) = tools::require(tools::checkov(), "checkov scan") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let modules = write_apps(dir.path());
    let reports =
        tools::run_checkov(&tool, dir.path(), &["cloudformation", "terraform_json"]).unwrap_or_else(|e| panic!("{e}"));
    let found = outcomes(&reports);
    for ((app, framework), o) in &found {
        tools::announce(&format!(
            "checkov {} {app} {framework}: {} passed, {} failed, {} skipped",
            tool.version,
            o.passed,
            o.failed.len(),
            o.skipped.len()
        ));
    }
    let get = |app: &str, framework: &str| {
        found
            .get(&(app.to_string(), framework.to_string()))
            .unwrap_or_else(|| panic!("checkov reported nothing for {app} {framework}"))
    };

    for env in ["vault-dev", "vault-prod"] {
        let cfn = get(env, "cloudformation");
        assert!(cfn.failed.is_empty(), "{env} CloudFormation fails {:#?}", cfn.failed);
        let skipped: BTreeSet<(String, String)> =
            cfn.skipped.iter().map(|(id, r, _)| (id.clone(), r.clone())).collect();
        assert_eq!(
            skipped,
            pairs(&[
                ("CKV_AWS_18", "AWS::S3::Bucket.Objects"),
                ("CKV_AWS_260", "AWS::EC2::SecurityGroup.ApiSecurityGroup"),
            ]),
            "{env}"
        );
        assert!(
            cfn.skipped.iter().all(|(_, _, why)| !why.is_empty()),
            "every skip has its reason"
        );

        let tf = get(env, "terraform_json");
        let declared = terraform_skips(&modules[env]);
        let unexplained: Vec<_> = tf.failed.iter().filter(|f| !declared.contains(*f)).collect();
        assert!(
            unexplained.is_empty(),
            "{env} Terraform fails checks it does not skip with a reason: {unexplained:#?}"
        );
        assert_eq!(
            tf.failed,
            pairs(&[
                ("CKV2_AWS_62", "aws_s3_bucket.objects"),
                ("CKV_AWS_144", "aws_s3_bucket.objects"),
                ("CKV_AWS_18", "aws_s3_bucket.objects"),
                ("CKV_AWS_260", "resource.api_security_group_ingress_0"),
                ("CKV_AWS_378", "aws_lb_target_group.api_target_group"),
            ]),
            "{env}: exactly the reasoned exceptions, which checkov's terraform_json runner cannot read"
        );
    }

    // What checkov does apply to Terraform JSON: the baseline synth writes
    // from the same suppressions. With it, the vault stack fails nothing and
    // the reasoned exceptions are reported as skipped.
    let vault = dir.path().join("vault-dev/terraform/Vault");
    let baseline = vault.join(".checkov.baseline");
    assert!(
        baseline.is_file(),
        "synth writes the Terraform module's checkov baseline"
    );
    let with_baseline = tools::run_checkov_with_baseline(&tool, &vault, &["terraform_json"], Some(&baseline))
        .unwrap_or_else(|e| panic!("{e}"));
    let summary = &with_baseline[0]["summary"];
    tools::announce(&format!(
        "checkov {} vault-dev terraform_json with its baseline: {} passed, {} failed, {} skipped",
        tool.version, summary["passed"], summary["failed"], summary["skipped"]
    ));
    assert_eq!(
        summary["failed"], 0,
        "{:#}",
        with_baseline[0]["results"]["failed_checks"]
    );
    assert_eq!(summary["skipped"], 5);

    // blog: the seed's flaws, which `check` reports too (see examples/tests/checks.rs).
    let blog_cfn = get("blog", "cloudformation");
    assert_eq!(
        blog_cfn.failed,
        pairs(&[
            // rules without descriptions (ec2-rule-description)
            ("CKV_AWS_23", "AWS::EC2::SecurityGroup.EcsTasks"),
            // ecr:*, elasticloadbalancing:*, logs:*, cloudwatch:* (iam-wildcard-action, -resource)
            ("CKV_AWS_109", "AWS::IAM::Role.VaultRole"),
            ("CKV_AWS_111", "AWS::IAM::Role.VaultRole"),
            // Principal "*" on the repository (iam-wildcard-principal)
            ("CKV_AWS_32", "AWS::ECR::Repository.Repo"),
            // mutable tags, no scan on push, no customer key
            ("CKV_AWS_51", "AWS::ECR::Repository.Repo"),
            ("CKV_AWS_136", "AWS::ECR::Repository.Repo"),
            ("CKV_AWS_163", "AWS::ECR::Repository.Repo"),
            // Container Insights off (ecs-container-insights)
            ("CKV_AWS_65", "AWS::ECS::Cluster.FargateCluster"),
        ])
    );
    assert!(blog_cfn.skipped.is_empty());
    assert_eq!(
        get("blog", "terraform_json").failed,
        pairs(&[
            ("CKV_AWS_23", "resource.ecs_tasks_egress_0"),
            ("CKV_AWS_23", "resource.ecs_tasks_ingress_0"),
            // the same referenced-security-group false positive as the vault's
            ("CKV_AWS_260", "resource.ecs_tasks_ingress_0"),
            ("CKV_AWS_51", "resource.repo"),
            ("CKV_AWS_136", "resource.repo"),
            ("CKV_AWS_163", "resource.repo"),
            ("CKV_AWS_65", "resource.fargate_cluster"),
            ("CKV_AWS_378", "aws_lb_target_group.vault_api"),
        ])
    );

    // minimal: the library's defaults for a bucket that is not declared
    // sensitive: SSE-S3 rather than a customer key (CKV_AWS_145), and no access
    // logs, event notifications or replication, which checkov asks of every bucket.
    assert_eq!(
        get("minimal", "cloudformation").failed,
        pairs(&[("CKV_AWS_18", "AWS::S3::Bucket.Files")])
    );
    assert_eq!(
        get("minimal", "terraform_json").failed,
        pairs(&[
            ("CKV2_AWS_62", "aws_s3_bucket.files"),
            ("CKV_AWS_144", "aws_s3_bucket.files"),
            ("CKV_AWS_145", "aws_s3_bucket.files"),
            ("CKV_AWS_18", "aws_s3_bucket.files"),
        ])
    );

    // suppressions: its three reasoned exceptions are skipped in CloudFormation
    // (ec2-open-ingress as CKV_AWS_24/25/260 (CKV_AWS_277 is Terraform-only),
    // s3-versioning as CKV_AWS_21, and CKV_AWS_18 by id).
    let sup_cfn = get("suppressions", "cloudformation");
    assert!(sup_cfn.failed.is_empty(), "{:#?}", sup_cfn.failed);
    let skipped: BTreeSet<(String, String)> = sup_cfn
        .skipped
        .iter()
        .map(|(id, r, _)| (id.clone(), r.clone()))
        .collect();
    assert_eq!(
        skipped,
        pairs(&[
            ("CKV_AWS_18", "AWS::S3::Bucket.BuildScratch"),
            ("CKV_AWS_21", "AWS::S3::Bucket.BuildScratch"),
            ("CKV_AWS_24", "AWS::EC2::SecurityGroup.EdgeSecurityGroup"),
            ("CKV_AWS_25", "AWS::EC2::SecurityGroup.EdgeSecurityGroup"),
            ("CKV_AWS_260", "AWS::EC2::SecurityGroup.EdgeSecurityGroup"),
        ])
    );
    let sup_tf = get("suppressions", "terraform_json");
    let declared = terraform_skips(&modules["suppressions"]);
    assert_eq!(
        sup_tf.failed,
        pairs(&[
            // skipped with a reason in the // comment, unread by terraform_json
            ("CKV_AWS_18", "aws_s3_bucket.build_scratch"),
            ("CKV_AWS_21", "aws_s3_bucket.build_scratch"),
            // defaults of a bucket not declared sensitive, as in minimal
            ("CKV2_AWS_62", "aws_s3_bucket.build_scratch"),
            ("CKV_AWS_144", "aws_s3_bucket.build_scratch"),
            ("CKV_AWS_145", "aws_s3_bucket.build_scratch"),
            // the group is an output for a load balancer outside the stack
            ("CKV2_AWS_5", "aws_security_group.edge_security_group"),
        ])
    );
    for skipped in [
        ("CKV_AWS_18", "aws_s3_bucket.build_scratch"),
        ("CKV_AWS_21", "aws_s3_bucket.build_scratch"),
    ] {
        assert!(declared.contains(&(skipped.0.to_string(), skipped.1.to_string())));
    }

    // orders, a team's crate: clean in both targets. Its queues use SSE-SQS,
    // which checkov's CloudFormation CKV_AWS_27 does not recognise (its
    // Terraform check does), so the team suppresses that id with the reason.
    let orders_cfn = get("orders", "cloudformation");
    assert!(orders_cfn.failed.is_empty(), "{:#?}", orders_cfn.failed);
    let skipped: BTreeSet<(String, String)> = orders_cfn
        .skipped
        .iter()
        .map(|(id, r, _)| (id.clone(), r.clone()))
        .collect();
    assert_eq!(
        skipped,
        pairs(&[
            ("CKV_AWS_27", "AWS::SQS::Queue.DeadLetters"),
            ("CKV_AWS_27", "AWS::SQS::Queue.Work"),
        ])
    );
    assert!(get("orders", "terraform_json").failed.is_empty());
    // Every app was scanned in both targets.
    for (app, _) in examples::all_apps() {
        get(app, "cloudformation");
        get(app, "terraform_json");
    }
}
