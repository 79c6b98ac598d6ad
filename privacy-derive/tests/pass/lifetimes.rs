use privacy_core::PersonalData;

#[derive(PersonalData)]
struct View<'a, 'b: 'a> {
    #[personal(category = "identity.name")]
    name: &'a str,
    #[personal(category = "contact.email")]
    email: std::borrow::Cow<'b, str>,
    #[personal(not_personal)]
    page: &'b str,
}

fn main() {
    let owned = String::from("Jane Doe");
    let mut view = View {
        name: &owned,
        email: "jane@example.com".into(),
        page: "home",
    };
    assert_eq!(
        format!("{view:?}"),
        r#"View { name: <identity.name>, email: <contact.email>, page: "home" }"#
    );
    let values: Vec<_> = view
        .personal_values()
        .into_iter()
        .map(|v| v.value)
        .collect();
    assert_eq!(values, ["Jane Doe", "jane@example.com"]);
    view.erase();
    assert_eq!(view.name, "");
    assert_eq!(view.email, "");
    assert_eq!(view.page, "home");
}
