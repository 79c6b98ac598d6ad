//! [`MasterKey`]: the root secret the key-encryption keys are wrapped with.

use core::fmt;

use base64::Engine as _;
use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use super::error::{Error, Result};

/// The 32-byte root key of a [`Keyring`](super::Keyring).
///
/// It never touches the key store: it wraps the key-encryption keys the store holds, and it
/// derives the blind-index key. Load it from `PRIVACY_MASTER_KEY` (base64) with
/// [`MasterKey::from_env`], or pass it explicitly. Its bytes are zeroized on drop and never
/// printed.
///
/// ```
/// use privacy_core::crypto::MasterKey;
///
/// let key = MasterKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap();
/// assert_eq!(format!("{key:?}"), "MasterKey(<redacted>)");
/// assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
/// ```
#[derive(Clone)]
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl MasterKey {
    /// The environment variable [`MasterKey::from_env`] reads.
    pub const ENV: &'static str = "PRIVACY_MASTER_KEY";

    /// A master key from raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> MasterKey {
        MasterKey(Zeroizing::new(bytes))
    }

    /// A master key from standard base64 (padding optional, surrounding whitespace ignored).
    pub fn from_base64(text: &str) -> Result<MasterKey> {
        let text = text.trim();
        let decoded = Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text))
                .map_err(|_| Error::MalformedMasterKey {
                    reason: "not valid base64",
                })?,
        );
        let mut key = Zeroizing::new([0u8; 32]);
        if decoded.len() != key.len() {
            return Err(Error::MalformedMasterKey {
                reason: "it must decode to exactly 32 bytes",
            });
        }
        key.copy_from_slice(&decoded);
        Ok(MasterKey(key))
    }

    /// The master key in `PRIVACY_MASTER_KEY`; an error if it is unset or malformed (a
    /// persistent store never gets a silently generated key).
    pub fn from_env() -> Result<MasterKey> {
        match std::env::var(Self::ENV) {
            Ok(text) => MasterKey::from_base64(&Zeroizing::new(text)),
            Err(std::env::VarError::NotPresent) => Err(Error::MissingMasterKey { var: Self::ENV }),
            Err(std::env::VarError::NotUnicode(_)) => Err(Error::MalformedMasterKey {
                reason: "not valid unicode",
            }),
        }
    }

    /// A fresh random master key from the operating system, e.g. to provision
    /// `PRIVACY_MASTER_KEY` once with [`MasterKey::to_base64`].
    pub fn generate() -> Result<MasterKey> {
        let mut key = Zeroizing::new([0u8; 32]);
        OsRng
            .try_fill_bytes(&mut key[..])
            .map_err(|_| Error::Random)?;
        Ok(MasterKey(key))
    }

    /// The key as standard base64, in a buffer zeroized on drop.
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(&self.0[..]))
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}
