//! [`SqliteLedger`]: the request ledger in an SQLite database (feature `sqlite`).

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::ledger::{
    secs, subjects_json, Ledger, LedgerError, Progress, Request, RequestKind, RequestRow,
    REQUEST_COLUMNS,
};

/// The request ledger in an SQLite file (the schema is in [`ledger`](super::Ledger)'s module
/// docs). Every write is its own transaction, durable when the call returns
/// (`synchronous = FULL`).
///
/// Keep it in another file than the record stores if those are restored from backups: see
/// [`Requests::replay`](super::Requests::replay).
pub struct SqliteLedger {
    conn: Mutex<Connection>,
}

impl SqliteLedger {
    /// Opens (or creates) the ledger in the database file at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteLedger, LedgerError> {
        let conn = Connection::open(path).map_err(err("open"))?;
        SqliteLedger::with_connection(conn)
    }

    /// The ledger over an open connection.
    pub fn with_connection(conn: Connection) -> Result<SqliteLedger, LedgerError> {
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(err("open"))?;
        let _mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(err("open"))?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(err("open"))?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS privacy_requests (
                 id TEXT PRIMARY KEY NOT NULL,
                 kind TEXT NOT NULL,
                 subject_kind TEXT NOT NULL,
                 subject_id TEXT NOT NULL,
                 subjects TEXT,
                 requester TEXT NOT NULL,
                 regime TEXT NOT NULL,
                 received_at INTEGER NOT NULL,
                 due_at INTEGER NOT NULL,
                 extended INTEGER NOT NULL,
                 verified_at INTEGER,
                 state TEXT NOT NULL,
                 failure TEXT,
                 completed_at INTEGER,
                 report_digest TEXT
             );
             CREATE INDEX IF NOT EXISTS privacy_requests_state ON privacy_requests (kind, state, received_at);
             CREATE INDEX IF NOT EXISTS privacy_requests_subject ON privacy_requests (subject_kind, subject_id);
             CREATE TABLE IF NOT EXISTS privacy_request_progress (
                 request_id TEXT NOT NULL,
                 step TEXT NOT NULL,
                 outcome TEXT NOT NULL,
                 done INTEGER NOT NULL,
                 PRIMARY KEY (request_id, step)
             );",
        )
        .map_err(err("create tables"))?;
        Ok(SqliteLedger {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> Result<MutexGuard<'_, Connection>, LedgerError> {
        self.conn.lock().map_err(|_| LedgerError::Database {
            operation: "lock",
            message: "a thread panicked while using the ledger".to_owned(),
        })
    }

    fn ids(&self, sql: &str, kind: RequestKind) -> Result<Vec<String>, LedgerError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(sql).map_err(err("list"))?;
        let rows = stmt
            .query_map([kind.as_str()], |row| row.get(0))
            .map_err(err("list"))?;
        rows.collect::<Result<Vec<String>, _>>()
            .map_err(err("list"))
    }
}

impl core::fmt::Debug for SqliteLedger {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SqliteLedger").finish_non_exhaustive()
    }
}

fn err(operation: &'static str) -> impl Fn(rusqlite::Error) -> LedgerError {
    move |e| LedgerError::db(operation)(e.to_string())
}

fn read(row: &Row<'_>) -> rusqlite::Result<RequestRow> {
    Ok(RequestRow {
        id: row.get(0)?,
        kind: row.get(1)?,
        subject_kind: row.get(2)?,
        subject_id: row.get(3)?,
        subjects: row.get(4)?,
        requester: row.get(5)?,
        regime: row.get(6)?,
        received_at: row.get(7)?,
        due_at: row.get(8)?,
        extended: row.get(9)?,
        verified_at: row.get(10)?,
        state: row.get(11)?,
        failure: row.get(12)?,
        completed_at: row.get(13)?,
        report_digest: row.get(14)?,
    })
}

impl Ledger for SqliteLedger {
    fn insert(&self, r: &Request) -> Result<(), LedgerError> {
        self.conn()?
            .execute(
                &format!(
                    "INSERT INTO privacy_requests ({REQUEST_COLUMNS}) VALUES
                     (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
                ),
                params![
                    r.id,
                    r.kind.as_str(),
                    r.subject_kind,
                    r.subject_id,
                    subjects_json(r),
                    r.requester,
                    r.regime.to_text(),
                    secs(r.received_at),
                    secs(r.due_at),
                    r.extended,
                    r.verified_at.map(secs),
                    r.state.as_str(),
                    r.failure,
                    r.completed_at.map(secs),
                    r.report_digest,
                ],
            )
            .map_err(err("insert"))?;
        Ok(())
    }

    fn get(&self, id: &str) -> Result<Option<Request>, LedgerError> {
        let row = self
            .conn()?
            .query_row(
                &format!("SELECT {REQUEST_COLUMNS} FROM privacy_requests WHERE id = ?1"),
                [id],
                read,
            )
            .optional()
            .map_err(err("read"))?;
        row.map(RequestRow::into_request).transpose()
    }

    fn update(&self, r: &Request) -> Result<(), LedgerError> {
        self.conn()?
            .execute(
                "UPDATE privacy_requests SET subjects = ?2, due_at = ?3, extended = ?4,
                 verified_at = ?5, state = ?6, failure = ?7
                 WHERE id = ?1 AND state <> 'completed'",
                params![
                    r.id,
                    subjects_json(r),
                    secs(r.due_at),
                    r.extended,
                    r.verified_at.map(secs),
                    r.state.as_str(),
                    r.failure,
                ],
            )
            .map_err(err("update"))?;
        Ok(())
    }

    fn plan_step(&self, id: &str, step: &str, outcome: &str) -> Result<(), LedgerError> {
        self.conn()?
            .execute(
                "INSERT OR IGNORE INTO privacy_request_progress (request_id, step, outcome, done)
                 VALUES (?1, ?2, ?3, 0)",
                params![id, step, outcome],
            )
            .map_err(err("record progress"))?;
        Ok(())
    }

    fn finish_step(&self, id: &str, step: &str) -> Result<(), LedgerError> {
        self.conn()?
            .execute(
                "UPDATE privacy_request_progress SET done = 1 WHERE request_id = ?1 AND step = ?2",
                params![id, step],
            )
            .map_err(err("record progress"))?;
        Ok(())
    }

    fn progress(&self, id: &str) -> Result<Vec<Progress>, LedgerError> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT step, outcome, done FROM privacy_request_progress
                 WHERE request_id = ?1 ORDER BY rowid",
            )
            .map_err(err("read progress"))?;
        let rows = stmt
            .query_map([id], |row| {
                Ok(Progress {
                    step: row.get(0)?,
                    outcome: row.get(1)?,
                    done: row.get(2)?,
                })
            })
            .map_err(err("read progress"))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(err("read progress"))
    }

    fn complete(&self, id: &str, at: SystemTime, digest: &str) -> Result<bool, LedgerError> {
        let n = self
            .conn()?
            .execute(
                "UPDATE privacy_requests SET state = 'completed', completed_at = ?2,
                 report_digest = ?3, failure = NULL WHERE id = ?1 AND state <> 'completed'",
                params![id, secs(at), digest],
            )
            .map_err(err("complete"))?;
        Ok(n == 1)
    }

    fn unfinished(&self, kind: RequestKind) -> Result<Vec<String>, LedgerError> {
        self.ids(
            "SELECT id FROM privacy_requests WHERE kind = ?1
             AND state IN ('in_progress', 'failed') ORDER BY received_at, rowid",
            kind,
        )
    }

    fn completed(&self, kind: RequestKind) -> Result<Vec<String>, LedgerError> {
        self.ids(
            "SELECT id FROM privacy_requests WHERE kind = ?1 AND state = 'completed'
             ORDER BY completed_at, rowid",
            kind,
        )
    }

    fn erased(&self, subject_kind: &str, subject_id: &str) -> Result<bool, LedgerError> {
        let found: Option<i64> = self
            .conn()?
            .query_row(
                "SELECT 1 FROM privacy_requests WHERE kind = 'deletion' AND state = 'completed'
                 AND subject_kind = ?1 AND subject_id = ?2 LIMIT 1",
                params![subject_kind, subject_id],
                |row| row.get(0),
            )
            .optional()
            .map_err(err("read"))?;
        Ok(found.is_some())
    }
}
