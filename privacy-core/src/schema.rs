//! What the derive knows about a struct: [`RecordSchema`] and one [`FieldMeta`] per field.
//!
//! Schemas are `'static` constants built at compile time, so the inventory, DSAR export,
//! sealing and the leak scanner read them without allocation or reflection.

use core::fmt;
use core::time::Duration;
use std::time::SystemTime;

use serde::{Serialize, Serializer};

use crate::category::same;
use crate::vocabulary::{
    AnonymizerEntry, RetentionUnitEntry, ANONYMIZERS, RETENTION_ACCOUNT, RETENTION_TRANSIENT,
    RETENTION_UNITS,
};
use crate::Category;

/// The bits kept of a blind index written `blind_index` without `bits`: a lookup among `n`
/// rows then matches about `n / 2^64` rows by accident (none in practice), while equal
/// values still give equal indexes. See [`FieldMeta::blind_index_bits`].
pub const DEFAULT_BLIND_INDEX_BITS: u16 = 64;

/// The schema of one `#[derive(PersonalData)]` type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RecordSchema {
    /// The Rust type name, without generic arguments.
    pub type_name: &'static str,
    /// The stable record name bound into envelopes and used by inventories and DSAR documents:
    /// `#[personal(name = "...")]`, or the type name. Pin it before data is stored, so that
    /// renaming or moving the Rust type keeps stored data readable.
    pub name: &'static str,
    /// The kind of data subject the record describes (`#[personal(subject = "...")]`, default `"user"`).
    pub subject_kind: &'static str,
    /// How the struct serializes with serde (named map, tuple sequence or newtype).
    pub shape: Shape,
    /// Every classified field except `not_personal` ones, in declaration order.
    pub fields: &'static [FieldMeta],
}

impl RecordSchema {
    /// The field with this Rust name (tuple fields are named `"0"`, `"1"`, ...).
    pub fn field(&self, name: &str) -> Option<&'static FieldMeta> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The fields that carry a category of personal data (personal and subject-id fields).
    pub fn personal_fields(&self) -> impl Iterator<Item = &'static FieldMeta> {
        self.fields.iter().filter(|f| f.category.is_some())
    }

    /// Whether any field of this record or of its nested records is sealed at rest.
    pub fn has_encrypted_fields(&self) -> bool {
        self.fields
            .iter()
            .any(|f| f.encrypted || f.nested.is_some_and(RecordSchema::has_encrypted_fields))
    }
}

/// How a struct is laid out, which decides how its serde form is walked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Shape {
    /// `struct S { a: A }`: serializes as a map keyed by field name.
    Named,
    /// `struct S(A, B)`: serializes as a sequence.
    Tuple,
    /// `struct S(A)`: serializes as the inner value.
    Newtype,
    /// `struct S;`
    Unit,
    /// An enum: its fields are those of every variant, named `Variant.field`.
    Enum,
}

/// The role a field plays in its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FieldKind {
    /// `#[personal(category = "...")]`: a personal value.
    Personal,
    /// `#[personal(subject_id)]`: whose data the record is; category `identity.account_id` unless set.
    SubjectId,
    /// `#[personal(collected_at)]`: when the record was collected; retention is measured from it.
    CollectedAt,
    /// `#[personal(nested)]`: a `PersonalData` value (or `Option`/`Vec`/`Box` of one).
    Nested,
}

/// Metadata of one classified field: everything `#[personal(...)]` said about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FieldMeta {
    /// The Rust field name, or its index for tuple structs.
    pub name: &'static str,
    /// The role of the field.
    pub kind: FieldKind,
    /// The category of personal data, for `Personal` and `SubjectId` fields.
    pub category: Option<Category>,
    /// Why the data is processed (`purpose = "a, b"`).
    pub purposes: &'static [Purpose],
    /// How long the value may be kept.
    pub retention: Retention,
    /// How the value is made non-identifying, if it can be.
    pub anonymizer: Option<Anonymizer>,
    /// Whether the value is sealed in an envelope at rest (`encrypt`).
    pub encrypted: bool,
    /// Whether an equality-only blind index is stored beside the envelope (`blind_index`).
    pub blind_index: bool,
    /// How many bits of each blind index are kept (`blind_index(bits = N)`: a multiple of 8
    /// from 16 to 256; default [`DEFAULT_BLIND_INDEX_BITS`]). Fewer bits link fewer records
    /// for sure but give about `rows / 2^bits` false positives per lookup, which
    /// [`Keyring::find`](crate::crypto::Keyring::find) removes by opening the candidates.
    pub blind_index_bits: u16,
    /// What erasure does with the field.
    pub on_erase: ErasePolicy,
    /// Why the value survives erasure (`legal_basis`), required with `on_erase = "retain"`.
    pub legal_basis: Option<&'static str>,
    /// Where the value comes from (`source = "user"`).
    pub source: Option<&'static str>,
    /// Categories of third parties the value is disclosed to (`shared_with = "a, b"`).
    pub recipients: &'static [&'static str],
    /// Whether a right-to-know export may contain the value (`export = false` withholds it).
    pub exported: bool,
    /// For `nested` fields: the schema of the nested record type.
    #[serde(skip)]
    pub nested: Option<&'static RecordSchema>,
    /// What the field's `#[serde(...)]` attributes say about how it is written.
    #[serde(skip)]
    pub serde: SerdeField,
}

/// What `#[serde(...)]` says about how a field is written, as far as the promises need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SerdeField {
    /// The key serde writes the field under (after `rename` and `rename_all`); empty for
    /// tuple fields.
    pub key: &'static str,
    /// The name serde gives the struct (or enum) holding the field when it writes it
    /// (`serialize_struct`): the type name or its `#[serde(rename)]`.
    pub container: &'static str,
    /// `serialize_with` or `with`: serde writes a wrapper, not the field's own value, so the
    /// field is recognised by `container` and `key` instead of by reference.
    pub opaque: bool,
    /// `skip_serializing_if`: serde may leave the field out.
    pub skip_if: bool,
    /// `skip` or `skip_serializing`: serde never writes the field.
    pub skipped: bool,
}

impl SerdeField {
    /// Whether serde may leave the field out of its output.
    pub const fn may_skip(&self) -> bool {
        self.skip_if || self.skipped
    }

    /// A field serde writes under `key` in `container`, always and by value; a base for
    /// struct update syntax in generated code.
    pub const fn keyed(key: &'static str, container: &'static str) -> SerdeField {
        SerdeField {
            key,
            container,
            opaque: false,
            skip_if: false,
            skipped: false,
        }
    }
}

impl FieldMeta {
    /// A field of `kind` with every other property at its default; a base for struct update
    /// syntax in generated code and hand-written schemas.
    pub const fn new(name: &'static str, kind: FieldKind) -> FieldMeta {
        FieldMeta {
            name,
            kind,
            category: None,
            purposes: &[],
            retention: Retention::Unspecified,
            anonymizer: None,
            encrypted: false,
            blind_index: false,
            blind_index_bits: DEFAULT_BLIND_INDEX_BITS,
            on_erase: ErasePolicy::Delete,
            legal_basis: None,
            source: None,
            recipients: &[],
            exported: true,
            nested: None,
            serde: SerdeField {
                key: "",
                container: "",
                opaque: false,
                skip_if: false,
                skipped: false,
            },
        }
    }

    /// The name the stored and API form of the record use for the field, which reports
    /// (exports, erasure reports, DSAR documents) show: serde's key for it (after `rename`
    /// and `rename_all`). A field of an enum variant is `Variant.key` (the Rust variant name:
    /// the variant's serde name depends on the enum's representation); a tuple field, or
    /// metadata without a serde key, keeps its Rust name ([`name`](FieldMeta::name)).
    pub fn serde_name(&self) -> SerdeName {
        if self.serde.key.is_empty() {
            return SerdeName {
                variant: None,
                key: self.name,
            };
        }
        SerdeName {
            variant: self.name.split_once('.').map(|(variant, _)| variant),
            key: self.serde.key,
        }
    }

    /// Why this field's value must not appear in an access response, or `None` if it may:
    /// `export = false`, a category 11 CCR 7024(d) forbids disclosing, or transient retention.
    pub fn withheld_reason(&self) -> Option<&'static str> {
        if !self.exported {
            return Some("withheld by the controller (export = false)");
        }
        if self.retention == Retention::Transient {
            return Some("transient data is never stored");
        }
        self.category.and_then(Category::withheld_from_access)
    }
}

/// A purpose of processing, as written in the privacy policy (`purpose = "account"`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Purpose(pub &'static str);

impl Purpose {
    /// The purpose as written.
    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Debug for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl Serialize for Purpose {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

/// How long a value may be kept.
///
/// Written `"30d"`, `"12w"`, `"6mo"`, `"3y"` (a month counts 30 days and a year 365, so a
/// period never runs longer than the calendar one), `"account"` or `"transient"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Retention {
    /// No retention was declared; the value is kept until erasure.
    Unspecified,
    /// Kept for this long after the record's `collected_at`, then expired.
    Period {
        /// How many units.
        amount: u32,
        /// The unit as written.
        unit: RetentionUnit,
    },
    /// Kept for the life of the account, until erasure.
    Account,
    /// Must never be persisted: sealing and export refuse it.
    Transient,
}

/// The unit of a [`Retention::Period`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RetentionUnit {
    /// `d`
    Days,
    /// `w`
    Weeks,
    /// `mo` (30 days)
    Months,
    /// `y` (365 days)
    Years,
}

impl RetentionUnit {
    const fn days(self) -> u64 {
        self.entry().days
    }

    const fn suffix(self) -> &'static str {
        self.entry().suffix
    }
}

macro_rules! retention_units {
    ($($variant:ident),* $(,)?) => {
        impl RetentionUnit {
            /// The unit's vocabulary row, found by variant name when the crate compiles.
            const fn entry(self) -> &'static RetentionUnitEntry {
                let row = match self {
                    $(Self::$variant => const { unit_row(stringify!($variant)) },)*
                };
                &RETENTION_UNITS[row]
            }
        }
        impl RetentionUnit {
            /// The unit of each vocabulary row, in row order (the derive's packed schema).
            pub(crate) const BY_ROW: [RetentionUnit; RETENTION_UNITS.len()] = {
                let mut by_row = [RetentionUnit::Days; RETENTION_UNITS.len()];
                $(by_row[unit_row(stringify!($variant))] = Self::$variant;)*
                by_row
            };
        }
        const _: () = assert!(
            [$(stringify!($variant)),*].len() == RETENTION_UNITS.len(),
            "every row of `vocabulary::RETENTION_UNITS` needs a `RetentionUnit` variant"
        );
    };
}

retention_units!(Days, Weeks, Months, Years);

/// The index of the vocabulary row of the `RetentionUnit` variant named `variant`.
const fn unit_row(variant: &str) -> usize {
    let mut i = 0;
    while i < RETENTION_UNITS.len() && !same(RETENTION_UNITS[i].variant, variant) {
        i += 1;
    }
    assert!(
        i < RETENTION_UNITS.len(),
        "a `RetentionUnit` variant has no row in `vocabulary::RETENTION_UNITS`"
    );
    i
}

impl Retention {
    /// The period as a duration, for `Period` retention.
    pub const fn duration(self) -> Option<Duration> {
        match self {
            Self::Period { amount, unit } => {
                Some(Duration::from_secs(amount as u64 * unit.days() * 86_400))
            }
            _ => None,
        }
    }

    /// Whether a value collected at `collected_at` has outlived its retention at `now`.
    ///
    /// A period expires at exactly `collected_at + period`. Transient values are always
    /// expired; account-long and unspecified retention never expire. A record without a
    /// collection time never expires by period (nothing to measure from).
    pub fn is_expired(self, collected_at: Option<SystemTime>, now: SystemTime) -> bool {
        match (self, self.duration(), collected_at) {
            (Self::Transient, _, _) => true,
            (_, Some(period), Some(at)) => match at.checked_add(period) {
                Some(limit) => now >= limit,
                None => false,
            },
            _ => false,
        }
    }
}

impl fmt::Display for Retention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unspecified => f.write_str("unspecified"),
            Self::Period { amount, unit } => write!(f, "{amount}{}", unit.suffix()),
            Self::Account => f.write_str(RETENTION_ACCOUNT),
            Self::Transient => f.write_str(RETENTION_TRANSIENT),
        }
    }
}

impl Serialize for Retention {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Unspecified => serializer.serialize_str("unspecified"),
            Self::Account => serializer.serialize_str(RETENTION_ACCOUNT),
            Self::Transient => serializer.serialize_str(RETENTION_TRANSIENT),
            Self::Period { .. } => serializer.collect_str(self),
        }
    }
}

/// What erasure does with a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErasePolicy {
    /// Clear the value: `None`, empty string or collection (the default).
    Delete,
    /// Apply the field's anonymizer.
    Anonymize,
    /// Keep the value under a legal exception (`legal_basis`).
    Retain,
    /// Replace the value with its type's `Default` (`on_erase = "reset"`): for C-like enums
    /// and newtypes, which have no empty state of their own.
    Reset,
}

/// An anonymizer named by `#[personal(anonymize = "...")]` or `anonymize_with = path`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Anonymizer {
    /// `redact`: replace the whole value.
    Redact,
    /// `ip`: keep the /24 of IPv4 and the /48 of IPv6.
    Ip,
    /// `email`: keep the first character of the local part and the domain.
    Email,
    /// `phone`: keep the country code and the last two digits.
    Phone,
    /// `last4`: keep the last four digits of a card number.
    Last4,
    /// `bin_last4`: keep the first six and last four digits of a card number.
    BinLast4,
    /// `initials`: keep the initials of a name.
    Initials,
    /// `coarse_location`: round coordinates to about 1 km.
    CoarseLocation,
    /// `year`: keep the year of a date.
    Year,
    /// `age_band`: replace a birth date or age with its age band.
    AgeBand,
    /// `pseudonym`: replace with a keyed HMAC pseudonym.
    Pseudonym,
    /// `anonymize_with = path`: a user function; holds the path as written.
    Custom(&'static str),
}

impl Anonymizer {
    /// The attribute spelling, e.g. `"bin_last4"`; custom anonymizers give their path.
    pub const fn name(self) -> &'static str {
        match self.entry() {
            Ok(entry) => entry.name,
            Err(path) => path,
        }
    }
}

macro_rules! builtin_anonymizers {
    ($($variant:ident),* $(,)?) => {
        impl Anonymizer {
            /// The vocabulary row of a built-in anonymizer, found by variant name when the
            /// crate compiles; the path of a custom one.
            const fn entry(self) -> Result<&'static AnonymizerEntry, &'static str> {
                let row = match self {
                    $(Self::$variant => const { anonymizer_row(stringify!($variant)) },)*
                    Self::Custom(path) => return Err(path),
                };
                Ok(&ANONYMIZERS[row])
            }
        }
        impl Anonymizer {
            /// The built-in anonymizer of each vocabulary row, in row order (the derive's
            /// packed schema).
            pub(crate) const BY_ROW: [Anonymizer; ANONYMIZERS.len()] = {
                let mut by_row = [Anonymizer::Redact; ANONYMIZERS.len()];
                $(by_row[anonymizer_row(stringify!($variant))] = Self::$variant;)*
                by_row
            };
        }
        const _: () = assert!(
            [$(stringify!($variant)),*].len() == ANONYMIZERS.len(),
            "every row of `vocabulary::ANONYMIZERS` needs an `Anonymizer` variant"
        );
    };
}

builtin_anonymizers!(
    Redact,
    Ip,
    Email,
    Phone,
    Last4,
    BinLast4,
    Initials,
    CoarseLocation,
    Year,
    AgeBand,
    Pseudonym,
);

/// The index of the vocabulary row of the `Anonymizer` variant named `variant`.
const fn anonymizer_row(variant: &str) -> usize {
    let mut i = 0;
    while i < ANONYMIZERS.len() && !same(ANONYMIZERS[i].variant, variant) {
        i += 1;
    }
    assert!(
        i < ANONYMIZERS.len(),
        "an `Anonymizer` variant has no row in `vocabulary::ANONYMIZERS`"
    );
    i
}

impl fmt::Display for Anonymizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Anonymizer {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_expires_exactly_at_its_limit() {
        let r = Retention::Period {
            amount: 30,
            unit: RetentionUnit::Days,
        };
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let limit = at + Duration::from_secs(30 * 86_400);
        assert!(!r.is_expired(Some(at), limit - Duration::from_secs(1)));
        assert!(r.is_expired(Some(at), limit));
        assert!(r.is_expired(Some(at), limit + Duration::from_secs(1)));
        assert!(!r.is_expired(None, limit));
        assert!(!Retention::Account.is_expired(Some(at), limit));
        assert!(Retention::Transient.is_expired(None, at));
        assert_eq!(r.to_string(), "30d");
    }

    #[test]
    fn units_and_anonymizers_read_their_rows_of_the_vocabulary() {
        let units = [
            RetentionUnit::Days,
            RetentionUnit::Weeks,
            RetentionUnit::Months,
            RetentionUnit::Years,
        ];
        for (unit, entry) in units.into_iter().zip(RETENTION_UNITS) {
            assert_eq!(format!("{unit:?}"), entry.variant);
            assert_eq!((unit.suffix(), unit.days()), (entry.suffix, entry.days));
        }
        assert_eq!(Anonymizer::BinLast4.name(), "bin_last4");
        assert_eq!(Anonymizer::Custom("crate::mask").name(), "crate::mask");
        for entry in ANONYMIZERS {
            let named = ANONYMIZERS.iter().filter(|e| e.name == entry.name).count();
            assert_eq!(named, 1, "`{}` is spelled once", entry.name);
        }
    }
}

/// A field's name as serde writes it: see [`FieldMeta::serde_name`]. `Display` and
/// `Serialize` write it as one string (`key`, or `Variant.key`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SerdeName {
    /// The enum variant holding the field, if any.
    pub variant: Option<&'static str>,
    /// serde's key for the field.
    pub key: &'static str,
}

impl SerdeName {
    /// Whether the name reads as `text`.
    pub fn is(&self, text: &str) -> bool {
        match self.variant {
            None => self.key == text,
            Some(variant) => text
                .strip_prefix(variant)
                .and_then(|rest| rest.strip_prefix('.'))
                .is_some_and(|key| key == self.key),
        }
    }
}

impl fmt::Display for SerdeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(variant) = self.variant {
            f.write_str(variant)?;
            f.write_str(".")?;
        }
        f.write_str(self.key)
    }
}

impl Serialize for SerdeName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.variant {
            None => serializer.serialize_str(self.key),
            Some(_) => serializer.collect_str(self),
        }
    }
}
