//! Logging: JSON lines to stdout for CloudWatch when stdout is not a
//! terminal (as in a container), readable text when it is.
//!
//! Lines are formatted on the thread that logs them and written by one
//! background thread ([`LogWriter`]), which takes every line queued since its
//! last write and writes them with one system call. A request therefore never
//! waits for stdout (a pipe to the container runtime, which may be slow), and
//! under load many access-log lines share a write.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// Log format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Text,
}

impl LogFormat {
    /// JSON unless stdout is a terminal; `VAULT_LOG_FORMAT=json|text`
    /// overrides the guess.
    pub fn detect() -> Self {
        match std::env::var("VAULT_LOG_FORMAT").as_deref() {
            Ok("json") => LogFormat::Json,
            Ok("text") => LogFormat::Text,
            _ if std::io::stdout().is_terminal() => LogFormat::Text,
            _ => LogFormat::Json,
        }
    }
}

/// Default filter when `RUST_LOG` is unset: our info logs, and only warnings
/// from the chatty AWS SDK internals.
const DEFAULT_FILTER: &str = "info,aws_config=warn,aws_smithy_runtime=warn,aws_runtime=warn";

/// Lines that may wait for the writer thread. When stdout cannot keep up and
/// the queue is full, further lines are dropped (and counted, and the count
/// is logged once the writer catches up) rather than making requests wait.
/// 4096 lines of about 250 bytes bound the queue near 1 MiB.
pub const LOG_QUEUE_LINES: usize = 4096;

/// Largest batch written with one system call.
const MAX_BATCH_BYTES: usize = 64 * 1024;

/// After the first line of a quiet spell arrives, the writer waits this long
/// before writing, so the lines logged meanwhile share the write. Waking the
/// writer costs the logging thread a system call; with this pause, under load
/// that happens once per window instead of once per line. Idle, the writer
/// sleeps until a line arrives.
const BATCH_WINDOW: Duration = Duration::from_millis(2);

/// How long [`LogGuard`] waits for queued lines to be written at exit.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

enum Message {
    Line(Vec<u8>),
    /// Write everything queued before this, then acknowledge.
    Flush(SyncSender<()>),
}

/// The [`MakeWriter`] behind the subscriber: each event is formatted into
/// its own buffer and queued for the writer thread.
#[derive(Clone)]
pub struct LogWriter {
    queue: SyncSender<Message>,
    dropped: Arc<AtomicU64>,
}

/// One event's bytes, queued when the formatter is done with it.
pub struct QueuedLine<'a> {
    buf: Vec<u8>,
    writer: &'a LogWriter,
}

impl Write for QueuedLine<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for QueuedLine<'_> {
    fn drop(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let line = Message::Line(std::mem::take(&mut self.buf));
        match self.writer.queue.try_send(line) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.writer.dropped.fetch_add(1, Ordering::Relaxed);
            }
            // The writer thread is gone (it never should be): write directly.
            Err(TrySendError::Disconnected(Message::Line(line))) => {
                let _ = std::io::stdout().lock().write_all(&line);
            }
            Err(TrySendError::Disconnected(Message::Flush(_))) => {}
        }
    }
}

impl<'a> MakeWriter<'a> for LogWriter {
    type Writer = QueuedLine<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        QueuedLine {
            buf: Vec::with_capacity(256),
            writer: self,
        }
    }
}

/// Keeps the writer thread's queue drained into stdout at exit: dropping it
/// waits (up to 5 s) until every line logged before is written.
pub struct LogGuard {
    writer: LogWriter,
}

impl LogGuard {
    /// Waits until every line logged so far is written.
    pub fn flush(&self) {
        let (ack_tx, ack_rx) = mpsc::sync_channel(1);
        if self.writer.queue.send(Message::Flush(ack_tx)).is_ok() {
            let _ = ack_rx.recv_timeout(FLUSH_TIMEOUT);
        }
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.flush();
    }
}

/// The body of the writer thread.
fn write_lines(queue: Receiver<Message>, dropped: Arc<AtomicU64>, format: LogFormat) {
    let mut batch = Vec::with_capacity(MAX_BATCH_BYTES);
    let mut acks = Vec::new();
    while let Ok(first) = queue.recv() {
        if matches!(first, Message::Line(_)) {
            std::thread::sleep(BATCH_WINDOW);
        }
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                Message::Line(line) => batch.extend_from_slice(&line),
                Message::Flush(ack) => acks.push(ack),
            }
            if batch.len() < MAX_BATCH_BYTES {
                next = queue.try_recv().ok();
            }
        }
        let lost = dropped.swap(0, Ordering::Relaxed);
        if lost > 0 {
            let notice = match format {
                LogFormat::Json => format!(
                    "{{\"level\":\"WARN\",\"message\":\"log lines dropped: stdout did not keep up\",\"dropped\":{lost}}}\n"
                ),
                LogFormat::Text => format!("WARN log lines dropped: stdout did not keep up dropped={lost}\n"),
            };
            batch.extend_from_slice(notice.as_bytes());
        }
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(&batch);
        let _ = stdout.flush();
        drop(stdout);
        batch.clear();
        for ack in acks.drain(..) {
            let _ = ack.send(());
        }
    }
}

/// The queue of the JSON log writer, once [`init`] installed JSON logging.
static JSON_WRITER: OnceLock<LogWriter> = OnceLock::new();

/// Whether log lines are JSON and written by [`init`]'s writer thread.
pub fn json_lines_enabled() -> bool {
    JSON_WRITER.get().is_some()
}

/// Queues one complete JSON log line (ending in `\n`) for the writer
/// thread, for lines formatted by hand on hot paths (the access log). A no-op
/// unless [`json_lines_enabled`].
pub fn queue_json_line(line: Vec<u8>) {
    if let Some(writer) = JSON_WRITER.get() {
        let mut queued = writer.make_writer();
        queued.buf = line;
    }
}

/// Appends the current time as tracing's JSON formatter writes it
/// (RFC 3339, UTC, microseconds: `2026-11-30T08:27:01.687145Z`).
pub fn write_timestamp(out: &mut Vec<u8>) {
    let now = time::OffsetDateTime::now_utc();
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.microsecond()
    );
}

/// Installs the global subscriber and starts the writer thread. Call once,
/// at startup, and keep the guard until exit so that the last lines are
/// written.
pub fn init(format: LogFormat) -> Option<LogGuard> {
    let (queue, lines) = mpsc::sync_channel(LOG_QUEUE_LINES);
    let dropped = Arc::new(AtomicU64::new(0));
    let writer = LogWriter {
        queue,
        dropped: Arc::clone(&dropped),
    };
    let spawned = std::thread::Builder::new()
        .name("vault-log-writer".into())
        .spawn(move || write_lines(lines, dropped, format));
    if let Err(e) = spawned {
        eprintln!("cannot start the log writer thread: {e}");
        return None;
    }
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer.clone());
    let result = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Text => builder.compact().try_init(),
    };
    if let Err(e) = result {
        eprintln!("logging was already initialised: {e}");
        return None;
    }
    if format == LogFormat::Json {
        let _ = JSON_WRITER.set(writer.clone());
    }
    Some(LogGuard { writer })
}
