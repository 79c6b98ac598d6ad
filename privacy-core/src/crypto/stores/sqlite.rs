//! [`SqliteKeyStore`]: a [`KeyStore`] in an embedded SQLite file.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

use crate::crypto::error::Convert;
use crate::crypto::error::{Error, Result};
use crate::crypto::os::fork;
use crate::crypto::stores::key_store::{
    DataKeyRecord, DataKeyState, KeyStore, KeyStoreTx, NewDataKey, WrappedKek,
};

/// The schema version this build writes: 2 added the version row, the foreign key from data
/// keys to their KEK and the shred log, 3 the seal count of each data key, 4 the wrap count
/// of each KEK (`privacy_keks.wraps`, started at the data keys each KEK wraps when migrated);
/// older files (a version-1 file has no version row) are migrated when opened.
pub const SQLITE_SCHEMA_VERSION: i64 = 4;

/// A [`KeyStore`] in a SQLite database file (bundled SQLite: nothing to install).
///
/// Tables `privacy_meta (name, value)` (the schema version), `privacy_keks (version,
/// wrapped, wraps)`, `privacy_data_keys (key_id, subject, kek_version, wrapped, shredded,
/// seals)` with a
/// foreign key from `kek_version` to `privacy_keks`, and `privacy_shred_log (seq, subject)`.
/// The file is in WAL mode with `synchronous = FULL` (a committed key is on disk) and every
/// write runs in an immediate transaction, so several keyrings and processes may share it;
/// each keyring notices another's shreds through `PRAGMA data_version` at no cost when
/// nothing changed. `PRAGMA secure_delete` is on: the bytes of a shredded key are
/// overwritten in the file, not just unlinked from the B-tree.
///
/// A file with a newer schema version is refused with [`Error::SchemaTooNew`]; a read-only
/// or unreachable file gives [`Error::Store`] with SQLite's message (it never quotes values).
///
/// A store used in a child `fork`ed after it was opened opens a connection of its own there:
/// SQLite forbids carrying a connection across `fork` (using or closing it in the child acts
/// on the files and locks the parent is using), so the child leaves the inherited one
/// untouched (leaked), also when the store is dropped there. An in-memory
/// database (`:memory:`) is the parent's alone: in a child every call fails with
/// [`Error::Store`] rather than write to a copy the parent never sees.
pub struct SqliteKeyStore {
    /// The file, as SQLite resolved it (absolute), to reopen it in a forked child; `None` for
    /// an in-memory or temporary database, which a child cannot share.
    path: Option<PathBuf>,
    conn: Mutex<Conn>,
}

struct Conn {
    db: Connection,
    /// `PRAGMA data_version` and `commits` when the shred log was last read, and the end of
    /// the log then: a reader at that end need not read again while neither changed.
    data_version: Option<(i64, u64, u64)>,
    /// Transactions this connection committed: `data_version` counts only other
    /// connections' commits, and keyrings sharing this store must see each other's shreds.
    commits: u64,
    /// The fork generation of the process that opened `db`.
    fork: u64,
}

impl SqliteKeyStore {
    /// Opens (creating or migrating if needed) the store at `path`. A new file is created
    /// with mode `0600` on Unix (its WAL and shared-memory files get the same mode from
    /// SQLite), whatever the umask: it holds wrapped keys.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteKeyStore> {
        let path = path.as_ref();
        create_private(path);
        let fork = fork::generation();
        let conn = connect(path)?;
        let path = conn
            .path()
            .filter(|resolved| !resolved.is_empty())
            .map(PathBuf::from);
        Ok(SqliteKeyStore {
            path,
            conn: Mutex::new(Conn {
                db: conn,
                data_version: None,
                commits: 0,
                fork,
            }),
        })
    }

    /// The connection, reopened first in a child forked since it was opened (see the type's
    /// documentation).
    fn lock(&self) -> Result<MutexGuard<'_, Conn>> {
        let mut conn = self.conn.lock()?;
        let generation = fork::generation();
        if conn.fork != generation {
            let path = self.path.as_deref().ok_or_else(|| Error::Store {
                message: "an in-memory SQLite key store cannot be shared with a forked child: \
                          open the store on a file"
                    .to_owned(),
            })?;
            fork::leave_to_parent(std::mem::replace(&mut conn.db, connect(path)?));
            conn.data_version = None;
            conn.fork = generation;
        }
        Ok(conn)
    }

    fn write<R>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<R>) -> Result<R> {
        let mut conn = self.lock()?;
        let tx = conn
            .db
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .conv()?;
        let out = f(&tx)?;
        tx.commit().conv()?;
        conn.commits = conn.commits.wrapping_add(1);
        Ok(out)
    }
}

/// Opens a connection to the store's file, set up for sharing (busy timeout, WAL, full
/// synchronous commits) and for erasure (`secure_delete`), with the tables created or
/// migrated.
fn connect(path: &Path) -> Result<Connection> {
    let mut conn = Connection::open(path).conv()?;
    conn.busy_timeout(Duration::from_secs(30)).conv()?;
    conn.execute_batch(
        "PRAGMA foreign_keys = ON;
         PRAGMA secure_delete = ON;",
    )
    .conv()?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .conv()?;
    if !mode.eq_ignore_ascii_case("wal") {
        // Ignored (stays in rollback-journal mode) where WAL is not possible.
        let _: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .conv()?;
    }
    conn.execute_batch("PRAGMA synchronous = FULL;").conv()?;
    migrate(&mut conn)?;
    Ok(conn)
}

/// Creates `path` empty with mode `0600` if it does not exist (and is a plain path, not a
/// `file:` URI or `:memory:`), so that SQLite opens a private file. If it cannot, SQLite's
/// own open reports why.
fn create_private(path: &Path) {
    let text = path.to_string_lossy();
    if text.starts_with("file:") || text == ":memory:" || text.is_empty() || path.exists() {
        return;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    // Another process may have created it first: it set the mode.
    let _ = options.open(path);
}

/// The schema version of the file: 0 for an empty file, 1 for the layout before the
/// version row.
fn schema_version(conn: &Connection) -> Result<i64> {
    let table = |name: &str| -> Result<bool> {
        conn.query_row(
            "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?1",
            params![name],
            |r| r.get(0),
        )
        .conv()
    };
    if table("privacy_meta")? {
        let version: Option<i64> = conn
            .query_row(
                "SELECT value FROM privacy_meta WHERE name = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .conv()?;
        if let Some(version) = version {
            return Ok(version);
        }
    }
    Ok(i64::from(table("privacy_data_keys")?))
}

/// Creates the tables, or brings an older schema to [`SQLITE_SCHEMA_VERSION`], in one
/// immediate transaction (so racing processes migrate once). A current file is only read,
/// so a read-only file of the current version opens.
fn migrate(conn: &mut Connection) -> Result<()> {
    let found = schema_version(conn)?;
    if found > SQLITE_SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            store: "sqlite",
            found,
            supported: SQLITE_SCHEMA_VERSION,
        });
    }
    if found == SQLITE_SCHEMA_VERSION {
        return Ok(());
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .conv()?;
    // Another process may have migrated while this one waited for the lock.
    let version = schema_version(&tx)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS privacy_meta (
             name TEXT PRIMARY KEY,
             value INTEGER NOT NULL
         );",
    )
    .conv()?;
    if version >= SQLITE_SCHEMA_VERSION {
        return migrate_done(version);
    }
    if version < 2 {
        create_v2(&tx, version)?;
    }
    // Each step checks for its column, so a file half-way between versions (e.g. a column
    // of a newer version already there) migrates too.
    if version < 3 && !has_column(&tx, "privacy_data_keys", "seals")? {
        // Version 3: the seal count of each data key.
        tx.execute_batch(
            "ALTER TABLE privacy_data_keys ADD COLUMN seals INTEGER NOT NULL DEFAULT 0;",
        )
        .conv()?;
    }
    if version < 4 && !has_column(&tx, "privacy_keks", "wraps")? {
        // Version 4: the wrap count of each KEK, started at the data keys it wraps now (a
        // lower bound: keys shredded or rewrapped away before were not counted).
        tx.execute_batch(
            "ALTER TABLE privacy_keks ADD COLUMN wraps INTEGER NOT NULL DEFAULT 0;
             UPDATE privacy_keks SET wraps = (SELECT count(*) FROM privacy_data_keys d
                                              WHERE d.kek_version = privacy_keks.version);",
        )
        .conv()?;
    }
    tx.execute(
        "INSERT INTO privacy_meta (name, value) VALUES ('schema_version', ?1)
         ON CONFLICT(name) DO UPDATE SET value = excluded.value",
        params![SQLITE_SCHEMA_VERSION],
    )
    .conv()?;
    tx.commit().conv()?;
    Ok(())
}

/// The version-2 tables, from nothing or from a version-1 file.
fn create_v2(tx: &Transaction<'_>, version: i64) -> Result<()> {
    if version == 1 {
        // Version 1 had no foreign key: rebuild the data key table with one.
        tx.execute_batch("ALTER TABLE privacy_data_keys RENAME TO privacy_data_keys_v1;")
            .conv()?;
    }
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS privacy_keks (
             version INTEGER PRIMARY KEY,
             wrapped BLOB NOT NULL
         );
         CREATE TABLE privacy_data_keys (
             key_id INTEGER PRIMARY KEY AUTOINCREMENT,
             subject TEXT NOT NULL UNIQUE,
             kek_version INTEGER REFERENCES privacy_keks(version),
             wrapped BLOB,
             shredded INTEGER NOT NULL DEFAULT 0
         );
         CREATE INDEX privacy_data_keys_kek ON privacy_data_keys (kek_version);
         CREATE TABLE privacy_shred_log (
             seq INTEGER PRIMARY KEY AUTOINCREMENT,
             subject TEXT NOT NULL
         );",
    )
    .conv()?;
    if version == 1 {
        let orphans: i64 = tx
            .query_row(
                "SELECT count(*) FROM privacy_data_keys_v1 d WHERE d.shredded = 0
             AND NOT EXISTS (SELECT 1 FROM privacy_keks k WHERE k.version = d.kek_version)",
                [],
                |r| r.get(0),
            )
            .conv()?;
        if orphans > 0 {
            // The rotation race of version 1 stranded keys; keep the file as it is.
            return Err(Error::CorruptStore {
                reason: "data keys name a missing key-encryption key; not migrated",
            });
        }
        tx.execute_batch(
            "INSERT INTO privacy_data_keys (key_id, subject, kek_version, wrapped, shredded)
                 SELECT key_id, subject, kek_version, wrapped, shredded FROM privacy_data_keys_v1;
             DROP TABLE privacy_data_keys_v1;",
        )
        .conv()?;
    }
    Ok(())
}

/// Whether `table` has a column `column`.
fn has_column(tx: &Transaction<'_>, table: &str, column: &str) -> Result<bool> {
    tx.query_row(
        "SELECT count(*) > 0 FROM pragma_table_info(?1) WHERE name = ?2",
        params![table, column],
        |r| r.get(0),
    )
    .conv()
}

/// After waiting for the lock: someone else migrated, to this version or a newer one.
fn migrate_done(version: i64) -> Result<()> {
    if version > SQLITE_SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            store: "sqlite",
            found: version,
            supported: SQLITE_SCHEMA_VERSION,
        });
    }
    Ok(())
}

impl Drop for SqliteKeyStore {
    fn drop(&mut self) {
        // In a child forked since the connection was opened: leave it to the parent.
        if let Ok(conn) = self.conn.get_mut() {
            if conn.fork != fork::generation() {
                if let Ok(placeholder) = Connection::open_in_memory() {
                    fork::leave_to_parent(std::mem::replace(&mut conn.db, placeholder));
                }
            }
        }
    }
}

impl core::fmt::Debug for SqliteKeyStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SqliteKeyStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

const SELECT_DATA_KEY: &str =
    "SELECT key_id, subject, kek_version, wrapped, shredded, seals FROM privacy_data_keys";

fn data_key_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawRow> {
    Ok(RawRow {
        key_id: row.get(0)?,
        subject: row.get(1)?,
        kek_version: row.get(2)?,
        wrapped: row.get(3)?,
        shredded: row.get(4)?,
        seals: row.get(5)?,
    })
}

struct RawRow {
    key_id: i64,
    subject: String,
    kek_version: Option<i64>,
    wrapped: Option<Vec<u8>>,
    shredded: i64,
    seals: i64,
}

impl RawRow {
    fn into_record(self) -> Result<DataKeyRecord> {
        let corrupt = |reason| Error::CorruptStore { reason };
        let key_id = u32::try_from(self.key_id).map_err(|_| corrupt("key id out of range"))?;
        let state = match (self.shredded, self.kek_version, self.wrapped) {
            (0, Some(v), Some(wrapped)) => DataKeyState::Active {
                kek_version: u32::try_from(v).map_err(|_| corrupt("kek version out of range"))?,
                wrapped,
            },
            (0, _, _) => return Err(corrupt("active data key without wrapped bytes")),
            _ => DataKeyState::Shredded,
        };
        Ok(DataKeyRecord {
            key_id,
            subject_id: self.subject,
            state,
            seals: u64::try_from(self.seals).unwrap_or(0),
        })
    }
}

fn read_keks(conn: &Connection) -> Result<Vec<WrappedKek>> {
    let mut stmt = conn
        .prepare_cached("SELECT version, wrapped, wraps FROM privacy_keks")
        .conv()?;
    let rows = stmt
        .query_map([], |row| {
            Ok((row.get::<_, i64>(0)?, row.get(1)?, row.get::<_, i64>(2)?))
        })
        .conv()?;
    let mut keks = Vec::new();
    for row in rows {
        let (version, wrapped, wraps) = row.conv()?;
        let version = u32::try_from(version).map_err(|_| Error::CorruptStore {
            reason: "kek version out of range",
        })?;
        keks.push(WrappedKek {
            version,
            wrapped,
            wraps: u64::try_from(wraps).unwrap_or(0),
        });
    }
    Ok(keks)
}

fn insert_kek(conn: &Connection, kek: &WrappedKek) -> Result<bool> {
    let n = conn
        .execute(
            "INSERT INTO privacy_keks (version, wrapped, wraps) VALUES (?1, ?2, ?3)
         ON CONFLICT(version) DO NOTHING",
            params![kek.version, kek.wrapped, i64_of(kek.wraps)],
        )
        .conv()?;
    Ok(n == 1)
}

/// A count or limit as SQLite's integer (saturating).
fn i64_of(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Adds `n` to the wrap count of KEK `version` unless that takes it past `limit`: false if
/// it would (nothing changed), or if the version is not stored.
fn add_kek_wraps(conn: &Connection, version: u32, n: u64, limit: u64) -> Result<bool> {
    let mut stmt = conn
        .prepare_cached(
            "UPDATE privacy_keks SET wraps = wraps + ?2 WHERE version = ?1 AND wraps <= ?3 - ?2",
        )
        .conv()?;
    Ok(stmt
        .execute(params![version, i64_of(n), i64_of(limit)])
        .conv()?
        == 1)
}

fn kek_exists(conn: &Connection, version: u32) -> Result<bool> {
    let mut stmt = conn
        .prepare_cached("SELECT count(*) FROM privacy_keks WHERE version = ?1")
        .conv()?;
    let n: i64 = stmt.query_row(params![version], |r| r.get(0)).conv()?;
    Ok(n > 0)
}

fn delete_kek(conn: &Connection, version: u32) -> Result<()> {
    let in_use: i64 = conn
        .query_row(
            "SELECT count(*) FROM privacy_data_keys WHERE shredded = 0 AND kek_version = ?1",
            params![version],
            |r| r.get(0),
        )
        .conv()?;
    if in_use > 0 {
        return Err(Error::KekInUse { version });
    }
    conn.execute(
        "DELETE FROM privacy_keks WHERE version = ?1",
        params![version],
    )
    .conv()?;
    Ok(())
}

impl KeyStore for SqliteKeyStore {
    fn keks(&self) -> Result<Vec<WrappedKek>> {
        read_keks(&self.lock()?.db)
    }

    fn insert_kek(&self, kek: &WrappedKek) -> Result<bool> {
        self.write(|tx| insert_kek(tx, kek))
    }

    fn delete_kek(&self, version: u32) -> Result<()> {
        self.write(|tx| delete_kek(tx, version))
    }

    fn data_key(&self, subject: &str) -> Result<Option<DataKeyRecord>> {
        let conn = self.lock()?;
        let mut stmt = conn
            .db
            .prepare_cached(&format!("{SELECT_DATA_KEY} WHERE subject = ?1"))
            .conv()?;
        stmt.query_row(params![subject], data_key_row)
            .optional()
            .conv()?
            .map(RawRow::into_record)
            .transpose()
    }

    fn insert_data_keys(
        &self,
        keys: &[NewDataKey<'_>],
        wrap_limit: u64,
    ) -> Result<Vec<DataKeyRecord>> {
        self.write(|tx| {
            let mut checked: Vec<u32> = Vec::new();
            for key in keys {
                if !checked.contains(&key.kek_version) {
                    if !kek_exists(tx, key.kek_version)? {
                        return Err(Error::StaleKek {
                            version: key.kek_version,
                        });
                    }
                    checked.push(key.kek_version);
                }
            }
            let mut insert = tx.prepare_cached(
                "INSERT INTO privacy_data_keys (subject, kek_version, wrapped) VALUES (?1, ?2, ?3)
                 ON CONFLICT(subject) DO NOTHING RETURNING key_id",
            ).conv()?;
            let mut select = tx
                .prepare_cached(&format!("{SELECT_DATA_KEY} WHERE subject = ?1"))
                .conv()?;
            let mut out = Vec::with_capacity(keys.len());
            // Keys inserted per KEK version: counted once per version below.
            let mut wraps: Vec<(u32, u64)> = Vec::new();
            for key in keys {
                let inserted: Option<i64> = insert
                    .query_row(params![key.subject_id, key.kek_version, key.wrapped], |r| {
                        r.get(0)
                    })
                    .optional()
                    .conv()?;
                if inserted.is_some() {
                    match wraps.iter_mut().find(|(v, _)| *v == key.kek_version) {
                        Some((_, n)) => *n += 1,
                        None => wraps.push((key.kek_version, 1)),
                    }
                }
                let record = match inserted {
                    Some(key_id) => DataKeyRecord {
                        key_id: u32::try_from(key_id).map_err(|_| Error::CorruptStore {
                            reason: "key id out of range",
                        })?,
                        subject_id: key.subject_id.to_owned(),
                        state: DataKeyState::Active {
                            kek_version: key.kek_version,
                            wrapped: key.wrapped.to_vec(),
                        },
                        seals: 0,
                    },
                    None => select
                        .query_row(params![key.subject_id], data_key_row)
                        .conv()?
                        .into_record()?,
                };
                out.push(record);
            }
            for (version, n) in wraps {
                // Refused: the transaction rolls back, nothing is stored.
                if !add_kek_wraps(tx, version, n, wrap_limit)? {
                    return Err(Error::KekWrapLimit {
                        version,
                        limit: wrap_limit,
                    });
                }
            }
            Ok(out)
        })
    }

    fn data_keys(&self) -> Result<Vec<DataKeyRecord>> {
        let conn = self.lock()?;
        let mut stmt = conn.db.prepare_cached(SELECT_DATA_KEY).conv()?;
        let rows = stmt.query_map([], data_key_row).conv()?;
        rows.map(|r| r.conv().and_then(RawRow::into_record))
            .collect()
    }

    fn rewrap_data_key(
        &self,
        key_id: u32,
        from_version: u32,
        to_version: u32,
        wrapped: &[u8],
    ) -> Result<bool> {
        self.write(|tx| {
            if !kek_exists(tx, to_version)? {
                return Err(Error::StaleKek {
                    version: to_version,
                });
            }
            let n = tx
                .execute(
                    "UPDATE privacy_data_keys SET kek_version = ?3, wrapped = ?4
                 WHERE key_id = ?1 AND kek_version = ?2 AND shredded = 0",
                    params![key_id, from_version, to_version, wrapped],
                )
                .conv()?;
            if n == 1 {
                add_kek_wraps(tx, to_version, 1, u64::MAX)?;
            }
            Ok(n == 1)
        })
    }

    fn add_seals(&self, counts: &[(u32, u64)]) -> Result<()> {
        self.write(|tx| {
            let mut update = tx
                .prepare_cached("UPDATE privacy_data_keys SET seals = seals + ?2 WHERE key_id = ?1")
                .conv()?;
            for &(key_id, n) in counts {
                update
                    .execute(params![key_id, i64::try_from(n).unwrap_or(i64::MAX)])
                    .conv()?;
            }
            Ok(())
        })
    }

    /// Also checkpoints the WAL into the main file and truncates it
    /// (`PRAGMA wal_checkpoint(TRUNCATE)`): the wrapped key's old page images would otherwise
    /// stay in the `-wal` file until the last connection closes. With `secure_delete` the
    /// main file keeps no copy either. Copies made before (backups, snapshots) still hold it.
    fn shred(&self, subject: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO privacy_data_keys (subject, kek_version, wrapped, shredded)
                 VALUES (?1, NULL, NULL, 1)
                 ON CONFLICT(subject) DO UPDATE SET kek_version = NULL, wrapped = NULL, shredded = 1",
                params![subject],
            ).conv()?;
            tx.execute(
                "INSERT INTO privacy_shred_log (subject) VALUES (?1)",
                params![subject],
            ).conv()?;
            Ok(())
        })?;
        let conn = self.lock()?;
        // Waits (busy timeout) for readers of older snapshots; `busy = 1` if it could not.
        let busy: i64 = conn
            .db
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
            .conv()?;
        if busy != 0 {
            return Err(Error::Store {
                message: "the subject is shredded, but the WAL still holds the old key: \
                          another connection kept reading; shred again to retry"
                    .to_owned(),
            });
        }
        Ok(())
    }

    fn shreds_since(&self, cursor: Option<u64>) -> Result<(u64, Vec<String>)> {
        let mut conn = self.lock()?;
        let version: i64 = conn
            .db
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .conv()?;
        let commits = conn.commits;
        if let (Some(cursor), Some((seen, seen_commits, end))) = (cursor, conn.data_version) {
            if seen == version && seen_commits == commits && cursor >= end {
                // This reader has read to the end, and nothing was committed since, by this
                // connection or another. (Several keyrings may share one store: each has
                // its own cursor.)
                return Ok((cursor, Vec::new()));
            }
        }
        let mut stmt = conn
            .db
            .prepare_cached(
                "SELECT seq, subject FROM privacy_shred_log WHERE seq > ?1 ORDER BY seq",
            )
            .conv()?;
        let Some(cursor) = cursor else {
            drop(stmt);
            let end: i64 = conn
                .db
                .query_row(
                    "SELECT coalesce(max(seq), 0) FROM privacy_shred_log",
                    [],
                    |r| r.get(0),
                )
                .conv()?;
            let end = u64::try_from(end).unwrap_or(0);
            conn.data_version = Some((version, commits, end));
            return Ok((end, Vec::new()));
        };
        let start = i64::try_from(cursor).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![start], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })
            .conv()?;
        let mut end = start;
        let mut subjects = Vec::new();
        for row in rows {
            let (seq, subject) = row.conv()?;
            end = end.max(seq);
            subjects.push(subject);
        }
        drop(stmt);
        let end = u64::try_from(end).unwrap_or(0);
        conn.data_version = Some((version, commits, end));
        Ok((end, subjects))
    }

    fn transaction(
        &self,
        f: &mut (dyn FnMut(&mut dyn KeyStoreTx) -> Result<()> + Send),
    ) -> Result<()> {
        self.write(|tx| f(&mut SqliteTx(tx)))
    }
}

/// The operations of a [`KeyStore::transaction`] on SQLite.
struct SqliteTx<'a, 'c>(&'a Transaction<'c>);

impl KeyStoreTx for SqliteTx<'_, '_> {
    fn keks(&mut self) -> Result<Vec<WrappedKek>> {
        read_keks(self.0)
    }

    fn insert_kek(&mut self, kek: &WrappedKek) -> Result<bool> {
        insert_kek(self.0, kek)
    }

    fn update_kek(&mut self, kek: &WrappedKek) -> Result<()> {
        let n = self
            .0
            .execute(
                "UPDATE privacy_keks SET wrapped = ?2 WHERE version = ?1",
                params![kek.version, kek.wrapped],
            )
            .conv()?;
        if n == 1 {
            Ok(())
        } else {
            Err(Error::StaleKek {
                version: kek.version,
            })
        }
    }

    fn delete_kek(&mut self, version: u32) -> Result<()> {
        delete_kek(self.0, version)
    }

    fn active_data_keys(&mut self) -> Result<Vec<DataKeyRecord>> {
        let mut stmt = self
            .0
            .prepare_cached(&format!("{SELECT_DATA_KEY} WHERE shredded = 0"))
            .conv()?;
        let rows = stmt.query_map([], data_key_row).conv()?;
        rows.map(|r| r.conv().and_then(RawRow::into_record))
            .collect()
    }

    fn update_data_key(&mut self, key_id: u32, kek_version: u32, wrapped: &[u8]) -> Result<()> {
        if !kek_exists(self.0, kek_version)? {
            return Err(Error::StaleKek {
                version: kek_version,
            });
        }
        self.0
            .execute(
                "UPDATE privacy_data_keys SET kek_version = ?2, wrapped = ?3
             WHERE key_id = ?1 AND shredded = 0",
                params![key_id, kek_version, wrapped],
            )
            .conv()?;
        Ok(())
    }

    fn add_kek_wraps(&mut self, version: u32, wraps: u64) -> Result<()> {
        if add_kek_wraps(self.0, version, wraps, u64::MAX)? {
            Ok(())
        } else {
            Err(Error::StaleKek { version })
        }
    }
}
