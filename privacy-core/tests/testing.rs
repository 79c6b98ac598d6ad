//! `LeakScanner` and `assert_no_pii!`: raw and encoded values of a record found in text.

use std::net::IpAddr;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use privacy_core::testing::{Encoding, Leak, LeakScanner, SkipReason};
use privacy_core::{assert_no_pii, Category, PersonalData, PersonalValue};
use serde::Serialize;

#[derive(PersonalData, Serialize)]
struct Account {
    #[personal(subject_id)]
    id: u64,
    #[personal(category = "contact.email")]
    email: String,
    #[personal(
        category = "device.ip_address",
        anonymize = "ip",
        on_erase = "anonymize"
    )]
    last_ip: IpAddr,
    #[personal(category = "identity.name")]
    name: String,
    #[personal(category = "demographic.country")]
    country: String,
    #[personal(not_personal)]
    plan: String,
}

fn account() -> Account {
    Account {
        id: 4242,
        email: "jane.doe+shop@example.com".into(),
        last_ip: "203.0.113.7".parse().expect("address"),
        name: "Jane Q. Doe".into(),
        country: "FR".into(),
        plan: "pro".into(),
    }
}

fn scanner() -> LeakScanner {
    let account = account();
    LeakScanner::new(&[&account]).expect("scanner")
}

fn only(leaks: &[Leak]) -> (&'static str, Encoding, usize) {
    assert_eq!(leaks.len(), 1, "{leaks:?}");
    (leaks[0].field, leaks[0].encoding, leaks[0].offset)
}

#[test]
fn a_raw_value_is_found_with_its_field_category_and_offset() {
    let leaks = scanner().scan("user signed in: jane.doe+shop@example.com ok");
    let found: Vec<_> = leaks
        .iter()
        .map(|l| (l.record, l.field, l.category, l.encoding, l.offset, l.len))
        .collect();
    assert_eq!(
        found,
        [(
            "Account",
            "email",
            Category::ContactEmail,
            Encoding::Raw,
            16,
            25
        )]
    );
}

#[test]
fn a_base64_encoded_value_is_found_padded_unpadded_and_inside_a_blob() {
    let scanner = scanner();
    let alone = format!("token={}", STANDARD.encode("jane.doe+shop@example.com"));
    assert_eq!(only(&scanner.scan(&alone)), ("email", Encoding::Base64, 6));
    for prefix in ["", "u", "us", "user=", "name=x&user="] {
        let blob = STANDARD.encode(format!("{prefix}jane.doe+shop@example.com&next=1"));
        let leaks = scanner.scan(&blob);
        assert_eq!(only(&leaks).0, "email", "prefix {prefix:?}");
        assert_eq!(only(&leaks).1, Encoding::Base64, "prefix {prefix:?}");
    }
    let url = URL_SAFE_NO_PAD.encode("ip=203.0.113.7?>?>");
    assert_eq!(only(&scanner.scan(url)).0, "last_ip");
}

#[test]
fn a_url_safe_base64_value_is_reported_as_base64url() {
    // The padding-free URL-safe encoding differs from the standard one for these bytes.
    let scanner = LeakScanner::from_values([value("token", "~~~>>>???")]).expect("scanner");
    let encoded = URL_SAFE_NO_PAD.encode("~~~>>>???");
    assert_eq!(
        only(&scanner.scan(&encoded)),
        ("token", Encoding::Base64Url, 0)
    );
}

#[test]
fn a_hex_encoded_value_is_found_in_either_case() {
    let scanner = scanner();
    let lower: String = "Jane Q. Doe"
        .bytes()
        .flat_map(|b| [b >> 4, b & 0xf])
        .map(|n| char::from(b"0123456789abcdef"[usize::from(n)]))
        .collect();
    let upper = lower.to_uppercase();
    assert_eq!(
        only(&scanner.scan(format!("blob {lower}"))),
        ("name", Encoding::HexLower, 5)
    );
    assert_eq!(
        only(&scanner.scan(format!("blob {upper}"))),
        ("name", Encoding::HexUpper, 5)
    );
}

#[test]
fn a_value_inside_a_url_query_is_found_percent_encoded() {
    let leaks = scanner().scan("GET /api/reset?email=jane.doe%2Bshop%40example.com&x=1");
    assert_eq!(only(&leaks), ("email", Encoding::Percent, 21));
    let form = scanner().scan("name=Jane+Q.+Doe");
    assert_eq!(only(&form), ("name", Encoding::Percent, 5));
}

#[test]
fn a_value_inside_json_is_found_escaped() {
    let scanner = LeakScanner::from_values([value("note", "said \"hi\" at 5/6")]).expect("scanner");
    let body = serde_json::json!({ "note": "said \"hi\" at 5/6" }).to_string();
    assert_eq!(
        only(&scanner.scan(&body)),
        ("note", Encoding::JsonEscaped, 9)
    );
    let slashed = r#"{"note":"said \"hi\" at 5\/6"}"#;
    assert_eq!(only(&scanner.scan(slashed)).1, Encoding::JsonEscaped);
}

#[test]
fn a_record_serialized_to_json_leaks_every_searchable_field() {
    let account = account();
    let json = serde_json::to_string(&account).expect("json");
    let fields: Vec<_> = scanner().scan(&json).iter().map(|l| l.field).collect();
    assert_eq!(fields, ["id", "email", "last_ip", "name"]);
}

#[test]
fn text_without_a_leak_passes() {
    let text = "user 17 signed in from 198.51.100.1 as john@example.org: FRANCE, plan pro";
    assert_eq!(scanner().scan(text), []);
    assert_no_pii!(text, &account());
}

#[test]
fn short_values_are_listed_as_skipped_and_digits_match_only_at_word_boundaries() {
    let scanner = scanner();
    let skipped: Vec<_> = scanner
        .skipped()
        .iter()
        .map(|s| (s.record, s.field, s.category, s.reason))
        .collect();
    assert_eq!(
        skipped,
        [
            (
                "Account",
                "id",
                Category::IdentityAccountId,
                SkipReason::EncodedFormsTooShort
            ),
            (
                "Account",
                "country",
                Category::DemographicCountry,
                SkipReason::TooShort { len: 2 }
            ),
        ]
    );
    assert_eq!(
        only(&scanner.scan("user=4242 ok")),
        ("id", Encoding::Raw, 5)
    );
    assert_eq!(scanner.scan("took 14242ms, 4242x"), []);
}

#[test]
fn a_match_shared_by_two_fields_is_reported_for_both() {
    let scanner = LeakScanner::from_values([
        value("login", "jane@example.com"),
        value("email", "jane@example.com"),
    ])
    .expect("scanner");
    let fields: Vec<_> = scanner
        .scan("to jane@example.com")
        .iter()
        .map(|l| l.field)
        .collect();
    assert_eq!(fields, ["email", "login"]);
}

#[test]
fn assert_no_pii_names_field_category_encoding_and_offset() {
    let account = account();
    let text = format!(
        "reset link sent, t={}",
        STANDARD.encode("jane.doe+shop@example.com")
    );
    let panic =
        std::panic::catch_unwind(|| assert_no_pii!(text, &account)).expect_err("a leak must panic");
    let message = panic.downcast_ref::<String>().expect("a String message");
    assert_eq!(
        message,
        "personal data leaked into text (1 leak):\n  Account.email <contact.email> found base64 at byte 19..52"
    );
}

#[test]
fn the_panic_message_of_assert_no_pii_never_contains_a_raw_value() {
    let account = account();
    let text = "jane.doe+shop@example.com from 203.0.113.7 named Jane Q. Doe, id 4242";
    let panic =
        std::panic::catch_unwind(|| assert_no_pii!(text, &account)).expect_err("a leak must panic");
    let message = panic.downcast_ref::<String>().expect("a String message");
    assert!(
        message.starts_with("personal data leaked into text (4 leaks):"),
        "{message}"
    );
    for value in account.personal_values() {
        assert!(
            !message.contains(&value.value),
            "message holds a value of {}",
            value.field
        );
    }
}

fn value(field: &'static str, text: &str) -> PersonalValue {
    PersonalValue {
        record: "Note",
        field,
        category: Category::Custom("note"),
        value: text.into(),
    }
}

#[test]
fn the_assertion_macros_are_reachable_from_the_testing_module_too() {
    let a = account();
    privacy_core::testing::assert_no_pii!("nothing personal here", &a);
    privacy_core::testing::assert_no_detected_pii!("nothing personal here");
}
