//! [`KeyStore`]: where wrapped keys live, and the rows it holds.

use core::fmt;

use super::error::Result;

/// Persistent storage of wrapped keys: key-encryption keys (KEKs) wrapped by the master key,
/// and one data key per subject wrapped by a KEK. It never sees a key in clear.
///
/// Implementations must make each method atomic (a transaction), because several keyrings
/// (threads or processes) may share one store. In particular
/// [`insert_data_key_if_absent`](KeyStore::insert_data_key_if_absent) must let exactly one
/// concurrent caller win, and nothing may ever replace a data key: a key is only rewrapped
/// (same key, new wrapping) or shredded.
pub trait KeyStore: Send + Sync {
    /// Every stored KEK.
    fn keks(&self) -> Result<Vec<WrappedKek>>;

    /// Stores a new KEK version; returns `false` (and changes nothing) if the version exists.
    fn insert_kek(&self, kek: &WrappedKek) -> Result<bool>;

    /// Replaces the wrapping of existing KEK versions, all or none (one transaction): used by
    /// master-key rotation, which rewraps the same KEKs under a new master key. A version
    /// that is not stored is an error and nothing changes.
    fn replace_keks(&self, keks: &[WrappedKek]) -> Result<()>;

    /// Deletes a KEK version; fails with [`Error::KekInUse`](super::Error::KekInUse) while a
    /// data key is wrapped by it.
    fn delete_kek(&self, version: u32) -> Result<()>;

    /// The data key row of `subject`, if any (active or shredded).
    fn data_key(&self, subject: &str) -> Result<Option<DataKeyRecord>>;

    /// Stores `wrapped` as the data key of `subject` unless the subject already has a row;
    /// returns the row that is in the store afterwards (the caller's, or the existing one).
    fn insert_data_key_if_absent(
        &self,
        subject: &str,
        kek_version: u32,
        wrapped: &[u8],
    ) -> Result<DataKeyRecord>;

    /// Every data key row (for rewrapping).
    fn data_keys(&self) -> Result<Vec<DataKeyRecord>>;

    /// Replaces the wrapping of data key `key_id` if it is still wrapped by `from_version`;
    /// returns whether it did (compare and swap).
    fn rewrap_data_key(
        &self,
        key_id: u32,
        from_version: u32,
        to_version: u32,
        wrapped: &[u8],
    ) -> Result<bool>;

    /// Destroys the data key of `subject`, keeping a tombstone row; a subject without a row
    /// gets a tombstone too, so nothing is ever sealed for it afterwards.
    fn shred(&self, subject: &str) -> Result<()>;
}

/// A key-encryption key wrapped by the master key.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedKek {
    /// The KEK version (1, 2, ...); [`Keyring::rotate`](super::Keyring::rotate) adds one.
    pub version: u32,
    /// `nonce || ciphertext || tag` of the 32-byte KEK under the master wrapping key.
    pub wrapped: Vec<u8>,
}

impl fmt::Debug for WrappedKek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WrappedKek")
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// The data key row of one subject.
#[derive(Clone, PartialEq, Eq)]
pub struct DataKeyRecord {
    /// The key id written into every envelope sealed under the key; never reused.
    pub key_id: u32,
    /// The data subject id.
    pub subject: String,
    /// The wrapped key, or the tombstone left by shredding.
    pub state: DataKeyState,
}

/// Whether a data key still exists.
#[derive(Clone, PartialEq, Eq)]
pub enum DataKeyState {
    /// The key, wrapped by KEK `kek_version`.
    Active {
        /// The KEK version that wraps it.
        kek_version: u32,
        /// `nonce || ciphertext || tag` of the 32-byte data key.
        wrapped: Vec<u8>,
    },
    /// The key was destroyed by shredding.
    Shredded,
}

impl fmt::Debug for DataKeyRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            DataKeyState::Active { kek_version, .. } => format!("active, kek v{kek_version}"),
            DataKeyState::Shredded => "shredded".to_owned(),
        };
        f.debug_struct("DataKeyRecord")
            .field("key_id", &self.key_id)
            .field("state", &format_args!("{state}"))
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for DataKeyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataKeyState::Active { kek_version, .. } => f
                .debug_struct("Active")
                .field("kek_version", kek_version)
                .finish_non_exhaustive(),
            DataKeyState::Shredded => f.write_str("Shredded"),
        }
    }
}
