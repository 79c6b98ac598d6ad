//! # privacy-core
//!
//! Turn a privacy policy's promises into annotations on the structs that hold personal data,
//! and generate the code that keeps them.
#![doc = include_str!("../doc/overview.md")]
#![deny(unsafe_code)] // audited exceptions: crypto/os/fork.rs (pthread_atfork), crypto/os/clock.rs (clock_gettime)
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod anonymize;
mod category;
pub mod crypto;
pub mod dsar;
mod erase;
mod field_set;
#[cfg(feature = "tower")]
pub mod http;
pub mod inventory;
mod json;
mod nested;
mod packed;
mod personal;
pub mod pii;
mod record;
mod redact;
mod redacted;
pub mod requests;
pub mod schema;
mod subject;
#[cfg(feature = "testing")]
pub mod testing;
mod tree;
mod visit;
mod visit_mut;
mod vocabulary;

#[doc(hidden)]
#[path = "__private.rs"]
pub mod __private;

pub use category::{Category, CcpaCategory};
pub use erase::Erase;
pub use personal::{PersonalData, PersonalValue};
pub use redact::Tag;
pub use redacted::Redacted;
pub use schema::{
    Anonymizer, ErasePolicy, FieldMeta, Purpose, RecordSchema, Retention, SerdeField, SerdeName,
};
pub use subject::{CollectedAt, SubjectId};
pub use visit::{FieldValue, NestedDyn, Visitor};
pub use visit_mut::{FieldMut, VisitorMut};

/// Derives [`PersonalData`] and a redacted [`Debug`](core::fmt::Debug); see the crate docs.
///
/// Do not also derive `Debug`: a derived one would print every value. In its own
/// `#[derive(Debug)]` attribute it is a compile error saying so; in the same list as
/// `PersonalData` (`#[derive(Debug, PersonalData)]`) rustc reports it as E0119, "conflicting
/// implementations of trait `Debug`" (the derive cannot see its neighbours in one list):
/// remove `Debug` there too.
#[cfg(feature = "derive")]
pub use privacy_derive::PersonalData;

/// The README's examples run as doc tests, so the first page a user reads stays true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
