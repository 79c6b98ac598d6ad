//! Blind-index keys: versioned, stored wrapped like KEKs, a subkey per (record, field path),
//! and the index of a value under the current version (what sealing stores).
//!
//! An index of version `v` is `"v:" + base64url(HMAC-SHA-256(subkey, value JSON))[..bits/8]`
//! where `subkey = HMAC-SHA-256(index key v, "privacy-core/blind-index/subkey/v2" ||
//! len(record) || record || len(path) || path)`, lengths u64 big endian. Version 1 also has
//! a *legacy* form (full length, standard base64, no prefix, no subkey), produced as a
//! lookup candidate while version 1 lives, so stores holding legacy indexes keep finding
//! their records.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use base64::Engine as _;
use hmac::Mac;
use rustc_hash::FxHashMap;
use zeroize::{Zeroize, Zeroizing};

use crate::crypto::aead::wrap::{self, KeyBytes};
use crate::crypto::error::Convert;
use crate::crypto::error::{Error, Result};
use crate::crypto::keys::key_wrapper::KeyWrapper;
use crate::crypto::stores::key_store::WrappedKek;
use crate::tree::Tree;

/// The KEK-table version that holds the blind-index key (KEK versions start at 1).
pub const INDEX_KEY_VERSION: u32 = 0;

/// The first KEK-table row of blind-index keys after the first: version `v >= 2` is kept
/// as row `INDEX_KEY_BASE + v` (version 1 is row [`INDEX_KEY_VERSION`]).
/// Key-encryption keys stay below it.
pub const INDEX_KEY_BASE: u32 = 1 << 30;

/// The version of the blind-index key in row [`INDEX_KEY_VERSION`]; while it lives, its
/// legacy-form indexes (see the module docs) are recognised too.
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

pub(crate) fn check_bits(bits: u16) -> Result<usize> {
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
    pub(super) fn index(
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

    /// The legacy-form index of version 1: HMAC under the index key itself, full length.
    pub(super) fn legacy(&self, record: &str, path: &str, json: &[u8]) -> String {
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

/// The inputs a blind-indexed value's JSON is indexed by: each element of a sequence (so
/// any one element finds the record), or the value itself.
pub(crate) fn index_inputs(json: &[u8]) -> Result<Vec<Zeroizing<Vec<u8>>>> {
    match serde_json::from_slice::<Tree>(json).conv()? {
        Tree::Seq(mut items) => {
            let out = items
                .iter()
                .map(|item| Ok(Zeroizing::new(serde_json::to_vec(item).conv()?)))
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
