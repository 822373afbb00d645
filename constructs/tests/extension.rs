//! The extension API as a team's crate uses it (this file is outside the
//! crate, so it sees only public items): composites as tree nodes, resources
//! defined here with typed attributes and grants, raw resources, overrides
//! with references and list indexes, one-backend constructs, rule packs.

use constructs::checks::{Check, CheckCx, Findings, RuleInfo, Severity};
use constructs::prelude::*;
use constructs::testing::{cfn_resource, problems, synth_one, tf_resource};
use constructs::{
    expr, grants, kind, refs, sub, Attr, Attribute, CfnAttr, CfnBlock, CfnResource, Expr, Problem, Props, RenderCx,
    Resource, TfBlock,
};
use serde_json::json;

/// A queue, written the way a team would: both backends, typed attributes,
/// validation, a grant.
#[derive(Clone, Debug)]
struct Queue {
    name: String,
    retention_secs: u32,
}

refs! {
    /// What a handle to a queue exposes.
    QueueRefs
}

impl QueueRefs {
    fn arn(&self) -> Attr<kind::Arn> {
        self.attr(Attribute::new(CfnAttr::GetAtt("Arn"), "arn"))
    }
    fn url(&self) -> Attr<kind::Uri> {
        self.attr(Attribute::new(CfnAttr::Ref, "url"))
    }
    fn grant_send(&self, stack: &mut Stack, role: &Handle<IamRole>) {
        grants::grant(
            stack,
            self,
            "send",
            role,
            vec![Statement::allow().actions(["sqs:SendMessage"]).resource(self.arn())],
        );
    }
}

impl Resource for Queue {
    type Refs = QueueRefs;
    fn kind(&self) -> &'static str {
        "Queue"
    }
    fn validate(&self, c: &mut constructs::problem::Checker<'_>) {
        c.range(
            "retention (seconds)",
            self.retention_secs.into(),
            60,
            1_209_600,
            "queue-retention",
        );
    }
    fn cloudformation(&self, _: &RenderCx) -> Option<Vec<CfnBlock>> {
        let mut props = Props::default();
        props.insert("QueueName".into(), Expr::str(&self.name));
        props.insert("MessageRetentionPeriod".into(), self.retention_secs.into());
        Some(vec![CfnResource::new("AWS::SQS::Queue", props).into_block()])
    }
    fn terraform(&self, _: &RenderCx) -> Option<Vec<TfBlock>> {
        let mut body = Props::default();
        body.insert("name".into(), Expr::str(&self.name));
        body.insert("message_retention_seconds".into(), self.retention_secs.into());
        Some(vec![TfBlock::resource("aws_sqs_queue", body)])
    }
}

/// A composite: a queue and the role that may send to it.
struct Outbox {
    name: String,
}

#[derive(Clone, Copy)]
struct OutboxRefs {
    queue: Handle<Queue>,
    sender: Handle<IamRole>,
}

impl Construct for Outbox {
    type Refs = OutboxRefs;
    fn build(self, scope: &mut Scope<'_>) -> OutboxRefs {
        if self.name.is_empty() {
            scope.error("outbox-name", "an outbox needs a name");
        }
        let queue = scope.add(
            "Queue",
            Queue {
                name: self.name.clone(),
                retention_secs: 86_400,
            },
        );
        let sender = scope.add("Sender", IamRole::for_service("lambda.amazonaws.com"));
        queue.grant_send(scope.stack(), &sender);
        OutboxRefs { queue, sender }
    }
}

#[test]
fn a_resource_from_another_crate_renders_with_attributes_and_grants() {
    let mut app = App::new();
    let stack = app.stack("S");
    let outbox = stack.add("Outbox", Outbox { name: "orders".into() });
    stack.output("QueueUrl", outbox.queue.url(), "");
    stack.output("SenderArn", outbox.sender.arn(), "");
    let (cfn, tf) = synth_one(&app);
    assert_eq!(cfn_resource(&cfn, "OutboxQueue")["Type"], "AWS::SQS::Queue");
    let policy = &cfn_resource(&cfn, "OutboxSender")["Properties"]["Policies"][0];
    assert_eq!(policy["PolicyName"], "Queue-send");
    assert_eq!(
        policy["PolicyDocument"]["Statement"][0]["Resource"],
        json!([{"Fn::GetAtt": ["OutboxQueue", "Arn"]}])
    );
    assert_eq!(cfn["Outputs"]["QueueUrl"]["Value"], json!({"Ref": "OutboxQueue"}));
    assert_eq!(tf_resource(&tf, "aws_sqs_queue", "outbox_queue")["name"], "orders");
    assert_eq!(tf["output"]["queue_url"]["value"], "${aws_sqs_queue.outbox_queue.url}");
}

#[test]
fn a_custom_resource_reports_problems_with_its_path_and_rule() {
    let mut app = App::new();
    let stack = app.stack("S");
    stack.add(
        "Q",
        Queue {
            name: "q".into(),
            retention_secs: 5,
        },
    );
    stack.add("Box", Outbox { name: String::new() });
    stack.record(Problem::new("S/Q", "team-rule", "recorded by a team's function"));
    assert_eq!(
        problems(&app),
        [
            ("S/Box".to_string(), "outbox-name"),
            ("S/Q".to_string(), "team-rule"),
            ("S/Q".to_string(), "queue-retention"),
        ]
    );
}

#[test]
fn composites_are_tagged_and_depended_on_as_a_unit_and_nest() {
    let mut app = App::new();
    let stack = app.stack("S");
    let first = stack.add("First", Outbox { name: "first".into() });
    let mut group = stack.scope("Group");
    let second = group.add("Second", Outbox { name: "second".into() });
    let group_node = group.node().unwrap();
    stack.tag(&first, "team", "orders");
    stack.tag(&group_node, "tier", "backend");
    // Everything under Group waits for everything under First.
    stack.add_dependency(&group_node, &first);
    assert_eq!(stack.path_of(&second.queue), Some("S/Group/Second/Queue"));
    let (cfn, tf) = synth_one(&app);
    assert_eq!(
        cfn_resource(&cfn, "FirstQueue")["Properties"]["Tags"],
        json!([{"Key": "team", "Value": "orders"}])
    );
    assert_eq!(
        cfn_resource(&cfn, "GroupSecondSender")["Properties"]["Tags"],
        json!([{"Key": "tier", "Value": "backend"}])
    );
    assert_eq!(
        cfn_resource(&cfn, "GroupSecondQueue")["DependsOn"],
        json!(["FirstQueue", "FirstSender"])
    );
    assert_eq!(
        tf_resource(&tf, "aws_sqs_queue", "group_second_queue")["depends_on"],
        json!(["aws_sqs_queue.first_queue", "aws_iam_role.first_sender"])
    );
    assert_eq!(
        tf_resource(&tf, "aws_sqs_queue", "group_second_queue")["tags"],
        json!({"tier": "backend"})
    );
}

#[test]
fn a_suppression_on_a_composite_covers_its_children() {
    let mut app = App::new();
    let stack = app.stack("S");
    let vpc = stack.add("Vpc", VpcLookup::by_id("vpc-0123456789abcdef0"));
    let mut edge = stack.scope("Edge");
    edge.add(
        "Public",
        SecurityGroup::new("public", vpc.id()).ingress(Rule::tcp(Peer::any_ipv4(), 443).description("HTTPS")),
    );
    let edge = edge.node().unwrap();
    stack.suppress(&edge, "ec2-open-ingress", "public load balancer behind WAF");
    let report = constructs::checks::check(&app);
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    assert_eq!(report.suppressed[0].finding.path, "S/Edge/Public");
}

#[test]
fn overrides_take_references_and_list_indexes_and_are_checked_against_the_schema() {
    let mut app = App::new();
    let stack = app.stack("S");
    let logs = stack.add("Logs", LogGroup::new("/a"));
    let vpc = stack.add("Vpc", VpcLookup::by_id("vpc-0123456789abcdef0"));
    let sg = stack.add(
        "Group",
        SecurityGroup::new("g", vpc.id()).ingress(Rule::tcp(Peer::ipv4("10.0.0.0/8"), 443)),
    );
    stack.override_property(
        &logs,
        Backend::CloudFormation,
        "Properties.DataProtectionPolicy",
        expr!({"Name": sub!("policy-", logs.name())}),
    );
    stack.override_property(
        &sg,
        Backend::CloudFormation,
        "Properties.SecurityGroupEgress[0].Description",
        "HTTPS out",
    );
    stack.override_property(&sg, Backend::Terraform, "/description", json!("overridden"));
    let (cfn, tf) = synth_one(&app);
    assert_eq!(
        cfn_resource(&cfn, "Logs")["Properties"]["DataProtectionPolicy"],
        json!({"Name": {"Fn::Sub": "policy-${Logs}"}})
    );
    assert_eq!(
        cfn_resource(&cfn, "Group")["Properties"]["SecurityGroupEgress"][0]["Description"],
        "HTTPS out"
    );
    assert_eq!(
        tf_resource(&tf, "aws_security_group", "group")["description"],
        "overridden"
    );

    let mut bad = App::new();
    let stack = bad.stack("S");
    let table = stack.add("T", DynamoTable::new("orders", Key::string("id")));
    stack.override_property(
        &table,
        Backend::CloudFormation,
        "Properties.GlobalSecondaryIndexs",
        json!([]),
    );
    stack.override_property(
        &table,
        Backend::CloudFormation,
        "Properties.KeySchema[7].KeyType",
        "HASH",
    );
    stack.override_property(&table, Backend::Terraform, "hash_keys", "id");
    stack.override_block_property(&table, Backend::Terraform, "aws_nope", "x", None);
    let messages: Vec<String> = constructs::validate(&bad).iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "[S/T] CloudFormation override Properties.GlobalSecondaryIndexs: AWS::DynamoDB::Table Properties.GlobalSecondaryIndexs has no property \"GlobalSecondaryIndexs\"; did you mean \"GlobalSecondaryIndexes\"? (invalid-override)",
            "[S/T] Terraform override hash_keys: aws_dynamodb_table hash_keys has no property \"hash_keys\"; did you mean \"hash_key\"? (invalid-override)",
            "[S/T] Terraform override x: the construct has no block \"aws_nope\"; its blocks are the main block (invalid-override)",
            "[S/T] CloudFormation override Properties.KeySchema[7].KeyType: [7] is past the end of Properties.KeySchema (it has 1 elements) (invalid-override)",
        ]
    );
}

/// A CloudFormation-only resource.
struct Topic;

impl Resource for Topic {
    type Refs = constructs::raw::RawRefs;
    fn kind(&self) -> &'static str {
        "Topic"
    }
    fn cloudformation(&self, _: &RenderCx) -> Option<Vec<CfnBlock>> {
        Some(vec![CfnResource::new("AWS::SNS::Topic", Props::default()).into_block()])
    }
}

#[test]
fn a_one_backend_construct_is_an_error_for_the_other_unless_the_app_targets_one() {
    let mut app = App::new();
    app.stack("S").add("Topic", Topic);
    let err = constructs::synth(&app, &Backend::ALL).unwrap_err();
    assert_eq!(
        err.problems[0].to_string(),
        "[S/Topic] Topic renders only for CloudFormation, and Terraform was asked for: add a Terraform rendering, or declare the app CloudFormation-only with App::set_backends (backend-unsupported)"
    );
    app.set_backends(&[Backend::CloudFormation]);
    assert!(constructs::synth(&app, &[Backend::CloudFormation]).is_ok());
    let err = constructs::synth(&app, &[Backend::Terraform]).unwrap_err();
    assert_eq!(err.problems[0].rule, "backend-not-targeted");
}

const LONG_RETENTION: RuleInfo = RuleInfo {
    id: "team-queue-retention-short",
    severity: Severity::Error,
    title: "Queues keep messages for at least a day",
    why: "Consumers can be down over a weekend.",
    fix: "Set retention_secs to 86400 or more.",
};

struct TeamRules;

impl Check for TeamRules {
    fn rules(&self) -> &'static [RuleInfo] {
        &[LONG_RETENTION]
    }
    fn check(&self, cx: &CheckCx<'_>, out: &mut Findings) {
        for (i, _, q) in cx.all::<Queue>() {
            if q.retention_secs < 86_400 {
                out.report(&LONG_RETENTION, i, format!("messages are kept {} s", q.retention_secs));
            }
        }
    }
}

#[test]
fn rule_packs_see_custom_resources_fail_synth_and_can_be_suppressed_with_a_reason() {
    let mut app = App::new();
    app.add_checks(TeamRules);
    let stack = app.stack("S");
    let q = stack.add(
        "Q",
        Queue {
            name: "q".into(),
            retention_secs: 600,
        },
    );
    let err = constructs::synth(&app, &Backend::ALL).unwrap_err();
    assert_eq!(err.problems[0].rule, "team-queue-retention-short");
    app.stacks_mut()[0].suppress(&q, "team-queue-retention-short", "");
    assert!(problems(&app).contains(&("S/Q".to_string(), "suppression-reason-required")));

    let mut app = App::new();
    app.add_checks(TeamRules);
    let stack = app.stack("S");
    let q = stack.add(
        "Q",
        Queue {
            name: "q".into(),
            retention_secs: 600,
        },
    );
    stack.suppress(&q, "team-queue-retention-short", "a cache: losing messages is fine");
    let files = constructs::synth(&app, &Backend::ALL).unwrap();
    assert!(files[0].text.contains("a cache: losing messages is fine"));
    let report = constructs::checks::check(&app);
    assert_eq!(report.suppressed[0].finding.rule.id, "team-queue-retention-short");
    assert!(report.rules.iter().any(|r| r.id == "team-queue-retention-short"));
}

#[test]
fn built_in_rules_see_policies_in_custom_and_raw_resources() {
    use constructs::raw::RawResource;
    let mut app = App::new();
    let stack = app.stack("S");
    let q = stack.add(
        "Q",
        Queue {
            name: "q".into(),
            retention_secs: 86_400,
        },
    );
    stack.add(
        "Policy",
        RawResource::cloudformation(
            "AWS::SQS::QueuePolicy",
            expr!({
                "Queues": [q.url()],
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Principal": "*", "Action": "sqs:*", "Resource": q.arn()}
                ]}
            }),
        )
        .and_terraform(
            "aws_sqs_queue_policy",
            expr!({"queue_url": q.url(), "policy": r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sqs:SendMessage"}]}"#}),
        ),
    );
    let report = constructs::checks::check(&app);
    let found: Vec<(&str, &str)> = report
        .findings
        .iter()
        .map(|f| (f.rule.id, f.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                "iam-wildcard-principal",
                "a statement in AWS::SQS::QueuePolicy PolicyDocument.Statement[0] allows \"*\" to sqs:*"
            ),
            (
                "iam-wildcard-action",
                "a statement in AWS::SQS::QueuePolicy PolicyDocument.Statement[0] allows sqs:*"
            ),
        ]
    );
}

#[test]
fn sub_and_arn_helpers_build_strings_with_references() {
    let mut app = App::new();
    let stack = app.stack("S");
    let q = stack.add(
        "Q",
        Queue {
            name: "q".into(),
            retention_secs: 86_400,
        },
    );
    let role: Value<kind::Arn> = Value::global_arn("iam", "role/deployer");
    let queue_arn: Value<kind::Arn> = Value::regional_arn("sqs", q.url());
    stack.output("Role", role, "");
    stack.output("Queue", queue_arn, "");
    let (cfn, tf) = synth_one(&app);
    assert_eq!(
        cfn["Outputs"]["Role"]["Value"],
        json!({"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/deployer"})
    );
    assert_eq!(
        tf["output"]["queue"]["value"],
        "arn:${data.aws_partition.current.partition}:sqs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:${aws_sqs_queue.q.url}"
    );
}
