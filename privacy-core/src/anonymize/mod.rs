//! Anonymizers: functions that make a value non-identifying, and the [`Anonymize`] trait that
//! applies them to fields named in `#[personal(anonymize = "...")]`.
//!
//! Every anonymizer fails closed: input it does not recognise is masked completely, never
//! returned as it was. Applied to a field they are idempotent (a second pass changes nothing),
//! which is what lets `erase()` report "already erased".
//!
//! | `anonymize = ` | function | field types | example |
//! |---|---|---|---|
//! | `"redact"` | - | `String` | anything -> `[redacted]` |
//! | `"ip"` | [`ip`], [`ip_str`] | `IpAddr`, `Ipv4Addr`, `Ipv6Addr`, `SocketAddr` (port -> 0), `String` | `203.0.113.7` -> `203.0.113.0`; `2001:db8:85a3:8d3::1` -> `2001:db8:85a3::` |
//! | `"email"` | [`email`] | `String` | `jane.doe+x@example.com` -> `j***@example.com` |
//! | `"phone"` | [`phone`] | `String` | `+1 415 555 0142` -> `+1********42` |
//! | `"last4"` | [`card_last4`] | `String` | `4242 4242 4242 4242` -> `**** **** **** 4242` |
//! | `"bin_last4"` | [`card_bin_last4`] | `String` | `4242424242424242` -> `424242******4242` |
//! | `"initials"` | [`initials`] | `String` | `Jane Q. Doe` -> `J. Q. D.` |
//! | `"coarse_location"` | [`coarse_location`] | [`GeoPoint`], `(f64, f64)` | `(37.773972, -122.431297)` -> `(37.77, -122.43)` (about 1.1 km) |
//! | `"year"` | [`year`] | `String` (`YYYY-MM-DD`), [`CivilDate`] | `1990-04-01` -> `1990` |
//! | `"age_band"` | [`age_band`] | `String` (`YYYY-MM-DD`) | `2014-03-09` -> `0-12` (computed today) |
//! | `"pseudonym"` | [`Pseudonymizer`] | `String` | `jane@example.com` -> `ps_k1_3vQ...` (needs [`Pseudonymizer::install_global`]; without it the value is redacted) |
//!
//! `Option<T>` and `Vec<T>` accept what `T` accepts. Anything else is a compile error at the
//! attribute; `anonymize_with = path::to::fn` takes any `fn(&T) -> T`.

mod card;
mod contact;
mod date;
mod ip;
mod location;
mod name;
mod pseudonym;
mod strategy;

pub use card::{card_bin_last4, card_last4, luhn_valid, MASKED_CARD};
pub use contact::{email, phone, MASKED};
pub use date::{age_band, year, AgeBand, CivilDate, DateError};
pub use ip::{ip, ip_str, ip_with, socket_addr, IpMask, MaskError, ParseError};
pub use location::{city_level, coarse_location, GeoPoint, COARSE_DECIMALS};
pub use name::initials;
pub use pseudonym::{PseudonymError, Pseudonymizer};
pub use strategy::{Anonymize, Strategy, REDACTED};

/// The marker types of `#[personal(anonymize = "...")]`, one per anonymizer name.
pub mod strategies {
    pub use super::strategy::{
        age_band, bin_last4, coarse_location, email, initials, ip, last4, phone, pseudonym, redact,
        year,
    };
}
