//! [`Directory`]: the service's own bookkeeping beside the records, in the same SQLite file:
//! which parent a bearer token belongs to, which parent a child is in the care of, and the
//! location-ping counter.
//!
//! ```sql
//! CREATE TABLE safepath_tokens (token_hash TEXT PRIMARY KEY, parent_id TEXT NOT NULL);
//! CREATE TABLE safepath_children (child_id TEXT PRIMARY KEY, parent_id TEXT NOT NULL);
//! CREATE TABLE safepath_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
//! ```
//!
//! Tokens are kept hashed (SHA-256). Rows hold random ids only and stay after an erasure,
//! as the ledger keeps its requests: the family can still read its request's state, and an
//! erased child's id still answers "already erased" rather than "unknown". The retention
//! sweep reads the record tables through this connection too (see `sweep.rs`).

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};

use super::error::ApiError;

/// The service's bookkeeping tables.
pub struct Directory {
    conn: Mutex<Connection>,
}

impl Directory {
    /// Opens (or creates) the tables in the database file at `path`.
    pub fn open(path: &Path) -> Result<Directory, rusqlite::Error> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS safepath_tokens (
                 token_hash TEXT PRIMARY KEY NOT NULL, parent_id TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS safepath_children (
                 child_id TEXT PRIMARY KEY NOT NULL, parent_id TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS safepath_counters (
                 name TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL);",
        )?;
        Ok(Directory {
            conn: Mutex::new(conn),
        })
    }

    /// The connection (for the sweep's reads of the record tables).
    pub fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records that the token hashed `token_hash` is `parent_id`'s.
    pub fn add_token(&self, token_hash: &str, parent_id: &str) -> Result<(), ApiError> {
        self.conn()
            .execute(
                "INSERT INTO safepath_tokens (token_hash, parent_id) VALUES (?1, ?2)",
                params![token_hash, parent_id],
            )
            .map_err(|e| ApiError::internal("save token", &e))?;
        Ok(())
    }

    /// The parent a token belongs to; 401 for an unknown token.
    pub fn token_owner(&self, token_hash: &str) -> Result<String, ApiError> {
        self.conn()
            .query_row(
                "SELECT parent_id FROM safepath_tokens WHERE token_hash = ?1",
                [token_hash],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| ApiError::internal("read token", &e))?
            .ok_or(ApiError::Unauthorized)
    }

    /// Records that `child_id` is in the care of `parent_id`.
    pub fn add_child(&self, child_id: &str, parent_id: &str) -> Result<(), ApiError> {
        self.conn()
            .execute(
                "INSERT INTO safepath_children (child_id, parent_id) VALUES (?1, ?2)",
                params![child_id, parent_id],
            )
            .map_err(|e| ApiError::internal("save child", &e))?;
        Ok(())
    }

    /// The parent `child_id` is in the care of, if any.
    pub fn parent_of(&self, child_id: &str) -> Result<Option<String>, ApiError> {
        self.conn()
            .query_row(
                "SELECT parent_id FROM safepath_children WHERE child_id = ?1",
                [child_id],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| ApiError::internal("read child", &e))
    }

    /// The next value of the counter `name` (1 first).
    pub fn next(&self, name: &str) -> Result<u32, ApiError> {
        let value: i64 = self
            .conn()
            .query_row(
                "INSERT INTO safepath_counters (name, value) VALUES (?1, 1)
                 ON CONFLICT (name) DO UPDATE SET value = value + 1
                 RETURNING value",
                [name],
                |row| row.get(0),
            )
            .map_err(|e| ApiError::internal("counter", &e))?;
        u32::try_from(value).map_err(|_| ApiError::Internal("counter"))
    }
}
