use privacy_core::PersonalData;

#[derive(Debug, PersonalData)]
struct Account {
    #[personal(subject_id)]
    id: u64,
}

fn main() {}
