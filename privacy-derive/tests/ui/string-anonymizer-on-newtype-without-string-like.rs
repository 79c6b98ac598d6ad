use privacy_core::PersonalData;

#[derive(Debug)]
pub struct Email(String);

#[derive(PersonalData)]
struct Account {
    #[personal(category = "contact.email", anonymize = "email", on_erase = "anonymize")]
    email: Email,
}

fn main() {}
