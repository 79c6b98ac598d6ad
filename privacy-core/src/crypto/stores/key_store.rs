//! [`KeyStore`]: where wrapped keys live, and the rows it holds.

use core::fmt;
use std::time::Duration;

use crate::crypto::error::{Error, Result};

/// Persistent storage of wrapped keys: key-encryption keys (KEKs) wrapped by the master key,
/// and one data key per subject wrapped by a KEK. It never sees a key in clear.
///
/// Implementations must make each method atomic (a transaction), because several keyrings
/// (threads, processes, machines) may share one store. In particular:
/// - [`insert_data_keys`](KeyStore::insert_data_keys) lets exactly one concurrent caller win
///   per subject, and refuses ([`Error::StaleKek`]) a key wrapped by a KEK version that is not
///   stored, atomically with the insert (a foreign key does it in SQL stores);
/// - every data key stored under a KEK (inserted, or rewrapped to it) adds one to that KEK's
///   [wrap count](WrappedKek::wraps) in the same transaction (one update per KEK version and
///   transaction, not one per key), and [`insert_data_keys`](KeyStore::insert_data_keys)
///   refuses ([`Error::KekWrapLimit`]) a batch that would take a KEK past the caller's limit;
/// - nothing ever replaces a data key: a key is only rewrapped (same key, new wrapping) or
///   shredded, and a KEK is deleted only while no data key uses it ([`Error::KekInUse`]);
/// - [`shred`](KeyStore::shred) appends to a log that other keyrings follow through
///   [`shreds_since`](KeyStore::shreds_since);
/// - [`transaction`](KeyStore::transaction) gives rotation and rewrapping one transaction
///   that re-reads what it changes.
///
/// A store that holds connections and may be used in a child `fork`ed after it connected
/// must open new ones there and leave the inherited ones untouched (not even close them: the
/// socket or file is the parent's too), e.g. by remembering [`std::process::id`] with each
/// connection. The SQLite and PostgreSQL stores do.
///
/// [`MemoryKeyStore`](crate::crypto::MemoryKeyStore), `SqliteKeyStore` (feature `sqlite`) and
/// `PostgresKeyStore` (feature `postgres`) implement it; so does `Arc<S>` of any of them.
pub trait KeyStore: Send + Sync {
    /// Every stored KEK.
    fn keks(&self) -> Result<Vec<WrappedKek>>;

    /// Stores a new KEK version; returns `false` (and changes nothing) if the version exists.
    fn insert_kek(&self, kek: &WrappedKek) -> Result<bool>;

    /// Replaces the wrapping of existing KEK versions, all or none (one transaction). A
    /// version that is not stored is an error and nothing changes.
    fn replace_keks(&self, keks: &[WrappedKek]) -> Result<()> {
        self.transaction(&mut |tx| {
            let stored = tx.keks()?;
            for kek in keks {
                if !stored.iter().any(|k| k.version == kek.version) {
                    return Err(Error::CorruptStore {
                        reason: "master-key rotation names a key-encryption key that is not stored",
                    });
                }
                tx.update_kek(kek)?;
            }
            Ok(())
        })
    }

    /// Deletes a KEK version; fails with [`Error::KekInUse`] while a data key is wrapped by it.
    fn delete_kek(&self, version: u32) -> Result<()>;

    /// The data key row of `subject`, if any (active or shredded).
    fn data_key(&self, subject: &str) -> Result<Option<DataKeyRecord>>;

    /// Stores each new data key unless its subject already has a row, all in one transaction
    /// (durable when this returns); returns, in the order given, the row each subject has
    /// afterwards (the caller's, or the existing one: exactly one concurrent caller wins).
    ///
    /// Fails with [`Error::StaleKek`] and stores nothing if a key is wrapped by a KEK version
    /// that is not (or no longer) stored: the caller reloads the KEKs and retries.
    ///
    /// The keys actually inserted are added to the [wrap count](WrappedKek::wraps) of their
    /// KEK version in the same transaction. If that would take a KEK's count past
    /// `wrap_limit`, nothing is stored and the call fails with [`Error::KekWrapLimit`]: the
    /// caller moves to a newer KEK (see [`Keyring::with_kek_wrap_limit`]) and retries. Pass
    /// `u64::MAX` for no limit.
    ///
    /// [`Keyring::with_kek_wrap_limit`]: crate::crypto::Keyring::with_kek_wrap_limit
    fn insert_data_keys(
        &self,
        keys: &[NewDataKey<'_>],
        wrap_limit: u64,
    ) -> Result<Vec<DataKeyRecord>>;

    /// [`insert_data_keys`](KeyStore::insert_data_keys) of one key, without a wrap limit.
    fn insert_data_key_if_absent(
        &self,
        subject: &str,
        kek_version: u32,
        wrapped: &[u8],
    ) -> Result<DataKeyRecord> {
        self.insert_data_keys(
            &[NewDataKey {
                subject_id: subject,
                kek_version,
                wrapped,
            }],
            u64::MAX,
        )?
        .pop()
        .ok_or(Error::CorruptStore {
            reason: "the store returned no row for a new data key",
        })
    }

    /// Every data key row (for rewrapping).
    fn data_keys(&self) -> Result<Vec<DataKeyRecord>>;

    /// Replaces the wrapping of data key `key_id` if it is still wrapped by `from_version`;
    /// returns whether it did (compare and swap), adding one to the wrap count of
    /// `to_version` in the same transaction if so. [`Error::StaleKek`] if `to_version` is not
    /// stored.
    fn rewrap_data_key(
        &self,
        key_id: u32,
        from_version: u32,
        to_version: u32,
        wrapped: &[u8],
    ) -> Result<bool>;

    /// Adds to the seal counts of data keys (`(key_id, seals)` pairs), in one transaction:
    /// keyrings flush their counts in batches, so a count may lag by one flush interval.
    fn add_seals(&self, counts: &[(u32, u64)]) -> Result<()>;

    /// Destroys the data key of `subject`, keeping a tombstone row (a subject without a row
    /// gets a tombstone too, so nothing is ever sealed for it afterwards), and appends the
    /// subject to the shred log other keyrings follow ([`shreds_since`](KeyStore::shreds_since)).
    fn shred(&self, subject: &str) -> Result<()>;

    /// The shred log after position `cursor`: the new cursor and the subjects shredded since,
    /// in commit order. `None` asks for the current end of the log only (no subjects).
    ///
    /// Positions must grow in commit order, so that a reader never skips a shred that
    /// commits after a later one was read.
    fn shreds_since(&self, cursor: Option<u64>) -> Result<(u64, Vec<String>)>;

    /// Blocks for at most `timeout`, returning early when the store can tell cheaply that
    /// another instance changed it (PostgreSQL `LISTEN`); the default sleeps.
    fn wait_for_change(&self, timeout: Duration) -> Result<()> {
        std::thread::sleep(timeout);
        Ok(())
    }

    /// Whether other keyrings (threads, processes) may change this store, so a keyring must
    /// follow its shred log. `false` only for a store private to one keyring.
    fn is_shared(&self) -> bool {
        true
    }

    /// Runs `f` in one transaction that holds the store's write lock on the KEK and data
    /// key tables from its first read to its commit: what `f` reads is what it changes.
    /// Commits if `f` returns `Ok`, changes nothing otherwise. Used by rotation, rewrapping
    /// and master-key rotation.
    fn transaction(
        &self,
        f: &mut (dyn FnMut(&mut dyn KeyStoreTx) -> Result<()> + Send),
    ) -> Result<()>;
}

/// The operations of a [`KeyStore::transaction`].
pub trait KeyStoreTx {
    /// Every stored KEK.
    fn keks(&mut self) -> Result<Vec<WrappedKek>>;
    /// Stores a new KEK version; `false` if it exists.
    fn insert_kek(&mut self, kek: &WrappedKek) -> Result<bool>;
    /// Replaces the wrapping of a stored KEK version; an error if it is not stored.
    fn update_kek(&mut self, kek: &WrappedKek) -> Result<()>;
    /// Deletes a KEK version; [`Error::KekInUse`] while a data key is wrapped by it.
    fn delete_kek(&mut self, version: u32) -> Result<()>;
    /// Every active (not shredded) data key.
    fn active_data_keys(&mut self) -> Result<Vec<DataKeyRecord>>;
    /// Replaces the wrapping of active data key `key_id`. Does not count: the caller adds
    /// the keys it moved with [`add_kek_wraps`](KeyStoreTx::add_kek_wraps), once per version.
    fn update_data_key(&mut self, key_id: u32, kek_version: u32, wrapped: &[u8]) -> Result<()>;
    /// Adds `wraps` to the [wrap count](WrappedKek::wraps) of stored KEK `version`; an error
    /// ([`Error::StaleKek`]) if it is not stored.
    fn add_kek_wraps(&mut self, version: u32, wraps: u64) -> Result<()>;
}

/// A data key to store: see [`KeyStore::insert_data_keys`].
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct NewDataKey<'a> {
    /// The data subject id.
    pub subject_id: &'a str,
    /// The KEK version that wraps it.
    pub kek_version: u32,
    /// `nonce || ciphertext || tag` of the 32-byte data key.
    pub wrapped: &'a [u8],
}

impl<'a> NewDataKey<'a> {
    /// A data key of `subject_id` wrapped (`nonce || ciphertext || tag`) by KEK `kek_version`.
    pub const fn new(subject_id: &'a str, kek_version: u32, wrapped: &'a [u8]) -> NewDataKey<'a> {
        NewDataKey {
            subject_id,
            kek_version,
            wrapped,
        }
    }
}

impl fmt::Debug for NewDataKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewDataKey")
            .field("kek_version", &self.kek_version)
            .finish_non_exhaustive()
    }
}

impl<S: KeyStore + ?Sized> KeyStore for std::sync::Arc<S> {
    fn keks(&self) -> Result<Vec<WrappedKek>> {
        (**self).keks()
    }
    fn insert_kek(&self, kek: &WrappedKek) -> Result<bool> {
        (**self).insert_kek(kek)
    }
    fn replace_keks(&self, keks: &[WrappedKek]) -> Result<()> {
        (**self).replace_keks(keks)
    }
    fn delete_kek(&self, version: u32) -> Result<()> {
        (**self).delete_kek(version)
    }
    fn data_key(&self, subject: &str) -> Result<Option<DataKeyRecord>> {
        (**self).data_key(subject)
    }
    fn insert_data_keys(
        &self,
        keys: &[NewDataKey<'_>],
        wrap_limit: u64,
    ) -> Result<Vec<DataKeyRecord>> {
        (**self).insert_data_keys(keys, wrap_limit)
    }
    fn data_keys(&self) -> Result<Vec<DataKeyRecord>> {
        (**self).data_keys()
    }
    fn rewrap_data_key(
        &self,
        key_id: u32,
        from_version: u32,
        to_version: u32,
        wrapped: &[u8],
    ) -> Result<bool> {
        (**self).rewrap_data_key(key_id, from_version, to_version, wrapped)
    }
    fn add_seals(&self, counts: &[(u32, u64)]) -> Result<()> {
        (**self).add_seals(counts)
    }
    fn shred(&self, subject: &str) -> Result<()> {
        (**self).shred(subject)
    }
    fn shreds_since(&self, cursor: Option<u64>) -> Result<(u64, Vec<String>)> {
        (**self).shreds_since(cursor)
    }
    fn wait_for_change(&self, timeout: Duration) -> Result<()> {
        (**self).wait_for_change(timeout)
    }
    /// Shared by construction: other holders of the `Arc` may change it.
    fn is_shared(&self) -> bool {
        true
    }
    fn transaction(
        &self,
        f: &mut (dyn FnMut(&mut dyn KeyStoreTx) -> Result<()> + Send),
    ) -> Result<()> {
        (**self).transaction(f)
    }
}

/// A key-encryption key wrapped by the master key.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WrappedKek {
    /// The KEK version (1, 2, ...); [`Keyring::rotate`](crate::crypto::Keyring::rotate) adds one.
    pub version: u32,
    /// `nonce || ciphertext || tag` of the 32-byte KEK under the master wrapping key.
    pub wrapped: Vec<u8>,
    /// How many data keys the store has stored wrapped by this KEK: each data key inserted
    /// under it and each one rewrapped to it adds one (see
    /// [`Keyring::with_kek_wrap_limit`](crate::crypto::Keyring::with_kek_wrap_limit)). Stored as
    /// given by [`KeyStore::insert_kek`] (0 for a new KEK), kept by
    /// [`KeyStoreTx::update_kek`] (master-key rotation does not wrap data keys). A store
    /// migrated to schema version 4 starts each KEK at the data keys it wrapped at migration.
    pub wraps: u64,
}

impl WrappedKek {
    /// KEK `version`, wrapped (`nonce || ciphertext || tag`), with its wrap count: what a
    /// [`KeyStore`] returns for each stored row.
    pub const fn new(version: u32, wrapped: Vec<u8>, wraps: u64) -> WrappedKek {
        WrappedKek {
            version,
            wrapped,
            wraps,
        }
    }
}

impl fmt::Debug for WrappedKek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WrappedKek")
            .field("version", &self.version)
            .field("wraps", &self.wraps)
            .finish_non_exhaustive()
    }
}

/// The data key row of one subject.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DataKeyRecord {
    /// The key id written into every envelope sealed under the key; never reused.
    pub key_id: u32,
    /// The data subject id.
    pub subject_id: String,
    /// The wrapped key, or the tombstone left by shredding.
    pub state: DataKeyState,
    /// Envelopes sealed under the key, as flushed by the keyrings (see
    /// [`Keyring::with_seal_limit`](crate::crypto::Keyring::with_seal_limit)).
    pub seals: u64,
}

impl DataKeyRecord {
    /// The row of `subject_id`'s data key `key_id`: what a [`KeyStore`] returns for it.
    pub const fn new(key_id: u32, subject_id: String, state: DataKeyState, seals: u64) -> Self {
        DataKeyRecord {
            key_id,
            subject_id,
            state,
            seals,
        }
    }
}

/// Whether a data key still exists.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
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
            .field("seals", &self.seals)
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
