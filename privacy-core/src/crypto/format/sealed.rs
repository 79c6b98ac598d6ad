//! [`Sealed`]: a record whose `encrypt` fields are envelopes, and [`Keyring::seal`].
//!
//! Sealing serializes the record with its own `Serialize` into a tree (so every serde
//! attribute is honoured by construction) while the typed model says where each `encrypt`
//! value lives: serde hands each value over by reference, and the value at the address and of
//! the type the model names is written as an envelope instead. Opening reads the tree back
//! through the record's own `Deserialize`, with each envelope replaced by its plaintext, then
//! checks with the same model that every encrypted value of the opened record came out of an
//! envelope at the place it was sealed for.

use core::fmt;
use core::marker::PhantomData;
use std::collections::BTreeMap;

use base64::Engine as _;
use compact_str::CompactString;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use crate::crypto::aead::envelope::Aad;
use crate::crypto::error::Convert;
use crate::crypto::error::{Error, Result};
use crate::crypto::format::buffers::Lent;
use crate::crypto::format::opening::RecordOpener;
use crate::crypto::format::taken::Taken;
use crate::crypto::keys::data_keys::DataKey;
use crate::crypto::keys::keyring::Keyring;
use crate::crypto::keys::owner::check_subject_id;
use crate::field_set::FieldSet;
use crate::schema::{FieldMeta, RecordSchema, Retention};
use crate::tree::de::TreeDeserializer;
use crate::tree::ser::{self, Hook, Site};
use crate::tree::{pointer, Tree};
use crate::PersonalData;

/// A record ready to store: its serde form with every `#[personal(encrypt)]` value replaced by
/// an envelope (standard base64), and the rest unchanged.
///
/// It serializes as
/// `{"type": "Account", "subject": "42", "record": "<seal id>", "sealed": ["/card"],
/// "blind_index": {"email": ["..."]}, "body": {...}}` in any self-describing serde format
/// (JSON, CBOR, ...): `body` is the record exactly as its own `Serialize` writes it (renames,
/// `flatten`, enum tags), `sealed` lists the JSON pointers of the envelopes in `body`, and
/// `blind_index` holds the blind indexes of `blind_index` fields by field path.
///
/// Each envelope is bound (authenticated, not stored) to the record name
/// ([`RecordSchema::name`]), its JSON pointer in `body`, the subject id, and the record: a random
/// 96-bit seal id drawn per sealed record plus the value of the `#[personal(record_id)]` field
/// where there is one. An envelope moved to another place, record, record type or subject
/// fails to open.
///
/// ```
/// use privacy_core::crypto::{Keyring, Sealed};
/// use privacy_core::PersonalData;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(PersonalData, Serialize, Deserialize, PartialEq)]
/// #[serde(rename_all = "camelCase")]
/// struct Account {
///     #[personal(subject_id)]
///     account_id: u64,
///     #[personal(category = "financial.card_number", encrypt)]
///     card_number: String,
///     #[personal(not_personal)]
///     plan: String,
/// }
///
/// let keyring = Keyring::in_memory();
/// let account = Account { account_id: 42, card_number: "4111111111111111".into(), plan: "pro".into() };
/// let json = serde_json::to_string(&keyring.seal(&account).unwrap()).unwrap();
/// assert!(!json.contains("4111111111111111") && json.contains(r#""plan":"pro""#));
/// assert!(json.contains(r#""sealed":["/cardNumber"]"#));
///
/// let sealed: Sealed<Account> = serde_json::from_str(&json).unwrap();
/// assert!(sealed.open(&keyring).unwrap() == account);
/// ```
#[derive(Deserialize)]
#[serde(bound = "", deny_unknown_fields)]
pub struct Sealed<T> {
    #[serde(rename = "type")]
    type_name: CompactString,
    subject: Option<CompactString>,
    record: CompactString,
    #[serde(rename = "sealed", default)]
    envelopes: Vec<CompactString>,
    #[serde(default)]
    blind_index: BTreeMap<String, Vec<String>>,
    body: Tree,
    #[serde(skip)]
    marker: PhantomData<fn() -> T>,
}

/// Written as a map keyed by the field names, in every format (a derived `Serialize` would be
/// an array in formats that write structs as arrays, such as MessagePack by default, and
/// skipping the empty fields would shift the others); `sealed` and `blind_index` are left out
/// when empty.
impl<T> Serialize for Sealed<T> {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> core::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let len =
            4 + usize::from(!self.envelopes.is_empty()) + usize::from(!self.blind_index.is_empty());
        let mut map = serializer.serialize_map(Some(len))?;
        map.serialize_entry("type", &self.type_name)?;
        map.serialize_entry("subject", &self.subject)?;
        map.serialize_entry("record", &self.record)?;
        if !self.envelopes.is_empty() {
            map.serialize_entry("sealed", &self.envelopes)?;
        }
        if !self.blind_index.is_empty() {
            map.serialize_entry("blind_index", &self.blind_index)?;
        }
        map.serialize_entry("body", &self.body)?;
        map.end()
    }
}

impl<T> Sealed<T> {
    /// The record name it was sealed as ([`RecordSchema::name`]).
    pub fn record_name(&self) -> &str {
        &self.type_name
    }

    /// The id of the person the envelopes are bound to (`None` for records without encrypted
    /// fields and without a subject id).
    pub fn subject_id(&self) -> Option<&str> {
        self.subject.as_deref()
    }

    /// The sealed serde form of the record, as JSON (envelopes in place of encrypted values).
    pub fn body(&self) -> serde_json::Value {
        // Read straight out of the tree (no serialization round trip).
        serde_json::Value::deserialize(TreeDeserializer::new(&self.body, &[]))
            .unwrap_or(serde_json::Value::Null)
    }

    /// The JSON pointers (RFC 6901) of the envelopes in [`body`](Sealed::body).
    pub fn encrypted_pointers(&self) -> impl Iterator<Item = &str> {
        self.envelopes.iter().map(CompactString::as_str)
    }

    /// The first blind index stored for the `blind_index` field at `field` (a path of Rust
    /// field names from the record: `"email"`, `"devices.serial"`); compare with
    /// [`Keyring::blind_index`].
    pub fn blind_index(&self, field: &str) -> Option<&str> {
        self.blind_indexes(field).first().map(String::as_str)
    }

    /// The same sealed record with `blind_index` as its blind indexes (see
    /// [`Keyring::reindex`]).
    pub(crate) fn with_blind_indexes(mut self, blind_index: BTreeMap<String, Vec<String>>) -> Self {
        self.blind_index = blind_index;
        self
    }

    /// Every blind index stored for `field`: one per element of a sequence (a `Vec<String>`
    /// of addresses is found by any one of them) and one per nested record holding the field.
    pub fn blind_indexes(&self, field: &str) -> &[String] {
        self.blind_index.get(field).map_or(&[], Vec::as_slice)
    }
}

impl<T> Sealed<T> {
    /// A sealed record from its fields, as read by a streaming reader.
    pub(crate) fn from_parts(
        type_name: &str,
        subject: Option<CompactString>,
        record: CompactString,
        envelopes: Vec<CompactString>,
        body: Tree,
    ) -> Sealed<T> {
        Sealed {
            type_name: type_name.into(),
            subject,
            record,
            envelopes,
            blind_index: BTreeMap::new(),
            body,
            marker: PhantomData,
        }
    }
}

impl<T: PersonalData + Serialize + DeserializeOwned> Sealed<T> {
    /// Opens every envelope and deserializes the record with its own `Deserialize`.
    ///
    /// Fails with [`Error::Shredded`] if the subject was shredded, with
    /// [`Error::RecordMismatch`] if the sealed type is not `T`, the opened record names another
    /// subject, or an encrypted value of the opened record did not come out of an envelope
    /// sealed for its place (a value put in clear where an envelope was, an envelope list that
    /// was altered), and with an envelope error if an envelope was altered or moved.
    pub fn open(&self, keyring: &Keyring) -> Result<T> {
        let schema = T::schema();
        if self.type_name != schema.name {
            return Err(Error::RecordMismatch {
                reason: "sealed as another record type",
            });
        }
        let mut overlay = Vec::with_capacity(self.envelopes.len());
        let opened = self.open_envelopes(keyring, &mut overlay);
        let record = opened.and_then(|()| {
            // serde's message can quote a decrypted value (`unknown variant ...`): not kept.
            T::deserialize(TreeDeserializer::new(&self.body, &overlay)).map_err(|_| Error::Serde {
                reason: "the opened record does not deserialize as its type".to_owned(),
            })
        });
        for (_, tree) in &mut overlay {
            tree.zeroize();
        }
        let record = record?;
        check_opened(
            &record,
            self.subject.as_deref(),
            &self.record,
            &self.envelopes,
        )?;
        Ok(record)
    }

    fn open_envelopes(
        &self,
        keyring: &Keyring,
        overlay: &mut Vec<(*const Tree, Tree)>,
    ) -> Result<()> {
        if self.envelopes.is_empty() {
            return Ok(());
        }
        let subject = self.subject.as_deref().ok_or(Error::MissingSubject {
            record: T::schema().name,
        })?;
        let mut reader = RecordOpener::new(keyring);
        for at in &self.envelopes {
            let node = pointer::resolve(&self.body, at).ok_or(Error::RecordMismatch {
                reason: "an envelope pointer names no value of the body",
            })?;
            let Tree::Str(text) = node else {
                return Err(Error::MalformedEnvelope {
                    reason: "not a base64 string",
                });
            };
            let aad = Aad::new(&self.type_name, at, subject).bound_to(&self.record);
            let tree = reader.open(&aad, text)?;
            overlay.push((core::ptr::from_ref(node), tree));
        }
        Ok(())
    }
}

impl<T> Clone for Sealed<T> {
    fn clone(&self) -> Self {
        Sealed {
            type_name: self.type_name.clone(),
            subject: self.subject.clone(),
            record: self.record.clone(),
            envelopes: self.envelopes.clone(),
            blind_index: self.blind_index.clone(),
            body: self.body.clone(),
            marker: PhantomData,
        }
    }
}

impl<T> PartialEq for Sealed<T> {
    fn eq(&self, other: &Self) -> bool {
        self.type_name == other.type_name
            && self.subject == other.subject
            && self.record == other.record
            && self.envelopes == other.envelopes
            && self.blind_index == other.blind_index
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
    /// Seals `record`: serializes it with its own `Serialize` and writes each `encrypt` value
    /// (nested records and enum variants included) as an envelope bound to the record name,
    /// its place in the serde form, the subject id and this one record (see [`Sealed`]).
    ///
    /// Fails closed: an error, never a value left in clear, when the record has encrypted
    /// fields but no subject id ([`Error::MissingSubject`]), when serde did not hand an
    /// encrypted value over where the library can see it (a custom `Serialize`, `transparent`
    /// or `serialize_with` around it: [`Error::FieldLayout`]), when a `retention =
    /// "transient"` field holds a value ([`Error::TransientField`]), or when the subject was
    /// shredded ([`Error::Shredded`]).
    pub fn seal<T: PersonalData + Serialize>(&self, record: &T) -> Result<Sealed<T>> {
        self.seal_under(record, false)
    }

    /// Erases `record` ([`PersonalData::erase`]: each field's `on_erase` policy) and seals
    /// what is left for keeping, every envelope under the person's *retention key*, which
    /// [`shred`](Keyring::shred) leaves: the values retained under a legal basis
    /// (`on_erase = "retain"`, `encrypt`) stay readable after the person's data key is
    /// destroyed, until [`shred_retained`](Keyring::shred_retained) ends their retention. The
    /// erased fields hold no personal data, so sealing them under that key keeps nothing of
    /// the person. Returns the sealed record and the erasure report.
    ///
    /// ```
    /// use privacy_core::crypto::Keyring;
    /// use privacy_core::PersonalData;
    ///
    /// #[derive(PersonalData, serde::Serialize, serde::Deserialize)]
    /// struct Invoice {
    ///     #[personal(subject_id)]
    ///     customer: String,
    ///     #[personal(category = "contact.email", encrypt)]
    ///     email: String,
    ///     #[personal(category = "financial.card_number", encrypt, on_erase = "retain",
    ///                legal_basis = "tax law: invoices are kept 10 years")]
    ///     card: String,
    /// }
    ///
    /// let keyring = Keyring::in_memory();
    /// let mut invoice = Invoice { customer: "c-1".into(), email: "ada@example.com".into(),
    ///                             card: "4111111111111111".into() };
    /// let (kept, report) = keyring.seal_erased(&mut invoice).unwrap();
    /// keyring.shred("c-1").unwrap(); // the person's data key is gone
    /// let opened = kept.open(&keyring).unwrap(); // the kept record still opens
    /// assert_eq!((opened.email.as_str(), opened.card.as_str()), ("", "4111111111111111"));
    /// assert_eq!(report.retained().count(), 2); // the card and the subject id
    ///
    /// keyring.shred_retained("c-1").unwrap(); // the retention period is over
    /// assert!(kept.open(&keyring).is_err());
    /// ```
    pub fn seal_erased<T: PersonalData + Serialize>(
        &self,
        record: &mut T,
    ) -> Result<(Sealed<T>, crate::dsar::ErasureReport)> {
        let report = record.erase();
        Ok((self.seal_under(record, true)?, report))
    }

    /// [`seal`](Keyring::seal) under the subject's retention key, without erasing: for a
    /// record kept after erasure ([`seal_erased`](Keyring::seal_erased)) that changed since
    /// (a retention sweep expired some of its fields) and is saved again.
    pub(crate) fn seal_kept<T: PersonalData + Serialize>(&self, record: &T) -> Result<Sealed<T>> {
        self.seal_under(record, true)
    }

    /// [`seal`](Keyring::seal), under the retention key if `retention`.
    fn seal_under<T: PersonalData + Serialize>(
        &self,
        record: &T,
        retention: bool,
    ) -> Result<Sealed<T>> {
        let mut hook = self.seal_hook(record)?;
        hook.retention = retention;
        let body = ser::to_tree(&mut hook, record).map_err(|e| match e {
            ser::Error::Hook(e) => e,
            other => Error::Serde {
                reason: other.to_string(),
            },
        })?;
        hook.check_all_seen()?;
        Ok(Sealed {
            type_name: hook.schema.name.into(),
            subject: hook.subject.map(CompactString::from),
            record: hook.binding.into(),
            envelopes: hook.sealed,
            blind_index: hook.blind_index,
            body,
            marker: PhantomData,
        })
    }

    /// What sealing `record` needs: its subject, a fresh record binding, and the encrypted
    /// (and transient) fields serde must hand over.
    pub(crate) fn seal_hook<'k, T: PersonalData + Serialize>(
        &'k self,
        record: &T,
    ) -> Result<SealHook<'k>> {
        let schema = T::schema();
        let subject = record.subject_id();
        if let Some(id) = &subject {
            check_subject_id(id)?;
        }
        let mut seal_id = [0u8; crate::crypto::aead::envelope::NONCE_LEN];
        crate::crypto::aead::nonce::fill(&mut seal_id)?;
        let mut binding = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(seal_id);
        if let Some(id) = record.record_id() {
            binding.push(':');
            binding.push_str(&id);
        }
        let targets = FieldSet::collect(
            record,
            |meta| meta.encrypted || meta.retention == Retention::Transient,
            |meta| meta.blind_index,
        );
        if subject.is_none() && targets.iter().any(|t| t.meta.encrypted) {
            return Err(Error::MissingSubject {
                record: schema.name,
            });
        }
        Ok(SealHook {
            keyring: self,
            schema,
            subject,
            binding,
            targets,
            sealed: Vec::new(),
            blind_index: BTreeMap::new(),
            key: None,
            retention: false,
            buffers: Lent::take(),
        })
    }

    /// Seals every record of `records`, in order; fails on the first record that fails.
    pub fn seal_all<T: PersonalData + Serialize>(&self, records: &[T]) -> Result<Vec<Sealed<T>>> {
        records.iter().map(|r| self.seal(r)).collect()
    }

    /// Opens every sealed record of `sealed`, in order; fails on the first that fails.
    pub fn open_all<T: PersonalData + Serialize + DeserializeOwned>(
        &self,
        sealed: &[Sealed<T>],
    ) -> Result<Vec<T>> {
        sealed.iter().map(|s| s.open(self)).collect()
    }
}

const NOT_HANDED_OVER: &str = "a value serde hands over by reference (no custom Serialize, transparent or serialize_with around it)";

/// Seals the encrypted values of one record as serde hands them over (into a tree, or
/// streamed), noting where each envelope went and the blind indexes.
pub(crate) struct SealHook<'a> {
    keyring: &'a Keyring,
    pub schema: &'static RecordSchema,
    pub subject: Option<String>,
    /// The record binding: the seal id and the `record_id` value.
    pub binding: String,
    targets: FieldSet,
    /// The JSON pointers of the envelopes written, in order.
    pub sealed: Vec<CompactString>,
    pub blind_index: BTreeMap<String, Vec<String>>,
    /// The plaintext being sealed, reused from value to value; wiped on drop.
    /// The subject's data key, looked up at the first envelope and held for the others.
    key: Option<DataKey>,
    /// Whether every envelope goes under the subject's retention key (a record kept after
    /// erasure) rather than the data key.
    pub retention: bool,
    /// The plaintext, pointer, envelope and text buffers (and `seal_json`'s body), this
    /// thread's, reused from record to record.
    pub buffers: Lent,
}

impl SealHook<'_> {
    /// Fails closed when an encrypted value was never handed over by serde (unless its field
    /// is one serde may skip: then it was not written at all).
    pub(crate) fn check_all_seen(&self) -> Result<()> {
        match self.targets.missed(|meta| meta.encrypted) {
            Some(t) => Err(Error::FieldLayout {
                record: self.schema.name,
                field: t.meta.name,
                expected: NOT_HANDED_OVER,
            }),
            None => Ok(()),
        }
    }

    /// Seals `value`, the value of `meta` (whose Rust path is `path`, for its blind index).
    fn seal_value<T: Serialize + ?Sized>(
        &mut self,
        meta: &'static FieldMeta,
        path: &str,
        site: &Site<'_>,
        value: &T,
    ) -> Result<Tree> {
        let subject = self.subject.as_deref().ok_or(Error::MissingSubject {
            record: self.schema.name,
        })?;
        let buffers = &mut *self.buffers;
        buffers.json.wipe();
        serde_json::to_writer(&mut buffers.json, value).conv()?;
        let json = buffers.json.as_slice();
        buffers.pointer.clear();
        site.path.write_pointer(&mut buffers.pointer);
        let aad = Aad::new(self.schema.name, &buffers.pointer, subject).bound_to(&self.binding);
        let key = match &self.key {
            Some(key) => key,
            None if self.retention => self.key.insert(self.keyring.retention_key(subject, true)?),
            None => self.key.insert(self.keyring.data_key(subject, true)?),
        };
        self.keyring
            .seal_with_key(key, &aad, json, &mut buffers.envelope)?;
        if meta.blind_index {
            // A sequence is indexed element by element, so any one element finds the record.
            let indexes = self.keyring.blind_indexes_json(
                self.schema.name,
                path,
                meta.blind_index_bits,
                json,
            )?;
            self.blind_index
                .entry(path.to_owned())
                .or_default()
                .extend(indexes);
        }
        self.sealed
            .push(CompactString::from(buffers.pointer.as_str()));
        // The text is written into the buffer the previous envelope's tree gave back.
        let mut text = core::mem::take(&mut buffers.text);
        text.clear();
        base64::engine::general_purpose::STANDARD.encode_string(&buffers.envelope, &mut text);
        Ok(Tree::Str(CompactString::from_string_buffer(text)))
    }
}

impl Hook for SealHook<'_> {
    type Error = Error;

    fn value<T: Serialize + ?Sized>(&mut self, site: &Site<'_>, value: &T) -> Result<Option<Tree>> {
        if self.targets.is_empty() {
            return Ok(None);
        }
        let Some(found) = self.targets.take(value, |_| false) else {
            return Ok(None);
        };
        let (meta, path) = (found.meta, found.path.clone());
        if meta.retention == Retention::Transient {
            let tree = ser::to_tree(&mut ser::Plain, value).map_err(|_| Error::Serde {
                reason: "a transient value does not serialize".to_owned(),
            })?;
            if !tree.is_unit() {
                return Err(Error::TransientField {
                    record: self.schema.name,
                    field: meta.name,
                });
            }
        }
        if meta.encrypted {
            return self.seal_value(meta, &path, site, value).map(Some);
        }
        Ok(None)
    }

    fn recycle(&mut self, tree: Tree) {
        if let Tree::Str(text) = tree {
            self.buffers.text = text.into_string();
        }
    }
}

/// The checks after opening: the opened record names the subject its envelopes were sealed
/// for, and each of its encrypted values came out of an envelope sealed for its place.
pub(crate) fn check_opened<T: PersonalData + Serialize>(
    record: &T,
    subject: Option<&str>,
    binding: &str,
    envelopes: &[CompactString],
) -> Result<()> {
    if T::schema().has_encrypted_fields() && record.subject_id().as_deref() != subject {
        return Err(Error::RecordMismatch {
            reason: "the record names another subject than its envelopes",
        });
    }
    // The envelopes are bound to `seal id[:record id]`: the opened record must be that
    // record (an edited `record_id` would otherwise open another record's envelopes).
    if !envelopes.is_empty() && !binding.is_empty() {
        let bound_id = binding.split_once(':').map(|(_, id)| id);
        if record.record_id().as_deref() != bound_id {
            return Err(Error::RecordMismatch {
                reason: "the record's record_id is not the one its envelopes are bound to",
            });
        }
    }
    // Each place an encrypted value is written must take one envelope sealed for exactly
    // that place, and every envelope must be taken.
    let mut taken = Taken::new(envelopes.len());
    let mut unmatched = false;
    each_encrypted_place(record, false, |pointer| {
        match envelopes
            .iter()
            .enumerate()
            .find(|(i, at)| !taken.is_set(*i) && at.as_str() == pointer)
        {
            Some((i, _)) => {
                taken.set(i);
            }
            None => unmatched = true,
        }
    })?;
    if unmatched || !taken.all() {
        return Err(Error::RecordMismatch {
            reason: "the encrypted values of the record are not the envelopes it was sealed with",
        });
    }
    Ok(())
}

/// The JSON pointers at which the record's own `Serialize` writes its encrypted values, in
/// order; with `all`, fails closed ([`Error::FieldLayout`]) when serde did not hand one over.
pub(crate) fn locate_encrypted<T: PersonalData + Serialize>(
    record: &T,
    all: bool,
) -> Result<Vec<String>> {
    let mut found = Vec::new();
    each_encrypted_place(record, all, |pointer| found.push(pointer.to_owned()))?;
    Ok(found)
}

/// Calls `f` with the JSON pointer of each place the record's own `Serialize` writes an
/// encrypted value, in order (one reused buffer, no allocation per place); with `all`, fails
/// closed ([`Error::FieldLayout`]) when serde did not hand one over.
fn each_encrypted_place<T: PersonalData + Serialize>(
    record: &T,
    all: bool,
    f: impl FnMut(&str),
) -> Result<()> {
    struct Locate<F> {
        targets: FieldSet,
        pointer: String,
        f: F,
    }
    /// Every encrypted field was found: the rest of the record cannot hold one, so the pass
    /// stops there (an error to the serializer, success to the caller).
    #[derive(Debug)]
    struct AllFound;
    impl fmt::Display for AllFound {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("every encrypted field was found")
        }
    }
    impl<F: FnMut(&str)> Hook for Locate<F> {
        type Error = AllFound;
        const BUILD: bool = false;
        fn value<V: Serialize + ?Sized>(
            &mut self,
            site: &Site<'_>,
            value: &V,
        ) -> core::result::Result<Option<Tree>, Self::Error> {
            if self.targets.take(value, |_| false).is_none() {
                return Ok(None);
            }
            self.pointer.clear();
            site.path.write_pointer(&mut self.pointer);
            (self.f)(&self.pointer);
            if self.targets.all_seen() {
                return Err(AllFound);
            }
            Ok(Some(Tree::Unit))
        }
    }
    let targets = FieldSet::collect(record, |meta| meta.encrypted, |_| false);
    if targets.is_empty() {
        return Ok(());
    }
    let mut hook = Locate {
        targets,
        pointer: String::with_capacity(64),
        f,
    };
    match ser::to_tree(&mut hook, record) {
        Ok(_) | Err(ser::Error::Hook(AllFound)) => {}
        Err(e) => {
            return Err(Error::Serde {
                reason: e.to_string(),
            })
        }
    }
    if all {
        if let Some(t) = hook.targets.missed(|_| true) {
            return Err(Error::FieldLayout {
                record: T::schema().name,
                field: t.meta.name,
                expected: NOT_HANDED_OVER,
            });
        }
    }
    Ok(())
}
