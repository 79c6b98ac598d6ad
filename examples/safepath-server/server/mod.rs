//! The SafePath HTTP service on the request layer (`privacy_core::requests`): axum on
//! tokio; every record type in one `DataMap` over a `SqliteRecordStore` in the
//! application's database, requests recorded in a `SqliteLedger` in the same file, the
//! key store on SQLite or PostgreSQL; access logs by `privacy_core::http::AccessLogLayer`,
//! JSON logs without a raw personal value.
//!
//! `main.rs` runs it; `tests/safepath_server.rs` starts it on a loopback port (in the test
//! process, or as a child process it kills) and drives it with an HTTP client.
//!
//! Start-up builds the data map (failing, naming it, on a `PersonalData` type that is not
//! mapped), then resumes every deletion a crash interrupted (`Requests::resume_pending`)
//! before it serves.

pub mod data_map;
mod directory;
mod error;
mod fault;
mod handlers;
mod input;
pub mod model;
mod sweep;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use axum::Router;
use privacy_core::crypto::{Keyring, MasterKey};
use privacy_core::http::AccessLogLayer;
use privacy_core::requests::{
    RecordStore, Requests, SqliteLedger, SqliteRecordStore, DEFAULT_BATCH,
};
use tokio::net::TcpListener;

use directory::Directory;
pub use error::ApiError;
pub use fault::Stall;
use fault::StallingStore;
use sweep::{Sweep, Swept};

/// Where the key store lives.
pub enum KeyStore {
    /// An SQLite file of its own: never the data file (the key store is not restored with
    /// the data, and a shred must not wait on the records' locks).
    Sqlite(PathBuf),
    /// A PostgreSQL database, shared by every instance of the service: the tables live in
    /// `schema` (`public` by default; another schema keeps several stores in one database).
    #[cfg(feature = "postgres")]
    Postgres {
        /// The connection string.
        url: String,
        /// The schema of the key tables.
        schema: String,
    },
}

/// How the service runs.
pub struct Config {
    /// The SQLite file of the application: records, request ledger, tokens.
    pub db: PathBuf,
    /// The key store.
    pub keys: KeyStore,
    /// The key-encryption key of the key store.
    pub master_key: MasterKey,
    /// How often the retention sweep runs.
    pub sweep_every: Duration,
    /// The largest request body accepted, in bytes.
    pub max_body: usize,
    /// How many records a page read or a batch delete handles (`DEFAULT_BATCH`).
    pub batch: usize,
    /// Fault injection for tests: stall the record store in the middle of a deletion.
    /// `None` in production.
    pub stall: Option<Stall>,
}

impl Config {
    /// The defaults for the database at `db` and the key store `keys`: a sweep every hour,
    /// bodies up to 16 KiB, the default batch, no fault injection.
    pub fn new(db: PathBuf, keys: KeyStore, master_key: MasterKey) -> Config {
        Config {
            db,
            keys,
            master_key,
            sweep_every: Duration::from_secs(3600),
            max_body: 16 * 1024,
            batch: DEFAULT_BATCH,
            stall: None,
        }
    }
}

/// The fixed key the demo uses when `PRIVACY_MASTER_KEY` is unset. Never do this in
/// production: anyone with this source can open the demo's key store.
pub fn demo_master_key() -> MasterKey {
    MasterKey::from_bytes(*b"SafePath demo master key; public")
}

/// What every handler shares: the request engine (data map, keyring, ledger) and the
/// service's bookkeeping. Every database call runs on the blocking pool
/// ([`AppState::blocking`]).
pub struct AppState {
    /// The request engine over every record type.
    pub requests: Requests,
    directory: Directory,
    sweeps: Vec<Sweep>,
}

/// Opens the key store, the data map, the ledger and the bookkeeping tables, and resumes
/// the deletions a crash interrupted (on the blocking pool: all of it is file or network
/// I/O).
pub async fn open(config: &Config) -> Result<Arc<AppState>, ApiError> {
    let db = config.db.clone();
    let master = config.master_key.clone();
    let keys = match &config.keys {
        KeyStore::Sqlite(path) => KeySource::Sqlite(path.clone()),
        #[cfg(feature = "postgres")]
        KeyStore::Postgres { url, schema } => KeySource::Postgres(url.clone(), schema.clone()),
    };
    let (batch, stall) = (config.batch, config.stall.clone());
    let state = tokio::task::spawn_blocking(move || -> Result<AppState, ApiError> {
        let keyring = match keys {
            KeySource::Sqlite(path) => Keyring::sqlite_with_master_key(path, master),
            #[cfg(feature = "postgres")]
            KeySource::Postgres(url, schema) => {
                privacy_core::crypto::PostgresKeyStore::connect_in_schema(&url, &schema)
                    .and_then(|store| Keyring::new(store, master))
            }
        }
        .map_err(|e| ApiError::internal("open key store", &e))?;
        let sqlite: Arc<dyn RecordStore> = Arc::new(
            SqliteRecordStore::open(&db).map_err(|e| ApiError::internal("open database", &e))?,
        );
        let store: Arc<dyn RecordStore> = match stall {
            Some(stall) => Arc::new(StallingStore::new(sqlite, stall)),
            None => sqlite,
        };
        let (map, sweeps) = data_map::declare(&store, batch).build().map_err(|e| {
            // The message names types and tables, never a value.
            tracing::error!(error = %e, "the data map is incomplete");
            ApiError::Internal("data map")
        })?;
        let ledger =
            SqliteLedger::open(&db).map_err(|e| ApiError::internal("open request ledger", &e))?;
        let directory =
            Directory::open(&db).map_err(|e| ApiError::internal("open directory", &e))?;
        let requests = Requests::new(map, Arc::new(keyring), ledger);
        match requests.resume_pending() {
            Ok(reports) if reports.is_empty() => {}
            Ok(reports) => {
                tracing::info!(requests = reports.len(), "interrupted deletions resumed");
            }
            // The request stays failed in the ledger; the next start-up tries again.
            Err(e) => tracing::error!(error = %e, "resuming an interrupted deletion failed"),
        }
        Ok(AppState {
            requests,
            directory,
            sweeps,
        })
    })
    .await
    .map_err(|e| ApiError::internal("open", &e))??;
    Ok(Arc::new(state))
}

enum KeySource {
    Sqlite(PathBuf),
    #[cfg(feature = "postgres")]
    Postgres(String, String),
}

impl AppState {
    /// Runs `f` on tokio's blocking pool: SQLite, sealing and the key store never block a
    /// runtime worker.
    pub async fn blocking<R: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&AppState) -> Result<R, ApiError> + Send + 'static,
    ) -> Result<R, ApiError> {
        let state = Arc::clone(self);
        tokio::task::spawn_blocking(move || f(&state))
            .await
            .map_err(|e| ApiError::internal("database task", &e))?
    }

    /// Runs the retention sweep of every type of the data map at `now`.
    pub fn sweep(&self, now: SystemTime) -> Result<(), ApiError> {
        let mut total = Swept::default();
        for sweep in &self.sweeps {
            total += sweep(&self.requests, &self.directory, now)?;
        }
        tracing::info!(
            expired_fields = total.expired_fields,
            deleted_rows = total.deleted_rows,
            unreadable = total.unreadable,
            "retention sweep done"
        );
        Ok(())
    }
}

/// The routes, with the access log and the body limit.
pub fn router(state: Arc<AppState>, max_body: usize) -> Router {
    Router::new()
        .route("/parents", post(handlers::sign_up))
        .route(
            "/parents/{id}",
            put(handlers::update_parent).delete(handlers::delete_parent),
        )
        .route("/parents/{id}/children", post(handlers::add_child))
        .route("/parents/{id}/export", get(handlers::export))
        .route(
            "/children/{id}",
            put(handlers::update_child).delete(handlers::delete_child),
        )
        .route("/children/{id}/pings", post(handlers::ping))
        .route("/children/{id}/checkins", post(handlers::check_in))
        .route("/requests/{id}", get(handlers::request_status))
        .route("/inventory", get(handlers::inventory))
        .fallback(handlers::not_found)
        .layer(AccessLogLayer::axum())
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(state)
}

/// Serves on `listener` until the process ends, with the retention sweep in the background.
pub async fn serve(listener: TcpListener, config: Config) -> Result<(), ApiError> {
    let state = open(&config).await?;
    spawn_sweep(state.clone(), config.sweep_every);
    let addr = listener
        .local_addr()
        .map_err(|e| ApiError::internal("listener", &e))?;
    tracing::info!(%addr, "safepath server listening");
    axum::serve(listener, router(state, config.max_body))
        .await
        .map_err(|e| ApiError::internal("serve", &e))
}

/// Runs the retention sweep every `every` (the first run at once).
pub fn spawn_sweep(state: Arc<AppState>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let swept = state.blocking(|s| s.sweep(SystemTime::now())).await;
            if let Err(e) = swept {
                tracing::error!(error = %e, "retention sweep failed");
            }
        }
    })
}
