//! Tracing capture: see what the code under test logs, whatever thread or task emits it.
//!
//! Two pieces work together:
//! - [`CaptureWriter`], a [`MakeWriter`] that copies every byte written to it into every
//!   [`LogCapture`] active at that moment. A service installs it into its own subscriber
//!   (JSON or text, any format), so a test sees exactly the bytes the service writes.
//! - [`LogCapture`], a guard: from [`start`](LogCapture::start) until it is dropped, it
//!   receives everything written to a `CaptureWriter`, from any thread. When the process has
//!   no global `tracing` subscriber yet, `start` installs one (fmt, `TRACE`, writing to
//!   `CaptureWriter`), so events of spawned threads and runtime workers are captured too.
//!
//! Several captures active at once (parallel tests) each receive every event of every thread:
//! a test may see another test's events (over-reporting), never miss its own.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use tracing_subscriber::fmt::MakeWriter;

/// Runs `f` under a capturing `tracing` subscriber and returns what it logged, as text:
/// the events of `f`'s own thread and of every other thread (spawned threads, async runtime
/// workers, server handlers) while `f` runs.
///
/// Events of the calling thread are formatted by `tracing_subscriber::fmt` at `TRACE` level,
/// without ANSI colours and without timestamps (`LEVEL target: message field=value ...`, with
/// the span context), so `?record` prints the record's `Debug` and `%value` its `Display`.
/// Events of other threads go to the process's global subscriber and are captured through
/// [`CaptureWriter`]: the one [`LogCapture::start`] installs (same format) when there was
/// none, or the service's own when it writes to a `CaptureWriter`. A global subscriber that
/// writes elsewhere is not seen: install the service's subscriber with `CaptureWriter`.
///
/// While other captures run in parallel (tests of one binary), their threads' events may
/// appear here too.
///
/// ```
/// let logs = privacy_core::testing::capture_logs(|| tracing::info!(user = 7, "signed in"));
/// assert_eq!(logs, " INFO rust_out: signed in user=7\n");
///
/// let logs = privacy_core::testing::capture_logs(|| {
///     std::thread::spawn(|| tracing::warn!("from a worker")).join().ok();
/// });
/// assert!(logs.contains("from a worker"));
/// ```
pub fn capture_logs(f: impl FnOnce()) -> String {
    capture_logs_with(f).1
}

/// [`capture_logs`] for a closure that returns a value: returns the value and the logs.
pub fn capture_logs_with<R>(f: impl FnOnce() -> R) -> (R, String) {
    let capture = LogCapture::start();
    // The calling thread's events go to this capture only: a parallel test on another thread
    // has no business with them.
    let local = fmt_subscriber(capture.buffer.clone());
    let result = tracing::subscriber::with_default(local, f);
    (result, capture.text())
}

/// A capture of everything written to [`CaptureWriter`] from [`start`](LogCapture::start)
/// until it is dropped, from every thread.
///
/// ```
/// use privacy_core::testing::LogCapture;
///
/// let capture = LogCapture::start();
/// std::thread::spawn(|| tracing::info!(job = 3, "done")).join().ok();
/// assert!(capture.text().contains("done job=3"));
/// ```
///
/// A service with its own subscriber makes it write to [`CaptureWriter`] (alone, or beside
/// its usual output with `MakeWriterExt::and`), installed *before* the first capture
/// starts, and the capture holds the service's own bytes, JSON included:
///
/// ```
/// use privacy_core::testing::{CaptureWriter, LogCapture};
///
/// let subscriber = tracing_subscriber::fmt().with_writer(CaptureWriter).finish();
/// let _ = tracing::subscriber::set_global_default(subscriber);
/// let capture = LogCapture::start();
/// std::thread::spawn(|| tracing::info!(order = 9, "shipped")).join().ok();
/// assert!(capture.text().contains("shipped order=9"));
/// assert!(!LogCapture::installed_global_subscriber());
/// ```
pub struct LogCapture {
    id: u64,
    buffer: Buffer,
}

impl LogCapture {
    /// Starts capturing. When the process has no global `tracing` subscriber, installs one
    /// that formats every event (`TRACE` and up) as [`capture_logs`] does and writes it to
    /// [`CaptureWriter`]; it stays for the life of the process.
    pub fn start() -> LogCapture {
        install_global_subscriber();
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let buffer = Buffer::default();
        lock(&ACTIVE).push((id, buffer.clone()));
        LogCapture { id, buffer }
    }

    /// Everything captured so far, as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        self.buffer.text()
    }

    /// Whether the process-wide subscriber is the one [`start`](LogCapture::start)
    /// installs. `false` means another global subscriber was installed first: only what it
    /// writes to [`CaptureWriter`] is captured from other threads.
    pub fn installed_global_subscriber() -> bool {
        GLOBAL.get().copied().unwrap_or(false)
    }
}

impl Drop for LogCapture {
    fn drop(&mut self) {
        lock(&ACTIVE).retain(|(id, _)| *id != self.id);
    }
}

impl core::fmt::Debug for LogCapture {
    /// The capture's size, not its text (which may hold what a test is about to find).
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("LogCapture")
            .field("id", &self.id)
            .field("bytes", &lock(&self.buffer.0).len())
            .finish_non_exhaustive()
    }
}

/// A [`MakeWriter`] (and [`io::Write`]) that copies what it is given into every active
/// [`LogCapture`]; with none active, the bytes are dropped. Install it into the `tracing`
/// subscriber of the code under test:
///
/// ```
/// use privacy_core::testing::CaptureWriter;
/// use tracing_subscriber::fmt::writer::MakeWriterExt;
///
/// // Only into captures (a test), or also to stderr as usual.
/// let quiet = tracing_subscriber::fmt().with_writer(CaptureWriter).finish();
/// let both = tracing_subscriber::fmt().with_writer(CaptureWriter.and(std::io::stderr)).finish();
/// # drop((quiet, both));
/// ```
///
/// Each event of a `tracing_subscriber::fmt` layer arrives as one write, so lines of events
/// of several threads never interleave.
#[derive(Debug, Clone, Copy, Default)]
#[allow(clippy::exhaustive_structs)] // a plain value users (or generated code) build
pub struct CaptureWriter;

impl io::Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        for (_, buffer) in lock(&ACTIVE).iter() {
            lock(&buffer.0).extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for CaptureWriter {
    type Writer = CaptureWriter;

    fn make_writer(&'a self) -> CaptureWriter {
        CaptureWriter
    }
}

/// The captures active now, each with its id.
static ACTIVE: Mutex<Vec<(u64, Buffer)>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(0);
/// Whether the global subscriber is ours; set on the first [`LogCapture::start`].
static GLOBAL: OnceLock<bool> = OnceLock::new();

fn install_global_subscriber() {
    GLOBAL.get_or_init(|| {
        tracing::subscriber::set_global_default(fmt_subscriber(CaptureWriter)).is_ok()
    });
}

/// The fixed text format of [`capture_logs`].
fn fmt_subscriber<W>(writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .without_time()
        .with_max_level(tracing::Level::TRACE)
        .finish()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A shared, growable byte buffer a fmt layer writes into.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Buffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&lock(&self.0)).into_owned()
    }
}

impl io::Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        lock(&self.0).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Buffer {
    type Writer = Buffer;

    fn make_writer(&'a self) -> Buffer {
        self.clone()
    }
}
