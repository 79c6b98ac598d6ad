//! [`Scratch`]: a byte buffer for plaintext, wiped as far as it was written.
//!
//! `Zeroizing<Vec<u8>>` wipes the whole capacity, spare part included, on every `zeroize`
//! and on drop: for a buffer sized once and reused from value to value, a `memset` of its
//! full capacity per sealed value. The spare part
//! of a `Scratch` never holds a byte that was not wiped: writes only append (`io::Write`,
//! `extend`), and [`Scratch::wipe`] zeroes every written byte before the length drops.

use std::io;

use zeroize::Zeroize;

/// A growable byte buffer for plaintext: [`wipe`](Scratch::wipe) and drop zero exactly the
/// bytes written since the last wipe. Bytes a reallocation left behind (growing past the
/// capacity) are not reached, as with any `Vec`: size it once for what it will hold.
#[derive(Default)]
pub(crate) struct Scratch(Vec<u8>);

impl Scratch {
    pub(crate) fn with_capacity(capacity: usize) -> Scratch {
        Scratch(Vec::with_capacity(capacity))
    }

    /// Zeroes the written bytes and empties the buffer (the capacity stays).
    pub(crate) fn wipe(&mut self) {
        self.0.as_mut_slice().zeroize();
        self.0.clear();
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.0
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.0
    }

    /// The buffer to append to (writes must only append: see the module docs).
    pub(crate) fn vec(&mut self) -> &mut Vec<u8> {
        &mut self.0
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn capacity(&self) -> usize {
        self.0.capacity()
    }
}

// Inlined: serde_json writes a record in many small pieces, and a call per piece showed.
impl io::Write for Scratch {
    #[inline]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    #[inline]
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.0.extend_from_slice(buf);
        Ok(())
    }

    #[inline]
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        self.wipe();
    }
}

#[cfg(test)]
mod tests {
    use super::Scratch;
    use std::io::Write as _;

    #[test]
    fn wipe_empties_the_buffer_and_keeps_its_capacity() {
        let mut s = Scratch::with_capacity(16);
        s.write_all(b"sec").unwrap();
        s.vec().extend_from_slice(b"ret");
        assert_eq!(s.as_slice(), b"secret");
        let capacity = s.0.capacity();
        s.wipe();
        assert_eq!(s.len(), 0);
        assert_eq!(s.0.capacity(), capacity);
    }
}
