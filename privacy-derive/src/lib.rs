//! Derive macro of `privacy-core`; depend on `privacy-core` instead.
use proc_macro::TokenStream;

/// Derives `privacy_core::PersonalData` (being written).
#[proc_macro_derive(PersonalData, attributes(personal))]
pub fn derive_personal_data(_input: TokenStream) -> TokenStream {
    TokenStream::new()
}
