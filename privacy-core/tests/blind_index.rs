//! Blind indexes: a subkey per (record, field path), truncation, versioned index keys with
//! rotation, rebuild and retirement, indexes of the format before versions, and lookups that
//! re-check the opened value.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use hmac::Mac;
use privacy_core::crypto::{Error, KeyStore, Keyring, MasterKey, MemoryKeyStore, Sealed};
use privacy_core::PersonalData;
use serde::{Deserialize, Serialize};

#[derive(PersonalData, Serialize, Deserialize, PartialEq, Clone)]
struct Device {
    #[personal(category = "device.id", encrypt, blind_index)]
    serial: String,
}

#[derive(PersonalData, Serialize, Deserialize, PartialEq, Clone)]
struct Account {
    #[personal(subject_id)]
    id: u64,
    #[personal(category = "contact.email", encrypt, blind_index)]
    email: String,
    #[personal(category = "contact.email", encrypt, blind_index)]
    backup_email: String,
    #[personal(nested)]
    device: Device,
}

#[derive(PersonalData, Serialize, Deserialize, PartialEq, Clone)]
struct Employee {
    #[personal(subject_id)]
    id: u64,
    #[personal(category = "contact.email", encrypt, blind_index)]
    email: String,
    #[personal(nested)]
    laptop: Device,
}

#[derive(PersonalData, Serialize, Deserialize, PartialEq, Clone)]
struct Short {
    #[personal(subject_id)]
    id: u64,
    #[personal(category = "contact.email", encrypt, blind_index(bits = 16))]
    email: String,
    #[personal(category = "contact.phone", encrypt, blind_index(bits = 32))]
    phone: String,
    #[personal(category = "identity.name", encrypt)]
    name: String,
}

fn account(id: u64, email: &str, serial: &str) -> Account {
    Account {
        id,
        email: email.into(),
        backup_email: email.into(),
        device: Device {
            serial: serial.into(),
        },
    }
}

fn short(id: u64, email: &str) -> Short {
    Short {
        id,
        email: email.into(),
        phone: "+1 555 0100".into(),
        name: "Ada".into(),
    }
}

/// The bytes an index keeps, after its `"<version>:"` prefix.
fn index_bytes(index: &str) -> (u32, Vec<u8>) {
    let (version, body) = index.split_once(':').expect("a versioned index");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(body)
        .expect("base64url");
    (version.parse().expect("a version number"), bytes)
}

#[test]
fn the_same_value_in_two_record_types_or_two_fields_gives_unrelated_indexes() {
    let keyring = Keyring::in_memory();
    let a = keyring
        .seal(&account(1, "ada@example.com", "SN-1"))
        .unwrap();
    let e = keyring
        .seal(&Employee {
            id: 2,
            email: "ada@example.com".into(),
            laptop: Device {
                serial: "SN-1".into(),
            },
        })
        .unwrap();
    let all = [
        a.blind_index("email").unwrap(),
        a.blind_index("backup_email").unwrap(),
        a.blind_index("device.serial").unwrap(),
        e.blind_index("email").unwrap(),
        e.blind_index("laptop.serial").unwrap(),
    ];
    for (i, x) in all.iter().enumerate() {
        for y in &all[i + 1..] {
            let (bx, by) = (index_bytes(x).1, index_bytes(y).1);
            assert_ne!(bx, by, "{x} and {y}");
            // Unrelated: not even a shared leading byte pair beyond chance would be a hint,
            // but equality of any 4-byte prefix would mean one key for both domains.
            assert_ne!(bx[..4], by[..4]);
        }
    }
    // What seal stores is what the keyring computes for the (record, path).
    assert_eq!(
        a.blind_index("device.serial"),
        Some(
            keyring
                .blind_index("Account", "device.serial", "SN-1")
                .unwrap()
                .as_str()
        )
    );
    assert_eq!(
        e.blind_index("laptop.serial"),
        Some(
            keyring
                .blind_index_for::<Employee, _>("laptop.serial", "SN-1")
                .unwrap()
                .as_str()
        )
    );
    // The nested record's own type name and field name are not the domain.
    assert_ne!(
        keyring.blind_index("Device", "serial", "SN-1").unwrap(),
        a.blind_index("device.serial").unwrap()
    );
}

#[test]
fn indexes_keep_the_declared_bits_and_default_to_64() {
    let keyring = Keyring::in_memory();
    let a = keyring
        .seal(&account(1, "ada@example.com", "SN-1"))
        .unwrap();
    assert_eq!(index_bytes(a.blind_index("email").unwrap()).0, 1);
    assert_eq!(index_bytes(a.blind_index("email").unwrap()).1.len(), 8);
    let s = keyring.seal(&short(1, "ada@example.com")).unwrap();
    assert_eq!(index_bytes(s.blind_index("email").unwrap()).1.len(), 2);
    assert_eq!(index_bytes(s.blind_index("phone").unwrap()).1.len(), 4);
    assert_eq!(Short::schema().field("email").unwrap().blind_index_bits, 16);
    assert_eq!(Short::schema().field("phone").unwrap().blind_index_bits, 32);
    assert_eq!(
        Account::schema().field("email").unwrap().blind_index_bits,
        64
    );
    assert_eq!(
        s.blind_index("phone"),
        Some(
            keyring
                .blind_index_for::<Short, _>("phone", "+1 555 0100")
                .unwrap()
                .as_str()
        )
    );
    // A truncated index is a prefix of the longer one of the same key and domain.
    let long = keyring
        .blind_index_bits("Short", "phone", 256, "+1 555 0100")
        .unwrap();
    assert_eq!(index_bytes(&long).1.len(), 32);
    assert_eq!(
        index_bytes(&long).1[..4],
        index_bytes(s.blind_index("phone").unwrap()).1[..]
    );
    for bits in [0, 8, 12, 33, 264, 512] {
        assert_eq!(
            keyring.blind_index_bits("Short", "phone", bits, "x"),
            Err(Error::InvalidIndexBits { bits })
        );
    }
    assert_eq!(
        keyring.blind_index_for::<Short, _>("name", "Ada"),
        Err(Error::NotBlindIndexed {
            record: "Short",
            field: "name".into()
        })
    );
    let text = privacy_core::inventory::Inventory::new()
        .add::<Short>()
        .unwrap()
        .to_markdown();
    assert!(text.contains("blind index (16 bits)"), "{text}");
}

#[test]
fn a_truncation_collision_is_removed_by_the_recheck_of_the_opened_value() {
    let keyring = Keyring::in_memory();
    // 16-bit indexes collide among a few hundred values (birthday bound): find a pair.
    let mut seen: HashMap<String, String> = HashMap::new();
    let (first, second) = (0..5000)
        .find_map(|i| {
            let email = format!("user{i}@example.com");
            let index = keyring
                .blind_index_for::<Short, _>("email", &email)
                .unwrap();
            seen.insert(index, email.clone())
                .map(|other| (other, email))
        })
        .expect("a 16-bit collision among 5000 values");
    let rows: Vec<Sealed<Short>> = [&first, &second, "other@example.com"]
        .iter()
        .enumerate()
        .map(|(i, e)| keyring.seal(&short(i as u64, e)).unwrap())
        .collect();
    // The index alone matches both colliding records: a false positive.
    let candidates = keyring
        .blind_index_candidates_for::<Short, _>("email", &first)
        .unwrap();
    let by_index = rows
        .iter()
        .filter(|r| {
            r.blind_indexes("email")
                .iter()
                .any(|i| candidates.contains(i))
        })
        .count();
    assert_eq!(by_index, 2);
    // The re-check keeps the one that really holds the value.
    let found = keyring.find("email", first.as_str(), &rows).unwrap();
    assert_eq!(found, vec![short(0, &first)]);
    let found = keyring.find("email", second.as_str(), &rows).unwrap();
    assert_eq!(found, vec![short(1, &second)]);
    assert!(keyring
        .find("email", "nobody@example.com", &rows)
        .unwrap()
        .is_empty());
    // A shredded subject's record is erased: skipped, not an error.
    keyring.shred("0").unwrap();
    assert!(keyring
        .find("email", first.as_str(), &rows)
        .unwrap()
        .is_empty());
    assert_eq!(
        keyring.find("name", "Ada", &rows),
        Err(Error::NotBlindIndexed {
            record: "Short",
            field: "name".into()
        })
    );
}

#[test]
fn find_reads_nested_fields_and_sequence_elements() {
    #[derive(PersonalData, Serialize, Deserialize, PartialEq)]
    struct Rec {
        #[personal(subject_id)]
        id: u64,
        #[personal(category = "contact.email", encrypt, blind_index(bits = 24))]
        emails: Vec<String>,
        #[personal(nested)]
        devices: Vec<Device>,
    }
    let keyring = Keyring::in_memory();
    let rec = |id, emails: &[&str], serials: &[&str]| Rec {
        id,
        emails: emails.iter().map(|e| (*e).to_owned()).collect(),
        devices: serials
            .iter()
            .map(|s| Device {
                serial: (*s).to_owned(),
            })
            .collect(),
    };
    let rows = vec![
        keyring
            .seal(&rec(1, &["a@example.com", "b@example.com"], &["S1", "S2"]))
            .unwrap(),
        keyring.seal(&rec(2, &["c@example.com"], &["S3"])).unwrap(),
    ];
    let found = keyring.find("emails", "b@example.com", &rows).unwrap();
    assert_eq!(found.iter().map(|r| r.id).collect::<Vec<_>>(), vec![1]);
    let found = keyring.find("devices.serial", "S3", &rows).unwrap();
    assert_eq!(found.iter().map(|r| r.id).collect::<Vec<_>>(), vec![2]);
    // Reindexing gives the same indexes as sealing did (same version, same inputs).
    for row in &rows {
        let again = keyring.reindex(row).unwrap();
        for field in ["emails", "devices.serial"] {
            let mut a = row.blind_indexes(field).to_vec();
            let mut b = again.blind_indexes(field).to_vec();
            a.sort();
            b.sort();
            assert_eq!(a, b, "{field}");
        }
    }
}

#[test]
fn index_key_rotation_reindex_and_retirement() {
    let keyring = Keyring::in_memory();
    let old_row = keyring
        .seal(&account(1, "ada@example.com", "SN-1"))
        .unwrap();
    let gone = keyring
        .seal(&account(2, "bob@example.com", "SN-2"))
        .unwrap();
    let old = keyring
        .blind_index("Account", "email", "ada@example.com")
        .unwrap();
    assert_eq!(keyring.index_key_version().unwrap(), 1);
    assert_eq!(
        keyring.retire_index_key(1),
        Err(Error::CurrentIndexKey { version: 1 })
    );

    assert_eq!(keyring.rotate_index_key().unwrap(), 2);
    assert_eq!(keyring.index_key_versions().unwrap(), vec![1, 2]);
    let new = keyring
        .blind_index("Account", "email", "ada@example.com")
        .unwrap();
    assert_ne!(new, old);
    assert_ne!(index_bytes(&new).1, index_bytes(&old).1);
    assert_eq!(index_bytes(&new).0, 2);
    // During the rebuild both answer, newest first.
    let candidates = keyring
        .blind_index_candidates("Account", "email", "ada@example.com")
        .unwrap();
    assert_eq!(candidates[0], new);
    assert!(candidates.contains(&old));
    assert_eq!(
        keyring
            .find("email", "ada@example.com", [&old_row])
            .unwrap(),
        vec![account(1, "ada@example.com", "SN-1")]
    );
    // New seals use the new version; reindex moves old records to it.
    let fresh = keyring
        .seal(&account(3, "ada@example.com", "SN-3"))
        .unwrap();
    assert_eq!(fresh.blind_index("email"), Some(new.as_str()));
    let rebuilt = keyring.reindex(&old_row).unwrap();
    assert_eq!(rebuilt.blind_index("email"), Some(new.as_str()));
    assert_ne!(
        rebuilt.blind_index("device.serial"),
        old_row.blind_index("device.serial")
    );
    assert_eq!(rebuilt.body(), old_row.body());
    assert_eq!(
        rebuilt.open(&keyring).unwrap(),
        account(1, "ada@example.com", "SN-1")
    );
    // A shredded subject cannot be reindexed (its record is to be erased).
    keyring.shred("2").unwrap();
    assert_eq!(keyring.reindex(&gone).unwrap_err(), Error::Shredded);

    keyring.retire_index_key(1).unwrap();
    keyring.retire_index_key(1).unwrap();
    assert_eq!(keyring.index_key_versions().unwrap(), vec![2]);
    let candidates = keyring
        .blind_index_candidates("Account", "email", "ada@example.com")
        .unwrap();
    assert_eq!(candidates, vec![new.clone()]);
    // The old index confirms nothing any more: no lookup finds the old row by it...
    assert!(keyring
        .find("email", "ada@example.com", [&old_row])
        .unwrap()
        .is_empty());
    // ...while the rebuilt one is found.
    assert_eq!(
        keyring
            .find("email", "ada@example.com", [&rebuilt, &fresh])
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        keyring.retire_index_key(2),
        Err(Error::CurrentIndexKey { version: 2 })
    );
    assert_eq!(
        keyring.retire_index_key(0),
        Err(Error::UnknownIndexKey { version: 0 })
    );
    assert_eq!(keyring.rotate_index_key().unwrap(), 3);
}

#[test]
fn rotation_and_retirement_survive_kek_and_master_key_rotation_and_reopening() {
    let store = Arc::new(MemoryKeyStore::new());
    let master = MasterKey::from_bytes([9; 32]);
    let mut keyring = Keyring::new(Arc::clone(&store), master.clone()).unwrap();
    keyring.rotate_index_key().unwrap();
    keyring.retire_index_key(1).unwrap();
    let index = keyring
        .blind_index("Account", "email", "ada@example.com")
        .unwrap();
    let new_master = MasterKey::from_bytes([10; 32]);
    keyring.new_epoch(&new_master).unwrap();
    assert_eq!(keyring.kek_version().unwrap(), 2);
    drop(keyring);
    // The old master key opens nothing; the new one finds the same index key, and a
    // reopened store does not bring back a retired version.
    assert!(Keyring::new(Arc::clone(&store), master).is_err());
    let reopened = Keyring::new(Arc::clone(&store), new_master).unwrap();
    assert_eq!(reopened.index_key_versions().unwrap(), vec![2]);
    assert_eq!(
        reopened
            .blind_index("Account", "email", "ada@example.com")
            .unwrap(),
        index
    );
    // Index keys are rows of the KEK table beside the KEKs, never used as KEKs.
    let rows: Vec<u32> = store.keks().unwrap().iter().map(|k| k.version).collect();
    assert_eq!(
        rows,
        vec![2, privacy_core::__private::layout::INDEX_KEY_BASE + 2]
    );
}

/// HKDF-Expand of one block, as the first versions derived the index key from the master
/// key, and their index: HMAC of the length-prefixed record, path and JSON, full length.
fn legacy_index(master: [u8; 32], record: &str, path: &str, json: &str) -> String {
    type H = hmac::Hmac<sha2::Sha256>;
    let mut derive = H::new_from_slice(&master).unwrap();
    derive.update(b"privacy-core/v1/blind-index");
    derive.update(&[1]);
    let key = derive.finalize().into_bytes();
    let mut mac = H::new_from_slice(&key).unwrap();
    for part in [record, path] {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part.as_bytes());
    }
    mac.update(json.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[test]
fn indexes_of_the_format_before_versions_are_found_and_migrated_by_reindex() {
    let bytes = [11; 32];
    let store = Arc::new(MemoryKeyStore::new());
    // A store from before the index key row: a KEK and no index key.
    drop(Keyring::new(Arc::clone(&store), MasterKey::from_bytes(bytes)).unwrap());
    store
        .delete_kek(privacy_core::__private::layout::INDEX_KEY_VERSION)
        .unwrap();
    let keyring = Keyring::new(Arc::clone(&store), MasterKey::from_bytes(bytes)).unwrap();
    let legacy = legacy_index(bytes, "Account", "email", "\"ada@example.com\"");
    assert!(keyring
        .blind_index_candidates("Account", "email", "ada@example.com")
        .unwrap()
        .contains(&legacy));
    // A record sealed by the previous version: its stored index is the legacy one.
    let sealed = keyring
        .seal(&account(1, "ada@example.com", "SN-1"))
        .unwrap();
    let mut json = serde_json::to_value(&sealed).unwrap();
    json["blind_index"]["email"] = serde_json::json!([legacy]);
    let old: Sealed<Account> = serde_json::from_value(json).unwrap();
    assert_eq!(old.blind_index("email"), Some(legacy.as_str()));
    assert_eq!(
        keyring
            .find("email", "ada@example.com", [&old])
            .unwrap()
            .len(),
        1
    );
    // reindex is the migration: the record gets the versioned index.
    let migrated = keyring.reindex(&old).unwrap();
    assert_eq!(
        migrated.blind_index("email"),
        Some(
            keyring
                .blind_index("Account", "email", "ada@example.com")
                .unwrap()
                .as_str()
        )
    );
    // After rotating and retiring version 1, the legacy index is no candidate any more.
    keyring.rotate_index_key().unwrap();
    keyring.retire_index_key(1).unwrap();
    assert!(!keyring
        .blind_index_candidates("Account", "email", "ada@example.com")
        .unwrap()
        .contains(&legacy));
    assert!(keyring
        .find("email", "ada@example.com", [&old])
        .unwrap()
        .is_empty());
}
