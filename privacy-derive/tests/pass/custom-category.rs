use privacy_core::{Category, PersonalData};

#[derive(PersonalData)]
struct Membership {
    #[personal(category = "custom:loyalty.tier", purpose = "rewards")]
    tier: String,
    #[personal(not_personal)]
    since: u16,
}

// A tag holding `\0` (the separator of the packed Debug table) takes the table of pairs.
#[derive(PersonalData)]
struct Odd(#[personal(category = "custom:a\0b")] String, #[personal(not_personal)] u8);

fn main() {
    let m = Membership {
        tier: String::from("gold"),
        since: 2020,
    };
    assert_eq!(
        format!("{m:?}"),
        "Membership { tier: <custom:loyalty.tier>, since: 2020 }"
    );
    assert_eq!(
        format!("{m:#?}"),
        "Membership {\n    tier: <custom:loyalty.tier>,\n    since: 2020,\n}"
    );
    let category = Membership::schema().fields[0].category;
    assert_eq!(category, Some(Category::Custom("custom:loyalty.tier")));
    assert_eq!(category.map(Category::name), Some("custom:loyalty.tier"));
    let odd = Odd(String::from("x"), 7);
    assert_eq!(format!("{odd:?}"), "Odd(<custom:a\0b>, 7)");
}
