//! Where wrapped keys live: the [`KeyStore`] trait and its three implementations. A store
//! keeps opaque wrapped bytes and counters; it never imports the keyring and never sees a
//! key in clear.

pub(crate) mod key_store;
pub(crate) mod memory;
#[cfg(feature = "postgres")]
pub(crate) mod postgres;
#[cfg(feature = "sqlite")]
pub(crate) mod sqlite;

pub use key_store::{DataKeyRecord, DataKeyState, KeyStore, KeyStoreTx, NewDataKey, WrappedKek};
