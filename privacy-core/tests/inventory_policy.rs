//! The policy coverage check: what the code collects against what the privacy policy says.

mod dsar_support;

use dsar_support::{AccountHolder, ChildProfile};
use privacy_core::inventory::{Inventory, Policy, PolicyError};
use privacy_core::PersonalData;

const POLICY: &str = r#"
[policy]
name = "Test policy"
version = "1"
categories = ["identity.name", "identity.account_id", "contact.email", "account.password",
              "account.password_hint", "identity.government_id", "financial.card_number",
              "financial.card_security_code", "device.id", "device.ip_address",
              "location.precise", "social.profile"]
purposes = ["account", "marketing", "authentication", "identity-verification", "billing",
            "location-sharing", "security"]
recipients = ["email-service", "payment-processor", "parent"]
"#;

fn inventory() -> Inventory {
    Inventory::new()
        .add::<AccountHolder>()
        .unwrap()
        .add::<ChildProfile>()
        .unwrap()
}

#[test]
fn an_undeclared_category_and_purpose_are_reported_with_the_fields_holding_them() {
    let policy = Policy::from_toml_str(POLICY).unwrap();
    let report = inventory().check(&policy);
    assert_eq!(
        report.undeclared_categories.keys().collect::<Vec<_>>(),
        ["demographic.birth_date"]
    );
    assert_eq!(
        report.undeclared_categories["demographic.birth_date"],
        ["ChildProfile.birth_date"]
    );
    assert_eq!(
        report.undeclared_purposes["children-protection"],
        ["ChildProfile.birth_date"]
    );
    assert_eq!(report.unused_categories, ["social.profile"]);
    assert!(report.undeclared_recipients.is_empty());
    assert!(!report.is_covered());
    assert_eq!(
        report.to_string(),
        "policy: Test policy (1)\n\
         \x20 collected but not declared:\n\
         \x20   - demographic.birth_date (ChildProfile.birth_date)\n\
         \x20 purposes not declared:\n\
         \x20   - children-protection (ChildProfile.birth_date)\n\
         \x20 recipients not declared: none\n\
         \x20 declared but never collected: social.profile\n"
    );
    assert_eq!(report.to_json()["covered"], false);
    assert_eq!(
        report.to_json()["undeclared_categories"],
        serde_json::json!({ "demographic.birth_date": ["ChildProfile.birth_date"] })
    );
}

#[derive(PersonalData)]
#[personal(subject = "account holder")]
struct Loyalty {
    #[personal(category = "custom:loyalty.tier", purpose = "marketing")]
    tier: String,
}

#[test]
fn adding_a_struct_with_an_undeclared_category_makes_the_check_report_it() {
    let policy = Policy::from_toml_str(POLICY).unwrap();
    let before = Inventory::new()
        .add::<AccountHolder>()
        .unwrap()
        .check(&policy);
    assert!(before.is_covered(), "{before}");
    let after = Inventory::new()
        .add::<AccountHolder>()
        .unwrap()
        .add::<Loyalty>()
        .unwrap()
        .check(&policy);
    assert_eq!(
        after.undeclared_categories.keys().collect::<Vec<_>>(),
        ["custom:loyalty.tier"]
    );
}

#[test]
fn an_unknown_category_is_a_typed_error_naming_it() {
    let err = Policy::from_toml_str(
        "[policy]\nname = \"x\"\nversion = \"1\"\ncategories = [\"contact.mail\"]\n",
    )
    .unwrap_err();
    assert!(matches!(err, PolicyError::UnknownCategory(ref c) if c == "contact.mail"));
    assert_eq!(
        err.to_string(),
        "the policy declares the unknown category `contact.mail`"
    );
}

#[test]
fn malformed_or_incomplete_policy_files_are_typed_errors() {
    for text in [
        "not toml [",
        "",
        "[policy]\nname = \"x\"\nversion = \"1\"\ncategories = []\nextra = 1\n",
        "[policy]\nname = \"x\"\ncategories = []\n",
        "[policy]\nname = 1\nversion = \"1\"\ncategories = []\n",
    ] {
        assert!(
            matches!(Policy::from_toml_str(text), Err(PolicyError::Toml(_))),
            "{text:?}"
        );
    }
    assert!(matches!(
        Policy::from_path("/nonexistent/policy.toml"),
        Err(PolicyError::Io(_))
    ));
}

#[test]
fn the_shipped_safepath_2019_policy_parses_from_its_path() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/safepath-2019.toml");
    let policy = Policy::from_path(path).unwrap();
    assert_eq!(policy.version, "2019-12-27");
    for declared in [
        "contact.email",
        "account.password_hint",
        "financial.card_security_code",
        "device.id",
        "device.ip_address",
        "location.precise",
    ] {
        assert!(
            policy.categories.iter().any(|c| c == declared),
            "{declared}"
        );
    }
}
