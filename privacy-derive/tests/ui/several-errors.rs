use privacy_core::PersonalData;

#[derive(PersonalData)]
struct Account {
    #[personal(subject_id)]
    id: u64,
    #[personal(category = "contact.mail", retention = "30days")]
    email: String,
    #[personal(category = "financial.card_number", on_erase = "retain", colour = "red")]
    card: String,
    nickname: String,
}

fn main() {}
