//! Live progress while a backend applies: one line per resource each time its
//! status changes, and on a terminal a bar of resources done / total with the
//! elapsed time (indicatif). Without a terminal, plain timestamped lines.
//!
//! Both backends feed the same [`Event`]s: CloudFormation's stack events,
//! Terraform's `apply -json` hooks. [`RootCause`] keeps the first resource that
//! failed (not the last cascade message) for the summary.

use std::collections::{BTreeSet, HashSet};
use std::io::Write;
use std::time::{Duration, Instant};

/// How far a resource has got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    InProgress,
    Complete,
    Failed,
}

/// One status change of one resource (or of the stack itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// ISO 8601 (`2026-11-30T08:20:27.333Z`), as the backend reported it.
    pub timestamp: String,
    /// Logical id, Terraform address, or the stack's name.
    pub id: String,
    pub resource_type: String,
    /// The backend's words: `CREATE_IN_PROGRESS`, `UPDATE_FAILED`, `Creating`.
    pub status: String,
    pub reason: Option<String>,
    /// The stack itself rather than one of its resources.
    pub is_stack: bool,
    /// A stable id to skip events already shown (CloudFormation `EventId`).
    pub event_id: String,
}

impl Event {
    pub fn phase(&self) -> Phase {
        let s = self.status.as_str();
        if s.ends_with("_FAILED") || s == "Error" {
            Phase::Failed
        } else if s.ends_with("_COMPLETE") || s.ends_with("_SKIPPED") || s.starts_with("Complete") {
            Phase::Complete
        } else {
            Phase::InProgress
        }
    }

    /// `HH:MM:SS` of the timestamp.
    pub fn clock(&self) -> &str {
        self.timestamp.get(11..19).unwrap_or(&self.timestamp)
    }

    /// The line shown for this event (without the clock).
    pub fn line(&self) -> String {
        // A Terraform address already names its type.
        let mut line = if self.resource_type.is_empty() || self.id.starts_with(&format!("{}.", self.resource_type)) {
            format!("{:<20} {}", self.status, self.id)
        } else {
            format!("{:<20} {} {}", self.status, self.resource_type, self.id)
        };
        if let Some(r) = self.reason.as_deref().filter(|r| !r.is_empty()) {
            line.push_str("  ");
            line.push_str(r);
        }
        line
    }
}

/// Picks new events out of pages the API returns newest first.
#[derive(Default)]
pub struct EventCursor {
    seen: HashSet<String>,
}

impl EventCursor {
    /// Marks every event of `page` as already seen (those before the deploy).
    pub fn skip(&mut self, page: &[Event]) {
        self.seen.extend(page.iter().map(|e| e.event_id.clone()));
    }

    /// The events of `page` (newest first) not seen before, oldest first.
    pub fn take_new(&mut self, page: &[Event]) -> Vec<Event> {
        let mut new: Vec<Event> = page
            .iter()
            .take_while(|e| !self.seen.contains(&e.event_id))
            .cloned()
            .collect();
        new.reverse();
        for e in &new {
            self.seen.insert(e.event_id.clone());
        }
        new
    }
}

/// The first resource failure: what went wrong, rather than the cancellations
/// and rollbacks that cascade from it.
#[derive(Default, Debug, Clone)]
pub struct RootCause {
    first: Option<Event>,
    first_cancelled: Option<Event>,
}

impl RootCause {
    pub fn observe(&mut self, e: &Event) {
        if e.phase() != Phase::Failed || e.is_stack {
            return;
        }
        let cancelled = e
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("cancelled") || r.contains("canceled"));
        let slot = if cancelled {
            &mut self.first_cancelled
        } else {
            &mut self.first
        };
        if slot.is_none() {
            *slot = Some(e.clone());
        }
    }
    pub fn get(&self) -> Option<&Event> {
        self.first.as_ref().or(self.first_cancelled.as_ref())
    }
    /// `Items (AWS::DynamoDB::Table): CREATE_FAILED: reason`.
    pub fn describe(&self) -> Option<String> {
        self.get().map(|e| {
            format!(
                "{} ({}) {}: {}",
                e.id,
                e.resource_type,
                e.status,
                e.reason.as_deref().unwrap_or("no reason given")
            )
        })
    }
}

/// Where progress goes.
pub enum Display<'a> {
    /// Timestamped lines to a writer (CI logs, pipes, tests).
    Plain { out: &'a mut dyn Write, stack: String },
    /// A bar on the terminal with the lines printed above it.
    Terminal { bar: indicatif::ProgressBar, stack: String },
}

/// Tracks done / total and shows events.
pub struct Progress<'a> {
    display: Display<'a>,
    total: usize,
    done: BTreeSet<String>,
    pub root_cause: RootCause,
    started: Instant,
}

impl<'a> Progress<'a> {
    /// Plain lines to `out`.
    pub fn plain(out: &'a mut dyn Write, stack: &str, total: usize) -> Progress<'a> {
        Progress::new(
            Display::Plain {
                out,
                stack: stack.to_string(),
            },
            total,
        )
    }

    /// A bar on stderr (a terminal), lines above it.
    pub fn terminal(stack: &str, total: usize) -> Progress<'a> {
        let bar = indicatif::ProgressBar::new(total as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{prefix} [{elapsed_precise}] {bar:30} {pos}/{len} resources {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_prefix(stack.to_string());
        bar.enable_steady_tick(Duration::from_millis(250));
        Progress::new(
            Display::Terminal {
                bar,
                stack: stack.to_string(),
            },
            total,
        )
    }

    fn new(display: Display<'a>, total: usize) -> Progress<'a> {
        Progress {
            display,
            total,
            done: BTreeSet::new(),
            root_cause: RootCause::default(),
            started: Instant::now(),
        }
    }

    pub fn event(&mut self, e: &Event) {
        self.root_cause.observe(e);
        if !e.is_stack && e.phase() != Phase::InProgress {
            self.done.insert(e.id.clone());
        }
        let done = self.done.len().min(self.total);
        match &mut self.display {
            Display::Plain { out, stack } => {
                let _ = writeln!(out, "{}  {stack}  {}", e.clock(), e.line());
            }
            Display::Terminal { bar, stack } => {
                bar.println(format!("{}  {stack}  {}", e.clock(), e.line()));
                bar.set_position(done as u64);
            }
        }
    }

    /// A note between events (waiting for rollback, interrupted, …).
    pub fn note(&mut self, text: &str) {
        match &mut self.display {
            Display::Plain { out, stack } => {
                let _ = writeln!(out, "{stack}: {text}");
            }
            Display::Terminal { bar, stack } => bar.println(format!("{stack}: {text}")),
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Removes the bar (lines stay).
    pub fn finish(&mut self) {
        if let Display::Terminal { bar, .. } = &self.display {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: &str, n: u32, status: &str, reason: Option<&str>) -> Event {
        Event {
            timestamp: format!("2026-11-30T08:20:{n:02}.000Z"),
            id: id.into(),
            resource_type: "AWS::SQS::Queue".into(),
            status: status.into(),
            reason: reason.map(str::to_string),
            is_stack: false,
            event_id: format!("{id}-{n}"),
        }
    }

    #[test]
    fn the_cursor_returns_unseen_events_oldest_first() {
        let mut c = EventCursor::default();
        c.skip(&[ev("Old", 1, "CREATE_COMPLETE", None)]);
        let page = [
            ev("A", 3, "CREATE_COMPLETE", None),
            ev("A", 2, "CREATE_IN_PROGRESS", None),
            ev("Old", 1, "CREATE_COMPLETE", None),
        ];
        let ids: Vec<String> = c.take_new(&page).into_iter().map(|e| e.event_id).collect();
        assert_eq!(ids, ["A-2", "A-3"]);
        assert!(c.take_new(&page).is_empty());
    }

    #[test]
    fn the_root_cause_is_the_first_failure_not_a_cancellation() {
        let mut r = RootCause::default();
        r.observe(&ev("B", 5, "CREATE_FAILED", Some("Resource creation cancelled")));
        r.observe(&ev("A", 6, "CREATE_FAILED", Some("name already exists")));
        r.observe(&ev("C", 7, "CREATE_FAILED", Some("other")));
        assert_eq!(r.get().unwrap().id, "A");
    }
}
