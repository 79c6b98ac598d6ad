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
        out.s(
            "#[inline] fn fmt(&self, __f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result ",
        );
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

/// The body of one struct or variant: one `__p::debug_fields` call with a constant table of
/// (name, tag) pairs (the tag `""` for a field shown as it is) and a slice of the values shown.
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
    let table: Vec<(&str, String)> = fields
        .iter()
        .map(|plan| {
            let field = if named { plan.field.name.as_str() } else { "" };
            let tag = match &plan.role {
                Role::Personal(personal) => format!("<{}>", personal.category.name()),
                Role::CollectedAt => "<collected_at>".to_owned(),
                Role::Nested | Role::NotPersonal | Role::RecordId => String::new(),
            };
            (field, tag)
        })
        .collect();
    // One string literal for the name and the table, unless a part holds the separator.
    let packable = !name.contains(SEPARATOR)
        && table
            .iter()
            .all(|(field, tag)| !field.contains(SEPARATOR) && !tag.contains(SEPARATOR));
    if packable {
        let mut packed = name.to_owned();
        for (field, tag) in &table {
            packed.push(SEPARATOR);
            packed.push_str(field);
            packed.push(SEPARATOR);
            packed.push_str(tag);
        }
        out.s("__p::debug_packed");
        out.group(Delimiter::Parenthesis, |out| {
            out.s("__f, ")
                .lit(&packed)
                .s(if named { ", true, &" } else { ", false, &" });
            values(out, fields, place);
        });
        return;
    }
    out.s("__p::debug_fields");
    out.group(Delimiter::Parenthesis, |out| {
        out.s("__f, ")
            .lit(name)
            .s(if named { ", true, &[" } else { ", false, &[" });
        for (field, tag) in &table {
            out.s("(").lit(field).s(", ").lit(tag).s("),");
        }
        out.s("], &");
        values(out, fields, place);
    });
}

/// `debug_packed`'s separator (`privacy_core::redact::PACKED_SEPARATOR`).
const SEPARATOR: char = '\0';

/// `[..]`: the values of the fields shown by their own `Debug`.
fn values(out: &mut Out, fields: &[FieldPlan<'_>], place: &GroupPlace<'_>) {
    out.group(Delimiter::Bracket, |out| {
        for (index, plan) in fields.iter().enumerate() {
            if shown(plan) {
                debug_value(out, plan, place(index, plan));
                out.s(",");
            }
        }
    });
}

/// Whether the field is shown by its own `Debug` (not as a tag).
fn shown(plan: &FieldPlan<'_>) -> bool {
    matches!(plan.role, Role::Nested | Role::NotPersonal | Role::RecordId)
}

fn debug_value(out: &mut Out, plan: &FieldPlan<'_>, place: Place<'_>) {
    match &plan.role {
        Role::Personal(_) | Role::CollectedAt => {}
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
