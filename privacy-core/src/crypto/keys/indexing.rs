//! Making blind indexes under the keyring's current index key: what sealing stores beside
//! an envelope, and the candidates a lookup tries (every live version).

use crate::crypto::error::{Error, Result};
use crate::crypto::keys::index_keys::{check_bits, index_inputs, IndexKeys, LEGACY_INDEX_VERSION};
use crate::crypto::keys::keyring::Keyring;

impl Keyring {
    /// Runs `f` with the blind-index keys, read from the store first when they may be older
    /// than the shred bound (another keyring may have rotated or retired one since): a
    /// keyring whose background thread falls behind never indexes under a retired version.
    pub(crate) fn with_index_keys<R>(&self, f: impl FnOnce(&IndexKeys) -> Result<R>) -> Result<R> {
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
    pub(crate) fn index_one(
        &self,
        record: &str,
        path: &str,
        bits: u16,
        input: &[u8],
    ) -> Result<String> {
        let bytes = check_bits(bits)?;
        self.with_index_keys(|keys| {
            let key = keys.keys.get(&keys.current).ok_or(Error::CorruptStore {
                reason: "the current blind-index key is missing",
            })?;
            key.index(keys.current, record, path, bytes, input)
        })
    }

    pub(crate) fn candidates_json(
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
}
