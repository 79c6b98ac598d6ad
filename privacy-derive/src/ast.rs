//! The derive's view of the input: the struct or enum and its fields, with raw `#[personal]`
//! and `#[serde]` attributes, borrowing the `syn` tree.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Generics, Ident, Member, Type};

use crate::attr::{ContainerAttrs, FieldAttrs};
use crate::ctxt::Ctxt;
use crate::serde_attr::{self, SerdeContainer, SerdeVariant};

/// The type being derived.
pub struct Container<'a> {
    pub ident: &'a Ident,
    pub generics: &'a Generics,
    pub attrs: ContainerAttrs,
    pub serde: SerdeContainer,
    /// Every attribute of the input, as written.
    pub raw_attrs: &'a [syn::Attribute],
    /// The struct's own fields, or the enum's variants.
    pub body: Body,
    /// Every field, of every variant for an enum, in declaration order.
    pub fields: Vec<Field<'a>>,
}

/// A struct (one group of fields) or an enum (one per variant).
pub enum Body {
    Struct(Style),
    Enum(Vec<Variant>),
}

/// One enum variant: its fields are `fields[range]` of the container.
pub struct Variant {
    pub ident: Ident,
    pub style: Style,
    pub range: std::ops::Range<usize>,
    pub serde: SerdeVariant,
}

/// How fields are written.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Named,
    Tuple,
    Unit,
}

/// One field.
pub struct Field<'a> {
    /// `self.<member>`, or the member in a variant pattern.
    pub member: Member,
    /// The name as text: the identifier without `r#`, or the tuple index.
    pub name: String,
    /// The name in the schema: `name`, or `Variant.name` in an enum.
    pub schema_name: String,
    /// The variant it belongs to (index into `Body::Enum`), for enums.
    pub variant: Option<usize>,
    pub ty: &'a Type,
    /// Where errors about the type point (see [`type_span`]), found once.
    pub ty_span: Span,
    /// Where to point when the field itself is at fault: its name, or its type in a tuple.
    pub span: Span,
    pub attrs: FieldAttrs,
    pub serde: serde_attr::SerdeField,
}

impl<'a> Container<'a> {
    /// Reads the input; unions are reported and give `None`.
    pub fn from_ast(cx: &Ctxt, input: &'a DeriveInput) -> Option<Self> {
        let attrs = ContainerAttrs::parse(cx, &input.attrs);
        let serde = SerdeContainer::parse(&input.attrs);
        let mut fields = Vec::new();
        let body = match &input.data {
            Data::Struct(data) => {
                read_fields(cx, &data.fields, None, &mut fields);
                Body::Struct(style(&data.fields))
            }
            Data::Enum(data) => Body::Enum(
                data.variants
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        let start = fields.len();
                        read_fields(cx, &v.fields, Some((i, &v.ident)), &mut fields);
                        Variant {
                            ident: v.ident.clone(),
                            style: style(&v.fields),
                            range: start..fields.len(),
                            serde: SerdeVariant::parse(&v.attrs),
                        }
                    })
                    .collect(),
            ),
            Data::Union(data) => {
                cx.error(
                    data.union_token.span(),
                    "#[derive(PersonalData)] does not support unions",
                    Some("a union's active field is unknown, so it cannot be redacted or erased safely; use a struct or an enum"),
                );
                return None;
            }
        };
        Some(Container {
            ident: &input.ident,
            generics: &input.generics,
            attrs,
            serde,
            raw_attrs: &input.attrs,
            body,
            fields,
        })
    }

    /// The variants, for an enum.
    pub fn variants(&self) -> &[Variant] {
        match &self.body {
            Body::Struct(_) => &[],
            Body::Enum(variants) => variants,
        }
    }
}

fn style(fields: &Fields) -> Style {
    match fields {
        Fields::Named(_) => Style::Named,
        Fields::Unnamed(_) => Style::Tuple,
        Fields::Unit => Style::Unit,
    }
}

fn read_fields<'a>(
    cx: &Ctxt,
    fields: &'a Fields,
    variant: Option<(usize, &Ident)>,
    out: &mut Vec<Field<'a>>,
) {
    for (i, f) in fields.iter().enumerate() {
        let ty_span = type_span(&f.ty);
        let (member, name, span) = match &f.ident {
            Some(ident) => (
                Member::Named(ident.clone()),
                ident.unraw().to_string(),
                ident.span(),
            ),
            None => (Member::Unnamed(i.into()), i.to_string(), ty_span),
        };
        let schema_name = match variant {
            Some((_, v)) => format!("{}.{name}", v.unraw()),
            None => name.clone(),
        };
        out.push(Field {
            member,
            name,
            schema_name,
            variant: variant.map(|(i, _)| i),
            ty: &f.ty,
            ty_span,
            span,
            attrs: FieldAttrs::parse(cx, &f.attrs),
            serde: serde_attr::SerdeField::parse(&f.attrs),
        });
    }
}

/// The span of a type, as `syn::spanned::Spanned` gives it on a stable compiler (the span of
/// its first token: spans do not join there), without converting the whole type to tokens
/// for the common case of a path.
pub fn type_span(ty: &Type) -> Span {
    match ty {
        Type::Path(path) if path.qself.is_none() => match &path.path.leading_colon {
            Some(colon) => colon.spans[0],
            None => path
                .path
                .segments
                .first()
                .map_or_else(|| ty.span(), |segment| segment.ident.span()),
        },
        _ => ty.span(),
    }
}
