//! Redacted `Debug`: personal values never reach `{:?}` or `{:#?}`.

use std::net::IpAddr;
use std::time::SystemTime;

use privacy_core::PersonalData;
use serde::Serialize;

#[derive(Debug, Serialize, Clone, PartialEq)]
enum Plan {
    Free,
    Pro,
}

#[derive(PersonalData, Serialize)]
#[personal(subject = "customer")]
struct Account {
    #[personal(subject_id)]
    id: u64,
    #[personal(
        category = "contact.email",
        purpose = "account",
        retention = "account",
        anonymize = "redact",
        source = "user",
        shared_with = "payment-processor"
    )]
    email: String,
    #[personal(
        category = "device.ip_address",
        anonymize = "ip",
        retention = "90d",
        on_erase = "anonymize"
    )]
    last_ip: IpAddr,
    #[personal(collected_at)]
    created_at: SystemTime,
    #[personal(nested)]
    devices: Vec<Device>,
    #[personal(not_personal)]
    plan: Plan,
}

#[derive(PersonalData, Serialize)]
struct Device {
    #[personal(category = "device.id")]
    imei: String,
}

fn account() -> Account {
    Account {
        id: 4242,
        email: "jane.doe@example.com".into(),
        last_ip: "203.0.113.7".parse().unwrap(),
        created_at: SystemTime::UNIX_EPOCH,
        devices: vec![Device {
            imei: "490154203237518".into(),
        }],
        plan: Plan::Pro,
    }
}

#[test]
fn debug_prints_category_tags_instead_of_values() {
    assert_eq!(
        format!("{:?}", account()),
        "Account { id: <identity.account_id>, email: <contact.email>, last_ip: <device.ip_address>, \
         created_at: <collected_at>, devices: [Device { imei: <device.id> }], plan: Pro }"
    );
    let _ = Plan::Free;
    let _ = Account::schema();
}
