//! [`Dsar`]: the answer to a right-to-know / access request, one document per data subject.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::{json, Value};

use super::export::{ExportedValue, RecordExport};
use crate::schema::{FieldKind, FieldMeta};
use crate::PersonalData;

/// Why a record was refused by [`Dsar::add`]; names the record type, never an identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DsarError {
    /// The record belongs to another data subject.
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
    /// The record describes another kind of data subject than the request
    /// (see [`Dsar::with_kind`]).
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

/// Everything held about one data subject, gathered from records of any type.
///
/// ```
/// use privacy_core::{dsar::Dsar, PersonalData};
///
/// #[derive(PersonalData, serde::Serialize)]
/// struct Account {
///     #[personal(subject_id)]
///     id: u64,
///     #[personal(category = "contact.email", purpose = "account", source = "user")]
///     email: String,
/// }
///
/// let mut request = Dsar::new("42");
/// request.add(&Account { id: 42, email: "jane@example.com".into() })?;
/// let doc = request.to_json();
/// assert_eq!(doc["ccpa_1798_110"]["sources"][0], "user");
/// assert!(request.add(&Account { id: 7, email: "x@example.com".into() }).is_err());
/// # Ok::<(), privacy_core::dsar::DsarError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Dsar {
    subject_id: String,
    subject_kind: Option<String>,
    date: Option<String>,
    records: Vec<RecordExport>,
}

impl Dsar {
    /// An empty request for the subject with this id.
    pub fn new(subject_id: &str) -> Dsar {
        Dsar {
            subject_id: subject_id.to_owned(),
            subject_kind: None,
            date: None,
            records: Vec::new(),
        }
    }

    /// An empty request for the subject with this id and kind (`#[personal(subject = "...")]`):
    /// a top-level record of another kind is refused with [`DsarError::OtherKind`].
    ///
    /// ```
    /// use privacy_core::{dsar::{Dsar, DsarError}, PersonalData};
    ///
    /// #[derive(PersonalData)]
    /// #[personal(subject = "employee")]
    /// struct Badge {
    ///     #[personal(subject_id)]
    ///     holder: u64,
    /// }
    ///
    /// let mut request = Dsar::with_kind("7", "customer");
    /// let refused = request.add(&Badge { holder: 7 }).unwrap_err();
    /// assert_eq!(refused, DsarError::OtherKind { record: "Badge", kind: "employee" });
    /// ```
    pub fn with_kind(subject_id: &str, subject_kind: &str) -> Dsar {
        Dsar {
            subject_kind: Some(subject_kind.to_owned()),
            ..Dsar::new(subject_id)
        }
    }

    /// States the date of the request or of the answer in the document, as given (e.g.
    /// `"2024-05-01"`). The document reads no clock: without this it holds no date at all,
    /// so the same records always give the same document.
    pub fn dated(&mut self, date: impl Into<String>) -> &mut Dsar {
        self.date = Some(date.into());
        self
    }

    /// The subject's id.
    pub fn subject_id(&self) -> &str {
        &self.subject_id
    }

    /// The kind of subject the request was made for, if given to [`Dsar::with_kind`].
    pub fn subject_kind(&self) -> Option<&str> {
        self.subject_kind.as_deref()
    }

    /// The exported records, in the order added.
    pub fn records(&self) -> &[RecordExport] {
        &self.records
    }

    /// Adds a record's export; a record of another subject, or without a subject, is refused.
    ///
    /// Nested records come with their parent and need no subject id of their own; a nested
    /// record that does carry one must carry the requester's, like its parent.
    pub fn add(&mut self, record: &dyn PersonalData) -> Result<&mut Dsar, DsarError> {
        self.add_export(record.export())
    }

    /// Adds an export made earlier; the same checks as [`Dsar::add`].
    pub fn add_export(&mut self, export: RecordExport) -> Result<&mut Dsar, DsarError> {
        match export.subject_id.as_deref() {
            None => Err(DsarError::NoSubject {
                record: export.record,
            }),
            Some(id) if id != self.subject_id => Err(DsarError::OtherSubject {
                record: export.record,
            }),
            Some(_) => {
                if let Some(kind) = self.subject_kind.as_deref() {
                    if export.subject_kind != kind {
                        return Err(DsarError::OtherKind {
                            record: export.record,
                            kind: export.subject_kind,
                        });
                    }
                }
                if let Some(record) = foreign_nested(&export, &self.subject_id) {
                    return Err(DsarError::OtherSubject { record });
                }
                self.records.push(export);
                Ok(self)
            }
        }
    }

    /// The document as JSON: the CCPA 1798.110 items, the GDPR Art. 15(1) items, and the
    /// records. Keys and lists are in a stable order; nothing depends on time or hashing.
    pub fn to_json(&self) -> Value {
        let s = self.summary();
        let kinds: Vec<&str> = match self.subject_kind.as_deref() {
            Some(kind) => vec![kind],
            None => s.kinds.iter().copied().collect(),
        };
        let mut doc = json!({
            "subject": { "id": self.subject_id, "kind": kinds },
            "ccpa_1798_110": {
                "categories": s.categories.iter().map(category_json).collect::<Vec<_>>(),
                "sources": s.sources,
                "purposes": s.purposes,
                "third_parties": s.recipients,
                "specific_pieces": "the values under \"records\"",
            },
            "gdpr_art_15": {
                "purposes": s.purposes,
                "categories": s.categories.iter().map(|c| c.0).collect::<Vec<_>>(),
                "recipients": s.recipients,
                "retention": s.retention.iter().map(|(c, r)| json!({ "category": c, "retention": r })).collect::<Vec<_>>(),
                "source": s.sources,
                "rights": RIGHTS,
            },
            "withheld": s.withheld.iter().map(|(f, reason)| json!({ "field": f, "reason": reason })).collect::<Vec<_>>(),
            "records": self.records,
        });
        if let (Some(date), Some(map)) = (&self.date, doc.as_object_mut()) {
            map.insert("date".to_owned(), Value::String(date.clone()));
        }
        doc
    }

    /// [`Dsar::to_json`] as indented text.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(&self.to_json()).unwrap_or_default()
    }

    /// A summary a person can read: what is held, why, from where, shared with whom, for how
    /// long, and their rights; then every value.
    pub fn to_markdown(&self) -> String {
        use std::fmt::Write as _;
        let s = self.summary();
        let mut out = String::new();
        let _ = writeln!(out, "# Your personal data (subject {})\n", self.subject_id);
        if let Some(date) = &self.date {
            let _ = writeln!(out, "As of {date}.\n");
        }
        let _ = writeln!(out, "## What we hold\n");
        let _ = writeln!(out, "| category | description | CCPA category | kept for |");
        let _ = writeln!(out, "|---|---|---|---|");
        for c in &s.categories {
            let kept = s
                .retention
                .iter()
                .filter(|(cat, _)| *cat == c.0)
                .map(|(_, r)| r.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let _ = writeln!(out, "| {} | {} | {} | {} |", c.0, c.1, c.2, kept);
        }
        let list = |items: &BTreeSet<String>| {
            if items.is_empty() {
                "none".to_owned()
            } else {
                items.iter().cloned().collect::<Vec<_>>().join(", ")
            }
        };
        let _ = writeln!(out, "\n**Why:** {}  ", list(&s.purposes));
        let _ = writeln!(out, "**From:** {}  ", list(&s.sources));
        let _ = writeln!(out, "**Shared with:** {}\n", list(&s.recipients));
        let _ = writeln!(out, "## The data\n");
        for r in &self.records {
            write_record(&mut out, r, 0);
        }
        if !s.withheld.is_empty() {
            let _ = writeln!(out, "\n## Not shown\n");
            for (field, reason) in &s.withheld {
                let _ = writeln!(out, "- {field}: {reason}");
            }
        }
        let _ = writeln!(out, "\n## Your rights\n");
        for right in RIGHTS {
            let _ = writeln!(out, "- {right}");
        }
        out
    }

    fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for r in &self.records {
            s.kinds.insert(r.subject_kind);
            s.collect(r);
        }
        s
    }
}

/// (name, description, CCPA category, sensitive)
type CategoryRow = (&'static str, &'static str, String, bool);

#[derive(Default)]
struct Summary {
    kinds: BTreeSet<&'static str>,
    categories: BTreeSet<CategoryRow>,
    sources: BTreeSet<String>,
    purposes: BTreeSet<String>,
    recipients: BTreeSet<String>,
    retention: BTreeSet<(&'static str, String)>,
    withheld: BTreeSet<(String, &'static str)>,
}

impl Summary {
    fn collect(&mut self, r: &RecordExport) {
        for f in &r.fields {
            match &f.value {
                ExportedValue::Records(nested) => nested.iter().for_each(|n| self.collect(n)),
                value => {
                    self.field(f.meta);
                    if let ExportedValue::Withheld(reason) = value {
                        self.withheld
                            .insert((format!("{}.{}", r.record, f.meta.name), reason));
                    }
                }
            }
        }
    }

    fn field(&mut self, m: &FieldMeta) {
        let Some(c) = m.category else { return };
        if m.kind == FieldKind::CollectedAt {
            return;
        }
        self.categories.insert((
            c.name(),
            c.description(),
            c.ccpa().to_string(),
            c.is_sensitive(),
        ));
        self.sources.extend(m.source.map(str::to_owned));
        self.purposes
            .extend(m.purposes.iter().map(|p| p.as_str().to_owned()));
        self.recipients
            .extend(m.recipients.iter().map(|r| (*r).to_owned()));
        self.retention.insert((c.name(), m.retention.to_string()));
    }
}

/// The type of a nested record (at any depth) that names a subject other than `id`.
fn foreign_nested(export: &RecordExport, id: &str) -> Option<&'static str> {
    export.fields.iter().find_map(|f| match &f.value {
        ExportedValue::Records(nested) => {
            nested.iter().find_map(|n| match n.subject_id.as_deref() {
                Some(other) if other != id => Some(n.record),
                _ => foreign_nested(n, id),
            })
        }
        _ => None,
    })
}

fn category_json(c: &CategoryRow) -> Value {
    json!({ "category": c.0, "description": c.1, "ccpa_category": c.2, "sensitive": c.3 })
}

fn write_record(out: &mut String, r: &RecordExport, depth: usize) {
    use std::fmt::Write as _;
    let indent = "  ".repeat(depth);
    let _ = writeln!(out, "{indent}- **{}**", r.record);
    for f in &r.fields {
        let label = f.meta.category.map_or(f.meta.name, |c| c.description());
        match &f.value {
            ExportedValue::Value(raw) => {
                let _ = writeln!(
                    out,
                    "{indent}  - {} ({}): {}",
                    f.meta.name,
                    label,
                    raw.get()
                );
            }
            ExportedValue::Withheld(reason) => {
                let _ = writeln!(
                    out,
                    "{indent}  - {} ({}): not shown ({reason})",
                    f.meta.name, label
                );
            }
            ExportedValue::Records(nested) => {
                let _ = writeln!(out, "{indent}  - {}:", f.meta.name);
                for n in nested {
                    write_record(out, n, depth + 2);
                }
            }
        }
    }
}

impl Serialize for Dsar {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}
