//! Payment card numbers (PANs).

/// A card number with every digit masked: what a value that is not a card number becomes.
pub const MASKED_CARD: &str = "**** **** **** ****";

/// Keeps the last four digits: `4242 4242 4242 4242` -> `**** **** **** 4242`.
///
/// Rule: spaces and dashes are ignored; 12 to 19 digits (or `*`, so masked input stays as it
/// is) make a card number, whatever its Luhn check. The output always has the 16-digit
/// layout, so it does not reveal the number's length. Anything else becomes [`MASKED_CARD`].
///
/// ```
/// use privacy_core::anonymize::card_last4;
/// assert_eq!(card_last4("4242-4242-4242-4242"), "**** **** **** 4242");
/// ```
pub fn card_last4(number: &str) -> String {
    match pan_chars(number) {
        Some(chars) if chars[chars.len() - 4..].iter().all(char::is_ascii_digit) => {
            let mut out = String::from("**** **** **** ");
            out.extend(&chars[chars.len() - 4..]);
            out
        }
        _ => MASKED_CARD.to_owned(),
    }
}

/// Keeps the first six digits (the issuer identification number) and the last four, the most
/// PCI DSS allows to display: `4242424242424242` -> `424242******4242`.
///
/// Rule: spaces and dashes are ignored; 12 to 19 digits make a card number. Numbers of 15
/// digits or more keep six and four; shorter ones (where six and four would leave two to four
/// digits hidden) keep only the last four: `123456789012` -> `********9012`. Already-masked
/// input of either shape stays as it is. Anything else becomes [`MASKED_CARD`].
pub fn card_bin_last4(number: &str) -> String {
    let Some(chars) = pan_chars(number) else {
        return MASKED_CARD.to_owned();
    };
    let n = chars.len();
    if !chars[n - 4..].iter().all(char::is_ascii_digit) {
        return MASKED_CARD.to_owned();
    }
    let keep_bin = if chars[..6].iter().all(char::is_ascii_digit) {
        n >= 15
    } else if chars[..n - 4].iter().all(|c| *c == '*') {
        false
    } else {
        return MASKED_CARD.to_owned();
    };
    let mut out = String::with_capacity(n);
    if keep_bin {
        out.extend(&chars[..6]);
        out.extend(std::iter::repeat_n('*', n - 10));
    } else {
        out.extend(std::iter::repeat_n('*', n - 4));
    }
    out.extend(&chars[n - 4..]);
    out
}

/// Whether `number` (spaces and dashes ignored) is 12 to 19 digits passing the Luhn check
/// (ISO/IEC 7812 check digit): a typo check, not proof that a card exists.
///
/// ```
/// use privacy_core::anonymize::luhn_valid;
/// assert!(luhn_valid("4242 4242 4242 4242"));
/// assert!(!luhn_valid("4242 4242 4242 4241"));
/// ```
pub fn luhn_valid(number: &str) -> bool {
    let digits: Vec<u32> = match number
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| c.to_digit(10))
        .collect::<Option<Vec<_>>>()
    {
        Some(d) if (12..=19).contains(&d.len()) => d,
        _ => return false,
    };
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                *d
            }
        })
        .sum();
    sum % 10 == 0
}

fn pan_chars(number: &str) -> Option<Vec<char>> {
    let chars: Vec<char> = number.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    ((12..=19).contains(&chars.len()) && chars.iter().all(|c| c.is_ascii_digit() || *c == '*'))
        .then_some(chars)
}
