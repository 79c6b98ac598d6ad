//! The process-wide pseudonymizer: without one the `pseudonym` anonymizer fails closed; once
//! installed it is used; installing another rotates the key. One test, because the
//! pseudonymizer is process-wide.

use privacy_core::anonymize::strategies;
use privacy_core::anonymize::{global_pseudonymizer, Anonymize, Pseudonymizer, REDACTED};

fn pseudonymize(value: &str) -> (String, bool) {
    let mut v = value.to_owned();
    let changed = Anonymize::<strategies::pseudonym>::anonymize(&mut v);
    (v, changed)
}

#[test]
fn pseudonym_fails_closed_then_uses_the_installed_key_then_the_rotated_one() {
    assert!(global_pseudonymizer().is_none());
    assert_eq!(pseudonymize("490154203237518"), (REDACTED.to_owned(), true));
    assert_eq!(pseudonymize(REDACTED), (REDACTED.to_owned(), false));

    let k1 = Pseudonymizer::new("k1", b"first key for the global test!!!").unwrap();
    let expected_k1 = k1.pseudonym("490154203237518");
    k1.install_global();
    assert_eq!(global_pseudonymizer().unwrap().key_id(), "k1");
    let (token, changed) = pseudonymize("490154203237518");
    assert_eq!((token.as_str(), changed), (expected_k1.as_str(), true));
    assert_eq!(pseudonymize(&token), (token.clone(), false), "idempotent");

    let k2 = Pseudonymizer::new("k2", b"second key for the global test!!").unwrap();
    let expected_k2 = k2.pseudonym("490154203237518");
    k2.install_global();
    assert_eq!(global_pseudonymizer().unwrap().key_id(), "k2");
    assert_eq!(pseudonymize("490154203237518"), (expected_k2, true));
    assert_eq!(
        pseudonymize(&token),
        (token.clone(), false),
        "tokens of the old key stay"
    );
}
