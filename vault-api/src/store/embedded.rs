//! The embedded on-disk store: one [`redb`] database file.
//!
//! Why redb: it is pure Rust (no C toolchain in the image, no `-sys` build),
//! ACID with crash-safe commits by default, has MVCC so reads never wait for
//! the writer, keeps keys in a B-tree (so listing in id order is a range scan)
//! and has a stable, documented file format. Its single-writer transactions
//! give the same atomic compare-and-write the DynamoDB store gets from
//! condition expressions.
//!
//! Threads: redb is synchronous. Writes and listings run on tokio's blocking
//! pool (a write waits for the single writer lock and an fsync). Reading one
//! item runs inline on the async worker: it takes no lock that a writer holds
//! (MVCC), and with the page cache (and the OS page cache behind it) it is a
//! few microseconds, far less than handing it to another thread costs.
//!
//! Reads use a snapshot of the items table (a read transaction kept open)
//! that every write replaces after its commit and before it is acknowledged,
//! so a read that starts after a write's answer sees it. Opening a read
//! transaction and the table per read cost more than the lookup itself.
//!
//! Memory: redb's page cache is bounded by `cache_bytes` (redb's own default
//! is 1 GiB, which lets the process grow with the data).
//!
//! I/O errors: redb latches the first I/O error (a full disk, say) and fails
//! every later operation until the database is reopened. The store then
//! reports a local fault (readiness and health answer 503) and a background
//! thread reopens the file, with backoff, once the operations still using
//! the failed handle have finished. A reopen counts as recovered only when a
//! write transaction commits, so a disk that is still full keeps the fault.
//! That commit is small, so a reopen can succeed on a disk that is still too
//! full for a client's write; the wait before the next reopen therefore keeps
//! doubling (up to 5 s) across failures and returns to 100 ms only when a
//! client's write commits. On a disk that stays full under write load the
//! store is reopened at most every 5 s instead of flapping between 503 and
//! 200 every few hundred milliseconds.

use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, Weak};
use std::time::Duration;

use redb::{Builder, Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::{Cursor, Page, PageBuilder, Store, StoreError, StoreFuture, Written};
use crate::item::{new_revision, now_timestamp, Item, ItemId, Preconditions};

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "vault.redb";

/// Items keyed by id; values are [`Record`]s as JSON.
const ITEMS: TableDefinition<&str, &[u8]> = TableDefinition::new("items");

/// What is stored under an id (the id itself is the key).
#[derive(Serialize, Deserialize)]
struct Record {
    version: u64,
    revision: String,
    created_at: String,
    updated_at: String,
    data: Box<RawValue>,
}

impl Record {
    fn decode(id: &str, bytes: &[u8]) -> Result<Item, StoreError> {
        let record: Record = serde_json::from_slice(bytes)
            .map_err(|e| StoreError::Unavailable(format!("corrupt record {id:?}: {e}")))?;
        let id = ItemId::parse(id).map_err(|_| StoreError::Unavailable(format!("corrupt key {id:?}")))?;
        Ok(Item {
            id,
            version: record.version,
            revision: record.revision,
            created_at: record.created_at,
            updated_at: record.updated_at,
            data: record.data,
        })
    }

    fn encode(item: &Item) -> Result<Vec<u8>, StoreError> {
        serde_json::to_vec(&RecordRef {
            version: item.version,
            revision: &item.revision,
            created_at: &item.created_at,
            updated_at: &item.updated_at,
            data: &item.data,
        })
        .map_err(|e| StoreError::Unavailable(format!("encoding record: {e}")))
    }
}

/// Borrowing twin of [`Record`] for encoding without copies.
#[derive(Serialize)]
struct RecordRef<'a> {
    version: u64,
    revision: &'a str,
    created_at: &'a str,
    updated_at: &'a str,
    data: &'a RawValue,
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

/// Item storage in a local redb file; data survives restarts.
#[derive(Clone)]
pub struct EmbeddedStore {
    shared: Arc<Shared>,
}

struct Shared {
    path: PathBuf,
    cache_bytes: usize,
    state: RwLock<State>,
    /// Mirrors `state` being `Failed`, for the health check (no lock).
    failed: AtomicBool,
    /// The wait before the next reopen, in milliseconds: doubled by every
    /// reopen, reset by a client's committed write (see the module doc).
    next_backoff_ms: AtomicU64,
    /// Reopens after an I/O error so far.
    reopens: AtomicU64,
}

/// A read-only view of the items table as of some commit.
type ItemsSnapshot = redb::ReadOnlyTable<&'static str, &'static [u8]>;

enum State {
    /// The open database, and a snapshot of the items table taken after its
    /// latest commit (see [`Shared::refresh`]).
    Open {
        db: Arc<Database>,
        items: Arc<ItemsSnapshot>,
    },
    /// The database failed with an I/O error; a recovery thread is reopening
    /// it once `previous` (the failed handle) is no longer in use.
    Failed { previous: Weak<Database> },
}

/// First wait before reopening after an I/O error; doubled after each
/// attempt up to [`MAX_RECOVERY_BACKOFF`], and back to this only when a
/// client's write commits (see the module doc).
const FIRST_RECOVERY_BACKOFF: Duration = Duration::from_millis(100);
/// Longest wait between reopen attempts: a reopen may repair (read) the
/// whole file, so a disk that stays full is not hammered.
const MAX_RECOVERY_BACKOFF: Duration = Duration::from_secs(5);

/// Opens (or creates) the database file and commits one write transaction
/// (creating the table if needed), so an opened database is known to be
/// writable; returns it with a snapshot of the items table.
fn open_database(path: &Path, cache_bytes: usize) -> Result<State, StoreError> {
    let db = Builder::new()
        .set_cache_size(cache_bytes)
        .create(path)
        .map_err(|e| unavailable(format!("opening {}: {e}", path.display())))?;
    let txn = db.begin_write().map_err(unavailable)?;
    txn.open_table(ITEMS).map_err(unavailable)?;
    txn.commit().map_err(unavailable)?;
    let items = snapshot(&db).map_err(unavailable)?;
    Ok(State::Open {
        db: Arc::new(db),
        items: Arc::new(items),
    })
}

/// A snapshot of the items table as of the latest commit.
fn snapshot(db: &Database) -> Result<ItemsSnapshot, redb::Error> {
    Ok(db.begin_read()?.open_table(ITEMS)?)
}

/// Whether a redb error means the file failed (and redb has latched it).
fn is_io_failure(err: &redb::Error) -> bool {
    matches!(
        err,
        redb::Error::Io(_) | redb::Error::PreviousIo | redb::Error::DatabaseClosed
    )
}

impl EmbeddedStore {
    /// Opens (or creates) the store in `dir` with the default page cache
    /// ([`crate::config::DEFAULT_EMBEDDED_CACHE_BYTES`]).
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        Self::open_with_cache(dir, crate::config::DEFAULT_EMBEDDED_CACHE_BYTES)
    }

    /// Opens (or creates) the store in `dir`, creating the directory if
    /// needed, with a page cache of `cache_bytes`. Blocking: call it from a
    /// blocking context (see [`crate::server::open_store`]).
    pub fn open_with_cache(dir: &Path, cache_bytes: usize) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| unavailable(format!("creating {}: {e}", dir.display())))?;
        let path = dir.join(DB_FILE);
        let state = open_database(&path, cache_bytes)?;
        Ok(Self {
            shared: Arc::new(Shared {
                path,
                cache_bytes,
                state: RwLock::new(state),
                failed: AtomicBool::new(false),
                next_backoff_ms: AtomicU64::new(FIRST_RECOVERY_BACKOFF.as_millis() as u64),
                reopens: AtomicU64::new(0),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// How many times the store has been reopened after an I/O error (a
    /// figure for monitoring: it keeps rising while a disk stays full).
    pub fn reopens(&self) -> u64 {
        self.shared.reopens.load(Ordering::Relaxed)
    }

    /// Runs blocking redb work off the async runtime.
    fn blocking<T, F>(&self, work: F) -> StoreFuture<'_, T>
    where
        T: Send + 'static,
        F: FnOnce(&Op<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let shared = Arc::clone(&self.shared);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let db = shared.database()?;
                work(&Op {
                    shared: &shared,
                    db: &db,
                })
            })
            .await
            .map_err(|e| unavailable(format!("storage task failed: {e}")))?
        })
    }
}

impl Shared {
    /// The open database, or an error while it is being recovered.
    fn database(&self) -> Result<Arc<Database>, StoreError> {
        self.open().map(|(db, _)| db)
    }

    /// The open database and the current snapshot of the items table.
    fn open(&self) -> Result<(Arc<Database>, Arc<ItemsSnapshot>), StoreError> {
        match &*self.state.read().unwrap_or_else(PoisonError::into_inner) {
            State::Open { db, items } => Ok((Arc::clone(db), Arc::clone(items))),
            State::Failed { .. } => Err(unavailable(
                "the database file failed with an I/O error and is being reopened",
            )),
        }
    }

    /// Replaces the snapshot with one that includes every commit so far.
    /// Called after each commit, before the write is acknowledged, so a read
    /// that starts after the acknowledgement sees the write. Taken under the
    /// state's write lock, so snapshots only ever move forward even when
    /// writers finish out of order.
    fn refresh(self: &Arc<Self>, db: &Arc<Database>) -> Result<(), StoreError> {
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        let State::Open { db: current, items } = &mut *state else {
            return Err(unavailable("the database failed after the commit"));
        };
        if !Arc::ptr_eq(current, db) {
            return Err(unavailable("the database was reopened after the commit"));
        }
        match snapshot(db) {
            Ok(fresh) => {
                *items = Arc::new(fresh);
                // A client's write committed: the disk takes writes again.
                self.next_backoff_ms
                    .store(FIRST_RECOVERY_BACKOFF.as_millis() as u64, Ordering::Relaxed);
                Ok(())
            }
            Err(e) => {
                drop(state);
                Err(self.error(db, e))
            }
        }
    }

    fn is_failed(&self) -> bool {
        self.failed.load(Ordering::Acquire)
    }

    /// Maps a redb error from an operation on `db` to a store error; an I/O
    /// failure also marks the database failed and starts its recovery.
    fn error(self: &Arc<Self>, db: &Arc<Database>, err: impl Into<redb::Error>) -> StoreError {
        let err = err.into();
        if is_io_failure(&err) {
            self.fail(db, &err);
        }
        unavailable(err)
    }

    fn fail(self: &Arc<Self>, db: &Arc<Database>, err: &redb::Error) {
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        let State::Open { db: current, .. } = &*state else {
            return;
        };
        if !Arc::ptr_eq(current, db) {
            return; // Already replaced by a reopened database.
        }
        tracing::error!(
            path = %self.path.display(),
            error = %err,
            "the embedded store failed with an I/O error; reporting not ready and reopening it"
        );
        *state = State::Failed {
            previous: Arc::downgrade(db),
        };
        self.failed.store(true, Ordering::Release);
        drop(state);
        let weak = Arc::downgrade(self);
        let spawned = std::thread::Builder::new()
            .name("vault-store-recovery".into())
            .spawn(move || recover(weak));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the embedded store's recovery thread");
        }
    }
}

/// Reopens the failed database once nothing uses the failed handle any more,
/// retrying with backoff until a reopen commits. Stops if the store is gone.
/// The first wait is the store's `next_backoff_ms`; a successful reopen
/// leaves the doubled wait there for the next failure.
fn recover(shared: Weak<Shared>) {
    let Some(first) = shared
        .upgrade()
        .map(|s| Duration::from_millis(s.next_backoff_ms.load(Ordering::Relaxed)))
    else {
        return;
    };
    let mut wait = first;
    loop {
        std::thread::sleep(wait);
        wait = (wait * 2).min(MAX_RECOVERY_BACKOFF);
        let Some(shared) = shared.upgrade() else { return };
        let previous_in_use = match &*shared.state.read().unwrap_or_else(PoisonError::into_inner) {
            State::Open { .. } => return,
            State::Failed { previous } => previous.strong_count() > 0,
        };
        if previous_in_use {
            continue;
        }
        match open_database(&shared.path, shared.cache_bytes) {
            Ok(open) => {
                let mut state = shared.state.write().unwrap_or_else(PoisonError::into_inner);
                *state = open;
                shared.failed.store(false, Ordering::Release);
                shared.next_backoff_ms.store(wait.as_millis() as u64, Ordering::Relaxed);
                shared.reopens.fetch_add(1, Ordering::Relaxed);
                drop(state);
                tracing::info!(path = %shared.path.display(), "the embedded store was reopened and is writable again");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in_ms = wait.as_millis() as u64, "reopening the embedded store failed");
            }
        }
    }
}

/// One operation on the open database: maps redb errors, marking the
/// database failed on an I/O error.
struct Op<'a> {
    shared: &'a Arc<Shared>,
    db: &'a Arc<Database>,
}

impl Op<'_> {
    fn err(&self, err: impl Into<redb::Error>) -> StoreError {
        self.shared.error(self.db, err)
    }
}

fn read_item(
    op: &Op<'_>,
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    id: &ItemId,
) -> Result<Option<Item>, StoreError> {
    match table.get(id.as_str()).map_err(|e| op.err(e))? {
        Some(guard) => Record::decode(id.as_str(), guard.value()).map(Some),
        None => Ok(None),
    }
}

impl Store for EmbeddedStore {
    fn get(&self, id: ItemId) -> StoreFuture<'_, Option<Item>> {
        // Inline on the async worker, from the snapshot; see the module
        // documentation.
        let result = self.shared.open().and_then(|(db, items)| {
            let op = Op {
                shared: &self.shared,
                db: &db,
            };
            read_item(&op, &*items, &id)
        });
        Box::pin(std::future::ready(result))
    }

    fn put(&self, id: ItemId, data: Box<RawValue>, preconditions: Preconditions) -> StoreFuture<'_, Written> {
        self.blocking(move |op| {
            // redb has one write transaction at a time, so the check below and
            // the insert are atomic with respect to every other writer.
            let txn = op.db.begin_write().map_err(|e| op.err(e))?;
            let written = {
                let mut table = txn.open_table(ITEMS).map_err(|e| op.err(e))?;
                let current = read_item(op, &table, &id)?;
                if !preconditions.allow(current.as_ref().map(Item::etag).as_ref()) {
                    return Err(StoreError::PreconditionFailed);
                }
                let now = now_timestamp();
                let item = match current {
                    Some(old) => Item {
                        version: old.version + 1,
                        revision: new_revision(),
                        updated_at: now,
                        data,
                        ..old
                    },
                    None => Item {
                        id: id.clone(),
                        version: 1,
                        revision: new_revision(),
                        created_at: now.clone(),
                        updated_at: now,
                        data,
                    },
                };
                table
                    .insert(id.as_str(), Record::encode(&item)?.as_slice())
                    .map_err(|e| op.err(e))?;
                Written {
                    created: item.version == 1,
                    item,
                }
            };
            txn.commit().map_err(|e| op.err(e))?;
            op.shared.refresh(op.db)?;
            Ok(written)
        })
    }

    fn delete(&self, id: ItemId, preconditions: Preconditions) -> StoreFuture<'_, ()> {
        self.blocking(move |op| {
            let txn = op.db.begin_write().map_err(|e| op.err(e))?;
            {
                let mut table = txn.open_table(ITEMS).map_err(|e| op.err(e))?;
                let Some(current) = read_item(op, &table, &id)? else {
                    return Err(StoreError::NotFound);
                };
                if !preconditions.allow(Some(&current.etag())) {
                    return Err(StoreError::PreconditionFailed);
                }
                table.remove(id.as_str()).map_err(|e| op.err(e))?;
            }
            txn.commit().map_err(|e| op.err(e))?;
            op.shared.refresh(op.db)?;
            Ok(())
        })
    }

    fn list(&self, cursor: Option<Cursor>, limit: usize) -> StoreFuture<'_, Page> {
        self.blocking(move |op| {
            let txn = op.db.begin_read().map_err(|e| op.err(e))?;
            let table = txn.open_table(ITEMS).map_err(|e| op.err(e))?;
            let start = cursor.as_ref().map(|c| c.last_id().as_str());
            let range = match start {
                Some(after) => table.range::<&str>((Bound::Excluded(after), Bound::Unbounded)),
                None => table.range::<&str>(..),
            }
            .map_err(|e| op.err(e))?;
            let mut page = PageBuilder::new(limit);
            for entry in range {
                let (key, value) = entry.map_err(|e| op.err(e))?;
                if !page.offer(Record::decode(key.value(), value.value())?) {
                    break;
                }
            }
            Ok(page.finish())
        })
    }

    fn ping(&self) -> StoreFuture<'_, ()> {
        let result = self.shared.database().and_then(|db| {
            let op = Op {
                shared: &self.shared,
                db: &db,
            };
            let txn = db.begin_read().map_err(|e| op.err(e))?;
            txn.open_table(ITEMS).map_err(|e| op.err(e))?;
            Ok(())
        });
        Box::pin(std::future::ready(result))
    }

    fn local_fault(&self) -> bool {
        self.shared.is_failed()
    }

    fn kind(&self) -> &'static str {
        "embedded"
    }
}
