//! The embedded store on a filesystem that fills up: writes fail with 503
//! while it is full, the instance reports not-ready (and unhealthy), and once
//! space is freed it recovers by itself, with every acknowledged write intact.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::json;
use support::mounts::Tmpfs;
use support::Harness;
use vault_api::store::embedded::EmbeddedStore;
use vault_api::Limits;

/// How long recovery may take after space is freed before the test fails.
/// Recovery normally takes well under a second; this bound only absorbs a
/// loaded machine.
const RECOVERY_BOUND: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_fails_writes_then_the_store_recovers_once_space_is_freed() {
    let Some(fs) = Tmpfs::mount("4m") else { return };
    let store = EmbeddedStore::open(&fs.join("data")).expect("open store on tmpfs");
    let h = Harness::new(Arc::new(store), Limits::default(), Box::new(()));

    // Space to free later: without it nothing but the database could give
    // space back, and the database cannot write.
    std::fs::write(fs.join("filler"), vec![1u8; 1024 * 1024]).expect("write filler");

    let blob = "x".repeat(60 * 1024);
    let mut acknowledged = Vec::new();
    let mut failed = None;
    for i in 0..200 {
        let id = format!("item-{i:03}");
        let r = h
            .put(&format!("/vault/items/{id}"), &[], &json!({ "i": i, "blob": blob }))
            .await;
        match r.status {
            StatusCode::CREATED => acknowledged.push((id, i)),
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(r.error_code(), "storage_unavailable");
                failed = Some(i);
                break;
            }
            other => panic!("unexpected {other}: {:?}", String::from_utf8_lossy(&r.body)),
        }
    }
    let failed = failed.expect("a 4 MiB filesystem must fill up within 200 writes of 60 KiB");
    assert!(
        !acknowledged.is_empty(),
        "the store must take some writes before it is full"
    );
    eprintln!(
        "filesystem full after {} acknowledged writes (write {failed} failed)",
        acknowledged.len()
    );

    // While the store cannot write it says so, to the readiness probe and to
    // the load balancer's health check.
    let ready = h.get("/vault/ready").await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(h.get("/vault").await.status, StatusCode::SERVICE_UNAVAILABLE);

    std::fs::remove_file(fs.join("filler")).expect("free space");

    let started = Instant::now();
    loop {
        let r = h.put("/vault/items/after-recovery", &[], &json!({"ok": true})).await;
        if r.status.is_success() {
            break;
        }
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            started.elapsed() < RECOVERY_BOUND,
            "writes still fail {RECOVERY_BOUND:?} after space was freed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(h.get("/vault/ready").await.status, StatusCode::OK);
    assert_eq!(h.get("/vault").await.status, StatusCode::OK);

    for (id, i) in &acknowledged {
        let r = h.get(&format!("/vault/items/{id}")).await;
        assert_eq!(r.status, StatusCode::OK, "acknowledged {id} was lost");
        assert_eq!(r.json()["data"]["i"], *i);
    }
    drop(h);
    drop(fs);
}

/// On a disk that stays full the store's own small commit on reopening can
/// succeed while every client write still fails. The wait before each reopen
/// keeps growing until a client's write commits, so under steady write load
/// the store is reopened a handful of times, not every few hundred
/// milliseconds (which made readiness flap between 503 and 200).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disk_that_stays_full_is_reopened_with_growing_waits() {
    let Some(fs) = Tmpfs::mount("4m") else { return };
    let store = EmbeddedStore::open(&fs.join("data")).expect("open store on tmpfs");
    let h = Harness::new(Arc::new(store.clone()), Limits::default(), Box::new(()));

    let blob = "x".repeat(60 * 1024);
    let mut full = false;
    for i in 0..200 {
        let r = h
            .put(&format!("/vault/items/fill-{i:03}"), &[], &json!({ "blob": blob }))
            .await;
        if r.status == StatusCode::SERVICE_UNAVAILABLE {
            full = true;
            break;
        }
        assert_eq!(r.status, StatusCode::CREATED);
    }
    assert!(full, "a 4 MiB filesystem must fill up within 200 writes of 60 KiB");

    // Keep writing for a while without freeing anything. With a wait that
    // started again at 100 ms after each reopen, this window held 16 reopens;
    // doubling waits (0.1 + 0.2 + 0.4 + 0.8 + 1.6 s) allow at most 5.
    let window = Duration::from_millis(3500);
    let started = Instant::now();
    let mut i = 0;
    while started.elapsed() < window {
        let r = h
            .put(&format!("/vault/items/more-{i:04}"), &[], &json!({ "blob": blob }))
            .await;
        assert!(
            r.status == StatusCode::SERVICE_UNAVAILABLE || r.status == StatusCode::CREATED,
            "unexpected {}",
            r.status
        );
        i += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let reopens = store.reopens();
    eprintln!("{i} writes in {window:?} on a full disk: {reopens} reopens");
    assert!(reopens >= 1, "the store must keep trying to reopen");
    assert!(
        reopens <= 5,
        "{reopens} reopens in {window:?}: the wait must grow across failures"
    );
    drop(h);
    drop(fs);
}
