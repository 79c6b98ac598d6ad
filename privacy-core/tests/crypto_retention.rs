//! Values retained under a legal basis survive crypto-shredding, for their retention period:
//! `seal_erased` keeps a record under the person's retention key, which `shred` leaves and
//! `shred_retained` destroys.

use privacy_core::crypto::{Aad, Error, ErrorKind, Keyring};
use privacy_core::PersonalData;
use serde::{Deserialize, Serialize};

#[derive(PersonalData, Serialize, Deserialize, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Device {
    #[personal(category = "device.id", encrypt)]
    serial_number: String,
}

#[derive(PersonalData, Serialize, Deserialize, Clone, PartialEq)]
#[personal(name = "Invoice")]
#[serde(rename_all = "camelCase")]
struct Invoice {
    #[personal(subject_id)]
    customer_id: String,
    #[personal(record_id)]
    number: u64,
    #[personal(category = "contact.email", encrypt, blind_index)]
    email: String,
    #[personal(
        category = "financial.card_number",
        encrypt,
        on_erase = "retain",
        legal_basis = "tax law: invoices are kept 10 years"
    )]
    card_number: String,
    #[personal(
        category = "contact.postal_address",
        encrypt,
        on_erase = "retain",
        legal_basis = "tax law: invoices are kept 10 years"
    )]
    billing_address: Option<String>,
    #[personal(nested)]
    devices: Vec<Device>,
    #[personal(not_personal)]
    amount_cents: u64,
}

fn invoice(customer: &str) -> Invoice {
    Invoice {
        customer_id: customer.into(),
        number: 7,
        email: "maria.lopez@example.com".into(),
        card_number: "4111111111111111".into(),
        billing_address: Some("1 Elm St, Springfield".into()),
        devices: vec![Device {
            serial_number: "SN-0042".into(),
        }],
        amount_cents: 1999,
    }
}

#[test]
fn a_kept_record_opens_after_the_shred_with_its_retained_values_and_nothing_else() {
    let keyring = Keyring::in_memory();
    let original = keyring.seal(&invoice("c-1")).unwrap();
    let mut record = invoice("c-1");
    let (kept, report) = keyring.seal_erased(&mut record).unwrap();
    let kept_json = serde_json::to_string(&kept).unwrap();
    assert!(!kept_json.contains("maria.lopez"));
    assert!(!kept_json.contains("4111111111111111"));

    keyring.shred("c-1").unwrap();
    assert_eq!(original.open(&keyring).unwrap_err(), Error::Shredded);
    for opened in [
        kept.open(&keyring).unwrap(),
        keyring.open_json::<Invoice>(&kept_json).unwrap(),
    ] {
        assert_eq!(opened.card_number, "4111111111111111");
        assert_eq!(
            opened.billing_address.as_deref(),
            Some("1 Elm St, Springfield")
        );
        assert_eq!(opened.email, "");
        // Nested records are erased field by field: the serial number is gone.
        assert_eq!(opened.devices[0].serial_number, "");
        assert_eq!((opened.number, opened.amount_cents), (7, 1999));
    }
    let retained: Vec<_> = report.retained().map(|(f, _)| f.field.clone()).collect();
    assert_eq!(retained, ["customerId", "cardNumber", "billingAddress"]);
}

#[test]
fn the_end_of_retention_destroys_the_kept_values_and_leaves_other_people_alone() {
    let keyring = Keyring::in_memory();
    let (kept, _) = keyring.seal_erased(&mut invoice("c-1")).unwrap();
    let (other, _) = keyring.seal_erased(&mut invoice("c-2")).unwrap();
    keyring.shred("c-1").unwrap();
    keyring.shred_retained("c-1").unwrap();
    let err = kept.open(&keyring).unwrap_err();
    assert_eq!(
        (err.clone(), err.kind()),
        (Error::Shredded, ErrorKind::Erased)
    );
    assert_eq!(
        other.open(&keyring).unwrap().card_number,
        "4111111111111111"
    );
    // Shredding the retention key leaves the data key of a person not erased.
    let live = keyring.seal(&invoice("c-2")).unwrap();
    keyring.shred_retained("c-2").unwrap();
    assert_eq!(
        live.open(&keyring).unwrap().email,
        "maria.lopez@example.com"
    );
}

#[test]
fn a_kept_record_opens_for_a_person_who_never_had_a_data_key() {
    let keyring = Keyring::in_memory();
    let (kept, _) = keyring.seal_erased(&mut invoice("c-9")).unwrap();
    assert_eq!(kept.open(&keyring).unwrap().card_number, "4111111111111111");
}

#[test]
fn an_envelope_under_the_data_key_moved_into_a_kept_record_fails_after_the_shred() {
    let keyring = Keyring::in_memory();
    let live = serde_json::to_value(keyring.seal(&invoice("c-1")).unwrap()).unwrap();
    let (kept, _) = keyring.seal_erased(&mut invoice("c-1")).unwrap();
    let mut forged = serde_json::to_value(&kept).unwrap();
    forged["body"]["email"] = live["body"]["email"].clone();
    let forged = serde_json::to_string(&forged).unwrap();
    // Before the shred the record binding already refuses it; after, the key is gone too.
    assert!(keyring.open_json::<Invoice>(&forged).is_err());
    keyring.shred("c-1").unwrap();
    assert!(keyring.open_json::<Invoice>(&forged).is_err());
}

#[test]
fn a_subject_id_that_could_name_a_retention_key_is_refused() {
    let keyring = Keyring::in_memory();
    let reserved = "\u{1}retained\u{1}c-1";
    assert_eq!(
        keyring.seal(&invoice(reserved)).unwrap_err(),
        Error::ReservedSubjectId
    );
    assert_eq!(
        keyring
            .seal_bytes(&Aad::new("Invoice", "/email", reserved), b"x")
            .unwrap_err(),
        Error::ReservedSubjectId
    );
    assert_eq!(
        keyring.shred_retained(reserved).unwrap_err(),
        Error::ReservedSubjectId
    );
}

#[test]
fn keyrings_sharing_a_store_keep_the_retention_key_through_one_anothers_shred() {
    let dir = std::env::temp_dir().join(format!("privacy-retention-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("keys.sqlite");
    let master = || privacy_core::crypto::MasterKey::from_bytes([9; 32]);
    let a = Keyring::sqlite_with_master_key(&path, master()).unwrap();
    let b = Keyring::sqlite_with_master_key(&path, master()).unwrap();
    let (kept, _) = a.seal_erased(&mut invoice("c-1")).unwrap();
    let live = a.seal(&invoice("c-1")).unwrap();
    b.shred("c-1").unwrap();
    assert_eq!(
        a.open_json::<Invoice>(&serde_json::to_string(&kept).unwrap())
            .unwrap()
            .card_number,
        "4111111111111111"
    );
    // `a` honours b's shred within the shred bound.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while live.open(&a).is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "a never saw b's shred"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(kept.open(&a).unwrap().card_number, "4111111111111111");
    drop((a, b));
    std::fs::remove_dir_all(&dir).unwrap();
}
