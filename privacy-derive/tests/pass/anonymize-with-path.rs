use privacy_core::dsar::ErasureOutcome;
use privacy_core::{Anonymizer, ErasePolicy, PersonalData};

mod masks {
    pub fn domain_only(email: &String) -> String {
        match email.split_once('@') {
            Some((_, domain)) => format!("*@{domain}"),
            None => String::from("*"),
        }
    }
}

#[derive(PersonalData)]
struct Account {
    #[personal(
        category = "contact.email",
        anonymize_with = masks::domain_only,
        on_erase = "anonymize"
    )]
    email: String,
    #[personal(category = "identity.name", anonymize = "redact")]
    name: String,
}

fn main() {
    let meta = &Account::schema().fields[0];
    assert_eq!(
        meta.anonymizer,
        Some(Anonymizer::Custom("masks::domain_only"))
    );
    assert_eq!(meta.on_erase, ErasePolicy::Anonymize);

    let mut a = Account {
        email: String::from("jane@example.com"),
        name: String::from("Jane Doe"),
    };
    a.anonymize();
    assert_eq!(a.email, "*@example.com");
    assert_eq!(a.name, "[redacted]");

    let mut b = Account {
        email: String::from("joe@example.org"),
        name: String::from("Joe"),
    };
    let report = b.erase();
    assert_eq!(report.fields[0].outcome, ErasureOutcome::Anonymized);
    assert_eq!(report.fields[1].outcome, ErasureOutcome::Erased);
    assert_eq!(b.email, "*@example.org");
    assert_eq!(b.name, "");
}
