use privacy_core::PersonalData;

#[derive(PersonalData)]
struct Account {
    #[personal(category = "contact.email", blind_index(bits = 32))]
    email: String,
}

fn main() {}
