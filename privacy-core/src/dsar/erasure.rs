//! [`ErasureReport`]: proof of what an erasure or retention sweep did, field by field.

use serde::Serialize;

use crate::schema::FieldMeta;
use crate::Category;

/// The legal basis reported for a `subject_id` field kept through erasure (its default
/// policy): the record's identifier stays so the erasure report can be tied to the request.
pub const SUBJECT_ID_BASIS: &str =
    "record identifier, kept to link the erasure report to the request";

/// What [`PersonalData::erase`](crate::PersonalData::erase) or
/// [`expire`](crate::PersonalData::expire) did to a record and its nested records.
///
/// Serializable, so a service can keep it as proof of deletion; it names fields and
/// categories, never values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[non_exhaustive]
pub struct ErasureReport {
    /// The record name ([`RecordSchema::name`](crate::RecordSchema::name); empty for a
    /// report merged from many records).
    pub record: &'static str,
    /// The subject of the record, as it was before erasure.
    pub subject_id: Option<String>,
    /// One entry per field acted on, nested records' fields included.
    pub fields: Vec<FieldErasure>,
}

/// What happened to one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct FieldErasure {
    /// The name of the record the report is about ([`RecordSchema::name`](crate::RecordSchema::name));
    /// a nested record's field is named by its path from it in `field`.
    pub record: &'static str,
    /// The field as the stored and API form name it ([`FieldMeta::serde_name`]); a field of
    /// a nested record is a path from the report's top-level record, `/`-separated: the
    /// nested field, the index of the record in it (as in that field's `records` in the
    /// export: 0 for an `Option`, the position in a `Vec` or map), then the field, e.g.
    /// `devices/0/serialNumber`.
    pub field: String,
    /// The field's category, if it has one.
    pub category: Option<Category>,
    /// The outcome.
    pub outcome: ErasureOutcome,
}

/// The outcome for one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "action")]
#[non_exhaustive]
pub enum ErasureOutcome {
    /// The value was deleted.
    Erased,
    /// The value was replaced by its anonymized form.
    Anonymized,
    /// The value is kept under a legal exception.
    Retained {
        /// Why, as declared by `legal_basis`.
        legal_basis: &'static str,
    },
    /// There was nothing left to erase or anonymize.
    AlreadyErased,
    /// The record gave no way to erase or anonymize the field, so its value is unchanged.
    /// Only a hand-written `PersonalData::visit_mut` can cause this (the derive always
    /// hands each field the operation its `on_erase` policy needs); it is reported, never
    /// counted as erased.
    NotErased,
}

impl ErasureReport {
    /// An empty report for a record.
    pub fn new(record: &'static str, subject_id: Option<String>) -> Self {
        ErasureReport {
            record,
            subject_id,
            fields: Vec::new(),
        }
    }

    /// Records the outcome for a field.
    pub fn push(&mut self, record: &'static str, meta: &FieldMeta, outcome: ErasureOutcome) {
        self.fields.push(FieldErasure {
            record,
            field: meta.serde_name().to_string(),
            category: meta.category,
            outcome,
        });
    }

    /// Appends the fields of another record's report as they are (merging the reports of
    /// many records).
    pub fn absorb(&mut self, other: ErasureReport) {
        self.fields.extend(other.fields);
    }

    /// Appends the fields of the report of the `index`-th record of the nested field
    /// `meta`, named by their path from this report's record (`field/index/...`; see
    /// [`FieldErasure::field`]).
    pub fn absorb_nested(&mut self, meta: &FieldMeta, index: usize, nested: ErasureReport) {
        let record = self.record;
        self.fields
            .extend(nested.fields.into_iter().map(|f| FieldErasure {
                record,
                field: format!("{}/{index}/{}", meta.serde_name(), f.field),
                ..f
            }));
    }

    /// Whether nothing changed: every field was already erased or is retained.
    pub fn already_erased(&self) -> bool {
        self.fields.iter().all(|f| {
            matches!(
                f.outcome,
                ErasureOutcome::AlreadyErased | ErasureOutcome::Retained { .. }
            )
        })
    }

    /// The fields with this outcome.
    pub fn with_outcome(&self, outcome: ErasureOutcome) -> impl Iterator<Item = &FieldErasure> {
        self.fields.iter().filter(move |f| f.outcome == outcome)
    }

    /// The retained fields with their legal basis.
    pub fn retained(&self) -> impl Iterator<Item = (&FieldErasure, &'static str)> {
        self.fields.iter().filter_map(|f| match f.outcome {
            ErasureOutcome::Retained { legal_basis } => Some((f, legal_basis)),
            _ => None,
        })
    }

    /// How many fields changed (erased or anonymized).
    pub fn changed(&self) -> usize {
        self.fields
            .iter()
            .filter(|f| {
                matches!(
                    f.outcome,
                    ErasureOutcome::Erased | ErasureOutcome::Anonymized
                )
            })
            .count()
    }
}
