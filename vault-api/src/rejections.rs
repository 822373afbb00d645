//! The service's error shape for the requests hyper rejects itself.
//!
//! hyper answers some requests before any application code sees them: a
//! request line or header it cannot parse, conflicting `Content-Length`
//! headers, or a control character in a header (400), a header section over
//! its buffer (about 400 KiB) or with more than 100 fields (431), and a
//! request target over 65,534 bytes (414). It writes a bare status line with
//! an empty body and closes the connection, and it offers no hook to shape
//! that answer.
//!
//! [`ShapedListener`] wraps each accepted connection in [`ShapedIo`], which
//! watches what hyper writes. Every response the application produces carries
//! `X-Request-Id` (the access log adds it), so a response head for 400, 414
//! or 431 *without* one, written on its own, can only be hyper's automatic
//! answer. [`ShapedIo`] replaces it with the same status and the service's
//! JSON error body, a fresh `X-Request-Id`, `Content-Type` and
//! `Content-Length`, keeping hyper's other headers (`date`, `connection`),
//! and logs it like any other request.
//!
//! What this cannot do:
//! - hyper closes a connection without any answer when the client stops
//!   sending mid-head or the connection breaks; there is nothing to shape.
//! - HTTP/2 protocol errors are frames (`RST_STREAM`, `GOAWAY`), not
//!   responses.
//! - If hyper ever wrote its answer in the same write call as earlier bytes
//!   (it flushes each response before parsing the next request, so this is
//!   not expected), the head would not start the buffer and would pass
//!   unchanged: the client then gets hyper's bare status, never a corrupted
//!   response.

use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use crate::error::ApiError;

/// A [`TcpListener`] whose connections give hyper's own rejections the
/// service's error shape.
pub struct ShapedListener {
    inner: TcpListener,
}

impl ShapedListener {
    pub fn new(inner: TcpListener) -> Self {
        Self { inner }
    }
}

impl axum::serve::Listener for ShapedListener {
    type Io = ShapedIo<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (io, addr) = axum::serve::Listener::accept(&mut self.inner).await;
        (ShapedIo::new(io), addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A connection that rewrites hyper's automatic error responses (see the
/// module documentation). Everything else passes through untouched.
pub struct ShapedIo<T> {
    inner: T,
    /// A rewritten response still to be written, and how much of it is.
    pending: Vec<u8>,
    written: usize,
}

impl<T> ShapedIo<T> {
    pub fn new(inner: T) -> Self {
        Self {
            inner,
            pending: Vec::new(),
            written: 0,
        }
    }
}

/// The error a bare automatic response of hyper stands for, by status.
fn rejection_for(status: &[u8]) -> Option<ApiError> {
    match status {
        b"400" => Some(ApiError::BadRequest),
        b"414" => Some(ApiError::UriTooLong),
        b"431" => Some(ApiError::HeadersTooLarge),
        _ => None,
    }
}

fn header_name_is(line: &[u8], name: &str) -> bool {
    line.len() > name.len() && line[name.len()] == b':' && line[..name.len()].eq_ignore_ascii_case(name.as_bytes())
}

/// If `buf` is exactly one of hyper's automatic error responses (a complete
/// head for 400, 414 or 431, without `X-Request-Id`, with nothing after it),
/// the response to send instead.
pub fn shape_rejection(buf: &[u8]) -> Option<Vec<u8>> {
    let rest = buf.strip_prefix(b"HTTP/1.1 ")?;
    let error = rejection_for(rest.get(..3)?)?;
    let head_len = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    if head_len + 4 != buf.len() {
        return None;
    }
    let mut lines = buf[..head_len]
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let status_line = lines.next()?;
    let mut kept = Vec::new();
    for line in lines {
        if header_name_is(line, "x-request-id") {
            return None; // The application's own response.
        }
        if !header_name_is(line, "content-length") && !header_name_is(line, "content-type") {
            kept.push(line);
        }
    }
    let request_id = crate::middleware::new_request_id();
    let request_id = request_id.to_str().unwrap_or("-");
    let body = serde_json::to_vec(&error.body()).ok()?;
    tracing::info!(
        status = error.status().as_u16(),
        request_id = %request_id,
        rejected_by = "http parser",
        "request"
    );
    let mut out = Vec::with_capacity(head_len + body.len() + 128);
    out.extend_from_slice(status_line);
    out.extend_from_slice(b"\r\n");
    for line in kept {
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"content-type: application/json\r\n");
    out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    out.extend_from_slice(format!("x-request-id: {request_id}\r\n\r\n").as_bytes());
    out.extend_from_slice(&body);
    Some(out)
}

impl<T: AsyncWrite + Unpin> ShapedIo<T> {
    /// Writes out the rest of a rewritten response, if any.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        if !self.pending.is_empty() {
            self.pending = Vec::new();
            self.written = 0;
        }
        Poll::Ready(Ok(()))
    }

    /// Takes over `buf` if it is one of hyper's automatic error responses:
    /// queues the rewritten response and reports `buf` as written.
    fn take_over(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Option<Poll<io::Result<usize>>> {
        let shaped = shape_rejection(buf)?;
        self.pending = shaped;
        self.written = 0;
        Some(match self.poll_pending(cx) {
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            // Pending: the rest goes out on the flush or shutdown that follows.
            _ => Poll::Ready(Ok(buf.len())),
        })
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for ShapedIo<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ShapedIo<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        ready!(self.poll_pending(cx))?;
        if let Some(result) = self.take_over(cx, buf) {
            return result;
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        ready!(self.poll_pending(cx))?;
        // hyper's automatic response has no body: it is one buffer.
        if let [only] = bufs {
            if let Some(result) = self.take_over(cx, only) {
                return result;
            }
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYPER_400: &[u8] =
        b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\ndate: Mon, 30 Nov 2026 08:00:00 GMT\r\n\r\n";

    #[test]
    fn hypers_bare_rejections_get_the_error_shape() {
        let shaped = String::from_utf8(shape_rejection(HYPER_400).unwrap()).unwrap();
        let (head, body) = shaped.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{head}");
        assert!(head.contains("\r\ndate: Mon, 30 Nov 2026 08:00:00 GMT"), "{head}");
        assert!(head.contains("\r\ncontent-type: application/json"), "{head}");
        assert!(head.contains(&format!("\r\ncontent-length: {}", body.len())), "{head}");
        assert!(!head.contains("content-length: 0"), "{head}");
        assert!(head.contains("\r\nx-request-id: "), "{head}");
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["error"]["code"], "bad_request");
        for (status, code) in [
            ("414 URI Too Long", "uri_too_long"),
            ("431 Request Header Fields Too Large", "headers_too_large"),
        ] {
            let bare = format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\n\r\n");
            let shaped = String::from_utf8(shape_rejection(bare.as_bytes()).unwrap()).unwrap();
            assert!(shaped.contains(&format!("\"code\":\"{code}\"")), "{shaped}");
        }
    }

    #[test]
    fn the_applications_own_responses_pass_untouched() {
        let ours = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nX-Request-Id: abc\r\ncontent-length: 0\r\n\r\n";
        assert!(shape_rejection(ours).is_none());
        // Not one of hyper's automatic statuses.
        assert!(shape_rejection(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(shape_rejection(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
        // A head followed by anything, or an incomplete head, is not hyper's answer.
        let mut with_body = HYPER_400.to_vec();
        with_body.extend_from_slice(b"{}");
        assert!(shape_rejection(&with_body).is_none());
        assert!(shape_rejection(&HYPER_400[..20]).is_none());
        // Bodies never start with a status line: they are JSON.
        assert!(shape_rejection(b"{\"error\":{}}").is_none());
    }
}
