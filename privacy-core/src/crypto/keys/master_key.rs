//! [`MasterKey`]: the root secret the key-encryption keys are wrapped with.

use core::fmt;

use base64::Engine as _;
use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use crate::crypto::error::{Error, Result};

/// The 32-byte root key of a [`Keyring`](crate::crypto::Keyring).
///
/// It never touches the key store: it wraps the key-encryption keys the store holds, and it
/// derives the blind-index key. Load it with [`MasterKey::from_env`] from `PRIVACY_MASTER_KEY`
/// (base64), or from the file named by `PRIVACY_MASTER_KEY_FILE` (base64 text, readable by
/// its owner only, e.g. a mounted secret), or pass it explicitly. Its bytes are zeroized on
/// drop and never printed.
///
/// A variable set in the environment stays in the process's environment block (and so in
/// `/proc/<pid>/environ` for the same user and in core dumps) for the life of the process:
/// prefer the file where the platform mounts secrets as files. This crate does not remove the
/// variable, because changing the environment while other threads may read it is unsound.
///
/// ```
/// use privacy_core::crypto::MasterKey;
///
/// let key = MasterKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap();
/// assert_eq!(format!("{key:?}"), "MasterKey(<redacted>)");
/// assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
/// // Padding is optional: the same key without its `=`.
/// assert!(MasterKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8").is_ok());
/// ```
#[derive(Clone)]
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl MasterKey {
    /// The environment variable [`MasterKey::from_env`] reads.
    pub const ENV: &'static str = "PRIVACY_MASTER_KEY";

    /// The environment variable naming a key file, read by [`MasterKey::from_env`] when
    /// [`MasterKey::ENV`] is unset.
    pub const FILE_ENV: &'static str = "PRIVACY_MASTER_KEY_FILE";

    /// A master key from raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> MasterKey {
        MasterKey(Zeroizing::new(bytes))
    }

    /// A master key from standard base64 (padding optional, surrounding whitespace ignored),
    /// decoded once into a buffer that is zeroized on drop.
    pub fn from_base64(text: &str) -> Result<MasterKey> {
        use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
        const ENGINE: GeneralPurpose = GeneralPurpose::new(
            &base64::alphabet::STANDARD,
            GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
        );
        let text = text.trim();
        if text.len() > 64 {
            return Err(Error::MalformedMasterKey {
                reason: "it must decode to exactly 32 bytes",
            });
        }
        let mut decoded = Zeroizing::new([0u8; 48]);
        let n = ENGINE
            .decode_slice(text, &mut decoded[..])
            .map_err(|e| match e {
                base64::DecodeSliceError::OutputSliceTooSmall => Error::MalformedMasterKey {
                    reason: "it must decode to exactly 32 bytes",
                },
                base64::DecodeSliceError::DecodeError(_) => Error::MalformedMasterKey {
                    reason: "not valid base64",
                },
            })?;
        if n != 32 {
            return Err(Error::MalformedMasterKey {
                reason: "it must decode to exactly 32 bytes",
            });
        }
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&decoded[..32]);
        Ok(MasterKey(key))
    }

    /// The master key in `PRIVACY_MASTER_KEY`, or else in the file named by
    /// `PRIVACY_MASTER_KEY_FILE` (see [`MasterKey::from_file`]); an error if neither is set
    /// or the key is malformed (a persistent store never gets a silently generated key).
    pub fn from_env() -> Result<MasterKey> {
        match std::env::var(Self::ENV) {
            Ok(text) => MasterKey::from_base64(&Zeroizing::new(text)),
            Err(std::env::VarError::NotPresent) => match std::env::var_os(Self::FILE_ENV) {
                Some(path) => MasterKey::from_file(path),
                None => Err(Error::MissingMasterKey { var: Self::ENV }),
            },
            Err(std::env::VarError::NotUnicode(_)) => Err(Error::MalformedMasterKey {
                reason: "not valid unicode",
            }),
        }
    }

    /// The master key in a file of base64 text (surrounding whitespace ignored). On Unix the
    /// file must not be readable or writable by group or others (mode `0600` or stricter):
    /// anything looser is refused with [`Error::KeyFile`], as `ssh` refuses a private key.
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<MasterKey> {
        use std::io::Read as _;
        let mut file = std::fs::File::open(path).map_err(|_| Error::KeyFile {
            reason: "cannot open the key file",
        })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = file
                .metadata()
                .map_err(|_| Error::KeyFile {
                    reason: "cannot read the key file's permissions",
                })?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(Error::KeyFile {
                    reason: "the key file is accessible by group or others (chmod 600 it)",
                });
            }
        }
        let mut text = Zeroizing::new(String::with_capacity(257));
        file.by_ref()
            .take(256)
            .read_to_string(&mut text)
            .map_err(|_| Error::KeyFile {
                reason: "cannot read the key file as text",
            })?;
        MasterKey::from_base64(&text)
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
