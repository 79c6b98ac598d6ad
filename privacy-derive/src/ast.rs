//! The derive's view of the input: the struct and its fields, with raw attributes, borrowing
//! the `syn` tree.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Generics, Ident, Member, Type};

use crate::attr::{ContainerAttrs, FieldAttrs};
use crate::ctxt::Ctxt;

/// The struct being derived.
pub struct Container<'a> {
    pub ident: &'a Ident,
    pub generics: &'a Generics,
    pub attrs: ContainerAttrs,
    pub style: Style,
    pub fields: Vec<Field<'a>>,
}

/// How the struct's fields are written.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Named,
    Tuple,
    Unit,
}

/// One field.
pub struct Field<'a> {
    /// `self.<member>`.
    pub member: Member,
    /// The name as text: the identifier without `r#`, or the tuple index.
    pub name: String,
    pub ty: &'a Type,
    /// Where to point when the field itself is at fault: its name, or its type in a tuple struct.
    pub span: Span,
    pub attrs: FieldAttrs,
}

impl<'a> Container<'a> {
    /// Reads the input; enums and unions are reported and give `None`.
    pub fn from_ast(cx: &Ctxt, input: &'a DeriveInput) -> Option<Self> {
        let attrs = ContainerAttrs::parse(cx, &input.attrs);
        let fields = match &input.data {
            Data::Struct(data) => &data.fields,
            Data::Enum(data) => {
                cx.error(
                    data.enum_token.span(),
                    "#[derive(PersonalData)] does not support enums yet",
                    Some("derive it on the structs that the variants hold, and classify their fields"),
                );
                return None;
            }
            Data::Union(data) => {
                cx.error(
                    data.union_token.span(),
                    "#[derive(PersonalData)] does not support unions",
                    Some("a union's active field is unknown, so it cannot be redacted or erased safely; use a struct"),
                );
                return None;
            }
        };
        let style = match fields {
            Fields::Named(_) => Style::Named,
            Fields::Unnamed(_) => Style::Tuple,
            Fields::Unit => Style::Unit,
        };
        let fields = fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let (member, name, span) = match &f.ident {
                    Some(ident) => (
                        Member::Named(ident.clone()),
                        ident.unraw().to_string(),
                        ident.span(),
                    ),
                    None => (Member::Unnamed(i.into()), i.to_string(), f.ty.span()),
                };
                Field {
                    member,
                    name,
                    ty: &f.ty,
                    span,
                    attrs: FieldAttrs::parse(cx, &f.attrs),
                }
            })
            .collect();
        Some(Container {
            ident: &input.ident,
            generics: &input.generics,
            attrs,
            style,
            fields,
        })
    }
}
