//! `impl Record`, the one trait impl besides `Debug`: the schema constant, the two field
//! visitors (`visit_fields`, `visit_fields_mut`, each a list of per-field calls over the
//! fields of the struct or of the active variant), and the getters of the fields that name
//! the subject, the collection time and the record. privacy-core makes every `Record`
//! `PersonalData` and `Nested`; `export`, `erase`, `anonymize` and `expire` are ordinary code
//! there, driven by the visitors and the schema, so nothing else is generated per record.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::Ident;

use super::bounds::{personal_bounds, with_bounds};
use super::schema::schema_const;
use super::{over_fields, private, private_at, schema_index, span_of, type_span, Place};
use crate::model::{AnonymizerRef, FieldPlan, Personal, Record, Role};

pub fn impl_record(record: &Record<'_>) -> TokenStream {
    let ident = record.input.ident;
    let p = private();
    let (impl_generics, ty_generics, where_clause) = with_bounds(record, &personal_bounds(record));
    // A getter is generated only when some field has the role; the trait's default is `None`.
    let getter =
        |role: fn(&Role) -> bool, name: TokenStream, ty: TokenStream, call: TokenStream| {
            if !record.fields.iter().any(|plan| role(&plan.role)) {
                return TokenStream::new();
            }
            let body = over_fields(record, &|plan, place| {
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
            });
            quote! {
                fn #name(&self) -> #p::Option<#ty> {
                    #body
                    #p::None
                }
            }
        };
    let subject_id = getter(
        |r| matches!(r, Role::Personal(x) if x.subject_id),
        quote!(subject_id_field),
        quote!(#p::String),
        quote!(SubjectIdValue::subject_id),
    );
    let collected_at = getter(
        |r| matches!(r, Role::CollectedAt),
        quote!(collected_at_field),
        quote!(#p::Time),
        quote!(CollectedAtValue::collected_at),
    );
    let record_id = getter(
        |r| matches!(r, Role::RecordId),
        quote!(record_id_field),
        quote!(#p::String),
        quote!(SubjectIdValue::subject_id),
    );
    let with_meta = |f: fn(&FieldPlan<'_>, &TokenStream, Place<'_>) -> TokenStream| {
        over_fields(record, &|plan, place| match schema_index(record, plan) {
            Some(i) => {
                let i = proc_macro2::Literal::usize_unsuffixed(i);
                f(plan, &quote!(&__s[#i]), place)
            }
            None => TokenStream::new(),
        })
    };
    let visit = with_meta(visit_field);
    let visit_mut = with_meta(visit_mut_field);
    let schema = schema_const(record);
    quote! {
        #[automatically_derived]
        #[allow(unreachable_code, unused_variables, clippy::needless_return)]
        impl #impl_generics #p::Record for #ident #ty_generics #where_clause {
            #schema
            #subject_id
            #collected_at
            #record_id
            fn visit_fields(&self, __v: &mut dyn #p::Visitor) {
                let __s = <Self as #p::Record>::SCHEMA.fields;
                #visit
            }
            fn visit_fields_mut(&mut self, __v: &mut dyn #p::VisitorMut) {
                let __s = <Self as #p::Record>::SCHEMA.fields;
                #visit_mut
            }
        }
    }
}

fn visit_field(plan: &FieldPlan<'_>, meta: &TokenStream, place: Place<'_>) -> TokenStream {
    let span = type_span(plan);
    let (p, place) = (private_at(span), place(span));
    match &plan.role {
        Role::Personal(_) | Role::CollectedAt => {
            quote_spanned!(span=> __v.field(#meta, &#place);)
        }
        Role::Nested => {
            quote_spanned!(span=> #p::visit_nested(__v, #meta, (&#p::NestedRef(&#place)).get());)
        }
        Role::NotPersonal | Role::RecordId => TokenStream::new(),
    }
}

/// A personal field as a `Slot` with the operations its attributes call for; a nested field
/// as its records.
fn visit_mut_field(plan: &FieldPlan<'_>, meta: &TokenStream, place: Place<'_>) -> TokenStream {
    let span = type_span(plan);
    match &plan.role {
        Role::Personal(x) => {
            let (delete, anonymize) = (delete_op(x), anonymize_op(x));
            let (p, place) = (private_at(span), place(span));
            quote_spanned!(span=> __v.field(#meta, &mut #p::slot(&mut #place, #delete, #anonymize));)
        }
        Role::Nested => {
            let (p, place) = (private_at(span), place(span));
            quote_spanned!(span=> __v.nested(#meta, (&mut #p::NestedMut(&mut #place)).get());)
        }
        Role::CollectedAt | Role::NotPersonal | Role::RecordId => TokenStream::new(),
    }
}

/// Deleting in place, when erasure or expiry may delete the field; spanned at `on_erase` (or
/// the type when the policy is the default) so "cannot be deleted in place" points there.
fn delete_op(x: &Personal) -> TokenStream {
    if !x.may_delete() {
        let p = private();
        return quote!(#p::None);
    }
    let span = x.on_erase.span;
    let p = private_at(span);
    quote_spanned!(span=> #p::Some(#p::erase_delete))
}

/// The field's anonymizer; spanned at it so a type mismatch points there.
fn anonymize_op(x: &Personal) -> TokenStream {
    match &x.anonymizer {
        Some(AnonymizerRef::Builtin { name, span, .. }) => {
            let p = private_at(*span);
            let marker = Ident::new(name, *span);
            quote_spanned!(*span=> #p::Some(#p::anonymize::<#p::anon::#marker, _>))
        }
        Some(AnonymizerRef::Custom(path)) => {
            let span = span_of(path);
            let p = private_at(span);
            quote_spanned!(span=> #p::Some(|__x| #p::anonymize_custom(__x, #path)))
        }
        None => {
            let p = private();
            quote!(#p::None)
        }
    }
}
