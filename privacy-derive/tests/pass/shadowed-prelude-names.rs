//! Generated code must use absolute paths: every name it could borrow from the prelude or
//! from `core`/`std` is shadowed here by something unrelated.

mod app {
    #![allow(dead_code, non_camel_case_types, clippy::all)]

    use privacy_core::PersonalData;

    mod core {}
    mod std {}
    mod serde {}
    mod alloc {}

    struct Option;
    struct Some;
    struct None;
    type Result = ();
    struct Ok;
    struct Err;
    struct String;
    struct Vec;
    struct Box;
    trait Debug {}
    struct Formatter;
    trait Serialize {}
    trait Erase {}
    trait Nested {}
    trait FnMut {}
    struct SystemTime;
    fn drop() {}

    #[derive(PersonalData)]
    #[personal(subject = "customer")]
    pub struct Account {
        #[personal(subject_id)]
        pub id: u64,
        #[personal(
            category = "contact.email",
            anonymize = "redact",
            on_erase = "anonymize"
        )]
        pub email: ::std::string::String,
        #[personal(collected_at)]
        pub created_at: ::std::time::SystemTime,
        #[personal(
            category = "device.ip_address",
            anonymize = "ip",
            retention = "90d",
            on_erase = "anonymize"
        )]
        pub ip: ::std::net::IpAddr,
        #[personal(nested)]
        pub devices: ::std::vec::Vec<Device>,
        #[personal(not_personal)]
        pub plan: u8,
    }

    #[derive(PersonalData)]
    pub struct Device {
        #[personal(category = "device.id")]
        pub imei: ::std::option::Option<::std::string::String>,
    }
}

fn main() {
    use privacy_core::PersonalData;

    let mut a = app::Account {
        id: 9,
        email: "jane@example.com".into(),
        created_at: std::time::SystemTime::UNIX_EPOCH,
        ip: "203.0.113.7".parse().unwrap(),
        devices: vec![app::Device {
            imei: Some("490154203237518".into()),
        }],
        plan: 2,
    };
    assert_eq!(
        format!("{a:?}"),
        "Account { id: <identity.account_id>, email: <contact.email>, created_at: <collected_at>, \
         ip: <device.ip_address>, devices: [Device { imei: <device.id> }], plan: 2 }"
    );
    assert_eq!(a.subject_id().as_deref(), Some("9"));
    assert_eq!(app::Account::schema().subject_kind, "customer");
    a.anonymize();
    assert_eq!(a.ip.to_string(), "203.0.113.0");
    assert_eq!(a.email, "[redacted]");
}
