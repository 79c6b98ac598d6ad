//! What a right-to-know document states about its records: the CCPA 1798.110 and GDPR
//! Art. 15(1) items, gathered from the field metadata in stable (sorted) order.
//!
//! Everything here except the count of values depends only on which fields of which record
//! types were seen (and why a field was withheld), so a [`Summary`] grows with the number of
//! record types, not records: a field seen before is counted and skipped.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashSet;

use serde_json::{json, Map, Value};

use super::export::{ExportedValue, RecordExport};
use super::request::RIGHTS;
use crate::schema::{FieldKind, FieldMeta, Retention, RetentionUnit};

/// The subject kind a record gets when `#[personal(subject = "...")]` is not written.
pub(crate) const DEFAULT_SUBJECT_KIND: &str = crate::vocabulary::DEFAULT_SUBJECT_KIND;

/// The subject kind of a record nested in a parent of kind `parent`: a nested record that
/// does not name its own kind describes the parent's subject.
pub(crate) fn nested_kind(own: &'static str, parent: &'static str) -> &'static str {
    if own == DEFAULT_SUBJECT_KIND {
        parent
    } else {
        own
    }
}

/// One category of personal data held: (name, description, CCPA category label, sensitive).
pub(crate) type CategoryRow = (&'static str, &'static str, &'static str, bool);

/// The items of the document, each a sorted set so the output never depends on the order
/// records were added in or on hashing.
#[derive(Default, Debug)]
pub(crate) struct Summary {
    pub kinds: BTreeSet<&'static str>,
    pub categories: BTreeSet<CategoryRow>,
    pub ccpa_categories: BTreeSet<&'static str>,
    pub shared_categories: BTreeSet<&'static str>,
    pub sources: BTreeSet<&'static str>,
    pub purposes: BTreeSet<&'static str>,
    pub recipients: BTreeSet<&'static str>,
    /// (category, retention as written) -> the retention.
    pub retention: BTreeMap<(&'static str, String), Retention>,
    pub withheld: BTreeSet<(String, &'static str)>,
    pub values: usize,
    /// The (record schema, field, withheld reason) triples already gathered, by address:
    /// what makes a record of a type seen before cost a few lookups.
    seen: FxHashSet<(usize, usize, usize)>,
}

impl Summary {
    /// The summary of these records.
    pub fn of(records: &[RecordExport]) -> Summary {
        let mut s = Summary::default();
        for r in records {
            s.add(r);
        }
        s
    }

    /// Gathers what one top-level record (and the records nested in it) adds.
    pub fn add(&mut self, r: &RecordExport) {
        self.collect(r, r.subject_kind());
    }

    fn collect(&mut self, r: &RecordExport, kind: &'static str) {
        self.kinds.insert(kind);
        let schema = core::ptr::from_ref(r.schema()) as usize;
        for f in r.fields() {
            let meta = core::ptr::from_ref(f.meta) as usize;
            match f.value {
                ExportedValue::Records(nested) => {
                    for n in nested {
                        self.collect(n, nested_kind(n.subject_kind(), kind));
                    }
                }
                ExportedValue::Value(_) => {
                    self.values += 1;
                    if self.seen.insert((schema, meta, 0)) {
                        self.field(f.meta);
                    }
                }
                ExportedValue::Withheld(reason) => {
                    // A reason is a `&'static str`; its address tells reasons apart (two
                    // copies of one text at two addresses only cost a second insert).
                    if self.seen.insert((schema, meta, reason.as_ptr() as usize)) {
                        self.field(f.meta);
                        self.withheld
                            .insert((format!("{}.{}", r.record(), f.meta.serde_name()), reason));
                    }
                }
            }
        }
    }

    fn field(&mut self, m: &FieldMeta) {
        let Some(c) = m.category else { return };
        if m.kind == FieldKind::CollectedAt {
            return;
        }
        let ccpa = c.ccpa().label();
        self.categories
            .insert((c.name(), c.description(), ccpa, c.is_sensitive()));
        self.ccpa_categories.insert(ccpa);
        if !m.recipients.is_empty() {
            self.shared_categories.insert(c.name());
        }
        self.sources.extend(m.source);
        self.purposes.extend(m.purposes.iter().map(|p| p.as_str()));
        self.recipients.extend(m.recipients.iter().copied());
        self.retention
            .insert((c.name(), m.retention.to_string()), m.retention);
    }

    /// The document's JSON members other than `records` and `generated_at`: `subject`,
    /// `ccpa_1798_110`, `gdpr_art_15` and `withheld`.
    pub fn to_json(&self, subject_id: &str) -> Map<String, Value> {
        let doc = json!({
            "subject": { "id": subject_id, "kind": self.kinds },
            "ccpa_1798_110": {
                "categories": self.categories.iter().map(|(name, description, ccpa, sensitive)| json!({
                    "category": name,
                    "description": description,
                    "ccpa_category": ccpa,
                    "sensitive": sensitive,
                })).collect::<Vec<_>>(),
                "ccpa_categories": self.ccpa_categories,
                "sources": self.sources,
                "purposes": self.purposes,
                "third_parties": self.recipients,
                "categories_shared": self.shared_categories,
                "specific_pieces": {
                    "location": "/records",
                    "values": self.values,
                    "withheld": self.withheld.len(),
                },
            },
            "gdpr_art_15": {
                "purposes": self.purposes,
                "categories": self.categories.iter().map(|c| c.0).collect::<Vec<_>>(),
                "recipients": self.recipients,
                "retention": self.retention.iter().map(|((category, written), r)| json!({
                    "category": category,
                    "retention": written,
                    "kept_for": kept_for(*r),
                })).collect::<Vec<_>>(),
                "rights": RIGHTS,
                "source": self.sources,
            },
            "withheld": self.withheld.iter().map(|(field, reason)| json!({ "field": field, "reason": reason })).collect::<Vec<_>>(),
        });
        match doc {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    /// The retention periods declared for a category.
    pub fn retention_of<'a>(&'a self, category: &'a str) -> impl Iterator<Item = Retention> + 'a {
        self.retention
            .iter()
            .filter(move |((c, _), _)| *c == category)
            .map(|(_, r)| *r)
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

#[cfg(test)]
mod tests {
    use super::*;

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
