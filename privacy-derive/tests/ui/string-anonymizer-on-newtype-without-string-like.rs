use privacy_core::PersonalData;

/// A string newtype that does not implement `StringLike`.
#[derive(Debug, serde::Serialize)]
#[serde(transparent)]
pub struct Email(String);

#[derive(PersonalData)]
struct Account {
    #[personal(category = "contact.email", anonymize = "email", on_erase = "anonymize")]
    email: Email,
}

fn main() {}
