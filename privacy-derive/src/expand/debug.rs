//! The redacted `impl Debug`: personal values print as their category tag, written in one
//! `write_str` each; nothing is allocated.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::LitStr;

use super::bounds::{debug_bounds, with_bounds};
use super::{private, private_at, spanned_member, type_span, Place};
use crate::ast::{Body, Style};
use crate::model::{FieldPlan, Record, Role};

pub fn impl_debug(record: &Record<'_>) -> TokenStream {
    let input = record.input;
    let ident = input.ident;
    let (impl_generics, ty_generics, where_clause) = with_bounds(record, &debug_bounds(record));
    let body = match &input.body {
        Body::Struct(style) => {
            let name = LitStr::new(&ident.unraw().to_string(), ident.span());
            group(&name, *style, &record.fields, &|_, plan, span| {
                let member = spanned_member(&plan.field.member, span);
                quote_spanned!(span=> self.#member)
            })
        }
        Body::Enum(variants) => {
            let arms = variants.iter().map(|variant| {
                let v = &variant.ident;
                let name = LitStr::new(&v.unraw().to_string(), v.span());
                let fields = &record.fields[variant.range.clone()];
                let locals: Vec<_> = (variant.range.clone())
                    .map(|i| format_ident!("__f{}", i))
                    .collect();
                let pattern = match variant.style {
                    Style::Unit => quote!(Self::#v),
                    Style::Named => {
                        let members = fields.iter().map(|p| &p.field.member);
                        quote!(Self::#v { #(#members: #locals),* })
                    }
                    Style::Tuple => quote!(Self::#v(#(#locals),*)),
                };
                let start = variant.range.start;
                let body = group(&name, variant.style, fields, &|index, _, span| {
                    let mut local = format_ident!("__f{}", start + index);
                    local.set_span(span);
                    quote_spanned!(span=> (*#local))
                });
                quote!(#[allow(unused_variables)] #pattern => { #body })
            });
            quote! {
                match self {
                    #(#arms)*
                }
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

/// A field of a struct or variant as a place expression, from its index in the group.
type GroupPlace<'a> = dyn Fn(usize, &FieldPlan<'_>, Span) -> TokenStream + 'a;

/// The debug builder of one struct or variant.
fn group(
    name: &LitStr,
    style: Style,
    fields: &[FieldPlan<'_>],
    place: &GroupPlace<'_>,
) -> TokenStream {
    if style == Style::Unit {
        return quote!(::core::fmt::Formatter::write_str(__f, #name));
    }
    let named = style == Style::Named;
    let fields = fields.iter().enumerate().map(|(index, plan)| {
        let value = debug_value(plan, &|span| place(index, plan, span));
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

fn debug_value(plan: &FieldPlan<'_>, place: Place<'_>) -> TokenStream {
    let p = private();
    match &plan.role {
        Role::Personal(personal) => {
            let tag = format!("<{}>", personal.category.name());
            quote!(&#p::TagLiteral(#tag))
        }
        Role::CollectedAt => quote!(&#p::TagLiteral("<collected_at>")),
        Role::Nested => {
            let span = type_span(plan);
            let (p, place) = (private_at(span), place(span));
            quote_spanned!(span=> &#p::NestedDebug((&#p::NestedRef(&#place)).get()))
        }
        Role::NotPersonal | Role::RecordId => {
            let place = place(Span::call_site());
            quote!(&#place)
        }
    }
}
