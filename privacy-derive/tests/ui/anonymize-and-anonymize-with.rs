use privacy_core::PersonalData;

fn mask(_: &String) -> String {
    String::from("***")
}

#[derive(PersonalData)]
struct Account {
    #[personal(category = "contact.email", anonymize = "redact", anonymize_with = mask)]
    email: String,
}

fn main() {}
