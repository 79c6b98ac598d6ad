//! Code generation from the validated model: one file per generated item.
//!
//! Generated code names only `::privacy_core::__private::...` and `::core` by absolute path,
//! sits inside `const _: () = { ... };`, and names its locals `__x`-style, so user code that
//! shadows `Option`, `String`, `Debug`, `core` or `std` cannot change its meaning. Inside the
//! block `__p` is `::privacy_core::__private` (see [`PRELUDE`]): the expansion is mostly
//! paths, and every token costs the macro and the compiler. The code is written as text and
//! lexed once per run of text (see [`out`]); only tokens that carry a user's span are built
//! as tokens.
//!
//! Structs and enums share one shape: a method body is a list of per-field statements over
//! *places*; for a struct a place is `self.field`, for an enum each variant is a match arm
//! binding its fields to `__fN` and a place is `(*__fN)`.

mod bounds;
mod debug;
mod fallback;
mod out;
mod personal;
mod register;
mod schema;

use proc_macro2::{Delimiter, Span, TokenStream};
use quote::{format_ident, quote_spanned, ToTokens};
use syn::Member;

use crate::ast::{Body, Style};
use crate::model::{FieldPlan, Record, Role};
use bounds::with_bounds;
pub use fallback::fallback;
use out::Out;

/// Everything the derive emits for a valid struct or enum.
pub fn expand(record: &Record<'_>) -> TokenStream {
    let mut out = Out::new();
    out.s("const _: () = ");
    out.group(Delimiter::Brace, |out| {
        out.s(PRELUDE);
        // The autoref dispatch of nested fields (`NestedRef`) needs its traits in scope.
        if record
            .fields
            .iter()
            .any(|plan| matches!(plan.role, Role::Nested))
        {
            out.s("#[allow(unused_imports)] use __p::{NestedMutGet as _, NestedMutNone as _, NestedRefGet as _, NestedRefNone as _};");
        }
        debug::impl_debug(out, record);
        personal::impl_record(out, record);
        register::register(out, record);
    });
    out.s(";");
    out.finish()
}

/// The first item of every generated block: `__p` names the generated code's paths.
const PRELUDE: &str = "use ::privacy_core::__private as __p;";

/// `impl<..> TRAIT for Type<..> where ..`, the trait written as text: the user's generics and
/// where clause as their tokens, plus the inferred `bounds`.
fn impl_header(out: &mut Out, record: &Record<'_>, bounds: &[syn::WherePredicate], tr: &str) {
    let ident = record.input.ident;
    if record.input.generics.params.is_empty()
        && record.input.generics.where_clause.is_none()
        && bounds.is_empty()
    {
        out.s("impl ").s(tr).s(" for ").s(&ident.to_string());
        return;
    }
    let (impl_generics, ty_generics, where_clause) = with_bounds(record, bounds);
    out.s("impl").t(&impl_generics).s(tr).s(" for ").t(ident);
    out.t(&ty_generics).t(&where_clause);
}

/// A field as a place expression: `self.x` for a struct, `(*__fN)` in an enum's match arm.
#[derive(Clone, Copy)]
pub enum Place<'a> {
    Member(&'a Member),
    Local(usize),
}

impl Place<'_> {
    /// The place as text (call-site span).
    fn text(self) -> String {
        match self {
            Place::Member(Member::Named(ident)) => format!("self.{ident}"),
            Place::Member(Member::Unnamed(index)) => format!("self.{}", index.index),
            Place::Local(i) => format!("(*__f{i})"),
        }
    }

    /// The place as tokens spanned at `span`, where errors about it should point.
    fn at(self, span: Span) -> TokenStream {
        match self {
            Place::Member(member) => {
                let member = spanned_member(member, span);
                quote_spanned!(span=> self.#member)
            }
            Place::Local(i) => {
                let mut local = format_ident!("__f{}", i);
                local.set_span(span);
                quote_spanned!(span=> (*#local))
            }
        }
    }
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

/// A method body: `stmt(out, plan, place)` writes the statement of each field that is `used`;
/// see [`over_groups`].
fn over_fields(
    out: &mut Out,
    record: &Record<'_>,
    used: &dyn Fn(&FieldPlan<'_>) -> bool,
    stmt: &dyn Fn(&mut Out, &FieldPlan<'_>, Place<'_>),
) {
    over_groups(out, record, used, &|out, fields| {
        for &(plan, place) in fields {
            stmt(out, plan, place);
        }
    });
}

/// A field that a method body reads, and where it is.
type Used<'p, 'a> = (&'p FieldPlan<'a>, Place<'p>);

/// A method body: `body(out, fields)` writes the statements over the `used` fields of the
/// struct, in declaration order; for an enum, it is called once per variant, inside a
/// `match self` with one arm per variant binding only its used fields.
fn over_groups(
    out: &mut Out,
    record: &Record<'_>,
    used: &dyn Fn(&FieldPlan<'_>) -> bool,
    body: &dyn Fn(&mut Out, &[Used<'_, '_>]),
) {
    match &record.input.body {
        Body::Struct(_) => {
            let fields: Vec<Used<'_, '_>> = record
                .fields
                .iter()
                .filter(|plan| used(plan))
                .map(|plan| (plan, Place::Member(&plan.field.member)))
                .collect();
            body(out, &fields);
        }
        Body::Enum(variants) => {
            out.s("#[allow(unreachable_patterns)] match self ");
            out.group(Delimiter::Brace, |out| {
                for variant in variants {
                    let fields = &record.fields[variant.range.clone()];
                    let bound: Vec<usize> = (0..fields.len())
                        .filter(|&index| used(&fields[index]))
                        .collect();
                    out.s("Self::").s(&variant.ident.to_string());
                    match variant.style {
                        Style::Unit => {}
                        Style::Named => {
                            out.group(Delimiter::Brace, |out| {
                                for &index in &bound {
                                    let member = member_text(&fields[index].field.member);
                                    out.s(&format!(
                                        "{member}: __f{},",
                                        variant.range.start + index
                                    ));
                                }
                                out.s("..");
                            });
                        }
                        Style::Tuple => {
                            out.group(Delimiter::Parenthesis, |out| {
                                for index in 0..fields.len() {
                                    if bound.contains(&index) {
                                        out.s(&format!("__f{},", variant.range.start + index));
                                    } else {
                                        out.s("_,");
                                    }
                                }
                            });
                        }
                    }
                    out.s(" => ");
                    let used: Vec<Used<'_, '_>> = bound
                        .iter()
                        .map(|&index| (&fields[index], Place::Local(variant.range.start + index)))
                        .collect();
                    out.group(Delimiter::Brace, |out| body(out, &used));
                }
            });
        }
    }
}

/// A member as text: the identifier as written (`r#type` included) or the tuple index.
fn member_text(member: &Member) -> String {
    match member {
        Member::Named(ident) => ident.to_string(),
        Member::Unnamed(index) => index.index.to_string(),
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
    plan.field.ty_span
}
