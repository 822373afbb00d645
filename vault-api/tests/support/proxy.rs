//! A TCP proxy on 127.0.0.1 in front of another loopback server that can hold
//! back one response, the way a slow or congested network holds back a reply
//! that the server has already sent.
//!
//! Requests pass through at once, so the upstream server acts on them right
//! away; only the bytes coming back are delayed. Arm it with
//! [`DelayingProxy::delay_next_response`]: the next chunk of bytes that any
//! upstream connection sends back is held for the given time before it is
//! passed on. A client whose per-attempt timeout is shorter gives up on that
//! attempt and retries, while the upstream has already applied the first one.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Default)]
struct ProxyState {
    /// Delay for the next response chunk, taken by whichever connection
    /// receives upstream bytes first.
    armed: Mutex<Option<Duration>>,
    delayed: AtomicUsize,
    connections: AtomicUsize,
}

/// A running proxy. Dropping it stops accepting; open connections end when
/// either side closes.
pub struct DelayingProxy {
    pub endpoint: String,
    state: Arc<ProxyState>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for DelayingProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl DelayingProxy {
    /// Starts a proxy to `upstream` (an `http://127.0.0.1:PORT` URL or a
    /// socket address) on a free loopback port.
    pub async fn start(upstream: &str) -> DelayingProxy {
        let upstream: SocketAddr = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .expect("upstream is a loopback socket address");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let endpoint = format!("http://{}", listener.local_addr().expect("proxy address"));
        let state = Arc::new(ProxyState::default());
        let accept_state = Arc::clone(&state);
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                accept_state.connections.fetch_add(1, Ordering::SeqCst);
                let state = Arc::clone(&accept_state);
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let _ = client.set_nodelay(true);
                    let _ = server.set_nodelay(true);
                    let (mut client_read, mut client_write) = client.into_split();
                    let (mut server_read, mut server_write) = server.into_split();
                    let requests = tokio::spawn(async move {
                        let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
                        let _ = server_write.shutdown().await;
                    });
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        let n = match server_read.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        let delay = state.armed.lock().unwrap().take();
                        if let Some(delay) = delay {
                            state.delayed.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(delay).await;
                        }
                        if client_write.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    let _ = client_write.shutdown().await;
                    requests.abort();
                });
            }
        });
        DelayingProxy {
            endpoint,
            state,
            accept,
        }
    }

    /// Holds back the next response chunk from upstream by `delay`.
    pub fn delay_next_response(&self, delay: Duration) {
        *self.state.armed.lock().unwrap() = Some(delay);
    }

    /// How many responses were held back so far.
    pub fn delayed_responses(&self) -> usize {
        self.state.delayed.load(Ordering::SeqCst)
    }

    /// True while an armed delay has not been used yet.
    pub fn still_armed(&self) -> bool {
        self.state.armed.lock().unwrap().is_some()
    }

    /// Client connections accepted so far.
    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }
}
