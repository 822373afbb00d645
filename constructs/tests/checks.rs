//! One test per check rule: a minimal stack that triggers it and one that does
//! not; then suppressions (reason required, emitted into both outputs, subtree).

use constructs::checks::{self, Report, Severity};
use constructs::dynamodb::TableEncryption;
use constructs::ecs::{
    AwsLogs, CircuitBreaker, ContainerDefinition, ContainerInsights, EcsCluster, FargateService, FargateSize,
    FargateTaskDefinition, LoadBalancerTarget,
};
use constructs::iam::Condition;
use constructs::prelude::*;
use constructs::s3::BucketLifecycle;
use constructs::testing::{cfn_resource, problems, synth_one, tf_resource};
use serde_json::json;

const IMAGE: &str = "123456789012.dkr.ecr.eu-west-2.amazonaws.com/app:v1";
const EXEC: &str = "arn:aws:iam::123456789012:role/exec";
const VPC: &str = "vpc-0123456789abcdef0";
const LISTENER: &str =
    "arn:aws:elasticloadbalancing:eu-west-2:123456789012:listener/app/lb/0123456789abcdef/0123456789abcdef";

fn report(build: impl FnOnce(&mut Stack)) -> Report {
    let mut app = App::new();
    build(app.stack("S"));
    checks::check(&app)
}

/// The (rule, path) pairs found.
fn found(build: impl FnOnce(&mut Stack)) -> Vec<(&'static str, String)> {
    report(build)
        .findings
        .into_iter()
        .map(|f| (f.rule.id, f.path))
        .collect()
}

fn has(rule: &str, build: impl FnOnce(&mut Stack)) -> bool {
    found(build).iter().any(|(r, _)| *r == rule)
}

/// A task definition around `container`, logging to a group unless the container already logs.
fn task(container: ContainerDefinition) -> FargateTaskDefinition {
    let container = if container.logging.is_none() {
        container.logging(AwsLogs::new("/app", "app"))
    } else {
        container
    };
    FargateTaskDefinition::new("app", FargateSize::CPU_256_MEM_512)
        .execution_role(EXEC)
        .container(container)
}

fn service(stack: &mut Stack, configure: impl FnOnce(FargateService) -> FargateService) {
    let cluster = stack.add("Cluster", EcsCluster::new());
    let td = stack.add("Task", task(ContainerDefinition::new("app", IMAGE).port(80)));
    stack.add(
        "Service",
        configure(FargateService::new(
            cluster.arn(),
            td.arn(),
            vec!["subnet-0123456789abcdef0"],
        )),
    );
}

#[test]
fn iam_wildcard_principal_flags_open_resource_policies_and_trust() {
    let open =
        PolicyDocument::new().statement(Statement::allow().principal(Principal::Any).action("ecr:BatchGetImage"));
    assert_eq!(
        found(|s| {
            s.add("Repo", EcrRepo::new("r").policy(open));
        }),
        [("iam-wildcard-principal", "S/Repo".into())]
    );
    assert!(has("iam-wildcard-principal", |s| {
        s.add("Role", IamRole::new([Principal::Any]));
    }));
    let named = PolicyDocument::new().statement(
        Statement::allow()
            .principal(Principal::this_account())
            .action("ecr:BatchGetImage"),
    );
    assert!(found(|s| {
        s.add("Repo", EcrRepo::new("r").policy(named));
    })
    .is_empty());
    // A Deny for everyone (the TLS-only bucket policy) is not a grant.
    assert!(found(|s| {
        s.add("Bucket", Bucket::new());
    })
    .is_empty());
}

#[test]
fn iam_wildcard_action_flags_service_wildcards() {
    let role = |action: &str| {
        let mut r = IamRole::for_service("ecs-tasks.amazonaws.com");
        r.add_to_policy("p", Statement::allow().action(action).resource("arn:aws:s3:::b/*"));
        r
    };
    assert_eq!(
        found(|s| {
            s.add("Role", role("s3:*"));
        }),
        [("iam-wildcard-action", "S/Role".into())]
    );
    assert!(has("iam-wildcard-action", |s| {
        s.add("Role", role("*"));
    }));
    assert!(found(|s| {
        s.add("Role", role("s3:GetObject"));
    })
    .is_empty());
}

#[test]
fn iam_wildcard_resource_flags_star_when_the_stack_creates_the_resource() {
    let role = |action: &str, resource: &str| {
        let mut r = IamRole::for_service("ecs-tasks.amazonaws.com");
        r.add_to_policy("p", Statement::allow().action(action).resource(resource));
        r
    };
    let with_repo = |action: &'static str, resource: &'static str| {
        found(move |s| {
            s.add("Repo", EcrRepo::new("r"));
            s.add("Role", role(action, resource));
        })
    };
    assert_eq!(
        with_repo("ecr:BatchGetImage", "*"),
        [("iam-wildcard-resource", "S/Role".into())]
    );
    // An account-wide ARN is a wildcard too.
    assert_eq!(
        with_repo("ecr:BatchGetImage", "arn:aws:ecr:eu-west-2:123456789012:*"),
        [("iam-wildcard-resource", "S/Role".into())]
    );
    // Actions AWS only supports on "*" are fine.
    assert!(with_repo("ecr:GetAuthorizationToken", "*").is_empty());
    // No repository in the stack: no specific ARN is known.
    assert!(found(|s| {
        s.add("Role", role("ecr:BatchGetImage", "*"));
    })
    .is_empty());
    assert!(with_repo("ecr:BatchGetImage", "arn:aws:ecr:eu-west-2:123456789012:repository/r").is_empty());
}

#[test]
fn iam_broad_trust_flags_task_roles_trusted_by_more_than_ecs_tasks() {
    let build = |trust: Vec<Principal>| {
        found(move |s| {
            let role = s.add("Role", IamRole::new(trust));
            s.add(
                "Task",
                task(ContainerDefinition::new("app", IMAGE)).task_role(role.arn()),
            );
        })
    };
    assert_eq!(
        build(vec![
            Principal::service("ecs.amazonaws.com"),
            Principal::service("ecs-tasks.amazonaws.com")
        ]),
        [("iam-broad-trust", "S/Role".into())]
    );
    assert!(build(vec![Principal::service("ecs-tasks.amazonaws.com")]).is_empty());
}

#[test]
fn one_role_as_task_and_execution_role_is_flagged() {
    let build = |shared: bool| {
        found(move |s| {
            let a = s.add("A", IamRole::for_service("ecs-tasks.amazonaws.com"));
            let b = s.add("B", IamRole::for_service("ecs-tasks.amazonaws.com"));
            let task_role = if shared { a } else { b };
            s.add(
                "Task",
                FargateTaskDefinition::new("app", FargateSize::CPU_256_MEM_512)
                    .execution_role(a.arn())
                    .task_role(task_role.arn())
                    .container(ContainerDefinition::new("app", IMAGE).logging(AwsLogs::new("/app", "app"))),
            );
        })
    };
    assert_eq!(build(true), [("ecs-shared-task-execution-role", "S/Task".into())]);
    assert!(build(false).is_empty());
}

#[test]
fn ec2_open_ingress_flags_the_whole_internet() {
    let sg = |rule: Rule| SecurityGroup::new("d", VPC).ingress(rule.description("web"));
    assert_eq!(
        found(|s| {
            s.add("Sg", sg(Rule::tcp(Peer::any_ipv4(), 80)));
        }),
        [("ec2-open-ingress", "S/Sg".into())]
    );
    assert!(has("ec2-open-ingress", |s| {
        s.add("Sg", sg(Rule::tcp(Peer::any_ipv6(), 443)));
    }));
    assert!(found(|s| {
        s.add("Sg", sg(Rule::tcp(Peer::ipv4("10.0.0.0/16"), 80)));
    })
    .is_empty());
}

#[test]
fn ec2_open_egress_flags_all_traffic_to_anywhere_only() {
    let all = || {
        SecurityGroup::new("d", VPC)
            .no_egress()
            .egress(Rule::all_to_anywhere().description("everything"))
    };
    let f = found(|s| {
        s.add("Sg", all());
    });
    assert_eq!(f, [("ec2-open-egress", "S/Sg".into())]);
    assert_eq!(
        report(|s| {
            s.add("Sg", all());
        })
        .findings[0]
            .severity(),
        Severity::Warning
    );
    // The default (HTTPS to anywhere) is restricted by port.
    assert!(found(|s| {
        s.add("Sg", SecurityGroup::new("d", VPC));
    })
    .is_empty());
}

#[test]
fn s3_rules_flag_public_access_plain_http_and_no_versioning() {
    assert_eq!(
        found(|s| {
            s.add("B", Bucket::new().allow_public_access());
        }),
        [("s3-public-access", "S/B".into())]
    );
    assert_eq!(
        found(|s| {
            s.add("B", Bucket::new().allow_insecure_transport());
        }),
        [("s3-insecure-transport", "S/B".into())]
    );
    assert_eq!(
        found(|s| {
            s.add("B", Bucket::new().unversioned());
        }),
        [("s3-versioning", "S/B".into())]
    );
    assert!(found(|s| {
        s.add("B", Bucket::new());
    })
    .is_empty());
}

#[test]
fn s3_encryption_flags_escape_hatch_overrides_of_encryption() {
    let cfn = found(|s| {
        let b = s.add("B", Bucket::new());
        s.remove_property(&b, Backend::CloudFormation, "Properties.BucketEncryption");
    });
    assert_eq!(cfn, [("s3-encryption", "S/B".into())]);
    let tf = found(|s| {
        let b = s.add("B", Bucket::new());
        s.override_block_property(
            &b,
            Backend::Terraform,
            "aws_s3_bucket_server_side_encryption_configuration",
            "rule",
            None,
        );
    });
    assert_eq!(tf, [("s3-encryption", "S/B".into())]);
    assert!(found(|s| {
        let b = s.add("B", Bucket::new());
        s.override_property(&b, Backend::CloudFormation, "Properties.ObjectLockEnabled", json!(true));
    })
    .is_empty());
}

#[test]
fn dynamodb_rules_flag_missing_recovery_and_the_aws_owned_key() {
    let t = || DynamoTable::new("t-1", Key::string("id"));
    assert_eq!(
        found(|s| {
            s.add("T", t().without_point_in_time_recovery());
        }),
        [("dynamodb-point-in-time-recovery", "S/T".into())]
    );
    assert_eq!(
        found(|s| {
            s.add("T", t().encryption(TableEncryption::AwsOwned));
        }),
        [("dynamodb-aws-owned-key", "S/T".into())]
    );
    assert!(found(|s| {
        s.add("T", t());
    })
    .is_empty());
}

#[test]
fn logs_retention_flags_forever_and_agent_created_groups() {
    assert_eq!(
        found(|s| {
            s.add("L", LogGroup::new("/a").retention(Retention::Forever));
        }),
        [("logs-retention", "S/L".into())]
    );
    let logging = |create: bool| {
        let l = AwsLogs::new("/a", "app");
        if create {
            l.create_group()
        } else {
            l
        }
    };
    assert_eq!(
        found(|s| {
            s.add(
                "Task",
                task(ContainerDefinition::new("app", IMAGE).logging(logging(true))),
            );
        }),
        [("logs-retention", "S/Task".into())]
    );
    assert!(found(|s| {
        s.add(
            "Task",
            task(ContainerDefinition::new("app", IMAGE).logging(logging(false))),
        );
    })
    .is_empty());
    assert!(found(|s| {
        s.add("L", LogGroup::new("/a"));
    })
    .is_empty());
}

#[test]
fn ecr_rules_flag_no_scanning_and_mutable_tags() {
    assert_eq!(
        found(|s| {
            s.add("R", EcrRepo::new("r").without_scan_on_push());
        }),
        [("ecr-scan-on-push", "S/R".into())]
    );
    assert_eq!(
        found(|s| {
            s.add("R", EcrRepo::new("r").tag_mutability(TagMutability::Mutable));
        }),
        [("ecr-mutable-tags", "S/R".into())]
    );
    assert!(found(|s| {
        s.add("R", EcrRepo::new("r"));
    })
    .is_empty());
}

#[test]
fn ecs_service_rules_flag_no_breaker_low_minimum_and_public_ips() {
    let tg = LoadBalancerTarget::new(
        "app",
        80,
        "arn:aws:elasticloadbalancing:eu-west-2:123456789012:targetgroup/t/0123456789abcdef",
    );
    assert_eq!(
        found(|s| service(s, |svc| svc.circuit_breaker(CircuitBreaker::Disabled))),
        [("ecs-circuit-breaker", "S/Service".into())]
    );
    let low = tg.clone();
    assert_eq!(
        found(move |s| service(s, |svc| svc.load_balancer(low).deployment_percent(50, 200))),
        [("ecs-minimum-healthy", "S/Service".into())]
    );
    // Without a load balancer a lower minimum is a deliberate trade-off.
    assert!(found(|s| service(s, |svc| svc.deployment_percent(50, 200))).is_empty());
    assert_eq!(
        found(|s| service(s, |svc| svc.public_ip())),
        [("ecs-public-ip", "S/Service".into())]
    );
    assert!(found(move |s| service(s, |svc| svc.load_balancer(tg))).is_empty());
}

#[test]
fn ecs_container_rules_flag_secrets_root_and_writable_filesystems() {
    let one = |c: ContainerDefinition| {
        found(|s| {
            s.add("Task", task(c));
        })
    };
    let c = || ContainerDefinition::new("app", IMAGE);
    assert_eq!(
        one(c().env("DB_PASSWORD", "hunter2")),
        [("ecs-secret-in-environment", "S/Task".into())]
    );
    assert_eq!(
        one(c().env("AWS_SECRET_ACCESS_KEY", "x")),
        [("ecs-secret-in-environment", "S/Task".into())]
    );
    assert!(one(c()
        .env("LOG_LEVEL", "info")
        .secret("DB_PASSWORD", "arn:aws:secretsmanager:eu-west-2:123456789012:secret:db"))
    .is_empty());
    assert_eq!(one(c().user("root")), [("ecs-root-user", "S/Task".into())]);
    assert_eq!(one(c().user("0:0")), [("ecs-root-user", "S/Task".into())]);
    assert!(one(c().user("1000")).is_empty());
    assert_eq!(
        one(c().writable_root_filesystem()),
        [("ecs-readonly-root-filesystem", "S/Task".into())]
    );
}

#[test]
fn ecs_container_logging_flags_containers_that_log_nowhere() {
    let bare = FargateTaskDefinition::new("app", FargateSize::CPU_256_MEM_512)
        .execution_role(EXEC)
        .container(ContainerDefinition::new("app", IMAGE));
    assert_eq!(
        found(|s| {
            s.add("Task", bare);
        }),
        [("ecs-container-logging", "S/Task".into())]
    );
    assert!(found(|s| {
        s.add("Task", task(ContainerDefinition::new("app", IMAGE)));
    })
    .is_empty());
}

#[test]
fn iam_admin_policy_flags_administrator_access() {
    let role = |arn: &str| IamRole::for_service("ecs-tasks.amazonaws.com").managed_policy(arn);
    assert_eq!(
        found(|s| {
            s.add("Role", role("arn:aws:iam::aws:policy/AdministratorAccess"));
        }),
        [("iam-admin-policy", "S/Role".into())]
    );
    assert!(found(|s| {
        s.add("Role", role("arn:aws:iam::aws:policy/ReadOnlyAccess"));
    })
    .is_empty());
}

#[test]
fn ecs_container_insights_flags_disabled_clusters() {
    assert_eq!(
        found(|s| {
            s.add("C", EcsCluster::new().container_insights(ContainerInsights::Disabled));
        }),
        [("ecs-container-insights", "S/C".into())]
    );
    assert!(found(|s| {
        s.add("C", EcsCluster::new());
    })
    .is_empty());
}

#[test]
fn ecs_service_before_listener_rule_flags_a_missing_dependency() {
    let build = |ordered: bool| {
        found(move |s| {
            let tg = s.add("Tg", IpTargetGroup::new(80, VPC));
            let rule = s.add(
                "Rule",
                LoadBalancerRule::forward(LISTENER, 1, tg.arn()).path_patterns(["/*"]),
            );
            let cluster = s.add("Cluster", EcsCluster::new());
            let td = s.add("Task", task(ContainerDefinition::new("app", IMAGE).port(80)));
            let svc = s.add(
                "Service",
                FargateService::new(cluster.arn(), td.arn(), vec!["subnet-0123456789abcdef0"])
                    .load_balancer(LoadBalancerTarget::new("app", 80, tg.arn())),
            );
            if ordered {
                s.add_dependency(&svc, &rule);
            }
        })
    };
    assert_eq!(build(false), [("ecs-service-before-listener-rule", "S/Service".into())]);
    assert!(build(true).is_empty());
}

#[test]
fn ec2_rule_description_flags_rules_without_one() {
    assert_eq!(
        found(|s| {
            s.add(
                "Sg",
                SecurityGroup::new("d", VPC)
                    .ingress(Rule::tcp(Peer::ipv4("10.0.0.0/16"), 8080))
                    .egress(Rule::tcp(Peer::ipv4("10.0.0.0/16"), 5432).description("database")),
            );
        }),
        [("ec2-rule-description", "S/Sg".into())]
    );
    assert!(found(|s| {
        s.add(
            "Sg",
            SecurityGroup::new("d", VPC).ingress(Rule::tcp(Peer::ipv4("10.0.0.0/16"), 8080).description("app")),
        );
    })
    .is_empty());
}

#[test]
fn s3_lifecycle_flags_versioned_buckets_keeping_old_versions_forever() {
    let forever = BucketLifecycle {
        noncurrent_version_expiration: None,
        ..BucketLifecycle::default()
    };
    assert_eq!(
        found(|s| {
            s.add("B", Bucket::new().lifecycle(forever.clone()));
        }),
        [("s3-lifecycle", "S/B".into())]
    );
    // The default lifecycle expires them; an unversioned bucket has none to keep.
    assert!(found(|s| {
        s.add("B", Bucket::new());
    })
    .is_empty());
    assert!(!has("s3-lifecycle", |s| {
        s.add("B", Bucket::new().unversioned().lifecycle(BucketLifecycle::none()));
    }));
}

#[test]
fn sensitive_stores_need_a_customer_managed_key() {
    assert_eq!(
        found(|s| {
            s.add("B", Bucket::new().sensitive());
            s.add("T", DynamoTable::new("items", Key::string("id")).sensitive());
        }),
        [
            ("s3-sensitive-customer-key", "S/B".into()),
            ("dynamodb-sensitive-customer-key", "S/T".into())
        ]
    );
    assert!(has("s3-sensitive-customer-key", |s| {
        s.add("B", Bucket::new().encryption(BucketEncryption::Kms(None)).sensitive());
    }));
    assert!(found(|s| {
        let key = s.add("Key", KmsKey::new("data").usable_by([KeyUser::S3, KeyUser::DynamoDb]));
        s.add("B", Bucket::new().kms_key(key.arn()).sensitive());
        s.add(
            "T",
            DynamoTable::new("items", Key::string("id"))
                .kms_key(key.arn())
                .sensitive(),
        );
        // Not declared sensitive: the AWS-managed key is fine.
        s.add("Other", DynamoTable::new("other", Key::string("id")));
    })
    .is_empty());
}

#[test]
fn kms_key_rotation_flags_keys_that_do_not_rotate() {
    assert_eq!(
        found(|s| {
            s.add("Key", KmsKey::new("data").without_rotation());
        }),
        [("kms-key-rotation", "S/Key".into())]
    );
    assert!(found(|s| {
        s.add("Key", KmsKey::new("data").usable_by([KeyUser::CloudWatchLogs]));
    })
    .is_empty());
}

#[test]
fn every_rule_has_a_test_above() {
    let source = include_str!("checks.rs");
    for rule in checks::RULES {
        assert!(
            source.contains(&format!("\"{}\"", rule.id)),
            "no test mentions {}",
            rule.id
        );
    }
}

fn open_sg(stack: &mut Stack) -> Handle<SecurityGroup> {
    stack.add(
        "Sg",
        SecurityGroup::new("d", VPC).ingress(Rule::tcp(Peer::any_ipv4(), 443).description("HTTPS")),
    )
}

#[test]
fn a_suppression_moves_the_finding_aside_with_its_reason_and_shows_in_both_outputs() {
    let mut app = App::new();
    let stack = app.stack("S");
    let sg = open_sg(stack);
    stack.suppress(&sg, "ec2-open-ingress", "public HTTPS endpoint, fronted by AWS WAF");
    let r = checks::check(&app);
    assert!(r.findings.is_empty());
    assert_eq!(r.suppressed.len(), 1);
    assert_eq!(r.suppressed[0].reason, "public HTTPS endpoint, fronted by AWS WAF");
    let (cfn, tf) = synth_one(&app);
    let reason = "ec2-open-ingress: public HTTPS endpoint, fronted by AWS WAF";
    let skip = |id: &str| json!({"id": id, "comment": reason});
    assert_eq!(
        cfn_resource(&cfn, "Sg")["Metadata"],
        json!({
            "checks": {"suppressions": [{"rule": "ec2-open-ingress", "reason": "public HTTPS endpoint, fronted by AWS WAF"}]},
            // The rule's checkov counterparts, in the form checkov reads.
            "checkov": {"skip": [skip("CKV_AWS_24"), skip("CKV_AWS_25"), skip("CKV_AWS_260"), skip("CKV_AWS_277")]}
        })
    );
    let comment = json!([
        "checks suppressed: ec2-open-ingress: public HTTPS endpoint, fronted by AWS WAF",
        format!("checkov:skip=CKV_AWS_24:{reason}"),
        format!("checkov:skip=CKV_AWS_25:{reason}"),
        format!("checkov:skip=CKV_AWS_260:{reason}"),
        format!("checkov:skip=CKV_AWS_277:{reason}"),
    ]);
    assert_eq!(tf_resource(&tf, "aws_security_group", "sg")["//"], comment);
    // Every block of the construct carries it (checkov reports on the rule resources).
    assert_eq!(
        tf_resource(&tf, "aws_vpc_security_group_ingress_rule", "sg_ingress_0")["//"],
        comment
    );
}

#[test]
fn a_checkov_only_check_is_suppressed_through_the_same_api_with_a_reason() {
    let mut app = App::new();
    let stack = app.stack("S");
    let bucket = stack.add("B", Bucket::new());
    stack.suppress(&bucket, "CKV_AWS_18", "access is audited with CloudTrail data events");
    assert!(problems(&app).is_empty());
    let r = checks::check(&app);
    assert!(r.findings.is_empty() && r.suppressed.is_empty());
    let (cfn, tf) = synth_one(&app);
    assert_eq!(
        cfn_resource(&cfn, "B")["Metadata"]["checkov"],
        json!({"skip": [{"id": "CKV_AWS_18", "comment": "access is audited with CloudTrail data events"}]})
    );
    assert_eq!(
        tf_resource(&tf, "aws_s3_bucket", "b")["//"],
        json!(["checkov:skip=CKV_AWS_18:access is audited with CloudTrail data events"])
    );
    assert!(cfn_resource(&cfn, "B")["Metadata"].get("checks").is_none());

    let mut app = App::new();
    let stack = app.stack("S");
    let bucket = stack.add("B", Bucket::new());
    stack.suppress(&bucket, "CKV_AWS_18", "");
    stack.suppress(&bucket, "CKV_AWS_18x", "not a checkov id");
    stack.suppress(&bucket, "ckv_aws_18", "ids are upper case");
    assert_eq!(
        problems(&app),
        [
            ("S/B".to_string(), "suppression-reason-required"),
            ("S/B".to_string(), "suppression-unknown-rule"),
            ("S/B".to_string(), "suppression-unknown-rule"),
        ]
    );
}

#[test]
fn a_suppression_on_a_scope_covers_its_subtree_only() {
    let mut app = App::new();
    let stack = app.stack("S");
    let mut web = stack.scope("Web");
    web.add(
        "Sg",
        SecurityGroup::new("d", VPC).ingress(Rule::tcp(Peer::any_ipv4(), 443).description("HTTPS")),
    );
    stack.add(
        "WebOther",
        SecurityGroup::new("d", VPC).ingress(Rule::tcp(Peer::any_ipv4(), 443).description("HTTPS")),
    );
    stack.suppress_path("S/Web", "ec2-open-ingress", "public endpoint");
    let r = checks::check(&app);
    assert_eq!(r.suppressed.len(), 1);
    assert_eq!(r.suppressed[0].finding.path, "S/Web/Sg");
    assert_eq!(r.findings.len(), 1);
    assert_eq!(r.findings[0].path, "S/WebOther");
}

#[test]
fn a_suppression_without_a_reason_is_a_synth_time_error() {
    let mut app = App::new();
    let stack = app.stack("S");
    let sg = open_sg(stack);
    stack.suppress(&sg, "ec2-open-ingress", "   ");
    assert_eq!(problems(&app), [("S/Sg".to_string(), "suppression-reason-required")]);
}

#[test]
fn suppressions_of_unknown_rules_or_paths_are_synth_time_errors() {
    let mut app = App::new();
    let stack = app.stack("S");
    let sg = open_sg(stack);
    stack.suppress(&sg, "ec2-open-ingres", "typo");
    stack.suppress_path("S/Nothing", "ec2-open-ingress", "no such construct");
    assert_eq!(
        problems(&app),
        [
            ("S/Sg".to_string(), "suppression-unknown-rule"),
            ("S/Nothing".to_string(), "suppression-unknown-path")
        ]
    );
}

#[test]
fn reports_count_errors_and_warnings_and_fail_only_on_errors_unless_strict() {
    let r = report(|s| {
        open_sg(s);
        s.add("B", Bucket::new().unversioned());
    });
    assert_eq!((r.errors(), r.warnings()), (1, 1));
    assert!(r.fails(false));
    let w = report(|s| {
        s.add("B", Bucket::new().unversioned());
    });
    assert!(!w.fails(false));
    assert!(w.fails(true));
}

#[test]
fn trust_conditions_do_not_hide_broad_trust() {
    let f = found(|s| {
        let role = s.add(
            "Role",
            IamRole::new([Principal::service("ecs.amazonaws.com")])
                .trust_condition(Condition::source_account_is_this_account()),
        );
        s.add(
            "Task",
            task(ContainerDefinition::new("app", IMAGE)).task_role(role.arn()),
        );
    });
    assert_eq!(f, [("iam-broad-trust", "S/Role".into())]);
}
