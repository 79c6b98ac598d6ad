//! [`Keyring`]: data keys per subject, wrapped by versioned key-encryption keys, with a
//! bounded cache of ready ciphers that follows the store's shred log.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use rustc_hash::FxHashMap;

use crate::crypto::aead::wrap::{self, KeyBytes};
use crate::crypto::error::Result;
use crate::crypto::keys::cache::{
    nanos, newest_version, open_keks, stored_index_keys, Inner, Keks,
};
use crate::crypto::keys::group_commit::GroupCommit;
use crate::crypto::keys::index_keys as blind_index;
use crate::crypto::keys::key_wrapper::{KeyWrapper, MasterWrap};
use crate::crypto::keys::last_read::{Clocks, LastRead};
use crate::crypto::keys::master_key::MasterKey;
use crate::crypto::keys::shred_follower;
use crate::crypto::os::fork;
use crate::crypto::stores::key_store::{KeyStore, WrappedKek};
use crate::crypto::stores::memory::MemoryKeyStore;

/// The default number of data keys whose ciphers a keyring keeps ready.
pub const DEFAULT_CACHE_CAPACITY: usize = 4096;

/// The default bound on how long a keyring keeps using a data key after another keyring
/// sharing its store shredded it: see [`Keyring::with_shred_bound`].
pub const DEFAULT_SHRED_BOUND: Duration = Duration::from_secs(1);

/// The default number of envelopes a keyring seals under one data key before refusing with
/// [`Error::KeyUsageLimit`](crate::crypto::Error::KeyUsageLimit): half the 2^32 that NIST SP 800-38D allows one key with random
/// 96-bit nonces, leaving the other half for seals of other keyrings this one has not seen
/// yet (counts are flushed to the store in batches and read when a key is loaded).
pub const DEFAULT_SEAL_LIMIT: u64 = 1 << 31;

/// The default number of data keys a keyring lets the store wrap under one key-encryption
/// key (counting keys created under it and keys rewrapped to it) before it moves to a new KEK
/// version: half the 2^32 that NIST SP 800-38D allows one key with random 96-bit nonces,
/// like [`DEFAULT_SEAL_LIMIT`]. See [`Keyring::with_kek_wrap_limit`].
pub const DEFAULT_KEK_WRAP_LIMIT: u64 = 1 << 31;

/// Subjects whose data keys [`Keyring::prepare_subjects`] creates per store transaction.
pub(crate) const PREPARE_BATCH: usize = 10_000;

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
///   under a retired KEK (the store refuses with [`Error::StaleKek`](crate::crypto::Error::StaleKek); the keyring reloads
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
        Keyring::new(MemoryKeyStore::new(), MasterKey::generate()?)
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
        Keyring::new(
            crate::crypto::stores::sqlite::SqliteKeyStore::open(path)?,
            master,
        )
    }

    /// A keyring over the PostgreSQL store at `url` (a `postgres://` URL or a `key=value`
    /// connection string; tables created in schema `public` if absent), with the master key
    /// from `PRIVACY_MASTER_KEY`. See [`PostgresKeyStore`](crate::crypto::PostgresKeyStore) for
    /// another schema and for use from async code.
    #[cfg(feature = "postgres")]
    pub fn postgres(url: &str) -> Result<Keyring> {
        Keyring::postgres_with_master_key(url, MasterKey::from_env()?)
    }

    /// A keyring over the PostgreSQL store at `url` with `master`.
    #[cfg(feature = "postgres")]
    pub fn postgres_with_master_key(url: &str, master: MasterKey) -> Result<Keyring> {
        Keyring::new(
            crate::crypto::stores::postgres::PostgresKeyStore::connect(url)?,
            master,
        )
    }

    /// A keyring over any [`KeyStore`]. A new store gets KEK version 1; an existing one must
    /// open with `master` ([`Error::WrongMasterKey`](crate::crypto::Error::WrongMasterKey) otherwise). A shared store (see
    /// [`KeyStore::is_shared`]) gets a background thread following its shred log.
    // Taking the key by value moves it in, so it is zeroized here, not left with the caller.
    #[allow(clippy::needless_pass_by_value)]
    pub fn new(store: impl KeyStore + 'static, master: MasterKey) -> Result<Keyring> {
        // A new store gets a random blind-index key (kept wrapped in the store, so the master
        // key alone never yields it); a store with KEKs but no index key row keeps the key
        // derived from the master key, so its legacy indexes stay valid.
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
    /// existing one must open with `wrapper` ([`Error::WrongMasterKey`](crate::crypto::Error::WrongMasterKey) otherwise).
    pub fn new_with_wrapper(
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
        let newest = newest_version(&ciphers)?;
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
    /// (default [`DEFAULT_SEAL_LIMIT`]) with [`Error::KeyUsageLimit`](crate::crypto::Error::KeyUsageLimit); opening is never
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
}

impl Drop for Keyring {
    fn drop(&mut self) {
        self.inner.closed.store(true, Ordering::Release);
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
