//! Cross-cutting request handling: request ids and access logs, the request
//! timeout and the concurrency limit.

use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use crate::error::ApiError;
use crate::AppState;

/// The request id header, honoured when the client (or the load balancer)
/// sends one and echoed on every response.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest client-supplied request id we keep; longer ones are replaced so
/// a client cannot bloat our logs.
const MAX_REQUEST_ID_LEN: usize = 128;

fn client_request_id(request: &Request) -> Option<HeaderValue> {
    let value = request.headers().get(&REQUEST_ID)?;
    let bytes = value.as_bytes();
    let ok = (1..=MAX_REQUEST_ID_LEN).contains(&bytes.len()) && bytes.iter().all(|b| (0x21..=0x7e).contains(b));
    ok.then(|| value.clone())
}

/// Assigns the request id, runs the request inside a span carrying it, and
/// writes one log line per request: method, path, status, latency, id.
pub async fn access_log(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = client_request_id(&request).unwrap_or_else(|| {
        HeaderValue::try_from(uuid::Uuid::new_v4().to_string()).unwrap_or(HeaderValue::from_static("-"))
    });
    let id_text = request_id.to_str().unwrap_or("-").to_owned();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let span = tracing::info_span!("request", request_id = %id_text);

    let mut response = next.run(request).instrument(span).await;
    response.headers_mut().insert(REQUEST_ID.clone(), request_id);

    let status = response.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(
        method = %method,
        path = %path,
        status,
        latency_ms,
        request_id = %id_text,
        "request"
    );
    response
}

/// Answers 503 `timeout` when a request takes longer than the configured
/// timeout (waiting for a concurrency permit included).
pub async fn request_timeout(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let timeout = state.limits().request_timeout;
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(timeout_ms = timeout.as_millis() as u64, "request timed out");
            ApiError::Timeout.into_response()
        }
    }
}

/// Lets at most `max_concurrent_requests` storage requests run at once; the
/// rest wait (bounded by the request timeout). Reading a body happens after
/// the permit is granted, so memory stays bounded by permits × body limit.
pub async fn limit_concurrency(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Ok(_permit) = state.in_flight().clone().acquire_owned().await else {
        return ApiError::Internal.into_response();
    };
    next.run(request).await
}
