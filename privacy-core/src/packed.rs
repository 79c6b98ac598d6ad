//! The derive's packed schema: [`field`] and [`personal`] build a [`FieldMeta`] from one
//! integer (`vocabulary::packed`) and the field's texts, so a generated schema names no
//! enum variant but the category.
//!
//! Every property that is an enum or a flag is a few bits of that integer: a generated
//! `FieldMeta` is then a handful of literals for the compiler to read, not a struct literal
//! of a dozen paths. The values are the same; only how the derive writes them down changes.

// Every cast below is of a value `get` masked to fewer bits than the target type.
#![allow(clippy::cast_possible_truncation)]

use crate::schema::{
    Anonymizer, ErasePolicy, FieldKind, FieldMeta, Purpose, Retention, RetentionUnit, SerdeField,
};
use crate::vocabulary::packed as bits;
use crate::Category;

/// `bits` of `code` from `shift`.
const fn get(code: u64, shift: u32, width: u32) -> u64 {
    (code >> shift) & ((1 << width) - 1)
}

/// A field's `FieldMeta` with no category (`collected_at`, `nested`): `code` packs its kind,
/// policies and flags.
pub const fn field(
    name: &'static str,
    key: &'static str,
    container: &'static str,
    code: u64,
) -> FieldMeta {
    FieldMeta {
        name,
        kind: match get(code, bits::KIND, 2) {
            0 => FieldKind::Personal,
            1 => FieldKind::SubjectId,
            2 => FieldKind::CollectedAt,
            _ => FieldKind::Nested,
        },
        category: None,
        purposes: &[],
        retention: match get(code, bits::RETENTION, 2) {
            0 => Retention::Unspecified,
            1 => Retention::Account,
            2 => Retention::Transient,
            _ => Retention::Period {
                amount: get(code, bits::AMOUNT, 32) as u32,
                unit: RetentionUnit::BY_ROW[get(code, bits::UNIT, 3) as usize],
            },
        },
        anonymizer: match get(code, bits::ANONYMIZER, 4) {
            0 => None,
            row => Some(Anonymizer::BY_ROW[row as usize - 1]),
        },
        encrypted: code & bits::ENCRYPTED != 0,
        blind_index: code & bits::BLIND_INDEX != 0,
        blind_index_bits: get(code, bits::BLIND_INDEX_BITS, 9) as u16,
        on_erase: match get(code, bits::ERASE, 2) {
            0 => ErasePolicy::Delete,
            1 => ErasePolicy::Anonymize,
            _ => ErasePolicy::Retain,
        },
        legal_basis: None,
        source: None,
        recipients: &[],
        exported: code & bits::WITHHELD == 0,
        nested: None,
        serde: SerdeField {
            key,
            container,
            opaque: code & bits::SERDE_OPAQUE != 0,
            skip_if: code & bits::SERDE_SKIP_IF != 0,
            skipped: code & bits::SERDE_SKIPPED != 0,
        },
    }
}

/// A personal or subject-id field's `FieldMeta`: [`field`] with its category and texts.
#[allow(clippy::too_many_arguments)]
pub const fn personal(
    name: &'static str,
    key: &'static str,
    container: &'static str,
    code: u64,
    category: Category,
    purposes: &'static [Purpose],
    legal_basis: Option<&'static str>,
    source: Option<&'static str>,
    recipients: &'static [&'static str],
) -> FieldMeta {
    let mut meta = field(name, key, container, code);
    meta.category = Some(category);
    meta.purposes = purposes;
    meta.legal_basis = legal_basis;
    meta.source = source;
    meta.recipients = recipients;
    meta
}
