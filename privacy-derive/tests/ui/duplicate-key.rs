use privacy_core::PersonalData;

#[derive(PersonalData)]
struct Account {
    #[personal(category = "contact.email", category = "contact.phone")]
    email: String,
}

fn main() {}
