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
    /// Item requests executing at once; more wait their turn. Default 256:
    /// bounds memory at 256 × 256 KiB = 64 MiB of bodies, a fraction of a
    /// 512 MiB task, while far exceeding what 0.25 vCPU can serve anyway.
    pub max_concurrent_requests: usize,
}

/// Default for [`Limits::body_limit_bytes`].
pub const DEFAULT_BODY_LIMIT_BYTES: usize = 256 * 1024;
/// Default for [`Limits::request_timeout`], in milliseconds.
pub const DEFAULT_REQUEST_TIMEOUT_MS: u64 = 10_000;
/// Default for [`Limits::max_concurrent_requests`].
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 256;

impl Default for Limits {
    fn default() -> Self {
        Self {
            body_limit_bytes: DEFAULT_BODY_LIMIT_BYTES,
            request_timeout: Duration::from_millis(DEFAULT_REQUEST_TIMEOUT_MS),
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS,
        }
    }
}

/// Which store to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageConfig {
    /// The embedded redb store in this directory.
    Embedded { data_dir: PathBuf },
    /// DynamoDB, table name given; region, credentials and endpoint come from
    /// the standard AWS configuration chain.
    Dynamo { table: String },
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

    /// DynamoDB table. When set (and not empty), items live in DynamoDB;
    /// otherwise in the embedded store.
    #[arg(long, env = "VAULT_TABLE")]
    pub table: Option<String>,

    /// Directory of the embedded store, used when no table is configured.
    #[arg(long, env = "VAULT_DATA_DIR", default_value = "./vault-data")]
    pub data_dir: PathBuf,

    /// Largest accepted request body in bytes (see `Limits`).
    #[arg(long, env = "VAULT_BODY_LIMIT_BYTES", default_value_t = DEFAULT_BODY_LIMIT_BYTES)]
    pub body_limit_bytes: usize,

    /// Request timeout in milliseconds (see `Limits`).
    #[arg(long, env = "VAULT_REQUEST_TIMEOUT_MS", default_value_t = DEFAULT_REQUEST_TIMEOUT_MS)]
    pub request_timeout_ms: u64,

    /// Item requests executing at once (see `Limits`).
    #[arg(long, env = "VAULT_MAX_CONCURRENT_REQUESTS", default_value_t = DEFAULT_MAX_CONCURRENT_REQUESTS)]
    pub max_concurrent_requests: usize,

    /// Seconds in-flight requests get to finish after SIGTERM or Ctrl-C.
    #[arg(long, env = "VAULT_SHUTDOWN_GRACE_SECS", default_value_t = DEFAULT_SHUTDOWN_GRACE_SECS)]
    pub shutdown_grace_secs: u64,
}

impl ServeArgs {
    pub fn into_config(self) -> ServerConfig {
        let storage = match self.table.filter(|t| !t.trim().is_empty()) {
            Some(table) => StorageConfig::Dynamo { table },
            None => StorageConfig::Embedded {
                data_dir: self.data_dir,
            },
        };
        ServerConfig {
            host: self.host,
            port: self.port,
            application_version: self.application_version,
            storage,
            limits: Limits {
                body_limit_bytes: self.body_limit_bytes,
                request_timeout: Duration::from_millis(self.request_timeout_ms),
                max_concurrent_requests: self.max_concurrent_requests.max(1),
            },
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
        }
    }
}
