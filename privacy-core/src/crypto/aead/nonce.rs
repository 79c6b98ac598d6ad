//! Nonces: 96 random bits per envelope from a per-thread ChaCha20 generator.
//!
//! Why not the OS random source per call: one `getrandom` system call costs about as much as
//! sealing a short field, so it would double the cost of sealing an e-mail address. Instead
//! each thread seeds a ChaCha20 generator (a cryptographically secure generator, the one
//! behind Linux's `/dev/urandom`) with 32 bytes from the OS and draws nonces from it, 64 at a
//! time into a small per-thread buffer (768 bytes).
//!
//! Why it is safe: GCM needs nonces that never repeat under one key. Nonces are uniformly
//! random 96-bit values as long as the generator is unpredictable and never runs twice from
//! the same state; distinct threads hold independently seeded states, and a state is
//! reseeded from the OS after [`RESEED_AFTER`] nonces. With random nonces, NIST SP 800-38D
//! bounds one key to 2^32 envelopes; keys here are per data subject, far below that.
//!
//! Fork safety: a child forked without `exec` starts with a copy of the forking thread's
//! generator and buffer, so it would hand out the parent's next nonces. Each draw compares
//! the process id with the one the generator was seeded in and reseeds from the OS (and
//! drops the buffer) when it differs, so parent and child never share a nonce. On Unix the
//! check is a load of a fork generation that a `pthread_atfork` child handler bumps (see
//! `os/fork.rs`; the crate's `unsafe` calls are in `os/`, each audited); elsewhere, or if the handler could not
//! be registered, it is one `getpid` system call per nonce (about 300 ns on a VM, as much as
//! the rest of a short seal).

use core::cell::RefCell;

use rand_chacha::ChaCha20Rng;
use rand_core::{OsRng, RngCore, SeedableRng};

use crate::crypto::aead::envelope::NONCE_LEN;
use crate::crypto::error::{Error, Result};

/// Nonces drawn from one seed before reseeding from the OS.
pub const RESEED_AFTER: u32 = 1 << 20;

/// Nonces generated per refill of a thread's buffer.
const BATCH: u32 = 64;
const BUF_LEN: usize = BATCH as usize * NONCE_LEN;

struct Generator {
    rng: ChaCha20Rng,
    /// The process the generator was seeded in.
    pid: u32,
    /// The fork generation it was seeded in (see `fork.rs`).
    generation: u64,
    /// Nonces left before the next reseed.
    left: u32,
    /// Generator output not handed out yet: `buf[pos..]`.
    buf: [u8; BUF_LEN],
    pos: usize,
}

impl Generator {
    /// Whether this thread's generator was copied into a forked child.
    fn forked(&self) -> bool {
        if crate::crypto::os::fork::needs_pid_check() {
            return self.pid != std::process::id();
        }
        self.generation != crate::crypto::os::fork::generation()
    }

    fn new() -> Result<Generator> {
        Ok(Generator {
            rng: seeded()?,
            pid: std::process::id(),
            generation: crate::crypto::os::fork::generation(),
            left: RESEED_AFTER,
            buf: [0; BUF_LEN],
            pos: BUF_LEN,
        })
    }

    fn next(&mut self, nonce: &mut [u8; NONCE_LEN], check_fork: bool) -> Result<()> {
        if check_fork && self.forked() {
            // A forked child: the state and buffer are the parent's.
            *self = Generator::new()?;
        }
        if self.pos == self.buf.len() {
            if self.pid != std::process::id() {
                // A child the atfork handler did not run in (a raw clone): reseed here.
                *self = Generator::new()?;
            }
            if self.left == 0 {
                *self = Generator::new()?;
            }
            self.rng.fill_bytes(&mut self.buf);
            self.left = self.left.saturating_sub(BATCH);
            self.pos = 0;
        }
        nonce.copy_from_slice(&self.buf[self.pos..self.pos + NONCE_LEN]);
        self.pos += NONCE_LEN;
        Ok(())
    }
}

thread_local! {
    static GENERATOR: RefCell<Option<Generator>> = const { RefCell::new(None) };
}

/// Writes a fresh random 96-bit nonce into `nonce`.
///
/// Written in place rather than returned: moving a `Result<[u8; 12], Error>` through the
/// thread-local accessor cost a store-forwarding stall per seal in the profile.
pub(crate) fn fill(nonce: &mut [u8; NONCE_LEN]) -> Result<()> {
    draw(nonce, true)
}

/// [`fill`] without the fork check, for the second and later nonces of one operation (one
/// record sealed with several envelopes) on the thread that called [`fill`] for its first:
/// a `fork` in between would be made by this thread, which is busy in the operation, or by
/// another thread, which a child does not inherit this thread's generator from. Saves one
/// `getpid` system call per envelope.
pub(crate) fn fill_in_operation(nonce: &mut [u8; NONCE_LEN]) -> Result<()> {
    draw(nonce, false)
}

fn draw(nonce: &mut [u8; NONCE_LEN], check_fork: bool) -> Result<()> {
    GENERATOR
        .try_with(|cell| {
            let mut slot = cell.try_borrow_mut().map_err(|_| Error::Random)?;
            match &mut *slot {
                Some(generator) => generator.next(nonce, check_fork),
                slot => slot.insert(Generator::new()?).next(nonce, check_fork),
            }
        })
        .map_err(|_| Error::Random)?
}

/// A fresh random 96-bit nonce.
pub(crate) fn fresh() -> Result<[u8; NONCE_LEN]> {
    let mut nonce = [0u8; NONCE_LEN];
    fill(&mut nonce)?;
    Ok(nonce)
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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn nonces_do_not_repeat_across_refills_and_reseeds() {
        let mut seen = HashSet::new();
        for _ in 0..10 * BATCH {
            assert!(seen.insert(fresh().expect("nonce")));
        }
        let mut generator = Generator::new().expect("seeded");
        generator.left = 0;
        let mut nonce = [0u8; NONCE_LEN];
        for _ in 0..3 * BATCH {
            generator.next(&mut nonce, true).expect("nonce");
            assert!(seen.insert(nonce), "a nonce repeated after a reseed");
        }
        assert!(generator.left > RESEED_AFTER - 4 * BATCH, "it reseeded");
    }

    #[test]
    fn a_generator_from_another_process_reseeds_and_drops_its_buffer() {
        let mut generator = Generator::new().expect("seeded");
        let mut first = [0u8; NONCE_LEN];
        generator.next(&mut first, true).expect("nonce");
        // What a forked child holds: the parent's state, under another process id.
        let copy_of = |g: &Generator| Generator {
            rng: g.rng.clone(),
            pid: g.pid,
            generation: g.generation,
            left: g.left,
            buf: g.buf,
            pos: g.pos,
        };
        let mut copy = copy_of(&generator);
        let (mut a, mut b) = ([0u8; NONCE_LEN], [0u8; NONCE_LEN]);
        generator.next(&mut a, true).expect("nonce");
        copy.next(&mut b, true).expect("nonce");
        assert_eq!(a, b, "a copied generator replays the same nonce");
        // What the atfork handler does in a child: a new fork generation.
        copy.generation = copy.generation.wrapping_add(1);
        copy.pid = copy.pid.wrapping_add(1);
        copy.next(&mut b, true).expect("nonce");
        generator.next(&mut a, true).expect("nonce");
        assert_ne!(a, b, "a generator seeded before a fork reseeds");
        assert_eq!(copy.pid, std::process::id());
        assert_eq!(copy.generation, crate::crypto::os::fork::generation());
    }

    #[test]
    fn a_child_no_atfork_handler_ran_in_reseeds_at_its_next_refill() {
        let mut generator = Generator::new().expect("seeded");
        let mut copy = Generator {
            rng: generator.rng.clone(),
            pid: generator.pid.wrapping_add(1),
            generation: generator.generation,
            left: generator.left,
            buf: generator.buf,
            pos: BUF_LEN,
        };
        generator.pos = BUF_LEN;
        let (mut a, mut b) = ([0u8; NONCE_LEN], [0u8; NONCE_LEN]);
        generator.next(&mut a, true).expect("nonce");
        copy.next(&mut b, true).expect("nonce");
        assert_ne!(a, b, "the refill compares the process id");
    }
}
