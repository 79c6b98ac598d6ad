//! The schema: the `RecordSchema` constant of `impl Record`, one `FieldMeta` per field.

use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::{Ident, LitStr};

use super::{in_schema, private};
use crate::ast::{Body, Style};
use crate::model::{
    AnonymizerRef, CategoryRef, ErasePolicy, FieldPlan, Personal, Record, RetentionRef, Role,
};

/// `const SCHEMA: &'static RecordSchema = ...;`, an item of `impl Record`.
pub fn schema_const(record: &Record<'_>) -> TokenStream {
    let input = record.input;
    let ident = input.ident;
    let type_name = LitStr::new(&syn::ext::IdentExt::unraw(ident).to_string(), ident.span());
    let name = &record.name;
    let subject = &record.subject_kind;
    let p = private();
    let shape = match &input.body {
        Body::Enum(_) => quote!(Enum),
        Body::Struct(Style::Named) => quote!(Named),
        Body::Struct(Style::Tuple) if input.fields.len() == 1 => quote!(Newtype),
        Body::Struct(Style::Tuple) => quote!(Tuple),
        Body::Struct(Style::Unit) => quote!(Unit),
    };
    let metas = record
        .fields
        .iter()
        .filter(|plan| in_schema(plan))
        .map(|plan| field_meta(record, plan));
    quote! {
        const SCHEMA: &'static #p::RecordSchema = &#p::RecordSchema {
            type_name: #type_name,
            name: #name,
            subject_kind: #subject,
            shape: #p::Shape::#shape,
            fields: &[#(#metas),*],
        };
    }
}

/// What serde does with the field: its key, its container's serde name, whether it may be
/// skipped, whether a custom serializer hides its value (only the flags that are set).
fn serde_field(record: &Record<'_>, plan: &FieldPlan<'_>) -> TokenStream {
    let p = private();
    let key = &plan.serde_key;
    // Enum variants reach serde under names that depend on the representation: match the key
    // alone there.
    let container = if plan.field.variant.is_some() {
        String::new()
    } else {
        record.serde_container.clone()
    };
    let s = &plan.field.serde;
    let variant_skipped = plan
        .field
        .variant
        .is_some_and(|v| record.input.variants()[v].serde.skipped);
    let flags = [
        ("skip_if", s.skip_if),
        ("skipped", s.skipped || variant_skipped),
        ("opaque", s.serialize_with.is_some()),
    ];
    let flags = flags.iter().filter(|(_, set)| *set).map(|(name, _)| {
        let name = Ident::new(name, Span::call_site());
        quote!(#name: true,)
    });
    let base = quote!(#p::SerdeField::keyed(#key, #container));
    let mut flags = flags.peekable();
    if flags.peek().is_none() {
        return base;
    }
    quote!(#p::SerdeField { #(#flags)* ..#base })
}

fn field_meta(record: &Record<'_>, plan: &FieldPlan<'_>) -> TokenStream {
    let p = private();
    let name = LitStr::new(&plan.field.schema_name, plan.field.span);
    let serde = serde_field(record, plan);
    match &plan.role {
        Role::CollectedAt => quote! {
            #p::FieldMeta {
                serde: #serde,
                ..#p::FieldMeta::new(#name, #p::FieldKind::CollectedAt)
            }
        },
        Role::Nested => {
            let ty = plan.field.ty;
            quote! {
                #p::FieldMeta {
                    nested: #p::Some(<#ty as #p::Nested>::SCHEMA),
                    serde: #serde,
                    ..#p::FieldMeta::new(#name, #p::FieldKind::Nested)
                }
            }
        }
        Role::NotPersonal | Role::RecordId => TokenStream::new(),
        Role::Personal(personal) => personal_meta(&name, personal, &serde),
    }
}

/// A personal field's `FieldMeta`: the properties that differ from `FieldMeta::new`'s
/// defaults, over it.
fn personal_meta(name: &LitStr, x: &Personal, serde: &TokenStream) -> TokenStream {
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
    let mut set = quote!(category: #p::Some(#category),);
    if !x.purposes.is_empty() {
        let purposes = x.purposes.iter().map(|s| quote!(#p::Purpose(#s)));
        set.extend(quote!(purposes: &[#(#purposes),*],));
    }
    set.extend(match x.retention {
        RetentionRef::Unspecified => TokenStream::new(),
        RetentionRef::Account => quote!(retention: #p::Retention::Account,),
        RetentionRef::Transient => quote!(retention: #p::Retention::Transient,),
        RetentionRef::Period { amount, unit } => {
            let unit = Ident::new(unit, Span::call_site());
            quote!(retention: #p::Retention::Period { amount: #amount, unit: #p::RetentionUnit::#unit },)
        }
    });
    set.extend(match &x.anonymizer {
        None => TokenStream::new(),
        Some(AnonymizerRef::Builtin { variant, .. }) => {
            let variant = Ident::new(variant, Span::call_site());
            quote!(anonymizer: #p::Some(#p::Anonymizer::#variant),)
        }
        Some(AnonymizerRef::Custom(path)) => {
            let text = path.to_token_stream().to_string().replace(' ', "");
            quote!(anonymizer: #p::Some(#p::Anonymizer::Custom(#text)),)
        }
    });
    if x.encrypted {
        set.extend(quote!(encrypted: true,));
    }
    if x.blind_index {
        let bits = x.blind_index_bits;
        set.extend(quote!(blind_index: true, blind_index_bits: #bits,));
    }
    set.extend(match x.on_erase.policy {
        ErasePolicy::Delete => TokenStream::new(),
        ErasePolicy::Anonymize => quote!(on_erase: #p::ErasePolicy::Anonymize,),
        ErasePolicy::Retain => quote!(on_erase: #p::ErasePolicy::Retain,),
    });
    set.extend(
        match (
            &x.legal_basis,
            x.subject_id && x.on_erase.policy == ErasePolicy::Retain,
        ) {
            (Some(basis), _) => quote!(legal_basis: #p::Some(#basis),),
            (None, true) => quote!(legal_basis: #p::Some(#p::SUBJECT_ID_BASIS),),
            (None, false) => TokenStream::new(),
        },
    );
    if let Some(source) = &x.source {
        set.extend(quote!(source: #p::Some(#source),));
    }
    if !x.recipients.is_empty() {
        let recipients = &x.recipients;
        set.extend(quote!(recipients: &[#(#recipients),*],));
    }
    if !x.exported {
        set.extend(quote!(exported: false,));
    }
    quote! {
        #p::FieldMeta {
            #set
            serde: #serde,
            ..#p::FieldMeta::new(#name, #p::FieldKind::#kind)
        }
    }
}
