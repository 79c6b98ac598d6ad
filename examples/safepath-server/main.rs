//! SafePath as an HTTP service: the family locator's API on axum and tokio, records in
//! SQLite sealed with the keyring, the key store on SQLite (default) or PostgreSQL, and JSON
//! logs that hold no raw personal value.
//!
//! ```text
//! cargo run --example safepath-server
//! ```
//!
//! Settings (environment): `SAFEPATH_ADDR` (default `127.0.0.1:8080`), `SAFEPATH_DB`
//! (default `target/safepath-server/safepath.sqlite`), `SAFEPATH_KEYS` (the SQLite key store,
//! default: beside the database, `.keys`), `SAFEPATH_KEYS_URL` (a PostgreSQL URL for the key
//! store; build with `--features postgres`; `SAFEPATH_KEYS_SCHEMA` names its schema, default
//! `public`), `PRIVACY_MASTER_KEY` (base64 of 32 bytes; a
//! fixed demo key when unset), `SAFEPATH_SWEEP_SECS` (retention sweep period, default 3600).

mod server;
#[allow(dead_code, unreachable_pub)]
#[path = "../safepath/service/mod.rs"]
mod service;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

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
    let master_key = if let Some(key) = service::master_key_from_env()? {
        key
    } else {
        tracing::warn!("PRIVACY_MASTER_KEY is not set; using the fixed demo master key (never do this in production)");
        service::demo_master_key()
    };
    let sweep_secs = env("SAFEPATH_SWEEP_SECS")
        .map(|s| s.parse::<u64>())
        .transpose()?
        .unwrap_or(3600);
    let config = server::Config {
        db,
        keys,
        master_key,
        sweep_every: Duration::from_secs(sweep_secs.max(1)),
        max_body: 16 * 1024,
    };
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    server::serve(listener, config).await?;
    Ok(())
}
