//! Requests over the data map with SQLite record stores and an SQLite ledger (real files in
//! a temporary directory): the data map's checks, deletion across record types (nested
//! records, a child reached through its parent, retained fields), resuming an interrupted
//! deletion, access (streamed, and visibly incomplete after an error), correction,
//! portability, due dates, replay after a restore.

mod requests_support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use privacy_core::crypto::{Keyring, MasterKey};
use privacy_core::requests::{
    assert_complete, DataMap, Problem, RecordStore, Regime, RequestError, RequestKind,
    RequestState, Requests, SqliteLedger, SqliteRecordStore, StoreError, StoredRecord, SubjectRef,
    INCOMPLETE_MARKER,
};
use requests_support::model::{self, at, Child, LocationPing, Note, Parent};
use requests_support::scenarios::{self, family, request};

/// A temporary directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "privacy-requests-{test}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn keyring(dir: &TempDir) -> Arc<Keyring> {
    Arc::new(
        Keyring::sqlite_with_master_key(dir.path("keys.db"), MasterKey::from_bytes([7; 32]))
            .unwrap(),
    )
}

fn engine(dir: &TempDir, store: &Arc<dyn RecordStore>, batch: usize) -> Requests {
    let map = model::builder(store).batch_size(batch).build().unwrap();
    let ledger = SqliteLedger::open(dir.path("ledger.db")).unwrap();
    Requests::new(map, keyring(dir), ledger)
}

fn sqlite(dir: &TempDir) -> Arc<dyn RecordStore> {
    Arc::new(SqliteRecordStore::open(dir.path("app.db")).unwrap())
}

/// Every byte of the database file and its WAL.
fn file_bytes(path: &Path) -> Vec<u8> {
    let mut bytes = std::fs::read(path).unwrap_or_default();
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    bytes.extend(std::fs::read(PathBuf::from(wal)).unwrap_or_default());
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn a_type_left_out_of_the_map_is_reported_by_name() {
    let dir = TempDir::new("unmapped");
    let store = sqlite(&dir);
    let err = DataMap::builder()
        .store::<Parent>(store.clone())
        .store::<Child>(store.clone())
        .route::<Child>("parent", |c| Some(c.parent_id.clone()))
        .build()
        .unwrap_err();
    let text = err.to_string();
    for missing in [
        "::Invoice",
        "::Receipt",
        "::LocationPing",
        "::Note",
        "::SignupRequest",
    ] {
        assert!(text.contains(missing), "{missing} in {text}");
    }
    // Nested in a stored type: covered; stored: not reported.
    assert!(
        !text.contains("::Device ") && !text.contains("::Parent "),
        "{text}"
    );
    assert_eq!(err.problems.len(), 5, "{text}");
    assert!(text.contains(
        "requests_sqlite::requests_support::model::Note (record `Note`) derives PersonalData but no store holds it"
    ), "{text}");

    // The one-line check a service writes in its own tests.
    assert_complete(&model::builder(&store));
    let incomplete = std::panic::catch_unwind(|| assert_complete(&DataMap::builder()));
    assert!(incomplete.is_err());
}

#[test]
fn a_stored_type_without_subject_id_or_route_is_an_error_naming_it() {
    let dir = TempDir::new("nosubject");
    let store = sqlite(&dir);
    let err = DataMap::builder()
        .store::<Parent>(store.clone())
        .store::<model::Invoice>(store.clone())
        .store::<model::Receipt>(store.clone())
        .store::<Child>(store.clone())
        .store::<LocationPing>(store.clone())
        .store::<Note>(store.clone())
        .never_stored::<model::SignupRequest>()
        .build()
        .unwrap_err();
    assert!(
        matches!(
            err.problems.as_slice(),
            [Problem::NoSubject { type_name }] if type_name.ends_with("::Note")
        ),
        "{err}"
    );
}

#[test]
fn deletion_covers_every_type_nested_records_and_children_through_the_parent() {
    let dir = TempDir::new("deletion");
    let requests = engine(&dir, &sqlite(&dir), 4);
    scenarios::deletion_across_types(&requests);
    // Nothing of the erased family is left in the database file or its WAL.
    let bytes = file_bytes(&dir.path("app.db"));
    for gone in [
        "p1-mail@example.com",
        "Name of p1",
        "SN-p1-A",
        "Kid p1-c1",
        "secret note by p1",
        "p1-billing@example.com",
    ] {
        assert!(!contains(&bytes, gone), "{gone} left in the data file");
    }
    assert!(
        contains(&bytes, "Name of p2"),
        "the other family is in the file"
    );
}

/// A store that fails its `n`-th delete or page read (counting from 1), once.
struct Failing {
    inner: Arc<dyn RecordStore>,
    fail_delete_at: AtomicU64,
    fail_page_at: AtomicU64,
    deletes: AtomicU64,
    pages: AtomicU64,
}

impl Failing {
    fn new(inner: Arc<dyn RecordStore>) -> Arc<Failing> {
        Arc::new(Failing {
            inner,
            fail_delete_at: AtomicU64::new(0),
            fail_page_at: AtomicU64::new(0),
            deletes: AtomicU64::new(0),
            pages: AtomicU64::new(0),
        })
    }
}

impl RecordStore for Failing {
    fn ensure_table(&self, table: &str) -> Result<(), StoreError> {
        self.inner.ensure_table(table)
    }
    fn save(&self, table: &str, rows: &[StoredRecord]) -> Result<(), StoreError> {
        self.inner.save(table, rows)
    }
    fn page(
        &self,
        table: &str,
        subject: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        let n = self.pages.fetch_add(1, Ordering::SeqCst) + 1;
        if n == self.fail_page_at.load(Ordering::SeqCst) {
            return Err(StoreError::new("read", "injected failure"));
        }
        self.inner.page(table, subject, after, limit)
    }
    fn delete(&self, table: &str, ids: &[String]) -> Result<u64, StoreError> {
        let n = self.deletes.fetch_add(1, Ordering::SeqCst) + 1;
        if n == self.fail_delete_at.load(Ordering::SeqCst) {
            // Half the batch goes before the failure, as a crash mid-batch would leave it.
            let half = ids.len() / 2;
            self.inner.delete(table, &ids[..half])?;
            return Err(StoreError::new("delete", "injected failure"));
        }
        self.inner.delete(table, ids)
    }
    fn count(&self, table: &str, subject: &str) -> Result<u64, StoreError> {
        self.inner.count(table, subject)
    }
    fn find_by_index(
        &self,
        table: &str,
        field: &str,
        index: &str,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        self.inner.find_by_index(table, field, index, limit)
    }
    fn linked_subjects(
        &self,
        table: &str,
        link: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        self.inner.linked_subjects(table, link, after, limit)
    }
}

#[test]
fn a_deletion_interrupted_midway_resumes_to_one_complete_report() {
    let dir = TempDir::new("resume");
    let failing = Failing::new(sqlite(&dir));
    let requests = engine(&dir, &(failing.clone() as Arc<dyn RecordStore>), 10);
    let kids = family(&requests, "p1", 45);
    let id = request(&requests, RequestKind::Deletion, "p1");

    // Fail in the middle of the first child's pings (5 batches of 10).
    failing.fail_delete_at.store(6, Ordering::SeqCst);
    let err = requests.delete(&id).unwrap_err();
    assert_eq!(
        err.to_string(),
        "record store: delete failed: injected failure"
    );
    let failed = requests.request(&id).unwrap();
    assert_eq!(failed.state, RequestState::Failed);
    assert_eq!(
        failed.failure.as_deref(),
        Some("record store: delete failed: injected failure")
    );
    let pings = requests.map().records::<LocationPing>().unwrap();
    let left = pings.count(&kids[0]).unwrap();
    assert!(left > 0 && left < 45, "{left} pings left mid-way");

    let reports = requests.resume_pending().unwrap();
    assert_eq!(reports.len(), 1);
    let report = &reports[0];
    // The report counts what was there before the first attempt, once.
    let ping_counts: Vec<u64> = report
        .stores
        .iter()
        .filter(|s| s.record == "LocationPing")
        .map(|s| s.records_deleted)
        .collect();
    assert_eq!(ping_counts, [45, 45]);
    assert_eq!(pings.count(&kids[0]).unwrap(), 0);
    assert_eq!(pings.count(&kids[1]).unwrap(), 0);
    let done = requests.request(&id).unwrap();
    assert_eq!(done.state, RequestState::Completed);
    assert_eq!(done.report_digest, Some(report.digest().unwrap()));
    assert!(requests.resume_pending().unwrap().is_empty());
}

#[test]
fn access_streams_every_store_into_one_document_with_the_children() {
    let dir = TempDir::new("access");
    let requests = engine(&dir, &sqlite(&dir), 3);
    family(&requests, "p1", 4);
    family(&requests, "p2", 1);
    let id = request(&requests, RequestKind::Access, "p1");
    let out = requests.access(&id, Vec::new()).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let records = doc["records"].as_array().unwrap();
    // parent, 2 invoices, note, 2 children, 8 pings.
    assert_eq!(records.len(), 14);
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(text.contains("p1-mail@example.com") && !text.contains("p2-mail@example.com"));
    assert_eq!(
        doc["subject"]["dependents"],
        serde_json::json!(["p1-c1", "p1-c2"])
    );
    let done = requests.request(&id).unwrap();
    assert_eq!(done.state, RequestState::Completed);
    assert_eq!(done.report_digest.unwrap().len(), 64);
}

#[test]
fn an_access_request_failing_midway_leaves_a_document_that_does_not_parse() {
    let dir = TempDir::new("access-fail");
    let failing = Failing::new(sqlite(&dir));
    let requests = engine(&dir, &(failing.clone() as Arc<dyn RecordStore>), 2);
    family(&requests, "p1", 6);
    let id = request(&requests, RequestKind::Access, "p1");
    failing.pages.store(0, Ordering::SeqCst);
    failing.fail_page_at.store(5, Ordering::SeqCst);
    let mut out = Vec::new();
    let err = requests.access(&id, &mut out).unwrap_err();
    assert!(matches!(err, RequestError::Store(_)), "{err}");
    assert!(!out.is_empty());
    assert!(serde_json::from_slice::<serde_json::Value>(&out).is_err());
    assert!(String::from_utf8(out).unwrap().ends_with(INCOMPLETE_MARKER));
    assert_eq!(requests.request(&id).unwrap().state, RequestState::Failed);
}

#[test]
fn a_correction_reseals_the_new_value_and_reports_categories_only() {
    let dir = TempDir::new("correct");
    let requests = engine(&dir, &sqlite(&dir), 10);
    family(&requests, "p1", 1);
    let id = request(&requests, RequestKind::Correction, "p1");
    let report = requests
        .correct::<Parent>(&id, |p| p.email = "new-address@example.com".into())
        .unwrap();
    assert_eq!((report.records_seen, report.records_changed), (1, 1));
    assert_eq!(report.fields, ["email"]);
    assert_eq!(report.categories, ["contact.email"]);
    let json = serde_json::to_string(&report).unwrap();
    assert!(!json.contains("new-address") && !json.contains("p1-mail"));
    let parents = requests.map().records::<Parent>().unwrap();
    let found = parents
        .find(requests.keyring(), "email", "new-address@example.com")
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].record.name, "Name of p1");
    assert!(parents
        .find(requests.keyring(), "email", "p1-mail@example.com")
        .unwrap()
        .is_empty());
    assert_eq!(
        requests.request(&id).unwrap().state,
        RequestState::Completed
    );
}

#[test]
fn portability_writes_only_what_the_person_provided() {
    let dir = TempDir::new("portability");
    let requests = engine(&dir, &sqlite(&dir), 10);
    family(&requests, "p1", 2);
    let id = request(&requests, RequestKind::Portability, "p1");
    let out = requests.portability(&id, Vec::new()).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let records = doc["records"].as_array().unwrap();
    let parent = records.iter().find(|r| r["record"] == "Parent").unwrap();
    assert_eq!(
        parent["data"],
        serde_json::json!({"email": "p1-mail@example.com", "displayName": "Name of p1", "phone": "+1 415 555 0134"})
    );
    // Children's data the parent gave; no device data, no pings, no invoices.
    let child = records.iter().find(|r| r["record"] == "Child").unwrap();
    assert_eq!(
        child["data"],
        serde_json::json!({"name": "Kid p1-c1", "birth_date": "2015-06-01"})
    );
    assert!(records
        .iter()
        .all(|r| r["record"] != "LocationPing" && r["record"] != "Invoice"));
    assert!(!String::from_utf8(out).unwrap().contains("SN-p1"));
}

#[test]
fn due_dates_follow_the_regime_and_extend_once() {
    let dir = TempDir::new("due");
    let gdpr = engine(&dir, &sqlite(&dir), 10);
    let received = at(1_706_659_200 + 3600); // 2024-01-31T01:00:00Z
    let day = |n: u64| std::time::Duration::from_secs(n * 86_400);
    let r = gdpr
        .receive_at(
            RequestKind::Access,
            SubjectRef::new("parent", "p1"),
            "agent-9",
            received,
        )
        .unwrap();
    assert_eq!(r.due_at, received + day(29)); // 2024-02-29T01:00:00Z
    assert_eq!(r.id.len(), 32);
    let extended = gdpr.extend(&r.id).unwrap();
    assert_eq!(extended.due_at, received + day(90)); // 2024-04-30T01:00:00Z
    assert!(matches!(
        gdpr.extend(&r.id),
        Err(RequestError::InvalidState { .. })
    ));
    let stored = gdpr.request(&r.id).unwrap();
    assert_eq!(
        (stored.due_at, stored.extended, stored.requester.as_str()),
        (received + day(90), true, "agent-9")
    );
    assert_eq!(stored.state, RequestState::Received);
    assert!(matches!(
        gdpr.access(&r.id, Vec::new()),
        Err(RequestError::NotVerified)
    ));

    let ccpa = engine(&dir, &sqlite(&dir), 10).with_regime(Regime::Ccpa);
    let r = ccpa
        .receive_at(
            RequestKind::Deletion,
            SubjectRef::new("parent", "p1"),
            "p1",
            received,
        )
        .unwrap();
    assert_eq!(r.due_at, received + day(45));
    assert_eq!(ccpa.extend(&r.id).unwrap().due_at, received + day(90));
    // GDPR, mid-month in a 30-day month: 2024-04-15 -> 2024-05-15 -> 2024-07-15.
    let april = at(1_713_139_200);
    let r = gdpr
        .receive_at(
            RequestKind::Deletion,
            SubjectRef::new("parent", "p1"),
            "p1",
            april,
        )
        .unwrap();
    assert_eq!(r.due_at, april + day(30));
    assert_eq!(gdpr.extend(&r.id).unwrap().due_at, april + day(91));
}

#[test]
fn replay_erases_again_what_a_restored_backup_brought_back() {
    let dir = TempDir::new("replay");
    let requests = engine(&dir, &sqlite(&dir), 10);
    family(&requests, "p1", 3);
    let backup = dir.path("backup.db");
    {
        let store = requests.map().records::<Parent>().unwrap().store();
        store.compact().unwrap();
    }
    std::fs::copy(dir.path("app.db"), &backup).unwrap();
    let id = request(&requests, RequestKind::Deletion, "p1");
    requests.delete(&id).unwrap();
    drop(requests);

    // Restore the data (not the ledger, not the keys).
    std::fs::copy(&backup, dir.path("app.db")).unwrap();
    let _ = std::fs::remove_file(dir.path("app.db-wal"));
    let requests = engine(&dir, &sqlite(&dir), 10);
    assert_eq!(
        requests
            .map()
            .records::<Parent>()
            .unwrap()
            .count("p1")
            .unwrap(),
        1
    );
    let replay = requests.replay().unwrap();
    assert_eq!(replay.requests, 1);
    assert_eq!(
        requests
            .map()
            .records::<Parent>()
            .unwrap()
            .count("p1")
            .unwrap(),
        0
    );
    assert_eq!(
        requests
            .map()
            .records::<LocationPing>()
            .unwrap()
            .count("p1-c1")
            .unwrap(),
        0
    );
    assert!(!contains(&file_bytes(&dir.path("app.db")), "Name of p1"));
}

#[test]
fn errors_name_types_and_operations_never_values() {
    let dir = TempDir::new("errors");
    let requests = engine(&dir, &sqlite(&dir), 10);
    let note = Note {
        author: String::new(),
        text: "private words".into(),
    };
    let err = requests
        .map()
        .records::<Note>()
        .unwrap()
        .save(requests.keyring(), &note)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Note: the record has no subject id and its type declares no route"
    );
    let mut sink = Vec::new();
    writeln!(sink, "{err:?}").unwrap();
    assert!(!String::from_utf8(sink).unwrap().contains("private words"));
    assert!(matches!(
        requests.delete("nope"),
        Err(RequestError::UnknownRequest)
    ));
}

#[test]
fn a_purge_deletes_a_subjects_records_in_batches() {
    let dir = TempDir::new("purge");
    let requests = engine(&dir, &sqlite(&dir), 7);
    family(&requests, "p1", 30);
    let pings = requests.map().records::<LocationPing>().unwrap();
    assert_eq!(pings.count("p1-c1").unwrap(), 30);
    assert_eq!(pings.delete_subject("p1-c1").unwrap(), 30);
    assert_eq!(pings.count("p1-c1").unwrap(), 0);
    assert_eq!(pings.count("p1-c2").unwrap(), 30);
    let streamed: Vec<_> = pings
        .subject_records(requests.keyring(), "p1-c2")
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(streamed.len(), 30);
}

#[test]
fn a_sweep_expires_records_past_their_retention_and_leaves_younger_ones() {
    let dir = TempDir::new("sweep");
    let requests = engine(&dir, &sqlite(&dir), 2);
    scenarios::sweep_expires_by_age(&requests);
}

#[test]
fn a_retained_encrypted_value_is_readable_after_shredding_and_gone_after_its_retention() {
    let dir = TempDir::new("sweep-retained");
    let requests = engine(&dir, &sqlite(&dir), 2);
    scenarios::sweep_ends_retained_encrypted_values(&requests);
}
