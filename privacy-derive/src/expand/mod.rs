//! Code generation from the validated model: one file per generated item.
//!
//! Generated code names only `::privacy_core::__private::...` and `::core` by absolute path,
//! sits inside `const _: () = { ... };`, and names its locals `__x`-style, so user code that
//! shadows `Option`, `String`, `Debug`, `core` or `std` cannot change its meaning. Inside the
//! block `__p` is `::privacy_core::__private` (see [`prelude`]): the expansion is mostly
//! paths, and every token costs the macro and the compiler.
//!
//! Structs and enums share one shape: a method body is a list of per-field statements over
//! *places*; for a struct a place is `self.field`, for an enum each variant is a match arm
//! binding its fields to `__fN` and a place is `(*__fN)`.

mod bounds;
mod debug;
mod fallback;
mod personal;
mod schema;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::Member;

use crate::ast::{Body, Style};
use crate::model::{FieldPlan, Record, Role};

pub use fallback::fallback;

/// Everything the derive emits for a valid struct or enum.
pub fn expand(record: &Record<'_>) -> TokenStream {
    let debug = debug::impl_debug(record);
    let personal = personal::impl_record(record);
    let prelude = prelude();
    // The autoref dispatch of nested fields (`NestedRef`) needs its traits in scope.
    let nested_traits = record
        .fields
        .iter()
        .any(|plan| matches!(plan.role, Role::Nested))
        .then(|| {
            quote! {
                #[allow(unused_imports)]
                use __p::{NestedMutGet as _, NestedMutNone as _, NestedRefGet as _, NestedRefNone as _};
            }
        });
    quote! {
        const _: () = {
            #prelude
            #nested_traits
            #debug
            #personal
        };
    }
}

/// The first item of every generated block: `__p` names the generated code's paths.
fn prelude() -> TokenStream {
    quote!(
        use ::privacy_core::__private as __p;
    )
}

/// A field as a place expression (`self.x` or `(*__f0)`), spanned where errors should point.
type Place<'a> = &'a dyn Fn(Span) -> TokenStream;

/// `::privacy_core::__private`, through the block's `__p`.
fn private() -> TokenStream {
    quote!(__p)
}

/// The schema index of each field that appears in the schema (all but `not_personal` and
/// `record_id`), in declaration order.
fn schema_index(record: &Record<'_>, plan: &FieldPlan<'_>) -> Option<usize> {
    if !in_schema(plan) {
        return None;
    }
    record
        .fields
        .iter()
        .filter(|p| in_schema(p))
        .position(|p| core::ptr::eq(p, plan))
}

fn in_schema(plan: &FieldPlan<'_>) -> bool {
    !matches!(plan.role, Role::NotPersonal | Role::RecordId)
}

/// The body of a method: `stmt(plan, place)` for each field, where `place` is the field as a
/// place expression spanned at `span`; for an enum, wrapped in a `match self` with one arm per
/// variant binding only the fields whose statement is not empty.
fn over_fields(
    record: &Record<'_>,
    stmt: &dyn Fn(&FieldPlan<'_>, Place<'_>) -> TokenStream,
) -> TokenStream {
    match &record.input.body {
        Body::Struct(_) => {
            let stmts = record.fields.iter().map(|plan| {
                let place = |span: Span| {
                    let member = spanned_member(&plan.field.member, span);
                    quote_spanned!(span=> self.#member)
                };
                stmt(plan, &place)
            });
            quote!(#(#stmts)*)
        }
        Body::Enum(variants) => {
            let arms = variants.iter().map(|variant| {
                let ident = &variant.ident;
                let mut bound = Vec::new();
                let mut stmts = Vec::new();
                for (index, plan) in record.fields[variant.range.clone()].iter().enumerate() {
                    let global = variant.range.start + index;
                    let local = |span: Span| {
                        let mut l = format_ident!("__f{}", global);
                        l.set_span(span);
                        l
                    };
                    let tokens = stmt(plan, &|span| {
                        let l = local(span);
                        quote_spanned!(span=> (*#l))
                    });
                    if !tokens.is_empty() {
                        bound.push((&plan.field.member, local(Span::call_site())));
                        stmts.push(tokens);
                    }
                }
                let pattern = match variant.style {
                    Style::Unit => quote!(Self::#ident),
                    Style::Named => {
                        let binds = bound.iter().map(|(m, l)| quote!(#m: #l));
                        quote!(Self::#ident { #(#binds,)* .. })
                    }
                    Style::Tuple => {
                        let binds = record.fields[variant.range.clone()].iter().map(|plan| {
                            bound
                                .iter()
                                .find(|(m, _)| **m == plan.field.member)
                                .map_or_else(|| quote!(_), |(_, l)| l.to_token_stream())
                        });
                        quote!(Self::#ident(#(#binds),*))
                    }
                };
                quote!(#pattern => { #(#stmts)* })
            });
            quote! {
                #[allow(unreachable_patterns)]
                match self {
                    #(#arms)*
                }
            }
        }
    }
}

fn spanned_member(member: &Member, span: Span) -> TokenStream {
    match member {
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
    }
}

/// `::privacy_core::__private` carrying `span`, so that a trait error in a generated call
/// underlines exactly the user's token (and identical errors from several generated calls
/// collapse into one).
fn private_at(span: Span) -> TokenStream {
    quote_spanned!(span=> __p)
}

fn span_of(tokens: &impl ToTokens) -> Span {
    syn::spanned::Spanned::span(tokens)
}

/// The span of the field's type.
fn type_span(plan: &FieldPlan<'_>) -> Span {
    span_of(plan.field.ty)
}
