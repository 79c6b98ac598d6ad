use privacy_core::PersonalData;

#[derive(PersonalData)]
struct Account {
    #[personal(category = "contact.email", anonymize = "emial")]
    email: String,
}

fn main() {}
