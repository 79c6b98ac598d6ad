//! `uuid`, `chrono` and `time` types as subject ids, record ids, `collected_at` and fields.
#![cfg(all(feature = "uuid", feature = "chrono", feature = "time"))]

use std::time::{Duration, SystemTime};

use privacy_core::crypto::Keyring;
use privacy_core::PersonalData;
use serde::{Deserialize, Serialize};

#[derive(PersonalData, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Ping {
    #[personal(subject_id)]
    child_id: uuid::Uuid,
    #[personal(record_id)]
    id: uuid::Uuid,
    #[personal(category = "location.precise", encrypt, retention = "30d")]
    position: Option<(f64, f64)>,
    #[personal(collected_at)]
    taken_at: chrono::DateTime<chrono::Utc>,
}

#[derive(PersonalData, Serialize, Deserialize, PartialEq)]
struct Visit {
    #[personal(subject_id)]
    person: uuid::Uuid,
    #[personal(category = "demographic.birth_date", encrypt)]
    born: Option<chrono::NaiveDate>,
    #[personal(collected_at)]
    at: time::OffsetDateTime,
}

fn ping() -> Ping {
    Ping {
        child_id: uuid::Uuid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0),
        id: uuid::Uuid::from_u128(7),
        position: Some((52.520_008, 13.404_954)),
        taken_at: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
    }
}

#[test]
fn a_uuid_subject_id_is_its_hyphenated_form_and_a_chrono_time_is_the_collection_time() {
    let p = ping();
    assert_eq!(
        p.subject_id().as_deref(),
        Some("12345678-9abc-def0-1234-56789abcdef0")
    );
    assert_eq!(
        p.record_id().as_deref(),
        Some("00000000-0000-0000-0000-000000000007")
    );
    assert_eq!(
        p.collected_at(),
        Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000))
    );
}

#[test]
fn records_keyed_by_uuid_seal_and_open() {
    let keyring = Keyring::in_memory();
    let p = ping();
    let sealed = keyring.seal(&p).unwrap();
    let json = serde_json::to_string(&sealed).unwrap();
    assert!(!json.contains("52.520008"));
    assert!(json.contains("\"id\""));
    let back: privacy_core::crypto::Sealed<Ping> = serde_json::from_str(&json).unwrap();
    assert!(back.open(&keyring).unwrap() == p);
}

#[test]
fn retention_is_measured_from_a_chrono_timestamp() {
    let mut p = ping();
    let report =
        p.expire(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + 31 * 86_400));
    assert_eq!(report.changed(), 1);
}

#[test]
fn time_and_chrono_dates_work_as_collection_times_and_field_types() {
    let v = Visit {
        person: uuid::Uuid::from_u128(9),
        born: chrono::NaiveDate::from_ymd_opt(2015, 3, 14),
        at: time::OffsetDateTime::from_unix_timestamp(1_600_000_000).unwrap(),
    };
    assert_eq!(
        v.collected_at(),
        Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000))
    );
    let keyring = Keyring::in_memory();
    let sealed = keyring.seal(&v).unwrap();
    assert!(!serde_json::to_string(&sealed)
        .unwrap()
        .contains("2015-03-14"));
    assert!(sealed.open(&keyring).unwrap() == v);
}
