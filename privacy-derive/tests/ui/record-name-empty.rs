use privacy_core::PersonalData;

#[derive(PersonalData)]
#[personal(name = "")]
struct Account {
    #[personal(subject_id)]
    id: u64,
}

fn main() {}
