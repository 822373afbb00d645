//! The HTTP routes, all under `/vault` because the load balancer only
//! forwards `/vault*` to this service.

mod health;
mod items;

use axum::extract::DefaultBodyLimit;
use axum::http::header::ALLOW;
use axum::http::StatusCode;
use axum::middleware::{from_fn, from_fn_with_state, map_response};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::error::ApiError;
use crate::middleware::{access_log, limit_concurrency, request_timeout};
use crate::AppState;

/// Path of the load balancer's health check.
pub const HEALTH_PATH: &str = "/vault";
/// Path of the readiness probe.
pub const READY_PATH: &str = "/vault/ready";
/// Path of the OpenAPI document.
pub const OPENAPI_PATH: &str = "/vault/openapi.json";
/// Collection of items.
pub const ITEMS_PATH: &str = "/vault/items";

/// The whole HTTP application: routes, error mapping and middleware.
///
/// Middleware, outermost first: access log with request id, request timeout,
/// then (item routes only) the concurrency limit and the body-size limit. The
/// health check skips the concurrency limit so an overloaded task still
/// answers the load balancer instead of being killed mid-burst.
pub fn app(state: AppState) -> Router {
    let items = Router::new()
        .route(ITEMS_PATH, get(items::list).post(items::create))
        .route(
            "/vault/items/{id}",
            get(items::read).put(items::replace).delete(items::delete),
        )
        .route_layer(from_fn_with_state(state.clone(), limit_concurrency))
        .layer(DefaultBodyLimit::max(state.limits().body_limit_bytes));

    Router::new()
        .route(HEALTH_PATH, get(health::health))
        .route(READY_PATH, get(health::ready))
        .route(OPENAPI_PATH, get(health::openapi))
        .merge(items)
        .fallback(not_found)
        .layer(map_response(json_method_not_allowed))
        .layer(from_fn_with_state(state.clone(), request_timeout))
        .layer(from_fn(access_log))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// axum answers a known path with an unsupported method by an empty 405 with
/// an `Allow` header; give it the JSON error body and keep the header.
async fn json_method_not_allowed(response: Response) -> Response {
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
