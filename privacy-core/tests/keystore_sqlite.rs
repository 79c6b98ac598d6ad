//! The SQLite key store shared by several keyrings and several OS processes (this test
//! binary run again as a child): one data key per subject, shreds honoured by every
//! instance within the bound, rotation that strands no key, SIGKILL mid-operation, bulk key
//! creation, schema versions.

#[path = "support/instances.rs"]
mod instances;

use std::path::PathBuf;

use instances::{master, open};
use privacy_core::crypto::{Aad, Error, Keyring, SqliteKeyStore, SQLITE_SCHEMA_VERSION};

/// The child side of the multi-process tests (does nothing in a normal run).
#[test]
fn child_process() {
    instances::child_main();
}

/// A unique temporary directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "privacy-keystore-{name}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn spec(&self) -> String {
        format!("sqlite:{}", self.db().display())
    }

    fn db(&self) -> PathBuf {
        self.0.join("keys.sqlite")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_rotated_and_retired_index_key_reaches_every_keyring() {
    let dir = TempDir::new("index-key");
    instances::index_key_rotation_reaches_every_keyring(&dir.spec());
}

#[test]
fn racing_first_seals_from_keyrings_and_processes_give_one_data_key() {
    instances::racing_first_seals_give_one_data_key(&TempDir::new("race").spec());
}

#[test]
fn a_shred_reaches_every_keyring_and_process_within_the_bound() {
    instances::a_shred_reaches_every_instance_within_the_bound(&TempDir::new("shred").spec());
}

#[test]
fn rotation_and_rewrap_interleaved_with_seals_in_other_instances_strand_no_key() {
    instances::rotation_interleaved_with_seals_strands_no_key(&TempDir::new("rotate").spec());
}

#[test]
fn a_data_key_wrapped_by_a_retired_kek_is_refused_and_the_keyring_retries() {
    instances::a_key_wrapped_by_a_retired_kek_is_refused_and_retried(&TempDir::new("stale").spec());
}

#[test]
fn master_key_rotation_racing_kek_rotation_leaves_every_kek_open() {
    instances::master_rotation_racing_kek_rotation_leaves_every_kek_open(
        &TempDir::new("master-race").spec(),
    );
}

#[test]
fn processes_killed_mid_rewrap_master_rotation_and_first_seals_lose_nothing_handed_out() {
    instances::sigkill_mid_operation_loses_nothing_handed_out(&TempDir::new("sigkill").spec());
}

#[test]
fn prepare_subjects_creates_each_data_key_once_in_bulk() {
    instances::prepare_subjects_creates_each_key_once(&TempDir::new("bulk").spec());
}

#[test]
fn seal_counts_are_kept_in_the_store_and_limit_every_keyring() {
    instances::seal_counts_limit_every_keyring(&TempDir::new("limit").spec());
}

#[test]
fn a_store_of_a_newer_schema_version_is_refused_and_left_unchanged() {
    let dir = TempDir::new("newer");
    let keyring = open(&dir.spec(), master(7)).unwrap();
    let env = keyring
        .seal_bytes(&Aad::new("T", "f", "s"), b"kept")
        .unwrap();
    drop(keyring);
    let conn = rusqlite::Connection::open(dir.db()).unwrap();
    conn.execute(
        "UPDATE privacy_meta SET value = ?1 WHERE name = 'schema_version'",
        [SQLITE_SCHEMA_VERSION + 1],
    )
    .unwrap();
    let err = SqliteKeyStore::open(dir.db()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "the sqlite key store has schema version {}; this build reads up to {}",
            SQLITE_SCHEMA_VERSION + 1,
            SQLITE_SCHEMA_VERSION
        )
    );
    conn.execute(
        "UPDATE privacy_meta SET value = ?1 WHERE name = 'schema_version'",
        [SQLITE_SCHEMA_VERSION],
    )
    .unwrap();
    let keyring = open(&dir.spec(), master(7)).unwrap();
    assert_eq!(
        &keyring.open_bytes(&Aad::new("T", "f", "s"), &env).unwrap()[..],
        b"kept"
    );
}

#[test]
fn a_version_1_store_is_migrated_and_its_keys_still_open() {
    let dir = TempDir::new("v1");
    // A version-1 file: the tables without the version row, foreign key or shred log.
    let master_key = master(7);
    let env = {
        let keyring = open(&dir.spec(), master_key.clone()).unwrap();
        keyring
            .seal_bytes(&Aad::new("T", "f", "old"), b"from v1")
            .unwrap()
    };
    let conn = rusqlite::Connection::open(dir.db()).unwrap();
    conn.execute_batch(
        "PRAGMA foreign_keys = OFF;
         DROP TABLE privacy_meta;
         DROP TABLE privacy_shred_log;
         ALTER TABLE privacy_data_keys RENAME TO old;
         CREATE TABLE privacy_data_keys (
             key_id INTEGER PRIMARY KEY AUTOINCREMENT,
             subject TEXT NOT NULL UNIQUE,
             kek_version INTEGER,
             wrapped BLOB,
             shredded INTEGER NOT NULL DEFAULT 0
         );
         INSERT INTO privacy_data_keys
             SELECT key_id, subject, kek_version, wrapped, shredded FROM old;
         DROP TABLE old;",
    )
    .unwrap();
    drop(conn);
    let keyring = Keyring::sqlite_with_master_key(dir.db(), master_key).unwrap();
    assert_eq!(
        &keyring
            .open_bytes(&Aad::new("T", "f", "old"), &env)
            .unwrap()[..],
        b"from v1"
    );
    let conn = rusqlite::Connection::open(dir.db()).unwrap();
    let version: i64 = conn
        .query_row(
            "SELECT value FROM privacy_meta WHERE name = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(version, SQLITE_SCHEMA_VERSION);
    // The foreign key now refuses a data key under a KEK that does not exist.
    assert_eq!(
        keyring
            .store()
            .insert_data_key_if_absent("x", 99, &[0; 60])
            .unwrap_err(),
        Error::StaleKek { version: 99 }
    );
}

#[test]
fn a_version_2_store_gets_seal_counts_and_its_keys_still_open() {
    let dir = TempDir::new("v2");
    let env = open(&dir.spec(), master(7))
        .unwrap()
        .seal_bytes(&Aad::new("T", "f", "old"), b"from v2")
        .unwrap();
    let conn = rusqlite::Connection::open(dir.db()).unwrap();
    conn.execute_batch(
        "ALTER TABLE privacy_data_keys DROP COLUMN seals;
         UPDATE privacy_meta SET value = 2 WHERE name = 'schema_version';",
    )
    .unwrap();
    drop(conn);
    let keyring = open(&dir.spec(), master(7)).unwrap();
    assert_eq!(
        &keyring
            .open_bytes(&Aad::new("T", "f", "old"), &env)
            .unwrap()[..],
        b"from v2"
    );
    assert_eq!(keyring.store().data_key("old").unwrap().unwrap().seals, 0);
    let conn = rusqlite::Connection::open(dir.db()).unwrap();
    let version: i64 = conn
        .query_row(
            "SELECT value FROM privacy_meta WHERE name = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(version, SQLITE_SCHEMA_VERSION);
}

#[test]
fn an_unreachable_store_is_a_clear_error() {
    let err = SqliteKeyStore::open("/nonexistent-dir/keys.sqlite").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("key store: unable to open database file"),
        "{err}"
    );
}

#[test]
fn a_read_only_store_opens_what_it_holds_and_refuses_new_keys_with_a_clear_error() {
    let dir = TempDir::new("read-only");
    let env = open(&dir.spec(), master(7))
        .unwrap()
        .seal_bytes(&Aad::new("T", "f", "kept"), b"kept")
        .unwrap();
    let uri = format!("file:{}?mode=ro", dir.db().display());
    let read_only = Keyring::sqlite_with_master_key(&uri, master(7)).unwrap();
    assert_eq!(
        &read_only
            .open_bytes(&Aad::new("T", "f", "kept"), &env)
            .unwrap()[..],
        b"kept"
    );
    let err = read_only
        .seal_bytes(&Aad::new("T", "f", "new"), b"x")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "key store: attempt to write a readonly database"
    );
    // Nothing was lost or half-written: a writable keyring opens and seals.
    let writable = open(&dir.spec(), master(7)).unwrap();
    assert_eq!(
        &writable
            .open_bytes(&Aad::new("T", "f", "kept"), &env)
            .unwrap()[..],
        b"kept"
    );
    writable
        .seal_bytes(&Aad::new("T", "f", "new"), b"x")
        .unwrap();
}

#[test]
fn kek_wrap_counts_are_kept_in_the_store_and_move_every_keyring_to_one_new_kek() {
    let dir = TempDir::new("wraps");
    let spec = dir.spec();
    instances::kek_wrap_limit_moves_every_keyring_to_one_new_kek(
        &|| open(&spec, master(7)).unwrap(),
        Some(&spec),
    );
}

#[test]
fn a_version_3_store_gets_kek_wrap_counts_and_its_keys_still_open() {
    let dir = TempDir::new("v3");
    let envs = {
        let keyring = open(&dir.spec(), master(7)).unwrap();
        let mut envs = Vec::new();
        for subject in ["old-1", "old-2"] {
            envs.push(
                keyring
                    .seal_bytes(&Aad::new("T", "f", subject), b"from v3")
                    .unwrap(),
            );
        }
        keyring.rotate().unwrap();
        envs.push(
            keyring
                .seal_bytes(&Aad::new("T", "f", "old-3"), b"from v3")
                .unwrap(),
        );
        envs
    };
    // Back to the version-3 layout: no wrap counts.
    let conn = rusqlite::Connection::open(dir.db()).unwrap();
    conn.execute_batch(
        "ALTER TABLE privacy_keks DROP COLUMN wraps;
         UPDATE privacy_meta SET value = 3 WHERE name = 'schema_version';",
    )
    .unwrap();
    drop(conn);
    let keyring = open(&dir.spec(), master(7)).unwrap().with_kek_wrap_limit(2);
    for (subject, env) in ["old-1", "old-2", "old-3"].iter().zip(&envs) {
        assert_eq!(
            &keyring
                .open_bytes(&Aad::new("T", "f", subject), env)
                .unwrap()[..],
            b"from v3"
        );
    }
    let conn = rusqlite::Connection::open(dir.db()).unwrap();
    let version: i64 = conn
        .query_row(
            "SELECT value FROM privacy_meta WHERE name = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(version, SQLITE_SCHEMA_VERSION);
    // Each KEK starts at the data keys it wraps.
    let wraps = instances::kek_wraps(&keyring);
    assert_eq!(wraps, std::collections::BTreeMap::from([(1, 2), (2, 1)]));
    // Counting goes on from there: one more fits version 2, the next needs version 3.
    keyring
        .seal_bytes(&Aad::new("T", "f", "new-1"), b"x")
        .unwrap();
    keyring
        .seal_bytes(&Aad::new("T", "f", "new-2"), b"x")
        .unwrap();
    assert_eq!(
        instances::kek_wraps(&keyring),
        std::collections::BTreeMap::from([(1, 2), (2, 2), (3, 1)])
    );
}

#[test]
fn keyrings_sharing_one_store_value_see_each_others_shreds_within_the_bound() {
    let dir = std::env::temp_dir().join(format!("privacy-shared-conn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = std::sync::Arc::new(SqliteKeyStore::open(dir.join("keys.sqlite")).unwrap());
    let a = Keyring::new(std::sync::Arc::clone(&store), master(3)).unwrap();
    let b = Keyring::new(std::sync::Arc::clone(&store), master(3)).unwrap();
    let aad = Aad::new("Account", "email", "s-1");
    let envelope = a.seal_bytes(&aad, b"ada@example.com").unwrap();
    assert_eq!(
        &b.open_bytes(&aad, &envelope).unwrap()[..],
        b"ada@example.com"
    );
    // Both keyrings' threads have read the shred log to its end before the shred.
    std::thread::sleep(std::time::Duration::from_millis(300));
    a.shred("s-1").unwrap();
    // One connection: `PRAGMA data_version` does not move for its own commits.
    let start = std::time::Instant::now();
    while b.open_bytes(&aad, &envelope).is_ok() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(5),
            "b still opens a subject a shredded {:?} ago",
            start.elapsed()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(b.open_bytes(&aad, &envelope).unwrap_err(), Error::Shredded);
    drop((a, b, store));
    std::fs::remove_dir_all(&dir).unwrap();
}
