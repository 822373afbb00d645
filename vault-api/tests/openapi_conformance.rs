//! The response checker used by every in-process test really rejects
//! responses that break the OpenAPI document (so passing means something).

mod support;

use axum::http::{HeaderMap, HeaderValue, Method};
use serde_json::json;
use support::openapi::OpenApi;

fn checker() -> OpenApi {
    OpenApi::new(vault_api::openapi::document())
}

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (k, v) in pairs {
        map.insert(*k, HeaderValue::from_str(v).unwrap());
    }
    map
}

fn item() -> serde_json::Value {
    json!({
        "id": "abc",
        "version": 1,
        "created_at": "2026-01-02T03:04:05.678Z",
        "updated_at": "2026-01-02T03:04:05.678Z",
        "data": {"k": "v"},
    })
}

fn item_headers() -> HeaderMap {
    headers(&[
        ("content-type", "application/json"),
        ("etag", "\"1-00112233445566ff\""),
        ("x-request-id", "r1"),
    ])
}

#[test]
fn a_conforming_item_response_passes() {
    let body = item().to_string();
    checker()
        .check(&Method::GET, "/vault/items/abc", 200, &item_headers(), body.as_bytes())
        .unwrap();
}

#[test]
fn missing_fields_wrong_types_and_bad_timestamps_are_caught() {
    let c = checker();
    let mut missing = item();
    missing.as_object_mut().unwrap().remove("version");
    let mut wrong_type = item();
    wrong_type["data"] = json!([1, 2]);
    let mut bad_time = item();
    bad_time["created_at"] = json!("yesterday");
    let mut bad_id = item();
    bad_id["id"] = json!("a/b");
    for body in [missing, wrong_type, bad_time, bad_id] {
        let result = c.check(
            &Method::GET,
            "/vault/items/abc",
            200,
            &item_headers(),
            body.to_string().as_bytes(),
        );
        assert!(result.is_err(), "accepted {body}");
    }
}

#[test]
fn undeclared_statuses_and_missing_headers_are_caught() {
    let c = checker();
    let body = item().to_string();
    // 201 from GET is not declared (and no `default` would accept an item).
    assert!(c
        .check(&Method::GET, "/vault/items/abc", 201, &item_headers(), body.as_bytes())
        .is_err());
    // ETag is required on a read.
    let no_etag = headers(&[("content-type", "application/json"), ("x-request-id", "r1")]);
    assert!(c
        .check(&Method::GET, "/vault/items/abc", 200, &no_etag, body.as_bytes())
        .is_err());
    // Errors must have the error shape.
    let error_headers = headers(&[("content-type", "application/json"), ("x-request-id", "r1")]);
    assert!(c
        .check(
            &Method::GET,
            "/vault/items/abc",
            404,
            &error_headers,
            b"{\"error\":\"nope\"}"
        )
        .is_err());
    assert!(c
        .check(
            &Method::GET,
            "/vault/items/abc",
            404,
            &error_headers,
            b"{\"error\":{\"code\":\"not_found\",\"message\":\"not found\"}}"
        )
        .is_ok());
    // An unknown error code is not in the schema's enum.
    assert!(c
        .check(
            &Method::GET,
            "/vault/items/abc",
            404,
            &error_headers,
            b"{\"error\":{\"code\":\"oops\",\"message\":\"x\"}}"
        )
        .is_err());
}
