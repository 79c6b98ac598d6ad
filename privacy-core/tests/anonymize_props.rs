//! Property tests: IP truncation is idempotent and exact; pseudonyms are deterministic per key.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use privacy_core::anonymize::{ip, Pseudonymizer};
use proptest::prelude::*;

proptest! {
    #[test]
    fn ip_is_idempotent(v4 in any::<u32>(), v6 in any::<u128>()) {
        for a in [IpAddr::V4(Ipv4Addr::from(v4)), IpAddr::V6(Ipv6Addr::from(v6))] {
            prop_assert_eq!(ip(ip(a)), ip(a));
        }
    }

    #[test]
    fn ipv4_keeps_24_bits_and_zeroes_the_rest(v4 in any::<u32>()) {
        let IpAddr::V4(out) = ip(IpAddr::V4(Ipv4Addr::from(v4))) else { panic!("family changed") };
        let out = u32::from(out);
        prop_assert_eq!(out >> 8, v4 >> 8);
        prop_assert_eq!(out & 0xff, 0);
    }

    #[test]
    fn ipv6_keeps_48_bits_and_zeroes_the_rest(v6 in any::<u128>()) {
        let a = Ipv6Addr::from(v6);
        prop_assume!(a.to_ipv4_mapped().is_none());
        let IpAddr::V6(out) = ip(IpAddr::V6(a)) else { panic!("family changed") };
        let out = u128::from(out);
        prop_assert_eq!(out >> 80, v6 >> 80);
        prop_assert_eq!(out & ((1u128 << 80) - 1), 0);
    }

    #[test]
    fn pseudonyms_are_deterministic_per_key_and_differ_across_keys(
        input in ".{0,64}",
        k1 in prop::collection::vec(any::<u8>(), 16..48),
        k2 in prop::collection::vec(any::<u8>(), 16..48),
    ) {
        prop_assume!(k1 != k2);
        let a = Pseudonymizer::new("a", &k1).unwrap();
        let b = Pseudonymizer::new("a", &k2).unwrap();
        prop_assert_eq!(a.pseudonym(&input), a.pseudonym(&input));
        prop_assert_ne!(a.pseudonym(&input), b.pseudonym(&input));
    }
}
