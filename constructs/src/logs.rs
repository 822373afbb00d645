//! CloudWatch Logs: `LogGroup`.

use crate::expr::{kind, Attr, Attribute, CfnAttr, Expr, Value};
use crate::problem::Checker;
use crate::resource::{CfnBlock, RenderCx, Resource, TfBlock};
use crate::{cfn, tf};

const NAME: Attribute = Attribute::new(CfnAttr::Ref, "name");

/// Retention periods CloudWatch Logs accepts, in days.
pub const RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/// How long log events are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retention {
    /// One of [`RETENTION_DAYS`].
    Days(u32),
    /// Keep forever. An explicit opt-out: logs grow (and cost) without bound.
    Forever,
}

/// A CloudWatch Logs log group.
///
/// Defaults: retention one year ([`LogGroup::DEFAULT_RETENTION`]), finite so storage
/// cost is bounded, long enough for the usual audit requirement (checkov
/// CKV_AWS_338 asks for at least a year). Events are encrypted at rest by
/// CloudWatch with an AWS-owned key; set [`LogGroup::kms_key`] for a customer key.
#[derive(Clone, Debug, PartialEq)]
pub struct LogGroup {
    pub name: String,
    pub retention: Retention,
    pub kms_key: Option<Value<kind::Arn>>,
}

impl LogGroup {
    pub const DEFAULT_RETENTION: Retention = Retention::Days(365);

    pub fn new(name: &str) -> Self {
        LogGroup {
            name: name.into(),
            retention: Self::DEFAULT_RETENTION,
            kms_key: None,
        }
    }

    pub fn retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    /// Encrypts events with a customer-managed KMS key (its ARN).
    pub fn kms_key(mut self, key_arn: impl Into<Value<kind::Arn>>) -> Self {
        self.kms_key = Some(key_arn.into());
        self
    }
}

crate::refs! {
    /// What a handle to [`LogGroup`] exposes: its attributes and grants.
    pub LogGroupRefs
}

impl LogGroupRefs {
    pub fn name(&self) -> Attr<kind::Name> {
        self.attr(NAME)
    }

    /// `arn:…:log-group:NAME`. Built from the name because the two backends'
    /// own `Arn` attributes differ (CloudFormation's ends in `:*`, Terraform's does not).
    pub fn arn(&self) -> Value<kind::Arn> {
        Value::concat(log_group_arn_parts(self.name().expr(), false))
    }

    /// `arn:…:log-group:NAME:*`, the resource for `logs:CreateLogStream` and
    /// `logs:PutLogEvents`: every stream in the group.
    pub fn streams_arn(&self) -> Value<kind::Arn> {
        Value::concat(log_group_arn_parts(self.name().expr(), true))
    }
}

fn log_group_arn_parts(name: Expr, streams: bool) -> Vec<Expr> {
    let mut parts = vec![
        Expr::str("arn:"),
        Attr::partition().expr(),
        Expr::str(":logs:"),
        Attr::region().expr(),
        Expr::str(":"),
        Attr::account_id().expr(),
        Expr::str(":log-group:"),
        name,
    ];
    if streams {
        parts.push(Expr::str(":*"));
    }
    parts
}

impl Resource for LogGroup {
    type Refs = LogGroupRefs;

    fn kind(&self) -> &'static str {
        "LogGroup"
    }

    fn validate(&self, c: &mut Checker<'_>) {
        let n = &self.name;
        let ok = (1..=512).contains(&n.len()) && n.chars().all(|ch| ch.is_ascii_alphanumeric() || "._-/#".contains(ch));
        c.ensure(ok, "log-group-name", || {
            format!("log group name {n:?} must be 1-512 characters of letters, digits, '.', '_', '-', '/' and '#'")
        });
        if let Retention::Days(d) = self.retention {
            c.ensure(RETENTION_DAYS.contains(&d), "log-retention-days", || {
                format!("retention of {d} days is not one CloudWatch accepts; use one of {RETENTION_DAYS:?}")
            });
        }
    }

    fn unique_keys(&self) -> Vec<(&'static str, String, String)> {
        vec![(
            "log-group-name-unique",
            self.name.clone(),
            format!("log group name {:?}", self.name),
        )]
    }

    fn cloudformation(&self, _: &RenderCx) -> Option<Vec<CfnBlock>> {
        let group = cfn::logs::LogGroup {
            log_group_name: Some(self.name.as_str().into()),
            retention_in_days: match self.retention {
                Retention::Days(d) => Some(d.into()),
                Retention::Forever => None,
            },
            kms_key_id: self.kms_key.as_ref().map(Into::into),
            ..Default::default()
        };
        Some(vec![group.into_cfn_resource().into_block()])
    }

    fn terraform(&self, _: &RenderCx) -> Option<Vec<TfBlock>> {
        let group = tf::aws::CloudwatchLogGroup {
            name: Some(self.name.as_str().into()),
            retention_in_days: Some(match self.retention {
                Retention::Days(d) => d.into(),
                // 0 is the provider's "never expire".
                Retention::Forever => 0.into(),
            }),
            kms_key_id: self.kms_key.as_ref().map(Into::into),
            ..Default::default()
        };
        Some(vec![group.into_tf_block()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{cfn_resource, synth_one, tf_resource};
    use crate::App;

    #[test]
    fn log_group_defaults_to_one_year_retention_in_both_backends() {
        let mut app = App::new();
        app.stack("S").add("Logs", LogGroup::new("/app"));
        let (cfn, tf) = synth_one(&app);
        assert_eq!(cfn_resource(&cfn, "Logs")["Properties"]["RetentionInDays"], 365);
        assert_eq!(
            tf_resource(&tf, "aws_cloudwatch_log_group", "logs")["retention_in_days"],
            365
        );
    }

    #[test]
    fn invalid_retention_and_name_are_reported_with_the_path() {
        let mut app = App::new();
        app.stack("S")
            .add("Logs", LogGroup::new("bad name").retention(Retention::Days(2)));
        let err = crate::synth(&app, &crate::Backend::ALL).unwrap_err();
        let rules: Vec<_> = err.problems.iter().map(|p| (p.path.as_str(), p.rule)).collect();
        assert_eq!(rules, [("S/Logs", "log-group-name"), ("S/Logs", "log-retention-days")]);
    }
}
