//! The vocabulary of `#[personal(...)]`, written down once: the category taxonomy with its legal
//! mapping, the anonymizer spellings, the retention units and the defaults.
//!
//! This one file is compiled into both crates: `privacy-core` includes it as
//! `src/vocabulary.rs`, and `privacy-derive/src/vocabulary.rs` is a symlink to it (as
//! serde_derive_internals shares its sources with serde_derive). The derive validates
//! attributes against these tables; the runtime's `Category`, `CcpaCategory`, `Anonymizer`,
//! anonymizer markers and `RetentionUnit` read every name, flag and text from them, and each
//! of those enums is checked against its table when `privacy-core` compiles.
//!
//! So it holds plain `const` data only: no `use`, no type or function of either crate.

/// One category of the taxonomy.
#[derive(Clone, Copy, Debug)]
pub struct CategoryEntry {
    /// The dotted name `#[personal(category = "...")]` takes, e.g. `"contact.email"`.
    pub name: &'static str,
    /// The `privacy_core::Category` variant.
    pub variant: &'static str,
    /// The CCPA category letter (Cal. Civ. Code 1798.140(v)(1)), `'A'` to `'L'`.
    pub ccpa: char,
    /// CPRA "sensitive personal information" (1798.140(ae)).
    pub sensitive: bool,
    /// A GDPR Art. 9 special category of personal data.
    pub special: bool,
    /// Why 11 CCR 7024(d) forbids disclosing the value in a right-to-know response, if it does.
    pub withheld: Option<&'static str>,
    /// A one-line description for notices and inventories.
    pub description: &'static str,
}

/// One built-in anonymizer.
#[derive(Clone, Copy, Debug)]
pub struct AnonymizerEntry {
    /// The attribute spelling, `anonymize = "..."`; also the name of the marker type in
    /// `privacy_core::anonymize::strategies`.
    pub name: &'static str,
    /// The `privacy_core::Anonymizer` variant.
    pub variant: &'static str,
}

/// One unit of a retention period (`retention = "30d"`).
#[derive(Clone, Copy, Debug)]
pub struct RetentionUnitEntry {
    /// The suffix after the amount, e.g. `"mo"`.
    pub suffix: &'static str,
    /// The `privacy_core::RetentionUnit` variant.
    pub variant: &'static str,
    /// Days in one unit: a month counts 30 days and a year 365, so a period never runs longer
    /// than the calendar one.
    pub days: u64,
}

/// The prefix of a category the taxonomy does not know: `"custom:loyalty.tier"`.
pub const CUSTOM_CATEGORY_PREFIX: &str = "custom:";

/// The description of every custom category.
pub const CUSTOM_CATEGORY_DESCRIPTION: &str = "Custom category declared by the application";

/// The category of a `#[personal(subject_id)]` field that names none.
pub const SUBJECT_ID_CATEGORY: &str = "identity.account_id";

/// The kind of data subject of a record without `#[personal(subject = "...")]`.
pub const DEFAULT_SUBJECT_KIND: &str = "user";

/// `retention = "account"`: kept for the life of the account, until erasure.
pub const RETENTION_ACCOUNT: &str = "account";

/// `retention = "transient"`: never stored.
pub const RETENTION_TRANSIENT: &str = "transient";

const GOVERNMENT_ID: Option<&str> = Some(
    "11 CCR 7024(d): government-issued identification numbers are never disclosed in an access response",
);
const FINANCIAL: Option<&str> = Some(
    "11 CCR 7024(d): financial account and card numbers are never disclosed in an access response",
);
const CREDENTIALS: Option<&str> = Some(
    "11 CCR 7024(d): account passwords and security questions or answers are never disclosed in an access response",
);
const BIOMETRIC: Option<&str> =
    Some("11 CCR 7024(d): unique biometric data is never disclosed in an access response");

const fn category(
    name: &'static str,
    variant: &'static str,
    ccpa: char,
    sensitive: bool,
    special: bool,
    withheld: Option<&'static str>,
    description: &'static str,
) -> CategoryEntry {
    CategoryEntry {
        name,
        variant,
        ccpa,
        sensitive,
        special,
        withheld,
        description,
    }
}

const NO: bool = false;
const YES: bool = true;

/// Every category of the taxonomy, in the order notices and `Category::ALL` list them.
///
/// Columns: name, variant, CCPA letter, CPRA sensitive, GDPR Art. 9, 7024(d) reason, description.
#[rustfmt::skip]
pub const CATEGORIES: &[CategoryEntry] = &[
    category("identity.name", "IdentityName", 'A', NO, NO, None,
        "Real name, alias or display name"),
    category("identity.account_id", "IdentityAccountId", 'A', NO, NO, None,
        "Account or customer identifier assigned by the service"),
    category("identity.government_id", "IdentityGovernmentId", 'A', YES, NO, GOVERNMENT_ID,
        "Government-issued identifier (SSN, driver's licence, passport)"),
    category("contact.email", "ContactEmail", 'A', NO, NO, None,
        "Email address"),
    category("contact.phone", "ContactPhone", 'B', NO, NO, None,
        "Telephone number"),
    category("contact.postal_address", "ContactPostalAddress", 'A', NO, NO, None,
        "Postal or billing address"),
    category("account.username", "AccountUsername", 'A', NO, NO, None,
        "Login or account name"),
    category("account.password", "AccountPassword", 'B', YES, NO, CREDENTIALS,
        "Password or password hash used to log in"),
    category("account.password_hint", "AccountPasswordHint", 'B', YES, NO, CREDENTIALS,
        "Password hint"),
    category("account.security_answer", "AccountSecurityAnswer", 'B', YES, NO, CREDENTIALS,
        "Answer to a security question"),
    category("demographic.birth_date", "DemographicBirthDate", 'C', NO, NO, None,
        "Date of birth"),
    category("demographic.age", "DemographicAge", 'C', NO, NO, None,
        "Age or age range"),
    category("demographic.gender", "DemographicGender", 'C', NO, NO, None,
        "Sex or gender"),
    category("demographic.country", "DemographicCountry", 'A', NO, NO, None,
        "Country of residence"),
    category("demographic.language", "DemographicLanguage", 'K', NO, NO, None,
        "Preferred language"),
    category("financial.card_number", "FinancialCardNumber", 'B', YES, NO, FINANCIAL,
        "Payment card number"),
    category("financial.card_security_code", "FinancialCardSecurityCode", 'B', YES, NO, FINANCIAL,
        "Card security code (CVV/CVC)"),
    category("financial.bank_account", "FinancialBankAccount", 'B', YES, NO, FINANCIAL,
        "Bank account number or IBAN"),
    category("commercial.purchase", "CommercialPurchase", 'D', NO, NO, None,
        "Products or services purchased, subscriptions and transactions"),
    category("device.id", "DeviceId", 'A', NO, NO, None,
        "Device identifier (IMEI, serial number, advertising id)"),
    category("device.ip_address", "DeviceIpAddress", 'A', NO, NO, None,
        "IP address"),
    category("device.mac_address", "DeviceMacAddress", 'A', NO, NO, None,
        "Network hardware (MAC) address"),
    category("device.cookie_id", "DeviceCookieId", 'A', NO, NO, None,
        "Cookie or similar online identifier"),
    category("device.environment", "DeviceEnvironment", 'F', NO, NO, None,
        "Device environment (model, operating system, carrier, settings)"),
    category("device.error_report", "DeviceErrorReport", 'F', NO, NO, None,
        "Crash or error report sent by the device"),
    category("device.troubleshooting", "DeviceTroubleshooting", 'F', NO, NO, None,
        "Troubleshooting and diagnostic data"),
    category("usage.product_interaction", "UsageProductInteraction", 'F', NO, NO, None,
        "Interactions with the product (features used, clicks, visits)"),
    category("location.precise", "LocationPrecise", 'G', YES, NO, None,
        "Precise geolocation (GNSS, Wi-Fi positioning; within 1,850 feet)"),
    category("location.imprecise", "LocationImprecise", 'G', NO, NO, None,
        "Coarse geolocation (city or region)"),
    category("social.profile", "SocialProfile", 'A', NO, NO, None,
        "Social network profile or handle"),
    category("marketing.preference", "MarketingPreference", 'K', NO, NO, None,
        "Marketing and communication preferences, opt-outs"),
    category("health", "Health", 'B', YES, YES, None,
        "Health or medical information"),
    category("biometric", "Biometric", 'E', YES, YES, BIOMETRIC,
        "Biometric data (fingerprint, face geometry, voice print)"),
];

/// The built-in anonymizers, in the order the attribute reference lists them.
#[rustfmt::skip]
pub const ANONYMIZERS: &[AnonymizerEntry] = &[
    AnonymizerEntry { name: "redact", variant: "Redact" },
    AnonymizerEntry { name: "ip", variant: "Ip" },
    AnonymizerEntry { name: "email", variant: "Email" },
    AnonymizerEntry { name: "phone", variant: "Phone" },
    AnonymizerEntry { name: "last4", variant: "Last4" },
    AnonymizerEntry { name: "bin_last4", variant: "BinLast4" },
    AnonymizerEntry { name: "initials", variant: "Initials" },
    AnonymizerEntry { name: "coarse_location", variant: "CoarseLocation" },
    AnonymizerEntry { name: "year", variant: "Year" },
    AnonymizerEntry { name: "age_band", variant: "AgeBand" },
    AnonymizerEntry { name: "pseudonym", variant: "Pseudonym" },
];

/// The units of a retention period.
#[rustfmt::skip]
pub const RETENTION_UNITS: &[RetentionUnitEntry] = &[
    RetentionUnitEntry { suffix: "d", variant: "Days", days: 1 },
    RetentionUnitEntry { suffix: "w", variant: "Weeks", days: 7 },
    RetentionUnitEntry { suffix: "mo", variant: "Months", days: 30 },
    RetentionUnitEntry { suffix: "y", variant: "Years", days: 365 },
];

/// The derive's packed form of a field's properties: one integer literal per field instead of
/// a path per property (`privacy_core::__private::field` unpacks it). Shifts and masks of
/// each property; rows are rows of the tables above.
pub mod packed {
    /// The `FieldKind` (2 bits): 0 personal, 1 subject id, 2 collected at, 3 nested.
    pub const KIND: u32 = 0;
    /// The `ErasePolicy` (2 bits): 0 delete, 1 anonymize, 2 retain, 3 reset.
    pub const ERASE: u32 = 2;
    /// The `Retention` (2 bits): 0 unspecified, 1 account, 2 transient, 3 a period.
    pub const RETENTION: u32 = 4;
    /// The row of a period's unit in `RETENTION_UNITS` (3 bits).
    pub const UNIT: u32 = 6;
    /// The built-in anonymizer (4 bits): 0 none, else its row in `ANONYMIZERS` plus one.
    pub const ANONYMIZER: u32 = 9;
    /// `encrypt`.
    pub const ENCRYPTED: u64 = 1 << 13;
    /// `blind_index`.
    pub const BLIND_INDEX: u64 = 1 << 14;
    /// `export = false`.
    pub const WITHHELD: u64 = 1 << 15;
    /// serde writes a wrapper (`serialize_with`, `with`).
    pub const SERDE_OPAQUE: u64 = 1 << 16;
    /// serde may skip the field (`skip_serializing_if`).
    pub const SERDE_SKIP_IF: u64 = 1 << 17;
    /// serde never writes the field.
    pub const SERDE_SKIPPED: u64 = 1 << 18;
    /// The bits kept of a blind index (9 bits).
    pub const BLIND_INDEX_BITS: u32 = 19;
    /// A period's amount (32 bits).
    pub const AMOUNT: u32 = 32;
}
