//! Data keys at work: sealing and opening envelopes with a subject's key, shredding it,
//! and creating many subjects' keys at once.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use zeroize::Zeroizing;

use crate::crypto::aead::envelope::{
    Aad, Envelope, HEADER_LEN, MIN_LEN, NONCE_LEN, TAG_LEN, VERSION,
};
use crate::crypto::aead::nonce;
use crate::crypto::error::{Error, Result};
use crate::crypto::keys::cache::Slot;
use crate::crypto::keys::keyring::{Keyring, PREPARE_BATCH};
use crate::crypto::keys::shred_follower;
use crate::crypto::os::fork;
use crate::crypto::stores::key_store::DataKeyState;

impl Keyring {
    /// Seals `plaintext` for `aad.subject_id` (creating the subject's data key on first use)
    /// into an envelope; see the [module docs](crate::crypto) for the byte layout.
    pub fn seal_bytes(&self, aad: &Aad<'_>, plaintext: &[u8]) -> Result<Vec<u8>> {
        crate::crypto::keys::owner::check_subject_id(aad.subject_id)?;
        let mut out = Vec::with_capacity(MIN_LEN + plaintext.len());
        self.with_key(aad.subject_id, true, |key_id, cipher| {
            seal_envelope(key_id, cipher, aad, plaintext, true, &mut out)
        })?;
        Ok(out)
    }

    /// The data key of `subject` (with `create`, created on first use), held for the
    /// envelopes of one record: one cache lookup per record rather than one per envelope.
    pub(crate) fn data_key(&self, subject: &str, create: bool) -> Result<DataKey> {
        self.with_slot(subject, create, |slot| Ok(DataKey(Arc::clone(slot))))
    }

    /// Whether `subject`'s data key was shredded (its records kept after erasure are sealed
    /// under the retention key). A subject without a data key is not shredded.
    pub(crate) fn data_key_shredded(&self, subject: &str) -> Result<bool> {
        match self.with_slot(subject, false, |slot| {
            Ok(matches!(**slot, Slot::Shredded { .. }))
        }) {
            Err(Error::UnknownKey) => Ok(false),
            other => other,
        }
    }

    /// Seals one envelope of a record with its held data key into `out` (cleared first), for
    /// the second and later nonces of the operation (see `nonce::fill_in_operation`). The
    /// seal is counted against the key's limit as [`seal_bytes`](Keyring::seal_bytes) does.
    pub(crate) fn seal_with_key(
        &self,
        key: &DataKey,
        aad: &Aad<'_>,
        plaintext: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let limit = self.inner.seal_limit.load(Ordering::Relaxed);
        out.clear();
        run(&key.0, Some(limit), |key_id, cipher| {
            seal_envelope(key_id, cipher, aad, plaintext, false, out)
        })
    }

    /// Opens an envelope sealed with the same `aad`; the plaintext buffer is zeroized on drop.
    ///
    /// Fails with [`Error::Shredded`] if the subject was shredded, and with a malformed,
    /// version, key-id or [`Error::Authentication`] error if the envelope was altered or moved.
    pub fn open_bytes(&self, aad: &Aad<'_>, envelope: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let parsed = Envelope::parse(envelope)?;
        let (header, ciphertext) = (EnvelopeHeader::of(&parsed), parsed.ciphertext);
        self.with_key(aad.subject_id, false, |key_id, cipher| {
            let mut plain = Zeroizing::new(ciphertext.to_vec());
            open_envelope(key_id, cipher, aad, &header, &mut plain)?;
            Ok(plain)
        })
    }

    /// [`open_bytes`](Keyring::open_bytes) decrypting in place with a held data key (see
    /// [`data_key`](Keyring::data_key)): `envelope` was parsed into `header` by the caller
    /// (which reports a malformed envelope before looking the key up); its ciphertext part is
    /// overwritten with the plaintext and returned (the caller wipes the buffer).
    pub(crate) fn open_with_key<'b>(
        key: &DataKey,
        aad: &Aad<'_>,
        header: &EnvelopeHeader,
        envelope: &'b mut [u8],
    ) -> Result<&'b [u8]> {
        let range = EnvelopeHeader::ciphertext(envelope.len());
        let body = envelope.get_mut(range.clone()).ok_or(SHORT)?;
        run(&key.0, None, |key_id, cipher| {
            open_envelope(key_id, cipher, aad, header, body)
        })?;
        Ok(&envelope[range])
    }

    /// Crypto-shredding: destroys `subject`'s data key in the cache and the store, keeping a
    /// tombstone. Every envelope sealed for the subject, wherever it was copied, fails to open
    /// with [`Error::Shredded`] from now on, and sealing new data for the subject fails with
    /// [`Error::Shredded`] too, so an erased person is never silently re-created. Shredding a
    /// subject without a key (or twice) records the tombstone and succeeds.
    ///
    /// Other keyrings sharing the store (threads, processes, machines) refuse the subject
    /// within their [shred bound](Keyring::with_shred_bound), 1 s by default.
    ///
    /// What it does not reach: a copy of the key store made before the shred (a backup, a
    /// replica, a file-system snapshot, a copied `-wal` or journal file) still holds the
    /// wrapped data key, and opens with the master key. The SQLite store leaves no copy in
    /// its own WAL (it checkpoints and truncates it), but copies elsewhere are out of its
    /// reach. To make every earlier copy useless, run [`new_epoch`](Keyring::new_epoch) after
    /// shredding (e.g. once a day over that day's shreds) and destroy the old master key. Blind
    /// indexes of the subject stay in the sealed records (they are not encrypted); erase or
    /// overwrite those records to remove them.
    pub fn shred(&self, subject: &str) -> Result<()> {
        let inner = &*self.inner;
        let stored = inner.store.shred(subject);
        // Whatever the store answered, this keyring stops using the key at once (fail
        // closed: after an error the caller retries the shred).
        let mark = |key_id: Option<u32>| -> Result<()> {
            let mut cache = inner.cache.write()?;
            inner.shred_gen.fetch_add(1, Ordering::AcqRel);
            let key_id = key_id.or_else(|| cache.get(subject).map(|slot| slot.key_id()));
            cache.insert(
                subject.to_owned(),
                Arc::new(Slot::Shredded {
                    key_id: key_id.unwrap_or(0),
                }),
            );
            Ok(())
        };
        mark(None)?;
        stored?;
        match inner.store.data_key(subject)? {
            Some(record) if record.state == DataKeyState::Shredded => mark(Some(record.key_id)),
            _ => Err(Error::CorruptStore {
                reason: "the store did not record the shredding",
            }),
        }
    }

    /// Creates the data keys of every subject in `subjects` that has none yet, in store
    /// transactions of 10,000 subjects (fewer if the
    /// [KEK wrap limit](Keyring::with_kek_wrap_limit) is smaller; each durable before this
    /// returns), and
    /// readies their ciphers in the cache (up to its capacity). Returns how many keys it
    /// created. The bulk path for imports: one transaction per batch instead of one per
    /// first seal. Shredded subjects stay shredded.
    ///
    /// ```
    /// # use privacy_core::crypto::{Aad, Keyring};
    /// let keyring = Keyring::in_memory();
    /// let ids: Vec<String> = (0..1000).map(|i| format!("user-{i}")).collect();
    /// assert_eq!(keyring.prepare_subjects(&ids).unwrap(), 1000);
    /// assert_eq!(keyring.prepare_subjects(&ids).unwrap(), 0);
    /// keyring.seal_bytes(&Aad::new("Account", "email", "user-7"), b"x").unwrap();
    /// ```
    pub fn prepare_subjects<S: AsRef<str>>(&self, subjects: &[S]) -> Result<usize> {
        let mut created = 0;
        for chunk in subjects.chunks(PREPARE_BATCH) {
            let ids: Vec<&str> = chunk.iter().map(AsRef::as_ref).collect();
            created += self.inner.create_keys(&ids)?.1;
        }
        Ok(created)
    }

    /// Runs `f` with the subject's key id and cipher, loading (or, with `create`, creating)
    /// the key on a cache miss.
    fn with_key<R>(
        &self,
        subject: &str,
        create: bool,
        f: impl FnOnce(u32, &Aes256Gcm) -> Result<R>,
    ) -> Result<R> {
        let limit = self.inner.seal_limit.load(Ordering::Relaxed);
        self.with_slot(subject, create, |slot| {
            run(slot, create.then_some(limit), f)
        })
    }

    /// Runs `f` with the subject's cached slot, loading (or, with `create`, creating) it on a
    /// cache miss or when the cache may be older than the shred bound; the cache's read lock
    /// is held only while `f` runs on a cached slot.
    fn with_slot<R>(
        &self,
        subject: &str,
        create: bool,
        f: impl FnOnce(&Arc<Slot>) -> Result<R>,
    ) -> Result<R> {
        if self.inner.cache_is_current() {
            let cache = self.inner.cache.read()?;
            if let Some(slot) = cache.get(subject) {
                return f(slot);
            }
        } else {
            self.follow_after_fork()?;
        }
        f(&self.inner.load(subject, create)?)
    }

    /// In a child `fork`ed since the background thread started: that thread did not survive
    /// the fork. Forgets every cached key (shreds made since the parent last read the log are
    /// not in them) and starts a thread of the child's own. Once per fork; nothing otherwise.
    pub(super) fn follow_after_fork(&self) -> Result<()> {
        // While one thread restarts the follower, the cache stays unused in every other.
        const RESTARTING: u64 = u64::MAX;
        let inner = &self.inner;
        let (now, ran) = (fork::generation(), inner.fork.load(Ordering::Acquire));
        if !inner.followed
            || now == ran
            || ran == RESTARTING
            || inner
                .fork
                .compare_exchange(ran, RESTARTING, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
        {
            return Ok(());
        }
        let started = shred_follower::start(inner, true);
        // On failure (the store unreachable) the next seal or open tries again.
        let ran = if started.is_ok() { now } else { ran };
        inner.fork.store(ran, Ordering::Release);
        started
    }
}

/// What opening needs of an envelope's header, copied out so that the envelope can be
/// decrypted in place.
pub(crate) struct EnvelopeHeader {
    pub key_id: u32,
    pub nonce: [u8; NONCE_LEN],
    pub tag: [u8; TAG_LEN],
}

impl EnvelopeHeader {
    /// Parses `envelope` ([`Envelope::parse`]: total over every input).
    pub(crate) fn parse(envelope: &[u8]) -> Result<EnvelopeHeader> {
        Envelope::parse(envelope).map(|e| EnvelopeHeader::of(&e))
    }

    fn of(e: &Envelope<'_>) -> EnvelopeHeader {
        EnvelopeHeader {
            key_id: e.key_id,
            nonce: *e.nonce,
            tag: *e.tag,
        }
    }

    /// Where the ciphertext lies in an envelope of `len` bytes (an empty or reversed range,
    /// which slicing with `get` refuses, when it is shorter than header and tag).
    pub(crate) fn ciphertext(len: usize) -> core::ops::Range<usize> {
        HEADER_LEN..len.saturating_sub(TAG_LEN)
    }
}

/// An envelope too short for its header and tag.
const SHORT: Error = Error::MalformedEnvelope {
    reason: "shorter than header and tag",
};

/// Decrypts an envelope's ciphertext `body` in place under `cipher`, the key `key_id`:
/// refuses an envelope of another key, and one whose tag does not authenticate `aad`.
fn open_envelope(
    key_id: u32,
    cipher: &Aes256Gcm,
    aad: &Aad<'_>,
    header: &EnvelopeHeader,
    body: &mut [u8],
) -> Result<()> {
    if header.key_id != key_id {
        return Err(Error::KeyMismatch);
    }
    aad.with_bytes(key_id, |a| {
        cipher.decrypt_in_place_detached(
            Nonce::from_slice(&header.nonce),
            a,
            body,
            Tag::from_slice(&header.tag),
        )
    })?
    .map_err(|_| Error::Authentication)
}

/// A subject's data key as one record's sealing or opening holds it (see
/// [`Keyring::data_key`]). A shred that lands meanwhile is honoured by the next record: the
/// envelopes of this one are sealed under the destroyed key and never open again.
pub(crate) struct DataKey(pub(super) Arc<Slot>);

impl DataKey {
    /// The id envelopes sealed under this key carry.
    pub(crate) fn key_id(&self) -> u32 {
        self.0.key_id()
    }
}

/// Appends the envelope of `plaintext` under `cipher` to `out`:
/// `version || key id || nonce || ciphertext || tag`.
fn seal_envelope(
    key_id: u32,
    cipher: &Aes256Gcm,
    aad: &Aad<'_>,
    plaintext: &[u8],
    check_fork: bool,
    out: &mut Vec<u8>,
) -> Result<()> {
    let start = out.len();
    out.reserve(MIN_LEN + plaintext.len());
    out.push(VERSION);
    out.extend_from_slice(&key_id.to_be_bytes());
    out.extend_from_slice(&[0; NONCE_LEN]);
    let nonce_at = start + HEADER_LEN - NONCE_LEN;
    let nonce: &mut [u8; NONCE_LEN] = (&mut out[nonce_at..start + HEADER_LEN])
        .try_into()
        .map_err(|_| Error::Random)?;
    if check_fork {
        nonce::fill(nonce)?;
    } else {
        nonce::fill_in_operation(nonce)?;
    }
    out.extend_from_slice(plaintext);
    // The nonce is written and the tag appended in place: moving them through `Result`s cost
    // store-forwarding stalls that showed in the profile.
    let sealed = aad.with_bytes(key_id, |a| {
        let (header, body) = out[start..].split_at_mut(HEADER_LEN);
        let nonce = Nonce::from_slice(&header[HEADER_LEN - NONCE_LEN..]);
        match cipher.encrypt_in_place_detached(nonce, a, body) {
            Ok(tag) => {
                out.extend_from_slice(&tag);
                true
            }
            Err(_) => false,
        }
    })?;
    if sealed {
        Ok(())
    } else {
        out.truncate(start);
        Err(Error::MalformedEnvelope {
            reason: "plaintext too long for AES-GCM",
        })
    }
}

/// Runs `f` with an active slot's key; with `seal_limit`, counts one seal against it first.
fn run<R>(
    slot: &Slot,
    seal_limit: Option<u64>,
    f: impl FnOnce(u32, &Aes256Gcm) -> Result<R>,
) -> Result<R> {
    match slot {
        Slot::Active {
            key_id,
            cipher,
            base,
            sealed,
            ..
        } => {
            if let Some(limit) = seal_limit {
                let n = sealed.fetch_add(1, Ordering::Relaxed).saturating_add(1);
                if base.saturating_add(n) > limit {
                    sealed.fetch_sub(1, Ordering::Relaxed);
                    return Err(Error::KeyUsageLimit { limit });
                }
            }
            f(*key_id, cipher)
        }
        Slot::Shredded { .. } => Err(Error::Shredded),
    }
}
