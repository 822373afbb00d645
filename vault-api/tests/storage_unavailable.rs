//! When DynamoDB cannot be reached: health stays 200, readiness and item
//! routes answer 503 with a generic message and no internal detail.

mod support;

use std::net::{Ipv4Addr, TcpListener};
use std::sync::Arc;

use axum::http::{Method, StatusCode};
use serde_json::json;
use support::Harness;
use vault_api::store::dynamo::DynamoStore;
use vault_api::Limits;

/// A harness whose DynamoDB endpoint refuses connections.
fn unreachable_dynamo() -> Harness {
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .unwrap()
        .port(); // Closed again when the listener drops.
    let client = support::moto::client_for(
        &format!("http://127.0.0.1:{port}"),
        aws_sdk_dynamodb::config::retry::RetryConfig::disabled(),
    );
    Harness::new(
        Arc::new(DynamoStore::new(client, "vault-unreachable")),
        Limits::default(),
        Box::new(()),
    )
}

#[tokio::test]
async fn health_check_does_not_touch_storage() {
    let h = unreachable_dynamo();
    let r = h.get("/vault").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["status"], "ok");
}

#[tokio::test]
async fn storage_failures_are_503_without_internal_detail() {
    let h = unreachable_dynamo();
    let responses = [
        h.get("/vault/ready").await,
        h.get("/vault/items/some-id").await,
        h.get("/vault/items").await,
        h.put("/vault/items/some-id", &[], &json!({"a": 1})).await,
        h.post("/vault/items", &json!({"a": 1})).await,
        h.request(Method::DELETE, "/vault/items/some-id", &[], None).await,
    ];
    for r in responses {
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.header("retry-after"), Some("1"));
        assert_eq!(
            r.json(),
            json!({"error": {"code": "storage_unavailable", "message": "storage is unavailable, retry later"}})
        );
    }
}
