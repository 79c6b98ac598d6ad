//! Personal names.

/// The initials of a name: `Jane Q. Doe` -> `J. Q. D.`.
///
/// Rule: words are split on whitespace; each gives its first letter or digit (a Unicode scalar,
/// upper-cased when that is a single scalar: `émile zola` -> `É. Z.`, but `ß` stays `ß`, so the
/// function is idempotent), followed by `.`. Words without a letter or digit (`-`, `&`) are
/// skipped; blank input gives an empty string. Nothing else of the name is kept.
///
/// ```
/// use privacy_core::anonymize::initials;
/// assert_eq!(initials("Jane Q. Doe"), "J. Q. D.");
/// ```
pub fn initials(name: &str) -> String {
    let mut out = String::new();
    for word in name.split_whitespace() {
        if let Some(first) = word.chars().find(|c| c.is_alphanumeric()) {
            if !out.is_empty() {
                out.push(' ');
            }
            let mut upper = first.to_uppercase();
            match (upper.next(), upper.next()) {
                (Some(u), None) => out.push(u),
                _ => out.push(first),
            }
            out.push('.');
        }
    }
    out
}
