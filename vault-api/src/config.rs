//! Configuration: explicit structs that tests build directly, and the
//! command-line/environment parsing the binary uses to fill them.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

/// Request-handling limits.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest accepted request body. Default 256 KiB: comfortably under
    /// DynamoDB's 400 KB item limit once the other attributes are added.
    pub body_limit_bytes: usize,
    /// Longest a request may take before it is answered 503 `timeout`.
    /// Default 10 s: longer than the DynamoDB client's 8 s operation timeout
    /// (so storage errors surface as such), shorter than the load balancer's
    /// 60 s idle timeout.
    pub request_timeout: Duration,
    /// Longest the body of a write may take to arrive before the request is
    /// answered 408 `body_timeout`. Default 5 s: a 256 KiB body at 52 KB/s.
    /// Bodies are read before a concurrency permit is taken, so a client that
    /// stalls holds only its share of the body budget, and only this long.
    pub body_read_timeout: Duration,
    /// Item requests talking to storage at once; more wait their turn.
    /// Default 256: far more than 0.25 vCPU can serve anyway. The body budget
    /// (request bodies held in memory at once) is this many bodies of the
    /// limit size, so memory for bodies stays bounded by
    /// `max_concurrent_requests` × `body_limit_bytes` (64 MiB by default).
    pub max_concurrent_requests: usize,
}

/// Default for [`Limits::body_limit_bytes`].
pub const DEFAULT_BODY_LIMIT_BYTES: usize = 256 * 1024;
/// Default for [`Limits::request_timeout`], in milliseconds.
pub const DEFAULT_REQUEST_TIMEOUT_MS: u64 = 10_000;
/// Default for [`Limits::body_read_timeout`], in milliseconds.
pub const DEFAULT_BODY_READ_TIMEOUT_MS: u64 = 5_000;
/// Default for [`Limits::max_concurrent_requests`].
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 256;

impl Default for Limits {
    fn default() -> Self {
        Self {
            body_limit_bytes: DEFAULT_BODY_LIMIT_BYTES,
            request_timeout: Duration::from_millis(DEFAULT_REQUEST_TIMEOUT_MS),
            body_read_timeout: Duration::from_millis(DEFAULT_BODY_READ_TIMEOUT_MS),
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS,
        }
    }
}

impl Limits {
    /// Bytes of request bodies held in memory at once, across all requests.
    pub fn body_budget_bytes(&self) -> usize {
        self.max_concurrent_requests
            .max(1)
            .saturating_mul(self.body_limit_bytes)
    }
}

/// Which store to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageConfig {
    /// The embedded redb store in this directory.
    Embedded { data_dir: PathBuf, cache_bytes: usize },
    /// DynamoDB, table name given; region, credentials and endpoint come from
    /// the standard AWS configuration chain.
    Dynamo { table: String, attempt_timeout: Duration },
}

/// Default for the embedded store's page cache, in bytes. redb's own default
/// is 1 GiB, which lets memory grow with the data; 4 MiB holds the B-tree's
/// inner pages of a large vault plus the hottest leaves, and keeps the
/// process's resident memory small whatever the data size.
pub const DEFAULT_EMBEDDED_CACHE_BYTES: usize = 4 * 1024 * 1024;

/// Default for the DynamoDB per-attempt timeout, in milliseconds (see
/// [`crate::store::dynamo::timeout_config`]).
pub const DEFAULT_DYNAMODB_ATTEMPT_TIMEOUT_MS: u64 = 3_000;

/// The store named by `VAULT_STORE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreKind {
    /// DynamoDB, in the table named by `VAULT_TABLE`.
    Dynamodb,
    /// The embedded redb store in `VAULT_DATA_DIR`.
    Embedded,
}

/// A configuration the service refuses to start with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// True when the process runs in an ECS task (Fargate or EC2): the ECS agent
/// sets `ECS_CONTAINER_METADATA_URI_V4` (and, on older platforms,
/// `ECS_CONTAINER_METADATA_URI`) in every container, and Fargate sets
/// `AWS_EXECUTION_ENV=AWS_ECS_FARGATE`.
pub fn running_on_ecs() -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    set("ECS_CONTAINER_METADATA_URI_V4")
        || set("ECS_CONTAINER_METADATA_URI")
        || std::env::var("AWS_EXECUTION_ENV").is_ok_and(|v| v.starts_with("AWS_ECS"))
}

/// Chooses the store from `VAULT_STORE` and `VAULT_TABLE`, refusing anything
/// ambiguous:
///
/// - `VAULT_STORE=dynamodb` needs a non-blank `VAULT_TABLE`.
/// - `VAULT_STORE=embedded` refuses a non-blank `VAULT_TABLE` (which store
///   was meant?).
/// - Without `VAULT_STORE`, a non-blank `VAULT_TABLE` means DynamoDB (as
///   before, so existing deployments keep working); a `VAULT_TABLE` that is
///   set but blank is refused (a template whose table reference came out
///   empty must not silently fall back to local data); and with neither, the
///   embedded store is used, except in an ECS task (`deployed`), where its
///   data would live and die with one task, so the choice must be explicit.
pub fn choose_store(store: Option<StoreKind>, table: Option<&str>, deployed: bool) -> Result<StoreKind, ConfigError> {
    let table_given = table.is_some_and(|t| !t.trim().is_empty());
    match (store, table) {
        (Some(StoreKind::Dynamodb), _) if table_given => Ok(StoreKind::Dynamodb),
        (Some(StoreKind::Dynamodb), _) => Err(ConfigError(
            "VAULT_STORE=dynamodb needs VAULT_TABLE set to the table name".into(),
        )),
        (Some(StoreKind::Embedded), _) if table_given => Err(ConfigError(format!(
            "VAULT_STORE=embedded but VAULT_TABLE={:?} is set too; unset VAULT_TABLE or choose VAULT_STORE=dynamodb",
            table.unwrap_or_default()
        ))),
        (Some(StoreKind::Embedded), _) => Ok(StoreKind::Embedded),
        (None, Some(_)) if table_given => Ok(StoreKind::Dynamodb),
        (None, Some(_)) => Err(ConfigError(
            "VAULT_TABLE is set but blank; set it to the DynamoDB table name, or unset it and set \
             VAULT_STORE=embedded to use the embedded store"
                .into(),
        )),
        (None, None) if deployed => Err(ConfigError(
            "running in an ECS task without VAULT_TABLE or VAULT_STORE: the embedded store would keep \
             data only as long as this task lives. Set VAULT_TABLE (DynamoDB) or VAULT_STORE=embedded"
                .into(),
        )),
        (None, None) => Ok(StoreKind::Embedded),
    }
}

/// Everything `serve` needs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub host: IpAddr,
    /// 0 picks a free port (the chosen address is logged).
    pub port: u16,
    pub application_version: String,
    pub storage: StorageConfig,
    pub limits: Limits,
    /// How long in-flight requests may take to finish after SIGTERM/Ctrl-C.
    pub shutdown_grace: Duration,
}

/// Default for [`ServerConfig::shutdown_grace`], in seconds: ECS sends
/// SIGKILL 30 s after SIGTERM by default, so finish (and flush logs) before.
pub const DEFAULT_SHUTDOWN_GRACE_SECS: u64 = 25;

/// `serve` options; each can also come from the environment variable named.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on. 0.0.0.0 because in a Fargate task (awsvpc) the
    /// load balancer reaches the container on its ENI address, not loopback.
    #[arg(long, env = "HOST", default_value = "0.0.0.0")]
    pub host: IpAddr,

    /// Port to listen on; the stack's container sets 80. 0 picks a free port.
    #[arg(long, env = "PORT", default_value_t = 8080)]
    pub port: u16,

    /// Version reported by GET /vault; the stack's task definition sets it.
    #[arg(long, env = "ApplicationVersion", default_value = "dev")]
    pub application_version: String,

    /// Which store to use. Without it: DynamoDB when VAULT_TABLE is set, the
    /// embedded store when it is not (refused in an ECS task, see
    /// `choose_store`).
    #[arg(long, env = "VAULT_STORE", value_enum)]
    pub store: Option<StoreKind>,

    /// DynamoDB table holding the items.
    #[arg(long, env = "VAULT_TABLE")]
    pub table: Option<String>,

    /// Directory of the embedded store.
    #[arg(long, env = "VAULT_DATA_DIR", default_value = "./vault-data")]
    pub data_dir: PathBuf,

    /// Page cache of the embedded store in bytes (see
    /// `DEFAULT_EMBEDDED_CACHE_BYTES`).
    #[arg(long, env = "VAULT_CACHE_BYTES", default_value_t = DEFAULT_EMBEDDED_CACHE_BYTES)]
    pub cache_bytes: usize,

    /// Per-attempt timeout of DynamoDB calls in milliseconds (see
    /// `store::dynamo::timeout_config`).
    #[arg(long, env = "VAULT_DYNAMODB_ATTEMPT_TIMEOUT_MS", default_value_t = DEFAULT_DYNAMODB_ATTEMPT_TIMEOUT_MS)]
    pub dynamodb_attempt_timeout_ms: u64,

    /// Largest accepted request body in bytes (see `Limits`).
    #[arg(long, env = "VAULT_BODY_LIMIT_BYTES", default_value_t = DEFAULT_BODY_LIMIT_BYTES)]
    pub body_limit_bytes: usize,

    /// Request timeout in milliseconds (see `Limits`).
    #[arg(long, env = "VAULT_REQUEST_TIMEOUT_MS", default_value_t = DEFAULT_REQUEST_TIMEOUT_MS)]
    pub request_timeout_ms: u64,

    /// How long a request body may take to arrive, in milliseconds (see `Limits`).
    #[arg(long, env = "VAULT_BODY_READ_TIMEOUT_MS", default_value_t = DEFAULT_BODY_READ_TIMEOUT_MS)]
    pub body_read_timeout_ms: u64,

    /// Item requests executing at once (see `Limits`).
    #[arg(long, env = "VAULT_MAX_CONCURRENT_REQUESTS", default_value_t = DEFAULT_MAX_CONCURRENT_REQUESTS)]
    pub max_concurrent_requests: usize,

    /// Seconds in-flight requests get to finish after SIGTERM or Ctrl-C.
    #[arg(long, env = "VAULT_SHUTDOWN_GRACE_SECS", default_value_t = DEFAULT_SHUTDOWN_GRACE_SECS)]
    pub shutdown_grace_secs: u64,
}

impl ServeArgs {
    /// The configuration, or why it is refused. `deployed` is
    /// [`running_on_ecs`] outside tests.
    pub fn into_config(self, deployed: bool) -> Result<ServerConfig, ConfigError> {
        let storage = match choose_store(self.store, self.table.as_deref(), deployed)? {
            StoreKind::Dynamodb => StorageConfig::Dynamo {
                table: self.table.unwrap_or_default().trim().to_owned(),
                attempt_timeout: Duration::from_millis(self.dynamodb_attempt_timeout_ms.max(1)),
            },
            StoreKind::Embedded => StorageConfig::Embedded {
                data_dir: self.data_dir,
                cache_bytes: self.cache_bytes,
            },
        };
        Ok(ServerConfig {
            host: self.host,
            port: self.port,
            application_version: self.application_version,
            storage,
            limits: Limits {
                body_limit_bytes: self.body_limit_bytes,
                request_timeout: Duration::from_millis(self.request_timeout_ms),
                body_read_timeout: Duration::from_millis(self.body_read_timeout_ms),
                max_concurrent_requests: self.max_concurrent_requests.max(1),
            },
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explicit_store_is_taken_when_consistent() {
        for deployed in [false, true] {
            assert_eq!(
                choose_store(Some(StoreKind::Dynamodb), Some("t"), deployed),
                Ok(StoreKind::Dynamodb)
            );
            assert_eq!(
                choose_store(Some(StoreKind::Embedded), None, deployed),
                Ok(StoreKind::Embedded)
            );
            assert_eq!(
                choose_store(Some(StoreKind::Embedded), Some(" "), deployed),
                Ok(StoreKind::Embedded)
            );
        }
    }

    #[test]
    fn contradictions_and_blanks_are_refused() {
        for deployed in [false, true] {
            assert!(choose_store(Some(StoreKind::Dynamodb), None, deployed).is_err());
            assert!(choose_store(Some(StoreKind::Dynamodb), Some(""), deployed).is_err());
            assert!(choose_store(Some(StoreKind::Embedded), Some("t"), deployed).is_err());
            for blank in ["", " ", "\t"] {
                let err = choose_store(None, Some(blank), deployed).unwrap_err();
                assert!(err.0.contains("VAULT_TABLE"), "{err}");
            }
        }
    }

    #[test]
    fn a_table_alone_still_means_dynamodb() {
        for deployed in [false, true] {
            assert_eq!(choose_store(None, Some("items"), deployed), Ok(StoreKind::Dynamodb));
        }
    }

    #[test]
    fn nothing_configured_is_embedded_locally_but_refused_on_ecs() {
        assert_eq!(choose_store(None, None, false), Ok(StoreKind::Embedded));
        let err = choose_store(None, None, true).unwrap_err();
        assert!(err.0.contains("VAULT_STORE") && err.0.contains("VAULT_TABLE"), "{err}");
    }
}
