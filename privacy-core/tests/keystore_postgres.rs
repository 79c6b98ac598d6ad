//! The PostgreSQL key store on a real server (`PRIVACY_TEST_POSTGRES_URL`, e.g.
//! `postgres://postgres@127.0.0.1:5432/test`), shared by several keyrings and several OS
//! processes: the same checks as the SQLite store, plus async use from a multi-thread tokio
//! runtime, schema versions and an unreachable server. Each test works in a schema of its
//! own, so tests run in parallel. Without the variable each test prints one line and passes.

#[path = "support/instances.rs"]
mod instances;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use instances::{master, open, POSTGRES_URL_ENV};
use privacy_core::crypto::{Aad, Error, Keyring, PostgresKeyStore, POSTGRES_SCHEMA_VERSION};

/// The child side of the multi-process tests (does nothing in a normal run).
#[test]
fn child_process() {
    instances::child_main();
}

/// A fresh schema on the test server, dropped afterwards; `None` (and one line saying so)
/// when `PRIVACY_TEST_POSTGRES_URL` is unset.
struct Schema {
    url: String,
    name: String,
}

impl Schema {
    fn new(test: &str) -> Option<Schema> {
        let Ok(url) = std::env::var(POSTGRES_URL_ENV) else {
            println!(
                "skipped {test}: set {POSTGRES_URL_ENV} to run it against a PostgreSQL server"
            );
            return None;
        };
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!("t_{test}_{}_{nanos}", std::process::id());
        let name = name[..name.len().min(63)].to_owned();
        Some(Schema { url, name })
    }

    fn spec(&self) -> String {
        format!("postgres:{}", self.name)
    }

    fn sql(&self, statement: &str) {
        let mut client = postgres::Client::connect(&self.url, postgres::NoTls).unwrap();
        client.batch_execute(statement).unwrap();
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.url, postgres::NoTls) {
            let _ =
                client.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name));
        }
    }
}

#[test]
fn a_rotated_and_retired_index_key_reaches_every_keyring() {
    let Some(schema) = Schema::new("index_key") else {
        return;
    };
    instances::index_key_rotation_reaches_every_keyring(&schema.spec());
}

#[test]
fn racing_first_seals_from_keyrings_and_processes_give_one_data_key() {
    let Some(schema) = Schema::new("race") else {
        return;
    };
    instances::racing_first_seals_give_one_data_key(&schema.spec());
}

#[test]
fn a_shred_reaches_every_keyring_and_process_within_the_bound() {
    let Some(schema) = Schema::new("shred") else {
        return;
    };
    instances::a_shred_reaches_every_instance_within_the_bound(&schema.spec());
}

#[test]
fn rotation_and_rewrap_interleaved_with_seals_in_other_instances_strand_no_key() {
    let Some(schema) = Schema::new("rotate") else {
        return;
    };
    instances::rotation_interleaved_with_seals_strands_no_key(&schema.spec());
}

#[test]
fn a_data_key_wrapped_by_a_retired_kek_is_refused_and_the_keyring_retries() {
    let Some(schema) = Schema::new("stale") else {
        return;
    };
    instances::a_key_wrapped_by_a_retired_kek_is_refused_and_retried(&schema.spec());
}

#[test]
fn master_key_rotation_racing_kek_rotation_leaves_every_kek_open() {
    let Some(schema) = Schema::new("master_race") else {
        return;
    };
    instances::master_rotation_racing_kek_rotation_leaves_every_kek_open(&schema.spec());
}

#[test]
fn processes_killed_mid_rewrap_master_rotation_and_first_seals_lose_nothing_handed_out() {
    let Some(schema) = Schema::new("sigkill") else {
        return;
    };
    instances::sigkill_mid_operation_loses_nothing_handed_out(&schema.spec());
}

#[test]
fn prepare_subjects_creates_each_data_key_once_in_bulk() {
    let Some(schema) = Schema::new("bulk") else {
        return;
    };
    instances::prepare_subjects_creates_each_key_once(&schema.spec());
}

#[test]
fn keyring_postgres_reads_the_master_key_from_the_environment_and_uses_schema_public() {
    let Some(schema) = Schema::new("public") else {
        return;
    };
    // Schema `public` outlives the run: every run uses the same master key, so the next run
    // opens what this one created (a store someone else made there is left alone).
    let keyring = Keyring::postgres_with_master_key(&schema.url, master(42));
    match keyring {
        Ok(keyring) => {
            let env = keyring
                .seal_bytes(&Aad::new("T", "f", "pub"), b"x")
                .unwrap();
            assert_eq!(
                &keyring
                    .open_bytes(&Aad::new("T", "f", "pub"), &env)
                    .unwrap()[..],
                b"x"
            );
        }
        Err(Error::WrongMasterKey { .. }) => {}
        Err(e) => panic!("{e}"),
    }
    // Without PRIVACY_MASTER_KEY in the environment: a clear error, not a generated key.
    if std::env::var("PRIVACY_MASTER_KEY").is_err() {
        assert_eq!(
            Keyring::postgres(&schema.url).unwrap_err(),
            Error::MissingMasterKey {
                var: "PRIVACY_MASTER_KEY"
            }
        );
    }
}

#[test]
fn seal_open_and_shred_from_tasks_of_a_multi_thread_tokio_runtime_never_panic() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    tasks_seal_open_shred_and_rotate("tokio", &runtime);
}

#[test]
fn seal_open_and_shred_from_tasks_of_a_current_thread_tokio_runtime_never_panic() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tasks_seal_open_shred_and_rotate("tokio_current", &runtime);
}

/// Seal, open, shred, rotate and rewrap from tasks of `runtime` (a store call blocks there:
/// it must not panic with "cannot start a runtime from within a runtime").
fn tasks_seal_open_shred_and_rotate(name: &str, runtime: &tokio::runtime::Runtime) {
    let Some(schema) = Schema::new(name) else {
        return;
    };
    let spec = schema.spec();
    runtime.block_on(async move {
        // Even opening the store and dropping the keyring happen inside the runtime.
        let keyring = std::sync::Arc::new(open(&spec, master(7)).unwrap());
        // Two tasks per subject seal and open concurrently; the shred waits until every task
        // has sealed (a task scheduled after it would rightly be refused), then every task
        // sees the subject refused.
        let sealed = std::sync::Arc::new(tokio::sync::Barrier::new(8));
        let shredded = std::sync::Arc::new(tokio::sync::Barrier::new(8));
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let keyring = std::sync::Arc::clone(&keyring);
                let (sealed, shredded) = (
                    std::sync::Arc::clone(&sealed),
                    std::sync::Arc::clone(&shredded),
                );
                tokio::spawn(async move {
                    let subject = format!("async-{}", i % 4);
                    let aad = Aad::new("Account", "email", &subject);
                    let env = keyring.seal_bytes(&aad, b"async").unwrap();
                    assert_eq!(&keyring.open_bytes(&aad, &env).unwrap()[..], b"async");
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    sealed.wait().await;
                    if i == 0 {
                        keyring.shred("async-0").unwrap();
                    }
                    shredded.wait().await;
                    let opened = keyring.open_bytes(&aad, &env);
                    if i % 4 == 0 {
                        assert!(matches!(opened, Err(Error::Shredded)), "{opened:?}");
                    } else {
                        assert_eq!(&opened.unwrap()[..], b"async");
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        // Bulk and admin work belongs on the blocking pool.
        let admin = std::sync::Arc::clone(&keyring);
        tokio::task::spawn_blocking(move || {
            admin.rotate().unwrap();
            admin.rewrap().unwrap();
        })
        .await
        .unwrap();
        assert_eq!(
            keyring.seal_bytes(&Aad::new("Account", "email", "async-0"), b"x"),
            Err(Error::Shredded)
        );
        let fresh = open(&spec, master(7)).unwrap();
        fresh
            .seal_bytes(&Aad::new("Account", "email", "async-1"), b"x")
            .unwrap();
        drop(fresh);
        drop(keyring);
    });
}

#[test]
fn seal_counts_are_kept_in_the_store_and_limit_every_keyring() {
    let Some(schema) = Schema::new("limit") else {
        return;
    };
    instances::seal_counts_limit_every_keyring(&schema.spec());
}

#[test]
fn a_version_1_store_gets_seal_counts_and_its_keys_still_open() {
    let Some(schema) = Schema::new("v1") else {
        return;
    };
    let env = open(&schema.spec(), master(7))
        .unwrap()
        .seal_bytes(&Aad::new("T", "f", "old"), b"from v1")
        .unwrap();
    // Back to the version-1 layout: no seal counts.
    schema.sql(&format!(
        "ALTER TABLE \"{0}\".privacy_data_keys DROP COLUMN seals;
         UPDATE \"{0}\".privacy_meta SET value = 1 WHERE name = 'schema_version'",
        schema.name
    ));
    let keyring = open(&schema.spec(), master(7)).unwrap();
    assert_eq!(
        &keyring
            .open_bytes(&Aad::new("T", "f", "old"), &env)
            .unwrap()[..],
        b"from v1"
    );
    assert_eq!(keyring.store().data_key("old").unwrap().unwrap().seals, 0);
}

#[test]
fn a_keyring_reconnects_after_the_server_drops_its_connections() {
    let Some(schema) = Schema::new("reconnect") else {
        return;
    };
    let keyring = open(&schema.spec(), master(7)).unwrap();
    let other = open(&schema.spec(), master(7)).unwrap();
    let aad = |s| Aad::new("T", "f", s);
    let before = keyring.seal_bytes(&aad("a"), b"a").unwrap();
    assert_eq!(&other.open_bytes(&aad("a"), &before).unwrap()[..], b"a");
    // What a server restart or a fail-over does to every open connection of this store,
    // the listening ones included. The server may answer the next query with the
    // termination (57P01) before the client sees the socket close, or the socket may be
    // closed first: which one comes is a race, so the drop is repeated.
    let app = format!("privacy-core keys {}", schema.name);
    let terminate = format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE application_name = '{}'",
        &app[..app.len().min(63)]
    );
    for round in 0..8 {
        schema.sql(&terminate);
        // A cache miss and a first seal on the dropped connection: retried on a new one.
        let subject = format!("b{round}");
        let after = keyring
            .seal_bytes(&Aad::new("T", "f", &subject), b"b")
            .unwrap();
        let fresh = open(&schema.spec(), master(7)).unwrap();
        assert_eq!(&fresh.open_bytes(&aad("a"), &before).unwrap()[..], b"a");
        assert_eq!(
            &fresh
                .open_bytes(&Aad::new("T", "f", &subject), &after)
                .unwrap()[..],
            b"b"
        );
    }
    schema.sql(&terminate);
    // The other keyring's shred-log reader reconnects too: the bound still holds.
    keyring.shred("a").unwrap();
    let shredded = std::time::Instant::now();
    loop {
        let asked = std::time::Instant::now();
        if other.open_bytes(&aad("a"), &before).is_err() {
            break;
        }
        assert!(
            asked.duration_since(shredded) < Duration::from_secs(1),
            "the shred did not arrive"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_store_of_a_newer_schema_version_is_refused_and_left_unchanged() {
    let Some(schema) = Schema::new("newer") else {
        return;
    };
    let keyring = open(&schema.spec(), master(7)).unwrap();
    let env = keyring
        .seal_bytes(&Aad::new("T", "f", "s"), b"kept")
        .unwrap();
    drop(keyring);
    let set = |v: i64| {
        schema.sql(&format!(
            "UPDATE \"{}\".privacy_meta SET value = {v} WHERE name = 'schema_version'",
            schema.name
        ));
    };
    set(POSTGRES_SCHEMA_VERSION + 1);
    let err = PostgresKeyStore::connect_in_schema(&schema.url, &schema.name).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "the postgres key store has schema version {}; this build reads up to {}",
            POSTGRES_SCHEMA_VERSION + 1,
            POSTGRES_SCHEMA_VERSION
        )
    );
    set(POSTGRES_SCHEMA_VERSION);
    let keyring = open(&schema.spec(), master(7)).unwrap();
    assert_eq!(
        &keyring.open_bytes(&Aad::new("T", "f", "s"), &env).unwrap()[..],
        b"kept"
    );
}

#[test]
fn an_unreachable_server_or_a_bad_url_is_a_clear_error_without_the_password() {
    let Some(_schema) = Schema::new("unreachable") else {
        return;
    };
    let err = PostgresKeyStore::connect("postgres://user:hunter2@127.0.0.1:1/db").unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("key store: postgres: error connecting to server"),
        "{text}"
    );
    assert!(!text.contains("hunter2"));
    let err = PostgresKeyStore::connect("postgres://user:hunter2@[bad").unwrap_err();
    assert_eq!(
        err.to_string(),
        "key store: invalid PostgreSQL connection string"
    );
    let err =
        PostgresKeyStore::connect_in_schema("postgres://localhost/db", "bad; DROP").unwrap_err();
    assert!(err.to_string().contains("invalid PostgreSQL schema name"));
}

#[test]
fn a_read_only_connection_opens_what_the_store_holds_and_refuses_new_keys_clearly() {
    let Some(schema) = Schema::new("read_only") else {
        return;
    };
    let env = open(&schema.spec(), master(7))
        .unwrap()
        .seal_bytes(&Aad::new("T", "f", "kept"), b"kept")
        .unwrap();
    let url = format!(
        "{}{}options=-c%20default_transaction_read_only%3Don",
        schema.url,
        if schema.url.contains('?') { "&" } else { "?" }
    );
    let store = PostgresKeyStore::connect_in_schema(&url, &schema.name).unwrap();
    let read_only = Keyring::new(store, master(7)).unwrap();
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
        "key store: postgres 25006: the store is read-only here (read-only transaction)"
    );
    let writable = open(&schema.spec(), master(7)).unwrap();
    writable
        .seal_bytes(&Aad::new("T", "f", "new"), b"x")
        .unwrap();
}

#[test]
fn kek_wrap_counts_are_kept_in_the_store_and_move_every_keyring_to_one_new_kek() {
    let Some(schema) = Schema::new("wraps") else {
        return;
    };
    let spec = schema.spec();
    instances::kek_wrap_limit_moves_every_keyring_to_one_new_kek(
        &|| open(&spec, master(7)).unwrap(),
        Some(&spec),
    );
}

#[test]
fn a_version_2_store_gets_kek_wrap_counts_and_its_keys_still_open() {
    let Some(schema) = Schema::new("v2wraps") else {
        return;
    };
    let envs = {
        let keyring = open(&schema.spec(), master(7)).unwrap();
        let mut envs = Vec::new();
        for subject in ["old-1", "old-2"] {
            envs.push(
                keyring
                    .seal_bytes(&Aad::new("T", "f", subject), b"from v2")
                    .unwrap(),
            );
        }
        keyring.rotate().unwrap();
        envs.push(
            keyring
                .seal_bytes(&Aad::new("T", "f", "old-3"), b"from v2")
                .unwrap(),
        );
        envs
    };
    // Back to the version-2 layout: no wrap counts.
    schema.sql(&format!(
        "ALTER TABLE \"{0}\".privacy_keks DROP COLUMN wraps;
         UPDATE \"{0}\".privacy_meta SET value = 2 WHERE name = 'schema_version'",
        schema.name
    ));
    let keyring = open(&schema.spec(), master(7))
        .unwrap()
        .with_kek_wrap_limit(2);
    for (subject, env) in ["old-1", "old-2", "old-3"].iter().zip(&envs) {
        assert_eq!(
            &keyring
                .open_bytes(&Aad::new("T", "f", subject), env)
                .unwrap()[..],
            b"from v2"
        );
    }
    let mut client = postgres::Client::connect(&schema.url, postgres::NoTls).unwrap();
    let version: i64 = client
        .query_one(
            &format!(
                "SELECT value FROM \"{}\".privacy_meta WHERE name = 'schema_version'",
                schema.name
            ),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(version, POSTGRES_SCHEMA_VERSION);
    // Each KEK starts at the data keys it wraps.
    assert_eq!(
        instances::kek_wraps(&keyring),
        std::collections::BTreeMap::from([(1, 2), (2, 1)])
    );
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

/// The whole #14 surface as a service uses it: records written the way API code writes them
/// (`rename_all`, an internally tagged enum, a blind-indexed `Vec`), sealed streamed from the
/// tasks of a multi-thread tokio runtime through two keyrings over one PostgreSQL store, with a
/// KEK wrap limit small enough that the tasks race past it; then found by blind index from the
/// other keyring, before and after an index-key rotation, reindex and retirement.
#[test]
fn tokio_tasks_over_two_keyrings_seal_find_rotate_and_reindex_as_one() {
    use privacy_core::crypto::Sealed;
    use privacy_core::PersonalData;
    use serde::{Deserialize, Serialize};
    use std::sync::Arc;

    #[derive(PersonalData, Serialize, Deserialize, PartialEq, Clone)]
    #[serde(tag = "kind", rename_all = "camelCase")]
    enum Contact {
        Email {
            #[personal(category = "contact.email", encrypt)]
            address: String,
        },
        Phone {
            #[personal(category = "contact.phone", encrypt)]
            number: String,
        },
    }

    #[derive(PersonalData, Serialize, Deserialize, PartialEq, Clone)]
    #[serde(rename_all = "camelCase")]
    struct Member {
        #[personal(subject_id)]
        account_id: String,
        #[personal(category = "contact.email", encrypt, blind_index(bits = 32))]
        login_emails: Vec<String>,
        #[personal(nested)]
        contact: Contact,
    }

    let Some(schema) = Schema::new("user_path") else {
        return;
    };
    let spec = schema.spec();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let a = Arc::new(open(&spec, master(9)).unwrap().with_kek_wrap_limit(3));
        let b = Arc::new(open(&spec, master(9)).unwrap().with_kek_wrap_limit(3));
        let tasks: Vec<_> = (0..10)
            .map(|i| {
                let keyring = Arc::clone(if i % 2 == 0 { &a } else { &b });
                tokio::spawn(async move {
                    let member = Member {
                        account_id: format!("member-{i}"),
                        login_emails: vec![format!("m{i}@example.com"), format!("m{i}@work.test")],
                        contact: if i % 3 == 0 {
                            Contact::Phone {
                                number: format!("+1555000{i:04}"),
                            }
                        } else {
                            Contact::Email {
                                address: format!("home{i}@example.com"),
                            }
                        },
                    };
                    let text = keyring.seal_json(&member).unwrap();
                    assert!(!text.contains("example.com") && !text.contains("+1555"));
                    (member, text)
                })
            })
            .collect();
        let mut written = Vec::new();
        for t in tasks {
            written.push(t.await.unwrap());
        }
        // Ten new subjects under a limit of 3 wraps per KEK: the keyrings moved on together,
        // to exactly the versions ten keys need (a keyring learns of a newer KEK when it next
        // wraps a key, so the store is asked, through a fresh keyring).
        let store_view = open(&spec, master(9)).unwrap();
        assert_eq!(store_view.kek_version().unwrap(), 4, "3 + 3 + 3 + 1 keys");
        drop(store_view);

        let rows: Vec<Sealed<Member>> = written
            .iter()
            .map(|(_, text)| serde_json::from_str(text).unwrap())
            .collect();
        for (member, text) in &written {
            assert!(a.open_json::<Member>(text).unwrap() == *member);
            assert!(b.open_json::<Member>(text).unwrap() == *member);
        }
        let found = b.find("login_emails", "m7@work.test", &rows).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].account_id, "member-7");

        // Rotation, reindex and retirement are admin work: on the blocking pool.
        let admin = Arc::clone(&a);
        let rows = tokio::task::spawn_blocking(move || {
            let old = admin.index_key_version().unwrap();
            let new = admin.rotate_index_key().unwrap();
            assert!(new > old);
            let rows: Vec<_> = rows.iter().map(|r| admin.reindex(r).unwrap()).collect();
            admin.retire_index_key(old).unwrap();
            rows
        })
        .await
        .unwrap();
        let fresh = open(&spec, master(9)).unwrap();
        assert_eq!(
            fresh
                .blind_index_candidates_for::<Member, _>("login_emails", "m4@example.com")
                .unwrap()
                .len(),
            1,
            "the retired index key is gone for every keyring"
        );
        let found = fresh.find("login_emails", "m4@example.com", &rows).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].account_id, "member-4");
    });
}
