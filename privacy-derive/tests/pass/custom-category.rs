use privacy_core::{Category, PersonalData};

#[derive(PersonalData)]
struct Membership {
    #[personal(category = "custom:loyalty.tier", purpose = "rewards")]
    tier: String,
}

fn main() {
    let m = Membership {
        tier: String::from("gold"),
    };
    assert_eq!(
        format!("{m:?}"),
        "Membership { tier: <custom:loyalty.tier> }"
    );
    let category = Membership::schema().fields[0].category;
    assert_eq!(category, Some(Category::Custom("custom:loyalty.tier")));
    assert_eq!(category.map(Category::name), Some("custom:loyalty.tier"));
}
