//! Retention keys: a person's second data key, for a record kept after erasure because some
//! of its fields must be retained under a legal basis (`on_erase = "retain"`).
//!
//! [`Keyring::seal_erased`](crate::crypto::Keyring::seal_erased) erases a record and seals
//! what is left under the retention key; [`shred`](Keyring::shred) destroys the person's data
//! key and leaves the retention key, so the kept values stay readable for their retention
//! period; [`shred_retained`](Keyring::shred_retained) destroys the retention key when that
//! period ends. An envelope names its key by id, so opening picks the key without being told.

use crate::crypto::error::Result;
use crate::crypto::keys::data_keys::DataKey;
use crate::crypto::keys::keyring::Keyring;
use crate::crypto::keys::owner::{check_subject_id, retention_owner};

impl Keyring {
    /// The retention key of `subject_id` (with `create`, created on first use).
    pub(crate) fn retention_key(&self, subject_id: &str, create: bool) -> Result<DataKey> {
        check_subject_id(subject_id)?;
        self.data_key(&retention_owner(subject_id), create)
    }

    /// Destroys `subject_id`'s retention key, as [`shred`](Keyring::shred) destroys the data
    /// key: every record kept after erasure ([`seal_erased`](Keyring::seal_erased)) becomes
    /// unreadable. Call it when the last retained value of the person passes its retention
    /// period. Shredding a person without a retention key records the tombstone and succeeds.
    ///
    /// ```
    /// # use privacy_core::crypto::Keyring;
    /// let keyring = Keyring::in_memory();
    /// keyring.shred_retained("42").unwrap();
    /// ```
    pub fn shred_retained(&self, subject_id: &str) -> Result<()> {
        check_subject_id(subject_id)?;
        self.shred(&retention_owner(subject_id))
    }
}
