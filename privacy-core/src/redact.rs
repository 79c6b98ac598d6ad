//! Redaction helpers used by the generated `Debug`.

use core::fmt;

/// Prints as `<tag>`: the category tag that stands in for a personal value in `Debug` output.
///
/// Writes a constant string, so redacted `Debug` allocates nothing.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Tag(pub &'static str);

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<")?;
        f.write_str(self.0)?;
        f.write_str(">")
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// A complete `<category>` tag written in one call (the derive builds the literal at compile
/// time, so redacted `Debug` costs one `write_str` per personal field).
pub struct TagLiteral(pub &'static str);

impl fmt::Debug for TagLiteral {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}
