//! Key material handling: master key sources (environment, a private key file), decoding,
//! the permissions of the files a store creates, and what a shred leaves on disk.

use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use privacy_core::crypto::{Error, MasterKey};

const KEY_B64: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// A unique temporary directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "privacy-keys-{name}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn write_key_file(path: &Path, mode: u32, text: &str) {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .unwrap();
    file.write_all(text.as_bytes()).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn same_key(a: &MasterKey, b: &MasterKey) -> bool {
    a.to_base64() == b.to_base64()
}

#[test]
fn a_master_key_decodes_once_with_or_without_padding_and_only_at_32_bytes() {
    let padded = MasterKey::from_base64(KEY_B64).unwrap();
    let bare = MasterKey::from_base64(KEY_B64.trim_end_matches('=')).unwrap();
    assert!(same_key(&padded, &bare));
    assert!(same_key(
        &padded,
        &MasterKey::from_base64(&format!("  {KEY_B64}\n")).unwrap()
    ));
    let exact = |reason| Error::MalformedMasterKey { reason };
    assert_eq!(
        MasterKey::from_base64("c2hvcnQ=").unwrap_err(),
        exact("it must decode to exactly 32 bytes")
    );
    assert_eq!(
        MasterKey::from_base64(&"QUFB".repeat(11)).unwrap_err(),
        exact("it must decode to exactly 32 bytes")
    );
    assert_eq!(
        MasterKey::from_base64(&"A".repeat(500)).unwrap_err(),
        exact("it must decode to exactly 32 bytes")
    );
    assert_eq!(
        MasterKey::from_base64("not base64 at all!").unwrap_err(),
        exact("not valid base64")
    );
}

#[test]
fn a_key_file_is_read_only_when_no_one_but_its_owner_can_access_it() {
    let dir = TempDir::new("key-file");
    let private = dir.0.join("private.key");
    write_key_file(&private, 0o600, &format!("{KEY_B64}\n"));
    let key = MasterKey::from_file(&private).unwrap();
    assert!(same_key(&key, &MasterKey::from_base64(KEY_B64).unwrap()));

    for (name, mode) in [
        ("group.key", 0o640),
        ("world.key", 0o644),
        ("open.key", 0o666),
    ] {
        let path = dir.0.join(name);
        write_key_file(&path, mode, KEY_B64);
        assert_eq!(
            MasterKey::from_file(&path).unwrap_err().to_string(),
            "master key file: the key file is accessible by group or others (chmod 600 it)"
        );
    }
    assert_eq!(
        MasterKey::from_file(dir.0.join("missing.key")).unwrap_err(),
        Error::KeyFile {
            reason: "cannot open the key file"
        }
    );
}

#[test]
fn from_env_reads_the_variable_or_else_the_key_file_it_names() {
    let dir = TempDir::new("key-env");
    let path = dir.0.join("master.key");
    write_key_file(&path, 0o400, KEY_B64);
    // The only test of this binary that touches these variables.
    std::env::remove_var(MasterKey::ENV);
    std::env::set_var(MasterKey::FILE_ENV, &path);
    let key = MasterKey::from_env().unwrap();
    assert!(same_key(&key, &MasterKey::from_base64(KEY_B64).unwrap()));
    std::env::remove_var(MasterKey::FILE_ENV);
    assert_eq!(
        MasterKey::from_env().unwrap_err(),
        Error::MissingMasterKey {
            var: "PRIVACY_MASTER_KEY"
        }
    );
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use super::*;
    use privacy_core::crypto::{Aad, DataKeyState, Keyring};

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    fn read(path: &Path) -> Vec<u8> {
        std::fs::read(path).unwrap_or_default()
    }

    #[test]
    fn a_new_sqlite_store_and_its_wal_are_private_to_their_owner() {
        let dir = TempDir::new("mode");
        let db = dir.0.join("keys.sqlite");
        let keyring = Keyring::sqlite_with_master_key(&db, MasterKey::from_bytes([3; 32])).unwrap();
        keyring.seal_bytes(&Aad::new("T", "f", "s"), b"x").unwrap();
        for path in [db.clone(), dir.0.join("keys.sqlite-wal")] {
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", path.display());
        }
    }

    #[test]
    fn after_a_shred_neither_the_sqlite_file_nor_its_wal_holds_the_wrapped_key() {
        let dir = TempDir::new("wal");
        let db = dir.0.join("keys.sqlite");
        let wal = dir.0.join("keys.sqlite-wal");
        let key = || MasterKey::from_bytes([4; 32]);
        let a = Keyring::sqlite_with_master_key(&db, key()).unwrap();
        // A second open connection keeps the WAL from being folded in on close.
        let b = Keyring::sqlite_with_master_key(&db, key()).unwrap();
        for i in 0..50 {
            a.seal_bytes(&Aad::new("T", "f", &format!("other-{i}")), b"x")
                .unwrap();
        }
        a.seal_bytes(&Aad::new("T", "f", "victim"), b"x").unwrap();
        let Some(DataKeyState::Active { wrapped, .. }) =
            a.store().data_key("victim").unwrap().map(|r| r.state)
        else {
            panic!("no active key");
        };
        assert!(
            contains(&read(&db), &wrapped) || contains(&read(&wal), &wrapped),
            "the wrapped key is on disk before the shred"
        );
        a.shred("victim").unwrap();
        assert!(
            !contains(&read(&db), &wrapped),
            "the main file keeps the key"
        );
        assert!(!contains(&read(&wal), &wrapped), "the WAL keeps the key");
        assert_eq!(
            b.seal_bytes(&Aad::new("T", "f", "victim"), b"x"),
            Err(Error::Shredded)
        );
    }

    #[test]
    fn after_a_new_epoch_a_store_backup_from_before_opens_nothing_without_the_old_master_key() {
        let dir = TempDir::new("epoch");
        let db = dir.0.join("keys.sqlite");
        let backup = dir.0.join("backup.sqlite");
        let (old, new) = (
            MasterKey::from_bytes([5; 32]),
            MasterKey::from_bytes([6; 32]),
        );
        let mut keyring = Keyring::sqlite_with_master_key(&db, old.clone()).unwrap();
        let aad = |s| Aad::new("T", "f", s);
        let victim = keyring.seal_bytes(&aad("victim"), b"secret").unwrap();
        let kept = keyring.seal_bytes(&aad("kept"), b"kept").unwrap();
        rusqlite::Connection::open(&db)
            .unwrap()
            .execute("VACUUM INTO ?1", [backup.to_str().unwrap()])
            .unwrap();

        keyring.shred("victim").unwrap();
        assert_eq!(keyring.new_epoch(&new).unwrap(), 1);
        assert_eq!(
            &keyring.open_bytes(&aad("kept"), &kept).unwrap()[..],
            b"kept"
        );
        drop(keyring);
        let current = Keyring::sqlite_with_master_key(&db, new.clone()).unwrap();
        assert_eq!(
            &current.open_bytes(&aad("kept"), &kept).unwrap()[..],
            b"kept"
        );
        assert_eq!(
            current.open_bytes(&aad("victim"), &victim).unwrap_err(),
            Error::Shredded
        );

        // The backup does not open with the current master key...
        assert!(matches!(
            Keyring::sqlite_with_master_key(&backup, new).unwrap_err(),
            Error::WrongMasterKey { .. }
        ));
        // ...and the current store holds no KEK that opens a data key of the backup.
        let conn = rusqlite::Connection::open(&backup).unwrap();
        let mut stmt = conn
            .prepare("SELECT DISTINCT kek_version FROM privacy_data_keys WHERE shredded = 0")
            .unwrap();
        let in_backup: Vec<u32> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let current_keks: Vec<u32> = current
            .store()
            .keks()
            .unwrap()
            .iter()
            .map(|k| k.version)
            .collect();
        assert!(in_backup.iter().all(|v| !current_keks.contains(v)));
        // What remains: the backup with the old master key. Destroy that key.
        let old_backup = Keyring::sqlite_with_master_key(&backup, old).unwrap();
        assert_eq!(
            &old_backup.open_bytes(&aad("victim"), &victim).unwrap()[..],
            b"secret"
        );
    }
}

/// A stand-in for a key management service: its key stays inside it (callers get only
/// wrapped bytes), it counts calls, and it can be made unreachable.
struct FakeKms {
    inner: MasterKey,
    calls: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    down: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl privacy_core::crypto::KeyWrapper for FakeKms {
    fn wrap_key(&self, key: &[u8; 32], context: &[u8]) -> Result<Vec<u8>, Error> {
        self.call()?;
        self.inner.wrap_key(key, context)
    }

    fn unwrap_key(
        &self,
        wrapped: &[u8],
        context: &[u8],
    ) -> Result<Option<zeroize::Zeroizing<[u8; 32]>>, Error> {
        self.call()?;
        self.inner.unwrap_key(wrapped, context)
    }
}

impl FakeKms {
    fn call(&self) -> Result<(), Error> {
        use std::sync::atomic::Ordering;
        if self.down.load(Ordering::SeqCst) {
            return Err(Error::KeyWrapper {
                message: "service unavailable".to_owned(),
            });
        }
        self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[test]
fn a_key_management_service_can_be_the_root_and_is_not_called_on_seal_or_open() {
    use privacy_core::crypto::{Aad, KeyWrapper as _, Keyring, MemoryKeyStore};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;

    let calls = Arc::new(AtomicUsize::new(0));
    let down = Arc::new(AtomicBool::new(false));
    let kms = || FakeKms {
        inner: MasterKey::from_bytes([8; 32]),
        calls: Arc::clone(&calls),
        down: Arc::clone(&down),
    };
    let store = Arc::new(MemoryKeyStore::new());
    let mut keyring = Keyring::new_with_wrapper(Arc::clone(&store), kms()).unwrap();
    let at_start = calls.load(Ordering::SeqCst);
    assert!(at_start > 0);
    let aad = Aad::new("T", "f", "s");
    let env = keyring.seal_bytes(&aad, b"x").unwrap();
    for _ in 0..100 {
        keyring.open_bytes(&aad, &env).unwrap();
        keyring.seal_bytes(&aad, b"y").unwrap();
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        at_start,
        "no call per seal or open"
    );

    // Another keyring on the same store with another root fails; with the service it opens.
    assert!(matches!(
        Keyring::new(Arc::clone(&store), MasterKey::from_bytes([1; 32])).unwrap_err(),
        Error::WrongMasterKey { .. }
    ));
    // The service down while a keyring starts: its error, not a wrong-key error.
    down.store(true, Ordering::SeqCst);
    assert_eq!(
        Keyring::new_with_wrapper(Arc::clone(&store), kms())
            .unwrap_err()
            .to_string(),
        "key wrapper: service unavailable"
    );
    // ...while running keyrings keep sealing and opening from their cache.
    keyring.open_bytes(&aad, &env).unwrap();
    down.store(false, Ordering::SeqCst);

    // Moving the root from the service to a master key (or back) is one transaction.
    let master = MasterKey::from_bytes([9; 32]);
    keyring.rotate_key_wrapper(master.clone()).unwrap();
    let reopened = Keyring::new(Arc::clone(&store), master).unwrap();
    assert_eq!(&reopened.open_bytes(&aad, &env).unwrap()[..], b"x");
    assert!(Keyring::new_with_wrapper(Arc::clone(&store), kms()).is_err());
    // A master key is a KeyWrapper too: what it wraps, it unwraps.
    let key = [7u8; 32];
    let k = MasterKey::from_bytes([2; 32]);
    let wrapped = k.wrap_key(&key, b"ctx").unwrap();
    assert_eq!(*k.unwrap_key(&wrapped, b"ctx").unwrap().unwrap(), key);
    assert!(k.unwrap_key(&wrapped, b"other").unwrap().is_none());
}

#[test]
fn a_new_store_gets_a_random_blind_index_key_not_one_the_master_key_derives() {
    use privacy_core::crypto::{Keyring, MemoryKeyStore};
    let master = MasterKey::from_bytes([3; 32]);
    let a = Keyring::new(MemoryKeyStore::new(), master.clone()).unwrap();
    let b = Keyring::new(MemoryKeyStore::new(), master).unwrap();
    let index = |k: &Keyring| {
        k.blind_index("Account", "email", "ada@example.com")
            .unwrap()
    };
    assert_ne!(
        index(&a),
        index(&b),
        "the same master key, unrelated indexes"
    );
    assert_eq!(index(&a), index(&a));
}

#[test]
fn a_keyring_on_a_rotated_away_master_key_cannot_add_an_index_key_that_bricks_the_store() {
    use privacy_core::crypto::{Keyring, MemoryKeyStore};
    use std::sync::Arc;
    let store = Arc::new(MemoryKeyStore::new());
    let (old, new) = (
        MasterKey::from_bytes([3; 32]),
        MasterKey::from_bytes([4; 32]),
    );
    let mut a = Keyring::new(Arc::clone(&store), old.clone()).unwrap();
    let b = Keyring::new(Arc::clone(&store), old).unwrap();
    a.rotate_master_key(&new).unwrap();
    assert!(matches!(
        b.rotate_index_key(),
        Err(Error::WrongMasterKey { .. })
    ));
    // The store still opens with the current master key, and indexes under it.
    let c = Keyring::new(Arc::clone(&store), new).unwrap();
    assert_eq!(c.index_key_version().unwrap(), 1);
    c.rotate_index_key().unwrap();
    assert_eq!(c.index_key_version().unwrap(), 2);
}

/// A shared store that can be cut off, to test what a keyring does when it cannot read the
/// shred log, or whose shred-log reads can hang (a starved or stuck background thread).
struct Flaky {
    inner: privacy_core::crypto::MemoryKeyStore,
    down: std::sync::atomic::AtomicBool,
    stalled: std::sync::atomic::AtomicBool,
}

impl Flaky {
    fn check(&self) -> Result<(), Error> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            Err(Error::Store {
                message: "unreachable".to_owned(),
            })
        } else {
            Ok(())
        }
    }
}

impl privacy_core::crypto::KeyStore for Flaky {
    fn keks(&self) -> Result<Vec<privacy_core::crypto::WrappedKek>, Error> {
        self.check()?;
        self.inner.keks()
    }
    fn insert_kek(&self, kek: &privacy_core::crypto::WrappedKek) -> Result<bool, Error> {
        self.check()?;
        self.inner.insert_kek(kek)
    }
    fn delete_kek(&self, version: u32) -> Result<(), Error> {
        self.check()?;
        self.inner.delete_kek(version)
    }
    fn data_key(
        &self,
        subject: &str,
    ) -> Result<Option<privacy_core::crypto::DataKeyRecord>, Error> {
        self.check()?;
        self.inner.data_key(subject)
    }
    fn insert_data_keys(
        &self,
        keys: &[privacy_core::crypto::NewDataKey<'_>],
        wrap_limit: u64,
    ) -> Result<Vec<privacy_core::crypto::DataKeyRecord>, Error> {
        self.check()?;
        self.inner.insert_data_keys(keys, wrap_limit)
    }
    fn data_keys(&self) -> Result<Vec<privacy_core::crypto::DataKeyRecord>, Error> {
        self.check()?;
        self.inner.data_keys()
    }
    fn rewrap_data_key(&self, id: u32, from: u32, to: u32, w: &[u8]) -> Result<bool, Error> {
        self.check()?;
        self.inner.rewrap_data_key(id, from, to, w)
    }
    fn add_seals(&self, counts: &[(u32, u64)]) -> Result<(), Error> {
        self.check()?;
        self.inner.add_seals(counts)
    }
    fn shred(&self, subject: &str) -> Result<(), Error> {
        self.check()?;
        self.inner.shred(subject)
    }
    fn shreds_since(&self, cursor: Option<u64>) -> Result<(u64, Vec<String>), Error> {
        while self.stalled.load(std::sync::atomic::Ordering::SeqCst) {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        self.check()?;
        self.inner.shreds_since(cursor)
    }
    fn transaction(
        &self,
        f: &mut (dyn FnMut(&mut dyn privacy_core::crypto::KeyStoreTx) -> Result<(), Error> + Send),
    ) -> Result<(), Error> {
        self.check()?;
        self.inner.transaction(f)
    }
}

#[test]
fn a_keyring_that_cannot_read_the_shred_log_for_a_whole_bound_drops_its_keys() {
    use privacy_core::crypto::{Aad, KeyStore as _, Keyring};
    use std::sync::atomic::Ordering;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    let store = Arc::new(Flaky {
        inner: privacy_core::crypto::MemoryKeyStore::new(),
        down: std::sync::atomic::AtomicBool::new(false),
        stalled: std::sync::atomic::AtomicBool::new(false),
    });
    assert!(store.is_shared(), "a store of our own counts as shared");
    let keyring = Keyring::new(Arc::clone(&store), MasterKey::from_bytes([6; 32]))
        .unwrap()
        .with_shred_bound(Duration::from_millis(100));
    let aad = Aad::new("T", "f", "s");
    let env = keyring.seal_bytes(&aad, b"x").unwrap();
    store.down.store(true, Ordering::SeqCst);
    // Within the bound the cached key still serves...
    keyring.open_bytes(&aad, &env).unwrap();
    // ...after it, the keyring fails closed: it cannot know whether the subject was shredded.
    let cut = Instant::now();
    while keyring.open_bytes(&aad, &env).is_ok() {
        assert!(
            cut.elapsed() < Duration::from_millis(500),
            "still served from cache"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(
        keyring.seal_bytes(&aad, b"y").unwrap_err().to_string(),
        "key store: unreachable"
    );
    store.down.store(false, Ordering::SeqCst);
    assert_eq!(&keyring.open_bytes(&aad, &env).unwrap()[..], b"x");
}

/// A store that can stall, keyring `a` over it with `bound`, and `b` with the default bound.
fn lagging_and_prompt(
    bound: std::time::Duration,
) -> (
    std::sync::Arc<Flaky>,
    privacy_core::crypto::Keyring,
    privacy_core::crypto::Keyring,
) {
    use privacy_core::crypto::Keyring;
    use std::sync::Arc;

    let store = Arc::new(Flaky {
        inner: privacy_core::crypto::MemoryKeyStore::new(),
        down: std::sync::atomic::AtomicBool::new(false),
        stalled: std::sync::atomic::AtomicBool::new(false),
    });
    let a = Keyring::new(Arc::clone(&store), MasterKey::from_bytes([6; 32]))
        .unwrap()
        .with_shred_bound(bound);
    let b = Keyring::new(Arc::clone(&store), MasterKey::from_bytes([6; 32])).unwrap();
    (store, a, b)
}

#[test]
fn a_shred_log_reader_that_falls_behind_does_not_stretch_the_shred_bound() {
    use privacy_core::crypto::Aad;
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};

    let bound = Duration::from_millis(100);
    let (store, a, b) = lagging_and_prompt(bound);
    let (victim, other) = (Aad::new("T", "f", "victim"), Aad::new("T", "f", "other"));
    let env = b.seal_bytes(&victim, b"x").unwrap();
    let kept = b.seal_bytes(&other, b"y").unwrap();
    assert_eq!(&a.open_bytes(&victim, &env).unwrap()[..], b"x");
    // a's background thread hangs in its next read of the shred log, as a starved thread
    // or a read stuck on the network would: it never applies the shred below.
    store.stalled.store(true, Ordering::SeqCst);
    std::thread::sleep(bound / 2);
    b.shred("victim").unwrap();
    let shredded = Instant::now();
    loop {
        let asked = Instant::now();
        match a.open_bytes(&victim, &env) {
            Ok(_) => assert!(
                asked.duration_since(shredded) < bound,
                "served from cache {:?} after the shred",
                asked.duration_since(shredded)
            ),
            Err(e) => {
                assert_eq!(e, Error::Shredded);
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(a.seal_bytes(&victim, b"z"), Err(Error::Shredded));
    // Subjects that were not shredded stay available, read from the store.
    assert_eq!(&a.open_bytes(&other, &kept).unwrap()[..], b"y");
    a.seal_bytes(&other, b"w").unwrap();
    store.stalled.store(false, Ordering::SeqCst);
    assert_eq!(a.open_bytes(&victim, &env), Err(Error::Shredded));
}

#[test]
fn a_keyring_whose_background_thread_falls_behind_never_indexes_under_a_retired_key() {
    use privacy_core::crypto::Keyring;
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};

    let bound = Duration::from_millis(100);
    let (store, a, b) = lagging_and_prompt(bound);
    let index = |k: &Keyring| {
        k.blind_index("Account", "email", "ada@example.com")
            .unwrap()
    };
    let old = index(&a);
    assert_eq!(index(&b), old);
    // a's background thread hangs in its next read of the shred log: it never gets to
    // re-read the index keys itself.
    store.stalled.store(true, Ordering::SeqCst);
    std::thread::sleep(bound / 2);
    b.rotate_index_key().unwrap();
    b.retire_index_key(1).unwrap();
    let rotated = Instant::now();
    let new = index(&b);
    assert_ne!(new, old);
    loop {
        let asked = Instant::now();
        if index(&a) == new {
            break;
        }
        let after = asked.duration_since(rotated);
        assert!(
            after < bound,
            "indexed under the retired key {after:?} after"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    store.stalled.store(false, Ordering::SeqCst);
    assert_eq!(index(&a), new);
}
