use privacy_core::PersonalData;

#[derive(PersonalData)]
struct Visit {
    #[personal(category = "device.ip_address", retention = "90d")]
    ip: String,
}

fn main() {}
