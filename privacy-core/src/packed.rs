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
            2 => ErasePolicy::Retain,
            _ => ErasePolicy::Reset,
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
/// `legal_basis` and `source` are `""` when not given (the derive rejects an empty one), so
/// the generated call writes one literal for each, not an `Option`.
#[allow(clippy::too_many_arguments)]
pub const fn personal(
    name: &'static str,
    key: &'static str,
    container: &'static str,
    code: u64,
    category: Category,
    purposes: &'static [Purpose],
    legal_basis: &'static str,
    source: &'static str,
    recipients: &'static [&'static str],
) -> FieldMeta {
    let mut meta = field(name, key, container, code);
    meta.category = Some(category);
    meta.purposes = purposes;
    meta.legal_basis = given(legal_basis);
    meta.source = given(source);
    meta.recipients = recipients;
    meta
}

/// A text attribute: `None` for `""`, which stands for "not given".
const fn given(text: &'static str) -> Option<&'static str> {
    if text.is_empty() {
        None
    } else {
        Some(text)
    }
}

#[cfg(test)]
mod tests {
    use super::{field, personal};
    use crate::schema::{Anonymizer, ErasePolicy, FieldKind, Retention, RetentionUnit};
    use crate::vocabulary::{packed as bits, ANONYMIZERS, RETENTION_UNITS};
    use crate::Category;

    #[test]
    fn every_anonymizer_row_unpacks_to_its_variant() {
        for (row, entry) in ANONYMIZERS.iter().enumerate() {
            let meta = field("f", "f", "S", (row as u64 + 1) << bits::ANONYMIZER);
            let anonymizer = meta.anonymizer.expect("an anonymizer");
            assert_eq!(anonymizer.name(), entry.name);
            assert_eq!(format!("{anonymizer:?}"), entry.variant);
        }
        assert_eq!(field("f", "f", "S", 0).anonymizer, None);
    }

    #[test]
    fn every_retention_unit_row_unpacks_to_its_variant() {
        for (row, entry) in RETENTION_UNITS.iter().enumerate() {
            let code = 3 << bits::RETENTION | (row as u64) << bits::UNIT | 7 << bits::AMOUNT;
            let Retention::Period { amount, unit } = field("f", "f", "S", code).retention else {
                panic!("a period");
            };
            assert_eq!(amount, 7);
            assert_eq!(format!("{unit:?}"), entry.variant);
        }
        let at = |r: u64| field("f", "f", "S", r << bits::RETENTION).retention;
        assert_eq!(at(0), Retention::Unspecified);
        assert_eq!(at(1), Retention::Account);
        assert_eq!(at(2), Retention::Transient);
        let max = 3 << bits::RETENTION | u64::from(u32::MAX) << bits::AMOUNT;
        assert_eq!(
            field("f", "f", "S", max).retention,
            Retention::Period {
                amount: u32::MAX,
                unit: RetentionUnit::Days
            }
        );
    }

    #[test]
    fn kinds_policies_and_flags_unpack() {
        let kinds = [
            FieldKind::Personal,
            FieldKind::SubjectId,
            FieldKind::CollectedAt,
            FieldKind::Nested,
        ];
        for (code, kind) in kinds.into_iter().enumerate() {
            assert_eq!(field("f", "f", "S", code as u64).kind, kind);
        }
        let policies = [
            ErasePolicy::Delete,
            ErasePolicy::Anonymize,
            ErasePolicy::Retain,
            ErasePolicy::Reset,
        ];
        for (code, policy) in policies.into_iter().enumerate() {
            assert_eq!(
                field("f", "f", "S", (code as u64) << bits::ERASE).on_erase,
                policy
            );
        }
        let plain = field("name", "key", "Container", 0);
        assert!(!plain.encrypted && !plain.blind_index && plain.exported);
        assert!(!plain.serde.opaque && !plain.serde.skip_if && !plain.serde.skipped);
        assert_eq!(
            (plain.name, plain.serde.key, plain.serde.container),
            ("name", "key", "Container")
        );
        let all = bits::ENCRYPTED
            | bits::BLIND_INDEX
            | bits::WITHHELD
            | bits::SERDE_OPAQUE
            | bits::SERDE_SKIP_IF
            | bits::SERDE_SKIPPED
            | 256 << bits::BLIND_INDEX_BITS;
        let set = field("f", "f", "S", all);
        assert!(set.encrypted && set.blind_index && !set.exported);
        assert!(set.serde.opaque && set.serde.skip_if && set.serde.skipped);
        assert_eq!(set.blind_index_bits, 256);
        assert_eq!(set.anonymizer, None::<Anonymizer>);
        let p = personal(
            "f",
            "f",
            "S",
            0,
            Category::ContactEmail,
            &[],
            "law",
            "user",
            &["host"],
        );
        assert_eq!(p.category, Some(Category::ContactEmail));
        assert_eq!((p.legal_basis, p.source), (Some("law"), Some("user")));
        assert_eq!(p.recipients, &["host"]);
    }
}
