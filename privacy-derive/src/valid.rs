//! Every semantic check of `#[personal(...)]`, each reported at the offending token with a
//! help line; all errors of a struct are collected before any is reported.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::LitStr;

use crate::ast::{Container, Field};
use crate::attr::{self, FieldAttrs};
use crate::ctxt::Ctxt;
use crate::model::{
    AnonymizerRef, CategoryRef, ErasePlan, ErasePolicy, FieldPlan, Personal, Record, RetentionRef,
    Role,
};
use crate::serde_attr;
use crate::taxonomy;
use crate::vocabulary::{
    CUSTOM_CATEGORY_PREFIX, DEFAULT_SUBJECT_KIND, RETENTION_ACCOUNT, RETENTION_TRANSIENT,
    SUBJECT_ID_CATEGORY,
};
use syn::ext::IdentExt;

const CLASSIFY_HELP: &str = "every field says what it holds: `category = \"...\"`, `subject_id`, `collected_at`, `nested`, or `not_personal`";

/// Checks the container and resolves it to the model; `None` if anything was wrong.
pub fn validate<'a>(cx: &Ctxt, input: &'a Container<'a>) -> Option<Record<'a>> {
    let subject_kind = subject_kind(cx, input);
    let name = record_name(cx, input);
    let fields: Vec<_> = input
        .fields
        .iter()
        .filter_map(|field| {
            let has_collected_at = input
                .fields
                .iter()
                .any(|f| f.variant == field.variant && f.attrs.collected_at.is_set());
            let role = role(cx, field, has_collected_at)?;
            check_serde_field(cx, field, &role);
            check_with(cx, field, &role);
            let serde_key = serde_key(input, field);
            Some(FieldPlan {
                field,
                role,
                serde_key,
            })
        })
        .collect();
    check_transparent(cx, input, &fields);
    check_no_derived_debug(cx, input);
    unique(cx, input, "subject_id", |a| a.subject_id.key_span());
    unique(cx, input, "collected_at", |a| a.collected_at.key_span());
    unique(cx, input, "record_id", |a| a.record_id.key_span());
    if cx.has_errors() {
        return None;
    }
    Some(Record {
        input,
        subject_kind,
        name,
        serde_container: input
            .serde
            .rename
            .clone()
            .unwrap_or_else(|| input.ident.unraw().to_string()),
        fields,
    })
}

/// `#[personal(name = "...")]`, or the type's identifier. The name is bound into every
/// envelope, so it must not be empty.
fn record_name(cx: &Ctxt, input: &Container<'_>) -> String {
    match input.attrs.name.get() {
        Some(lit) => {
            let value = lit.value();
            if value.trim().is_empty() {
                cx.error(
                    lit.span(),
                    "`name` is empty",
                    Some("give the stable record name envelopes are bound to, e.g. `name = \"Account\"`"),
                );
            }
            value
        }
        None => input.ident.unraw().to_string(),
    }
}

/// The key serde writes a field under: its `rename`, else the variant's `rename_all`, else
/// the enum's `rename_all_fields` (struct variants), else the struct's `rename_all`.
fn serde_key(input: &Container<'_>, field: &Field<'_>) -> String {
    if let Some(rename) = &field.serde.rename {
        return rename.clone();
    }
    if matches!(field.member, syn::Member::Unnamed(_)) {
        return String::new();
    }
    let rule = match field.variant {
        Some(i) => input.variants()[i]
            .serde
            .rename_all
            .as_ref()
            .or(input.serde.rename_all_fields.as_ref()),
        None => input.serde.rename_all.as_ref(),
    };
    rule.and_then(|rule| serde_attr::apply_rule(rule, &field.name, false))
        .unwrap_or_else(|| field.name.clone())
}

/// serde attributes under which a promise cannot be kept, each a compile error on the
/// attribute.
fn check_serde_field(cx: &Ctxt, field: &Field<'_>, role: &Role) {
    // `serialize_with`/`with` hand serde a wrapper instead of the field's value: sealing finds
    // encrypted values by the value serde hands over, so it would never see this one.
    if let (Role::Personal(p), Some(span)) = (role, field.serde.serialize_with) {
        if p.encrypted {
            cx.error(
                span,
                "an `encrypt` field cannot be written with `serialize_with` or `with`",
                Some("sealing encrypts the value serde hands over; a custom serializer writes something else, which would be stored in clear. Move the custom format into the field's type (a newtype with its own Serialize), or drop `encrypt`"),
            );
        }
    }
    // `flatten` spreads a value's entries into the parent: the value itself is never handed
    // over, so neither the redacted view nor sealing could find it.
    if let (Some(span), Role::Personal(_) | Role::CollectedAt) = (field.serde.flatten, role) {
        cx.error(
            span,
            format!("personal field `{}` cannot be `#[serde(flatten)]`", field.name),
            Some("flatten a `nested` record instead (its own fields carry their categories), or drop `flatten`"),
        );
    }
}

/// The derive writes a redacted `Debug`; a derived one would print every value (and clash
/// with ours as a bare E0119).
fn check_no_derived_debug(cx: &Ctxt, input: &Container<'_>) {
    for attr in input
        .raw_attrs
        .iter()
        .filter(|a| a.path().is_ident("derive"))
    {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("Debug") || meta.path.segments.last().is_some_and(|s| s.ident == "Debug") {
                cx.error(
                    meta.path.span(),
                    "`#[derive(PersonalData)]` already writes a redacted `Debug`",
                    Some("remove `Debug` from this derive: the generated one prints each personal value as its category tag, so values never reach logs"),
                );
            }
            Ok(())
        });
    }
}

/// `with = path` reads a subject id, collection time or record id from a type the library
/// has no impl for (the orphan rule forbids the user's own); it means nothing elsewhere.
fn check_with(cx: &Ctxt, field: &Field<'_>, role: &Role) {
    let Some(span) = field.attrs.with.key_span() else {
        return;
    };
    let applies = match role {
        Role::Personal(p) => p.subject_id,
        Role::CollectedAt | Role::RecordId => true,
        Role::Nested | Role::NotPersonal => false,
    };
    if !applies {
        cx.error(
            span,
            "`with` applies to `subject_id`, `collected_at` and `record_id` fields",
            Some("`with = path` names a function reading the field: `fn(&T) -> Option<String>` for a subject or record id, `fn(&T) -> Option<SystemTime>` for a collection time; to anonymize, use `anonymize_with`"),
        );
    }
}

/// `#[serde(transparent)]` writes the one field as the record itself: serde never hands that
/// field over, so a personal value in it could be neither redacted nor sealed.
fn check_transparent(cx: &Ctxt, input: &Container<'_>, fields: &[FieldPlan<'_>]) {
    let Some(span) = input.serde.transparent else {
        return;
    };
    if fields
        .iter()
        .any(|f| matches!(f.role, Role::Personal(_) | Role::CollectedAt | Role::Nested))
    {
        cx.error(
            span,
            "`#[serde(transparent)]` on a record with classified fields",
            Some("the redacted view and sealing find personal values by the field serde hands over, and a transparent type hands none over; classify the wrapper where it is used as a field instead (`#[personal(category = \"...\")] email: Email`)"),
        );
    }
}

fn subject_kind(cx: &Ctxt, input: &Container<'_>) -> String {
    match input.attrs.subject.get() {
        Some(lit) => {
            let value = lit.value();
            if value.trim().is_empty() {
                cx.error(
                    lit.span(),
                    "`subject` is empty",
                    Some("name the kind of data subject, e.g. `subject = \"customer\"`"),
                );
            }
            value
        }
        None => DEFAULT_SUBJECT_KIND.to_owned(),
    }
}

/// Reports a second field carrying a key that only one field may have.
fn unique(cx: &Ctxt, input: &Container<'_>, key: &str, span: impl Fn(&FieldAttrs) -> Option<Span>) {
    let groups: Vec<Option<usize>> = match input.variants() {
        [] => vec![None],
        variants => (0..variants.len()).map(Some).collect(),
    };
    for group in groups {
        let mut spans = input
            .fields
            .iter()
            .filter(|f| f.variant == group)
            .filter_map(|f| span(&f.attrs));
        unique_in(cx, key, &mut spans);
    }
}

fn unique_in(cx: &Ctxt, key: &str, spans: &mut dyn Iterator<Item = Span>) {
    if let Some(first) = spans.next() {
        for again in spans {
            cx.error(
                again,
                format!("a second `{key}` field"),
                Some(&format!("a record has at most one `{key}` field")),
            );
            cx.note(first, again, format!("first `{key}` field here"));
        }
    }
}

/// The field's role; reports a missing or conflicting classification.
fn role(cx: &Ctxt, field: &Field<'_>, has_collected_at: bool) -> Option<Role> {
    let a = &field.attrs;
    let classes = [
        (attr::CATEGORY, a.category.key_span()),
        (attr::SUBJECT_ID, a.subject_id.key_span()),
        (attr::COLLECTED_AT, a.collected_at.key_span()),
        (attr::NESTED, a.nested.key_span()),
        (attr::NOT_PERSONAL, a.not_personal.key_span()),
        (attr::RECORD_ID, a.record_id.key_span()),
    ];
    let given: Vec<(&str, Span)> = classes
        .iter()
        .filter_map(|(k, s)| s.map(|s| (*k, s)))
        .collect();
    // `subject_id` may name its category; every other pair conflicts.
    let conflicting: Vec<_> = given
        .iter()
        .filter(|(k, _)| !(a.subject_id.is_set() && *k == attr::CATEGORY))
        .collect();
    if let [(first, _), rest @ ..] = conflicting.as_slice() {
        for (key, span) in rest {
            cx.error(
                *span,
                format!("`{key}` conflicts with `{first}`"),
                Some(&format!(
                    "a field has exactly one classification; {CLASSIFY_HELP}"
                )),
            );
        }
    }
    let Some((class, _)) = conflicting.first().copied().copied() else {
        if a.had_unknown_key {
            return None;
        }
        cx.error(
            field.span,
            format!("field `{}` is not classified", field.name),
            Some(&format!(
                "{CLASSIFY_HELP} (privacy by default: nothing is assumed)"
            )),
        );
        return None;
    };
    match class {
        attr::NOT_PERSONAL | attr::NESTED | attr::COLLECTED_AT | attr::RECORD_ID => {
            reject_personal_keys(cx, a, class);
            Some(match class {
                attr::NOT_PERSONAL => Role::NotPersonal,
                attr::NESTED => Role::Nested,
                attr::RECORD_ID => Role::RecordId,
                _ => Role::CollectedAt,
            })
        }
        _ => personal(cx, field, has_collected_at).map(|p| Role::Personal(Box::new(p))),
    }
}

/// Keys that only make sense on a personal field, given on a field that is not one.
fn reject_personal_keys(cx: &Ctxt, a: &FieldAttrs, class: &str) {
    let keys = [
        (attr::PURPOSE, a.purpose.key_span()),
        (attr::RETENTION, a.retention.key_span()),
        (attr::ANONYMIZE, a.anonymize.key_span()),
        (attr::ANONYMIZE_WITH, a.anonymize_with.key_span()),
        (attr::ENCRYPT, a.encrypt.key_span()),
        (attr::BLIND_INDEX, a.blind_index.key_span()),
        (attr::ON_ERASE, a.on_erase.key_span()),
        (attr::LEGAL_BASIS, a.legal_basis.key_span()),
        (attr::SOURCE, a.source.key_span()),
        (attr::SHARED_WITH, a.shared_with.key_span()),
        (attr::EXPORT, a.export.key_span()),
    ];
    for (key, span) in keys {
        if let Some(span) = span {
            let help = if class == attr::NESTED {
                "the nested record's own fields carry their attributes; remove it here"
            } else {
                "remove it, or classify the field with `category = \"...\"` if it holds personal data"
            };
            cx.error(
                span,
                format!("`{key}` conflicts with `{class}`"),
                Some(help),
            );
        }
    }
}

/// The default bits of a blind index: `privacy_core::schema::DEFAULT_BLIND_INDEX_BITS`.
const DEFAULT_BLIND_INDEX_BITS: u16 = 64;

/// The bits of `blind_index(bits = N)`: a multiple of 8 from 16 to 256, or the default.
fn blind_index_bits(cx: &Ctxt, a: &FieldAttrs) -> u16 {
    let Some(Some(lit)) = a.blind_index.get() else {
        return DEFAULT_BLIND_INDEX_BITS;
    };
    match lit.base10_parse::<u16>() {
        Ok(bits) if (16..=256).contains(&bits) && bits % 8 == 0 => bits,
        _ => {
            cx.error(
                lit.span(),
                format!("`bits = {lit}` is not a valid blind index length"),
                Some("use a multiple of 8 from 16 to 256; fewer bits mean more false positives per lookup (about rows / 2^bits), more bits link records more surely; the default is 64"),
            );
            DEFAULT_BLIND_INDEX_BITS
        }
    }
}

fn personal(cx: &Ctxt, field: &Field<'_>, has_collected_at: bool) -> Option<Personal> {
    let a = &field.attrs;
    let subject_id = a.subject_id.is_set();
    if subject_id {
        for (key, span) in [
            (attr::RETENTION, a.retention.key_span()),
            (attr::ANONYMIZE, a.anonymize.key_span()),
            (attr::ANONYMIZE_WITH, a.anonymize_with.key_span()),
            (attr::ENCRYPT, a.encrypt.key_span()),
            (attr::BLIND_INDEX, a.blind_index.key_span()),
        ] {
            if let Some(span) = span {
                cx.error(
                    span,
                    format!("`{key}` conflicts with `subject_id`"),
                    Some("the subject id links records, sealed envelopes and erasure reports to the person; it stays as it is while the record exists"),
                );
            }
        }
    }
    let category = match a.category.get() {
        Some(lit) => category(cx, lit),
        None => taxonomy::category(SUBJECT_ID_CATEGORY).map(|c| CategoryRef::Known {
            name: c.name,
            variant: c.variant,
        }),
    };
    let retention = a
        .retention
        .get()
        .map_or(Some(RetentionRef::Unspecified), |lit| retention(cx, lit));
    if let (Some(RetentionRef::Period { .. }), false, Some(lit)) =
        (retention, has_collected_at, a.retention.get())
    {
        cx.error(
            lit.span(),
            format!("retention `{}` is measured from the record's collection time, but no field is `#[personal(collected_at)]`", lit.value()),
            Some("add a `#[personal(collected_at)]` field (a `std::time::SystemTime`; with privacy-core's feature `chrono` also a `chrono::DateTime`, `NaiveDateTime` or `NaiveDate`, with `time` an `OffsetDateTime`, `PrimitiveDateTime` or `Date`; an `Option` of one; or any type implementing `privacy_core::CollectedAt`), or use `retention = \"account\"`"),
        );
    }
    let anonymizer = anonymizer(cx, a);
    let on_erase = on_erase(cx, field, subject_id, anonymizer.is_some());
    let legal_basis = a.legal_basis.get().map(LitStr::value);
    match (on_erase.as_ref().map(|e| e.policy), a.legal_basis.get()) {
        (Some(ErasePolicy::Retain), None) if !subject_id => {
            if let Some(lit) = a.on_erase.get() {
                cx.error(
                    lit.span(),
                    "`on_erase = \"retain\"` needs a `legal_basis`",
                    Some("say why the value survives an erasure request, e.g. `legal_basis = \"tax records, 10 years\"`"),
                );
            }
        }
        (Some(policy), Some(lit)) if policy != ErasePolicy::Retain => {
            cx.error(
                lit.span(),
                "`legal_basis` only applies with `on_erase = \"retain\"`",
                Some("add `on_erase = \"retain\"` if the value must survive erasure, or remove `legal_basis`"),
            );
        }
        (_, Some(lit)) if lit.value().trim().is_empty() => {
            cx.error(
                lit.span(),
                "`legal_basis` is empty",
                Some("cite the law or obligation that requires keeping the value"),
            );
        }
        _ => {}
    }
    if let (Some(span), false) = (a.blind_index.key_span(), a.encrypt.is_set()) {
        cx.error(
            span,
            "`blind_index` needs `encrypt`",
            Some("a blind index makes an encrypted field searchable by equality; a plain field is searchable already"),
        );
    }
    if let (Some(span), Some(RetentionRef::Transient)) = (a.encrypt.key_span(), retention) {
        cx.error(
            span,
            "`encrypt` conflicts with `retention = \"transient\"`",
            Some(
                "transient data must never be stored, so it is never sealed; remove one of the two",
            ),
        );
    }
    let purposes = list(cx, a.purpose.get(), attr::PURPOSE);
    let recipients = list(cx, a.shared_with.get(), attr::SHARED_WITH);
    let source = a.source.get().map(|lit| {
        if lit.value().trim().is_empty() {
            cx.error(
                lit.span(),
                "`source` is empty",
                Some("name where the value comes from, e.g. `source = \"user\"`"),
            );
        }
        lit.value()
    });
    Some(Personal {
        subject_id,
        category: category?,
        purposes,
        retention: retention?,
        anonymizer,
        encrypted: a.encrypt.is_set(),
        blind_index: a.blind_index.is_set(),
        blind_index_bits: blind_index_bits(cx, a),
        on_erase: on_erase?,
        legal_basis,
        source,
        recipients,
        exported: a.export.get().is_none_or(syn::LitBool::value),
    })
}

fn category(cx: &Ctxt, lit: &LitStr) -> Option<CategoryRef> {
    let name = lit.value();
    if let Some(custom) = name.strip_prefix(CUSTOM_CATEGORY_PREFIX) {
        if custom.trim().is_empty() {
            cx.error(
                lit.span(),
                "custom category has no name",
                Some("write `custom:<name>`, e.g. `custom:loyalty.tier`"),
            );
            return None;
        }
        return Some(CategoryRef::Custom(name));
    }
    if let Some(c) = taxonomy::category(&name) {
        return Some(CategoryRef::Known {
            name: c.name,
            variant: c.variant,
        });
    }
    let help = match taxonomy::closest(&name, taxonomy::category_names()) {
        Some(close) => {
            format!("did you mean `{close}`? custom categories are written `custom:{name}`")
        }
        None => format!(
            "known categories: {}; custom categories are written `custom:{name}`",
            taxonomy::list(taxonomy::category_names())
        ),
    };
    cx.error(
        lit.span(),
        format!("unknown category `{name}`"),
        Some(&help),
    );
    None
}

fn retention(cx: &Ctxt, lit: &LitStr) -> Option<RetentionRef> {
    let text = lit.value();
    let parsed = match text.as_str() {
        RETENTION_ACCOUNT => Some(RetentionRef::Account),
        RETENTION_TRANSIENT => Some(RetentionRef::Transient),
        _ => period(&text),
    };
    if parsed.is_none() {
        cx.error(
            lit.span(),
            format!("malformed retention `{text}`"),
            Some("write a positive number and a unit: \"30d\", \"12w\", \"6mo\", \"3y\"; or \"account\" (until erasure) or \"transient\" (never stored)"),
        );
    }
    parsed
}

fn period(text: &str) -> Option<RetentionRef> {
    let digits = text.find(|c: char| !c.is_ascii_digit())?;
    let (amount, unit) = text.split_at(digits);
    let amount: u32 = amount.parse().ok().filter(|n| *n > 0)?;
    let unit = taxonomy::retention_unit(unit)?.variant;
    Some(RetentionRef::Period { amount, unit })
}

fn anonymizer(cx: &Ctxt, a: &FieldAttrs) -> Option<AnonymizerRef> {
    if let (Some(_), Some(span)) = (a.anonymize.key_span(), a.anonymize_with.key_span()) {
        cx.error(
            span,
            "`anonymize_with` conflicts with `anonymize`",
            Some("a field has one anonymizer: a built-in name or a function path"),
        );
        return None;
    }
    if let Some(path) = a.anonymize_with.get() {
        return Some(AnonymizerRef::Custom(path.clone()));
    }
    let lit = a.anonymize.get()?;
    let name = lit.value();
    if let Some(builtin) = taxonomy::anonymizer(&name) {
        return Some(AnonymizerRef::Builtin {
            name: builtin.name,
            variant: builtin.variant,
            span: lit.span(),
        });
    }
    let names = taxonomy::anonymizer_names();
    let help = match taxonomy::closest(&name, names.clone()) {
        Some(close) => format!(
            "did you mean `{close}`? anonymizers: {}; or `anonymize_with = path::to::fn`",
            taxonomy::list(names)
        ),
        None => format!(
            "anonymizers: {}; or `anonymize_with = path::to::fn`",
            taxonomy::list(names)
        ),
    };
    cx.error(
        lit.span(),
        format!("unknown anonymizer `{name}`"),
        Some(&help),
    );
    None
}

fn on_erase(
    cx: &Ctxt,
    field: &Field<'_>,
    subject_id: bool,
    has_anonymizer: bool,
) -> Option<ErasePlan> {
    let a = &field.attrs;
    let Some(lit) = a.on_erase.get() else {
        let policy = if subject_id {
            ErasePolicy::Retain
        } else {
            ErasePolicy::Delete
        };
        return Some(ErasePlan {
            policy,
            span: field.ty_span,
        });
    };
    let policy = match lit.value().as_str() {
        "delete" => ErasePolicy::Delete,
        "anonymize" => ErasePolicy::Anonymize,
        "retain" => ErasePolicy::Retain,
        "reset" => ErasePolicy::Reset,
        other => {
            cx.error(
                lit.span(),
                format!("unknown erase policy `{other}`"),
                Some("expected \"delete\" (the default), \"anonymize\", \"retain\" (with `legal_basis`) or \"reset\" (the type's `Default`)"),
            );
            return None;
        }
    };
    if policy == ErasePolicy::Anonymize && !has_anonymizer {
        cx.error(
            lit.span(),
            "`on_erase = \"anonymize\"` needs an anonymizer",
            Some("add `anonymize = \"...\"` (e.g. \"ip\", \"email\", \"redact\") or `anonymize_with = path::to::fn`"),
        );
    }
    Some(ErasePlan {
        policy,
        span: lit.span(),
    })
}

/// A comma-separated list (`purpose = "account, support"`): trimmed, non-empty, no repeats.
fn list(cx: &Ctxt, lit: Option<&LitStr>, key: &str) -> Vec<String> {
    let Some(lit) = lit else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for item in lit.value().split(',').map(str::trim) {
        if item.is_empty() {
            cx.error(
                lit.span(),
                format!("`{key}` has an empty entry"),
                Some("separate entries with commas: \"a, b\""),
            );
        } else if out.iter().any(|o| o == item) {
            cx.error(lit.span(), format!("`{key}` lists `{item}` twice"), None);
        } else {
            out.push(item.to_owned());
        }
    }
    out
}
