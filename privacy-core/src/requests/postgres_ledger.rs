//! [`PostgresLedger`]: the request ledger in PostgreSQL (feature `postgres`).

use std::time::SystemTime;

use postgres::Row;

use super::ledger::{
    secs, subjects_json, Ledger, LedgerError, Progress, Request, RequestKind, RequestRow,
    REQUEST_COLUMNS,
};
use super::postgres_conn::{pg_message, PgConn};

/// The request ledger in a PostgreSQL schema (tables as in [`Ledger`]'s module docs, with
/// a `seq BIGSERIAL` ordering the progress rows), through the same client as the key store.
///
/// Keep it where a restore of the record stores does not roll it back: see
/// [`Requests::replay`](super::Requests::replay).
pub struct PostgresLedger {
    conn: PgConn,
}

impl PostgresLedger {
    /// Connects to `url` and keeps the ledger in schema `public`.
    pub fn connect(url: &str) -> Result<PostgresLedger, LedgerError> {
        PostgresLedger::connect_in_schema(url, "public")
    }

    /// Connects to `url` and keeps the ledger in `schema` (created if absent).
    pub fn connect_in_schema(url: &str, schema: &str) -> Result<PostgresLedger, LedgerError> {
        let conn = PgConn::connect(url, schema, "privacy-core ledger")
            .map_err(LedgerError::db("connect"))?;
        let ledger = PostgresLedger { conn };
        ledger.run("create tables", |c, s| {
            c.batch_execute(&format!(
                "CREATE TABLE IF NOT EXISTS {s}.privacy_requests (
                     id TEXT PRIMARY KEY,
                     kind TEXT NOT NULL,
                     subject_kind TEXT NOT NULL,
                     subject_id TEXT NOT NULL,
                     subjects TEXT,
                     requester TEXT NOT NULL,
                     regime TEXT NOT NULL,
                     received_at BIGINT NOT NULL,
                     due_at BIGINT NOT NULL,
                     extended BOOLEAN NOT NULL,
                     verified_at BIGINT,
                     state TEXT NOT NULL,
                     failure TEXT,
                     completed_at BIGINT,
                     report_digest TEXT,
                     seq BIGSERIAL
                 );
                 CREATE INDEX IF NOT EXISTS privacy_requests_state ON {s}.privacy_requests (kind, state, received_at);
                 CREATE INDEX IF NOT EXISTS privacy_requests_subject ON {s}.privacy_requests (subject_kind, subject_id);
                 CREATE TABLE IF NOT EXISTS {s}.privacy_request_progress (
                     request_id TEXT NOT NULL,
                     step TEXT NOT NULL,
                     outcome TEXT NOT NULL,
                     done BOOLEAN NOT NULL,
                     seq BIGSERIAL,
                     PRIMARY KEY (request_id, step)
                 );"
            ))
        })?;
        Ok(ledger)
    }

    fn run<R: Send>(
        &self,
        operation: &'static str,
        f: impl FnOnce(&mut postgres::Client, &str) -> Result<R, postgres::Error> + Send,
    ) -> Result<R, LedgerError> {
        let schema = self.conn.schema.clone();
        self.conn
            .with(|c| f(c, &schema).map_err(|e| pg_message(&e)))
            .map_err(LedgerError::db(operation))
    }

    fn ids(&self, sql: &str, kind: RequestKind) -> Result<Vec<String>, LedgerError> {
        let s = self.conn.schema.clone();
        let sql = sql.replace("{s}", &s);
        self.run("list", move |c, _| {
            let rows = c.query(&sql, &[&kind.as_str()])?;
            Ok(rows.iter().map(|r| r.get(0)).collect())
        })
    }
}

impl core::fmt::Debug for PostgresLedger {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PostgresLedger")
            .field("schema", &self.conn.schema)
            .finish_non_exhaustive()
    }
}

fn read(row: &Row) -> RequestRow {
    RequestRow {
        id: row.get(0),
        kind: row.get(1),
        subject_kind: row.get(2),
        subject_id: row.get(3),
        subjects: row.get(4),
        requester: row.get(5),
        regime: row.get(6),
        received_at: row.get(7),
        due_at: row.get(8),
        extended: row.get(9),
        verified_at: row.get(10),
        state: row.get(11),
        failure: row.get(12),
        completed_at: row.get(13),
        report_digest: row.get(14),
    }
}

impl Ledger for PostgresLedger {
    fn insert(&self, r: &Request) -> Result<(), LedgerError> {
        let subjects = subjects_json(r);
        let regime = r.regime.to_text();
        self.run("insert", |c, s| {
            c.execute(
                &format!(
                    "INSERT INTO {s}.privacy_requests ({REQUEST_COLUMNS}) VALUES
                     ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
                ),
                &[
                    &r.id,
                    &r.kind.as_str(),
                    &r.subject_kind,
                    &r.subject_id,
                    &subjects,
                    &r.requester,
                    &regime,
                    &secs(r.received_at),
                    &secs(r.due_at),
                    &r.extended,
                    &r.verified_at.map(secs),
                    &r.state.as_str(),
                    &r.failure,
                    &r.completed_at.map(secs),
                    &r.report_digest,
                ],
            )
            .map(|_| ())
        })
    }

    fn get(&self, id: &str) -> Result<Option<Request>, LedgerError> {
        let row = self.run("read", |c, s| {
            c.query_opt(
                &format!("SELECT {REQUEST_COLUMNS} FROM {s}.privacy_requests WHERE id = $1"),
                &[&id],
            )
            .map(|row| row.as_ref().map(read))
        })?;
        row.map(RequestRow::into_request).transpose()
    }

    fn update(&self, r: &Request) -> Result<(), LedgerError> {
        let subjects = subjects_json(r);
        self.run("update", |c, s| {
            c.execute(
                &format!(
                    "UPDATE {s}.privacy_requests SET subjects = $2, due_at = $3, extended = $4,
                     verified_at = $5, state = $6, failure = $7
                     WHERE id = $1 AND state <> 'completed'"
                ),
                &[
                    &r.id,
                    &subjects,
                    &secs(r.due_at),
                    &r.extended,
                    &r.verified_at.map(secs),
                    &r.state.as_str(),
                    &r.failure,
                ],
            )
            .map(|_| ())
        })
    }

    fn plan_step(&self, id: &str, step: &str, outcome: &str) -> Result<(), LedgerError> {
        self.run("record progress", |c, s| {
            c.execute(
                &format!(
                    "INSERT INTO {s}.privacy_request_progress (request_id, step, outcome, done)
                     VALUES ($1, $2, $3, false) ON CONFLICT DO NOTHING"
                ),
                &[&id, &step, &outcome],
            )
            .map(|_| ())
        })
    }

    fn finish_step(&self, id: &str, step: &str) -> Result<(), LedgerError> {
        self.run("record progress", |c, s| {
            c.execute(
                &format!(
                    "UPDATE {s}.privacy_request_progress SET done = true
                     WHERE request_id = $1 AND step = $2"
                ),
                &[&id, &step],
            )
            .map(|_| ())
        })
    }

    fn progress(&self, id: &str) -> Result<Vec<Progress>, LedgerError> {
        self.run("read progress", |c, s| {
            let rows = c.query(
                &format!(
                    "SELECT step, outcome, done FROM {s}.privacy_request_progress
                     WHERE request_id = $1 ORDER BY seq"
                ),
                &[&id],
            )?;
            Ok(rows
                .iter()
                .map(|r| Progress {
                    step: r.get(0),
                    outcome: r.get(1),
                    done: r.get(2),
                })
                .collect())
        })
    }

    fn complete(&self, id: &str, at: SystemTime, digest: &str) -> Result<bool, LedgerError> {
        let n = self.run("complete", |c, s| {
            c.execute(
                &format!(
                    "UPDATE {s}.privacy_requests SET state = 'completed', completed_at = $2,
                     report_digest = $3, failure = NULL WHERE id = $1 AND state <> 'completed'"
                ),
                &[&id, &secs(at), &digest],
            )
        })?;
        Ok(n == 1)
    }

    fn unfinished(&self, kind: RequestKind) -> Result<Vec<String>, LedgerError> {
        self.ids(
            "SELECT id FROM {s}.privacy_requests WHERE kind = $1
             AND state IN ('in_progress', 'failed') ORDER BY received_at, seq",
            kind,
        )
    }

    fn completed(&self, kind: RequestKind) -> Result<Vec<String>, LedgerError> {
        self.ids(
            "SELECT id FROM {s}.privacy_requests WHERE kind = $1 AND state = 'completed'
             ORDER BY completed_at, seq",
            kind,
        )
    }

    fn erased(&self, subject_kind: &str, subject_id: &str) -> Result<bool, LedgerError> {
        self.run("read", |c, s| {
            c.query_opt(
                &format!(
                    "SELECT 1 FROM {s}.privacy_requests WHERE kind = 'deletion'
                     AND state = 'completed' AND subject_kind = $1 AND subject_id = $2 LIMIT 1"
                ),
                &[&subject_kind, &subject_id],
            )
            .map(|row| row.is_some())
        })
    }
}
