//! [`Dsar`]: the answer to a right-to-know / access request, one document per data subject.

use std::time::SystemTime;

use serde::Serialize;
use serde_json::Value;

use super::export::RecordExport;
use super::markdown;
use super::request::{add_dependents, check, DsarError};
use super::summary::Summary;
use super::timestamp::iso8601;
use super::writer::DsarWriter;
use crate::PersonalData;

/// Everything held about one data subject, gathered from records of any type.
///
/// A `Dsar` keeps every record's export in memory until the document is rendered: it suits
/// small answers and tests. For a subject with many records, [`DsarWriter`] writes the same
/// document record by record in memory bounded by the number of record types.
///
/// The document states the CCPA 1798.110 items (categories collected, categories of sources,
/// business or commercial purposes, categories of third parties, the specific pieces) and the
/// GDPR Art. 15(1) items (purposes, categories, recipients, retention per category, the rights,
/// the source), then every record. Values withheld from access responses (`export = false`,
/// 11 CCR 7024(d) categories, transient data) are listed with the reason, never valued.
/// The output is deterministic: sorted sets, records in the order added, and a date only when
/// one is given with [`Dsar::with_generated_at`].
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
    dependents: Vec<String>,
    subject_kind: Option<String>,
    generated_at: Option<SystemTime>,
    records: Vec<RecordExport>,
}

impl Dsar {
    /// An empty request for the subject with this id.
    pub fn new(subject_id: &str) -> Dsar {
        Dsar {
            subject_id: subject_id.to_owned(),
            dependents: Vec::new(),
            subject_kind: None,
            generated_at: None,
            records: Vec::new(),
        }
    }

    /// States when the document was prepared (UTC, ISO 8601). Without it, the document
    /// carries no date, so the same records always give the same bytes.
    #[must_use]
    pub fn with_generated_at(mut self, at: SystemTime) -> Dsar {
        self.generated_at = Some(at);
        self
    }

    /// Restricts the request to one kind of data subject (`#[personal(subject = "...")]`):
    /// a top-level record of another kind is refused with [`DsarError::OtherKind`], so an id
    /// shared by, say, a customer and an employee cannot mix their records. Nested records
    /// are not checked (they describe their parent's subject).
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
    /// let mut request = Dsar::new("7").with_subject_kind("customer");
    /// let refused = request.add(&Badge { holder: 7 }).unwrap_err();
    /// assert_eq!(refused, DsarError::OtherKind { record: "Badge", kind: "employee" });
    /// ```
    #[must_use]
    pub fn with_subject_kind(mut self, kind: &str) -> Dsar {
        self.subject_kind = Some(kind.to_owned());
        self
    }

    /// Makes the request also on behalf of these subjects: people in the requester's care
    /// (a parent for a child, COPPA 312.6; a guardian or other authorised agent, CCPA
    /// 1798.185(a)(7), GDPR Art. 8). Their records are accepted, and the document says on
    /// whose behalf each record is included: every JSON record gets an `on_behalf_of` member
    /// (the requester's own records name the requester), `subject` lists the `dependents`,
    /// and in Markdown each dependent's record is marked "on behalf of" that id.
    ///
    /// Verifying that the requester may act for them is the caller's job. Without
    /// dependents the document is exactly what it was.
    ///
    /// ```
    /// use privacy_core::{dsar::Dsar, PersonalData};
    ///
    /// #[derive(PersonalData)]
    /// #[personal(subject = "child")]
    /// struct Ping {
    ///     #[personal(subject_id)]
    ///     child: String,
    ///     #[personal(category = "location.precise")]
    ///     at: Option<(f64, f64)>,
    /// }
    ///
    /// let mut request = Dsar::new("p-1").with_dependents(["c-7"]);
    /// request.add(&Ping { child: "c-7".into(), at: Some((48.85, 2.35)) })?;
    /// assert!(request.add(&Ping { child: "c-8".into(), at: None }).is_err());
    /// let doc = request.to_json();
    /// assert_eq!(doc["records"][0]["on_behalf_of"], "c-7");
    /// assert_eq!(doc["subject"]["dependents"][0], "c-7");
    /// # Ok::<(), privacy_core::dsar::DsarError>(())
    /// ```
    #[must_use]
    pub fn with_dependents<S: AsRef<str>>(mut self, ids: impl IntoIterator<Item = S>) -> Dsar {
        add_dependents(&mut self.dependents, ids);
        self
    }

    /// The subject's id.
    pub fn subject_id(&self) -> &str {
        &self.subject_id
    }

    /// The ids of the subjects the request is also made for
    /// ([`with_dependents`](Dsar::with_dependents)).
    pub fn dependents(&self) -> &[String] {
        &self.dependents
    }

    /// The kind of subject the request is restricted to, if any.
    pub fn subject_kind(&self) -> Option<&str> {
        self.subject_kind.as_deref()
    }

    /// The exported records, in the order added.
    pub fn records(&self) -> &[RecordExport] {
        &self.records
    }

    /// Adds a record's export.
    ///
    /// # Errors
    /// [`DsarError::OtherSubject`] when the record or a record nested in it belongs to another
    /// subject; [`DsarError::NoSubject`] when the record has no subject id (records without
    /// one are taken only nested in a parent that has it); [`DsarError::OtherKind`] when the
    /// request is restricted to another kind of subject. A refused record adds nothing.
    pub fn add(&mut self, record: &dyn PersonalData) -> Result<(), DsarError> {
        self.add_export(record.export())
    }

    /// Adds an export made earlier, with the same checks as [`Dsar::add`].
    ///
    /// # Errors
    /// As [`Dsar::add`].
    pub fn add_export(&mut self, export: RecordExport) -> Result<(), DsarError> {
        check(
            &export,
            &self.subject_id,
            &self.dependents,
            self.subject_kind.as_deref(),
        )?;
        self.records.push(export);
        Ok(())
    }

    /// The document as JSON: `subject`, `ccpa_1798_110`, `gdpr_art_15`, `withheld` and
    /// `records` (the specific pieces). Keys and lists are in a stable order.
    ///
    /// This is the document [`DsarWriter::json`] streams, read back into a tree.
    pub fn to_json(&self) -> Value {
        let mut writer =
            DsarWriter::json(Vec::new(), &self.subject_id).with_dependents(&self.dependents);
        writer.set_generated_at(self.generated_at);
        for r in &self.records {
            // Checked when added; writing into a `Vec` cannot fail.
            if writer.write_checked(r).is_err() {
                return Value::Null;
            }
        }
        writer
            .finish()
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or(Value::Null)
    }

    /// [`Dsar::to_json`] as indented text.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(&self.to_json()).unwrap_or_default()
    }

    /// A summary a person can read, in Markdown: what is held, why, from where, shared with
    /// whom, for how long, then every value, what is not shown and why, and their rights.
    ///
    /// The summary comes before the records here; [`DsarWriter::markdown`], which cannot
    /// know it before the last record, writes the same blocks with the summary last.
    pub fn to_markdown(&self) -> String {
        let s = Summary::of(&self.records);
        let at = self.generated_at.map(iso8601);
        markdown::render(
            &self.subject_id,
            &self.dependents,
            at.as_deref(),
            &self.records,
            &s,
        )
    }
}

impl Serialize for Dsar {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}
