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
//! let inventory = Inventory::new().add::<Account>()?;
//! assert!(inventory.to_markdown().contains("| Account | customer | email | contact.email |"));
//! # Ok::<(), privacy_core::inventory::InventoryError>(())
//! ```
//!
//! Records are keyed by their record name ([`RecordSchema::name`]: `#[personal(name = "...")]`,
//! or the type's identifier), never by the Rust identifier alone: two types named `Account`
//! in different modules are two records once their names are pinned, and two *different*
//! types with the same record name are refused by [`Inventory::add`] with
//! [`InventoryError::DuplicateRecordName`] naming both types.

mod coverage;
mod policy;

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::Serialize;

pub use coverage::CoverageReport;
pub use policy::{Policy, PolicyError};

use crate::dsar::{markdown_text as text, nested_kind};
use crate::schema::{ErasePolicy, FieldKind, FieldMeta, RecordSchema};
use crate::PersonalData;

/// The record of processing of a set of record types.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    schemas: Vec<&'static RecordSchema>,
    /// The subject kind of each schema: its own, or its parent's when nested without one.
    kinds: Vec<&'static str>,
    /// The Rust type of each schema, as named in errors.
    types: Vec<RustType>,
}

/// Why a record type was refused by [`Inventory::add`]. Names types and record names only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InventoryError {
    /// Two different types have the same record name, so the inventory (and every export,
    /// erasure report and sealed envelope) could not tell their records apart.
    #[error(
        "the record name `{name}` is used by two different types, `{first}` and `{second}`: \
         pin a distinct name on one of them with #[personal(name = \"...\")]"
    )]
    DuplicateRecordName {
        /// The record name both types use.
        name: &'static str,
        /// The type already in the inventory (its path when it was added with
        /// [`Inventory::add`], else its identifier).
        first: &'static str,
        /// The type being added.
        second: &'static str,
    },
}

/// How the inventory names a Rust type in an [`InventoryError`].
#[derive(Debug, Clone, Copy)]
struct RustType {
    name: &'static str,
    /// Whether `name` is the full path (`core::any::type_name`), which tells types apart;
    /// an identifier alone (a nested schema's `type_name`) may not.
    path: bool,
}

/// One personal field of the inventory.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct InventoryRow {
    /// The record name ([`RecordSchema::name`]).
    pub record: &'static str,
    /// The kind of data subject.
    pub subject: &'static str,
    /// The field.
    pub field: &'static str,
    /// The category name.
    pub category: &'static str,
    /// The CCPA category, e.g. `(A) Identifiers`.
    pub ccpa_category: &'static str,
    /// The CCPA category's letter, `A` to `L`.
    pub ccpa_letter: char,
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

    /// Adds a record type and the types nested in it; a record already present is skipped.
    ///
    /// Refused, with [`InventoryError::DuplicateRecordName`] naming both types, when the type
    /// or a type nested in it has the record name of a *different* type already added (two
    /// `Account` types in different modules without distinct `#[personal(name = "...")]`).
    /// The error is returned, not recorded, so an inventory that would silently merge two
    /// records cannot be built:
    ///
    /// ```
    /// use privacy_core::inventory::{Inventory, InventoryError};
    ///
    /// mod billing {
    ///     #[derive(privacy_core::PersonalData)]
    ///     pub struct Account {
    ///         #[personal(category = "financial.bank_account")]
    ///         pub iban: String,
    ///     }
    /// }
    /// mod auth {
    ///     #[derive(privacy_core::PersonalData)]
    ///     pub struct Account {
    ///         #[personal(category = "contact.email")]
    ///         pub login: String,
    ///     }
    /// }
    ///
    /// let refused = Inventory::new().add::<billing::Account>()?.add::<auth::Account>();
    /// assert!(matches!(
    ///     refused,
    ///     Err(InventoryError::DuplicateRecordName { name: "Account", .. })
    /// ));
    /// # Ok::<(), InventoryError>(())
    /// ```
    pub fn add<T: PersonalData>(self) -> Result<Inventory, InventoryError> {
        let rust_type = RustType {
            name: core::any::type_name::<T>(),
            path: true,
        };
        let schema = T::schema();
        self.add_as(schema, schema.subject_kind, rust_type)
    }

    /// Adds a schema and the schemas nested in it (walking [`FieldMeta::nested`]); a record
    /// already present is skipped. A nested record that does not name its own subject kind
    /// describes its parent's subject. Refused as [`add`](Inventory::add) is.
    pub fn add_schema(self, schema: &'static RecordSchema) -> Result<Inventory, InventoryError> {
        let rust_type = RustType {
            name: schema.type_name,
            path: false,
        };
        self.add_as(schema, schema.subject_kind, rust_type)
    }

    fn add_as(
        mut self,
        schema: &'static RecordSchema,
        kind: &'static str,
        rust_type: RustType,
    ) -> Result<Inventory, InventoryError> {
        let present = self.schemas.iter().position(|s| s.name == schema.name);
        if let Some(i) = present {
            let (s, t) = (self.schemas[i], self.types[i]);
            // The same type: the same schema (not always at the same address: each use of
            // the derive's constant may be its own copy), unless both paths are known and
            // differ (two types whose schemas happen to be equal).
            let same_schema = std::ptr::eq(s, schema) || *s == *schema;
            let same_path = !(t.path && rust_type.path) || t.name == rust_type.name;
            if same_schema && same_path {
                return Ok(self);
            }
            return Err(InventoryError::DuplicateRecordName {
                name: schema.name,
                first: t.name,
                second: rust_type.name,
            });
        }
        self.schemas.push(schema);
        self.kinds.push(kind);
        self.types.push(rust_type);
        for nested in schema.fields.iter().filter_map(|f| f.nested) {
            let rust_type = RustType {
                name: nested.type_name,
                path: false,
            };
            self = self.add_as(nested, nested_kind(nested.subject_kind, kind), rust_type)?;
        }
        Ok(self)
    }

    /// The schemas, in the order added.
    pub fn schemas(&self) -> &[&'static RecordSchema] {
        &self.schemas
    }

    /// One row per personal field, in schema order.
    pub fn rows(&self) -> Vec<InventoryRow> {
        self.schemas
            .iter()
            .zip(&self.kinds)
            .flat_map(|(s, kind)| {
                s.fields
                    .iter()
                    .filter(|f| is_personal(f))
                    .map(move |f| row(s, kind, f))
            })
            .collect()
    }

    /// The inventory as JSON: the Art. 30(1) items (`purposes`, `categories_of_data_subjects`,
    /// `categories_of_personal_data`, `recipients`, `retention`, `security_measures`) as
    /// sorted lists, and `fields`, one row per personal field in schema order.
    pub fn to_json(&self) -> serde_json::Value {
        let rows = self.rows();
        let s = Art30::of(&rows);
        serde_json::json!({
            "purposes": s.purposes,
            "categories_of_data_subjects": s.subjects,
            "categories_of_personal_data": s.categories,
            "recipients": s.recipients,
            "retention": s.retention,
            "security_measures": s.security,
            "fields": rows,
        })
    }

    /// The inventory as Markdown: the Art. 30(1) items as lists, then a table with one row
    /// per personal field (CCPA letter, sensitive flag, purposes, source, recipients,
    /// retention, what erasure does and the safeguards).
    pub fn to_markdown(&self) -> String {
        let rows = self.rows();
        let s = Art30::of(&rows);
        let mut out = String::from("# Record of processing activities (GDPR Art. 30(1))\n");
        for (title, items) in [
            ("Purposes of processing", &s.purposes),
            ("Categories of data subjects", &s.subjects),
            ("Categories of personal data", &s.categories),
            ("Categories of recipients", &s.recipients),
            ("Retention periods", &s.retention),
            ("Security measures", &s.security),
        ] {
            let _ = writeln!(out, "\n## {title}\n");
            if items.is_empty() {
                let _ = writeln!(out, "- none");
            }
            for item in items {
                let _ = writeln!(out, "- {}", text(item));
            }
        }
        out.push_str(
            "\n## Fields\n\n\
             | record | subject | field | category | CCPA | purposes | source | recipients | retention | on erase | safeguards |\n\
             |---|---|---|---|---|---|---|---|---|---|---|\n",
        );
        for r in rows {
            let sensitive = if r.sensitive { " (sensitive)" } else { "" };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {}{} | {} | {} | {} | {} | {} | {} |",
                text(r.record),
                text(r.subject),
                text(r.field),
                text(r.category),
                r.ccpa_letter,
                sensitive,
                dash(&text(&r.purposes.join(", "))),
                text(r.source.unwrap_or("-")),
                dash(&text(&r.recipients.join(", "))),
                text(&r.retention),
                text(&r.on_erase),
                dash(&text(&r.safeguards.join(", "))),
            );
        }
        out
    }

    /// Checks a policy against what the code collects.
    pub fn check(&self, policy: &Policy) -> CoverageReport {
        coverage::check(&self.rows(), policy)
    }
}

/// The Art. 30(1) items of an inventory, each a sorted, deduplicated list.
struct Art30 {
    purposes: Vec<String>,
    subjects: Vec<String>,
    categories: Vec<String>,
    recipients: Vec<String>,
    retention: Vec<String>,
    security: Vec<String>,
}

impl Art30 {
    fn of(rows: &[InventoryRow]) -> Art30 {
        let set = |f: &dyn Fn(&InventoryRow) -> Vec<String>| -> Vec<String> {
            rows.iter()
                .flat_map(f)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect()
        };
        Art30 {
            purposes: set(&|r| r.purposes.iter().map(|p| (*p).to_owned()).collect()),
            subjects: set(&|r| vec![r.subject.to_owned()]),
            categories: set(&|r| {
                let sensitive = if r.sensitive { ", sensitive" } else { "" };
                vec![format!(
                    "{} (CCPA {}{sensitive})",
                    r.category, r.ccpa_letter
                )]
            }),
            recipients: set(&|r| r.recipients.iter().map(|p| (*p).to_owned()).collect()),
            retention: set(&|r| vec![format!("{}: {}", r.category, r.retention)]),
            security: set(&|r| {
                r.safeguards
                    .iter()
                    .map(|s| format!("{}.{}: {s}", r.record, r.field))
                    .collect()
            }),
        }
    }
}

fn dash(s: &str) -> &str {
    if s.is_empty() {
        "-"
    } else {
        s
    }
}

fn is_personal(f: &FieldMeta) -> bool {
    matches!(f.kind, FieldKind::Personal | FieldKind::SubjectId) && f.category.is_some()
}

fn row(s: &RecordSchema, kind: &'static str, f: &FieldMeta) -> InventoryRow {
    let category = f
        .category
        .unwrap_or(crate::Category::Custom("custom:unknown"));
    let mut safeguards = Vec::new();
    if f.encrypted {
        safeguards.push("encrypted".to_owned());
    }
    if f.blind_index && f.blind_index_bits == crate::schema::DEFAULT_BLIND_INDEX_BITS {
        safeguards.push("blind index".to_owned());
    } else if f.blind_index {
        safeguards.push(format!("blind index ({} bits)", f.blind_index_bits));
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
        (ErasePolicy::Reset, _) => "reset to the type's default".to_owned(),
    };
    InventoryRow {
        record: s.name,
        subject: kind,
        field: f.name,
        category: category.name(),
        ccpa_category: category.ccpa().label(),
        ccpa_letter: category.ccpa().letter(),
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
