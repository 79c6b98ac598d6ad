//! The data inventory: the record of processing activities (GDPR Art. 30(1)) built from the
//! schemas of `PersonalData` types, and the check of a privacy policy against it.
//!
//! ```
//! use privacy_core::{inventory::Inventory, PersonalData};
//!
//! #[derive(PersonalData)]
//! #[personal(subject = "customer")]
//! struct Account {
//!     #[personal(category = "contact.email", purpose = "account", encrypt)]
//!     email: String,
//! }
//!
//! let inventory = Inventory::new().add::<Account>();
//! assert!(inventory.to_markdown().contains("| Account | customer | email | contact.email |"));
//! ```

mod coverage;
mod policy;

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::Serialize;

pub use coverage::CoverageReport;
pub use policy::{Policy, PolicyError};

use crate::schema::{ErasePolicy, FieldKind, FieldMeta, RecordSchema};
use crate::PersonalData;

/// The record of processing of a set of record types.
///
/// A nested record type without a `subject_id` of its own describes the subject of the record
/// it is nested in: its rows name that kind of subject (all of them, when it is nested in
/// records of several kinds), not its own default.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    schemas: Vec<&'static RecordSchema>,
    /// The kinds of data subject of `schemas[i]`, in the order met.
    subjects: Vec<Vec<&'static str>>,
}

/// One personal field of the inventory.
#[derive(Debug, Clone, Serialize)]
pub struct InventoryRow {
    /// The record type.
    pub record: &'static str,
    /// The kinds of data subject the field describes.
    pub subjects: Vec<&'static str>,
    /// The field.
    pub field: &'static str,
    /// The category name.
    pub category: &'static str,
    /// The CCPA category, e.g. `(A) Identifiers`.
    pub ccpa_category: String,
    /// CPRA sensitive personal information.
    pub sensitive: bool,
    /// GDPR Art. 9 special category.
    pub special_category: bool,
    /// Purposes of processing.
    pub purposes: Vec<&'static str>,
    /// Where the data comes from.
    pub source: Option<&'static str>,
    /// Categories of recipients.
    pub recipients: Vec<&'static str>,
    /// The retention period.
    pub retention: String,
    /// What erasure does.
    pub on_erase: String,
    /// Security measures: `encrypted`, `blind index`, `anonymizer: <name>`.
    pub safeguards: Vec<String>,
}

impl Inventory {
    /// An empty inventory.
    pub fn new() -> Inventory {
        Inventory::default()
    }

    /// Adds a record type and the types nested in it.
    #[must_use]
    pub fn add<T: PersonalData>(self) -> Inventory {
        self.add_schema(T::schema())
    }

    /// Adds a schema and the schemas nested in it (walking [`FieldMeta::nested`]); a schema
    /// already present is listed once.
    #[must_use]
    pub fn add_schema(mut self, schema: &'static RecordSchema) -> Inventory {
        self.visit(schema, schema.subject_kind);
        self
    }

    fn visit(&mut self, schema: &'static RecordSchema, parent_kind: &'static str) {
        let kind = if schema.fields.iter().any(|f| f.kind == FieldKind::SubjectId) {
            schema.subject_kind
        } else {
            parent_kind
        };
        let known = self
            .schemas
            .iter()
            .position(|s| std::ptr::eq(*s, schema) || s.type_name == schema.type_name);
        match known {
            // Seen with this kind already: its nested schemas too (this also ends recursion).
            Some(i) if self.subjects[i].contains(&kind) => return,
            Some(i) => self.subjects[i].push(kind),
            None => {
                self.schemas.push(schema);
                self.subjects.push(vec![kind]);
            }
        }
        for nested in schema.fields.iter().filter_map(|f| f.nested) {
            self.visit(nested, kind);
        }
    }

    /// The schemas, in the order added.
    pub fn schemas(&self) -> &[&'static RecordSchema] {
        &self.schemas
    }

    /// One row per personal field, in schema order.
    pub fn rows(&self) -> Vec<InventoryRow> {
        self.schemas
            .iter()
            .zip(&self.subjects)
            .flat_map(|(s, subjects)| {
                s.fields
                    .iter()
                    .filter(|f| is_personal(f))
                    .map(move |f| row(s, subjects, f))
            })
            .collect()
    }

    /// The inventory as JSON: the Art. 30(1) summary and the rows.
    pub fn to_json(&self) -> serde_json::Value {
        let rows = self.rows();
        let set = |f: fn(&InventoryRow) -> Vec<String>| -> Vec<String> {
            rows.iter()
                .flat_map(f)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect()
        };
        serde_json::json!({
            "purposes": set(|r| r.purposes.iter().map(|p| (*p).to_owned()).collect()),
            "categories_of_data_subjects": set(|r| r.subjects.iter().map(|s| (*s).to_owned()).collect()),
            "categories_of_personal_data": set(|r| vec![r.category.to_owned()]),
            "recipients": set(|r| r.recipients.iter().map(|p| (*p).to_owned()).collect()),
            "retention": set(|r| vec![format!("{}: {}", r.category, r.retention)]),
            "security_measures": set(|r| r.safeguards.iter().map(|s| format!("{}.{}: {s}", r.record, r.field)).collect()),
            "fields": rows,
        })
    }

    /// The inventory as a Markdown table, one row per personal field. The CCPA column gives
    /// the letter of the 1798.140(v)(1) category, marked `(sensitive)` for CPRA sensitive
    /// personal information; `|` in a declared text is escaped.
    pub fn to_markdown(&self) -> String {
        let mut out = String::from(
            "| record | subject | field | category | CCPA | purposes | source | recipients | retention | on erase | safeguards |\n\
             |---|---|---|---|---|---|---|---|---|---|---|\n",
        );
        for r in self.rows() {
            let sensitive = if r.sensitive { " (sensitive)" } else { "" };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {}{} | {} | {} | {} | {} | {} | {} |",
                r.record,
                cell(&r.subjects.join(", ")),
                r.field,
                cell(r.category),
                r.ccpa_category.chars().nth(1).unwrap_or('?'),
                sensitive,
                cell(&r.purposes.join(", ")),
                cell(r.source.unwrap_or("")),
                cell(&r.recipients.join(", ")),
                r.retention,
                cell(&r.on_erase),
                cell(&r.safeguards.join(", ")),
            );
        }
        out
    }

    /// Checks a policy against what the code collects.
    pub fn check(&self, policy: &Policy) -> CoverageReport {
        coverage::check(&self.rows(), policy)
    }
}

/// A table cell: `-` when empty, `|` escaped and line breaks flattened so a declared text
/// cannot break the table.
fn cell(s: &str) -> std::borrow::Cow<'_, str> {
    if s.is_empty() {
        "-".into()
    } else if s.contains(['|', '\n', '\r']) {
        s.replace('|', "\\|").replace(['\n', '\r'], " ").into()
    } else {
        s.into()
    }
}

fn is_personal(f: &FieldMeta) -> bool {
    matches!(f.kind, FieldKind::Personal | FieldKind::SubjectId) && f.category.is_some()
}

fn row(s: &RecordSchema, subjects: &[&'static str], f: &FieldMeta) -> InventoryRow {
    let category = f
        .category
        .unwrap_or(crate::Category::Custom("custom:unknown"));
    let mut safeguards = Vec::new();
    if f.encrypted {
        safeguards.push("encrypted".to_owned());
    }
    if f.blind_index {
        safeguards.push("blind index".to_owned());
    }
    if let Some(a) = f.anonymizer {
        safeguards.push(format!("anonymizer: {a}"));
    }
    if !f.exported {
        safeguards.push("withheld from exports".to_owned());
    }
    let on_erase = match (f.on_erase, f.legal_basis) {
        (ErasePolicy::Retain, Some(basis)) => format!("retain ({basis})"),
        (ErasePolicy::Retain, None) => "retain".to_owned(),
        (ErasePolicy::Delete, _) => "delete".to_owned(),
        (ErasePolicy::Anonymize, _) => "anonymize".to_owned(),
    };
    InventoryRow {
        record: s.type_name,
        subjects: subjects.to_vec(),
        field: f.name,
        category: category.name(),
        ccpa_category: category.ccpa().to_string(),
        sensitive: category.is_sensitive(),
        special_category: category.is_special_category(),
        purposes: f.purposes.iter().map(|p| p.as_str()).collect(),
        source: f.source,
        recipients: f.recipients.to_vec(),
        retention: f.retention.to_string(),
        on_erase,
        safeguards,
    }
}
