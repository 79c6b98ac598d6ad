//! Sealing and opening without the in-memory tree: [`Keyring::seal_json`],
//! [`Keyring::seal_into`], [`Keyring::open_json`] and [`Keyring::open_from`].
//!
//! They write and read exactly the [`Sealed`] form (same fields, same envelopes, same
//! bindings), so either side can be the streamed one: a record sealed with
//! [`seal`](Keyring::seal) opens with [`open_json`](Keyring::open_json) and the reverse. The
//! encrypted values are found the same way (the typed model names them, serde hands them over)
//! and the same checks run, so the guarantees are those of [`Sealed`].

use core::cell::RefCell;
use core::fmt;
use core::marker::PhantomData;

use compact_str::CompactString;
use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess};
use serde::ser::{Error as _, SerializeMap};
use serde::{Deserialize, Serialize, Serializer};

use crate::crypto::aead::envelope::Aad;
use crate::crypto::error::Convert;
use crate::crypto::error::{Error, Result};
use crate::crypto::format::opening::RecordOpener;
use crate::crypto::format::sealed::{check_opened, locate_encrypted, SealHook, Sealed};
use crate::crypto::format::taken::Taken;
use crate::crypto::keys::keyring::Keyring;
use crate::tree::stream_de::{self, Opener};
use crate::tree::{stream_ser, Tree};
use crate::PersonalData;

/// What a failed record `Serialize` or output serializer is reported as: their own messages
/// can quote values.
const SERIALIZE_FAILED: &str = "the record's Serialize implementation or the serializer failed";

impl Keyring {
    /// Seals `record` straight into JSON text, with no intermediate tree: the same text as
    /// `serde_json::to_string(&keyring.seal(record)?)` (with its own seal id and nonces), in
    /// about half the time. Fails closed exactly as [`seal`](Keyring::seal) does; on failure
    /// the partly written text is wiped, never returned.
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
    /// }
    ///
    /// let keyring = Keyring::in_memory();
    /// let account = Account { id: 7, card: "4111111111111111".into() };
    /// let json = keyring.seal_json(&account).unwrap();
    /// assert!(!json.contains("4111111111111111"));
    /// assert!(keyring.open_json::<Account>(&json).unwrap() == account);
    /// // The same form as `Sealed`: either side may be streamed.
    /// let sealed: Sealed<Account> = serde_json::from_str(&json).unwrap();
    /// assert!(sealed.open(&keyring).unwrap() == account);
    /// ```
    pub fn seal_json<T: PersonalData + Serialize>(&self, record: &T) -> Result<String> {
        let mut hook = self.seal_hook(record)?;
        // The body may hold a clear encrypted value until the check below: a `Scratch`, wiped
        // on drop, and this thread's (taken out of the hook's buffers while the hook writes
        // into it, given back after).
        let mut body = core::mem::take(&mut hook.buffers.body);
        let (_, out) = stream_ser::serialize(
            &mut hook,
            record,
            &mut serde_json::Serializer::new(&mut body),
        );
        match out {
            Ok(()) => {}
            Err(stream_ser::Failure::Hook(e)) => return Err(e),
            Err(stream_ser::Failure::Serializer(_)) => {
                return Err(Error::Serde {
                    reason: SERIALIZE_FAILED.to_owned(),
                })
            }
        }
        hook.check_all_seen()?;
        // The fields of `Sealed`, in its order, in one buffer sized for them (JSON escapes
        // aside): the punctuation and keys, then each field's text.
        let indexes: usize = hook
            .blind_index
            .iter()
            .map(|(path, list)| path.len() + 4 + list.iter().map(|i| i.len() + 3).sum::<usize>())
            .sum();
        let mut out = Vec::with_capacity(
            64 + hook.schema.name.len()
                + hook.subject.as_ref().map_or(4, String::len)
                + hook.binding.len()
                + hook.sealed.iter().map(|p| p.len() + 3).sum::<usize>()
                + indexes
                + body.len(),
        );
        out.extend_from_slice(b"{\"type\":");
        serde_json::to_writer(&mut out, hook.schema.name).conv()?;
        out.extend_from_slice(b",\"subject\":");
        serde_json::to_writer(&mut out, &hook.subject).conv()?;
        out.extend_from_slice(b",\"record\":");
        serde_json::to_writer(&mut out, &hook.binding).conv()?;
        if !hook.sealed.is_empty() {
            out.extend_from_slice(b",\"sealed\":");
            serde_json::to_writer(&mut out, &hook.sealed).conv()?;
        }
        if !hook.blind_index.is_empty() {
            out.extend_from_slice(b",\"blind_index\":");
            serde_json::to_writer(&mut out, &hook.blind_index).conv()?;
        }
        out.extend_from_slice(b",\"body\":");
        out.extend_from_slice(body.as_slice());
        out.push(b'}');
        hook.buffers.body = body;
        String::from_utf8(out).map_err(|_| Error::Serde {
            reason: "serde_json wrote text that is not UTF-8".to_owned(),
        })
    }

    /// Seals `record` straight into any serde serializer (CBOR, MessagePack, a JSON writer, a
    /// database's JSON encoder), with no intermediate tree. The output is the [`Sealed`] form,
    /// with every field written (`sealed` and `blind_index` also when empty) and `blind_index`
    /// after `body` (`Sealed` reads its fields in any order). The sealed form and the record's
    /// structs are written as maps keyed by their serde names in every format, as the
    /// [`Sealed`] tree holds them: a format that writes structs as arrays (MessagePack's
    /// default) would lose the names the envelopes are found by. Struct variants are buffered
    /// for that, everything else streams.
    ///
    /// Before anything is written, one pass of the record's `Serialize` (writing nothing)
    /// checks that serde hands every encrypted value over where the library can see it and
    /// notes where each goes; only then is the record streamed, so no encrypted value is ever
    /// handed to `serializer` in clear. An error can still leave `serializer` with a partial
    /// output (as any failing serializer does): discard it.
    ///
    /// ```
    /// # use privacy_core::crypto::{Keyring, Sealed};
    /// # use privacy_core::PersonalData;
    /// # use serde::{Deserialize, Serialize};
    /// # #[derive(PersonalData, Serialize, Deserialize, PartialEq)]
    /// # struct Account {
    /// #     #[personal(subject_id)]
    /// #     id: u64,
    /// #     #[personal(category = "financial.card_number", encrypt)]
    /// #     card: String,
    /// # }
    /// let keyring = Keyring::in_memory();
    /// let account = Account { id: 7, card: "4111111111111111".into() };
    /// let mut out = Vec::new();
    /// keyring.seal_into(&account, &mut serde_json::Serializer::new(&mut out)).unwrap();
    /// assert!(keyring.open_json::<Account>(std::str::from_utf8(&out).unwrap()).unwrap() == account);
    /// ```
    pub fn seal_into<T: PersonalData + Serialize, S: Serializer>(
        &self,
        record: &T,
        serializer: S,
    ) -> Result<S::Ok> {
        let expected = locate_encrypted(record, true)?;
        let hook = self.seal_hook(record)?;
        let body = Body {
            state: RefCell::new(BodyState {
                hook: Some(hook),
                error: None,
            }),
            record,
            expected: &expected,
        };
        let out = body.write(serializer);
        let mut state = body.state.into_inner();
        if let Some(e) = state.error.take() {
            return Err(e);
        }
        out.map_err(|_| Error::Serde {
            reason: SERIALIZE_FAILED.to_owned(),
        })
    }

    /// Opens a record sealed as JSON ([`seal_json`](Keyring::seal_json),
    /// [`seal`](Keyring::seal) then `serde_json`), reading the record straight from the text
    /// with each envelope's plaintext read in its place: no tree of the input is built.
    ///
    /// The checks and errors are those of [`Sealed::open`]. Input that comes with `body`
    /// before the other fields (a database that reorders JSON keys, such as PostgreSQL's
    /// `jsonb`) is read through the tree instead, with the same result. JSON errors report
    /// their kind and position, never the text.
    pub fn open_json<T: PersonalData + Serialize + DeserializeOwned>(
        &self,
        json: &str,
    ) -> Result<T> {
        let mut de = serde_json::Deserializer::from_str(json);
        let record = self.open_from(&mut de)?;
        de.end().conv()?;
        Ok(record)
    }

    /// [`open_json`](Keyring::open_json) for any self-describing serde format: reads the
    /// [`Sealed`] form from `deserializer`. The deserializer's own error messages are not
    /// passed on (they can quote values): a failure to read is [`Error::Serde`] with a fixed
    /// reason.
    pub fn open_from<'de, T: PersonalData + Serialize + DeserializeOwned, D: Deserializer<'de>>(
        &self,
        deserializer: D,
    ) -> Result<T> {
        let error = RefCell::new(None);
        let read = deserializer.deserialize_struct(
            "Sealed",
            FIELDS,
            OpenVisitor::<T> {
                keyring: self,
                error: &error,
                marker: PhantomData,
            },
        );
        if let Some(e) = error.into_inner() {
            return Err(e);
        }
        read.map_err(|_| Error::Serde {
            reason: "the input is not a sealed record of this type".to_owned(),
        })?
    }
}

/// The record, written as the `body` of the sealed form through the sealing hook.
struct Body<'a, 'k, T> {
    state: RefCell<BodyState<'k>>,
    record: &'a T,
    /// Where the pre-pass found the encrypted values, in order.
    expected: &'a [String],
}

struct BodyState<'k> {
    hook: Option<SealHook<'k>>,
    error: Option<Error>,
}

impl<T: PersonalData + Serialize> Body<'_, '_, T> {
    fn write<S: Serializer>(&self, serializer: S) -> core::result::Result<S::Ok, S::Error> {
        let fail = |e: Error| {
            self.state.borrow_mut().error.get_or_insert(e);
            S::Error::custom("sealing failed")
        };
        let (name, subject, binding) = {
            let state = self.state.borrow();
            let hook = state
                .hook
                .as_ref()
                .ok_or_else(|| S::Error::custom("sealed twice"))?;
            (hook.schema.name, hook.subject.clone(), hook.binding.clone())
        };
        // A map, not a struct: a format that writes structs as arrays (MessagePack by
        // default) keeps the names, so the reader finds each field whatever came first.
        let mut out = serializer.serialize_map(Some(6))?;
        out.serialize_entry("type", name)?;
        out.serialize_entry("subject", &subject)?;
        out.serialize_entry("record", &binding)?;
        // Every field is written (an empty `sealed` and `blind_index` too): formats that
        // write the field count first (MessagePack, CBOR) need it before the body is sealed.
        out.serialize_entry("sealed", self.expected)?;
        out.serialize_entry("body", &BodyValue(self))?;
        let state = self.state.borrow();
        let hook = state
            .hook
            .as_ref()
            .ok_or_else(|| S::Error::custom("sealed twice"))?;
        if let Err(e) = hook.check_all_seen() {
            drop(state);
            return Err(fail(e));
        }
        if hook.sealed.len() != self.expected.len()
            || hook.sealed.iter().zip(self.expected).any(|(a, b)| a != b)
        {
            drop(state);
            return Err(fail(Error::FieldLayout {
                record: name,
                field: "",
                expected: "a Serialize that writes the same layout twice in a row",
            }));
        }
        out.serialize_entry("blind_index", &hook.blind_index)?;
        out.end()
    }
}

struct BodyValue<'b, 'a, 'k, T>(&'b Body<'a, 'k, T>);

impl<T: PersonalData + Serialize> Serialize for BodyValue<'_, '_, '_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> core::result::Result<S::Ok, S::Error> {
        let body = self.0;
        let hook = body
            .state
            .borrow_mut()
            .hook
            .take()
            .ok_or_else(|| S::Error::custom("sealed twice"))?;
        let (hook, out) = stream_ser::serialize(hook, body.record, serializer);
        let mut state = body.state.borrow_mut();
        state.hook = Some(hook);
        match out {
            Ok(ok) => Ok(ok),
            Err(stream_ser::Failure::Hook(e)) => {
                state.error.get_or_insert(e);
                Err(S::Error::custom("sealing failed"))
            }
            Err(stream_ser::Failure::Serializer(e)) => Err(e),
        }
    }
}

const FIELDS: &[&str] = &["type", "subject", "record", "sealed", "blind_index", "body"];

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum Field {
    #[serde(rename = "type")]
    Type,
    Subject,
    Record,
    Sealed,
    BlindIndex,
    Body,
}

struct OpenVisitor<'k, 'e, T> {
    keyring: &'k Keyring,
    error: &'e RefCell<Option<Error>>,
    marker: PhantomData<fn() -> T>,
}

impl<T> OpenVisitor<'_, '_, T> {
    /// Keeps `e` for the caller and stops reading.
    fn fail<E: de::Error>(&self, e: Error) -> E {
        self.error.borrow_mut().get_or_insert(e);
        E::custom("opening failed")
    }
}

/// Where the body went: read and opened as it streamed by, or kept as a tree because it came
/// before the fields it is opened with.
enum Read<T> {
    Opened(T, Vec<CompactString>),
    Buffered(Tree),
}

impl<'de, T: PersonalData + Serialize + DeserializeOwned> de::Visitor<'de>
    for OpenVisitor<'_, '_, T>
{
    type Value = Result<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sealed record")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> core::result::Result<Result<T>, A::Error> {
        let schema = T::schema();
        let mut type_seen = false;
        let mut subject: Option<Option<CompactString>> = None;
        let mut record: Option<CompactString> = None;
        let mut sealed: Option<Vec<CompactString>> = None;
        let mut body: Option<Read<T>> = None;
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::Type => {
                    let name: CompactString = map.next_value()?;
                    if name != schema.name {
                        return Err(self.fail(Error::RecordMismatch {
                            reason: "sealed as another record type",
                        }));
                    }
                    type_seen = true;
                }
                Field::Subject => subject = Some(map.next_value()?),
                Field::Record => record = Some(map.next_value()?),
                Field::Sealed => sealed = Some(map.next_value()?),
                Field::BlindIndex => {
                    map.next_value::<IgnoredAny>()?;
                }
                Field::Body => {
                    // Streamed when everything it is opened with came first; an absent
                    // `sealed` means none only for a type without encrypted fields.
                    let envelopes_known = sealed.is_some() || !schema.has_encrypted_fields();
                    body = Some(match (type_seen && envelopes_known, &subject, &record) {
                        (true, Some(subject), Some(binding)) => {
                            let envelopes = sealed.take().unwrap_or_default();
                            let mut opener = EnvelopeOpener::new(
                                self.keyring,
                                schema.name,
                                subject.as_deref(),
                                binding,
                                envelopes,
                            )
                            .map_err(|e| self.fail(e))?;
                            let record = map.next_value_seed(BodySeed::<T> {
                                opener: &mut opener,
                                error: self.error,
                                marker: PhantomData,
                            })?;
                            let envelopes = opener.into_envelopes().map_err(|e| self.fail(e))?;
                            Read::Opened(record, envelopes)
                        }
                        _ => Read::Buffered(map.next_value()?),
                    });
                }
            }
        }
        if !type_seen {
            return Err(de::Error::missing_field("type"));
        }
        let subject = subject.unwrap_or(None);
        let binding = record.ok_or_else(|| de::Error::missing_field("record"))?;
        Ok(
            match body.ok_or_else(|| de::Error::missing_field("body"))? {
                Read::Opened(record, envelopes) => {
                    check_opened(&record, subject.as_deref(), &binding, &envelopes).map(|()| record)
                }
                Read::Buffered(tree) => Sealed::<T>::from_parts(
                    schema.name,
                    subject,
                    binding,
                    sealed.unwrap_or_default(),
                    tree,
                )
                .open(self.keyring),
            },
        )
    }
}

/// Reads the body as `T`, opening each envelope in its place.
struct BodySeed<'o, 'k, 'e, T> {
    opener: &'o mut EnvelopeOpener<'k>,
    error: &'e RefCell<Option<Error>>,
    marker: PhantomData<fn() -> T>,
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for BodySeed<'_, '_, '_, T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> core::result::Result<Self::Value, D::Error> {
        let (_, out) = stream_de::deserialize(self.opener, PhantomData::<T>, deserializer);
        match out {
            Ok(record) => Ok(record),
            Err(stream_de::Failure::Opener(e)) => {
                self.error.borrow_mut().get_or_insert(e);
                Err(de::Error::custom("an envelope did not open"))
            }
            Err(stream_de::Failure::Input(e)) => Err(e),
        }
    }
}

/// Opens the envelopes of one sealed record where the body holds them.
struct EnvelopeOpener<'k> {
    record: &'static str,
    /// The subject the envelopes are bound to (checked present when there are envelopes).
    subject: CompactString,
    binding: CompactString,
    /// Each envelope's pointer.
    envelopes: Vec<CompactString>,
    /// Whether each envelope was read.
    used: Taken,
    /// Opens each envelope where the body holds it.
    reader: RecordOpener<'k>,
}

impl<'k> EnvelopeOpener<'k> {
    fn new(
        keyring: &'k Keyring,
        record: &'static str,
        subject: Option<&str>,
        binding: &CompactString,
        envelopes: Vec<CompactString>,
    ) -> Result<Self> {
        if !envelopes.is_empty() && subject.is_none() {
            return Err(Error::MissingSubject { record });
        }
        Ok(EnvelopeOpener {
            record,
            subject: subject.map(CompactString::from).unwrap_or_default(),
            binding: binding.clone(),
            used: Taken::new(envelopes.len()),
            envelopes,
            reader: RecordOpener::new(keyring),
        })
    }

    /// The envelope pointers back, once every one of them was read.
    fn into_envelopes(self) -> Result<Vec<CompactString>> {
        if !self.used.all() {
            return Err(Error::RecordMismatch {
                reason: "an envelope pointer names no value of the body",
            });
        }
        Ok(self.envelopes)
    }
}

impl Opener for EnvelopeOpener<'_> {
    type Error = Error;

    fn wants(&self, pointer: &str) -> Option<usize> {
        self.envelopes
            .iter()
            .enumerate()
            .position(|(i, at)| !self.used.is_set(i) && at == pointer)
    }

    fn not_an_envelope(&self) -> Error {
        Error::MalformedEnvelope {
            reason: "not a base64 string",
        }
    }

    fn open(&mut self, which: usize, text: &str) -> Result<Tree> {
        let Some(at) = self.envelopes.get(which).filter(|_| self.used.set(which)) else {
            return Err(Error::RecordMismatch {
                reason: "an envelope pointer names no value of the body",
            });
        };
        let aad = Aad::new(self.record, at, &self.subject).bound_to(&self.binding);
        self.reader.open(&aad, text)
    }
}
