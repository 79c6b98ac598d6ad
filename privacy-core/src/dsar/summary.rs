//! What a [`Dsar`](super::Dsar) states about its records: the CCPA 1798.110 and GDPR Art. 15(1)
//! items, gathered from the field metadata in stable (sorted) order.

use std::collections::{BTreeMap, BTreeSet};

use super::export::{ExportedValue, RecordExport};
use crate::schema::{FieldKind, FieldMeta, Retention};

/// The subject kind a record gets when `#[personal(subject = "...")]` is not written.
pub(crate) const DEFAULT_SUBJECT_KIND: &str = "user";

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
#[derive(Default)]
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
}

impl Summary {
    /// The summary of these records.
    pub fn of(records: &[RecordExport]) -> Summary {
        let mut s = Summary::default();
        for r in records {
            s.collect(r, r.subject_kind());
        }
        s
    }

    fn collect(&mut self, r: &RecordExport, kind: &'static str) {
        self.kinds.insert(kind);
        for f in r.fields() {
            match f.value {
                ExportedValue::Records(nested) => {
                    for n in nested {
                        self.collect(n, nested_kind(n.subject_kind(), kind));
                    }
                }
                ExportedValue::Value(_) => {
                    self.values += 1;
                    self.field(f.meta);
                }
                ExportedValue::Withheld(reason) => {
                    self.field(f.meta);
                    self.withheld
                        .insert((format!("{}.{}", r.record(), f.meta.name), reason));
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

    /// The retention periods declared for a category.
    pub fn retention_of<'a>(&'a self, category: &'a str) -> impl Iterator<Item = Retention> + 'a {
        self.retention
            .iter()
            .filter(move |((c, _), _)| *c == category)
            .map(|(_, r)| *r)
    }
}
