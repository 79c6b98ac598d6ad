//! [`PostgresKeyStore`]: a [`KeyStore`] in a PostgreSQL database, for fleets of instances.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use postgres::{Client, Config, NoTls, Statement, Transaction};

mod key_store;
mod schema;

use crate::crypto::error::Convert;
use crate::crypto::error::{Error, Result};
use crate::crypto::os::fork;
use schema::{migrate, Sql};

/// Connections a store opens at most for concurrent calls (plus one that listens for
/// shreds); a second one opens only when a call finds the first busy.
pub(crate) const POSTGRES_POOL_SIZE: usize = 4;

/// The schema version this build writes (the `privacy_meta` row `schema_version`): 2 added
/// the seal count of each data key, 3 the wrap count of each KEK (`privacy_keks.wraps`,
/// started at the data keys each KEK wraps when migrated); older schemas are migrated when a
/// store connects.
pub const POSTGRES_SCHEMA_VERSION: i64 = 3;

/// A [`KeyStore`](crate::crypto::KeyStore) in a PostgreSQL database (feature `postgres`): the store for several
/// instances (replicas, workers, machines) sharing keys.
///
/// Tables, in the schema given to [`connect_in_schema`](PostgresKeyStore::connect_in_schema)
/// (`public` by default; created if absent): `privacy_meta` (the schema version, migrated
/// forward under an advisory lock; a newer version is refused with [`Error::SchemaTooNew`]),
/// `privacy_keks` (with the wrap count of each KEK), `privacy_data_keys` (with a foreign key
/// to the KEK wrapping each data key, so a data key wrapped by a retired KEK cannot be
/// stored, and the seal count of each key) and `privacy_shred_log`. Storing data keys is one
/// statement that inserts the keys and adds them to their KEK's wrap count, in a transaction
/// that is rolled back if the count would pass the limit; it locks the data key table before
/// the KEK table, the order rotation and rewrapping lock them in, so they never deadlock.
/// A shred commits with a `NOTIFY`, so other keyrings (which `LISTEN`) drop the subject's key
/// at once; their periodic read of the log is the backstop.
///
/// # Blocking, and async code
///
/// It uses the synchronous [`postgres`] client, whose calls block. Called from inside a
/// tokio runtime (where that client would panic with "cannot start a runtime from within a
/// runtime"), each store call runs through `tokio::task::block_in_place` on a multi-thread
/// runtime (the worker's other tasks move to another thread meanwhile) and on a short-lived
/// thread of its own on a current-thread runtime, so [`Keyring`](crate::crypto::Keyring) seal, open
/// and shred never panic in async code. A keyring touches the store only on a cache miss, a
/// first seal or an admin operation: warm seals and opens do not block. Run bulk and admin
/// work ([`Keyring::prepare_subjects`], [`Keyring::rotate`], [`Keyring::rewrap`]) under
/// `tokio::task::spawn_blocking`, as any blocking call.
///
/// # Forked workers
///
/// In a child `fork`ed after the store connected, the store opens connections of its own: a
/// connection's socket is shared with the parent after `fork`, and using or closing it in the
/// child would break the parent's session, so the child leaves inherited connections
/// untouched (leaked) instead.
///
/// [`Keyring::prepare_subjects`]: crate::crypto::Keyring::prepare_subjects
/// [`Keyring::rotate`]: crate::crypto::Keyring::rotate
/// [`Keyring::rewrap`]: crate::crypto::Keyring::rewrap
pub struct PostgresKeyStore {
    config: Config,
    schema: String,
    channel: String,
    sql: Sql,
    /// Up to four connections, opened as concurrent calls need them.
    pool: Vec<Mutex<Option<Conn>>>,
    /// The connection that `LISTEN`s for shreds, and the fork generation that opened it;
    /// taken out while it waits, so that no lock is held across the wait (a `fork` then
    /// finds it free).
    listener: Mutex<Option<(Client, u64)>>,
}

/// The connection, with the statements of the hot paths (cache misses, first seals, the
/// shred log) prepared once: one round trip per call instead of two.
struct Conn {
    client: Client,
    prepared: HashMap<&'static str, Statement>,
    /// The fork generation of the process that opened `client`.
    fork: u64,
}

impl Conn {
    fn prepared(&mut self, name: &'static str, sql: &str) -> Result<Statement> {
        if let Some(statement) = self.prepared.get(name) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql).conv()?;
        self.prepared.insert(name, statement.clone());
        Ok(statement)
    }
}

impl PostgresKeyStore {
    /// Connects to `url` (`postgres://user@host:port/db` or `host=... user=...`) and creates
    /// or migrates the tables in schema `public`.
    pub fn connect(url: &str) -> Result<PostgresKeyStore> {
        PostgresKeyStore::connect_in_schema(url, "public")
    }

    /// Connects to `url` and keeps the tables in `schema` (created if absent): several
    /// independent key stores can share one database. `schema` is an identifier of ASCII
    /// letters, digits and `_`, not starting with a digit, at most 63 bytes.
    pub fn connect_in_schema(url: &str, schema: &str) -> Result<PostgresKeyStore> {
        let valid = !schema.is_empty()
            && schema.len() <= 63
            && schema
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !schema.as_bytes()[0].is_ascii_digit();
        if !valid {
            return Err(Error::Store {
                message: "invalid PostgreSQL schema name (letters, digits, _; at most 63)"
                    .to_owned(),
            });
        }
        // The parser's message could quote the URL, password included: not repeated.
        let mut config: Config = url.parse().map_err(|_| Error::Store {
            message: "invalid PostgreSQL connection string".to_owned(),
        })?;
        config
            .connect_timeout(Duration::from_secs(10))
            .keepalives_idle(Duration::from_secs(10))
            .tcp_user_timeout(Duration::from_secs(10));
        if config.get_application_name().is_none() {
            // Names the schema, so an operator can tell the stores' connections apart.
            let name = format!("privacy-core keys {schema}");
            config.application_name(&name[..name.len().min(63)]);
        }
        let quoted = format!("\"{schema}\"");
        let store = PostgresKeyStore {
            config,
            channel: format!("privacy_shreds_{}", &schema[..schema.len().min(40)]),
            sql: Sql::new(&quoted),
            schema: quoted,
            pool: (0..POSTGRES_POOL_SIZE).map(|_| Mutex::new(None)).collect(),
            listener: Mutex::new(None),
        };
        store.with_client(|client| migrate(client, &store.schema))?;
        Ok(store)
    }

    /// Runs `f` with a connection of the pool, off the runtime when called from inside tokio
    /// (see `off_runtime`). A connection found closed is reopened; if `f` fails because the
    /// connection broke (a server restart, a fail-over, an idle timeout), `f` runs once more
    /// on a new one: every store operation is safe to repeat (inserts are if-absent, rewraps
    /// compare and swap, a second shred changes nothing; a repeated seal count only counts
    /// high, which errs on the safe side).
    fn with_conn<R: Send>(&self, mut f: impl FnMut(&mut Conn) -> Result<R> + Send) -> Result<R> {
        off_runtime(|| {
            // The first idle connection (opening one if that slot has none), else wait for
            // the first slot.
            let mut guard = None;
            for slot in &self.pool {
                if let Ok(g) = slot.try_lock() {
                    guard = Some(g);
                    break;
                }
            }
            let mut guard = match guard {
                Some(g) => g,
                None => self
                    .pool
                    .first()
                    .ok_or(Error::Store {
                        message: "postgres: no connection".to_owned(),
                    })?
                    .lock()?,
            };
            let mut retried = false;
            let generation = fork::generation();
            loop {
                *guard = guard.take().and_then(|c| {
                    let opened_in = c.fork;
                    fork::ours(c, opened_in)
                });
                if guard.as_ref().is_none_or(|c| c.client.is_closed()) {
                    *guard = None;
                    *guard = Some(Conn {
                        client: self.config.connect(NoTls).conv()?,
                        prepared: HashMap::new(),
                        fork: generation,
                    });
                }
                let conn = guard.as_mut().ok_or(Error::Store {
                    message: "postgres: no connection".to_owned(),
                })?;
                let out = f(conn);
                if !connection_broke(&mut conn.client, out.is_err()) {
                    return out;
                }
                *guard = None;
                if out.is_ok() || retried {
                    return out;
                }
                retried = true;
            }
        })
    }

    fn with_client<R: Send>(
        &self,
        mut f: impl FnMut(&mut Client) -> Result<R> + Send,
    ) -> Result<R> {
        self.with_conn(|conn| f(&mut conn.client))
    }

    fn tx<R: Send>(
        &self,
        mut f: impl FnMut(&mut Transaction<'_>) -> Result<R> + Send,
    ) -> Result<R> {
        self.with_client(|client| {
            let mut tx = client.transaction().conv()?;
            let out = f(&mut tx)?;
            tx.commit().conv()?;
            Ok(out)
        })
    }
}

/// Whether `client`'s connection broke under the call that just ran. A closed client did;
/// after a failed call the connection is also probed with an empty query, because a server
/// that terminates a backend (`57P01`, a restart, a fail-over) may answer the next query with
/// that error before the client sees the socket close. The probe runs only after an error.
fn connection_broke(client: &mut Client, failed: bool) -> bool {
    client.is_closed() || (failed && client.is_valid(PROBE_TIMEOUT).is_err())
}

/// How long the probe of [`connection_broke`] waits for the server.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs `f` where the blocking client may start a runtime of its own, which tokio forbids
/// inside a runtime: here outside tokio; through `block_in_place` on a multi-thread runtime
/// (this worker's other tasks move to another thread while the call blocks); on a scoped
/// thread of its own on a current-thread runtime. A panic in `f` is a store error.
fn off_runtime<R: Send>(f: impl FnOnce() -> Result<R> + Send) -> Result<R> {
    use tokio::runtime::{Handle, RuntimeFlavor};
    let panicked = |_| Error::Store {
        message: "postgres: the store call panicked".to_owned(),
    };
    match Handle::try_current().map(|handle| handle.runtime_flavor()) {
        Err(_) => f(),
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(|| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(panicked)?
        }),
        Ok(_) => std::thread::scope(|s| s.spawn(f).join()).map_err(panicked)?,
    }
}

impl core::fmt::Debug for PostgresKeyStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The configuration holds the password: only where the tables are.
        f.debug_struct("PostgresKeyStore")
            .field("schema", &self.schema)
            .field("dbname", &self.config.get_dbname())
            .finish_non_exhaustive()
    }
}

impl Drop for PostgresKeyStore {
    fn drop(&mut self) {
        // Closing a blocking client inside a tokio runtime would panic: close it off it.
        // Connections inherited across a fork are the parent's: left untouched.
        let clients: Vec<Client> = self
            .pool
            .iter_mut()
            .filter_map(|slot| slot.get_mut().ok().and_then(Option::take))
            .map(|c| (c.client, c.fork))
            .chain(self.listener.get_mut().ok().and_then(Option::take))
            .filter_map(|(client, opened_in)| fork::ours(client, opened_in))
            .collect();
        if tokio::runtime::Handle::try_current().is_ok() {
            // A thread of its own, whatever the runtime's state (a drop may come from its
            // shutdown, where a drop must not panic).
            std::thread::scope(|s| {
                let _ = s.spawn(move || drop(clients)).join();
            });
        } else {
            drop(clients);
        }
    }
}
