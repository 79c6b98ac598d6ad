//! Who a key in the store belongs to: a person, by their subject id, or the retention key
//! of a person (see `retention`), under a reserved prefix no subject id may start with.

use crate::crypto::error::{Error, Result};

/// The key-store owner of retention keys: the prefix of a subject id that no application id
/// may start with (sealing refuses such ids), then the person's subject id.
const RETENTION_OWNER: &str = "\u{1}retained\u{1}";

/// The key-store owner of `subject_id`'s retention key.
pub(crate) fn retention_owner(subject_id: &str) -> String {
    let mut owner = String::with_capacity(RETENTION_OWNER.len() + subject_id.len());
    owner.push_str(RETENTION_OWNER);
    owner.push_str(subject_id);
    owner
}

/// Refuses a subject id that could name another person's retention key.
pub(crate) fn check_subject_id(subject_id: &str) -> Result<()> {
    if subject_id.starts_with(RETENTION_OWNER) {
        Err(Error::ReservedSubjectId)
    } else {
        Ok(())
    }
}
