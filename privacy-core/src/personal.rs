//! The [`PersonalData`] trait that `#[derive(PersonalData)]` implements.

use std::time::SystemTime;

use crate::anonymize::apply::Anonymization;
use crate::dsar::export::Exporter;
use crate::dsar::{ErasureReport, RecordExport};
use crate::erase::Erasure;
use crate::schema::{FieldMeta, RecordSchema};
use crate::visit::{FieldValue, Visitor};
use crate::visit_mut::VisitorMut;
use crate::Category;

/// A struct whose fields are classified personal data.
///
/// Implemented by `#[derive(PersonalData)]`; see the crate docs for the attribute reference.
/// The trait is object safe (`&dyn PersonalData`), so requests that span many record types,
/// DSAR documents and leak scanners take records of any type together.
///
/// # The `Debug` impl is redacted
///
/// `Debug` is a supertrait, and part of the contract: the `Debug` impl of a `PersonalData`
/// type must be redacted (every personal value printed as its category tag, never its value).
/// The derive writes one, so do not `#[derive(Debug)]` beside it; a hand impl of
/// `PersonalData` must come with a redacted hand impl of `Debug`. Generic code can then log a
/// record with `{:?}`:
///
/// ```
/// use privacy_core::PersonalData;
///
/// fn log_line<T: PersonalData>(record: &T) -> String {
///     format!("stored {record:?}")
/// }
///
/// #[derive(PersonalData)]
/// struct Account {
///     #[personal(category = "contact.email")]
///     email: String,
///     #[personal(not_personal)]
///     plan: u8,
/// }
///
/// let account = Account { email: "jane@example.com".into(), plan: 2 };
/// assert_eq!(log_line(&account), "stored Account { email: <contact.email>, plan: 2 }");
/// ```
pub trait PersonalData: core::fmt::Debug {
    /// The compile-time schema of the type: every classified field with its metadata.
    fn schema() -> &'static RecordSchema
    where
        Self: Sized;

    /// [`PersonalData::schema`] through a value, for trait objects.
    fn record_schema(&self) -> &'static RecordSchema;

    /// The identifier of the data subject this record belongs to (the `subject_id` field),
    /// or `None` when the record has no such field or it is empty.
    fn subject_id(&self) -> Option<String> {
        None
    }

    /// When the record was collected (the `collected_at` field); retention is measured from it.
    fn collected_at(&self) -> Option<SystemTime> {
        None
    }

    /// A right-to-know copy of every personal value with its metadata; values that must not
    /// be disclosed are listed as withheld with the reason, never valued.
    fn export(&self) -> RecordExport {
        let mut exporter = Exporter(RecordExport::new(self.record_schema(), self.subject_id()));
        self.visit(&mut exporter);
        exporter.0
    }

    /// Applies every field's `on_erase` policy (delete, anonymize or retain) and reports what
    /// happened to each field. Erasing twice changes nothing and reports "already erased".
    fn erase(&mut self) -> ErasureReport {
        let record = self.record_schema().name;
        let mut erasure = Erasure::erase(record, self.subject_id());
        self.visit_mut(&mut erasure);
        erasure.report
    }

    /// Applies every field's anonymizer in place.
    fn anonymize(&mut self) {
        self.visit_mut(&mut Anonymization);
    }

    /// Erases (or anonymizes, when `on_erase = "anonymize"`) every field whose retention has
    /// passed at `now`, measured from [`collected_at`](PersonalData::collected_at).
    fn expire(&mut self, now: SystemTime) -> ErasureReport {
        let record = self.record_schema().name;
        let mut erasure = Erasure::expire(record, self.subject_id(), self.collected_at(), now);
        self.visit_mut(&mut erasure);
        erasure.report
    }

    /// The value of the `#[personal(record_id)]` field, naming this one record; sealing binds
    /// envelopes to it. `None` when the record has no such field.
    fn record_id(&self) -> Option<String> {
        None
    }

    /// Hands every classified field, typed, with its metadata, to `visitor` (for an enum, the
    /// fields of the active variant; nested records through [`Visitor::nested`]). This is the
    /// typed model every promise works through.
    fn visit(&self, visitor: &mut dyn Visitor);

    /// Hands every personal field (not `collected_at`) and every nested field, mutably, with
    /// its metadata, to `visitor`: what [`erase`](PersonalData::erase),
    /// [`expire`](PersonalData::expire) and [`anonymize`](PersonalData::anonymize) work
    /// through.
    fn visit_mut(&mut self, visitor: &mut dyn VisitorMut);

    /// Every raw personal value the record holds, as text, for leak scanning: strings as
    /// they are, numbers in decimal, each leaf of a structured value on its own. Only values:
    /// field names, enum tags and variant names are never listed.
    fn personal_values(&self) -> Vec<PersonalValue> {
        let mut values = Values {
            record: self.record_schema().name,
            records: Vec::new(),
            out: Vec::new(),
        };
        self.visit(&mut values);
        values.out
    }

    /// A serde view of the record with every personal value replaced by its category tag, for
    /// structured logs and API error bodies. It implements `Serialize` only, and `Display`
    /// (compact JSON; see [`Redacted`](crate::Redacted) for when it fails).
    fn redacted(&self) -> crate::Redacted<'_, Self>
    where
        Self: Sized,
    {
        crate::Redacted(self)
    }
}

/// One raw personal value of a record, as listed by [`PersonalData::personal_values`].
///
/// Its `Debug` never prints the value.
#[derive(Clone, PartialEq, Eq)]
#[allow(clippy::exhaustive_structs)] // a plain value users (or generated code) build
pub struct PersonalValue {
    /// The record the value lives in, by its record name ([`RecordSchema::name`]).
    pub record: &'static str,
    /// The field name.
    pub field: &'static str,
    /// The field's category.
    pub category: Category,
    /// The value as text (strings as they are, numbers in decimal).
    pub value: String,
}

impl core::fmt::Debug for PersonalValue {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PersonalValue")
            .field("record", &self.record)
            .field("field", &self.field)
            .field("category", &self.category)
            .field("value", &crate::redact::Tag(self.category.name()))
            .finish()
    }
}

/// Collects [`PersonalValue`]s through the visitor.
struct Values {
    record: &'static str,
    /// The record names of the nested fields being visited.
    records: Vec<&'static str>,
    out: Vec<PersonalValue>,
}

impl Visitor for Values {
    fn field(&mut self, meta: &'static FieldMeta, value: &dyn FieldValue) {
        let Some(category) = meta.category else {
            return;
        };
        let record = self.records.last().copied().unwrap_or(self.record);
        // A value that cannot be serialized cannot be scanned for either; the leak kit's
        // heuristic detectors still apply to it.
        value.leaves(&mut |text| {
            self.out.push(PersonalValue {
                record,
                field: meta.name,
                category,
                value: text,
            });
        });
    }

    fn enter(&mut self, meta: &'static FieldMeta) {
        self.records
            .push(meta.nested.map_or(self.record, |s| s.name));
    }

    fn leave(&mut self, _meta: &'static FieldMeta) {
        self.records.pop();
    }
}
