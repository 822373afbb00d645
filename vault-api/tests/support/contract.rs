//! The API contract, run against every store: each function is one case,
//! turned into a test per store by `contract_tests!`.

use std::collections::HashSet;

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use super::Harness;

/// Builds a JSON object whose serialized size is close to `bytes`.
fn document_of_size(bytes: usize) -> Value {
    let overhead = r#"{"blob":""}"#.len();
    json!({ "blob": "x".repeat(bytes.saturating_sub(overhead)) })
}

async fn create(h: &Harness, id: &str, data: &Value) -> String {
    let r = h.put(&format!("/vault/items/{id}"), &[], data).await;
    assert_eq!(r.status, StatusCode::CREATED, "creating {id}: {:?}", r.body);
    r.etag()
}

/// Follows `next_cursor` from the first page; returns the pages' ids.
async fn all_pages(h: &Harness, limit: usize) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let uri = match &cursor {
            Some(c) => format!("/vault/items?limit={limit}&cursor={c}"),
            None => format!("/vault/items?limit={limit}"),
        };
        let r = h.get(&uri).await;
        assert_eq!(r.status, StatusCode::OK);
        let page = r.json();
        let ids: Vec<String> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect();
        pages.push(ids);
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return pages,
        }
        assert!(pages.len() < 1000, "pagination does not terminate");
    }
}

pub async fn health_check_reports_service_version_and_ok(h: &Harness) {
    let r = h.get("/vault").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json(),
        json!({"service": "vault-api", "version": "test-version", "status": "ok"})
    );
}

pub async fn readiness_is_200_when_storage_is_reachable(h: &Harness) {
    let r = h.get("/vault/ready").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["status"], "ready");
    h.state.start_draining();
    let r = h.get("/vault/ready").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.error_code(), "shutting_down");
}

pub async fn openapi_document_is_served_and_well_formed(h: &Harness) {
    let r = h.get("/vault/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    let served = r.json();
    assert_eq!(served, vault_api::openapi::document());
    let spec = oas3::from_json(served.to_string()).expect("parses as OpenAPI 3.1");
    spec.validate_version().expect("supported OpenAPI version");
    let operations: Vec<(String, String)> = spec
        .operations()
        .map(|(path, method, op)| {
            assert!(op.operation_id.is_some(), "{method} {path} lacks an operationId");
            assert!(!op.responses(&spec).is_empty(), "{method} {path} has no responses");
            for param in &op.parameters {
                param.resolve(&spec).expect("parameter reference resolves");
            }
            (method.to_string(), path)
        })
        .collect();
    for expected in [
        ("GET", "/vault"),
        ("GET", "/vault/ready"),
        ("GET", "/vault/openapi.json"),
        ("POST", "/vault/items"),
        ("GET", "/vault/items"),
        ("GET", "/vault/items/{id}"),
        ("PUT", "/vault/items/{id}"),
        ("DELETE", "/vault/items/{id}"),
    ] {
        assert!(
            operations.iter().any(|(m, p)| m == expected.0 && p == expected.1),
            "{expected:?} is not documented"
        );
    }
    // Every schema reference points somewhere.
    fn refs(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    out.push(r.clone());
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&served, &mut all);
    for r in all {
        assert!(served.pointer(r.trim_start_matches('#')).is_some(), "dangling {r}");
    }
}

pub async fn post_creates_an_item_with_generated_id_location_and_etag(h: &Harness) {
    let r = h.post("/vault/items", &json!({"name": "first"})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let item = r.json();
    let id = item["id"].as_str().unwrap();
    assert_eq!(r.header("location"), Some(format!("/vault/items/{id}").as_str()));
    assert_eq!(item["version"], 1);
    assert_eq!(item["data"], json!({"name": "first"}));
    assert_eq!(item["created_at"], item["updated_at"]);

    let again = h.post("/vault/items", &json!({"name": "second"})).await;
    assert_ne!(again.json()["id"], item["id"], "ids must be unique");

    let read = h.get(&format!("/vault/items/{id}")).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.etag(), r.etag());
    assert_eq!(read.json(), item);
}

pub async fn put_creates_then_replaces_and_keeps_created_at(h: &Harness) {
    let first = h.put("/vault/items/doc-1", &[], &json!({"v": 1})).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(first.header("location"), Some("/vault/items/doc-1"));
    let second = h.put("/vault/items/doc-1", &[], &json!({"v": 2})).await;
    assert_eq!(second.status, StatusCode::OK);
    assert_ne!(first.etag(), second.etag());
    let (a, b) = (first.json(), second.json());
    assert_eq!(b["version"], 2);
    assert_eq!(b["data"], json!({"v": 2}));
    assert_eq!(a["created_at"], b["created_at"]);
    assert!(b["updated_at"].as_str() >= a["updated_at"].as_str());
}

pub async fn get_returns_the_item_with_its_etag_and_missing_items_are_404(h: &Harness) {
    let etag = create(h, "present", &json!({"k": "v"})).await;
    let r = h.get("/vault/items/present").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.etag(), etag);
    assert_eq!(r.json()["data"], json!({"k": "v"}));
    let missing = h.get("/vault/items/absent").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.error_code(), "not_found");
}

pub async fn get_with_matching_if_none_match_is_304(h: &Harness) {
    let etag = create(h, "cached", &json!({})).await;
    let r = h
        .request(Method::GET, "/vault/items/cached", &[("if-none-match", &etag)], None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    assert_eq!(r.etag(), etag);
    assert!(r.body.is_empty());
    let stale = "\"1-0000000000000000\"";
    let r = h
        .request(Method::GET, "/vault/items/cached", &[("if-none-match", stale)], None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

pub async fn put_with_current_if_match_replaces_and_stale_if_match_is_412(h: &Harness) {
    let v1 = create(h, "guarded", &json!({"n": 1})).await;
    let r = h
        .put("/vault/items/guarded", &[("if-match", &v1)], &json!({"n": 2}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let v2 = r.etag();
    let stale = h
        .put("/vault/items/guarded", &[("if-match", &v1)], &json!({"n": 3}))
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale.error_code(), "precondition_failed");
    let current = h.get("/vault/items/guarded").await;
    assert_eq!(current.json()["data"], json!({"n": 2}));
    assert_eq!(current.etag(), v2);
    // A list of tags matches if any tag is current.
    let list = format!("{v1}, {v2}");
    let r = h
        .put("/vault/items/guarded", &[("if-match", &list)], &json!({"n": 4}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // If-Match on an item that does not exist fails.
    let r = h.put("/vault/items/nobody", &[("if-match", &v1)], &json!({})).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(h.get("/vault/items/nobody").await.status, StatusCode::NOT_FOUND);
}

pub async fn put_with_if_none_match_star_only_creates(h: &Harness) {
    let only_create = [("if-none-match", "*")];
    let r = h.put("/vault/items/once", &only_create, &json!({"first": true})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = h.put("/vault/items/once", &only_create, &json!({"first": false})).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(h.get("/vault/items/once").await.json()["data"], json!({"first": true}));
}

pub async fn put_with_if_match_star_only_replaces(h: &Harness) {
    let r = h.put("/vault/items/star", &[("if-match", "*")], &json!({})).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    create(h, "star", &json!({"a": 1})).await;
    let r = h.put("/vault/items/star", &[("if-match", "*")], &json!({"a": 2})).await;
    assert_eq!(r.status, StatusCode::OK);
}

pub async fn put_with_unparseable_or_weak_if_match_is_412(h: &Harness) {
    let etag = create(h, "weak", &json!({})).await;
    let weak = format!("W/{etag}");
    for header in [weak.as_str(), "\"nonsense\"", "\"9-zzzzzzzzzzzzzzzz\""] {
        let r = h.put("/vault/items/weak", &[("if-match", header)], &json!({})).await;
        assert_eq!(r.status, StatusCode::PRECONDITION_FAILED, "If-Match: {header}");
    }
    let r = h.put("/vault/items/weak", &[("if-match", "")], &json!({})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error_code(), "invalid_header");
}

pub async fn delete_removes_the_item_and_missing_items_are_404(h: &Harness) {
    create(h, "doomed", &json!({})).await;
    let r = h.delete("/vault/items/doomed", &[]).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.body.is_empty());
    assert_eq!(h.get("/vault/items/doomed").await.status, StatusCode::NOT_FOUND);
    let again = h.delete("/vault/items/doomed", &[]).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(again.error_code(), "not_found");
}

pub async fn delete_honours_if_match(h: &Harness) {
    let v1 = create(h, "careful", &json!({"n": 1})).await;
    let v2 = h.put("/vault/items/careful", &[], &json!({"n": 2})).await.etag();
    let stale = h.delete("/vault/items/careful", &[("if-match", &v1)]).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(h.get("/vault/items/careful").await.status, StatusCode::OK);
    let ok = h.delete("/vault/items/careful", &[("if-match", &v2)]).await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT);
    let gone = h.delete("/vault/items/careful", &[("if-match", &v2)]).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

pub async fn recreated_item_does_not_match_the_deleted_items_etag(h: &Harness) {
    let old = create(h, "phoenix", &json!({"life": 1})).await;
    assert_eq!(
        h.delete("/vault/items/phoenix", &[]).await.status,
        StatusCode::NO_CONTENT
    );
    let new = create(h, "phoenix", &json!({"life": 2})).await;
    assert_ne!(old, new, "both incarnations are version 1, but tags differ");
    let r = h
        .put("/vault/items/phoenix", &[("if-match", &old)], &json!({"life": 3}))
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
}

pub async fn documents_are_stored_verbatim(h: &Harness) {
    // Key order, big integers and precise decimals survive a round trip.
    let text = r#"{"z":1,"a":{"nested":[1,2.50,"three",null,true]},"big":123456789012345678901234567890,"pi":3.14159265358979323846,"unicode":"h\u00e9llo ✓"}"#;
    let r = h
        .request(
            Method::PUT,
            "/vault/items/verbatim",
            &[("content-type", "application/json; charset=utf-8")],
            Some(text.as_bytes().to_vec()),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let read = h.get("/vault/items/verbatim").await;
    let body = String::from_utf8(read.body.to_vec()).unwrap();
    assert!(body.contains(&format!("\"data\":{text}")), "{body}");
}

pub async fn documents_near_the_body_limit_are_stored(h: &Harness) {
    let limit = h.state.limits().body_limit_bytes;
    let doc = document_of_size(limit - 16);
    let r = h.put("/vault/items/large", &[], &doc).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(h.get("/vault/items/large").await.json()["data"], doc);
}

pub async fn listing_visits_every_item_exactly_once(h: &Harness) {
    let mut expected = HashSet::new();
    for i in 0..23 {
        let id = format!("item-{i:02}");
        create(h, &id, &json!({ "i": i })).await;
        expected.insert(id);
    }
    let pages = all_pages(h, 5).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [5, 5, 5, 5, 3]);
    let seen: Vec<String> = pages.concat();
    let unique: HashSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "an item was repeated: {seen:?}");
    assert_eq!(unique, expected);
    // The order is stable: listing again gives the same sequence.
    assert_eq!(all_pages(h, 5).await.concat(), seen);
    // One large page holds everything and is the last.
    assert_eq!(all_pages(h, 1000).await, vec![seen]);
}

pub async fn listing_uses_default_limit_of_50(h: &Harness) {
    for i in 0..55 {
        create(h, &format!("d{i:02}"), &json!({})).await;
    }
    let r = h.get("/vault/items").await;
    let page = r.json();
    assert_eq!(page["items"].as_array().unwrap().len(), 50);
    let next = page["next_cursor"].as_str().expect("a next cursor");
    let rest = h.get(&format!("/vault/items?cursor={next}")).await.json();
    assert_eq!(rest["items"].as_array().unwrap().len(), 5);
    assert_eq!(rest["next_cursor"], Value::Null);
}

pub async fn listing_cursor_survives_deletion_of_its_item(h: &Harness) {
    for i in 0..10 {
        create(h, &format!("c{i}"), &json!({})).await;
    }
    let first = h.get("/vault/items?limit=4").await.json();
    let first_ids: Vec<&str> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    let cursor = first["next_cursor"].as_str().unwrap();
    let last = first_ids.last().unwrap();
    assert_eq!(
        h.delete(&format!("/vault/items/{last}"), &[]).await.status,
        StatusCode::NO_CONTENT
    );
    let rest = h.get(&format!("/vault/items?limit=100&cursor={cursor}")).await.json();
    let rest_ids: HashSet<&str> = rest["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(rest_ids.len(), 6, "the remaining items, none skipped: {rest_ids:?}");
    assert!(first_ids.iter().all(|id| !rest_ids.contains(id)));
}

pub async fn listing_pages_are_bounded_in_bytes(h: &Harness) {
    // 20 items of ~250 KiB: more than the 4 MiB page budget.
    let doc = document_of_size(250 * 1024);
    for i in 0..20 {
        create(h, &format!("big{i:02}"), &doc).await;
    }
    let pages = all_pages(h, 1000).await;
    assert!(pages.len() >= 2, "a 5 MB listing must be split: {}", pages.len());
    for page in &pages {
        assert!(page.len() * 250 * 1024 <= vault_api::store::PAGE_BYTE_BUDGET + 250 * 1024);
    }
    assert_eq!(pages.concat().len(), 20);
}

pub async fn listing_an_empty_vault_returns_an_empty_last_page(h: &Harness) {
    let r = h.get("/vault/items").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), json!({"items": [], "next_cursor": null}));
}

pub async fn listing_rejects_bad_limits_and_foreign_cursors(h: &Harness) {
    for query in [
        "limit=0",
        "limit=1001",
        "limit=-1",
        "limit=abc",
        "cursor=zzz",
        "cursor=c12f2f",
    ] {
        let r = h.get(&format!("/vault/items?{query}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(r.error_code(), "invalid_query", "{query}");
    }
    assert_eq!(h.get("/vault/items?limit=1000").await.status, StatusCode::OK);
    assert_eq!(h.get("/vault/items?limit=1").await.status, StatusCode::OK);
}

pub async fn malformed_json_is_400(h: &Harness) {
    for body in ["{", "{\"a\":}", "", "nul", "{\"a\":1} trailing"] {
        for (method, uri) in [(Method::PUT, "/vault/items/x"), (Method::POST, "/vault/items")] {
            let r = h
                .request(
                    method.clone(),
                    uri,
                    &[("content-type", "application/json")],
                    Some(body.as_bytes().to_vec()),
                )
                .await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{method} {body:?}");
            assert_eq!(r.error_code(), "invalid_json");
        }
    }
    assert_eq!(h.get("/vault/items/x").await.status, StatusCode::NOT_FOUND);
}

pub async fn non_object_documents_are_400(h: &Harness) {
    for doc in [json!([1, 2]), json!("text"), json!(42), json!(null)] {
        let r = h.put("/vault/items/x", &[], &doc).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{doc}");
        assert_eq!(r.error_code(), "invalid_document");
    }
}

pub async fn invalid_ids_are_400(h: &Harness) {
    let too_long = "a".repeat(129);
    let longest = "a".repeat(128);
    for id in ["a%20b", "a%2Fb", "%C3%A9", "semi;colon", "star*", too_long.as_str()] {
        let uri = format!("/vault/items/{id}");
        for r in [
            h.get(&uri).await,
            h.put(&uri, &[], &json!({})).await,
            h.delete(&uri, &[]).await,
        ] {
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{id}");
            assert_eq!(r.error_code(), "invalid_id");
        }
    }
    let r = h.put(&format!("/vault/items/{longest}"), &[], &json!({})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = h.put("/vault/items/Az09._-", &[], &json!({})).await;
    assert_eq!(r.status, StatusCode::CREATED);
}

pub async fn ids_made_only_of_dots_are_400(h: &Harness) {
    // Clients and proxies resolve `.` and `..` segments, so such an item
    // could be neither read nor deleted by its Location.
    for id in [".", "..", "...", "%2e%2e", "%2E", ".%2e", "%2e%2e%2e"] {
        let uri = format!("/vault/items/{id}");
        for r in [
            h.get(&uri).await,
            h.put(&uri, &[], &json!({})).await,
            h.put(&uri, &[("if-none-match", "*")], &json!({})).await,
            h.delete(&uri, &[]).await,
        ] {
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{id}");
            assert_eq!(r.error_code(), "invalid_id", "{id}");
        }
    }
    // Dots among other characters are fine.
    for id in [".hidden", "a.b", "v1.2.3", "..x"] {
        let r = h.put(&format!("/vault/items/{id}"), &[], &json!({})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{id}");
        assert_eq!(r.header("location"), Some(format!("/vault/items/{id}").as_str()));
    }
}

/// `{"a":{"a":…}}` with `depth` levels of objects, the outermost included.
fn nested_objects(depth: usize) -> String {
    format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth))
}

pub async fn documents_nested_deeper_than_the_limit_are_400(h: &Harness) {
    let put = |id: &'static str, body: String| async move {
        h.request(
            Method::PUT,
            &format!("/vault/items/{id}"),
            &[("content-type", "application/json")],
            Some(body.into_bytes()),
        )
        .await
    };
    let limit = vault_api::extract::MAX_DOCUMENT_DEPTH;
    let r = put("deepest", nested_objects(limit)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{limit} levels are allowed");
    let r = put("too-deep", nested_objects(limit + 1)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error_code(), "document_too_deep");
    // Arrays count too; brackets inside strings do not.
    let arrays = format!("{{\"a\":{}{}}}", "[".repeat(limit), "]".repeat(limit));
    assert_eq!(put("arrays", arrays).await.status, StatusCode::BAD_REQUEST);
    let strings = format!("{{\"a\":\"{}\"}}", "[{".repeat(10_000));
    assert_eq!(put("strings", strings).await.status, StatusCode::CREATED);
    // A very deep document (well within the size limit) is refused whole.
    let abyss = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    let r = put("abyss", abyss).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error_code(), "document_too_deep");
    for id in ["too-deep", "arrays", "abyss"] {
        assert_eq!(h.get(&format!("/vault/items/{id}")).await.status, StatusCode::NOT_FOUND);
    }
    // POST applies the same limit.
    let r = h
        .request(
            Method::POST,
            "/vault/items",
            &[("content-type", "application/json")],
            Some(nested_objects(limit + 1).into_bytes()),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

pub async fn bodies_over_the_limit_are_413(h: &Harness) {
    let limit = h.state.limits().body_limit_bytes;
    let doc = document_of_size(limit + 1024);
    for (method, uri) in [(Method::PUT, "/vault/items/huge"), (Method::POST, "/vault/items")] {
        let r = h.send_json(method, uri, &[], &doc).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(r.error_code(), "payload_too_large");
    }
    assert_eq!(h.get("/vault/items/huge").await.status, StatusCode::NOT_FOUND);
}

pub async fn non_json_content_types_are_415(h: &Harness) {
    let body = Some(b"{}".to_vec());
    for headers in [
        vec![("content-type", "text/plain")],
        vec![("content-type", "application/x-www-form-urlencoded")],
        vec![],
    ] {
        for (method, uri) in [(Method::PUT, "/vault/items/x"), (Method::POST, "/vault/items")] {
            let r = h.request(method, uri, &headers, body.clone()).await;
            assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{headers:?}");
            assert_eq!(r.error_code(), "unsupported_media_type");
        }
    }
    let r = h
        .request(
            Method::PUT,
            "/vault/items/x",
            &[("content-type", "application/merge-patch+json")],
            body,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "+json media types are JSON");
}

pub async fn unknown_paths_are_404_and_wrong_methods_are_405(h: &Harness) {
    for path in ["/", "/vaults", "/vault/nope", "/vault/items/a/b", "/other"] {
        let r = h.get(path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.error_code(), "not_found");
    }
    for (method, path) in [
        (Method::PATCH, "/vault/items/x"),
        (Method::POST, "/vault/items/x"),
        (Method::DELETE, "/vault/items"),
        (Method::POST, "/vault"),
    ] {
        let r = h.request(method.clone(), path, &[], None).await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert_eq!(r.error_code(), "method_not_allowed");
        assert!(r.header("allow").is_some_and(|a| a.contains("GET")));
    }
}

pub async fn request_ids_are_honoured_or_generated(h: &Harness) {
    let r = h
        .request(Method::GET, "/vault", &[("x-request-id", "trace-abc-123")], None)
        .await;
    assert_eq!(r.header("x-request-id"), Some("trace-abc-123"));
    let a = h.get("/vault/items/missing").await;
    let b = h.get("/vault/items/missing").await;
    let (a, b) = (a.header("x-request-id").unwrap(), b.header("x-request-id").unwrap());
    assert!(!a.is_empty() && a != b);
    let long = "x".repeat(500);
    let r = h.request(Method::GET, "/vault", &[("x-request-id", &long)], None).await;
    assert_ne!(r.header("x-request-id"), Some(long.as_str()));
}

pub async fn concurrent_puts_with_the_same_if_match_have_exactly_one_winner(h: &Harness) {
    let etag = create(h, "contended", &json!({"writer": null})).await;
    let writers = 24;
    let tasks: Vec<_> = (0..writers)
        .map(|i| {
            let etag = etag.clone();
            let h = h.clone();
            tokio::spawn(async move {
                let r = h
                    .put("/vault/items/contended", &[("if-match", &etag)], &json!({"writer": i}))
                    .await;
                (i, r.status)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        let (i, status) = task.await.unwrap();
        match status {
            StatusCode::OK => winners.push(i),
            StatusCode::PRECONDITION_FAILED => {}
            other => panic!("writer {i} got {other}"),
        }
    }
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    let item = h.get("/vault/items/contended").await.json();
    assert_eq!(item["version"], 2);
    assert_eq!(item["data"]["writer"], winners[0]);
}

/// Once a write is answered, every read sees it or a later version, even
/// while other writers to the same item finish in a different order.
pub async fn reads_after_an_answered_write_never_see_an_older_version(h: &Harness) {
    create(h, "fresh-reads", &json!({"w": null})).await;
    let tasks: Vec<_> = (0..4)
        .map(|w| {
            let h = h.clone();
            tokio::spawn(async move {
                for i in 0..10 {
                    let r = h.put("/vault/items/fresh-reads", &[], &json!({"w": w, "i": i})).await;
                    assert_eq!(r.status, StatusCode::OK);
                    let written = r.json()["version"].as_u64().unwrap();
                    let read = h.get("/vault/items/fresh-reads").await.json();
                    let seen = read["version"].as_u64().unwrap();
                    assert!(seen >= written, "wrote version {written}, then read version {seen}");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(h.get("/vault/items/fresh-reads").await.json()["version"], 41);
}

pub async fn concurrent_read_modify_write_loses_no_update(h: &Harness) {
    create(h, "counter", &json!({"n": 0})).await;
    let (workers, increments) = (6, 5);
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let h = h.clone();
            tokio::spawn(async move {
                let mut conflicts = 0;
                for _ in 0..increments {
                    loop {
                        let r = h.get("/vault/items/counter").await;
                        let n = r.json()["data"]["n"].as_i64().unwrap();
                        let w = h
                            .put("/vault/items/counter", &[("if-match", &r.etag())], &json!({"n": n + 1}))
                            .await;
                        match w.status {
                            StatusCode::OK => break,
                            StatusCode::PRECONDITION_FAILED => conflicts += 1,
                            other => panic!("unexpected {other}"),
                        }
                    }
                }
                conflicts
            })
        })
        .collect();
    let mut conflicts = 0;
    for task in tasks {
        conflicts += task.await.unwrap();
    }
    let item = h.get("/vault/items/counter").await.json();
    assert_eq!(item["data"]["n"], workers * increments, "{conflicts} conflicts retried");
    assert_eq!(item["version"], 1 + workers * increments);
}
