//! Fuzz-style property tests of sealed records: random damage to the sealed JSON text is an
//! error or a record whose encrypted values are exactly the sealed ones (the unencrypted part
//! is not authenticated, so it may change), never a panic and never another encrypted value;
//! and the streamed and tree readers agree on every damaged text.

use privacy_core::crypto::{Keyring, Sealed};
use privacy_core::PersonalData;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(PersonalData, Serialize, Deserialize, PartialEq, Clone)]
#[serde(rename_all = "camelCase")]
struct Account {
    #[personal(subject_id)]
    id: String,
    #[personal(category = "financial.card_number", encrypt)]
    card_number: String,
    #[personal(category = "contact.email", encrypt, blind_index)]
    emails: Vec<String>,
    #[personal(category = "contact.phone", encrypt)]
    #[serde(skip_serializing_if = "Option::is_none", default)]
    phone: Option<String>,
    #[personal(not_personal)]
    plan: String,
}

fn account() -> Account {
    Account {
        id: "acct-1".into(),
        card_number: "4111111111111111".into(),
        emails: vec!["ada@example.com".into(), "ada@work.test".into()],
        phone: Some("+15550001111".into()),
        plan: "pro".into(),
    }
}

/// The encrypted values of a record, to compare.
fn encrypted(a: &Account) -> (&str, &[String], Option<&str>) {
    (&a.card_number, &a.emails, a.phone.as_deref())
}

/// Opens `text` streamed and through the tree: both agree (the same record, or both fail),
/// and a record that opens holds exactly the sealed encrypted values.
fn check(keyring: &Keyring, text: &str) -> Result<(), TestCaseError> {
    let original = account();
    let streamed = keyring.open_json::<Account>(text);
    let tree = serde_json::from_str::<Sealed<Account>>(text)
        .map_err(|_| ())
        .and_then(|s| s.open(keyring).map_err(|_| ()));
    match (&streamed, &tree) {
        (Ok(a), Ok(b)) => {
            prop_assert!(a == b, "the two readers opened different records");
            prop_assert_eq!(encrypted(a), encrypted(&original));
        }
        (Ok(a), Err(())) => {
            // The tree reader is stricter about the container (it parses `Sealed` first);
            // whatever the stream accepts must still be the sealed encrypted values.
            prop_assert_eq!(encrypted(a), encrypted(&original));
        }
        (Err(_), Ok(b)) => prop_assert!(false, "only the tree opened it: {:?}", encrypted(b)),
        (Err(_), Err(())) => {}
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(384))]

    #[test]
    fn damaged_sealed_json_never_opens_to_other_encrypted_values(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in proptest::option::of(any::<prop::sample::Index>()),
    ) {
        let keyring = Keyring::in_memory();
        let text = keyring.seal_json(&account()).unwrap();
        let mut bytes = text.clone().into_bytes();
        for (at, byte) in &flips {
            let i = at.index(bytes.len());
            // Printable ASCII keeps most damage inside the JSON grammar, where it matters.
            bytes[i] = b' ' + byte % 95;
        }
        if let Some(at) = cut {
            bytes.truncate(at.index(bytes.len()));
        }
        if let Ok(damaged) = String::from_utf8(bytes) {
            check(&keyring, &damaged)?;
        }
        check(&keyring, &text)?;
    }
}

#[test]
fn an_undamaged_record_opens_both_ways() {
    let keyring = Keyring::in_memory();
    let text = keyring.seal_json(&account()).unwrap();
    assert!(keyring.open_json::<Account>(&text).unwrap() == account());
    let sealed: Sealed<Account> = serde_json::from_str(&text).unwrap();
    assert!(sealed.open(&keyring).unwrap() == account());
}
