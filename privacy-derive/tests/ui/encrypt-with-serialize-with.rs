use privacy_core::PersonalData;
use serde::Serialize;

fn upper<S: serde::Serializer>(v: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&v.to_uppercase())
}

#[derive(PersonalData, Serialize)]
struct Account {
    #[personal(subject_id)]
    id: u64,
    #[personal(category = "contact.email", encrypt)]
    #[serde(serialize_with = "upper")]
    email: String,
}

fn main() {}
