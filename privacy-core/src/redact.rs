//! Redaction helpers used by the generated `Debug`.

use core::fmt;

/// Prints as `<tag>`: the category tag that stands in for a personal value in `Debug` output.
///
/// Writes a constant string, so redacted `Debug` allocates nothing.
#[derive(Clone, Copy, PartialEq, Eq)]
#[allow(clippy::exhaustive_structs)] // a plain value users (or generated code) build
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
#[allow(clippy::exhaustive_structs)] // a plain value users (or generated code) build
pub struct TagLiteral(pub &'static str);

impl fmt::Debug for TagLiteral {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// The body of a generated redacted `Debug` for one struct or variant: `fields` in declaration
/// order, each its name (unused for a tuple struct or variant) and its complete tag (written
/// as [`TagLiteral`] does), or `""` for a field printed by its own `Debug`, whose value is the
/// next of `values`. Output and `{:#?}` are those of `debug_struct` / `debug_tuple` with the
/// same fields; nothing is allocated.
///
/// One call with a constant table instead of a builder call per field: the derive's code is a
/// constant and a short slice of the values shown as they are.
pub fn debug_fields(
    f: &mut fmt::Formatter<'_>,
    name: &str,
    named: bool,
    fields: &[(&str, &'static str)],
    values: &[&dyn fmt::Debug],
) -> fmt::Result {
    debug_table(f, name, named, fields.iter().copied(), values)
}

/// [`debug_fields`] with the name and the table packed into one string literal: the name, then
/// each field's name and tag, every part preceded by `PACKED_SEPARATOR` but the first
/// (`Account`, `id`, `<identity.account_id>`, `plan`, `` for an account whose `plan` is
/// shown). The derive writes this form, one token instead of a table of pairs, whenever no
/// part contains the separator.
pub fn debug_packed(
    f: &mut fmt::Formatter<'_>,
    packed: &'static str,
    named: bool,
    values: &[&dyn fmt::Debug],
) -> fmt::Result {
    let mut parts = packed.split(PACKED_SEPARATOR);
    let name = parts.next().unwrap_or("");
    let pairs = core::iter::from_fn(|| Some((parts.next()?, parts.next()?)));
    debug_table(f, name, named, pairs, values)
}

/// What separates the parts of [`debug_packed`]'s table.
pub const PACKED_SEPARATOR: char = '\0';

fn debug_table<'t>(
    f: &mut fmt::Formatter<'_>,
    name: &str,
    named: bool,
    fields: impl Iterator<Item = (&'t str, &'static str)>,
    values: &[&dyn fmt::Debug],
) -> fmt::Result {
    let mut values = values.iter();
    if named {
        let mut d = f.debug_struct(name);
        for (field, tag) in fields {
            if tag.is_empty() {
                d.field(field, next(&mut values));
            } else {
                d.field(field, &TagLiteral(tag));
            }
        }
        d.finish()
    } else {
        let mut d = f.debug_tuple(name);
        for (_, tag) in fields {
            if tag.is_empty() {
                d.field(next(&mut values));
            } else {
                d.field(&TagLiteral(tag));
            }
        }
        d.finish()
    }
}

/// The next value shown as it is; the derive hands one per untagged field, and a missing one
/// prints as `..`.
fn next<'v>(values: &mut core::slice::Iter<'v, &'v dyn fmt::Debug>) -> &'v dyn fmt::Debug {
    values.next().map_or(&DotDot, |v| *v)
}

/// Prints as `..`.
struct DotDot;

impl fmt::Debug for DotDot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("..")
    }
}
