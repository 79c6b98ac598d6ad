//! [`Error`]: everything that can go wrong while sealing, opening or managing keys.

/// A failure of the crypto module.
///
/// Messages say what failed and where (record type, field name, version numbers), never a
/// personal value, a subject id or key bytes, so errors are safe to log.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The master key environment variable is not set.
    #[error("no master key: set {var} to a base64-encoded 32-byte key")]
    MissingMasterKey {
        /// The environment variable read.
        var: &'static str,
    },
    /// The master key could not be decoded into 32 bytes.
    #[error("malformed master key: {reason}")]
    MalformedMasterKey {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A [`KeyWrapper`](crate::crypto::KeyWrapper) (a key management service) failed.
    #[error("key wrapper: {message}")]
    KeyWrapper {
        /// The wrapper's message, which must not contain key material.
        message: String,
    },
    /// The master key file cannot be used.
    #[error("master key file: {reason}")]
    KeyFile {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The key store was created with another master key: its key-encryption keys do not open.
    #[error("wrong master key: the key store's key-encryption key version {version} does not open with it")]
    WrongMasterKey {
        /// The key-encryption key version that failed to open.
        version: u32,
    },
    /// The subject's data key was destroyed by [`Keyring::shred`](crate::crypto::Keyring::shred):
    /// the data is erased, and nothing new is sealed for the subject.
    #[error("the data subject was crypto-shredded: the data key is destroyed")]
    Shredded,
    /// The bytes are not an envelope (too short, or not base64).
    #[error("malformed envelope: {reason}")]
    MalformedEnvelope {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The envelope's format version is not one this build reads.
    #[error("unsupported envelope version {version}")]
    UnsupportedVersion {
        /// The version byte found.
        version: u8,
    },
    /// The envelope names a data key that is not the subject's.
    #[error("the envelope's key id is not the data key of its subject")]
    KeyMismatch,
    /// The key store holds no data key for the subject: the envelope comes from another store.
    #[error("no data key for the envelope's subject in this key store")]
    UnknownKey,
    /// Authentication failed: the envelope was altered, moved to another field, record or
    /// subject, or sealed under another key.
    #[error("envelope failed authentication (tampered, moved, or sealed under another key)")]
    Authentication,
    /// The record has fields to encrypt but no `#[personal(subject_id)]` value.
    #[error("{record} has encrypted fields but no subject id to bind them to")]
    MissingSubject {
        /// The record type.
        record: &'static str,
    },
    /// A subject id starts with the prefix reserved for retention keys (`"\u{1}retained\u{1}"`):
    /// sealing for it could write under another person's retention key.
    #[error("the subject id starts with a prefix reserved for retention keys")]
    ReservedSubjectId,
    /// A `retention = "transient"` field holds a value: transient data is never persisted.
    #[error("{record}.{field} is transient and holds a value: transient data is never sealed")]
    TransientField {
        /// The record type.
        record: &'static str,
        /// The field.
        field: &'static str,
    },
    /// A classified field is absent from (or misplaced in) the serde form, so it cannot be
    /// sealed or opened; nothing is written rather than a value left in clear.
    #[error("{record}.{field} is not where its schema says in the serde form ({expected})")]
    FieldLayout {
        /// The record type.
        record: &'static str,
        /// The field.
        field: &'static str,
        /// What was expected.
        expected: &'static str,
    },
    /// A [`Sealed`](crate::crypto::Sealed) of one record type was opened as another, or
    /// its record names another subject than the one it was sealed for.
    #[error("sealed record mismatch: {reason}")]
    RecordMismatch {
        /// What did not match.
        reason: &'static str,
    },
    /// The record's serde form could not be written or read back. The reason names kinds of
    /// values and types, never a value.
    #[error("the record does not (de)serialize: {reason}")]
    Serde {
        /// What failed.
        reason: String,
    },
    /// serde_json failed; the message of serde is dropped because it can quote values.
    #[error("the record does not (de)serialize as JSON ({category})")]
    Json {
        /// serde_json's error category (`syntax`, `data`, `eof`, `io`).
        category: &'static str,
    },
    /// The key store failed.
    #[error("key store: {message}")]
    Store {
        /// The store's message (SQLite's or PostgreSQL's, without values).
        message: String,
    },
    /// The key store holds inconsistent rows.
    #[error("corrupt key store: {reason}")]
    CorruptStore {
        /// What is inconsistent.
        reason: &'static str,
    },
    /// The subject's data key has sealed as many envelopes as the keyring's limit allows
    /// ([`Keyring::with_seal_limit`](crate::crypto::Keyring::with_seal_limit)); envelopes
    /// already sealed keep opening.
    #[error(
        "the data key reached its limit of {limit} seals (random 96-bit nonces allow one key 2^32)"
    )]
    KeyUsageLimit {
        /// The limit.
        limit: u64,
    },
    /// A key store refused to wrap more data keys under key-encryption key `version`: that
    /// would take its wrap count past `limit`
    /// ([`Keyring::with_kek_wrap_limit`](crate::crypto::Keyring::with_kek_wrap_limit)).
    /// Nothing was stored. [`Keyring`](crate::crypto::Keyring) rotates to a new KEK version
    /// and retries; it returns this error only if other keyrings kept filling each new
    /// version first (or the limit is 0).
    #[error("key-encryption key version {version} reached its limit of {limit} wrapped data keys")]
    KekWrapLimit {
        /// The full version.
        version: u32,
        /// The limit.
        limit: u64,
    },
    /// A key-encryption key cannot be retired because data keys are still wrapped by it.
    #[error("key-encryption key version {version} still wraps data keys")]
    KekInUse {
        /// The version.
        version: u32,
    },
    /// A data key was to be stored wrapped by a key-encryption key version the store no
    /// longer (or not yet) holds: another keyring rotated and rewrapped. The store refused it;
    /// [`Keyring`](crate::crypto::Keyring) reloads the key-encryption keys and retries.
    #[error("key-encryption key version {version} is not in the key store (rotated away)")]
    StaleKek {
        /// The version that is missing.
        version: u32,
    },
    /// The key store's tables were created by a newer version of this crate; nothing was
    /// changed. Upgrade the crate (every instance sharing the store) to use it.
    #[error(
        "the {store} key store has schema version {found}; this build reads up to {supported}"
    )]
    SchemaTooNew {
        /// The kind of store (`"sqlite"`, `"postgres"`).
        store: &'static str,
        /// The schema version found.
        found: i64,
        /// The newest schema version this build knows.
        supported: i64,
    },
    /// A blind index length that is not a multiple of 8 from 16 to 256 bits.
    #[error("invalid blind index length of {bits} bits: use a multiple of 8 from 16 to 256")]
    InvalidIndexBits {
        /// The length asked for.
        bits: u16,
    },
    /// The field is not a `blind_index` field of the record type (nested records included).
    #[error("{record}.{field} is not a blind-indexed field")]
    NotBlindIndexed {
        /// The record name.
        record: &'static str,
        /// The Rust field path asked for.
        field: String,
    },
    /// The current blind-index key version cannot be retired: rotate to a new one first
    /// ([`Keyring::rotate_index_key`](crate::crypto::Keyring::rotate_index_key)).
    #[error("blind-index key version {version} is the current one and cannot be retired")]
    CurrentIndexKey {
        /// The version.
        version: u32,
    },
    /// No blind-index key has this version (versions start at 1).
    #[error("there is no blind-index key version {version}")]
    UnknownIndexKey {
        /// The version.
        version: u32,
    },
    /// The operating system's random source failed.
    #[error("the operating system random source failed")]
    Random,
    /// A lock was poisoned by a panic in another thread.
    #[error("a key cache lock was poisoned by a panicking thread")]
    Poisoned,
}

/// The group an [`Error`] belongs to: what a caller does about it, without matching every
/// variant (retry a store failure, page someone for a configuration error, treat an
/// envelope or record error as tampering or corruption).
///
/// ```
/// use privacy_core::crypto::{ErrorKind, Keyring};
///
/// let keyring = Keyring::in_memory();
/// keyring.shred("42").unwrap();
/// let refused = keyring.seal_bytes(&privacy_core::crypto::Aad::new("Note", "text", "42"), b"x");
/// assert_eq!(refused.unwrap_err().kind(), ErrorKind::Erased);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The keyring's configuration: the master key, its file, the key wrapper, a limit or
    /// blind-index length, a key version asked for that does not exist.
    Config,
    /// The person was crypto-shredded: their data is erased ([`Error::Shredded`]).
    Erased,
    /// An envelope is malformed, of an unknown version, under another key, or fails
    /// authentication: tampered, moved or corrupted stored data.
    Envelope,
    /// A record cannot be sealed or opened as it is: no subject id, a transient value, a
    /// field serde did not hand over, a sealed record that does not match its type or
    /// place, or a serde failure.
    Record,
    /// The key store failed, holds inconsistent rows, is too new for this build, or refused
    /// a write that a concurrent keyring made stale; also a key's usage limit.
    Store,
    /// The process: the operating system's random source, or a lock poisoned by a panic.
    Runtime,
}

impl Error {
    /// The group this error belongs to.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::MissingMasterKey { .. }
            | Error::MalformedMasterKey { .. }
            | Error::KeyWrapper { .. }
            | Error::KeyFile { .. }
            | Error::WrongMasterKey { .. }
            | Error::InvalidIndexBits { .. }
            | Error::NotBlindIndexed { .. }
            | Error::CurrentIndexKey { .. }
            | Error::UnknownIndexKey { .. } => ErrorKind::Config,
            Error::Shredded => ErrorKind::Erased,
            Error::MalformedEnvelope { .. }
            | Error::UnsupportedVersion { .. }
            | Error::KeyMismatch
            | Error::UnknownKey
            | Error::Authentication => ErrorKind::Envelope,
            Error::MissingSubject { .. }
            | Error::ReservedSubjectId
            | Error::TransientField { .. }
            | Error::FieldLayout { .. }
            | Error::RecordMismatch { .. }
            | Error::Serde { .. }
            | Error::Json { .. } => ErrorKind::Record,
            Error::Store { .. }
            | Error::CorruptStore { .. }
            | Error::KeyUsageLimit { .. }
            | Error::KekWrapLimit { .. }
            | Error::KekInUse { .. }
            | Error::StaleKek { .. }
            | Error::SchemaTooNew { .. } => ErrorKind::Store,
            Error::Random | Error::Poisoned => ErrorKind::Runtime,
        }
    }
}

/// `Result` with the crypto [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

// The conversions from the crates underneath are crate-private functions, not `From` impls,
// so no foreign error type is part of the public API; each module converts with the
// `Context`-style extension trait `Convert` below (`.conv()?`).
impl Error {
    /// serde_json's error without its message, which can quote values.
    pub(crate) fn json(e: &serde_json::Error) -> Error {
        use serde_json::error::Category;
        let category = match e.classify() {
            Category::Io => "io",
            Category::Syntax => "syntax",
            Category::Data => "data",
            Category::Eof => "eof",
        };
        Error::Json { category }
    }

    /// SQLite's message: it names tables and constraints; every value is bound as a
    /// parameter, so no value can appear in it.
    #[cfg(feature = "sqlite")]
    pub(crate) fn sqlite(e: &rusqlite::Error) -> Error {
        Error::Store {
            message: e.to_string(),
        }
    }

    /// A PostgreSQL error's SQLSTATE and primary message: its detail and hint can quote row
    /// values (`Key (subject)=(...)`), the primary message names tables and constraints.
    #[cfg(feature = "postgres")]
    pub(crate) fn postgres(e: &postgres::Error) -> Error {
        let message = match e.as_db_error() {
            // The server names the statement kind, which for a combined statement misleads.
            Some(db) if *db.code() == postgres::error::SqlState::READ_ONLY_SQL_TRANSACTION => {
                "postgres 25006: the store is read-only here (read-only transaction)".to_owned()
            }
            Some(db) => format!("postgres {}: {}", db.code().code(), db.message()),
            None => format!("postgres: {e}"),
        };
        Error::Store { message }
    }
}

/// Converts the result of a crate underneath into this module's [`Result`].
pub(crate) trait Convert<T> {
    /// The same result with the error converted (see [`Error::json`] and its siblings).
    fn conv(self) -> Result<T>;
}

impl<T> Convert<T> for core::result::Result<T, serde_json::Error> {
    fn conv(self) -> Result<T> {
        self.map_err(|e| Error::json(&e))
    }
}

#[cfg(feature = "sqlite")]
impl<T> Convert<T> for core::result::Result<T, rusqlite::Error> {
    fn conv(self) -> Result<T> {
        self.map_err(|e| Error::sqlite(&e))
    }
}

#[cfg(feature = "postgres")]
impl<T> Convert<T> for core::result::Result<T, postgres::Error> {
    fn conv(self) -> Result<T> {
        self.map_err(|e| Error::postgres(&e))
    }
}

impl<T> From<std::sync::PoisonError<T>> for Error {
    fn from(_: std::sync::PoisonError<T>) -> Self {
        Error::Poisoned
    }
}
