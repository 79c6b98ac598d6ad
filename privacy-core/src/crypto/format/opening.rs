//! [`RecordOpener`]: opens the envelopes of one sealed record, for both ways of opening (the
//! tree of [`Sealed::open`](crate::crypto::Sealed::open) and the streamed
//! [`open_json`](crate::crypto::Keyring::open_json)).
//!
//! Each envelope is base64-decoded and decrypted in place in one buffer, reused from envelope
//! to envelope and wiped after each; the subject's data key is looked up at the first
//! envelope and held for the others (a shred that lands meanwhile is honoured by the next
//! record, as when sealing).

use base64::Engine as _;

use crate::crypto::aead::envelope::Aad;
use crate::crypto::error::Convert;
use crate::crypto::error::{Error, Result};
use crate::crypto::format::scratch::Scratch;
use crate::crypto::keys::data_keys::{DataKey, EnvelopeHeader};
use crate::crypto::keys::keyring::Keyring;
use crate::tree::Tree;

/// Opens the envelopes of one record of one subject.
pub(crate) struct RecordOpener<'k> {
    keyring: &'k Keyring,
    /// The envelope being opened (decoded, then decrypted in place); wiped after each.
    scratch: Scratch,
    /// The subject's data key, looked up at the first envelope and held for the others.
    key: Option<DataKey>,
    /// The subject's retention key, looked up at the first envelope that names it (a record
    /// kept after erasure: see `keys::retention`).
    retention: Option<DataKey>,
}

impl<'k> RecordOpener<'k> {
    pub(crate) fn new(keyring: &'k Keyring) -> RecordOpener<'k> {
        RecordOpener {
            keyring,
            scratch: Scratch::with_capacity(128),
            key: None,
            retention: None,
        }
    }

    /// The plaintext of the envelope `text` (base64) bound to `aad`, as the tree of its JSON.
    /// Errors come in the order [`Keyring::open_bytes`] reports them: malformed, then a
    /// missing or shredded key, then authentication.
    pub(crate) fn open(&mut self, aad: &Aad<'_>, text: &str) -> Result<Tree> {
        self.scratch.wipe();
        base64::engine::general_purpose::STANDARD
            .decode_vec(text, self.scratch.vec())
            .map_err(|_| Error::MalformedEnvelope {
                reason: "not valid base64",
            })?;
        let header = EnvelopeHeader::parse(self.scratch.as_slice())?;
        let key = key_for(
            self.keyring,
            (&mut self.key, &mut self.retention),
            aad.subject_id,
            header.key_id,
        )?;
        let tree = Keyring::open_with_key(key, aad, &header, self.scratch.as_mut_slice())
            .and_then(|plain| serde_json::from_slice(plain).conv());
        self.scratch.wipe();
        tree
    }
}

/// The key an envelope names by `key_id`: the subject's data key, or else their retention
/// key (each looked up once per record into `held`). When neither has that id the data key
/// answers (its open reports the mismatch, or the shred), or the data key's lookup error when
/// the subject has none.
fn key_for<'h>(
    keyring: &Keyring,
    held: (&'h mut Option<DataKey>, &'h mut Option<DataKey>),
    subject: &str,
    key_id: u32,
) -> Result<&'h DataKey> {
    let (key, retention) = held;
    if key.is_none() {
        match keyring.data_key(subject, false) {
            Ok(found) => *key = Some(found),
            Err(Error::UnknownKey) => {}
            Err(e) => return Err(e),
        }
    }
    if key.as_ref().is_none_or(|k| k.key_id() != key_id) {
        if retention.is_none() {
            match keyring.retention_key(subject, false) {
                Ok(found) => *retention = Some(found),
                Err(Error::UnknownKey) => {}
                Err(e) => return Err(e),
            }
        }
        if let Some(found) = retention.as_ref().filter(|k| k.key_id() == key_id) {
            return Ok(found);
        }
    }
    key.as_ref().ok_or(Error::UnknownKey)
}
