//! The key hierarchy and its lifecycle: the [`Keyring`](crate::crypto::Keyring) (master key
//! or [`KeyWrapper`](crate::crypto::KeyWrapper) -> KEKs -> per-subject data keys and
//! blind-index keys), its cache, rotation, shredding and the background thread that keeps
//! several keyrings over one store in step. Built on `aead` and `stores`; knows nothing of
//! record formats.

pub(crate) mod cache;
pub(crate) mod data_keys;
pub(crate) mod group_commit;
pub(crate) mod index_keys;
pub(crate) mod indexing;
pub(crate) mod key_wrapper;
pub(crate) mod keyring;
pub(crate) mod last_read;
pub(crate) mod master_key;
pub(crate) mod owner;
pub(crate) mod retention;
pub(crate) mod rotation;
pub(crate) mod shred_follower;
