//! The PostgreSQL connection shared by the record store and the ledger (feature
//! `postgres`): the blocking `postgres` client the key store uses, one connection behind a
//! mutex, reopened when found closed, and run off a tokio runtime's worker when called
//! from inside one (where the blocking client would panic).

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use postgres::{Client, Config, NoTls};

/// A connection to one schema.
pub(crate) struct PgConn {
    config: Config,
    pub(crate) schema: String,
    client: Mutex<Option<Client>>,
}

/// An error message from `postgres` without row values: the SQLSTATE and the server's
/// primary message (its DETAIL, which may quote a value, is dropped).
pub(crate) fn pg_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} {}", db.code().code(), db.message()),
        None if e.is_closed() => "connection closed".to_owned(),
        None => "connection or protocol error".to_owned(),
    }
}

impl PgConn {
    /// Connects to `url`, working in `schema` (created if absent).
    pub(crate) fn connect(url: &str, schema: &str, app: &str) -> Result<PgConn, String> {
        let valid = !schema.is_empty()
            && schema.len() <= 63
            && schema
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !schema.as_bytes()[0].is_ascii_digit();
        if !valid {
            return Err("invalid PostgreSQL schema name (letters, digits, _; at most 63)".into());
        }
        // The parser's message could quote the URL, password included: not repeated.
        let mut config: Config = url
            .parse()
            .map_err(|_| "invalid PostgreSQL connection string".to_owned())?;
        config
            .connect_timeout(Duration::from_secs(10))
            .keepalives_idle(Duration::from_secs(10));
        if config.get_application_name().is_none() {
            config.application_name(app);
        }
        let conn = PgConn {
            config,
            schema: format!("\"{schema}\""),
            client: Mutex::new(None),
        };
        let create = format!("CREATE SCHEMA IF NOT EXISTS {}", conn.schema);
        conn.with(|c| c.batch_execute(&create).map_err(|e| pg_message(&e)))?;
        Ok(conn)
    }

    /// Runs `f` with the client, reconnecting when the connection was closed.
    pub(crate) fn with<R: Send>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<R, String> + Send,
    ) -> Result<R, String> {
        off_runtime(|| {
            let mut guard: MutexGuard<'_, Option<Client>> = self
                .client
                .lock()
                .map_err(|_| "a thread panicked while using the connection".to_owned())?;
            if guard.as_ref().is_none_or(Client::is_closed) {
                *guard = Some(self.config.connect(NoTls).map_err(|e| pg_message(&e))?);
            }
            let client = guard.as_mut().ok_or_else(|| "no connection".to_owned())?;
            f(client)
        })
    }
}

/// Runs `f` where the blocking client may block: on this thread outside tokio, through
/// `block_in_place` on a multi-thread runtime, on a scoped thread on a current-thread one.
fn off_runtime<R: Send>(f: impl FnOnce() -> Result<R, String> + Send) -> Result<R, String> {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Err(_) => f(),
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        Ok(_) => std::thread::scope(|s| s.spawn(f).join())
            .map_err(|_| "the database call panicked".to_owned())?,
    }
}
