//! The derive macro of [`privacy-core`](https://docs.rs/privacy-core). Depend on `privacy-core`
//! (feature `derive`, on by default), not on this crate: the two are released in lockstep.
//!
//! The expansion reads parse -> validate -> expand: `attr.rs` and `ast.rs` read the input,
//! `valid.rs` checks every rule and resolves the attributes into `model.rs`, `expand.rs`
//! generates the impls. All errors of a struct are reported together; on error a fallback impl
//! is emitted so that only the real mistakes show.

#![forbid(unsafe_code)]

mod ast;
mod attr;
mod ctxt;
mod expand;
mod model;
mod serde_attr;
mod taxonomy;
mod valid;
// A symlink to privacy-core's `src/vocabulary.rs`: one table for both crates. The derive reads
// the spellings and variants; the legal columns are the runtime's.
#[allow(dead_code)]
mod vocabulary;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

/// Derives `privacy_core::PersonalData` and a redacted `Debug`; see `privacy_core` for the
/// attribute reference.
#[proc_macro_derive(PersonalData, attributes(personal))]
pub fn derive_personal_data(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    derive(&input).into()
}

fn derive(input: &DeriveInput) -> proc_macro2::TokenStream {
    let cx = ctxt::Ctxt::default();
    let expanded = ast::Container::from_ast(&cx, input).and_then(|container| {
        let record = valid::validate(&cx, &container)?;
        Some(expand::expand(&record))
    });
    match expanded {
        Some(tokens) if !cx.has_errors() => tokens,
        _ => {
            let fallback = expand::fallback(input);
            let mut errors = cx.into_compile_errors();
            errors.extend(fallback);
            errors
        }
    }
}
