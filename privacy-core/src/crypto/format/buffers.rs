//! [`SealBuffers`]: the buffers of sealing one record, kept per thread and reused from record
//! to record.
//!
//! Sealing writes several buffers per envelope: the plaintext, the pointer, the envelope, its
//! base64 text and the streamed body. Each thread keeps one set; a seal takes it (or makes a new one when the thread's set is in use, as
//! in a seal nested in a `Serialize` impl) and gives it back wiped. Buffers that grew past
//! [`KEEP_AT_MOST`] are dropped rather than kept, so one large record does not pin its
//! memory to the thread.

use core::cell::RefCell;
use core::ops::{Deref, DerefMut};

use crate::crypto::format::scratch::Scratch;

/// The largest buffer kept for the next record (bytes of capacity).
const KEEP_AT_MOST: usize = 64 * 1024;

/// The buffers one record's sealing writes into.
pub(crate) struct SealBuffers {
    /// The plaintext of the value being sealed (its JSON); wiped after each value.
    pub json: Scratch,
    /// The JSON pointer of the value being sealed.
    pub pointer: String,
    /// The envelope of the value being sealed.
    pub envelope: Vec<u8>,
    /// The envelope's base64 text.
    pub text: String,
    /// The streamed body of the sealed form (`seal_json`); it holds a clear encrypted value
    /// only until sealing fails closed, and is wiped before it is reused.
    pub body: Scratch,
}

impl SealBuffers {
    fn new() -> SealBuffers {
        SealBuffers {
            // Sized so that a typical value and record are written without a reallocation
            // (a reallocation leaves the old bytes unwiped).
            json: Scratch::with_capacity(256),
            pointer: String::new(),
            envelope: Vec::new(),
            text: String::new(),
            body: Scratch::with_capacity(512),
        }
    }

    /// Empties every buffer, wiping the plaintext ones; false if one grew too large to keep.
    fn reset(&mut self) -> bool {
        self.json.wipe();
        self.body.wipe();
        self.pointer.clear();
        self.envelope.clear();
        self.text.clear();
        self.json.capacity() <= KEEP_AT_MOST
            && self.body.capacity() <= KEEP_AT_MOST
            && self.pointer.capacity() <= KEEP_AT_MOST
            && self.envelope.capacity() <= KEEP_AT_MOST
            && self.text.capacity() <= KEEP_AT_MOST
    }
}

thread_local! {
    static KEPT: RefCell<Option<SealBuffers>> = const { RefCell::new(None) };
}

/// This thread's sealing buffers, lent for one record: given back, wiped, on drop.
pub(crate) struct Lent(Option<SealBuffers>);

impl Lent {
    pub(crate) fn take() -> Lent {
        let kept = KEPT
            .try_with(|kept| kept.try_borrow_mut().ok().and_then(|mut k| k.take()))
            .ok()
            .flatten();
        Lent(Some(kept.unwrap_or_else(SealBuffers::new)))
    }
}

impl Deref for Lent {
    type Target = SealBuffers;

    fn deref(&self) -> &SealBuffers {
        // Only `drop` takes the buffers out.
        self.0
            .as_ref()
            .unwrap_or_else(|| unreachable!("sealing buffers taken"))
    }
}

impl DerefMut for Lent {
    fn deref_mut(&mut self) -> &mut SealBuffers {
        self.0
            .as_mut()
            .unwrap_or_else(|| unreachable!("sealing buffers taken"))
    }
}

impl Drop for Lent {
    fn drop(&mut self) {
        let Some(mut buffers) = self.0.take() else {
            return;
        };
        if !buffers.reset() {
            return;
        }
        let _ = KEPT.try_with(|kept| {
            if let Ok(mut kept) = kept.try_borrow_mut() {
                if kept.is_none() {
                    *kept = Some(buffers);
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::{Lent, KEEP_AT_MOST};
    use std::io::Write as _;

    #[test]
    fn buffers_come_back_empty_and_a_nested_seal_gets_its_own() {
        {
            let mut outer = Lent::take();
            outer.json.write_all(b"\"secret\"").unwrap();
            outer.text.push_str("abc");
            // A seal nested in the outer one (a Serialize impl that seals) gets fresh buffers.
            let inner = Lent::take();
            assert_eq!(inner.json.len(), 0);
        }
        let again = Lent::take();
        assert_eq!(again.json.len(), 0);
        assert!(again.text.is_empty());
    }

    #[test]
    fn a_buffer_that_grew_too_large_is_not_kept() {
        {
            let mut lent = Lent::take();
            lent.envelope.reserve(KEEP_AT_MOST + 1);
        }
        assert!(Lent::take().envelope.capacity() <= KEEP_AT_MOST);
    }
}
