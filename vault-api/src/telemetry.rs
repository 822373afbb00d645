//! Logging: JSON lines to stdout for CloudWatch when stdout is not a
//! terminal (as in a container), readable text when it is.
//!
//! Lines are formatted on the thread that logs them and appended to one
//! shared buffer; a background thread writes the buffer out with one system
//! call, 2 ms after the first line of a batch arrives. A request therefore
//! never waits for stdout (a pipe to the container runtime, which may be
//! slow), lines cost no allocation or wake-up each, and under load many
//! lines share a write.

use std::io::{IsTerminal, Write};
use std::sync::{Condvar, Mutex, OnceLock, PoisonError};
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

/// Most bytes of lines that may wait for the writer thread (about 4000
/// access-log lines). When stdout cannot keep up and this much is waiting,
/// further lines are dropped (and counted; the count is logged once the
/// writer catches up) rather than making requests wait or memory grow.
pub const MAX_PENDING_LOG_BYTES: usize = 1024 * 1024;

/// After the first line of a quiet spell arrives, the writer waits this long
/// before writing, so the lines logged meanwhile share the write. Idle, the
/// writer sleeps until a line arrives.
const BATCH_WINDOW: Duration = Duration::from_millis(2);

#[derive(Default)]
struct Pending {
    lines: Vec<u8>,
    dropped: u64,
}

/// The buffer between the threads that log and the writer thread.
#[derive(Default)]
struct LogBuffer {
    pending: Mutex<Pending>,
    /// Signalled when the first line of a batch arrives.
    arrived: Condvar,
    /// Held while a batch is taken and written, so batches reach stdout in
    /// the order they were taken.
    writing: Mutex<()>,
}

impl LogBuffer {
    /// Appends complete lines (or drops them, counted, when too much waits).
    fn append(&self, lines: &[u8]) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        if pending.lines.len() + lines.len() > MAX_PENDING_LOG_BYTES {
            pending.dropped += 1;
            return;
        }
        let first = pending.lines.is_empty();
        pending.lines.extend_from_slice(lines);
        drop(pending);
        if first {
            self.arrived.notify_one();
        }
    }

    /// Writes out everything appended so far. `spare` is an empty buffer to
    /// swap in (its capacity is reused); it comes back holding nothing.
    fn write_out(&self, spare: &mut Vec<u8>, format: LogFormat) {
        let _writing = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        let dropped = {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            std::mem::swap(&mut pending.lines, spare);
            std::mem::take(&mut pending.dropped)
        };
        if dropped > 0 {
            let notice = match format {
                LogFormat::Json => format!(
                    "{{\"level\":\"WARN\",\"message\":\"log lines dropped: stdout did not keep up\",\"dropped\":{dropped}}}\n"
                ),
                LogFormat::Text => format!("WARN log lines dropped: stdout did not keep up dropped={dropped}\n"),
            };
            spare.extend_from_slice(notice.as_bytes());
        }
        if !spare.is_empty() {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(spare);
            let _ = stdout.flush();
        }
        spare.clear();
        // Keep the capacity of a normal batch, not of a burst.
        spare.shrink_to(64 * 1024);
    }

    /// The writer thread: waits for a line, lets a batch gather, writes it.
    fn run_writer(&self, format: LogFormat) {
        let mut spare = Vec::with_capacity(64 * 1024);
        loop {
            {
                let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
                while pending.lines.is_empty() && pending.dropped == 0 {
                    pending = self.arrived.wait(pending).unwrap_or_else(PoisonError::into_inner);
                }
            }
            std::thread::sleep(BATCH_WINDOW);
            self.write_out(&mut spare, format);
        }
    }
}

/// The log buffer and format, once [`init`] has run.
static LOGS: OnceLock<(LogBuffer, LogFormat)> = OnceLock::new();

/// The [`MakeWriter`] behind the subscriber: each event is formatted into
/// its own buffer and appended to the log buffer when done.
#[derive(Clone, Copy)]
pub struct LogWriter {
    buffer: &'static LogBuffer,
}

/// One event's bytes, appended when the formatter is done with it.
pub struct QueuedLine {
    buf: Vec<u8>,
    buffer: &'static LogBuffer,
}

impl Write for QueuedLine {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for QueuedLine {
    fn drop(&mut self) {
        if !self.buf.is_empty() {
            self.buffer.append(&self.buf);
        }
    }
}

impl<'a> MakeWriter<'a> for LogWriter {
    type Writer = QueuedLine;

    fn make_writer(&'a self) -> Self::Writer {
        QueuedLine {
            buf: Vec::with_capacity(256),
            buffer: self.buffer,
        }
    }
}

/// Whether log lines are JSON and written by [`init`]'s writer thread.
pub fn json_lines_enabled() -> bool {
    matches!(LOGS.get(), Some((_, LogFormat::Json)))
}

/// Appends complete JSON log lines (each ending in `\n`), for lines formatted
/// by hand on hot paths (the access log). A no-op unless
/// [`json_lines_enabled`].
pub fn append_json_lines(lines: &[u8]) {
    if let Some((buffer, LogFormat::Json)) = LOGS.get() {
        buffer.append(lines);
    }
}

/// Appends `value` in decimal, zero-padded to `width` digits.
pub fn push_decimal(out: &mut Vec<u8>, value: u64, width: usize) {
    let mut digits = [0u8; 20];
    let mut n = value;
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        n /= 10;
        len += 1;
        if n == 0 {
            break;
        }
    }
    out.extend(std::iter::repeat_n(b'0', width.saturating_sub(len)));
    out.extend(digits[..len].iter().rev());
}

/// Appends the current time as tracing's JSON formatter writes it
/// (RFC 3339, UTC, microseconds: `2026-11-30T08:27:01.687145Z`).
pub fn write_timestamp(out: &mut Vec<u8>) {
    let now = time::OffsetDateTime::now_utc();
    push_decimal(out, now.year().max(0) as u64, 4);
    out.push(b'-');
    push_decimal(out, u8::from(now.month()) as u64, 2);
    out.push(b'-');
    push_decimal(out, now.day() as u64, 2);
    out.push(b'T');
    push_decimal(out, now.hour() as u64, 2);
    out.push(b':');
    push_decimal(out, now.minute() as u64, 2);
    out.push(b':');
    push_decimal(out, now.second() as u64, 2);
    out.push(b'.');
    push_decimal(out, now.microsecond() as u64, 6);
    out.push(b'Z');
}

/// Writes out every line logged so far when dropped (keep it until exit).
pub struct LogGuard;

impl LogGuard {
    /// Writes out every line logged so far.
    pub fn flush(&self) {
        if let Some((buffer, format)) = LOGS.get() {
            buffer.write_out(&mut Vec::new(), *format);
        }
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Installs the global subscriber and starts the writer thread. Call once,
/// at startup, and keep the guard until exit so that the last lines are
/// written.
pub fn init(format: LogFormat) -> Option<LogGuard> {
    if LOGS.set((LogBuffer::default(), format)).is_err() {
        eprintln!("logging was already initialised");
        return None;
    }
    let (buffer, _) = LOGS.get()?;
    let spawned = std::thread::Builder::new()
        .name("vault-log-writer".into())
        .spawn(move || buffer.run_writer(format));
    if let Err(e) = spawned {
        eprintln!("cannot start the log writer thread: {e}");
        return None;
    }
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(LogWriter { buffer });
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
    Some(LogGuard)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_zero_padded() {
        let mut out = Vec::new();
        push_decimal(&mut out, 7, 2);
        push_decimal(&mut out, 0, 1);
        push_decimal(&mut out, 123456, 6);
        push_decimal(&mut out, 42, 6);
        push_decimal(&mut out, 12345, 2);
        assert_eq!(out, b"07012345600004212345");
    }

    #[test]
    fn timestamps_have_the_formatters_shape() {
        let mut out = Vec::new();
        write_timestamp(&mut out);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.len(), "2026-11-30T08:27:01.687145Z".len(), "{text}");
        time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339).unwrap();
    }

    #[test]
    fn a_full_buffer_drops_and_counts_lines() {
        let buffer = LogBuffer::default();
        let line = vec![b'x'; 1000];
        for _ in 0..(MAX_PENDING_LOG_BYTES / 1000 + 5) {
            buffer.append(&line);
        }
        let pending = buffer.pending.lock().unwrap();
        assert!(pending.lines.len() <= MAX_PENDING_LOG_BYTES);
        assert_eq!(pending.dropped, 5);
    }
}
