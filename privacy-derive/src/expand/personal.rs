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
use super::{impl_header, over_fields, private_at, schema_index, span_of, type_span, Place};
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
            over_fields(out, record, &|out, plan, place| {
                if let Some(i) = schema_index(record, plan) {
                    visit_field(out, plan, i, place);
                }
            });
        });
        out.s("#[inline] fn visit_fields_mut(&mut self, __v: &mut dyn __p::VisitorMut) ");
        out.group(Delimiter::Brace, |out| {
            out.s("let __s = <Self as __p::Record>::SCHEMA.fields;");
            over_fields(out, record, &|out, plan, place| {
                if let Some(i) = schema_index(record, plan) {
                    visit_mut_field(out, plan, i, place);
                }
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
        over_fields(out, record, &|out, plan, place| {
            if !role(&plan.role) {
                return;
            }
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
        });
        out.s("__p::None");
    });
}

fn visit_field(out: &mut Out, plan: &FieldPlan<'_>, index: usize, place: Place<'_>) {
    let span = type_span(plan);
    match &plan.role {
        Role::Personal(_) | Role::CollectedAt => {
            out.s("__v.field");
            out.group(Delimiter::Parenthesis, |out| {
                out.s("&__s[").int(index as u64).s("], ");
                let place = place.at(span);
                out.t(&quote_spanned!(span=> &#place));
            });
            out.s(";");
        }
        Role::Nested => {
            let (p, place) = (private_at(span), place.at(span));
            let meta = meta(index);
            out.t(&quote_spanned!(span=> #p::visit_nested(__v, #meta, (&#p::NestedRef(&#place)).get());));
        }
        Role::NotPersonal | Role::RecordId => {}
    }
}

/// `&__s[index]`: the field's `FieldMeta`.
fn meta(index: usize) -> TokenStream {
    lex(&format!("&__s[{index}]"))
}

/// A personal field as a `Slot` with the operations its attributes call for; a nested field
/// as its records.
fn visit_mut_field(out: &mut Out, plan: &FieldPlan<'_>, index: usize, place: Place<'_>) {
    let span = type_span(plan);
    match &plan.role {
        Role::Personal(x) => {
            out.s("__v.field");
            out.group(Delimiter::Parenthesis, |out| {
                // The slot and the place carry no user span: only the operations have bounds,
                // and each points at its own attribute.
                out.s("&__s[").int(index as u64).s("], &mut __p::slot");
                out.group(Delimiter::Parenthesis, |out| {
                    out.s("&mut ").s(&place.text()).s(", ");
                    delete_op(out, x);
                    out.s(", ");
                    anonymize_op(out, x);
                });
            });
            out.s(";");
        }
        Role::Nested => {
            let (p, place) = (private_at(span), place.at(span));
            let meta = meta(index);
            out.t(
                &quote_spanned!(span=> __v.nested(#meta, (&mut #p::NestedMut(&mut #place)).get());),
            );
        }
        Role::CollectedAt | Role::NotPersonal | Role::RecordId => {}
    }
}

/// Deleting in place, when erasure or expiry may delete the field; spanned at `on_erase` (or
/// the type when the policy is the default) so "cannot be deleted in place" points there.
fn delete_op(out: &mut Out, x: &Personal) {
    if !x.may_delete() {
        out.s("__p::None");
        return;
    }
    let span = x.on_erase.span;
    let p = private_at(span);
    if x.on_erase.policy == ErasePolicy::Reset {
        out.t(&quote_spanned!(span=> #p::Some(#p::erase_reset)));
    } else {
        out.t(&quote_spanned!(span=> #p::Some(#p::erase_delete)));
    }
}

/// The field's anonymizer; spanned at it so a type mismatch points there.
fn anonymize_op(out: &mut Out, x: &Personal) {
    match &x.anonymizer {
        Some(AnonymizerRef::Builtin { name, span, .. }) => {
            let p = private_at(*span);
            let marker = Ident::new(name, *span);
            out.t(&quote_spanned!(*span=> #p::Some(#p::anonymize::<#p::anon::#marker, _>)));
        }
        Some(AnonymizerRef::Custom(path)) => {
            let span = span_of(path);
            let p = private_at(span);
            out.t(&quote_spanned!(span=> #p::Some(|__x| #p::anonymize_custom(__x, #path))));
        }
        None => {
            out.s("__p::None");
        }
    }
}
