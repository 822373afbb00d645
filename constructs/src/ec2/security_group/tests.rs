use super::*;
use crate::lookup::{SecurityGroupLookup, VpcLookup};
use crate::testing::{cfn_resource, problems, synth_one, tf_resource};
use crate::App;
use serde_json::json;

#[test]
fn the_seed_security_group_renders_inline_in_cloudformation_and_as_rule_resources_in_terraform() {
    let mut app = App::new();
    let stack = app.stack("S");
    let vpc = stack.add("Vpc", VpcLookup::by_name_tag("vpc-name-goes-here"));
    let lb_sg = stack.add(
        "LbSg",
        SecurityGroupLookup::by_name("private-lb-security-group", vpc.id()),
    );
    stack.add(
        "Tasks",
        SecurityGroup::new("allow inbound access from the ALB only", vpc.id())
            .name("vault-ecs-tasks")
            .ingress(Rule::tcp_from_security_group(lb_sg.id(), 80))
            .allow_all_egress(),
    );
    let (cfn, tf) = synth_one(&app);
    let sg = cfn_resource(&cfn, "Tasks");
    assert_eq!(sg["Type"], "AWS::EC2::SecurityGroup");
    assert_eq!(
        sg["Properties"],
        json!({
            "GroupName": "vault-ecs-tasks",
            "GroupDescription": "allow inbound access from the ALB only",
            "VpcId": { "Ref": "Vpc" },
            "SecurityGroupIngress": [{
                "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
                "SourceSecurityGroupId": { "Ref": "LbSg" }
            }],
            "SecurityGroupEgress": [{ "IpProtocol": "-1", "CidrIp": "0.0.0.0/0" }]
        })
    );
    assert_eq!(
        tf_resource(&tf, "aws_security_group", "tasks"),
        &json!({
            "name": "vault-ecs-tasks",
            "description": "allow inbound access from the ALB only",
            "vpc_id": "${data.aws_vpc.vpc.id}"
        })
    );
    assert_eq!(
        tf_resource(&tf, "aws_vpc_security_group_ingress_rule", "tasks_ingress_0"),
        &json!({
            "security_group_id": "${aws_security_group.tasks.id}",
            "ip_protocol": "tcp",
            "from_port": 80,
            "to_port": 80,
            "referenced_security_group_id": "${data.aws_security_group.lb_sg.id}"
        })
    );
    assert_eq!(
        tf_resource(&tf, "aws_vpc_security_group_egress_rule", "tasks_egress_0"),
        &json!({
            "security_group_id": "${aws_security_group.tasks.id}",
            "ip_protocol": "-1",
            "cidr_ipv4": "0.0.0.0/0"
        })
    );
}

#[test]
fn egress_defaults_to_https_only_in_both_backends() {
    let mut app = App::new();
    app.stack("S").add("Sg", SecurityGroup::new("tasks", "vpc-1"));
    let (cfn, tf) = synth_one(&app);
    let p = &cfn_resource(&cfn, "Sg")["Properties"];
    assert!(p.get("SecurityGroupIngress").is_none());
    assert!(p.get("GroupName").is_none());
    assert_eq!(
        p["SecurityGroupEgress"],
        json!([{
            "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0",
            "Description": "HTTPS to AWS APIs and image registries"
        }])
    );
    let e = tf_resource(&tf, "aws_vpc_security_group_egress_rule", "sg_egress_0");
    assert_eq!(e["ip_protocol"], "tcp");
    assert_eq!(e["from_port"], 443);
    assert_eq!(e["cidr_ipv4"], "0.0.0.0/0");
    assert!(tf["resource"].get("aws_vpc_security_group_ingress_rule").is_none());
}

#[test]
fn no_egress_renders_the_placeholder_rule_in_cloudformation_and_no_rule_in_terraform() {
    let mut app = App::new();
    app.stack("S")
        .add("Sg", SecurityGroup::new("isolated", "vpc-1").no_egress());
    let (cfn, tf) = synth_one(&app);
    assert_eq!(
        cfn_resource(&cfn, "Sg")["Properties"]["SecurityGroupEgress"],
        json!([{
            "IpProtocol": "icmp", "FromPort": 252, "ToPort": 86,
            "CidrIp": "255.255.255.255/32", "Description": "Disallow all traffic"
        }])
    );
    assert!(tf["resource"].get("aws_vpc_security_group_egress_rule").is_none());
}

#[test]
fn every_peer_and_protocol_renders_in_both_backends() {
    let mut app = App::new();
    let stack = app.stack("S");
    let db = stack.add("Db", SecurityGroup::new("database", "vpc-1").no_egress());
    stack.add(
        "Sg",
        SecurityGroup::new("app", "vpc-1")
            .ingress(Rule::tcp_range(Peer::ipv6("2001:db8::/32"), 8000, 8080).description("v6 clients"))
            .ingress(Rule::icmp(Peer::ipv4("10.0.0.0/16"), 3, 4))
            .ingress(Rule {
                peer: Peer::ipv6("::/0"),
                protocol: IpProtocol::Icmpv6,
                from_port: None,
                to_port: None,
                description: None,
            })
            .no_egress()
            .egress(Rule::tcp(db.id(), 5432))
            .egress(Rule::udp(Peer::ipv4("10.0.0.2/32"), 53)),
    );
    let (cfn, tf) = synth_one(&app);
    let p = &cfn_resource(&cfn, "Sg")["Properties"];
    assert_eq!(
        p["SecurityGroupIngress"],
        json!([
            { "IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8080, "CidrIpv6": "2001:db8::/32", "Description": "v6 clients" },
            { "IpProtocol": "icmp", "FromPort": 3, "ToPort": 4, "CidrIp": "10.0.0.0/16" },
            { "IpProtocol": "icmpv6", "CidrIpv6": "::/0" }
        ])
    );
    assert_eq!(
        p["SecurityGroupEgress"],
        json!([
            { "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "DestinationSecurityGroupId": { "Fn::GetAtt": ["Db", "GroupId"] } },
            { "IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "CidrIp": "10.0.0.2/32" }
        ])
    );
    let rule = |t: &str, n: &str| tf_resource(&tf, t, n).clone();
    assert_eq!(
        rule("aws_vpc_security_group_ingress_rule", "sg_ingress_0"),
        json!({
            "security_group_id": "${aws_security_group.sg.id}", "ip_protocol": "tcp",
            "from_port": 8000, "to_port": 8080, "cidr_ipv6": "2001:db8::/32", "description": "v6 clients"
        })
    );
    assert_eq!(
        rule("aws_vpc_security_group_ingress_rule", "sg_ingress_2"),
        json!({
            "security_group_id": "${aws_security_group.sg.id}", "ip_protocol": "icmpv6",
            "cidr_ipv6": "::/0"
        })
    );
    assert_eq!(
        rule("aws_vpc_security_group_egress_rule", "sg_egress_0"),
        json!({
            "security_group_id": "${aws_security_group.sg.id}", "ip_protocol": "tcp",
            "from_port": 5432, "to_port": 5432,
            "referenced_security_group_id": "${aws_security_group.db.id}"
        })
    );
    assert_eq!(
        rule("aws_vpc_security_group_egress_rule", "sg_egress_1")["ip_protocol"],
        "udp"
    );
}

#[test]
fn id_and_arn_render_in_both_backends() {
    let mut app = App::new();
    let stack = app.stack("S");
    let sg = stack.add("Sg", SecurityGroup::new("app", "vpc-1"));
    stack.output("Id", sg.id(), "");
    stack.output("Arn", sg.arn(), "");
    let (cfn, tf) = synth_one(&app);
    assert_eq!(
        cfn["Outputs"]["Id"]["Value"],
        json!({ "Fn::GetAtt": ["Sg", "GroupId"] })
    );
    assert_eq!(
        cfn["Outputs"]["Arn"]["Value"],
        json!({ "Fn::Sub": "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:security-group/${Sg.GroupId}" })
    );
    assert_eq!(tf["output"]["id"]["value"], "${aws_security_group.sg.id}");
    assert_eq!(
        tf["output"]["arn"]["value"],
        "arn:${data.aws_partition.current.partition}:ec2:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:security-group/${aws_security_group.sg.id}"
    );
}

fn rules_for(sg: SecurityGroup) -> Vec<&'static str> {
    let mut app = App::new();
    app.stack("S").add("Sg", sg);
    problems(&app)
        .into_iter()
        .map(|(path, rule)| {
            assert_eq!(path, "S/Sg");
            rule
        })
        .collect()
}

fn sg() -> SecurityGroup {
    SecurityGroup::new("app", "vpc-1")
}

#[test]
fn bad_descriptions_and_names_are_reported_per_rule() {
    assert_eq!(
        rules_for(SecurityGroup::new("", "vpc-1")),
        ["security-group-description"]
    );
    assert_eq!(
        rules_for(SecurityGroup::new(&"a".repeat(256), "vpc-1")),
        ["security-group-description"]
    );
    assert_eq!(
        rules_for(SecurityGroup::new("tasks' group", "vpc-1")),
        ["security-group-description"]
    );
    assert!(rules_for(SecurityGroup::new("a-z 0-9 ._-:/()#,@[]+=&;{}!$*", "vpc-1")).is_empty());
    assert_eq!(rules_for(sg().name("")), ["security-group-name"]);
    assert_eq!(rules_for(sg().name("tâches")), ["security-group-name"]);
    assert_eq!(rules_for(sg().name("sg-tasks")), ["security-group-name-prefix"]);
    assert!(rules_for(sg().name("vault-ecs-tasks")).is_empty());
}

#[test]
fn bad_ports_are_reported_per_rule() {
    let with = |r: Rule| rules_for(sg().ingress(r));
    let any = Peer::any_ipv4;
    assert_eq!(with(Rule::tcp_range(any(), 90, 80)), ["security-group-rule-ports"]);
    let mut missing = Rule::tcp(any(), 80);
    missing.to_port = None;
    assert_eq!(with(missing), ["security-group-rule-ports"]);
    let mut negative = Rule::udp(any(), 53);
    negative.from_port = Some(-1);
    assert_eq!(with(negative), ["security-group-rule-ports"]);
    let mut too_big = Rule::udp(any(), 53);
    too_big.to_port = Some(65536);
    assert_eq!(with(too_big), ["security-group-rule-ports"]);
    let mut all_with_ports = Rule::all_traffic(any());
    all_with_ports.from_port = Some(0);
    assert_eq!(with(all_with_ports), ["security-group-rule-ports"]);
    assert_eq!(with(Rule::icmp(any(), 256, 0)), ["security-group-rule-icmp"]);
    assert_eq!(with(Rule::icmp(any(), -1, 3)), ["security-group-rule-icmp"]);
    assert!(with(Rule::icmp(any(), 8, -1)).is_empty());
    assert!(with(Rule::tcp_range(any(), 0, 65535)).is_empty());
}

#[test]
fn bad_cidr_blocks_are_reported_with_the_network_meant() {
    let with = |p: Peer| rules_for(sg().ingress(Rule::tcp(p, 80)));
    assert_eq!(with(Peer::ipv4("10.0.0.0")), ["security-group-cidr"]);
    assert_eq!(with(Peer::ipv4("10.0.0.0/33")), ["security-group-cidr"]);
    assert_eq!(with(Peer::ipv4("::/0")), ["security-group-cidr"]);
    assert_eq!(with(Peer::ipv6("0.0.0.0/0")), ["security-group-cidr"]);
    assert_eq!(with(Peer::ipv6("::/129")), ["security-group-cidr"]);
    assert_eq!(with(Peer::ipv4("10.0.0.1/16")), ["security-group-cidr-host-bits"]);
    let mut app = App::new();
    app.stack("S")
        .add("Sg", sg().ingress(Rule::tcp(Peer::ipv6("2001:db8::1/64"), 80)));
    let err = crate::validate(&app);
    assert!(err[0].message.contains("2001:db8::/64"), "{}", err[0].message);
}

#[test]
fn bad_rule_descriptions_are_reported() {
    assert_eq!(
        rules_for(sg().egress(Rule::tcp_to_anywhere(80).description("plain <http>"))),
        ["security-group-rule-description"]
    );
    assert_eq!(
        rules_for(sg().egress(Rule::tcp_to_anywhere(80).description(&"x".repeat(256)))),
        ["security-group-rule-description"]
    );
}

#[test]
fn duplicate_rules_in_one_direction_are_reported() {
    assert_eq!(
        rules_for(sg().egress(Rule::tcp_to_anywhere(443))),
        ["security-group-rule-duplicate"]
    );
    assert_eq!(
        rules_for(sg().ingress(Rule::icmp(Peer::any_ipv4(), -1, -1)).ingress(Rule {
            peer: Peer::any_ipv4(),
            protocol: IpProtocol::Icmp,
            from_port: None,
            to_port: None,
            description: Some("same".into()),
        })),
        ["security-group-rule-duplicate"]
    );
    assert!(rules_for(sg().ingress(Rule::tcp_to_anywhere(443))).is_empty());
}

#[test]
fn two_groups_with_one_name_in_one_vpc_are_reported() {
    let mut app = App::new();
    let stack = app.stack("S");
    stack.add("A", SecurityGroup::new("a", "vpc-1").name("tasks"));
    stack.add("B", SecurityGroup::new("b", "vpc-2").name("tasks"));
    stack.add("C", SecurityGroup::new("c", "vpc-1").name("tasks"));
    assert_eq!(problems(&app), [("S/C".to_string(), "security-group-name-unique")]);
}
