//! The Markdown rendering of a right-to-know document: a summary a person can read.

use std::fmt::Write as _;

use rustc_hash::FxHashMap;

use super::export::{ExportedValue, RecordExport};
use super::request::RIGHTS;
use super::summary::kept_for;
use super::summary::Summary;

/// Writes the whole document with the summary first: title, [`overview`], the records,
/// [`closing`]. This is [`Dsar::to_markdown`](super::Dsar::to_markdown)'s layout; the
/// streamed layout ([`DsarWriter`](super::DsarWriter)) moves the overview after the records.
pub(crate) fn render(
    subject_id: &str,
    dependents: &[String],
    generated_at: Option<&str>,
    records: &[RecordExport],
    s: &Summary,
) -> String {
    let mut out = String::new();
    out.push_str(TITLE);
    overview(&mut out, subject_id, dependents, generated_at, s);
    out.push('\n');
    out.push_str(DATA_HEADING);
    let mut lines = RecordLines::default();
    for r in records {
        let behalf = r
            .subject_id()
            .filter(|id| !dependents.is_empty() && *id != subject_id);
        lines.write_on_behalf(&mut out, r, behalf);
    }
    closing(&mut out, s);
    out
}

/// The document's first line.
pub(crate) const TITLE: &str = "# Your personal data\n\n";

/// The heading the records follow.
pub(crate) const DATA_HEADING: &str = "## The data\n\n";

/// What a streamed document says before its records, since its summary comes last.
pub(crate) const STREAMED_NOTE: &str = "The records come first. What they hold, why, where it \
comes from, who it is shared with, how long it is kept, what is not shown and your rights \
follow them, under \"Summary\".\n\n";

/// The heading of a streamed document's summary, after the records.
pub(crate) const SUMMARY_HEADING: &str = "\n## Summary\n\n";

/// Who the document is about and what is held, why, from where, shared with whom, for how
/// long: from the `Subject:` line to `**Categories we share:**`, ending in one newline.
pub(crate) fn overview(
    out: &mut String,
    subject_id: &str,
    dependents: &[String],
    generated_at: Option<&str>,
    s: &Summary,
) {
    let kinds = s.kinds.iter().copied().collect::<Vec<_>>().join(", ");
    let _ = writeln!(out, "Subject: {} ({})  ", code(subject_id), text(&kinds));
    if !dependents.is_empty() {
        let ids: Vec<String> = dependents.iter().map(|d| code(d)).collect();
        let _ = writeln!(
            out,
            "Also on behalf of, in the requester's care: {}  ",
            ids.join(", ")
        );
    }
    if let Some(at) = generated_at {
        let _ = writeln!(out, "Prepared: {at}  ");
    }
    let _ = writeln!(
        out,
        "Values shown: {}; values held but not shown: {}\n",
        s.values,
        s.withheld.len()
    );
    let _ = writeln!(out, "## What we hold\n");
    let _ = writeln!(out, "| category | description | CCPA category | kept for |");
    let _ = writeln!(out, "|---|---|---|---|");
    for (name, description, ccpa, sensitive) in &s.categories {
        let kept = s
            .retention_of(name)
            .map(kept_for)
            .collect::<Vec<_>>()
            .join("; ");
        let sensitive = if *sensitive { " (sensitive)" } else { "" };
        let _ = writeln!(
            out,
            "| {} | {} | {}{sensitive} | {} |",
            text(name),
            text(description),
            text(ccpa),
            text(&kept)
        );
    }
    let list = |items: &mut dyn Iterator<Item = &&'static str>| {
        let joined = items.map(|i| text(i)).collect::<Vec<_>>().join(", ");
        if joined.is_empty() {
            "none".to_owned()
        } else {
            joined
        }
    };
    let _ = writeln!(
        out,
        "\n**Why we use it:** {}  ",
        list(&mut s.purposes.iter())
    );
    let _ = writeln!(
        out,
        "**Where it comes from:** {}  ",
        list(&mut s.sources.iter())
    );
    let _ = writeln!(
        out,
        "**Who we share it with:** {}  ",
        list(&mut s.recipients.iter())
    );
    let _ = writeln!(
        out,
        "**Categories we share:** {}",
        list(&mut s.shared_categories.iter())
    );
}

/// What is held but not shown, and the subject's rights: the end of every document.
pub(crate) fn closing(out: &mut String, s: &Summary) {
    if !s.withheld.is_empty() {
        let _ = writeln!(out, "\n## Held but not shown\n");
        for (field, reason) in &s.withheld {
            let _ = writeln!(out, "- {}: {}", text(field), text(reason));
        }
    }
    let _ = writeln!(out, "\n## Your rights\n");
    for right in RIGHTS {
        let _ = writeln!(out, "- {right}");
    }
}

/// Writes records as Markdown list items. Everything on a line but a value depends only on
/// the record type, field and depth, so it is escaped once and kept (one line per field and
/// depth seen: memory grows with the record types, not the records).
#[derive(Default)]
pub(crate) struct RecordLines {
    /// (record schema or field meta address, depth, which line) -> the line or its start.
    lines: FxHashMap<(usize, usize, usize), String>,
}

/// Which of a field's lines a cached entry is (withheld lines use the reason's address).
const RECORD_LINE: usize = 0;
const VALUE_LINE: usize = 1;
const NESTED_LINE: usize = 2;

impl RecordLines {
    /// Writes a top-level record, marked as included on behalf of `behalf` when given (a
    /// dependent of the requester).
    pub(crate) fn write_on_behalf(
        &mut self,
        out: &mut String,
        r: &RecordExport,
        behalf: Option<&str>,
    ) {
        let Some(id) = behalf else {
            return self.write(out, r, 0);
        };
        let mut record = String::new();
        self.write(&mut record, r, 0);
        // The first line is `- **Record**`: the mark goes at its end.
        let (first, rest) = record.split_once('\n').unwrap_or((&record, ""));
        let _ = writeln!(out, "{first} (on behalf of {})", code(id));
        out.push_str(rest);
    }

    /// Writes `r` and the records nested in it at `depth` (0 for a top-level record).
    pub(crate) fn write(&mut self, out: &mut String, r: &RecordExport, depth: usize) {
        let schema = core::ptr::from_ref(r.schema()) as usize;
        out.push_str(self.line((schema, depth, RECORD_LINE), || {
            format!("{}- **{}**\n", "  ".repeat(depth), text(r.record()))
        }));
        for f in r.fields() {
            let meta = core::ptr::from_ref(f.meta) as usize;
            let start = || {
                let name = f.meta.serde_name().to_string();
                let label = f.meta.category.map_or(name.as_str(), |c| c.description());
                format!(
                    "{}  - {} ({})",
                    "  ".repeat(depth),
                    text(&name),
                    text(label)
                )
            };
            match f.value {
                ExportedValue::Value(json) => {
                    out.push_str(self.line((meta, depth, VALUE_LINE), || start() + ": "));
                    push_code(out, json);
                    out.push('\n');
                }
                ExportedValue::Withheld(reason) => {
                    let key = (meta, depth, reason.as_ptr() as usize);
                    out.push_str(self.line(key, || {
                        format!("{}: not shown ({})\n", start(), text(reason))
                    }));
                }
                ExportedValue::Records(nested) => {
                    out.push_str(self.line((meta, depth, NESTED_LINE), || {
                        let name = f.meta.serde_name().to_string();
                        format!("{}  - {}:\n", "  ".repeat(depth), text(&name))
                    }));
                    for n in nested {
                        self.write(out, n, depth + 2);
                    }
                }
            }
        }
    }

    fn line(&mut self, key: (usize, usize, usize), make: impl FnOnce() -> String) -> &str {
        self.lines.entry(key).or_insert_with(make)
    }
}

/// Text safe in a table cell or list item: Markdown and HTML specials escaped, one line.
/// An underscore between letters or digits (`password_hint`) cannot start emphasis and is
/// left as it is, so identifiers stay readable in the Markdown source.
pub(crate) fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let word = |j: Option<usize>| {
            j.and_then(|j| chars.get(j))
                .is_some_and(|c| c.is_alphanumeric())
        };
        match c {
            '_' if word(i.checked_sub(1)) && word(Some(i + 1)) => out.push(c),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// [`code`] at the end of `out`, without an allocation for the common span that holds no
/// backtick and no line break.
fn push_code(out: &mut String, s: &str) {
    if s.bytes().any(|b| matches!(b, b'`' | b'\n' | b'\r')) {
        out.push_str(&code(s));
    } else {
        out.push('`');
        out.push_str(s);
        out.push('`');
    }
}

/// An inline code span holding `s` verbatim, whatever backticks it contains.
pub(crate) fn code(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ");
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escapes_markdown_table_and_html_specials() {
        assert_eq!(
            text("a|b <i>*x*</i>\nc"),
            "a\\|b &lt;i&gt;\\*x\\*&lt;/i&gt; c"
        );
        assert_eq!(text("password_hint _x_"), "password_hint \\_x\\_");
    }

    #[test]
    fn code_spans_outgrow_the_backticks_they_hold() {
        assert_eq!(code("\"jane\""), "`\"jane\"`");
        assert_eq!(code("a``b"), "```a``b```");
        assert_eq!(code("`x"), "`` `x ``");
    }

    #[test]
    fn code_spans_written_in_place_match_code() {
        for s in ["\"jane\"", "a``b", "`x", "[1.5,2]", "a\nb"] {
            let mut out = String::new();
            push_code(&mut out, s);
            assert_eq!(out, code(s));
        }
    }
}
