//! SafePath as an HTTP service on the request layer (`privacy_core::requests`): the family
//! locator's API on axum and tokio; every record type in one data map over a
//! `SqliteRecordStore` (sealed with the keyring), data-subject requests in a `SqliteLedger`
//! in the same database, the key store on SQLite (default) or PostgreSQL; access logs by
//! `privacy_core::http::AccessLogLayer` and JSON logs that hold no raw personal value.
//!
//! ```text
//! cargo run --example safepath-server
//! ```
//!
//! Endpoints (`Authorization: Bearer <token>` from sign-up on all but the first and last):
//!
//! ```text
//! POST   /parents                  sign up: {"id", "token"}
//! PUT    /parents/{id}             change the account
//! POST   /parents/{id}/children    add a child: {"id"}
//! PUT    /children/{id}            change a child profile
//! POST   /children/{id}/pings      a position: {"seq"}
//! POST   /children/{id}/checkins   a device check-in (the IP is anonymized at once)
//! GET    /parents/{id}/export      access request: the JSON document, streamed; header x-request-id
//! DELETE /parents/{id}             deletion request for the family: {"request", "subjects",
//!                                  "deleted_records", "kept_records", "already_erased",
//!                                  "shredded", "report"}
//! DELETE /children/{id}            deletion request for one child (same answer)
//! GET    /requests/{id}            {"request", "kind", "state", "received_at", "due_at",
//!                                  "verified_at", "completed_at", "extended", "regime",
//!                                  "failure", "report_digest"} (RFC 3339 times, UTC)
//! GET    /inventory                the data inventory, JSON or text/markdown
//! ```
//!
//! A deletion interrupted by a crash resumes at the next start-up, before the server
//! serves; its `GET /requests/{id}` then reads `completed`.
//!
//! Settings (environment): `SAFEPATH_ADDR` (default `127.0.0.1:8080`), `SAFEPATH_DB`
//! (default `target/safepath-server/safepath.sqlite`), `SAFEPATH_KEYS` (the SQLite key store,
//! default: beside the database, `.keys`), `SAFEPATH_KEYS_URL` (a PostgreSQL URL for the key
//! store; build with `--features postgres`; `SAFEPATH_KEYS_SCHEMA` names its schema, default
//! `public`), `PRIVACY_MASTER_KEY` (base64 of 32 bytes; a
//! fixed demo key when unset), `SAFEPATH_SWEEP_SECS` (retention sweep period, default 3600).
//! The database file holds the records (`privacy_*` tables), the request ledger
//! (`privacy_requests`, `privacy_request_progress`) and the tokens (`safepath_*`).

mod server;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use privacy_core::crypto::MasterKey;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .json()
        .with_writer(std::io::stdout)
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!(error = %message, "safepath server stopped");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let addr = env("SAFEPATH_ADDR").unwrap_or_else(|| "127.0.0.1:8080".into());
    let db = PathBuf::from(
        env("SAFEPATH_DB").unwrap_or_else(|| "target/safepath-server/safepath.sqlite".into()),
    );
    if let Some(dir) = db.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let keys = match env("SAFEPATH_KEYS_URL") {
        #[cfg(feature = "postgres")]
        Some(url) => server::KeyStore::Postgres {
            url,
            schema: env("SAFEPATH_KEYS_SCHEMA").unwrap_or_else(|| "public".into()),
        },
        #[cfg(not(feature = "postgres"))]
        Some(_) => return Err("SAFEPATH_KEYS_URL needs `--features postgres`".into()),
        None => server::KeyStore::Sqlite(
            env("SAFEPATH_KEYS").map_or_else(|| db.with_extension("keys"), PathBuf::from),
        ),
    };
    let master_key = match MasterKey::from_env() {
        Ok(key) => key,
        Err(privacy_core::crypto::Error::MissingMasterKey { .. }) => {
            tracing::warn!("PRIVACY_MASTER_KEY is not set; using the fixed demo master key (never do this in production)");
            server::demo_master_key()
        }
        Err(e) => return Err(e.into()),
    };
    let sweep_secs = env("SAFEPATH_SWEEP_SECS")
        .map(|s| s.parse::<u64>())
        .transpose()?
        .unwrap_or(3600);
    let mut config = server::Config::new(db, keys, master_key);
    config.sweep_every = Duration::from_secs(sweep_secs.max(1));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    server::serve(listener, config).await?;
    Ok(())
}
