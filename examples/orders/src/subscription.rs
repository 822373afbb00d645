//! A queue subscribed to a topic: a composite of the subscription and the
//! queue policy that lets the topic (and only it) send to the queue.

use constructs::iam::{Condition, PolicyDocument, Principal, Statement};
use constructs::problem::Checker;
use constructs::raw::{RawRefs, RawResource};
use constructs::{
    expr, kind, CfnBlock, CfnResource, Construct, Expr, Handle, Props, RenderCx, Resource, Scope, TfBlock, Value,
};

use crate::queue::Queue;
use crate::topic::Topic;

/// The SNS subscription itself.
#[derive(Clone, Debug, PartialEq)]
pub struct Subscription {
    pub topic: Value<kind::Arn>,
    pub queue: Value<kind::Arn>,
    /// Delivers the message body as published, without SNS's JSON envelope.
    pub raw_message_delivery: bool,
}

impl Resource for Subscription {
    type Refs = RawRefs;

    fn kind(&self) -> &'static str {
        "Subscription"
    }

    fn validate(&self, _: &mut Checker<'_>) {}

    fn cloudformation(&self, _: &RenderCx) -> Option<Vec<CfnBlock>> {
        let mut props = Props::default();
        props.insert("TopicArn".into(), self.topic.clone().into());
        props.insert("Protocol".into(), Expr::str("sqs"));
        props.insert("Endpoint".into(), self.queue.clone().into());
        props.insert("RawMessageDelivery".into(), Expr::Bool(self.raw_message_delivery));
        Some(vec![CfnResource::new("AWS::SNS::Subscription", props)
            .untagged()
            .into_block()])
    }

    fn terraform(&self, _: &RenderCx) -> Option<Vec<TfBlock>> {
        let mut body = Props::default();
        body.insert("topic_arn".into(), self.topic.clone().into());
        body.insert("protocol".into(), Expr::str("sqs"));
        body.insert("endpoint".into(), self.queue.clone().into());
        body.insert("raw_message_delivery".into(), Expr::Bool(self.raw_message_delivery));
        Some(vec![TfBlock::resource("aws_sns_topic_subscription", body).untagged()])
    }
}

/// Subscribes a queue to a topic. Creates, in its own scope, the
/// subscription (`Resource`, so its address does not mention the wrapper)
/// and a queue policy allowing `sns.amazonaws.com` to send to the queue only
/// on behalf of this topic (`aws:SourceArn`), so no other topic can.
pub struct QueueSubscription {
    topic: Handle<Topic>,
    queue: Handle<Queue>,
    raw_message_delivery: bool,
}

impl QueueSubscription {
    pub fn new(topic: &Handle<Topic>, queue: &Handle<Queue>) -> Self {
        QueueSubscription {
            topic: *topic,
            queue: *queue,
            raw_message_delivery: true,
        }
    }

    /// Wraps each message in SNS's JSON envelope (with its metadata).
    pub fn with_envelope(mut self) -> Self {
        self.raw_message_delivery = false;
        self
    }
}

/// What a handle to a [`QueueSubscription`] exposes.
#[derive(Clone, Copy, Debug)]
pub struct QueueSubscriptionRefs {
    pub subscription: Handle<Subscription>,
    pub queue_policy: Handle<RawResource>,
}

impl Construct for QueueSubscription {
    type Refs = QueueSubscriptionRefs;

    fn build(self, scope: &mut Scope<'_>) -> QueueSubscriptionRefs {
        let policy = PolicyDocument::new().statement(
            Statement::allow()
                .principal(Principal::service("sns.amazonaws.com"))
                .actions(["sqs:SendMessage"])
                .resource(self.queue.arn())
                .condition(Condition::new("ArnEquals", "aws:SourceArn", [self.topic.arn().expr()])),
        );
        // The library has no queue policy construct: a raw resource, with
        // the typed policy document inside.
        let queue_policy = scope.add(
            "QueuePolicy",
            RawResource::cloudformation(
                "AWS::SQS::QueuePolicy",
                expr!({"Queues": [self.queue.url()], "PolicyDocument": Expr::json(policy.to_expr())}),
            )
            .and_terraform(
                "aws_sqs_queue_policy",
                expr!({"queue_url": self.queue.url(), "policy": Expr::json(policy.to_expr())}),
            ),
        );
        let subscription = scope.add(
            "Resource",
            Subscription {
                topic: self.topic.arn().into(),
                queue: self.queue.arn().into(),
                raw_message_delivery: self.raw_message_delivery,
            },
        );
        // Messages published before the policy exists would be dropped.
        scope.stack().add_dependency(&subscription, &queue_policy);
        QueueSubscriptionRefs {
            subscription,
            queue_policy,
        }
    }
}
