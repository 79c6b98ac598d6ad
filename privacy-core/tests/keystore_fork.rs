//! A keyring built before `fork()` and used in the forked child (a pre-forking server's
//! workers), over the SQLite store and, with `PRIVACY_TEST_POSTGRES_URL`, the PostgreSQL
//! store: the child opens connections of its own and leaves the parent's alone, follows the
//! shred log in a thread of its own, and parent and child honour each other's shreds within
//! the bound. Also: 40 forks while the background thread polls every millisecond (no child
//! inherits a lock it holds), a worker running a multi-thread tokio runtime, and an in-memory
//! SQLite store refusing a child. One test alone in its binary, so the forks happen with as
//! few threads as possible.
#![cfg(target_os = "linux")]
#![allow(unsafe_code)]

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use privacy_core::crypto::{Aad, Error, Keyring, MasterKey};

const BOUND: Duration = Duration::from_millis(200);

fn aad(subject: &str) -> Aad<'_> {
    Aad::new("Account", "card", subject)
}

/// The threads of this process named like the keyring's background thread.
fn follower_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter(|task| {
            let comm = std::fs::read_to_string(task.as_ref().unwrap().path().join("comm"));
            comm.is_ok_and(|name| name.starts_with("privacy-keyring"))
        })
        .count()
}

/// How long a child may take before the test calls it stuck (a lock it inherited held).
const STUCK: Duration = Duration::from_secs(20);

/// Both ends of a socket between parent and child, whose reads give up after [`STUCK`], so
/// that a stuck child fails the test instead of hanging it.
fn socket_pair() -> (UnixStream, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    for end in [&a, &b] {
        end.set_read_timeout(Some(STUCK)).unwrap();
    }
    (a, b)
}

/// A forked child, killed and reaped if the test fails before it exits: a stuck child left
/// running would keep the test's output pipe open, and CI waiting on it.
struct Forked(libc::pid_t);

impl Forked {
    /// Waits for the child to exit with status 0; kills it if it is stuck.
    fn exited_well(self, what: &str) {
        let started = Instant::now();
        let mut status = 0;
        // SAFETY: polls a child this process forked.
        while unsafe { libc::waitpid(self.0, &raw mut status, libc::WNOHANG) } == 0 {
            assert!(started.elapsed() < STUCK, "{what}: the child is stuck");
            std::thread::sleep(Duration::from_millis(1));
        }
        std::mem::forget(self);
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "{what}: the child failed"
        );
    }
}

impl Drop for Forked {
    fn drop(&mut self) {
        let mut status = 0;
        // SAFETY: kills and reaps a child this process forked and has not reaped.
        unsafe {
            libc::kill(self.0, libc::SIGKILL);
            libc::waitpid(self.0, &raw mut status, 0);
        }
    }
}

fn send(stream: &mut UnixStream, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).unwrap();
    stream.write_all(&len.to_le_bytes()).unwrap();
    stream.write_all(bytes).unwrap();
}

fn receive(stream: &mut UnixStream) -> Vec<u8> {
    let mut len = [0; 4];
    stream.read_exact(&mut len).unwrap();
    let mut bytes = vec![0; u32::from_le_bytes(len) as usize];
    stream.read_exact(&mut bytes).unwrap();
    bytes
}

/// Polls until `keyring` refuses `subject` (seal and open of `envelope`); every attempt that
/// is still served must start less than a bound after `since`.
fn refused_within_bound(keyring: &Keyring, subject: &str, envelope: &[u8], since: Instant) {
    loop {
        let asked = Instant::now();
        let sealed = keyring.seal_bytes(&aad(subject), b"again");
        let opened = keyring.open_bytes(&aad(subject), envelope);
        if sealed == Err(Error::Shredded) && opened.err() == Some(Error::Shredded) {
            return;
        }
        let after = asked.duration_since(since);
        assert!(
            after < BOUND,
            "{subject} still served {after:?} after the shred"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// A store under test: how to build a keyring over it, and how to see its connections.
struct Store<'a> {
    build: &'a dyn Fn() -> Keyring,
    /// This process's file descriptors of the kind the store's connections use.
    descriptors: &'a dyn Fn() -> usize,
    /// The server sessions (backend ids) the store has open (none without a server).
    sessions: &'a dyn Fn() -> Vec<i32>,
}

/// What the child does with the keyring it inherited.
fn child(store: &Store<'_>, keyring: &Keyring, stream: &mut UnixStream) {
    let inherited = (store.descriptors)();
    let kept = receive(stream);
    let victim = receive(stream);
    assert_eq!(follower_threads(), 0, "threads do not survive a fork");
    // Cached before the fork: the child reads it again, through a connection of its own.
    assert_eq!(
        &keyring.open_bytes(&aad("kept"), &kept).unwrap()[..],
        b"kept"
    );
    assert!(
        (store.descriptors)() > inherited,
        "the child used the parent's connection"
    );
    // (A new thread names itself once it runs: give it that long.)
    let started = Instant::now();
    while follower_threads() != 1 {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the child does not follow the shred log"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    send(
        stream,
        &keyring.seal_bytes(&aad("child"), b"child").unwrap(),
    );
    // The parent shreds the victim, then says so.
    receive(stream);
    refused_within_bound(keyring, "victim", &victim, Instant::now());
    keyring.shred("kept").unwrap();
    send(stream, b"shredded");
}

/// Parent and forked child over one keyring built before the fork.
fn forked_worker(store: &Store<'_>) {
    let keyring = (store.build)().with_shred_bound(BOUND);
    let kept = keyring.seal_bytes(&aad("kept"), b"kept").unwrap();
    let victim = keyring.seal_bytes(&aad("victim"), b"victim").unwrap();
    assert_eq!(
        &keyring.open_bytes(&aad("kept"), &kept).unwrap()[..],
        b"kept"
    );
    let (mut parent_end, mut child_end) = socket_pair();
    let sessions = (store.sessions)();

    // SAFETY: the child only uses the keyring and its socket, then `_exit`s; it never returns
    // into the test harness.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        drop(parent_end);
        // The harness captures what the child prints, and the capture dies with it: say why
        // it failed on the real standard error.
        std::panic::set_hook(Box::new(|info| {
            let _ = writeln!(std::io::stderr(), "forked child: {info}");
        }));
        let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            child(store, &keyring, &mut child_end);
            // A worker that shuts down drops its keyring: its own connections close, the
            // inherited ones are left to the parent.
            drop(keyring);
        }))
        .is_ok();
        // SAFETY: ends the child without running the parent's destructors or harness.
        unsafe { libc::_exit(i32::from(!ok)) };
    }
    let child = Forked(pid);
    drop(child_end);
    send(&mut parent_end, &kept);
    send(&mut parent_end, &victim);
    // A data key the child created opens here.
    let from_child = receive(&mut parent_end);
    assert_eq!(
        &keyring.open_bytes(&aad("child"), &from_child).unwrap()[..],
        b"child"
    );
    keyring.shred("victim").unwrap();
    send(&mut parent_end, b"shredded");
    // The child's shred of "kept" reaches the parent within the bound.
    receive(&mut parent_end);
    refused_within_bound(&keyring, "kept", &kept, Instant::now());
    child.exited_well("the worker");
    // The child closed none of the parent's sessions.
    let now = (store.sessions)();
    for session in sessions {
        assert!(now.contains(&session), "the child ended a parent's session");
    }
    let after = keyring.seal_bytes(&aad("after"), b"after").unwrap();
    let fresh = (store.build)();
    assert_eq!(
        &fresh.open_bytes(&aad("after"), &after).unwrap()[..],
        b"after"
    );
    assert_eq!(
        &fresh.open_bytes(&aad("child"), &from_child).unwrap()[..],
        b"child"
    );
    assert_eq!(
        fresh.open_bytes(&aad("victim"), &victim),
        Err(Error::Shredded)
    );
}

/// How many of this process's file descriptors `link` accepts (what they point to).
fn descriptors(link: impl Fn(&std::path::Path) -> bool) -> usize {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter(|fd| std::fs::read_link(fd.as_ref().unwrap().path()).is_ok_and(|to| link(&to)))
        .count()
}

/// A worker that runs a multi-thread tokio runtime, as an async service does: tasks seal and
/// open (PostgreSQL store calls go through `block_in_place` there) with the keyring the
/// parent built, and the parent opens what they sealed.
fn tokio_in_a_forked_worker(build: &dyn Fn() -> Keyring) {
    let keyring = std::sync::Arc::new(build());
    let kept = keyring
        .seal_bytes(&aad("tokio-kept"), b"tokio-kept")
        .unwrap();
    let (mut parent_end, mut child_end) = socket_pair();
    // SAFETY: as in `forked_worker`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        drop(parent_end);
        let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .build()
                .unwrap();
            let sealed = runtime.block_on(async {
                let tasks: Vec<_> = (0..4)
                    .map(|t| {
                        let (keyring, kept) = (std::sync::Arc::clone(&keyring), kept.clone());
                        tokio::spawn(async move {
                            let opened = keyring.open_bytes(&aad("tokio-kept"), &kept).unwrap();
                            assert_eq!(&opened[..], b"tokio-kept");
                            let subject = format!("tokio-task-{t}");
                            keyring.seal_bytes(&aad(&subject), b"task").unwrap()
                        })
                    })
                    .collect();
                let mut sealed = Vec::new();
                for task in tasks {
                    sealed.push(task.await.unwrap());
                }
                sealed
            });
            for envelope in &sealed {
                send(&mut child_end, envelope);
            }
        }))
        .is_ok();
        // SAFETY: ends the child without running the parent's destructors or harness.
        unsafe { libc::_exit(i32::from(!ok)) };
    }
    let child = Forked(pid);
    drop(child_end);
    for t in 0..4 {
        let envelope = receive(&mut parent_end);
        let subject = format!("tokio-task-{t}");
        assert_eq!(
            &keyring.open_bytes(&aad(&subject), &envelope).unwrap()[..],
            b"task"
        );
    }
    child.exited_well("the tokio worker");
}

#[test]
fn a_keyring_inherited_by_forked_workers_behaves_as_one_with_its_parent() {
    let dir = std::env::temp_dir().join(format!("privacy-fork-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("keys.sqlite");
    let build = || Keyring::sqlite_with_master_key(&path, MasterKey::from_bytes([7; 32])).unwrap();
    let file = std::cell::OnceCell::new();
    forked_worker(&Store {
        build: &build,
        descriptors: &|| {
            let file = file.get_or_init(|| path.canonicalize().unwrap());
            descriptors(|to| to == file)
        },
        sessions: &Vec::new,
    });
    forks_while_the_background_thread_works(&build);
    tokio_in_a_forked_worker(&build);
    std::fs::remove_dir_all(&dir).unwrap();
    in_memory_sqlite_refuses_a_child();

    #[cfg(feature = "postgres")]
    postgres_worker();
}

/// Forks many times while the keyring's background thread reads the store every
/// millisecond: a fork never lands while that thread holds a lock (it would stay held in the
/// child, whose first store call would then wait forever).
fn forks_while_the_background_thread_works(build: &dyn Fn() -> Keyring) {
    let keyring = build().with_shred_bound(Duration::from_millis(10));
    let sealed = keyring.seal_bytes(&aad("often"), b"often").unwrap();
    for round in 0..40 {
        // SAFETY: as in `forked_worker`.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let ok = keyring
                .open_bytes(&aad("often"), &sealed)
                .is_ok_and(|plain| plain[..] == b"often"[..]);
            // SAFETY: ends the child without running the parent's destructors or harness.
            unsafe { libc::_exit(i32::from(!ok)) };
        }
        let child = Forked(pid);
        child.exited_well(&format!("fork {round}"));
        std::thread::sleep(Duration::from_micros(300 * (round % 4)));
    }
}

/// An in-memory SQLite store is one process's: a child would write to a copy the parent never
/// sees, so every call there fails, visibly.
fn in_memory_sqlite_refuses_a_child() {
    let store = privacy_core::crypto::SqliteKeyStore::open(":memory:").unwrap();
    let keyring = Keyring::new(store, MasterKey::from_bytes([7; 32])).unwrap();
    let sealed = keyring.seal_bytes(&aad("parent"), b"parent").unwrap();
    let (mut parent_end, mut child_end) = socket_pair();
    // SAFETY: as in `forked_worker`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        drop(parent_end);
        let errors = [
            keyring.seal_bytes(&aad("child"), b"child").map(|_| ()),
            keyring.open_bytes(&aad("parent"), &sealed).map(|_| ()),
            keyring.shred("parent"),
        ];
        let text: Vec<String> = errors
            .iter()
            .map(|e| {
                e.as_ref()
                    .map_or_else(ToString::to_string, |()| "ok".into())
            })
            .collect();
        send(&mut child_end, text.join("\n").as_bytes());
        // SAFETY: ends the child without running the parent's destructors or harness.
        unsafe { libc::_exit(0) };
    }
    let child = Forked(pid);
    drop(child_end);
    let text = String::from_utf8(receive(&mut parent_end)).unwrap();
    child.exited_well("the child");
    let expected = "key store: an in-memory SQLite key store cannot be shared with a forked \
                    child: open the store on a file";
    assert_eq!(text, [expected; 3].join("\n"));
    assert_eq!(
        &keyring.open_bytes(&aad("parent"), &sealed).unwrap()[..],
        b"parent"
    );
}

/// Drops the test's schema, whatever happened.
#[cfg(feature = "postgres")]
struct Dropped<'a>(&'a str, &'a str);
#[cfg(feature = "postgres")]
impl Drop for Dropped<'_> {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(self.0, postgres::NoTls) {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.1));
        }
    }
}

#[cfg(feature = "postgres")]
fn postgres_worker() {
    let Ok(url) = std::env::var("PRIVACY_TEST_POSTGRES_URL") else {
        println!("skipped the PostgreSQL store: set PRIVACY_TEST_POSTGRES_URL to run it");
        return;
    };
    let schema = format!("t_fork_{}", std::process::id());
    let _dropped = Dropped(&url, &schema);
    let admin = || postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let build = || {
        let store =
            privacy_core::crypto::PostgresKeyStore::connect_in_schema(&url, &schema).unwrap();
        Keyring::new(store, MasterKey::from_bytes([7; 32])).unwrap()
    };
    let app = format!("privacy-core keys {schema}");
    // First: the sessions it compares are all of the schema's, and a keyring of an earlier
    // scenario may still be closing its own.
    forked_worker(&Store {
        build: &build,
        descriptors: &|| descriptors(|to| to.to_string_lossy().starts_with("socket:")),
        sessions: &|| {
            admin()
                .query(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = $1",
                    &[&app],
                )
                .unwrap()
                .iter()
                .map(|row| row.get(0))
                .collect()
        },
    });
    tokio_in_a_forked_worker(&build);
}
