use privacy_core::schema::Shape;
use privacy_core::{Category, PersonalData};

#[derive(PersonalData)]
struct Login(
    #[personal(subject_id)] u64,
    #[personal(category = "contact.email")] String,
    #[personal(not_personal)] bool,
);

#[derive(PersonalData)]
struct Email(#[personal(category = "contact.email")] String);

fn main() {
    let login = Login(7, String::from("jane@example.com"), true);
    assert_eq!(
        format!("{login:?}"),
        "Login(<identity.account_id>, <contact.email>, true)"
    );
    assert_eq!(
        format!("{login:#?}"),
        "Login(\n    <identity.account_id>,\n    <contact.email>,\n    true,\n)"
    );
    assert_eq!(login.subject_id().as_deref(), Some("7"));
    let s = Login::schema();
    assert_eq!(s.shape, Shape::Tuple);
    let names: Vec<_> = s.fields.iter().map(|f| f.name).collect();
    assert_eq!(names, ["0", "1"]);

    let mut email = Email(String::from("jane@example.com"));
    assert_eq!(format!("{email:?}"), "Email(<contact.email>)");
    assert_eq!(Email::schema().shape, Shape::Newtype);
    assert_eq!(
        Email::schema().fields[0].category,
        Some(Category::ContactEmail)
    );
    email.erase();
    assert_eq!(email.0, "");
}
