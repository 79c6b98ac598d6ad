//! A realistic family-safety service: parents, their children, the children's location
//! pings, invoices kept for tax law, notes filed under their author. Shared by the
//! requests_* tests (SQLite, PostgreSQL, a store written for the test).
#![allow(dead_code, clippy::missing_panics_doc)]

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use privacy_core::requests::{DataMap, DataMapBuilder, RecordStore};
use privacy_core::PersonalData;
use serde::{Deserialize, Serialize};

#[derive(PersonalData, Serialize, Deserialize, Clone, PartialEq)]
#[personal(subject = "parent")]
#[serde(rename_all = "camelCase")]
pub struct Parent {
    #[personal(subject_id)]
    pub id: String,
    #[personal(category = "contact.email", encrypt, blind_index, source = "user")]
    pub email: String,
    #[personal(category = "identity.name", source = "user")]
    #[serde(rename = "displayName")]
    pub name: String,
    #[personal(category = "contact.phone", source = "user")]
    pub phone: Option<String>,
    #[personal(collected_at)]
    pub created_at: SystemTime,
    #[personal(nested)]
    pub devices: Vec<Device>,
    #[personal(not_personal)]
    pub plan: String,
}

#[derive(PersonalData, Serialize, Deserialize, Clone, PartialEq)]
pub struct Device {
    #[personal(category = "device.id", source = "device")]
    pub serial: String,
    #[personal(
        category = "device.ip_address",
        anonymize = "ip",
        on_erase = "anonymize",
        source = "device"
    )]
    pub last_ip: IpAddr,
}

#[derive(PersonalData, Serialize, Deserialize, Clone, PartialEq)]
#[personal(subject = "parent")]
pub struct Invoice {
    #[personal(record_id)]
    pub number: String,
    #[personal(subject_id)]
    pub parent: String,
    #[personal(
        category = "commercial.purchase",
        on_erase = "retain",
        legal_basis = "tax records, 10 years"
    )]
    pub amount_cents: u64,
    #[personal(
        category = "financial.card_number",
        encrypt,
        on_erase = "retain",
        legal_basis = "tax records, 10 years"
    )]
    pub card_number: String,
    #[personal(category = "contact.email")]
    pub billing_email: String,
}

/// A receipt: the card number is kept three years and the amount five for tax law, even
/// after the payer's erasure; the billing email one year. Retention runs from `issued_at`.
#[derive(PersonalData, Serialize, Deserialize, Clone, PartialEq)]
#[personal(subject = "parent")]
pub struct Receipt {
    #[personal(record_id)]
    pub number: String,
    #[personal(subject_id)]
    pub parent: String,
    #[personal(
        category = "financial.card_number",
        encrypt,
        on_erase = "retain",
        legal_basis = "tax records, 3 years",
        retention = "3y"
    )]
    pub card_number: String,
    #[personal(
        category = "commercial.purchase",
        on_erase = "retain",
        legal_basis = "tax records, 5 years",
        retention = "5y"
    )]
    pub amount_cents: Option<u64>,
    #[personal(category = "contact.email", retention = "1y")]
    pub email: String,
    #[personal(collected_at)]
    pub issued_at: SystemTime,
}

#[derive(PersonalData, Serialize, Deserialize, Clone, PartialEq)]
#[personal(subject = "child")]
pub struct Child {
    #[personal(subject_id)]
    pub id: String,
    #[personal(not_personal)]
    pub parent_id: String,
    #[personal(category = "identity.name", source = "parent")]
    pub name: String,
    #[personal(category = "demographic.birth_date", source = "parent")]
    pub birth_date: Option<String>,
}

#[derive(PersonalData, Serialize, Deserialize, Clone, PartialEq)]
#[personal(subject = "child")]
pub struct LocationPing {
    #[personal(subject_id)]
    pub child: String,
    #[personal(category = "location.precise", encrypt, source = "device")]
    pub position: Option<(f64, f64)>,
    #[personal(collected_at)]
    pub at: SystemTime,
}

/// Filed under its author through a route: it has no subject id of its own.
#[derive(PersonalData, Serialize, Deserialize, Clone, PartialEq)]
pub struct Note {
    #[personal(not_personal)]
    pub author: String,
    #[personal(category = "usage.product_interaction", source = "user")]
    pub text: String,
}

/// What the sign-up endpoint receives: never stored.
#[derive(PersonalData, Deserialize)]
pub struct SignupRequest {
    #[personal(category = "contact.email")]
    pub email: String,
}

/// The data map of the service over `store`.
pub fn builder(store: &Arc<dyn RecordStore>) -> DataMapBuilder {
    DataMap::builder()
        .store::<Parent>(store.clone())
        .store::<Invoice>(store.clone())
        .store::<Receipt>(store.clone())
        .store::<Child>(store.clone())
        .route::<Child>("parent", |c| Some(c.parent_id.clone()))
        .store::<LocationPing>(store.clone())
        .store::<Note>(store.clone())
        .route::<Note>("parent", |n| {
            Some(n.author.clone()).filter(|a| !a.is_empty())
        })
        .never_stored::<SignupRequest>()
}

pub fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

pub fn parent(id: &str) -> Parent {
    Parent {
        id: id.into(),
        email: format!("{id}-mail@example.com"),
        name: format!("Name of {id}"),
        phone: Some("+1 415 555 0134".into()),
        created_at: at(1_700_000_000),
        devices: vec![
            Device {
                serial: format!("SN-{id}-A"),
                last_ip: "203.0.113.77".parse().unwrap(),
            },
            Device {
                serial: format!("SN-{id}-B"),
                last_ip: "2001:db8::1".parse().unwrap(),
            },
        ],
        plan: "family".into(),
    }
}

pub fn invoice(parent: &str, n: u32) -> Invoice {
    Invoice {
        number: format!("INV-{parent}-{n}"),
        parent: parent.into(),
        amount_cents: 999 + u64::from(n),
        card_number: format!("4111-{parent}-{n}"),
        billing_email: format!("{parent}-billing@example.com"),
    }
}

pub fn receipt(parent: &str, n: u32, issued_at: SystemTime) -> Receipt {
    Receipt {
        number: format!("RCT-{parent}-{n}"),
        parent: parent.into(),
        card_number: format!("5500-{parent}-{n}"),
        amount_cents: Some(1000 + u64::from(n)),
        email: format!("{parent}-receipts@example.com"),
        issued_at,
    }
}

pub fn child(id: &str, parent: &str) -> Child {
    Child {
        id: id.into(),
        parent_id: parent.into(),
        name: format!("Kid {id}"),
        birth_date: Some("2015-06-01".into()),
    }
}

pub fn ping(child: &str, i: u32) -> LocationPing {
    LocationPing {
        child: child.into(),
        position: Some((37.77, -122.4 + f64::from(i) / 1000.0)),
        at: at(1_700_000_000 + u64::from(i)),
    }
}

pub fn note(author: &str) -> Note {
    Note {
        author: author.into(),
        text: format!("secret note by {author}"),
    }
}
