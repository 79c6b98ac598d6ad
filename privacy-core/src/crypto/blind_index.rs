//! Blind indexes: looking records up by an encrypted value. An index is made under the
//! keyring's versioned blind-index keys (see `keys::index_keys` for the construction);
//! this module is the API: making an index for a query, the candidates while a rotation
//! is being rebuilt, rebuilding after a rotation, and lookups that re-check the opened
//! value.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::Serialize;
use zeroize::Zeroizing;

use crate::crypto::error::Convert;
use crate::crypto::error::{Error, Result};
use crate::crypto::format::sealed::Sealed;
use crate::crypto::keys::index_keys::index_inputs;
use crate::crypto::keys::keyring::Keyring;
use crate::field_set::FieldSet;
use crate::schema::{RecordSchema, DEFAULT_BLIND_INDEX_BITS};
use crate::tree::ser::{self, Hook, Site};
use crate::tree::Tree;
use crate::PersonalData;

/// The blind-indexed field at Rust path `field` of `schema` (nested records included).
fn indexed_field(schema: &'static RecordSchema, field: &str) -> Option<u16> {
    schema.fields.iter().find_map(|f| {
        if f.name == field {
            return f.blind_index.then_some(f.blind_index_bits);
        }
        let rest = field.strip_prefix(f.name)?.strip_prefix('.')?;
        indexed_field(f.nested?, rest)
    })
}

fn bits_of<T: PersonalData>(field: &str) -> Result<u16> {
    let schema = T::schema();
    indexed_field(schema, field).ok_or_else(|| Error::NotBlindIndexed {
        record: schema.name,
        field: field.to_owned(),
    })
}

impl Keyring {
    /// The blind index of `value` for the field at Rust path `field` of record `record`,
    /// under the current index key version, with the default length
    /// ([`DEFAULT_BLIND_INDEX_BITS`]): what [`seal`](Keyring::seal) stores beside the envelope
    /// of a bare `blind_index` field, to find records by exact value. For a field declared
    /// `blind_index(bits = N)` use [`blind_index_for`](Keyring::blind_index_for); to look
    /// records up while an index key rotation is being rebuilt, use
    /// [`blind_index_candidates`](Keyring::blind_index_candidates).
    ///
    /// The index is `"<version>:"` and the first `bits / 8` bytes (base64url) of HMAC-SHA-256
    /// of the value's JSON under a subkey of (record, field path) derived from the store's
    /// random blind-index key: the same value in two record types or two fields gives
    /// unrelated indexes. Leakage: equal values of the same field have equal indexes, so
    /// whoever reads the sealed data learns which records share a value (and how often each
    /// value occurs), and can confirm a guessed value only with the index key (stored wrapped
    /// by the master key). See `SECURITY.md`.
    ///
    /// ```
    /// # use privacy_core::crypto::Keyring;
    /// let keyring = Keyring::in_memory();
    /// let a = keyring.blind_index("Account", "email", "ada@example.com").unwrap();
    /// assert!(a.starts_with("1:"));
    /// assert_eq!(a, keyring.blind_index("Account", "email", "ada@example.com").unwrap());
    /// assert_ne!(a, keyring.blind_index("Account", "backup_email", "ada@example.com").unwrap());
    /// assert_ne!(a, keyring.blind_index("Employee", "email", "ada@example.com").unwrap());
    /// ```
    pub fn blind_index<V: Serialize + ?Sized>(
        &self,
        record: &str,
        field: &str,
        value: &V,
    ) -> Result<String> {
        self.blind_index_bits(record, field, DEFAULT_BLIND_INDEX_BITS, value)
    }

    /// [`blind_index`](Keyring::blind_index) keeping `bits` bits (a multiple of 8 from 16 to
    /// 256; [`Error::InvalidIndexBits`] otherwise).
    pub fn blind_index_bits<V: Serialize + ?Sized>(
        &self,
        record: &str,
        field: &str,
        bits: u16,
        value: &V,
    ) -> Result<String> {
        let json = Zeroizing::new(serde_json::to_vec(value).conv()?);
        self.index_one(record, field, bits, &json)
    }

    /// [`blind_index`](Keyring::blind_index) for the blind-indexed field at Rust path `field`
    /// of `T` (e.g. `"devices.serial"`), with the record name and the `bits` its schema
    /// declares; [`Error::NotBlindIndexed`] if `T` has no such field.
    pub fn blind_index_for<T: PersonalData, V: Serialize + ?Sized>(
        &self,
        field: &str,
        value: &V,
    ) -> Result<String> {
        let bits = bits_of::<T>(field)?;
        self.blind_index_bits(T::schema().name, field, bits, value)
    }

    /// Every index `value` may be stored under for `field` of `record` (default length):
    /// one per live index key version, newest first, plus the full-length legacy-form
    /// index while version 1 lives. Query with
    /// `WHERE index IN (...)` while records are being [reindexed](Keyring::reindex) after
    /// [`rotate_index_key`](Keyring::rotate_index_key); then re-check the opened values
    /// ([`find`](Keyring::find)), since a truncated index can match other values.
    ///
    /// ```
    /// # use privacy_core::crypto::Keyring;
    /// let keyring = Keyring::in_memory();
    /// let old = keyring.blind_index("Account", "email", "ada@example.com").unwrap();
    /// let v2 = keyring.rotate_index_key().unwrap();
    /// let new = keyring.blind_index("Account", "email", "ada@example.com").unwrap();
    /// let candidates = keyring.blind_index_candidates("Account", "email", "ada@example.com").unwrap();
    /// assert!(candidates.contains(&old) && candidates.contains(&new));
    /// keyring.retire_index_key(v2 - 1).unwrap();
    /// let candidates = keyring.blind_index_candidates("Account", "email", "ada@example.com").unwrap();
    /// assert_eq!(candidates, vec![new]);
    /// ```
    pub fn blind_index_candidates<V: Serialize + ?Sized>(
        &self,
        record: &str,
        field: &str,
        value: &V,
    ) -> Result<Vec<String>> {
        let json = Zeroizing::new(serde_json::to_vec(value).conv()?);
        self.candidates_json(record, field, DEFAULT_BLIND_INDEX_BITS, &json)
    }

    /// [`blind_index_candidates`](Keyring::blind_index_candidates) for the blind-indexed
    /// field at Rust path `field` of `T`, with the `bits` its schema declares.
    pub fn blind_index_candidates_for<T: PersonalData, V: Serialize + ?Sized>(
        &self,
        field: &str,
        value: &V,
    ) -> Result<Vec<String>> {
        let bits = bits_of::<T>(field)?;
        let json = Zeroizing::new(serde_json::to_vec(value).conv()?);
        self.candidates_json(T::schema().name, field, bits, &json)
    }

    /// The blind-index key version new indexes are made with.
    pub fn index_key_version(&self) -> Result<u32> {
        self.with_index_keys(|keys| Ok(keys.current))
    }

    /// Every live blind-index key version, oldest first.
    pub fn index_key_versions(&self) -> Result<Vec<u32>> {
        self.with_index_keys(|keys| Ok(keys.keys.keys().copied().collect()))
    }

    /// `sealed` with its blind indexes recomputed under the current index key version (and
    /// the `bits` `T` declares now); envelopes, body and binding are unchanged. Opens the
    /// record to read the values, so it fails as [`Sealed::open`] does, e.g. with
    /// [`Error::Shredded`] for a shredded subject (whose record should be erased, not
    /// reindexed). The rebuild step after [`rotate_index_key`](Keyring::rotate_index_key),
    /// and the way legacy-form indexes are rewritten in the current form.
    ///
    /// ```
    /// # use privacy_core::crypto::Keyring;
    /// # use privacy_core::PersonalData;
    /// # use serde::{Deserialize, Serialize};
    /// #[derive(PersonalData, Serialize, Deserialize)]
    /// struct Account {
    ///     #[personal(subject_id)]
    ///     id: u64,
    ///     #[personal(category = "contact.email", encrypt, blind_index(bits = 32))]
    ///     email: String,
    /// }
    /// let keyring = Keyring::in_memory();
    /// let sealed = keyring.seal(&Account { id: 7, email: "ada@example.com".into() }).unwrap();
    /// keyring.rotate_index_key().unwrap();
    /// let rebuilt = keyring.reindex(&sealed).unwrap();
    /// let index = keyring.blind_index_for::<Account, _>("email", "ada@example.com").unwrap();
    /// assert_eq!(rebuilt.blind_index("email"), Some(index.as_str()));
    /// assert_ne!(sealed.blind_index("email"), Some(index.as_str()));
    /// ```
    pub fn reindex<T: PersonalData + Serialize + DeserializeOwned>(
        &self,
        sealed: &Sealed<T>,
    ) -> Result<Sealed<T>> {
        let record = sealed.open(self)?;
        let schema = T::schema();
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (path, bits, inputs) in indexed_values(&record, None)? {
            let mut indexes = Vec::with_capacity(inputs.len());
            for input in &inputs {
                indexes.push(self.index_one(schema.name, &path, bits, input)?);
            }
            map.entry(path).or_default().extend(indexes);
        }
        Ok(sealed.clone().with_blind_indexes(map))
    }

    /// The records among `sealed` whose blind-indexed field at Rust path `field` really
    /// holds `value` (for a sequence field: has an element equal to it), opened.
    ///
    /// Keeps the sealed records with a stored index among `value`'s
    /// [candidates](Keyring::blind_index_candidates_for) (every live index key version, so it
    /// answers during a rebuild), opens them, and keeps those whose opened value equals
    /// `value` (same serde JSON): a truncated index (`blind_index(bits = 16)`) matches other
    /// values too, and those false positives are dropped here. Records of shredded subjects
    /// are skipped (they are erased); any other failure to open is returned.
    /// [`Error::NotBlindIndexed`] if `field` is not a blind-indexed field of `T`.
    ///
    /// Typical use: fetch rows with `WHERE index IN (candidates)` from the database, then
    /// pass them here.
    ///
    /// ```
    /// # use privacy_core::crypto::Keyring;
    /// # use privacy_core::PersonalData;
    /// # use serde::{Deserialize, Serialize};
    /// #[derive(PersonalData, Serialize, Deserialize)]
    /// struct Account {
    ///     #[personal(subject_id)]
    ///     id: u64,
    ///     #[personal(category = "contact.email", encrypt, blind_index(bits = 16))]
    ///     email: String,
    /// }
    /// let keyring = Keyring::in_memory();
    /// let rows: Vec<_> = ["ada@example.com", "bob@example.com"].iter().enumerate()
    ///     .map(|(i, e)| keyring.seal(&Account { id: i as u64, email: (*e).into() }).unwrap())
    ///     .collect();
    /// let found = keyring.find("email", "bob@example.com", &rows).unwrap();
    /// assert_eq!(found.len(), 1);
    /// assert_eq!(found[0].id, 1);
    /// ```
    pub fn find<'a, T, V>(
        &self,
        field: &str,
        value: &V,
        sealed: impl IntoIterator<Item = &'a Sealed<T>>,
    ) -> Result<Vec<T>>
    where
        T: PersonalData + Serialize + DeserializeOwned + 'a,
        V: Serialize + ?Sized,
    {
        let bits = bits_of::<T>(field)?;
        let json = Zeroizing::new(serde_json::to_vec(value).conv()?);
        let candidates = self.candidates_json(T::schema().name, field, bits, &json)?;
        let mut out = Vec::new();
        for record in sealed {
            if !record
                .blind_indexes(field)
                .iter()
                .any(|stored| candidates.contains(stored))
            {
                continue;
            }
            let opened = match record.open(self) {
                Ok(opened) => opened,
                Err(Error::Shredded) => continue,
                Err(e) => return Err(e),
            };
            let equal = indexed_values(&opened, Some(field))?
                .iter()
                .flat_map(|(_, _, inputs)| inputs)
                .any(|input| input.as_slice() == json.as_slice());
            if equal {
                out.push(opened);
            }
        }
        Ok(out)
    }
}

/// A blind-indexed value: its Rust path, its bits, and its index inputs.
type IndexedValue = (String, u16, Vec<Zeroizing<Vec<u8>>>);

/// The inputs of the blind indexes of `record` (only those at path `only`, if given), as
/// [`Keyring::seal`] computes them: serde hands each blind-indexed value over, and its
/// JSON is split as [`index_inputs`] does.
fn indexed_values<T: PersonalData + Serialize>(
    record: &T,
    only: Option<&str>,
) -> Result<Vec<IndexedValue>> {
    struct Collect<'o> {
        targets: FieldSet,
        only: Option<&'o str>,
        out: Vec<IndexedValue>,
    }
    impl Hook for Collect<'_> {
        type Error = Error;
        const BUILD: bool = false;
        fn value<V: Serialize + ?Sized>(
            &mut self,
            _site: &Site<'_>,
            value: &V,
        ) -> Result<Option<Tree>> {
            let Some(found) = self.targets.take(value, |_| false) else {
                return Ok(None);
            };
            if self.only.is_some_and(|only| only != found.path) {
                return Ok(Some(Tree::Unit));
            }
            let (path, bits) = (found.path.clone(), found.meta.blind_index_bits);
            let json = Zeroizing::new(serde_json::to_vec(value).conv()?);
            self.out.push((path, bits, index_inputs(&json)?));
            Ok(Some(Tree::Unit))
        }
    }
    let targets = FieldSet::collect(
        record,
        |meta| meta.encrypted && meta.blind_index,
        |meta| meta.blind_index,
    );
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let mut hook = Collect {
        targets,
        only,
        out: Vec::new(),
    };
    ser::to_tree(&mut hook, record).map_err(|e| match e {
        ser::Error::Hook(e) => e,
        other => Error::Serde {
            reason: other.to_string(),
        },
    })?;
    Ok(hook.out)
}
