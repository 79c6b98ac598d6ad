use privacy_core::PersonalData;

struct Device {
    imei: String,
}

#[derive(PersonalData)]
struct Account {
    #[personal(nested)]
    device: Device,
}

fn main() {}
