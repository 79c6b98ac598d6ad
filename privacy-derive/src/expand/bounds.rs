//! Inferred bounds: the traits each generic field type needs for each impl.

use proc_macro2::{TokenStream, TokenTree};
use quote::{quote, ToTokens};
use syn::{Ident, Type, WherePredicate};

use crate::model::{AnonymizerRef, FieldPlan, Record, Role};

/// The traits each generic field type needs for the redacted Debug impl.
pub fn debug_bounds(record: &Record<'_>) -> Vec<WherePredicate> {
    let p = quote!(__p);
    bounds(record, |plan| match plan.role {
        Role::NotPersonal | Role::RecordId => vec![quote!(::core::fmt::Debug)],
        Role::Nested => vec![quote!(#p::Nested)],
        _ => Vec::new(),
    })
}

/// The traits each generic field type needs for the `Record` impl (the Debug bounds
/// included: `Record` requires `Debug`).
pub fn personal_bounds(record: &Record<'_>) -> Vec<WherePredicate> {
    let p = quote!(__p);
    let mut predicates = debug_bounds(record);
    predicates.extend(bounds(record, |plan| match &plan.role {
        Role::Personal(x) => {
            let mut traits = vec![quote!(#p::SerializeTrait)];
            if x.subject_id && !plan.field.attrs.with.is_set() {
                traits.push(quote!(#p::SubjectIdValue));
            }
            if x.may_delete() {
                traits.push(quote!(#p::Erase));
            }
            if let Some(AnonymizerRef::Builtin { name, span, .. }) = &x.anonymizer {
                let marker = Ident::new(name, *span);
                traits.push(quote!(#p::Anonymize<#p::anon::#marker>));
            }
            traits
        }
        Role::CollectedAt if plan.field.attrs.with.is_set() => vec![quote!(#p::SerializeTrait)],
        Role::CollectedAt => vec![quote!(#p::CollectedAtValue), quote!(#p::SerializeTrait)],
        Role::RecordId if plan.field.attrs.with.is_set() => Vec::new(),
        Role::RecordId => vec![quote!(#p::SubjectIdValue)],
        Role::Nested | Role::NotPersonal => Vec::new(),
    }));
    predicates
}

/// `FieldType: Trait` for every field whose type mentions a type parameter (other field types
/// are concrete: their requirements are checked at the spanned call sites in the bodies).
fn bounds(
    record: &Record<'_>,
    traits: impl Fn(&FieldPlan<'_>) -> Vec<TokenStream>,
) -> Vec<WherePredicate> {
    let params: Vec<&Ident> = record
        .input
        .generics
        .type_params()
        .map(|t| &t.ident)
        .collect();
    if params.is_empty() {
        return Vec::new();
    }
    record
        .fields
        .iter()
        .filter(|plan| mentions(plan.field.ty, &params))
        .flat_map(|plan| {
            let ty = plan.field.ty;
            traits(plan)
                .into_iter()
                .map(move |t| syn::parse_quote!(#ty: #t))
        })
        .collect()
}

fn mentions(ty: &Type, params: &[&Ident]) -> bool {
    fn walk(tokens: TokenStream, params: &[&Ident]) -> bool {
        tokens.into_iter().any(|t| match t {
            TokenTree::Ident(ident) => params.iter().any(|p| **p == ident),
            TokenTree::Group(g) => walk(g.stream(), params),
            _ => false,
        })
    }
    walk(ty.to_token_stream(), params)
}

pub fn with_bounds<'r>(
    record: &'r Record<'_>,
    bounds: &[WherePredicate],
) -> (
    syn::ImplGenerics<'r>,
    syn::TypeGenerics<'r>,
    Option<syn::WhereClause>,
) {
    let generics = record.input.generics;
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let mut where_clause = where_clause
        .cloned()
        .unwrap_or_else(|| syn::parse_quote!(where));
    where_clause.predicates.extend(bounds.iter().cloned());
    let where_clause = (!where_clause.predicates.is_empty()).then_some(where_clause);
    (impl_generics, ty_generics, where_clause)
}
