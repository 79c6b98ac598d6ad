//! Paths used only by code that `#[derive(PersonalData)]` generates: re-exports, nothing else.
//! Not public API: no stability promise, and nothing here should be called by hand.

pub use crate::anonymize::apply::{anonymize, anonymize_custom};
pub use crate::anonymize::Anonymize;

/// The marker types of `#[personal(anonymize = "...")]`, one per anonymizer name, and the
/// traits they implement.
pub mod anon {
    pub use crate::anonymize::strategies::*;
    pub use crate::anonymize::strategy::{Strategy, TextStrategy};
}
pub use crate::category::Category;
pub use crate::dsar::SUBJECT_ID_BASIS;
pub use crate::erase::{erase_delete, erase_reset, Erase};
pub use crate::nested::{
    Nested, NestedDebug, NestedMut, NestedMutGet, NestedMutNone, NestedRef, NestedRefGet,
    NestedRefNone,
};
pub use crate::packed::{field, personal};
pub use crate::personal::PersonalData;
pub use crate::record::Record;
pub use crate::redact::{debug_fields, debug_packed, TagLiteral};
pub use crate::requests::Registration;
pub use crate::schema::{
    Anonymizer, ErasePolicy, FieldKind, FieldMeta, Purpose, RecordSchema, Retention, RetentionUnit,
    SerdeField, Shape,
};
pub use crate::subject::{CollectedAtValue, SubjectIdValue};
pub use crate::visit::{visit_fields, visit_nested, NestedDyn, Visitor};
pub use crate::visit_mut::{
    slot, slot_anonymize, slot_delete, slot_ops, slot_plain, visit_fields_mut, VisitorMut,
};
pub use core::option::Option::{self, None, Some};
pub use inventory;
pub use serde::Serialize as SerializeTrait;
pub use std::string::String;
pub use std::time::SystemTime as Time;
pub use std::vec::Vec;

/// The crypto storage layout (envelope header, key-table rows), for tests that write the
/// stored form directly.
pub mod layout {
    pub use crate::crypto::aead::envelope::{HEADER_LEN, MIN_LEN, NONCE_LEN, TAG_LEN, VERSION};
    pub use crate::crypto::keys::index_keys::{
        INDEX_KEY_BASE, INDEX_KEY_VERSION, LEGACY_INDEX_VERSION,
    };
}
