//! [`Sealed`]: a record whose `encrypt` fields are envelopes, and [`Keyring::seal`].

use core::fmt;
use core::marker::PhantomData;

use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::envelope::Aad;
use super::error::{Error, Result};
use super::keyring::Keyring;
use crate::schema::{FieldMeta, RecordSchema, Retention, Shape};
use crate::PersonalData;

/// A record ready to store: its serde JSON form with every `#[personal(encrypt)]` field
/// replaced by an envelope (base64), and the rest unchanged.
///
/// It serializes as `{"type": "Account", "subject": "42", "body": {...}}`; a `blind_index`
/// field's value becomes `{"envelope": "...", "blind_index": "..."}`. Open it with the
/// keyring that sealed it (or one over the same store and master key).
///
/// ```
/// use privacy_core::crypto::{Keyring, Sealed};
/// use privacy_core::PersonalData;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(PersonalData, Serialize, Deserialize, PartialEq)]
/// struct Account {
///     #[personal(subject_id)]
///     id: u64,
///     #[personal(category = "financial.card_number", encrypt)]
///     card: String,
///     #[personal(not_personal)]
///     plan: String,
/// }
///
/// let keyring = Keyring::in_memory();
/// let account = Account { id: 42, card: "4111111111111111".into(), plan: "pro".into() };
/// let json = serde_json::to_string(&keyring.seal(&account).unwrap()).unwrap();
/// assert!(!json.contains("4111111111111111") && json.contains(r#""plan":"pro""#));
///
/// let sealed: Sealed<Account> = serde_json::from_str(&json).unwrap();
/// assert!(sealed.open(&keyring).unwrap() == account);
/// ```
#[derive(Serialize, Deserialize)]
#[serde(bound = "", deny_unknown_fields)]
pub struct Sealed<T> {
    #[serde(rename = "type")]
    type_name: String,
    subject: Option<String>,
    body: Value,
    #[serde(skip)]
    marker: PhantomData<fn() -> T>,
}

impl<T> Sealed<T> {
    /// The record type name it was sealed as.
    pub fn type_name(&self) -> &str {
        &self.type_name
    }

    /// The data subject the envelopes are bound to (`None` for records without encrypted
    /// fields and without a subject id).
    pub fn subject(&self) -> Option<&str> {
        self.subject.as_deref()
    }

    /// The sealed JSON form of the record.
    pub fn body(&self) -> &Value {
        &self.body
    }

    /// The blind index stored beside the envelope of top-level field `field` (by Rust name),
    /// if the field has `blind_index`; compare with [`Keyring::blind_index`].
    pub fn blind_index(&self, field: &str) -> Option<&str> {
        self.body.get(field)?.get(BLIND_INDEX)?.as_str()
    }
}

impl<T: PersonalData + DeserializeOwned> Sealed<T> {
    /// Opens every envelope and deserializes the record.
    ///
    /// Fails with [`Error::Shredded`] if the subject was shredded, with
    /// [`Error::RecordMismatch`] if the sealed type is not `T` or the opened record names
    /// another subject, and with an envelope error if anything was altered or moved.
    pub fn open(&self, keyring: &Keyring) -> Result<T> {
        let schema = T::schema();
        if self.type_name != schema.type_name {
            return Err(Error::RecordMismatch {
                reason: "sealed as another record type",
            });
        }
        let mut body = self.body.clone();
        let walk = Walk {
            keyring,
            mode: Mode::Open,
            top: schema.type_name,
            subject: self.subject.as_deref(),
        };
        walk.record(schema, &mut body, &mut String::new())?;
        let record: T = serde_json::from_value(body)?;
        if schema.has_encrypted_fields() && record.subject_id() != self.subject {
            return Err(Error::RecordMismatch {
                reason: "the record names another subject than its envelopes",
            });
        }
        Ok(record)
    }
}

impl<T> Clone for Sealed<T> {
    fn clone(&self) -> Self {
        Sealed {
            type_name: self.type_name.clone(),
            subject: self.subject.clone(),
            body: self.body.clone(),
            marker: PhantomData,
        }
    }
}

impl<T> PartialEq for Sealed<T> {
    fn eq(&self, other: &Self) -> bool {
        self.type_name == other.type_name
            && self.subject == other.subject
            && self.body == other.body
    }
}

impl<T> fmt::Debug for Sealed<T> {
    /// Shows the type only: the body holds plain personal values of unencrypted fields.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealed")
            .field("type", &self.type_name)
            .finish_non_exhaustive()
    }
}

impl Keyring {
    /// Seals `record`: serializes it with serde and replaces each `encrypt` field (found by
    /// Rust field name, tuple index, or the whole value of a newtype; nested records
    /// included) with an envelope bound to the record type, the field path and the record's
    /// subject id.
    ///
    /// Fails closed: an error, never a value left in clear, when the record has encrypted
    /// fields but no subject id ([`Error::MissingSubject`]), when an encrypted field is not
    /// where its schema says in the serde output (renamed, skipped: [`Error::FieldLayout`]),
    /// when a `retention = "transient"` field holds a value ([`Error::TransientField`]), or
    /// when the subject was shredded ([`Error::Shredded`]).
    pub fn seal<T: PersonalData + Serialize>(&self, record: &T) -> Result<Sealed<T>> {
        let schema = T::schema();
        let subject = record.subject_id();
        if subject.is_none() && schema.has_encrypted_fields() {
            return Err(Error::MissingSubject {
                record: schema.type_name,
            });
        }
        let mut body = serde_json::to_value(record)?;
        let walk = Walk {
            keyring: self,
            mode: Mode::Seal,
            top: schema.type_name,
            subject: subject.as_deref(),
        };
        walk.record(schema, &mut body, &mut String::new())?;
        Ok(Sealed {
            type_name: schema.type_name.to_owned(),
            subject,
            body,
            marker: PhantomData,
        })
    }
}

const ENVELOPE: &str = "envelope";
const BLIND_INDEX: &str = "blind_index";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Seal,
    Open,
}

/// One pass over a record's serde form, driven by its schema.
struct Walk<'a> {
    keyring: &'a Keyring,
    mode: Mode,
    /// The top-level record type: every envelope is bound to it.
    top: &'static str,
    subject: Option<&'a str>,
}

impl Walk<'_> {
    /// Visits the fields of one record whose serde form is `value`; `path` is the field path
    /// from the top-level record (empty at the top).
    fn record(
        &self,
        schema: &'static RecordSchema,
        value: &mut Value,
        path: &mut String,
    ) -> Result<()> {
        for meta in schema.fields {
            if !(meta.encrypted || meta.nested.is_some() || meta.retention == Retention::Transient)
            {
                continue;
            }
            let slot = match (schema.shape, &mut *value) {
                (Shape::Named, Value::Object(map)) => map.get_mut(meta.name),
                (Shape::Tuple, Value::Array(items)) => meta
                    .name
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| items.get_mut(i)),
                (Shape::Newtype, inner) => Some(inner),
                _ => return Err(layout(schema, meta, "the record's serde shape")),
            };
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(meta.name);
            let out = self.field(schema, meta, slot, path);
            path.truncate(len);
            out?;
        }
        Ok(())
    }

    fn field(
        &self,
        schema: &'static RecordSchema,
        meta: &'static FieldMeta,
        slot: Option<&mut Value>,
        path: &mut String,
    ) -> Result<()> {
        if self.mode == Mode::Seal
            && meta.retention == Retention::Transient
            && slot.as_deref().is_some_and(|v| !v.is_null())
        {
            return Err(Error::TransientField {
                record: schema.type_name,
                field: meta.name,
            });
        }
        if meta.encrypted {
            let slot = slot.ok_or_else(|| layout(schema, meta, "an encrypted field present"))?;
            return match self.mode {
                Mode::Seal => self.seal_field(schema, meta, slot, path),
                Mode::Open => self.open_field(schema, meta, slot, path),
            };
        }
        let (Some(nested), Some(slot)) = (meta.nested, slot) else {
            return Ok(());
        };
        match slot {
            Value::Null => Ok(()),
            Value::Array(items) if is_list_of(nested, items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    if item.is_null() {
                        continue;
                    }
                    let len = path.len();
                    path.push('.');
                    path.push_str(&i.to_string());
                    let out = self.record(nested, item, path);
                    path.truncate(len);
                    out?;
                }
                Ok(())
            }
            single => self.record(nested, single, path),
        }
    }

    fn seal_field(
        &self,
        schema: &'static RecordSchema,
        meta: &'static FieldMeta,
        slot: &mut Value,
        path: &str,
    ) -> Result<()> {
        let subject = self
            .subject
            .ok_or(Error::MissingSubject { record: self.top })?;
        let json = Zeroizing::new(serde_json::to_vec(&*slot)?);
        let envelope = self
            .keyring
            .seal_bytes(&Aad::new(self.top, path, subject), &json)?;
        let envelope = Value::String(base64::engine::general_purpose::STANDARD.encode(envelope));
        *slot = if meta.blind_index {
            let index = self
                .keyring
                .blind_index_json(schema.type_name, meta.name, &json);
            let mut map = Map::new();
            map.insert(ENVELOPE.to_owned(), envelope);
            map.insert(BLIND_INDEX.to_owned(), Value::String(index));
            Value::Object(map)
        } else {
            envelope
        };
        Ok(())
    }

    fn open_field(
        &self,
        schema: &'static RecordSchema,
        meta: &'static FieldMeta,
        slot: &mut Value,
        path: &str,
    ) -> Result<()> {
        let subject = self
            .subject
            .ok_or(Error::MissingSubject { record: self.top })?;
        let text = match (&*slot, meta.blind_index) {
            (Value::String(text), false) => text,
            (Value::Object(map), true) => match map.get(ENVELOPE) {
                Some(Value::String(text)) => text,
                _ => return Err(layout(schema, meta, "an envelope beside a blind index")),
            },
            _ => return Err(layout(schema, meta, "a base64 envelope")),
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|_| Error::MalformedEnvelope {
                reason: "not valid base64",
            })?;
        let json = self
            .keyring
            .open_bytes(&Aad::new(self.top, path, subject), &bytes)?;
        *slot = serde_json::from_slice(&json)?;
        Ok(())
    }
}

/// Whether an array in a nested field is a list of records (`Vec<T>`) rather than one
/// tuple-struct record: named records serialize as objects, so any array is a list; a tuple
/// record serializes as an array, so an array of arrays (or nulls) is a list of them; a
/// newtype record is always taken whole (sealing it whole leaks nothing either way).
fn is_list_of(schema: &RecordSchema, items: &[Value]) -> bool {
    match schema.shape {
        Shape::Named | Shape::Unit => true,
        Shape::Tuple => items.iter().all(|v| v.is_array() || v.is_null()),
        Shape::Newtype => false,
    }
}

fn layout(
    schema: &'static RecordSchema,
    meta: &'static FieldMeta,
    expected: &'static str,
) -> Error {
    Error::FieldLayout {
        record: schema.type_name,
        field: meta.name,
        expected,
    }
}
