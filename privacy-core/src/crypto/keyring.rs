//! [`Keyring`]: data keys per subject, wrapped by versioned key-encryption keys, with a
//! bounded cache of ready ciphers.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::envelope::{Aad, Envelope, HEADER_LEN, MIN_LEN, NONCE_LEN, VERSION};
use super::error::{Error, Result};
use super::master_key::MasterKey;
use super::memory_store::MemoryKeyStore;
use super::nonce;
use super::sqlite_store::SqliteKeyStore;
use super::store::{DataKeyState, KeyStore, WrappedKek};
use super::wrap::{self, KeyBytes};

/// The default number of data keys whose ciphers a keyring keeps ready.
pub const DEFAULT_CACHE_CAPACITY: usize = 4096;

/// Key-derivation label of the key that wraps key-encryption keys under the master key.
const KEK_WRAP_INFO: &[u8] = b"privacy-core/v1/kek-wrap";

/// The KEK-table version that holds the blind-index key (KEK versions start at 1).
pub const INDEX_KEY_VERSION: u32 = 0;

/// Seals and opens envelopes with one data key per data subject.
///
/// Key hierarchy: the [`MasterKey`] (never stored) wraps random key-encryption keys (KEKs,
/// versioned for [`rotate`](Keyring::rotate)) held in the [`KeyStore`]; the newest KEK wraps
/// each subject's random 32-byte data key, created on the subject's first seal. Destroying one
/// data key ([`shred`](Keyring::shred)) makes everything sealed for that subject unreadable,
/// in every copy and backup of the sealed data.
///
/// A keyring caches the AES-256-GCM cipher of up to [`DEFAULT_CACHE_CAPACITY`] data keys
/// (key schedule done once; key material zeroized when evicted or dropped). It is `Send +
/// Sync`: share it behind an `Arc`. Its `Debug` shows key ids and versions only.
///
/// ```
/// use privacy_core::crypto::{Aad, Keyring};
///
/// let keyring = Keyring::in_memory();
/// let aad = Aad::new("Account", "card", "42");
/// let envelope = keyring.seal_bytes(&aad, b"4111 1111 1111 1111").unwrap();
/// assert_eq!(&keyring.open_bytes(&aad, &envelope).unwrap()[..], b"4111 1111 1111 1111");
///
/// keyring.shred("42").unwrap();
/// assert_eq!(keyring.open_bytes(&aad, &envelope).unwrap_err().to_string(),
///            "the data subject was crypto-shredded: the data key is destroyed");
/// ```
pub struct Keyring {
    store: Box<dyn KeyStore>,
    master_wrap: Aes256Gcm,
    index_key: KeyBytes,
    keks: RwLock<Keks>,
    /// Ready ciphers by subject. FxHash: subjects are the application's own ids, and this
    /// lookup sits on every seal and open.
    cache: RwLock<FxHashMap<String, Arc<Slot>>>,
    capacity: usize,
    /// Serializes key creation, shredding, rotation and rewrapping within this keyring.
    admin: Mutex<()>,
}

struct Keks {
    newest: u32,
    ciphers: BTreeMap<u32, Aes256Gcm>,
}

// Slots live behind an `Arc`, so the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
enum Slot {
    Active { key_id: u32, cipher: Aes256Gcm },
    Shredded { key_id: u32 },
}

impl Keyring {
    /// A keyring over a [`MemoryKeyStore`] with a random master key: nothing survives the
    /// process. For tests and caches of data that may be lost.
    ///
    /// # Panics
    ///
    /// If the operating system random source fails (see [`Keyring::try_in_memory`]).
    #[allow(clippy::panic)]
    pub fn in_memory() -> Keyring {
        match Keyring::try_in_memory() {
            Ok(keyring) => keyring,
            Err(e) => panic!("cannot create an in-memory keyring: {e}"),
        }
    }

    /// [`Keyring::in_memory`] returning an error if the OS random source fails.
    pub fn try_in_memory() -> Result<Keyring> {
        Keyring::with_store(MemoryKeyStore::new(), MasterKey::generate()?)
    }

    /// A keyring over the SQLite store at `path` (created if absent), with the master key
    /// from `PRIVACY_MASTER_KEY`; an error if it is unset, malformed, or not the key the
    /// store was created with.
    pub fn sqlite(path: impl AsRef<Path>) -> Result<Keyring> {
        Keyring::sqlite_with_master_key(path, MasterKey::from_env()?)
    }

    /// A keyring over the SQLite store at `path` (created if absent) with `master`.
    pub fn sqlite_with_master_key(path: impl AsRef<Path>, master: MasterKey) -> Result<Keyring> {
        Keyring::with_store(SqliteKeyStore::open(path)?, master)
    }

    /// A keyring over any [`KeyStore`]. A new store gets KEK version 1; an existing one must
    /// open with `master` ([`Error::WrongMasterKey`] otherwise).
    // Taking the key by value moves it in, so it is zeroized here, not left with the caller.
    #[allow(clippy::needless_pass_by_value)]
    pub fn with_store(store: impl KeyStore + 'static, master: MasterKey) -> Result<Keyring> {
        let master_wrap = wrap::cipher(&wrap::derive(master.bytes(), KEK_WRAP_INFO));
        let index_key = wrap::derive(master.bytes(), b"privacy-core/v1/blind-index");
        let mut keyring = Keyring {
            store: Box::new(store),
            master_wrap,
            index_key: index_key.clone(),
            keks: RwLock::new(Keks {
                newest: 0,
                ciphers: BTreeMap::new(),
            }),
            cache: RwLock::new(FxHashMap::default()),
            capacity: DEFAULT_CACHE_CAPACITY,
            admin: Mutex::new(()),
        };
        if keyring.store.keks()?.is_empty() {
            let kek = wrap::random_key()?;
            let wrapped = wrap::wrap(&keyring.master_wrap, &kek, &wrap::kek_aad(1))?;
            // Losing a race with another process creating version 1 is fine: load theirs.
            keyring.store.insert_kek(&WrappedKek {
                version: 1,
                wrapped,
            })?;
        }
        keyring.load_keks()?;
        keyring.index_key = keyring.stored_index_key(index_key)?;
        Ok(keyring)
    }

    /// The blind-index key, kept in the store as version [`INDEX_KEY_VERSION`] wrapped like a
    /// KEK, so it survives KEK and master-key rotation (indexes stay valid). A store without
    /// one gets `initial` (the key earlier versions derived from the master key).
    fn stored_index_key(&self, initial: KeyBytes) -> Result<KeyBytes> {
        let aad = wrap::kek_aad(INDEX_KEY_VERSION);
        let stored = self
            .store
            .keks()?
            .into_iter()
            .find(|k| k.version == INDEX_KEY_VERSION);
        let row = if let Some(row) = stored {
            row
        } else {
            let row = WrappedKek {
                version: INDEX_KEY_VERSION,
                wrapped: wrap::wrap(&self.master_wrap, &initial, &aad)?,
            };
            if self.store.insert_kek(&row)? {
                return Ok(initial);
            }
            // Another keyring stored one first: use theirs.
            self.store
                .keks()?
                .into_iter()
                .find(|k| k.version == INDEX_KEY_VERSION)
                .ok_or(Error::CorruptStore {
                    reason: "the blind-index key vanished",
                })?
        };
        wrap::unwrap(&self.master_wrap, &row.wrapped, &aad).ok_or(Error::WrongMasterKey {
            version: INDEX_KEY_VERSION,
        })
    }

    /// The same keyring keeping at most `capacity` data-key ciphers ready (at least one).
    #[must_use]
    pub fn with_cache_capacity(mut self, capacity: usize) -> Keyring {
        self.capacity = capacity.max(1);
        self
    }

    /// The key store, e.g. to inspect rows or back them up.
    pub fn store(&self) -> &dyn KeyStore {
        &*self.store
    }

    /// The newest key-encryption key version: the one new data keys are wrapped by.
    pub fn kek_version(&self) -> Result<u32> {
        Ok(self.keks.read()?.newest)
    }

    /// Seals `plaintext` for `aad.subject` (creating the subject's data key on first use)
    /// into an envelope; see the [module docs](super) for the byte layout.
    pub fn seal_bytes(&self, aad: &Aad<'_>, plaintext: &[u8]) -> Result<Vec<u8>> {
        self.with_key(aad.subject, true, |key_id, cipher| {
            let mut out = Vec::with_capacity(MIN_LEN + plaintext.len());
            out.push(VERSION);
            out.extend_from_slice(&key_id.to_be_bytes());
            out.extend_from_slice(&[0; NONCE_LEN]);
            let nonce_at = HEADER_LEN - NONCE_LEN;
            let nonce: &mut [u8; NONCE_LEN] = (&mut out[nonce_at..HEADER_LEN])
                .try_into()
                .map_err(|_| Error::Random)?;
            nonce::fill(nonce)?;
            out.extend_from_slice(plaintext);
            // The nonce is written and the tag appended in place: moving them through
            // `Result`s cost store-forwarding stalls that showed in the profile.
            let sealed = aad.with_bytes(key_id, |a| {
                let (header, body) = out.split_at_mut(HEADER_LEN);
                let nonce = Nonce::from_slice(&header[nonce_at..]);
                match cipher.encrypt_in_place_detached(nonce, a, body) {
                    Ok(tag) => {
                        out.extend_from_slice(&tag);
                        true
                    }
                    Err(_) => false,
                }
            })?;
            if sealed {
                Ok(out)
            } else {
                Err(Error::MalformedEnvelope {
                    reason: "plaintext too long for AES-GCM",
                })
            }
        })
    }

    /// Opens an envelope sealed with the same `aad`; the plaintext buffer is zeroized on drop.
    ///
    /// Fails with [`Error::Shredded`] if the subject was shredded, and with a malformed,
    /// version, key-id or [`Error::Authentication`] error if the envelope was altered or moved.
    pub fn open_bytes(&self, aad: &Aad<'_>, envelope: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let envelope = Envelope::parse(envelope)?;
        self.with_key(aad.subject, false, |key_id, cipher| {
            if envelope.key_id != key_id {
                return Err(Error::KeyMismatch);
            }
            let mut plain = Zeroizing::new(envelope.ciphertext.to_vec());
            aad.with_bytes(key_id, |a| {
                cipher.decrypt_in_place_detached(
                    Nonce::from_slice(envelope.nonce),
                    a,
                    &mut plain[..],
                    Tag::from_slice(envelope.tag),
                )
            })?
            .map_err(|_| Error::Authentication)?;
            Ok(plain)
        })
    }

    /// Crypto-shredding: destroys `subject`'s data key in the cache and the store, keeping a
    /// tombstone. Every envelope sealed for the subject, wherever it was copied, fails to open
    /// with [`Error::Shredded`] from now on, and sealing new data for the subject fails with
    /// [`Error::Shredded`] too, so an erased person is never silently re-created. Shredding a
    /// subject without a key (or twice) records the tombstone and succeeds.
    ///
    /// Other keyrings (processes) sharing the store drop their cached cipher when they restart;
    /// shred through every long-lived keyring, or restart them, for immediate effect.
    pub fn shred(&self, subject: &str) -> Result<()> {
        let _admin = self.admin.lock()?;
        self.store.shred(subject)?;
        let key_id = match self.store.data_key(subject)? {
            Some(record) if record.state == DataKeyState::Shredded => record.key_id,
            _ => {
                return Err(Error::CorruptStore {
                    reason: "the store did not record the shredding",
                })
            }
        };
        self.cache_insert(subject, Arc::new(Slot::Shredded { key_id }))?;
        Ok(())
    }

    /// Adds a new key-encryption key version; new data keys are wrapped by it, existing
    /// envelopes keep opening. Follow with [`rewrap`](Keyring::rewrap) to move existing data
    /// keys to it and destroy the old versions.
    pub fn rotate(&self) -> Result<()> {
        let _admin = self.admin.lock()?;
        self.load_keks()?;
        let version = self
            .kek_version()?
            .checked_add(1)
            .ok_or(Error::CorruptStore {
                reason: "key-encryption key versions exhausted",
            })?;
        let kek = wrap::random_key()?;
        let wrapped = wrap::wrap(&self.master_wrap, &kek, &wrap::kek_aad(version))?;
        if !self.store.insert_kek(&WrappedKek { version, wrapped })? {
            return Err(Error::Store {
                message: "another keyring rotated concurrently; retry".to_owned(),
            });
        }
        let mut keks = self.keks.write()?;
        keks.ciphers.insert(version, wrap::cipher(&kek));
        keks.newest = version;
        Ok(())
    }

    /// Rotates the master key: every key-encryption key is rewrapped under `new` in one
    /// transaction (data keys and ciphertexts are untouched). Afterwards the store opens only
    /// with `new`; the old master key gives [`Error::WrongMasterKey`]. Provision `new` (e.g. in
    /// `PRIVACY_MASTER_KEY`) before calling, since a keyring opened with the old key fails.
    pub fn rotate_master_key(&mut self, new: &MasterKey) -> Result<()> {
        let _admin = self.admin.lock()?;
        let new_wrap = wrap::cipher(&wrap::derive(new.bytes(), KEK_WRAP_INFO));
        let mut rewrapped = Vec::new();
        for kek in self.store.keks()? {
            let aad = wrap::kek_aad(kek.version);
            let key = wrap::unwrap(&self.master_wrap, &kek.wrapped, &aad).ok_or(
                Error::WrongMasterKey {
                    version: kek.version,
                },
            )?;
            rewrapped.push(WrappedKek {
                version: kek.version,
                wrapped: wrap::wrap(&new_wrap, &key, &aad)?,
            });
        }
        self.store.replace_keks(&rewrapped)?;
        self.master_wrap = new_wrap;
        Ok(())
    }

    /// Rewraps every data key under the newest key-encryption key (ciphertexts are not
    /// touched; data keys do not change), then deletes the KEK versions no longer in use, so
    /// a copy of an old KEK opens none of the rewrapped keys. Returns how many keys moved.
    pub fn rewrap(&self) -> Result<usize> {
        let _admin = self.admin.lock()?;
        self.load_keks()?;
        let newest = self.kek_version()?;
        let mut moved = 0;
        for record in self.store.data_keys()? {
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
            let key = self.unwrap_data_key(*kek_version, &record.subject, wrapped)?;
            let rewrapped = {
                let keks = self.keks.read()?;
                let cipher = keks.ciphers.get(&newest).ok_or(Error::CorruptStore {
                    reason: "the newest key-encryption key is missing",
                })?;
                wrap::wrap(cipher, &key, &wrap::data_key_aad(newest, &record.subject))?
            };
            if self
                .store
                .rewrap_data_key(record.key_id, *kek_version, newest, &rewrapped)?
            {
                moved += 1;
            }
        }
        let old: Vec<u32> = self
            .keks
            .read()?
            .ciphers
            .keys()
            .copied()
            .filter(|&v| v != newest)
            .collect();
        for version in old {
            match self.store.delete_kek(version) {
                Ok(()) => {
                    self.keks.write()?.ciphers.remove(&version);
                }
                Err(Error::KekInUse { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(moved)
    }

    /// The blind index of `value` for `field` of `record`: what [`seal`](Keyring::seal)
    /// stores beside the envelope of a `blind_index` field, to find records by exact value.
    ///
    /// It is HMAC-SHA-256, under a key derived from the master key, of the record type, the
    /// field name and the value's JSON. Leakage: equal values of the same field have equal
    /// indexes, so whoever reads the sealed data learns which records share a value (and how
    /// often each value occurs), and can confirm a guessed value only with the master key.
    ///
    /// ```
    /// # use privacy_core::crypto::Keyring;
    /// let keyring = Keyring::in_memory();
    /// let a = keyring.blind_index("Account", "email", "ada@example.com").unwrap();
    /// assert_eq!(a, keyring.blind_index("Account", "email", "ada@example.com").unwrap());
    /// assert_ne!(a, keyring.blind_index("Account", "backup_email", "ada@example.com").unwrap());
    /// ```
    pub fn blind_index<V: Serialize + ?Sized>(
        &self,
        record: &str,
        field: &str,
        value: &V,
    ) -> Result<String> {
        let json = Zeroizing::new(serde_json::to_vec(value)?);
        Ok(self.blind_index_json(record, field, &json))
    }

    pub(crate) fn blind_index_json(&self, record: &str, field: &str, json: &[u8]) -> String {
        let mut out = String::new();
        if let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.index_key[..]) {
            for part in [record, field] {
                mac.update(&(part.len() as u64).to_be_bytes());
                mac.update(part.as_bytes());
            }
            mac.update(json);
            out = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        }
        out
    }

    /// Runs `f` with the subject's key id and cipher, loading (or, with `create`, creating)
    /// the key on a cache miss.
    fn with_key<R>(
        &self,
        subject: &str,
        create: bool,
        f: impl FnOnce(u32, &Aes256Gcm) -> Result<R>,
    ) -> Result<R> {
        {
            let cache = self.cache.read()?;
            if let Some(slot) = cache.get(subject) {
                return run(slot, f);
            }
        }
        let slot = self.load(subject, create)?;
        run(&slot, f)
    }

    fn load(&self, subject: &str, create: bool) -> Result<Arc<Slot>> {
        let _admin = self.admin.lock()?;
        if let Some(slot) = self.cache.read()?.get(subject) {
            return Ok(Arc::clone(slot));
        }
        let record = match self.store.data_key(subject)? {
            Some(record) => record,
            None if create => {
                let key = wrap::random_key()?;
                let (version, wrapped) = {
                    let keks = self.keks.read()?;
                    let cipher = keks.ciphers.get(&keks.newest).ok_or(Error::CorruptStore {
                        reason: "the newest key-encryption key is missing",
                    })?;
                    let aad = wrap::data_key_aad(keks.newest, subject);
                    (keks.newest, wrap::wrap(cipher, &key, &aad)?)
                };
                // Another process may have won the race: use whatever the store kept.
                self.store
                    .insert_data_key_if_absent(subject, version, &wrapped)?
            }
            None => return Err(Error::UnknownKey),
        };
        let slot = match &record.state {
            DataKeyState::Shredded => Slot::Shredded {
                key_id: record.key_id,
            },
            DataKeyState::Active {
                kek_version,
                wrapped,
            } => {
                let key = self.unwrap_data_key(*kek_version, subject, wrapped)?;
                Slot::Active {
                    key_id: record.key_id,
                    cipher: wrap::cipher(&key),
                }
            }
        };
        let slot = Arc::new(slot);
        self.cache_insert(subject, Arc::clone(&slot))?;
        Ok(slot)
    }

    fn unwrap_data_key(&self, kek_version: u32, subject: &str, wrapped: &[u8]) -> Result<KeyBytes> {
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
    fn load_keks(&self) -> Result<()> {
        let mut ciphers = BTreeMap::new();
        for kek in self.store.keks()? {
            if kek.version == INDEX_KEY_VERSION {
                continue;
            }
            let key = wrap::unwrap(&self.master_wrap, &kek.wrapped, &wrap::kek_aad(kek.version))
                .ok_or(Error::WrongMasterKey {
                    version: kek.version,
                })?;
            ciphers.insert(kek.version, wrap::cipher(&key));
        }
        let newest = ciphers
            .keys()
            .next_back()
            .copied()
            .ok_or(Error::CorruptStore {
                reason: "no key-encryption key",
            })?;
        *self.keks.write()? = Keks { newest, ciphers };
        Ok(())
    }

    fn cache_insert(&self, subject: &str, slot: Arc<Slot>) -> Result<()> {
        let mut cache = self.cache.write()?;
        if cache.len() >= self.capacity && !cache.contains_key(subject) {
            // Arbitrary eviction: a miss only costs one store read and one key schedule.
            if let Some(victim) = cache.keys().next().cloned() {
                cache.remove(&victim);
            }
        }
        cache.insert(subject.to_owned(), slot);
        Ok(())
    }
}

fn run<R>(slot: &Slot, f: impl FnOnce(u32, &Aes256Gcm) -> Result<R>) -> Result<R> {
    match slot {
        Slot::Active { key_id, cipher } => f(*key_id, cipher),
        Slot::Shredded { .. } => Err(Error::Shredded),
    }
}

impl core::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut s = f.debug_struct("Keyring");
        if let Ok(keks) = self.keks.read() {
            s.field("kek_version", &keks.newest)
                .field("kek_versions", &keks.ciphers.keys().collect::<Vec<_>>());
        }
        if let Ok(cache) = self.cache.read() {
            let mut ids: Vec<u32> = cache
                .values()
                .map(|slot| match **slot {
                    Slot::Active { key_id, .. } | Slot::Shredded { key_id } => key_id,
                })
                .collect();
            ids.sort_unstable();
            s.field("cached_key_ids", &ids);
        }
        s.field("capacity", &self.capacity).finish_non_exhaustive()
    }
}
