use privacy_core::PersonalData;

#[derive(PersonalData)]
struct Account {
    #[personal(subject_id)]
    id: u64,
    #[personal(subject_id)]
    legacy_id: u64,
}

fn main() {}
