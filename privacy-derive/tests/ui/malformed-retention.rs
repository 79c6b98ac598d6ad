use privacy_core::PersonalData;
use std::time::SystemTime;

#[derive(PersonalData)]
struct Account {
    #[personal(category = "contact.email", retention = "30days")]
    email: String,
    #[personal(collected_at)]
    created_at: SystemTime,
}

fn main() {}
