//! Heuristic detectors that find personal data without knowing any record: [`detect`].
//!
//! They look for the shape of an email address, an IP address, a payment card number or an
//! E.164 phone number. A shape is not proof: use them to catch data a test did not think of,
//! and prefer [`LeakScanner`](super::LeakScanner) (exact values) to assert.
//!
//! # Rules
//! - **Email**: `local@domain.tld`; local part of RFC 5322 atom characters and dots, domain of
//!   letters, digits, `-` and dots with at least one dot and an alphabetic top-level label of
//!   two or more letters.
//! - **IPv4**: a dotted quad of decimal octets 0-255 not glued to a letter, digit or dot on
//!   either side. A version string is indistinguishable from an address, so `release 1.2.3.4`
//!   **is** reported as IPv4; `v1.2.3.4`, `1.2.3.4.5` and `1.2.3.4-beta` glued forms are not
//!   (a `v` or `V` directly before, or a dot, letter or digit on either side). `0.0.0.0`
//!   and loopback `127.x.x.x` are not reported.
//! - **IPv6**: a run of hex digits, colons and dots with at least two colons that parses as an
//!   IPv6 address, not glued to a letter, digit or colon; `::` and `::1` are not reported.
//! - **Card**: 13 to 19 digits, optionally grouped by single spaces or dashes, starting with
//!   2-6 (the issuer ranges of the card networks), passing the Luhn check, not glued to a
//!   letter or digit. A run of digits is checked as a whole: a 16-digit order id that fails
//!   Luhn is not a card, and nanosecond timestamps (starting with 1) are not cards. About one
//!   random 2-6-led digit run in ten passes Luhn: expect such false positives in numeric ids.
//! - **Phone**: E.164, `+` then a non-zero digit and 8 to 15 digits in all, optionally grouped
//!   by single spaces or dashes, the `+` not glued to a letter or digit.

use core::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// A piece of text that looks like personal data, found by [`detect`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Detection {
    /// What it looks like.
    pub kind: DetectionKind,
    /// The byte offset in the text.
    pub offset: usize,
    /// The length in bytes.
    pub len: usize,
}

/// The kinds of personal data the heuristic detectors recognize.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DetectionKind {
    /// An email address.
    Email,
    /// An IPv4 address.
    Ipv4,
    /// An IPv6 address.
    Ipv6,
    /// A Luhn-valid payment card number.
    Card,
    /// An E.164 phone number.
    Phone,
}

impl DetectionKind {
    /// A short lower-case name: `"email"`, `"ipv4"`, `"ipv6"`, `"card"`, `"phone"`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Ipv4 => "ipv4",
            Self::Ipv6 => "ipv6",
            Self::Card => "card",
            Self::Phone => "phone",
        }
    }
}

impl fmt::Display for Detection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "something like {} at byte {}..{}",
            self.kind.name(),
            self.offset,
            self.offset + self.len
        )
    }
}

/// Every piece of `text` that looks like personal data, ordered by offset; see the module
/// docs for the rules.
///
/// ```
/// use privacy_core::testing::{detect, DetectionKind};
///
/// let found = detect("login from 203.0.113.7 by jane@example.com");
/// let kinds: Vec<_> = found.iter().map(|d| d.kind).collect();
/// assert_eq!(kinds, [DetectionKind::Ipv4, DetectionKind::Email]);
/// ```
pub fn detect(text: &str) -> Vec<Detection> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    emails(bytes, &mut found);
    ipv4s(bytes, &mut found);
    ipv6s(text, &mut found);
    digit_runs(bytes, &mut found);
    found.sort_by_key(|d| (d.offset, d.kind));
    found
}

fn push(found: &mut Vec<Detection>, kind: DetectionKind, start: usize, end: usize) {
    found.push(Detection {
        kind,
        offset: start,
        len: end - start,
    });
}

fn glued(bytes: &[u8], start: usize, end: usize, also: &[u8]) -> bool {
    let is_glue = |b: &u8| b.is_ascii_alphanumeric() || also.contains(b);
    start
        .checked_sub(1)
        .and_then(|i| bytes.get(i))
        .is_some_and(is_glue)
        || bytes.get(end).is_some_and(is_glue)
}

// ---- email ----------------------------------------------------------------------------------

fn is_local(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&b)
}

fn is_domain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'.'
}

fn emails(bytes: &[u8], found: &mut Vec<Detection>) {
    for at in memchr_all(bytes, b'@') {
        let mut start = at;
        while start > 0 && is_local(bytes[start - 1]) {
            start -= 1;
        }
        while start < at && bytes[start] == b'.' {
            start += 1;
        }
        let mut end = at + 1;
        while end < bytes.len() && is_domain(bytes[end]) {
            end += 1;
        }
        while end > at + 1 && matches!(bytes[end - 1], b'.' | b'-') {
            end -= 1;
        }
        if start == at || end <= at + 1 {
            continue;
        }
        let domain = &bytes[at + 1..end];
        let mut labels = domain.split(|&b| b == b'.');
        let tld_ok = domain
            .rsplit(|&b| b == b'.')
            .next()
            .is_some_and(|tld| tld.len() >= 2 && tld.iter().all(u8::is_ascii_alphabetic));
        if domain.contains(&b'.') && tld_ok && labels.all(|l| !l.is_empty()) {
            push(found, DetectionKind::Email, start, end);
        }
    }
}

fn memchr_all(bytes: &[u8], needle: u8) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter(move |(_, &b)| b == needle)
        .map(|(i, _)| i)
}

// ---- IPv4 -----------------------------------------------------------------------------------

fn ipv4s(bytes: &[u8], found: &mut Vec<Detection>) {
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() || (i > 0 && bytes[i - 1].is_ascii_digit()) {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i;
        while end < bytes.len() && (bytes[end].is_ascii_digit() || bytes[end] == b'.') {
            end += 1;
        }
        i = end.max(start + 1);
        // Trailing dot is sentence punctuation, not part of the address.
        let mut stop = end;
        if stop > start && bytes[stop - 1] == b'.' {
            stop -= 1;
        }
        let candidate = &bytes[start..stop];
        let Ok(s) = core::str::from_utf8(candidate) else {
            continue;
        };
        let Ok(ip) = s.parse::<Ipv4Addr>() else {
            continue;
        };
        let dotted_after = stop < end;
        let glued_after = bytes
            .get(stop)
            .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'-')
            || (dotted_after && bytes.get(end).is_some_and(u8::is_ascii_alphanumeric));
        let glued_before = start
            .checked_sub(1)
            .and_then(|p| bytes.get(p))
            .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'.' || b == b':');
        // A `v` before (`v1.2.3.4`) is a letter: version strings so marked are skipped.
        if glued_before || glued_after || ip.is_loopback() || ip.is_unspecified() {
            continue;
        }
        push(found, DetectionKind::Ipv4, start, stop);
    }
}

// ---- IPv6 -----------------------------------------------------------------------------------

fn ipv6s(text: &str, found: &mut Vec<Detection>) {
    let bytes = text.as_bytes();
    let is_v6 = |b: u8| b.is_ascii_hexdigit() || b == b':' || b == b'.';
    let mut i = 0;
    while i < bytes.len() {
        if !is_v6(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i;
        while end < bytes.len() && is_v6(bytes[end]) {
            end += 1;
        }
        i = end;
        let mut stop = end;
        while stop > start && bytes[stop - 1] == b'.' {
            stop -= 1;
        }
        let candidate = &text[start..stop];
        if candidate.bytes().filter(|&b| b == b':').count() < 2 || glued(bytes, start, stop, b"") {
            continue;
        }
        let Ok(ip) = candidate.parse::<Ipv6Addr>() else {
            continue;
        };
        if ip.is_loopback() || ip.is_unspecified() {
            continue;
        }
        push(found, DetectionKind::Ipv6, start, stop);
    }
}

// ---- cards and phones -----------------------------------------------------------------------

/// Finds runs of digits grouped by single spaces or dashes, and checks each as a card number
/// (unprefixed) or a phone number (prefixed by `+`).
fn digit_runs(bytes: &[u8], found: &mut Vec<Detection>) {
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() || (i > 0 && bytes[i - 1].is_ascii_digit()) {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i;
        let mut digits = Vec::new();
        while end < bytes.len() {
            let b = bytes[end];
            if b.is_ascii_digit() {
                digits.push(b - b'0');
                end += 1;
            } else if matches!(b, b' ' | b'-')
                && bytes.get(end + 1).is_some_and(u8::is_ascii_digit)
                && end > start
            {
                end += 1;
            } else {
                break;
            }
        }
        i = end;
        let plus = start > 0 && bytes[start - 1] == b'+';
        if plus {
            let before_plus = start - 1;
            let glued_before = before_plus
                .checked_sub(1)
                .and_then(|p| bytes.get(p))
                .is_some_and(u8::is_ascii_alphanumeric);
            if !glued_before
                && !bytes.get(end).is_some_and(u8::is_ascii_alphanumeric)
                && (8..=15).contains(&digits.len())
                && digits[0] != 0
            {
                push(found, DetectionKind::Phone, before_plus, end);
            }
            continue;
        }
        if glued(bytes, start, end, b"")
            || !(13..=19).contains(&digits.len())
            || !(2..=6).contains(&digits[0])
            || !luhn(&digits)
        {
            continue;
        }
        push(found, DetectionKind::Card, start, end);
    }
}

/// The Luhn checksum over decimal digits (most significant first).
fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

#[cfg(test)]
mod tests {
    use super::luhn;

    #[test]
    fn luhn_accepts_test_cards_and_rejects_a_changed_digit() {
        let digits = |s: &str| s.bytes().map(|b| b - b'0').collect::<Vec<_>>();
        assert!(luhn(&digits("4242424242424242")));
        assert!(luhn(&digits("378282246310005")));
        assert!(!luhn(&digits("4242424242424241")));
    }
}
