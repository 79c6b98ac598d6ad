//! [`Out`], the expansion's writer: generated code is written as Rust source text and lexed by
//! the compiler in one call per run of text; only the tokens that must carry a user's span (or
//! are the user's own tokens) are built as tokens.
//!
//! Building every token with `quote!` costs the (unoptimized, in a dev build) macro a
//! `proc_macro` bridge round trip and several allocations per token, and interpolating a
//! finished stream into another copies it again; lexing text is one optimized compiler call.
//! Text gets `Span::call_site()`, exactly as `quote!`'s own tokens do.

use std::fmt::Write as _;

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use quote::ToTokens;

/// Generated code: finished tokens followed by pending text.
#[derive(Default)]
pub struct Out {
    tokens: TokenStream,
    text: String,
}

impl Out {
    pub fn new() -> Out {
        Out::default()
    }

    /// Appends source text; every run of text between tokens must be balanced (its brackets
    /// closed), since it is lexed on its own.
    pub fn s(&mut self, text: &str) -> &mut Out {
        self.text.push_str(text);
        self
    }

    /// Appends `value` as a string literal.
    pub fn lit(&mut self, value: &str) -> &mut Out {
        // `str`'s Debug form is a valid Rust string literal of the same value.
        let _ = write!(self.text, "{value:?}");
        self
    }

    /// Appends `n` as an unsuffixed integer literal.
    pub fn int(&mut self, n: impl Into<u64>) -> &mut Out {
        let _ = write!(self.text, "{}", n.into());
        self
    }

    /// Appends tokens (the user's own, or spanned at the user's).
    pub fn t(&mut self, tokens: &impl ToTokens) -> &mut Out {
        self.flush();
        tokens.to_tokens(&mut self.tokens);
        self
    }

    /// Appends a group written by `body`: plain text when the body is text only.
    pub fn group(&mut self, delimiter: Delimiter, body: impl FnOnce(&mut Out)) -> &mut Out {
        let mut inner = Out::new();
        body(&mut inner);
        if inner.tokens.is_empty() {
            let (open, close) = match delimiter {
                Delimiter::Parenthesis => ("(", ")"),
                Delimiter::Brace => ("{", "}"),
                Delimiter::Bracket => ("[", "]"),
                Delimiter::None => ("", ""),
            };
            self.text.push_str(open);
            self.text.push_str(&inner.text);
            self.text.push_str(close);
        } else {
            let group = Group::new(delimiter, inner.finish());
            self.flush();
            self.tokens.extend(std::iter::once(TokenTree::Group(group)));
        }
        self
    }

    fn flush(&mut self) {
        if self.text.is_empty() {
            return;
        }
        self.tokens.extend(lex(&self.text));
        self.text.clear();
    }

    pub fn finish(mut self) -> TokenStream {
        self.flush();
        self.tokens
    }
}

/// `text` lexed by the compiler. (`proc_macro2`'s own `FromStr` first checks the text with its
/// fallback lexer, unoptimized in a dev build: slower than writing the tokens one by one.)
pub fn lex(text: &str) -> TokenStream {
    if proc_macro::is_available() {
        text.parse::<proc_macro::TokenStream>()
            .expect("privacy-derive generated code that does not lex")
            .into()
    } else {
        text.parse()
            .expect("privacy-derive generated code that does not lex")
    }
}
