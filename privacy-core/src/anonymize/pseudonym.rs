//! Keyed pseudonyms: the same input and key always give the same token, and nothing without
//! the key links a token back to its input.

use core::fmt;
use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

/// HMAC-SHA-256 pseudonyms: `ps_<keyid>_<base64url of the first 128 bits>`.
///
/// The keyed HMAC state is built once, in [`Pseudonymizer::new`], and cloned per call, so no
/// key schedule runs per pseudonym. The key id in every token tells tokens of rotated keys
/// apart. The raw key is zeroized on drop; `Debug` shows only the key id.
///
/// ```
/// use privacy_core::anonymize::Pseudonymizer;
/// let p = Pseudonymizer::new("k1", b"a secret key of at least 16 bytes")?;
/// let token = p.pseudonym("jane@example.com");
/// assert!(token.starts_with("ps_k1_"));
/// assert_eq!(token, p.pseudonym("jane@example.com"));
/// # Ok::<(), privacy_core::anonymize::PseudonymError>(())
/// ```
#[derive(Clone)]
pub struct Pseudonymizer {
    key_id: String,
    mac: Hmac<Sha256>,
    _key: Zeroizing<Vec<u8>>,
}

/// A key or key id [`Pseudonymizer::new`] refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PseudonymError {
    /// Keys must have at least 16 bytes (128 bits).
    #[error("pseudonymization key is too short ({0} bytes; at least 16 are needed)")]
    KeyTooShort(usize),
    /// Key ids are 1 to 16 ASCII letters or digits.
    #[error("key id must be 1 to 16 ASCII letters or digits")]
    BadKeyId,
}

static GLOBAL: OnceLock<Pseudonymizer> = OnceLock::new();

impl Pseudonymizer {
    /// A pseudonymizer for `key`, naming it `key_id` in its tokens.
    pub fn new(key_id: &str, key: &[u8]) -> Result<Pseudonymizer, PseudonymError> {
        if key.len() < 16 {
            return Err(PseudonymError::KeyTooShort(key.len()));
        }
        if key_id.is_empty()
            || key_id.len() > 16
            || !key_id.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(PseudonymError::BadKeyId);
        }
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
            .map_err(|_| PseudonymError::KeyTooShort(key.len()))?;
        Ok(Pseudonymizer {
            key_id: key_id.to_owned(),
            mac,
            _key: Zeroizing::new(key.to_vec()),
        })
    }

    /// The key id written into tokens.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The pseudonym of `input`.
    pub fn pseudonym(&self, input: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(input.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut out = String::with_capacity(4 + self.key_id.len() + 22);
        out.push_str("ps_");
        out.push_str(&self.key_id);
        out.push('_');
        URL_SAFE_NO_PAD.encode_string(&digest[..16], &mut out);
        out
    }

    /// Whether `text` is a token of this pseudonymizer's shape (any key id).
    pub fn is_token(text: &str) -> bool {
        let Some(rest) = text.strip_prefix("ps_") else {
            return false;
        };
        match rest.split_once('_') {
            Some((id, body)) => {
                !id.is_empty()
                    && id.bytes().all(|b| b.is_ascii_alphanumeric())
                    && body.len() == 22
                    && body
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            }
            None => false,
        }
    }

    /// Installs the process-wide pseudonymizer used by `#[personal(anonymize = "pseudonym")]`.
    /// It can be installed once: a second call changes nothing and returns `false`.
    pub fn install_global(self) -> bool {
        GLOBAL.set(self).is_ok()
    }

    /// The process-wide pseudonymizer, if one was installed.
    ///
    /// Without one the `pseudonym` anonymizer fails closed: it replaces the value completely,
    /// as `redact` does, so nothing identifying survives (but the value is no longer linkable).
    pub fn global() -> Option<&'static Pseudonymizer> {
        GLOBAL.get()
    }
}

impl fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pseudonymizer")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}
