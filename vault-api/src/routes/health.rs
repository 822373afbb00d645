//! Health, readiness and the OpenAPI document.

use std::sync::LazyLock;
use std::time::Duration;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::error::ApiError;
use crate::representation::{Health, HealthStatus, Readiness, ReadyStatus};
use crate::AppState;

/// How long a readiness probe waits for storage before answering 503: well
/// under the load balancer's and ECS's probe timeouts.
const READY_PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /vault`: the load balancer's health check. Touches no storage, so a
/// slow or failing database never gets healthy tasks killed. It answers 503
/// only for a fault local to this process that a replacement task would not
/// have ([`crate::store::Store::local_fault`]: the embedded store's file
/// failed and is not reopened yet), so traffic moves to healthy tasks.
pub async fn health(State(state): State<AppState>) -> Result<Response, ApiError> {
    if state.store().local_fault() {
        return Err(ApiError::StorageUnavailable);
    }
    Ok(Json(Health {
        service: "vault-api",
        version: state.application_version(),
        status: HealthStatus::Ok,
    })
    .into_response())
}

/// `GET /vault/ready`: 200 when storage answers, 503 when it does not or the
/// instance is draining.
pub async fn ready(State(state): State<AppState>) -> Result<Json<Readiness>, ApiError> {
    if state.is_draining() {
        return Err(ApiError::ShuttingDown);
    }
    if state.store().local_fault() {
        return Err(ApiError::StorageUnavailable);
    }
    match tokio::time::timeout(READY_PROBE_TIMEOUT, state.store().ping()).await {
        Ok(Ok(())) => Ok(Json(Readiness {
            status: ReadyStatus::Ready,
            storage: state.store().kind(),
        })),
        Ok(Err(e)) => Err(e.into()),
        Err(_) => {
            tracing::error!(
                request_id = %crate::middleware::current_request_id(),
                "readiness probe: storage did not answer in time"
            );
            Err(ApiError::StorageUnavailable)
        }
    }
}

static OPENAPI_JSON: LazyLock<String> =
    LazyLock::new(|| serde_json::to_string(&crate::openapi::document()).unwrap_or_default());

/// `GET /vault/openapi.json`.
pub async fn openapi() -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], OPENAPI_JSON.as_str())
}
