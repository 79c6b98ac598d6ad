//! `on_erase = "reset"`: C-like enums and newtypes, which have no empty state, are erased to
//! their type's `Default` without a hand-written `Erase` impl - through erase, expiry, the
//! erasure report, the inventory, and sealing.

use std::time::{Duration, SystemTime};

use privacy_core::crypto::Keyring;
use privacy_core::inventory::Inventory;
use privacy_core::schema::ErasePolicy;
use privacy_core::PersonalData;
use serde::{Deserialize, Serialize};

/// A C-like enum: no empty state, a meaningful default.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
#[serde(rename_all = "snake_case")]
enum Gender {
    #[default]
    Undisclosed,
    Female,
    Male,
}

/// A newtype around a string, serialized as the string.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(transparent)]
struct Iban(String);

#[derive(PersonalData, Serialize, Deserialize, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Member {
    #[personal(subject_id)]
    id: u64,
    #[personal(category = "demographic.gender", on_erase = "reset")]
    gender: Gender,
    #[personal(category = "financial.bank_account", encrypt, on_erase = "reset")]
    payout_iban: Iban,
    #[personal(category = "demographic.age", retention = "30d", on_erase = "reset")]
    age_band: u8,
    #[personal(collected_at)]
    joined_at: SystemTime,
}

fn member(joined_at: SystemTime) -> Member {
    Member {
        id: 9,
        gender: Gender::Female,
        payout_iban: Iban("DE89370400440532013000".into()),
        age_band: 4,
        joined_at,
    }
}

#[test]
fn erase_resets_each_field_to_its_default_and_reports_it() {
    let mut m = member(SystemTime::now());
    let report = m.erase();
    assert_eq!(m.gender, Gender::Undisclosed);
    assert_eq!(m.payout_iban, Iban::default());
    assert_eq!(m.age_band, 0);
    let json = serde_json::to_value(&report).unwrap();
    // Named as serde writes them (`rename_all = "camelCase"`).
    for field in ["gender", "payoutIban", "ageBand"] {
        let row = json["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["field"] == field)
            .unwrap_or_else(|| panic!("{field} is in the report"));
        assert_eq!(row["outcome"]["action"], "erased", "{field}");
    }
    // A second request finds nothing left to erase.
    assert!(m.erase().already_erased());
}

#[test]
fn a_value_that_already_is_the_default_is_reported_as_already_erased() {
    let mut m = member(SystemTime::now());
    m.gender = Gender::Undisclosed;
    let json = serde_json::to_value(m.erase()).unwrap();
    let gender = json["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == "gender")
        .unwrap()
        .clone();
    assert_eq!(gender["outcome"]["action"], "already_erased");
}

#[test]
fn expiry_resets_a_field_whose_retention_has_passed_and_keeps_the_others() {
    let joined = SystemTime::now() - Duration::from_secs(31 * 86_400);
    let mut m = member(joined);
    m.expire(SystemTime::now());
    assert_eq!(m.age_band, 0, "30 days have passed");
    assert_eq!(m.gender, Gender::Female, "no retention period: kept");
    assert_eq!(m.payout_iban.0, "DE89370400440532013000");
}

#[test]
fn the_schema_and_the_inventory_name_the_policy() {
    let schema = Member::schema();
    let gender = schema.fields.iter().find(|f| f.name == "gender").unwrap();
    assert_eq!(gender.on_erase, ErasePolicy::Reset);
    assert_eq!(serde_json::to_value(gender.on_erase).unwrap(), "reset");
    let rows = Inventory::new().add::<Member>().unwrap().rows();
    let row = rows.iter().find(|r| r.field == "gender").unwrap();
    assert_eq!(row.on_erase, "reset to the type's default");
}

#[test]
fn newtypes_and_enums_seal_redact_and_open_like_any_field() {
    let keyring = Keyring::in_memory();
    let m = member(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    let json = keyring.seal_json(&m).unwrap();
    assert!(!json.contains("DE89370400440532013000"));
    assert_eq!(keyring.open_json::<Member>(&json).unwrap(), m);
    let redacted = m.redacted().to_string();
    assert!(!redacted.contains("female") && !redacted.contains("DE89"));
    privacy_core::assert_no_pii!(format!("{m:?} {redacted}"), &m);
}
