//! The embedded SQLite database: one table of records, each stored as a sealed JSON document.
//!
//! Deleted rows are overwritten (`PRAGMA secure_delete`) and the write-ahead log is truncated
//! after an erasure, so erased values do not linger in free pages or in the WAL file.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};

/// Errors of the store; they name tables and kinds, never values.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file is not a SafePath database (or not SQLite at all).
    #[error("{path} is not a usable SafePath database ({reason})")]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// What SQLite said (no record content).
        reason: String,
    },
    /// Any other SQLite failure.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// The SafePath database.
pub struct Store {
    conn: Connection,
}

/// One stored row.
pub struct Row {
    /// The record key (unique per kind).
    pub key: String,
    /// The stored document (a sealed record as JSON).
    pub body: String,
}

impl Store {
    /// Opens (or creates) the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let corrupt = |e: rusqlite::Error| StoreError::Corrupt {
            path: path.to_owned(),
            reason: e.to_string(),
        };
        let conn = Connection::open(path).map_err(corrupt)?;
        conn.execute_batch(
            "PRAGMA secure_delete = ON;
             PRAGMA journal_mode = WAL;
             CREATE TABLE IF NOT EXISTS records (
                 kind TEXT NOT NULL, key TEXT NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL,
                 PRIMARY KEY (kind, key));
             CREATE INDEX IF NOT EXISTS records_subject ON records (subject);
             CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);",
        )
        .map_err(corrupt)?;
        Ok(Store { conn })
    }

    /// Inserts or replaces a record.
    pub fn put(&self, kind: &str, key: &str, subject: &str, body: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO records (kind, key, subject, body) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (kind, key) DO UPDATE SET subject = excluded.subject, body = excluded.body",
            params![kind, key, subject, body],
        )?;
        Ok(())
    }

    /// Every record of a kind, ordered by key.
    pub fn all(&self, kind: &str) -> Result<Vec<Row>, StoreError> {
        self.query(
            "SELECT key, body FROM records WHERE kind = ?1 ORDER BY key",
            kind,
            None,
        )
    }

    /// The records of a kind that belong to a subject, ordered by key.
    pub fn of_subject(&self, kind: &str, subject: &str) -> Result<Vec<Row>, StoreError> {
        self.query(
            "SELECT key, body FROM records WHERE kind = ?1 AND subject = ?2 ORDER BY key",
            kind,
            Some(subject),
        )
    }

    fn query(&self, sql: &str, kind: &str, subject: Option<&str>) -> Result<Vec<Row>, StoreError> {
        let mut stmt = self.conn.prepare(sql)?;
        let map = |r: &rusqlite::Row<'_>| {
            Ok(Row {
                key: r.get(0)?,
                body: r.get(1)?,
            })
        };
        let rows = match subject {
            Some(s) => stmt
                .query_map(params![kind, s], map)?
                .collect::<Result<_, _>>()?,
            None => stmt
                .query_map(params![kind], map)?
                .collect::<Result<_, _>>()?,
        };
        Ok(rows)
    }

    /// Deletes one record.
    pub fn delete(&self, kind: &str, key: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "DELETE FROM records WHERE kind = ?1 AND key = ?2",
            params![kind, key],
        )?;
        Ok(())
    }

    /// A value of the `meta` table.
    pub fn meta(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE name = ?1",
                params![name],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Sets a value of the `meta` table.
    pub fn set_meta(&self, name: &str, value: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO meta (name, value) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            params![name, value],
        )?;
        Ok(())
    }

    /// The names of the `meta` entries that start with `prefix` and hold `value`, ordered.
    #[allow(dead_code)] // Used by the HTTP service, not by the command-line demo.
    pub fn meta_names(&self, prefix: &str, value: &str) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT name FROM meta WHERE substr(name, 1, length(?1)) = ?1 AND value = ?2 ORDER BY name",
        )?;
        let names = stmt
            .query_map(params![prefix, value], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(names)
    }

    /// Moves the write-ahead log into the database and truncates it, then rebuilds the file so
    /// no free page keeps an old copy of a deleted value.
    pub fn compact(&self) -> Result<(), StoreError> {
        self.conn.execute_batch(
            "PRAGMA wal_checkpoint(TRUNCATE); VACUUM; PRAGMA wal_checkpoint(TRUNCATE);",
        )?;
        Ok(())
    }
}
