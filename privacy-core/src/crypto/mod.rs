//! Encryption at rest: field-level AES-256-GCM envelopes, one data key per data subject,
//! crypto-shredding and key rotation.
//!
//! ```
//! use privacy_core::crypto::Keyring;
//! use privacy_core::PersonalData;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(PersonalData, Serialize, Deserialize, PartialEq)]
//! struct Account {
//!     #[personal(subject_id)]
//!     id: u64,
//!     #[personal(category = "contact.email", encrypt, blind_index)]
//!     email: String,
//! }
//!
//! let keyring = Keyring::in_memory(); // Keyring::sqlite(path)? in a service
//! let sealed = keyring.seal(&Account { id: 42, email: "ada@example.com".into() }).unwrap();
//! let index = keyring.blind_index("Account", "email", "ada@example.com").unwrap();
//! assert_eq!(sealed.blind_index("email"), Some(index.as_str()));
//! assert_eq!(sealed.open(&keyring).unwrap().email, "ada@example.com");
//!
//! keyring.shred("42").unwrap(); // the right to erasure: every copy of the sealed data
//! assert!(sealed.open(&keyring).is_err());
//! ```
//!
//! # Envelope format (version 1)
//!
//! | offset      | length | content                                            |
//! |-------------|--------|----------------------------------------------------|
//! | 0           | 1      | format version, `0x01`                             |
//! | 1           | 4      | key id of the subject's data key, u32 big endian   |
//! | 5           | 12     | nonce: 96 random bits                              |
//! | 17          | n      | AES-256-GCM ciphertext of the plaintext (n bytes)  |
//! | 17 + n      | 16     | AES-256-GCM tag                                    |
//!
//! So an envelope is 33 bytes longer than its plaintext. The associated data (authenticated,
//! not stored) is `version || key id || len(record) || record || len(field) || field ||
//! len(subject) || subject`, lengths u32 big endian: an envelope copied to another field,
//! record type or subject, or with an altered header, fails with [`Error::Authentication`]
//! (or [`Error::KeyMismatch`] when the key id names another key). Parsing is total: any
//! bytes give an envelope or a typed error, never a panic.
//!
//! At the record level ([`Keyring::seal`]) the plaintext of a field is its serde JSON, the
//! envelope is stored as standard base64, the record is the record name
//! ([`RecordSchema::name`](crate::schema::RecordSchema::name)), the field is the JSON pointer
//! of the value in the record's serde form (`/card`, `/devices/1/serial`), and the envelope is
//! also bound to the one sealed record (see [`Sealed`]).
//!
//! # Sealing records: through a tree or streamed
//!
//! [`Keyring::seal`] builds a [`Sealed`]: the record's serde form in memory with the
//! envelopes in place, which serializes to any self-describing format and opens with
//! [`Sealed::open`]. [`Keyring::seal_json`] and [`Keyring::seal_into`] write the same form
//! straight into JSON text or any serializer, and [`Keyring::open_json`] and
//! [`Keyring::open_from`] read the record straight from the input, each envelope's plaintext
//! read in its place; the two sides mix freely. Both find the encrypted values the same way
//! (the typed model names them; serde hands them over) and run the same checks.
//!
//! # Keys
//!
//! - [`MasterKey`]: 32 bytes from `PRIVACY_MASTER_KEY` (base64), from the owner-only file
//!   named by `PRIVACY_MASTER_KEY_FILE`, or given explicitly; never stored. A persistent
//!   keyring without one is an error, never a generated key. Or a [`KeyWrapper`] instead: a
//!   key management service, so that the root key never enters the process.
//! - Key-encryption keys (KEKs): random, versioned, stored wrapped (AES-256-GCM) by a key
//!   derived from the master key (HKDF-Expand with HMAC-SHA-256). [`Keyring::rotate`] adds a
//!   version; [`Keyring::rewrap`] moves every data key to the newest and deletes the old ones;
//!   [`Keyring::rotate_master_key`] rewraps the KEKs under a new master key in one
//!   transaction, after which the old master key opens nothing. Data keys wrapped per KEK are
//!   counted in the store ([`WrappedKek::wraps`], exact: added in the transaction that stores
//!   the keys) and limited ([`Keyring::with_kek_wrap_limit`], default 2^31): at the limit the
//!   keyring rotates to a new KEK version by itself (one version however many keyrings race
//!   past it), and older data keys keep opening under their KEK.
//! - Data keys: one random 32-byte key per data subject, created on the subject's first
//!   seal (exactly once, even under concurrent first seals: the store inserts if absent),
//!   stored wrapped by a KEK, never replaced. [`Keyring::shred`] destroys it (tombstone kept):
//!   opens then fail with [`Error::Shredded`], and so does sealing new data for the subject.
//!   Seals per data key are counted in the store and limited
//!   ([`Keyring::with_seal_limit`], default 2^31, inside the 2^32 of random nonces).
//!   A copy of the key store made before the shred still holds the wrapped key;
//!   [`Keyring::new_epoch`] plus destroying the old master key makes such copies useless.
//! - Blind-index keys: random, versioned, stored wrapped like a KEK (version 1 in row
//!   0, version `v >= 2` in row `2^30 + v`), so indexes stay
//!   valid across KEK and master-key rotation. Each index is made under a subkey of (record,
//!   field path) and truncated to the field's `bits` ([`DEFAULT_BLIND_INDEX_BITS`]);
//!   [`Keyring::rotate_index_key`], [`Keyring::reindex`] and [`Keyring::retire_index_key`]
//!   rotate it, [`Keyring::blind_index_candidates`] and [`Keyring::find`] look records up
//!   (re-checking the opened value). See [`Keyring::blind_index`] for what an index leaks.
//!
//! # Nonces
//!
//! A `getrandom` system call per envelope would cost as much as sealing a short field, so
//! each thread draws nonces from its own ChaCha20 CSPRNG, seeded with 32 bytes from the OS
//! and reseeded every 2^20 nonces. Random 96-bit nonces stay safe for up to 2^32 envelopes
//! per key (NIST SP 800-38D); keys here are per subject. Fork-safe: a generator drawn from
//! in another process than the one it was seeded in (the child of a `fork` without `exec`)
//! reseeds from the OS before its next nonce, so parent and child never share one.
//!
//! # Key stores and features
//!
//! | store | feature | for |
//! |---|---|---|
//! | [`MemoryKeyStore`] ([`Keyring::in_memory`]) | always | tests, data that may be lost |
//! | `SqliteKeyStore` (`Keyring::sqlite`) | `sqlite` (default; compiles SQLite, needs a C compiler) | one machine, any number of processes |
//! | `PostgresKeyStore` (`Keyring::postgres`) | `postgres` | fleets of instances over one database |
//!
//! With `default-features = false` the crate has no store but memory and no C dependency.
//! Several keyrings over one store behave as one: see [`Keyring`] for the guarantees and
//! the shred bound.

pub(crate) mod aead;
mod blind_index;
mod error;
mod format;
pub(crate) mod keys;
mod os;
mod stores;

pub use crate::schema::DEFAULT_BLIND_INDEX_BITS;
pub use aead::envelope::{key_id, Aad};
pub use error::{Error, ErrorKind, Result};
pub use format::sealed::Sealed;
pub use keys::key_wrapper::KeyWrapper;
pub use keys::keyring::{
    Keyring, DEFAULT_CACHE_CAPACITY, DEFAULT_KEK_WRAP_LIMIT, DEFAULT_SEAL_LIMIT,
    DEFAULT_SHRED_BOUND,
};
pub use keys::master_key::MasterKey;
pub use stores::memory::MemoryKeyStore;
#[cfg(feature = "postgres")]
pub use stores::postgres::{PostgresKeyStore, POSTGRES_SCHEMA_VERSION};
#[cfg(feature = "sqlite")]
pub use stores::sqlite::{SqliteKeyStore, SQLITE_SCHEMA_VERSION};
pub use stores::{DataKeyRecord, DataKeyState, KeyStore, KeyStoreTx, NewDataKey, WrappedKek};
