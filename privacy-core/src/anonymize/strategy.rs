//! The [`Anonymize`] trait that connects `#[personal(anonymize = "...")]` to field types.
//!
//! Each anonymizer name has a marker type here; a field type supports the anonymizer when it
//! implements `Anonymize<Marker>`. `Option<T>` and `Vec<T>` support whatever `T` supports.

/// A field type that the anonymizer `S` can make non-identifying in place.
#[diagnostic::on_unimplemented(
    message = "the `{S}` anonymizer does not apply to a field of type `{Self}`",
    label = "`{S}` cannot anonymize `{Self}`",
    note = "see the table of anonymizers and the types they accept in `privacy_core::anonymize`, or use `anonymize_with = path::to::fn`"
)]
pub trait Anonymize<S: Strategy> {
    /// Replaces the value with its anonymized form; returns whether the value changed
    /// (anonymizers are idempotent, so a second call returns `false`).
    fn anonymize(&mut self) -> bool;
}

/// A marker naming one anonymizer.
pub trait Strategy {
    /// The attribute spelling.
    const NAME: &'static str;
}

macro_rules! strategies {
    ($($(#[$doc:meta])* $ty:ident = $name:literal;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        #[allow(non_camel_case_types)]
        pub struct $ty;
        impl Strategy for $ty {
            const NAME: &'static str = $name;
        }
    )*};
}

strategies! {
    /// `anonymize = "redact"`
    redact = "redact";
    /// `anonymize = "ip"`
    ip = "ip";
    /// `anonymize = "email"`
    email = "email";
    /// `anonymize = "phone"`
    phone = "phone";
    /// `anonymize = "last4"`
    last4 = "last4";
    /// `anonymize = "bin_last4"`
    bin_last4 = "bin_last4";
    /// `anonymize = "initials"`
    initials = "initials";
    /// `anonymize = "coarse_location"`
    coarse_location = "coarse_location";
    /// `anonymize = "year"`
    year = "year";
    /// `anonymize = "age_band"`
    age_band = "age_band";
    /// `anonymize = "pseudonym"`
    pseudonym = "pseudonym";
}

impl<S: Strategy, T: Anonymize<S>> Anonymize<S> for Option<T> {
    fn anonymize(&mut self) -> bool {
        self.as_mut().is_some_and(Anonymize::<S>::anonymize)
    }
}

impl<S: Strategy, T: Anonymize<S>> Anonymize<S> for Vec<T> {
    fn anonymize(&mut self) -> bool {
        self.iter_mut()
            .fold(false, |changed, v| Anonymize::<S>::anonymize(v) | changed)
    }
}

/// Sets `slot` to `new` and reports whether it changed.
pub(crate) fn replace<T: PartialEq>(slot: &mut T, new: T) -> bool {
    if *slot == new {
        false
    } else {
        *slot = new;
        true
    }
}

const REDACTED: &str = "[redacted]";

impl Anonymize<redact> for String {
    fn anonymize(&mut self) -> bool {
        if self == REDACTED {
            return false;
        }
        zeroize::Zeroize::zeroize(self);
        self.push_str(REDACTED);
        true
    }
}

impl Anonymize<ip> for std::net::IpAddr {
    fn anonymize(&mut self) -> bool {
        let new = super::ip(*self);
        replace(self, new)
    }
}
