//! String newtypes take the text anonymizers once they implement `StringLike`: directly, in an
//! `Option` and in a `Vec`, through `anonymize()` and `erase()`.

use privacy_core::anonymize::{StringLike, MASKED, REDACTED};
use privacy_core::dsar::ErasureOutcome;
use privacy_core::PersonalData;
use serde::{Deserialize, Serialize};

/// A transparent string newtype, as a service would declare one.
#[derive(Serialize, Deserialize, Clone, PartialEq, Debug)]
#[serde(transparent)]
struct Email(String);

impl StringLike for Email {
    fn string_mut(&mut self) -> &mut String {
        &mut self.0
    }
}

/// Another newtype, for the other text anonymizers.
#[derive(Serialize, Deserialize, Clone, PartialEq, Debug)]
#[serde(transparent)]
struct Text(String);

impl StringLike for Text {
    fn string_mut(&mut self) -> &mut String {
        &mut self.0
    }
}

#[derive(PersonalData, Serialize, Deserialize, Clone)]
struct Contact {
    #[personal(
        category = "contact.email",
        anonymize = "email",
        on_erase = "anonymize"
    )]
    email: Email,
    #[personal(
        category = "contact.email",
        anonymize = "email",
        on_erase = "anonymize"
    )]
    backup_email: Option<Email>,
    #[personal(
        category = "contact.phone",
        anonymize = "phone",
        on_erase = "anonymize"
    )]
    phones: Vec<Text>,
    #[personal(
        category = "identity.name",
        anonymize = "initials",
        on_erase = "anonymize"
    )]
    name: Text,
    #[personal(
        category = "financial.card_number",
        anonymize = "last4",
        on_erase = "anonymize"
    )]
    card: Text,
    #[personal(
        category = "identity.name",
        anonymize = "redact",
        on_erase = "anonymize"
    )]
    nickname: Text,
    #[personal(
        category = "device.ip_address",
        anonymize = "ip",
        on_erase = "anonymize"
    )]
    ip: Text,
}

fn contact() -> Contact {
    Contact {
        email: Email("jane.doe+x@example.com".into()),
        backup_email: Some(Email("jd@example.org".into())),
        phones: vec![Text("+1 415 555 0142".into())],
        name: Text("Jane Q. Doe".into()),
        card: Text("4242 4242 4242 4242".into()),
        nickname: Text("JD".into()),
        ip: Text("203.0.113.7".into()),
    }
}

#[test]
fn text_anonymizers_apply_to_string_newtypes_as_to_strings() {
    let mut c = contact();
    c.anonymize();
    assert_eq!(c.email, Email("j***@example.com".into()));
    assert_eq!(c.backup_email, Some(Email("j***@example.org".into())));
    assert_eq!(c.phones, vec![Text("+1********42".into())]);
    assert_eq!(c.name, Text("J. Q. D.".into()));
    assert_eq!(c.card, Text("**** **** **** 4242".into()));
    assert_eq!(c.nickname, Text(REDACTED.into()));
    assert_eq!(c.ip, Text("203.0.113.0".into()));
}

#[test]
fn a_newtype_anonymized_twice_reports_already_erased() {
    let mut c = contact();
    let first = c.erase();
    assert!(first
        .fields
        .iter()
        .all(|f| matches!(f.outcome, ErasureOutcome::Anonymized)));
    let second = c.erase();
    assert!(second
        .fields
        .iter()
        .all(|f| matches!(f.outcome, ErasureOutcome::AlreadyErased)));
}

#[test]
fn text_that_is_no_email_in_a_newtype_is_masked_completely() {
    let mut c = contact();
    c.email = Email("not an email".into());
    c.anonymize();
    assert_eq!(c.email, Email(MASKED.into()));
}

#[test]
fn the_redacted_debug_of_a_record_with_newtypes_shows_no_value() {
    let text = format!("{:?}", contact());
    assert!(!text.contains("jane"), "{text}");
    assert!(
        text.starts_with("Contact { email: <contact.email>, "),
        "{text}"
    );
}
