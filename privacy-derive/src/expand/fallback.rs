//! What the derive emits beside the errors when the input is invalid: impls with the right
//! signatures and no bounds, so the user sees only the real mistake and not a cascade of
//! "PersonalData is not implemented" errors.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{DeriveInput, LitStr};

use super::PRELUDE;
use crate::vocabulary::DEFAULT_SUBJECT_KIND;

pub fn fallback(input: &DeriveInput) -> TokenStream {
    let ident = &input.ident;
    let name = LitStr::new(&ident.to_string(), ident.span());
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let prelude = super::out::lex(PRELUDE);
    quote! {
        const _: () = {
            #prelude
            #[automatically_derived]
            impl #impl_generics ::core::fmt::Debug for #ident #ty_generics #where_clause {
                fn fmt(&self, __f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    ::core::fmt::Formatter::write_str(__f, #name)
                }
            }
            #[automatically_derived]
            impl #impl_generics __p::Record for #ident #ty_generics #where_clause {
                const SCHEMA: &'static __p::RecordSchema = &__p::RecordSchema {
                    type_name: #name,
                    name: #name,
                    subject_kind: #DEFAULT_SUBJECT_KIND,
                    shape: __p::Shape::Unit,
                    fields: &[],
                };
                fn visit_fields(&self, _: &mut dyn __p::Visitor) { ::core::unreachable!() }
                fn visit_fields_mut(&mut self, _: &mut dyn __p::VisitorMut) { ::core::unreachable!() }
            }
        };
    }
}
