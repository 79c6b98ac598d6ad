//! Requests over PostgreSQL: record stores, the ledger and the key store on a real server
//! (`PRIVACY_TEST_POSTGRES_URL`, e.g. `postgres://postgres@127.0.0.1:5432/test`), each test
//! in schemas of its own, dropped at the end even when the test fails. Without the variable
//! each test prints one line and passes.

mod requests_support;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use privacy_core::crypto::{Keyring, MasterKey, PostgresKeyStore};
use privacy_core::requests::{
    PostgresLedger, PostgresRecordStore, RecordStore, RequestKind, RequestState, Requests,
};
use requests_support::model::{self, Parent};
use requests_support::scenarios::{self, family, request};

const POSTGRES_URL_ENV: &str = "PRIVACY_TEST_POSTGRES_URL";

/// Fresh schemas (records, and ledger with keys), dropped on drop.
struct Schemas {
    url: String,
    records: String,
    ledger: String,
}

impl Schemas {
    fn new(test: &str) -> Option<Schemas> {
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
        let base = format!("rq_{test}_{}_{nanos}", std::process::id());
        let base = base[..base.len().min(55)].to_owned();
        Some(Schemas {
            url,
            records: format!("{base}_r"),
            ledger: format!("{base}_l"),
        })
    }

    fn engine(&self, batch: usize) -> Requests {
        let store: Arc<dyn RecordStore> =
            Arc::new(PostgresRecordStore::connect_in_schema(&self.url, &self.records).unwrap());
        let map = model::builder(&store).batch_size(batch).build().unwrap();
        let keys = PostgresKeyStore::connect_in_schema(&self.url, &self.ledger).unwrap();
        let keyring = Keyring::new(keys, MasterKey::from_bytes([9; 32])).unwrap();
        let ledger = PostgresLedger::connect_in_schema(&self.url, &self.ledger).unwrap();
        Requests::new(map, Arc::new(keyring), ledger)
    }
}

impl Drop for Schemas {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.url, postgres::NoTls) {
            for schema in [&self.records, &self.ledger] {
                let _ =
                    client.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"));
            }
        }
    }
}

#[test]
fn deletion_covers_every_type_nested_records_and_children_on_postgres() {
    let Some(schemas) = Schemas::new("deletion") else {
        return;
    };
    let requests = schemas.engine(4);
    scenarios::deletion_across_types(&requests);
    let mut client = postgres::Client::connect(&schemas.url, postgres::NoTls).unwrap();
    let text: i64 = client
        .query_one(
            &format!(
                "SELECT count(*) FROM \"{}\".privacy_parent WHERE sealed::text LIKE '%Name of p1%'",
                schemas.records
            ),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(text, 0);
}

#[test]
fn access_correction_and_resume_on_postgres() {
    let Some(schemas) = Schemas::new("access") else {
        return;
    };
    let requests = schemas.engine(3);
    family(&requests, "p1", 4);
    family(&requests, "p2", 1);

    let id = request(&requests, RequestKind::Access, "p1");
    let out = requests.access(&id, Vec::new()).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["records"].as_array().unwrap().len(), 14);

    let id = request(&requests, RequestKind::Correction, "p1");
    let report = requests
        .correct::<Parent>(&id, |p| p.email = "fixed@example.com".into())
        .unwrap();
    assert_eq!(report.categories, ["contact.email"]);
    let found = requests
        .map()
        .records::<Parent>()
        .unwrap()
        .find(requests.keyring(), "email", "fixed@example.com")
        .unwrap();
    assert_eq!(found.len(), 1);

    // A deletion started by one process and finished by another (a restart).
    let id = request(&requests, RequestKind::Deletion, "p1");
    drop(requests);
    let requests = schemas.engine(3);
    let mut r = requests.request(&id).unwrap();
    r.state = RequestState::InProgress;
    requests.ledger().update(&r).unwrap();
    let reports = requests.resume_pending().unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].records_deleted(), 1 + 1 + 2 + 8);
    assert_eq!(
        requests.request(&id).unwrap().state,
        RequestState::Completed
    );
}

#[test]
fn sweeps_expire_records_and_end_retained_values_on_postgres() {
    let Some(schemas) = Schemas::new("sweep") else {
        return;
    };
    scenarios::sweep_expires_by_age(&schemas.engine(2));
    let Some(schemas) = Schemas::new("sweep_retained") else {
        return;
    };
    scenarios::sweep_ends_retained_encrypted_values(&schemas.engine(2));
}
