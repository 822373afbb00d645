//! Test support shared by the integration tests: an in-process harness that
//! checks every response against the OpenAPI document, store set-up for both
//! stores, a DynamoDB emulator, and helpers for driving the real binary.
#![allow(dead_code)]

pub mod contract;
pub mod moto;
pub mod mounts;
pub mod openapi;
pub mod process;
pub mod proxy;

use std::any::Any;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;
use vault_api::store::dynamo::{create_table, DynamoStore};
use vault_api::store::embedded::EmbeddedStore;
use vault_api::store::Store;
use vault_api::{AppState, Limits};

/// A response, read in full.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "response body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn etag(&self) -> String {
        self.header("etag").expect("ETag header").to_owned()
    }

    /// The error code of an error response.
    pub fn error_code(&self) -> String {
        self.json()["error"]["code"].as_str().expect("error.code").to_owned()
    }
}

/// The application in-process, with its store and whatever must live as
/// long as it (temp dir, emulator). Clones share all of it, so spawned tasks
/// can each hold one.
#[derive(Clone)]
pub struct Harness {
    pub app: vault_api::routes::App,
    pub state: AppState,
    openapi: Arc<openapi::OpenApi>,
    _guard: Arc<dyn Any + Send + Sync>,
}

impl Harness {
    pub fn new(store: Arc<dyn Store>, limits: Limits, guard: Box<dyn Any + Send + Sync>) -> Self {
        // Server logs (internal error details included) show up in the
        // output of a failing test.
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter("warn,vault_api=info")
            .try_init();
        let state = AppState::new(store, "test-version", limits);
        Self {
            app: vault_api::app(state.clone()),
            state,
            openapi: Arc::new(openapi::OpenApi::new(vault_api::openapi::document())),
            _guard: Arc::from(guard),
        }
    }

    /// Sends a request and asserts that the response conforms to the
    /// OpenAPI document.
    pub async fn send(&self, request: Request<Body>) -> Resp {
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let response = self.app.clone().oneshot(request).await.expect("router is infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("reading response body");
        if method != Method::HEAD {
            if let Err(e) = self.openapi.check(&method, &path, status.as_u16(), &headers, &body) {
                panic!(
                    "response does not conform to the OpenAPI document: {e}\nbody: {}",
                    String::from_utf8_lossy(&body)
                );
            }
        }
        Resp { status, headers, body }
    }

    pub async fn request(&self, method: Method, uri: &str, headers: &[(&str, &str)], body: Option<Vec<u8>>) -> Resp {
        let mut builder = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let body = body.map(Body::from).unwrap_or_else(Body::empty);
        self.send(builder.body(body).expect("valid request")).await
    }

    pub async fn get(&self, uri: &str) -> Resp {
        self.request(Method::GET, uri, &[], None).await
    }

    /// Sends `document` as JSON with extra headers.
    pub async fn send_json(&self, method: Method, uri: &str, headers: &[(&str, &str)], document: &Value) -> Resp {
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        self.request(method, uri, &all, Some(document.to_string().into_bytes()))
            .await
    }

    pub async fn put(&self, uri: &str, headers: &[(&str, &str)], document: &Value) -> Resp {
        self.send_json(Method::PUT, uri, headers, document).await
    }

    pub async fn post(&self, uri: &str, document: &Value) -> Resp {
        self.send_json(Method::POST, uri, &[], document).await
    }

    pub async fn delete(&self, uri: &str, headers: &[(&str, &str)]) -> Resp {
        self.request(Method::DELETE, uri, headers, None).await
    }
}

/// A harness on a fresh embedded store in a temporary directory.
pub async fn embedded() -> Option<Harness> {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = EmbeddedStore::open(dir.path()).expect("open embedded store");
    Some(Harness::new(Arc::new(store), Limits::default(), Box::new(dir)))
}

/// A unique table name per test.
pub fn unique_table() -> String {
    format!("vault-test-{}", uuid::Uuid::new_v4().simple())
}

/// A harness on a fresh table in a fresh moto emulator, or `None` when the
/// emulator is unavailable outside CI.
pub async fn dynamo() -> Option<Harness> {
    let moto = tokio::task::spawn_blocking(moto::MotoServer::start)
        .await
        .expect("starting moto")?;
    let client = moto.client();
    let table = unique_table();
    create_table(&client, &table).await.expect("create table");
    Some(Harness::new(
        Arc::new(DynamoStore::new(client, table)),
        Limits::default(),
        Box::new(moto),
    ))
}

/// Declares one `#[tokio::test]` per contract case, each on a fresh harness
/// from `$factory` (skipped when it returns `None`).
#[macro_export]
macro_rules! contract_tests {
    ($factory:path) => {
        $crate::contract_tests!(@cases $factory;
            health_check_reports_service_version_and_ok,
            readiness_is_200_when_storage_is_reachable,
            openapi_document_is_served_and_well_formed,
            post_creates_an_item_with_generated_id_location_and_etag,
            put_creates_then_replaces_and_keeps_created_at,
            get_returns_the_item_with_its_etag_and_missing_items_are_404,
            get_with_matching_if_none_match_is_304,
            put_with_current_if_match_replaces_and_stale_if_match_is_412,
            put_with_if_none_match_star_only_creates,
            put_with_if_match_star_only_replaces,
            put_with_unparseable_or_weak_if_match_is_412,
            delete_removes_the_item_and_missing_items_are_404,
            delete_honours_if_match,
            recreated_item_does_not_match_the_deleted_items_etag,
            documents_are_stored_verbatim,
            documents_near_the_body_limit_are_stored,
            listing_visits_every_item_exactly_once,
            listing_uses_default_limit_of_50,
            listing_cursor_survives_deletion_of_its_item,
            listing_pages_are_bounded_in_bytes,
            listing_an_empty_vault_returns_an_empty_last_page,
            listing_rejects_bad_limits_and_foreign_cursors,
            malformed_json_is_400,
            non_object_documents_are_400,
            invalid_ids_are_400,
            ids_made_only_of_dots_are_400,
            documents_nested_deeper_than_the_limit_are_400,
            bodies_over_the_limit_are_413,
            non_json_content_types_are_415,
            unknown_paths_are_404_and_wrong_methods_are_405,
            request_ids_are_honoured_or_generated,
            concurrent_puts_with_the_same_if_match_have_exactly_one_winner,
            concurrent_read_modify_write_loses_no_update,
            reads_after_an_answered_write_never_see_an_older_version,
        );
    };
    (@cases $factory:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let Some(harness) = $factory().await else { return };
                support::contract::$name(&harness).await;
            }
        )*
    };
}
