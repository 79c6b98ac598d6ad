use privacy_core::PersonalData;

#[derive(PartialEq, serde::Serialize)]
enum Tier {
    Free,
    Pro,
}

#[derive(PersonalData)]
struct Account {
    #[personal(subject_id)]
    id: u64,
    #[personal(category = "commercial.purchase", on_erase = "reset")]
    tier: Tier,
}

fn main() {}
