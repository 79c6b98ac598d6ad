//! What the derive reads of `#[serde(...)]`: the names serde writes, what it skips, and the
//! attributes behind which a value is not serde's own (`with`, `serialize_with`,
//! `transparent`). serde validates its own attributes; keys this crate does not need are
//! skipped without comment.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, LitStr, Token};

/// `#[serde(...)]` on the container (struct or enum).
#[derive(Default)]
pub struct SerdeContainer {
    /// `rename = "..."` (serialize side).
    pub rename: Option<String>,
    /// `rename_all = "..."` (serialize side).
    pub rename_all: Option<String>,
    /// `rename_all_fields = "..."` (enums: applies to the fields of every struct variant).
    pub rename_all_fields: Option<String>,
    /// `transparent`, with its span.
    pub transparent: Option<Span>,
}

/// `#[serde(...)]` on a variant.
#[derive(Default)]
pub struct SerdeVariant {
    /// `rename = "..."`.
    pub rename: Option<String>,
    /// `rename_all = "..."` for the variant's fields.
    pub rename_all: Option<String>,
    /// `skip` / `skip_serializing`.
    pub skipped: bool,
}

/// `#[serde(...)]` on a field.
#[derive(Default)]
pub struct SerdeField {
    /// `rename = "..."` (serialize side).
    pub rename: Option<String>,
    /// `skip_serializing_if = "..."`.
    pub skip_if: bool,
    /// `skip` or `skip_serializing`.
    pub skipped: bool,
    /// `with`, `serialize_with` (the span of the key, for errors).
    pub serialize_with: Option<Span>,
    /// `flatten` (its span).
    pub flatten: Option<Span>,
}

fn serde_attrs(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
    attrs.iter().filter(|a| a.path().is_ident("serde"))
}

/// Reads `rename = "x"` or `rename(serialize = "x", ...)`: the serialize-side name.
fn serialize_name(meta: &ParseNestedMeta<'_>) -> syn::Result<Option<String>> {
    if meta.input.peek(Token![=]) {
        let lit: LitStr = meta.value()?.parse()?;
        return Ok(Some(lit.value()));
    }
    let mut out = None;
    meta.parse_nested_meta(|inner| {
        if inner.path.is_ident("serialize") {
            let lit: LitStr = inner.value()?.parse()?;
            out = Some(lit.value());
        } else {
            skip(&inner)?;
        }
        Ok(())
    })?;
    Ok(out)
}

/// Skips the value of a key this crate does not read (`= expr` or `(...)`).
fn skip(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|inner| skip(&inner))?;
    }
    Ok(())
}

/// Calls `f` with each key of every `#[serde(...)]` and the key as text (`""` for a path of
/// several segments); `f` returns whether it consumed the value.
fn read(attrs: &[Attribute], mut f: impl FnMut(&ParseNestedMeta<'_>, &str) -> syn::Result<bool>) {
    for attr in serde_attrs(attrs) {
        // A malformed serde attribute is serde's to report; read what parses.
        let _ = attr.parse_nested_meta(|meta| {
            let name = crate::attr::key_name(&meta.path);
            if !f(&meta, name.as_deref().unwrap_or(""))? {
                skip(&meta)?;
            }
            Ok(())
        });
    }
}

impl SerdeContainer {
    pub fn parse(attrs: &[Attribute]) -> Self {
        let mut out = SerdeContainer::default();
        read(attrs, |meta, name| {
            let span = meta.path.span();
            if name == "rename" {
                out.rename = serialize_name(meta)?;
            } else if name == "rename_all" {
                out.rename_all = serialize_name(meta)?;
            } else if name == "rename_all_fields" {
                out.rename_all_fields = serialize_name(meta)?;
            } else if name == "transparent" {
                out.transparent = Some(span);
            } else {
                return Ok(false);
            }
            Ok(true)
        });
        out
    }
}

impl SerdeVariant {
    pub fn parse(attrs: &[Attribute]) -> Self {
        let mut out = SerdeVariant::default();
        read(attrs, |meta, name| {
            if name == "rename" {
                out.rename = serialize_name(meta)?;
            } else if name == "rename_all" {
                out.rename_all = serialize_name(meta)?;
            } else if name == "skip" || name == "skip_serializing" {
                out.skipped = true;
            } else {
                return Ok(false);
            }
            Ok(true)
        });
        out
    }
}

impl SerdeField {
    pub fn parse(attrs: &[Attribute]) -> Self {
        let mut out = SerdeField::default();
        read(attrs, |meta, name| {
            let span = meta.path.span();
            if name == "rename" {
                out.rename = serialize_name(meta)?;
            } else if name == "skip" || name == "skip_serializing" {
                out.skipped = true;
            } else if name == "skip_serializing_if" {
                out.skip_if = true;
                return Ok(false);
            } else if name == "with" || name == "serialize_with" {
                out.serialize_with = Some(span);
                return Ok(false);
            } else if name == "flatten" {
                out.flatten = Some(span);
            } else {
                return Ok(false);
            }
            Ok(true)
        });
        out
    }
}

/// serde's `rename_all` rules, applied to a field (`snake_case` Rust name) or variant
/// (`PascalCase` Rust name). `None` for a rule serde does not know (serde reports it).
pub fn apply_rule(rule: &str, name: &str, is_variant: bool) -> Option<String> {
    let words: Vec<String> = if is_variant {
        split_pascal(name)
    } else {
        name.split('_').map(str::to_owned).collect()
    };
    let lower = || words.iter().map(|w| w.to_lowercase()).collect::<Vec<_>>();
    let upper = || words.iter().map(|w| w.to_uppercase()).collect::<Vec<_>>();
    let pascal = || {
        words
            .iter()
            .map(|w| {
                let mut c = w.chars();
                c.next().map_or_else(String::new, |f| {
                    f.to_uppercase().collect::<String>() + &c.as_str().to_lowercase()
                })
            })
            .collect::<String>()
    };
    Some(match rule {
        "lowercase" => {
            if is_variant {
                name.to_lowercase()
            } else {
                name.to_owned()
            }
        }
        "UPPERCASE" => name.to_uppercase(),
        "PascalCase" => {
            if is_variant {
                name.to_owned()
            } else {
                pascal()
            }
        }
        "camelCase" => {
            let p = if is_variant {
                name.to_owned()
            } else {
                pascal()
            };
            let mut c = p.chars();
            c.next().map_or_else(String::new, |f| {
                f.to_lowercase().collect::<String>() + c.as_str()
            })
        }
        "snake_case" => {
            if is_variant {
                lower().join("_")
            } else {
                name.to_owned()
            }
        }
        "SCREAMING_SNAKE_CASE" => upper().join("_"),
        "kebab-case" => lower().join("-"),
        "SCREAMING-KEBAB-CASE" => upper().join("-"),
        _ => return None,
    })
}

/// `HTTPStatus` -> serde splits before every uppercase letter: `H`, `T`, `T`, `P`, `Status`.
fn split_pascal(name: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for c in name.chars() {
        if c.is_uppercase() || words.is_empty() {
            words.push(String::new());
        }
        if let Some(w) = words.last_mut() {
            w.push(c);
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::apply_rule;

    #[test]
    fn field_rules_match_serde() {
        let f = |r| apply_rule(r, "last_ip_addr", false).unwrap();
        assert_eq!(f("camelCase"), "lastIpAddr");
        assert_eq!(f("PascalCase"), "LastIpAddr");
        assert_eq!(f("SCREAMING_SNAKE_CASE"), "LAST_IP_ADDR");
        assert_eq!(f("kebab-case"), "last-ip-addr");
        assert_eq!(f("SCREAMING-KEBAB-CASE"), "LAST-IP-ADDR");
        assert_eq!(f("lowercase"), "last_ip_addr");
        assert_eq!(f("UPPERCASE"), "LAST_IP_ADDR");
        assert_eq!(f("snake_case"), "last_ip_addr");
    }

    #[test]
    fn variant_rules_match_serde() {
        let v = |r| apply_rule(r, "HomeAddress", true).unwrap();
        assert_eq!(v("snake_case"), "home_address");
        assert_eq!(v("camelCase"), "homeAddress");
        assert_eq!(v("kebab-case"), "home-address");
        assert_eq!(v("SCREAMING_SNAKE_CASE"), "HOME_ADDRESS");
        assert_eq!(v("lowercase"), "homeaddress");
        assert_eq!(v("UPPERCASE"), "HOMEADDRESS");
    }
}
