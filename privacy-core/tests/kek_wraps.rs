//! KEK wrap counts and the KEK wrap limit over the in-memory store, shared by two keyrings
//! (the SQLite and PostgreSQL stores run the same checks in their own test files).

#[path = "support/instances.rs"]
mod instances;

use std::sync::Arc;

use privacy_core::crypto::{
    Aad, Keyring, MasterKey, MemoryKeyStore, DEFAULT_KEK_WRAP_LIMIT, DEFAULT_SEAL_LIMIT,
};

/// The child side of the shared multi-process helpers (unused here: no child processes).
#[test]
fn child_process() {
    instances::child_main();
}

#[test]
fn kek_wrap_counts_move_every_keyring_over_one_memory_store_to_one_new_kek() {
    let store = Arc::new(MemoryKeyStore::new());
    instances::kek_wrap_limit_moves_every_keyring_to_one_new_kek(
        &|| Keyring::new(Arc::clone(&store), MasterKey::from_bytes([7; 32])).unwrap(),
        None,
    );
}

#[test]
fn the_default_kek_wrap_limit_is_half_of_two_to_the_32_like_the_seal_limit() {
    assert_eq!(DEFAULT_KEK_WRAP_LIMIT, 1 << 31);
    assert_eq!(DEFAULT_KEK_WRAP_LIMIT, DEFAULT_SEAL_LIMIT);
    let keyring = Keyring::in_memory();
    let ids: Vec<String> = (0..100).map(|i| format!("user-{i}")).collect();
    assert_eq!(keyring.prepare_subjects(&ids).unwrap(), 100);
    assert_eq!(keyring.kek_version().unwrap(), 1);
    let keks = keyring.store().keks().unwrap();
    let kek = keks.iter().find(|k| k.version == 1).unwrap();
    assert_eq!(kek.wraps, 100);
    // The count is in `Debug`, the key bytes are not.
    let text = format!("{kek:?}");
    assert!(text.contains("wraps: 100"), "{text}");
}

#[test]
fn a_limit_of_one_gives_every_new_subject_its_own_kek_and_everything_opens() {
    let keyring = Keyring::in_memory().with_kek_wrap_limit(1);
    let mut envelopes = Vec::new();
    for i in 0..4 {
        let subject = format!("s-{i}");
        let env = keyring
            .seal_bytes(&Aad::new("T", "f", &subject), subject.as_bytes())
            .unwrap();
        envelopes.push((subject, env));
    }
    assert_eq!(keyring.kek_version().unwrap(), 4);
    // A limit of 0 is taken as 1.
    let keyring = keyring.with_kek_wrap_limit(0);
    keyring
        .seal_bytes(&Aad::new("T", "f", "s-4"), b"s-4")
        .unwrap();
    assert_eq!(keyring.kek_version().unwrap(), 5);
    for (subject, env) in &envelopes {
        assert_eq!(
            &keyring
                .open_bytes(&Aad::new("T", "f", subject), env)
                .unwrap()[..],
            subject.as_bytes()
        );
    }
    // A rewrap of four keys under a limit of one: every key gets a version of its own.
    assert_eq!(keyring.rewrap().unwrap(), 4);
    assert!(instances::kek_wraps(&keyring).values().all(|&n| n == 1));
    for (subject, env) in &envelopes {
        assert_eq!(
            &keyring
                .open_bytes(&Aad::new("T", "f", subject), env)
                .unwrap()[..],
            subject.as_bytes()
        );
    }
}
