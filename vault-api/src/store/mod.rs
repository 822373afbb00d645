//! Storage behind one trait, with two implementations of the same semantics:
//! [`dynamo::DynamoStore`] for AWS and [`embedded::EmbeddedStore`] on local disk.

pub mod cursor;
pub mod dynamo;
pub mod embedded;

use std::future::Future;
use std::pin::Pin;

use serde_json::value::RawValue;

use crate::item::{Item, ItemId, Preconditions};

pub use cursor::Cursor;

/// A boxed future returned by [`Store`] methods (boxed so the trait can be
/// used as `dyn Store` and chosen at run time).
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Why a store operation did not happen.
#[derive(Debug)]
pub enum StoreError {
    /// The item does not exist.
    NotFound,
    /// The item's current version failed the request's preconditions.
    PreconditionFailed,
    /// The backing storage could not be reached or failed. The text is for
    /// logs only and never reaches a client.
    Unavailable(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::NotFound => f.write_str("item not found"),
            StoreError::PreconditionFailed => f.write_str("precondition failed"),
            StoreError::Unavailable(detail) => write!(f, "storage unavailable: {detail}"),
        }
    }
}

impl std::error::Error for StoreError {}

/// The result of a successful `put`.
#[derive(Debug, Clone)]
pub struct Written {
    pub item: Item,
    /// True when the write created the item rather than replacing it.
    pub created: bool,
}

/// One page of a listing.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub items: Vec<Item>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
}

/// Largest total size of item documents in one page. A page of 1000
/// near-limit items would be ~250 MiB; this cap keeps a listing response (and
/// the task's memory) small whatever `limit` says. A page always holds at
/// least one item, so listing always makes progress.
pub const PAGE_BYTE_BUDGET: usize = 4 * 1024 * 1024;

/// Fills a page from items in key order, stopping at `limit` items or the byte
/// budget, and remembers whether anything was left over.
#[derive(Debug)]
pub(crate) struct PageBuilder {
    limit: usize,
    bytes: usize,
    page: Page,
    more: bool,
}

impl PageBuilder {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            limit,
            bytes: 0,
            page: Page::default(),
            more: false,
        }
    }

    /// Offers the next item in order. Returns false once the page is full:
    /// the offered item is then *not* included and the page gets a cursor.
    pub(crate) fn offer(&mut self, item: Item) -> bool {
        let size = item.data.get().len();
        let full = self.page.items.len() >= self.limit
            || (!self.page.items.is_empty() && self.bytes + size > PAGE_BYTE_BUDGET);
        if full {
            self.more = true;
            return false;
        }
        self.bytes += size;
        self.page.items.push(item);
        true
    }

    /// Items accepted so far.
    pub(crate) fn len(&self) -> usize {
        self.page.items.len()
    }

    pub(crate) fn finish(mut self) -> Page {
        if self.more {
            self.page.next = self.page.items.last().map(|i| Cursor::after(&i.id));
        }
        self.page
    }
}

/// Item storage. Every write evaluates its [`Preconditions`] atomically with
/// the write itself: there is no read-then-write window in which a concurrent
/// writer could slip in.
pub trait Store: Send + Sync + 'static {
    /// Reads an item.
    fn get(&self, id: ItemId) -> StoreFuture<'_, Option<Item>>;

    /// Creates or replaces an item if `preconditions` allow it against the
    /// item's current state; otherwise fails with `PreconditionFailed`.
    fn put(&self, id: ItemId, data: Box<RawValue>, preconditions: Preconditions) -> StoreFuture<'_, Written>;

    /// Deletes an item: `NotFound` if it does not exist, `PreconditionFailed`
    /// if it exists but fails `preconditions`.
    fn delete(&self, id: ItemId, preconditions: Preconditions) -> StoreFuture<'_, ()>;

    /// Lists up to `limit` items in a stable order, starting after `cursor`.
    /// While nothing is written, following `next` visits every item exactly
    /// once. The order is the store's key order, which is not necessarily id
    /// order (DynamoDB's `Scan` returns hash order).
    fn list(&self, cursor: Option<Cursor>, limit: usize) -> StoreFuture<'_, Page>;

    /// Checks that the storage is reachable (for readiness probes).
    fn ping(&self) -> StoreFuture<'_, ()>;

    /// True while the store has a fault local to this process, one that a
    /// replacement instance would not have: the embedded store's file failed
    /// with an I/O error (a full disk, say) and is not reopened yet. The
    /// health check reports it, so the load balancer moves traffic away and
    /// the orchestrator can replace the task. A remote outage (DynamoDB
    /// unreachable) is not local: every instance has it, and replacing tasks
    /// would not help. Must not do I/O.
    fn local_fault(&self) -> bool {
        false
    }

    /// Short name for logs: `embedded` or `dynamodb`.
    fn kind(&self) -> &'static str;
}
