//! The durable request ledger: [`Ledger`], what it records ([`Request`], [`Progress`]) and
//! its error.
//!
//! The ledger lives in the application's database (`SqliteLedger`,
//! `PostgresLedger`), two tables:
//!
//! ```sql
//! CREATE TABLE privacy_requests (
//!     id TEXT PRIMARY KEY,          -- 128 random bits, hex
//!     kind TEXT NOT NULL,           -- access | deletion | correction | portability
//!     subject_kind TEXT NOT NULL,
//!     subject_id TEXT NOT NULL,
//!     subjects TEXT,                -- JSON [{kind, id}], fixed when a deletion starts
//!     requester TEXT NOT NULL,      -- who asked (the person or an authorized agent)
//!     regime TEXT NOT NULL,         -- ccpa | gdpr | custom:<days>:<extension>
//!     received_at BIGINT NOT NULL,  -- seconds since the Unix epoch
//!     due_at BIGINT NOT NULL,
//!     extended BOOLEAN NOT NULL,
//!     verified_at BIGINT,
//!     state TEXT NOT NULL,          -- received | in_progress | completed | failed
//!     failure TEXT,                 -- the error's message (no personal data)
//!     completed_at BIGINT,
//!     report_digest TEXT            -- SHA-256 of the final report, hex
//! );
//! CREATE TABLE privacy_request_progress (
//!     request_id TEXT, step TEXT,   -- "<record name>#<n-th subject>", or "shred"
//!     outcome TEXT,                 -- JSON StoreOutcome, written before the store changes
//!     done BOOLEAN,                 -- the store has been changed
//!     PRIMARY KEY (request_id, step)
//! );
//! ```
//!
//! The ledger keeps the subject ids of requests, completed ones included: they prove what
//! was done and when, and [`Requests::replay`](super::Requests::replay) needs them to erase
//! again after a restore. **Keep the ledger where a restore of the record stores does not
//! roll it back** (another database, or excluded from data restores): a ledger restored with
//! the data forgets the deletions made since the backup, and `replay` cannot re-apply them.

use core::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::due::Regime;

/// The kind of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// Right to know / access (CCPA 1798.110, GDPR Art. 15).
    Access,
    /// Right to delete / erasure (CCPA 1798.105, GDPR Art. 17).
    Deletion,
    /// Right to correct / rectification (CCPA 1798.106, GDPR Art. 16).
    Correction,
    /// Data portability (GDPR Art. 20, CCPA 1798.100(d)).
    Portability,
}

impl RequestKind {
    /// The ledger's spelling: `access`, `deletion`, `correction`, `portability`.
    pub const fn as_str(self) -> &'static str {
        match self {
            RequestKind::Access => "access",
            RequestKind::Deletion => "deletion",
            RequestKind::Correction => "correction",
            RequestKind::Portability => "portability",
        }
    }

    /// Reads [`as_str`](RequestKind::as_str).
    pub fn from_text(text: &str) -> Option<RequestKind> {
        [
            RequestKind::Access,
            RequestKind::Deletion,
            RequestKind::Correction,
            RequestKind::Portability,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

impl fmt::Display for RequestKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// Recorded, not started.
    Received,
    /// Started: a deletion in this state resumes where it stopped.
    InProgress,
    /// Done; the report digest is recorded.
    Completed,
    /// Stopped by an error (recorded in `failure`); running it again retries.
    Failed,
}

impl RequestState {
    /// The ledger's spelling: `received`, `in_progress`, `completed`, `failed`.
    pub const fn as_str(self) -> &'static str {
        match self {
            RequestState::Received => "received",
            RequestState::InProgress => "in_progress",
            RequestState::Completed => "completed",
            RequestState::Failed => "failed",
        }
    }

    /// Reads [`as_str`](RequestState::as_str).
    pub fn from_text(text: &str) -> Option<RequestState> {
        [
            RequestState::Received,
            RequestState::InProgress,
            RequestState::Completed,
            RequestState::Failed,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

impl fmt::Display for RequestState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One request as the ledger records it. Times are whole seconds.
///
/// Its `Debug` leaves out the subject ids and the requester.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    /// 128 random bits in hex: unguessable, so it can be shown to the requester.
    pub id: String,
    /// What is asked.
    pub kind: RequestKind,
    /// The kind of the subject the request is about.
    pub subject_kind: String,
    /// The subject the request is about.
    pub subject_id: String,
    /// Every subject the request covers (the subject and the people reached through routes),
    /// fixed when a deletion starts; empty before.
    pub subjects: Vec<SubjectRef>,
    /// Who asked: the person, or an authorized agent acting for them.
    pub requester: String,
    /// The law setting the deadline.
    pub regime: Regime,
    /// When the request was received.
    pub received_at: SystemTime,
    /// When it is due (extension included).
    pub due_at: SystemTime,
    /// Whether the deadline was extended (once at most).
    pub extended: bool,
    /// When the requester's identity was verified.
    pub verified_at: Option<SystemTime>,
    /// Where it stands.
    pub state: RequestState,
    /// Why it failed, when it did (an error message without personal data).
    pub failure: Option<String>,
    /// When it was completed.
    pub completed_at: Option<SystemTime>,
    /// The SHA-256 of the final report (the document for access and portability), hex.
    pub report_digest: Option<String>,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("subject_kind", &self.subject_kind)
            .field("regime", &self.regime)
            .field("received_at", &secs(self.received_at))
            .field("due_at", &secs(self.due_at))
            .field("extended", &self.extended)
            .field("verified", &self.verified_at.is_some())
            .field("state", &self.state)
            .field("completed_at", &self.completed_at.map(secs))
            .field("report_digest", &self.report_digest)
            .finish_non_exhaustive()
    }
}

/// One step of a deletion as the ledger records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// `"<record name>#<n>"` (the n-th subject of the request) or `"shred"`.
    pub step: String,
    /// What the step does, as JSON ([`StoreOutcome`](super::StoreOutcome)), recorded before
    /// the store was changed.
    pub outcome: String,
    /// Whether the store has been changed.
    pub done: bool,
}

/// Why the ledger failed: the operation and the database's message (never a row's values).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// The database failed.
    #[error("request ledger: {operation} failed: {message}")]
    Database {
        /// What the ledger was doing.
        operation: &'static str,
        /// What the database said, without row values.
        message: String,
    },
    /// A row does not read back (an unknown kind, state or regime).
    #[error("request ledger: a stored request is malformed ({reason})")]
    Malformed {
        /// What is wrong.
        reason: &'static str,
    },
}

impl LedgerError {
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub(crate) fn db(operation: &'static str) -> impl Fn(String) -> LedgerError {
        move |message| LedgerError::Database { operation, message }
    }
}

/// Where requests are recorded durably. Implemented by `SqliteLedger`
/// and `PostgresLedger`; the request engine is written against it.
pub trait Ledger: Send + Sync {
    /// Records a new request.
    fn insert(&self, request: &Request) -> Result<(), LedgerError>;
    /// The request with this id.
    fn get(&self, id: &str) -> Result<Option<Request>, LedgerError>;
    /// Writes back the request's mutable columns (subjects, due date, extension,
    /// verification, state, failure). Refuses nothing, but never touches a completed row.
    fn update(&self, request: &Request) -> Result<(), LedgerError>;
    /// Records what a step will do, unless a record of it exists (the first plan wins).
    fn plan_step(&self, id: &str, step: &str, outcome: &str) -> Result<(), LedgerError>;
    /// Marks a step done.
    fn finish_step(&self, id: &str, step: &str) -> Result<(), LedgerError>;
    /// Every step recorded for the request, in the order they were first recorded.
    fn progress(&self, id: &str) -> Result<Vec<Progress>, LedgerError>;
    /// Completes the request with its report digest, unless it is completed already;
    /// whether this call completed it.
    fn complete(&self, id: &str, at: SystemTime, digest: &str) -> Result<bool, LedgerError>;
    /// The ids of requests of `kind` in state `in_progress` or `failed`, oldest first.
    fn unfinished(&self, kind: RequestKind) -> Result<Vec<String>, LedgerError>;
    /// The ids of completed requests of `kind`, oldest first.
    fn completed(&self, kind: RequestKind) -> Result<Vec<String>, LedgerError>;
    /// Whether a deletion of `subject_id` (of `subject_kind`) completed.
    fn erased(&self, subject_kind: &str, subject_id: &str) -> Result<bool, LedgerError>;
}

/// Seconds since the Unix epoch (0 before it).
pub(crate) fn secs(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        .unwrap_or(0)
}

/// The time `secs` seconds after the Unix epoch.
pub(crate) fn time(secs: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).unwrap_or(0))
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
/// The columns of `privacy_requests`, in the order [`RequestRow`] reads them.
pub(crate) const REQUEST_COLUMNS: &str = "id, kind, subject_kind, subject_id, subjects, requester, regime, received_at, due_at, extended, verified_at, state, failure, completed_at, report_digest";

#[cfg(any(feature = "sqlite", feature = "postgres"))]
/// A `privacy_requests` row as both databases read it.
pub(crate) struct RequestRow {
    pub id: String,
    pub kind: String,
    pub subject_kind: String,
    pub subject_id: String,
    pub subjects: Option<String>,
    pub requester: String,
    pub regime: String,
    pub received_at: i64,
    pub due_at: i64,
    pub extended: bool,
    pub verified_at: Option<i64>,
    pub state: String,
    pub failure: Option<String>,
    pub completed_at: Option<i64>,
    pub report_digest: Option<String>,
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
impl RequestRow {
    pub(crate) fn into_request(self) -> Result<Request, LedgerError> {
        let malformed = |reason| LedgerError::Malformed { reason };
        let subjects = match self.subjects.as_deref() {
            None | Some("") => Vec::new(),
            Some(json) => serde_json::from_str(json).map_err(|_| malformed("subjects"))?,
        };
        Ok(Request {
            id: self.id,
            kind: RequestKind::from_text(&self.kind).ok_or(malformed("kind"))?,
            subject_kind: self.subject_kind,
            subject_id: self.subject_id,
            subjects,
            requester: self.requester,
            regime: Regime::from_text(&self.regime).ok_or(malformed("regime"))?,
            received_at: time(self.received_at),
            due_at: time(self.due_at),
            extended: self.extended,
            verified_at: self.verified_at.map(time),
            state: RequestState::from_text(&self.state).ok_or(malformed("state"))?,
            failure: self.failure,
            completed_at: self.completed_at.map(time),
            report_digest: self.report_digest,
        })
    }
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
/// The subjects of a request as the ledger stores them.
pub(crate) fn subjects_json(request: &Request) -> Option<String> {
    if request.subjects.is_empty() {
        None
    } else {
        serde_json::to_string(&request.subjects).ok()
    }
}

/// A subject a request covers: the requester, or a person in their care reached through a
/// declared route.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SubjectRef {
    /// The kind of subject (`RecordSchema::subject_kind`).
    pub kind: String,
    /// The subject's id.
    pub id: String,
}
