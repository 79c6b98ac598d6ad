//! The [`Anonymize`] trait that connects `#[personal(anonymize = "...")]` to field types.
//!
//! Each anonymizer name has a marker type here; a field type supports the anonymizer when it
//! implements `Anonymize<Marker>`. `Option<T>` and `Vec<T>` support whatever `T` supports.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::date::{AgeBand, CivilDate};
use super::location::GeoPoint;
use crate::category::same;
use crate::vocabulary::ANONYMIZERS;

/// A field type that the anonymizer `S` can make non-identifying in place.
#[diagnostic::on_unimplemented(
    message = "the `{S}` anonymizer does not apply to a field of type `{Self}`",
    label = "`{S}` cannot anonymize `{Self}`",
    note = "see the table of anonymizers and the types they accept in `privacy_core::anonymize`; a newtype over `String` takes the text anonymizers once it implements `privacy_core::anonymize::StringLike`; or use `anonymize_with = path::to::fn`"
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
    ($($ty:ident),* $(,)?) => {
        $(
            #[doc = concat!("`anonymize = \"", stringify!($ty), "\"`")]
            #[derive(Debug, Clone, Copy)]
            #[allow(non_camel_case_types)]
            pub struct $ty;
            impl Strategy for $ty {
                const NAME: &'static str = stringify!($ty);
            }
            const _: () = assert!(
                is_anonymizer(stringify!($ty)),
                "an anonymizer marker has no row in `vocabulary::ANONYMIZERS`"
            );
        )*
        const _: () = assert!(
            [$(stringify!($ty)),*].len() == ANONYMIZERS.len(),
            "every row of `vocabulary::ANONYMIZERS` needs a marker type"
        );
    };
}

// One marker per row of `vocabulary::ANONYMIZERS`, named by its attribute spelling (the
// derive writes `strategies::<spelling>`); checked against the table when the crate compiles.
strategies!(
    redact,
    ip,
    email,
    phone,
    last4,
    bin_last4,
    initials,
    coarse_location,
    year,
    age_band,
    pseudonym,
);

/// Whether `name` is the spelling of a built-in anonymizer.
const fn is_anonymizer(name: &str) -> bool {
    let mut i = 0;
    while i < ANONYMIZERS.len() {
        if same(ANONYMIZERS[i].name, name) {
            return true;
        }
        i += 1;
    }
    false
}

/// A string type that every anonymizer taking text (`redact`, `ip`, `email`, `phone`, `last4`,
/// `bin_last4`, `initials`, `year`, `age_band`, `pseudonym`) rewrites in place.
///
/// Implemented for `String`. Implement it for a string newtype (`struct Email(String)`,
/// typically `#[serde(transparent)]`) to use those anonymizers on it; `Option` and `Vec` of
/// the newtype then work too:
///
/// ```
/// use privacy_core::anonymize::StringLike;
/// use privacy_core::PersonalData;
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// #[serde(transparent)]
/// pub struct Email(String);
///
/// impl StringLike for Email {
///     fn string_mut(&mut self) -> &mut String {
///         &mut self.0
///     }
/// }
///
/// #[derive(PersonalData)]
/// struct Account {
///     #[personal(category = "contact.email", anonymize = "email", on_erase = "anonymize")]
///     email: Email,
/// }
///
/// let mut account = Account { email: Email("jane.doe@example.com".into()) };
/// account.anonymize();
/// assert_eq!(account.email.0, "j***@example.com");
/// ```
///
/// Erasing with `on_erase = "delete"` (the default) needs [`Erase`](crate::Erase) besides;
/// choose `on_erase = "anonymize"` or implement `Erase` for the newtype too.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a string type that text anonymizers accept",
    label = "this anonymizer takes a `String`, or a string newtype implementing `privacy_core::anonymize::StringLike`",
    note = "for a newtype over `String`, add `impl privacy_core::anonymize::StringLike for {Self} {{ fn string_mut(&mut self) -> &mut String {{ &mut self.0 }} }}`; the table of anonymizers and the types they accept is in `privacy_core::anonymize`; or use `anonymize_with = path::to::fn`"
)]
pub trait StringLike {
    /// The string the anonymizer rewrites.
    fn string_mut(&mut self) -> &mut String;
}

impl StringLike for String {
    fn string_mut(&mut self) -> &mut String {
        self
    }
}

/// An anonymizer that applies to text: every [`StringLike`] type takes it.
pub trait TextStrategy: Strategy {
    /// Rewrites `text` in place (zeroizing the old value); returns whether it changed.
    fn anonymize_text(text: &mut String) -> bool;
}

impl<S: TextStrategy, T: StringLike + ?Sized> Anonymize<S> for T {
    fn anonymize(&mut self) -> bool {
        S::anonymize_text(self.string_mut())
    }
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

/// What `redact` (and `pseudonym` without an installed key) leaves of a string.
pub const REDACTED: &str = "[redacted]";

fn redact_string(s: &mut String) -> bool {
    if s == REDACTED {
        return false;
    }
    zeroize::Zeroize::zeroize(s);
    s.push_str(REDACTED);
    true
}

/// Replaces a string by `f(string)`, zeroizing the old value; reports whether it changed.
fn rewrite(s: &mut String, f: impl FnOnce(&str) -> String) -> bool {
    let new = f(s);
    if *s == new {
        return false;
    }
    zeroize::Zeroize::zeroize(s);
    *s = new;
    true
}

impl TextStrategy for redact {
    fn anonymize_text(text: &mut String) -> bool {
        redact_string(text)
    }
}

impl Anonymize<ip> for IpAddr {
    fn anonymize(&mut self) -> bool {
        let new = super::ip(*self);
        replace(self, new)
    }
}

impl Anonymize<ip> for Ipv4Addr {
    fn anonymize(&mut self) -> bool {
        let new = match super::ip(IpAddr::V4(*self)) {
            IpAddr::V4(v4) => v4,
            IpAddr::V6(_) => Ipv4Addr::UNSPECIFIED,
        };
        replace(self, new)
    }
}

impl Anonymize<ip> for Ipv6Addr {
    fn anonymize(&mut self) -> bool {
        let new = match super::ip(IpAddr::V6(*self)) {
            IpAddr::V6(v6) => v6,
            IpAddr::V4(_) => Ipv6Addr::UNSPECIFIED,
        };
        replace(self, new)
    }
}

/// The address is truncated and the port set to 0.
impl Anonymize<ip> for SocketAddr {
    fn anonymize(&mut self) -> bool {
        let new = SocketAddr::new(super::socket_addr(*self), 0);
        replace(self, new)
    }
}

/// Text addresses go through [`ip_str`](super::ip_str); text that is not an address is
/// replaced completely.
impl TextStrategy for ip {
    fn anonymize_text(text: &mut String) -> bool {
        rewrite(text, |s| {
            super::ip_str(s).unwrap_or_else(|_| super::MASKED.to_owned())
        })
    }
}

macro_rules! string_anonymizers {
    ($($marker:ident => $f:expr;)*) => {$(
        impl TextStrategy for $marker {
            fn anonymize_text(text: &mut String) -> bool {
                rewrite(text, $f)
            }
        }
    )*};
}

string_anonymizers! {
    email => super::email;
    phone => super::phone;
    last4 => super::card_last4;
    bin_last4 => super::card_bin_last4;
    initials => super::initials;
    year => year_text;
    age_band => age_band_text;
}

/// `YYYY-MM-DD` -> `YYYY`; a bare four-digit year stays; anything else is masked.
fn year_text(s: &str) -> String {
    let t = s.trim();
    if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) {
        return t.to_owned();
    }
    super::year(t).map_or_else(|_| super::MASKED.to_owned(), |y| format!("{y:04}"))
}

/// `YYYY-MM-DD` -> its band label today; a band label stays; anything else is masked.
fn age_band_text(s: &str) -> String {
    let t = s.trim();
    if let Some(band) = AgeBand::from_label(t) {
        return band.label().to_owned();
    }
    super::age_band(t).map_or_else(|_| super::MASKED.to_owned(), |b| b.label().to_owned())
}

/// With an installed [`Pseudonymizer`](super::Pseudonymizer) the value becomes its token; a
/// value that already is a token (of any key id) stays. Without an installed pseudonymizer
/// the value is replaced completely by [`REDACTED`] (fail closed).
impl TextStrategy for pseudonym {
    fn anonymize_text(text: &mut String) -> bool {
        if super::Pseudonymizer::is_token(text) {
            return false;
        }
        match super::global_pseudonymizer() {
            Some(p) => rewrite(text, |s| p.pseudonym(s)),
            None => redact_string(text),
        }
    }
}

/// Addresses become the unspecified address (`0.0.0.0`, `::`).
impl Anonymize<redact> for IpAddr {
    fn anonymize(&mut self) -> bool {
        let new = match self {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        };
        replace(self, new)
    }
}

/// Becomes `0.0.0.0`.
impl Anonymize<redact> for Ipv4Addr {
    fn anonymize(&mut self) -> bool {
        replace(self, Ipv4Addr::UNSPECIFIED)
    }
}

/// Becomes `::`.
impl Anonymize<redact> for Ipv6Addr {
    fn anonymize(&mut self) -> bool {
        replace(self, Ipv6Addr::UNSPECIFIED)
    }
}

/// Becomes the unspecified address with port 0.
impl Anonymize<redact> for SocketAddr {
    fn anonymize(&mut self) -> bool {
        let mut addr = self.ip();
        Anonymize::<redact>::anonymize(&mut addr);
        replace(self, SocketAddr::new(addr, 0))
    }
}

impl Anonymize<coarse_location> for GeoPoint {
    fn anonymize(&mut self) -> bool {
        let new = super::coarse_location(*self, super::COARSE_DECIMALS);
        replace(self, new)
    }
}

/// `(latitude, longitude)` in degrees.
impl Anonymize<coarse_location> for (f64, f64) {
    fn anonymize(&mut self) -> bool {
        let p = super::coarse_location(GeoPoint::from(*self), super::COARSE_DECIMALS);
        replace(self, (p.lat, p.lon))
    }
}

/// Keeps the year; month and day become January 1st. An impossible date (built by hand)
/// becomes `0000-01-01`.
impl Anonymize<year> for CivilDate {
    fn anonymize(&mut self) -> bool {
        let new = CivilDate {
            year: super::year(self).unwrap_or(0),
            month: 1,
            day: 1,
        };
        replace(self, new)
    }
}

/// An age in years becomes the youngest age of its band (`37` -> `35`, `70` -> `65`).
fn age_to_band_floor(age: u64) -> u8 {
    AgeBand::of_age(u32::try_from(age).unwrap_or(u32::MAX)).lower_bound()
}

/// An age in years becomes the youngest age of its band (`37` -> `35`, `70` -> `65`).
impl Anonymize<age_band> for u8 {
    fn anonymize(&mut self) -> bool {
        replace(self, age_to_band_floor(u64::from(*self)))
    }
}

/// An age in years becomes the youngest age of its band (`37` -> `35`, `70` -> `65`).
impl Anonymize<age_band> for u16 {
    fn anonymize(&mut self) -> bool {
        replace(self, u16::from(age_to_band_floor(u64::from(*self))))
    }
}

/// An age in years becomes the youngest age of its band (`37` -> `35`, `70` -> `65`).
impl Anonymize<age_band> for u32 {
    fn anonymize(&mut self) -> bool {
        replace(self, u32::from(age_to_band_floor(u64::from(*self))))
    }
}

/// An age in years becomes the youngest age of its band (`37` -> `35`, `70` -> `65`).
impl Anonymize<age_band> for u64 {
    fn anonymize(&mut self) -> bool {
        replace(self, u64::from(age_to_band_floor(*self)))
    }
}
