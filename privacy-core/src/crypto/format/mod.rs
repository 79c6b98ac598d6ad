//! The sealed-record format: [`Sealed`](crate::crypto::Sealed) (a record's serde form with
//! its encrypted fields as envelopes) and the streamed readers and writers of the same form.
//! Built on `keys` (a keyring seals and opens the envelopes); never touches a store.

pub(crate) mod buffers;
pub(crate) mod opening;
pub(crate) mod scratch;
pub(crate) mod sealed;
pub(crate) mod stream;
pub(crate) mod taken;
