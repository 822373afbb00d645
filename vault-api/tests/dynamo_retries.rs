//! Writes whose first DynamoDB attempt was applied but whose response came
//! back too late, so the SDK retried: the answer must still be true.
//!
//! A proxy in front of moto holds back exactly one response for longer than
//! the client's per-attempt timeout. moto has applied that attempt; the SDK
//! gives up on it and sends the same request again, which finds the item
//! already written by the first attempt.

mod support;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use serde_json::json;
use support::moto::MotoServer;
use support::proxy::DelayingProxy;
use support::Harness;
use vault_api::store::dynamo::{create_table, DynamoStore};
use vault_api::Limits;

/// Per-attempt timeout of the client under test: short, so the test is quick,
/// yet long enough that a loaded CI machine's moto answers in time.
const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(1000);

/// How long the proxy holds back the armed response: well past the attempt
/// timeout, so the first attempt always times out.
const HOLD: Duration = Duration::from_millis(3000);

struct Setup {
    /// The service, talking to moto through the proxy.
    harness: Harness,
    /// Another instance of the service on the same table, talking to moto
    /// directly.
    direct: Harness,
    proxy: Arc<DelayingProxy>,
}

async fn setup() -> Option<Setup> {
    let moto = tokio::task::spawn_blocking(MotoServer::start).await.unwrap()?;
    let table = support::unique_table();
    create_table(&moto.client(), &table).await.expect("create table");
    let proxy = Arc::new(DelayingProxy::start(&moto.endpoint).await);
    let client = support::moto::client_with_attempt_timeout(&proxy.endpoint, ATTEMPT_TIMEOUT);
    let direct = Harness::new(
        Arc::new(DynamoStore::new(moto.client(), table.clone())),
        Limits::default(),
        Box::new(()),
    );
    let harness = Harness::new(
        Arc::new(DynamoStore::new(client, table)),
        Limits::default(),
        Box::new((moto, Arc::clone(&proxy))),
    );
    Some(Setup { harness, direct, proxy })
}

impl Setup {
    /// Arms the proxy, runs `request`, and checks that the response really
    /// was held back (so the retry path was exercised).
    async fn with_first_response_lost<F, T>(&self, request: F) -> T
    where
        F: std::future::Future<Output = T>,
    {
        let before = self.proxy.delayed_responses();
        self.proxy.delay_next_response(HOLD);
        let result = request.await;
        assert_eq!(
            self.proxy.delayed_responses(),
            before + 1,
            "the proxy did not hold back a response"
        );
        result
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn if_match_put_whose_first_attempt_was_applied_answers_200() {
    let Some(s) = setup().await else { return };
    let h = &s.harness;
    let created = h.put("/vault/items/retried", &[], &json!({"n": 1})).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let v1 = created.etag();

    let r = s
        .with_first_response_lost(h.put("/vault/items/retried", &[("if-match", &v1)], &json!({"n": 2})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["version"], 2);
    assert_eq!(r.json()["data"], json!({"n": 2}));

    let now = h.get("/vault/items/retried").await;
    assert_eq!(now.json()["version"], 2, "applied exactly once");
    assert_eq!(now.etag(), r.etag(), "the answer names the stored version");
    assert_eq!(now.json(), r.json());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn if_none_match_put_whose_first_attempt_was_applied_answers_201() {
    let Some(s) = setup().await else { return };
    let h = &s.harness;
    let r = s
        .with_first_response_lost(h.put(
            "/vault/items/fresh",
            &[("if-none-match", "*")],
            &json!({"only": "once"}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("location"), Some("/vault/items/fresh"));
    assert_eq!(r.json()["version"], 1);

    let now = h.get("/vault/items/fresh").await;
    assert_eq!(now.json(), r.json());
    assert_eq!(now.etag(), r.etag());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unconditional_put_of_a_new_id_whose_first_attempt_was_applied_answers_201_version_1() {
    let Some(s) = setup().await else { return };
    let h = &s.harness;
    let r = s
        .with_first_response_lost(h.put("/vault/items/new-one", &[], &json!({"a": 1})))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["version"], 1);

    let now = h.get("/vault/items/new-one").await;
    assert_eq!(now.json()["version"], 1, "the retry must not write a second time");
    assert_eq!(now.json(), r.json());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unconditional_put_of_an_existing_id_is_applied_once() {
    let Some(s) = setup().await else { return };
    let h = &s.harness;
    assert_eq!(
        h.put("/vault/items/old-one", &[], &json!({"a": 1})).await.status,
        StatusCode::CREATED
    );
    let r = s
        .with_first_response_lost(h.put("/vault/items/old-one", &[], &json!({"a": 2})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["version"], 2);
    let now = h.get("/vault/items/old-one").await;
    assert_eq!(now.json()["version"], 2, "the retry must not write a second time");
    assert_eq!(now.json(), r.json());
}

/// A delete leaves nothing behind to recognise, so when the retry finds the
/// item gone the service cannot tell "deleted by the first attempt" from
/// "was never there": it must not claim 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_whose_first_attempt_was_applied_never_answers_404() {
    let Some(s) = setup().await else { return };
    let h = &s.harness;
    let v1 = h.put("/vault/items/doomed", &[], &json!({})).await.etag();
    let r = s
        .with_first_response_lost(h.delete("/vault/items/doomed", &[("if-match", &v1)]))
        .await;
    assert!(
        r.status == StatusCode::NO_CONTENT || r.status == StatusCode::SERVICE_UNAVAILABLE,
        "got {} {:?}",
        r.status,
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(h.get("/vault/items/doomed").await.status, StatusCode::NOT_FOUND);
}

/// Another write lands between the first attempt (applied, response held
/// back) and the retry. The retry still recognises its own write in the
/// item's revision history: it answers for the write it made (201, version
/// 1) and does not apply it a second time over the other write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_recognises_its_write_after_another_write_landed() {
    let Some(s) = setup().await else { return };
    let before = s.proxy.delayed_responses();
    s.proxy.delay_next_response(HOLD);
    let first = tokio::spawn({
        let h = s.harness.clone();
        async move { h.put("/vault/items/busy", &[], &json!({"by": "first"})).await }
    });
    // Once the proxy holds the response, moto has applied the first attempt.
    let started = std::time::Instant::now();
    while s.proxy.delayed_responses() == before {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the first attempt never reached moto"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let second = s.direct.put("/vault/items/busy", &[], &json!({"by": "second"})).await;
    assert_eq!(second.status, StatusCode::OK, "the first write created the item");
    assert_eq!(second.json()["version"], 2);

    let first = first.await.unwrap();
    assert_eq!(
        first.status,
        StatusCode::CREATED,
        "{:?}",
        String::from_utf8_lossy(&first.body)
    );
    assert_eq!(first.json()["version"], 1);
    assert_eq!(first.json()["data"], json!({"by": "first"}));

    let now = s.harness.get("/vault/items/busy").await.json();
    assert_eq!(now["version"], 2, "the retry must not apply the first write again");
    assert_eq!(now["data"], json!({"by": "second"}));
    assert_eq!(now["created_at"], first.json()["created_at"]);
}

/// When the condition really fails but an earlier attempt's outcome is
/// unknown, the service cannot prove that 412 is true (that attempt might
/// have been the write that changed the item), so it answers 503.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_condition_after_an_unknown_attempt_is_503_not_412() {
    let Some(s) = setup().await else { return };
    let h = &s.harness;
    let v1 = h.put("/vault/items/moved-on", &[], &json!({"n": 1})).await.etag();
    assert_eq!(
        h.put("/vault/items/moved-on", &[], &json!({"n": 2})).await.status,
        StatusCode::OK
    );
    // Without a lost response, a stale If-Match is a definite 412 ...
    let r = h
        .put("/vault/items/moved-on", &[("if-match", &v1)], &json!({"n": 3}))
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    // ... with one, it is "outcome unknown".
    let r = s
        .with_first_response_lost(h.put("/vault/items/moved-on", &[("if-match", &v1)], &json!({"n": 3})))
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.error_code(), "storage_unavailable");
    assert_eq!(h.get("/vault/items/moved-on").await.json()["data"], json!({"n": 2}));
}
