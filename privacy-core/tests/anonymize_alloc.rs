//! `anonymize::ip` (and the other address functions) allocate nothing, counted by a global
//! allocator (one test function per binary: the count is process-wide).

use std::hint::black_box;
use std::net::{IpAddr, SocketAddr};

use privacy_core::anonymize::{ip, ip_with, socket_addr, IpMask, PrefixPreservingIp};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::allocations_during;

#[test]
fn ip_and_the_other_address_functions_do_not_allocate() {
    let inputs: Vec<IpAddr> = [
        "203.0.113.7",
        "2001:db8::1",
        "::ffff:10.0.0.1",
        "::",
        "255.255.255.255",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    let sock: SocketAddr = "[2001:db8::1]:443".parse().unwrap();
    let mask = IpMask::new(16, 32).unwrap();
    let pan = PrefixPreservingIp::new(&[7; 32]);

    let allocations = allocations_during(|| {
        for a in &inputs {
            for _ in 0..1000 {
                black_box(ip(black_box(*a)));
            }
        }
    });
    assert_eq!(allocations, 0, "ip() allocated");

    let allocations = allocations_during(|| {
        for a in &inputs {
            black_box(ip_with(black_box(*a), mask));
            black_box(pan.pseudonymize(black_box(*a)));
        }
        black_box(socket_addr(black_box(sock)));
    });
    assert_eq!(
        allocations, 0,
        "ip_with, socket_addr or PrefixPreservingIp allocated"
    );

    // Control: the counter does see an allocation.
    let allocations = allocations_during(|| {
        black_box(black_box(inputs[0]).to_string());
    });
    assert!(allocations > 0, "the counting allocator counts");
}
