//! `anonymize::ip` allocates nothing (counted by a global allocator).
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};

use privacy_core::anonymize::ip;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator and only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn ip_does_not_allocate() {
    let inputs: Vec<IpAddr> = ["203.0.113.7", "2001:db8::1", "::ffff:10.0.0.1"]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    for a in &inputs {
        for _ in 0..1000 {
            black_box(ip(black_box(*a)));
        }
    }
    assert_eq!(ALLOCATIONS.load(Ordering::SeqCst) - before, 0);
}
