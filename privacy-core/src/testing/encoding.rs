//! The forms a raw value can take in text: [`Encoding`] and the search patterns of each.

use core::fmt;

use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::Engine;

/// How a leaked value was written in the scanned text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Encoding {
    /// The value as it is.
    Raw,
    /// Base64 with the standard alphabet (`+`, `/`), padded or not, alone or inside a larger
    /// encoded blob at any of the three byte alignments.
    Base64,
    /// Base64 with the URL-safe alphabet (`-`, `_`), padded or not, at any alignment.
    Base64Url,
    /// Hexadecimal, lower case.
    HexLower,
    /// Hexadecimal, upper case.
    HexUpper,
    /// Percent-encoding (RFC 3986: every byte outside `A-Z a-z 0-9 - . _ ~` as `%XX`), with
    /// upper- or lower-case hex digits, or form encoding (`+` for a space).
    Percent,
    /// Inside a JSON string: `"` `\` and control characters escaped, optionally `/` as `\/` and
    /// non-ASCII characters as `\uXXXX`.
    JsonEscaped,
}

impl Encoding {
    /// A short lower-case name, as printed in leak reports: `"raw"`, `"base64"`, `"base64url"`,
    /// `"hex"`, `"HEX"`, `"percent"`, `"json"`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Raw => "raw",
            Self::Base64 => "base64",
            Self::Base64Url => "base64url",
            Self::HexLower => "hex",
            Self::HexUpper => "HEX",
            Self::Percent => "percent",
            Self::JsonEscaped => "json",
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Every encoded search pattern of `value` (the raw form excluded), with its encoding.
///
/// Patterns equal to the raw value or to an earlier pattern are left out, so a value without
/// characters to escape yields no percent or JSON pattern.
pub(crate) fn encoded_patterns(value: &str) -> Vec<(Encoding, Vec<u8>)> {
    let bytes = value.as_bytes();
    let mut out: Vec<(Encoding, Vec<u8>)> = Vec::new();
    let mut push = |encoding: Encoding, pattern: Vec<u8>| {
        if !pattern.is_empty() && pattern != bytes && !out.iter().any(|(_, p)| *p == pattern) {
            out.push((encoding, pattern));
        }
    };
    for alignment in 0..3 {
        push(Encoding::Base64, base64_core(bytes, alignment, false));
        push(Encoding::Base64Url, base64_core(bytes, alignment, true));
    }
    push(Encoding::HexLower, hex(bytes, b"0123456789abcdef"));
    push(Encoding::HexUpper, hex(bytes, b"0123456789ABCDEF"));
    push(
        Encoding::Percent,
        percent(bytes, b"0123456789ABCDEF", false),
    );
    push(
        Encoding::Percent,
        percent(bytes, b"0123456789abcdef", false),
    );
    push(Encoding::Percent, percent(bytes, b"0123456789ABCDEF", true));
    push(Encoding::JsonEscaped, json(value, false, false));
    push(Encoding::JsonEscaped, json(value, true, false));
    push(Encoding::JsonEscaped, json(value, false, true));
    push(Encoding::JsonEscaped, json(value, true, true));
    out
}

/// The base64 characters that depend only on `bytes` when they start `alignment` bytes
/// (0, 1 or 2) after a 3-byte group boundary of a larger blob.
///
/// Character `i` of an encoding covers bits `6i..6i+6`; the value covers bits
/// `8a..8(a+n)`. The characters wholly inside are the same whatever surrounds the value, so
/// they are found in the padded encoding, the unpadded one, and any blob that contains the
/// value at that alignment. The (at most two) characters at each edge are not searched.
fn base64_core(bytes: &[u8], alignment: usize, url_safe: bool) -> Vec<u8> {
    let mut input = vec![0u8; alignment];
    input.extend_from_slice(bytes);
    let engine = if url_safe {
        &URL_SAFE_NO_PAD
    } else {
        &STANDARD_NO_PAD
    };
    let encoded = engine.encode(&input).into_bytes();
    let start = (8 * alignment).div_ceil(6);
    let end = (8 * input.len()) / 6;
    encoded
        .get(start..end)
        .map(<[u8]>::to_vec)
        .unwrap_or_default()
}

fn hex(bytes: &[u8], digits: &[u8; 16]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(digits[usize::from(b >> 4)]);
        out.push(digits[usize::from(b & 0xf)]);
    }
    out
}

fn percent(bytes: &[u8], digits: &[u8; 16], form: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 3);
    for &b in bytes {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(b),
            b' ' if form => out.push(b'+'),
            _ => {
                out.push(b'%');
                out.push(digits[usize::from(b >> 4)]);
                out.push(digits[usize::from(b & 0xf)]);
            }
        }
    }
    out
}

fn json(value: &str, escape_slash: bool, ascii_only: bool) -> Vec<u8> {
    use fmt::Write as _;
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if escape_slash => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_control() || (ascii_only && !c.is_ascii()) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    // Writing to a String cannot fail.
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;

    #[test]
    fn a_base64_core_is_found_in_blobs_at_every_alignment() {
        let value = b"jane@example.com";
        for prefix_len in 0..6 {
            for suffix_len in 0..4 {
                let mut blob = vec![b'x'; prefix_len];
                blob.extend_from_slice(value);
                blob.extend(std::iter::repeat_n(b'y', suffix_len));
                let encoded = STANDARD.encode(&blob);
                let core = base64_core(value, prefix_len % 3, false);
                assert!(
                    encoded.contains(core.as_slice().escape_ascii().to_string().as_str()),
                    "prefix {prefix_len} suffix {suffix_len}"
                );
            }
        }
    }

    #[test]
    fn percent_encoding_escapes_reserved_bytes() {
        assert_eq!(percent(b"a b@c", b"0123456789ABCDEF", false), b"a%20b%40c");
        assert_eq!(percent(b"a b@c", b"0123456789ABCDEF", true), b"a+b%40c");
    }

    #[test]
    fn json_escaping_matches_serde_json() {
        let value = "say \"hi\"\n\\ é/";
        let expected = serde_json::to_string(value).unwrap_or_default();
        assert_eq!(
            json(value, false, false),
            expected.as_bytes()[1..expected.len() - 1]
        );
        assert_eq!(json("é", false, true), b"\\u00e9");
        assert_eq!(json("a/b", true, false), b"a\\/b");
    }
}
