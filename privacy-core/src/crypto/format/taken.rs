//! [`Taken`]: which envelopes of one record were matched to a place, without an allocation
//! for the envelopes of a typical record (up to 64: one bit each).

/// `n` marks, all clear at first.
pub(crate) enum Taken {
    /// Up to 64 marks, one bit each.
    Bits { bits: u64, n: usize },
    /// More than 64.
    Many(Vec<bool>),
}

impl Taken {
    pub(crate) fn new(n: usize) -> Taken {
        if n <= 64 {
            Taken::Bits { bits: 0, n }
        } else {
            Taken::Many(vec![false; n])
        }
    }

    /// Whether mark `i` is set (marks past `n` read as set: nothing is there to take).
    pub(crate) fn is_set(&self, i: usize) -> bool {
        match self {
            Taken::Bits { bits, n } => i >= *n || bits & (1 << i) != 0,
            Taken::Many(marks) => marks.get(i).copied().unwrap_or(true),
        }
    }

    /// Sets mark `i`; false if `i` is past `n`.
    pub(crate) fn set(&mut self, i: usize) -> bool {
        match self {
            Taken::Bits { bits, n } if i < *n => *bits |= 1 << i,
            Taken::Many(marks) if i < marks.len() => marks[i] = true,
            _ => return false,
        }
        true
    }

    /// Whether every mark is set.
    pub(crate) fn all(&self) -> bool {
        match self {
            Taken::Bits { bits, n } => *n == 0 || *bits == u64::MAX >> (64 - n),
            Taken::Many(marks) => !marks.contains(&false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Taken;

    #[test]
    fn marks_below_and_above_64() {
        for n in [0, 1, 5, 63, 64, 65, 130] {
            let mut t = Taken::new(n);
            assert_eq!(t.all(), n == 0, "n = {n}");
            for i in 0..n {
                assert!(!t.is_set(i));
                assert!(t.set(i));
                assert!(t.is_set(i));
                assert_eq!(t.all(), i + 1 == n, "n = {n}, i = {i}");
            }
            assert!(!t.set(n), "past the end, n = {n}");
            assert!(t.is_set(n));
        }
    }
}
