//! `impl Record`, the one trait impl besides `Debug`: the schema constant, the two field
//! visitors (`visit_fields`, `visit_fields_mut`, each a list of per-field calls over the
//! fields of the struct or of the active variant), and the getters of the fields that name
//! the subject, the collection time and the record. privacy-core makes every `Record`
//! `PersonalData` and `Nested`; `export`, `erase`, `anonymize` and `expire` are ordinary code
//! there, driven by the visitors and the schema, so nothing else is generated per record.

use proc_macro2::{Delimiter, TokenStream};
use quote::quote_spanned;
use syn::Ident;

use super::bounds::personal_bounds;
use super::out::{lex, Out};
use super::schema::schema_const;
use super::{
    impl_header, over_fields, over_groups, private_at, schema_index, span_of, type_span, Place,
    Used,
};
use crate::model::{AnonymizerRef, ErasePolicy, FieldPlan, Personal, Record, Role};

pub fn impl_record(out: &mut Out, record: &Record<'_>) {
    out.s("#[automatically_derived] #[allow(unreachable_code, unused_variables, clippy::needless_return)] ");
    impl_header(out, record, &personal_bounds(record), " __p::Record");
    out.group(Delimiter::Brace, |out| {
        schema_const(out, record);
        getter(
            out,
            record,
            |r| matches!(r, Role::Personal(x) if x.subject_id),
            "subject_id_field(&self) -> __p::Option<__p::String>",
            "SubjectIdValue::subject_id",
        );
        getter(
            out,
            record,
            |r| matches!(r, Role::CollectedAt),
            "collected_at_field(&self) -> __p::Option<__p::Time>",
            "CollectedAtValue::collected_at",
        );
        getter(
            out,
            record,
            |r| matches!(r, Role::RecordId),
            "record_id_field(&self) -> __p::Option<__p::String>",
            "SubjectIdValue::subject_id",
        );
        out.s("#[inline] fn visit_fields(&self, __v: &mut dyn __p::Visitor) ");
        out.group(Delimiter::Brace, |out| {
            out.s("let __s = <Self as __p::Record>::SCHEMA.fields;");
            over_groups(out, record, &visited, &|out, fields| {
                visit_body(out, record, fields, false);
            });
        });
        out.s("#[inline] fn visit_fields_mut(&mut self, __v: &mut dyn __p::VisitorMut) ");
        out.group(Delimiter::Brace, |out| {
            out.s("let __s = <Self as __p::Record>::SCHEMA.fields;");
            over_groups(out, record, &visited_mut, &|out, fields| {
                visit_body(out, record, fields, true);
            });
        });
    });
}

/// A getter, generated only when some field has the role; the trait's default is `None`.
fn getter(out: &mut Out, record: &Record<'_>, role: fn(&Role) -> bool, sig: &str, call: &str) {
    if !record.fields.iter().any(|plan| role(&plan.role)) {
        return;
    }
    out.s("#[inline] fn ").s(sig);
    out.group(Delimiter::Brace, |out| {
        over_fields(
            out,
            record,
            &|plan| role(&plan.role),
            &|out, plan, place| {
                out.s("return ");
                if let Some(with) = plan.field.attrs.with.get() {
                    let span = span_of(with);
                    let place = place.at(span);
                    out.t(&quote_spanned!(span=> #with(&#place)));
                } else {
                    let span = type_span(plan);
                    let (p, place) = (private_at(span), place.at(span));
                    let call = lex(call);
                    out.t(&quote_spanned!(span=> #p::#call(&#place)));
                }
                out.s(";");
            },
        );
        out.s("__p::None");
    });
}

/// Whether `visit_fields` hands the field over: personal, subject-id, `collected_at` and
/// nested fields.
fn visited(plan: &FieldPlan<'_>) -> bool {
    matches!(
        plan.role,
        Role::Personal(_) | Role::CollectedAt | Role::Nested
    )
}

/// Whether `visit_fields_mut` hands the field over: personal, subject-id and nested fields.
fn visited_mut(plan: &FieldPlan<'_>) -> bool {
    matches!(plan.role, Role::Personal(_) | Role::Nested)
}

/// The visiting statements of a struct's (or a variant's) visited fields: each run of
/// consecutive non-nested fields is one `__p::visit_fields` (`__p::visit_fields_mut`) call
/// with the run's schema entries and a slice of its values; each nested field is its own call.
fn visit_body(out: &mut Out, record: &Record<'_>, fields: &[Used<'_, '_>], mutable: bool) {
    let mut rest = fields;
    while let Some(&(plan, place)) = rest.first() {
        let Some(index) = schema_index(record, plan) else {
            rest = &rest[1..];
            continue;
        };
        if matches!(plan.role, Role::Nested) {
            nested_field(out, plan, index, place, mutable);
            rest = &rest[1..];
            continue;
        }
        let run = rest
            .iter()
            .position(|(plan, _)| matches!(plan.role, Role::Nested))
            .unwrap_or(rest.len());
        let (values, after) = rest.split_at(run);
        rest = after;
        out.s(if mutable {
            "__p::visit_fields_mut"
        } else {
            "__p::visit_fields"
        });
        out.group(Delimiter::Parenthesis, |out| {
            if index == 0 {
                out.s("__v, __s, ");
            } else {
                out.s("__v, &__s[").int(index as u64).s("..], ");
            }
            out.s(if mutable { "&mut " } else { "&" });
            out.group(Delimiter::Bracket, |out| {
                for &(plan, place) in values {
                    if mutable {
                        slot(out, plan, place);
                    } else {
                        // The value spanned at the field's type: "not Serialize" points there.
                        let span = type_span(plan);
                        let place = place.at(span);
                        out.t(&quote_spanned!(span=> &#place));
                    }
                    out.s(",");
                }
            });
        });
        out.s(";");
    }
}

/// A nested field's records, handed to the visitor.
fn nested_field(
    out: &mut Out,
    plan: &FieldPlan<'_>,
    index: usize,
    place: Place<'_>,
    mutable: bool,
) {
    let span = type_span(plan);
    let (p, place) = (private_at(span), place.at(span));
    let meta = meta(index);
    if mutable {
        out.t(&quote_spanned!(span=> __v.nested(#meta, (&mut #p::NestedMut(&mut #place)).get());));
    } else {
        out.t(
            &quote_spanned!(span=> #p::visit_nested(__v, #meta, (&#p::NestedRef(&#place)).get());),
        );
    }
}

/// `&__s[index]`: the field's `FieldMeta`.
fn meta(index: usize) -> TokenStream {
    lex(&format!("&__s[{index}]"))
}

/// A personal field as a `Slot` with the operations its attributes call for: `__p::slot_ops`,
/// `slot_delete`, `slot_anonymize` or `slot_plain`, each operation a function.
fn slot(out: &mut Out, plan: &FieldPlan<'_>, place: Place<'_>) {
    let Role::Personal(x) = &plan.role else {
        return;
    };
    // The slot and the place carry no user span: only the operations have bounds, and each
    // points at its own attribute.
    let (delete, anonymize) = (x.may_delete(), x.anonymizer.is_some());
    out.s(match (delete, anonymize) {
        (true, true) => "&mut __p::slot_ops",
        (true, false) => "&mut __p::slot_delete",
        (false, true) => "&mut __p::slot_anonymize",
        (false, false) => "&mut __p::slot_plain",
    });
    out.group(Delimiter::Parenthesis, |out| {
        out.s("&mut ").s(&place.text());
        if delete {
            out.s(", ");
            delete_op(out, x);
        }
        if anonymize {
            out.s(", ");
            anonymize_op(out, x);
        }
    });
}

/// Deleting in place (erasure or expiry may delete the field); spanned at `on_erase` (or the
/// type when the policy is the default) so "cannot be deleted in place" points there.
fn delete_op(out: &mut Out, x: &Personal) {
    // `__p` spanned like the rest, as `private_at` would give it.
    let span = x.on_erase.span;
    if x.on_erase.policy == ErasePolicy::Reset {
        out.t(&quote_spanned!(span=> __p::erase_reset));
    } else {
        out.t(&quote_spanned!(span=> __p::erase_delete));
    }
}

/// The field's anonymizer; spanned at it so a type mismatch points there.
fn anonymize_op(out: &mut Out, x: &Personal) {
    match &x.anonymizer {
        Some(AnonymizerRef::Builtin { name, span, .. }) => {
            let marker = Ident::new(name, *span);
            out.t(&quote_spanned!(*span=> __p::anonymize::<__p::anon::#marker, _>));
        }
        Some(AnonymizerRef::Custom(path)) => {
            let span = span_of(path);
            out.t(&quote_spanned!(span=> |__x| __p::anonymize_custom(__x, #path)));
        }
        None => {}
    }
}
