//! `record.redacted()`: the record's JSON with every personal value replaced by its tag.

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use privacy_core::PersonalData;
use serde::Serialize;

#[derive(Debug, Serialize)]
enum Plan {
    Pro,
}

#[derive(PersonalData, Serialize)]
#[personal(subject = "customer")]
struct Account {
    #[personal(subject_id)]
    id: u64,
    #[personal(category = "contact.email")]
    email: String,
    #[personal(
        category = "device.ip_address",
        anonymize = "ip",
        on_erase = "anonymize"
    )]
    last_ip: IpAddr,
    #[personal(
        category = "financial.card_number",
        on_erase = "retain",
        legal_basis = "tax"
    )]
    card: Option<String>,
    #[personal(collected_at)]
    created_at: SystemTime,
    #[personal(nested)]
    devices: Vec<Device>,
    #[personal(nested)]
    backup: Option<Box<Device>>,
    #[personal(not_personal)]
    plan: Plan,
    #[personal(not_personal)]
    tags: Vec<String>,
}

#[derive(PersonalData, Serialize)]
struct Device {
    #[personal(category = "device.id")]
    imei: String,
    #[personal(not_personal)]
    model: String,
}

fn account() -> Account {
    Account {
        id: 42,
        email: "jane@example.com".into(),
        last_ip: "203.0.113.7".parse().expect("address"),
        card: Some("4242424242424242".into()),
        created_at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        devices: vec![
            Device {
                imei: "490154203237518".into(),
                model: "Pixel".into(),
            },
            Device {
                imei: "356938035643809".into(),
                model: "iPhone".into(),
            },
        ],
        backup: None,
        plan: Plan::Pro,
        tags: vec!["beta".into()],
    }
}

#[test]
fn redacted_json_replaces_every_personal_value_by_its_tag() {
    let json = serde_json::to_string_pretty(&account().redacted()).expect("json");
    assert_eq!(
        json,
        r#"{
  "id": "<identity.account_id>",
  "email": "<contact.email>",
  "last_ip": "<device.ip_address>",
  "card": "<financial.card_number>",
  "created_at": "<collected_at>",
  "devices": [
    {
      "imei": "<device.id>",
      "model": "Pixel"
    },
    {
      "imei": "<device.id>",
      "model": "iPhone"
    }
  ],
  "backup": null,
  "plan": "Pro",
  "tags": [
    "beta"
  ]
}"#
    );
}

#[test]
fn a_boxed_optional_nested_record_is_redacted() {
    let mut account = account();
    account.backup = Some(Box::new(Device {
        imei: "490154203237518".into(),
        model: "Old".into(),
    }));
    let json = serde_json::to_value(account.redacted()).expect("json");
    assert_eq!(
        json["backup"],
        serde_json::json!({ "imei": "<device.id>", "model": "Old" })
    );
}

#[test]
fn display_writes_the_compact_redacted_json() {
    let device = Device {
        imei: "490154203237518".into(),
        model: "Pixel".into(),
    };
    assert_eq!(
        device.redacted().to_string(),
        r#"{"imei":"<device.id>","model":"Pixel"}"#
    );
}

#[derive(PersonalData, Serialize)]
struct Pair(
    #[personal(category = "contact.phone")] String,
    #[personal(not_personal)] u32,
);

#[derive(PersonalData, Serialize)]
struct Email(#[personal(category = "contact.email")] String);

#[test]
fn tuple_and_newtype_records_are_redacted_by_position() {
    let pair = Pair("+14155552671".into(), 7);
    assert_eq!(pair.redacted().to_string(), r#"["<contact.phone>",7]"#);
    let email = Email("jane@example.com".into());
    assert_eq!(email.redacted().to_string(), r#""<contact.email>""#);
}

#[derive(PersonalData, Serialize)]
#[serde(rename_all = "camelCase")]
struct Renamed {
    #[personal(
        category = "device.ip_address",
        anonymize = "ip",
        on_erase = "anonymize"
    )]
    last_ip: IpAddr,
    #[personal(not_personal)]
    user_agent: String,
}

#[test]
fn fields_renamed_by_rename_all_are_still_redacted() {
    let r = Renamed {
        last_ip: "203.0.113.7".parse().expect("address"),
        user_agent: "curl".into(),
    };
    assert_eq!(
        r.redacted().to_string(),
        r#"{"lastIp":"<device.ip_address>","userAgent":"curl"}"#
    );
}

struct Opaque;

impl Serialize for Opaque {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("jane@example.com")
    }
}

#[derive(PersonalData)]
struct Weird {
    #[personal(category = "contact.email")]
    email: String,
}

impl Serialize for Weird {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let _ = &self.email;
        Opaque.serialize(s)
    }
}

#[test]
fn a_serialized_form_that_does_not_match_the_schema_fails_closed() {
    let w = Weird {
        email: "jane@example.com".into(),
    };
    // The custom Serialize writes the email without handing the field over: nothing is
    // written at all, and the error names the field, not the value.
    let err = serde_json::to_string(&w.redacted())
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "redaction cannot see where the record's Serialize writes field `email`"
    );
    let mut out = Vec::new();
    assert!(serde_json::to_writer(&mut out, &w.redacted()).is_err());
    assert!(out.is_empty(), "nothing reaches the writer");
}
