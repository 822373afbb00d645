//! The embedded on-disk store: one [`redb`] database file.
//!
//! Why redb: it is pure Rust (no C toolchain in the image, no `-sys` build),
//! ACID with crash-safe commits by default, has MVCC so reads never wait for
//! the writer, keeps keys in a B-tree (so listing in id order is a range scan)
//! and has a stable, documented file format. Its single-writer transactions
//! give the same atomic compare-and-write the DynamoDB store gets from
//! condition expressions.
//!
//! redb is synchronous, so every operation runs on tokio's blocking pool.

use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
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
    db: Arc<Database>,
    path: PathBuf,
}

impl EmbeddedStore {
    /// Opens (or creates) the store in `dir`, creating the directory if needed.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| unavailable(format!("creating {}: {e}", dir.display())))?;
        let path = dir.join(DB_FILE);
        let db = Database::create(&path).map_err(|e| unavailable(format!("opening {}: {e}", path.display())))?;
        // Create the table up front so readers never see it missing.
        let txn = db.begin_write().map_err(unavailable)?;
        txn.open_table(ITEMS).map_err(unavailable)?;
        txn.commit().map_err(unavailable)?;
        Ok(Self { db: Arc::new(db), path })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs blocking redb work off the async runtime.
    fn blocking<T, F>(&self, work: F) -> StoreFuture<'_, T>
    where
        T: Send + 'static,
        F: FnOnce(&Database) -> Result<T, StoreError> + Send + 'static,
    {
        let db = Arc::clone(&self.db);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || work(&db))
                .await
                .map_err(|e| unavailable(format!("storage task failed: {e}")))?
        })
    }
}

fn read_item(table: &impl ReadableTable<&'static str, &'static [u8]>, id: &ItemId) -> Result<Option<Item>, StoreError> {
    match table.get(id.as_str()).map_err(unavailable)? {
        Some(guard) => Record::decode(id.as_str(), guard.value()).map(Some),
        None => Ok(None),
    }
}

impl Store for EmbeddedStore {
    fn get(&self, id: ItemId) -> StoreFuture<'_, Option<Item>> {
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(unavailable)?;
            let table = txn.open_table(ITEMS).map_err(unavailable)?;
            read_item(&table, &id)
        })
    }

    fn put(&self, id: ItemId, data: Box<RawValue>, preconditions: Preconditions) -> StoreFuture<'_, Written> {
        self.blocking(move |db| {
            // redb has one write transaction at a time, so the check below and
            // the insert are atomic with respect to every other writer.
            let txn = db.begin_write().map_err(unavailable)?;
            let written = {
                let mut table = txn.open_table(ITEMS).map_err(unavailable)?;
                let current = read_item(&table, &id)?;
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
                    .map_err(unavailable)?;
                Written {
                    created: item.version == 1,
                    item,
                }
            };
            txn.commit().map_err(unavailable)?;
            Ok(written)
        })
    }

    fn delete(&self, id: ItemId, preconditions: Preconditions) -> StoreFuture<'_, ()> {
        self.blocking(move |db| {
            let txn = db.begin_write().map_err(unavailable)?;
            {
                let mut table = txn.open_table(ITEMS).map_err(unavailable)?;
                let Some(current) = read_item(&table, &id)? else {
                    return Err(StoreError::NotFound);
                };
                if !preconditions.allow(Some(&current.etag())) {
                    return Err(StoreError::PreconditionFailed);
                }
                table.remove(id.as_str()).map_err(unavailable)?;
            }
            txn.commit().map_err(unavailable)?;
            Ok(())
        })
    }

    fn list(&self, cursor: Option<Cursor>, limit: usize) -> StoreFuture<'_, Page> {
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(unavailable)?;
            let table = txn.open_table(ITEMS).map_err(unavailable)?;
            let start = cursor.as_ref().map(|c| c.last_id().as_str());
            let range = match start {
                Some(after) => table.range::<&str>((Bound::Excluded(after), Bound::Unbounded)),
                None => table.range::<&str>(..),
            }
            .map_err(unavailable)?;
            let mut page = PageBuilder::new(limit);
            for entry in range {
                let (key, value) = entry.map_err(unavailable)?;
                if !page.offer(Record::decode(key.value(), value.value())?) {
                    break;
                }
            }
            Ok(page.finish())
        })
    }

    fn ping(&self) -> StoreFuture<'_, ()> {
        self.blocking(|db| {
            let txn = db.begin_read().map_err(unavailable)?;
            txn.open_table(ITEMS).map_err(unavailable)?;
            Ok(())
        })
    }

    fn kind(&self) -> &'static str {
        "embedded"
    }
}
