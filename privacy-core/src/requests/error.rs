//! [`RequestError`]: everything that can go wrong while storing records or answering a
//! request. No variant holds a personal value or a subject id.

use super::ledger::{LedgerError, RequestKind, RequestState};
use super::store::StoreError;
use crate::crypto;
use crate::dsar::DsarWriteError;

/// A failure of the data map, a record store, the ledger or a request.
///
/// Messages name record types, request kinds and states and the failing operation, never a
/// value or an identifier of a person, so they are safe to log and to return to a caller.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// A record store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// Sealing or opening a record failed (a shredded subject, a tampered envelope, ...).
    #[error("{record}: {source}")]
    Crypto {
        /// The record name.
        record: &'static str,
        /// What the crypto module said (its messages carry no values).
        #[source]
        source: crypto::Error,
    },
    /// A stored row is not a sealed record of its table's type.
    #[error("{record}: a stored row is not a sealed {record} record")]
    Corrupt {
        /// The record name.
        record: &'static str,
    },
    /// The record gives no subject to file it under: it has no `subject_id` value and its
    /// type declares no route.
    #[error("{record}: the record has no subject id and its type declares no route")]
    NoSubject {
        /// The record name.
        record: &'static str,
    },
    /// The type is not in the data map.
    #[error("{type_name} is not in the data map")]
    NotMapped {
        /// The Rust type name.
        type_name: &'static str,
    },
    /// No request has this id.
    #[error("no request has this id")]
    UnknownRequest,
    /// The request is of another kind than the operation.
    #[error("the request is a {found} request, not a {expected} request")]
    WrongKind {
        /// The kind the operation serves.
        expected: RequestKind,
        /// The request's kind.
        found: RequestKind,
    },
    /// The requester's identity is not verified yet ([`Requests::verify`](super::Requests::verify)).
    #[error("the request is not verified: verify the requester before acting on it")]
    NotVerified,
    /// The request cannot move on from its state (a completed request, a second extension).
    #[error("the request is {state}: {reason}")]
    InvalidState {
        /// The request's state.
        state: RequestState,
        /// Why the operation is refused.
        reason: &'static str,
    },
    /// Writing a right-to-know or portability document failed. What was written is visibly
    /// incomplete (see [`Requests::access`](super::Requests::access)).
    #[error("writing the document failed: {0}")]
    Write(#[source] std::io::Error),
    /// The right-to-know writer refused or failed.
    #[error(transparent)]
    Dsar(#[from] DsarWriteError),
    /// Encoding the report failed.
    #[error("encoding the {what} failed")]
    Encode {
        /// What was being encoded.
        what: &'static str,
    },
}

impl RequestError {
    /// A crypto error about `record`; a serde message (which may quote a value) is replaced
    /// by a fixed one.
    pub(crate) fn crypto(record: &'static str, source: crypto::Error) -> RequestError {
        let source = match source {
            crypto::Error::Serde { .. } => crypto::Error::Serde {
                reason: "the record does not deserialize".to_owned(),
            },
            other => other,
        };
        RequestError::Crypto { record, source }
    }

    /// Whether the error is a shredded subject's data key.
    pub(crate) fn is_shredded(&self) -> bool {
        matches!(
            self,
            RequestError::Crypto {
                source: crypto::Error::Shredded,
                ..
            }
        )
    }
}
