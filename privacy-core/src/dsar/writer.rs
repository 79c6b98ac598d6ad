//! [`DsarWriter`]: the right-to-know document written record by record, for subjects with
//! more records than fit in memory at once.

use core::borrow::Borrow;
use core::fmt;
use std::io::{self, Write};
use std::time::SystemTime;

use super::export::RecordExport;
use super::markdown::{self, RecordLines};
use super::request::{add_dependents, check, DsarError};
use super::summary::Summary;
use super::timestamp::iso8601;
use crate::PersonalData;

/// How many bytes the writer gathers before handing them to the underlying writer.
const FLUSH_AT: usize = 64 * 1024;

/// Why [`DsarWriter`] could not take a record or finish its document. Names the record type
/// or the I/O failure, never a value or an identifier.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DsarWriteError {
    /// The record was refused (another subject, no subject, another kind of subject, or a
    /// nested record of another subject). Nothing of it was written; the document can go on.
    #[error(transparent)]
    Refused(#[from] DsarError),
    /// The underlying writer failed. What was written before may end mid-record: the
    /// document is incomplete and the writer takes no more records.
    #[error("writing the right-to-know document failed: {0}")]
    Io(#[source] io::Error),
    /// An earlier write failed (see [`DsarWriteError::Io`]), so the document cannot be
    /// continued or finished.
    #[error("an earlier write failed; the right-to-know document is incomplete")]
    Broken,
}

impl DsarWriteError {
    /// Why the record was refused, when it was.
    pub fn refused(&self) -> Option<&DsarError> {
        match self {
            Self::Refused(e) => Some(e),
            _ => None,
        }
    }
}

/// The same document as [`Dsar`](super::Dsar), written to any [`Write`] as records arrive.
///
/// Each record is checked, written, and forgotten: what the document states about all of
/// them (kinds of subject, categories, sources, purposes, recipients, retention, the
/// withheld fields, the count of values) is gathered per record type and field and written
/// by [`finish`](DsarWriter::finish). Memory therefore grows with the number of record
/// types, not records. Output is gathered in a 64 KiB buffer and handed to the writer
/// whenever the buffer fills, on [`flush`](DsarWriter::flush) and at the end, so a plain
/// `File` or a network stream needs no `BufWriter` of its own.
///
/// **JSON** ([`DsarWriter::json`]): one compact object with the members of
/// [`Dsar::to_json`](super::Dsar::to_json). `generated_at` (when given) and `records` come
/// first, the summary members (`subject`, `ccpa_1798_110`, `gdpr_art_15`, `withheld`) after
/// the last record; parsed, it equals `Dsar::to_json` of the same records.
///
/// **Markdown** ([`DsarWriter::markdown`]): the blocks of
/// [`Dsar::to_markdown`](super::Dsar::to_markdown) with the summary *after* the records,
/// since it is known only then: the title, a sentence saying so, `## The data` with every
/// record, then `## Summary` (subject, date, counts, what is held and why), what is held
/// but not shown, and the rights.
///
/// A document that is not [finished](DsarWriter::finish) (an error, a dropped writer) is
/// visibly incomplete: its JSON does not parse, and its Markdown has no summary or rights.
/// A refused record writes nothing and the document goes on.
///
/// ```
/// use privacy_core::{dsar::{DsarError, DsarWriter}, PersonalData};
///
/// #[derive(PersonalData)]
/// #[personal(subject = "child")]
/// struct LocationPing {
///     #[personal(subject_id)]
///     child: u64,
///     #[personal(category = "location.precise", purpose = "location-sharing")]
///     position: Option<(f64, f64)>,
/// }
///
/// let mut answer = DsarWriter::json(Vec::new(), "7");
/// for i in 0..3 {
///     answer.add(&LocationPing { child: 7, position: Some((37.77, -122.43 + f64::from(i))) })?;
/// }
/// let refused = answer.add(&LocationPing { child: 8, position: None }).unwrap_err();
/// assert_eq!(refused.refused(), Some(&DsarError::OtherSubject { record: "LocationPing" }));
/// let bytes = answer.finish()?;
///
/// let doc: serde_json::Value = serde_json::from_slice(&bytes)?;
/// assert_eq!(doc["records"].as_array().map(Vec::len), Some(3));
/// assert_eq!(doc["ccpa_1798_110"]["specific_pieces"]["values"], 6);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct DsarWriter<W: Write> {
    out: W,
    buf: String,
    format: Format,
    subject_id: String,
    dependents: Vec<String>,
    subject_kind: Option<String>,
    generated_at: Option<SystemTime>,
    summary: Summary,
    lines: RecordLines,
    records: usize,
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing written yet: the options can still change the beginning.
    New,
    /// The beginning is written; records follow.
    Open,
    /// A write failed.
    Broken,
}

impl<W: Write> DsarWriter<W> {
    /// A JSON document for the subject with this id, written to `out`. Nothing is written
    /// until the first record or [`finish`](DsarWriter::finish).
    pub fn json(out: W, subject_id: &str) -> DsarWriter<W> {
        DsarWriter::new(out, subject_id, Format::Json)
    }

    /// A Markdown document for the subject with this id, written to `out`, with the summary
    /// after the records (see the type's documentation).
    pub fn markdown(out: W, subject_id: &str) -> DsarWriter<W> {
        DsarWriter::new(out, subject_id, Format::Markdown)
    }

    fn new(out: W, subject_id: &str, format: Format) -> DsarWriter<W> {
        DsarWriter {
            out,
            buf: String::new(),
            format,
            subject_id: subject_id.to_owned(),
            dependents: Vec::new(),
            subject_kind: None,
            generated_at: None,
            summary: Summary::default(),
            lines: RecordLines::default(),
            records: 0,
            state: State::New,
        }
    }

    /// States when the document was prepared (UTC, ISO 8601), as
    /// [`Dsar::with_generated_at`](super::Dsar::with_generated_at). Without it, the document
    /// carries no date.
    #[must_use]
    pub fn with_generated_at(mut self, at: SystemTime) -> DsarWriter<W> {
        self.set_generated_at(Some(at));
        self
    }

    /// Restricts the document to one kind of data subject, as
    /// [`Dsar::with_subject_kind`](super::Dsar::with_subject_kind): a top-level record of
    /// another kind is refused with [`DsarError::OtherKind`].
    #[must_use]
    pub fn with_subject_kind(mut self, kind: &str) -> DsarWriter<W> {
        self.subject_kind = Some(kind.to_owned());
        self
    }

    /// Makes the document also answer for these subjects (people in the requester's care),
    /// as [`Dsar::with_dependents`](super::Dsar::with_dependents): their records are
    /// accepted and each record says on whose behalf it is included.
    #[must_use]
    pub fn with_dependents<S: AsRef<str>>(
        mut self,
        ids: impl IntoIterator<Item = S>,
    ) -> DsarWriter<W> {
        add_dependents(&mut self.dependents, ids);
        self
    }

    pub(crate) fn set_generated_at(&mut self, at: Option<SystemTime>) {
        self.generated_at = at;
    }

    /// The subject's id.
    pub fn subject_id(&self) -> &str {
        &self.subject_id
    }

    /// How many records were written so far (refused records are not counted).
    pub fn records_written(&self) -> usize {
        self.records
    }

    /// Checks a record and writes its export.
    ///
    /// # Errors
    /// [`DsarWriteError::Refused`] with the same [`DsarError`] as [`Dsar::add`](super::Dsar::add)
    /// (nothing of the record is written); [`DsarWriteError::Io`] when the underlying writer
    /// fails, and [`DsarWriteError::Broken`] on every call after that.
    pub fn add<T: PersonalData + ?Sized>(&mut self, record: &T) -> Result<(), DsarWriteError> {
        self.add_ref(&record.export())
    }

    /// Checks and writes an export made earlier, as [`DsarWriter::add`]. Takes the export
    /// or a reference to it (`add_export(&export)` keeps it for another document).
    ///
    /// # Errors
    /// As [`DsarWriter::add`].
    pub fn add_export(&mut self, export: impl Borrow<RecordExport>) -> Result<(), DsarWriteError> {
        self.add_ref(export.borrow())
    }

    fn add_ref(&mut self, export: &RecordExport) -> Result<(), DsarWriteError> {
        if self.state == State::Broken {
            return Err(DsarWriteError::Broken);
        }
        check(
            export,
            &self.subject_id,
            &self.dependents,
            self.subject_kind.as_deref(),
        )?;
        self.write_checked(export)
    }

    /// Writes an export that passed [`check`].
    pub(crate) fn write_checked(&mut self, export: &RecordExport) -> Result<(), DsarWriteError> {
        self.start()?;
        self.summary.add(export);
        // Only a request with dependents says on whose behalf each record is included, so a
        // request without them gives the same bytes as before dependents existed.
        let behalf = if self.dependents.is_empty() {
            None
        } else {
            Some(export.subject_id().unwrap_or(&self.subject_id))
        };
        match self.format {
            Format::Json => {
                if self.records > 0 {
                    self.buf.push(',');
                }
                match behalf {
                    None => self.buf.push_str(export.json()),
                    Some(id) => {
                        let json = export.json();
                        self.buf.push_str("{\"on_behalf_of\":");
                        self.buf.push_str(&json_string(id));
                        // `{"fields":…}` continues after the new member; an empty object
                        // (or anything else) just closes it.
                        match json.strip_prefix('{').filter(|rest| *rest != "}") {
                            Some(rest) => {
                                self.buf.push(',');
                                self.buf.push_str(rest);
                            }
                            None => self.buf.push('}'),
                        }
                    }
                }
            }
            Format::Markdown => {
                // The requester's own records are not marked.
                let behalf = behalf.filter(|id| *id != self.subject_id);
                self.lines.write_on_behalf(&mut self.buf, export, behalf);
            }
        }
        self.records += 1;
        if self.buf.len() >= FLUSH_AT {
            self.write_buf()?;
        }
        Ok(())
    }

    /// Hands everything written so far to the underlying writer and flushes it, e.g. to send
    /// a chunk of a response. The document stays incomplete until
    /// [`finish`](DsarWriter::finish).
    ///
    /// # Errors
    /// [`DsarWriteError::Io`] when the underlying writer fails; [`DsarWriteError::Broken`]
    /// after an earlier failure.
    pub fn flush(&mut self) -> Result<(), DsarWriteError> {
        if self.state == State::Broken {
            return Err(DsarWriteError::Broken);
        }
        self.write_buf()?;
        let flushed = self.out.flush();
        self.io(flushed)
    }

    /// Writes the summary and the end of the document, flushes, and returns the underlying
    /// writer.
    ///
    /// # Errors
    /// [`DsarWriteError::Io`] when the underlying writer fails; [`DsarWriteError::Broken`]
    /// after an earlier failure (the document is then incomplete).
    pub fn finish(mut self) -> Result<W, DsarWriteError> {
        if self.state == State::Broken {
            return Err(DsarWriteError::Broken);
        }
        self.start()?;
        match self.format {
            Format::Json => {
                let mut members = self.summary.to_json(&self.subject_id);
                if !self.dependents.is_empty() {
                    if let Some(serde_json::Value::Object(subject)) = members.get_mut("subject") {
                        subject.insert("dependents".into(), self.dependents.clone().into());
                    }
                }
                let members = serde_json::to_string(&members).map_err(io::Error::from);
                let members = self.io(members)?;
                // `{"subject":…}` without its `{`: the members continue the document's object.
                self.buf.push_str("],");
                self.buf
                    .push_str(members.strip_prefix('{').unwrap_or(&members));
            }
            Format::Markdown => {
                let at = self.generated_at.map(iso8601);
                self.buf.push_str(markdown::SUMMARY_HEADING);
                markdown::overview(
                    &mut self.buf,
                    &self.subject_id,
                    &self.dependents,
                    at.as_deref(),
                    &self.summary,
                );
                markdown::closing(&mut self.buf, &self.summary);
            }
        }
        self.flush()?;
        Ok(self.out)
    }

    /// Writes the beginning of the document once: for JSON the date and the opening of
    /// `records`, for Markdown the title and the heading the records follow.
    fn start(&mut self) -> Result<(), DsarWriteError> {
        match self.state {
            State::Open => return Ok(()),
            State::Broken => return Err(DsarWriteError::Broken),
            State::New => {}
        }
        match self.format {
            Format::Json => {
                self.buf.push('{');
                if let Some(at) = self.generated_at {
                    self.buf.push_str("\"generated_at\":\"");
                    // Digits, `-`, `:`, `T` and `Z`: nothing to escape.
                    self.buf.push_str(&iso8601(at));
                    self.buf.push_str("\",");
                }
                self.buf.push_str("\"records\":[");
            }
            Format::Markdown => {
                self.buf.push_str(markdown::TITLE);
                self.buf.push_str(markdown::STREAMED_NOTE);
                self.buf.push_str(markdown::DATA_HEADING);
            }
        }
        self.state = State::Open;
        Ok(())
    }

    fn write_buf(&mut self) -> Result<(), DsarWriteError> {
        let written = self.out.write_all(self.buf.as_bytes());
        self.buf.clear();
        self.io(written)
    }

    /// Marks the writer broken when `result` is an I/O error.
    fn io<T>(&mut self, result: io::Result<T>) -> Result<T, DsarWriteError> {
        result.map_err(|e| {
            self.state = State::Broken;
            DsarWriteError::Io(e)
        })
    }
}

impl<W: Write> fmt::Debug for DsarWriter<W> {
    /// The format, kind of subject and count of records: no subject id, no value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DsarWriter")
            .field("format", &self.format)
            .field("subject_kind", &self.subject_kind)
            .field("dependents", &self.dependents.len())
            .field("records", &self.records)
            .finish_non_exhaustive()
    }
}

/// `s` as a JSON string literal.
fn json_string(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}
