//! Requests that hyper rejects before the application sees them (a request
//! line or header it cannot parse, conflicting lengths, oversized heads) get
//! the service's JSON error shape and an X-Request-Id, like every other error.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value;
use support::process::{parse_response, HttpResponse};
use vault_api::Limits;

async fn serve() -> (SocketAddr, tokio::sync::oneshot::Sender<()>, tempfile::TempDir) {
    support::serve_over_tcp("http-errors-test", Limits::default()).await
}

/// Sends raw bytes and reads everything until the server closes.
fn exchange(addr: SocketAddr, raw: &[u8]) -> HttpResponse {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    // The server may answer and close before it has read everything we
    // send; that is fine.
    let _ = stream.write_all(raw);
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    parse_response(&out)
}

fn assert_json_error(r: &HttpResponse, status: u16, code: &str, what: &str) {
    assert_eq!(r.status, status, "{what}");
    assert_eq!(r.header("content-type"), Some("application/json"), "{what}");
    let body: Value = serde_json::from_slice(&r.body)
        .unwrap_or_else(|e| panic!("{what}: body is not JSON ({e}): {:?}", String::from_utf8_lossy(&r.body)));
    assert_eq!(body["error"]["code"], code, "{what}: {body}");
    assert!(
        body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{what}"
    );
    let id = r
        .header("x-request-id")
        .unwrap_or_else(|| panic!("{what}: no X-Request-Id"));
    assert!(!id.is_empty() && id.len() <= 128, "{what}: {id:?}");
    assert_eq!(
        r.header("content-length").and_then(|l| l.parse::<usize>().ok()),
        Some(r.body.len()),
        "{what}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_hyper_cannot_parse_get_the_json_error_shape() {
    let (addr, _stop, _dir) = serve().await;
    tokio::task::spawn_blocking(move || {
        let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
            ("a garbage request line", b"GARBAGE\r\n\r\n".to_vec(), 400, "bad_request"),
            (
                "conflicting Content-Length headers",
                b"PUT /vault/items/x HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"
                    .to_vec(),
                400,
                "bad_request",
            ),
            (
                "a control character in a header value",
                b"GET /vault HTTP/1.1\r\nHost: a\r\nX-Thing: a\x01b\r\n\r\n".to_vec(),
                400,
                "bad_request",
            ),
            (
                "a header section over the limit",
                format!("GET /vault HTTP/1.1\r\nHost: a\r\nX-Big: {}\r\n\r\n", "x".repeat(600 * 1024)).into_bytes(),
                431,
                "headers_too_large",
            ),
            (
                "more header fields than allowed",
                format!(
                    "GET /vault HTTP/1.1\r\nHost: a\r\n{}\r\n",
                    (0..150).map(|i| format!("X-H{i}: v\r\n")).collect::<String>()
                )
                .into_bytes(),
                431,
                "headers_too_large",
            ),
            (
                "a URI over 64 KiB",
                format!("GET /vault/items/{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(70 * 1024)).into_bytes(),
                414,
                "uri_too_long",
            ),
        ];
        for (what, raw, status, code) in cases {
            let r = exchange(addr, &raw);
            assert_json_error(&r, status, code, what);
        }
        // A rejection after a good request on the same connection is shaped too.
        let r = exchange(
            addr,
            b"GET /vault HTTP/1.1\r\nHost: a\r\n\r\nGET /vault HTTP/1.1\r\nHost: a\r\nX-Thing: a\x01b\r\n\r\n",
        );
        assert_eq!(r.status, 200);
        let rest = &r.body[r.body.windows(4).position(|w| w == b"HTTP").expect("a second response")..];
        assert!(rest.starts_with(b"HTTP/1.1 400 "), "{:?}", String::from_utf8_lossy(rest));
        assert!(
            String::from_utf8_lossy(rest).contains("\"code\":\"bad_request\""),
            "{:?}",
            String::from_utf8_lossy(rest)
        );
    })
    .await
    .unwrap();
}
