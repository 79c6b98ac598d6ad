use privacy_core::PersonalData;

#[derive(PersonalData)]
struct Account {
    #[personal(category = "contact.email")]
    email: String,
    nickname: String,
}

fn main() {}
