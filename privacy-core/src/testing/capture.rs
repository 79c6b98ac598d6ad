//! Tracing capture: run code under a `tracing` subscriber that writes into a buffer.

use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use tracing_subscriber::fmt::MakeWriter;

/// Runs `f` under a capturing `tracing` subscriber and returns what it logged, as text.
///
/// The subscriber is `tracing_subscriber::fmt` at `TRACE` level, without ANSI colours and
/// without timestamps: events print as a real fmt layer would (`LEVEL target: message
/// field=value ...`, with the span context), so `?record` prints the record's `Debug` and
/// `%value` its `Display`. It is installed for the current thread only
/// ([`tracing::subscriber::with_default`]): events of threads `f` spawns are not captured.
///
/// ```
/// let logs = privacy_core::testing::capture_logs(|| tracing::info!(user = 7, "signed in"));
/// assert_eq!(logs, " INFO rust_out: signed in user=7\n");
/// ```
pub fn capture_logs(f: impl FnOnce()) -> String {
    capture_logs_with(f).1
}

/// [`capture_logs`] for a closure that returns a value: returns the value and the logs.
pub fn capture_logs_with<R>(f: impl FnOnce() -> R) -> (R, String) {
    let buffer = Buffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(buffer.clone())
        .with_ansi(false)
        .without_time()
        .with_max_level(tracing::Level::TRACE)
        .finish();
    let result = tracing::subscriber::with_default(subscriber, f);
    (result, buffer.text())
}

/// A shared, growable byte buffer the fmt layer writes into.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Buffer {
    fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl io::Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
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
