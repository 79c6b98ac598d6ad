//! A deletion killed with SIGKILL at random points, again and again, then resumed: one
//! completed request with one report counting every record once, no value of the person
//! left in the data file, the other family intact. The child side is this test binary run
//! again with `PRIVACY_REQUESTS_CHILD` set (see `child_process`).

#![cfg(all(unix, feature = "sqlite"))]

mod requests_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use privacy_core::crypto::{Keyring, MasterKey};
use privacy_core::requests::{
    RecordStore, RequestKind, RequestState, Requests, SqliteLedger, SqliteRecordStore,
};
use requests_support::model::{self, LocationPing};
use requests_support::scenarios::{family, request};

const CHILD_ENV: &str = "PRIVACY_REQUESTS_CHILD";
const REQUEST_ENV: &str = "PRIVACY_REQUESTS_ID";

fn engine(dir: &Path) -> Requests {
    let store: Arc<dyn RecordStore> =
        Arc::new(SqliteRecordStore::open(dir.join("app.db")).unwrap());
    let map = model::builder(&store).batch_size(100).build().unwrap();
    let keyring =
        Keyring::sqlite_with_master_key(dir.join("keys.db"), MasterKey::from_bytes([3; 32]))
            .unwrap();
    let ledger = SqliteLedger::open(dir.join("ledger.db")).unwrap();
    Requests::new(map, Arc::new(keyring), ledger)
}

/// The child: runs the deletion named by the environment (does nothing in a normal run).
#[test]
fn child_process() {
    let (Ok(dir), Ok(id)) = (std::env::var(CHILD_ENV), std::env::var(REQUEST_ENV)) else {
        return;
    };
    let requests = engine(Path::new(&dir));
    requests.delete(&id).unwrap();
}

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
fn a_deletion_killed_at_random_points_completes_once_when_resumed() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("privacy-kill-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (id, kids) = {
        let requests = engine(&dir);
        let kids = family(&requests, "p1", 2500);
        family(&requests, "p2", 100);
        (request(&requests, RequestKind::Deletion, "p1"), kids)
    };

    // A small xorshift, seeded from the clock (printed, to replay a failure).
    let mut seed = u64::try_from(nanos % u128::from(u64::MAX)).unwrap() | 1;
    println!("seed {seed}");
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let exe = std::env::current_exe().unwrap();
    // Kill runs at random points (at least ten kills, each landing while a run works), then
    // let one finish on its own (at most 60 runs).
    let mut killed = 0;
    for run in 0..60 {
        let mut child = Command::new(&exe)
            .args(["child_process", "--exact", "--quiet", "--test-threads=1"])
            .env(CHILD_ENV, &dir)
            .env(REQUEST_ENV, &id)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Short runs while kills are wanted, so that each makes only part of the progress.
        let window = if killed < 10 { 40 } else { 150 };
        std::thread::sleep(Duration::from_millis(5 + next() % window));
        if child.try_wait().unwrap().is_none() && (killed < 10 || run % 2 == 0) {
            child.kill().unwrap(); // SIGKILL
            killed += 1;
        }
        if child.wait().unwrap().success() {
            break;
        }
    }
    println!("killed {killed} runs");
    assert!(
        killed >= 10,
        "only {killed} runs were killed before the deletion finished"
    );

    let requests = engine(&dir);
    let reports = requests.resume_pending().unwrap();
    let report = match reports.as_slice() {
        [report] => report.clone(),
        // A child finished the deletion before it was killed.
        [] => requests.report(&id).unwrap(),
        more => panic!("{} reports", more.len()),
    };
    let done = requests.request(&id).unwrap();
    assert_eq!(done.state, RequestState::Completed);
    assert_eq!(done.report_digest, Some(report.digest().unwrap()));
    let pings: Vec<u64> = report
        .stores
        .iter()
        .filter(|s| s.record == "LocationPing")
        .map(|s| s.records_deleted)
        .collect();
    assert_eq!(pings, [2500, 2500], "each record counted once");
    assert_eq!(report.records_kept(), 2);
    assert!(requests.resume_pending().unwrap().is_empty());

    let ping_records = requests.map().records::<LocationPing>().unwrap();
    for kid in &kids {
        assert_eq!(ping_records.count(kid).unwrap(), 0);
    }
    assert_eq!(ping_records.count("p2-c1").unwrap(), 100);
    let bytes = file_bytes(&dir.join("app.db"));
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
    assert!(contains(&bytes, "Name of p2"));
    drop(requests);
    std::fs::remove_dir_all(&dir).unwrap();
}
