//! Key derivation from the master key, and wrapping of 32-byte keys under another key.

use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Aes256Gcm, KeyInit, Nonce, Tag};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::crypto::aead::envelope::{NONCE_LEN, TAG_LEN};
use crate::crypto::aead::nonce;
use crate::crypto::error::{Error, Result};

/// A 32-byte key in a buffer zeroized on drop.
pub(crate) type KeyBytes = Zeroizing<[u8; 32]>;

/// Length of a wrapped key: nonce, 32 key bytes, tag.
pub(crate) const WRAPPED_LEN: usize = NONCE_LEN + 32 + TAG_LEN;

/// HKDF-Expand (RFC 5869) of one block with the master key as the pseudorandom key (it is
/// already 32 uniformly random bytes, so HKDF-Extract adds nothing): `HMAC(master, info || 1)`.
pub(crate) fn derive(master: &[u8; 32], info: &[u8]) -> KeyBytes {
    let mut mac = hmac(master);
    mac.update(info);
    mac.update(&[1]);
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}

/// HMAC-SHA-256 keyed by a 32-byte key, infallible by its types: the key goes in as the
/// 64-byte block HMAC itself would zero-pad it to, so there is no error path (and so no
/// fallback value) to get wrong.
pub(crate) fn hmac(key: &[u8; 32]) -> Hmac<Sha256> {
    let mut block = Zeroizing::new([0u8; 64]);
    block[..32].copy_from_slice(key);
    <Hmac<Sha256> as KeyInit>::new(aes_gcm::aead::generic_array::GenericArray::from_slice(
        &block[..],
    ))
}

/// A fresh random 32-byte key from the OS.
pub(crate) fn random_key() -> Result<KeyBytes> {
    let mut key = Zeroizing::new([0u8; 32]);
    nonce::os_random(&mut key[..])?;
    Ok(key)
}

/// An AES-256-GCM cipher for `key` (the key schedule runs once, here).
pub(crate) fn cipher(key: &KeyBytes) -> Aes256Gcm {
    Aes256Gcm::new(aes_gcm::Key::<Aes256Gcm>::from_slice(&key[..]))
}

/// `nonce || AES-256-GCM(key, aad) || tag` of a 32-byte key.
pub(crate) fn wrap(wrapper: &Aes256Gcm, key: &KeyBytes, aad: &[u8]) -> Result<Vec<u8>> {
    let nonce = nonce::fresh()?;
    let mut body = Zeroizing::new(**key);
    let tag = wrapper
        .encrypt_in_place_detached(Nonce::from_slice(&nonce), aad, &mut body[..])
        .map_err(|_| Error::Authentication)?;
    let mut out = Vec::with_capacity(WRAPPED_LEN);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&body[..]);
    out.extend_from_slice(&tag);
    Ok(out)
}

/// The key inside a [`wrap`] output, or `None` if it does not authenticate.
pub(crate) fn unwrap(wrapper: &Aes256Gcm, wrapped: &[u8], aad: &[u8]) -> Option<KeyBytes> {
    if wrapped.len() != WRAPPED_LEN {
        return None;
    }
    let (nonce, rest) = wrapped.split_at(NONCE_LEN);
    let (body, tag) = rest.split_at(32);
    let mut key = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(body);
    wrapper
        .decrypt_in_place_detached(
            Nonce::from_slice(nonce),
            aad,
            &mut key[..],
            Tag::from_slice(tag),
        )
        .ok()?;
    Some(key)
}

/// Associated data of a KEK wrapped by the master key.
pub(crate) fn kek_aad(version: u32) -> Vec<u8> {
    let mut aad = b"privacy-core/kek/v1".to_vec();
    aad.extend_from_slice(&version.to_be_bytes());
    aad
}

/// Associated data of a data key wrapped by a KEK: binds the subject and the KEK version.
pub(crate) fn data_key_aad(kek_version: u32, subject: &str) -> Vec<u8> {
    let mut aad = b"privacy-core/data-key/v1".to_vec();
    aad.extend_from_slice(&kek_version.to_be_bytes());
    aad.extend_from_slice(subject.as_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_block_keyed_hmac_equals_hmac_keyed_by_the_32_bytes() {
        let key = [0x5a; 32];
        let mut ours = hmac(&key);
        ours.update(b"privacy-core");
        let mut reference =
            <Hmac<Sha256> as Mac>::new_from_slice(&key).expect("HMAC takes any key length");
        reference.update(b"privacy-core");
        assert_eq!(
            ours.finalize().into_bytes(),
            reference.finalize().into_bytes()
        );
    }
}
