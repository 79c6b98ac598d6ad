//! Encryption at rest: round trips, tampering, shredding, rotation, persistence, concurrency.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine as _;
use privacy_core::__private::layout::INDEX_KEY_VERSION;
use privacy_core::crypto::{Aad, DataKeyState, Error, KeyStore, Keyring, MasterKey, Sealed};
use privacy_core::PersonalData;
use serde::{Deserialize, Serialize};

#[derive(PersonalData, Serialize, Deserialize, Clone, PartialEq)]
struct Device {
    #[personal(category = "device.id", encrypt)]
    serial: String,
    #[personal(not_personal)]
    model: String,
}

#[derive(PersonalData, Serialize, Deserialize, Clone, PartialEq)]
#[personal(subject = "customer")]
struct Account {
    #[personal(subject_id)]
    id: u64,
    #[personal(category = "contact.email", encrypt, blind_index)]
    email: String,
    #[personal(category = "financial.card_number", encrypt)]
    card: String,
    #[personal(
        category = "device.ip_address",
        encrypt,
        anonymize = "ip",
        on_erase = "anonymize"
    )]
    ip: IpAddr,
    #[personal(
        category = "demographic.age",
        encrypt,
        on_erase = "retain",
        legal_basis = "test"
    )]
    age: u32,
    #[personal(category = "location.precise", encrypt)]
    position: Option<(f64, f64)>,
    #[personal(category = "contact.phone", encrypt)]
    phones: Vec<String>,
    #[personal(category = "identity.name")]
    name: String,
    #[personal(nested)]
    devices: Vec<Device>,
    #[personal(nested)]
    main_device: Option<Device>,
    #[personal(not_personal)]
    plan: String,
}

#[derive(PersonalData, Serialize, Deserialize, Clone, PartialEq)]
struct Pair(
    #[personal(subject_id)] String,
    #[personal(category = "contact.email", encrypt)] String,
);

#[derive(PersonalData, Serialize, Deserialize, Clone, PartialEq)]
struct Secret(#[personal(category = "account.password", encrypt)] String);

#[derive(PersonalData, Serialize, Deserialize, Clone, PartialEq)]
struct Payment {
    #[personal(subject_id)]
    id: u64,
    #[personal(category = "financial.card_number", encrypt)]
    card: String,
    #[personal(category = "financial.card_security_code", retention = "transient")]
    cvc: Option<String>,
    #[personal(collected_at)]
    at: Option<std::time::SystemTime>,
}

fn account(id: u64) -> Account {
    Account {
        id,
        email: format!("person{id}@example.com"),
        card: "4111111111111111".to_owned(),
        ip: "203.0.113.77".parse().unwrap(),
        age: 37,
        position: Some((52.520_008, 13.404_954)),
        phones: vec!["+4915112345678".to_owned(), "+4930901820".to_owned()],
        name: "Ada Lovelace".to_owned(),
        devices: vec![
            Device {
                serial: "SN-AAAA-1111".to_owned(),
                model: "phone".to_owned(),
            },
            Device {
                serial: "SN-BBBB-2222".to_owned(),
                model: "tablet".to_owned(),
            },
        ],
        main_device: Some(Device {
            serial: "SN-CCCC-3333".to_owned(),
            model: "laptop".to_owned(),
        }),
        plan: "pro".to_owned(),
    }
}

/// A unique temporary directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "privacy-crypto-{name}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn db(&self) -> PathBuf {
        self.0.join("keys.sqlite")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn master(byte: u8) -> MasterKey {
    MasterKey::from_bytes([byte; 32])
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

#[test]
fn every_supported_field_type_round_trips() {
    let keyring = Keyring::in_memory();
    let a = account(42);
    let sealed = keyring.seal(&a).unwrap();
    let json = serde_json::to_string(&sealed).unwrap();
    let back: Sealed<Account> = serde_json::from_str(&json).unwrap();
    assert_eq!(back.open(&keyring).unwrap(), a);

    let mut none = account(43);
    none.position = None;
    none.main_device = None;
    none.devices.clear();
    none.phones.clear();
    assert_eq!(keyring.seal(&none).unwrap().open(&keyring).unwrap(), none);

    let pair = Pair("7".to_owned(), "pair@example.com".to_owned());
    let sealed = keyring.seal(&pair).unwrap();
    assert!(sealed.body()[1].is_string());
    assert_eq!(sealed.body()[0], "7");
    assert_eq!(sealed.open(&keyring).unwrap(), pair);
}

#[test]
fn sealed_json_contains_no_raw_value_of_an_encrypted_field() {
    let keyring = Keyring::in_memory();
    let a = account(42);
    let json = serde_json::to_string(&keyring.seal(&a).unwrap()).unwrap();
    for raw in [
        "person42@example.com",
        "4111111111111111",
        "203.0.113.77",
        "52.520008",
        "+4915112345678",
        "+4930901820",
        "SN-AAAA-1111",
        "SN-BBBB-2222",
        "SN-CCCC-3333",
    ] {
        assert!(!json.contains(raw), "{raw} in sealed json");
    }
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["type"], "Account");
    assert_eq!(value["subject"], "42");
    assert_eq!(value["body"]["name"], "Ada Lovelace");
    assert_eq!(value["body"]["plan"], "pro");
    assert_eq!(value["body"]["devices"][1]["model"], "tablet");
    assert!(value["body"]["age"].is_string());
    assert_eq!(
        value["blind_index"]["email"][0],
        keyring
            .blind_index("Account", "email", "person42@example.com")
            .unwrap()
    );
    assert!(
        value["body"]["email"].is_string(),
        "the envelope sits where serde wrote the email"
    );
}

#[test]
fn a_newtype_record_is_sealed_whole_and_needs_a_subject() {
    let keyring = Keyring::in_memory();
    assert_eq!(
        keyring.seal(&Secret("hunter2".to_owned())).unwrap_err(),
        Error::MissingSubject { record: "Secret" }
    );
}

#[test]
fn a_transient_field_with_a_value_is_never_sealed() {
    let keyring = Keyring::in_memory();
    let mut p = Payment {
        id: 1,
        card: "4111111111111111".to_owned(),
        cvc: Some("123".to_owned()),
        at: None,
    };
    let err = keyring.seal(&p).unwrap_err();
    assert_eq!(
        err,
        Error::TransientField {
            record: "Payment",
            field: "cvc"
        }
    );
    assert_eq!(
        err.to_string(),
        "Payment.cvc is transient and holds a value: transient data is never sealed"
    );
    p.cvc = None;
    assert_eq!(keyring.seal(&p).unwrap().open(&keyring).unwrap(), p);
}

#[test]
fn a_renamed_encrypted_field_is_sealed_where_serde_writes_it() {
    #[derive(PersonalData, Serialize, Deserialize, PartialEq)]
    struct Renamed {
        #[personal(subject_id)]
        id: u64,
        #[personal(category = "contact.email", encrypt)]
        #[serde(rename = "mail")]
        email: String,
    }
    let keyring = Keyring::in_memory();
    let record = Renamed {
        id: 1,
        email: "x@example.com".to_owned(),
    };
    let sealed = keyring.seal(&record).unwrap();
    let json = serde_json::to_string(&sealed).unwrap();
    assert!(!json.contains("x@example.com"));
    assert!(sealed.body()["mail"].is_string());
    assert_eq!(sealed.encrypted_pointers().collect::<Vec<_>>(), ["/mail"]);
    let back: Sealed<Renamed> = serde_json::from_str(&json).unwrap();
    assert!(back.open(&keyring).unwrap() == record);
}

#[test]
fn an_encrypted_field_serde_does_not_hand_over_fails_closed() {
    /// A hand-written Serialize that copies the value instead of handing the field over.
    struct Copied {
        id: u64,
        email: String,
    }
    impl Serialize for Copied {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeStruct;
            let mut st = s.serialize_struct("Copied", 2)?;
            st.serialize_field("id", &self.id)?;
            st.serialize_field("email", &self.email.clone())?;
            st.end()
        }
    }
    /// `PersonalData` requires a redacted `Debug`.
    impl std::fmt::Debug for Copied {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("Copied { .. }")
        }
    }
    impl privacy_core::PersonalData for Copied {
        fn schema() -> &'static privacy_core::RecordSchema {
            Shadow::schema()
        }
        fn record_schema(&self) -> &'static privacy_core::RecordSchema {
            Shadow::schema()
        }
        fn subject_id(&self) -> Option<String> {
            Some(self.id.to_string())
        }
        fn collected_at(&self) -> Option<std::time::SystemTime> {
            None
        }
        fn export(&self) -> privacy_core::dsar::RecordExport {
            Shadow {
                id: self.id,
                email: self.email.clone(),
            }
            .export()
        }
        fn erase(&mut self) -> privacy_core::dsar::ErasureReport {
            unreachable!()
        }
        fn anonymize(&mut self) {}
        fn expire(&mut self, _: std::time::SystemTime) -> privacy_core::dsar::ErasureReport {
            unreachable!()
        }
        fn visit(&self, v: &mut dyn privacy_core::Visitor) {
            let fields = Shadow::schema().fields;
            v.field(&fields[0], &self.id);
            v.field(&fields[1], &self.email);
        }
        fn visit_mut(&mut self, _: &mut dyn privacy_core::VisitorMut) {
            unreachable!()
        }
    }
    #[derive(PersonalData, Serialize)]
    struct Shadow {
        #[personal(subject_id)]
        id: u64,
        #[personal(category = "contact.email", encrypt)]
        email: String,
    }
    let keyring = Keyring::in_memory();
    let err = keyring
        .seal(&Copied {
            id: 1,
            email: "x@example.com".to_owned(),
        })
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::FieldLayout {
                record: "Shadow",
                field: "email",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn opening_as_another_type_or_with_another_subject_fails() {
    let keyring = Keyring::in_memory();
    let sealed = keyring.seal(&account(42)).unwrap();
    let as_pair: Sealed<Pair> =
        serde_json::from_value(serde_json::to_value(&sealed).unwrap()).unwrap();
    assert_eq!(
        as_pair.open(&keyring).unwrap_err(),
        Error::RecordMismatch {
            reason: "sealed as another record type"
        }
    );

    let mut value = serde_json::to_value(&sealed).unwrap();
    value["body"]["id"] = 43.into();
    let edited: Sealed<Account> = serde_json::from_value(value).unwrap();
    assert_eq!(
        edited.open(&keyring).unwrap_err(),
        Error::RecordMismatch {
            reason: "the record names another subject than its envelopes"
        }
    );
}

#[test]
fn an_envelope_moved_to_another_field_or_subject_fails_authentication() {
    let keyring = Keyring::in_memory();
    let a = serde_json::to_value(keyring.seal(&account(42)).unwrap()).unwrap();
    let b = serde_json::to_value(keyring.seal(&account(43)).unwrap()).unwrap();

    let mut moved_field = a.clone();
    moved_field["body"]["card"] = a["body"]["phones"].clone();
    let s: Sealed<Account> = serde_json::from_value(moved_field).unwrap();
    assert_eq!(s.open(&keyring).unwrap_err(), Error::Authentication);

    let mut moved_device = a.clone();
    moved_device["body"]["devices"][0]["serial"] = a["body"]["devices"][1]["serial"].clone();
    let s: Sealed<Account> = serde_json::from_value(moved_device).unwrap();
    assert_eq!(s.open(&keyring).unwrap_err(), Error::Authentication);

    let mut moved_subject = a.clone();
    moved_subject["body"]["card"] = b["body"]["card"].clone();
    let s: Sealed<Account> = serde_json::from_value(moved_subject).unwrap();
    assert_eq!(s.open(&keyring).unwrap_err(), Error::KeyMismatch);

    // The same key id, another subject's binding: low level.
    let env = keyring
        .seal_bytes(&Aad::new("Account", "card", "42"), b"secret")
        .unwrap();
    for aad in [
        Aad::new("Account", "email", "42"),
        Aad::new("Other", "card", "42"),
        Aad::new("Accoun", "tcard", "42"),
    ] {
        assert_eq!(
            keyring.open_bytes(&aad, &env).unwrap_err(),
            Error::Authentication
        );
    }
}

#[test]
fn every_single_byte_flip_and_truncation_is_an_error() {
    let keyring = Keyring::in_memory();
    let aad = Aad::new("Account", "card", "42");
    let env = keyring.seal_bytes(&aad, b"4111111111111111").unwrap();
    assert_eq!(env.len(), 16 + 33);
    for i in 0..env.len() {
        for bit in 0..8 {
            let mut bad = env.clone();
            bad[i] ^= 1 << bit;
            let err = keyring.open_bytes(&aad, &bad).unwrap_err();
            let expected = match i {
                0 => Error::UnsupportedVersion { version: bad[0] },
                1..=4 => Error::KeyMismatch,
                _ => Error::Authentication,
            };
            assert_eq!(err, expected, "byte {i} bit {bit}");
        }
    }
    for len in 0..env.len() {
        let err = keyring.open_bytes(&aad, &env[..len]).unwrap_err();
        assert!(
            matches!(err, Error::MalformedEnvelope { .. } | Error::Authentication),
            "{len}: {err:?}"
        );
    }
    assert_eq!(
        keyring.open_bytes(&aad, &[]).unwrap_err().to_string(),
        "malformed envelope: empty"
    );
    let mut v2 = env.clone();
    v2[0] = 2;
    assert_eq!(
        keyring.open_bytes(&aad, &v2).unwrap_err().to_string(),
        "unsupported envelope version 2"
    );
}

#[test]
fn a_tampered_record_envelope_is_an_error() {
    let keyring = Keyring::in_memory();
    let a = serde_json::to_value(keyring.seal(&account(42)).unwrap()).unwrap();
    let env = unb64(a["body"]["card"].as_str().unwrap());
    for i in 0..env.len() {
        let mut bad = env.clone();
        bad[i] ^= 0x80;
        let mut v = a.clone();
        v["body"]["card"] = b64(&bad).into();
        let s: Sealed<Account> = serde_json::from_value(v).unwrap();
        assert!(s.open(&keyring).is_err());
    }
    let mut v = a.clone();
    v["body"]["card"] = "not base64!".into();
    let s: Sealed<Account> = serde_json::from_value(v).unwrap();
    assert_eq!(
        s.open(&keyring).unwrap_err(),
        Error::MalformedEnvelope {
            reason: "not valid base64"
        }
    );
}

#[test]
fn shredding_42_makes_every_envelope_of_42_fail_with_shredded_and_leaves_others() {
    let keyring = Keyring::in_memory();
    let a42 = keyring.seal(&account(42)).unwrap();
    let b42 = keyring
        .seal(&Pair("42".to_owned(), "x@example.com".to_owned()))
        .unwrap();
    let a43 = keyring.seal(&account(43)).unwrap();
    keyring.shred("42").unwrap();
    assert_eq!(a42.open(&keyring).unwrap_err(), Error::Shredded);
    assert_eq!(b42.open(&keyring).unwrap_err(), Error::Shredded);
    assert_eq!(a43.open(&keyring).unwrap(), account(43));
    assert_eq!(keyring.seal(&account(42)).unwrap_err(), Error::Shredded);
    keyring.shred("42").unwrap();
    keyring.shred("never-seen").unwrap();
    assert_eq!(
        keyring
            .seal_bytes(&Aad::new("A", "b", "never-seen"), b"x")
            .unwrap_err(),
        Error::Shredded
    );
}

#[test]
fn shredding_survives_reopening_the_sqlite_store() {
    let dir = TempDir::new("shred");
    let (a42, a43) = {
        let keyring = Keyring::sqlite_with_master_key(dir.db(), master(7)).unwrap();
        let sealed = (
            keyring.seal(&account(42)).unwrap(),
            keyring.seal(&account(43)).unwrap(),
        );
        keyring.shred("42").unwrap();
        sealed
    };
    let keyring = Keyring::sqlite_with_master_key(dir.db(), master(7)).unwrap();
    assert_eq!(a42.open(&keyring).unwrap_err(), Error::Shredded);
    assert_eq!(a43.open(&keyring).unwrap(), account(43));
    let row = keyring.store().data_key("42").unwrap().unwrap();
    assert_eq!(row.state, DataKeyState::Shredded);
}

#[test]
fn sealed_data_opens_after_reopening_the_sqlite_store_with_the_same_master_key() {
    let dir = TempDir::new("persist");
    let json = {
        let keyring = Keyring::sqlite_with_master_key(dir.db(), master(1)).unwrap();
        serde_json::to_string(&keyring.seal(&account(42)).unwrap()).unwrap()
    };
    let sealed: Sealed<Account> = serde_json::from_str(&json).unwrap();
    let keyring = Keyring::sqlite_with_master_key(dir.db(), master(1)).unwrap();
    assert_eq!(sealed.open(&keyring).unwrap(), account(42));
    drop(keyring);

    let err = Keyring::sqlite_with_master_key(dir.db(), master(2)).unwrap_err();
    assert_eq!(err, Error::WrongMasterKey { version: 1 });
    assert_eq!(
        err.to_string(),
        "wrong master key: the key store's key-encryption key version 1 does not open with it"
    );
}

#[test]
fn a_persistent_keyring_without_a_master_key_is_an_error() {
    let dir = TempDir::new("env");
    // The only test touching the variable.
    std::env::remove_var(MasterKey::ENV);
    assert_eq!(
        Keyring::sqlite(dir.db()).unwrap_err().to_string(),
        "no master key: set PRIVACY_MASTER_KEY to a base64-encoded 32-byte key"
    );
    std::env::set_var(MasterKey::ENV, "c2hvcnQ=");
    assert_eq!(
        Keyring::sqlite(dir.db()).unwrap_err().to_string(),
        "malformed master key: it must decode to exactly 32 bytes"
    );
    std::env::set_var(MasterKey::ENV, master(3).to_base64().as_str());
    let keyring = Keyring::sqlite(dir.db()).unwrap();
    std::env::remove_var(MasterKey::ENV);
    let sealed = keyring.seal(&account(1)).unwrap();
    drop(keyring);
    let keyring = Keyring::sqlite_with_master_key(dir.db(), master(3)).unwrap();
    assert_eq!(sealed.open(&keyring).unwrap(), account(1));
}

#[test]
fn rotation_keeps_every_envelope_open_and_rewrap_retires_the_old_kek() {
    let dir = TempDir::new("rotate");
    let keyring = Keyring::sqlite_with_master_key(dir.db(), master(9)).unwrap();
    let before = keyring.seal(&account(1)).unwrap();
    keyring.rotate().unwrap();
    assert_eq!(keyring.kek_version().unwrap(), 2);
    let after = keyring.seal(&account(2)).unwrap();
    let old_wrapping = keyring.store().data_key("1").unwrap().unwrap();
    assert!(matches!(
        old_wrapping.state,
        DataKeyState::Active { kek_version: 1, .. }
    ));
    let old_kek: Vec<_> = keyring
        .store()
        .keks()
        .unwrap()
        .into_iter()
        .filter(|k| k.version != INDEX_KEY_VERSION)
        .collect();
    assert_eq!(old_kek.len(), 2);

    assert_eq!(keyring.rewrap().unwrap(), 1);
    assert_eq!(keyring.rewrap().unwrap(), 0);
    for row in keyring.store().data_keys().unwrap() {
        assert!(
            matches!(row.state, DataKeyState::Active { kek_version: 2, .. }),
            "{row:?}"
        );
    }
    let versions: Vec<u32> = keyring
        .store()
        .keks()
        .unwrap()
        .iter()
        .map(|k| k.version)
        .filter(|v| *v != INDEX_KEY_VERSION)
        .collect();
    assert_eq!(versions, [2]);
    assert_eq!(before.open(&keyring).unwrap(), account(1));
    assert_eq!(after.open(&keyring).unwrap(), account(2));
    drop(keyring);

    // A store holding only the old KEK (e.g. an old backup of that row) opens none of the
    // rewrapped data keys.
    put_back_old_kek(&dir, &old_kek);
    let keyring = Keyring::sqlite_with_master_key(dir.db(), master(9)).unwrap();
    for sealed in [&before, &after] {
        assert_eq!(
            sealed.open(&keyring).unwrap_err(),
            Error::CorruptStore {
                reason: "a data key does not open under its key-encryption key"
            }
        );
    }
}

/// Restores the old KEK row (as from an old backup) and makes it the only one, through the
/// public store API, pointing the rewrapped data keys at it.
fn put_back_old_kek(dir: &TempDir, old: &[privacy_core::crypto::WrappedKek]) {
    let store = privacy_core::crypto::SqliteKeyStore::open(dir.db()).unwrap();
    for kek in old.iter().filter(|k| k.version == 1) {
        assert!(store.insert_kek(kek).unwrap());
    }
    // Version 2 is in use, so the store refuses to delete it.
    assert_eq!(
        store.delete_kek(2).unwrap_err(),
        Error::KekInUse { version: 2 }
    );
    // Point every data key at version 1 as an attacker with the old KEK would need.
    for row in store.data_keys().unwrap() {
        if let DataKeyState::Active { wrapped, .. } = &row.state {
            assert!(store.rewrap_data_key(row.key_id, 2, 1, wrapped).unwrap());
        }
    }
    store.delete_kek(2).unwrap();
}

#[test]
fn eight_threads_sealing_for_a_new_subject_create_one_data_key() {
    for _ in 0..20 {
        let dir = TempDir::new("threads");
        let keyring = Arc::new(Keyring::sqlite_with_master_key(dir.db(), master(5)).unwrap());
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let keyring = Arc::clone(&keyring);
                std::thread::spawn(move || {
                    keyring
                        .seal_bytes(&Aad::new("T", "f", "new"), format!("value {i}").as_bytes())
                        .unwrap()
                })
            })
            .collect();
        let envelopes: Vec<Vec<u8>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(keyring.store().data_keys().unwrap().len(), 1);
        for (i, env) in envelopes.iter().enumerate() {
            let plain = keyring.open_bytes(&Aad::new("T", "f", "new"), env).unwrap();
            assert_eq!(&plain[..], format!("value {i}").as_bytes());
        }
    }
}

#[test]
fn two_keyrings_on_one_store_racing_for_a_new_subject_share_one_key() {
    let dir = TempDir::new("race");
    let a = Arc::new(Keyring::sqlite_with_master_key(dir.db(), master(5)).unwrap());
    let b = Arc::new(Keyring::sqlite_with_master_key(dir.db(), master(5)).unwrap());
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let k = Arc::clone(if i % 2 == 0 { &a } else { &b });
            std::thread::spawn(move || k.seal_bytes(&Aad::new("T", "f", "s"), b"v").unwrap())
        })
        .collect();
    for h in handles {
        let env = h.join().unwrap();
        assert_eq!(
            &a.open_bytes(&Aad::new("T", "f", "s"), &env).unwrap()[..],
            b"v"
        );
        assert_eq!(
            &b.open_bytes(&Aad::new("T", "f", "s"), &env).unwrap()[..],
            b"v"
        );
    }
    assert_eq!(a.store().data_keys().unwrap().len(), 1);
}

#[test]
fn errors_debug_output_and_keyring_debug_contain_no_plaintext_or_key_bytes() {
    let key = master(0xAB);
    let key_b64 = key.to_base64().to_string();
    let keyring = Keyring::new(privacy_core::crypto::MemoryKeyStore::new(), key.clone()).unwrap();
    let a = account(42);
    let sealed = keyring.seal(&a).unwrap();
    let mut texts = vec![
        format!("{keyring:?}"),
        format!("{key:?}"),
        format!("{sealed:?}"),
    ];
    texts.push(format!("{:?}", keyring.store().data_keys().unwrap()));
    texts.push(format!("{:?}", keyring.store().keks().unwrap()));

    let mut bad = serde_json::to_value(&sealed).unwrap();
    bad["body"]["age"] = "4111111111111111".into();
    let errs = vec![
        serde_json::from_value::<Sealed<Account>>(bad)
            .unwrap()
            .open(&keyring)
            .unwrap_err(),
        keyring
            .seal(&Payment {
                id: 1,
                card: "4111111111111111".into(),
                cvc: Some("987".into()),
                at: None,
            })
            .unwrap_err(),
        MasterKey::from_base64("4111111111111111").unwrap_err(),
        MasterKey::from_base64(&format!("{key_b64}AA")).unwrap_err(),
    ];
    // A deserialization error whose serde message would quote the value.
    let mut wrong_type = serde_json::to_value(keyring.seal(&a).unwrap()).unwrap();
    wrong_type["body"]["name"] = 4_111_111_111_111_111_u64.into();
    let wrong: Sealed<Account> = serde_json::from_value(wrong_type).unwrap();
    let errs: Vec<Error> = errs
        .into_iter()
        .chain([wrong.open(&keyring).unwrap_err()])
        .collect();
    assert!(matches!(errs[4], Error::Serde { .. }), "{:?}", errs[4]);
    for e in &errs {
        texts.push(e.to_string());
        texts.push(format!("{e:?}"));
    }
    for text in &texts {
        for raw in [
            "4111111111111111",
            "person42@example.com",
            "987",
            &key_b64,
            "171, 171",
            "abab",
        ] {
            assert!(!text.to_lowercase().contains(raw), "{raw} in {text}");
        }
    }
    assert_eq!(format!("{key:?}"), "MasterKey(<redacted>)");
    assert_eq!(format!("{sealed:?}"), "Sealed { type: \"Account\", .. }");
    assert!(
        texts[0].starts_with("Keyring { kek_version: 1, kek_versions: [1], cached_key_ids: [1]"),
        "{}",
        texts[0]
    );
}

#[test]
fn after_master_key_rotation_only_the_new_master_key_opens_the_store() {
    let dir = TempDir::new("master-rotation");
    let mut keyring = Keyring::sqlite_with_master_key(dir.db(), master(11)).unwrap();
    let before = keyring.seal(&account(1)).unwrap();
    keyring.rotate().unwrap();
    let after = keyring.seal(&account(2)).unwrap();
    keyring.rewrap().unwrap();
    keyring.rotate_master_key(&master(12)).unwrap();
    assert_eq!(before.open(&keyring).unwrap(), account(1));
    assert_eq!(after.open(&keyring).unwrap(), account(2));
    drop(keyring);

    let old = Keyring::sqlite_with_master_key(dir.db(), master(11)).unwrap_err();
    assert!(matches!(old, Error::WrongMasterKey { .. }), "{old}");
    let new = Keyring::sqlite_with_master_key(dir.db(), master(12)).unwrap();
    assert_eq!(before.open(&new).unwrap(), account(1));
    assert_eq!(after.open(&new).unwrap(), account(2));
}

#[test]
fn blind_indexes_stay_valid_across_kek_and_master_key_rotation() {
    let dir = TempDir::new("index-rotation");
    let mut keyring = Keyring::sqlite_with_master_key(dir.db(), master(21)).unwrap();
    let index = keyring
        .blind_index("Account", "email", "ada@example.com")
        .unwrap();
    keyring.rotate().unwrap();
    keyring.rewrap().unwrap();
    keyring.rotate_master_key(&master(22)).unwrap();
    assert_eq!(
        keyring
            .blind_index("Account", "email", "ada@example.com")
            .unwrap(),
        index
    );
    drop(keyring);
    let reopened = Keyring::sqlite_with_master_key(dir.db(), master(22)).unwrap();
    assert_eq!(
        reopened
            .blind_index("Account", "email", "ada@example.com")
            .unwrap(),
        index
    );
}
