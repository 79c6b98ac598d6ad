//! The validated model that `expand.rs` generates code from: every attribute resolved to its
//! meaning, with the spans generated code should point at.

use proc_macro2::Span;
use syn::Path;

use crate::ast::{Container, Field};

/// A struct that passed validation.
pub struct Record<'a> {
    pub input: &'a Container<'a>,
    pub subject_kind: String,
    /// The stable record name (`#[personal(name)]` or the identifier).
    pub name: String,
    /// The name serde passes to `serialize_struct` (`#[serde(rename)]` or the identifier).
    pub serde_container: String,
    pub fields: Vec<FieldPlan<'a>>,
}

/// What to generate for one field.
pub struct FieldPlan<'a> {
    pub field: &'a Field<'a>,
    pub role: Role,
    /// The key serde writes the field under.
    pub serde_key: String,
}

/// The resolved role of a field.
pub enum Role {
    /// `category = ...` or `subject_id`: a personal value.
    Personal(Box<Personal>),
    /// `collected_at`.
    CollectedAt,
    /// `nested`.
    Nested,
    /// `not_personal`.
    NotPersonal,
    /// `record_id`: names this one record; printed and exported like `not_personal`.
    RecordId,
}

/// Everything the attributes say about a personal field.
pub struct Personal {
    pub subject_id: bool,
    pub category: CategoryRef,
    pub purposes: Vec<String>,
    pub retention: RetentionRef,
    pub anonymizer: Option<AnonymizerRef>,
    pub encrypted: bool,
    pub blind_index: bool,
    /// The bits kept of each blind index (`blind_index(bits = N)`, or the default).
    pub blind_index_bits: u16,
    pub on_erase: ErasePlan,
    pub legal_basis: Option<String>,
    pub source: Option<String>,
    pub recipients: Vec<String>,
    pub exported: bool,
}

/// A category: a taxonomy variant or a custom name (`custom:...`).
pub enum CategoryRef {
    Known {
        name: &'static str,
        variant: &'static str,
    },
    Custom(String),
}

impl CategoryRef {
    /// The dotted name, as the Debug tag prints it.
    pub fn name(&self) -> &str {
        match self {
            CategoryRef::Known { name, .. } => name,
            CategoryRef::Custom(name) => name,
        }
    }
}

/// A parsed retention value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum RetentionRef {
    Unspecified,
    Period { amount: u32, unit: &'static str },
    Account,
    Transient,
}

/// A built-in anonymizer (its marker and variant) or a user function.
pub enum AnonymizerRef {
    Builtin {
        name: &'static str,
        variant: &'static str,
        span: Span,
    },
    Custom(Path),
}

/// The erase policy, with the span the generated erase call should carry so trait errors
/// (a type that cannot be deleted) point at the user's token.
pub struct ErasePlan {
    pub policy: ErasePolicy,
    pub span: Span,
}

/// `on_erase` values.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ErasePolicy {
    Delete,
    Anonymize,
    Retain,
    /// The type's `Default` (for types with no empty state: C-like enums, newtypes).
    Reset,
}

impl Personal {
    /// Whether erasure or expiry may delete the value in place: with `Erase`, or, for
    /// `on_erase = "reset"`, with the type's `Default`.
    pub fn may_delete(&self) -> bool {
        let expires = matches!(
            self.retention,
            RetentionRef::Period { .. } | RetentionRef::Transient
        );
        matches!(
            self.on_erase.policy,
            ErasePolicy::Delete | ErasePolicy::Reset
        ) || (expires && self.on_erase.policy == ErasePolicy::Retain)
    }
}
