//! Keyed pseudonyms: the same input and key always give the same token, and nothing without
//! the key links a token back to its input.

use core::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// HMAC-SHA-256 pseudonyms: `ps_<keyid>_<base64url, no padding, of the first 128 bits>`.
///
/// - **Deterministic**: the same key and input always give the same token, so pseudonymized
///   records can still be joined; different keys give unrelated tokens.
/// - **Rotatable**: the key id in every token tells tokens of rotated keys apart.
/// - **Prepared once**: the keyed HMAC state is built in [`Pseudonymizer::new`] and cloned per
///   call, so no key schedule runs per pseudonym (see the `anonymize` bench).
/// - **Key hygiene**: no copy of the raw key is kept (the caller owns it and should zeroize
///   it); the keyed HMAC state, which is as secret as the key, is overwritten on drop (best
///   effort: `hmac` 0.12 has no zeroize support, and the per-call clones live briefly on the
///   stack). `Debug` shows only the key id.
///
/// ```
/// use privacy_core::anonymize::Pseudonymizer;
/// let p = Pseudonymizer::new("k1", b"a secret key of at least 16 bytes")?;
/// let token = p.pseudonym("jane@example.com");
/// assert!(token.starts_with("ps_k1_"));
/// assert_eq!(token.len(), "ps_k1_".len() + 22);
/// assert_eq!(token, p.pseudonym("jane@example.com"));
/// assert_eq!(format!("{p:?}"), r#"Pseudonymizer { key_id: "k1", .. }"#);
/// # Ok::<(), privacy_core::anonymize::PseudonymError>(())
/// ```
#[derive(Clone)]
pub struct Pseudonymizer {
    key_id: String,
    mac: Hmac<Sha256>,
}

/// A key or key id [`Pseudonymizer::new`] refuses. Never contains key bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PseudonymError {
    /// Keys must have at least 16 bytes (128 bits).
    #[error("pseudonymization key is too short ({0} bytes; at least 16 are needed)")]
    KeyTooShort(usize),
    /// Key ids are 1 to 16 ASCII letters or digits.
    #[error("key id must be 1 to 16 ASCII letters or digits")]
    BadKeyId,
}

/// The shortest key [`Pseudonymizer::new`] accepts, in bytes.
pub const MIN_KEY_LEN: usize = 16;

/// Characters of the base64url part of a token (128 bits, no padding).
const BODY_LEN: usize = 22;

static GLOBAL: RwLock<Option<Arc<Pseudonymizer>>> = RwLock::new(None);

impl Pseudonymizer {
    /// A pseudonymizer for `key`, naming it `key_id` in its tokens.
    ///
    /// `key` needs at least [`MIN_KEY_LEN`] bytes (use 32 random bytes); `key_id` is 1 to 16
    /// ASCII letters or digits (it is public: it is written into every token).
    pub fn new(key_id: &str, key: &[u8]) -> Result<Pseudonymizer, PseudonymError> {
        if key.len() < MIN_KEY_LEN {
            return Err(PseudonymError::KeyTooShort(key.len()));
        }
        if !valid_key_id(key_id) {
            return Err(PseudonymError::BadKeyId);
        }
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
            .map_err(|_| PseudonymError::KeyTooShort(key.len()))?;
        Ok(Pseudonymizer {
            key_id: key_id.to_owned(),
            mac,
        })
    }

    /// The key id written into tokens.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The pseudonym of `input`: `ps_<keyid>_<22 base64url characters>`.
    pub fn pseudonym(&self, input: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(input.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut out = String::with_capacity(4 + self.key_id.len() + BODY_LEN);
        out.push_str("ps_");
        out.push_str(&self.key_id);
        out.push('_');
        URL_SAFE_NO_PAD.encode_string(&digest[..16], &mut out);
        out
    }

    /// Whether `text` has the shape of a token (`ps_<keyid>_<22 base64url characters>`, any
    /// key id). The `pseudonym` anonymizer leaves such values as they are, which makes it
    /// idempotent and keeps tokens of rotated keys.
    pub fn is_token(text: &str) -> bool {
        let Some(rest) = text.strip_prefix("ps_") else {
            return false;
        };
        match rest.split_once('_') {
            Some((id, body)) => {
                valid_key_id(id)
                    && body.len() == BODY_LEN
                    && body
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            }
            None => false,
        }
    }

    /// Installs the process-wide pseudonymizer used by `#[personal(anonymize = "pseudonym")]`,
    /// replacing any earlier one (key rotation: new tokens carry the new key id).
    ///
    /// Until one is installed the `pseudonym` anonymizer fails closed: it replaces the value
    /// completely with [`REDACTED`](super::REDACTED), as `redact` does.
    pub fn install_global(self) {
        let mut slot = GLOBAL.write().unwrap_or_else(PoisonError::into_inner);
        *slot = Some(Arc::new(self));
    }
}

/// The process-wide pseudonymizer installed by [`Pseudonymizer::install_global`], if any.
pub fn global_pseudonymizer() -> Option<Arc<Pseudonymizer>> {
    GLOBAL
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

fn valid_key_id(id: &str) -> bool {
    (1..=16).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl Drop for Pseudonymizer {
    /// Overwrites the keyed HMAC state with one keyed by zeros (best effort; see the type's
    /// docs).
    fn drop(&mut self) {
        if let Ok(blank) = <Hmac<Sha256> as Mac>::new_from_slice(&[0; MIN_KEY_LEN]) {
            self.mac = blank;
            core::hint::black_box(&mut self.mac);
        }
    }
}

impl fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pseudonymizer")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}
