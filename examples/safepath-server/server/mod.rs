//! The SafePath HTTP service: axum on tokio, records in SQLite (sealed with the keyring),
//! the key store on SQLite or PostgreSQL, JSON logs without a raw personal value.
//!
//! `main.rs` runs it; `tests/safepath_server.rs` starts it on a loopback port and drives it
//! with an HTTP client.

mod error;
mod handlers;
mod input;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::Router;
use privacy_core::crypto::{Keyring, MasterKey};
use tokio::net::TcpListener;

use crate::service::store::Store;
use crate::service::vault::Vault;
pub use error::ApiError;

/// Where the key store lives.
pub enum KeyStore {
    /// An SQLite file of its own: never the data file (two writers on one SQLite file wait on
    /// each other's locks and fail with `database is locked`).
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
    /// The SQLite file of the application data.
    pub db: PathBuf,
    /// The key store.
    pub keys: KeyStore,
    /// The key-encryption key of the key store.
    pub master_key: MasterKey,
    /// How often the retention sweep runs.
    pub sweep_every: Duration,
    /// The largest request body accepted, in bytes.
    pub max_body: usize,
}

/// What every handler shares: the vault behind a lock (SQLite connections are not `Sync`;
/// every database call runs on the blocking pool, see [`AppState::db`]).
pub struct AppState {
    vault: Mutex<Vault>,
    requests: AtomicU64,
}

/// Opens the data and key stores (on the blocking pool: both do file or network I/O).
pub async fn open(config: &Config) -> Result<Arc<AppState>, ApiError> {
    let db = config.db.clone();
    let master = config.master_key.clone();
    let keys = match &config.keys {
        KeyStore::Sqlite(path) => KeySource::Sqlite(path.clone()),
        #[cfg(feature = "postgres")]
        KeyStore::Postgres { url, schema } => KeySource::Postgres(url.clone(), schema.clone()),
    };
    let vault = tokio::task::spawn_blocking(move || -> Result<Vault, ApiError> {
        let store = Store::open(&db).map_err(|e| ApiError::internal("open database", &e))?;
        let keyring = match keys {
            KeySource::Sqlite(path) => Keyring::sqlite_with_master_key(path, master),
            #[cfg(feature = "postgres")]
            KeySource::Postgres(url, schema) => {
                privacy_core::crypto::PostgresKeyStore::connect_in_schema(&url, &schema)
                    .and_then(|store| Keyring::new(store, master))
            }
        }
        .map_err(|e| ApiError::internal("open key store", &e))?;
        Ok(Vault { store, keyring })
    })
    .await
    .map_err(|e| ApiError::internal("open", &e))??;
    Ok(Arc::new(AppState {
        vault: Mutex::new(vault),
        requests: AtomicU64::new(0),
    }))
}

enum KeySource {
    Sqlite(PathBuf),
    #[cfg(feature = "postgres")]
    Postgres(String, String),
}

impl AppState {
    /// Runs `f` with the vault on tokio's blocking pool: SQLite, sealing and the key store
    /// never block a runtime worker.
    pub async fn db<R: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut Vault) -> Result<R, ApiError> + Send + 'static,
    ) -> Result<R, ApiError> {
        let state = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let mut vault = state.vault.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut vault)
        })
        .await
        .map_err(|e| ApiError::internal("database task", &e))?
    }
}

/// The routes, with request logging and the body limit.
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
        .route("/inventory", get(handlers::inventory))
        .fallback(handlers::not_found)
        .layer(middleware::from_fn_with_state(state.clone(), log_request))
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
            let swept = state
                .db(|vault| {
                    crate::service::steps::sweep(vault, SystemTime::now())
                        .map_err(|e| ApiError::internal("retention sweep", &e))
                })
                .await;
            if let Err(e) = swept {
                tracing::error!(error = %e, "retention sweep failed");
            }
        }
    })
}

/// Logs every request: a number, the method, the route *template* (`/children/{id}`, never
/// the id), the status and the time taken. Nothing from the body, the query or the headers.
async fn log_request(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let number = state.requests.fetch_add(1, Ordering::Relaxed) + 1;
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(no route)", MatchedPath::as_str)
        .to_owned();
    let span = tracing::info_span!("request", n = number);
    span.in_scope(|| tracing::debug!(%method, %route, "request received"));
    let response = next.run(request).await;
    let _enter = span.enter();
    let status = response.status().as_u16();
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    if status >= 500 {
        tracing::error!(%method, %route, status, micros, "request answered");
    } else if status >= 400 {
        tracing::warn!(%method, %route, status, micros, "request answered");
    } else {
        tracing::info!(%method, %route, status, micros, "request answered");
    }
    response
}
