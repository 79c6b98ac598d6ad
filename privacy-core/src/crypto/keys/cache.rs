//! The keyring's shared state: the key cache (ready ciphers per subject, bounded), the
//! loaded KEKs, and loading, creating and wrapping keys through the store.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use aes_gcm::Aes256Gcm;
use rustc_hash::FxHashMap;

use crate::crypto::aead::wrap::{self, KeyBytes};
use crate::crypto::error::{Error, Result};
use crate::crypto::keys::group_commit::GroupCommit;
use crate::crypto::keys::index_keys::{
    self as blind_index, IndexKeys, INDEX_KEY_BASE, INDEX_KEY_VERSION,
};
use crate::crypto::keys::key_wrapper::KeyWrapper;
use crate::crypto::keys::last_read::{Clocks, LastRead};
use crate::crypto::os::fork;
use crate::crypto::stores::key_store::{
    DataKeyRecord, DataKeyState, KeyStore, KeyStoreTx, NewDataKey, WrappedKek,
};

/// How often a store refusing a data key wrapped by a rotated-away KEK is retried.
pub(super) const STALE_KEK_RETRIES: usize = 20;

pub(super) struct Inner {
    pub(super) store: Box<dyn KeyStore>,
    /// The root of the hierarchy: wraps the KEKs and the blind-index key.
    pub(super) master_wrap: RwLock<Arc<dyn KeyWrapper>>,
    /// The live blind-index keys, refreshed from the store (see `load_index_keys`).
    pub(super) index: RwLock<IndexKeys>,
    pub(super) keks: RwLock<Keks>,
    /// Ready ciphers by subject. FxHash: subjects are the application's own ids, and this
    /// lookup sits on every seal and open.
    pub(super) cache: RwLock<FxHashMap<String, Arc<Slot>>>,
    pub(super) capacity: AtomicUsize,
    /// Seals allowed per data key, counting those the store had recorded when it was loaded.
    pub(super) seal_limit: AtomicU64,
    /// Data keys the store may wrap under one KEK version (its stored count, exact).
    pub(super) kek_wrap_limit: AtomicU64,
    /// Serializes flushes of seal counts.
    pub(super) flushing: Mutex<()>,
    /// The shred bound in nanoseconds.
    pub(super) shred_bound: AtomicU64,
    /// Bumped (under the cache's write lock) whenever the cache learns of shreds or is
    /// dropped, so that a load that read the store before can tell and read again.
    pub(super) shred_gen: AtomicU64,
    /// Set when the [`Keyring`] is dropped: the background thread stops.
    pub(super) closed: AtomicBool,
    /// Whether a background thread follows the store's shred log (a shared store).
    pub(super) followed: bool,
    /// The clocks of `log_read` and `index_read`.
    pub(super) clocks: Clocks,
    /// When the last complete read of the shred log started, published after its shreds were
    /// applied to the cache. A cached key is used only while this is less than a shred bound
    /// old: past that, seal and open read the store, so the bound holds even when the
    /// background thread is starved or the store unreachable.
    pub(super) log_read: LastRead,
    /// The same for the blind-index keys: past a bound, making an index reads them first.
    pub(super) index_read: LastRead,
    /// The fork generation the background thread runs in (see `follow_after_fork`).
    pub(super) fork: AtomicU64,
    /// Serializes rotation, rewrapping and master-key rotation within this keyring.
    pub(super) admin: Mutex<()>,
    /// Group commit of concurrent first seals.
    pub(super) creator: GroupCommit<Arc<Slot>>,
}

pub(super) struct Keks {
    pub(super) newest: u32,
    pub(super) ciphers: BTreeMap<u32, Aes256Gcm>,
}

// Slots live behind an `Arc`, so the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
pub(super) enum Slot {
    Active {
        key_id: u32,
        cipher: Aes256Gcm,
        /// Seals the store had counted when the key was loaded.
        base: u64,
        /// Seals by this keyring since, and how many of them were flushed to the store.
        sealed: AtomicU64,
        flushed: AtomicU64,
    },
    Shredded {
        key_id: u32,
    },
}

impl Slot {
    pub(super) fn key_id(&self) -> u32 {
        match self {
            Slot::Active { key_id, .. } | Slot::Shredded { key_id } => *key_id,
        }
    }
}

impl Inner {
    /// Reads (or, with `create`, creates) the data key of `subject` and caches it.
    pub(super) fn load(&self, subject: &str, create: bool) -> Result<Arc<Slot>> {
        loop {
            let generation = self.shred_gen.load(Ordering::Acquire);
            let record = match self.store.data_key(subject)? {
                Some(record) => record,
                None if create => return self.create_one(subject),
                None => return Err(Error::UnknownKey),
            };
            let slot = Arc::new(self.slot(&record, None)?);
            if let Some(slot) = self.cache_put(subject, slot, generation)? {
                return Ok(slot);
            }
            // The cache learned of a shred while we read: read again.
        }
    }

    /// The ready slot of a stored row; `ours` is the key if the row is the one we wrapped.
    pub(super) fn slot(
        &self,
        record: &DataKeyRecord,
        ours: Option<(&[u8], &KeyBytes)>,
    ) -> Result<Slot> {
        Ok(match &record.state {
            DataKeyState::Shredded => Slot::Shredded {
                key_id: record.key_id,
            },
            DataKeyState::Active {
                kek_version,
                wrapped,
            } => {
                let cipher = match ours {
                    Some((mine, key)) if mine == wrapped.as_slice() => wrap::cipher(key),
                    _ => wrap::cipher(&self.unwrap_data_key(
                        *kek_version,
                        &record.subject_id,
                        wrapped,
                    )?),
                };
                Slot::Active {
                    key_id: record.key_id,
                    cipher,
                    base: record.seals,
                    sealed: AtomicU64::new(0),
                    flushed: AtomicU64::new(0),
                }
            }
        })
    }

    /// Caches `slot` unless the cache learned of shreds since `generation` (then `None`: the
    /// caller reads the store again). A tombstone already cached wins over an active key.
    pub(super) fn cache_put(
        &self,
        subject: &str,
        slot: Arc<Slot>,
        generation: u64,
    ) -> Result<Option<Arc<Slot>>> {
        let mut cache = self.cache.write()?;
        if self.shred_gen.load(Ordering::Acquire) != generation {
            return Ok(None);
        }
        if let Some(existing) = cache.get(subject) {
            if matches!(**existing, Slot::Shredded { .. }) || matches!(*slot, Slot::Active { .. }) {
                return Ok(Some(Arc::clone(existing)));
            }
        }
        let capacity = self.capacity.load(Ordering::Relaxed);
        if cache.len() >= capacity && !cache.contains_key(subject) {
            // Arbitrary eviction: a miss only costs one store read and one key schedule.
            if let Some(victim) = cache.keys().next().cloned() {
                cache.remove(&victim);
            }
        }
        cache.insert(subject.to_owned(), Arc::clone(&slot));
        Ok(Some(slot))
    }

    /// A first seal's data key, through group commit: concurrent first seals share one store
    /// transaction.
    pub(super) fn create_one(&self, subject: &str) -> Result<Arc<Slot>> {
        self.creator
            .run(subject, |subjects| Ok(self.create_keys(subjects)?.0))
    }

    /// Creates the data keys of `subjects` that have none, in one store transaction (or one
    /// per [KEK wrap limit](Keyring::with_kek_wrap_limit) subjects if that is smaller);
    /// returns each subject's slot (in order) and how many keys were created.
    pub(super) fn create_keys(&self, subjects: &[&str]) -> Result<(Vec<Arc<Slot>>, usize)> {
        // Sorted and deduplicated: concurrent batches lock rows in one order.
        let mut unique: Vec<&str> = subjects.to_vec();
        unique.sort_unstable();
        unique.dedup();
        let limit = self.kek_wrap_limit.load(Ordering::Relaxed);
        let chunk = usize::try_from(limit).unwrap_or(usize::MAX).max(1);
        // Read before the keys are stored: a shred applied to the cache from then on (one
        // that may have landed between the insert and now) keeps these slots out of it.
        let generation = self.shred_gen.load(Ordering::Acquire);
        let mut records = Vec::with_capacity(unique.len());
        let mut keys = Vec::with_capacity(unique.len());
        for part in unique.chunks(chunk) {
            let (r, k) = self.store_new_keys(part, limit)?;
            records.extend(r);
            keys.extend(k);
        }
        if records.len() != unique.len() {
            return Err(Error::CorruptStore {
                reason: "the store returned fewer rows than keys",
            });
        }
        let mut created = 0;
        let mut by_subject: FxHashMap<&str, Arc<Slot>> = FxHashMap::default();
        for ((subject, record), (key, wrapped)) in unique.iter().zip(&records).zip(&keys) {
            let ours =
                matches!(&record.state, DataKeyState::Active { wrapped: w, .. } if w == wrapped);
            created += usize::from(ours);
            let slot = Arc::new(self.slot(record, Some((wrapped, key)))?);
            // A shred learned meanwhile: hand the slot to this one caller, cache nothing.
            let slot = self
                .cache_put(subject, Arc::clone(&slot), generation)?
                .unwrap_or(slot);
            by_subject.insert(subject, slot);
        }
        let slots = subjects
            .iter()
            .map(|s| {
                by_subject.get(s).cloned().ok_or(Error::CorruptStore {
                    reason: "the store returned fewer rows than keys",
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((slots, created))
    }

    /// Wraps fresh data keys for `subjects` under the newest KEK and stores them (one store
    /// call), moving to a newer KEK if another keyring rotated or the newest one is full.
    #[allow(clippy::type_complexity)]
    pub(super) fn store_new_keys(
        &self,
        subjects: &[&str],
        wrap_limit: u64,
    ) -> Result<(Vec<DataKeyRecord>, Vec<(KeyBytes, Vec<u8>)>)> {
        let mut attempt = 0;
        loop {
            let (version, keys) = self.wrap_new_keys(subjects)?;
            let new: Vec<NewDataKey<'_>> = subjects
                .iter()
                .zip(&keys)
                .map(|(subject, (_, wrapped))| NewDataKey {
                    subject_id: subject,
                    kek_version: version,
                    wrapped,
                })
                .collect();
            match self.store.insert_data_keys(&new, wrap_limit) {
                Ok(records) => return Ok((records, keys)),
                Err(Error::StaleKek { .. }) if attempt < STALE_KEK_RETRIES => {
                    // Another keyring rotated and rewrapped: wrap under the newest KEK.
                    attempt += 1;
                    self.load_keks()?;
                }
                Err(Error::KekWrapLimit { .. }) if subjects.len() > 1 => {
                    // The batch does not fit in what the newest KEK has left (the store takes
                    // a batch whole or not at all): store the keys one at a time, so that a
                    // KEK is filled to its limit before a new version is added.
                    let mut records = Vec::with_capacity(subjects.len());
                    let mut keys = Vec::with_capacity(subjects.len());
                    for subject in subjects {
                        let (r, k) =
                            self.store_new_keys(core::slice::from_ref(subject), wrap_limit)?;
                        records.extend(r);
                        keys.extend(k);
                    }
                    return Ok((records, keys));
                }
                Err(Error::KekWrapLimit { version: full, .. }) if attempt < STALE_KEK_RETRIES => {
                    // The newest KEK is full: a new version (unless another keyring just
                    // added one), then wrap under it.
                    attempt += 1;
                    self.rotate_kek(Some(full))?;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Adds a key-encryption key version in one store transaction that reads the newest
    /// version and checks the master key opens every KEK; with `full`, only if `full` is
    /// still the newest version (else another keyring already rotated past it). Reloads the
    /// KEKs either way.
    pub(super) fn rotate_kek(&self, full: Option<u32>) -> Result<()> {
        let _admin = self.admin.lock()?;
        {
            let master = Arc::clone(&*self.master_wrap.read()?);
            let master = &*master;
            self.store.transaction(&mut |tx| {
                let keks = open_keks(master, &tx.keks()?)?;
                let newest = newest_version(&keks)?;
                if full.is_some_and(|full| full != newest) {
                    return Ok(());
                }
                add_kek_in(tx, master, newest).map(|_| ())
            })?;
        }
        self.load_keks()
    }

    /// Fresh random data keys for `subjects`, wrapped by the newest KEK.
    #[allow(clippy::type_complexity)]
    pub(super) fn wrap_new_keys(
        &self,
        subjects: &[&str],
    ) -> Result<(u32, Vec<(KeyBytes, Vec<u8>)>)> {
        let keks = self.keks.read()?;
        let cipher = keks.ciphers.get(&keks.newest).ok_or(Error::CorruptStore {
            reason: "the newest key-encryption key is missing",
        })?;
        let mut out = Vec::with_capacity(subjects.len());
        for subject in subjects {
            let key = wrap::random_key()?;
            let wrapped = wrap::wrap(cipher, &key, &wrap::data_key_aad(keks.newest, subject))?;
            out.push((key, wrapped));
        }
        Ok((keks.newest, out))
    }

    pub(super) fn unwrap_data_key(
        &self,
        kek_version: u32,
        subject: &str,
        wrapped: &[u8],
    ) -> Result<KeyBytes> {
        if !self.keks.read()?.ciphers.contains_key(&kek_version) {
            // Another keyring sharing the store may have rotated.
            self.load_keks()?;
        }
        let keks = self.keks.read()?;
        let kek = keks.ciphers.get(&kek_version).ok_or(Error::CorruptStore {
            reason: "a data key names a missing key-encryption key version",
        })?;
        wrap::unwrap(kek, wrapped, &wrap::data_key_aad(kek_version, subject)).ok_or(
            Error::CorruptStore {
                reason: "a data key does not open under its key-encryption key",
            },
        )
    }

    /// Reads and opens every KEK of the store.
    pub(super) fn load_keks(&self) -> Result<()> {
        let stored = self.store.keks()?;
        let master = Arc::clone(&*self.master_wrap.read()?);
        let ciphers = open_keks(&*master, &stored)?;
        let newest = newest_version(&ciphers)?;
        *self.keks.write()? = Keks { newest, ciphers };
        Ok(())
    }

    /// Re-reads the blind-index keys from the store (another keyring may have rotated or
    /// retired one); keys already loaded are kept with their subkeys.
    pub(super) fn load_index_keys(&self) -> Result<()> {
        let started = self.clocks.now();
        let stored = self.store.keks()?;
        let master = Arc::clone(&*self.master_wrap.read()?);
        let fresh = {
            let current = self.index.read()?;
            blind_index::open_index_keys(&*master, &stored, Some(&current))?
        };
        *self.index.write()? = fresh;
        self.index_read.mark(started);
        Ok(())
    }

    /// Marks cached keys of `subjects` shredded (another keyring shredded them).
    pub(super) fn forget_shredded(&self, subjects: &[String]) -> Result<()> {
        let mut cache = self.cache.write()?;
        self.shred_gen.fetch_add(1, Ordering::AcqRel);
        for subject in subjects {
            if let Some(slot) = cache.get_mut(subject.as_str()) {
                let key_id = slot.key_id();
                *slot = Arc::new(Slot::Shredded { key_id });
            }
        }
        Ok(())
    }

    /// Adds the seals counted since the last flush to the store, in one batch.
    pub(super) fn flush_seals(&self) -> Result<()> {
        let _flushing = self.flushing.lock()?;
        let mut batch = Vec::new();
        for slot in self.cache.read()?.values() {
            if let Slot::Active {
                key_id,
                sealed,
                flushed,
                ..
            } = &**slot
            {
                let delta = sealed
                    .load(Ordering::Relaxed)
                    .saturating_sub(flushed.load(Ordering::Relaxed));
                if delta > 0 {
                    batch.push((*key_id, delta, Arc::clone(slot)));
                }
            }
        }
        if batch.is_empty() {
            return Ok(());
        }
        let counts: Vec<(u32, u64)> = batch.iter().map(|(id, n, _)| (*id, *n)).collect();
        self.store.add_seals(&counts)?;
        for (_, delta, slot) in batch {
            if let Slot::Active { flushed, .. } = &*slot {
                flushed.fetch_add(delta, Ordering::Relaxed);
            }
        }
        Ok(())
    }

    /// Drops every cached key (the shred log could not be read for a whole bound).
    pub(super) fn forget_all(&self) -> Result<()> {
        let mut cache = self.cache.write()?;
        self.shred_gen.fetch_add(1, Ordering::AcqRel);
        cache.clear();
        Ok(())
    }

    pub(super) fn shred_bound(&self) -> Duration {
        Duration::from_nanos(self.shred_bound.load(Ordering::Relaxed))
    }

    /// Whether what `read` stamps may be used: the store is private to this keyring, or it
    /// was read and applied less than a shred bound ago (in the process that reads it: not in
    /// a child forked since). Otherwise another keyring's change may not have reached this
    /// one yet, and the store decides.
    #[inline]
    pub(super) fn is_current(&self, read: &LastRead) -> bool {
        !self.followed
            || (fork::generation() == self.fork.load(Ordering::Relaxed)
                && read.within(&self.clocks, self.shred_bound.load(Ordering::Relaxed)))
    }

    /// Whether cached data keys may be used (see [`Inner::is_current`]).
    #[inline]
    pub(super) fn cache_is_current(&self) -> bool {
        self.is_current(&self.log_read)
    }

    /// Whether the loaded blind-index keys may be used (see [`Inner::is_current`]).
    #[inline]
    pub(super) fn index_keys_are_current(&self) -> bool {
        self.is_current(&self.index_read)
    }
}

/// The newest version among the opened KEKs; a store without any is corrupt.
pub(super) fn newest_version(ciphers: &BTreeMap<u32, Aes256Gcm>) -> Result<u32> {
    ciphers
        .keys()
        .next_back()
        .copied()
        .ok_or(Error::CorruptStore {
            reason: "no key-encryption key",
        })
}

/// Opens every KEK in `stored` (the blind-index row aside) with the master wrapping key.
pub(super) fn open_keks(
    master: &dyn KeyWrapper,
    stored: &[WrappedKek],
) -> Result<BTreeMap<u32, Aes256Gcm>> {
    let mut ciphers = BTreeMap::new();
    for kek in stored {
        if blind_index::is_index_row(kek.version) {
            continue;
        }
        let key = master
            .unwrap_key(&kek.wrapped, &wrap::kek_aad(kek.version))?
            .ok_or(Error::WrongMasterKey {
                version: kek.version,
            })?;
        ciphers.insert(kek.version, wrap::cipher(&key));
    }
    Ok(ciphers)
}

/// Stores KEK version `newest + 1` (a fresh random key wrapped by `master`) in `tx`; returns
/// the version and its cipher. An error if the version exists (another transaction added it).
pub(super) fn add_kek_in(
    tx: &mut dyn KeyStoreTx,
    master: &dyn KeyWrapper,
    newest: u32,
) -> Result<(u32, Aes256Gcm)> {
    let version = newest
        .checked_add(1)
        .filter(|&v| v < INDEX_KEY_BASE)
        .ok_or(Error::CorruptStore {
            reason: "key-encryption key versions exhausted",
        })?;
    let kek = wrap::random_key()?;
    let wrapped = master.wrap_key(&kek, &wrap::kek_aad(version))?;
    if tx.insert_kek(&WrappedKek {
        version,
        wrapped,
        wraps: 0,
    })? {
        Ok((version, wrap::cipher(&kek)))
    } else {
        Err(Error::CorruptStore {
            reason: "a new key-encryption key version already exists",
        })
    }
}

/// The blind-index keys, kept in the store wrapped like KEKs (version 1 as row
/// [`INDEX_KEY_VERSION`], later versions from [`INDEX_KEY_BASE`]), so they survive KEK and
/// master-key rotation (indexes stay valid). A store without any gets `initial` as version 1
/// (for a store whose key-encryption keys exist without an index key row: the key derived
/// from the master key, which its legacy indexes were made with).
pub(super) fn stored_index_keys(
    store: &dyn KeyStore,
    master: &dyn KeyWrapper,
    initial: &KeyBytes,
) -> Result<IndexKeys> {
    if !store
        .keks()?
        .iter()
        .any(|k| blind_index::is_index_row(k.version))
    {
        let row = WrappedKek {
            version: INDEX_KEY_VERSION,
            wrapped: master.wrap_key(initial, &wrap::kek_aad(INDEX_KEY_VERSION))?,
            wraps: 0,
        };
        // Losing the race to another keyring is fine: its key is read below.
        store.insert_kek(&row)?;
    }
    blind_index::open_index_keys(master, &store.keks()?, None)
}

pub(super) fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}
