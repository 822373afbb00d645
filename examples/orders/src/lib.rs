//! An "orders" service's messaging, as a team would write it in its own
//! crate: constructs the library does not have (an SQS queue with a
//! dead-letter queue, an SNS topic, a subscription of one to the other),
//! with typed attributes, validation, grants and a rule pack — using only the
//! library's public extension API. `docs/extending.md` walks through it.

pub mod checks;
pub mod queue;
pub mod subscription;
pub mod topic;

use std::time::Duration;

use constructs::iam::Condition;
use constructs::prelude::*;

pub use checks::OrdersChecks;
pub use queue::Queue;
pub use subscription::QueueSubscription;
pub use topic::Topic;

/// The orders stack: events published to a topic reach a work queue whose
/// failed messages go to a dead-letter queue; a publisher role may publish,
/// a worker role may consume, nothing else.
pub fn app() -> App {
    let mut app = App::new();
    app.add_checks(OrdersChecks);
    let stack = app.stack("Orders");
    stack.set_description("Order events: an SNS topic fanned out to an SQS work queue with a dead-letter queue");
    stack.add_tag("service", "orders");

    let dead_letters = stack.add(
        "DeadLetters",
        Queue::new("orders-dead-letters").retention(Duration::from_secs(14 * 24 * 3600)),
    );
    let work = stack.add(
        "Work",
        Queue::new("orders-work")
            .visibility_timeout(Duration::from_secs(60))
            .dead_letter(&dead_letters, 5),
    );
    let events = stack.add("Events", Topic::new("order-events"));
    stack.add("WorkSubscription", QueueSubscription::new(&events, &work));
    // A scanner exception, with its reason, from the same suppress call as
    // the library's own rules (it reaches checkov's CloudFormation skips).
    for queue in [dead_letters.node(), work.node()] {
        stack.suppress(
            &queue,
            "CKV_AWS_27",
            "encrypted at rest with SSE-SQS (SqsManagedSseEnabled); checkov's CloudFormation check only recognises a KMS key",
        );
    }

    let publisher = stack.add(
        "Publisher",
        IamRole::for_service("ecs-tasks.amazonaws.com")
            .trust_condition(Condition::source_account_is_this_account())
            .description("The orders API: publishes order events"),
    );
    events.grant_publish(stack, &publisher);
    let worker = stack.add(
        "Worker",
        IamRole::for_service("ecs-tasks.amazonaws.com")
            .trust_condition(Condition::source_account_is_this_account())
            .description("The orders worker: consumes the work queue"),
    );
    work.grant_consume(stack, &worker);

    stack.output("TopicArn", events.arn(), "Where the orders API publishes order events");
    stack.output("WorkQueueUrl", work.url(), "The queue the worker consumes");
    stack.output("DeadLetterQueueUrl", dead_letters.url(), "Messages that failed 5 times");
    app
}
