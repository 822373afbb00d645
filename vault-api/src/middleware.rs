//! What every request passes through before and after routing, in one
//! service wrapped once around the router ([`Edge`]): the request id, the
//! access log, the request timeout of the item routes, and the JSON shape of
//! axum's 405. (The concurrency limit is taken by the item handlers once a
//! request is ready to talk to storage: [`crate::AppState::storage_permit`].)
//!
//! One hand-written service instead of `from_fn` layers, because axum applies
//! a router layer to every route separately, and each `from_fn` layer then
//! clones and boxes the route's service on every request: on the health
//! check, that was a measurable share of the time.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::http::header::ALLOW;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use tower::Service;

use crate::error::ApiError;

/// The request id header, honoured when the client (or the load balancer)
/// sends one and echoed on every response.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest client-supplied request id we keep; longer ones are replaced so
/// a client cannot bloat our logs.
const MAX_REQUEST_ID_LEN: usize = 128;

/// Requests under this prefix talk to storage and are bounded by the
/// request timeout.
const TIMED_PREFIX: &str = "/vault/items";

tokio::task_local! {
    /// The id of the request the current task serves.
    static CURRENT_REQUEST_ID: HeaderValue;
}

/// The id of the request being served, for log lines written while serving
/// it (`"-"` outside a request).
pub fn current_request_id() -> String {
    CURRENT_REQUEST_ID
        .try_with(|id| id.to_str().unwrap_or("-").to_owned())
        .unwrap_or_else(|_| "-".to_owned())
}

/// A fresh request id, `<16 hex digits>-<hex counter>`: a random prefix
/// chosen once per process and a per-process counter. Unique within a
/// process and, with overwhelming probability, across processes, and much
/// cheaper than a random UUID (a `getrandom` call) per request. Each thread
/// takes counter values in blocks of 1024, so the threads do not contend
/// for the counter on every request (ids are unique, not in time order).
pub fn new_request_id() -> HeaderValue {
    const BLOCK: u64 = 1024;
    static PREFIX: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    thread_local! {
        /// The next counter value of this thread's block, and its end.
        static BLOCK_LEFT: std::cell::Cell<(u64, u64)> = const { std::cell::Cell::new((0, 0)) };
    }
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let prefix = *PREFIX.get_or_init(|| uuid::Uuid::new_v4().as_u64_pair().0);
    let n = BLOCK_LEFT.with(|block| {
        let (mut next, mut end) = block.get();
        if next == end {
            next = COUNTER.fetch_add(BLOCK, Ordering::Relaxed);
            end = next + BLOCK;
        }
        block.set((next + 1, end));
        next
    });
    let mut id = [0u8; 33];
    let mut len = 0;
    let counter_digits = (64 - n.leading_zeros() as usize).div_ceil(4).max(1);
    let digits = (0..16)
        .rev()
        .map(|i| (prefix, i))
        .chain((0..counter_digits).rev().map(|i| (n, i)));
    for (k, (value, i)) in digits.enumerate() {
        if k == 16 {
            id[len] = b'-';
            len += 1;
        }
        id[len] = DIGITS[((value >> (4 * i)) & 0xf) as usize];
        len += 1;
    }
    HeaderValue::from_bytes(&id[..len]).unwrap_or(HeaderValue::from_static("-"))
}

fn client_request_id(request: &Request) -> Option<HeaderValue> {
    let value = request.headers().get(&REQUEST_ID)?;
    let bytes = value.as_bytes();
    let ok = (1..=MAX_REQUEST_ID_LEN).contains(&bytes.len()) && bytes.iter().all(|b| (0x21..=0x7e).contains(b));
    ok.then(|| value.clone())
}

/// The service wrapped around the router (see the module documentation).
#[derive(Clone)]
pub struct Edge<S> {
    inner: S,
    request_timeout: Duration,
}

impl<S> Edge<S> {
    pub fn new(inner: S, request_timeout: Duration) -> Self {
        Self { inner, request_timeout }
    }
}

impl<S> Service<Request> for Edge<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let started = Instant::now();
        let request_id = client_request_id(&request).unwrap_or_else(new_request_id);
        let method = request.method().clone();
        let uri = request.uri().clone();
        let timeout = uri.path().starts_with(TIMED_PREFIX).then_some(self.request_timeout);
        // The clone that was polled ready serves this request (tower's rule).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let serve = async move {
            let response = match timeout {
                None => inner.call(request).await,
                Some(timeout) => match tokio::time::timeout(timeout, inner.call(request)).await {
                    Ok(response) => response,
                    Err(_) => {
                        tracing::warn!(
                            timeout_ms = timeout.as_millis() as u64,
                            request_id = %current_request_id(),
                            "request timed out"
                        );
                        Ok(ApiError::Timeout.into_response())
                    }
                },
            };
            response.unwrap_or_else(|never| match never {})
        };
        Box::pin(async move {
            let mut scoped = std::pin::pin!(CURRENT_REQUEST_ID.scope(request_id, serve));
            let mut response = json_method_not_allowed(scoped.as_mut().await);
            // The scope hands the id back once the request is served.
            let request_id = scoped.as_mut().take_value().unwrap_or_else(new_request_id);
            access_log(&method, uri.path(), response.status(), started.elapsed(), &request_id);
            response.headers_mut().insert(REQUEST_ID.clone(), request_id);
            Ok(response)
        })
    }
}

/// axum answers a known path with an unsupported method by an empty 405 with
/// an `Allow` header; give it the JSON error body and keep the header.
fn json_method_not_allowed(response: Response) -> Response {
    if response.status() != StatusCode::METHOD_NOT_ALLOWED {
        return response;
    }
    let allow = response.headers().get(ALLOW).cloned();
    let mut json = ApiError::MethodNotAllowed.into_response();
    if let Some(allow) = allow {
        json.headers_mut().insert(ALLOW, allow);
    }
    json
}

/// Writes the access log line: method, path (without the query), status,
/// latency (milliseconds, to the microsecond) and request id. With JSON logs
/// it is formatted here, into a per-thread buffer, with the fields and shape
/// tracing's JSON formatter gives every other line, and appended to the log
/// buffer directly ([`crate::telemetry::append_json_lines`]); this skips the
/// subscriber's generic machinery, which cost more than the health check
/// itself. Otherwise (text logs, or no subscriber installed, as in tests) it
/// goes through `tracing`.
fn access_log(method: &Method, path: &str, status: StatusCode, latency: Duration, request_id: &HeaderValue) {
    use crate::telemetry::push_decimal;
    thread_local! {
        static LINE: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(Vec::with_capacity(512));
    }
    let request_id = request_id.to_str().unwrap_or("-");
    if !tracing::enabled!(target: ACCESS_LOG_TARGET, tracing::Level::INFO) {
        return;
    }
    if !crate::telemetry::json_lines_enabled() {
        tracing::info!(
            target: ACCESS_LOG_TARGET,
            method = %method,
            path = %path,
            status = status.as_u16(),
            latency_ms = latency.as_secs_f64() * 1000.0,
            request_id = %request_id,
            "request"
        );
        return;
    }
    LINE.with_borrow_mut(|line| {
        line.clear();
        line.extend_from_slice(b"{\"timestamp\":\"");
        crate::telemetry::write_timestamp(line);
        line.extend_from_slice(b"\",\"level\":\"INFO\",\"message\":\"request\",\"method\":");
        json_string(line, method.as_str());
        line.extend_from_slice(b",\"path\":");
        json_string(line, path);
        line.extend_from_slice(b",\"status\":");
        push_decimal(line, u64::from(status.as_u16()), 1);
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        line.extend_from_slice(b",\"latency_ms\":");
        push_decimal(line, micros / 1000, 1);
        line.push(b'.');
        push_decimal(line, micros % 1000, 3);
        line.extend_from_slice(b",\"request_id\":");
        json_string(line, request_id);
        line.extend_from_slice(b",\"target\":\"");
        line.extend_from_slice(ACCESS_LOG_TARGET.as_bytes());
        line.extend_from_slice(b"\"}\n");
        crate::telemetry::append_json_lines(line);
    });
}

/// The target of access log lines (for `RUST_LOG`, e.g.
/// `vault_api::middleware=warn` turns them off).
const ACCESS_LOG_TARGET: &str = "vault_api::middleware";

fn json_string(out: &mut Vec<u8>, text: &str) {
    // Serializing a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_request_ids_are_a_process_prefix_and_a_counter() {
        let ids: Vec<String> = (0..300)
            .map(|_| new_request_id().to_str().unwrap().to_owned())
            .collect();
        let prefix = &ids[0][..16];
        for id in &ids {
            let (p, counter) = id.split_once('-').unwrap();
            assert_eq!(p, prefix);
            assert!(p.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
            assert!(
                !counter.is_empty() && counter.bytes().all(|b| b.is_ascii_hexdigit()),
                "{id}"
            );
            assert!(counter == "0" || !counter.starts_with('0'), "{id}");
        }
        let unique: std::collections::HashSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len());
    }
}
