//! [`Keyring`]: data keys per subject, wrapped by versioned key-encryption keys, with a
//! bounded cache of ready ciphers that follows the store's shred log.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use rustc_hash::FxHashMap;
use zeroize::Zeroizing;

use super::blind_index::{self, IndexKeys, INDEX_KEY_BASE};
use super::envelope::{Aad, Envelope, HEADER_LEN, MIN_LEN, NONCE_LEN, TAG_LEN, VERSION};
use super::error::{Error, Result};
use super::fork;
use super::group_commit::GroupCommit;
use super::key_wrapper::{KeyWrapper, MasterWrap};
use super::last_read::{Clocks, LastRead};
use super::master_key::MasterKey;
use super::memory_store::MemoryKeyStore;
use super::nonce;
use super::shred_follower;
use super::store::{DataKeyRecord, DataKeyState, KeyStore, KeyStoreTx, NewDataKey, WrappedKek};
use super::wrap::{self, KeyBytes};

/// The default number of data keys whose ciphers a keyring keeps ready.
pub const DEFAULT_CACHE_CAPACITY: usize = 4096;

/// The default bound on how long a keyring keeps using a data key after another keyring
/// sharing its store shredded it: see [`Keyring::with_shred_bound`].
pub const DEFAULT_SHRED_BOUND: Duration = Duration::from_secs(1);

/// The default number of envelopes a keyring seals under one data key before refusing with
/// [`Error::KeyUsageLimit`]: half the 2^32 that NIST SP 800-38D allows one key with random
/// 96-bit nonces, leaving the other half for seals of other keyrings this one has not seen
/// yet (counts are flushed to the store in batches and read when a key is loaded).
pub const DEFAULT_SEAL_LIMIT: u64 = 1 << 31;

/// The default number of data keys a keyring lets the store wrap under one key-encryption
/// key (counting keys created under it and keys rewrapped to it) before it moves to a new KEK
/// version: half the 2^32 that NIST SP 800-38D allows one key with random 96-bit nonces,
/// like [`DEFAULT_SEAL_LIMIT`]. See [`Keyring::with_kek_wrap_limit`].
pub const DEFAULT_KEK_WRAP_LIMIT: u64 = 1 << 31;

/// Subjects whose data keys [`Keyring::prepare_subjects`] creates per store transaction.
pub const PREPARE_BATCH: usize = 10_000;

/// The KEK-table version that holds the blind-index key (KEK versions start at 1).
pub const INDEX_KEY_VERSION: u32 = 0;

/// How often a store refusing a data key wrapped by a rotated-away KEK is retried.
const STALE_KEK_RETRIES: usize = 20;

/// Seals and opens envelopes with one data key per data subject.
///
/// Key hierarchy: the [`MasterKey`] (never stored) wraps random key-encryption keys (KEKs,
/// versioned for [`rotate`](Keyring::rotate)) held in the [`KeyStore`]; the newest KEK wraps
/// each subject's random 32-byte data key, created on the subject's first seal. Destroying one
/// data key ([`shred`](Keyring::shred)) makes everything sealed for that subject unreadable,
/// in every copy and backup of the *sealed data*, as long as no copy of the *key store* made
/// before the shred can still be opened: see [`new_epoch`](Keyring::new_epoch).
///
/// A keyring caches the AES-256-GCM cipher of up to [`DEFAULT_CACHE_CAPACITY`] data keys
/// (key schedule done once; key material zeroized when evicted or dropped). It is `Send +
/// Sync`: share it behind an `Arc`. Its `Debug` shows key ids and versions only.
///
/// # Several instances over one store
///
/// Keyrings in several threads, processes or machines over one SQLite file or PostgreSQL
/// database behave as one:
/// - racing first seals of a subject create one data key (the store keeps the first);
/// - a [`shred`](Keyring::shred) in one keyring is honoured by every other within the
///   [shred bound](Keyring::with_shred_bound) (default [`DEFAULT_SHRED_BOUND`], 1 s): a
///   background thread per keyring follows the store's shred log (every bound / 10; free
///   when nothing changed, through SQLite's `PRAGMA data_version`, and woken at once by
///   PostgreSQL `NOTIFY`); a cached key is used only while the last read of the log is less
///   than a bound old, so when the thread falls behind (starved, or the store unreachable)
///   seal and open read the store instead (and fail while it is unreachable);
/// - [`rotate`](Keyring::rotate), [`rewrap`](Keyring::rewrap) and
///   [`rotate_master_key`](Keyring::rotate_master_key) each run as one store transaction that
///   re-reads what it changes; a keyring whose KEK list is stale cannot store a data key
///   under a retired KEK (the store refuses with [`Error::StaleKek`]; the keyring reloads
///   and retries).
///
/// The store is touched only on a cache miss, a first seal, an admin operation, and by the
/// background thread; a warm seal or open never blocks on it.
///
/// A keyring built before `fork()` may be used in the child (a pre-forking server's
/// workers): the child's first seal or open drops the cache and starts the child's own
/// background thread, and the SQLite and PostgreSQL stores open connections of their own in
/// the child, never touching the parent's. The keyring's background thread never holds a
/// lock across a fork (a `pthread_atfork` prepare handler waits for its work in flight);
/// fork while none of your threads is inside a keyring call (a lock held at the fork stays
/// held in the child).
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
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) store: Box<dyn KeyStore>,
    /// The root of the hierarchy: wraps the KEKs and the blind-index key.
    master_wrap: RwLock<Arc<dyn KeyWrapper>>,
    /// The live blind-index keys, refreshed from the store (see `load_index_keys`).
    pub(super) index: RwLock<IndexKeys>,
    keks: RwLock<Keks>,
    /// Ready ciphers by subject. FxHash: subjects are the application's own ids, and this
    /// lookup sits on every seal and open.
    cache: RwLock<FxHashMap<String, Arc<Slot>>>,
    capacity: AtomicUsize,
    /// Seals allowed per data key, counting those the store had recorded when it was loaded.
    seal_limit: AtomicU64,
    /// Data keys the store may wrap under one KEK version (its stored count, exact).
    kek_wrap_limit: AtomicU64,
    /// Serializes flushes of seal counts.
    flushing: Mutex<()>,
    /// The shred bound in nanoseconds.
    shred_bound: AtomicU64,
    /// Bumped (under the cache's write lock) whenever the cache learns of shreds or is
    /// dropped, so that a load that read the store before can tell and read again.
    shred_gen: AtomicU64,
    /// Set when the [`Keyring`] is dropped: the background thread stops.
    pub(super) closed: AtomicBool,
    /// Whether a background thread follows the store's shred log (a shared store).
    followed: bool,
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
    fork: AtomicU64,
    /// Serializes rotation, rewrapping and master-key rotation within this keyring.
    admin: Mutex<()>,
    /// Group commit of concurrent first seals.
    creator: GroupCommit<Arc<Slot>>,
}

struct Keks {
    newest: u32,
    ciphers: BTreeMap<u32, Aes256Gcm>,
}

// Slots live behind an `Arc`, so the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
enum Slot {
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
    fn key_id(&self) -> u32 {
        match self {
            Slot::Active { key_id, .. } | Slot::Shredded { key_id } => *key_id,
        }
    }
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
    #[cfg(feature = "sqlite")]
    pub fn sqlite(path: impl AsRef<std::path::Path>) -> Result<Keyring> {
        Keyring::sqlite_with_master_key(path, MasterKey::from_env()?)
    }

    /// A keyring over the SQLite store at `path` (created if absent) with `master`.
    #[cfg(feature = "sqlite")]
    pub fn sqlite_with_master_key(
        path: impl AsRef<std::path::Path>,
        master: MasterKey,
    ) -> Result<Keyring> {
        Keyring::with_store(super::sqlite_store::SqliteKeyStore::open(path)?, master)
    }

    /// A keyring over the PostgreSQL store at `url` (a `postgres://` URL or a `key=value`
    /// connection string; tables created in schema `public` if absent), with the master key
    /// from `PRIVACY_MASTER_KEY`. See [`PostgresKeyStore`](super::PostgresKeyStore) for
    /// another schema and for use from async code.
    #[cfg(feature = "postgres")]
    pub fn postgres(url: &str) -> Result<Keyring> {
        Keyring::postgres_with_master_key(url, MasterKey::from_env()?)
    }

    /// A keyring over the PostgreSQL store at `url` with `master`.
    #[cfg(feature = "postgres")]
    pub fn postgres_with_master_key(url: &str, master: MasterKey) -> Result<Keyring> {
        Keyring::with_store(
            super::postgres_store::PostgresKeyStore::connect(url)?,
            master,
        )
    }

    /// A keyring over any [`KeyStore`]. A new store gets KEK version 1; an existing one must
    /// open with `master` ([`Error::WrongMasterKey`] otherwise). A shared store (see
    /// [`KeyStore::is_shared`]) gets a background thread following its shred log.
    // Taking the key by value moves it in, so it is zeroized here, not left with the caller.
    #[allow(clippy::needless_pass_by_value)]
    pub fn with_store(store: impl KeyStore + 'static, master: MasterKey) -> Result<Keyring> {
        // A new store gets a random blind-index key (kept wrapped in the store, so the master
        // key alone never yields it); a store from before the index key row keeps the key
        // those versions derived from the master key, so its indexes stay valid.
        let initial_index_key = if store.keks()?.is_empty() {
            wrap::random_key()?
        } else {
            wrap::derive(master.bytes(), b"privacy-core/v1/blind-index")
        };
        Keyring::build(store, Arc::new(MasterWrap::new(&master)), initial_index_key)
    }

    /// A keyring over any [`KeyStore`] whose key-encryption keys are wrapped by `wrapper`,
    /// e.g. a key management service: the root key then never enters this process (see
    /// [`KeyWrapper`]). A new store gets KEK version 1 and a random blind-index key; an
    /// existing one must open with `wrapper` ([`Error::WrongMasterKey`] otherwise).
    pub fn with_key_wrapper(
        store: impl KeyStore + 'static,
        wrapper: impl KeyWrapper + 'static,
    ) -> Result<Keyring> {
        Keyring::build(store, Arc::new(wrapper), wrap::random_key()?)
    }

    // The initial index key is moved in so that it is zeroized here, whatever happens.
    #[allow(clippy::needless_pass_by_value)]
    fn build(
        store: impl KeyStore + 'static,
        master_wrap: Arc<dyn KeyWrapper>,
        initial_index_key: KeyBytes,
    ) -> Result<Keyring> {
        let clocks = Clocks::new();
        let built = clocks.now();
        if store
            .keks()?
            .iter()
            .all(|k| blind_index::is_index_row(k.version))
        {
            let kek = wrap::random_key()?;
            let wrapped = master_wrap.wrap_key(&kek, &wrap::kek_aad(1))?;
            // Losing a race with another process creating version 1 is fine: load theirs.
            store.insert_kek(&WrappedKek {
                version: 1,
                wrapped,
                wraps: 0,
            })?;
        }
        // Opening the KEKs first names the version that fails with a wrong master key.
        let ciphers = open_keks(&*master_wrap, &store.keks()?)?;
        let newest = ciphers
            .keys()
            .next_back()
            .copied()
            .ok_or(Error::CorruptStore {
                reason: "no key-encryption key",
            })?;
        let index = stored_index_keys(&store, &*master_wrap, &initial_index_key)?;
        let shared = store.is_shared();
        let inner = Arc::new(Inner {
            store: Box::new(store),
            master_wrap: RwLock::new(master_wrap),
            index: RwLock::new(index),
            keks: RwLock::new(Keks { newest, ciphers }),
            cache: RwLock::new(FxHashMap::default()),
            capacity: AtomicUsize::new(DEFAULT_CACHE_CAPACITY),
            seal_limit: AtomicU64::new(DEFAULT_SEAL_LIMIT),
            kek_wrap_limit: AtomicU64::new(DEFAULT_KEK_WRAP_LIMIT),
            flushing: Mutex::new(()),
            shred_bound: AtomicU64::new(nanos(DEFAULT_SHRED_BOUND)),
            shred_gen: AtomicU64::new(0),
            closed: AtomicBool::new(false),
            followed: shared,
            log_read: LastRead::new(built),
            index_read: LastRead::new(built),
            clocks,
            fork: AtomicU64::new(fork::generation()),
            admin: Mutex::new(()),
            creator: GroupCommit::new(),
        });
        if shared {
            shred_follower::start(&inner, false)?;
        }
        Ok(Keyring { inner })
    }

    /// The same keyring keeping at most `capacity` data-key ciphers ready (at least one).
    #[must_use]
    pub fn with_cache_capacity(self, capacity: usize) -> Keyring {
        self.inner
            .capacity
            .store(capacity.max(1), Ordering::Relaxed);
        self
    }

    /// The same keyring refusing to seal more than `limit` envelopes under one data key
    /// (default [`DEFAULT_SEAL_LIMIT`]) with [`Error::KeyUsageLimit`]; opening is never
    /// limited. Counts are kept per data key in the store: each keyring adds its own in
    /// batches (every shred bound / 10, with the shred log), and a keyring counts from what
    /// the store had recorded when it loaded the key, so seals made elsewhere after that, or
    /// by a process that died before flushing, are not seen: keep `limit` well below 2^32.
    #[must_use]
    pub fn with_seal_limit(self, limit: u64) -> Keyring {
        self.inner.seal_limit.store(limit, Ordering::Relaxed);
        self
    }

    /// The same keyring letting the store wrap at most `limit` data keys under one
    /// key-encryption key version (default [`DEFAULT_KEK_WRAP_LIMIT`], 2^31); at least 1.
    ///
    /// Every data key stored under a KEK (created by a first seal or
    /// [`prepare_subjects`](Keyring::prepare_subjects), or moved to it by
    /// [`rewrap`](Keyring::rewrap)) is one AES-GCM encryption under it with a random 96-bit
    /// nonce, which NIST SP 800-38D limits to 2^32 per key. The store counts them per KEK
    /// ([`WrappedKek::wraps`]) in the transaction that stores the keys, and refuses a batch
    /// that would pass the limit; the keyring then rotates to a new KEK version (in one store
    /// transaction that creates it only if the full one is still the newest, so keyrings
    /// racing past the limit create one version between them) and stores the batch under it.
    /// Older data keys keep their KEK and keep opening until [`rewrap`](Keyring::rewrap)
    /// moves them; a rewrap that would fill the newest KEK adds as many versions as it needs.
    ///
    /// Unlike the seal count, this count is exact across keyrings: it is checked and kept by
    /// the store atomically. A batch larger than `limit` is stored in several transactions.
    /// The keyring needs the master key (or [`KeyWrapper`]) the store's KEKs are wrapped
    /// with to rotate: after another keyring's [`rotate_master_key`](Keyring::rotate_master_key),
    /// first seals of new subjects fail once the KEK is full, until this keyring is restarted
    /// with the new key.
    #[must_use]
    pub fn with_kek_wrap_limit(self, limit: u64) -> Keyring {
        self.inner
            .kek_wrap_limit
            .store(limit.max(1), Ordering::Relaxed);
        self
    }

    /// The same keyring honouring another keyring's [`shred`](Keyring::shred) within `bound`
    /// (at least 10 ms; default [`DEFAULT_SHRED_BOUND`]).
    ///
    /// A background thread reads the store's shred log every `bound / 10`; the keyring keeps
    /// using a data key another keyring shredded until that read. The bound does not rest on
    /// the thread being scheduled: a cached key is used only while the last read of the log
    /// that was applied started less than `bound` ago. Past that (the thread is starved, the
    /// store unreachable), every seal and open reads its data key from the store, failing while
    /// it stays unreachable, rather than outliving a shred; and after a whole `bound` without
    /// a read the thread drops every cached key. A store private to this keyring
    /// ([`MemoryKeyStore`]) has no log to follow: shreds apply at once.
    ///
    /// A record being sealed or opened holds its data key for all of its envelopes: the check
    /// is made once per record, when it starts.
    #[must_use]
    pub fn with_shred_bound(self, bound: Duration) -> Keyring {
        let bound = bound.max(Duration::from_millis(10));
        self.inner
            .shred_bound
            .store(nanos(bound), Ordering::Relaxed);
        self
    }

    /// The key store, e.g. to inspect rows or back them up.
    pub fn store(&self) -> &dyn KeyStore {
        &*self.inner.store
    }

    /// The newest key-encryption key version: the one new data keys are wrapped by.
    pub fn kek_version(&self) -> Result<u32> {
        Ok(self.inner.keks.read()?.newest)
    }

    /// Seals `plaintext` for `aad.subject` (creating the subject's data key on first use)
    /// into an envelope; see the [module docs](super) for the byte layout.
    pub fn seal_bytes(&self, aad: &Aad<'_>, plaintext: &[u8]) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(MIN_LEN + plaintext.len());
        self.with_key(aad.subject, true, |key_id, cipher| {
            seal_envelope(key_id, cipher, aad, plaintext, true, &mut out)
        })?;
        Ok(out)
    }

    /// The data key of `subject` (with `create`, created on first use), held for the
    /// envelopes of one record: one cache lookup per record rather than one per envelope.
    pub(crate) fn data_key(&self, subject: &str, create: bool) -> Result<DataKey> {
        self.with_slot(subject, create, |slot| Ok(DataKey(Arc::clone(slot))))
    }

    /// Seals one envelope of a record with its held data key into `out` (cleared first), for
    /// the second and later nonces of the operation (see `nonce::fill_in_operation`). The
    /// seal is counted against the key's limit as [`seal_bytes`](Keyring::seal_bytes) does.
    pub(crate) fn seal_with_key(
        &self,
        key: &DataKey,
        aad: &Aad<'_>,
        plaintext: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let limit = self.inner.seal_limit.load(Ordering::Relaxed);
        out.clear();
        run(&key.0, Some(limit), |key_id, cipher| {
            seal_envelope(key_id, cipher, aad, plaintext, false, out)
        })
    }

    /// Opens an envelope sealed with the same `aad`; the plaintext buffer is zeroized on drop.
    ///
    /// Fails with [`Error::Shredded`] if the subject was shredded, and with a malformed,
    /// version, key-id or [`Error::Authentication`] error if the envelope was altered or moved.
    pub fn open_bytes(&self, aad: &Aad<'_>, envelope: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let parsed = Envelope::parse(envelope)?;
        let (header, ciphertext) = (EnvelopeHeader::of(&parsed), parsed.ciphertext);
        self.with_key(aad.subject, false, |key_id, cipher| {
            let mut plain = Zeroizing::new(ciphertext.to_vec());
            open_envelope(key_id, cipher, aad, &header, &mut plain)?;
            Ok(plain)
        })
    }

    /// [`open_bytes`](Keyring::open_bytes) decrypting in place with a held data key (see
    /// [`data_key`](Keyring::data_key)): `envelope` was parsed into `header` by the caller
    /// (which reports a malformed envelope before looking the key up); its ciphertext part is
    /// overwritten with the plaintext and returned (the caller wipes the buffer).
    pub(crate) fn open_with_key<'b>(
        key: &DataKey,
        aad: &Aad<'_>,
        header: &EnvelopeHeader,
        envelope: &'b mut [u8],
    ) -> Result<&'b [u8]> {
        let range = EnvelopeHeader::ciphertext(envelope.len());
        let body = envelope.get_mut(range.clone()).ok_or(SHORT)?;
        run(&key.0, None, |key_id, cipher| {
            open_envelope(key_id, cipher, aad, header, body)
        })?;
        Ok(&envelope[range])
    }

    /// Crypto-shredding: destroys `subject`'s data key in the cache and the store, keeping a
    /// tombstone. Every envelope sealed for the subject, wherever it was copied, fails to open
    /// with [`Error::Shredded`] from now on, and sealing new data for the subject fails with
    /// [`Error::Shredded`] too, so an erased person is never silently re-created. Shredding a
    /// subject without a key (or twice) records the tombstone and succeeds.
    ///
    /// Other keyrings sharing the store (threads, processes, machines) refuse the subject
    /// within their [shred bound](Keyring::with_shred_bound), 1 s by default.
    ///
    /// What it does not reach: a copy of the key store made before the shred (a backup, a
    /// replica, a file-system snapshot, a copied `-wal` or journal file) still holds the
    /// wrapped data key, and opens with the master key. The SQLite store leaves no copy in
    /// its own WAL (it checkpoints and truncates it), but copies elsewhere are out of its
    /// reach. To make every earlier copy useless, run [`new_epoch`](Keyring::new_epoch) after
    /// shredding (e.g. once a day over that day's shreds) and destroy the old master key. Blind
    /// indexes of the subject stay in the sealed records (they are not encrypted); erase or
    /// overwrite those records to remove them.
    pub fn shred(&self, subject: &str) -> Result<()> {
        let inner = &*self.inner;
        let stored = inner.store.shred(subject);
        // Whatever the store answered, this keyring stops using the key at once (fail
        // closed: after an error the caller retries the shred).
        let mark = |key_id: Option<u32>| -> Result<()> {
            let mut cache = inner.cache.write()?;
            inner.shred_gen.fetch_add(1, Ordering::AcqRel);
            let key_id = key_id.or_else(|| cache.get(subject).map(|slot| slot.key_id()));
            cache.insert(
                subject.to_owned(),
                Arc::new(Slot::Shredded {
                    key_id: key_id.unwrap_or(0),
                }),
            );
            Ok(())
        };
        mark(None)?;
        stored?;
        match inner.store.data_key(subject)? {
            Some(record) if record.state == DataKeyState::Shredded => mark(Some(record.key_id)),
            _ => Err(Error::CorruptStore {
                reason: "the store did not record the shredding",
            }),
        }
    }

    /// Creates the data keys of every subject in `subjects` that has none yet, in store
    /// transactions of [`PREPARE_BATCH`] subjects (fewer if the
    /// [KEK wrap limit](Keyring::with_kek_wrap_limit) is smaller; each durable before this
    /// returns), and
    /// readies their ciphers in the cache (up to its capacity). Returns how many keys it
    /// created. The bulk path for imports: one transaction per batch instead of one per
    /// first seal. Shredded subjects stay shredded.
    ///
    /// ```
    /// # use privacy_core::crypto::{Aad, Keyring};
    /// let keyring = Keyring::in_memory();
    /// let ids: Vec<String> = (0..1000).map(|i| format!("user-{i}")).collect();
    /// assert_eq!(keyring.prepare_subjects(&ids).unwrap(), 1000);
    /// assert_eq!(keyring.prepare_subjects(&ids).unwrap(), 0);
    /// keyring.seal_bytes(&Aad::new("Account", "email", "user-7"), b"x").unwrap();
    /// ```
    pub fn prepare_subjects<S: AsRef<str>>(&self, subjects: &[S]) -> Result<usize> {
        let mut created = 0;
        for chunk in subjects.chunks(PREPARE_BATCH) {
            let ids: Vec<&str> = chunk.iter().map(AsRef::as_ref).collect();
            created += self.inner.create_keys(&ids)?.1;
        }
        Ok(created)
    }

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
                        &wrap::data_key_aad(*kek_version, &record.subject),
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
                        &wrap::data_key_aad(target.0, &record.subject),
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
                let newest = tx
                    .keks()?
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

    /// Runs `f` with the subject's key id and cipher, loading (or, with `create`, creating)
    /// the key on a cache miss.
    fn with_key<R>(
        &self,
        subject: &str,
        create: bool,
        f: impl FnOnce(u32, &Aes256Gcm) -> Result<R>,
    ) -> Result<R> {
        let limit = self.inner.seal_limit.load(Ordering::Relaxed);
        self.with_slot(subject, create, |slot| {
            run(slot, create.then_some(limit), f)
        })
    }

    /// Runs `f` with the subject's cached slot, loading (or, with `create`, creating) it on a
    /// cache miss or when the cache may be older than the shred bound; the cache's read lock
    /// is held only while `f` runs on a cached slot.
    fn with_slot<R>(
        &self,
        subject: &str,
        create: bool,
        f: impl FnOnce(&Arc<Slot>) -> Result<R>,
    ) -> Result<R> {
        if self.inner.cache_is_current() {
            let cache = self.inner.cache.read()?;
            if let Some(slot) = cache.get(subject) {
                return f(slot);
            }
        } else {
            self.follow_after_fork()?;
        }
        f(&self.inner.load(subject, create)?)
    }

    /// In a child `fork`ed since the background thread started: that thread did not survive
    /// the fork. Forgets every cached key (shreds made since the parent last read the log are
    /// not in them) and starts a thread of the child's own. Once per fork; nothing otherwise.
    pub(super) fn follow_after_fork(&self) -> Result<()> {
        // While one thread restarts the follower, the cache stays unused in every other.
        const RESTARTING: u64 = u64::MAX;
        let inner = &self.inner;
        let (now, ran) = (fork::generation(), inner.fork.load(Ordering::Acquire));
        if !inner.followed
            || now == ran
            || ran == RESTARTING
            || inner
                .fork
                .compare_exchange(ran, RESTARTING, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
        {
            return Ok(());
        }
        let started = shred_follower::start(inner, true);
        // On failure (the store unreachable) the next seal or open tries again.
        let ran = if started.is_ok() { now } else { ran };
        inner.fork.store(ran, Ordering::Release);
        started
    }
}

impl Drop for Keyring {
    fn drop(&mut self) {
        self.inner.closed.store(true, Ordering::Release);
    }
}

impl Inner {
    /// Reads (or, with `create`, creates) the data key of `subject` and caches it.
    fn load(&self, subject: &str, create: bool) -> Result<Arc<Slot>> {
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
    fn slot(&self, record: &DataKeyRecord, ours: Option<(&[u8], &KeyBytes)>) -> Result<Slot> {
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
                        &record.subject,
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
    fn cache_put(
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
    fn create_one(&self, subject: &str) -> Result<Arc<Slot>> {
        self.creator
            .run(subject, |subjects| Ok(self.create_keys(subjects)?.0))
    }

    /// Creates the data keys of `subjects` that have none, in one store transaction (or one
    /// per [KEK wrap limit](Keyring::with_kek_wrap_limit) subjects if that is smaller);
    /// returns each subject's slot (in order) and how many keys were created.
    fn create_keys(&self, subjects: &[&str]) -> Result<(Vec<Arc<Slot>>, usize)> {
        // Sorted and deduplicated: concurrent batches lock rows in one order.
        let mut unique: Vec<&str> = subjects.to_vec();
        unique.sort_unstable();
        unique.dedup();
        let limit = self.kek_wrap_limit.load(Ordering::Relaxed);
        let chunk = usize::try_from(limit).unwrap_or(usize::MAX).max(1);
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
        let generation = self.shred_gen.load(Ordering::Acquire);
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
    fn store_new_keys(
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
                    subject,
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
    fn rotate_kek(&self, full: Option<u32>) -> Result<()> {
        let _admin = self.admin.lock()?;
        {
            let master = Arc::clone(&*self.master_wrap.read()?);
            let master = &*master;
            self.store.transaction(&mut |tx| {
                let keks = open_keks(master, &tx.keks()?)?;
                let newest = keks
                    .keys()
                    .next_back()
                    .copied()
                    .ok_or(Error::CorruptStore {
                        reason: "no key-encryption key",
                    })?;
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
    fn wrap_new_keys(&self, subjects: &[&str]) -> Result<(u32, Vec<(KeyBytes, Vec<u8>)>)> {
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
        let stored = self.store.keks()?;
        let master = Arc::clone(&*self.master_wrap.read()?);
        let ciphers = open_keks(&*master, &stored)?;
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
    fn is_current(&self, read: &LastRead) -> bool {
        !self.followed
            || (fork::generation() == self.fork.load(Ordering::Relaxed)
                && read.within(&self.clocks, self.shred_bound.load(Ordering::Relaxed)))
    }

    /// Whether cached data keys may be used (see [`Inner::is_current`]).
    #[inline]
    fn cache_is_current(&self) -> bool {
        self.is_current(&self.log_read)
    }

    /// Whether the loaded blind-index keys may be used (see [`Inner::is_current`]).
    #[inline]
    pub(super) fn index_keys_are_current(&self) -> bool {
        self.is_current(&self.index_read)
    }
}

/// Opens every KEK in `stored` (the blind-index row aside) with the master wrapping key.
fn open_keks(master: &dyn KeyWrapper, stored: &[WrappedKek]) -> Result<BTreeMap<u32, Aes256Gcm>> {
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
fn add_kek_in(
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
/// (for a store from before the index key row: the key earlier versions derived from the
/// master key).
fn stored_index_keys(
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

/// What opening needs of an envelope's header, copied out so that the envelope can be
/// decrypted in place.
pub(crate) struct EnvelopeHeader {
    pub key_id: u32,
    pub nonce: [u8; NONCE_LEN],
    pub tag: [u8; TAG_LEN],
}

impl EnvelopeHeader {
    /// Parses `envelope` ([`Envelope::parse`]: total over every input).
    pub(crate) fn parse(envelope: &[u8]) -> Result<EnvelopeHeader> {
        Envelope::parse(envelope).map(|e| EnvelopeHeader::of(&e))
    }

    fn of(e: &Envelope<'_>) -> EnvelopeHeader {
        EnvelopeHeader {
            key_id: e.key_id,
            nonce: *e.nonce,
            tag: *e.tag,
        }
    }

    /// Where the ciphertext lies in an envelope of `len` bytes (an empty or reversed range,
    /// which slicing with `get` refuses, when it is shorter than header and tag).
    pub(crate) fn ciphertext(len: usize) -> core::ops::Range<usize> {
        HEADER_LEN..len.saturating_sub(TAG_LEN)
    }
}

/// An envelope too short for its header and tag.
const SHORT: Error = Error::MalformedEnvelope {
    reason: "shorter than header and tag",
};

/// Decrypts an envelope's ciphertext `body` in place under `cipher`, the key `key_id`:
/// refuses an envelope of another key, and one whose tag does not authenticate `aad`.
fn open_envelope(
    key_id: u32,
    cipher: &Aes256Gcm,
    aad: &Aad<'_>,
    header: &EnvelopeHeader,
    body: &mut [u8],
) -> Result<()> {
    if header.key_id != key_id {
        return Err(Error::KeyMismatch);
    }
    aad.with_bytes(key_id, |a| {
        cipher.decrypt_in_place_detached(
            Nonce::from_slice(&header.nonce),
            a,
            body,
            Tag::from_slice(&header.tag),
        )
    })?
    .map_err(|_| Error::Authentication)
}

/// A subject's data key as one record's sealing or opening holds it (see
/// [`Keyring::data_key`]). A shred that lands meanwhile is honoured by the next record: the
/// envelopes of this one are sealed under the destroyed key and never open again.
pub(crate) struct DataKey(Arc<Slot>);

/// Appends the envelope of `plaintext` under `cipher` to `out`:
/// `version || key id || nonce || ciphertext || tag`.
fn seal_envelope(
    key_id: u32,
    cipher: &Aes256Gcm,
    aad: &Aad<'_>,
    plaintext: &[u8],
    check_fork: bool,
    out: &mut Vec<u8>,
) -> Result<()> {
    let start = out.len();
    out.reserve(MIN_LEN + plaintext.len());
    out.push(VERSION);
    out.extend_from_slice(&key_id.to_be_bytes());
    out.extend_from_slice(&[0; NONCE_LEN]);
    let nonce_at = start + HEADER_LEN - NONCE_LEN;
    let nonce: &mut [u8; NONCE_LEN] = (&mut out[nonce_at..start + HEADER_LEN])
        .try_into()
        .map_err(|_| Error::Random)?;
    if check_fork {
        nonce::fill(nonce)?;
    } else {
        nonce::fill_in_operation(nonce)?;
    }
    out.extend_from_slice(plaintext);
    // The nonce is written and the tag appended in place: moving them through `Result`s cost
    // store-forwarding stalls that showed in the profile.
    let sealed = aad.with_bytes(key_id, |a| {
        let (header, body) = out[start..].split_at_mut(HEADER_LEN);
        let nonce = Nonce::from_slice(&header[HEADER_LEN - NONCE_LEN..]);
        match cipher.encrypt_in_place_detached(nonce, a, body) {
            Ok(tag) => {
                out.extend_from_slice(&tag);
                true
            }
            Err(_) => false,
        }
    })?;
    if sealed {
        Ok(())
    } else {
        out.truncate(start);
        Err(Error::MalformedEnvelope {
            reason: "plaintext too long for AES-GCM",
        })
    }
}

/// Runs `f` with an active slot's key; with `seal_limit`, counts one seal against it first.
fn run<R>(
    slot: &Slot,
    seal_limit: Option<u64>,
    f: impl FnOnce(u32, &Aes256Gcm) -> Result<R>,
) -> Result<R> {
    match slot {
        Slot::Active {
            key_id,
            cipher,
            base,
            sealed,
            ..
        } => {
            if let Some(limit) = seal_limit {
                let n = sealed.fetch_add(1, Ordering::Relaxed).saturating_add(1);
                if base.saturating_add(n) > limit {
                    sealed.fetch_sub(1, Ordering::Relaxed);
                    return Err(Error::KeyUsageLimit { limit });
                }
            }
            f(*key_id, cipher)
        }
        Slot::Shredded { .. } => Err(Error::Shredded),
    }
}

impl core::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let inner = &*self.inner;
        let mut s = f.debug_struct("Keyring");
        if let Ok(keks) = inner.keks.read() {
            s.field("kek_version", &keks.newest)
                .field("kek_versions", &keks.ciphers.keys().collect::<Vec<_>>());
        }
        if let Ok(cache) = inner.cache.read() {
            let mut ids: Vec<u32> = cache.values().map(|slot| slot.key_id()).collect();
            ids.sort_unstable();
            s.field("cached_key_ids", &ids);
        }
        s.field("capacity", &inner.capacity.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}
