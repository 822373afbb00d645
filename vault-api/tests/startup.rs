//! Opening storage at startup does not stall the async runtime: the embedded
//! store reads (and after a crash repairs) its file, which can take long on
//! a slow or stuck disk.

mod support;

use std::sync::mpsc;
use std::time::Duration;

use support::mounts::FreezableFs;
use vault_api::config::StorageConfig;

#[test]
fn opening_the_embedded_store_does_not_block_the_async_runtime() {
    let Some(fs) = FreezableFs::mount() else { return };
    let storage = StorageConfig::Embedded {
        data_dir: fs.join("data"),
        cache_bytes: vault_api::config::DEFAULT_EMBEDDED_CACHE_BYTES,
    };
    if !fs.freeze() {
        return;
    }
    let (responsive_tx, responsive_rx) = mpsc::channel();
    // One async worker thread only: if the open ran on it, nothing else could.
    let runtime_thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let opening = tokio::spawn(async move { vault_api::server::open_store(&storage).await.map(|_| ()) });
            // A timer on the same thread fires while the open waits on the disk.
            let _ = tokio::time::timeout(Duration::from_millis(300), std::future::pending::<()>()).await;
            let _ = responsive_tx.send(());
            opening.await.unwrap()
        })
    });
    // Generous: the timer is due after 300 ms.
    let responsive = responsive_rx.recv_timeout(Duration::from_secs(20));
    fs.thaw();
    let opened = runtime_thread.join().expect("runtime thread");
    assert!(
        responsive.is_ok(),
        "the async runtime stood still while the store was opening on a stuck disk"
    );
    assert!(
        opened.is_ok(),
        "the store opens once the disk answers: {:?}",
        opened.err()
    );
}
