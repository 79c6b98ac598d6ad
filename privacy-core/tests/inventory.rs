//! The data inventory (GDPR Art. 30(1) record of processing) of the seed-shaped records.

mod dsar_support;

use dsar_support::{golden, AccountHolder, ChildProfile, Device};
use privacy_core::inventory::{Inventory, InventoryError};
use privacy_core::PersonalData;

fn inventory() -> Inventory {
    Inventory::new()
        .add::<AccountHolder>()
        .unwrap()
        .add::<ChildProfile>()
        .unwrap()
}

#[test]
fn the_inventory_matches_its_golden_files() {
    golden("inventory.md", &inventory().to_markdown());
    golden(
        "inventory.json",
        &(serde_json::to_string_pretty(&inventory().to_json()).unwrap() + "\n"),
    );
}

#[test]
fn nested_schemas_are_walked_once_and_take_their_parents_subject() {
    let inv = inventory().add::<Device>().unwrap();
    let names: Vec<&str> = inv.schemas().iter().map(|s| s.type_name).collect();
    assert_eq!(
        names,
        [
            "AccountHolder",
            "PaymentCard",
            "Device",
            "ChildProfile",
            "LocationPing"
        ]
    );
    let subjects: Vec<(&str, &str)> = inv
        .rows()
        .iter()
        .map(|r| (r.record, r.subject))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(
        subjects,
        [
            ("AccountHolder", "account holder"),
            ("ChildProfile", "child"),
            ("Device", "account holder"),
            ("LocationPing", "child"),
            ("PaymentCard", "account holder")
        ]
    );
}

#[test]
fn the_inventory_states_every_article_30_item() {
    let doc = inventory().to_json();
    assert_eq!(
        doc["categories_of_data_subjects"],
        serde_json::json!(["account holder", "child"])
    );
    assert_eq!(
        doc["recipients"],
        serde_json::json!(["email-service", "parent", "payment-processor"])
    );
    assert_eq!(
        doc["security_measures"],
        serde_json::json!([
            "AccountHolder.email: blind index",
            "AccountHolder.email: encrypted",
            "AccountHolder.passport: encrypted",
            "ChildProfile.birth_date: anonymizer: year",
            "Device.ip: anonymizer: ip",
            "PaymentCard.number: anonymizer: last4"
        ])
    );
    assert!(doc["categories_of_personal_data"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("location.precise (CCPA G, sensitive)")));
    assert!(doc["retention"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("location.precise: 30d")));
    for item in [
        "purposes",
        "categories_of_personal_data",
        "retention",
        "fields",
    ] {
        assert!(
            !doc[item].as_array().unwrap().is_empty(),
            "{item} is stated"
        );
    }
}

#[derive(PersonalData)]
struct Note {
    #[personal(
        category = "custom:free.text",
        purpose = "support",
        on_erase = "retain",
        legal_basis = "tax law | 10 years"
    )]
    text: String,
}

#[test]
fn markdown_cells_escape_pipes() {
    let md = Inventory::new().add::<Note>().unwrap().to_markdown();
    assert!(
        md.contains("| Note | user | text | custom:free.text | A | support | - | - | unspecified | retain (tax law \\| 10 years) | - |"),
        "{md}"
    );
}

/// Two record types with the same Rust identifier in different modules, each with a pinned
/// record name (issue 26).
mod billing {
    use privacy_core::PersonalData;

    #[derive(PersonalData, serde::Serialize)]
    #[personal(name = "BillingAccount", subject = "customer")]
    pub struct Account {
        #[personal(subject_id)]
        pub id: String,
        #[personal(category = "financial.bank_account", purpose = "billing")]
        pub iban: String,
    }
}

mod auth {
    use privacy_core::PersonalData;

    #[derive(PersonalData, serde::Serialize)]
    #[personal(name = "LoginAccount", subject = "customer")]
    pub struct Account {
        #[personal(subject_id)]
        pub id: String,
        #[personal(category = "contact.email", purpose = "authentication")]
        pub login: String,
    }
}

#[test]
fn two_types_with_the_same_identifier_are_two_records_under_their_pinned_names() {
    let inv = Inventory::new()
        .add::<billing::Account>()
        .unwrap()
        .add::<auth::Account>()
        .unwrap();
    let names: Vec<&str> = inv.schemas().iter().map(|s| s.name).collect();
    assert_eq!(names, ["BillingAccount", "LoginAccount"]);
    let rows: Vec<(&str, &str)> = inv.rows().iter().map(|r| (r.record, r.field)).collect();
    assert_eq!(
        rows,
        [
            ("BillingAccount", "id"),
            ("BillingAccount", "iban"),
            ("LoginAccount", "id"),
            ("LoginAccount", "login")
        ]
    );
    let md = inv.to_markdown();
    assert!(md.contains("| BillingAccount | customer | iban |"), "{md}");
    assert!(md.contains("| LoginAccount | customer | login |"), "{md}");
}

mod legacy {
    use privacy_core::PersonalData;

    /// Another `Account`, pinned to the record name `LoginAccount` already taken by
    /// `auth::Account`.
    #[derive(PersonalData)]
    #[personal(name = "LoginAccount")]
    pub struct Account {
        #[personal(category = "contact.phone")]
        pub phone: String,
    }
}

#[test]
fn a_second_type_with_a_record_name_already_taken_is_refused_naming_both_types() {
    let err = Inventory::new()
        .add::<auth::Account>()
        .unwrap()
        .add::<legacy::Account>()
        .unwrap_err();
    assert_eq!(
        err,
        InventoryError::DuplicateRecordName {
            name: "LoginAccount",
            first: "inventory::auth::Account",
            second: "inventory::legacy::Account",
        }
    );
    assert_eq!(
        err.to_string(),
        "the record name `LoginAccount` is used by two different types, \
         `inventory::auth::Account` and `inventory::legacy::Account`: pin a distinct name on \
         one of them with #[personal(name = \"...\")]"
    );
}

#[test]
fn adding_the_same_type_twice_or_through_nesting_keeps_one_record() {
    let inv = Inventory::new()
        .add::<auth::Account>()
        .unwrap()
        .add::<auth::Account>()
        .unwrap()
        .add::<AccountHolder>()
        .unwrap()
        .add::<Device>()
        .unwrap();
    let names: Vec<&str> = inv.schemas().iter().map(|s| s.name).collect();
    assert_eq!(
        names,
        ["LoginAccount", "AccountHolder", "PaymentCard", "Device"]
    );
}
