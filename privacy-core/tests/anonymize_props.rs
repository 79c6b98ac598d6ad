//! Property tests: IP truncation is idempotent and exact for every prefix length; text
//! anonymizers are idempotent and never return unrecognised input; pseudonyms are
//! deterministic per key and differ across keys.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use privacy_core::anonymize::{
    card_bin_last4, card_last4, email, initials, ip, ip_str, ip_with, phone, IpMask,
    PrefixPreservingIp, Pseudonymizer, MASKED,
};
use proptest::prelude::*;

fn any_ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<u32>().prop_map(|v| IpAddr::V4(Ipv4Addr::from(v))),
        any::<u128>().prop_map(|v| IpAddr::V6(Ipv6Addr::from(v))),
        any::<u32>().prop_map(|v| IpAddr::V6(Ipv4Addr::from(v).to_ipv6_mapped())),
    ]
}

/// The address as bits and its width; an IPv4-mapped address counts as its IPv4 address.
fn bits(a: IpAddr) -> (u128, u32) {
    match a {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => (u128::from(u32::from(v4)), 32),
            None => (u128::from(v6), 128),
        },
    }
}

fn check_prefix(input: IpAddr, out: IpAddr, v4: u8, v6: u8) -> Result<(), TestCaseError> {
    prop_assert_eq!(input.is_ipv4(), out.is_ipv4(), "family changed");
    let ((a, width), (b, _)) = (bits(input), bits(out));
    let kept = u32::from(if width == 32 { v4 } else { v6 });
    let host = width - kept;
    let host_mask = if host == 128 {
        u128::MAX
    } else {
        (1u128 << host) - 1
    };
    prop_assert_eq!(a & !host_mask, b & !host_mask, "kept prefix differs");
    prop_assert_eq!(b & host_mask, 0, "host bits not zero");
    Ok(())
}

proptest! {
    #[test]
    fn ip_is_idempotent(a in any_ip()) {
        prop_assert_eq!(ip(ip(a)), ip(a));
    }

    #[test]
    fn ip_keeps_24_or_48_bits_and_zeroes_the_rest(a in any_ip()) {
        check_prefix(a, ip(a), 24, 48)?;
    }

    #[test]
    fn ip_with_keeps_exactly_the_prefix_and_is_idempotent(
        a in any_ip(), v4 in 0u8..=32, v6 in 0u8..=128,
    ) {
        let mask = IpMask::new(v4, v6).unwrap();
        let out = ip_with(a, mask);
        check_prefix(a, out, v4, v6)?;
        prop_assert_eq!(ip_with(out, mask), out);
    }

    #[test]
    fn ip_mask_refuses_every_out_of_range_length(v4 in 33u8.., v6 in 129u8..) {
        prop_assert!(IpMask::new(v4, 48).is_err());
        prop_assert!(IpMask::new(24, v6).is_err());
    }

    #[test]
    fn ip_str_agrees_with_ip_on_printed_addresses(a in any_ip()) {
        prop_assert_eq!(ip_str(&a.to_string()), Ok(ip(a).to_string()));
    }

    #[test]
    fn text_anonymizers_are_idempotent_and_never_echo_unrecognised_text(text in "\\PC{0,40}") {
        for f in [email, phone, card_last4, card_bin_last4, initials] {
            let once = f(&text);
            prop_assert_eq!(f(&once), once.clone());
        }
        if !text.contains('@') {
            prop_assert_eq!(email(&text), MASKED);
        }
        if !text.trim_start().starts_with('+') {
            prop_assert_eq!(phone(&text), MASKED);
        }
    }

    #[test]
    fn pseudonyms_are_deterministic_per_key_and_differ_across_keys(
        input in "\\PC{0,64}",
        other in "\\PC{0,64}",
        k1 in any::<[u8; 32]>(),
        k2 in any::<[u8; 32]>(),
    ) {
        prop_assume!(k1 != k2);
        let a = Pseudonymizer::new("a", &k1).unwrap();
        let b = Pseudonymizer::new("a", &k2).unwrap();
        let token = a.pseudonym(&input);
        prop_assert_eq!(&token, &a.pseudonym(&input));
        prop_assert_eq!(&token, &Pseudonymizer::new("a", &k1).unwrap().pseudonym(&input));
        prop_assert_ne!(&token, &b.pseudonym(&input));
        if input != other {
            prop_assert_ne!(&token, &a.pseudonym(&other));
        }
        prop_assert!(Pseudonymizer::is_token(&token));
    }

    #[test]
    fn prefix_preserving_pseudonyms_share_exactly_the_prefix_the_inputs_share(
        key in any::<[u8; 32]>(), a in any_ip(), b in any_ip(),
    ) {
        prop_assume!(bits(a).1 == bits(b).1);
        let pan = PrefixPreservingIp::new(&key);
        let (pa, pb) = (pan.pseudonymize(a), pan.pseudonymize(b));
        prop_assert_eq!(pa.is_ipv4(), a.is_ipv4());
        let common = |x: IpAddr, y: IpAddr| (bits(x).0 ^ bits(y).0).leading_zeros();
        prop_assert_eq!(common(pa, pb), common(a, b));
        prop_assert_eq!(pan.pseudonymize(a), pa);
    }
}
