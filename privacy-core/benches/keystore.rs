//! Key stores under load, each beside the in-memory store measured in the same run:
//! - warm-cache seal of a 16-byte field (key cached) per store vs in-memory;
//! - cold open (the data key read from the store, unwrapped, key schedule) per store;
//! - key creation: first seals one at a time vs `prepare_subjects` in bulk (subjects/s);
//! - 4 keyrings x 4 threads sealing for 10,000 new subjects (every keyring seals for every
//!   subject, so the 4 race for each first seal), then the same again with warm caches.
//!
//! `cargo bench -p privacy-core --bench keystore --features postgres`; PostgreSQL figures
//! need `PRIVACY_TEST_POSTGRES_URL` (a fresh schema is created and dropped).

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::Criterion;
use privacy_core::crypto::{Aad, Keyring, MasterKey};

#[path = "support/mod.rs"]
mod support;

struct Store {
    name: &'static str,
    open: Box<dyn Fn() -> Keyring>,
}

fn master() -> MasterKey {
    MasterKey::from_bytes([9; 32])
}

fn stores(dir: &std::path::Path) -> Vec<Store> {
    let db = dir.join("keys.sqlite");
    #[cfg_attr(not(feature = "postgres"), allow(unused_mut))]
    let mut out = vec![Store {
        name: "sqlite",
        open: Box::new(move || Keyring::sqlite_with_master_key(&db, master()).unwrap()),
    }];
    #[cfg(feature = "postgres")]
    if let Ok(url) = std::env::var("PRIVACY_TEST_POSTGRES_URL") {
        let schema = format!("bench_{}", std::process::id());
        out.push(Store {
            name: "postgres",
            open: Box::new(move || {
                let store =
                    privacy_core::crypto::PostgresKeyStore::connect_in_schema(&url, &schema)
                        .unwrap();
                Keyring::new(store, master()).unwrap()
            }),
        });
    }
    out
}

fn main() {
    let dir = std::env::temp_dir().join(format!("privacy-bench-keystore-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let stores = stores(&dir);
    let memory = Keyring::in_memory().with_cache_capacity(1 << 15);
    let aad = Aad::new("Account", "card", "42");
    let small = [0x41u8; 16];
    memory.seal_bytes(&aad, &small).unwrap();

    let mut c = Criterion::default()
        .configure_from_args()
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));
    let opened: Vec<(&'static str, Keyring)> = stores
        .iter()
        .map(|s| {
            let k = (s.open)();
            k.seal_bytes(&aad, &small).unwrap();
            (s.name, k)
        })
        .collect();
    {
        let mut g = c.benchmark_group("keystore");
        g.bench_function("warm seal 16 B, memory", |b| {
            b.iter(|| memory.seal_bytes(&aad, black_box(&small)).unwrap());
        });
        for (name, k) in &opened {
            g.bench_function(format!("warm seal 16 B, {name}"), |b| {
                b.iter(|| k.seal_bytes(&aad, black_box(&small)).unwrap());
            });
        }
        g.finish();
    }
    c.final_summary();
    for (name, k) in &opened {
        support::ratio(
            &format!("warm seal 16 B, {name} vs memory"),
            || k.seal_bytes(&aad, &small).unwrap(),
            || memory.seal_bytes(&aad, &small).unwrap(),
        );
    }

    // Cold open: a cache of one key and two subjects, so every open misses.
    let cold = |k: Keyring| {
        let k = k.with_cache_capacity(1);
        let envs: Vec<(String, Vec<u8>)> = (0..2)
            .map(|i| {
                let s = format!("cold-{i}");
                let e = k
                    .seal_bytes(&Aad::new("Account", "card", &s), &small)
                    .unwrap();
                (s, e)
            })
            .collect();
        (k, envs)
    };
    let (memory_cold, memory_envs) = cold(Keyring::in_memory());
    let mut i = 0usize;
    let mut open_memory = || {
        i += 1;
        let (s, e) = &memory_envs[i % 2];
        memory_cold
            .open_bytes(&Aad::new("Account", "card", s), e)
            .unwrap()
    };
    for store in &stores {
        let (k, envs) = cold((store.open)());
        let mut j = 0usize;
        support::ratio(
            &format!("cold open, {} vs memory store miss", store.name),
            || {
                j += 1;
                let (s, e) = &envs[j % 2];
                k.open_bytes(&Aad::new("Account", "card", s), e).unwrap()
            },
            &mut open_memory,
        );
    }

    // Cold opens from a task of a multi-thread tokio runtime, 50 a call: the store's way (its
    // calls go through `block_in_place`) against a thread per call (its previous way, which
    // a caller would write by hand the same way), in the same task.
    #[cfg(feature = "postgres")]
    if let Some(store) = stores.iter().find(|s| s.name == "postgres") {
        let (k, envs) = cold((store.open)());
        let (k, envs) = (Arc::new(k), Arc::new(envs));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let in_task = |per_call_thread: bool| {
            let (k, envs) = (Arc::clone(&k), Arc::clone(&envs));
            let task = runtime.spawn(async move {
                for j in 0..50 {
                    let (s, e) = &envs[j % 2];
                    let open = || k.open_bytes(&Aad::new("Account", "card", s), e).unwrap();
                    if per_call_thread {
                        std::thread::scope(|scope| scope.spawn(open).join().unwrap());
                    } else {
                        open();
                    }
                }
            });
            runtime.block_on(task).unwrap();
        };
        support::ratio(
            "cold open x50, postgres, in a tokio task: block_in_place vs a thread per call",
            || in_task(false),
            || in_task(true),
        );
    }

    // Key creation: one first seal (one transaction) per subject vs prepare_subjects.
    for store in &stores {
        let k = (store.open)();
        let n = 300;
        let start = Instant::now();
        for i in 0..n {
            k.seal_bytes(&Aad::new("Account", "card", &format!("one-{i}")), &small)
                .unwrap();
        }
        let one = f64::from(n) / start.elapsed().as_secs_f64();
        let ids: Vec<String> = (0..20_000).map(|i| format!("bulk-{i}")).collect();
        let start = Instant::now();
        assert_eq!(k.prepare_subjects(&ids).unwrap(), ids.len());
        let bulk = 20_000.0 / start.elapsed().as_secs_f64();
        println!(
            "key creation, {}: prepare_subjects {bulk:.0} subjects/s vs first seals one at a time {one:.0} subjects/s = {:.0}x",
            store.name,
            bulk / one
        );
    }

    // 4 keyrings x 4 threads, 10,000 new subjects, each keyring sealing for every subject.
    let fleet = |open: &dyn Fn() -> Keyring, label: &str| {
        let keyrings: Vec<Arc<Keyring>> = (0..4)
            .map(|_| Arc::new(open().with_cache_capacity(1 << 15)))
            .collect();
        for pass in ["first seals", "warm"] {
            let start = Instant::now();
            let threads: Vec<_> = (0..16)
                .map(|t| {
                    let k = Arc::clone(&keyrings[t / 4]);
                    let label = label.to_owned();
                    std::thread::spawn(move || {
                        for i in (t % 4..10_000).step_by(4) {
                            let s = format!("fleet-{label}-{i}");
                            k.seal_bytes(&Aad::new("Account", "card", &s), &[0x41; 16])
                                .unwrap();
                        }
                    })
                })
                .collect();
            for t in threads {
                t.join().unwrap();
            }
            let secs = start.elapsed().as_secs_f64();
            println!(
                "4 keyrings x 4 threads, 10,000 subjects, {label}, {pass}: 40,000 seals in {:.0} ms = {:.0} seals/s",
                secs * 1000.0,
                40_000.0 / secs
            );
        }
    };
    fleet(&|| Keyring::in_memory(), "memory (4 separate stores)");
    for store in &stores {
        fleet(&*store.open, store.name);
    }

    drop(opened);
    #[cfg(feature = "postgres")]
    if let Ok(url) = std::env::var("PRIVACY_TEST_POSTGRES_URL") {
        if let Ok(mut client) = postgres::Client::connect(&url, postgres::NoTls) {
            let _ = client.batch_execute(&format!(
                "DROP SCHEMA IF EXISTS bench_{} CASCADE",
                std::process::id()
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
