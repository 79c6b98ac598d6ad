use privacy_core::PersonalData;

#[derive(PersonalData)]
struct Invoice {
    #[personal(category = "identity.name", on_erase = "retain")]
    billing_name: String,
}

fn main() {}
