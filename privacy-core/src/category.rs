//! The taxonomy of personal data: every category a field can carry, with its legal mapping.
//!
//! Each [`Category`] has a dotted name (`"contact.email"`), a one-line description, its CCPA
//! category (Cal. Civ. Code 1798.140(v)(1), letters A-L), whether it is CPRA "sensitive personal
//! information" (1798.140(ae)), whether it is a GDPR Art. 9 special category, and whether the
//! CCPA regulations (11 CCR 7024(d)) forbid disclosing its value in a right-to-know response.
//!
//! The list covers every kind of data the seed privacy policies name (contact details,
//! credentials, demographics, payment cards, device identifiers, IP addresses, precise location,
//! children's data through age and birth date, troubleshooting data). Anything else is a custom
//! category: `category = "custom:loyalty.tier"`.

use core::fmt;

use serde::{Serialize, Serializer};

/// A CCPA category of personal information (Cal. Civ. Code 1798.140(v)(1)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CcpaCategory {
    /// (A) Identifiers: real name, alias, postal address, unique personal or online identifier,
    /// IP address, email address, account name, government identifiers.
    Identifiers,
    /// (B) Personal information categories listed in 1798.80(e) ("customer records"): telephone
    /// number, financial and card numbers, medical information.
    CustomerRecords,
    /// (C) Characteristics of protected classifications: age, sex, gender, ...
    ProtectedClassifications,
    /// (D) Commercial information: products or services purchased, purchasing histories.
    Commercial,
    /// (E) Biometric information.
    Biometric,
    /// (F) Internet or other electronic network activity: interactions with a website,
    /// application or advertisement.
    NetworkActivity,
    /// (G) Geolocation data.
    Geolocation,
    /// (H) Audio, electronic, visual, thermal, olfactory or similar information.
    SensoryData,
    /// (I) Professional or employment-related information.
    Professional,
    /// (J) Education information.
    Education,
    /// (K) Inferences drawn to create a profile: preferences, characteristics, behaviour.
    Inferences,
    /// (L) Sensitive personal information (added by the CPRA).
    Sensitive,
}

impl CcpaCategory {
    /// The letter of the statute, `'A'` to `'L'`.
    pub const fn letter(self) -> char {
        match self {
            Self::Identifiers => 'A',
            Self::CustomerRecords => 'B',
            Self::ProtectedClassifications => 'C',
            Self::Commercial => 'D',
            Self::Biometric => 'E',
            Self::NetworkActivity => 'F',
            Self::Geolocation => 'G',
            Self::SensoryData => 'H',
            Self::Professional => 'I',
            Self::Education => 'J',
            Self::Inferences => 'K',
            Self::Sensitive => 'L',
        }
    }

    /// The statute's name for the category, as a consumer-facing notice would print it.
    pub const fn title(self) -> &'static str {
        match self {
            Self::Identifiers => "Identifiers",
            Self::CustomerRecords => "Customer records (Cal. Civ. Code 1798.80(e))",
            Self::ProtectedClassifications => "Characteristics of protected classifications",
            Self::Commercial => "Commercial information",
            Self::Biometric => "Biometric information",
            Self::NetworkActivity => "Internet or other electronic network activity",
            Self::Geolocation => "Geolocation data",
            Self::SensoryData => "Audio, electronic, visual or similar information",
            Self::Professional => "Professional or employment-related information",
            Self::Education => "Education information",
            Self::Inferences => "Inferences drawn to create a profile",
            Self::Sensitive => "Sensitive personal information",
        }
    }
}

impl CcpaCategory {
    /// Letter and title, e.g. `"(A) Identifiers"`, as notices print them.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Identifiers => "(A) Identifiers",
            Self::CustomerRecords => "(B) Customer records (Cal. Civ. Code 1798.80(e))",
            Self::ProtectedClassifications => "(C) Characteristics of protected classifications",
            Self::Commercial => "(D) Commercial information",
            Self::Biometric => "(E) Biometric information",
            Self::NetworkActivity => "(F) Internet or other electronic network activity",
            Self::Geolocation => "(G) Geolocation data",
            Self::SensoryData => "(H) Audio, electronic, visual or similar information",
            Self::Professional => "(I) Professional or employment-related information",
            Self::Education => "(J) Education information",
            Self::Inferences => "(K) Inferences drawn to create a profile",
            Self::Sensitive => "(L) Sensitive personal information",
        }
    }
}

impl fmt::Display for CcpaCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl Serialize for CcpaCategory {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.label())
    }
}

macro_rules! categories {
    ($(
        $(#[$doc:meta])*
        $variant:ident = $name:literal, $ccpa:ident, sensitive: $sensitive:literal,
        special: $special:literal, withheld: $withheld:expr, $description:literal;
    )*) => {
        /// A category of personal data, from the taxonomy or custom.
        ///
        /// The dotted [`name`](Category::name) is what `#[personal(category = "...")]` takes.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Category {
            $( $(#[$doc])* $variant, )*
            /// A category the taxonomy does not know, written `"custom:<name>"`; holds the whole
            /// spelling, prefix included (`"custom:loyalty.tier"`).
            Custom(&'static str),
        }

        impl Category {
            /// Every category of the taxonomy (custom ones excluded), in declaration order.
            pub const ALL: &'static [Category] = &[$(Category::$variant),*];

            /// The dotted name, e.g. `"contact.email"`; custom categories keep their `custom:` prefix.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                    Self::Custom(name) => name,
                }
            }

            /// A one-line description for notices and inventories.
            pub const fn description(self) -> &'static str {
                match self {
                    $(Self::$variant => $description,)*
                    Self::Custom(_) => "Custom category declared by the application",
                }
            }

            /// The CCPA category (1798.140(v)(1)); custom categories count as identifiers
            /// (the most conservative choice: they are disclosed and exported).
            pub const fn ccpa(self) -> CcpaCategory {
                match self {
                    $(Self::$variant => CcpaCategory::$ccpa,)*
                    Self::Custom(_) => CcpaCategory::Identifiers,
                }
            }

            /// Whether the category is CPRA "sensitive personal information" (1798.140(ae)).
            pub const fn is_sensitive(self) -> bool {
                match self {
                    $(Self::$variant => $sensitive,)*
                    Self::Custom(_) => false,
                }
            }

            /// Whether the category is a GDPR Art. 9 special category of personal data.
            pub const fn is_special_category(self) -> bool {
                match self {
                    $(Self::$variant => $special,)*
                    Self::Custom(_) => false,
                }
            }

            /// Why the value must not be disclosed in a right-to-know response (11 CCR 7024(d)),
            /// or `None` when it may be.
            pub const fn withheld_from_access(self) -> Option<&'static str> {
                match self {
                    $(Self::$variant => $withheld,)*
                    Self::Custom(_) => None,
                }
            }

            /// Looks a category up by dotted name. `"custom:x"` gives `Category::Custom("custom:x")`
            /// only for `'static` input; use [`Category::from_name`] for borrowed text.
            pub fn from_static_name(name: &'static str) -> Option<Category> {
                Self::from_name(name).or_else(|| is_custom(name).then_some(Category::Custom(name)))
            }

            /// Looks a taxonomy category up by its dotted name (custom categories are not found).
            pub fn from_name(name: &str) -> Option<Category> {
                match name {
                    $($name => Some(Self::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

fn is_custom(name: &str) -> bool {
    name.strip_prefix("custom:")
        .is_some_and(|rest| !rest.is_empty())
}

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

categories! {
    /// A person's real name, alias or display name.
    IdentityName = "identity.name", Identifiers, sensitive: false, special: false, withheld: None,
        "Real name, alias or display name";
    /// An account or customer identifier assigned by the service.
    IdentityAccountId = "identity.account_id", Identifiers, sensitive: false, special: false, withheld: None,
        "Account or customer identifier assigned by the service";
    /// A government-issued identifier: SSN, driver's licence, passport, national id.
    IdentityGovernmentId = "identity.government_id", Identifiers, sensitive: true, special: false, withheld: GOVERNMENT_ID,
        "Government-issued identifier (SSN, driver's licence, passport)";
    /// An email address.
    ContactEmail = "contact.email", Identifiers, sensitive: false, special: false, withheld: None,
        "Email address";
    /// A telephone number.
    ContactPhone = "contact.phone", CustomerRecords, sensitive: false, special: false, withheld: None,
        "Telephone number";
    /// A postal or billing address.
    ContactPostalAddress = "contact.postal_address", Identifiers, sensitive: false, special: false, withheld: None,
        "Postal or billing address";
    /// A login or account name.
    AccountUsername = "account.username", Identifiers, sensitive: false, special: false, withheld: None,
        "Login or account name";
    /// A password or password hash.
    AccountPassword = "account.password", CustomerRecords, sensitive: true, special: false, withheld: CREDENTIALS,
        "Password or password hash used to log in";
    /// A password hint.
    AccountPasswordHint = "account.password_hint", CustomerRecords, sensitive: true, special: false, withheld: CREDENTIALS,
        "Password hint";
    /// An answer to a security question.
    AccountSecurityAnswer = "account.security_answer", CustomerRecords, sensitive: true, special: false, withheld: CREDENTIALS,
        "Answer to a security question";
    /// A date of birth.
    DemographicBirthDate = "demographic.birth_date", ProtectedClassifications, sensitive: false, special: false, withheld: None,
        "Date of birth";
    /// An age or age range.
    DemographicAge = "demographic.age", ProtectedClassifications, sensitive: false, special: false, withheld: None,
        "Age or age range";
    /// Sex or gender.
    DemographicGender = "demographic.gender", ProtectedClassifications, sensitive: false, special: false, withheld: None,
        "Sex or gender";
    /// Country of residence.
    DemographicCountry = "demographic.country", Identifiers, sensitive: false, special: false, withheld: None,
        "Country of residence";
    /// Preferred language.
    DemographicLanguage = "demographic.language", Inferences, sensitive: false, special: false, withheld: None,
        "Preferred language";
    /// A payment card number (PAN).
    FinancialCardNumber = "financial.card_number", CustomerRecords, sensitive: true, special: false, withheld: FINANCIAL,
        "Payment card number";
    /// A card security code (CVV/CVC); PCI DSS forbids storing it after authorisation.
    FinancialCardSecurityCode = "financial.card_security_code", CustomerRecords, sensitive: true, special: false, withheld: FINANCIAL,
        "Card security code (CVV/CVC)";
    /// A bank account number or IBAN.
    FinancialBankAccount = "financial.bank_account", CustomerRecords, sensitive: true, special: false, withheld: FINANCIAL,
        "Bank account number or IBAN";
    /// Products or services purchased, subscriptions, transaction history.
    CommercialPurchase = "commercial.purchase", Commercial, sensitive: false, special: false, withheld: None,
        "Products or services purchased, subscriptions and transactions";
    /// A device identifier: IMEI, serial number, advertising id.
    DeviceId = "device.id", Identifiers, sensitive: false, special: false, withheld: None,
        "Device identifier (IMEI, serial number, advertising id)";
    /// An IP address.
    DeviceIpAddress = "device.ip_address", Identifiers, sensitive: false, special: false, withheld: None,
        "IP address";
    /// A network hardware (MAC) address.
    DeviceMacAddress = "device.mac_address", Identifiers, sensitive: false, special: false, withheld: None,
        "Network hardware (MAC) address";
    /// A cookie or similar online tracking identifier.
    DeviceCookieId = "device.cookie_id", Identifiers, sensitive: false, special: false, withheld: None,
        "Cookie or similar online identifier";
    /// Device environment: model, operating system, carrier, settings.
    DeviceEnvironment = "device.environment", NetworkActivity, sensitive: false, special: false, withheld: None,
        "Device environment (model, operating system, carrier, settings)";
    /// A crash or error report sent by the device.
    DeviceErrorReport = "device.error_report", NetworkActivity, sensitive: false, special: false, withheld: None,
        "Crash or error report sent by the device";
    /// Troubleshooting and diagnostic data.
    DeviceTroubleshooting = "device.troubleshooting", NetworkActivity, sensitive: false, special: false, withheld: None,
        "Troubleshooting and diagnostic data";
    /// Interactions with the product: features used, clicks, sessions.
    UsageProductInteraction = "usage.product_interaction", NetworkActivity, sensitive: false, special: false, withheld: None,
        "Interactions with the product (features used, clicks, sessions)";
    /// Precise geolocation (within a radius of 1,850 feet, per CPRA 1798.140(w)).
    LocationPrecise = "location.precise", Geolocation, sensitive: true, special: false, withheld: None,
        "Precise geolocation (GNSS, Wi-Fi positioning; within 1,850 feet)";
    /// Coarse geolocation: city, region, country-level position.
    LocationImprecise = "location.imprecise", Geolocation, sensitive: false, special: false, withheld: None,
        "Coarse geolocation (city or region)";
    /// A social network profile or handle.
    SocialProfile = "social.profile", Identifiers, sensitive: false, special: false, withheld: None,
        "Social network profile or handle";
    /// Marketing and communication preferences, including opt-outs.
    MarketingPreference = "marketing.preference", Inferences, sensitive: false, special: false, withheld: None,
        "Marketing and communication preferences, opt-outs";
    /// Health or medical information.
    Health = "health", CustomerRecords, sensitive: true, special: true, withheld: None,
        "Health or medical information";
    /// Biometric data: fingerprints, face geometry, voice prints.
    Biometric = "biometric", Biometric, sensitive: true, special: true, withheld: BIOMETRIC,
        "Biometric data (fingerprint, face geometry, voice print)";
}

impl fmt::Debug for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Category {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips_and_is_unique() {
        for (i, c) in Category::ALL.iter().enumerate() {
            assert_eq!(Category::from_name(c.name()), Some(*c));
            assert!(Category::ALL[..i].iter().all(|o| o.name() != c.name()));
        }
    }

    #[test]
    fn labels_join_letter_and_title() {
        for c in Category::ALL {
            let ccpa = c.ccpa();
            assert_eq!(
                ccpa.label(),
                format!("({}) {}", ccpa.letter(), ccpa.title())
            );
        }
    }

    #[test]
    fn custom_names_need_a_body() {
        assert_eq!(
            Category::from_static_name("custom:loyalty.tier"),
            Some(Category::Custom("custom:loyalty.tier"))
        );
        assert_eq!(Category::from_static_name("custom:"), None);
        assert_eq!(Category::from_static_name("contact.mail"), None);
    }
}
