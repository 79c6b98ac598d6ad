//! Code generation from the validated model: one function per generated impl.
//!
//! Generated code names only `::privacy_core::__private::...` and `::core` by absolute path,
//! sits inside `const _: () = { ... };`, and names its locals `__x`-style, so user code that
//! shadows `Option`, `String`, `Debug`, `core` or `std` cannot change its meaning.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::{DeriveInput, Ident, LitStr, Member, Type, WherePredicate};

use crate::ast::Style;
use crate::model::{
    AnonymizerRef, CategoryRef, ErasePolicy, FieldPlan, Personal, Record, RetentionRef, Role,
};

/// Everything the derive emits for a valid struct.
pub fn expand(record: &Record<'_>) -> TokenStream {
    let debug = impl_debug(record);
    let nested = impl_nested(record);
    let personal = impl_personal_data(record);
    quote! {
        const _: () = {
            #[allow(unused_imports)]
            use ::privacy_core::__private::{
                NestedMutGet as _, NestedMutNone as _, NestedRefGet as _, NestedRefNone as _,
            };
            #debug
            #nested
            #personal
        };
    }
}

/// What the derive emits beside the errors when the input is invalid: impls with the right
/// signatures and no bounds, so the user sees only the real mistake and not a cascade of
/// "PersonalData is not implemented" errors.
pub fn fallback(input: &DeriveInput) -> TokenStream {
    let ident = &input.ident;
    let name = LitStr::new(&ident.to_string(), ident.span());
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let p = private();
    quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics ::core::fmt::Debug for #ident #ty_generics #where_clause {
                fn fmt(&self, __f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    ::core::fmt::Formatter::write_str(__f, #name)
                }
            }
            #[automatically_derived]
            impl #impl_generics #p::Nested for #ident #ty_generics #where_clause {
                const SCHEMA: &'static #p::RecordSchema = &#p::RecordSchema {
                    type_name: #name,
                    subject_kind: "user",
                    shape: #p::Shape::Unit,
                    fields: &[],
                };
                fn for_each(&self, _: &mut dyn ::core::ops::FnMut(&dyn #p::PersonalData)) {}
                fn for_each_mut(&mut self, _: &mut dyn ::core::ops::FnMut(&mut dyn #p::PersonalData)) {}
                fn fmt_nested(&self, __f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    ::core::fmt::Formatter::write_str(__f, #name)
                }
            }
            #[automatically_derived]
            impl #impl_generics #p::PersonalData for #ident #ty_generics #where_clause {
                fn schema() -> &'static #p::RecordSchema { ::core::unreachable!() }
                fn record_schema(&self) -> &'static #p::RecordSchema { ::core::unreachable!() }
                fn subject_id(&self) -> #p::Option<#p::String> { ::core::unreachable!() }
                fn collected_at(&self) -> #p::Option<#p::Time> { ::core::unreachable!() }
                fn export(&self) -> #p::RecordExport { ::core::unreachable!() }
                fn erase(&mut self) -> #p::ErasureReport { ::core::unreachable!() }
                fn anonymize(&mut self) { ::core::unreachable!() }
                fn expire(&mut self, _: #p::Time) -> #p::ErasureReport { ::core::unreachable!() }
                fn personal_values(&self) -> #p::Vec<#p::PersonalValue> { ::core::unreachable!() }
            }
        };
    }
}

fn private() -> TokenStream {
    quote!(::privacy_core::__private)
}

// ---- Debug ----------------------------------------------------------------------------------

fn impl_debug(record: &Record<'_>) -> TokenStream {
    let input = record.input;
    let ident = input.ident;
    let name = LitStr::new(&ident.to_string(), ident.span());
    let (impl_generics, ty_generics, where_clause) = with_bounds(record, &debug_bounds(record));
    let body = match input.style {
        Style::Unit => quote!(::core::fmt::Formatter::write_str(__f, #name)),
        Style::Named | Style::Tuple => {
            let named = input.style == Style::Named;
            let fields = record.fields.iter().map(|plan| {
                let value = debug_value(plan);
                if named {
                    let field_name = LitStr::new(&plan.field.name, plan.field.span);
                    quote!(__x.field(#field_name, #value);)
                } else {
                    quote!(__x.field(#value);)
                }
            });
            let builder = if named {
                quote!(::core::fmt::Formatter::debug_struct(__f, #name))
            } else {
                quote!(::core::fmt::Formatter::debug_tuple(__f, #name))
            };
            quote! {
                let mut __x = #builder;
                #(#fields)*
                __x.finish()
            }
        }
    };
    quote! {
        #[automatically_derived]
        impl #impl_generics ::core::fmt::Debug for #ident #ty_generics #where_clause {
            fn fmt(&self, __f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                #body
            }
        }
    }
}

fn debug_value(plan: &FieldPlan<'_>) -> TokenStream {
    let member = &plan.field.member;
    let p = private();
    match &plan.role {
        Role::Personal(personal) => {
            let tag = format!("<{}>", personal.category.name());
            quote!(&#p::TagLiteral(#tag))
        }
        Role::CollectedAt => quote!(&#p::TagLiteral("<collected_at>")),
        Role::Nested => {
            let (p, member, span) = at_type(plan);
            quote_spanned!(span=> &#p::NestedDebug((&#p::NestedRef(&self.#member)).get()))
        }
        Role::NotPersonal => quote!(&self.#member),
    }
}

// ---- schema (the Nested impl) ---------------------------------------------------------------

fn impl_nested(record: &Record<'_>) -> TokenStream {
    let input = record.input;
    let ident = input.ident;
    let name = LitStr::new(&ident.to_string(), ident.span());
    let subject = &record.subject_kind;
    let p = private();
    let shape = match (input.style, input.fields.len()) {
        (Style::Named, _) => quote!(Named),
        (Style::Tuple, 1) => quote!(Newtype),
        (Style::Tuple, _) => quote!(Tuple),
        (Style::Unit, _) => quote!(Unit),
    };
    let metas = schema_fields(record).map(|(_, plan)| field_meta(plan));
    let (impl_generics, ty_generics, where_clause) = with_bounds(record, &personal_bounds(record));
    quote! {
        #[automatically_derived]
        impl #impl_generics #p::Nested for #ident #ty_generics #where_clause {
            const SCHEMA: &'static #p::RecordSchema = &#p::RecordSchema {
                type_name: #name,
                subject_kind: #subject,
                shape: #p::Shape::#shape,
                fields: &[#(#metas),*],
            };
            fn for_each(&self, __f: &mut dyn ::core::ops::FnMut(&dyn #p::PersonalData)) {
                __f(self);
            }
            fn for_each_mut(&mut self, __f: &mut dyn ::core::ops::FnMut(&mut dyn #p::PersonalData)) {
                __f(self);
            }
            fn fmt_nested(&self, __f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::fmt::Debug::fmt(self, __f)
            }
        }
    }
}

/// The fields that appear in the schema (all but `not_personal`), with their schema index.
fn schema_fields<'r, 'a>(
    record: &'r Record<'a>,
) -> impl Iterator<Item = (usize, &'r FieldPlan<'a>)> {
    record
        .fields
        .iter()
        .filter(|plan| !matches!(plan.role, Role::NotPersonal))
        .enumerate()
}

fn field_meta(plan: &FieldPlan<'_>) -> TokenStream {
    let p = private();
    let name = LitStr::new(&plan.field.name, plan.field.span);
    match &plan.role {
        Role::CollectedAt => quote!(#p::FieldMeta::new(#name, #p::FieldKind::CollectedAt)),
        Role::Nested => {
            let ty = plan.field.ty;
            quote! {
                #p::FieldMeta {
                    nested: #p::Some(<#ty as #p::Nested>::SCHEMA),
                    ..#p::FieldMeta::new(#name, #p::FieldKind::Nested)
                }
            }
        }
        Role::NotPersonal => unreachable!("not_personal fields are not in the schema"),
        Role::Personal(personal) => personal_meta(&name, personal),
    }
}

fn personal_meta(name: &LitStr, x: &Personal) -> TokenStream {
    let p = private();
    let kind = if x.subject_id {
        quote!(SubjectId)
    } else {
        quote!(Personal)
    };
    let category = match &x.category {
        CategoryRef::Known { variant, .. } => {
            let variant = Ident::new(variant, Span::call_site());
            quote!(#p::Category::#variant)
        }
        CategoryRef::Custom(name) => quote!(#p::Category::Custom(#name)),
    };
    let purposes = x.purposes.iter().map(|s| quote!(#p::Purpose(#s)));
    let retention = match x.retention {
        RetentionRef::Unspecified => quote!(#p::Retention::Unspecified),
        RetentionRef::Account => quote!(#p::Retention::Account),
        RetentionRef::Transient => quote!(#p::Retention::Transient),
        RetentionRef::Period { amount, unit } => {
            let unit = Ident::new(unit, Span::call_site());
            quote!(#p::Retention::Period { amount: #amount, unit: #p::RetentionUnit::#unit })
        }
    };
    let anonymizer = match &x.anonymizer {
        None => quote!(#p::None),
        Some(AnonymizerRef::Builtin { variant, .. }) => {
            let variant = Ident::new(variant, Span::call_site());
            quote!(#p::Some(#p::Anonymizer::#variant))
        }
        Some(AnonymizerRef::Custom(path)) => {
            let text = path.to_token_stream().to_string().replace(' ', "");
            quote!(#p::Some(#p::Anonymizer::Custom(#text)))
        }
    };
    let on_erase = match x.on_erase.policy {
        ErasePolicy::Delete => quote!(Delete),
        ErasePolicy::Anonymize => quote!(Anonymize),
        ErasePolicy::Retain => quote!(Retain),
    };
    let legal_basis = match (
        &x.legal_basis,
        x.subject_id && x.on_erase.policy == ErasePolicy::Retain,
    ) {
        (Some(basis), _) => quote!(#p::Some(#basis)),
        (None, true) => quote!(#p::Some(#p::SUBJECT_ID_BASIS)),
        (None, false) => quote!(#p::None),
    };
    let source = x
        .source
        .as_ref()
        .map_or_else(|| quote!(#p::None), |s| quote!(#p::Some(#s)));
    let recipients = &x.recipients;
    let (encrypted, blind_index, exported) = (x.encrypted, x.blind_index, x.exported);
    quote! {
        #p::FieldMeta {
            category: #p::Some(#category),
            purposes: &[#(#purposes),*],
            retention: #retention,
            anonymizer: #anonymizer,
            encrypted: #encrypted,
            blind_index: #blind_index,
            on_erase: #p::ErasePolicy::#on_erase,
            legal_basis: #legal_basis,
            source: #source,
            recipients: &[#(#recipients),*],
            exported: #exported,
            ..#p::FieldMeta::new(#name, #p::FieldKind::#kind)
        }
    }
}

// ---- PersonalData ---------------------------------------------------------------------------

fn impl_personal_data(record: &Record<'_>) -> TokenStream {
    let input = record.input;
    let ident = input.ident;
    let p = private();
    let (impl_generics, ty_generics, where_clause) = with_bounds(record, &personal_bounds(record));
    let subject_id = record
        .fields
        .iter()
        .find(|plan| matches!(&plan.role, Role::Personal(x) if x.subject_id))
        .map_or_else(
            || quote!(#p::None),
            |plan| {
                let (p, member, span) = at_type(plan);
                quote_spanned!(span=> #p::SubjectIdValue::subject_id(&self.#member))
            },
        );
    let collected_at = record
        .fields
        .iter()
        .find(|plan| matches!(plan.role, Role::CollectedAt))
        .map_or_else(
            || quote!(#p::None),
            |plan| {
                let (p, member, span) = at_type(plan);
                quote_spanned!(span=> #p::CollectedAtValue::collected_at(&self.#member))
            },
        );
    let export = fields_code(record, export_field);
    let erase = fields_code(record, erase_field);
    let anonymize = fields_code(record, anonymize_field);
    let expire = fields_code(record, expire_field);
    let values = fields_code(record, values_field);
    quote! {
        #[automatically_derived]
        impl #impl_generics #p::PersonalData for #ident #ty_generics #where_clause {
            fn schema() -> &'static #p::RecordSchema {
                <Self as #p::Nested>::SCHEMA
            }
            fn record_schema(&self) -> &'static #p::RecordSchema {
                <Self as #p::Nested>::SCHEMA
            }
            fn subject_id(&self) -> #p::Option<#p::String> {
                #subject_id
            }
            fn collected_at(&self) -> #p::Option<#p::Time> {
                #collected_at
            }
            fn export(&self) -> #p::RecordExport {
                let __s = <Self as #p::Nested>::SCHEMA;
                let mut __x = #p::RecordExport::new(__s, #p::PersonalData::subject_id(self));
                #(#export)*
                __x
            }
            fn erase(&mut self) -> #p::ErasureReport {
                let __s = <Self as #p::Nested>::SCHEMA;
                let mut __x = #p::ErasureReport::new(__s.type_name, #p::PersonalData::subject_id(self));
                #(#erase)*
                __x
            }
            fn anonymize(&mut self) {
                #(#anonymize)*
            }
            fn expire(&mut self, __now: #p::Time) -> #p::ErasureReport {
                let __s = <Self as #p::Nested>::SCHEMA;
                let __c = #p::PersonalData::collected_at(self);
                let mut __x = #p::ErasureReport::new(__s.type_name, #p::PersonalData::subject_id(self));
                #(#expire)*
                let _ = (__c, __now);
                __x
            }
            fn personal_values(&self) -> #p::Vec<#p::PersonalValue> {
                let __s = <Self as #p::Nested>::SCHEMA;
                let mut __x = #p::Vec::new();
                #(#values)*
                let _ = __s;
                __x
            }
        }
    }
}

/// Runs `f` over the schema fields with `__s.fields[i]` as their metadata expression.
fn fields_code(
    record: &Record<'_>,
    f: fn(&FieldPlan<'_>, &TokenStream) -> TokenStream,
) -> Vec<TokenStream> {
    schema_fields(record)
        .map(|(i, plan)| f(plan, &quote!(&__s.fields[#i])))
        .collect()
}

fn export_field(plan: &FieldPlan<'_>, meta: &TokenStream) -> TokenStream {
    let (p, member, span) = at_type(plan);
    match &plan.role {
        Role::Personal(_) => {
            quote_spanned!(span=> #p::export_value(#meta, &self.#member, &mut __x);)
        }
        Role::Nested => {
            quote_spanned!(span=> #p::export_nested(#meta, (&#p::NestedRef(&self.#member)).get(), &mut __x);)
        }
        Role::CollectedAt | Role::NotPersonal => TokenStream::new(),
    }
}

fn values_field(plan: &FieldPlan<'_>, meta: &TokenStream) -> TokenStream {
    let (p, member, span) = at_type(plan);
    match &plan.role {
        Role::Personal(_) => {
            quote_spanned!(span=> #p::collect_values(__s.type_name, #meta, &self.#member, &mut __x);)
        }
        Role::Nested => {
            quote_spanned!(span=> #p::collect_nested((&#p::NestedRef(&self.#member)).get(), &mut __x);)
        }
        Role::CollectedAt | Role::NotPersonal => TokenStream::new(),
    }
}

fn erase_field(plan: &FieldPlan<'_>, meta: &TokenStream) -> TokenStream {
    match &plan.role {
        Role::Personal(x) => match x.on_erase.policy {
            ErasePolicy::Delete => delete_call(plan, x, meta),
            ErasePolicy::Anonymize => anonymize_call(plan, x, meta),
            ErasePolicy::Retain => {
                let p = private();
                quote!(#p::erase_retain(__s.type_name, #meta, &mut __x);)
            }
        },
        Role::Nested => {
            let (p, member, span) = at_type(plan);
            quote_spanned!(span=> #p::erase_nested((&mut #p::NestedMut(&mut self.#member)).get(), &mut __x);)
        }
        Role::CollectedAt | Role::NotPersonal => TokenStream::new(),
    }
}

fn expire_field(plan: &FieldPlan<'_>, meta: &TokenStream) -> TokenStream {
    match &plan.role {
        Role::Personal(x)
            if matches!(
                x.retention,
                RetentionRef::Period { .. } | RetentionRef::Transient
            ) =>
        {
            let action = if x.on_erase.policy == ErasePolicy::Anonymize {
                anonymize_call(plan, x, meta)
            } else {
                delete_call(plan, x, meta)
            };
            quote! {
                if (#meta).retention.is_expired(__c, __now) {
                    #action
                }
            }
        }
        Role::Nested => {
            let (p, member, span) = at_type(plan);
            quote_spanned!(span=> #p::expire_nested((&mut #p::NestedMut(&mut self.#member)).get(), __now, &mut __x);)
        }
        _ => TokenStream::new(),
    }
}

fn anonymize_field(plan: &FieldPlan<'_>, _meta: &TokenStream) -> TokenStream {
    match &plan.role {
        Role::Personal(x) => match &x.anonymizer {
            Some(AnonymizerRef::Builtin { name, span, .. }) => {
                let (p, member) = at_span(plan, *span);
                let marker = Ident::new(name, *span);
                quote_spanned!(*span=> #p::anonymize::<#p::anon::#marker, _>(&mut self.#member);)
            }
            Some(AnonymizerRef::Custom(path)) => {
                let span = span_of(path);
                let (p, member) = at_span(plan, span);
                quote_spanned!(span=> #p::anonymize_custom(&mut self.#member, #path);)
            }
            None => TokenStream::new(),
        },
        Role::Nested => {
            let (p, member, span) = at_type(plan);
            quote_spanned!(span=> #p::anonymize_nested((&mut #p::NestedMut(&mut self.#member)).get());)
        }
        Role::CollectedAt | Role::NotPersonal => TokenStream::new(),
    }
}

/// Deletes the field; spanned at `on_erase` (or the type when the policy is the default) so
/// "cannot be deleted in place" points there.
fn delete_call(plan: &FieldPlan<'_>, x: &Personal, meta: &TokenStream) -> TokenStream {
    let span = x.on_erase.span;
    let (p, member) = at_span(plan, span);
    quote_spanned!(span=> #p::erase_delete(__s.type_name, #meta, &mut self.#member, &mut __x);)
}

/// Anonymizes the field as erasure; spanned at the anonymizer so a type mismatch points there.
fn anonymize_call(plan: &FieldPlan<'_>, x: &Personal, meta: &TokenStream) -> TokenStream {
    match &x.anonymizer {
        Some(AnonymizerRef::Builtin { name, span, .. }) => {
            let (p, member) = at_span(plan, *span);
            let marker = Ident::new(name, *span);
            quote_spanned!(*span=> #p::report_anonymized(__s.type_name, #meta, #p::anonymize::<#p::anon::#marker, _>(&mut self.#member), &mut __x);)
        }
        Some(AnonymizerRef::Custom(path)) => {
            let span = span_of(path);
            let (p, member) = at_span(plan, span);
            quote_spanned!(span=> #p::erase_custom(__s.type_name, #meta, &mut self.#member, #path, &mut __x);)
        }
        None => TokenStream::new(),
    }
}

/// [`at_span`] at the field's type.
fn at_type(plan: &FieldPlan<'_>) -> (TokenStream, TokenStream, Span) {
    let span = span_of(plan.field.ty);
    let (p, member) = at_span(plan, span);
    (p, member, span)
}

/// `::privacy_core::__private` and the field's member, both carrying `span`, so that a trait
/// error in a generated call underlines exactly the user's token (and identical errors from
/// several generated calls collapse into one).
fn at_span(plan: &FieldPlan<'_>, span: Span) -> (TokenStream, TokenStream) {
    let p = quote_spanned!(span=> ::privacy_core::__private);
    let member = match &plan.field.member {
        Member::Named(ident) => {
            let mut ident = ident.clone();
            ident.set_span(span);
            ident.to_token_stream()
        }
        Member::Unnamed(index) => syn::Index {
            index: index.index,
            span,
        }
        .to_token_stream(),
    };
    (p, member)
}

fn span_of(tokens: &impl ToTokens) -> Span {
    syn::spanned::Spanned::span(tokens)
}

// ---- bounds ---------------------------------------------------------------------------------

/// The traits each generic field type needs for the redacted Debug impl.
fn debug_bounds(record: &Record<'_>) -> Vec<WherePredicate> {
    let p = private();
    bounds(record, |plan| match plan.role {
        Role::NotPersonal => vec![quote!(::core::fmt::Debug)],
        Role::Nested => vec![quote!(#p::Nested)],
        _ => Vec::new(),
    })
}

/// The traits each generic field type needs for the PersonalData and Nested impls (the
/// Debug bounds included: `Nested::fmt_nested` formats with the record's Debug, and
/// PersonalData reads the schema through `Nested`).
fn personal_bounds(record: &Record<'_>) -> Vec<WherePredicate> {
    let p = private();
    let mut predicates = debug_bounds(record);
    predicates.extend(bounds(record, |plan| match &plan.role {
        Role::Personal(x) => {
            let mut traits = vec![quote!(#p::SerializeTrait)];
            if x.subject_id {
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
        Role::CollectedAt => vec![quote!(#p::CollectedAtValue)],
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

fn with_bounds<'r>(
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
