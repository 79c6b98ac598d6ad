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
//!
//! Every name, flag and text comes from one table, `vocabulary::CATEGORIES`,
//! which the derive reads too; this module gives the rows their types.

use core::fmt;

use serde::{Serialize, Serializer};

use crate::vocabulary::{
    CategoryEntry, CATEGORIES, CUSTOM_CATEGORY_DESCRIPTION, CUSTOM_CATEGORY_PREFIX,
    SUBJECT_ID_CATEGORY,
};

/// A CCPA category of personal information (Cal. Civ. Code 1798.140(v)(1)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
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
    const ALL: [CcpaCategory; 12] = [
        Self::Identifiers,
        Self::CustomerRecords,
        Self::ProtectedClassifications,
        Self::Commercial,
        Self::Biometric,
        Self::NetworkActivity,
        Self::Geolocation,
        Self::SensoryData,
        Self::Professional,
        Self::Education,
        Self::Inferences,
        Self::Sensitive,
    ];

    /// The category with the statute's letter `letter` (`'A'` to `'L'`).
    const fn from_letter(letter: char) -> Option<CcpaCategory> {
        let mut i = 0;
        while i < Self::ALL.len() {
            if Self::ALL[i].letter() == letter {
                return Some(Self::ALL[i]);
            }
            i += 1;
        }
        None
    }

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
    ($($(#[$doc:meta])* $variant:ident,)*) => {
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

            /// The vocabulary row of a taxonomy category, or the spelling of a custom one. The
            /// row is found by variant name when the crate compiles: a variant without a row is
            /// a compile error.
            const fn entry(self) -> Result<&'static CategoryEntry, &'static str> {
                match self {
                    $(Self::$variant => Ok(&CATEGORIES[const { row(stringify!($variant)) }]),)*
                    Self::Custom(name) => Err(name),
                }
            }
        }
    };
}

categories! {
    /// A person's real name, alias or display name.
    IdentityName,
    /// An account or customer identifier assigned by the service.
    IdentityAccountId,
    /// A government-issued identifier: SSN, driver's licence, passport, national id.
    IdentityGovernmentId,
    /// An email address.
    ContactEmail,
    /// A telephone number.
    ContactPhone,
    /// A postal or billing address.
    ContactPostalAddress,
    /// A login or account name.
    AccountUsername,
    /// A password or password hash.
    AccountPassword,
    /// A password hint.
    AccountPasswordHint,
    /// An answer to a security question.
    AccountSecurityAnswer,
    /// A date of birth.
    DemographicBirthDate,
    /// An age or age range.
    DemographicAge,
    /// Sex or gender.
    DemographicGender,
    /// Country of residence.
    DemographicCountry,
    /// Preferred language.
    DemographicLanguage,
    /// A payment card number (PAN).
    FinancialCardNumber,
    /// A card security code (CVV/CVC); PCI DSS forbids storing it after authorisation.
    FinancialCardSecurityCode,
    /// A bank account number or IBAN.
    FinancialBankAccount,
    /// Products or services purchased, subscriptions, transaction history.
    CommercialPurchase,
    /// A device identifier: IMEI, serial number, advertising id.
    DeviceId,
    /// An IP address.
    DeviceIpAddress,
    /// A network hardware (MAC) address.
    DeviceMacAddress,
    /// A cookie or similar online tracking identifier.
    DeviceCookieId,
    /// Device environment: model, operating system, carrier, settings.
    DeviceEnvironment,
    /// A crash or error report sent by the device.
    DeviceErrorReport,
    /// Troubleshooting and diagnostic data.
    DeviceTroubleshooting,
    /// Interactions with the product: features used, clicks, visits.
    UsageProductInteraction,
    /// Precise geolocation (within a radius of 1,850 feet, per CPRA 1798.140(w)).
    LocationPrecise,
    /// Coarse geolocation: city, region, country-level position.
    LocationImprecise,
    /// A social network profile or handle.
    SocialProfile,
    /// Marketing and communication preferences, including opt-outs.
    MarketingPreference,
    /// Health or medical information.
    Health,
    /// Biometric data: fingerprints, face geometry, voice prints.
    Biometric,
}

// `Category::ALL[i]` has row `i` of the vocabulary, for every row: so each row has exactly one
// variant and `ALL` follows the vocabulary's order. Every row's CCPA letter is a real one, and
// the default category of a subject id is a row.
const _: () = {
    assert!(
        Category::ALL.len() == CATEGORIES.len(),
        "every row of `vocabulary::CATEGORIES` needs a `Category` variant"
    );
    let mut subject_id_category = false;
    let mut i = 0;
    while i < CATEGORIES.len() {
        subject_id_category |= same(CATEGORIES[i].name, SUBJECT_ID_CATEGORY);
        let same_row = match Category::ALL[i].entry() {
            Ok(entry) => same(entry.variant, CATEGORIES[i].variant),
            Err(_) => false,
        };
        assert!(
            same_row,
            "`Category` variants are declared in the order of `vocabulary::CATEGORIES`"
        );
        assert!(
            CcpaCategory::from_letter(CATEGORIES[i].ccpa).is_some(),
            "a row of `vocabulary::CATEGORIES` has a CCPA letter outside A-L"
        );
        i += 1;
    }
    assert!(
        subject_id_category,
        "`vocabulary::SUBJECT_ID_CATEGORY` is not a row of `vocabulary::CATEGORIES`"
    );
};

impl Category {
    /// The dotted name, e.g. `"contact.email"`; custom categories keep their `custom:` prefix.
    pub const fn name(self) -> &'static str {
        match self.entry() {
            Ok(entry) => entry.name,
            Err(custom) => custom,
        }
    }

    /// A one-line description for notices and inventories.
    pub const fn description(self) -> &'static str {
        match self.entry() {
            Ok(entry) => entry.description,
            Err(_) => CUSTOM_CATEGORY_DESCRIPTION,
        }
    }

    /// The CCPA category (1798.140(v)(1)); custom categories count as identifiers
    /// (the most conservative choice: they are disclosed and exported).
    pub const fn ccpa(self) -> CcpaCategory {
        let letter = match self.entry() {
            Ok(entry) => entry.ccpa,
            Err(_) => 'A',
        };
        match CcpaCategory::from_letter(letter) {
            Some(ccpa) => ccpa,
            // Unreachable: every row's letter is checked above when the crate compiles.
            None => CcpaCategory::Identifiers,
        }
    }

    /// Whether the category is CPRA "sensitive personal information" (1798.140(ae)).
    pub const fn is_sensitive(self) -> bool {
        match self.entry() {
            Ok(entry) => entry.sensitive,
            Err(_) => false,
        }
    }

    /// Whether the category is a GDPR Art. 9 special category of personal data.
    pub const fn is_special_category(self) -> bool {
        match self.entry() {
            Ok(entry) => entry.special,
            Err(_) => false,
        }
    }

    /// Why the value must not be disclosed in a right-to-know response (11 CCR 7024(d)),
    /// or `None` when it may be.
    pub const fn withheld_from_access(self) -> Option<&'static str> {
        match self.entry() {
            Ok(entry) => entry.withheld,
            Err(_) => None,
        }
    }

    /// Looks a category up by dotted name. `"custom:x"` gives `Category::Custom("custom:x")`
    /// only for `'static` input; use [`Category::from_name`] for borrowed text.
    pub fn from_static_name(name: &'static str) -> Option<Category> {
        Self::from_name(name).or_else(|| is_custom(name).then_some(Category::Custom(name)))
    }

    /// Looks a taxonomy category up by its dotted name (custom categories are not found).
    pub fn from_name(name: &str) -> Option<Category> {
        CATEGORIES
            .iter()
            .position(|entry| entry.name == name)
            .map(|i| Self::ALL[i])
    }
}

/// The index of the vocabulary row of the `Category` variant named `variant`; evaluated when
/// the crate compiles, so a missing row fails the build.
const fn row(variant: &str) -> usize {
    let mut i = 0;
    while i < CATEGORIES.len() && !same(CATEGORIES[i].variant, variant) {
        i += 1;
    }
    assert!(
        i < CATEGORIES.len(),
        "a `Category` variant has no row in `vocabulary::CATEGORIES`"
    );
    i
}

/// `a == b` in `const` context.
pub(crate) const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// `custom:<name>` with a non-blank name (the derive's rule too).
pub(crate) fn is_custom(name: &str) -> bool {
    name.strip_prefix(CUSTOM_CATEGORY_PREFIX)
        .is_some_and(|rest| !rest.trim().is_empty())
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
    use core::fmt::Write;

    use super::*;

    #[test]
    fn every_name_round_trips_and_is_unique() {
        for (i, c) in Category::ALL.iter().enumerate() {
            assert_eq!(Category::from_name(c.name()), Some(*c));
            assert!(Category::ALL[..i].iter().all(|o| o.name() != c.name()));
        }
    }

    #[test]
    fn every_category_reads_its_row_of_the_vocabulary() {
        for (c, entry) in Category::ALL.iter().zip(CATEGORIES) {
            assert_eq!(format!("{c:?}"), entry.name);
            assert_eq!(c.ccpa().letter(), entry.ccpa);
            assert_eq!(c.description(), entry.description);
            assert_eq!(c.is_sensitive(), entry.sensitive);
            assert_eq!(c.is_special_category(), entry.special);
            assert_eq!(c.withheld_from_access(), entry.withheld);
        }
        assert_eq!(Category::ContactPhone.ccpa(), CcpaCategory::CustomerRecords);
        assert_eq!(
            Category::Custom("custom:x").description(),
            CUSTOM_CATEGORY_DESCRIPTION
        );
    }

    #[test]
    fn labels_join_letter_and_title() {
        for c in CcpaCategory::ALL {
            assert_eq!(CcpaCategory::from_letter(c.letter()), Some(c));
            assert_eq!(c.label(), format!("({}) {}", c.letter(), c.title()));
        }
    }

    #[test]
    fn custom_names_need_a_body() {
        assert_eq!(
            Category::from_static_name("custom:loyalty.tier"),
            Some(Category::Custom("custom:loyalty.tier"))
        );
        assert_eq!(Category::from_static_name("custom:"), None);
        assert_eq!(Category::from_static_name("custom: "), None);
        assert_eq!(Category::from_static_name("contact.mail"), None);
    }

    /// The category table of docs/CATEGORIES.md is this table rendered; on a change, paste the printed one.
    #[test]
    fn the_documented_category_table_is_the_vocabulary() {
        let mut table = String::from(
            "| category | description | CCPA | CPRA sensitive | GDPR Art. 9 | withheld from access (7024(d)) |\n\
             |---|---|---|---|---|---|\n",
        );
        let yes = |b: bool| if b { "yes" } else { "" };
        for e in CATEGORIES {
            writeln!(
                table,
                "| `{}` | {} | {} | {} | {} | {} |",
                e.name,
                e.description,
                e.ccpa,
                yes(e.sensitive),
                yes(e.special),
                yes(e.withheld.is_some()),
            )
            .unwrap();
        }
        let readme = include_str!("../../docs/CATEGORIES.md");
        assert!(
            readme.contains(&table),
            "docs/CATEGORIES.md's category table differs from vocabulary::CATEGORIES; it should read:\n{table}"
        );
    }
}
