use privacy_core::PersonalData;

#[derive(PersonalData)]
struct Account {
    #[personal(subject_id)]
    id: u64,
    #[personal(not_personal, encrypt)]
    plan: String,
}

fn main() {}
