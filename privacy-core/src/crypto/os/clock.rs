//! The clock of the shred-bound check that every seal and open of a keyring over a shared
//! store makes: the kernel's coarse monotonic clock where there is one (Linux), a few
//! nanoseconds a read, against about 20 for [`std::time::Instant`].
//!
//! The coarse clock is the monotonic clock as of the kernel's last timer tick: it lags the
//! precise one by less than its resolution and never runs ahead of it. A check made with it
//! therefore subtracts its resolution (twice, for slack) from the bound (see `last_read`),
//! and falls back to [`std::time::Instant`] when that leaves nothing.
//!
//! Reading it is an FFI call (`clock_gettime`), the crate's second audited `unsafe` use.
#![allow(unsafe_code)]

/// The coarse clock, in nanoseconds since an unspecified start; `None` where the platform has
/// none (callers use [`std::time::Instant`] then).
#[cfg(any(target_os = "linux", target_os = "android"))]
#[inline]
pub(crate) fn coarse_now() -> Option<u64> {
    read(libc::CLOCK_MONOTONIC_COARSE, false)
}

/// The resolution of [`coarse_now`] in nanoseconds (one timer tick, e.g. 4 ms at 250 Hz).
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn coarse_resolution() -> Option<u64> {
    read(libc::CLOCK_MONOTONIC_COARSE, true)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
#[inline]
fn read(clock: libc::clockid_t, resolution: bool) -> Option<u64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable `timespec` for the duration of the call, which only
    // writes it; `clock` is a clock id the platform defines.
    let status = unsafe {
        if resolution {
            libc::clock_getres(clock, &raw mut ts)
        } else {
            libc::clock_gettime(clock, &raw mut ts)
        }
    };
    if status != 0 {
        return None;
    }
    let secs = u64::try_from(ts.tv_sec).ok()?;
    let nanos = u64::try_from(ts.tv_nsec).ok()?;
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

/// No coarse clock on this platform.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
#[inline]
pub(crate) fn coarse_now() -> Option<u64> {
    None
}

/// No coarse clock on this platform.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn coarse_resolution() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_coarse_clock_moves_forward_and_never_runs_ahead_of_instant() {
        // `start` before `first`, and `elapsed` after `later`: the real time between the two
        // readings is at most `elapsed`, however the thread is scheduled.
        let start = std::time::Instant::now();
        let (Some(first), Some(resolution)) = (coarse_now(), coarse_resolution()) else {
            return;
        };
        assert!(
            resolution > 0 && resolution <= 100_000_000,
            "{resolution} ns"
        );
        std::thread::sleep(std::time::Duration::from_nanos(resolution * 3));
        let later = coarse_now().unwrap();
        let elapsed = u64::try_from(start.elapsed().as_nanos()).unwrap();
        assert!(later > first);
        // Less than the real time that passed, plus the lag `first` had.
        assert!(later - first <= elapsed + resolution);
    }
}
