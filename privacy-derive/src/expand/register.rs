//! Link-time registration: `inventory::submit!` of one `Registration` per record type, so
//! privacy-core's data map (`privacy_core::requests::DataMap`) knows every type that derives
//! `PersonalData` and can name the ones no store holds.
//!
//! Generic types (type, lifetime or const parameters) are not registered: a registration
//! names one concrete type. privacy-core documents that they join the map explicitly.

use super::out::Out;
use crate::model::Record;

/// `__p::inventory::submit! { __p::Registration::new::<Type>("module::Type") }`, nothing for
/// a generic type.
pub fn register(out: &mut Out, record: &Record<'_>) {
    if !record.input.generics.params.is_empty() {
        return;
    }
    let ident = record.input.ident.to_string();
    let name = ident.strip_prefix("r#").unwrap_or(&ident);
    out.s("__p::inventory::submit! { __p::Registration::new::<")
        .s(&ident)
        .s(">(::core::concat!(::core::module_path!(), ")
        .lit(&format!("::{name}"))
        .s(")) }");
}
