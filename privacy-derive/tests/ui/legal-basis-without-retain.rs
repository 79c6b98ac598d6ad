use privacy_core::PersonalData;

#[derive(PersonalData)]
struct Invoice {
    #[personal(category = "identity.name", legal_basis = "tax records, 10 years")]
    billing_name: String,
}

fn main() {}
