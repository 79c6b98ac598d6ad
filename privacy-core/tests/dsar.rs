//! Right to know, right to delete and retention on records shaped after the seed service:
//! an account holder with a payment card and devices, a child profile with location pings.

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use privacy_core::dsar::{sweep, Dsar, DsarError, ErasureOutcome};
use privacy_core::inventory::{Inventory, Policy, PolicyError};
use privacy_core::PersonalData;
use serde::Serialize;

const T0: u64 = 1_700_000_000;
const DAY: u64 = 86_400;

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

#[derive(PersonalData, Serialize, Clone, PartialEq)]
#[personal(subject = "account holder")]
struct AccountHolder {
    #[personal(subject_id)]
    id: String,
    #[personal(category = "identity.name", purpose = "account", source = "user")]
    name: String,
    #[personal(
        category = "contact.email",
        purpose = "account, marketing",
        source = "user",
        shared_with = "email-service"
    )]
    email: String,
    #[personal(
        category = "account.password",
        purpose = "authentication",
        source = "user"
    )]
    password_hash: String,
    #[personal(
        category = "account.password_hint",
        purpose = "authentication",
        source = "user"
    )]
    password_hint: Option<String>,
    #[personal(
        category = "identity.government_id",
        purpose = "identity-verification",
        source = "user",
        on_erase = "retain",
        legal_basis = "anti-money-laundering law, 5 years"
    )]
    passport: String,
    #[personal(nested)]
    card: Option<PaymentCard>,
    #[personal(nested)]
    devices: Vec<Device>,
    #[personal(collected_at)]
    created_at: SystemTime,
    #[personal(not_personal)]
    plan: &'static str,
}

#[derive(PersonalData, Serialize, Clone, PartialEq)]
struct PaymentCard {
    #[personal(
        category = "financial.card_number",
        purpose = "billing",
        source = "user",
        shared_with = "payment-processor",
        anonymize = "last4",
        on_erase = "anonymize"
    )]
    number: String,
    #[personal(
        category = "financial.card_security_code",
        purpose = "billing",
        source = "user",
        retention = "transient"
    )]
    cvc: Option<String>,
    #[personal(collected_at)]
    added_at: SystemTime,
}

#[derive(PersonalData, Serialize, Clone, PartialEq)]
struct Device {
    #[personal(
        category = "device.id",
        purpose = "location-sharing",
        source = "device"
    )]
    imei: String,
    #[personal(
        category = "device.ip_address",
        purpose = "security",
        source = "device",
        anonymize = "ip",
        on_erase = "anonymize",
        retention = "90d"
    )]
    ip: IpAddr,
    #[personal(collected_at)]
    seen_at: SystemTime,
}

#[derive(PersonalData, Serialize, Clone, PartialEq)]
#[personal(subject = "child")]
struct ChildProfile {
    #[personal(subject_id)]
    id: String,
    #[personal(
        category = "identity.name",
        purpose = "location-sharing",
        source = "parent"
    )]
    name: String,
    #[personal(
        category = "demographic.birth_date",
        purpose = "children-protection",
        source = "parent",
        anonymize = "year",
        on_erase = "anonymize"
    )]
    birth_date: String,
    #[personal(nested)]
    pings: Vec<LocationPing>,
}

#[derive(PersonalData, Serialize, Clone, PartialEq)]
struct LocationPing {
    #[personal(
        category = "location.precise",
        purpose = "location-sharing",
        source = "device",
        shared_with = "parent",
        retention = "30d"
    )]
    position: Option<(f64, f64)>,
    #[personal(collected_at)]
    at: SystemTime,
}

fn holder() -> AccountHolder {
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

fn child() -> ChildProfile {
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

const NEVER_DISCLOSED: &[&str] = &[
    "$argon2id$v=19$m=19456$c2FsdHNhbHQ$hash",
    "first pet's name",
    "X12345678",
    "4111111111111111",
    "737",
];

#[test]
fn the_export_holds_every_exported_value_exactly_once_and_every_ccpa_item() {
    let mut request = Dsar::new("u-1001");
    request.add(&holder()).unwrap();
    let json = request.to_json_pretty();
    for value in [
        "Maria Lopez",
        "maria.lopez@example.com",
        "356938035643809",
        "198.51.100.23",
    ] {
        assert_eq!(json.matches(value).count(), 1, "{value}");
    }
    for secret in NEVER_DISCLOSED {
        assert!(
            !json.contains(secret),
            "a value that must be withheld was disclosed"
        );
    }
    let doc = request.to_json();
    let ccpa = &doc["ccpa_1798_110"];
    for item in [
        "categories",
        "sources",
        "purposes",
        "third_parties",
        "specific_pieces",
    ] {
        assert!(!ccpa[item].is_null(), "missing CCPA 1798.110 item {item}");
    }
    assert_eq!(
        ccpa["third_parties"],
        serde_json::json!(["email-service", "payment-processor"])
    );
    let gdpr = &doc["gdpr_art_15"];
    for item in [
        "purposes",
        "categories",
        "recipients",
        "retention",
        "source",
        "rights",
    ] {
        assert!(!gdpr[item].is_null(), "missing GDPR Art. 15 item {item}");
    }
    let withheld: Vec<_> = doc["withheld"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        withheld,
        [
            "AccountHolder.passport",
            "AccountHolder.password_hash",
            "AccountHolder.password_hint",
            "PaymentCard.cvc",
            "PaymentCard.number"
        ]
    );
    let summary = request.to_markdown();
    assert!(summary.contains("maria.lopez@example.com"));
    assert!(NEVER_DISCLOSED.iter().all(|s| !summary.contains(s)));
    assert!(summary.contains("\n## Not shown\n\n- AccountHolder.passport: "));
    assert!(summary.contains("- PaymentCard.cvc: transient data is never stored\n"));
    assert!(
        summary.contains("  - cvc (")
            && summary.contains("): not shown (transient data is never stored)")
    );
}

#[test]
fn a_document_holds_no_date_unless_one_is_given() {
    let mut request = Dsar::new("c-2001");
    request.add(&child()).unwrap();
    assert!(request.to_json().get("date").is_none());
    let undated = request.to_json_pretty();
    assert_eq!(
        undated,
        request.clone().to_json_pretty(),
        "same records, same text"
    );
    request.dated("2024-05-01");
    assert_eq!(request.to_json()["date"], "2024-05-01");
    assert!(request
        .to_markdown()
        .starts_with("# Your personal data (subject c-2001)\n\nAs of 2024-05-01.\n\n"));
}

#[test]
fn the_subject_kinds_of_a_document_are_those_of_its_top_level_records() {
    let mut request = Dsar::new("u-1001");
    request.add(&holder()).unwrap();
    assert_eq!(
        request.to_json()["subject"],
        serde_json::json!({ "id": "u-1001", "kind": ["account holder"] })
    );
}

#[test]
fn a_request_for_one_kind_of_subject_refuses_records_of_another_kind() {
    let mut request = Dsar::with_kind("c-2001", "account holder");
    assert_eq!(
        request.add(&child()).unwrap_err(),
        DsarError::OtherKind {
            record: "ChildProfile",
            kind: "child"
        }
    );
    let mut request = Dsar::with_kind("c-2001", "child");
    request.add(&child()).unwrap();
    assert_eq!(request.subject_kind(), Some("child"));
    assert_eq!(request.records().len(), 1);
}

#[derive(PersonalData)]
#[personal(subject = "account holder")]
struct Family {
    #[personal(subject_id)]
    id: String,
    #[personal(nested)]
    children: Vec<ChildProfile>,
}

#[test]
fn a_nested_record_of_another_subject_is_refused_with_its_parent() {
    let family = Family {
        id: "u-1001".into(),
        children: vec![child()],
    };
    let mut request = Dsar::new("u-1001");
    assert_eq!(
        request.add(&family).unwrap_err(),
        DsarError::OtherSubject {
            record: "ChildProfile"
        }
    );
    assert!(request.records().is_empty());
    let mut request = Dsar::new("c-2001");
    assert_eq!(
        request.add(&family).unwrap_err(),
        DsarError::OtherSubject { record: "Family" }
    );
}

#[test]
fn dsar_errors_name_the_record_type_and_never_the_subject() {
    let mut request = Dsar::new("u-1001");
    let err = request.add(&child()).unwrap_err().to_string();
    assert_eq!(
        err,
        "a ChildProfile record of another data subject was added to this request"
    );
    assert!(!err.contains("c-2001") && !err.contains("u-1001"));
}

#[test]
fn a_record_of_another_subject_is_refused() {
    let mut request = Dsar::new("u-1001");
    assert_eq!(
        request.add(&child()).unwrap_err(),
        DsarError::OtherSubject {
            record: "ChildProfile"
        }
    );
    assert!(request.records().is_empty());
    let err = request.add_export(
        Device {
            imei: "1".into(),
            ip: "::1".parse().unwrap(),
            seen_at: at(0),
        }
        .export(),
    );
    assert_eq!(err.unwrap_err(), DsarError::NoSubject { record: "Device" });
}

fn golden(name: &str, actual: &str) {
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

#[test]
fn the_export_document_matches_its_golden_file() {
    let mut request = Dsar::new("c-2001");
    request.add(&child()).unwrap();
    golden("dsar_child.json", &(request.to_json_pretty() + "\n"));
    golden("dsar_child.md", &request.to_markdown());
}

#[test]
fn the_inventory_matches_its_golden_files() {
    let inventory = Inventory::new()
        .add::<AccountHolder>()
        .add::<ChildProfile>();
    golden("inventory.md", &inventory.to_markdown());
    golden(
        "inventory.json",
        &(serde_json::to_string_pretty(&inventory.to_json()).unwrap() + "\n"),
    );
}

#[test]
fn after_erase_no_erased_value_remains_anywhere_and_retained_ones_name_their_basis() {
    let mut h = holder();
    let report = h.erase();
    let export = serde_json::to_string(&h.export()).unwrap();
    let debug = format!("{h:?}");
    let serde = serde_json::to_string(&h).unwrap();
    for erased in [
        "Maria Lopez",
        "maria.lopez@example.com",
        "first pet's name",
        "356938035643809",
        "737",
    ] {
        for (what, text) in [("export", &export), ("Debug", &debug), ("serde", &serde)] {
            assert!(
                !text.contains(erased),
                "an erased value remains in the {what} output"
            );
        }
    }
    assert!(
        serde.contains("1111"),
        "the card keeps its last four digits"
    );
    assert!(!serde.contains("4111111111111111"));
    assert!(serde.contains("198.51.100.0"));
    let retained: Vec<_> = report
        .retained()
        .map(|(f, basis)| (f.field, basis))
        .collect();
    assert_eq!(
        retained,
        [
            ("id", privacy_core::dsar::SUBJECT_ID_BASIS),
            ("passport", "anti-money-laundering law, 5 years")
        ]
    );
    assert!(report
        .fields
        .iter()
        .any(|f| f.field == "number" && f.outcome == ErasureOutcome::Anonymized));

    let proof = serde_json::to_string(&report).unwrap();
    for value in [
        "Maria Lopez",
        "maria.lopez@example.com",
        "X12345678",
        "4111111111111111",
    ] {
        assert!(!proof.contains(value), "the erasure report quotes a value");
    }

    let once = h.clone();
    let again = h.erase();
    assert!(h == once, "erasing twice changes nothing");
    assert!(again.already_erased());
    assert_eq!(again.changed(), 0);
}

#[test]
fn retention_expires_exactly_at_the_limit() {
    let limit = at(T0 + 30 * DAY);
    let one = Duration::from_secs(1);
    let mut c = child();
    assert_eq!(
        c.expire(limit - one).changed(),
        0,
        "one second before: kept"
    );
    assert!(c.pings[0].position.is_some());
    let report = c.expire(limit);
    assert_eq!(report.changed(), 1, "exactly at the limit: expired");
    assert!(c.pings[0].position.is_none());
    assert!(c.pings[1].position.is_some(), "the newer ping stays");
    let mut d = child();
    assert_eq!(
        d.expire(limit + one).changed(),
        1,
        "one second after: expired"
    );

    let mut h = holder();
    let report = h.expire(at(T0));
    assert_eq!(
        report.changed(),
        1,
        "a transient security code never outlives a sweep"
    );
    assert_eq!(h.card.as_ref().unwrap().cvc, None);
}

#[test]
fn a_sweep_adds_up_what_expired() {
    let (mut a, mut b, mut h) = (child(), child(), holder());
    let records: Vec<&mut dyn PersonalData> = vec![&mut a, &mut b, &mut h];
    let total = sweep(records, at(T0 + 95 * DAY));
    assert_eq!(total.records, 3);
    assert_eq!(total.touched, 3);
    assert_eq!(total.erased, 5);
    assert_eq!(total.anonymized, 1);
    assert_eq!(total.by_category.get("location.precise"), Some(&4));
    assert_eq!(
        serde_json::to_value(&total.by_category).unwrap(),
        serde_json::json!({
            "device.ip_address": 1,
            "financial.card_security_code": 1,
            "location.precise": 4
        })
    );
    let merged = total.merged();
    assert_eq!(merged.record, "");
    assert_eq!(merged.fields.len(), 6);
    assert_eq!(merged.changed(), 6);
}

#[test]
fn a_sweep_takes_records_of_one_type_and_leaves_fresh_ones_alone() {
    let mut children = [child(), child()];
    let total = sweep(children.iter_mut(), at(T0 + 30 * DAY));
    assert_eq!(
        (total.records, total.touched, total.erased, total.anonymized),
        (2, 2, 2, 0)
    );
    assert!(children.iter().all(|c| c.pings[0].position.is_none()));
    assert!(children.iter().all(|c| c.pings[1].position.is_some()));
    let again = sweep(children.iter_mut(), at(T0 + 30 * DAY));
    assert_eq!((again.records, again.touched), (2, 0));
    assert!(again.reports.is_empty());
}

#[test]
fn a_nested_record_without_its_own_subject_id_belongs_to_its_parents_subject() {
    let inventory = Inventory::new()
        .add::<AccountHolder>()
        .add::<ChildProfile>();
    let json = inventory.to_json();
    assert_eq!(
        json["categories_of_data_subjects"],
        serde_json::json!(["account holder", "child"])
    );
    let rows = inventory.rows();
    let ping = rows.iter().find(|r| r.record == "LocationPing").unwrap();
    assert_eq!(ping.subjects, ["child"]);
    let nested_in_two = Inventory::new().add::<Family>().add::<ChildProfile>();
    let rows = nested_in_two.rows();
    let name = rows.iter().find(|r| r.record == "ChildProfile").unwrap();
    assert_eq!(
        name.subjects,
        ["child"],
        "a child profile has its own subject id"
    );
    assert_eq!(
        nested_in_two
            .schemas()
            .iter()
            .map(|s| s.type_name)
            .collect::<Vec<_>>(),
        ["Family", "ChildProfile", "LocationPing"]
    );
}

#[derive(PersonalData)]
struct Shared {
    #[personal(subject_id)]
    id: u64,
    #[personal(
        category = "contact.phone",
        purpose = "support",
        on_erase = "retain",
        legal_basis = "call records | telecom law\n2 years"
    )]
    phone: String,
}

#[test]
fn a_pipe_or_line_break_in_a_declared_text_cannot_break_the_inventory_table() {
    let md = Inventory::new().add::<Shared>().to_markdown();
    let phone = md.lines().find(|l| l.contains("| phone |")).unwrap();
    assert!(phone.ends_with("| retain (call records \\| telecom law 2 years) | - |"));
    assert_eq!(
        phone.matches(" | ").count() + 2,
        12,
        "11 columns, 12 bars: {phone}"
    );
}

const POLICY: &str = r#"
[policy]
name = "Test policy"
version = "1"
categories = ["identity.name", "contact.email", "account.password", "account.password_hint",
              "identity.government_id", "financial.card_number", "financial.card_security_code",
              "device.id", "device.ip_address", "location.precise", "social.profile"]
purposes = ["account", "marketing", "authentication", "identity-verification", "billing",
            "location-sharing", "security", "children-protection"]
recipients = ["email-service", "payment-processor", "parent"]
"#;

#[test]
fn the_policy_check_reports_an_undeclared_category_and_unused_declarations() {
    let policy = Policy::from_toml_str(POLICY).unwrap();
    let inventory = Inventory::new()
        .add::<AccountHolder>()
        .add::<ChildProfile>();
    let report = inventory.check(&policy);
    assert_eq!(
        report.undeclared_categories.keys().collect::<Vec<_>>(),
        ["demographic.birth_date", "identity.account_id"]
    );
    assert_eq!(
        report.undeclared_categories["demographic.birth_date"],
        ["ChildProfile.birth_date"]
    );
    assert_eq!(report.unused_categories, ["social.profile"]);
    assert!(report.undeclared_purposes.is_empty());
    assert!(!report.is_covered());
    assert_eq!(
        report.to_string(),
        "policy: Test policy (1)\n\
         \x20 collected but not declared:\n\
         \x20   - demographic.birth_date (ChildProfile.birth_date)\n\
         \x20   - identity.account_id (AccountHolder.id, ChildProfile.id)\n\
         \x20 purposes not declared: none\n\
         \x20 recipients not declared: none\n\
         \x20 declared but never collected: social.profile\n"
    );
    assert_eq!(
        serde_json::to_value(&report).unwrap(),
        serde_json::json!({
            "policy": "Test policy (1)",
            "undeclared_categories": {
                "demographic.birth_date": ["ChildProfile.birth_date"],
                "identity.account_id": ["AccountHolder.id", "ChildProfile.id"]
            },
            "unused_categories": ["social.profile"],
            "undeclared_purposes": {},
            "undeclared_recipients": {}
        })
    );
}

#[test]
fn a_purpose_or_recipient_the_policy_does_not_declare_is_reported() {
    let policy = Policy::from_toml_str(
        "[policy]\nname = \"p\"\nversion = \"1\"\ncategories = [\"contact.phone\", \"identity.account_id\"]\n\
         purposes = [\"account\"]\nrecipients = [\"parent\"]\n",
    )
    .unwrap();
    let report = Inventory::new().add::<Shared>().check(&policy);
    assert!(report.undeclared_categories.is_empty());
    assert_eq!(report.undeclared_purposes["support"], ["Shared.phone"]);
    assert!(!report.is_covered());
}

#[test]
fn a_policy_file_with_an_unknown_category_is_a_typed_error() {
    let err = Policy::from_toml_str(
        "[policy]\nname = \"x\"\nversion = \"1\"\ncategories = [\"contact.mail\"]\n",
    )
    .unwrap_err();
    assert!(matches!(err, PolicyError::UnknownCategory(ref c) if c == "contact.mail"));
    assert!(matches!(
        Policy::from_toml_str("not toml ["),
        Err(PolicyError::Toml(_))
    ));
    assert!(matches!(
        Policy::from_toml_str(
            "[policy]\nname = \"x\"\nversion = \"1\"\ncategories = []\nextra = 1\n"
        ),
        Err(PolicyError::Toml(_))
    ));
    assert_eq!(
        err.to_string(),
        "the policy declares the unknown category `contact.mail`"
    );
    assert!(matches!(
        Policy::from_toml_str(
            "[policy]\nname = \"x\"\nversion = \"1\"\ncategories = [\"custom:\"]\n"
        ),
        Err(PolicyError::UnknownCategory(ref c)) if c == "custom:"
    ));
    assert!(matches!(
        Policy::from_path("/nonexistent/policy.toml"),
        Err(PolicyError::Io(_))
    ));
}

#[test]
fn the_shipped_safepath_policy_parses() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/safepath-2019.toml");
    let policy = Policy::from_path(path).unwrap();
    assert_eq!(policy.version, "2019-12-27");
    assert!(policy.categories.iter().any(|c| c == "location.precise"));
    assert!(policy
        .categories
        .iter()
        .any(|c| c == "financial.card_security_code"));
}

#[derive(PersonalData)]
struct Membership {
    #[personal(category = "contact.email", retention = "account")]
    email: Option<String>,
    #[personal(category = "usage.product_interaction", retention = "1y")]
    last_page: Option<String>,
    #[personal(collected_at)]
    joined: SystemTime,
}

#[test]
fn account_retention_never_expires_in_a_sweep_while_dated_retention_does() {
    let mut m = Membership {
        email: Some("member@example.com".into()),
        last_page: Some("/pricing".into()),
        joined: at(T0),
    };
    let report = m.expire(at(T0 + 100 * 365 * DAY));
    assert_eq!(report.changed(), 1);
    assert_eq!(m.email.as_deref(), Some("member@example.com"));
    assert_eq!(m.last_page, None);
}
