use privacy_core::PersonalData;

#[derive(PersonalData)]
struct Device {
    #[personal(category = "device.id")]
    imei: String,
}

#[derive(PersonalData)]
struct Account {
    #[personal(category = "device.id", nested)]
    device: Device,
}

fn main() {}
