//! Records shaped after the seed service (SafePath, 2019 policy): an account holder with a
//! payment card and a device (IMEI, IP address), a child profile with location pings; and the
//! golden-file helper. Shared by the `dsar_*` and `inventory*` tests.
#![allow(dead_code)]

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use privacy_core::PersonalData;
use serde::Serialize;

pub const T0: u64 = 1_700_000_000;
pub const DAY: u64 = 86_400;

pub fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

#[derive(PersonalData, Serialize, Clone, PartialEq)]
#[personal(subject = "account holder")]
pub struct AccountHolder {
    #[personal(subject_id)]
    pub id: String,
    #[personal(
        category = "identity.name",
        purpose = "account",
        source = "user",
        retention = "account"
    )]
    pub name: String,
    #[personal(
        category = "contact.email",
        purpose = "account, marketing",
        source = "user",
        shared_with = "email-service",
        encrypt,
        blind_index
    )]
    pub email: String,
    #[personal(
        category = "account.password",
        purpose = "authentication",
        source = "user"
    )]
    pub password_hash: String,
    #[personal(
        category = "account.password_hint",
        purpose = "authentication",
        source = "user"
    )]
    pub password_hint: Option<String>,
    #[personal(
        category = "identity.government_id",
        purpose = "identity-verification",
        source = "user",
        encrypt,
        on_erase = "retain",
        legal_basis = "anti-money-laundering law, 5 years"
    )]
    pub passport: String,
    #[personal(nested)]
    pub card: Option<PaymentCard>,
    #[personal(nested)]
    pub devices: Vec<Device>,
    #[personal(collected_at)]
    pub created_at: SystemTime,
    #[personal(not_personal)]
    pub plan: &'static str,
}

#[derive(PersonalData, Serialize, Clone, PartialEq)]
pub struct PaymentCard {
    #[personal(
        category = "financial.card_number",
        purpose = "billing",
        source = "user",
        shared_with = "payment-processor",
        anonymize = "last4",
        on_erase = "anonymize"
    )]
    pub number: String,
    #[personal(
        category = "financial.card_security_code",
        purpose = "billing",
        source = "user",
        retention = "transient"
    )]
    pub cvc: Option<String>,
    #[personal(collected_at)]
    pub added_at: SystemTime,
}

#[derive(PersonalData, Serialize, Clone, PartialEq)]
pub struct Device {
    #[personal(
        category = "device.id",
        purpose = "location-sharing",
        source = "device"
    )]
    pub imei: String,
    #[personal(
        category = "device.ip_address",
        purpose = "security",
        source = "device",
        anonymize = "ip",
        on_erase = "anonymize",
        retention = "90d"
    )]
    pub ip: IpAddr,
    #[personal(collected_at)]
    pub seen_at: SystemTime,
}

#[derive(PersonalData, Serialize, Clone, PartialEq)]
#[personal(subject = "child")]
pub struct ChildProfile {
    #[personal(subject_id)]
    pub id: String,
    #[personal(
        category = "identity.name",
        purpose = "location-sharing",
        source = "parent"
    )]
    pub name: String,
    #[personal(
        category = "demographic.birth_date",
        purpose = "children-protection",
        source = "parent",
        anonymize = "year",
        on_erase = "anonymize"
    )]
    pub birth_date: String,
    #[personal(nested)]
    pub pings: Vec<LocationPing>,
}

#[derive(PersonalData, Serialize, Clone, PartialEq)]
pub struct LocationPing {
    #[personal(
        category = "location.precise",
        purpose = "location-sharing",
        source = "device",
        shared_with = "parent",
        retention = "30d"
    )]
    pub position: Option<(f64, f64)>,
    #[personal(collected_at)]
    pub at: SystemTime,
}

pub fn holder() -> AccountHolder {
    AccountHolder {
        id: "u-1001".into(),
        name: "Maria Lopez".into(),
        email: "maria.lopez@example.com".into(),
        password_hash: "$argon2id$v=19$m=19456$c2FsdHNhbHQ$hash".into(),
        password_hint: Some("first pet's name".into()),
        passport: "X12345678".into(),
        card: Some(PaymentCard {
            number: "4111111111111111".into(),
            cvc: Some("737".into()),
            added_at: at(T0),
        }),
        devices: vec![Device {
            imei: "356938035643809".into(),
            ip: "198.51.100.23".parse().unwrap(),
            seen_at: at(T0),
        }],
        created_at: at(T0),
        plan: "family",
    }
}

pub fn child() -> ChildProfile {
    ChildProfile {
        id: "c-2001".into(),
        name: "Sofia Lopez".into(),
        birth_date: "2014-03-09".into(),
        pings: vec![
            LocationPing {
                position: Some((37.773_972, -122.431_297)),
                at: at(T0),
            },
            LocationPing {
                position: Some((37.781_234, -122.411_111)),
                at: at(T0 + 20 * DAY),
            },
        ],
    }
}

pub const NEVER_DISCLOSED: &[&str] = &[
    "$argon2id$v=19$m=19456$c2FsdHNhbHQ$hash",
    "first pet's name",
    "X12345678",
    "4111111111111111",
    "737",
];

/// Compares `actual` with `tests/golden/<name>` byte for byte; `UPDATE_GOLDEN=1` rewrites it.
pub fn golden(name: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        actual, expected,
        "{name} differs from the golden file (UPDATE_GOLDEN=1 to accept)"
    );
}
