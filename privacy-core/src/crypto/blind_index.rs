//! Blind indexes: versioned index keys, a subkey per (record, field path), truncation,
//! rebuilding after rotation, and lookups that re-check the opened value.
//!
//! An index of version `v` is `"v:" + base64url(HMAC-SHA-256(subkey, value JSON))[..bits/8]`
//! where `subkey = HMAC-SHA-256(index key v, "privacy-core/blind-index/subkey/v2" ||
//! len(record) || record || len(path) || path)`, lengths u64 big endian. Indexes written
//! before versions existed (full length, standard base64, no prefix, no subkey) are the
//! *legacy* form of version 1 and are still produced as lookup candidates while version 1
//! lives.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use base64::Engine as _;
use hmac::Mac;
use rustc_hash::FxHashMap;
use serde::de::DeserializeOwned;
use serde::Serialize;
use zeroize::{Zeroize, Zeroizing};

use super::error::{Error, Result};
use super::key_wrapper::KeyWrapper;
use super::keyring::{Keyring, INDEX_KEY_VERSION};
use super::sealed::Sealed;
use super::store::WrappedKek;
use super::wrap::{self, KeyBytes};
use crate::field_set::FieldSet;
use crate::schema::{RecordSchema, DEFAULT_BLIND_INDEX_BITS};
use crate::tree::ser::{self, Hook, Site};
use crate::tree::Tree;
use crate::PersonalData;

/// The first KEK-table row of blind-index keys after the first: version `v >= 2` is kept
/// as row `INDEX_KEY_BASE + v` (version 1 is row [`INDEX_KEY_VERSION`], where earlier
/// versions of this crate kept the one index key). Key-encryption keys stay below it.
pub const INDEX_KEY_BASE: u32 = 1 << 30;

/// The version of the blind-index key that stores from before versioned indexes hold (row
/// [`INDEX_KEY_VERSION`]); its indexes of the previous format are still recognised.
pub const LEGACY_INDEX_VERSION: u32 = 1;

/// Subkeys cached per index key version before the cache is emptied (record names and
/// field paths come from schemas, so a real program has far fewer).
const MAX_SUBKEYS: usize = 4096;

const SUBKEY_DOMAIN: &[u8] = b"privacy-core/blind-index/subkey/v2";

/// The KEK-table row holding index key `version`.
pub(crate) fn index_row(version: u32) -> Result<u32> {
    match version {
        0 => Err(Error::UnknownIndexKey { version }),
        LEGACY_INDEX_VERSION => Ok(INDEX_KEY_VERSION),
        v if v < INDEX_KEY_BASE - 1 => Ok(INDEX_KEY_BASE + v),
        _ => Err(Error::CorruptStore {
            reason: "blind-index key versions exhausted",
        }),
    }
}

/// The index key version a KEK-table row holds, if it holds one.
pub(crate) fn row_version(row: u32) -> Option<u32> {
    match row {
        INDEX_KEY_VERSION => Some(LEGACY_INDEX_VERSION),
        r if r >= INDEX_KEY_BASE => Some(r - INDEX_KEY_BASE),
        _ => None,
    }
}

/// Whether a KEK-table row holds a blind-index key (not a key-encryption key).
pub(crate) fn is_index_row(row: u32) -> bool {
    row_version(row).is_some()
}

fn check_bits(bits: u16) -> Result<usize> {
    if (16..=256).contains(&bits) && bits % 8 == 0 {
        Ok(usize::from(bits / 8))
    } else {
        Err(Error::InvalidIndexBits { bits })
    }
}

/// The live blind-index keys of a keyring.
pub(crate) struct IndexKeys {
    /// The newest version: the one new indexes are made with.
    pub(crate) current: u32,
    pub(crate) keys: BTreeMap<u32, Arc<IndexKey>>,
}

/// Subkeys by record name, then by field path (two lookups by `&str`, no allocation).
type Subkeys = FxHashMap<Box<str>, FxHashMap<Box<str>, KeyBytes>>;

/// One version of the blind-index key and its subkeys, each derived once.
pub(crate) struct IndexKey {
    key: KeyBytes,
    subkeys: RwLock<Subkeys>,
}

impl IndexKey {
    fn new(key: KeyBytes) -> IndexKey {
        IndexKey {
            key,
            subkeys: RwLock::new(FxHashMap::default()),
        }
    }

    /// The subkey of (`record`, `path`), derived on first use and cached.
    fn subkey(&self, record: &str, path: &str) -> Result<KeyBytes> {
        if let Some(key) = self.subkeys.read()?.get(record).and_then(|m| m.get(path)) {
            return Ok(key.clone());
        }
        let mut mac = wrap::hmac(&self.key);
        mac.update(SUBKEY_DOMAIN);
        for part in [record, path] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&mac.finalize().into_bytes());
        let mut cache = self.subkeys.write()?;
        if cache.values().map(FxHashMap::len).sum::<usize>() >= MAX_SUBKEYS {
            cache.clear();
        }
        cache
            .entry(record.into())
            .or_default()
            .insert(path.into(), key.clone());
        Ok(key)
    }

    /// The index of version `version` of a value's JSON, `bytes` long before encoding.
    fn index(
        &self,
        version: u32,
        record: &str,
        path: &str,
        bytes: usize,
        json: &[u8],
    ) -> Result<String> {
        let subkey = self.subkey(record, path)?;
        let mut mac = wrap::hmac(&subkey);
        mac.update(json);
        let full = mac.finalize().into_bytes();
        let mut out = format!("{version}:");
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode_string(&full[..bytes], &mut out);
        Ok(out)
    }

    /// The index of the format before versions: HMAC under the index key itself, full length.
    fn legacy(&self, record: &str, path: &str, json: &[u8]) -> String {
        let mut mac = wrap::hmac(&self.key);
        for part in [record, path] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac.update(json);
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    }
}

/// Opens the blind-index rows of `stored`, reusing the keys (and subkeys) of `previous`.
pub(crate) fn open_index_keys(
    master: &dyn KeyWrapper,
    stored: &[WrappedKek],
    previous: Option<&IndexKeys>,
) -> Result<IndexKeys> {
    let mut keys = BTreeMap::new();
    for row in stored {
        let Some(version) = row_version(row.version) else {
            continue;
        };
        if let Some(known) = previous.and_then(|p| p.keys.get(&version)) {
            keys.insert(version, Arc::clone(known));
            continue;
        }
        let key = master
            .unwrap_key(&row.wrapped, &wrap::kek_aad(row.version))?
            .ok_or(Error::WrongMasterKey {
                version: row.version,
            })?;
        keys.insert(version, Arc::new(IndexKey::new(key)));
    }
    let current = keys
        .keys()
        .next_back()
        .copied()
        .ok_or(Error::CorruptStore {
            reason: "no blind-index key",
        })?;
    Ok(IndexKeys { current, keys })
}

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

/// The inputs a blind-indexed value's JSON is indexed by: each element of a sequence (so
/// any one element finds the record), or the value itself.
fn index_inputs(json: &[u8]) -> Result<Vec<Zeroizing<Vec<u8>>>> {
    match serde_json::from_slice::<Tree>(json)? {
        Tree::Seq(mut items) => {
            let out = items
                .iter()
                .map(|item| Ok(Zeroizing::new(serde_json::to_vec(item)?)))
                .collect::<Result<Vec<_>>>();
            items.iter_mut().for_each(Zeroize::zeroize);
            out
        }
        mut other => {
            other.zeroize();
            Ok(vec![Zeroizing::new(json.to_vec())])
        }
    }
}

impl Keyring {
    /// Runs `f` with the blind-index keys, read from the store first when they may be older
    /// than the shred bound (another keyring may have rotated or retired one since): a
    /// keyring whose background thread falls behind never indexes under a retired version.
    fn with_index_keys<R>(&self, f: impl FnOnce(&IndexKeys) -> Result<R>) -> Result<R> {
        if !self.inner.index_keys_are_current() {
            self.follow_after_fork()?;
            if !self.inner.index_keys_are_current() {
                self.inner.load_index_keys()?;
            }
        }
        f(&*self.inner.index.read()?)
    }

    /// The current-version indexes of a blind-indexed value's serde JSON, as
    /// [`seal`](Keyring::seal) stores them: one per element of a sequence.
    pub(crate) fn blind_indexes_json(
        &self,
        record: &str,
        path: &str,
        bits: u16,
        json: &[u8],
    ) -> Result<Vec<String>> {
        index_inputs(json)?
            .iter()
            .map(|input| self.index_one(record, path, bits, input))
            .collect()
    }

    /// The current-version index of one input (a value's JSON, or one element's).
    fn index_one(&self, record: &str, path: &str, bits: u16, input: &[u8]) -> Result<String> {
        let bytes = check_bits(bits)?;
        self.with_index_keys(|keys| {
            let key = keys.keys.get(&keys.current).ok_or(Error::CorruptStore {
                reason: "the current blind-index key is missing",
            })?;
            key.index(keys.current, record, path, bytes, input)
        })
    }

    fn candidates_json(
        &self,
        record: &str,
        path: &str,
        bits: u16,
        json: &[u8],
    ) -> Result<Vec<String>> {
        let bytes = check_bits(bits)?;
        self.with_index_keys(|keys| {
            let mut out = Vec::with_capacity(keys.keys.len() + 1);
            for (&version, key) in keys.keys.iter().rev() {
                out.push(key.index(version, record, path, bytes, json)?);
                if version == LEGACY_INDEX_VERSION {
                    out.push(key.legacy(record, path, json));
                }
            }
            Ok(out)
        })
    }

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
        let json = Zeroizing::new(serde_json::to_vec(value)?);
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
    /// one per live index key version, newest first, plus the full-length index of the
    /// format before versions while version [`LEGACY_INDEX_VERSION`] lives. Query with
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
        let json = Zeroizing::new(serde_json::to_vec(value)?);
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
        let json = Zeroizing::new(serde_json::to_vec(value)?);
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
    /// and the migration of indexes written before versions existed.
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
        let json = Zeroizing::new(serde_json::to_vec(value)?);
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
            let json = Zeroizing::new(serde_json::to_vec(value)?);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn cached(key: &IndexKey) -> usize {
        key.subkeys
            .read()
            .map_or(usize::MAX, |c| c.values().map(FxHashMap::len).sum())
    }

    #[test]
    fn a_subkey_is_derived_once_per_record_and_path_and_reused() {
        let key = IndexKey::new(Zeroizing::new([7; 32]));
        let a = key.index(1, "Account", "email", 8, b"\"x\"").unwrap();
        assert_eq!(cached(&key), 1);
        assert_eq!(key.index(1, "Account", "email", 8, b"\"x\"").unwrap(), a);
        assert_eq!(cached(&key), 1);
        key.index(1, "Account", "device.serial", 8, b"\"x\"")
            .unwrap();
        key.index(1, "Employee", "email", 8, b"\"x\"").unwrap();
        assert_eq!(cached(&key), 3);
        // The cache is bounded.
        for i in 0..MAX_SUBKEYS + 10 {
            key.index(1, "R", &format!("f{i}"), 8, b"1").unwrap();
        }
        assert!(cached(&key) <= MAX_SUBKEYS);
        assert_eq!(key.index(1, "Account", "email", 8, b"\"x\"").unwrap(), a);
    }

    #[test]
    fn index_rows_and_versions_map_both_ways_and_stay_clear_of_kek_versions() {
        assert_eq!(index_row(1).unwrap(), INDEX_KEY_VERSION);
        assert_eq!(row_version(INDEX_KEY_VERSION), Some(1));
        for v in [2, 3, 1000] {
            assert_eq!(row_version(index_row(v).unwrap()), Some(v));
        }
        assert!(!is_index_row(1) && !is_index_row(INDEX_KEY_BASE - 1));
        assert!(index_row(0).is_err() && index_row(u32::MAX).is_err());
        // PostgreSQL keeps versions in an `integer`.
        assert!(i32::try_from(index_row(INDEX_KEY_BASE - 2).unwrap()).is_ok());
    }
}
