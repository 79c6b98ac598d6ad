use privacy_core::{PersonalData, Redacted};
use serde::Serialize;

#[derive(PersonalData, Serialize)]
struct Account {
    #[personal(category = "contact.email")]
    email: String,
}

fn main() {
    let account = Account { email: "jane@example.com".into() };
    let json = serde_json::to_string(&account.redacted()).unwrap();
    // `Redacted` implements `Serialize` only: reading redacted output back is a type error.
    let _back: Redacted<'_, Account> = serde_json::from_str(&json).unwrap();
}
