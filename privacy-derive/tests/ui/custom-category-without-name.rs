use privacy_core::PersonalData;

#[derive(PersonalData)]
struct Account {
    #[personal(category = "custom:")]
    tier: String,
}

fn main() {}
