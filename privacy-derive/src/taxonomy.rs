//! What the derive knows of privacy-core's vocabulary: category names (with the enum variant
//! each maps to), anonymizer names, and the closest-name suggestion for typos.
//!
//! Kept in step with `privacy_core::Category` by privacy-core's test that derives a struct
//! using every category (a name here without its variant there fails to compile).

/// `(dotted name, privacy_core::Category variant)` for every category of the taxonomy.
pub const CATEGORIES: &[(&str, &str)] = &[
    ("identity.name", "IdentityName"),
    ("identity.account_id", "IdentityAccountId"),
    ("identity.government_id", "IdentityGovernmentId"),
    ("contact.email", "ContactEmail"),
    ("contact.phone", "ContactPhone"),
    ("contact.postal_address", "ContactPostalAddress"),
    ("account.username", "AccountUsername"),
    ("account.password", "AccountPassword"),
    ("account.password_hint", "AccountPasswordHint"),
    ("account.security_answer", "AccountSecurityAnswer"),
    ("demographic.birth_date", "DemographicBirthDate"),
    ("demographic.age", "DemographicAge"),
    ("demographic.gender", "DemographicGender"),
    ("demographic.country", "DemographicCountry"),
    ("demographic.language", "DemographicLanguage"),
    ("financial.card_number", "FinancialCardNumber"),
    ("financial.card_security_code", "FinancialCardSecurityCode"),
    ("financial.bank_account", "FinancialBankAccount"),
    ("commercial.purchase", "CommercialPurchase"),
    ("device.id", "DeviceId"),
    ("device.ip_address", "DeviceIpAddress"),
    ("device.mac_address", "DeviceMacAddress"),
    ("device.cookie_id", "DeviceCookieId"),
    ("device.environment", "DeviceEnvironment"),
    ("device.error_report", "DeviceErrorReport"),
    ("device.troubleshooting", "DeviceTroubleshooting"),
    ("usage.product_interaction", "UsageProductInteraction"),
    ("location.precise", "LocationPrecise"),
    ("location.imprecise", "LocationImprecise"),
    ("social.profile", "SocialProfile"),
    ("marketing.preference", "MarketingPreference"),
    ("health", "Health"),
    ("biometric", "Biometric"),
];

/// `(attribute spelling, privacy_core::Anonymizer variant)` of the built-in anonymizers; the
/// spelling is also the marker type in `privacy_core::anonymize::strategies`.
pub const ANONYMIZERS: &[(&str, &str)] = &[
    ("redact", "Redact"),
    ("ip", "Ip"),
    ("email", "Email"),
    ("phone", "Phone"),
    ("last4", "Last4"),
    ("bin_last4", "BinLast4"),
    ("initials", "Initials"),
    ("coarse_location", "CoarseLocation"),
    ("year", "Year"),
    ("age_band", "AgeBand"),
    ("pseudonym", "Pseudonym"),
];

/// The candidate closest to `input`, if it is close enough to be a likely typo.
pub fn closest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(input, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// `a, b, c` for a help line.
pub fn list(names: impl IntoIterator<Item = &'static str>) -> String {
    names.into_iter().collect::<Vec<_>>().join(", ")
}
