//! Email addresses and phone numbers.

/// What a value that is not an email address or phone number becomes: nothing of it is kept.
pub const MASKED: &str = "***";

/// Keeps the first character of the local part and the whole domain:
/// `jane.doe+news@example.com` -> `j***@example.com`.
///
/// Rule: surrounding whitespace is trimmed; the address must have exactly one `@`, a local
/// part of 1 to 64 bytes without whitespace, and a domain of dot-separated labels made of
/// letters, digits and `-` (Unicode letters too: an internationalized domain such as
/// `bücher.example` is kept as written); the whole address is at most 254 bytes (RFC 5321).
/// The first character kept is a Unicode scalar, so `émile@example.fr` -> `é***@example.fr`.
/// Anything else (no `@`, several, an empty local part, a quoted local part with spaces, an
/// IP-literal domain such as `[192.0.2.1]`) becomes [`MASKED`], never itself. Idempotent.
///
/// ```
/// use privacy_core::anonymize::{email, MASKED};
/// assert_eq!(email("jane.doe+x@example.com"), "j***@example.com");
/// assert_eq!(email("@example.com"), MASKED);
/// ```
pub fn email(address: &str) -> String {
    let address = address.trim();
    if address.len() > 254 {
        return MASKED.to_owned();
    }
    let mut parts = address.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return MASKED.to_owned();
    };
    let valid_local = local.len() <= 64 && !local.chars().any(char::is_whitespace);
    let valid_domain = domain
        .split('.')
        .all(|label| !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == '-'));
    match local.chars().next() {
        Some(first) if valid_local && valid_domain => {
            let mut out = String::with_capacity(first.len_utf8() + 4 + domain.len());
            out.push(first);
            out.push_str("***@");
            out.push_str(domain);
            out
        }
        _ => MASKED.to_owned(),
    }
}

/// Keeps the country code and the last two digits of an E.164 number, masking the rest with
/// `*`: `+1 415 555 0142` -> `+1********42`.
///
/// Rule: spaces, dashes, dots and parentheses are ignored. The number must start with `+` and
/// hold 8 to 15 digits (E.164); anything else (a national number without `+`, letters, an
/// extension) becomes [`MASKED`]. Country codes are 1 to 3 digits, told apart by the ITU-T
/// E.164 assignment table; the output keeps the digit count and drops the formatting.
/// Idempotent (`*` is accepted where a digit was masked).
///
/// ```
/// use privacy_core::anonymize::phone;
/// assert_eq!(phone("+44 20 7183 8750"), "+44********50");
/// ```
pub fn phone(number: &str) -> String {
    let Some(rest) = number.trim().strip_prefix('+') else {
        return MASKED.to_owned();
    };
    let digits: Vec<char> = rest
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let well_formed = (8..=15).contains(&digits.len())
        && digits.iter().all(|c| c.is_ascii_digit() || *c == '*')
        && digits[digits.len() - 2..].iter().all(char::is_ascii_digit);
    let cc = country_code_len(&digits);
    if !well_formed || !digits[..cc].iter().all(char::is_ascii_digit) {
        return MASKED.to_owned();
    }
    let mut out = String::with_capacity(digits.len() + 1);
    out.push('+');
    out.extend(&digits[..cc]);
    out.extend(std::iter::repeat_n('*', digits.len() - cc - 2));
    out.extend(&digits[digits.len() - 2..]);
    out
}

/// How many leading digits form the country code (ITU-T E.164 assignments).
fn country_code_len(digits: &[char]) -> usize {
    let d = |i: usize| digits.get(i).and_then(|c| c.to_digit(10)).unwrap_or(0);
    match (d(0), d(1)) {
        (1 | 7, _) => 1,
        (2, 0 | 7)
        | (3, 0..=4 | 6 | 9)
        | (4, 0 | 1 | 3..=9)
        | (5, 1..=8)
        | (6, 0..=6)
        | (8, 1 | 2 | 4 | 6)
        | (9, 0..=5 | 8) => 2,
        _ => 3,
    }
}
