//! The generated L1 bindings (services of the default feature set), through
//! the public API: rendering with references across constructs and
//! backends' own shapes, tags, overrides, schema validation with paths and
//! rule ids, the error for a backend a type cannot render, and use without
//! the tree.

use constructs::cfn::{dynamodb, iam, kms, logs};
use constructs::expr::Expr;
use constructs::iam::{PolicyDocument, Principal, Statement};
use constructs::parameter::Parameter;
use constructs::synth::{synth_with, Checks, SynthOptions};
use constructs::testing::{cfn_resource, tf_data, tf_json_string, tf_resource};
use constructs::tf::aws;
use constructs::{App, Backend, Resource};

use serde_json::{json, Value as Json};

fn synth(app: &App, backend: Backend) -> Json {
    let options = SynthOptions {
        backends: vec![backend],
        checks: Checks::Skip,
    };
    let files = synth_with(app, &options).unwrap_or_else(|e| panic!("synthesis failed:\n{e}"));
    serde_json::from_str(&files[0].text).unwrap()
}

fn problems(app: &App, backend: Backend) -> Vec<(String, &'static str, String)> {
    let options = SynthOptions {
        backends: vec![backend],
        checks: Checks::Skip,
    };
    match synth_with(app, &options) {
        Ok(_) => Vec::new(),
        Err(e) => e.problems.into_iter().map(|p| (p.path, p.rule, p.message)).collect(),
    }
}

#[test]
fn cloudformation_l1s_render_with_references_tags_and_parameters() {
    let mut app = App::new();
    app.set_backends(&[Backend::CloudFormation]);
    let stack = app.stack("S");
    stack.add_tag("team", "payments");
    let days = stack.add("Days", Parameter::string("Retention in days").default_value("365"));
    let key = stack.add(
        "Key",
        kms::Key::new().enable_key_rotation(true).key_policy(
            PolicyDocument::new().statement(
                Statement::allow()
                    .principal(Principal::account("123456789012"))
                    .action("kms:*")
                    .any_resource(),
            ),
        ),
    );
    let logs = stack.add(
        "Logs",
        logs::LogGroup::new()
            .log_group_name("/orders/app")
            .retention_in_days(days.value())
            .kms_key_id(key.attr_arn())
            .log_group_class(logs::log_group::LogGroupClass::Standard),
    );
    stack.output("LogsArn", logs.attr_arn(), "the log group");
    let t = synth(&app, Backend::CloudFormation);
    let lg = cfn_resource(&t, "Logs");
    assert_eq!(lg["Type"], "AWS::Logs::LogGroup");
    assert_eq!(lg["Properties"]["KmsKeyId"], json!({"Fn::GetAtt": ["Key", "Arn"]}));
    assert_eq!(lg["Properties"]["RetentionInDays"], json!({"Ref": "Days"}));
    assert_eq!(lg["Properties"]["LogGroupClass"], "STANDARD");
    assert_eq!(lg["Properties"]["Tags"], json!([{"Key": "team", "Value": "payments"}]));
    let k = cfn_resource(&t, "Key");
    assert_eq!(k["Properties"]["KeyPolicy"]["Statement"][0]["Action"], json!(["kms:*"]));
    assert_eq!(t["Outputs"]["LogsArn"]["Value"], json!({"Fn::GetAtt": ["Logs", "Arn"]}));
}

#[test]
fn the_create_only_list_matches_the_schema_metadata() {
    for (ty, create_only) in [
        (logs::LogGroup::TYPE_NAME, logs::LogGroup::CREATE_ONLY),
        (dynamodb::Table::TYPE_NAME, dynamodb::Table::CREATE_ONLY),
        (iam::Role::TYPE_NAME, iam::Role::CREATE_ONLY),
    ] {
        let from_schema = constructs::schema::cloudformation::create_only(ty).unwrap();
        assert_eq!(
            create_only,
            from_schema.iter().map(String::as_str).collect::<Vec<_>>(),
            "{ty}"
        );
    }
    assert!(dynamodb::Table::CREATE_ONLY.contains(&"/properties/TableName"));
}

#[test]
fn a_type_whose_tags_are_a_map_is_not_given_the_stacks_tag_list() {
    // AWS::SSM::Parameter-like types take `Tags` as a map; the log group takes a list.
    assert!(logs::LogGroup::new().to_cfn_resource().taggable);
    let mut app = App::new();
    app.set_backends(&[Backend::CloudFormation]);
    let stack = app.stack("S");
    stack.add_tag("team", "payments");
    stack.add(
        "Ddb",
        dynamodb::Table::new([dynamodb::table::KeySchema::new("pk", "HASH")]),
    );
    let t = synth(&app, Backend::CloudFormation);
    assert_eq!(cfn_resource(&t, "Ddb")["Properties"]["Tags"][0]["Key"], "team");
}

#[test]
fn terraform_l1s_render_with_data_sources_and_object_attributes() {
    use aws::ec2::security_group::Ingress;
    let mut app = App::new();
    app.set_backends(&[Backend::Terraform]);
    let stack = app.stack("S");
    let vpc = stack.add(
        "Vpc",
        aws::data::Vpc::new().filter([aws::ec2::data::vpc::Filter::new("tag:Name", ["main"])]),
    );
    let sg = stack.add(
        "Sg",
        aws::SecurityGroup::new()
            .name("orders")
            .vpc_id(vpc.id())
            .ingress([Ingress::new()
                .protocol("tcp")
                .from_port(443)
                .to_port(443)
                .cidr_blocks(["10.0.0.0/8"])]),
    );
    stack.tag(&sg, "tier", "web");
    let role = stack.add(
        "Role",
        aws::IamRole::new(constructs::l1::Json::from(
            PolicyDocument::new().statement(
                Statement::allow()
                    .principal(Principal::service("lambda.amazonaws.com"))
                    .action("sts:AssumeRole"),
            ),
        )),
    );
    stack.output("SgId", sg.id(), "the group");
    stack.output("RoleArn", role.arn(), "the role");
    let m = synth(&app, Backend::Terraform);
    assert_eq!(tf_data(&m, "aws_vpc", "vpc")["filter"][0]["name"], "tag:Name");
    let g = tf_resource(&m, "aws_security_group", "sg");
    assert_eq!(g["vpc_id"], "${data.aws_vpc.vpc.id}");
    assert_eq!(g["tags"], json!({"tier": "web"}));
    // An object-typed attribute lists every key, unset ones as null.
    let rule = &g["ingress"][0];
    assert_eq!(rule["from_port"], 443);
    assert_eq!(rule["self"], Json::Null);
    assert_eq!(rule.as_object().unwrap().len(), 9);
    let trust = tf_json_string(&tf_resource(&m, "aws_iam_role", "role")["assume_role_policy"]);
    assert_eq!(
        trust["Statement"][0]["Principal"]["Service"],
        json!(["lambda.amazonaws.com"])
    );
    assert_eq!(m["output"]["role_arn"]["value"], "${aws_iam_role.role.arn}");
}

#[test]
fn an_l1_synthesized_for_the_other_backend_is_an_error_naming_it() {
    let mut app = App::new();
    let stack = app.stack("S");
    stack.add("Logs", logs::LogGroup::new());
    stack.add("TfLogs", aws::CloudwatchLogGroup::new());
    let cfn = problems(&app, Backend::CloudFormation);
    assert_eq!(cfn.len(), 1, "{cfn:?}");
    assert_eq!((cfn[0].0.as_str(), cfn[0].1), ("S/TfLogs", "backend-unsupported"));
    assert!(
        cfn[0].2.contains("aws_cloudwatch_log_group renders only for Terraform"),
        "{}",
        cfn[0].2
    );
    let tf = problems(&app, Backend::Terraform);
    assert_eq!((tf[0].0.as_str(), tf[0].1), ("S/Logs", "backend-unsupported"));
    assert!(tf[0].2.contains("AWS::Logs::LogGroup renders only for CloudFormation"));
}

#[test]
fn schema_constraints_are_reported_with_the_property_path_and_a_rule_id() {
    let mut app = App::new();
    app.set_backends(&[Backend::CloudFormation]);
    let stack = app.stack("S");
    let long = "x".repeat(300);
    stack.add(
        "Table",
        dynamodb::Table::new([dynamodb::table::KeySchema::new("pk", "HASH")])
            .attribute_definitions([dynamodb::table::AttributeDefinition::new("pk", "STRING")])
            .local_secondary_indexes([dynamodb::table::LocalSecondaryIndex::new(
                long.as_str(),
                [dynamodb::table::KeySchema::new("gsi", "HASH")],
                dynamodb::table::Projection::new().projection_type("ALL"),
            )]),
    );
    stack.add(
        "Logs",
        logs::LogGroup::new().retention_in_days(2).log_group_name("bad name!"),
    );
    // References are known only at deploy time: not checked.
    let days = stack.add("Days", Parameter::string("days"));
    stack.add("Logs2", logs::LogGroup::new().retention_in_days(days.value()));
    let found = problems(&app, Backend::CloudFormation);
    let rules: Vec<(&str, &str)> = found.iter().map(|(p, r, _)| (p.as_str(), *r)).collect();
    assert_eq!(
        rules,
        [
            ("S/Table", "schema-enum"),
            ("S/Table", "schema-length"),
            ("S/Logs", "schema-pattern"),
            ("S/Logs", "schema-enum"),
        ],
        "{found:#?}"
    );
    assert!(
        found[0]
            .2
            .contains("AWS::DynamoDB::Table property `AttributeDefinitions[0].AttributeType` is \"STRING\""),
        "{}",
        found[0].2
    );
    assert!(found[0].2.contains("one of \"B\", \"N\", \"S\""), "{}", found[0].2);
    assert!(
        found[1]
            .2
            .contains("`LocalSecondaryIndexes[0].IndexName` is 300 characters long"),
        "{}",
        found[1].2
    );
}

#[test]
fn a_required_property_left_at_its_default_is_reported() {
    let mut app = App::new();
    app.set_backends(&[Backend::Terraform]);
    app.stack("S").add("Role", aws::IamRole::default());
    let found = problems(&app, Backend::Terraform);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].1, "schema-required");
    assert!(
        found[0].2.contains("`assume_role_policy` is required"),
        "{}",
        found[0].2
    );
}

#[test]
fn overrides_apply_to_l1s_and_are_checked_against_the_schema() {
    let mut app = App::new();
    app.set_backends(&[Backend::CloudFormation]);
    let stack = app.stack("S");
    let lg = stack.add("Logs", logs::LogGroup::new().retention_in_days(30));
    stack.override_property(&lg, Backend::CloudFormation, "Properties.RetentionInDays", 90u32);
    stack.override_property(&lg, Backend::CloudFormation, "DeletionPolicy", "Retain");
    let t = synth(&app, Backend::CloudFormation);
    assert_eq!(cfn_resource(&t, "Logs")["Properties"]["RetentionInDays"], 90);
    assert_eq!(cfn_resource(&t, "Logs")["DeletionPolicy"], "Retain");

    stack_of(&mut app).override_property(&lg, Backend::CloudFormation, "Properties.RetentionDays", 1u32);
    let found = problems(&app, Backend::CloudFormation);
    assert_eq!(found[0].1, "invalid-override", "{found:?}");
    assert!(
        found[0].2.contains("did you mean \"RetentionInDays\""),
        "{}",
        found[0].2
    );
}

fn stack_of(app: &mut App) -> &mut constructs::Stack {
    &mut app.stacks_mut()[0]
}

#[test]
fn l1s_render_without_the_tree_for_hand_written_constructs() {
    let group = logs::LogGroup::new().log_group_name("/app").retention_in_days(365);
    let r = group.clone().into_cfn_resource();
    assert_eq!(r.type_name, "AWS::Logs::LogGroup");
    assert_eq!(r.properties["LogGroupName"], Expr::str("/app"));
    assert_eq!(r.properties["RetentionInDays"], Expr::Int(365));
    assert!(r.taggable && r.suffix.is_empty());
    assert_eq!(group.kind(), "AWS::Logs::LogGroup");

    let b = aws::CloudwatchLogGroup::new()
        .name("/app")
        .retention_in_days(365)
        .into_tf_block();
    assert_eq!(b.type_name, "aws_cloudwatch_log_group");
    assert_eq!(b.body["retention_in_days"], Expr::Int(365));
    assert!(b.taggable);
    let d = aws::data::Vpc::new().default_(true).into_tf_block();
    assert_eq!(d.section, constructs::resource::TfSection::Data);
    assert!(!d.taggable);
}

#[test]
fn tags_set_on_an_l1_are_merged_with_inherited_ones() {
    let mut app = App::new();
    app.set_backends(&[Backend::CloudFormation]);
    let stack = app.stack("S");
    stack.add_tag("team", "payments");
    stack.add_tag("env", "dev");
    stack.add(
        "Logs",
        logs::LogGroup::new().tags([
            logs::log_group::Tag::new("env", "prod"),
            logs::log_group::Tag::new("app", "x"),
        ]),
    );
    let t = synth(&app, Backend::CloudFormation);
    assert_eq!(
        cfn_resource(&t, "Logs")["Properties"]["Tags"],
        json!([
            {"Key": "team", "Value": "payments"},
            {"Key": "env", "Value": "prod"},
            {"Key": "app", "Value": "x"}
        ])
    );

    let mut app = App::new();
    app.set_backends(&[Backend::Terraform]);
    let stack = app.stack("S");
    let lg = stack.add("Logs", aws::CloudwatchLogGroup::new().tags([("env", "prod")]));
    stack.tag(&lg, "env", "dev");
    stack.tag(&lg, "team", "payments");
    let m = synth(&app, Backend::Terraform);
    assert_eq!(
        tf_resource(&m, "aws_cloudwatch_log_group", "logs")["tags"],
        json!({"env": "prod", "team": "payments"})
    );
}

#[test]
fn tags_given_whole_as_a_reference_are_kept_not_replaced_by_inherited_ones() {
    let mut app = App::new();
    app.set_backends(&[Backend::CloudFormation]);
    let stack = app.stack("S");
    stack.add_tag("team", "payments");
    let tags = stack.add("Tags", Parameter::string("the log group's tags"));
    stack.add("Logs", logs::LogGroup::new().tags(&tags.value()));
    let t = synth(&app, Backend::CloudFormation);
    assert_eq!(cfn_resource(&t, "Logs")["Properties"]["Tags"], json!({"Ref": "Tags"}));

    let mut app = App::new();
    app.set_backends(&[Backend::Terraform]);
    let stack = app.stack("S");
    stack.add_tag("team", "payments");
    let tags = stack.add("Tags", Parameter::string("the log group's tags"));
    stack.add("Logs", aws::CloudwatchLogGroup::new().tags(Expr::from(&tags.value())));
    let m = synth(&app, Backend::Terraform);
    assert_eq!(
        tf_resource(&m, "aws_cloudwatch_log_group", "logs")["tags"],
        json!("${var.tags}")
    );
}
