//! The thread that keeps a keyring in step with a shared store: it applies other keyrings'
//! shreds to the cache (within the shred bound), fails closed when it cannot read the shred
//! log for a whole bound, flushes the seal counts and re-reads the blind-index keys.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

use crate::crypto::error::{Error, Result};
use crate::crypto::keys::cache::{nanos, Inner};
use crate::crypto::os::fork;

/// Starts the thread that applies the store's shred log to the cache of `inner`, from the
/// log's end: when a keyring is built, and in a child forked since (`forked`: its cache is
/// then dropped, as the shreds since the parent's last read are not in it, and its index keys
/// read again).
pub(super) fn start(inner: &Arc<Inner>, forked: bool) -> Result<()> {
    let started = inner.clocks.now();
    let (cursor, _) = inner.store.shreds_since(None)?;
    inner.forget_all()?;
    inner.log_read.mark(started);
    if forked {
        // Read again too; if that fails (the master key rotated since, say), making an index
        // reads them itself and reports why.
        let _ = inner.load_index_keys();
    }
    let weak = Arc::downgrade(inner);
    std::thread::Builder::new()
        .name("privacy-keyring-shreds".to_owned())
        .spawn(move || follow(&weak, cursor))
        .map_err(|_| Error::Store {
            message: "cannot start the thread that follows the shred log".to_owned(),
        })?;
    Ok(())
}

/// Drops what may be the last reference to `inner`, which closes the store: not during a
/// fork.
fn release(inner: Arc<Inner>) {
    fork::between_forks(move || drop(inner));
}

fn follow(weak: &Weak<Inner>, mut cursor: u64) {
    loop {
        let Some(inner) = weak.upgrade() else { return };
        if inner.closed.load(Ordering::Acquire) {
            release(inner);
            return;
        }
        let bound = inner.shred_bound();
        // Never in the middle of a fork (see `fork::between_forks`).
        fork::between_forks(|| {
            let started = inner.clocks.now();
            let applied = inner
                .store
                .shreds_since(Some(cursor))
                .and_then(|(next, subjects)| {
                    if !subjects.is_empty() {
                        inner.forget_shredded(&subjects)?;
                    }
                    Ok(next)
                });
            match applied {
                Ok(next) => {
                    cursor = next;
                    inner.log_read.mark(started);
                }
                Err(_) if !inner.log_read.within(&inner.clocks, nanos(bound)) => {
                    // Fail closed: without the log, no cached key may outlive a shred.
                    let _ = inner.forget_all();
                }
                Err(_) => {}
            }
            // Best effort: a failed flush is retried with the next one.
            let _ = inner.flush_seals();
            // Index keys rotated or retired elsewhere apply within the bound (re-read every half
            // bound; past a whole bound, making an index reads them itself).
            if !inner.index_read.within(&inner.clocks, nanos(bound / 2)) {
                let _ = inner.load_index_keys();
            }
        });
        let _ = inner.store.wait_for_change(bound / 10);
        release(inner);
    }
}
