//! The SafePath example run twice on the same database: no failure, no duplicated data.
//! (Its own test binary: tracing's callsite cache is process-wide, and a test that logs
//! without a subscriber next to one that captures logs can disable the captured callsites.)

mod safepath_support;

use std::time::SystemTime;

use safepath_support::service::{self as service, steps, vault::Vault};
use safepath_support::{open, TempDir};

#[test]
fn running_the_demo_twice_neither_fails_nor_duplicates_data() {
    let tmp = TempDir::new("twice");
    let now = SystemTime::now();
    let count = |vault: &Vault| {
        vault
            .all::<service::model::LocationPing>()
            .expect("pings")
            .len()
            + vault
                .all::<service::model::ParentAccount>()
                .expect("parents")
                .len()
            + vault
                .all::<service::model::Invoice>()
                .expect("invoices")
                .len()
    };
    let mut first = 0;
    for run in 0..2 {
        let mut vault = open(&tmp.0);
        steps::seed(&vault, now).expect("seed");
        steps::know(&vault, steps::KNOW_PARENT, &tmp.0).expect("know");
        steps::delete(&mut vault, steps::DELETE_PARENT, &tmp.0).expect("delete");
        steps::sweep(&vault, now).expect("sweep");
        steps::inventory_report().expect("inventory");
        if run == 0 {
            first = count(&vault);
        } else {
            assert_eq!(count(&vault), first);
        }
    }
}

#[test]
fn a_corrupt_database_is_a_clear_error_not_a_panic() {
    let tmp = TempDir::new("corrupt");
    let db = tmp.0.join("safepath.sqlite");
    std::fs::write(
        &db,
        b"this is not a database, just some bytes that look like nothing",
    )
    .expect("write");
    let err = Vault::open(&db, service::demo_master_key())
        .err()
        .expect("a corrupt file is refused");
    assert!(
        err.to_string()
            .contains("is not a usable SafePath database"),
        "{err}"
    );
}
