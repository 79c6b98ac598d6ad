//! When a keyring last read something of a shared store (its shred log, its blind-index
//! keys), and whether that read is recent enough for what it cached to be used: the check
//! behind the shred bound, made on every seal and open, so it must cost a few nanoseconds.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::crypto::os::clock;

/// The clocks a keyring times its reads with: `Instant` since the keyring was built, and the
/// coarse clock (see [`clock`]) with twice its resolution as the margin of the cheap check.
pub(super) struct Clocks {
    born: Instant,
    /// Twice the coarse clock's resolution (it lags by less than one tick; the second is
    /// slack for the kernel updating it late after an idle period); `u64::MAX` without one
    /// (only `Instant` then decides).
    margin: u64,
}

/// An instant on both clocks of [`Clocks`].
#[derive(Clone, Copy)]
pub(super) struct Stamp {
    precise: u64,
    coarse: u64,
}

impl Clocks {
    pub(super) fn new() -> Clocks {
        Clocks {
            born: Instant::now(),
            margin: clock::coarse_resolution().map_or(u64::MAX, |tick| tick.saturating_mul(2)),
        }
    }

    /// Now, on both clocks: taken before a read starts.
    pub(super) fn now(&self) -> Stamp {
        Stamp {
            precise: self.precise(),
            coarse: clock::coarse_now().unwrap_or(0),
        }
    }

    fn precise(&self) -> u64 {
        u64::try_from(self.born.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// When the last read that was applied started.
pub(super) struct LastRead {
    precise: AtomicU64,
    coarse: AtomicU64,
}

impl LastRead {
    /// A read that started at `at`.
    pub(super) fn new(at: Stamp) -> LastRead {
        LastRead {
            precise: AtomicU64::new(at.precise),
            coarse: AtomicU64::new(at.coarse),
        }
    }

    /// Records that a read started at `at` was applied (an older one changes nothing).
    pub(super) fn mark(&self, at: Stamp) {
        self.precise.fetch_max(at.precise, Ordering::AcqRel);
        self.coarse.fetch_max(at.coarse, Ordering::AcqRel);
    }

    /// Whether the last applied read started less than `bound` nanoseconds ago.
    ///
    /// The coarse clock decides first, with two of its ticks taken off the bound: it lags real
    /// time by less than one and never runs ahead, so a read it finds recent enough is. Only
    /// near the bound, or without a coarse clock, does `Instant` decide.
    #[inline]
    pub(super) fn within(&self, clocks: &Clocks, bound: u64) -> bool {
        if let Some(coarse) = clock::coarse_now() {
            let age = coarse.saturating_sub(self.coarse.load(Ordering::Acquire));
            if age.saturating_add(clocks.margin) < bound {
                return true;
            }
        }
        clocks
            .precise()
            .saturating_sub(self.precise.load(Ordering::Acquire))
            < bound
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_read_is_recent_for_a_bound_and_a_late_older_read_changes_nothing() {
        // Clocks started 10 s ago, so that stamps in the past exist without sleeping (a test
        // that sleeps and then expects "recent" fails on a loaded machine).
        let clocks = Clocks {
            born: Instant::now()
                .checked_sub(Duration::from_secs(10))
                .unwrap_or_else(Instant::now),
            ..Clocks::new()
        };
        let bound = 1_000_000_000; // 1 s
        let now = clocks.now();
        let ago = |nanos: u64| Stamp {
            precise: now.precise.saturating_sub(nanos),
            coarse: now.coarse.saturating_sub(nanos),
        };
        if now.precise < 3 * bound {
            return; // the clock cannot go back far enough here
        }
        assert!(!LastRead::new(ago(2 * bound)).within(&clocks, bound));
        assert!(!LastRead::new(ago(bound + 1_000_000)).within(&clocks, bound));
        let read = LastRead::new(ago(2 * bound));
        read.mark(clocks.now());
        assert!(read.within(&clocks, bound), "just read");
        read.mark(ago(2 * bound));
        assert!(
            read.within(&clocks, bound),
            "an older read does not move it back"
        );
    }
}
