//! Key lifecycle: rotating key-encryption keys, the master key or key wrapper, the
//! blind-index key, and rewrapping data keys under the newest KEK.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::crypto::aead::wrap;
use crate::crypto::error::{Error, Result};
use crate::crypto::keys::cache::{add_kek_in, open_keks};
use crate::crypto::keys::index_keys as blind_index;
use crate::crypto::keys::key_wrapper::{KeyWrapper, MasterWrap};
use crate::crypto::keys::keyring::Keyring;
use crate::crypto::keys::master_key::MasterKey;
use crate::crypto::stores::key_store::{DataKeyState, WrappedKek};

impl Keyring {
    /// Adds a new key-encryption key version, in one store transaction that reads the newest
    /// version and checks this keyring's master key opens it; new data keys are wrapped by
    /// the new version, existing envelopes keep opening. Follow with
    /// [`rewrap`](Keyring::rewrap) to move existing data keys to it and destroy the old ones.
    pub fn rotate(&self) -> Result<()> {
        self.inner.rotate_kek(None)
    }

    /// Rotates the master key: every key-encryption key is rewrapped under `new` in one
    /// transaction that re-reads them (data keys and ciphertexts are untouched). Afterwards
    /// the store opens only with `new`; the old master key gives [`Error::WrongMasterKey`].
    /// Provision `new` (e.g. in `PRIVACY_MASTER_KEY`) before calling, since a keyring opened
    /// with the old key fails; other running keyrings keep their cached keys but cannot
    /// rotate until restarted with `new`.
    pub fn rotate_master_key(&mut self, new: &MasterKey) -> Result<()> {
        self.rotate_key_wrapper(MasterWrap::new(new))
    }

    /// [`rotate_master_key`](Keyring::rotate_master_key) to any [`KeyWrapper`], e.g. from a
    /// master key to a key management service, or to a new key version of the service.
    pub fn rotate_key_wrapper(&mut self, new: impl KeyWrapper + 'static) -> Result<()> {
        let inner = &*self.inner;
        let _admin = inner.admin.lock()?;
        let new: Arc<dyn KeyWrapper> = Arc::new(new);
        {
            let master = Arc::clone(&*inner.master_wrap.read()?);
            let (master, new) = (&*master, &*new);
            let rotated = inner.store.transaction(&mut |tx| {
                for kek in tx.keks()? {
                    let aad = wrap::kek_aad(kek.version);
                    let key =
                        master
                            .unwrap_key(&kek.wrapped, &aad)?
                            .ok_or(Error::WrongMasterKey {
                                version: kek.version,
                            })?;
                    tx.update_kek(&WrappedKek {
                        version: kek.version,
                        wrapped: new.wrap_key(&key, &aad)?,
                        wraps: kek.wraps,
                    })?;
                }
                Ok(())
            });
            match rotated {
                Ok(()) => {}
                // A store that repeated the transaction after a lost commit acknowledgement
                // finds the KEKs already under `new`: done, not a wrong key.
                Err(Error::WrongMasterKey { .. })
                    if open_keks(new, &inner.store.keks()?).is_ok() => {}
                Err(e) => return Err(e),
            }
        }
        *inner.master_wrap.write()? = new;
        Ok(())
    }

    /// Starts a new key epoch, so that copies of the key store made before it (backups,
    /// replicas, snapshots, WAL or journal copies) open nothing without the old master key:
    /// [`rotate`](Keyring::rotate) to a new key-encryption key, [`rewrap`](Keyring::rewrap)
    /// every data key under it (deleting every older KEK, so the store no longer holds a KEK
    /// that opens a data key in an old copy), then
    /// [`rotate_master_key`](Keyring::rotate_master_key) to `new`. Each step is one
    /// transaction; a crash between them leaves a store that opens with the master key of the
    /// last step that committed. Returns how many data keys were rewrapped.
    ///
    /// Then destroy the old master key: a subject shredded before the epoch is unrecoverable
    /// from any copy of the store, because every copy that still holds its data key needs the
    /// old master key to open it. (Those copies are then useless for restoring anything, too:
    /// take a new backup after the epoch.)
    pub fn new_epoch(&mut self, new: &MasterKey) -> Result<usize> {
        self.rotate()?;
        let moved = self.rewrap()?;
        self.rotate_master_key(new)?;
        Ok(moved)
    }

    /// Rewraps every data key under the newest key-encryption key (ciphertexts are not
    /// touched; data keys do not change), then deletes the KEK versions no longer in use, so
    /// a copy of an old KEK opens none of the rewrapped keys. One store transaction that
    /// re-reads the KEKs and data keys it changes. Returns how many keys moved.
    ///
    /// Moved keys count against the [KEK wrap limit](Keyring::with_kek_wrap_limit): when the
    /// newest KEK fills up, the same transaction adds a new version and moves the remaining
    /// keys under it (so after a rewrap the data keys may be spread over the newest few
    /// versions, each created before or by the rewrap; every older version is deleted).
    pub fn rewrap(&self) -> Result<usize> {
        let inner = &*self.inner;
        let _admin = inner.admin.lock()?;
        let mut moved = 0;
        {
            let master = Arc::clone(&*inner.master_wrap.read()?);
            let (master, moved) = (&*master, &mut moved);
            let limit = inner.kek_wrap_limit.load(Ordering::Relaxed);
            inner.store.transaction(&mut |tx| {
                *moved = 0;
                let stored = tx.keks()?;
                let keks = open_keks(master, &stored)?;
                let (&newest, newest_kek) = keks.iter().next_back().ok_or(Error::CorruptStore {
                    reason: "no key-encryption key",
                })?;
                // The KEK keys move to, and how many it wrapped (stored count, then this
                // transaction's); replaced by a new version when full.
                let mut target = (newest, newest_kek.clone());
                let mut target_wraps = stored
                    .iter()
                    .find(|k| k.version == newest)
                    .map_or(0, |k| k.wraps);
                let mut added = 0_u64;
                for record in tx.active_data_keys()? {
                    let DataKeyState::Active {
                        kek_version,
                        wrapped,
                    } = &record.state
                    else {
                        continue;
                    };
                    if *kek_version == newest {
                        continue;
                    }
                    let kek = keks.get(kek_version).ok_or(Error::CorruptStore {
                        reason: "a data key names a missing key-encryption key version",
                    })?;
                    let key = wrap::unwrap(
                        kek,
                        wrapped,
                        &wrap::data_key_aad(*kek_version, &record.subject_id),
                    )
                    .ok_or(Error::CorruptStore {
                        reason: "a data key does not open under its key-encryption key",
                    })?;
                    if target_wraps >= limit {
                        if added > 0 {
                            tx.add_kek_wraps(target.0, added)?;
                        }
                        target = add_kek_in(tx, master, target.0)?;
                        target_wraps = 0;
                        added = 0;
                    }
                    let rewrapped = wrap::wrap(
                        &target.1,
                        &key,
                        &wrap::data_key_aad(target.0, &record.subject_id),
                    )?;
                    tx.update_data_key(record.key_id, target.0, &rewrapped)?;
                    target_wraps += 1;
                    added += 1;
                    *moved += 1;
                }
                if added > 0 {
                    tx.add_kek_wraps(target.0, added)?;
                }
                for &version in keks.keys().filter(|&&v| v != newest) {
                    tx.delete_kek(version)?;
                }
                Ok(())
            })?;
        }
        inner.load_keks()?;
        Ok(moved)
    }

    /// Adds a new random blind-index key version, stored wrapped like a key-encryption key,
    /// and makes it current: indexes made from now on carry the new version, and
    /// [`blind_index_candidates`](Keyring::blind_index_candidates) answers with one index per
    /// live version, so lookups find both old and new indexes while records are
    /// [reindexed](Keyring::reindex). Returns the new version.
    ///
    /// Other keyrings over the same store switch to it within their
    /// [shred bound](Keyring::with_shred_bound) (their background thread re-reads the index
    /// keys every half bound, and a keyring whose keys are older than a bound reads them
    /// before making an index); until then they keep making indexes of the previous version.
    /// Rotation procedure: rotate, wait one shred bound, reindex every record, then
    /// [`retire_index_key`](Keyring::retire_index_key) the old version, after which nothing
    /// can compute (or confirm a guess against) an index of that version any more.
    pub fn rotate_index_key(&self) -> Result<u32> {
        let inner = &*self.inner;
        let _admin = inner.admin.lock()?;
        let mut created = 0;
        {
            let master = Arc::clone(&*inner.master_wrap.read()?);
            let (master, created) = (&*master, &mut created);
            inner.store.transaction(&mut |tx| {
                let stored = tx.keks()?;
                // A keyring whose master key was rotated away elsewhere must not add a key
                // wrapped by the old one: no keyring with the current key could start.
                open_keks(master, &stored)?;
                let newest = stored
                    .iter()
                    .filter_map(|k| blind_index::row_version(k.version))
                    .max()
                    .ok_or(Error::CorruptStore {
                        reason: "no blind-index key",
                    })?;
                let version = newest.checked_add(1).ok_or(Error::CorruptStore {
                    reason: "blind-index key versions exhausted",
                })?;
                let row = blind_index::index_row(version)?;
                let key = wrap::random_key()?;
                let wrapped = master.wrap_key(&key, &wrap::kek_aad(row))?;
                if tx.insert_kek(&WrappedKek {
                    version: row,
                    wrapped,
                    wraps: 0,
                })? {
                    *created = version;
                    Ok(())
                } else {
                    Err(Error::CorruptStore {
                        reason: "a new blind-index key version already exists",
                    })
                }
            })?;
        }
        inner.load_index_keys()?;
        Ok(created)
    }

    /// Deletes blind-index key `version` from the store (and this keyring): nothing can
    /// compute an index of that version any more, so an index of it in a record or a backup
    /// confirms no guess, even to whoever holds the master key, unless they also hold a copy
    /// of the key store made before. Lookups stop producing candidates of that version, so
    /// [reindex](Keyring::reindex) every record first. Other keyrings drop it within their
    /// shred bound. Retiring a version that is not stored does nothing; the current
    /// (newest) version is refused with [`Error::CurrentIndexKey`]: rotate first.
    pub fn retire_index_key(&self, version: u32) -> Result<()> {
        let inner = &*self.inner;
        let _admin = inner.admin.lock()?;
        let row = blind_index::index_row(version)?;
        inner.store.transaction(&mut |tx| {
            let stored = tx.keks()?;
            let newest = stored
                .iter()
                .filter_map(|k| blind_index::row_version(k.version))
                .max();
            if newest == Some(version) {
                return Err(Error::CurrentIndexKey { version });
            }
            if stored.iter().any(|k| k.version == row) {
                tx.delete_kek(row)?;
            }
            Ok(())
        })?;
        inner.load_index_keys()
    }
}
