//! The allow-list of `assert_no_pii!` and `LeakScanner`: fields and categories a test lets
//! appear on purpose; everything else is still reported, never with its value.

use std::panic::{catch_unwind, AssertUnwindSafe};

use privacy_core::testing::{Allow, LeakScanner};
use privacy_core::{assert_no_pii, Category, PersonalData};

#[derive(PersonalData)]
struct Account {
    #[personal(subject_id)]
    id: String,
    #[personal(category = "contact.email")]
    email: String,
    #[personal(nested)]
    devices: Vec<Device>,
}

#[derive(PersonalData)]
struct Device {
    #[personal(category = "device.id")]
    id: String,
}

fn account() -> Account {
    Account {
        id: "u-424242".into(),
        email: "jane@example.com".into(),
        devices: vec![Device {
            id: "imei-35209900176148".into(),
        }],
    }
}

const LOG: &str = "user=u-424242 device=imei-35209900176148 to=jane@example.com";

fn failure(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("the assertion fails");
    payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default()
}

fn fields(scanner: &LeakScanner, text: &str) -> Vec<String> {
    scanner
        .scan(text)
        .iter()
        .map(|l| format!("{}.{}", l.record, l.field))
        .collect()
}

#[test]
fn an_allowed_field_is_not_reported_in_any_record() {
    let account = account();
    let scanner = LeakScanner::new(&[&account])
        .unwrap()
        .allow([Allow::field("id")]);
    assert_eq!(fields(&scanner, LOG), ["Account.email"]);
}

#[test]
fn a_field_allowed_with_its_record_leaves_other_records_reported() {
    let account = account();
    let scanner = LeakScanner::new(&[&account])
        .unwrap()
        .allow([Allow::field("Account.id")]);
    assert_eq!(fields(&scanner, LOG), ["Device.id", "Account.email"]);
}

#[test]
fn an_allowed_category_is_not_reported() {
    let account = account();
    let scanner = LeakScanner::new(&[&account])
        .unwrap()
        .allow([Allow::category(Category::ContactEmail)]);
    assert_eq!(fields(&scanner, LOG), ["Account.id", "Device.id"]);
    assert_eq!(scanner.allowed(), [Allow::category(Category::ContactEmail)]);
}

#[test]
fn the_macro_takes_an_allow_list_at_the_call_site() {
    let account = account();
    assert_no_pii!(
        LOG,
        &account;
        allow = [
            field("Account.id"),
            field("Device.id"),
            category(Category::ContactEmail),
        ]
    );
}

#[test]
fn a_failure_with_an_allow_list_names_field_category_and_rules_never_the_value() {
    let account = account();
    let message = failure(|| assert_no_pii!(LOG, &account; allow = [field("id")]));
    assert_eq!(
        message,
        "personal data leaked into text (1 leak):\n  \
         Account.email <contact.email> found raw at byte 44..60\n\
         (allowed: field id)"
    );
}

#[test]
fn the_forms_without_an_allow_list_still_work() {
    let account = account();
    assert_no_pii!("nothing here", &account);
    assert_no_pii!("nothing here", &account, &account,);
    let message = failure(|| assert_no_pii!(LOG, &account));
    assert!(message.starts_with("personal data leaked into text (3 leaks):"));
    assert!(!message.contains("allowed"));
}

#[test]
fn allow_rules_print_what_they_allow() {
    assert_eq!(Allow::field("id").to_string(), "field id");
    assert_eq!(Allow::field("Account.id").to_string(), "field Account.id");
    assert_eq!(
        Allow::category(Category::IdentityAccountId).to_string(),
        "category identity.account_id"
    );
}
