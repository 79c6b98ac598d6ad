//! An access request for one person with many records (default 1,000,000 location pings,
//! `ACCESS_BENCH_RECORDS` to change it) in the SQLite record store: the engine's streamed
//! answer against a baseline measured in the same run, the loop a service writes by hand
//! without the engine (read the person's rows a page at a time, open each sealed record,
//! add it to a `DsarWriter`), both writing into `io::sink()`. Prints the time of each, the
//! ratio (target <= 1.5x) and the engine's peak memory growth (target < 64 MB): the most
//! heap memory live at once during the request above what was live when it began, counted
//! by this binary's global allocator (SQLite allocates its page cache, bounded by its own
//! settings, outside Rust's allocator: not counted).
//!
//! `cargo bench -p privacy-core --bench requests_access` (about a minute, most of it sealing
//! and storing the records).

use std::alloc::{GlobalAlloc, Layout, System};
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use privacy_core::crypto::Keyring;
use privacy_core::dsar::DsarWriter;
use privacy_core::requests::{
    table_name, DataMap, RecordStore, RequestKind, Requests, SqliteLedger, SqliteRecordStore,
    SubjectRef,
};
use privacy_core::{crypto::Sealed, PersonalData};
use serde::{Deserialize, Serialize};

#[derive(PersonalData, Serialize, Deserialize)]
#[personal(subject = "child")]
#[serde(rename_all = "camelCase")]
struct LocationPing {
    #[personal(subject_id)]
    child_id: String,
    #[personal(category = "location.precise", encrypt)]
    position: Option<(f64, f64)>,
    #[personal(
        category = "device.ip_address",
        anonymize = "ip",
        retention = "90d",
        on_erase = "anonymize"
    )]
    source_ip: std::net::IpAddr,
    #[personal(collected_at)]
    recorded_at: SystemTime,
    #[personal(not_personal)]
    battery_percent: u8,
}

const PAGE: usize = 1_000;

fn records() -> u32 {
    std::env::var("ACCESS_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

/// The system allocator, counting the bytes live now and the most live at once.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to `System`; only counters are added.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            if new_size >= layout.size() {
                let live = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size
                    - layout.size();
                PEAK.fetch_max(live, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn main() {
    let n = records();
    let dir = std::env::temp_dir().join(format!("privacy-access-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store: Arc<dyn RecordStore> =
        Arc::new(SqliteRecordStore::open(dir.join("app.db")).unwrap());
    let map = DataMap::builder()
        .store::<LocationPing>(Arc::clone(&store))
        .build()
        .unwrap();
    let keyring = Arc::new(Keyring::in_memory());
    let requests = Requests::new(
        map,
        Arc::clone(&keyring),
        SqliteLedger::open(dir.join("ledger.db")).unwrap(),
    );

    let seeding = Instant::now();
    let pings = requests.map().records::<LocationPing>().unwrap();
    let mut batch = Vec::with_capacity(10_000);
    for i in 0..n {
        batch.push(LocationPing {
            child_id: "c-1".into(),
            position: Some((37.77 + f64::from(i % 1000) / 1e5, -122.42)),
            source_ip: std::net::IpAddr::from([198, 51, 100, u8::try_from(i % 250).unwrap()]),
            recorded_at: UNIX_EPOCH + Duration::from_secs(1_700_000_000 + u64::from(i) * 300),
            battery_percent: u8::try_from(i % 100).unwrap(),
        });
        if batch.len() == batch.capacity() {
            pings.save_all(&keyring, &batch).unwrap();
            batch.clear();
        }
    }
    pings.save_all(&keyring, &batch).unwrap();
    println!("seeded {n} records in {:.1?}", seeding.elapsed());

    // Baseline: the hand-written loop.
    let table = table_name("LocationPing");
    let start = Instant::now();
    let mut writer = DsarWriter::json(io::sink(), "c-1");
    let (mut after, mut seen) = (None::<String>, 0u32);
    loop {
        let rows = store.page(&table, "c-1", after.as_deref(), PAGE).unwrap();
        let Some(last) = rows.last() else { break };
        after = Some(last.record_id.clone());
        for row in &rows {
            let sealed: Sealed<LocationPing> = serde_json::from_str(&row.sealed).unwrap();
            writer.add(&sealed.open(&keyring).unwrap()).unwrap();
            seen += 1;
        }
    }
    writer.finish().unwrap();
    let baseline = start.elapsed();
    assert_eq!(seen, n);

    // The engine.
    let request = requests
        .receive(
            RequestKind::Access,
            SubjectRef::new("child", "c-1"),
            "bench",
        )
        .unwrap();
    requests.verify(&request.id).unwrap();
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let start = Instant::now();
    requests.access(&request.id, io::sink()).unwrap();
    let engine = start.elapsed();
    let growth = PEAK.load(Ordering::Relaxed).saturating_sub(before);

    println!(
        "access, {n} records: engine {engine:.2?}, by hand {baseline:.2?}; ratio: {:.2}x (target <= 1.5x)",
        engine.as_secs_f64() / baseline.as_secs_f64()
    );
    println!(
        "peak heap growth during the engine's access: {:.1} MB (target < 64 MB)",
        f64::from(u32::try_from(growth).unwrap_or(u32::MAX)) / (1024.0 * 1024.0)
    );
    drop(requests);
    let _ = std::fs::remove_dir_all(&dir);
}
