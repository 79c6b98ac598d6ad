use privacy_core::PersonalData;

#[derive(PersonalData)]
struct Account {
    #[personal(category = "contact.email", blind_index)]
    email: String,
}

fn main() {}
