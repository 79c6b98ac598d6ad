//! `anonymize::ip` allocates nothing (counted by a global allocator).

use std::hint::black_box;
use std::net::IpAddr;

use privacy_core::anonymize::ip;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::allocations_during;

#[test]
fn ip_does_not_allocate() {
    let inputs: Vec<IpAddr> = ["203.0.113.7", "2001:db8::1", "::ffff:10.0.0.1"]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    let allocations = allocations_during(|| {
        for a in &inputs {
            for _ in 0..1000 {
                black_box(ip(black_box(*a)));
            }
        }
    });
    assert_eq!(allocations, 0, "ip() allocated");
}
