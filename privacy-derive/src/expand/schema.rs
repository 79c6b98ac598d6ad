//! The schema: the `RecordSchema` constant of `impl Record`, one `FieldMeta` per field.
//!
//! A field's `FieldMeta` is written packed: `__p::field(name, key, container, code)` or
//! `__p::personal(.., code, category, purposes, legal_basis, source, recipients)`, where
//! `code` is one integer holding every enum and flag property (`vocabulary::packed`). The
//! compiler then reads a few literals per field instead of a struct literal of paths.

use proc_macro2::Delimiter;
use quote::ToTokens;
use syn::ext::IdentExt;

use super::in_schema;
use super::out::Out;
use crate::ast::{Body, Style};
use crate::model::{
    AnonymizerRef, CategoryRef, ErasePolicy, FieldPlan, Personal, Record, RetentionRef, Role,
};
use crate::vocabulary::{packed, ANONYMIZERS, RETENTION_UNITS};

/// `const SCHEMA: &'static RecordSchema = ...;`, an item of `impl Record`.
pub fn schema_const(out: &mut Out, record: &Record<'_>) {
    let input = record.input;
    let shape = match &input.body {
        Body::Enum(_) => "Enum",
        Body::Struct(Style::Named) => "Named",
        Body::Struct(Style::Tuple) if input.fields.len() == 1 => "Newtype",
        Body::Struct(Style::Tuple) => "Tuple",
        Body::Struct(Style::Unit) => "Unit",
    };
    out.s("const SCHEMA: &'static __p::RecordSchema = &__p::RecordSchema ");
    out.group(Delimiter::Brace, |out| {
        out.s("type_name: ").lit(&input.ident.unraw().to_string());
        out.s(", name: ").lit(&record.name);
        out.s(", subject_kind: ").lit(&record.subject_kind);
        out.s(", shape: __p::Shape::").s(shape);
        out.s(", fields: &");
        out.group(Delimiter::Bracket, |out| {
            for plan in record.fields.iter().filter(|plan| in_schema(plan)) {
                field_meta(out, record, plan);
                out.s(",");
            }
        });
    });
    out.s(";");
}

/// The packed bits of what serde does with the field: whether it may be skipped, whether a
/// custom serializer hides its value.
fn serde_code(record: &Record<'_>, plan: &FieldPlan<'_>) -> u64 {
    let s = &plan.field.serde;
    let variant_skipped = plan
        .field
        .variant
        .is_some_and(|v| record.input.variants()[v].serde.skipped);
    let mut code = 0;
    if s.skip_if {
        code |= packed::SERDE_SKIP_IF;
    }
    if s.skipped || variant_skipped {
        code |= packed::SERDE_SKIPPED;
    }
    if s.serialize_with.is_some() {
        code |= packed::SERDE_OPAQUE;
    }
    code
}

/// `name, key, container, code` of `__p::field` and `__p::personal`.
fn common(out: &mut Out, record: &Record<'_>, plan: &FieldPlan<'_>, code: u64) {
    // Enum variants reach serde under names that depend on the representation: match the key
    // alone there.
    let container = if plan.field.variant.is_some() {
        ""
    } else {
        &record.serde_container
    };
    out.lit(&plan.field.schema_name)
        .s(", ")
        .lit(&plan.serde_key)
        .s(", ");
    out.lit(container)
        .s(", ")
        .int(code | serde_code(record, plan));
}

fn field_meta(out: &mut Out, record: &Record<'_>, plan: &FieldPlan<'_>) {
    match &plan.role {
        Role::CollectedAt => {
            out.s("__p::field");
            out.group(Delimiter::Parenthesis, |out| {
                common(out, record, plan, 2 << packed::KIND);
            });
        }
        Role::Nested => {
            out.s("__p::FieldMeta");
            out.group(Delimiter::Brace, |out| {
                // The user's type as written: "not PersonalData" points at it.
                out.s("nested: __p::Some");
                out.group(Delimiter::Parenthesis, |out| {
                    out.s("<").t(plan.field.ty).s(" as __p::Nested>::SCHEMA");
                });
                out.s(", ..__p::field");
                out.group(Delimiter::Parenthesis, |out| {
                    common(out, record, plan, 3 << packed::KIND);
                });
            });
        }
        Role::NotPersonal | Role::RecordId => {}
        Role::Personal(personal) => {
            let packed = |out: &mut Out| {
                out.s("__p::personal");
                out.group(Delimiter::Parenthesis, |out| {
                    personal_meta(out, record, plan, personal);
                });
            };
            if let Some(AnonymizerRef::Custom(path)) = &personal.anonymizer {
                // Not packed: a custom anonymizer holds its path as written.
                let text = path.to_token_stream().to_string().replace(' ', "");
                out.s("__p::FieldMeta");
                out.group(Delimiter::Brace, |out| {
                    out.s("anonymizer: __p::Some(__p::Anonymizer::Custom(")
                        .lit(&text);
                    out.s(")), ..");
                    packed(out);
                });
            } else {
                packed(out);
            }
        }
    }
}

/// The arguments of `__p::personal`.
fn personal_meta(out: &mut Out, record: &Record<'_>, plan: &FieldPlan<'_>, x: &Personal) {
    let mut code = u64::from(x.subject_id) << packed::KIND;
    code |= match x.on_erase.policy {
        ErasePolicy::Delete => 0,
        ErasePolicy::Anonymize => 1,
        ErasePolicy::Retain => 2,
        ErasePolicy::Reset => 3,
    } << packed::ERASE;
    code |= match x.retention {
        RetentionRef::Unspecified => 0,
        RetentionRef::Account => 1 << packed::RETENTION,
        RetentionRef::Transient => 2 << packed::RETENTION,
        RetentionRef::Period { amount, unit } => {
            let row = RETENTION_UNITS
                .iter()
                .position(|u| u.variant == unit)
                .expect("a unit of the vocabulary");
            3 << packed::RETENTION
                | (row as u64) << packed::UNIT
                | u64::from(amount) << packed::AMOUNT
        }
    };
    if let Some(AnonymizerRef::Builtin { variant, .. }) = &x.anonymizer {
        let row = ANONYMIZERS
            .iter()
            .position(|a| a.variant == *variant)
            .expect("an anonymizer of the vocabulary");
        code |= (row as u64 + 1) << packed::ANONYMIZER;
    }
    if x.encrypted {
        code |= packed::ENCRYPTED;
    }
    if x.blind_index {
        code |= packed::BLIND_INDEX;
    }
    if !x.exported {
        code |= packed::WITHHELD;
    }
    code |= u64::from(x.blind_index_bits) << packed::BLIND_INDEX_BITS;
    common(out, record, plan, code);
    match &x.category {
        CategoryRef::Known { variant, .. } => out.s(", __p::Category::").s(variant),
        CategoryRef::Custom(name) => out.s(", __p::Category::Custom(").lit(name).s(")"),
    };
    out.s(", &[");
    for purpose in &x.purposes {
        out.s("__p::Purpose(").lit(purpose).s("),");
    }
    out.s("], ");
    // `""` for a text not given (validation rejects an empty one).
    match (
        &x.legal_basis,
        x.subject_id && x.on_erase.policy == ErasePolicy::Retain,
    ) {
        (Some(basis), _) => out.lit(basis),
        (None, true) => out.s("__p::SUBJECT_ID_BASIS"),
        (None, false) => out.s("\"\""),
    };
    out.s(", ").lit(x.source.as_deref().unwrap_or(""));
    out.s(", &[");
    for recipient in &x.recipients {
        out.lit(recipient).s(",");
    }
    out.s("]");
}
