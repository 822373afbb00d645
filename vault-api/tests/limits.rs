//! Request timeout and concurrency limit, on a real listener.

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::process::{http, read_response, start_request};
use vault_api::store::embedded::EmbeddedStore;
use vault_api::{AppState, Limits};

/// Serves an embedded store with `limits` on a loopback port until the
/// returned sender is dropped or fired.
async fn serve(limits: Limits) -> (SocketAddr, tokio::sync::oneshot::Sender<()>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path()).unwrap();
    let state = AppState::new(Arc::new(store), "limits-test", limits);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(vault_api::server::serve(
        listener,
        state,
        stop_rx,
        Duration::from_secs(1),
    ));
    (addr, stop_tx, dir)
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn excess_item_requests_wait_for_a_permit_but_health_checks_do_not() {
    let limits = Limits {
        request_timeout: Duration::from_millis(1500),
        max_concurrent_requests: 1,
        ..Limits::default()
    };
    let (addr, _stop, _dir) = serve(limits).await;
    tokio::task::spawn_blocking(move || {
        // Occupies the only permit: a PUT whose body never arrives.
        let _hog = start_request(
            addr,
            "PUT",
            "/vault/items/hog",
            &[("content-type", "application/json")],
            b"{",
            50,
        );
        std::thread::sleep(Duration::from_millis(200));

        let started = Instant::now();
        let health = http(addr, "GET", "/vault", &[], b"");
        assert_eq!(health.status, 200);
        // Had it waited for the permit it would take ~1.3 s (until the hog
        // times out); the margin absorbs a loaded CI machine.
        assert!(started.elapsed() < Duration::from_millis(1000), "health waited");

        // Waits until the hog times out (1.5 s after it started) and frees
        // the permit, then runs normally.
        let waited = http(addr, "GET", "/vault/items/anything", &[], b"");
        assert_eq!(waited.status, 404);
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(1000),
            "did not wait for the permit: {took:?}"
        );
    })
    .await
    .unwrap();
}
