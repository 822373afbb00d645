//! `IpTargetGroup`: a target group whose targets are IP addresses (Fargate tasks).

use std::time::Duration;

use super::Protocol;
use crate::expr::{kind, Attr, Attribute, CfnAttr, Value};
use crate::problem::Checker;
use crate::resource::{CfnBlock, RenderCx, Resource, TfBlock};
use crate::{cfn, tf};

const ARN: Attribute = Attribute::new(CfnAttr::Ref, "arn");
const NAME: Attribute = Attribute::new(CfnAttr::GetAtt("TargetGroupName"), "name");
const FULL_NAME: Attribute = Attribute::new(CfnAttr::GetAtt("TargetGroupFullName"), "arn_suffix");

/// Which port health checks connect to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HealthCheckPort {
    /// The port each target receives traffic on (`traffic-port`).
    TrafficPort,
    /// A fixed port, 1-65535.
    Port(u16),
}

impl From<u16> for HealthCheckPort {
    fn from(port: u16) -> Self {
        HealthCheckPort::Port(port)
    }
}

impl HealthCheckPort {
    /// Both backends take the port as a string.
    fn render(self) -> String {
        match self {
            HealthCheckPort::TrafficPort => "traffic-port".into(),
            HealthCheckPort::Port(p) => p.to_string(),
        }
    }
}

/// How the load balancer decides a target is healthy.
///
/// Every field is always rendered, in both backends, because their defaults
/// differ (the Terraform provider's healthy threshold is 3, the ELB API's is 5):
/// one model must deploy the same health check either way.
///
/// Defaults ([`HealthCheck::default`]) are the ELB API's own for an HTTP target
/// group: `GET /` on the traffic port, healthy after 5 successes, unhealthy
/// after 2 failures, 5 s timeout, every 30 s, success is `200`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HealthCheck {
    /// Starts with `/`, at most 1024 characters.
    pub path: String,
    pub port: HealthCheckPort,
    pub protocol: Protocol,
    /// Consecutive successes before an unhealthy target is healthy, 2-10.
    pub healthy_threshold: u32,
    /// Consecutive failures before a healthy target is unhealthy, 2-10.
    pub unhealthy_threshold: u32,
    /// How long to wait for a response, 2-120 s; less than the interval.
    pub timeout: Duration,
    /// Time between checks of one target, 5-300 s.
    pub interval: Duration,
    /// HTTP codes meaning success: `200`, `200,202`, `200-299` (each 200-499).
    pub matcher: String,
}

impl Default for HealthCheck {
    fn default() -> Self {
        HealthCheck {
            path: "/".into(),
            port: HealthCheckPort::TrafficPort,
            protocol: Protocol::Http,
            healthy_threshold: 5,
            unhealthy_threshold: 2,
            timeout: Duration::from_secs(5),
            interval: Duration::from_secs(30),
            matcher: "200".into(),
        }
    }
}

impl HealthCheck {
    /// The default health check on another path, e.g. `HealthCheck::at("/health")`.
    pub fn at(path: &str) -> Self {
        HealthCheck {
            path: path.into(),
            ..HealthCheck::default()
        }
    }
    pub fn port(mut self, port: impl Into<HealthCheckPort>) -> Self {
        self.port = port.into();
        self
    }
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = protocol;
        self
    }
    pub fn healthy_threshold(mut self, n: u32) -> Self {
        self.healthy_threshold = n;
        self
    }
    pub fn unhealthy_threshold(mut self, n: u32) -> Self {
        self.unhealthy_threshold = n;
        self
    }
    pub fn timeout(mut self, duration: Duration) -> Self {
        self.timeout = duration;
        self
    }
    pub fn interval(mut self, duration: Duration) -> Self {
        self.interval = duration;
        self
    }
    pub fn matcher(mut self, codes: &str) -> Self {
        self.matcher = codes.into();
        self
    }

    fn validate(&self, c: &mut Checker<'_>) {
        let p = &self.path;
        c.ensure(
            p.starts_with('/') && p.chars().count() <= 1024,
            "health-check-path",
            || format!("health check path {p:?} must start with '/' and be at most 1024 characters"),
        );
        if let HealthCheckPort::Port(port) = self.port {
            c.range("health check port", port.into(), 1, 65535, "health-check-port");
        }
        let counts = [
            (
                "healthy threshold",
                self.healthy_threshold,
                2,
                10,
                "health-check-healthy-threshold",
            ),
            (
                "unhealthy threshold",
                self.unhealthy_threshold,
                2,
                10,
                "health-check-unhealthy-threshold",
            ),
        ];
        for (what, value, min, max, rule) in counts {
            c.range(what, value.into(), min, max, rule);
        }
        c.duration("health check timeout", self.timeout, 2, 120, "health-check-timeout");
        c.duration("health check interval", self.interval, 5, 300, "health-check-interval");
        c.ensure(self.timeout < self.interval, "health-check-timeout-interval", || {
            format!(
                "health check timeout of {} s must be less than the interval of {} s",
                self.timeout.as_secs(),
                self.interval.as_secs()
            )
        });
        let m = &self.matcher;
        c.ensure(matcher_ok(m), "health-check-matcher", || {
            format!("health check matcher {m:?} must be HTTP codes 200-499, as a code (\"200\"), a list (\"200,202\") or a range (\"200-299\")")
        });
    }
}

/// `200`, `200,202`, `200-299`, or a comma-separated mix; every code 200-499.
fn matcher_ok(m: &str) -> bool {
    fn code(s: &str) -> Option<u16> {
        let ok = s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| s.parse().ok()).flatten().filter(|c| (200..=499).contains(c))
    }
    m.split(',').all(|part| {
        let (lo, hi) = part.split_once('-').unwrap_or((part, part));
        matches!((code(lo), code(hi)), (Some(lo), Some(hi)) if lo <= hi)
    })
}

/// A target group for an Application Load Balancer whose targets are IP
/// addresses: Fargate tasks (network mode `awsvpc`) have no instance to
/// register, so their target type is `ip`.
///
/// Defaults: protocol HTTP (TLS usually ends at the load balancer inside a
/// VPC); [`HealthCheck::default`]; deregistration delay
/// [`IpTargetGroup::DEFAULT_DEREGISTRATION_DELAY`]; no slow start; the
/// name is generated by the backend unless set.
#[derive(Clone, Debug, PartialEq)]
pub struct IpTargetGroup {
    /// At most 32 letters, digits and hyphens, not starting or ending with a
    /// hyphen nor starting with `internal-`; unique per account and region.
    /// `None` lets the backend generate one, which allows replacing the group
    /// (a changed port or protocol) without a name clash.
    pub name: Option<String>,
    pub protocol: Protocol,
    /// The port targets receive traffic on, 1-65535.
    pub port: u16,
    pub vpc: Value<kind::VpcId>,
    pub health_check: HealthCheck,
    /// How long a deregistering target keeps serving in-flight requests, 0-3600 s.
    pub deregistration_delay: Duration,
    /// Ramp-up time for new targets, 30-900 s; `None` sends them a full share at once.
    pub slow_start: Option<Duration>,
}

impl IpTargetGroup {
    /// 30 s rather than AWS's 300 s: ECS waits this long for every task it
    /// replaces, so a rolling deploy of an API with the AWS default spends five
    /// minutes per batch waiting on connections that finished long before.
    /// Thirty seconds still lets ordinary in-flight requests complete; raise it
    /// for long-running requests or downloads.
    pub const DEFAULT_DEREGISTRATION_DELAY: Duration = Duration::from_secs(30);

    /// An HTTP target group for tasks listening on `port` in `vpc`.
    pub fn new(port: u16, vpc: impl Into<Value<kind::VpcId>>) -> Self {
        IpTargetGroup {
            name: None,
            protocol: Protocol::Http,
            port,
            vpc: vpc.into(),
            health_check: HealthCheck::default(),
            deregistration_delay: Self::DEFAULT_DEREGISTRATION_DELAY,
            slow_start: None,
        }
    }

    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the protocol to the targets; the health check follows it (set the
    /// health check afterwards to probe with another protocol).
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = protocol;
        self.health_check.protocol = protocol;
        self
    }

    pub fn health_check(mut self, health_check: HealthCheck) -> Self {
        self.health_check = health_check;
        self
    }

    pub fn deregistration_delay(mut self, duration: Duration) -> Self {
        self.deregistration_delay = duration;
        self
    }

    /// New targets receive a linearly increasing share of requests for `secs`
    /// (30-900), e.g. for services that warm caches or JIT-compile.
    pub fn slow_start(mut self, duration: Duration) -> Self {
        self.slow_start = Some(duration);
        self
    }
}

crate::refs! {
    /// What a handle to [`IpTargetGroup`] exposes: its attributes and grants.
    pub IpTargetGroupRefs
}

impl IpTargetGroupRefs {
    /// The target group's ARN, for listener rules and ECS services.
    pub fn arn(&self) -> Attr<kind::Arn> {
        self.attr(ARN)
    }
    /// The target group's name (generated when none was set).
    pub fn name(&self) -> Attr<kind::Name> {
        self.attr(NAME)
    }
    /// `targetgroup/<name>/<id>`, the `TargetGroup` dimension of CloudWatch metrics.
    pub fn full_name(&self) -> Attr<kind::Name> {
        self.attr(FULL_NAME)
    }
}

impl Resource for IpTargetGroup {
    type Refs = IpTargetGroupRefs;

    fn kind(&self) -> &'static str {
        "IpTargetGroup"
    }

    fn validate(&self, c: &mut Checker<'_>) {
        if let Some(n) = &self.name {
            c.ensure((1..=32).contains(&n.len()), "target-group-name-length", || {
                format!("target group name {n:?} is {} characters; it must be 1-32", n.len())
            });
            let chars_ok =
                n.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-') && !n.starts_with('-') && !n.ends_with('-');
            c.ensure(chars_ok, "target-group-name-chars", || {
                format!(
                    "target group name {n:?} must be letters, digits and hyphens, not starting or ending with a hyphen"
                )
            });
            c.ensure(
                !n.to_ascii_lowercase().starts_with("internal-"),
                "target-group-name-reserved",
                || format!("target group name {n:?} must not start with 'internal-'"),
            );
        }
        c.range("target group port", self.port.into(), 1, 65535, "target-group-port");
        self.health_check.validate(c);
        c.duration(
            "deregistration delay",
            self.deregistration_delay,
            0,
            3600,
            "target-group-deregistration-delay",
        );
        if let Some(s) = self.slow_start {
            c.duration("slow start duration", s, 30, 900, "target-group-slow-start");
        }
    }

    fn unique_keys(&self) -> Vec<(&'static str, String, String)> {
        match &self.name {
            Some(n) => vec![(
                "target-group-name-unique",
                n.clone(),
                format!("target group name {n:?}"),
            )],
            None => Vec::new(),
        }
    }

    fn cloudformation(&self, _: &RenderCx) -> Option<Vec<CfnBlock>> {
        use cfn::elasticloadbalancingv2::target_group as t;
        let hc = &self.health_check;
        let mut attributes = vec![attribute(
            "deregistration_delay.timeout_seconds",
            self.deregistration_delay,
        )];
        if let Some(s) = self.slow_start {
            attributes.push(attribute("slow_start.duration_seconds", s));
        }
        let group = t::TargetGroup {
            name: self.name.as_deref().map(Into::into),
            target_type: Some(t::TargetType::Ip.into()),
            protocol: Some(self.protocol.as_str().into()),
            port: Some(self.port.into()),
            vpc_id: Some((&self.vpc).into()),
            health_check_enabled: Some(true.into()),
            health_check_path: Some(hc.path.as_str().into()),
            health_check_port: Some(hc.port.render().into()),
            health_check_protocol: Some(hc.protocol.as_str().into()),
            healthy_threshold_count: Some(hc.healthy_threshold.into()),
            unhealthy_threshold_count: Some(hc.unhealthy_threshold.into()),
            health_check_timeout_seconds: Some(hc.timeout.as_secs().into()),
            health_check_interval_seconds: Some(hc.interval.as_secs().into()),
            matcher: Some(t::Matcher::new().http_code(hc.matcher.as_str())),
            target_group_attributes: Some(attributes.into()),
            ..Default::default()
        };
        Some(vec![group.into_cfn_resource().into_block()])
    }

    fn terraform(&self, _: &RenderCx) -> Option<Vec<TfBlock>> {
        use tf::aws::elasticloadbalancingv2::lb_target_group as t;
        let hc = &self.health_check;
        let health_check = t::HealthCheck {
            enabled: Some(true.into()),
            path: Some(hc.path.as_str().into()),
            port: Some(hc.port.render().into()),
            protocol: Some(hc.protocol.as_str().into()),
            healthy_threshold: Some(hc.healthy_threshold.into()),
            unhealthy_threshold: Some(hc.unhealthy_threshold.into()),
            timeout: Some(hc.timeout.as_secs().into()),
            interval: Some(hc.interval.as_secs().into()),
            matcher: Some(hc.matcher.as_str().into()),
        };
        let group = t::LbTargetGroup {
            name: self.name.as_deref().map(Into::into),
            target_type: Some("ip".into()),
            protocol: Some(self.protocol.as_str().into()),
            port: Some(self.port.into()),
            vpc_id: Some((&self.vpc).into()),
            health_check: Some(health_check),
            // The provider's argument is a string.
            deregistration_delay: Some(self.deregistration_delay.as_secs().to_string().into()),
            slow_start: self.slow_start.map(|d| d.as_secs().into()),
            ..Default::default()
        };
        Some(vec![group.into_tf_block()])
    }
}

/// A `TargetGroupAttributes` entry in seconds; CloudFormation takes every value as a string.
fn attribute(key: &str, seconds: Duration) -> cfn::elasticloadbalancingv2::target_group::TargetGroupAttribute {
    cfn::elasticloadbalancingv2::target_group::TargetGroupAttribute::new()
        .key(key)
        .value(seconds.as_secs().to_string())
}

#[cfg(test)]
mod tests;
