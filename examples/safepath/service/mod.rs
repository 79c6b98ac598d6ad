//! The SafePath backend: data model, storage, and the privacy requests the service answers.
//!
//! `main.rs` runs it as a program; `tests/safepath.rs` drives the same steps and checks the
//! promises (DSAR completeness, erasure down to the database file's bytes, clean logs).

pub mod demo_data;
pub mod model;
pub mod steps;
pub mod store;
pub mod vault;

use privacy_core::crypto::{self, MasterKey};

/// The master key from `PRIVACY_MASTER_KEY`, `None` when the variable is unset; a malformed
/// value is an error (never silently replaced).
pub fn master_key_from_env() -> Result<Option<MasterKey>, crypto::Error> {
    match MasterKey::from_env() {
        Ok(key) => Ok(Some(key)),
        Err(crypto::Error::MissingMasterKey { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The fixed key the demo uses when `PRIVACY_MASTER_KEY` is unset. Never do this in
/// production: anyone with this source can open the demo's key store.
pub fn demo_master_key() -> MasterKey {
    MasterKey::from_bytes(*b"SafePath demo master key; public")
}
