use privacy_core::PersonalData;

#[derive(PersonalData)]
struct Payment {
    #[personal(category = "financial.card_security_code", retention = "transient", encrypt)]
    cvc: String,
}

fn main() {}
