use privacy_core::PersonalData;

#[derive(PersonalData)]
struct Account {
    #[personal(category = "contact.email", purpse = "account")]
    email: String,
}

fn main() {}
