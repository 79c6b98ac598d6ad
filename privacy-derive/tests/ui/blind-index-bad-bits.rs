use privacy_core::PersonalData;

#[derive(PersonalData)]
struct Account {
    #[personal(subject_id)]
    id: u64,
    #[personal(category = "contact.email", encrypt, blind_index(bits = 12))]
    email: String,
    #[personal(category = "contact.phone", encrypt, blind_index(bits = 33))]
    phone: String,
    #[personal(category = "contact.postal_address", encrypt, blind_index(bits = 512))]
    address: String,
    #[personal(category = "identity.name", encrypt, blind_index(length = 32))]
    name: String,
}

fn main() {}
