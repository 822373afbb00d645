//! The construct tree and the synthesizers, through the public API: ids, paths,
//! references, lookups, tags, overrides, outputs and every core validation rule.

use constructs::dynamodb::{DynamoTable, Key};
use constructs::prelude::*;
use constructs::s3::Bucket;
use constructs::testing::{cfn_resource, problems, synth_one, tf_data, tf_resource};
use constructs::{synth, Expr};
use serde_json::json;

fn p(path: &str, rule: &'static str) -> (String, &'static str) {
    (path.to_string(), rule)
}

#[test]
fn logical_ids_and_terraform_names_derive_from_the_path() {
    let mut app = App::new();
    let stack = app.stack("Vault");
    let mut service = stack.scope("Service");
    service.add("AppLogs", LogGroup::new("/a"));
    let mut inner = service.scope("Default");
    inner.add("Resource", LogGroup::new("/b"));
    let (cfn, tf) = synth_one(&app);
    cfn_resource(&cfn, "ServiceAppLogs");
    cfn_resource(&cfn, "Service");
    tf_resource(&tf, "aws_cloudwatch_log_group", "service_app_logs");
    tf_resource(&tf, "aws_cloudwatch_log_group", "service");
}

#[test]
fn adding_an_unrelated_construct_does_not_rename_others() {
    let build = |extra: bool| {
        let mut app = App::new();
        let stack = app.stack("S");
        if extra {
            stack.add("First", LogGroup::new("/first"));
        }
        stack.add("Logs", LogGroup::new("/logs"));
        synth_one(&app)
    };
    let (without, _) = build(false);
    let (with, _) = build(true);
    assert_eq!(without["Resources"]["Logs"], with["Resources"]["Logs"]);
}

#[test]
fn duplicate_sibling_ids_are_reported_with_the_path() {
    let mut app = App::new();
    let stack = app.stack("S");
    stack.add("Logs", LogGroup::new("/a"));
    stack.add("Logs", LogGroup::new("/b"));
    let mut scope = stack.scope("Group");
    scope.add("X", LogGroup::new("/c"));
    stack.scope("Group");
    assert_eq!(
        problems(&app),
        // Only the duplicates: the ids they share are not reported again as collisions.
        [p("S/Logs", "duplicate-id"), p("S/Group", "duplicate-id")]
    );
}

#[test]
fn invalid_ids_are_reported() {
    let mut app = App::new();
    let stack = app.stack("S");
    stack.add("has space", LogGroup::new("/a"));
    stack.add("9lives", LogGroup::new("/b"));
    stack.output("bad/output", Expr::str("x"), "");
    let found = problems(&app);
    assert!(found.contains(&p("S/has space", "invalid-id")), "{found:?}");
    assert!(found.contains(&p("S/9lives", "invalid-id")), "{found:?}");
    assert!(found.contains(&p("S/bad/output", "invalid-id")), "{found:?}");
}

#[test]
fn two_paths_mapping_to_one_logical_id_are_a_collision_naming_both() {
    let mut app = App::new();
    let stack = app.stack("S");
    stack.add("TaskRole", LogGroup::new("/a"));
    stack.add("task-role", LogGroup::new("/b"));
    let err = synth(&app, &Backend::ALL).unwrap_err();
    let cfn = err.problems.iter().find(|p| p.rule == "logical-id-collision").unwrap();
    assert_eq!(cfn.path, "S/task-role");
    assert!(cfn.message.contains("S/TaskRole"), "{}", cfn.message);
    assert!(err.problems.iter().any(|p| p.rule == "terraform-name-collision"));
}

#[test]
fn every_problem_is_reported_at_once_and_nothing_renders() {
    let mut app = App::new();
    let stack = app.stack("S");
    stack.add("A", LogGroup::new("bad name"));
    stack.add("B", DynamoTable::new("x", Key::string("id")));
    stack.add("C", Bucket::named("UPPER"));
    let err = synth(&app, &Backend::ALL).unwrap_err();
    assert_eq!(err.problems.len(), 3);
    let text = err.to_string();
    assert!(text.starts_with("3 problems found; nothing was written:"), "{text}");
    assert!(
        text.contains("[S/A]") && text.contains("[S/B]") && text.contains("[S/C]"),
        "{text}"
    );
}

#[test]
fn references_to_a_construct_of_another_app_are_rejected() {
    let mut other = App::new();
    let foreign = other.stack("Other").add("Logs", LogGroup::new("/other"));
    let mut app = App::new();
    let stack = app.stack("S");
    let tg = stack.add("T", DynamoTable::new("table", Key::string("id")));
    stack.output("Foreign", foreign.name(), "");
    stack.add_dependency(&tg, &foreign);
    let found = problems(&app);
    assert!(found.contains(&p("S/Foreign", "foreign-reference")), "{found:?}");
    assert!(found.contains(&p("S/T", "foreign-reference")), "{found:?}");
}

#[test]
fn references_across_stacks_are_rejected() {
    let mut app = App::new();
    let logs = app.stack("One").add("Logs", LogGroup::new("/one"));
    app.stack("Two").output("Name", logs.name(), "");
    assert_eq!(problems(&app), [p("Two/Name", "cross-stack-reference")]);
}

#[test]
fn duplicate_stack_names_are_rejected() {
    let mut app = App::new();
    app.stack("S");
    app.stack("S");
    assert_eq!(problems(&app), [p("S", "duplicate-id")]);
}

#[test]
fn cloudformation_resource_limit_is_enforced_before_writing() {
    let mut app = App::new();
    let stack = app.stack("Big");
    for i in 0..501 {
        stack.add(&format!("Logs{i}"), LogGroup::new(&format!("/l/{i}")));
    }
    assert_eq!(problems(&app), [p("Big", "cfn-resource-limit")]);
}

#[test]
fn output_and_parameter_limits_are_enforced() {
    let mut app = App::new();
    let stack = app.stack("S");
    let logs = stack.add("Logs", LogGroup::new("/l"));
    for i in 0..201 {
        stack.output(&format!("Out{i}"), logs.name(), "");
        stack.add(&format!("P{i}"), Parameter::string("an input"));
    }
    assert_eq!(
        problems(&app),
        [p("S", "cfn-parameter-limit"), p("S", "cfn-output-limit")]
    );
}

#[test]
fn stack_wide_names_must_be_unique() {
    let mut app = App::new();
    let stack = app.stack("S");
    stack.add("A", LogGroup::new("/same"));
    stack.add("B", LogGroup::new("/same"));
    let err = synth(&app, &Backend::ALL).unwrap_err();
    assert_eq!(err.problems[0].path, "S/B");
    assert!(err.problems[0].message.contains("S/A"));
}

#[test]
fn references_render_natively_in_each_backend() {
    let mut app = App::new();
    let stack = app.stack("S");
    let table = stack.add("Items", DynamoTable::new("items", Key::string("id")));
    stack.output("TableArn", table.arn(), "arn");
    stack.output("TableName", table.name(), "");
    stack.output(
        "Mixed",
        Value::<kind::Text>::concat([Expr::str("table/"), table.name().into(), Expr::str("/${literal}")]),
        "",
    );
    stack.output("Region", Attr::region(), "");
    let (cfn, tf) = synth_one(&app);
    assert_eq!(
        cfn["Outputs"]["TableArn"]["Value"],
        json!({"Fn::GetAtt": ["Items", "Arn"]})
    );
    assert_eq!(cfn["Outputs"]["TableName"]["Value"], json!({"Ref": "Items"}));
    assert_eq!(
        cfn["Outputs"]["Mixed"]["Value"],
        json!({"Fn::Sub": "table/${Items}/${!literal}"})
    );
    assert_eq!(cfn["Outputs"]["Region"]["Value"], json!({"Ref": "AWS::Region"}));
    assert_eq!(tf["output"]["table_arn"]["value"], "${aws_dynamodb_table.items.arn}");
    assert_eq!(
        tf["output"]["mixed"]["value"],
        "table/${aws_dynamodb_table.items.name}/$${literal}"
    );
    assert_eq!(tf["output"]["region"]["value"], "${data.aws_region.current.name}");
    assert_eq!(tf["data"]["aws_region"]["current"], json!({}));
    assert!(
        tf["data"].get("aws_caller_identity").is_none(),
        "only referenced environment data sources are emitted"
    );
}

#[test]
fn lookups_render_as_parameters_and_data_sources_only_when_referenced() {
    let mut app = App::new();
    let stack = app.stack("S");
    let vpc = stack.add("Vpc", VpcLookup::by_name_tag("main"));
    stack.add("Unused", VpcLookup::by_id("vpc-123"));
    let lb = stack.add("PrivateLb", LoadBalancerLookup::by_name("lb-private"));
    let listener = stack.add("Listener", ListenerLookup::by_port(lb.arn(), 443));
    let subnets = stack.add("Private", SubnetsLookup::by_tags(vpc.id(), &[("Tier", "private")]));
    stack.output("Listener", listener.arn(), "");
    stack.output("Subnets", subnets.ids(), "");
    let (cfn, tf) = synth_one(&app);
    let params = cfn["Parameters"].as_object().unwrap();
    // CloudFormation needs no VPC parameter: only the Terraform subnet lookup uses the VPC.
    assert_eq!(params.keys().collect::<Vec<_>>(), ["Listener", "Private"]);
    assert_eq!(
        tf_data(&tf, "aws_subnets", "private")["filter"][0]["values"],
        json!(["${data.aws_vpc.vpc.id}"])
    );
    assert_eq!(params["Private"]["Type"], "List<AWS::EC2::Subnet::Id>");
    assert_eq!(cfn["Outputs"]["Subnets"]["Value"], json!({"Ref": "Private"}));
    assert_eq!(
        tf_data(&tf, "aws_lb_listener", "listener")["load_balancer_arn"],
        "${data.aws_lb.private_lb.arn}"
    );
    assert_eq!(tf_data(&tf, "aws_lb_listener", "listener")["port"], 443);
    assert_eq!(tf_data(&tf, "aws_lb", "private_lb")["name"], "lb-private");
    assert_eq!(tf_data(&tf, "aws_vpc", "vpc")["tags"]["Name"], "main");
    assert_eq!(tf["output"]["subnets"]["value"], "${data.aws_subnets.private.ids}");
    assert!(tf["data"]["aws_vpc"].get("unused").is_none());
    assert!(params.get("Unused").is_none());
}

#[test]
fn lookups_given_by_id_default_their_parameter() {
    let mut app = App::new();
    let stack = app.stack("S");
    let sg = stack.add("LbSg", SecurityGroupLookup::by_id("sg-0123"));
    stack.output("Sg", sg.id(), "");
    let (cfn, tf) = synth_one(&app);
    assert_eq!(cfn["Parameters"]["LbSg"]["Default"], "sg-0123");
    assert_eq!(tf_data(&tf, "aws_security_group", "lb_sg")["id"], "sg-0123");
}

#[test]
fn bad_lookup_ids_are_reported() {
    let mut app = App::new();
    let stack = app.stack("S");
    let v = stack.add("Vpc", VpcLookup::by_id("subnet-1"));
    let s = stack.add("Subnets", SubnetsLookup::by_ids(&["vpc-1"]));
    let l = stack.add(
        "Listener",
        ListenerLookup::by_port(
            "arn:aws:elasticloadbalancing:eu-west-2:123456789012:loadbalancer/app/x/y",
            0,
        ),
    );
    stack.output("A", v.id(), "");
    stack.output("B", s.ids(), "");
    stack.output("C", l.arn(), "");
    assert_eq!(
        problems(&app),
        [
            p("S/Vpc", "lookup-id-format"),
            p("S/Subnets", "lookup-id-format"),
            p("S/Listener", "port-range")
        ]
    );
}

#[test]
fn parameters_become_variables() {
    let mut app = App::new();
    let stack = app.stack("S");
    let version = stack.add(
        "ApplicationVersion",
        Parameter::string("Image tag to deploy").default_value("v1"),
    );
    stack.add("Logs", LogGroup::new("/app"));
    stack.output("Version", version.value(), "");
    let (cfn, tf) = synth_one(&app);
    assert_eq!(
        cfn["Parameters"]["ApplicationVersion"],
        json!({"Type": "String", "Description": "Image tag to deploy", "Default": "v1"})
    );
    assert_eq!(tf["variable"]["application_version"]["default"], "v1");
    assert_eq!(tf["output"]["version"]["value"], "${var.application_version}");
}

#[test]
fn explicit_dependencies_render_as_depends_on_in_both_backends() {
    let mut app = App::new();
    let stack = app.stack("S");
    let a = stack.add("A", LogGroup::new("/a"));
    let b = stack.add("B", LogGroup::new("/b"));
    let vpc = stack.add("Vpc", VpcLookup::by_id("vpc-1"));
    stack.add_dependency(&b, &a);
    stack.add_dependency(&b, &a);
    stack.add_dependency(&b, &vpc);
    let (cfn, tf) = synth_one(&app);
    assert_eq!(cfn_resource(&cfn, "B")["DependsOn"], json!(["A"]));
    assert_eq!(
        tf_resource(&tf, "aws_cloudwatch_log_group", "b")["depends_on"],
        json!(["aws_cloudwatch_log_group.a", "data.aws_vpc.vpc"])
    );
}

#[test]
fn stack_and_resource_tags_apply_in_both_backends() {
    let mut app = App::new();
    let stack = app.stack("S");
    stack.add_tag("team", "vault").add_tag("env", "dev");
    let logs = stack.add("Logs", LogGroup::new("/a"));
    stack.tag(&logs, "env", "prod");
    let (cfn, tf) = synth_one(&app);
    assert_eq!(
        cfn_resource(&cfn, "Logs")["Properties"]["Tags"],
        json!([{"Key": "team", "Value": "vault"}, {"Key": "env", "Value": "prod"}])
    );
    assert_eq!(
        tf["provider"]["aws"]["default_tags"]["tags"],
        json!({"team": "vault", "env": "dev"})
    );
    assert_eq!(
        tf_resource(&tf, "aws_cloudwatch_log_group", "logs")["tags"],
        json!({"env": "prod"})
    );
}

#[test]
fn invalid_tags_are_reported() {
    let mut app = App::new();
    let stack = app.stack("S");
    stack.add_tag("aws:reserved", "x");
    let logs = stack.add("Logs", LogGroup::new("/a"));
    stack.tag(&logs, "", "x");
    assert_eq!(
        problems(&app),
        [p("S", "tag-key-reserved"), p("S/Logs", "tag-key-length")]
    );
}

#[test]
fn escape_hatch_sets_and_removes_raw_properties_per_backend() {
    let mut app = App::new();
    let stack = app.stack("S");
    let logs = stack.add("Logs", LogGroup::new("/a"));
    let bucket = stack.add("Files", Bucket::new());
    stack.override_property(
        &logs,
        Backend::CloudFormation,
        "Properties.LogGroupClass",
        json!("INFREQUENT_ACCESS"),
    );
    stack.override_property(&logs, Backend::Terraform, "log_group_class", json!("INFREQUENT_ACCESS"));
    stack.remove_property(&logs, Backend::CloudFormation, "Properties.RetentionInDays");
    stack.override_block_property(
        &bucket,
        Backend::Terraform,
        "aws_s3_bucket_versioning",
        "versioning_configuration.status",
        Some(json!("Suspended").into()),
    );
    let (cfn, tf) = synth_one(&app);
    let c = &cfn_resource(&cfn, "Logs")["Properties"];
    assert_eq!(c["LogGroupClass"], "INFREQUENT_ACCESS");
    assert!(c.get("RetentionInDays").is_none());
    assert_eq!(
        tf_resource(&tf, "aws_cloudwatch_log_group", "logs")["log_group_class"],
        "INFREQUENT_ACCESS"
    );
    assert_eq!(
        tf_resource(&tf, "aws_cloudwatch_log_group", "logs")["retention_in_days"],
        365
    );
    assert_eq!(
        tf_resource(&tf, "aws_s3_bucket_versioning", "files")["versioning_configuration"]["status"],
        "Suspended"
    );
}

#[test]
fn bad_override_paths_are_reported() {
    let mut app = App::new();
    let stack = app.stack("S");
    let logs = stack.add("Logs", LogGroup::new("/a"));
    stack.override_property(&logs, Backend::Terraform, "a..b", json!(1));
    assert_eq!(problems(&app), [p("S/Logs", "invalid-override-path")]);
}

#[test]
fn get_mut_changes_a_construct_before_synthesis() {
    let mut app = App::new();
    let stack = app.stack("S");
    let logs = stack.add("Logs", LogGroup::new("/a"));
    stack.get_mut(&logs).unwrap().retention = Retention::Days(7);
    let mut other = App::new();
    assert!(
        other.stack("S").get_mut(&logs).is_none(),
        "a handle from another app is refused"
    );
    let (cfn, _) = synth_one(&app);
    assert_eq!(cfn_resource(&cfn, "Logs")["Properties"]["RetentionInDays"], 7);
}

#[test]
fn output_is_pretty_json_with_a_trailing_newline() {
    let mut app = App::new();
    app.stack("S").add("Logs", LogGroup::new("/a"));
    let files = synth(&app, &Backend::ALL).unwrap();
    assert_eq!(files[0].relative_path, "cloudformation/S.template.json");
    assert_eq!(files[1].relative_path, "terraform/S/main.tf.json");
    for f in &files {
        assert!(f.text.starts_with("{\n  \""));
        assert!(f.text.ends_with("}\n"));
        assert_eq!(f.resource_count, 1);
    }
}

#[test]
fn parameters_may_not_use_names_terraform_reserves() {
    let mut app = App::new();
    app.stack("S").add("Version", Parameter::string("Image tag"));
    assert_eq!(problems(&app), [p("S/Version", "terraform-reserved-name")]);
}

#[test]
fn reference_cycles_are_reported_with_the_loop() {
    let mut app = App::new();
    let stack = app.stack("S");
    let a = stack.add("A", LogGroup::new("/a"));
    let b = stack.add("B", LogGroup::new("/b"));
    let c = stack.add("C", LogGroup::new("/c"));
    stack.add_dependency(&a, &b);
    stack.add_dependency(&b, &c);
    stack.add_dependency(&c, &a);
    let err = synth(&app, &Backend::ALL).unwrap_err();
    assert_eq!(err.problems.len(), 1, "{err}");
    assert_eq!(err.problems[0].rule, "reference-cycle");
    assert!(
        err.problems[0].message.ends_with("S/A -> S/B -> S/C -> S/A"),
        "{}",
        err.problems[0].message
    );
}

#[test]
fn lookups_by_name_or_tag_tell_deploy_how_to_resolve_their_parameters() {
    use constructs::lookup::{LookupInput, LookupQuery, ParameterLookup};
    let mut app = App::new();
    let stack = app.stack("S");
    stack.set_account("123456789012").set_region("eu-west-2");
    let vpc = stack.add("Vpc", VpcLookup::by_name_tag("main"));
    let subnets = stack.add("Private", SubnetsLookup::by_tags(vpc.id(), &[("Tier", "private")]));
    let lb = stack.add("Lb", LoadBalancerLookup::by_name("lb-private"));
    let listener = stack.add("Https", ListenerLookup::by_port(lb.arn(), 443));
    let sg = stack.add("LbSg", SecurityGroupLookup::by_name("lb-sg", vpc.id()));
    let by_id = stack.add("Other", VpcLookup::by_id("vpc-0123456789abcdef0"));
    let unused = stack.add("Unused", LoadBalancerLookup::by_name("nobody-uses-me"));
    let _ = unused;
    let group = stack.add(
        "Tasks",
        SecurityGroup::new("tasks", vpc.id()).ingress(Rule::tcp_from_security_group(sg.id(), 80)),
    );
    stack.output("Subnets", subnets.ids(), "");
    stack.output("Listener", listener.arn(), "");
    stack.output("Group", group.id(), "");
    stack.output("OtherVpc", by_id.id(), "");
    let files = synth(&app, &[Backend::CloudFormation]).unwrap();
    let cfn = &files[0];
    assert_eq!(cfn.account.as_deref(), Some("123456789012"));
    assert_eq!(cfn.region.as_deref(), Some("eu-west-2"));
    let param = |id: &str| LookupInput::Parameter(id.to_string());
    assert_eq!(
        cfn.lookups,
        [
            ParameterLookup {
                parameter: "Vpc".into(),
                query: LookupQuery::VpcByNameTag { name: "main".into() }
            },
            ParameterLookup {
                parameter: "Private".into(),
                query: LookupQuery::SubnetsByTags {
                    vpc: param("Vpc"),
                    tags: vec![("Tier".into(), "private".into())]
                }
            },
            ParameterLookup {
                parameter: "Lb".into(),
                query: LookupQuery::LoadBalancerByName {
                    name: "lb-private".into()
                }
            },
            ParameterLookup {
                parameter: "Https".into(),
                query: LookupQuery::ListenerByPort {
                    load_balancer: param("Lb"),
                    port: 443
                }
            },
            ParameterLookup {
                parameter: "LbSg".into(),
                query: LookupQuery::SecurityGroupByName {
                    name: "lb-sg".into(),
                    vpc: param("Vpc")
                }
            },
        ]
    );
}
