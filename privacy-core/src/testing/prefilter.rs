//! [`Prefilter`]: skips the text where no search pattern can start, reading one 4-byte window
//! every `stride` bytes.
//!
//! Every pattern is at least `Q + stride - 1` bytes long, so any occurrence of a pattern
//! starting at `s` covers exactly one sampled position `p` (a multiple of the stride) with
//! `s <= p < s + stride`, and the window `text[p..p + 4]` is the pattern's window at offset
//! `p - s`. The filter holds every pattern's windows at offsets `0..stride` in a bit set
//! indexed by a hash of the window (a hit means "maybe"), and, to name the offsets, one more
//! bit set indexed by window and offset together. A sampled position whose window misses costs
//! a load, a multiplication and a bit test; a hit yields the few candidate starts that an
//! anchored search then confirms or rejects. No occurrence is missed: a filter only says no
//! when no pattern has that window at any sampled offset.

/// The window length in bytes.
pub(crate) const Q: usize = 4;

/// Bits in each bit set: 2^18 bits (32 KiB, the size of an L1 data cache), so a few
/// thousand patterns set about one bit in twenty.
const BITS: u32 = 18;
const WORDS: usize = 1 << (BITS - 6);

/// Samples handled together; hit indices fit in a byte.
const BLOCK: usize = 64;

/// The longest stride used; longer patterns do not need more.
const MAX_STRIDE: usize = 8;

pub(crate) struct Prefilter {
    stride: usize,
    /// Windows at any offset `0..stride` of any pattern.
    windows: Box<[u64; WORDS]>,
    /// (window, offset) pairs, to name which offsets a hit window stands for.
    offsets: Box<[u64; WORDS]>,
}

impl Prefilter {
    /// A filter for these patterns, or `None` when there is none or one is shorter than [`Q`]
    /// bytes.
    pub(crate) fn new<'p>(patterns: impl IntoIterator<Item = &'p [u8]> + Clone) -> Option<Self> {
        let shortest = patterns.clone().into_iter().map(<[u8]>::len).min()?;
        let stride = (shortest.checked_sub(Q)? + 1).min(MAX_STRIDE);
        let mut filter = Prefilter {
            stride,
            windows: zeroed(),
            offsets: zeroed(),
        };
        for pattern in patterns {
            // `offset + Q <= shortest`, so every window is inside the pattern.
            for (offset, w) in pattern.windows(Q).take(stride).enumerate() {
                let w = window(w);
                set(&mut filter.windows, hash(w));
                set(&mut filter.offsets, hash_at(w, offset));
            }
        }
        Some(filter)
    }

    /// Calls `candidate(start)` for every position of `text` where a pattern may start, in
    /// increasing order; every position where one does start is among them.
    pub(crate) fn candidates(&self, text: &[u8], mut candidate: impl FnMut(usize)) {
        // A stride known at compile time lets the loop read each sample as one chunk.
        match self.stride {
            4 => self.chunked::<4>(text, &mut candidate),
            5 => self.chunked::<5>(text, &mut candidate),
            6 => self.chunked::<6>(text, &mut candidate),
            7 => self.chunked::<7>(text, &mut candidate),
            8 => self.chunked::<8>(text, &mut candidate),
            stride => {
                for (p, w) in text.windows(Q).enumerate().step_by(stride) {
                    self.starts(p, window(w), &mut candidate);
                }
            }
        }
    }

    /// [`candidates`](Prefilter::candidates) for a stride `S >= Q`: each sample is the start
    /// of one `S`-byte chunk.
    fn chunked<const S: usize>(&self, text: &[u8], candidate: &mut impl FnMut(usize)) {
        let mut p = 0;
        let mut hashes = [0u32; BLOCK];
        let mut hits = [0u8; BLOCK];
        // A block of samples at a time: hash them all (a loop the compiler vectorizes), test
        // them all without branching, writing the rare hits to a list, then visit the hits.
        for block in text.chunks_exact(S * BLOCK) {
            for (h, chunk) in hashes.iter_mut().zip(block.chunks_exact(S)) {
                *h = hash(window(chunk));
            }
            let mut n = 0;
            for (i, &h) in (0u8..).zip(&hashes) {
                hits[n & (BLOCK - 1)] = i;
                n += usize::from(test(&self.windows, h));
            }
            for &i in &hits[..n] {
                let at = usize::from(i) * S;
                self.starts(p + at, window(&block[at..]), candidate);
            }
            p += S * BLOCK;
        }
        while let Some(w) = text.get(p..p + Q) {
            self.starts(p, window(w), candidate);
            p += S;
        }
    }

    /// The starts that the window `w` sampled at `p` stands for.
    #[inline(never)]
    fn starts(&self, p: usize, w: u32, candidate: &mut impl FnMut(usize)) {
        if !test(&self.windows, hash(w)) {
            return;
        }
        // Offsets in decreasing order give starts in increasing order.
        for offset in (0..self.stride.min(p + 1)).rev() {
            if test(&self.offsets, hash_at(w, offset)) {
                candidate(p - offset);
            }
        }
    }

    /// The sampling stride in bytes.
    pub(crate) fn stride(&self) -> usize {
        self.stride
    }
}

// 32 KiB, built once per scanner; the fixed size lets the lookups skip bounds checks.
#[allow(clippy::large_stack_arrays)]
fn zeroed() -> Box<[u64; WORDS]> {
    Box::new([0; WORDS])
}

/// Multiplicative hashing: the top `BITS` bits of the product.
fn hash(w: u32) -> u32 {
    w.wrapping_mul(0x9e37_79b1) >> (32 - BITS)
}

fn window(bytes: &[u8]) -> u32 {
    match bytes {
        [a, b, c, d, ..] => u32::from_le_bytes([*a, *b, *c, *d]),
        _ => 0,
    }
}

fn hash_at(w: u32, offset: usize) -> u32 {
    #[allow(clippy::cast_possible_truncation)] // offset < MAX_STRIDE
    let offset = offset as u32;
    (w ^ offset.wrapping_mul(0x85eb_ca6b)).wrapping_mul(0xc2b2_ae35) >> (32 - BITS)
}

fn set(bits: &mut [u64; WORDS], h: u32) {
    bits[(h >> 6) as usize] |= 1 << (h & 63);
}

fn test(bits: &[u64; WORDS], h: u32) -> bool {
    // The mask is a no-op on hashes, and lets the compiler drop the bounds check.
    let h = h & ((1 << BITS) - 1);
    bits[(h >> 6) as usize] >> (h & 63) & 1 != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn starts(filter: &Prefilter, text: &[u8]) -> Vec<usize> {
        let mut out = Vec::new();
        filter.candidates(text, |s| out.push(s));
        out
    }

    #[test]
    fn every_occurrence_is_a_candidate_at_every_alignment() {
        let patterns: [&[u8]; 3] = [b"jane@example.com", b"4111111111111111", b"Ana Lopez"];
        let filter = Prefilter::new(patterns).expect("long enough");
        assert_eq!(filter.stride(), 6);
        for pattern in patterns {
            for lead in 0..20 {
                let mut text = vec![b'.'; lead];
                text.extend_from_slice(pattern);
                text.extend_from_slice(b" tail");
                assert!(starts(&filter, &text).contains(&lead), "lead {lead}");
                // At the very end of the text too.
                text.truncate(lead + pattern.len());
                assert!(
                    starts(&filter, &text).contains(&lead),
                    "at the end, lead {lead}"
                );
            }
        }
    }

    #[test]
    fn text_without_the_windows_yields_no_candidate() {
        let filter = Prefilter::new([&b"jane@example.com"[..]]).expect("long enough");
        assert!(starts(&filter, &[b'x'; 4096]).is_empty());
        assert!(starts(&filter, b"").is_empty());
        assert!(starts(&filter, b"ja").is_empty());
    }

    #[test]
    fn a_pattern_shorter_than_a_window_means_no_filter() {
        assert!(Prefilter::new([&b"abc"[..], &b"abcdef"[..]]).is_none());
        assert_eq!(Prefilter::new([&b"abcd"[..]]).map(|f| f.stride()), Some(1));
    }
}
