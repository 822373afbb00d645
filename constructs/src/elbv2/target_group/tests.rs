use super::*;
use crate::lookup::VpcLookup;
use crate::testing::{cfn_resource, problems, synth_one, tf_resource};
use crate::tree::Handle;
use crate::App;
use serde_json::json;
use std::time::Duration;

fn seed_target_group(app: &mut App) -> Handle<IpTargetGroup> {
    let stack = app.stack("S");
    let vpc = stack.add("Vpc", VpcLookup::by_id("vpc-123"));
    stack.add(
        "Tg",
        IpTargetGroup::new(80, vpc.id()).name("vault-api").health_check(
            HealthCheck::at("/vault")
                .port(80)
                .protocol(Protocol::Http)
                .healthy_threshold(5)
                .unhealthy_threshold(2)
                .timeout(Duration::from_secs(5))
                .interval(Duration::from_secs(30))
                .matcher("200"),
        ),
    )
}

#[test]
fn the_seed_target_group_renders_as_an_ip_target_group_in_both_backends() {
    let mut app = App::new();
    seed_target_group(&mut app);
    let (cfn, tf) = synth_one(&app);
    let tg = cfn_resource(&cfn, "Tg");
    assert_eq!(tg["Type"], "AWS::ElasticLoadBalancingV2::TargetGroup");
    assert_eq!(
        tg["Properties"],
        json!({
            "Name": "vault-api",
            "TargetType": "ip",
            "Protocol": "HTTP",
            "Port": 80,
            "VpcId": { "Ref": "Vpc" },
            "HealthCheckEnabled": true,
            "HealthCheckPath": "/vault",
            "HealthCheckPort": "80",
            "HealthCheckProtocol": "HTTP",
            "HealthyThresholdCount": 5,
            "UnhealthyThresholdCount": 2,
            "HealthCheckTimeoutSeconds": 5,
            "HealthCheckIntervalSeconds": 30,
            "Matcher": { "HttpCode": "200" },
            "TargetGroupAttributes": [
                { "Key": "deregistration_delay.timeout_seconds", "Value": "30" }
            ]
        })
    );
    assert_eq!(
        tf_resource(&tf, "aws_lb_target_group", "tg"),
        &json!({
            "name": "vault-api",
            "target_type": "ip",
            "protocol": "HTTP",
            "port": 80,
            "vpc_id": "${data.aws_vpc.vpc.id}",
            "health_check": {
                "enabled": true,
                "path": "/vault",
                "port": "80",
                "protocol": "HTTP",
                "healthy_threshold": 5,
                "unhealthy_threshold": 2,
                "timeout": 5,
                "interval": 30,
                "matcher": "200"
            },
            "deregistration_delay": "30"
        })
    );
}

#[test]
fn attributes_render_as_ref_and_get_att_or_terraform_attributes() {
    let mut app = App::new();
    let tg = seed_target_group(&mut app);
    let stack = &mut app.stacks_mut()[0];
    stack.output("Arn", tg.arn(), "");
    stack.output("Name", tg.name(), "");
    stack.output("FullName", tg.full_name(), "");
    let (cfn, tf) = synth_one(&app);
    assert_eq!(cfn["Outputs"]["Arn"]["Value"], json!({ "Ref": "Tg" }));
    assert_eq!(
        cfn["Outputs"]["Name"]["Value"],
        json!({ "Fn::GetAtt": ["Tg", "TargetGroupName"] })
    );
    assert_eq!(
        cfn["Outputs"]["FullName"]["Value"],
        json!({ "Fn::GetAtt": ["Tg", "TargetGroupFullName"] })
    );
    assert_eq!(tf["output"]["arn"]["value"], "${aws_lb_target_group.tg.arn}");
    assert_eq!(tf["output"]["name"]["value"], "${aws_lb_target_group.tg.name}");
    assert_eq!(
        tf["output"]["full_name"]["value"],
        "${aws_lb_target_group.tg.arn_suffix}"
    );
}

#[test]
fn defaults_are_http_traffic_port_checks_and_a_short_deregistration_delay() {
    let mut app = App::new();
    app.stack("S").add("Tg", IpTargetGroup::new(8080, "vpc-1"));
    let (cfn, tf) = synth_one(&app);
    let p = &cfn_resource(&cfn, "Tg")["Properties"];
    assert!(p.get("Name").is_none());
    assert_eq!(p["HealthCheckPort"], "traffic-port");
    assert_eq!(p["HealthCheckPath"], "/");
    assert_eq!(p["HealthyThresholdCount"], 5);
    let t = tf_resource(&tf, "aws_lb_target_group", "tg");
    assert!(t.get("name").is_none());
    assert_eq!(t["health_check"]["port"], "traffic-port");
    assert_eq!(t["health_check"]["healthy_threshold"], 5);
    assert_eq!(t["deregistration_delay"], "30");
    assert!(t.get("slow_start").is_none());
}

#[test]
fn https_and_slow_start_render_in_both_backends() {
    let mut app = App::new();
    app.stack("S").add(
        "Tg",
        IpTargetGroup::new(443, "vpc-1")
            .protocol(Protocol::Https)
            .deregistration_delay(Duration::from_secs(0))
            .slow_start(Duration::from_secs(60)),
    );
    let (cfn, tf) = synth_one(&app);
    let p = &cfn_resource(&cfn, "Tg")["Properties"];
    assert_eq!(p["Protocol"], "HTTPS");
    assert_eq!(p["HealthCheckProtocol"], "HTTPS");
    assert_eq!(
        p["TargetGroupAttributes"],
        json!([
            { "Key": "deregistration_delay.timeout_seconds", "Value": "0" },
            { "Key": "slow_start.duration_seconds", "Value": "60" }
        ])
    );
    let t = tf_resource(&tf, "aws_lb_target_group", "tg");
    assert_eq!(t["protocol"], "HTTPS");
    assert_eq!(t["health_check"]["protocol"], "HTTPS");
    assert_eq!(t["deregistration_delay"], "0");
    assert_eq!(t["slow_start"], 60);
}

fn rules_for(tg: IpTargetGroup) -> Vec<&'static str> {
    let mut app = App::new();
    app.stack("S").add("Tg", tg);
    problems(&app)
        .into_iter()
        .map(|(path, rule)| {
            assert_eq!(path, "S/Tg");
            rule
        })
        .collect()
}

#[test]
fn bad_target_group_names_are_reported_per_rule() {
    let tg = |n: &str| IpTargetGroup::new(80, "vpc-1").name(n);
    assert_eq!(
        rules_for(tg("a-name-that-is-much-longer-than-32")),
        ["target-group-name-length"]
    );
    assert_eq!(rules_for(tg("")), ["target-group-name-length"]);
    assert_eq!(rules_for(tg("vault_api")), ["target-group-name-chars"]);
    assert_eq!(rules_for(tg("-vault")), ["target-group-name-chars"]);
    assert_eq!(rules_for(tg("vault-")), ["target-group-name-chars"]);
    assert_eq!(rules_for(tg("internal-vault")), ["target-group-name-reserved"]);
    assert!(rules_for(tg("Vault-API-2")).is_empty());
}

#[test]
fn out_of_range_settings_are_reported_per_rule() {
    let tg = || IpTargetGroup::new(80, "vpc-1");
    assert_eq!(rules_for(IpTargetGroup::new(0, "vpc-1")), ["target-group-port"]);
    assert_eq!(
        rules_for(tg().deregistration_delay(Duration::from_secs(3601))),
        ["target-group-deregistration-delay"]
    );
    assert_eq!(
        rules_for(tg().slow_start(Duration::from_secs(10))),
        ["target-group-slow-start"]
    );
    assert_eq!(
        rules_for(tg().slow_start(Duration::from_secs(901))),
        ["target-group-slow-start"]
    );
}

#[test]
fn bad_health_checks_are_reported_per_rule() {
    let hc = |h: HealthCheck| rules_for(IpTargetGroup::new(80, "vpc-1").health_check(h));
    assert_eq!(hc(HealthCheck::at("vault")), ["health-check-path"]);
    assert_eq!(
        hc(HealthCheck::at(&format!("/{}", "a".repeat(1024)))),
        ["health-check-path"]
    );
    assert_eq!(hc(HealthCheck::default().port(0)), ["health-check-port"]);
    assert_eq!(
        hc(HealthCheck::default().healthy_threshold(1)),
        ["health-check-healthy-threshold"]
    );
    assert_eq!(
        hc(HealthCheck::default().unhealthy_threshold(11)),
        ["health-check-unhealthy-threshold"]
    );
    assert_eq!(
        hc(HealthCheck::default().timeout(Duration::from_secs(1))),
        ["health-check-timeout"]
    );
    assert_eq!(
        hc(HealthCheck::default()
            .interval(Duration::from_secs(301))
            .timeout(Duration::from_secs(5))),
        ["health-check-interval"]
    );
    assert_eq!(
        hc(HealthCheck::default()
            .timeout(Duration::from_secs(30))
            .interval(Duration::from_secs(30))),
        ["health-check-timeout-interval"]
    );
    for bad in ["", "ok", "20", "199", "500", "200-", "299-200", "200,,202", "2OO"] {
        assert_eq!(
            hc(HealthCheck::default().matcher(bad)),
            ["health-check-matcher"],
            "{bad:?}"
        );
    }
    for good in ["200", "200,202", "200-299", "200-299,404", "499"] {
        assert!(hc(HealthCheck::default().matcher(good)).is_empty(), "{good:?}");
    }
}

#[test]
fn two_target_groups_with_one_name_are_reported() {
    let mut app = App::new();
    let stack = app.stack("S");
    stack.add("A", IpTargetGroup::new(80, "vpc-1").name("vault-api"));
    stack.add("B", IpTargetGroup::new(80, "vpc-1").name("vault-api"));
    assert_eq!(problems(&app), [("S/B".to_string(), "target-group-name-unique")]);
}
