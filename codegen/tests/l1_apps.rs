//! Apps built from generated L1s only, one per backend, with references
//! between them (a queue's dead-letter queue, a subscription to a topic, a
//! function's role, a security group in a looked-up VPC): synthesized, then
//! checked by cfn-lint and by `terraform init` + `validate` against the
//! pinned AWS provider. The services used are enabled for this test only
//! (see `[dev-dependencies]`).

use std::path::PathBuf;

use constructs::cfn::{dynamodb, ec2, iam, lambda, sns, sqs};
use constructs::expr::Expr;
use constructs::iam::{PolicyDocument, Principal, Statement};
use constructs::l1::Json;
use constructs::parameter::Parameter;
use constructs::tf::aws;
use constructs::{synth, App, Artifact, Backend};
use stack::tools;

fn trust(service: &str) -> PolicyDocument {
    PolicyDocument::new().statement(
        Statement::allow()
            .principal(Principal::service(service))
            .action("sts:AssumeRole"),
    )
}

fn cloudformation_app() -> App {
    let mut app = App::new();
    app.set_backends(&[Backend::CloudFormation]);
    let stack = app.stack("L1Cfn");
    stack.add_tag("team", "orders");
    let dlq = stack.add("Dlq", sqs::Queue::new().message_retention_period(1_209_600));
    let queue = stack.add(
        "Queue",
        sqs::Queue::new()
            .visibility_timeout(60)
            .sqs_managed_sse_enabled(true)
            .redrive_policy(
                sqs::queue::RedrivePolicy::new()
                    .dead_letter_target_arn(dlq.attr_arn())
                    .max_receive_count(5),
            ),
    );
    let topic = stack.add("Topic", sns::Topic::new().topic_name("orders"));
    stack.add(
        "Subscription",
        sns::Subscription::new("sqs", topic.attr_topic_arn())
            .endpoint(queue.attr_arn())
            .raw_message_delivery(true),
    );
    stack.add(
        "Table",
        dynamodb::Table::new([
            dynamodb::table::KeySchema::new("pk", "HASH"),
            dynamodb::table::KeySchema::new("sk", "RANGE"),
        ])
        .billing_mode("PAY_PER_REQUEST")
        .attribute_definitions([
            dynamodb::table::AttributeDefinition::new("pk", dynamodb::table::AttributeType::S),
            dynamodb::table::AttributeDefinition::new("sk", "S"),
            dynamodb::table::AttributeDefinition::new("status", "S"),
        ])
        .global_secondary_indexes([dynamodb::table::GlobalSecondaryIndex::new(
            "by-status",
            [dynamodb::table::KeySchema::new("status", "HASH")],
            dynamodb::table::Projection::new().projection_type("ALL"),
        )])
        .point_in_time_recovery_specification(
            dynamodb::table::PointInTimeRecoverySpecification::new().point_in_time_recovery_enabled(true),
        ),
    );
    let vpc = stack.add(
        "VpcId",
        Parameter::string("The VPC to put the function's security group in"),
    );
    stack.add(
        "Sg",
        ec2::SecurityGroup::new("Orders function")
            .vpc_id(vpc.value())
            .security_group_ingress([ec2::security_group::Ingress::new("tcp")
                .from_port(443)
                .to_port(443)
                .cidr_ip("10.0.0.0/8")]),
    );
    let role = stack.add(
        "Role",
        iam::Role::new(&trust("lambda.amazonaws.com")).policies([iam::role::Policy::new(
            &PolicyDocument::new().statement(Statement::allow().action("sqs:SendMessage").resource(queue.attr_arn())),
            "send",
        )]),
    );
    stack.add(
        "Function",
        lambda::Function::new(
            lambda::function::Code::new().zip_file("def handler(event, context):\n    return event\n"),
            role.attr_arn(),
        )
        .runtime(lambda::function::Runtime::Python312)
        .handler("index.handler")
        .timeout(30)
        .environment(lambda::function::Environment::new().variables([("QUEUE_URL", queue.attr_queue_url())])),
    );
    app
}

fn terraform_app() -> App {
    let mut app = App::new();
    app.set_backends(&[Backend::Terraform]);
    let stack = app.stack("L1Tf");
    let dlq = stack.add("Dlq", aws::SqsQueue::new().name("orders-dlq"));
    let queue = stack.add(
        "Queue",
        aws::SqsQueue::new()
            .name("orders")
            .visibility_timeout_seconds(60)
            .redrive_policy(Json::document(Expr::map([
                ("deadLetterTargetArn", dlq.arn().into()),
                ("maxReceiveCount", Expr::Int(5)),
            ]))),
    );
    stack.tag(&queue, "tier", "orders");
    let topic = stack.add("Topic", aws::SnsTopic::new().name("orders"));
    stack.add(
        "Subscription",
        aws::SnsTopicSubscription::new(queue.arn(), "sqs", topic.arn()).raw_message_delivery(true),
    );
    stack.add(
        "Table",
        aws::DynamodbTable::new("orders")
            .billing_mode("PAY_PER_REQUEST")
            .hash_key("pk")
            .attribute([
                aws::dynamodb::dynamodb_table::Attribute::new("pk", "S"),
                aws::dynamodb::dynamodb_table::Attribute::new("status", "S"),
            ])
            .global_secondary_index([aws::dynamodb::dynamodb_table::GlobalSecondaryIndex::new(
                "status",
                "by-status",
                "ALL",
            )]),
    );
    let vpc = stack.add(
        "Vpc",
        aws::data::Vpc::new().filter([aws::ec2::data::vpc::Filter::new("tag:Name", ["main"])]),
    );
    stack.add(
        "Sg",
        aws::SecurityGroup::new()
            .name("orders-function")
            .description("Orders function")
            .vpc_id(vpc.id())
            .egress([aws::ec2::security_group::Egress::new()
                .protocol("tcp")
                .from_port(443)
                .to_port(443)
                .cidr_blocks(["0.0.0.0/0"])]),
    );
    let role = stack.add(
        "Role",
        aws::IamRole::new(Json::from(&trust("lambda.amazonaws.com"))).name("orders-function"),
    );
    stack.add(
        "SendPolicy",
        aws::IamRolePolicy::new(
            Json::from(
                &PolicyDocument::new().statement(Statement::allow().action("sqs:SendMessage").resource(queue.arn())),
            ),
            role.name(),
        )
        .name("send"),
    );
    stack.add(
        "Function",
        aws::LambdaFunction::new("orders", role.arn())
            .filename("function.zip")
            .runtime("python3.12")
            .handler("index.handler")
            .environment(aws::lambda::lambda_function::Environment::new().variables([("QUEUE_URL", queue.url())])),
    );
    app
}

fn write(artifacts: &[Artifact], dir: &std::path::Path) -> Vec<PathBuf> {
    artifacts
        .iter()
        .map(|a| {
            let path = dir.join(&a.relative_path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &a.text).unwrap();
            path
        })
        .collect()
}

#[test]
fn l1_apps_synthesize_deterministically_with_references() {
    let cfn = synth(&cloudformation_app(), &[Backend::CloudFormation]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cfn, synth(&cloudformation_app(), &[Backend::CloudFormation]).unwrap());
    let t: serde_json::Value = serde_json::from_str(&cfn[0].text).unwrap();
    let r = &t["Resources"];
    assert_eq!(
        r["Queue"]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"],
        serde_json::json!({"Fn::GetAtt": ["Dlq", "Arn"]})
    );
    assert_eq!(
        r["Subscription"]["Properties"]["TopicArn"],
        serde_json::json!({"Fn::GetAtt": ["Topic", "TopicArn"]})
    );
    assert_eq!(r["Function"]["Properties"]["Runtime"], "python3.12");
    assert_eq!(r["Table"]["Properties"]["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(r["Sg"]["Properties"]["VpcId"], serde_json::json!({"Ref": "VpcId"}));
    assert_eq!(r["Topic"]["Properties"]["Tags"][0]["Value"], "orders");

    let tf = synth(&terraform_app(), &[Backend::Terraform]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(tf, synth(&terraform_app(), &[Backend::Terraform]).unwrap());
    let m: serde_json::Value = serde_json::from_str(&tf[0].text).unwrap();
    let q = &m["resource"]["aws_sqs_queue"]["queue"];
    assert_eq!(
        q["redrive_policy"],
        r#"{"deadLetterTargetArn":"${aws_sqs_queue.dlq.arn}","maxReceiveCount":5}"#
    );
    assert_eq!(q["tags"]["tier"], "orders");
    assert_eq!(
        m["resource"]["aws_security_group"]["sg"]["vpc_id"],
        "${data.aws_vpc.vpc.id}"
    );
    assert_eq!(
        m["resource"]["aws_iam_role_policy"]["send_policy"]["role"],
        "${aws_iam_role.role.name}"
    );
}

#[test]
fn the_cloudformation_l1_app_passes_cfn_lint() {
    let Some(tool) = tools::require(tools::cfn_lint(), "cfn-lint") else {
        return;
    };
    let artifacts = synth(&cloudformation_app(), &[Backend::CloudFormation]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let paths = write(&artifacts, dir.path());
    if let Err(report) = tools::run_cfn_lint(&tool, &paths) {
        panic!("{report}\n{}", artifacts[0].text);
    }
}

#[test]
fn the_terraform_l1_app_passes_init_and_validate() {
    let Some(tool) = tools::require(tools::terraform(), "terraform validate") else {
        return;
    };
    let artifacts = synth(&terraform_app(), &[Backend::Terraform]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = tools::TerraformConfig::new(dir.path()).unwrap();
    let paths = write(&artifacts, &dir.path().join("out"));
    let module = paths[0].parent().unwrap();
    if let Err(report) = tools::run_terraform_validate(&tool, &cfg, module) {
        panic!("{report}\n{}", artifacts[0].text);
    }
}
