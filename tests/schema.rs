//! `PersonalData::schema()`, `subject_id()` and `collected_at()` on the contract's example.

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use privacy_core::schema::{FieldKind, RetentionUnit, Shape};
use privacy_core::{Anonymizer, Category, ErasePolicy, PersonalData, Purpose, Retention};
use serde::Serialize;

#[derive(Debug, Serialize)]
enum Plan {
    Pro,
}

#[derive(PersonalData, Serialize)]
#[personal(subject = "customer")]
struct Account {
    #[personal(subject_id)]
    id: u64,
    #[personal(
        category = "contact.email",
        purpose = "account, support",
        retention = "account",
        anonymize = "redact",
        source = "user",
        shared_with = "payment-processor"
    )]
    email: String,
    #[personal(
        category = "device.ip_address",
        anonymize = "ip",
        retention = "90d",
        on_erase = "anonymize"
    )]
    last_ip: IpAddr,
    #[personal(category = "account.password", export = false)]
    password_hash: String,
    #[personal(
        category = "financial.card_number",
        encrypt,
        blind_index,
        anonymize = "redact",
        on_erase = "retain",
        legal_basis = "tax records, 10 years"
    )]
    card: String,
    #[personal(collected_at)]
    created_at: SystemTime,
    #[personal(nested)]
    devices: Vec<Device>,
    #[personal(not_personal)]
    plan: Plan,
}

#[derive(PersonalData, Serialize)]
#[personal(subject = "customer")]
struct Device {
    #[personal(category = "device.id", retention = "6mo")]
    imei: String,
    #[personal(collected_at)]
    seen: Option<SystemTime>,
}

fn account() -> Account {
    Account {
        id: 42,
        email: "jane@example.com".into(),
        last_ip: "203.0.113.7".parse().expect("address"),
        password_hash: "$argon2id$v=19$secret".into(),
        card: "4242424242424242".into(),
        created_at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        devices: vec![Device {
            imei: "490154203237518".into(),
            seen: None,
        }],
        plan: Plan::Pro,
    }
}

#[test]
fn the_schema_lists_every_classified_field_in_order_without_not_personal_ones() {
    let s = Account::schema();
    assert_eq!(s.type_name, "Account");
    assert_eq!(s.subject_kind, "customer");
    assert_eq!(s.shape, Shape::Named);
    let names: Vec<_> = s.fields.iter().map(|f| f.name).collect();
    assert_eq!(
        names,
        [
            "id",
            "email",
            "last_ip",
            "password_hash",
            "card",
            "created_at",
            "devices"
        ]
    );
    let _ = Plan::Pro;
}

#[test]
fn a_subject_id_field_defaults_to_account_id_retained_through_erasure() {
    let id = Account::schema().field("id").expect("id");
    assert_eq!(id.kind, FieldKind::SubjectId);
    assert_eq!(id.category, Some(Category::IdentityAccountId));
    assert_eq!(id.on_erase, ErasePolicy::Retain);
    assert!(id.legal_basis.is_some());
}

#[test]
fn every_attribute_reaches_the_field_metadata() {
    let s = Account::schema();
    let email = s.field("email").expect("email");
    assert_eq!(email.category, Some(Category::ContactEmail));
    assert_eq!(email.purposes, [Purpose("account"), Purpose("support")]);
    assert_eq!(email.retention, Retention::Account);
    assert_eq!(email.anonymizer, Some(Anonymizer::Redact));
    assert_eq!(email.source, Some("user"));
    assert_eq!(email.recipients, ["payment-processor"]);
    assert!(email.exported && !email.encrypted);

    let ip = s.field("last_ip").expect("last_ip");
    assert_eq!(
        ip.retention,
        Retention::Period {
            amount: 90,
            unit: RetentionUnit::Days
        }
    );
    assert_eq!(ip.on_erase, ErasePolicy::Anonymize);

    assert!(!s.field("password_hash").expect("password").exported);

    let card = s.field("card").expect("card");
    assert!(card.encrypted && card.blind_index);
    assert_eq!(card.on_erase, ErasePolicy::Retain);
    assert_eq!(card.legal_basis, Some("tax records, 10 years"));

    let devices = s.field("devices").expect("devices");
    assert_eq!(devices.kind, FieldKind::Nested);
    assert_eq!(devices.nested, Some(Device::schema()));
    assert!(s.has_encrypted_fields());
}

#[test]
fn subject_id_and_collected_at_read_their_fields() {
    let a = account();
    assert_eq!(a.subject_id().as_deref(), Some("42"));
    assert_eq!(
        a.collected_at(),
        Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000))
    );
    assert_eq!(a.devices[0].subject_id(), None);
    assert_eq!(a.devices[0].collected_at(), None);
    let dynamic: &dyn PersonalData = &a;
    assert_eq!(dynamic.record_schema().type_name, "Account");
}

#[test]
fn personal_values_list_raw_values_with_field_and_category_recursing_into_nested() {
    let values = account().personal_values();
    let listed: Vec<_> = values
        .iter()
        .map(|v| (v.record, v.field, v.category.name(), v.value.as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            ("Account", "id", "identity.account_id", "42"),
            ("Account", "email", "contact.email", "jane@example.com"),
            ("Account", "last_ip", "device.ip_address", "203.0.113.7"),
            (
                "Account",
                "password_hash",
                "account.password",
                "$argon2id$v=19$secret"
            ),
            (
                "Account",
                "card",
                "financial.card_number",
                "4242424242424242"
            ),
            ("Device", "imei", "device.id", "490154203237518"),
        ]
    );
    assert!(!format!("{values:?}").contains("jane@example.com"));
}

#[test]
fn erase_applies_each_policy_and_a_second_erase_changes_nothing() {
    let mut a = account();
    let first = a.erase();
    assert_eq!(a.email, "");
    assert_eq!(a.last_ip.to_string(), "203.0.113.0");
    assert_eq!(a.password_hash, "");
    assert_eq!(a.card, "4242424242424242", "retained under its legal basis");
    assert_eq!(a.devices[0].imei, "");
    assert_eq!(first.changed(), 4);
    assert_eq!(
        first
            .retained()
            .map(|(f, basis)| (f.field.as_str(), basis))
            .collect::<Vec<_>>(),
        [
            ("id", privacy_core::dsar::SUBJECT_ID_BASIS),
            ("card", "tax records, 10 years")
        ]
    );
    let second = a.erase();
    assert!(second.already_erased());
    assert_eq!(second.changed(), 0);
}

#[test]
fn expire_erases_only_fields_whose_retention_has_passed() {
    let mut a = account();
    let at = a.created_at;
    let before = a.expire(at + Duration::from_secs(90 * 86_400 - 1));
    assert!(before.fields.is_empty());
    let report = a.expire(at + Duration::from_secs(90 * 86_400));
    assert_eq!(a.last_ip.to_string(), "203.0.113.0");
    assert_eq!(
        a.email, "jane@example.com",
        "account retention never expires"
    );
    assert_eq!(report.fields.len(), 1);
    assert_eq!(report.fields[0].field, "last_ip");
    assert_eq!(
        a.devices[0].imei, "490154203237518",
        "no collection time, no expiry"
    );
}
