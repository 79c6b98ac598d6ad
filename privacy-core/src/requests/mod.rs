//! Requests about a person across a whole service: the [`DataMap`] of every stored record
//! type, [`RecordStore`]s that hold sealed records (SQLite, PostgreSQL, or your own), a
//! durable [`Ledger`] of requests, and the [`Requests`] engine that answers access,
//! deletion, correction and portability requests over all of them.
//!
//! - **Data map**: `#[derive(PersonalData)]` registers every non-generic type at link time;
//!   [`DataMap::builder`] names each registered type that no store holds and that is not
//!   declared never stored, so a forgotten type fails at start-up (and in
//!   [`assert_complete`] in a test), not silently at erasure time.
//! - **Stores**: one table per record name (`subject_id`, `record_id`, `link_id`,
//!   `collected_at`, the [`Sealed`](crate::crypto::Sealed) record as JSON, blind indexes).
//!   A subject's records are read a page at a time ([`Records::subject_records`]), never
//!   collected into one `Vec`; deletions run in batches, many rows per statement.
//! - **Ledger**: id (128 random bits), kind, subject, requester, received, due (per
//!   [`Regime`], extendable once), verified, state, progress per store, completed, SHA-256
//!   of the report.
//! - **Deletion** is resumable and exactly once: see the [`deletion`](Requests::delete)
//!   docs; [`Requests::replay`] re-applies completed deletions after a restore.
//!
//! - **Retained values**: a record that keeps fields under a legal basis
//!   (`on_erase = "retain"`) is erased and sealed again under the person's retention key
//!   ([`Keyring::seal_erased`](crate::crypto::Keyring::seal_erased)), which the deletion's
//!   shred leaves: retained `encrypt` values stay readable;
//!   [`Keyring::shred_retained`](crate::crypto::Keyring::shred_retained) ends them.
//! - **Retention sweeps**: [`Requests::sweep`] expires every value past its retention over
//!   the data map, deletes records left with nothing personal, and destroys a person's
//!   retention key with their last kept record; it reports counts per type
//!   ([`SweepSummary`]), never values.

mod access;
mod correction;
mod data_map;
mod deletion;
mod digest;
mod due;
mod engine;
mod error;
mod expiry;
mod ledger;
mod portability;
#[cfg(feature = "postgres")]
mod postgres_conn;
#[cfg(feature = "postgres")]
mod postgres_ledger;
#[cfg(feature = "postgres")]
mod postgres_store;
mod records;
pub(crate) mod registry;
mod report;
#[cfg(feature = "sqlite")]
mod sqlite_ledger;
#[cfg(feature = "sqlite")]
mod sqlite_store;
mod store;
mod sweep;

pub use access::INCOMPLETE_MARKER;
pub use data_map::{assert_complete, DataMap, DataMapBuilder, DataMapError, Problem};
pub use deletion::ReplayReport;
pub use due::Regime;
pub use engine::Requests;
pub use error::RequestError;
pub use expiry::{SweepSummary, TypeSweep};
pub use ledger::{Ledger, LedgerError, Progress, Request, RequestKind, RequestState, SubjectRef};
pub use portability::PERSON_SOURCES;
#[cfg(feature = "postgres")]
pub use postgres_ledger::PostgresLedger;
#[cfg(feature = "postgres")]
pub use postgres_store::PostgresRecordStore;
pub use records::{Records, Storable, Stored, SubjectRecords, DEFAULT_BATCH};
pub use registry::{registered, Registration};
pub use report::{CorrectionReport, DeletionReport, FieldOutcome, StoreOutcome};
#[cfg(feature = "sqlite")]
pub use sqlite_ledger::SqliteLedger;
#[cfg(feature = "sqlite")]
pub use sqlite_store::SqliteRecordStore;
pub use store::{table_name, RecordStore, StoreError, StoredRecord};
