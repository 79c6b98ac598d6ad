use privacy_core::PersonalData;

#[derive(PersonalData)]
struct Account {
    #[personal(category = "financial.card_number", encrypt = true)]
    card: String,
}

fn main() {}
