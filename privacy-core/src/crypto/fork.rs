//! Fork detection without a system call per nonce: a process-wide fork generation that a
//! `pthread_atfork` child handler bumps in every child.
//!
//! This is the crate's only `unsafe` code: registering the handler is an FFI call. The handler
//! itself only increments an atomic (async-signal-safe, as a child handler must be). It is
//! registered before the first nonce generator of the process exists, so no generator state
//! can be copied into a child the handler does not run in.
//!
//! Not covered: a child made with a raw `clone`/`fork` system call that bypasses libc (no
//! atfork handlers run). The generator also compares the process id whenever it refills its
//! buffer, which bounds what such a child can repeat to one buffer of nonces.
#![allow(unsafe_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

static GENERATION: AtomicU64 = AtomicU64::new(0);
static REGISTER: Once = Once::new();

/// The fork generation of this process: it changes in a child after every `fork`.
///
/// Registers the handler on first use; if the registration fails, [`needs_pid_check`] says
/// so and callers compare process ids instead (correct, only slower).
pub(crate) fn generation() -> u64 {
    REGISTER.call_once(register);
    GENERATION.load(Ordering::Acquire)
}

#[cfg(unix)]
fn register() {
    extern "C" fn in_child() {
        GENERATION.fetch_add(1, Ordering::AcqRel);
    }
    // SAFETY: `pthread_atfork` only stores the function pointers; `in_child` is a plain
    // `extern "C" fn` that touches one static atomic and never unwinds.
    let status = unsafe { libc::pthread_atfork(None, None, Some(in_child)) };
    if status != 0 {
        // Fall back to comparing process ids on every draw.
        FAILED.store(true, Ordering::Release);
    }
}

#[cfg(not(unix))]
fn register() {}

static FAILED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether fork detection must fall back to comparing process ids on every draw (the handler
/// could not be registered, or the platform has no `pthread_atfork`).
pub(crate) fn needs_pid_check() -> bool {
    !cfg!(unix) || FAILED.load(Ordering::Acquire)
}
