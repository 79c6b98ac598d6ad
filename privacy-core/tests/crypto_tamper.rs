//! An attacker who can write to the database but holds no key edits the stored form of a
//! sealed record: both ways of opening (the tree of `Sealed::open`, the streamed
//! `Keyring::open_json`) refuse what was never sealed for its place.

use std::collections::BTreeMap;

use privacy_core::crypto::{Error, Keyring, Sealed};
use privacy_core::PersonalData;
use serde::{Deserialize, Serialize};

#[derive(PersonalData, Serialize, Deserialize, Clone)]
struct Device {
    #[personal(category = "device.id", encrypt)]
    serial: String,
}

#[derive(PersonalData, Serialize, Deserialize, Clone)]
#[personal(name = "Household")]
struct Household {
    #[personal(subject_id)]
    owner: String,
    #[personal(nested)]
    devices: BTreeMap<String, Device>,
}

#[derive(PersonalData, Serialize, Deserialize, Clone)]
struct Note {
    #[personal(subject_id)]
    user: String,
    #[personal(record_id)]
    id: u64,
    #[personal(category = "custom:note.text", encrypt)]
    text: String,
}

/// Opens `text` both ways; both must fail.
fn refused<T>(keyring: &Keyring, text: &str) -> (String, String)
where
    T: PersonalData + Serialize + serde::de::DeserializeOwned,
{
    let streamed = keyring.open_json::<T>(text).map(|_| ()).unwrap_err();
    let tree = serde_json::from_str::<Sealed<T>>(text)
        .map_err(|e| e.to_string())
        .and_then(|sealed| sealed.open(keyring).map(|_| ()).map_err(|e| e.to_string()))
        .unwrap_err();
    (streamed.to_string(), tree)
}

#[test]
fn a_plaintext_planted_after_a_sealed_map_entry_under_the_same_key_is_refused() {
    let keyring = Keyring::in_memory();
    let household = Household {
        owner: "u-1".into(),
        devices: BTreeMap::from([(
            "a".to_owned(),
            Device {
                serial: "SN-0042".into(),
            },
        )]),
    };
    let sealed = keyring.seal_json(&household).unwrap();
    let value: serde_json::Value = serde_json::from_str(&sealed).unwrap();
    let envelope = value["body"]["devices"]["a"]["serial"].as_str().unwrap();
    let entry = format!(r#""a":{{"serial":"{envelope}"}}"#);
    assert!(sealed.contains(&entry));
    let planted = sealed.replace(&entry, &format!(r#"{entry},"a":{{"serial":"ATTACKER"}}"#));
    let (streamed, tree) = refused::<Household>(&keyring, &planted);
    assert!(tree.contains("a key appears twice"), "{tree}");
    for message in [&streamed, &tree] {
        assert!(!message.contains("ATTACKER") && !message.contains("SN-0042"));
    }
    // Planted before the sealed entry too.
    let planted = sealed.replace(&entry, &format!(r#""a":{{"serial":"ATTACKER"}},{entry}"#));
    refused::<Household>(&keyring, &planted);
    // The untouched record opens both ways.
    assert_eq!(
        keyring.open_json::<Household>(&sealed).unwrap().devices["a"].serial,
        "SN-0042"
    );
}

#[test]
fn a_duplicated_top_level_field_is_refused() {
    let keyring = Keyring::in_memory();
    let note = Note {
        user: "u-1".into(),
        id: 1,
        text: "meet at noon".into(),
    };
    let sealed = keyring.seal_json(&note).unwrap();
    let planted = sealed.replace(r#""body":{"#, r#""body":{"text":"ATTACKER","#);
    assert_ne!(planted, sealed);
    refused::<Note>(&keyring, &planted);
}

#[test]
fn an_edited_record_id_does_not_open_another_records_envelopes() {
    let keyring = Keyring::in_memory();
    let note = Note {
        user: "u-1".into(),
        id: 1,
        text: "meet at noon".into(),
    };
    let sealed = keyring.seal_json(&note).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&sealed).unwrap();
    value["body"]["id"] = serde_json::json!(2);
    let edited = serde_json::to_string(&value).unwrap();
    let (streamed, tree) = refused::<Note>(&keyring, &edited);
    for message in [&streamed, &tree] {
        assert!(message.contains("record_id"), "{message}");
    }
    let opened = keyring.open_json::<Note>(&sealed).unwrap();
    assert_eq!((opened.id, opened.text.as_str()), (1, "meet at noon"));
    assert!(matches!(
        keyring.open_json::<Note>(&edited),
        Err(Error::RecordMismatch { .. })
    ));
}

mod evolved {
    use privacy_core::PersonalData;
    use serde::{Deserialize, Serialize};

    /// The same record as `super::Contact`, with the field's type since changed to an enum.
    #[derive(PersonalData, Serialize, Deserialize)]
    #[personal(name = "Contact")]
    pub struct Contact {
        #[personal(subject_id)]
        pub user: String,
        #[personal(
            category = "contact.email",
            encrypt,
            on_erase = "retain",
            legal_basis = "a test type: never erased"
        )]
        pub email: Kind,
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    pub enum Kind {
        Work,
        Home,
    }
}

#[derive(PersonalData, Serialize, Deserialize)]
struct Contact {
    #[personal(subject_id)]
    user: String,
    #[personal(category = "contact.email", encrypt)]
    email: String,
}

#[test]
fn a_decrypted_value_serde_refuses_is_never_quoted_in_the_error() {
    let keyring = Keyring::in_memory();
    let sealed = keyring
        .seal_json(&Contact {
            user: "u-1".into(),
            email: "maria.lopez@example.com".into(),
        })
        .unwrap();
    let (streamed, tree) = refused::<evolved::Contact>(&keyring, &sealed);
    for message in [&streamed, &tree] {
        assert!(!message.contains("maria"), "{message}");
    }
}
