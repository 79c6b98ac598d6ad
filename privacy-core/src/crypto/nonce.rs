//! Nonces: 96 random bits per envelope from a per-thread ChaCha20 generator.
//!
//! Why not the OS random source per call: one `getrandom` system call costs about as much as
//! sealing a short field, so it would double the cost of sealing an e-mail address. Instead
//! each thread seeds a ChaCha20 generator (a cryptographically secure generator, the one
//! behind Linux's `/dev/urandom`) with 32 bytes from the OS and draws nonces from it.
//!
//! Why it is safe: GCM needs nonces that never repeat under one key. Nonces are uniformly
//! random 96-bit values as long as the generator is unpredictable and never runs twice from
//! the same state; distinct threads hold independently seeded states, and a state is
//! reseeded from the OS after [`RESEED_AFTER`] nonces. With random nonces, NIST SP 800-38D
//! bounds one key to 2^32 envelopes; keys here are per data subject, far below that.
//! Caveat: a process that `fork`s without `exec` and then seals in both parent and child
//! would replay the thread's generator; reseed-free forking is unusual in Rust services,
//! but do not seal across `fork`.

use core::cell::RefCell;

use rand_chacha::ChaCha20Rng;
use rand_core::{OsRng, RngCore, SeedableRng};

use super::envelope::NONCE_LEN;
use super::error::{Error, Result};

/// Nonces drawn from one seed before reseeding from the OS.
pub const RESEED_AFTER: u32 = 1 << 20;

struct Generator {
    rng: ChaCha20Rng,
    left: u32,
}

thread_local! {
    static GENERATOR: RefCell<Option<Generator>> = const { RefCell::new(None) };
}

/// A fresh random 96-bit nonce.
pub(crate) fn fresh() -> Result<[u8; NONCE_LEN]> {
    GENERATOR.with(|cell| {
        let mut slot = cell.try_borrow_mut().map_err(|_| Error::Random)?;
        let generator = match &mut *slot {
            Some(g) if g.left > 0 => g,
            slot => slot.insert(Generator {
                rng: seeded()?,
                left: RESEED_AFTER,
            }),
        };
        generator.left -= 1;
        let mut nonce = [0u8; NONCE_LEN];
        generator.rng.fill_bytes(&mut nonce);
        Ok(nonce)
    })
}

fn seeded() -> Result<ChaCha20Rng> {
    let mut seed = zeroize::Zeroizing::new([0u8; 32]);
    OsRng
        .try_fill_bytes(&mut seed[..])
        .map_err(|_| Error::Random)?;
    Ok(ChaCha20Rng::from_seed(*seed))
}

/// Fills `buf` from the OS random source (for keys; rare, so no generator).
pub(crate) fn os_random(buf: &mut [u8]) -> Result<()> {
    OsRng.try_fill_bytes(buf).map_err(|_| Error::Random)
}
