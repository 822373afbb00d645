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
pub mod rejections;
pub mod representation;
pub mod routes;
pub mod server;
pub mod shutdown;
pub mod store;
pub mod table;
pub mod telemetry;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub use config::Limits;
use error::ApiError;
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
    body_budget: Arc<Semaphore>,
    body_budget_bytes: usize,
}

impl AppState {
    /// State for an app serving `store`, reporting `application_version` from
    /// `GET /vault`.
    pub fn new(store: Arc<dyn Store>, application_version: impl Into<String>, limits: Limits) -> Self {
        let body_budget_bytes = limits.body_budget_bytes().min(Semaphore::MAX_PERMITS);
        Self {
            inner: Arc::new(StateInner {
                in_flight: Arc::new(Semaphore::new(limits.max_concurrent_requests.max(1))),
                body_budget: Arc::new(Semaphore::new(body_budget_bytes)),
                body_budget_bytes,
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

    /// Waits for one of the `max_concurrent_requests` permits to talk to
    /// storage. Taken only once a request is ready to do so (its body, if
    /// any, already read), so slow clients never hold one.
    pub async fn storage_permit(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        Arc::clone(&self.inner.in_flight)
            .acquire_owned()
            .await
            .map_err(|_| ApiError::Internal)
    }

    /// Reserves `bytes` (capped at the body limit) of the body budget for a
    /// body about to be read, waiting while other bodies use it up.
    pub async fn reserve_body_bytes(&self, bytes: usize) -> Result<OwnedSemaphorePermit, ApiError> {
        let bytes = bytes
            .min(self.inner.limits.body_limit_bytes)
            .min(self.inner.body_budget_bytes)
            .min(u32::MAX as usize) as u32;
        Arc::clone(&self.inner.body_budget)
            .acquire_many_owned(bytes)
            .await
            .map_err(|_| ApiError::Internal)
    }
}
