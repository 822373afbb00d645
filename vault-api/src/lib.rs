//! `vault-api`: a JSON item vault over HTTP, the sample service the stack
//! deploys on Fargate behind the load balancer's `/vault*` rule.
//!
//! [`app`] builds the whole HTTP application from an [`AppState`], so tests
//! drive it in-process; [`server::run`] serves it with graceful shutdown.

pub mod config;
pub mod error;
pub mod extract;
pub mod item;
pub mod middleware;
pub mod openapi;
pub mod representation;
pub mod routes;
pub mod server;
pub mod shutdown;
pub mod store;
pub mod table;
pub mod telemetry;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::Semaphore;

pub use config::Limits;
pub use routes::app;
use store::Store;

/// Shared state of the application: the store, the limits and whether the
/// process is draining for shutdown. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<StateInner>,
}

struct StateInner {
    store: Arc<dyn Store>,
    application_version: String,
    limits: Limits,
    draining: AtomicBool,
    in_flight: Arc<Semaphore>,
}

impl AppState {
    /// State for an app serving `store`, reporting `application_version` from
    /// `GET /vault`.
    pub fn new(store: Arc<dyn Store>, application_version: impl Into<String>, limits: Limits) -> Self {
        Self {
            inner: Arc::new(StateInner {
                in_flight: Arc::new(Semaphore::new(limits.max_concurrent_requests.max(1))),
                store,
                application_version: application_version.into(),
                limits,
                draining: AtomicBool::new(false),
            }),
        }
    }

    pub fn store(&self) -> &dyn Store {
        self.inner.store.as_ref()
    }

    pub fn application_version(&self) -> &str {
        &self.inner.application_version
    }

    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// Marks the instance as draining: `GET /vault/ready` answers 503 from
    /// now on, while in-flight and already-routed requests still complete.
    pub fn start_draining(&self) {
        self.inner.draining.store(true, Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.inner.draining.load(Ordering::SeqCst)
    }

    /// Permits for concurrently executing storage requests.
    pub(crate) fn in_flight(&self) -> &Arc<Semaphore> {
        &self.inner.in_flight
    }
}
