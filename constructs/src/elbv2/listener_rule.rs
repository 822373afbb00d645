//! `LoadBalancerRule`: a listener rule routing matching requests to a target group.

use crate::expr::{kind, Attr, Attribute, CfnAttr, Value};
use crate::problem::Checker;
use crate::resource::{CfnBlock, RenderCx, Resource, TfBlock};
use crate::{cfn, tf};

const ARN: Attribute = Attribute::new(CfnAttr::Ref, "arn");

/// Most values one condition may list (ELB: "up to three comparison strings per condition").
pub const MAX_VALUES_PER_CONDITION: usize = 3;
/// Most values all conditions of one rule may list together (ELB quota, not adjustable).
pub const MAX_VALUES_PER_RULE: usize = 5;
/// Longest path pattern or host name ELB accepts.
pub const MAX_PATTERN_CHARS: usize = 128;

/// What a request must match. A condition matches when any of its values does;
/// a rule matches when all of its conditions do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    /// URL paths, case-sensitive, e.g. `/vault*`. Wildcards `*` and `?`.
    PathPattern(Vec<String>),
    /// Host names, case-insensitive, e.g. `api.example.com`, `*.example.com`.
    HostHeader(Vec<String>),
}

impl Condition {
    pub fn path_pattern<S: Into<String>>(values: impl IntoIterator<Item = S>) -> Self {
        Condition::PathPattern(values.into_iter().map(Into::into).collect())
    }
    pub fn host_header<S: Into<String>>(values: impl IntoIterator<Item = S>) -> Self {
        Condition::HostHeader(values.into_iter().map(Into::into).collect())
    }
    /// The ELB field name, also used in messages.
    fn field(&self) -> &'static str {
        match self {
            Condition::PathPattern(_) => "path-pattern",
            Condition::HostHeader(_) => "host-header",
        }
    }
    fn values(&self) -> &[String] {
        match self {
            Condition::PathPattern(v) | Condition::HostHeader(v) => v,
        }
    }
    fn cfn(&self) -> cfn::elasticloadbalancingv2::listener_rule::RuleCondition {
        use cfn::elasticloadbalancingv2::listener_rule as r;
        let condition = r::RuleCondition::new().field(self.field());
        let values = self.values().to_vec();
        match self {
            Condition::PathPattern(_) => condition.path_pattern_config(r::PathPatternConfig::new().values(values)),
            Condition::HostHeader(_) => condition.host_header_config(r::HostHeaderConfig::new().values(values)),
        }
    }
    fn tf(&self) -> tf::aws::elasticloadbalancingv2::lb_listener_rule::Condition {
        use tf::aws::elasticloadbalancingv2::lb_listener_rule as r;
        let values = r::HostHeader::new(self.values().to_vec());
        match self {
            Condition::PathPattern(_) => r::Condition::new().path_pattern(values),
            Condition::HostHeader(_) => r::Condition::new().host_header(values),
        }
    }
}

/// What the rule does with a matching request.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Forwards to a target group (its ARN).
    Forward(Value<kind::Arn>),
}

impl Action {
    pub fn forward(target_group: impl Into<Value<kind::Arn>>) -> Self {
        Action::Forward(target_group.into())
    }
}

/// A rule on an existing listener: requests matching every condition get the
/// action. Rules are evaluated by ascending priority, so each priority may be
/// used once per listener; two rules of one stack sharing a listener and a
/// priority are reported before anything is written.
///
/// CloudFormation's `AWS::ElasticLoadBalancingV2::ListenerRule` takes no tags;
/// Terraform's `aws_lb_listener_rule` does, so stack tags reach it there only.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadBalancerRule {
    /// The listener's ARN, e.g. from a [`crate::lookup::ListenerLookup`].
    pub listener: Value<kind::Arn>,
    /// 1-50000, lower is evaluated first; unique per listener.
    pub priority: u32,
    /// At least one; at most one of each kind.
    pub conditions: Vec<Condition>,
    pub action: Action,
}

impl LoadBalancerRule {
    /// A rule without conditions yet: add them with [`LoadBalancerRule::when`],
    /// [`LoadBalancerRule::path_patterns`] or [`LoadBalancerRule::host_headers`]
    /// (a rule needs at least one).
    pub fn new(listener: impl Into<Value<kind::Arn>>, priority: u32, action: Action) -> Self {
        LoadBalancerRule {
            listener: listener.into(),
            priority,
            conditions: Vec::new(),
            action,
        }
    }

    /// A rule forwarding to `target_group` (its ARN).
    pub fn forward(
        listener: impl Into<Value<kind::Arn>>,
        priority: u32,
        target_group: impl Into<Value<kind::Arn>>,
    ) -> Self {
        Self::new(listener, priority, Action::forward(target_group))
    }

    pub fn when(mut self, condition: Condition) -> Self {
        self.conditions.push(condition);
        self
    }

    /// Matches requests whose path matches any of `patterns`.
    pub fn path_patterns<S: Into<String>>(self, patterns: impl IntoIterator<Item = S>) -> Self {
        self.when(Condition::path_pattern(patterns))
    }

    /// Matches requests whose `Host` matches any of `hosts`.
    pub fn host_headers<S: Into<String>>(self, hosts: impl IntoIterator<Item = S>) -> Self {
        self.when(Condition::host_header(hosts))
    }
}

crate::refs! {
    /// What a handle to [`LoadBalancerRule`] exposes: its attributes and grants.
    pub LoadBalancerRuleRefs
}

impl LoadBalancerRuleRefs {
    pub fn arn(&self) -> Attr<kind::Arn> {
        self.attr(ARN)
    }
}

/// Path patterns: letters, digits, `_-.$/~"'@:+&` and the wildcards `*` `?`.
fn path_pattern_ok(p: &str) -> bool {
    !p.is_empty()
        && p.chars().count() <= MAX_PATTERN_CHARS
        && p.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.$/~\"'@:+&*?".contains(c))
}

/// Host names: letters, digits, `-_.` and the wildcards `*` `?`; at least one
/// `.`, and only letters after the last one.
fn host_header_ok(h: &str) -> bool {
    let chars_ok = h.chars().all(|c| c.is_ascii_alphanumeric() || "-_.*?".contains(c));
    let tld_ok = match h.rsplit_once('.') {
        Some((_, tld)) => !tld.is_empty() && tld.chars().all(|c| c.is_ascii_alphabetic()),
        None => false,
    };
    h.chars().count() <= MAX_PATTERN_CHARS && chars_ok && tld_ok
}

impl Resource for LoadBalancerRule {
    type Refs = LoadBalancerRuleRefs;

    fn kind(&self) -> &'static str {
        "LoadBalancerRule"
    }

    fn validate(&self, c: &mut Checker<'_>) {
        c.range(
            "listener rule priority",
            self.priority.into(),
            1,
            50000,
            "listener-rule-priority",
        );
        c.ensure(!self.conditions.is_empty(), "listener-rule-conditions", || {
            "a listener rule needs at least one condition (a path pattern or a host header)".into()
        });
        let mut seen: Vec<&str> = Vec::new();
        let mut total = 0;
        for cond in &self.conditions {
            let field = cond.field();
            c.ensure(!seen.contains(&field), "listener-rule-condition-repeated", || {
                format!("a listener rule may have one {field} condition; put all values in one")
            });
            seen.push(field);
            let n = cond.values().len();
            total += n;
            c.ensure(
                (1..=MAX_VALUES_PER_CONDITION).contains(&n),
                "listener-rule-condition-values",
                || format!("the {field} condition has {n} values; it must have 1-{MAX_VALUES_PER_CONDITION}"),
            );
            for v in cond.values() {
                match cond {
                    Condition::PathPattern(_) => c.ensure(path_pattern_ok(v), "listener-rule-path-pattern", || {
                        format!("path pattern {v:?} must be 1-{MAX_PATTERN_CHARS} characters of letters, digits, _-.$/~\"'@:+& and the wildcards * and ?")
                    }),
                    Condition::HostHeader(_) => c.ensure(host_header_ok(v), "listener-rule-host-header", || {
                        format!("host header {v:?} must be at most {MAX_PATTERN_CHARS} characters of letters, digits, -_. and the wildcards * and ?, with at least one '.' and only letters after the last")
                    }),
                }
            }
        }
        c.ensure(total <= MAX_VALUES_PER_RULE, "listener-rule-condition-values", || {
            format!("the rule's conditions list {total} values together; a rule may have at most {MAX_VALUES_PER_RULE}")
        });
    }

    fn unique_keys(&self) -> Vec<(&'static str, String, String)> {
        // The listener as written: a lookup handle or a literal ARN. Two
        // different expressions for one listener go unnoticed; ELB rejects those.
        vec![(
            "listener-rule-priority-unique",
            format!("{:?}#{}", self.listener.expr(), self.priority),
            format!("priority {} on this listener", self.priority),
        )]
    }

    fn cloudformation(&self, _: &RenderCx) -> Option<Vec<CfnBlock>> {
        use cfn::elasticloadbalancingv2::listener_rule as r;
        let Action::Forward(tg) = &self.action;
        let action = r::Action::new(r::Type::Forward).target_group_arn(tg);
        let conditions: Vec<_> = self.conditions.iter().map(Condition::cfn).collect();
        let rule = r::ListenerRule::new([action], conditions, self.priority).listener_arn(&self.listener);
        Some(vec![rule.into_cfn_resource().into_block()])
    }

    fn terraform(&self, _: &RenderCx) -> Option<Vec<TfBlock>> {
        use tf::aws::elasticloadbalancingv2::lb_listener_rule as r;
        let Action::Forward(tg) = &self.action;
        let action = r::Action::new("forward").target_group_arn(tg);
        let conditions: Vec<_> = self.conditions.iter().map(Condition::tf).collect();
        let rule = tf::aws::LbListenerRule::new(&self.listener, [action], conditions).priority(self.priority);
        Some(vec![rule.into_tf_block()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elbv2::IpTargetGroup;
    use crate::lookup::{ListenerLookup, LoadBalancerLookup};
    use crate::testing::{cfn_resource, problems, synth_one, tf_resource};
    use crate::App;
    use serde_json::json;

    #[test]
    fn the_seed_rule_forwards_a_path_pattern_to_the_target_group_in_both_backends() {
        let mut app = App::new();
        let stack = app.stack("S");
        stack.add_tag("team", "vault");
        let lb = stack.add("PrivateLb", LoadBalancerLookup::by_name("lb-private"));
        let listener = stack.add("Listener", ListenerLookup::by_port(lb.arn(), 443));
        let tg = stack.add("Tg", IpTargetGroup::new(80, "vpc-1"));
        let rule = stack.add(
            "Rule",
            LoadBalancerRule::forward(listener.arn(), 1, tg.arn()).path_patterns(["/vault*"]),
        );
        stack.output("RuleArn", rule.arn(), "");
        let (cfn, tf) = synth_one(&app);
        let r = cfn_resource(&cfn, "Rule");
        assert_eq!(r["Type"], "AWS::ElasticLoadBalancingV2::ListenerRule");
        assert_eq!(
            r["Properties"],
            json!({
                "ListenerArn": { "Ref": "Listener" },
                "Priority": 1,
                "Conditions": [
                    { "Field": "path-pattern", "PathPatternConfig": { "Values": ["/vault*"] } }
                ],
                "Actions": [{ "Type": "forward", "TargetGroupArn": { "Ref": "Tg" } }]
            }),
            "no Tags: the CloudFormation type has none"
        );
        assert_eq!(cfn["Outputs"]["RuleArn"]["Value"], json!({ "Ref": "Rule" }));
        assert_eq!(
            tf_resource(&tf, "aws_lb_listener_rule", "rule"),
            &json!({
                "listener_arn": "${data.aws_lb_listener.listener.arn}",
                "priority": 1,
                "action": [{ "type": "forward", "target_group_arn": "${aws_lb_target_group.tg.arn}" }],
                "condition": [{ "path_pattern": { "values": ["/vault*"] } }]
            })
        );
        assert_eq!(tf["output"]["rule_arn"]["value"], "${aws_lb_listener_rule.rule.arn}");
    }

    #[test]
    fn host_and_path_conditions_render_together() {
        let mut app = App::new();
        app.stack("S").add(
            "Rule",
            LoadBalancerRule::new(
                "arn:aws:elasticloadbalancing:eu-west-2:123456789012:listener/app/lb/1/2",
                10,
                Action::forward("arn:aws:elasticloadbalancing:eu-west-2:123456789012:targetgroup/tg/3"),
            )
            .when(Condition::host_header(["api.example.com", "*.example.org"]))
            .path_patterns(["/v1/*", "/v2/*"]),
        );
        let (cfn, tf) = synth_one(&app);
        assert_eq!(
            cfn_resource(&cfn, "Rule")["Properties"]["Conditions"],
            json!([
                { "Field": "host-header", "HostHeaderConfig": { "Values": ["api.example.com", "*.example.org"] } },
                { "Field": "path-pattern", "PathPatternConfig": { "Values": ["/v1/*", "/v2/*"] } }
            ])
        );
        assert_eq!(
            tf_resource(&tf, "aws_lb_listener_rule", "rule")["condition"],
            json!([
                { "host_header": { "values": ["api.example.com", "*.example.org"] } },
                { "path_pattern": { "values": ["/v1/*", "/v2/*"] } }
            ])
        );
    }

    fn rules_for(rule: LoadBalancerRule) -> Vec<&'static str> {
        let mut app = App::new();
        app.stack("S").add("Rule", rule);
        problems(&app)
            .into_iter()
            .map(|(path, rule)| {
                assert_eq!(path, "S/Rule");
                rule
            })
            .collect()
    }

    fn rule(priority: u32) -> LoadBalancerRule {
        LoadBalancerRule::forward("arn:listener", priority, "arn:tg")
    }

    #[test]
    fn priorities_outside_1_to_50000_are_reported() {
        let ok = |p| rule(p).path_patterns(["/"]);
        assert_eq!(rules_for(ok(0)), ["listener-rule-priority"]);
        assert_eq!(rules_for(ok(50001)), ["listener-rule-priority"]);
        assert!(rules_for(ok(50000)).is_empty());
    }

    #[test]
    fn a_rule_without_conditions_is_reported() {
        assert_eq!(rules_for(rule(1)), ["listener-rule-conditions"]);
    }

    #[test]
    fn condition_value_counts_are_checked_per_condition_and_per_rule() {
        assert_eq!(
            rules_for(rule(1).path_patterns(Vec::<String>::new())),
            ["listener-rule-condition-values"]
        );
        assert_eq!(
            rules_for(rule(1).path_patterns(["/a", "/b", "/c", "/d"])),
            ["listener-rule-condition-values"]
        );
        assert_eq!(
            rules_for(rule(1).path_patterns(["/a", "/b", "/c"]).host_headers([
                "a.example.com",
                "b.example.com",
                "c.example.com"
            ])),
            ["listener-rule-condition-values"]
        );
        assert!(rules_for(
            rule(1)
                .path_patterns(["/a", "/b", "/c"])
                .host_headers(["a.example.com", "b.example.com"])
        )
        .is_empty());
    }

    #[test]
    fn a_repeated_condition_kind_is_reported() {
        assert_eq!(
            rules_for(rule(1).path_patterns(["/a"]).path_patterns(["/b"])),
            ["listener-rule-condition-repeated"]
        );
    }

    #[test]
    fn bad_path_patterns_and_host_names_are_reported() {
        for bad in ["", "/a b", "/é", "/<x>", &format!("/{}", "a".repeat(128))] {
            assert_eq!(
                rules_for(rule(1).path_patterns([bad])),
                ["listener-rule-path-pattern"],
                "{bad:?}"
            );
        }
        for good in ["/vault*", "/a?c/~user/$x@y:z+w&v", "*"] {
            assert!(rules_for(rule(1).path_patterns([good])).is_empty(), "{good:?}");
        }
        for bad in [
            "localhost",
            "example.c0m",
            "a b.com",
            "example.",
            &format!("{}.com", "a".repeat(125)),
        ] {
            assert_eq!(
                rules_for(rule(1).host_headers([bad])),
                ["listener-rule-host-header"],
                "{bad:?}"
            );
        }
        for good in ["api.example.com", "*.example.com", "api-?.example.io"] {
            assert!(rules_for(rule(1).host_headers([good])).is_empty(), "{good:?}");
        }
    }

    #[test]
    fn two_rules_with_one_priority_on_one_listener_are_reported() {
        let mut app = App::new();
        let stack = app.stack("S");
        let listener = stack.add(
            "Listener",
            ListenerLookup::by_arn("arn:aws:elasticloadbalancing:eu-west-2:123456789012:listener/app/lb/1/2"),
        );
        let other = stack.add(
            "Other",
            ListenerLookup::by_arn("arn:aws:elasticloadbalancing:eu-west-2:123456789012:listener/app/lb/1/3"),
        );
        stack.add(
            "A",
            LoadBalancerRule::forward(listener.arn(), 7, "arn:tg").path_patterns(["/a"]),
        );
        stack.add(
            "B",
            LoadBalancerRule::forward(other.arn(), 7, "arn:tg").path_patterns(["/b"]),
        );
        stack.add(
            "C",
            LoadBalancerRule::forward(listener.arn(), 8, "arn:tg").path_patterns(["/c"]),
        );
        stack.add(
            "D",
            LoadBalancerRule::forward(listener.arn(), 7, "arn:tg").path_patterns(["/d"]),
        );
        assert_eq!(problems(&app), [("S/D".to_string(), "listener-rule-priority-unique")]);
    }
}
