//! The envelope byte format and the associated data an envelope is bound to.

use crate::crypto::error::{Error, Result};

/// The envelope format version this build writes and reads.
pub const VERSION: u8 = 1;
/// Bytes before the ciphertext: version (1), key id (4), nonce (12).
pub const HEADER_LEN: usize = 1 + 4 + NONCE_LEN;
/// The AES-GCM nonce length (96 bits).
pub const NONCE_LEN: usize = 12;
/// The AES-GCM tag length (128 bits).
pub const TAG_LEN: usize = 16;
/// The shortest envelope: an empty plaintext.
pub const MIN_LEN: usize = HEADER_LEN + TAG_LEN;

/// What an envelope is bound to: the associated data authenticated with its ciphertext.
///
/// An envelope opens only with the same record type, field and subject it was sealed with,
/// so a ciphertext copied to another field or another person's record fails with
/// [`Error::Authentication`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Aad<'a> {
    /// The record type, e.g. `"Account"`.
    pub record: &'a str,
    /// The field, e.g. `"card"`, or a path into nested records such as `"devices.1.serial"`.
    pub field: &'a str,
    /// The data subject id; it also selects the data key.
    pub subject_id: &'a str,
    /// The one record the envelope belongs to (empty: not bound to a record). Record-level
    /// sealing binds a random id drawn per sealed record, plus the `record_id` field's value.
    pub record_binding: &'a str,
}

impl<'a> Aad<'a> {
    /// The binding of `field` of `record` for `subject`.
    pub const fn new(record: &'a str, field: &'a str, subject: &'a str) -> Aad<'a> {
        Aad {
            record,
            field,
            subject_id: subject,
            record_binding: "",
        }
    }

    /// The same binding, also bound to one record (see [`Aad::record_binding`]).
    #[must_use]
    pub const fn bound_to(self, record_binding: &'a str) -> Aad<'a> {
        Aad {
            record_binding,
            ..self
        }
    }

    /// Calls `f` with the associated data bytes of an envelope with this header:
    /// `version || key_id (u32 BE) || len(record) || record || len(field) || field ||
    /// len(subject) || subject` and, when bound to a record, `|| len(binding) || binding`;
    /// lengths as u32 big endian. Short bindings stay on the stack.
    pub(crate) fn with_bytes<R>(&self, key_id: u32, f: impl FnOnce(&[u8]) -> R) -> Result<R> {
        let bound = !self.record_binding.is_empty();
        let parts: &[&str] = if bound {
            &[
                self.record,
                self.field,
                self.subject_id,
                self.record_binding,
            ]
        } else {
            &[self.record, self.field, self.subject_id]
        };
        let len = 5 + parts.iter().map(|p| 4 + p.len()).sum::<usize>();
        let mut stack = [0u8; 128];
        let mut heap = Vec::new();
        let buf: &mut [u8] = if len <= stack.len() {
            &mut stack[..len]
        } else {
            heap.resize(len, 0);
            &mut heap
        };
        buf[0] = VERSION;
        buf[1..5].copy_from_slice(&key_id.to_be_bytes());
        let mut at = 5;
        for part in parts {
            let n = u32::try_from(part.len()).map_err(|_| Error::MalformedEnvelope {
                reason: "associated data longer than 4 GiB",
            })?;
            buf[at..at + 4].copy_from_slice(&n.to_be_bytes());
            buf[at + 4..at + 4 + part.len()].copy_from_slice(part.as_bytes());
            at += 4 + part.len();
        }
        Ok(f(buf))
    }
}

/// A parsed envelope, borrowing the bytes it was read from.
#[derive(Clone, Copy)]
pub(crate) struct Envelope<'a> {
    pub key_id: u32,
    pub nonce: &'a [u8; NONCE_LEN],
    pub ciphertext: &'a [u8],
    pub tag: &'a [u8; TAG_LEN],
}

impl<'a> Envelope<'a> {
    /// Splits envelope bytes; total over every input (any bytes give an envelope or an error).
    pub fn parse(bytes: &'a [u8]) -> Result<Envelope<'a>> {
        let Some((&version, rest)) = bytes.split_first() else {
            return Err(Error::MalformedEnvelope { reason: "empty" });
        };
        if version != VERSION {
            return Err(Error::UnsupportedVersion { version });
        }
        if bytes.len() < MIN_LEN {
            return Err(Error::MalformedEnvelope {
                reason: "shorter than header and tag",
            });
        }
        let (key_id, rest) = rest.split_at(4);
        let (nonce, rest) = rest.split_at(NONCE_LEN);
        let (ciphertext, tag) = rest.split_at(rest.len() - TAG_LEN);
        let short = || Error::MalformedEnvelope {
            reason: "shorter than header and tag",
        };
        Ok(Envelope {
            key_id: u32::from_be_bytes(key_id.try_into().map_err(|_| short())?),
            nonce: nonce.try_into().map_err(|_| short())?,
            ciphertext,
            tag: tag.try_into().map_err(|_| short())?,
        })
    }
}

/// The key id of an envelope, without opening it (to route or audit envelopes).
pub fn key_id(envelope: &[u8]) -> Result<u32> {
    Envelope::parse(envelope).map(|e| e.key_id)
}
