//! The redacted `impl Debug`: personal values print as their category tag, written in one
//! `write_str` each; nothing is allocated.

use proc_macro2::Delimiter;
use quote::quote_spanned;
use syn::ext::IdentExt;

use super::bounds::debug_bounds;
use super::out::Out;
use super::{impl_header, member_text, private_at, type_span, Place};
use crate::ast::{Body, Style};
use crate::model::{FieldPlan, Record, Role};

pub fn impl_debug(out: &mut Out, record: &Record<'_>) {
    let input = record.input;
    out.s("#[automatically_derived] ");
    impl_header(out, record, &debug_bounds(record), " ::core::fmt::Debug");
    out.group(Delimiter::Brace, |out| {
        out.s("fn fmt(&self, __f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result ");
        out.group(Delimiter::Brace, |out| match &input.body {
            Body::Struct(style) => {
                let name = input.ident.unraw().to_string();
                group(out, &name, *style, &record.fields, &|_, plan| {
                    Place::Member(&plan.field.member)
                });
            }
            Body::Enum(variants) => {
                out.s("match self ");
                out.group(Delimiter::Brace, |out| {
                    for variant in variants {
                        let fields = &record.fields[variant.range.clone()];
                        let start = variant.range.start;
                        out.s("#[allow(unused_variables)] Self::")
                            .s(&variant.ident.to_string());
                        match variant.style {
                            Style::Unit => {}
                            Style::Named => {
                                out.group(Delimiter::Brace, |out| {
                                    for (i, plan) in fields.iter().enumerate() {
                                        let member = member_text(&plan.field.member);
                                        out.s(&format!("{member}: __f{},", start + i));
                                    }
                                });
                            }
                            Style::Tuple => {
                                out.group(Delimiter::Parenthesis, |out| {
                                    for i in 0..fields.len() {
                                        out.s(&format!("__f{},", start + i));
                                    }
                                });
                            }
                        }
                        out.s(" => ");
                        let name = variant.ident.unraw().to_string();
                        out.group(Delimiter::Brace, |out| {
                            group(out, &name, variant.style, fields, &|index, _| {
                                Place::Local(start + index)
                            });
                        });
                    }
                });
            }
        });
    });
}

/// A field of a struct or variant as a place expression, from its index in the group.
type GroupPlace<'c> = dyn for<'p> Fn(usize, &'p FieldPlan<'_>) -> Place<'p> + 'c;

/// The debug builder of one struct or variant.
fn group(
    out: &mut Out,
    name: &str,
    style: Style,
    fields: &[FieldPlan<'_>],
    place: &GroupPlace<'_>,
) {
    if style == Style::Unit {
        out.s("::core::fmt::Formatter::write_str(__f, ")
            .lit(name)
            .s(")");
        return;
    }
    let named = style == Style::Named;
    if named {
        out.s("let mut __x = ::core::fmt::Formatter::debug_struct(__f, ");
    } else {
        out.s("let mut __x = ::core::fmt::Formatter::debug_tuple(__f, ");
    }
    out.lit(name).s(");");
    for (index, plan) in fields.iter().enumerate() {
        out.s("__x.field");
        out.group(Delimiter::Parenthesis, |out| {
            if named {
                out.lit(&plan.field.name).s(", ");
            }
            debug_value(out, plan, place(index, plan));
        });
        out.s(";");
    }
    out.s("__x.finish()");
}

fn debug_value(out: &mut Out, plan: &FieldPlan<'_>, place: Place<'_>) {
    match &plan.role {
        Role::Personal(personal) => {
            out.s("&__p::TagLiteral(")
                .lit(&format!("<{}>", personal.category.name()))
                .s(")");
        }
        Role::CollectedAt => {
            out.s("&__p::TagLiteral(\"<collected_at>\")");
        }
        Role::Nested => {
            let span = type_span(plan);
            let (p, place) = (private_at(span), place.at(span));
            out.t(&quote_spanned!(span=> &#p::NestedDebug((&#p::NestedRef(&#place)).get())));
        }
        Role::NotPersonal | Role::RecordId => {
            out.s("&").s(&place.text());
        }
    }
}
