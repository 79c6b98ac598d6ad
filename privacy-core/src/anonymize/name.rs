//! Personal names.

/// The initials of a name: `Jane Q. Doe` -> `J. Q. D.`.
///
/// Words are split on whitespace; each gives its first letter (a Unicode scalar, upper-cased:
/// `émile zola` -> `É. Z.`). Empty or blank input gives an empty string. Idempotent.
pub fn initials(name: &str) -> String {
    let mut out = String::new();
    for word in name.split_whitespace() {
        if let Some(first) = word.chars().find(|c| c.is_alphanumeric()) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.extend(first.to_uppercase());
            out.push('.');
        }
    }
    out
}
