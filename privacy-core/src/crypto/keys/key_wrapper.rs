//! [`KeyWrapper`]: the root of a keyring's key hierarchy, a master key in memory or a key
//! management service that never lets its key out.

use aes_gcm::Aes256Gcm;
use zeroize::Zeroizing;

use crate::crypto::aead::wrap;
use crate::crypto::error::Result;
use crate::crypto::keys::master_key::MasterKey;

/// Key-derivation label of the key that wraps key-encryption keys under the master key.
const KEK_WRAP_INFO: &[u8] = b"privacy-core/v1/kek-wrap";

/// Wraps and unwraps the 32-byte key-encryption keys (and the blind-index key) of a
/// [`Keyring`](crate::crypto::Keyring): the only thing a keyring asks of its root key.
///
/// A [`MasterKey`] implements it (AES-256-GCM under a key derived from it), so the
/// environment, file and explicit sources all do. A key management service implements it by
/// calling its encrypt and decrypt operations (AWS KMS `Encrypt`/`Decrypt`, Vault Transit
/// `encrypt`/`decrypt`, GCP KMS `encrypt`/`decrypt`), so the root key never enters the
/// process; give it to [`Keyring::new_with_wrapper`](crate::crypto::Keyring::new_with_wrapper). It is
/// called when a keyring starts, after another keyring rotated, and by the admin operations:
/// never on a seal or an open.
///
/// `context` is associated data (it names the KEK version): pass it to the service as its
/// encryption context / associated data, so a wrapped key moved to another row fails.
///
/// ```ignore
/// use privacy_core::crypto::{Error, KeyWrapper, Keyring};
/// use zeroize::Zeroizing;
///
/// /// Vault Transit, through whatever HTTP client the service already uses.
/// struct VaultTransit { client: MyVaultClient, key_name: String }
///
/// impl KeyWrapper for VaultTransit {
///     fn wrap_key(&self, key: &[u8; 32], context: &[u8]) -> Result<Vec<u8>, Error> {
///         let ciphertext = self.client.encrypt(&self.key_name, key, context)
///             .map_err(|e| Error::KeyWrapper { message: e.kind().to_string() })?;
///         Ok(ciphertext.into_bytes()) // "vault:v1:..." as bytes
///     }
///     fn unwrap_key(&self, wrapped: &[u8], context: &[u8])
///         -> Result<Option<Zeroizing<[u8; 32]>>, Error> {
///         match self.client.decrypt(&self.key_name, wrapped, context) {
///             Ok(plain) if plain.len() == 32 => {
///                 let mut key = Zeroizing::new([0u8; 32]);
///                 key.copy_from_slice(&plain);
///                 Ok(Some(key))
///             }
///             Ok(_) | Err(VaultError::InvalidCiphertext) => Ok(None), // not ours
///             Err(e) => Err(Error::KeyWrapper { message: e.kind().to_string() }),
///         }
///     }
/// }
///
/// let keyring = Keyring::new_with_wrapper(store, VaultTransit { client, key_name })?;
/// ```
pub trait KeyWrapper: Send + Sync {
    /// Encrypts `key`, bound to `context`, into bytes the key store keeps.
    fn wrap_key(&self, key: &[u8; 32], context: &[u8]) -> Result<Vec<u8>>;

    /// The key inside `wrapped` (made by [`wrap_key`](KeyWrapper::wrap_key) with the same
    /// `context`), `Ok(None)` if it does not open with this wrapper (another root key, or
    /// altered bytes), or an error if the wrapper could not tell (a service unreachable).
    fn unwrap_key(&self, wrapped: &[u8], context: &[u8]) -> Result<Option<Zeroizing<[u8; 32]>>>;
}

impl KeyWrapper for MasterKey {
    fn wrap_key(&self, key: &[u8; 32], context: &[u8]) -> Result<Vec<u8>> {
        MasterWrap::new(self).wrap_key(key, context)
    }

    fn unwrap_key(&self, wrapped: &[u8], context: &[u8]) -> Result<Option<Zeroizing<[u8; 32]>>> {
        MasterWrap::new(self).unwrap_key(wrapped, context)
    }
}

/// The wrapping cipher derived from a master key, built once: what a keyring keeps instead of
/// the master key itself.
pub(crate) struct MasterWrap(Aes256Gcm);

impl MasterWrap {
    pub(crate) fn new(master: &MasterKey) -> MasterWrap {
        MasterWrap(wrap::cipher(&wrap::derive(master.bytes(), KEK_WRAP_INFO)))
    }
}

impl KeyWrapper for MasterWrap {
    fn wrap_key(&self, key: &[u8; 32], context: &[u8]) -> Result<Vec<u8>> {
        wrap::wrap(&self.0, &Zeroizing::new(*key), context)
    }

    fn unwrap_key(&self, wrapped: &[u8], context: &[u8]) -> Result<Option<Zeroizing<[u8; 32]>>> {
        Ok(wrap::unwrap(&self.0, wrapped, context))
    }
}
