//! The server's stored records: every struct that holds personal data, annotated. The data
//! map (`data_map.rs`) is the one place that lists them.
//!
//! SafePath is a family locator: parents locate their children's phones. The annotations
//! follow the service's privacy policy (see `privacy-core/policies/safepath-2019.toml`).
//! The model is the CLI demo's (`examples/safepath/service/model.rs`) but for the invoice,
//! which keeps the card number itself, encrypted, for tax law: after the family's erasure
//! the engine seals it under the family's retention key, so it stays readable.

use std::net::IpAddr;
use std::time::SystemTime;

use privacy_core::PersonalData;
use serde::{Deserialize, Serialize};

/// The paying parent or guardian who holds the account.
#[derive(PersonalData, Serialize, Deserialize, Clone, PartialEq)]
#[personal(subject = "parent")]
pub struct ParentAccount {
    #[personal(subject_id)]
    pub id: String,
    #[personal(
        category = "identity.name",
        purpose = "account, support",
        source = "user",
        retention = "account",
        anonymize = "initials"
    )]
    pub name: String,
    #[personal(
        category = "contact.email",
        purpose = "account, support, marketing",
        source = "user",
        retention = "account",
        anonymize = "email",
        encrypt,
        blind_index
    )]
    pub email: String,
    #[personal(
        category = "contact.phone",
        purpose = "account, location-sharing",
        source = "user",
        retention = "account",
        anonymize = "phone",
        encrypt
    )]
    pub phone: String,
    #[personal(
        category = "account.password",
        purpose = "authentication",
        source = "user",
        retention = "account"
    )]
    pub password_hash: String,
    #[personal(
        category = "financial.card_number",
        purpose = "billing",
        source = "user",
        shared_with = "payment-processor",
        retention = "account",
        encrypt
    )]
    pub card_number: String,
    #[personal(
        category = "contact.postal_address",
        purpose = "billing",
        source = "user",
        shared_with = "payment-processor",
        retention = "account",
        encrypt
    )]
    pub billing_address: String,
    #[personal(collected_at)]
    pub created_at: SystemTime,
    #[personal(not_personal)]
    pub plan: String,
}

/// A child invited by the parent; the parent is the responsible subject for requests.
#[derive(PersonalData, Serialize, Deserialize, Clone, PartialEq)]
#[personal(subject = "child")]
pub struct ChildProfile {
    #[personal(subject_id)]
    pub id: String,
    #[personal(
        category = "identity.account_id",
        purpose = "location-sharing",
        source = "parent"
    )]
    pub parent_id: String,
    #[personal(
        category = "identity.name",
        purpose = "location-sharing",
        source = "parent",
        retention = "account",
        anonymize = "initials",
        encrypt
    )]
    pub name: String,
    #[personal(
        category = "demographic.birth_date",
        purpose = "children-protection",
        source = "parent",
        retention = "account",
        anonymize = "age_band",
        on_erase = "anonymize"
    )]
    pub birth_date: String,
    #[personal(collected_at)]
    pub created_at: SystemTime,
}

/// A phone that reports its location.
#[derive(PersonalData, Serialize, Deserialize, Clone, PartialEq)]
#[personal(subject = "child")]
pub struct Device {
    #[personal(subject_id)]
    pub owner_id: String,
    #[personal(
        category = "device.id",
        purpose = "location-sharing, troubleshooting",
        source = "device",
        retention = "account",
        anonymize = "pseudonym",
        encrypt
    )]
    pub imei: String,
    #[personal(
        category = "device.mac_address",
        purpose = "troubleshooting",
        source = "device",
        retention = "account",
        encrypt
    )]
    pub mac: String,
    /// Anonymized at ingest: the policy promises IP addresses are stored only anonymized.
    #[personal(
        category = "device.ip_address",
        purpose = "security",
        source = "device",
        retention = "90d",
        anonymize = "ip",
        on_erase = "anonymize"
    )]
    pub last_ip: IpAddr,
    #[personal(collected_at)]
    pub registered_at: SystemTime,
    #[personal(not_personal)]
    pub model: String,
}

/// One precise position of a child's phone; kept for 30 days.
#[derive(PersonalData, Serialize, Deserialize, Clone, PartialEq)]
#[personal(subject = "child")]
pub struct LocationPing {
    #[personal(subject_id)]
    pub child_id: String,
    #[personal(
        category = "location.precise",
        purpose = "location-sharing",
        source = "device",
        shared_with = "parent",
        retention = "30d",
        anonymize = "coarse_location",
        on_erase = "delete",
        encrypt
    )]
    pub position: Option<(f64, f64)>,
    #[personal(collected_at)]
    pub recorded_at: SystemTime,
    #[personal(not_personal)]
    pub seq: u32,
}

/// A crash report from the app.
#[derive(PersonalData, Serialize, Deserialize, Clone, PartialEq)]
#[personal(subject = "child")]
pub struct ErrorReport {
    #[personal(subject_id)]
    pub child_id: String,
    #[personal(
        category = "device.environment",
        purpose = "troubleshooting",
        source = "device",
        retention = "90d"
    )]
    pub environment: String,
    #[personal(
        category = "device.troubleshooting",
        purpose = "troubleshooting",
        source = "device",
        retention = "90d"
    )]
    pub trace: String,
    #[personal(collected_at)]
    pub reported_at: SystemTime,
}

/// The parent's marketing choice (opt-out).
#[derive(PersonalData, Serialize, Deserialize, Clone, PartialEq)]
#[personal(subject = "parent")]
pub struct MarketingPreference {
    #[personal(subject_id)]
    pub parent_id: String,
    #[personal(
        category = "marketing.preference",
        purpose = "marketing",
        source = "user",
        retention = "account"
    )]
    pub opted_out: Option<bool>,
}

/// An invoice: kept ten years for tax law even after an erasure request.
#[derive(PersonalData, Serialize, Deserialize, Clone, PartialEq)]
#[personal(subject = "parent")]
pub struct Invoice {
    #[personal(subject_id)]
    pub parent_id: String,
    #[personal(
        category = "identity.name",
        purpose = "billing",
        source = "user",
        on_erase = "retain",
        legal_basis = "tax law: invoices are kept 10 years",
        retention = "10y"
    )]
    pub billed_name: String,
    #[personal(
        category = "contact.postal_address",
        purpose = "billing",
        source = "user",
        on_erase = "retain",
        legal_basis = "tax law: invoices are kept 10 years",
        retention = "10y"
    )]
    pub billed_address: String,
    #[personal(
        category = "financial.card_number",
        purpose = "billing",
        source = "user",
        anonymize = "last4",
        encrypt,
        on_erase = "retain",
        legal_basis = "tax law: invoices are kept 10 years",
        retention = "10y"
    )]
    pub card_number: String,
    #[personal(collected_at)]
    pub issued_at: SystemTime,
    #[personal(not_personal)]
    pub number: String,
    #[personal(not_personal)]
    pub amount_cents: u64,
}
