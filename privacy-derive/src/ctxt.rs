//! Error accumulation: every diagnostic of one derive is collected and reported together.

use std::cell::RefCell;

use proc_macro2::{Span, TokenStream};

/// Collects errors while parsing and validating, like serde_derive's `Ctxt`.
#[derive(Default)]
pub struct Ctxt {
    /// Each error with the span it is sorted by (its own, or the error it annotates).
    errors: RefCell<Vec<(Span, syn::Error)>>,
}

impl Ctxt {
    /// An error at `span` with a help line.
    pub fn error(&self, span: Span, message: impl std::fmt::Display, help: Option<&str>) {
        let text = match help {
            Some(help) => format!("{message}\n= help: {help}"),
            None => message.to_string(),
        };
        self.errors
            .borrow_mut()
            .push((span, syn::Error::new(span, text)));
    }

    /// A second diagnostic at `span` that belongs to the error at `anchor` (e.g. "first given
    /// here" for a duplicate): it is listed right after that error.
    pub fn note(&self, span: Span, anchor: Span, message: impl std::fmt::Display) {
        self.errors
            .borrow_mut()
            .push((anchor, syn::Error::new(span, message)));
    }

    /// A `syn` parse error, as is.
    pub fn syn_error(&self, err: syn::Error) {
        self.errors.borrow_mut().push((err.span(), err));
    }

    /// Whether any error was reported.
    pub fn has_errors(&self) -> bool {
        !self.errors.borrow().is_empty()
    }

    /// All errors as `compile_error!` invocations, in source order (parsing finds unknown
    /// keys before validation finds the rest; the user reads top to bottom).
    pub fn into_compile_errors(self) -> TokenStream {
        let mut errors = self.errors.into_inner();
        // Stable: an error and its notes share the anchor and keep their order.
        errors.sort_by_key(|(anchor, _)| {
            let start = anchor.start();
            (start.line, start.column)
        });
        errors.iter().map(|(_, e)| e.to_compile_error()).collect()
    }
}
