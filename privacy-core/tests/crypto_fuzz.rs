//! Fuzz-style property tests: random damage to envelopes is always an error, never a panic
//! and never a wrong plaintext.

use privacy_core::crypto::{Aad, Keyring};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_byte_flips_never_open(
        plain in proptest::collection::vec(any::<u8>(), 0..200),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4),
    ) {
        let keyring = Keyring::in_memory();
        let aad = Aad::new("Account", "card", "42");
        let env = keyring.seal_bytes(&aad, &plain).unwrap();
        let mut bad = env.clone();
        for (at, mask) in &flips {
            bad[at.index(env.len())] ^= mask;
        }
        if bad != env {
            prop_assert!(keyring.open_bytes(&aad, &bad).is_err());
        }
        prop_assert_eq!(&keyring.open_bytes(&aad, &env).unwrap()[..], &plain[..]);
    }

    #[test]
    fn arbitrary_bytes_are_an_error_never_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
        let keyring = Keyring::in_memory();
        let aad = Aad::new("Account", "card", "42");
        keyring.seal_bytes(&aad, b"x").unwrap();
        prop_assert!(keyring.open_bytes(&aad, &bytes).is_err());
        let _ = privacy_core::crypto::key_id(&bytes);
    }
}
