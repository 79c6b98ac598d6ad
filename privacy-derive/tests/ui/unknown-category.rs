use privacy_core::PersonalData;

#[derive(PersonalData)]
struct Account {
    #[personal(category = "contact.mail")]
    email: String,
}

fn main() {}
