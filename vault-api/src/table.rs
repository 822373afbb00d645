//! The DynamoDB key schema the service expects, in one dependency-free place.
//!
//! The infrastructure stack defines the production table from these constants
//! (or proves its definition equal to them in a test), and
//! `vault-api create-table` builds local tables from them, so the deployed
//! table and the service can never disagree about keys.
//!
//! Items live under a single string partition key and there is no sort key:
//! every access is by id, and listing pages through a `Scan` whose position is
//! carried in an opaque cursor, so no secondary index is needed either.

/// Name of the partition (hash) key attribute: the item id.
pub const PARTITION_KEY: &str = "id";

/// DynamoDB scalar type of the partition key: `S` (string).
pub const PARTITION_KEY_TYPE: &str = "S";

/// The table has no sort (range) key.
pub const SORT_KEY: Option<&str> = None;

/// Billing mode the stack deploys and `create-table` uses: on-demand, so an
/// idle sample service costs nothing and bursts are not throttled by a
/// provisioned capacity someone forgot to raise.
pub const BILLING_MODE: &str = "PAY_PER_REQUEST";
