//! The AES-256-GCM primitive every layer above uses: the envelope wire format and its
//! associated data, nonces that never repeat across threads or `fork()`, and key wrapping.
//! Imports nothing from the rest of `crypto` but its errors and `os`.

pub(crate) mod envelope;
pub(crate) mod nonce;
pub(crate) mod wrap;
