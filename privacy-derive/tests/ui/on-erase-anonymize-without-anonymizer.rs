use privacy_core::PersonalData;

#[derive(PersonalData)]
struct Visit {
    #[personal(category = "device.ip_address", on_erase = "anonymize")]
    ip: String,
}

fn main() {}
