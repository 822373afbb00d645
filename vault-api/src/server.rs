//! Running the service: open the store, bind, serve, drain on shutdown.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::config::{ServerConfig, StorageConfig};
use crate::store::dynamo::{client_from_environment, DynamoStore};
use crate::store::embedded::EmbeddedStore;
use crate::store::Store;
use crate::AppState;

/// Why the server could not start or stop cleanly.
#[derive(Debug)]
pub enum ServerError {
    Store(String),
    Bind(std::io::Error),
    Serve(std::io::Error),
    Signals(std::io::Error),
}

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServerError::Store(e) => write!(f, "opening storage: {e}"),
            ServerError::Bind(e) => write!(f, "binding the listener: {e}"),
            ServerError::Serve(e) => write!(f, "serving: {e}"),
            ServerError::Signals(e) => write!(f, "installing the SIGTERM/SIGINT handlers: {e}"),
        }
    }
}

impl std::error::Error for ServerError {}

/// Opens the configured store. Opening the embedded store reads (and after a
/// crash, repairs) its file, so it runs on the blocking pool and never holds
/// up the async workers.
pub async fn open_store(storage: &StorageConfig) -> Result<Arc<dyn Store>, ServerError> {
    Ok(match storage {
        StorageConfig::Embedded { data_dir, cache_bytes } => {
            let (dir, cache_bytes) = (data_dir.clone(), *cache_bytes);
            let store = tokio::task::spawn_blocking(move || EmbeddedStore::open_with_cache(&dir, cache_bytes))
                .await
                .map_err(|e| ServerError::Store(format!("the opening task failed: {e}")))?
                .map_err(|e| ServerError::Store(e.to_string()))?;
            tracing::info!(path = %store.path().display(), cache_bytes, "using the embedded store");
            Arc::new(store)
        }
        StorageConfig::Dynamo { table, attempt_timeout } => {
            tracing::info!(table = %table, attempt_timeout_ms = attempt_timeout.as_millis() as u64, "using DynamoDB");
            Arc::new(DynamoStore::new(client_from_environment(*attempt_timeout).await, table))
        }
    })
}

/// Serves until SIGTERM or Ctrl-C, then stops accepting connections, lets
/// in-flight requests finish within `config.shutdown_grace`, and returns.
pub async fn run(config: ServerConfig) -> Result<(), ServerError> {
    let signals = crate::shutdown::Signals::install().map_err(ServerError::Signals)?;
    let store = open_store(&config.storage).await?;
    let listener = TcpListener::bind(SocketAddr::new(config.host, config.port))
        .await
        .map_err(ServerError::Bind)?;
    let addr = listener.local_addr().map_err(ServerError::Bind)?;
    let state = AppState::new(store, config.application_version.clone(), config.limits.clone());
    tracing::info!(
        addr = %addr,
        version = %config.application_version,
        "listening"
    );
    serve(listener, state, signals.recv(), config.shutdown_grace).await
}

/// Serves `state` on `listener` until `stop` resolves, then drains for at
/// most `grace`. Split from [`run`] so tests can drive shutdown directly.
pub async fn serve<F>(
    listener: TcpListener,
    state: AppState,
    stop: F,
    grace: std::time::Duration,
) -> Result<(), ServerError>
where
    F: std::future::Future + Send + 'static,
    F::Output: std::fmt::Debug,
{
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    let draining_state = state.clone();
    let graceful = async move {
        let reason = stop.await;
        tracing::info!(signal = ?reason, "shutting down: no new connections, draining in-flight requests");
        draining_state.start_draining();
        let _ = stopping_tx.send(());
    };
    let app = crate::app(state);
    let listener = crate::rejections::ShapedListener::new(listener);
    let service = axum::ServiceExt::<axum::extract::Request>::into_make_service(app);
    let mut server = tokio::spawn(async move { axum::serve(listener, service).with_graceful_shutdown(graceful).await });

    tokio::select! {
        finished = &mut server => {
            return finished
                .map_err(|e| ServerError::Serve(std::io::Error::other(e)))?
                .map_err(ServerError::Serve);
        }
        _ = stopping_rx => {}
    }
    match tokio::time::timeout(grace, &mut server).await {
        Ok(finished) => {
            finished
                .map_err(|e| ServerError::Serve(std::io::Error::other(e)))?
                .map_err(ServerError::Serve)?;
            tracing::info!("drained; exiting");
        }
        Err(_) => {
            server.abort();
            tracing::warn!(
                grace_secs = grace.as_secs(),
                "in-flight requests did not finish in time; exiting anyway"
            );
        }
    }
    Ok(())
}
