use privacy_core::PersonalData;
use serde::Serialize;

#[derive(PersonalData, Serialize)]
#[serde(transparent)]
struct Email(#[personal(category = "contact.email")] String);

fn main() {}
