//! Parsing of `#[personal(...)]` attributes into raw, unvalidated values.
//!
//! Every key is read with `syn::meta::ParseNestedMeta`; a key given twice is reported at both
//! places; an unknown key is reported with the closest known one. Meaning is checked later,
//! in `valid.rs`.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, LitBool, LitInt, LitStr, Path, Token};

use crate::ctxt::Ctxt;
use crate::taxonomy;

/// The attribute name.
pub const PERSONAL: &str = "personal";

// Field keys.
pub const CATEGORY: &str = "category";
pub const SUBJECT_ID: &str = "subject_id";
pub const COLLECTED_AT: &str = "collected_at";
pub const NESTED: &str = "nested";
pub const NOT_PERSONAL: &str = "not_personal";
pub const PURPOSE: &str = "purpose";
pub const RETENTION: &str = "retention";
pub const ANONYMIZE: &str = "anonymize";
pub const ANONYMIZE_WITH: &str = "anonymize_with";
pub const ENCRYPT: &str = "encrypt";
pub const BLIND_INDEX: &str = "blind_index";
/// The one key inside `blind_index(...)`.
pub const BITS: &str = "bits";
pub const ON_ERASE: &str = "on_erase";
pub const LEGAL_BASIS: &str = "legal_basis";
pub const SOURCE: &str = "source";
pub const SHARED_WITH: &str = "shared_with";
pub const EXPORT: &str = "export";
pub const RECORD_ID: &str = "record_id";
pub const WITH: &str = "with";

// Container keys.
pub const SUBJECT: &str = "subject";
pub const NAME: &str = "name";

const FIELD_KEYS: &[&str] = &[
    CATEGORY,
    SUBJECT_ID,
    COLLECTED_AT,
    NESTED,
    NOT_PERSONAL,
    PURPOSE,
    RETENTION,
    ANONYMIZE,
    ANONYMIZE_WITH,
    ENCRYPT,
    BLIND_INDEX,
    ON_ERASE,
    LEGAL_BASIS,
    SOURCE,
    SHARED_WITH,
    EXPORT,
    RECORD_ID,
    WITH,
];
const CONTAINER_KEYS: &[&str] = &[SUBJECT, NAME];

/// One attribute key's value, remembering where the key was written.
pub struct Attr<T> {
    name: &'static str,
    slot: Option<(Span, T)>,
}

impl<T> Attr<T> {
    fn none(name: &'static str) -> Self {
        Attr { name, slot: None }
    }

    /// Stores the value; a second occurrence is an error at both keys.
    fn set(&mut self, cx: &Ctxt, key: Span, value: T) {
        if let Some((first, _)) = &self.slot {
            cx.error(
                key,
                format!("duplicate `{}`", self.name),
                Some("give each key once"),
            );
            cx.note(*first, key, format!("`{}` first given here", self.name));
        } else {
            self.slot = Some((key, value));
        }
    }

    /// The value.
    pub fn get(&self) -> Option<&T> {
        self.slot.as_ref().map(|(_, v)| v)
    }

    /// The span of the key.
    pub fn key_span(&self) -> Option<Span> {
        self.slot.as_ref().map(|(s, _)| *s)
    }

    /// Whether the key was given.
    pub fn is_set(&self) -> bool {
        self.slot.is_some()
    }
}

/// `#[personal(...)]` on the struct.
pub struct ContainerAttrs {
    pub subject: Attr<LitStr>,
    pub name: Attr<LitStr>,
}

/// `#[personal(...)]` on a field.
pub struct FieldAttrs {
    pub category: Attr<LitStr>,
    pub subject_id: Attr<()>,
    pub collected_at: Attr<()>,
    pub nested: Attr<()>,
    pub not_personal: Attr<()>,
    pub purpose: Attr<LitStr>,
    pub retention: Attr<LitStr>,
    pub anonymize: Attr<LitStr>,
    pub anonymize_with: Attr<Path>,
    pub encrypt: Attr<()>,
    /// `blind_index` (`None`) or `blind_index(bits = N)` (`Some(N)`).
    pub blind_index: Attr<Option<LitInt>>,
    pub on_erase: Attr<LitStr>,
    pub legal_basis: Attr<LitStr>,
    pub source: Attr<LitStr>,
    pub shared_with: Attr<LitStr>,
    pub export: Attr<LitBool>,
    pub record_id: Attr<()>,
    /// `with = path`: how a `subject_id`, `collected_at` or `record_id` field of a type the
    /// library does not know is read.
    pub with: Attr<Path>,
    /// Whether a key was not recognised (already reported; the field's classification may
    /// have been the misspelled key, so "not classified" would only repeat the mistake).
    pub had_unknown_key: bool,
}

impl ContainerAttrs {
    /// Reads every `#[personal(...)]` of the struct.
    pub fn parse(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut out = ContainerAttrs {
            subject: Attr::none(SUBJECT),
            name: Attr::none(NAME),
        };
        for attr in personal_attrs(attrs) {
            let result = attr.parse_nested_meta(|meta| {
                let key = meta.path.span();
                let name = key_name(&meta.path);
                let name = name.as_deref().unwrap_or("");
                if name == SUBJECT {
                    out.subject.set(cx, key, meta.value()?.parse()?);
                } else if name == NAME {
                    out.name.set(cx, key, meta.value()?.parse()?);
                } else if FIELD_KEYS.contains(&name) {
                    cx.error(
                        key,
                        format!(
                            "`{}` belongs on a field, not on the struct",
                            path_name(&meta.path)
                        ),
                        Some("move it to the field it describes"),
                    );
                    skip_value(&meta)?;
                } else {
                    unknown_key(cx, &meta, CONTAINER_KEYS, "struct")?;
                }
                Ok(())
            });
            if let Err(err) = result {
                cx.syn_error(err);
            }
        }
        out
    }
}

impl FieldAttrs {
    /// Reads every `#[personal(...)]` of a field.
    pub fn parse(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut out = FieldAttrs {
            category: Attr::none(CATEGORY),
            subject_id: Attr::none(SUBJECT_ID),
            collected_at: Attr::none(COLLECTED_AT),
            nested: Attr::none(NESTED),
            not_personal: Attr::none(NOT_PERSONAL),
            purpose: Attr::none(PURPOSE),
            retention: Attr::none(RETENTION),
            anonymize: Attr::none(ANONYMIZE),
            anonymize_with: Attr::none(ANONYMIZE_WITH),
            encrypt: Attr::none(ENCRYPT),
            blind_index: Attr::none(BLIND_INDEX),
            on_erase: Attr::none(ON_ERASE),
            legal_basis: Attr::none(LEGAL_BASIS),
            source: Attr::none(SOURCE),
            shared_with: Attr::none(SHARED_WITH),
            export: Attr::none(EXPORT),
            record_id: Attr::none(RECORD_ID),
            with: Attr::none(WITH),
            had_unknown_key: false,
        };
        for attr in personal_attrs(attrs) {
            let result = attr.parse_nested_meta(|meta| out.parse_key(cx, &meta));
            if let Err(err) = result {
                cx.syn_error(err);
            }
        }
        out
    }

    fn parse_key(&mut self, cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
        let key = meta.path.span();
        let flag = |attr: &mut Attr<()>| -> syn::Result<()> {
            if meta.input.peek(Token![=]) || meta.input.peek(syn::token::Paren) {
                cx.error(
                    key,
                    format!("`{}` takes no value", path_name(&meta.path)),
                    Some("write the bare key, e.g. `#[personal(encrypt)]`"),
                );
                skip_value(meta)?;
            }
            attr.set(cx, key, ());
            Ok(())
        };
        // One string per key, matched once (each `Path::is_ident` converts the compiler's
        // identifier to a string again).
        let name = key_name(&meta.path);
        match name.as_deref().unwrap_or("") {
            CATEGORY => self.category.set(cx, key, meta.value()?.parse()?),
            SUBJECT_ID => flag(&mut self.subject_id)?,
            COLLECTED_AT => flag(&mut self.collected_at)?,
            NESTED => flag(&mut self.nested)?,
            NOT_PERSONAL => flag(&mut self.not_personal)?,
            RECORD_ID => flag(&mut self.record_id)?,
            PURPOSE => self.purpose.set(cx, key, meta.value()?.parse()?),
            RETENTION => self.retention.set(cx, key, meta.value()?.parse()?),
            ANONYMIZE => self.anonymize.set(cx, key, meta.value()?.parse()?),
            WITH => self.with.set(cx, key, meta.value()?.parse()?),
            ANONYMIZE_WITH => self.anonymize_with.set(cx, key, meta.value()?.parse()?),
            ENCRYPT => flag(&mut self.encrypt)?,
            BLIND_INDEX => self.parse_blind_index(cx, meta)?,
            ON_ERASE => self.on_erase.set(cx, key, meta.value()?.parse()?),
            LEGAL_BASIS => self.legal_basis.set(cx, key, meta.value()?.parse()?),
            SOURCE => self.source.set(cx, key, meta.value()?.parse()?),
            SHARED_WITH => self.shared_with.set(cx, key, meta.value()?.parse()?),
            EXPORT => self.export.set(cx, key, meta.value()?.parse()?),
            SUBJECT => {
                cx.error(
                    key,
                    "`subject` belongs on the struct, not on a field",
                    Some("write `#[personal(subject = \"...\")]` above the struct; mark the field holding the subject's id with `#[personal(subject_id)]`"),
                );
                skip_value(meta)?;
            }
            _ => {
                self.had_unknown_key = true;
                unknown_key(cx, meta, FIELD_KEYS, "field")?;
            }
        }
        Ok(())
    }

    /// `blind_index` or `blind_index(bits = N)`.
    fn parse_blind_index(&mut self, cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
        let key = meta.path.span();
        if meta.input.peek(Token![=]) {
            cx.error(
                key,
                "`blind_index` takes no value",
                Some("write `blind_index`, or `blind_index(bits = 32)` to truncate the index"),
            );
            return skip_value(meta);
        }
        let mut bits = None;
        if meta.input.peek(syn::token::Paren) {
            meta.parse_nested_meta(|inner| {
                if inner.path.is_ident(BITS) {
                    let lit: LitInt = inner.value()?.parse()?;
                    if bits.is_some() {
                        cx.error(lit.span(), "duplicate `bits`", Some("give `bits` once"));
                    }
                    bits = Some(lit);
                } else {
                    cx.error(
                        inner.path.span(),
                        format!(
                            "unknown key `{}` in `blind_index(...)`",
                            path_name(&inner.path)
                        ),
                        Some("the only key is `bits`, e.g. `blind_index(bits = 32)`"),
                    );
                    skip_value(&inner)?;
                }
                Ok(())
            })?;
        }
        self.blind_index.set(cx, key, bits);
        Ok(())
    }
}

fn personal_attrs(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
    attrs.iter().filter(|a| a.path().is_ident(PERSONAL))
}

/// The key as text when it is a single identifier (what `Path::is_ident` compares), `None`
/// for any other path.
pub fn key_name(path: &Path) -> Option<String> {
    path.get_ident().map(ToString::to_string)
}

fn path_name(path: &Path) -> String {
    quote::ToTokens::to_token_stream(path)
        .to_string()
        .replace(' ', "")
}

fn unknown_key(
    cx: &Ctxt,
    meta: &ParseNestedMeta<'_>,
    known: &[&'static str],
    on: &str,
) -> syn::Result<()> {
    let name = path_name(&meta.path);
    let help = match taxonomy::closest(&name, known.iter().copied()) {
        Some(close) => format!(
            "did you mean `{close}`? keys on a {on}: {}",
            taxonomy::list(known.iter().copied())
        ),
        None => format!("keys on a {on}: {}", taxonomy::list(known.iter().copied())),
    };
    cx.error(
        meta.path.span(),
        format!("unknown key `{name}` in #[personal(...)]"),
        Some(&help),
    );
    skip_value(meta)
}

/// Consumes `= value` or `(...)` after a key that was rejected, so parsing goes on.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<proc_macro2::Group>()?;
    }
    Ok(())
}
