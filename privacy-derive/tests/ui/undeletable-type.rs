use privacy_core::PersonalData;

#[derive(PersonalData)]
struct Profile {
    #[personal(category = "demographic.age")]
    age: u64,
}

fn main() {}
