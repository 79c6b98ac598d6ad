//! The reports of requests: [`DeletionReport`] (per store, per field, counts only) and
//! [`CorrectionReport`]. They name record types, fields and categories, never values.

use serde::{Deserialize, Serialize};

use super::digest::sha256_hex;
use super::ledger::{RequestKind, SubjectRef};
use crate::dsar::{ErasureOutcome, ErasureReport};

/// What a deletion did to one record type for one subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreOutcome {
    /// The record name.
    pub record: String,
    /// The kind of subject the records are filed under.
    pub subject_kind: String,
    /// Records found for the subject.
    pub records_found: u64,
    /// Records deleted.
    pub records_deleted: u64,
    /// Records kept, erased but for the fields retained under a legal basis.
    pub records_kept: u64,
    /// Records that could not be opened because the subject's key was already shredded:
    /// deleted unopened when the type retains nothing, else left as an earlier deletion
    /// saved them.
    pub records_unreadable: u64,
    /// What happened to each field, over all the records.
    pub fields: Vec<FieldOutcome>,
}

/// What a deletion did to one field over a subject's records of one type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldOutcome {
    /// The record the field belongs to (the top-level record for nested fields).
    pub record: String,
    /// The field's serde name; for a nested record's field its path from the record, with
    /// `*` for the nested record's position (`devices/*/last_ip`).
    pub field: String,
    /// The field's category.
    pub category: Option<String>,
    /// `erased`, `anonymized`, `retained`, `already_erased` or `not_erased`.
    pub outcome: String,
    /// The legal basis of a retained field.
    pub legal_basis: Option<String>,
    /// In how many records (nested ones counted one by one).
    pub count: u64,
}

impl StoreOutcome {
    pub(crate) fn new(record: &str, subject_kind: &str) -> StoreOutcome {
        StoreOutcome {
            record: record.to_owned(),
            subject_kind: subject_kind.to_owned(),
            records_found: 0,
            records_deleted: 0,
            records_kept: 0,
            records_unreadable: 0,
            fields: Vec::new(),
        }
    }

    /// Counts the fields of one record's erasure report.
    pub(crate) fn add_fields(&mut self, report: &ErasureReport) {
        for f in &report.fields {
            let (outcome, basis) = match f.outcome {
                ErasureOutcome::Erased => ("erased", None),
                ErasureOutcome::Anonymized => ("anonymized", None),
                ErasureOutcome::Retained { legal_basis } => ("retained", Some(legal_basis)),
                ErasureOutcome::AlreadyErased => ("already_erased", None),
                ErasureOutcome::NotErased => ("not_erased", None),
            };
            let category = f.category.map(|c| c.name().to_owned());
            let field = field_shape(&f.field);
            let existing = self.fields.iter_mut().find(|o| {
                o.record == f.record
                    && o.field == field
                    && o.outcome == outcome
                    && o.legal_basis.as_deref() == basis
            });
            match existing {
                Some(o) => o.count += 1,
                None => self.fields.push(FieldOutcome {
                    record: f.record.to_owned(),
                    field,
                    category,
                    outcome: outcome.to_owned(),
                    legal_basis: basis.map(str::to_owned),
                    count: 1,
                }),
            }
        }
    }

    /// How many field values changed (erased or anonymized).
    pub fn changed(&self) -> u64 {
        self.fields
            .iter()
            .filter(|f| f.outcome == "erased" || f.outcome == "anonymized")
            .map(|f| f.count)
            .sum()
    }
}

/// The path of a field with every record position replaced by `*` (`devices/*/serial`), so
/// that one nested field of every record is counted as one.
fn field_shape(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
                "*"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The final report of a completed deletion request, the same however many times the
/// deletion was interrupted and resumed (it is assembled from what the ledger recorded
/// before each store was changed). Its SHA-256 [`digest`](DeletionReport::digest) is kept in
/// the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionReport {
    /// The request id.
    pub request: String,
    /// Always [`RequestKind::Deletion`].
    pub kind: RequestKind,
    /// The subjects erased: the requester first, then the people reached through routes.
    pub subjects: Vec<SubjectRef>,
    /// Whether nothing was left to erase: every subject had been erased before.
    pub already_erased: bool,
    /// One entry per record type and subject that had records.
    pub stores: Vec<StoreOutcome>,
    /// Whether every subject's data key was shredded.
    pub shredded: bool,
}

impl DeletionReport {
    /// The report as canonical JSON (members in declaration order, compact).
    pub fn to_json(&self) -> Result<String, super::RequestError> {
        serde_json::to_string(self).map_err(|_| super::RequestError::Encode {
            what: "deletion report",
        })
    }

    /// The SHA-256 of [`to_json`](DeletionReport::to_json), in hex: what the ledger keeps.
    pub fn digest(&self) -> Result<String, super::RequestError> {
        Ok(sha256_hex(self.to_json()?.as_bytes()))
    }

    /// Records deleted over every store.
    pub fn records_deleted(&self) -> u64 {
        self.stores.iter().map(|s| s.records_deleted).sum()
    }

    /// Records kept (erased but for retained fields) over every store.
    pub fn records_kept(&self) -> u64 {
        self.stores.iter().map(|s| s.records_kept).sum()
    }
}

/// What a correction changed: record types, fields and categories, never values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrectionReport {
    /// The request id.
    pub request: String,
    /// The record type corrected.
    pub record: String,
    /// Records read.
    pub records_seen: u64,
    /// Records changed and saved again.
    pub records_changed: u64,
    /// The fields whose values changed (Rust field paths, `"devices.serial"`), sorted.
    pub fields: Vec<String>,
    /// Their categories, sorted and distinct.
    pub categories: Vec<String>,
}
