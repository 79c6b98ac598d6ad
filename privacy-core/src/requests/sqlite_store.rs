//! [`SqliteRecordStore`]: sealed records in an SQLite database file (feature `sqlite`).

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};

use super::store::{valid_table, RecordStore, StoreError, StoredRecord};

/// Sealed records in one SQLite file, one table per record type:
///
/// ```sql
/// CREATE TABLE "privacy_account" (
///     record_id    TEXT PRIMARY KEY,
///     subject_id   TEXT NOT NULL,
///     link_id      TEXT,              -- a declared route's subject (e.g. the parent)
///     collected_at INTEGER,           -- seconds since the Unix epoch
///     sealed       TEXT NOT NULL      -- the Sealed record, JSON
/// );
/// -- indexes on (subject_id, record_id), (link_id, subject_id) and collected_at
/// CREATE TABLE "privacy_account__index" (field TEXT, value TEXT, record_id TEXT, ...);
/// ```
///
/// The file runs in WAL mode with `secure_delete` on, so deleted rows are overwritten with
/// zeros, and [`compact`](RecordStore::compact) checkpoints and truncates the WAL after a
/// deletion: a person's deleted values do not linger in the file's free pages or its log.
/// Batches of ids are bound as one JSON array (`IN (SELECT value FROM json_each(?))`), so a
/// batch of any size is one statement.
///
/// ```
/// use privacy_core::requests::{RecordStore, SqliteRecordStore};
/// let dir = std::env::temp_dir().join(format!("records-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let store = SqliteRecordStore::open(dir.join("records.db"))?;
/// store.ensure_table("privacy_account")?;
/// assert_eq!(store.count("privacy_account", "42")?, 0);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SqliteRecordStore {
    conn: Mutex<Connection>,
}

impl SqliteRecordStore {
    /// Opens (or creates) the database file at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteRecordStore, StoreError> {
        let conn = Connection::open(path).map_err(err("open"))?;
        SqliteRecordStore::with_connection(conn)
    }

    /// A store over an open connection (a service's own database file, say).
    pub fn with_connection(conn: Connection) -> Result<SqliteRecordStore, StoreError> {
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(err("open"))?;
        conn.pragma_update(None, "secure_delete", "ON")
            .map_err(err("open"))?;
        let _mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(err("open"))?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err("open"))?;
        Ok(SqliteRecordStore {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        self.conn
            .lock()
            .map_err(|_| StoreError::new("lock", "a thread panicked while using the store"))
    }
}

impl core::fmt::Debug for SqliteRecordStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SqliteRecordStore").finish_non_exhaustive()
    }
}

/// The message of a rusqlite error, as a [`StoreError`]. SQLite's messages name tables,
/// columns and constraints, never bound values.
fn err(operation: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| StoreError::new(operation, e.to_string())
}

const COLUMNS: &str = "record_id, subject_id, link_id, collected_at, sealed";

fn ids_json(ids: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(ids).map_err(|e| StoreError::new("encode ids", e.to_string()))
}

impl RecordStore for SqliteRecordStore {
    fn ensure_table(&self, table: &str) -> Result<(), StoreError> {
        valid_table(table)?;
        self.conn()?
            .execute_batch(&format!(
                "CREATE TABLE IF NOT EXISTS \"{table}\" (
                     record_id TEXT PRIMARY KEY NOT NULL,
                     subject_id TEXT NOT NULL,
                     link_id TEXT,
                     collected_at INTEGER,
                     sealed TEXT NOT NULL
                 ) WITHOUT ROWID;
                 CREATE INDEX IF NOT EXISTS \"{table}_subject\" ON \"{table}\" (subject_id, record_id);
                 CREATE INDEX IF NOT EXISTS \"{table}_link\" ON \"{table}\" (link_id, subject_id)
                     WHERE link_id IS NOT NULL;
                 CREATE INDEX IF NOT EXISTS \"{table}_collected\" ON \"{table}\" (collected_at)
                     WHERE collected_at IS NOT NULL;
                 CREATE TABLE IF NOT EXISTS \"{table}__index\" (
                     field TEXT NOT NULL,
                     value TEXT NOT NULL,
                     record_id TEXT NOT NULL,
                     PRIMARY KEY (field, value, record_id)
                 ) WITHOUT ROWID;
                 CREATE INDEX IF NOT EXISTS \"{table}__index_record\" ON \"{table}__index\" (record_id);"
            ))
            .map_err(err("create table"))
    }

    fn save(&self, table: &str, rows: &[StoredRecord]) -> Result<(), StoreError> {
        valid_table(table)?;
        let mut conn = self.conn()?;
        let tx = conn.transaction().map_err(err("save"))?;
        {
            let mut upsert = tx
                .prepare_cached(&format!(
                    "INSERT INTO \"{table}\" ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (record_id) DO UPDATE SET subject_id = excluded.subject_id,
                     link_id = excluded.link_id, collected_at = excluded.collected_at,
                     sealed = excluded.sealed"
                ))
                .map_err(err("save"))?;
            let mut unindex = tx
                .prepare_cached(&format!(
                    "DELETE FROM \"{table}__index\" WHERE record_id = ?1"
                ))
                .map_err(err("save"))?;
            let mut index = tx
                .prepare_cached(&format!(
                    "INSERT OR IGNORE INTO \"{table}__index\" (field, value, record_id) VALUES (?1, ?2, ?3)"
                ))
                .map_err(err("save"))?;
            for row in rows {
                upsert
                    .execute(params![
                        row.record_id,
                        row.subject_id,
                        row.link_id,
                        row.collected_at,
                        row.sealed
                    ])
                    .map_err(err("save"))?;
                unindex.execute([&row.record_id]).map_err(err("save"))?;
                for (field, value) in &row.blind_indexes {
                    index
                        .execute(params![field, value, row.record_id])
                        .map_err(err("save"))?;
                }
            }
        }
        tx.commit().map_err(err("save"))
    }

    fn page(
        &self,
        table: &str,
        subject_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        valid_table(table)?;
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM \"{table}\" WHERE subject_id = ?1 AND record_id > ?2
                 ORDER BY record_id LIMIT ?3"
            ))
            .map_err(err("read"))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![subject_id, after.unwrap_or(""), limit], read)
            .map_err(err("read"))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(err("read"))
    }

    fn collected_before(
        &self,
        table: &str,
        before: i64,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        valid_table(table)?;
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM \"{table}\" WHERE collected_at < ?1 AND record_id > ?2
                 ORDER BY record_id LIMIT ?3"
            ))
            .map_err(err("read"))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![before, after.unwrap_or(""), limit], read)
            .map_err(err("read"))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(err("read"))
    }

    fn delete(&self, table: &str, record_ids: &[String]) -> Result<u64, StoreError> {
        valid_table(table)?;
        if record_ids.is_empty() {
            return Ok(0);
        }
        let ids = ids_json(record_ids)?;
        let mut conn = self.conn()?;
        let tx = conn.transaction().map_err(err("delete"))?;
        tx.execute(
            &format!(
                "DELETE FROM \"{table}__index\" WHERE record_id IN (SELECT value FROM json_each(?1))"
            ),
            [&ids],
        )
        .map_err(err("delete"))?;
        let deleted = tx
            .execute(
                &format!(
                    "DELETE FROM \"{table}\" WHERE record_id IN (SELECT value FROM json_each(?1))"
                ),
                [&ids],
            )
            .map_err(err("delete"))?;
        tx.commit().map_err(err("delete"))?;
        Ok(deleted as u64)
    }

    fn count(&self, table: &str, subject_id: &str) -> Result<u64, StoreError> {
        valid_table(table)?;
        let n: i64 = self
            .conn()?
            .query_row(
                &format!("SELECT count(*) FROM \"{table}\" WHERE subject_id = ?1"),
                [subject_id],
                |row| row.get(0),
            )
            .map_err(err("count"))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn find_by_index(
        &self,
        table: &str,
        field: &str,
        index: &str,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        valid_table(table)?;
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT t.record_id, t.subject_id, t.link_id, t.collected_at, t.sealed
                 FROM \"{table}__index\" i JOIN \"{table}\" t ON t.record_id = i.record_id
                 WHERE i.field = ?1 AND i.value = ?2 ORDER BY t.record_id LIMIT ?3"
            ))
            .map_err(err("find"))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![field, index, limit], read)
            .map_err(err("find"))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(err("find"))
    }

    fn linked_subjects(
        &self,
        table: &str,
        link_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        valid_table(table)?;
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT DISTINCT subject_id FROM \"{table}\" WHERE link_id = ?1 AND subject_id > ?2
                 ORDER BY subject_id LIMIT ?3"
            ))
            .map_err(err("read links"))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![link_id, after.unwrap_or(""), limit], |row| {
                row.get(0)
            })
            .map_err(err("read links"))?;
        rows.collect::<Result<Vec<String>, _>>()
            .map_err(err("read links"))
    }

    fn compact(&self) -> Result<(), StoreError> {
        let conn = self.conn()?;
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .optional()
            .map_err(err("compact"))?;
        Ok(())
    }
}

/// A row of `COLUMNS`; blind indexes are read only where asked for.
fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredRecord> {
    Ok(StoredRecord {
        record_id: row.get(0)?,
        subject_id: row.get(1)?,
        link_id: row.get(2)?,
        collected_at: row.get(3)?,
        sealed: row.get(4)?,
        blind_indexes: Vec::new(),
    })
}
