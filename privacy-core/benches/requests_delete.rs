//! Deletion throughput of the request engine (records erased per second), beside a baseline
//! measured in the same run: one hand-written `DELETE ... WHERE subject_id = ?` of as many
//! rows of the same table. The engine does more (it opens every record to plan its report,
//! records the plan in the ledger, deletes in batches of 1,000 ids per statement,
//! compacts, shreds), so the ratio says what exactly-once and the report cost.
//!
//! `cargo bench -p privacy-core --bench requests_delete --features postgres`; PostgreSQL
//! figures need `PRIVACY_TEST_POSTGRES_URL` (fresh schemas, dropped afterwards). Targets:
//! SQLite >= 20,000 records/s, PostgreSQL >= 5,000 records/s.

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use privacy_core::crypto::Keyring;
use privacy_core::requests::{
    DataMap, Ledger, RecordStore, RequestKind, Requests, SqliteLedger, SqliteRecordStore,
    SubjectRef,
};
use privacy_core::PersonalData;
use serde::{Deserialize, Serialize};

#[derive(PersonalData, Serialize, Deserialize)]
#[personal(subject = "child")]
struct LocationPing {
    #[personal(subject_id)]
    child: String,
    #[personal(category = "location.precise", encrypt)]
    position: Option<(f64, f64)>,
    #[personal(collected_at)]
    at: SystemTime,
}

const RECORDS: u32 = 20_000;

fn seed(requests: &Requests, subject: &str) {
    let pings: Vec<LocationPing> = (0..RECORDS)
        .map(|i| LocationPing {
            child: subject.to_owned(),
            position: Some((37.77, -122.4 + f64::from(i) / 1e6)),
            at: UNIX_EPOCH,
        })
        .collect();
    requests
        .map()
        .records::<LocationPing>()
        .unwrap()
        .save_all(requests.keyring(), &pings)
        .unwrap();
}

/// Engine deletion and baseline, in records per second.
fn measure(
    name: &str,
    store: Arc<dyn RecordStore>,
    ledger: impl Ledger + 'static,
    raw_delete: &dyn Fn(&str) -> u64,
) {
    let map = DataMap::builder()
        .store::<LocationPing>(store)
        .build()
        .unwrap();
    let requests = Requests::new(map, Arc::new(Keyring::in_memory()), ledger);
    seed(&requests, "engine");
    seed(&requests, "baseline");

    let request = requests
        .receive(
            RequestKind::Deletion,
            SubjectRef::new("child", "engine"),
            "bench",
        )
        .unwrap();
    requests.verify(&request.id).unwrap();
    let start = Instant::now();
    let report = requests.delete(&request.id).unwrap();
    let engine = start.elapsed();
    assert_eq!(report.records_deleted(), u64::from(RECORDS));

    let start = Instant::now();
    let deleted = raw_delete("baseline");
    let raw = start.elapsed();
    assert_eq!(deleted, u64::from(RECORDS));

    let rate = |d: std::time::Duration| f64::from(RECORDS) / d.as_secs_f64();
    println!(
        "{name}: engine deletion {:.0} records/s ({RECORDS} records in {:.3} s); baseline one DELETE {:.0} records/s; ratio {:.2}",
        rate(engine),
        engine.as_secs_f64(),
        rate(raw),
        rate(engine) / rate(raw),
    );
}

fn main() {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let dir = std::env::temp_dir().join(format!("privacy-bench-requests-{nanos}"));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("app.db");
    let store = Arc::new(SqliteRecordStore::open(&db).unwrap());
    let ledger = SqliteLedger::open(dir.join("ledger.db")).unwrap();
    let raw = rusqlite::Connection::open(&db).unwrap();
    measure("sqlite", store, ledger, &|subject| {
        raw.execute(
            "DELETE FROM privacy_locationping WHERE subject_id = ?1",
            [subject],
        )
        .unwrap() as u64
    });
    std::fs::remove_dir_all(&dir).unwrap();

    #[cfg(feature = "postgres")]
    postgres_bench(nanos);
}

#[cfg(feature = "postgres")]
fn postgres_bench(nanos: u32) {
    use privacy_core::requests::{PostgresLedger, PostgresRecordStore};
    let Ok(url) = std::env::var("PRIVACY_TEST_POSTGRES_URL") else {
        println!("postgres: skipped (set PRIVACY_TEST_POSTGRES_URL)");
        return;
    };
    let schema = format!("bench_requests_{}_{nanos}", std::process::id());
    let store = Arc::new(PostgresRecordStore::connect_in_schema(&url, &schema).unwrap());
    let ledger = PostgresLedger::connect_in_schema(&url, &schema).unwrap();
    let mut raw = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let sql = format!("DELETE FROM \"{schema}\".privacy_locationping WHERE subject_id = $1");
    let raw = std::cell::RefCell::new(&mut raw);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        measure("postgres", store, ledger, &|subject| {
            raw.borrow_mut().execute(&sql, &[&subject]).unwrap()
        });
    }));
    let _ = raw
        .borrow_mut()
        .batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"));
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}
