//! Fork detection without a system call per nonce: a process-wide fork generation that a
//! `pthread_atfork` child handler bumps in every child. And fork quiescence: a fork waits
//! until no keyring background thread is inside its work (see [`between_forks`]), so no lock
//! such a thread takes can be held in the child, where that thread does not exist.
//!
//! Registering the handlers is an FFI call, one of the crate's two `unsafe` uses. The child
//! handler only stores to atomics (async-signal-safe, as a child handler must be); the
//! prepare handler waits, with atomics and `nanosleep`, for background work in flight. They
//! are registered before the first nonce generator of the process exists, so no generator
//! state can be copied into a child the handler does not run in.
//!
//! Not covered: a child made with a raw `clone`/`fork` system call that bypasses libc (no
//! atfork handlers run). The generator also compares the process id whenever it refills its
//! buffer, which bounds what such a child can repeat to one buffer of nonces.
#![allow(unsafe_code)]

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Once;
use std::time::Duration;

static GENERATION: AtomicU64 = AtomicU64::new(0);
static REGISTER: Once = Once::new();
/// Set from a fork's prepare handler until it returns (in the parent and the child).
static FORKING: AtomicBool = AtomicBool::new(false);
/// Background work in flight (see [`between_forks`]).
static ACTIVE: AtomicUsize = AtomicUsize::new(0);

/// Runs `f`, a keyring background thread's work (store calls, cache updates, closing a
/// store), so that a `fork` never happens in the middle of it: a fork waits until `f`
/// returns, and while a fork is being prepared, `f` waits for it to happen first. The locks
/// `f` takes (the crate's, SQLite's, the allocator's) are then never held in a child, where
/// the thread that held them does not exist. User threads are not covered: fork while none of
/// them is inside a keyring call.
pub(crate) fn between_forks<R>(f: impl FnOnce() -> R) -> R {
    /// Ends the work, also if `f` unwinds.
    struct Done;
    impl Drop for Done {
        fn drop(&mut self) {
            ACTIVE.fetch_sub(1, Ordering::SeqCst);
        }
    }
    REGISTER.call_once(register);
    loop {
        ACTIVE.fetch_add(1, Ordering::SeqCst);
        let done = Done;
        if !FORKING.load(Ordering::SeqCst) {
            let out = f();
            drop(done);
            return out;
        }
        drop(done);
        std::thread::sleep(Duration::from_micros(100));
    }
}

/// `value` (a connection, say) if this process opened it, `opened_in` being the fork
/// generation then; `None` if it was inherited across a fork (see [`leave_to_parent`]).
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) fn ours<T>(value: T, opened_in: u64) -> Option<T> {
    if opened_in == generation() {
        Some(value)
    } else {
        leave_to_parent(value);
        None
    }
}

/// Leaves `value`, inherited across a fork, to the parent: a connection's socket or file is
/// the parent's too, and using or closing it here would act on the parent's session, so it
/// is leaked, never dropped.
#[cfg_attr(not(any(feature = "postgres", feature = "sqlite")), allow(dead_code))]
pub(crate) fn leave_to_parent<T>(value: T) {
    std::mem::forget(value);
}

/// How long a fork waits for background work in flight. Store calls take milliseconds; the
/// cap only matters if the forking thread itself holds a lock that work waits for (a key
/// wrapper that runs a command from inside a master-key rotation, say): its child then
/// `exec`s, and locks do not matter to it, so after the cap the fork goes ahead.
#[cfg(unix)]
const PREPARE_WAIT: Duration = Duration::from_secs(5);

/// The prepare handler: no new background work starts, and the work in flight ends (for up
/// to [`PREPARE_WAIT`]).
#[cfg(unix)]
extern "C" fn prepare() {
    FORKING.store(true, Ordering::SeqCst);
    let started = std::time::Instant::now();
    while ACTIVE.load(Ordering::SeqCst) != 0 && started.elapsed() < PREPARE_WAIT {
        std::thread::sleep(Duration::from_micros(100));
    }
}

/// The parent handler: background work may start again.
#[cfg(unix)]
extern "C" fn in_parent() {
    FORKING.store(false, Ordering::SeqCst);
}

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
        // The child has no background thread (yet): nothing is in flight.
        ACTIVE.store(0, Ordering::SeqCst);
        FORKING.store(false, Ordering::SeqCst);
    }
    // SAFETY: `pthread_atfork` only stores the function pointers; the three handlers are
    // plain `extern "C" fn`s that touch static atomics (and sleep) and never unwind.
    let status = unsafe { libc::pthread_atfork(Some(prepare), Some(in_parent), Some(in_child)) };
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
