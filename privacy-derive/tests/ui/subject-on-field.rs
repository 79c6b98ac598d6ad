use privacy_core::PersonalData;

#[derive(PersonalData)]
struct Account {
    #[personal(subject = "customer", subject_id)]
    id: u64,
}

fn main() {}
