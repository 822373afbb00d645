//! An SQS queue, optionally with a dead-letter queue: a resource type the
//! library does not have, rendered for both backends.

use std::time::Duration;

use constructs::iam::{IamRole, Statement};
use constructs::problem::Checker;
use constructs::{
    expr, grants, kind, refs, Attr, Attribute, CfnAttr, CfnBlock, CfnResource, Expr, Handle, Props, RenderCx, Resource,
    Stack, TfBlock, Value,
};

const ARN: Attribute = Attribute::new(CfnAttr::GetAtt("Arn"), "arn");
const URL: Attribute = Attribute::new(CfnAttr::Ref, "url");
const NAME: Attribute = Attribute::new(CfnAttr::GetAtt("QueueName"), "name");

/// Where a queue's failed messages go.
#[derive(Clone, Debug, PartialEq)]
pub struct DeadLetter {
    /// The dead-letter queue's ARN.
    pub target: Value<kind::Arn>,
    /// Receives before a message moves to the dead-letter queue, 1-1000.
    pub max_receive_count: u32,
}

/// An SQS standard queue.
///
/// Defaults: server-side encryption with SQS-managed keys (SSE-SQS), so
/// messages are encrypted at rest without a key to manage; visibility timeout
/// 30 s and retention 4 days (AWS's own); no dead-letter queue until one is
/// given — the `orders-queue-dead-letter` rule asks for one.
#[derive(Clone, Debug, PartialEq)]
pub struct Queue {
    pub name: String,
    /// How long a received message stays hidden from other consumers, 0-12 h.
    pub visibility_timeout: Duration,
    /// How long an unconsumed message is kept, 60 s - 14 days.
    pub retention: Duration,
    pub dead_letter: Option<DeadLetter>,
}

impl Queue {
    pub fn new(name: &str) -> Self {
        Queue {
            name: name.into(),
            visibility_timeout: Duration::from_secs(30),
            retention: Duration::from_secs(4 * 24 * 3600),
            dead_letter: None,
        }
    }

    pub fn visibility_timeout(mut self, timeout: Duration) -> Self {
        self.visibility_timeout = timeout;
        self
    }

    pub fn retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// Moves a message to `queue` after `max_receive_count` failed receives.
    pub fn dead_letter(mut self, queue: &Handle<Queue>, max_receive_count: u32) -> Self {
        self.dead_letter = Some(DeadLetter {
            target: queue.arn().into(),
            max_receive_count,
        });
        self
    }
}

refs! {
    /// What a handle to a [`Queue`] exposes.
    pub QueueRefs
}

impl QueueRefs {
    pub fn arn(&self) -> Attr<kind::Arn> {
        self.attr(ARN)
    }

    /// The queue URL, which the SQS API takes to address a queue.
    pub fn url(&self) -> Attr<kind::Uri> {
        self.attr(URL)
    }

    pub fn name(&self) -> Attr<kind::Name> {
        self.attr(NAME)
    }

    /// Lets `role` receive, delete and re-time messages of this queue, and
    /// nothing else (the inline policy `<queue id>-consume`).
    pub fn grant_consume(&self, stack: &mut Stack, role: &Handle<IamRole>) {
        let statement = Statement::allow()
            .actions([
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:ChangeMessageVisibility",
                "sqs:GetQueueAttributes",
            ])
            .resource(self.arn());
        grants::grant(stack, self, "consume", role, vec![statement]);
    }

    /// Lets `role` send messages to this queue (`<queue id>-send`).
    pub fn grant_send(&self, stack: &mut Stack, role: &Handle<IamRole>) {
        let statement = Statement::allow()
            .actions(["sqs:SendMessage", "sqs:GetQueueAttributes"])
            .resource(self.arn());
        grants::grant(stack, self, "send", role, vec![statement]);
    }
}

impl Resource for Queue {
    type Refs = QueueRefs;

    fn kind(&self) -> &'static str {
        "Queue"
    }

    fn validate(&self, c: &mut Checker<'_>) {
        let n = &self.name;
        let ok =
            (1..=80).contains(&n.len()) && n.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_');
        c.ensure(ok, "sqs-queue-name", || {
            format!(
                "queue name {:?} must be 1-80 letters, digits, '-' and '_' (it is {} characters)",
                n.chars().take(40).collect::<String>(),
                n.chars().count()
            )
        });
        c.duration(
            "visibility timeout",
            self.visibility_timeout,
            0,
            43_200,
            "sqs-visibility-timeout",
        );
        c.duration("message retention", self.retention, 60, 1_209_600, "sqs-retention");
        if let Some(dl) = &self.dead_letter {
            c.range(
                "max receive count",
                dl.max_receive_count.into(),
                1,
                1000,
                "sqs-max-receive-count",
            );
        }
    }

    fn unique_keys(&self) -> Vec<(&'static str, String, String)> {
        vec![(
            "sqs-queue-name-unique",
            self.name.clone(),
            format!("queue name {:?}", self.name),
        )]
    }

    fn cloudformation(&self, _: &RenderCx) -> Option<Vec<CfnBlock>> {
        let mut props = Props::default();
        props.insert("QueueName".into(), Expr::str(&self.name));
        props.insert("VisibilityTimeout".into(), self.visibility_timeout.into());
        props.insert("MessageRetentionPeriod".into(), self.retention.into());
        props.insert("SqsManagedSseEnabled".into(), Expr::Bool(true));
        if let Some(dl) = &self.dead_letter {
            props.insert(
                "RedrivePolicy".into(),
                expr!({"deadLetterTargetArn": dl.target.clone(), "maxReceiveCount": dl.max_receive_count}),
            );
        }
        Some(vec![CfnResource::new("AWS::SQS::Queue", props).into_block()])
    }

    fn terraform(&self, _: &RenderCx) -> Option<Vec<TfBlock>> {
        let mut body = Props::default();
        body.insert("name".into(), Expr::str(&self.name));
        body.insert("visibility_timeout_seconds".into(), self.visibility_timeout.into());
        body.insert("message_retention_seconds".into(), self.retention.into());
        body.insert("sqs_managed_sse_enabled".into(), Expr::Bool(true));
        if let Some(dl) = &self.dead_letter {
            // The provider takes the redrive policy as a JSON string.
            body.insert(
                "redrive_policy".into(),
                Expr::json(expr!({"deadLetterTargetArn": dl.target.clone(), "maxReceiveCount": dl.max_receive_count})),
            );
        }
        Some(vec![TfBlock::resource("aws_sqs_queue", body)])
    }
}
