//! The redacted serde view of a record (not yet built).

/// A record seen through [`PersonalData::redacted`](crate::PersonalData::redacted): serializes
/// like the record, with every personal value replaced by its category tag.
pub struct Redacted<'a, T: ?Sized>(pub(crate) &'a T);
