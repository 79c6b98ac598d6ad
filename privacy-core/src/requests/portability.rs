//! Portability: the data the person provided, as JSON, across every store.

use std::io::Write;

use serde_json::{Map, Value};

use super::access::Hashing;
use super::engine::Requests;
use super::error::RequestError;
use super::ledger::{Request, RequestKind};
use crate::schema::{FieldKind, RecordSchema};

/// The `source` values that mean "the data subject provided it", besides the subject's own
/// kind (`source = "parent"` is the parent's data in a parent's request).
pub const PERSON_SOURCES: &[&str] = &["user", "subject", "data_subject", "self"];

impl Requests {
    /// Answers a verified portability request (GDPR Art. 20): writes a JSON document with
    /// the fields the person provided (`source` one of [`PERSON_SOURCES`] or the kind of
    /// the subject asking), record by record, as their serde form holds them:
    ///
    /// ```json
    /// {"request":"…","subject":"42","records":[{"record":"Account","data":{"email":"…"}}]}
    /// ```
    ///
    /// Streamed like [`access`](Requests::access), with the same completion (digest of the
    /// bytes) and the same incomplete marker on error. Fields withheld from access
    /// (`export = false`, 11 CCR 7024(d) categories) are left out.
    pub fn portability<W: Write>(&self, id: &str, out: W) -> Result<W, RequestError> {
        let mut request = self.ready(id, RequestKind::Portability)?;
        let mut out = Hashing::new(out);
        let written = self.write_portable(&mut request, &mut out);
        self.finish_document(&mut request, out, written)
    }

    fn write_portable<W: Write>(
        &self,
        request: &mut Request,
        out: &mut W,
    ) -> Result<(), RequestError> {
        self.start(request)?;
        let io = RequestError::Write;
        let head = serde_json::json!({ "request": request.id, "subject": request.subject_id });
        let head = head.to_string();
        out.write_all(&head.as_bytes()[..head.len() - 1])
            .map_err(io)?;
        out.write_all(b",\"records\":[").map_err(io)?;
        let mut first = true;
        let kind = request.subject_kind.clone();
        for subject in &request.subjects {
            for records in self.map.erased() {
                if records.filing_kind() != subject.kind {
                    continue;
                }
                records.json_each(&self.keyring, &subject.id, &mut |record, json| {
                    let data = provided(record.record_schema(), &json, &kind);
                    if data.is_empty() {
                        return Ok(());
                    }
                    let item = serde_json::json!({
                        "record": record.record_schema().name,
                        "subject": subject.id,
                        "data": Value::Object(data),
                    });
                    if !first {
                        out.write_all(b",").map_err(RequestError::Write)?;
                    }
                    first = false;
                    serde_json::to_writer(&mut *out, &item).map_err(|_| RequestError::Encode {
                        what: "portable record",
                    })
                })?;
            }
        }
        out.write_all(b"]}").map_err(RequestError::Write)?;
        out.flush().map_err(RequestError::Write)
    }
}

/// The fields of `json` (a record's serde form) whose source is the person, nested records
/// included (by their field key).
fn provided(schema: &RecordSchema, json: &Value, kind: &str) -> Map<String, Value> {
    let mut out = Map::new();
    for meta in schema.fields {
        let key = if meta.serde.key.is_empty() {
            meta.name
        } else {
            meta.serde.key
        };
        let Some(value) = json.get(key) else { continue };
        if meta.kind == FieldKind::Nested {
            let Some(nested) = meta.nested else { continue };
            let part = match value {
                Value::Array(items) => Value::Array(
                    items
                        .iter()
                        .map(|item| Value::Object(provided(nested, item, kind)))
                        .filter(|v| v.as_object().is_some_and(|m| !m.is_empty()))
                        .collect(),
                ),
                Value::Null => continue,
                other => Value::Object(provided(nested, other, kind)),
            };
            let empty = match &part {
                Value::Array(items) => items.is_empty(),
                Value::Object(map) => map.is_empty(),
                _ => false,
            };
            if !empty {
                out.insert(key.to_owned(), part);
            }
            continue;
        }
        let by_person = meta
            .source
            .is_some_and(|s| PERSON_SOURCES.contains(&s) || s == kind);
        if by_person && meta.withheld_reason().is_none() {
            out.insert(key.to_owned(), value.clone());
        }
    }
    out
}
