//! What a right-to-know request admits and states, shared by the in-memory document
//! ([`Dsar`](super::Dsar)) and the streamed one ([`DsarWriter`](super::DsarWriter)): which
//! records belong to the request ([`check`], [`DsarError`]), its dependents, and the rights
//! every document lists ([`RIGHTS`]).

use super::export::{ExportedValue, RecordExport};

/// Why a record was refused by [`Dsar::add`](super::Dsar::add) or [`DsarWriter::add`](super::DsarWriter::add); names the record type,
/// never an identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DsarError {
    /// The record, or a record nested in it, belongs to another data subject.
    #[error("a {record} record of another data subject was added to this request")]
    OtherSubject {
        /// The record type.
        record: &'static str,
    },
    /// The record has no subject id, so it cannot be attributed to the requester.
    #[error("a {record} record has no subject id; add it nested in its parent record")]
    NoSubject {
        /// The record type.
        record: &'static str,
    },
    /// The record describes another kind of data subject than the one the request was made
    /// for (see [`Dsar::with_subject_kind`](super::Dsar::with_subject_kind)).
    #[error("a {record} record describes a `{kind}`, not the kind of subject of this request")]
    OtherKind {
        /// The record type.
        record: &'static str,
        /// The record's kind of data subject.
        kind: &'static str,
    },
}

/// The rights a data subject holds, stated in every document (GDPR Art. 15(1)(e)-(f), CCPA
/// 1798.105, 1798.106, 1798.120).
pub const RIGHTS: &[&str] = &[
    "access a copy of the personal data (GDPR Art. 15, CCPA 1798.110)",
    "rectification of inaccurate data (GDPR Art. 16, CCPA 1798.106)",
    "erasure (GDPR Art. 17, CCPA 1798.105)",
    "restriction of processing (GDPR Art. 18)",
    "data portability (GDPR Art. 20)",
    "objection to processing, including direct marketing (GDPR Art. 21, CCPA 1798.120)",
    "lodge a complaint with a supervisory authority (GDPR Art. 77)",
];

/// Adds ids to a list of dependents, each once.
pub(crate) fn add_dependents<S: AsRef<str>>(
    list: &mut Vec<String>,
    ids: impl IntoIterator<Item = S>,
) {
    for id in ids {
        let id = id.as_ref();
        if !list.iter().any(|d| d == id) {
            list.push(id.to_owned());
        }
    }
}

/// The checks of [`Dsar::add_export`](super::Dsar::add_export) and
/// [`DsarWriter::add_export`](super::DsarWriter::add_export): the record belongs to
/// `subject_id` or one of its `dependents`, is of the `kind` of subject asked for (if any),
/// and holds no nested record of another subject.
pub(crate) fn check(
    export: &RecordExport,
    subject_id: &str,
    dependents: &[String],
    kind: Option<&str>,
) -> Result<(), DsarError> {
    match export.subject_id() {
        None => Err(DsarError::NoSubject {
            record: export.record(),
        }),
        Some(id) if id != subject_id && !dependents.iter().any(|d| d == id) => {
            Err(DsarError::OtherSubject {
                record: export.record(),
            })
        }
        Some(id) => {
            if let Some(kind) = kind {
                if export.subject_kind() != kind {
                    return Err(DsarError::OtherKind {
                        record: export.record(),
                        kind: export.subject_kind(),
                    });
                }
            }
            check_nested(export, id)
        }
    }
}

/// Refuses an export holding a nested record that names another subject.
fn check_nested(export: &RecordExport, subject_id: &str) -> Result<(), DsarError> {
    for f in export.fields() {
        if let ExportedValue::Records(nested) = f.value {
            for n in nested {
                if n.subject_id().is_some_and(|id| id != subject_id) {
                    return Err(DsarError::OtherSubject { record: n.record() });
                }
                check_nested(n, subject_id)?;
            }
        }
    }
    Ok(())
}
