//! Error accumulation: every diagnostic of one derive is collected and reported together.

use std::cell::RefCell;

use proc_macro2::{Span, TokenStream};

/// Collects errors while parsing and validating, like serde_derive's `Ctxt`.
#[derive(Default)]
pub struct Ctxt {
    errors: RefCell<Vec<syn::Error>>,
}

impl Ctxt {
    /// An error at `span` with a help line.
    pub fn error(&self, span: Span, message: impl std::fmt::Display, help: Option<&str>) {
        let text = match help {
            Some(help) => format!("{message}\n\n= help: {help}"),
            None => message.to_string(),
        };
        self.errors.borrow_mut().push(syn::Error::new(span, text));
    }

    /// A `syn` parse error, as is.
    pub fn syn_error(&self, err: syn::Error) {
        self.errors.borrow_mut().push(err);
    }

    /// Whether any error was reported.
    pub fn has_errors(&self) -> bool {
        !self.errors.borrow().is_empty()
    }

    /// All errors as `compile_error!` invocations.
    pub fn into_compile_errors(self) -> TokenStream {
        self.errors
            .into_inner()
            .into_iter()
            .map(|e| e.to_compile_error())
            .collect()
    }
}
