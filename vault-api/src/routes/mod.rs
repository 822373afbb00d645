//! The HTTP routes, all under `/vault` because the load balancer only
//! forwards `/vault*` to this service.

mod health;
mod items;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;

use crate::error::ApiError;
use crate::middleware::Edge;
use crate::AppState;

/// Path of the load balancer's health check.
pub const HEALTH_PATH: &str = "/vault";
/// Path of the readiness probe.
pub const READY_PATH: &str = "/vault/ready";
/// Path of the OpenAPI document.
pub const OPENAPI_PATH: &str = "/vault/openapi.json";
/// Collection of items.
pub const ITEMS_PATH: &str = "/vault/items";

/// The whole application as one service: the router inside the [`Edge`].
pub type App = Edge<Router>;

/// The whole HTTP application: routes, error mapping and middleware.
///
/// The [`Edge`] around the router assigns the request id, writes the access
/// log, bounds the item routes by the request timeout and gives axum's 405
/// the JSON shape. Inside, the item routes carry the body-size limit; their
/// handlers read a request body first (within the body read timeout) and
/// only then wait for one of the concurrency permits to talk to storage (see
/// [`AppState::storage_permit`]). The health check, readiness probe and
/// OpenAPI document take no permit and have no body, so an overloaded task
/// still answers the load balancer instead of being killed mid-burst.
pub fn app(state: AppState) -> App {
    let request_timeout = state.limits().request_timeout;
    let items = Router::new()
        .route(ITEMS_PATH, get(items::list).post(items::create))
        .route(
            "/vault/items/{id}",
            get(items::read).put(items::replace).delete(items::delete),
        )
        .layer(DefaultBodyLimit::max(state.limits().body_limit_bytes));

    let router = Router::new()
        .route(HEALTH_PATH, get(health::health))
        .route(READY_PATH, get(health::ready))
        .route(OPENAPI_PATH, get(health::openapi))
        .merge(items)
        .fallback(not_found)
        .with_state(state);
    Edge::new(router, request_timeout)
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}
