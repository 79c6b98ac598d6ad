//! [`PostgresKeyStore`]: a [`KeyStore`] in a PostgreSQL database, for fleets of instances.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use postgres::error::SqlState;
use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, Config, NoTls, Row, Statement, Transaction};

use super::error::{Error, Result};
use super::fork;
use super::store::{DataKeyRecord, DataKeyState, KeyStore, KeyStoreTx, NewDataKey, WrappedKek};

/// Connections a store opens at most for concurrent calls (plus one that listens for
/// shreds); a second one opens only when a call finds the first busy.
pub const POSTGRES_POOL_SIZE: usize = 4;

/// The schema version this build writes (the `privacy_meta` row `schema_version`): 2 added
/// the seal count of each data key, 3 the wrap count of each KEK (`privacy_keks.wraps`,
/// started at the data keys each KEK wraps when migrated); older schemas are migrated when a
/// store connects.
pub const POSTGRES_SCHEMA_VERSION: i64 = 3;

/// A [`KeyStore`] in a PostgreSQL database (feature `postgres`): the store for several
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
/// thread of its own on a current-thread runtime, so [`Keyring`](super::Keyring) seal, open
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
/// [`Keyring::prepare_subjects`]: super::Keyring::prepare_subjects
/// [`Keyring::rotate`]: super::Keyring::rotate
/// [`Keyring::rewrap`]: super::Keyring::rewrap
pub struct PostgresKeyStore {
    config: Config,
    schema: String,
    channel: String,
    sql: Sql,
    /// Up to [`POSTGRES_POOL_SIZE`] connections, opened as concurrent calls need them.
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
        let statement = self.client.prepare(sql)?;
        self.prepared.insert(name, statement.clone());
        Ok(statement)
    }
}

/// The statements, with the schema spelled in.
struct Sql {
    keks: String,
    insert_kek: String,
    update_kek: String,
    delete_kek: String,
    kek_in_use: String,
    data_key: String,
    data_keys_any: String,
    data_keys: String,
    active_data_keys: String,
    insert_data_keys: String,
    upsert_data_keys: String,
    add_kek_wraps: String,
    add_seals: String,
    rewrap_data_key: String,
    update_data_key: String,
    shred_lock: String,
    shred: String,
    shred_log_insert: String,
    shred_log_end: String,
    shred_log_since: String,
    admin_lock: String,
}

impl Sql {
    fn new(s: &str) -> Sql {
        let cols = "key_id, subject, kek_version, wrapped, shredded, seals";
        Sql {
            keks: format!("SELECT version, wrapped, wraps FROM {s}.privacy_keks"),
            insert_kek: format!(
                "INSERT INTO {s}.privacy_keks (version, wrapped, wraps) VALUES ($1, $2, $3)
                 ON CONFLICT (version) DO NOTHING"
            ),
            update_kek: format!("UPDATE {s}.privacy_keks SET wrapped = $2 WHERE version = $1"),
            delete_kek: format!("DELETE FROM {s}.privacy_keks WHERE version = $1"),
            kek_in_use: format!(
                "SELECT count(*) FROM {s}.privacy_data_keys WHERE NOT shredded AND kek_version = $1"
            ),
            data_key: format!("SELECT {cols} FROM {s}.privacy_data_keys WHERE subject = $1"),
            data_keys_any: format!(
                "SELECT {cols} FROM {s}.privacy_data_keys WHERE subject = ANY($1)"
            ),
            data_keys: format!("SELECT {cols} FROM {s}.privacy_data_keys"),
            active_data_keys: format!(
                "SELECT {cols} FROM {s}.privacy_data_keys WHERE NOT shredded"
            ),
            insert_data_keys: format!(
                "INSERT INTO {s}.privacy_data_keys (subject, kek_version, wrapped)
                 SELECT subject, $2, wrapped FROM unnest($1::text[], $3::bytea[]) AS n(subject, wrapped)
                 ON CONFLICT (subject) DO NOTHING"
            ),
            // One statement (one round trip, atomic on its own): the rows inserted, then the
            // rows that were there before it started; and the inserted rows added to the
            // KEK's wrap count if that stays within $4. Past the limit the statement fails
            // with a division by zero (a count computed at run time, never folded by the
            // planner), which undoes its inserts: no transaction round trips. (A KEK that is
            // gone fails the foreign key instead: stale.) A row another
            // transaction committed meanwhile is in neither; the caller reads those again.
            upsert_data_keys: format!(
                "WITH input AS (
                     SELECT * FROM unnest($1::text[], $3::bytea[]) AS n(subject, wrapped)
                 ), ins AS (
                     INSERT INTO {s}.privacy_data_keys (subject, kek_version, wrapped)
                     SELECT subject, $2, wrapped FROM input ORDER BY subject
                     ON CONFLICT (subject) DO NOTHING
                     RETURNING {cols}
                 ), counted AS (
                     UPDATE {s}.privacy_keks SET wraps = wraps + (SELECT count(*) FROM ins)
                     WHERE version = $2 AND (SELECT count(*) FROM ins) > 0
                       AND wraps <= $4::int8 - (SELECT count(*) FROM ins)
                     RETURNING version
                 ), status AS (
                     SELECT (SELECT count(*) FROM ins) AS inserted,
                            (SELECT count(*) FROM counted) AS added
                 ), guard AS (
                     SELECT 1 / (CASE WHEN inserted > 0 AND added = 0 AND EXISTS (
                                    SELECT 1 FROM {s}.privacy_keks WHERE version = $2
                                ) THEN 0 ELSE 1 END) AS within_limit
                     FROM status
                 )
                 SELECT {cols}, g.within_limit FROM ins, guard g
                 UNION ALL
                 SELECT d.key_id, d.subject, d.kek_version, d.wrapped, d.shredded, d.seals,
                        g.within_limit
                 FROM {s}.privacy_data_keys d JOIN input i ON i.subject = d.subject, guard g
                 WHERE d.subject NOT IN (SELECT subject FROM ins)"
            ),
            add_kek_wraps: format!(
                "UPDATE {s}.privacy_keks SET wraps = wraps + $2::int8
                 WHERE version = $1 AND wraps <= $3::int8 - $2::int8"
            ),

            add_seals: format!(
                "UPDATE {s}.privacy_data_keys AS d SET seals = d.seals + u.n
                 FROM unnest($1::int4[], $2::int8[]) AS u(key_id, n) WHERE d.key_id = u.key_id"
            ),
            rewrap_data_key: format!(
                "UPDATE {s}.privacy_data_keys SET kek_version = $3, wrapped = $4
                 WHERE key_id = $1 AND kek_version = $2 AND NOT shredded"
            ),
            update_data_key: format!(
                "UPDATE {s}.privacy_data_keys SET kek_version = $2, wrapped = $3
                 WHERE key_id = $1 AND NOT shredded"
            ),
            shred_lock: format!("LOCK TABLE {s}.privacy_shred_log IN EXCLUSIVE MODE"),
            shred: format!(
                "INSERT INTO {s}.privacy_data_keys (subject, kek_version, wrapped, shredded)
                 VALUES ($1, NULL, NULL, TRUE)
                 ON CONFLICT (subject) DO UPDATE
                 SET kek_version = NULL, wrapped = NULL, shredded = TRUE"
            ),
            shred_log_insert: format!("INSERT INTO {s}.privacy_shred_log (subject) VALUES ($1)"),
            shred_log_end: format!("SELECT coalesce(max(seq), 0) FROM {s}.privacy_shred_log"),
            shred_log_since: format!(
                "SELECT seq, subject FROM {s}.privacy_shred_log WHERE seq > $1 ORDER BY seq"
            ),
            // Data keys first, then KEKs: the order in which a transaction storing data keys
            // takes its locks (it inserts the keys, then adds to their KEK's wrap count), so
            // the two never deadlock.
            admin_lock: format!(
                "LOCK TABLE {s}.privacy_data_keys, {s}.privacy_keks IN SHARE ROW EXCLUSIVE MODE"
            ),
        }
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
                        client: self.config.connect(NoTls)?,
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
            let mut tx = client.transaction()?;
            let out = f(&mut tx)?;
            tx.commit()?;
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

/// The schema version of the store: 0 where there are no tables yet.
fn schema_version(client: &mut impl postgres::GenericClient, schema: &str) -> Result<i64> {
    let exists: bool = client
        .query_one(
            "SELECT to_regclass($1) IS NOT NULL",
            &[&format!("{schema}.privacy_meta")],
        )?
        .get(0);
    if !exists {
        return Ok(0);
    }
    Ok(client
        .query_opt(
            &format!("SELECT value FROM {schema}.privacy_meta WHERE name = 'schema_version'"),
            &[],
        )?
        .map_or(0, |row| row.get(0)))
}

/// Creates the schema and tables, or migrates them, under an advisory lock (racing
/// instances migrate once). A current store is only read, so a read-only connection (a
/// replica, `default_transaction_read_only`) opens one.
fn migrate(client: &mut Client, schema: &str) -> Result<()> {
    let too_new = |found| Error::SchemaTooNew {
        store: "postgres",
        found,
        supported: POSTGRES_SCHEMA_VERSION,
    };
    let found = schema_version(client, schema)?;
    if found > POSTGRES_SCHEMA_VERSION {
        return Err(too_new(found));
    }
    if found == POSTGRES_SCHEMA_VERSION {
        return Ok(());
    }
    let mut tx = client.transaction()?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext($1))",
        &[&format!("privacy-core/{schema}")],
    )?;
    tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))?;
    let version = schema_version(&mut tx, schema)?;
    if version > POSTGRES_SCHEMA_VERSION {
        return Err(too_new(version));
    }
    if version < 1 {
        tx.batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS {schema}.privacy_meta (
                 name text PRIMARY KEY,
                 value bigint NOT NULL
             );
             CREATE TABLE {schema}.privacy_keks (
                 version integer PRIMARY KEY CHECK (version >= 0),
                 wrapped bytea NOT NULL
             );
             CREATE TABLE {schema}.privacy_data_keys (
                 key_id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                 subject text NOT NULL UNIQUE,
                 kek_version integer REFERENCES {schema}.privacy_keks (version) ON DELETE RESTRICT,
                 wrapped bytea,
                 shredded boolean NOT NULL DEFAULT FALSE,
                 CHECK (shredded = (wrapped IS NULL) AND shredded = (kek_version IS NULL))
             );
             CREATE INDEX ON {schema}.privacy_data_keys (kek_version);
             CREATE TABLE {schema}.privacy_shred_log (
                 seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                 subject text NOT NULL
             );"
        ))?;
    }
    if version < 2 {
        tx.batch_execute(&format!(
            "ALTER TABLE {schema}.privacy_data_keys
                 ADD COLUMN IF NOT EXISTS seals bigint NOT NULL DEFAULT 0"
        ))?;
    }
    if version < 3 {
        // The wrap count of each KEK, started at the data keys it wraps now (a lower bound:
        // keys shredded or rewrapped away before were not counted). `IF NOT EXISTS`: a
        // schema half-way between versions migrates too.
        tx.batch_execute(&format!(
            "ALTER TABLE {schema}.privacy_keks
                 ADD COLUMN IF NOT EXISTS wraps bigint NOT NULL DEFAULT 0;
             UPDATE {schema}.privacy_keks k SET wraps = (
                 SELECT count(*) FROM {schema}.privacy_data_keys d
                 WHERE d.kek_version = k.version)"
        ))?;
    }
    // Later versions: `if version < 4 { ... }`, each step in this transaction.
    if version < POSTGRES_SCHEMA_VERSION {
        tx.execute(
            &format!(
                "INSERT INTO {schema}.privacy_meta (name, value) VALUES ('schema_version', $1)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value"
            ),
            &[&POSTGRES_SCHEMA_VERSION],
        )?;
    }
    tx.commit()?;
    Ok(())
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

fn u32_of(v: i32, what: &'static str) -> Result<u32> {
    u32::try_from(v).map_err(|_| Error::CorruptStore { reason: what })
}

fn i32_of(v: u32) -> Result<i32> {
    i32::try_from(v).map_err(|_| Error::CorruptStore {
        reason: "version or key id out of PostgreSQL integer range",
    })
}

fn record(row: &Row) -> Result<DataKeyRecord> {
    let key_id: i32 = row.try_get(0)?;
    let subject: String = row.try_get(1)?;
    let kek_version: Option<i32> = row.try_get(2)?;
    let wrapped: Option<Vec<u8>> = row.try_get(3)?;
    let shredded: bool = row.try_get(4)?;
    let seals: i64 = row.try_get(5)?;
    let state = match (shredded, kek_version, wrapped) {
        (false, Some(v), Some(wrapped)) => DataKeyState::Active {
            kek_version: u32_of(v, "kek version out of range")?,
            wrapped,
        },
        (false, _, _) => {
            return Err(Error::CorruptStore {
                reason: "active data key without wrapped bytes",
            })
        }
        (true, _, _) => DataKeyState::Shredded,
    };
    Ok(DataKeyRecord {
        key_id: u32_of(key_id, "key id out of range")?,
        subject,
        state,
        seals: u64::try_from(seals).unwrap_or(0),
    })
}

fn keks_of(rows: &[Row]) -> Result<Vec<WrappedKek>> {
    rows.iter()
        .map(|row| {
            Ok(WrappedKek {
                version: u32_of(row.try_get(0)?, "kek version out of range")?,
                wrapped: row.try_get(1)?,
                wraps: u64::try_from(row.try_get::<_, i64>(2)?).unwrap_or(0),
            })
        })
        .collect()
}

/// A count or limit as PostgreSQL's `bigint` (saturating).
fn i64_of(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A foreign-key violation becomes `fk`; anything else the store error.
fn or_fk(e: postgres::Error, fk: Error) -> Error {
    if e.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION) {
        fk
    } else {
        Error::from(e)
    }
}

impl KeyStore for PostgresKeyStore {
    fn keks(&self) -> Result<Vec<WrappedKek>> {
        self.with_client(|c| keks_of(&c.query(&self.sql.keks, &[])?))
    }

    fn insert_kek(&self, kek: &WrappedKek) -> Result<bool> {
        let version = i32_of(kek.version)?;
        let wraps = i64_of(kek.wraps);
        self.with_client(|c| {
            Ok(c.execute(&self.sql.insert_kek, &[&version, &kek.wrapped, &wraps])? == 1)
        })
    }

    fn delete_kek(&self, version: u32) -> Result<()> {
        let v = i32_of(version)?;
        self.tx(|tx| {
            let in_use: i64 = tx.query_one(&self.sql.kek_in_use, &[&v])?.get(0);
            if in_use > 0 {
                return Err(Error::KekInUse { version });
            }
            tx.execute(&self.sql.delete_kek, &[&v])
                .map_err(|e| or_fk(e, Error::KekInUse { version }))?;
            Ok(())
        })
    }

    fn data_key(&self, subject: &str) -> Result<Option<DataKeyRecord>> {
        self.with_conn(|c| {
            let statement = c.prepared("data_key", &self.sql.data_key)?;
            c.client
                .query_opt(&statement, &[&subject])?
                .as_ref()
                .map(record)
                .transpose()
        })
    }

    fn insert_data_keys(
        &self,
        keys: &[NewDataKey<'_>],
        wrap_limit: u64,
    ) -> Result<Vec<DataKeyRecord>> {
        let mut versions: Vec<u32> = keys.iter().map(|k| k.kek_version).collect();
        versions.sort_unstable();
        versions.dedup();
        let subjects: Vec<&str> = keys.iter().map(|k| k.subject).collect();
        let limit = i64_of(wrap_limit);
        let refused = |version| Error::KekWrapLimit {
            version,
            limit: wrap_limit,
        };
        let rows = match versions[..] {
            [] => return Ok(Vec::new()),
            // The usual case, one KEK version: one statement (inserts and count), which fails
            // as a whole if the count would pass the limit.
            [version] => self.with_conn(|c| {
                let upsert = c.prepared("upsert_data_keys", &self.sql.upsert_data_keys)?;
                let wrapped: Vec<&[u8]> = keys.iter().map(|k| k.wrapped).collect();
                let mut rows = HashMap::with_capacity(keys.len());
                for row in c
                    .client
                    .query(&upsert, &[&subjects, &i32_of(version)?, &wrapped, &limit])
                    .map_err(|e| match e.code() {
                        Some(&SqlState::DIVISION_BY_ZERO) => refused(version),
                        _ => or_fk(e, Error::StaleKek { version }),
                    })?
                {
                    let r = record(&row)?;
                    rows.insert(r.subject.clone(), r);
                }
                let missing: Vec<&str> = subjects
                    .iter()
                    .copied()
                    .filter(|s| !rows.contains_key(*s))
                    .collect();
                if !missing.is_empty() {
                    // Committed by another instance while the statement ran.
                    for row in c.client.query(&self.sql.data_keys_any, &[&missing])? {
                        let r = record(&row)?;
                        rows.insert(r.subject.clone(), r);
                    }
                }
                Ok(rows)
            })?,
            // Several versions: one statement each, in one transaction.
            _ => self.tx(|tx| {
                for &version in &versions {
                    let (names, wrapped): (Vec<&str>, Vec<&[u8]>) = keys
                        .iter()
                        .filter(|k| k.kek_version == version)
                        .map(|k| (k.subject, k.wrapped))
                        .unzip();
                    let v = i32_of(version)?;
                    let n = tx
                        .execute(&self.sql.insert_data_keys, &[&names, &v, &wrapped])
                        .map_err(|e| or_fk(e, Error::StaleKek { version }))?;
                    if n > 0 && tx.execute(&self.sql.add_kek_wraps, &[&v, &i64_of(n), &limit])? == 0
                    {
                        return Err(refused(version));
                    }
                }
                let mut rows = HashMap::with_capacity(keys.len());
                for row in tx.query(&self.sql.data_keys_any, &[&subjects])? {
                    let r = record(&row)?;
                    rows.insert(r.subject.clone(), r);
                }
                Ok(rows)
            })?,
        };
        subjects
            .iter()
            .map(|s| {
                rows.get(*s).cloned().ok_or(Error::CorruptStore {
                    reason: "the store returned fewer rows than keys",
                })
            })
            .collect()
    }

    fn data_keys(&self) -> Result<Vec<DataKeyRecord>> {
        self.with_client(|c| {
            c.query(&self.sql.data_keys, &[])?
                .iter()
                .map(record)
                .collect()
        })
    }

    fn rewrap_data_key(
        &self,
        key_id: u32,
        from_version: u32,
        to_version: u32,
        wrapped: &[u8],
    ) -> Result<bool> {
        let (id, from, to) = (i32_of(key_id)?, i32_of(from_version)?, i32_of(to_version)?);
        self.tx(|tx| {
            let n = tx
                .execute(&self.sql.rewrap_data_key, &[&id, &from, &to, &wrapped])
                .map_err(|e| {
                    or_fk(
                        e,
                        Error::StaleKek {
                            version: to_version,
                        },
                    )
                })?;
            if n == 1 {
                tx.execute(&self.sql.add_kek_wraps, &[&to, &1_i64, &i64::MAX])?;
            }
            Ok(n == 1)
        })
    }

    fn add_seals(&self, counts: &[(u32, u64)]) -> Result<()> {
        let ids = counts
            .iter()
            .map(|&(id, _)| i32_of(id))
            .collect::<Result<Vec<i32>>>()?;
        let ns: Vec<i64> = counts
            .iter()
            .map(|&(_, n)| i64::try_from(n).unwrap_or(i64::MAX))
            .collect();
        self.with_client(|c| {
            c.execute(&self.sql.add_seals, &[&ids, &ns])?;
            Ok(())
        })
    }

    fn shred(&self, subject: &str) -> Result<()> {
        self.tx(|tx| {
            // Serializes shreds, so log positions grow in commit order.
            tx.batch_execute(&self.sql.shred_lock)?;
            tx.execute(&self.sql.shred, &[&subject])?;
            tx.execute(&self.sql.shred_log_insert, &[&subject])?;
            tx.execute("SELECT pg_notify($1, '')", &[&self.channel])?;
            Ok(())
        })
    }

    fn shreds_since(&self, cursor: Option<u64>) -> Result<(u64, Vec<String>)> {
        self.with_conn(|c| {
            let Some(cursor) = cursor else {
                let end: i64 = c.client.query_one(&self.sql.shred_log_end, &[])?.get(0);
                return Ok((u64::try_from(end).unwrap_or(0), Vec::new()));
            };
            let from = i64::try_from(cursor).unwrap_or(i64::MAX);
            let mut end = from;
            let mut subjects = Vec::new();
            let since = c.prepared("shred_log_since", &self.sql.shred_log_since)?;
            for row in c.client.query(&since, &[&from])? {
                let seq: i64 = row.try_get(0)?;
                end = end.max(seq);
                subjects.push(row.try_get(1)?);
            }
            Ok((u64::try_from(end).unwrap_or(0), subjects))
        })
    }

    /// Waits for a shred's `NOTIFY` (on a second connection that `LISTEN`s) or `timeout`.
    fn wait_for_change(&self, timeout: Duration) -> Result<()> {
        let waited = off_runtime(|| {
            let generation = fork::generation();
            // Taking, opening and putting back the listener is background work that a fork
            // waits for (see `fork::between_forks`); the wait itself holds no lock.
            let mut client = fork::between_forks(|| -> Result<Client> {
                let taken = self.listener.lock()?.take();
                // An inherited one is left to the parent; a closed one of ours is dropped.
                if let Some(client) = taken
                    .and_then(|(client, opened_in)| fork::ours(client, opened_in))
                    .filter(|client| !client.is_closed())
                {
                    return Ok(client);
                }
                let mut client = self.config.connect(NoTls)?;
                client.batch_execute(&format!("LISTEN \"{}\"", self.channel))?;
                Ok(client)
            })?;
            let woken = {
                let mut notifications = client.notifications();
                let woken = notifications.timeout_iter(timeout).next().map(|_| ());
                // Drain what else arrived: one read of the log covers them all.
                while let Ok(Some(_)) = notifications.iter().next() {}
                woken
            };
            fork::between_forks(move || -> Result<()> {
                // A broken listener is closed here; a working one is put back.
                woken?;
                *self.listener.lock()? = Some((client, generation));
                Ok(())
            })
        });
        if waited.is_err() {
            std::thread::sleep(timeout);
        }
        waited
    }

    fn transaction(
        &self,
        f: &mut (dyn FnMut(&mut dyn KeyStoreTx) -> Result<()> + Send),
    ) -> Result<()> {
        self.tx(|tx| {
            tx.batch_execute(&self.sql.admin_lock)?;
            f(&mut PostgresTx { tx, sql: &self.sql })
        })
    }
}

/// The operations of a [`KeyStore::transaction`] on PostgreSQL.
struct PostgresTx<'a, 't> {
    tx: &'a mut Transaction<'t>,
    sql: &'a Sql,
}

impl KeyStoreTx for PostgresTx<'_, '_> {
    fn keks(&mut self) -> Result<Vec<WrappedKek>> {
        keks_of(&self.tx.query(&self.sql.keks, &[])?)
    }

    fn insert_kek(&mut self, kek: &WrappedKek) -> Result<bool> {
        let version = i32_of(kek.version)?;
        Ok(self.tx.execute(
            &self.sql.insert_kek,
            &[&version, &kek.wrapped, &i64_of(kek.wraps)],
        )? == 1)
    }

    fn update_kek(&mut self, kek: &WrappedKek) -> Result<()> {
        let version = i32_of(kek.version)?;
        if self
            .tx
            .execute(&self.sql.update_kek, &[&version, &kek.wrapped])?
            == 1
        {
            Ok(())
        } else {
            Err(Error::StaleKek {
                version: kek.version,
            })
        }
    }

    fn delete_kek(&mut self, version: u32) -> Result<()> {
        let v = i32_of(version)?;
        let in_use: i64 = self.tx.query_one(&self.sql.kek_in_use, &[&v])?.get(0);
        if in_use > 0 {
            return Err(Error::KekInUse { version });
        }
        self.tx
            .execute(&self.sql.delete_kek, &[&v])
            .map_err(|e| or_fk(e, Error::KekInUse { version }))?;
        Ok(())
    }

    fn active_data_keys(&mut self) -> Result<Vec<DataKeyRecord>> {
        self.tx
            .query(&self.sql.active_data_keys, &[])?
            .iter()
            .map(record)
            .collect()
    }

    fn update_data_key(&mut self, key_id: u32, kek_version: u32, wrapped: &[u8]) -> Result<()> {
        let (id, v) = (i32_of(key_id)?, i32_of(kek_version)?);
        self.tx
            .execute(&self.sql.update_data_key, &[&id, &v, &wrapped])
            .map_err(|e| {
                or_fk(
                    e,
                    Error::StaleKek {
                        version: kek_version,
                    },
                )
            })?;
        Ok(())
    }

    fn add_kek_wraps(&mut self, version: u32, wraps: u64) -> Result<()> {
        let v = i32_of(version)?;
        if self
            .tx
            .execute(&self.sql.add_kek_wraps, &[&v, &i64_of(wraps), &i64::MAX])?
            == 1
        {
            Ok(())
        } else {
            Err(Error::StaleKek { version })
        }
    }
}
