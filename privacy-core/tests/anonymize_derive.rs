//! The generated `anonymize()` applies each field's anonymizer; `on_erase = "anonymize"` uses
//! the same function.

use std::net::IpAddr;

use privacy_core::anonymize::{GeoPoint, Pseudonymizer};
use privacy_core::dsar::ErasureOutcome;
use privacy_core::PersonalData;
use serde::Serialize;

#[derive(PersonalData, Serialize, Clone)]
struct EveryAnonymizer {
    #[personal(category = "identity.name", anonymize = "redact")]
    nickname: String,
    #[personal(
        category = "device.ip_address",
        anonymize = "ip",
        on_erase = "anonymize"
    )]
    ip: IpAddr,
    #[personal(category = "device.ip_address", anonymize = "ip")]
    ip_text: String,
    #[personal(category = "contact.email", anonymize = "email")]
    email: String,
    #[personal(category = "contact.phone", anonymize = "phone")]
    phone: Option<String>,
    #[personal(category = "financial.card_number", anonymize = "last4")]
    card: String,
    #[personal(category = "financial.card_number", anonymize = "bin_last4")]
    card_for_support: String,
    #[personal(category = "identity.name", anonymize = "initials")]
    name: String,
    #[personal(
        category = "location.precise",
        anonymize = "coarse_location",
        on_erase = "anonymize"
    )]
    position: GeoPoint,
    #[personal(category = "location.precise", anonymize = "coarse_location")]
    trail: Vec<(f64, f64)>,
    #[personal(category = "demographic.birth_date", anonymize = "year")]
    birth_year: String,
    #[personal(category = "demographic.birth_date", anonymize = "age_band")]
    birth_band: String,
    #[personal(category = "device.id", anonymize = "pseudonym")]
    imei: String,
    #[personal(category = "custom:loyalty.code", anonymize_with = keep_prefix)]
    code: String,
}

fn keep_prefix(code: &str) -> String {
    format!("{}-****", code.split('-').next().unwrap_or(""))
}

fn record() -> EveryAnonymizer {
    EveryAnonymizer {
        nickname: "jd42".into(),
        ip: "203.0.113.7".parse().unwrap(),
        ip_text: "2001:db8:85a3:8d3::7".into(),
        email: "jane.doe+news@example.com".into(),
        phone: Some("+1 415 555 0142".into()),
        card: "4242 4242 4242 4242".into(),
        card_for_support: "4242424242424242".into(),
        name: "Jane Q. Doe".into(),
        position: GeoPoint {
            lat: 37.773_972,
            lon: -122.431_297,
        },
        trail: vec![(48.858_37, 2.294_481)],
        birth_year: "1950-04-01".into(),
        birth_band: "1950-04-01".into(),
        imei: "490154203237518".into(),
        code: "GOLD-77812".into(),
    }
}

fn install_key() -> &'static Pseudonymizer {
    let _ = Pseudonymizer::new("t1", b"test key for the anonymize tests")
        .expect("key")
        .install_global();
    Pseudonymizer::global().expect("installed")
}

#[test]
fn generated_anonymize_gives_the_documented_result_for_every_anonymizer() {
    let key = install_key();
    let mut r = record();
    r.anonymize();
    assert_eq!(r.nickname, "[redacted]");
    assert_eq!(r.ip.to_string(), "203.0.113.0");
    assert_eq!(r.ip_text, "2001:db8:85a3::");
    assert_eq!(r.email, "j***@example.com");
    assert_eq!(r.phone.as_deref(), Some("+1********42"));
    assert_eq!(r.card, "**** **** **** 4242");
    assert_eq!(r.card_for_support, "424242******4242");
    assert_eq!(r.name, "J. Q. D.");
    assert_eq!(
        r.position,
        GeoPoint {
            lat: 37.77,
            lon: -122.43
        }
    );
    assert_eq!(r.trail, [(48.86, 2.29)]);
    assert_eq!(r.birth_year, "1950");
    assert_eq!(r.birth_band, "65+");
    assert_eq!(r.imei, key.pseudonym("490154203237518"));
    assert_eq!(r.code, "GOLD-****");

    let once = serde_json::to_string(&r).unwrap();
    r.anonymize();
    assert_eq!(
        serde_json::to_string(&r).unwrap(),
        once,
        "anonymize is idempotent"
    );
}

#[derive(PersonalData, Serialize)]
struct Visit {
    #[personal(
        category = "device.ip_address",
        anonymize = "ip",
        on_erase = "anonymize"
    )]
    ip: IpAddr,
    #[personal(
        category = "contact.email",
        anonymize = "email",
        on_erase = "anonymize"
    )]
    email: String,
}

#[test]
fn erasing_with_on_erase_anonymize_gives_the_same_values_as_anonymize() {
    let mut erased = Visit {
        ip: "198.51.100.23".parse().unwrap(),
        email: "sam@example.org".into(),
    };
    let mut anonymized = Visit {
        ip: erased.ip,
        email: erased.email.clone(),
    };
    let report = erased.erase();
    anonymized.anonymize();
    assert_eq!(erased.ip, anonymized.ip);
    assert_eq!(erased.email, anonymized.email);
    assert!(report
        .fields
        .iter()
        .all(|f| f.outcome == ErasureOutcome::Anonymized));
    assert!(erased.erase().already_erased());
}
