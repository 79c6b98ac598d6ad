use privacy_core::PersonalData;

#[derive(PersonalData)]
struct Visit {
    #[personal(category = "device.ip_address", retention = "90d")]
    ip: String,
    #[personal(collected_at)]
    at: u64,
}

fn main() {}
