//! Several keyrings and several OS processes over one key store: the checks shared by the
//! SQLite and PostgreSQL test files. A store is named by a spec (`sqlite:<path>` or
//! `postgres:<schema>`, the server from `PRIVACY_TEST_POSTGRES_URL`), so a child process
//! (this test binary run again with `PRIVACY_TEST_CHILD` set, see [`child_main`]) opens the
//! same store. Children report on stdout in lines starting with `@@ `.
#![allow(dead_code, clippy::missing_panics_doc)]

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use privacy_core::__private::layout::INDEX_KEY_BASE;
use privacy_core::crypto::{Aad, DataKeyState, Error, Keyring, MasterKey, NewDataKey};

pub const CHILD_ENV: &str = "PRIVACY_TEST_CHILD";
pub const STORE_ENV: &str = "PRIVACY_TEST_STORE";
pub const POSTGRES_URL_ENV: &str = "PRIVACY_TEST_POSTGRES_URL";

pub fn master(byte: u8) -> MasterKey {
    MasterKey::from_bytes([byte; 32])
}

/// A keyring over the store named by `spec`.
pub fn open(spec: &str, master: MasterKey) -> Result<Keyring, Error> {
    if let Some(path) = spec.strip_prefix("sqlite:") {
        #[cfg(feature = "sqlite")]
        return Keyring::sqlite_with_master_key(path, master);
        #[cfg(not(feature = "sqlite"))]
        panic!("sqlite store {path} without feature sqlite");
    }
    if let Some(schema) = spec.strip_prefix("postgres:") {
        #[cfg(feature = "postgres")]
        {
            let url = std::env::var(POSTGRES_URL_ENV).expect("PRIVACY_TEST_POSTGRES_URL");
            let store = privacy_core::crypto::PostgresKeyStore::connect_in_schema(&url, schema)?;
            return Keyring::new(store, master);
        }
        #[cfg(not(feature = "postgres"))]
        panic!("postgres store {schema} without feature postgres");
    }
    panic!("unknown store spec {spec}")
}

fn aad(subject: &str) -> Aad<'_> {
    Aad::new("Account", "email", subject)
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn now_micros() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_micros()
}

/// Sleeps until the wall clock passes `start` (micros since the epoch): the instant that
/// threads and processes start racing at.
fn wait_until(start: u128) {
    while now_micros() < start {
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// An envelope and the subject and plaintext it was sealed with.
#[derive(Clone, Debug)]
pub struct Sealed {
    pub subject: String,
    pub plain: String,
    pub envelope: Vec<u8>,
}

/// This test binary, run again as a child with `role` over `spec`.
pub fn spawn_child(role: &str, spec: &str, env: &[(&str, String)]) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "child_process",
        "--exact",
        "--nocapture",
        "--test-threads=1",
        "-q",
    ])
    .env(CHILD_ENV, role)
    .env(STORE_ENV, spec)
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

/// The `@@ ` lines a child printed, until it exits (or `stop` says enough).
pub fn read_reports(child: &mut Child, mut stop: impl FnMut(&str) -> bool) -> Vec<String> {
    let out = child.stdout.take().unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(out).lines() {
        let Ok(line) = line else { break };
        if let Some(report) = line.strip_prefix("@@ ") {
            lines.push(report.to_owned());
            if stop(report) {
                break;
            }
        }
    }
    lines
}

/// A child whose `@@ ` lines arrive on a channel as it prints them.
pub fn spawn_reporting(role: &str, spec: &str) -> (Child, std::sync::mpsc::Receiver<String>) {
    let mut child = spawn_child(role, spec, &[]);
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if let Some(report) = line.strip_prefix("@@ ") {
                if tx.send(report.to_owned()).is_err() {
                    break;
                }
            }
        }
    });
    (child, rx)
}

fn report(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "@@ {line}").unwrap();
    out.flush().unwrap();
}

/// The child side: call from a `#[test] fn child_process()` in each test file. Does nothing
/// unless this process was started by [`spawn_child`].
pub fn child_main() {
    let Ok(role) = std::env::var(CHILD_ENV) else {
        return;
    };
    let spec = std::env::var(STORE_ENV).unwrap();
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    match role.as_str() {
        // Seal VALUES values for each of SUBJECTS once the clock passes START_AT (micros).
        "seal" => {
            let mut keyring = open(&spec, master(7)).unwrap();
            if let Ok(limit) = var("KEK_WRAP_LIMIT").parse() {
                keyring = keyring.with_kek_wrap_limit(limit);
            }
            let start: u128 = var("START_AT").parse().unwrap();
            wait_until(start);
            let values: usize = var("VALUES").parse().unwrap();
            for i in 0..values {
                for subject in var("SUBJECTS").split(',') {
                    let plain = format!("{subject} child {} value {i}", std::process::id());
                    let env = keyring.seal_bytes(&aad(subject), plain.as_bytes()).unwrap();
                    report(&format!(
                        "{subject} {} {}",
                        hex(plain.as_bytes()),
                        hex(&env)
                    ));
                }
            }
        }
        // First seals for new subjects, without end: killed mid-burst.
        "burst" => {
            let keyring = open(&spec, master(7)).unwrap();
            for i in 0.. {
                let subject = format!("burst-{}-{i}", std::process::id());
                let plain = format!("burst value {i}");
                let env = keyring
                    .seal_bytes(&aad(&subject), plain.as_bytes())
                    .unwrap();
                report(&format!(
                    "{subject} {} {}",
                    hex(plain.as_bytes()),
                    hex(&env)
                ));
            }
        }
        // Warm the cache for SUBJECT, then wait until seal and open are both refused.
        "watch" => {
            let keyring = open(&spec, master(7)).unwrap();
            let subject = var("SUBJECT");
            let env = keyring.seal_bytes(&aad(&subject), b"watched").unwrap();
            report("ready");
            // When the last attempt that was still served started: the bound is about that.
            let mut served = 0;
            loop {
                let asked = now_micros();
                let sealed = keyring.seal_bytes(&aad(&subject), b"again");
                let opened = keyring.open_bytes(&aad(&subject), &env);
                if sealed == Err(Error::Shredded) && opened.err() == Some(Error::Shredded) {
                    report(&format!("refused {served}"));
                    break;
                }
                served = asked;
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        // Rotate and rewrap without end: killed mid-transaction. The pause lets the
        // other process's writers in (SQLite's busy handler backs off; it does not queue).
        "rewrap" => {
            let keyring = open(&spec, master(7)).unwrap();
            loop {
                keyring.rotate().unwrap();
                let moved = keyring.rewrap().unwrap();
                report(&format!("rewrapped {moved}"));
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        // Rotate the master key between 7 and 8 without end: killed mid-transaction.
        "master" => loop {
            let (mut keyring, next) = match open(&spec, master(7)) {
                Ok(k) => (k, 8),
                Err(_) => (open(&spec, master(8)).unwrap(), 7),
            };
            keyring.rotate_master_key(&master(next)).unwrap();
            report(&format!("master {next}"));
        },
        other => panic!("unknown child role {other}"),
    }
    // Skip the harness's own exit path: nothing else of this binary should run.
    std::process::exit(0);
}

fn parse_sealed(lines: &[String]) -> Vec<Sealed> {
    lines
        .iter()
        .filter_map(|l| {
            let mut parts = l.split(' ');
            let subject = parts.next()?.to_owned();
            let plain = String::from_utf8(unhex(parts.next()?)).ok()?;
            let envelope = unhex(parts.next()?);
            Some(Sealed {
                subject,
                plain,
                envelope,
            })
        })
        .collect()
}

/// Every envelope opens to its plaintext in `keyring`.
pub fn assert_all_open(keyring: &Keyring, sealed: &[Sealed]) {
    for s in sealed {
        let plain = keyring
            .open_bytes(&aad(&s.subject), &s.envelope)
            .unwrap_or_else(|e| panic!("an envelope of {} does not open: {e}", s.subject));
        assert_eq!(&plain[..], s.plain.as_bytes());
    }
}

/// 4 keyrings x 4 threads in this process and 3 child processes seal for the same 20 new
/// subjects at the same instant: one data key per subject, every envelope opens everywhere.
pub fn racing_first_seals_give_one_data_key(spec: &str) {
    let subjects: Vec<String> = (0..20).map(|i| format!("racer-{i}")).collect();
    let keyrings: Vec<Arc<Keyring>> = (0..4)
        .map(|_| Arc::new(open(spec, master(7)).unwrap()))
        .collect();
    let start = now_micros() + 1_500_000;
    let mut children: Vec<Child> = (0..3)
        .map(|_| {
            spawn_child(
                "seal",
                spec,
                &[
                    ("SUBJECTS", subjects.join(",")),
                    ("VALUES", "3".to_owned()),
                    ("START_AT", start.to_string()),
                ],
            )
        })
        .collect();
    let sealed = Arc::new(Mutex::new(Vec::new()));
    let barrier = Arc::new(Barrier::new(16));
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let keyring = Arc::clone(&keyrings[t % 4]);
            let (sealed, barrier, subjects) =
                (Arc::clone(&sealed), Arc::clone(&barrier), subjects.clone());
            std::thread::spawn(move || {
                barrier.wait();
                wait_until(start);
                for subject in &subjects {
                    let plain = format!("{subject} thread {t}");
                    let envelope = keyring.seal_bytes(&aad(subject), plain.as_bytes()).unwrap();
                    sealed.lock().unwrap().push(Sealed {
                        subject: subject.clone(),
                        plain,
                        envelope,
                    });
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut all = sealed.lock().unwrap().clone();
    for child in &mut children {
        all.extend(parse_sealed(&read_reports(child, |_| false)));
        assert!(child.wait().unwrap().success());
    }
    assert_eq!(all.len(), 16 * 20 + 3 * 3 * 20);
    let fresh = open(spec, master(7)).unwrap();
    for keyring in keyrings.iter().map(|k| &**k).chain([&fresh]) {
        assert_all_open(keyring, &all);
    }
    let rows = fresh.store().data_keys().unwrap();
    for subject in &subjects {
        let keys: HashSet<u32> = rows
            .iter()
            .filter(|r| &r.subject_id == subject)
            .map(|r| r.key_id)
            .collect();
        assert_eq!(keys.len(), 1, "{subject} has {} data keys", keys.len());
    }
    let ids: HashSet<u32> = all
        .iter()
        .filter(|s| s.subject == "racer-0")
        .map(|s| privacy_core::crypto::key_id(&s.envelope).unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "envelopes of one subject name one key");
}

/// After `shred` returns in one keyring, other keyrings (in this process, with the default
/// and a shorter bound, and in a child process) refuse seal and open within their bound.
pub fn a_shred_reaches_every_instance_within_the_bound(spec: &str) {
    let a = open(spec, master(7)).unwrap();
    let b = open(spec, master(7)).unwrap();
    let c = open(spec, master(7))
        .unwrap()
        .with_shred_bound(Duration::from_millis(200));
    let mut child = spawn_child("watch", spec, &[("SUBJECT", "victim".to_owned())]);
    let out = child.stdout.take().unwrap();
    let mut lines = BufReader::new(out).lines();
    loop {
        let line = lines.next().unwrap().unwrap();
        if line == "@@ ready" {
            break;
        }
    }
    let envelope = a.seal_bytes(&aad("victim"), b"v").unwrap();
    for k in [&b, &c] {
        assert_eq!(&k.open_bytes(&aad("victim"), &envelope).unwrap()[..], b"v");
    }
    a.shred("victim").unwrap();
    let shred_at = now_micros();
    let shredded = Instant::now();
    let refused = |k: &Keyring| {
        k.seal_bytes(&aad("victim"), b"x") == Err(Error::Shredded)
            && k.open_bytes(&aad("victim"), &envelope).err() == Some(Error::Shredded)
    };
    let mut waiting = vec![
        ("default bound", &b, Duration::from_secs(1)),
        ("200 ms bound", &c, Duration::from_millis(200)),
    ];
    // The promise: no seal or open that starts a bound after the shred is served. (An
    // attempt is timed from when it starts: how long the test thread then waits to be
    // scheduled is not the keyring's.)
    while !waiting.is_empty() {
        waiting.retain(|(name, k, bound)| {
            let asked = Instant::now();
            if refused(k) {
                return false;
            }
            let after = asked.duration_since(shredded);
            assert!(
                after < *bound,
                "{name}: still served {after:?} after the shred"
            );
            true
        });
        std::thread::sleep(Duration::from_millis(1));
    }
    let line = lines.next().unwrap().unwrap();
    let served: u128 = line.strip_prefix("@@ refused ").unwrap().parse().unwrap();
    let lag = Duration::from_micros(u64::try_from(served.saturating_sub(shred_at)).unwrap());
    assert!(
        lag < Duration::from_secs(1),
        "the child was still served {lag:?} after the shred"
    );
    assert!(child.wait().unwrap().success());
    // A fresh instance refuses too, and the subject stays erased.
    let fresh = open(spec, master(7)).unwrap();
    assert_eq!(fresh.seal_bytes(&aad("victim"), b"x"), Err(Error::Shredded));
}

/// Instance A rotates and rewraps (retiring each old KEK) while B, C and a child process
/// seal for new and old subjects: a stale keyring's data key under a retired KEK is refused
/// and retried, every seal succeeds, and every record opens from a fresh instance.
pub fn rotation_interleaved_with_seals_strands_no_key(spec: &str) {
    let a = Arc::new(open(spec, master(7)).unwrap());
    let b = Arc::new(open(spec, master(7)).unwrap());
    let c = Arc::new(open(spec, master(7)).unwrap());
    let start = now_micros() + 1_000_000;
    let subjects: Vec<String> = (0..30).map(|i| format!("rot-child-{i}")).collect();
    let mut child = spawn_child(
        "seal",
        spec,
        &[
            ("SUBJECTS", subjects.join(",")),
            ("VALUES", "2".to_owned()),
            ("START_AT", start.to_string()),
        ],
    );
    let sealed = Arc::new(Mutex::new(Vec::new()));
    let sealers: Vec<_> = [Arc::clone(&b), Arc::clone(&c)]
        .into_iter()
        .enumerate()
        .map(|(n, k)| {
            let sealed = Arc::clone(&sealed);
            std::thread::spawn(move || {
                wait_until(start);
                for i in 0..150 {
                    // New subjects, and old ones again (cached keys under old KEKs).
                    let subject = format!("rot-{n}-{}", if i % 3 == 0 { i / 3 } else { i });
                    let plain = format!("value {i}");
                    let envelope = k.seal_bytes(&aad(&subject), plain.as_bytes()).unwrap();
                    sealed.lock().unwrap().push(Sealed {
                        subject,
                        plain,
                        envelope,
                    });
                }
            })
        })
        .collect();
    wait_until(start);
    for _ in 0..8 {
        a.rotate().unwrap();
        a.rewrap().unwrap();
    }
    for s in sealers {
        s.join().unwrap();
    }
    let mut all = sealed.lock().unwrap().clone();
    all.extend(parse_sealed(&read_reports(&mut child, |_| false)));
    assert!(child.wait().unwrap().success());
    a.rewrap().unwrap();
    let fresh = open(spec, master(7)).unwrap();
    assert_all_open(&fresh, &all);
    assert_all_open(&b, &all);
    // Only the newest KEK is left, and it wraps every data key.
    let newest = fresh.kek_version().unwrap();
    for row in fresh.store().data_keys().unwrap() {
        if let DataKeyState::Active { kek_version, .. } = row.state {
            assert_eq!(kek_version, newest);
        }
    }
}

/// A keyring whose KEK list is stale (another rotated and rewrapped) seals for a new subject:
/// the store refuses the key wrapped by the retired KEK, the keyring reloads and retries.
pub fn a_key_wrapped_by_a_retired_kek_is_refused_and_retried(spec: &str) {
    let a = open(spec, master(7)).unwrap();
    let b = open(spec, master(7)).unwrap();
    b.seal_bytes(&aad("old"), b"old").unwrap();
    let stale = b.kek_version().unwrap();
    a.rotate().unwrap();
    a.rewrap().unwrap();
    // The store itself refuses a key under the retired version.
    assert_eq!(
        b.store()
            .insert_data_key_if_absent("direct", stale, &[0u8; 60])
            .unwrap_err(),
        Error::StaleKek { version: stale }
    );
    let envelope = b.seal_bytes(&aad("new"), b"new").unwrap();
    assert_eq!(b.kek_version().unwrap(), stale + 1, "b reloaded the KEKs");
    let fresh = open(spec, master(7)).unwrap();
    assert_eq!(
        &fresh.open_bytes(&aad("new"), &envelope).unwrap()[..],
        b"new"
    );
}

/// `rotate_master_key` racing `rotate` in another instance (the lost-KEK race): either order
/// leaves a store whose every KEK opens with the new master key.
pub fn master_rotation_racing_kek_rotation_leaves_every_kek_open(spec: &str) {
    for round in 0..4u8 {
        let (old, new) = (master(7 + round), master(8 + round));
        let a = open(spec, old.clone()).unwrap();
        let envelope = a.seal_bytes(&aad("m"), b"m").unwrap();
        let b = open(spec, old.clone()).unwrap();
        let mut a = a;
        let rotating = std::thread::spawn(move || {
            let r = b.rotate();
            (b, r)
        });
        a.rotate_master_key(&new).unwrap();
        let (_b, rotated) = rotating.join().unwrap();
        match rotated {
            Ok(()) | Err(Error::WrongMasterKey { .. }) => {}
            Err(e) => panic!("unexpected {e}"),
        }
        let fresh = open(spec, new).unwrap();
        assert_eq!(&fresh.open_bytes(&aad("m"), &envelope).unwrap()[..], b"m");
        fresh.rotate().unwrap();
        assert!(open(spec, old).is_err());
        drop((a, fresh));
    }
}

/// Child processes killed with SIGKILL in the middle of rewraps, master-key rotations and a
/// burst of first seals leave a store in which every envelope they handed out opens.
pub fn sigkill_mid_operation_loses_nothing_handed_out(spec: &str) {
    let base = open(spec, master(7)).unwrap();
    let mut handed_out: Vec<Sealed> = (0..20)
        .map(|i| {
            let subject = format!("base-{i}");
            let envelope = base.seal_bytes(&aad(&subject), b"base").unwrap();
            Sealed {
                subject,
                plain: "base".to_owned(),
                envelope,
            }
        })
        .collect();
    drop(base);
    for round in 0..3u64 {
        let (mut rewrapper, rewraps) = spawn_reporting("rewrap", spec);
        let (mut burst, seals) = spawn_reporting("burst", spec);
        // Kill once both are busy, at a different point of their loops each round.
        let mut lines = Vec::new();
        let mut rewrapped = 0;
        let deadline = Instant::now() + Duration::from_secs(60);
        while (lines.len() < 5 || rewrapped < 2) && Instant::now() < deadline {
            lines.extend(seals.try_iter());
            rewrapped += rewraps.try_iter().count();
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_millis(20 + 37 * round));
        rewrapper.kill().unwrap();
        burst.kill().unwrap();
        rewrapper.wait().unwrap();
        burst.wait().unwrap();
        lines.extend(seals.iter());
        let sealed = parse_sealed(&lines);
        assert!(
            sealed.len() >= 5,
            "the burst sealed {} before the kill",
            sealed.len()
        );
        handed_out.extend(sealed);
    }
    let fresh = open(spec, master(7)).unwrap();
    assert_all_open(&fresh, &handed_out);
    drop(fresh);
    for round in 0..3u64 {
        let (mut rotator, rotations) = spawn_reporting("master", spec);
        let _ = rotations.recv_timeout(Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(10 + 23 * round));
        rotator.kill().unwrap();
        rotator.wait().unwrap();
        let fresh = open_settled(spec);
        assert_all_open(&fresh, &handed_out);
    }
}

/// The store, opened with master key 7 or 8, once the rotation a killed process left in
/// flight has settled. A PostgreSQL backend whose client was killed just after it sent
/// `COMMIT` still commits, a moment later: the store can then flip from one key to the other
/// between two opens, and both fail. It is whole under one key before and after, so the
/// opens are retried (for at most 10 s) until one of them succeeds.
fn open_settled(spec: &str) -> Keyring {
    let started = Instant::now();
    loop {
        match open(spec, master(7)).or_else(|seven| open(spec, master(8)).map_err(|e| (seven, e))) {
            Ok(keyring) => return keyring,
            Err(errors) => assert!(
                started.elapsed() < Duration::from_secs(10),
                "the store opens with neither master key (errors with 7, 8): {errors:?}"
            ),
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The bulk path: `prepare_subjects` creates every key in a few transactions, durable, and
/// later seals use them (no new rows).
pub fn prepare_subjects_creates_each_key_once(spec: &str) {
    let keyring = open(spec, master(7)).unwrap();
    let ids: Vec<String> = (0..25_000).map(|i| format!("bulk-{i}")).collect();
    keyring.shred("bulk-3").unwrap();
    let started = Instant::now();
    assert_eq!(keyring.prepare_subjects(&ids).unwrap(), 24_999);
    let took = started.elapsed();
    eprintln!("prepare_subjects: 25,000 subjects in {took:?}");
    assert_eq!(keyring.prepare_subjects(&ids).unwrap(), 0);
    let other = open(spec, master(7)).unwrap();
    let env = other.seal_bytes(&aad("bulk-24999"), b"x").unwrap();
    assert_eq!(
        &keyring.open_bytes(&aad("bulk-24999"), &env).unwrap()[..],
        b"x"
    );
    assert_eq!(other.seal_bytes(&aad("bulk-3"), b"x"), Err(Error::Shredded));
    let rows = other.store().data_keys().unwrap();
    assert_eq!(rows.len(), 25_000);
    let ids: BTreeMap<&str, u32> = rows
        .iter()
        .map(|r| (r.subject_id.as_str(), r.key_id))
        .collect();
    assert_eq!(ids.len(), 25_000);
}

/// Seal counts per data key: a keyring refuses past its limit (opening still works), flushes
/// its count to the store, and another keyring counts from what the store recorded.
pub fn seal_counts_limit_every_keyring(spec: &str) {
    let a = open(spec, master(7)).unwrap().with_seal_limit(5);
    let mut envelopes = Vec::new();
    for i in 0..5 {
        envelopes.push(
            a.seal_bytes(&aad("counted"), format!("{i}").as_bytes())
                .unwrap(),
        );
    }
    assert_eq!(
        a.seal_bytes(&aad("counted"), b"6th").unwrap_err(),
        Error::KeyUsageLimit { limit: 5 }
    );
    for (i, env) in envelopes.iter().enumerate() {
        assert_eq!(
            &a.open_bytes(&aad("counted"), env).unwrap()[..],
            format!("{i}").as_bytes()
        );
    }
    // The count reaches the store with the next flush (every bound / 10).
    let deadline = Instant::now() + Duration::from_secs(5);
    while a.store().data_key("counted").unwrap().unwrap().seals < 5 {
        assert!(Instant::now() < deadline, "the count was not flushed");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(a.store().data_key("counted").unwrap().unwrap().seals, 5);
    let b = open(spec, master(7)).unwrap().with_seal_limit(7);
    b.seal_bytes(&aad("counted"), b"6").unwrap();
    b.seal_bytes(&aad("counted"), b"7").unwrap();
    assert_eq!(
        b.seal_bytes(&aad("counted"), b"8").unwrap_err().to_string(),
        "the data key reached its limit of 7 seals (random 96-bit nonces allow one key 2^32)"
    );
}

/// A blind-index key rotated and retired by one keyring reaches another over the same store
/// within the shred bound, and a keyring opened afterwards sees it at once.
pub fn index_key_rotation_reaches_every_keyring(spec: &str) {
    let bound = Duration::from_millis(200);
    let a = open(spec, master(7)).unwrap().with_shred_bound(bound);
    let b = open(spec, master(7)).unwrap().with_shred_bound(bound);
    let index = |k: &Keyring| {
        k.blind_index("Account", "email", "ada@example.com")
            .unwrap()
    };
    let old = index(&a);
    assert_eq!(index(&b), old);
    let version = a.rotate_index_key().unwrap();
    assert_eq!(version, 2);
    let new = index(&a);
    assert_ne!(new, old);
    let within = |k: &Keyring, done: &dyn Fn(&Keyring) -> bool| {
        let start = Instant::now();
        while !done(k) {
            assert!(start.elapsed() < bound * 5, "not seen within five bounds");
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    within(&b, &|k| index(k) == new);
    assert_eq!(b.index_key_versions().unwrap(), vec![1, 2]);
    assert_eq!(index(&open(spec, master(7)).unwrap()), new);

    a.retire_index_key(1).unwrap();
    within(&b, &|k| {
        k.blind_index_candidates("Account", "email", "ada@example.com")
            .unwrap()
            == vec![new.clone()]
    });
    assert_eq!(
        b.retire_index_key(2),
        Err(Error::CurrentIndexKey { version: 2 })
    );
    let fresh = open(spec, master(7)).unwrap();
    assert_eq!(fresh.index_key_versions().unwrap(), vec![2]);
    assert_eq!(
        fresh
            .blind_index_candidates("Account", "email", "ada@example.com")
            .unwrap(),
        vec![new]
    );
}

/// The KEK versions of the store (blind-index rows aside) and each one's wrap count.
pub fn kek_wraps(keyring: &Keyring) -> BTreeMap<u32, u64> {
    keyring
        .store()
        .keks()
        .unwrap()
        .iter()
        .filter(|k| (1..INDEX_KEY_BASE).contains(&k.version))
        .map(|k| (k.version, k.wraps))
        .collect()
}

/// How many active data keys each KEK version wraps.
pub fn data_keys_per_kek(keyring: &Keyring) -> BTreeMap<u32, u64> {
    let mut per = BTreeMap::new();
    for row in keyring.store().data_keys().unwrap() {
        if let DataKeyState::Active { kek_version, .. } = row.state {
            *per.entry(kek_version).or_default() += 1;
        }
    }
    per
}

fn kek_of(keyring: &Keyring, subject: &str) -> u32 {
    match keyring.store().data_key(subject).unwrap().unwrap().state {
        DataKeyState::Active { kek_version, .. } => kek_version,
        other => panic!("{subject} has no active key: {other:?}"),
    }
}

/// KEK wrap counts with a limit of 3, over one store shared by keyrings `a` and `b` (and, with
/// `spec`, a child process): the store counts every data key it wraps per KEK; at the limit
/// the keyring moves to a new KEK version, a stale keyring to the one another keyring
/// created (no second new version), a bulk batch splits over versions; racing keyrings and
/// a process fill each version exactly and lose none; every envelope opens; the counts
/// survive reopening the store; a rewrap spreads over new versions instead of passing the
/// limit; and the store itself refuses a batch past the limit, storing nothing.
pub fn kek_wrap_limit_moves_every_keyring_to_one_new_kek(
    open_keyring: &(dyn Fn() -> Keyring + Sync),
    spec: Option<&str>,
) {
    const LIMIT: u64 = 3;
    let a = Arc::new(open_keyring().with_kek_wrap_limit(LIMIT));
    let b = Arc::new(open_keyring().with_kek_wrap_limit(LIMIT));
    let mut all: Vec<Sealed> = Vec::new();
    let seal = |k: &Keyring, subject: &str, all: &mut Vec<Sealed>| {
        let plain = format!("{subject} value {}", all.len());
        let envelope = k.seal_bytes(&aad(subject), plain.as_bytes()).unwrap();
        all.push(Sealed {
            subject: subject.to_owned(),
            plain,
            envelope,
        });
    };
    for i in 0..3 {
        seal(&a, &format!("w-{i}"), &mut all);
    }
    assert_eq!(kek_wraps(&a), BTreeMap::from([(1, 3)]));
    assert_eq!(a.kek_version().unwrap(), 1);
    // B's first seal past the limit rotates to version 2.
    seal(&b, "w-3", &mut all);
    assert_eq!(b.kek_version().unwrap(), 2);
    assert_eq!(kek_of(&b, "w-3"), 2);
    assert_eq!(kek_wraps(&a), BTreeMap::from([(1, 3), (2, 1)]));
    // A still takes version 1 for the newest: refused, it finds B's version 2 and uses it.
    assert_eq!(a.kek_version().unwrap(), 1);
    seal(&a, "w-4", &mut all);
    assert_eq!(a.kek_version().unwrap(), 2);
    assert_eq!(kek_of(&a, "w-4"), 2);
    assert_eq!(kek_wraps(&a), BTreeMap::from([(1, 3), (2, 2)]));
    // Sealing again under an existing key wraps nothing.
    seal(&b, "w-0", &mut all);
    seal(&a, "w-3", &mut all);
    assert_eq!(kek_wraps(&a), BTreeMap::from([(1, 3), (2, 2)]));
    // A bulk batch larger than the limit splits and fills each version: version 2 has room
    // for one (the first part of three is refused whole, then stored key by key), the next
    // three go to version 3, the last to version 4.
    let bulk: Vec<String> = (0..5).map(|i| format!("p-{i}")).collect();
    assert_eq!(a.prepare_subjects(&bulk).unwrap(), 5);
    assert_eq!(
        kek_wraps(&a),
        BTreeMap::from([(1, 3), (2, 3), (3, 3), (4, 1)])
    );
    for subject in &bulk {
        seal(&b, subject, &mut all);
    }
    assert_eq!(kek_wraps(&a), data_keys_per_kek(&a));

    // Two keyrings, two threads each (and a child process), race through new subjects.
    let start = now_micros() + 1_000_000;
    let mut child = spec.map(|spec| {
        let subjects: Vec<String> = (0..6).map(|i| format!("race-child-{i}")).collect();
        spawn_child(
            "seal",
            spec,
            &[
                ("SUBJECTS", subjects.join(",")),
                ("VALUES", "1".to_owned()),
                ("START_AT", start.to_string()),
                ("KEK_WRAP_LIMIT", LIMIT.to_string()),
            ],
        )
    });
    let raced = Arc::new(Mutex::new(Vec::new()));
    let threads: Vec<_> = [&a, &a, &b, &b]
        .into_iter()
        .enumerate()
        .map(|(n, k)| {
            let (k, raced) = (Arc::clone(k), Arc::clone(&raced));
            std::thread::spawn(move || {
                wait_until(start);
                for i in 0..6 {
                    let subject = format!("race-{n}-{i}");
                    let plain = format!("raced {n} {i}");
                    let envelope = k.seal_bytes(&aad(&subject), plain.as_bytes()).unwrap();
                    raced.lock().unwrap().push(Sealed {
                        subject,
                        plain,
                        envelope,
                    });
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    all.extend(raced.lock().unwrap().iter().cloned());
    if let Some(child) = child.as_mut() {
        all.extend(parse_sealed(&read_reports(child, |_| false)));
        assert!(child.wait().unwrap().success());
    }
    let wraps = kek_wraps(&a);
    // Versions 1..=n, none skipped or lost; each counts exactly the keys it wraps, never
    // more than the limit.
    let newest = *wraps.keys().next_back().unwrap();
    assert_eq!(
        wraps.keys().copied().collect::<Vec<_>>(),
        (1..=newest).collect::<Vec<_>>()
    );
    assert_eq!(wraps, data_keys_per_kek(&a));
    assert!(wraps.values().all(|&n| n <= LIMIT), "{wraps:?}");
    let created = 10 + 24 + if spec.is_some() { 6 } else { 0 };
    assert_eq!(wraps.values().sum::<u64>(), created);
    // Every envelope opens, in a fresh keyring too; the counts survive reopening.
    let fresh = open_keyring();
    assert_all_open(&fresh, &all);
    assert_all_open(&a, &all);
    assert_all_open(&b, &all);
    assert_eq!(kek_wraps(&fresh), wraps);

    // The store refuses a batch that would pass the limit, and stores nothing.
    let refused = a.store().insert_data_keys(
        &[NewDataKey::new("refused", newest, &[0; 60])],
        wraps[&newest],
    );
    assert_eq!(
        refused.unwrap_err(),
        Error::KekWrapLimit {
            version: newest,
            limit: wraps[&newest]
        }
    );
    assert!(a.store().data_key("refused").unwrap().is_none());
    assert_eq!(kek_wraps(&a), wraps);

    // A rewrap moves every key off the older versions without passing the limit: it adds
    // versions as the newest fills.
    let moved = a.rewrap().unwrap();
    assert_eq!(moved as u64, created - wraps[&newest]);
    let after = kek_wraps(&a);
    assert_eq!(*after.keys().next().unwrap(), newest);
    assert!(after.values().all(|&n| n <= LIMIT), "{after:?}");
    assert_eq!(after, data_keys_per_kek(&a));
    assert_eq!(after.values().sum::<u64>(), created);
    assert_all_open(&open_keyring(), &all);
    assert_all_open(&b, &all);
    // New subjects go on under the newest version.
    seal(&b, "after-rewrap", &mut all);
    assert_all_open(&a, &all);
    assert_eq!(
        Error::KekWrapLimit {
            version: 2,
            limit: 3
        }
        .to_string(),
        "key-encryption key version 2 reached its limit of 3 wrapped data keys"
    );
}
