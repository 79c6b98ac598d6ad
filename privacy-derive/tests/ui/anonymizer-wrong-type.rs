use privacy_core::PersonalData;

#[derive(PersonalData)]
struct Visit {
    #[personal(category = "device.ip_address", anonymize = "ip", on_erase = "anonymize")]
    ip: u32,
}

fn main() {}
