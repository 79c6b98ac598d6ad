//! The Markdown rendering of a [`Dsar`](super::Dsar): a summary a person can read.

use std::fmt::Write as _;

use super::export::{ExportedValue, RecordExport};
use super::summary::Summary;
use super::RIGHTS;
use crate::schema::{Retention, RetentionUnit};

/// Writes the whole document. `writeln!` into a `String` cannot fail, so results are ignored.
pub(crate) fn render(
    subject_id: &str,
    generated_at: Option<&str>,
    records: &[RecordExport],
    s: &Summary,
) -> String {
    let mut out = String::new();
    let kinds = s.kinds.iter().copied().collect::<Vec<_>>().join(", ");
    let _ = writeln!(out, "# Your personal data\n");
    let _ = writeln!(out, "Subject: {} ({})  ", code(subject_id), text(&kinds));
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
        "**Categories we share:** {}\n",
        list(&mut s.shared_categories.iter())
    );
    let _ = writeln!(out, "## The data\n");
    for r in records {
        write_record(&mut out, r, 0);
    }
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
    out
}

fn write_record(out: &mut String, r: &RecordExport, depth: usize) {
    let indent = "  ".repeat(depth);
    let _ = writeln!(out, "{indent}- **{}**", text(r.record()));
    for f in r.fields() {
        let label = f.meta.category.map_or(f.meta.name, |c| c.description());
        let name = text(f.meta.name);
        let label = text(label);
        match f.value {
            ExportedValue::Value(json) => {
                let _ = writeln!(out, "{indent}  - {name} ({label}): {}", code(json));
            }
            ExportedValue::Withheld(reason) => {
                let _ = writeln!(
                    out,
                    "{indent}  - {name} ({label}): not shown ({})",
                    text(reason)
                );
            }
            ExportedValue::Records(nested) => {
                let _ = writeln!(out, "{indent}  - {name}:");
                for n in nested {
                    write_record(out, n, depth + 2);
                }
            }
        }
    }
}

/// How long a category is kept, in words.
pub(crate) fn kept_for(r: Retention) -> String {
    match r {
        Retention::Unspecified => "until erasure (no fixed period declared)".to_owned(),
        Retention::Account => "while the account exists".to_owned(),
        Retention::Transient => "not stored".to_owned(),
        Retention::Period { amount, unit } => {
            let unit = match unit {
                RetentionUnit::Days => "day",
                RetentionUnit::Weeks => "week",
                RetentionUnit::Months => "month",
                RetentionUnit::Years => "year",
            };
            let plural = if amount == 1 { "" } else { "s" };
            format!("{amount} {unit}{plural} after collection")
        }
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
    fn retention_reads_as_words() {
        let days = Retention::Period {
            amount: 30,
            unit: RetentionUnit::Days,
        };
        assert_eq!(kept_for(days), "30 days after collection");
        let year = Retention::Period {
            amount: 1,
            unit: RetentionUnit::Years,
        };
        assert_eq!(kept_for(year), "1 year after collection");
    }
}
