use std::collections::BTreeSet;

use privacy_core::{Category, PersonalData};

#[derive(PersonalData)]
struct Everything {
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

fn main() {
    let record = Everything {
        identity_name: String::from("raw-0"),
        identity_account_id: String::from("raw-1"),
        identity_government_id: String::from("raw-2"),
        contact_email: String::from("raw-3"),
        contact_phone: String::from("raw-4"),
        contact_postal_address: String::from("raw-5"),
        account_username: String::from("raw-6"),
        account_password: String::from("raw-7"),
        account_password_hint: String::from("raw-8"),
        account_security_answer: String::from("raw-9"),
        demographic_birth_date: String::from("raw-10"),
        demographic_age: String::from("raw-11"),
        demographic_gender: String::from("raw-12"),
        demographic_country: String::from("raw-13"),
        demographic_language: String::from("raw-14"),
        financial_card_number: String::from("raw-15"),
        financial_card_security_code: String::from("raw-16"),
        financial_bank_account: String::from("raw-17"),
        commercial_purchase: String::from("raw-18"),
        device_id: String::from("raw-19"),
        device_ip_address: String::from("raw-20"),
        device_mac_address: String::from("raw-21"),
        device_cookie_id: String::from("raw-22"),
        device_environment: String::from("raw-23"),
        device_error_report: String::from("raw-24"),
        device_troubleshooting: String::from("raw-25"),
        usage_product_interaction: String::from("raw-26"),
        location_precise: String::from("raw-27"),
        location_imprecise: String::from("raw-28"),
        social_profile: String::from("raw-29"),
        marketing_preference: String::from("raw-30"),
        health: String::from("raw-31"),
        biometric: String::from("raw-32"),
    };
    let s = Everything::schema();
    assert_eq!(s.fields.len(), Category::ALL.len());
    assert_eq!(s.fields.len(), 33);
    let used: BTreeSet<Category> = s.fields.iter().filter_map(|f| f.category).collect();
    let all: BTreeSet<Category> = Category::ALL.iter().copied().collect();
    assert_eq!(used, all);
    for f in s.fields {
        let category = f.category.map(Category::name);
        assert_eq!(
            Some(f.name.replace('_', "").as_str()),
            category.map(|c| c.replace(['.', '_'], "")).as_deref()
        );
    }
    let debug = format!("{record:?}");
    let pretty = format!("{record:#?}");
    for (i, category) in Category::ALL.iter().enumerate() {
        let raw = format!("raw-{i}");
        assert!(
            !debug.contains(&raw) && !pretty.contains(&raw),
            "{raw} leaked"
        );
        assert!(debug.contains(&format!("<{}>", category.name())));
    }
}
