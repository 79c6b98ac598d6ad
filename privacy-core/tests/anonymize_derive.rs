//! The generated `anonymize()` applies each field's anonymizer with the documented result;
//! `on_erase = "anonymize"` gives the same values through `erase()`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use privacy_core::anonymize::{CivilDate, GeoPoint, Pseudonymizer, MASKED};
use privacy_core::dsar::ErasureOutcome;
use privacy_core::PersonalData;
use serde::Serialize;

/// One field per anonymizer (and per accepted field type), every one erased by anonymizing.
#[derive(PersonalData, Serialize, Clone)]
struct EveryAnonymizer {
    #[personal(
        category = "identity.name",
        anonymize = "redact",
        on_erase = "anonymize"
    )]
    nickname: String,
    #[personal(
        category = "device.ip_address",
        anonymize = "redact",
        on_erase = "anonymize"
    )]
    ip_redacted: IpAddr,
    #[personal(
        category = "device.ip_address",
        anonymize = "ip",
        on_erase = "anonymize"
    )]
    ip: IpAddr,
    #[personal(
        category = "device.ip_address",
        anonymize = "ip",
        on_erase = "anonymize"
    )]
    ip_v4: Ipv4Addr,
    #[personal(
        category = "device.ip_address",
        anonymize = "ip",
        on_erase = "anonymize"
    )]
    ip_v6: Ipv6Addr,
    #[personal(
        category = "device.ip_address",
        anonymize = "ip",
        on_erase = "anonymize"
    )]
    peer: SocketAddr,
    #[personal(
        category = "device.ip_address",
        anonymize = "ip",
        on_erase = "anonymize"
    )]
    ip_text: String,
    #[personal(
        category = "device.ip_address",
        anonymize = "ip",
        on_erase = "anonymize"
    )]
    ip_garbage: String,
    #[personal(
        category = "contact.email",
        anonymize = "email",
        on_erase = "anonymize"
    )]
    email: String,
    #[personal(
        category = "contact.email",
        anonymize = "email",
        on_erase = "anonymize"
    )]
    not_an_email: String,
    #[personal(
        category = "contact.phone",
        anonymize = "phone",
        on_erase = "anonymize"
    )]
    phone: Option<String>,
    #[personal(
        category = "financial.card_number",
        anonymize = "last4",
        on_erase = "anonymize"
    )]
    card: String,
    #[personal(
        category = "financial.card_number",
        anonymize = "bin_last4",
        on_erase = "anonymize"
    )]
    card_for_support: String,
    #[personal(
        category = "identity.name",
        anonymize = "initials",
        on_erase = "anonymize"
    )]
    name: String,
    #[personal(
        category = "location.precise",
        anonymize = "coarse_location",
        on_erase = "anonymize"
    )]
    position: GeoPoint,
    #[personal(
        category = "location.precise",
        anonymize = "coarse_location",
        on_erase = "anonymize"
    )]
    trail: Vec<(f64, f64)>,
    #[personal(
        category = "demographic.birth_date",
        anonymize = "year",
        on_erase = "anonymize"
    )]
    birth_year: String,
    #[personal(
        category = "demographic.birth_date",
        anonymize = "year",
        on_erase = "anonymize"
    )]
    birth_date: CivilDate,
    #[personal(
        category = "demographic.birth_date",
        anonymize = "age_band",
        on_erase = "anonymize"
    )]
    birth_band: String,
    #[personal(
        category = "demographic.age",
        anonymize = "age_band",
        on_erase = "anonymize"
    )]
    age: u8,
    #[personal(
        category = "device.id",
        anonymize = "pseudonym",
        on_erase = "anonymize"
    )]
    imei: String,
    #[personal(
        category = "custom:loyalty.code",
        anonymize_with = keep_prefix,
        on_erase = "anonymize"
    )]
    code: String,
}

fn keep_prefix(code: &str) -> String {
    format!("{}-****", code.split('-').next().unwrap_or(""))
}

fn record() -> EveryAnonymizer {
    EveryAnonymizer {
        nickname: "jd42".into(),
        ip_redacted: "203.0.113.7".parse().unwrap(),
        ip: "203.0.113.7".parse().unwrap(),
        ip_v4: Ipv4Addr::new(198, 51, 100, 23),
        ip_v6: "2001:db8:85a3:8d3::7".parse().unwrap(),
        peer: "[2001:db8::1]:51234".parse().unwrap(),
        ip_text: "fe80::1ff:fe23:4567:890a%eth0".into(),
        ip_garbage: "jane's laptop".into(),
        email: "jane.doe+news@example.com".into(),
        not_an_email: "jane at example dot com".into(),
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
        birth_date: CivilDate::parse("1950-04-01").unwrap(),
        birth_band: "1950-04-01".into(),
        age: 37,
        imei: "490154203237518".into(),
        code: "GOLD-77812".into(),
    }
}

fn key() -> Pseudonymizer {
    Pseudonymizer::new("t1", b"test key for the anonymize tests").expect("key")
}

#[test]
fn generated_anonymize_gives_the_documented_result_for_every_anonymizer() {
    key().install_global();
    let mut r = record();
    r.anonymize();
    assert_eq!(r.nickname, "[redacted]");
    assert_eq!(r.ip_redacted.to_string(), "0.0.0.0");
    assert_eq!(r.ip.to_string(), "203.0.113.0");
    assert_eq!(r.ip_v4.to_string(), "198.51.100.0");
    assert_eq!(r.ip_v6.to_string(), "2001:db8:85a3::");
    assert_eq!(r.peer.to_string(), "[2001:db8::]:0");
    assert_eq!(r.ip_text, "fe80::");
    assert_eq!(r.ip_garbage, MASKED);
    assert_eq!(r.email, "j***@example.com");
    assert_eq!(r.not_an_email, MASKED);
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
    assert_eq!(r.birth_date.to_string(), "1950-01-01");
    assert_eq!(r.birth_band, "65+");
    assert_eq!(r.age, 35);
    assert_eq!(r.imei, key().pseudonym("490154203237518"));
    assert!(r.imei.starts_with("ps_t1_"));
    assert_eq!(r.code, "GOLD-****");

    let once = serde_json::to_string(&r).unwrap();
    r.anonymize();
    assert_eq!(
        serde_json::to_string(&r).unwrap(),
        once,
        "anonymize is idempotent"
    );
}

#[test]
fn erasing_with_on_erase_anonymize_gives_the_same_values_as_anonymize() {
    key().install_global();
    let mut anonymized = record();
    anonymized.anonymize();
    let mut erased = record();
    let report = erased.erase();
    assert_eq!(
        serde_json::to_value(&erased).unwrap(),
        serde_json::to_value(&anonymized).unwrap()
    );
    assert_eq!(report.fields.len(), 22);
    assert!(report
        .fields
        .iter()
        .all(|f| f.outcome == ErasureOutcome::Anonymized));
    let again = erased.erase();
    // Built-in anonymizers are idempotent; `anonymize_with` functions are not known to be.
    let not_already: Vec<_> = again
        .fields
        .iter()
        .filter(|f| f.outcome != ErasureOutcome::AlreadyErased)
        .map(|f| f.field.as_str())
        .collect();
    assert_eq!(not_already, ["code"]);
}
