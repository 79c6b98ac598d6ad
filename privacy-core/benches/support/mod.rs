//! Shared by the benches: a same-run comparison that prints the ratio of two timings.
//!
//! Criterion measures each function on its own; the ratio the README reports is computed
//! here by interleaving the two functions in rounds (so both see the same machine state) and
//! comparing the medians of their per-iteration times.
#![allow(dead_code)]

use std::hint::black_box;
use std::time::{Duration, Instant};

/// Times `subject` against `baseline` and prints `name: subject / baseline = ratio`.
///
/// Returns the ratio (subject time divided by baseline time; below 1.0 means faster).
pub fn ratio<A, B, RA, RB>(name: &str, subject: A, baseline: B) -> f64
where
    A: FnMut() -> RA,
    B: FnMut() -> RB,
{
    let (ma, mb) = compare(name, ROUNDS, subject, baseline);
    ma / mb
}

/// [`ratio`] in `rounds` rounds (fewer for calls that take seconds), returning the median
/// times per call of the subject and the baseline, in nanoseconds.
pub fn compare<A, B, RA, RB>(
    name: &str,
    rounds: usize,
    mut subject: A,
    mut baseline: B,
) -> (f64, f64)
where
    A: FnMut() -> RA,
    B: FnMut() -> RB,
{
    let iters = calibrate(&mut subject);
    let mut a = Vec::with_capacity(rounds);
    let mut b = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        a.push(time(&mut subject, iters));
        b.push(time(&mut baseline, iters));
    }
    let (ma, mb) = (median(&mut a), median(&mut b));
    let r = ma / mb;
    println!("ratio {name}: {ma:.1} ns / {mb:.1} ns = {r:.2}x");
    (ma, mb)
}

const ROUNDS: usize = 21;

fn calibrate<A: FnMut() -> R, R>(f: &mut A) -> u64 {
    let mut iters = 1u64;
    loop {
        let start = Instant::now();
        for _ in 0..iters {
            black_box(f());
        }
        if start.elapsed() > Duration::from_millis(20) || iters >= 1 << 30 {
            return iters;
        }
        iters *= 2;
    }
}

fn time<A: FnMut() -> R, R>(f: &mut A, iters: u64) -> f64 {
    let start = Instant::now();
    for _ in 0..iters {
        black_box(f());
    }
    #[allow(clippy::cast_precision_loss)]
    let per = start.elapsed().as_nanos() as f64 / iters as f64;
    per
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
