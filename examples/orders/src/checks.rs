//! The orders team's own rule pack, run with the built-in checks.

use constructs::checks::{Check, CheckCx, Findings, RuleInfo, Severity};

use crate::queue::Queue;

pub const QUEUE_DEAD_LETTER: RuleInfo = RuleInfo {
    id: "orders-queue-dead-letter",
    severity: Severity::Error,
    title: "Every work queue has a dead-letter queue",
    why: "A message that always fails is retried until its retention ends and then lost, and it keeps a consumer busy meanwhile; a dead-letter queue keeps it for inspection.",
    fix: "Add .dead_letter(&dead_letters, 5) to the queue (a queue that is itself a dead-letter queue needs none).",
};

/// The orders team's rules.
pub struct OrdersChecks;

impl Check for OrdersChecks {
    fn rules(&self) -> &'static [RuleInfo] {
        &[QUEUE_DEAD_LETTER]
    }

    fn check(&self, cx: &CheckCx<'_>, out: &mut Findings) {
        // Queues that some queue sends its failures to are dead-letter queues.
        let targets: Vec<usize> = cx
            .all::<Queue>()
            .filter_map(|(_, _, q)| q.dead_letter.as_ref())
            .filter_map(|dl| cx.referenced::<Queue>(dl.target.expr()).map(|(i, _, _)| i))
            .collect();
        for (i, _, q) in cx.all::<Queue>() {
            if q.dead_letter.is_none() && !targets.contains(&i) {
                out.report(
                    &QUEUE_DEAD_LETTER,
                    i,
                    format!("queue {:?} has no dead-letter queue", q.name),
                );
            }
        }
    }
}
