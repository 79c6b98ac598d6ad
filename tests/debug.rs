//! Redacted `Debug`: personal values never reach `{:?}` or `{:#?}`.

use std::net::IpAddr;
use std::time::SystemTime;

use privacy_core::PersonalData;
use serde::Serialize;

#[derive(Debug, Serialize, Clone, PartialEq)]
enum Plan {
    Free,
    Pro,
}

#[derive(PersonalData, Serialize)]
#[personal(subject = "customer")]
struct Account {
    #[personal(subject_id)]
    id: u64,
    #[personal(
        category = "contact.email",
        purpose = "account",
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
    #[personal(collected_at)]
    created_at: SystemTime,
    #[personal(nested)]
    devices: Vec<Device>,
    #[personal(not_personal)]
    plan: Plan,
}

#[derive(PersonalData, Serialize)]
struct Device {
    #[personal(category = "device.id")]
    imei: String,
}

fn account() -> Account {
    Account {
        id: 4242,
        email: "jane.doe@example.com".into(),
        last_ip: "203.0.113.7".parse().unwrap(),
        created_at: SystemTime::UNIX_EPOCH,
        devices: vec![Device {
            imei: "490154203237518".into(),
        }],
        plan: Plan::Pro,
    }
}

#[test]
fn debug_prints_category_tags_instead_of_values() {
    assert_eq!(
        format!("{:?}", account()),
        "Account { id: <identity.account_id>, email: <contact.email>, last_ip: <device.ip_address>, \
         created_at: <collected_at>, devices: [Device { imei: <device.id> }], plan: Pro }"
    );
    let _ = Plan::Free;
    let _ = Account::schema();
}

/// One field per category of the taxonomy, each holding a distinct raw value.
#[derive(PersonalData, Serialize)]
struct EveryCategory {
    #[personal(category = "identity.name")]
    identity_name: String,
    #[personal(category = "identity.account_id")]
    identity_account_id: String,
    #[personal(category = "identity.government_id")]
    identity_government_id: String,
    #[personal(category = "contact.email")]
    contact_email: String,
    #[personal(category = "contact.phone")]
    contact_phone: String,
    #[personal(category = "contact.postal_address")]
    contact_postal_address: String,
    #[personal(category = "account.username")]
    account_username: String,
    #[personal(category = "account.password")]
    account_password: String,
    #[personal(category = "account.password_hint")]
    account_password_hint: String,
    #[personal(category = "account.security_answer")]
    account_security_answer: String,
    #[personal(category = "demographic.birth_date")]
    demographic_birth_date: String,
    #[personal(category = "demographic.age")]
    demographic_age: String,
    #[personal(category = "demographic.gender")]
    demographic_gender: String,
    #[personal(category = "demographic.country")]
    demographic_country: String,
    #[personal(category = "demographic.language")]
    demographic_language: String,
    #[personal(category = "financial.card_number")]
    financial_card_number: String,
    #[personal(category = "financial.card_security_code")]
    financial_card_security_code: String,
    #[personal(category = "financial.bank_account")]
    financial_bank_account: String,
    #[personal(category = "commercial.purchase")]
    commercial_purchase: String,
    #[personal(category = "device.id")]
    device_id: String,
    #[personal(category = "device.ip_address")]
    device_ip_address: String,
    #[personal(category = "device.mac_address")]
    device_mac_address: String,
    #[personal(category = "device.cookie_id")]
    device_cookie_id: String,
    #[personal(category = "device.environment")]
    device_environment: String,
    #[personal(category = "device.error_report")]
    device_error_report: String,
    #[personal(category = "device.troubleshooting")]
    device_troubleshooting: String,
    #[personal(category = "usage.product_interaction")]
    usage_product_interaction: String,
    #[personal(category = "location.precise")]
    location_precise: String,
    #[personal(category = "location.imprecise")]
    location_imprecise: String,
    #[personal(category = "social.profile")]
    social_profile: String,
    #[personal(category = "marketing.preference")]
    marketing_preference: String,
    #[personal(category = "health")]
    health: String,
    #[personal(category = "biometric")]
    biometric: String,
}

fn every_category() -> EveryCategory {
    EveryCategory {
        identity_name: "raw-identity_name-value-00".to_owned(),
        identity_account_id: "raw-identity_account_id-value-01".to_owned(),
        identity_government_id: "raw-identity_government_id-value-02".to_owned(),
        contact_email: "raw-contact_email-value-03".to_owned(),
        contact_phone: "raw-contact_phone-value-04".to_owned(),
        contact_postal_address: "raw-contact_postal_address-value-05".to_owned(),
        account_username: "raw-account_username-value-06".to_owned(),
        account_password: "raw-account_password-value-07".to_owned(),
        account_password_hint: "raw-account_password_hint-value-08".to_owned(),
        account_security_answer: "raw-account_security_answer-value-09".to_owned(),
        demographic_birth_date: "raw-demographic_birth_date-value-10".to_owned(),
        demographic_age: "raw-demographic_age-value-11".to_owned(),
        demographic_gender: "raw-demographic_gender-value-12".to_owned(),
        demographic_country: "raw-demographic_country-value-13".to_owned(),
        demographic_language: "raw-demographic_language-value-14".to_owned(),
        financial_card_number: "raw-financial_card_number-value-15".to_owned(),
        financial_card_security_code: "raw-financial_card_security_code-value-16".to_owned(),
        financial_bank_account: "raw-financial_bank_account-value-17".to_owned(),
        commercial_purchase: "raw-commercial_purchase-value-18".to_owned(),
        device_id: "raw-device_id-value-19".to_owned(),
        device_ip_address: "raw-device_ip_address-value-20".to_owned(),
        device_mac_address: "raw-device_mac_address-value-21".to_owned(),
        device_cookie_id: "raw-device_cookie_id-value-22".to_owned(),
        device_environment: "raw-device_environment-value-23".to_owned(),
        device_error_report: "raw-device_error_report-value-24".to_owned(),
        device_troubleshooting: "raw-device_troubleshooting-value-25".to_owned(),
        usage_product_interaction: "raw-usage_product_interaction-value-26".to_owned(),
        location_precise: "raw-location_precise-value-27".to_owned(),
        location_imprecise: "raw-location_imprecise-value-28".to_owned(),
        social_profile: "raw-social_profile-value-29".to_owned(),
        marketing_preference: "raw-marketing_preference-value-30".to_owned(),
        health: "raw-health-value-31".to_owned(),
        biometric: "raw-biometric-value-32".to_owned(),
    }
}

#[test]
fn no_raw_value_of_any_category_reaches_debug_or_pretty_debug() {
    let record = every_category();
    let values = record.personal_values();
    assert_eq!(values.len(), privacy_core::Category::ALL.len());
    for text in [format!("{record:?}"), format!("{record:#?}")] {
        for v in &values {
            assert!(!text.contains(&v.value), "{} leaked into Debug", v.field);
            assert!(
                text.contains(&format!("<{}>", v.category)),
                "{} tag missing",
                v.category
            );
        }
    }
}

#[test]
fn pretty_debug_prints_one_field_per_line() {
    let text = format!("{:#?}", account());
    assert_eq!(
        text,
        "Account {\n    id: <identity.account_id>,\n    email: <contact.email>,\n    last_ip: <device.ip_address>,\n    \
         created_at: <collected_at>,\n    devices: [\n        Device {\n            imei: <device.id>,\n        },\n    ],\n    plan: Pro,\n}"
    );
}

#[derive(PersonalData, Serialize)]
struct Pair(
    #[personal(category = "identity.name")] String,
    #[personal(not_personal)] u8,
);

#[derive(PersonalData, Serialize)]
struct Login<'a, T>
where
    T: Clone,
{
    #[personal(category = "account.username")]
    user: &'a str,
    #[personal(not_personal)]
    attempts: T,
}

#[derive(PersonalData, Serialize)]
struct Marker;

#[test]
fn tuple_generic_and_unit_structs_are_redacted_too() {
    assert_eq!(
        format!("{:?}", Pair("Jane Doe".into(), 3)),
        "Pair(<identity.name>, 3)"
    );
    let login = Login {
        user: "jdoe",
        attempts: 2u32,
    };
    assert_eq!(
        format!("{login:?}"),
        "Login { user: <account.username>, attempts: 2 }"
    );
    assert_eq!(format!("{Marker:?}"), "Marker");
}

#[test]
fn debug_of_a_custom_category_shows_its_name() {
    #[derive(PersonalData, Serialize)]
    struct Loyalty {
        #[personal(category = "custom:loyalty.tier")]
        tier: String,
    }
    let l = Loyalty {
        tier: "gold".into(),
    };
    assert_eq!(format!("{l:?}"), "Loyalty { tier: <custom:loyalty.tier> }");
}

/// `PersonalData` implies `Debug`: the way generic code logs a record (here as a `tracing`
/// field would, through `{:?}`).
fn log_line<T: PersonalData>(record: &T) -> String {
    format!("record={record:?}")
}

/// The same through a trait object.
fn log_line_dyn(record: &dyn PersonalData) -> String {
    format!("record={record:?}")
}

#[test]
fn generic_code_bound_only_by_personal_data_prints_the_redacted_debug() {
    let expected = "record=Account { id: <identity.account_id>, email: <contact.email>, \
                    last_ip: <device.ip_address>, created_at: <collected_at>, \
                    devices: [Device { imei: <device.id> }], plan: Pro }";
    assert_eq!(log_line(&account()), expected);
    assert_eq!(log_line_dyn(&account()), expected);
}
