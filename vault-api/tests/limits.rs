//! Request timeout, body read timeout, body budget and concurrency limit.

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::value::RawValue;
use support::process::{http, read_response, start_request};
use vault_api::item::{Item, ItemId, Preconditions};
use vault_api::store::embedded::EmbeddedStore;
use vault_api::store::{Cursor, Page, Store, StoreFuture, Written};
use vault_api::Limits;

/// Serves an embedded store with `limits` on a loopback port until the
/// returned sender is dropped or fired.
async fn serve(limits: Limits) -> (SocketAddr, tokio::sync::oneshot::Sender<()>, tempfile::TempDir) {
    support::serve_over_tcp("limits-test", limits).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_slower_than_the_timeout_gets_503_timeout() {
    let limits = Limits {
        request_timeout: Duration::from_millis(400),
        ..Limits::default()
    };
    let (addr, _stop, _dir) = serve(limits).await;
    let response = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        // Declares a body and never sends it.
        let stream = start_request(
            addr,
            "PUT",
            "/vault/items/slow",
            &[("content-type", "application/json")],
            b"{",
            50,
        );
        (read_response(stream), started.elapsed())
    })
    .await
    .unwrap();
    let (response, took) = response;
    assert_eq!(response.status, 503);
    assert_eq!(response.json()["error"]["code"], "timeout");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

/// A store whose reads of the id `hold` wait until released, so a test can
/// keep a request inside storage (holding its concurrency permit).
struct HeldStore {
    inner: EmbeddedStore,
    release: tokio::sync::watch::Receiver<bool>,
}

impl Store for HeldStore {
    fn get(&self, id: ItemId) -> StoreFuture<'_, Option<Item>> {
        Box::pin(async move {
            if id.as_str() == "hold" {
                let mut release = self.release.clone();
                let _ = release.wait_for(|released| *released).await;
            }
            self.inner.get(id).await
        })
    }
    fn put(&self, id: ItemId, data: Box<RawValue>, preconditions: Preconditions) -> StoreFuture<'_, Written> {
        self.inner.put(id, data, preconditions)
    }
    fn delete(&self, id: ItemId, preconditions: Preconditions) -> StoreFuture<'_, ()> {
        self.inner.delete(id, preconditions)
    }
    fn list(&self, cursor: Option<Cursor>, limit: usize) -> StoreFuture<'_, Page> {
        self.inner.list(cursor, limit)
    }
    fn ping(&self) -> StoreFuture<'_, ()> {
        self.inner.ping()
    }
    fn kind(&self) -> &'static str {
        "held"
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn excess_item_requests_wait_for_a_permit_but_health_checks_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let (release, released) = tokio::sync::watch::channel(false);
    let store = HeldStore {
        inner: EmbeddedStore::open(dir.path()).unwrap(),
        release: released,
    };
    let limits = Limits {
        max_concurrent_requests: 1,
        ..Limits::default()
    };
    let h = support::Harness::new(Arc::new(store), limits, Box::new(dir));

    // Occupies the only permit inside storage.
    let holder = tokio::spawn({
        let h = h.clone();
        async move { h.get("/vault/items/hold").await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let waiting = tokio::spawn({
        let h = h.clone();
        async move { h.get("/vault/items/other").await }
    });

    // The health check does not need a permit.
    assert_eq!(h.get("/vault").await.status, StatusCode::OK);
    // The second item request waits for the permit ...
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "an item request ran without a permit");
    // ... and runs once the first one leaves storage.
    release.send(true).unwrap();
    assert_eq!(holder.await.unwrap().status, StatusCode::NOT_FOUND);
    assert_eq!(waiting.await.unwrap().status, StatusCode::NOT_FOUND);
}

/// Clients that send headers and a `Content-Length`, then stall, must not
/// hold up other requests: bodies are read before a concurrency permit is
/// taken, so the stalled requests hold no permit while they wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_request_bodies_do_not_hold_up_item_reads() {
    let limits = Limits {
        request_timeout: Duration::from_secs(20),
        body_read_timeout: Duration::from_secs(15),
        max_concurrent_requests: 4,
        ..Limits::default()
    };
    let (addr, _stop, _dir) = serve(limits).await;
    tokio::task::spawn_blocking(move || {
        // Eight times as many stalled writers as there are permits.
        let stalled: Vec<std::net::TcpStream> = (0..32)
            .map(|i| {
                start_request(
                    addr,
                    "PUT",
                    &format!("/vault/items/stalled-{i}"),
                    &[("content-type", "application/json")],
                    b"",
                    100,
                )
            })
            .collect();
        // Let the server see them all.
        std::thread::sleep(Duration::from_millis(500));

        let read = http(addr, "GET", "/vault/items/anything", &[], b"");
        assert_eq!(read.status, 404);

        // The read was answered while every stalled writer is still waiting:
        // none of them has been answered (or timed out) yet.
        for (i, stream) in stalled.iter().enumerate() {
            stream.set_nonblocking(true).unwrap();
            let mut byte = [0u8; 1];
            match std::io::Read::read(&mut &*stream, &mut byte) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                other => panic!("stalled writer {i} was already answered ({other:?}): the read waited for it"),
            }
        }
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_stalls_past_the_body_read_timeout_gets_408() {
    let limits = Limits {
        body_read_timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let (addr, _stop, _dir) = serve(limits).await;
    let response = tokio::task::spawn_blocking(move || {
        let stream = start_request(
            addr,
            "PUT",
            "/vault/items/slow-body",
            &[("content-type", "application/json")],
            b"{",
            50,
        );
        read_response(stream)
    })
    .await
    .unwrap();
    assert_eq!(response.status, 408);
    assert_eq!(response.json()["error"]["code"], "body_timeout");
    assert!(response.header("x-request-id").is_some());
}

/// Bodies being read count against the body budget (max concurrent requests
/// × body limit), so many slow uploads cannot hold unbounded memory: with a
/// budget of one body, a second upload waits for the first to finish.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_being_read_share_a_bounded_budget() {
    let limits = Limits {
        body_limit_bytes: 1000,
        max_concurrent_requests: 1,
        body_read_timeout: Duration::from_secs(30),
        ..Limits::default()
    };
    let (addr, _stop, _dir) = serve(limits).await;
    tokio::task::spawn_blocking(move || {
        // Declares the whole budget and sends half of it.
        let mut first = start_request(
            addr,
            "PUT",
            "/vault/items/first",
            &[("content-type", "application/json")],
            b"{\"pad\":\"",
            1000,
        );
        std::thread::sleep(Duration::from_millis(300));
        let second = start_request(
            addr,
            "PUT",
            "/vault/items/second",
            &[("content-type", "application/json")],
            b"{}",
            2,
        );
        // The second body cannot be taken in while the first holds the budget.
        std::thread::sleep(Duration::from_millis(300));
        second.set_nonblocking(true).unwrap();
        let mut byte = [0u8; 1];
        assert!(
            matches!(std::io::Read::read(&mut &second, &mut byte), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "the second upload was served while the budget was in use"
        );
        second.set_nonblocking(false).unwrap();
        // Reads still pass: they have no body.
        assert_eq!(http(addr, "GET", "/vault/items/first", &[], b"").status, 404);
        // The first upload completes, and then the second gets its turn.
        let rest = format!("{}\"}}", "x".repeat(1000 - 8 - 2));
        std::io::Write::write_all(&mut first, rest.as_bytes()).unwrap();
        assert_eq!(read_response(first).status, 201);
        assert_eq!(read_response(second).status, 201);
    })
    .await
    .unwrap();
}
