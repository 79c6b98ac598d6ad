//! [`SqliteKeyStore`]: a [`KeyStore`] in an embedded SQLite file.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::error::{Error, Result};
use super::store::{DataKeyRecord, DataKeyState, KeyStore, WrappedKek};

/// A [`KeyStore`] in a SQLite database file (bundled SQLite: nothing to install).
///
/// Tables `privacy_keks (version, wrapped)` and `privacy_data_keys (key_id, subject,
/// kek_version, wrapped, shredded)`. Every write runs in an immediate transaction, so several
/// processes may share the file. `PRAGMA secure_delete` is on: the bytes of a shredded key
/// are overwritten in the file, not just unlinked from the B-tree.
pub struct SqliteKeyStore {
    conn: Mutex<Connection>,
}

impl SqliteKeyStore {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteKeyStore> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.execute_batch(
            "PRAGMA secure_delete = ON;
             CREATE TABLE IF NOT EXISTS privacy_keks (
                 version INTEGER PRIMARY KEY,
                 wrapped BLOB NOT NULL
             );
             CREATE TABLE IF NOT EXISTS privacy_data_keys (
                 key_id INTEGER PRIMARY KEY AUTOINCREMENT,
                 subject TEXT NOT NULL UNIQUE,
                 kek_version INTEGER,
                 wrapped BLOB,
                 shredded INTEGER NOT NULL DEFAULT 0
             );",
        )?;
        Ok(SqliteKeyStore {
            conn: Mutex::new(conn),
        })
    }

    fn write<R>(&self, f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<R>) -> Result<R> {
        let mut conn = self.conn.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

impl core::fmt::Debug for SqliteKeyStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let path = self
            .conn
            .lock()
            .ok()
            .and_then(|c| c.path().map(str::to_owned));
        f.debug_struct("SqliteKeyStore")
            .field("path", &path)
            .finish()
    }
}

const SELECT_DATA_KEY: &str =
    "SELECT key_id, subject, kek_version, wrapped, shredded FROM privacy_data_keys";

fn data_key_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawRow> {
    Ok(RawRow {
        key_id: row.get(0)?,
        subject: row.get(1)?,
        kek_version: row.get(2)?,
        wrapped: row.get(3)?,
        shredded: row.get(4)?,
    })
}

struct RawRow {
    key_id: i64,
    subject: String,
    kek_version: Option<i64>,
    wrapped: Option<Vec<u8>>,
    shredded: i64,
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
            subject: self.subject,
            state,
        })
    }
}

fn kek_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, Vec<u8>)> {
    Ok((row.get(0)?, row.get(1)?))
}

impl KeyStore for SqliteKeyStore {
    fn keks(&self) -> Result<Vec<WrappedKek>> {
        let conn = self.conn.lock()?;
        let mut stmt = conn.prepare_cached("SELECT version, wrapped FROM privacy_keks")?;
        let rows = stmt.query_map([], kek_row)?;
        let mut keks = Vec::new();
        for row in rows {
            let (version, wrapped) = row?;
            let version = u32::try_from(version).map_err(|_| Error::CorruptStore {
                reason: "kek version out of range",
            })?;
            keks.push(WrappedKek { version, wrapped });
        }
        Ok(keks)
    }

    fn insert_kek(&self, kek: &WrappedKek) -> Result<bool> {
        self.write(|tx| {
            let n = tx.execute(
                "INSERT INTO privacy_keks (version, wrapped) VALUES (?1, ?2)
                 ON CONFLICT(version) DO NOTHING",
                params![kek.version, kek.wrapped],
            )?;
            Ok(n == 1)
        })
    }

    fn replace_keks(&self, keks: &[WrappedKek]) -> Result<()> {
        self.write(|tx| {
            for kek in keks {
                let n = tx.execute(
                    "UPDATE privacy_keks SET wrapped = ?2 WHERE version = ?1",
                    params![kek.version, kek.wrapped],
                )?;
                if n != 1 {
                    return Err(Error::CorruptStore {
                        reason: "master-key rotation names a key-encryption key that is not stored",
                    });
                }
            }
            Ok(())
        })
    }

    fn delete_kek(&self, version: u32) -> Result<()> {
        self.write(|tx| {
            let in_use: i64 = tx.query_row(
                "SELECT count(*) FROM privacy_data_keys WHERE shredded = 0 AND kek_version = ?1",
                params![version],
                |r| r.get(0),
            )?;
            if in_use > 0 {
                return Err(Error::KekInUse { version });
            }
            tx.execute(
                "DELETE FROM privacy_keks WHERE version = ?1",
                params![version],
            )?;
            Ok(())
        })
    }

    fn data_key(&self, subject: &str) -> Result<Option<DataKeyRecord>> {
        let conn = self.conn.lock()?;
        let mut stmt = conn.prepare_cached(&format!("{SELECT_DATA_KEY} WHERE subject = ?1"))?;
        stmt.query_row(params![subject], data_key_row)
            .optional()?
            .map(RawRow::into_record)
            .transpose()
    }

    fn insert_data_key_if_absent(
        &self,
        subject: &str,
        kek_version: u32,
        wrapped: &[u8],
    ) -> Result<DataKeyRecord> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO privacy_data_keys (subject, kek_version, wrapped) VALUES (?1, ?2, ?3)
                 ON CONFLICT(subject) DO NOTHING",
                params![subject, kek_version, wrapped],
            )?;
            tx.query_row(
                &format!("{SELECT_DATA_KEY} WHERE subject = ?1"),
                params![subject],
                data_key_row,
            )?
            .into_record()
        })
    }

    fn data_keys(&self) -> Result<Vec<DataKeyRecord>> {
        let conn = self.conn.lock()?;
        let mut stmt = conn.prepare_cached(SELECT_DATA_KEY)?;
        let rows = stmt.query_map([], data_key_row)?;
        rows.map(|r| r.map_err(Error::from).and_then(RawRow::into_record))
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
            let n = tx.execute(
                "UPDATE privacy_data_keys SET kek_version = ?3, wrapped = ?4
                 WHERE key_id = ?1 AND kek_version = ?2 AND shredded = 0",
                params![key_id, from_version, to_version, wrapped],
            )?;
            Ok(n == 1)
        })
    }

    fn shred(&self, subject: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO privacy_data_keys (subject, kek_version, wrapped, shredded)
                 VALUES (?1, NULL, NULL, 1)
                 ON CONFLICT(subject) DO UPDATE SET kek_version = NULL, wrapped = NULL, shredded = 1",
                params![subject],
            )?;
            Ok(())
        })
    }
}
