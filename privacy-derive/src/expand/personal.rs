//! `impl PersonalData`: each method a list of per-field calls into privacy-core, over the
//! fields of the struct or of the active variant.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::Ident;

use super::bounds::{personal_bounds, with_bounds};
use super::{over_fields, private, private_at, schema_index, span_of, type_span, Place};
use crate::model::{AnonymizerRef, ErasePolicy, FieldPlan, Personal, Record, RetentionRef, Role};

pub fn impl_personal_data(record: &Record<'_>) -> TokenStream {
    let ident = record.input.ident;
    let p = private();
    let (impl_generics, ty_generics, where_clause) = with_bounds(record, &personal_bounds(record));
    let getter = |role: fn(&Role) -> bool, call: TokenStream| {
        over_fields(record, &|plan, place| {
            if !role(&plan.role) {
                return TokenStream::new();
            }
            if let Some(with) = plan.field.attrs.with.get() {
                let span = span_of(with);
                let place = place(span);
                return quote_spanned!(span=> return #with(&#place););
            }
            let span = type_span(plan);
            let (p, place) = (private_at(span), place(span));
            quote_spanned!(span=> return #p::#call(&#place);)
        })
    };
    let subject_id = getter(
        |r| matches!(r, Role::Personal(x) if x.subject_id),
        quote!(SubjectIdValue::subject_id),
    );
    let collected_at = getter(
        |r| matches!(r, Role::CollectedAt),
        quote!(CollectedAtValue::collected_at),
    );
    let record_id = getter(
        |r| matches!(r, Role::RecordId),
        quote!(SubjectIdValue::subject_id),
    );
    let with_meta = |f: fn(&FieldPlan<'_>, &TokenStream, Place<'_>) -> TokenStream| {
        over_fields(record, &|plan, place| match schema_index(record, plan) {
            Some(i) => f(plan, &quote!(&__s.fields[#i]), place),
            None => TokenStream::new(),
        })
    };
    let export = with_meta(export_field);
    let erase = with_meta(erase_field);
    let anonymize = with_meta(anonymize_field);
    let expire = with_meta(expire_field);
    let visit = with_meta(visit_field);
    quote! {
        #[automatically_derived]
        #[allow(unreachable_code, unused_variables, clippy::needless_return)]
        impl #impl_generics #p::PersonalData for #ident #ty_generics #where_clause {
            fn schema() -> &'static #p::RecordSchema {
                <Self as #p::Nested>::SCHEMA
            }
            fn record_schema(&self) -> &'static #p::RecordSchema {
                <Self as #p::Nested>::SCHEMA
            }
            fn subject_id(&self) -> #p::Option<#p::String> {
                #subject_id
                #p::None
            }
            fn collected_at(&self) -> #p::Option<#p::Time> {
                #collected_at
                #p::None
            }
            fn record_id(&self) -> #p::Option<#p::String> {
                #record_id
                #p::None
            }
            fn export(&self) -> #p::RecordExport {
                let __s = <Self as #p::Nested>::SCHEMA;
                let mut __x = #p::RecordExport::new(__s, #p::PersonalData::subject_id(self));
                #export
                __x
            }
            fn erase(&mut self) -> #p::ErasureReport {
                let __s = <Self as #p::Nested>::SCHEMA;
                let mut __x = #p::ErasureReport::new(__s.type_name, #p::PersonalData::subject_id(self));
                #erase
                __x
            }
            fn anonymize(&mut self) {
                let __s = <Self as #p::Nested>::SCHEMA;
                #anonymize
            }
            fn expire(&mut self, __now: #p::Time) -> #p::ErasureReport {
                let __s = <Self as #p::Nested>::SCHEMA;
                let __c = #p::PersonalData::collected_at(self);
                let mut __x = #p::ErasureReport::new(__s.type_name, #p::PersonalData::subject_id(self));
                #expire
                __x
            }
            fn visit(&self, __v: &mut dyn #p::Visitor) {
                let __s = <Self as #p::Nested>::SCHEMA;
                #visit
            }
        }
    }
}

fn visit_field(plan: &FieldPlan<'_>, meta: &TokenStream, place: Place<'_>) -> TokenStream {
    let span = type_span(plan);
    let (p, place) = (private_at(span), place(span));
    match &plan.role {
        Role::Personal(_) | Role::CollectedAt => {
            quote_spanned!(span=> #p::Visitor::field(__v, #meta, &#place);)
        }
        Role::Nested => {
            quote_spanned!(span=> #p::visit_nested(__v, #meta, (&#p::NestedRef(&#place)).get());)
        }
        Role::NotPersonal | Role::RecordId => TokenStream::new(),
    }
}

fn export_field(plan: &FieldPlan<'_>, meta: &TokenStream, place: Place<'_>) -> TokenStream {
    let span = type_span(plan);
    let (p, place) = (private_at(span), place(span));
    match &plan.role {
        Role::Personal(_) => {
            quote_spanned!(span=> #p::export_value(#meta, &#place, &mut __x);)
        }
        Role::Nested => {
            quote_spanned!(span=> #p::export_nested(#meta, (&#p::NestedRef(&#place)).get(), &mut __x);)
        }
        Role::CollectedAt | Role::NotPersonal | Role::RecordId => TokenStream::new(),
    }
}

fn erase_field(plan: &FieldPlan<'_>, meta: &TokenStream, place: Place<'_>) -> TokenStream {
    match &plan.role {
        Role::Personal(x) => match x.on_erase.policy {
            ErasePolicy::Delete => delete_call(x, meta, place),
            ErasePolicy::Anonymize => anonymize_call(x, meta, place),
            ErasePolicy::Retain => {
                let p = private();
                quote!(#p::erase_retain(__s.type_name, #meta, &mut __x);)
            }
        },
        Role::Nested => {
            let span = type_span(plan);
            let (p, place) = (private_at(span), place(span));
            quote_spanned!(span=> #p::erase_nested((&mut #p::NestedMut(&mut #place)).get(), &mut __x);)
        }
        Role::CollectedAt | Role::NotPersonal | Role::RecordId => TokenStream::new(),
    }
}

fn expire_field(plan: &FieldPlan<'_>, meta: &TokenStream, place: Place<'_>) -> TokenStream {
    match &plan.role {
        Role::Personal(x)
            if matches!(
                x.retention,
                RetentionRef::Period { .. } | RetentionRef::Transient
            ) =>
        {
            let action = if x.on_erase.policy == ErasePolicy::Anonymize {
                anonymize_call(x, meta, place)
            } else {
                delete_call(x, meta, place)
            };
            quote! {
                if (#meta).retention.is_expired(__c, __now) {
                    #action
                }
            }
        }
        Role::Nested => {
            let span = type_span(plan);
            let (p, place) = (private_at(span), place(span));
            quote_spanned!(span=> #p::expire_nested((&mut #p::NestedMut(&mut #place)).get(), __now, &mut __x);)
        }
        _ => TokenStream::new(),
    }
}

fn anonymize_field(plan: &FieldPlan<'_>, _meta: &TokenStream, place: Place<'_>) -> TokenStream {
    match &plan.role {
        Role::Personal(x) => match &x.anonymizer {
            Some(AnonymizerRef::Builtin { name, span, .. }) => {
                let (p, place) = (private_at(*span), place(*span));
                let marker = Ident::new(name, *span);
                quote_spanned!(*span=> #p::anonymize::<#p::anon::#marker, _>(&mut #place);)
            }
            Some(AnonymizerRef::Custom(path)) => {
                let span = span_of(path);
                let (p, place) = (private_at(span), place(span));
                quote_spanned!(span=> #p::anonymize_custom(&mut #place, #path);)
            }
            None => TokenStream::new(),
        },
        Role::Nested => {
            let span = type_span(plan);
            let (p, place) = (private_at(span), place(span));
            quote_spanned!(span=> #p::anonymize_nested((&mut #p::NestedMut(&mut #place)).get());)
        }
        Role::CollectedAt | Role::NotPersonal | Role::RecordId => TokenStream::new(),
    }
}

/// Deletes the field; spanned at `on_erase` (or the type when the policy is the default) so
/// "cannot be deleted in place" points there.
fn delete_call(x: &Personal, meta: &TokenStream, place: Place<'_>) -> TokenStream {
    let span = x.on_erase.span;
    let (p, place) = (private_at(span), place(span));
    quote_spanned!(span=> #p::erase_delete(__s.type_name, #meta, &mut #place, &mut __x);)
}

/// Anonymizes the field as erasure; spanned at the anonymizer so a type mismatch points there.
fn anonymize_call(x: &Personal, meta: &TokenStream, place: Place<'_>) -> TokenStream {
    match &x.anonymizer {
        Some(AnonymizerRef::Builtin { name, span, .. }) => {
            let (p, place) = (private_at(*span), place(*span));
            let marker = Ident::new(name, *span);
            quote_spanned!(*span=> #p::report_anonymized(__s.type_name, #meta, #p::anonymize::<#p::anon::#marker, _>(&mut #place), &mut __x);)
        }
        Some(AnonymizerRef::Custom(path)) => {
            let span = span_of(path);
            let (p, place) = (private_at(span), place(span));
            quote_spanned!(span=> #p::erase_custom(__s.type_name, #meta, &mut #place, #path, &mut __x);)
        }
        None => TokenStream::new(),
    }
}
