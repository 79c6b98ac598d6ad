//! Email addresses and phone numbers.

/// What a value that is not an email address or phone number becomes: nothing of it is kept.
pub const MASKED: &str = "***";

/// Keeps the first character of the local part and the whole domain:
/// `jane.doe+news@example.com` -> `j***@example.com`.
///
/// The first character is a Unicode scalar, so `émile@example.fr` -> `é***@example.fr`; an
/// internationalized domain is kept as written. Input that is not an address (no `@`, more
/// than one, an empty local part or domain, whitespace) becomes [`MASKED`], never itself.
/// Idempotent: an anonymized address stays as it is.
pub fn email(address: &str) -> String {
    let address = address.trim();
    let mut parts = address.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return MASKED.to_owned();
    };
    let valid_domain = !domain.is_empty()
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.chars().any(char::is_whitespace);
    match local.chars().next() {
        Some(first) if valid_domain && !local.chars().any(char::is_whitespace) => {
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
/// Spaces, dashes, dots and parentheses are ignored. The number must start with `+` and hold 8
/// to 15 digits (E.164); anything else becomes [`MASKED`]. Country codes are 1 to 3 digits,
/// told apart by the ITU prefix table. Idempotent.
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
