use privacy_core::PersonalData;

#[derive(PersonalData)]
enum Contact {
    Email(String),
    Phone(String),
}

fn main() {}
