use privacy_core::PersonalData;

fn text(v: &String) -> Option<String> {
    Some(v.clone())
}

#[derive(PersonalData)]
struct Account {
    #[personal(subject_id)]
    id: u64,
    #[personal(category = "contact.email", with = text)]
    email: String,
}

fn main() {}
