//! Anonymizers: functions that make a value non-identifying, and the [`Anonymize`] trait that
//! applies them to fields named in `#[personal(anonymize = "...")]`.
//!
//! Every anonymizer fails closed: input it does not recognise is masked completely, never
//! returned as it was, and errors never repeat their input. Applied to a field, they are
//! idempotent (a second pass changes nothing and returns `false`), which is what lets
//! `erase()` report "already erased".
//!
//! | `anonymize = ` | function | field types | example |
//! |---|---|---|---|
//! | `"redact"` | - | `String`; `IpAddr`, `Ipv4Addr`, `Ipv6Addr`, `SocketAddr` | anything -> `[redacted]`; `203.0.113.7` -> `0.0.0.0` |
//! | `"ip"` | [`ip`], [`ip_str`] | `IpAddr`, `Ipv4Addr`, `Ipv6Addr`, `SocketAddr` (port -> 0), `String` (text that is no address -> `***`) | `203.0.113.7` -> `203.0.113.0`; `2001:db8:85a3:8d3::1` -> `2001:db8:85a3::`; `::ffff:203.0.113.7` -> `::ffff:203.0.113.0` |
//! | `"email"` | [`email`] | `String` | `jane.doe+x@example.com` -> `j***@example.com`; `not an email` -> `***` |
//! | `"phone"` | [`phone`] | `String` | `+1 415 555 0142` -> `+1********42` |
//! | `"last4"` | [`card_last4`] | `String` | `4242 4242 4242 4242` -> `**** **** **** 4242` |
//! | `"bin_last4"` | [`card_bin_last4`] | `String` | `4242424242424242` -> `424242******4242` |
//! | `"initials"` | [`initials`] | `String` | `Jane Q. Doe` -> `J. Q. D.` |
//! | `"coarse_location"` | [`coarse_location`] (2 decimals) | [`GeoPoint`], `(f64, f64)` (latitude, longitude) | `(37.773972, -122.431297)` -> `(37.77, -122.43)` (about 1.1 km) |
//! | `"year"` | [`year`] | `String` (`YYYY-MM-DD`), [`CivilDate`] (-> January 1st) | `1990-04-01` -> `1990`; `1990-04-01` -> `1990-01-01` |
//! | `"age_band"` | [`age_band`] | `String` (`YYYY-MM-DD` -> band label), `u8`/`u16`/`u32`/`u64` ages (-> youngest age of the band) | `2014-03-09` -> `0-12` (on 2026-11-22); `37` -> `35` |
//! | `"pseudonym"` | [`Pseudonymizer`] | `String` | `jane@example.com` -> `ps_k1_3vQ…` (22 characters after the key id) |
//!
//! Notes:
//! - `pseudonym` uses the process-wide key installed with [`Pseudonymizer::install_global`]
//!   (see [`global_pseudonymizer`]). With none installed it fails closed: the value becomes
//!   `[redacted]`, as with `redact`.
//! - `age_band` compares with today's date (UTC, system clock); [`age_band_at`] takes the date.
//!   A [`CivilDate`] field cannot hold a band, so it takes `year`, not `age_band`.
//! - Masked text is [`MASKED`] (`***`), or [`MASKED_CARD`] for card numbers; `redact` gives
//!   [`REDACTED`].
//! - [`PrefixPreservingIp`] (keyed Crypto-PAn pseudonyms that keep subnet structure) is for
//!   analytics pipelines; it is pseudonymization, not anonymization, so it has no attribute
//!   name of its own.
//! - [`ip_with`], [`city_level`] and [`coarse_location`] with other precisions are plain
//!   functions: use them through `anonymize_with = path::to::fn`.
//!
//! `Option<T>` and `Vec<T>` accept what `T` accepts. Where the table says `String`, a string
//! newtype (`struct Email(String)`, typically `#[serde(transparent)]`) is accepted too once it
//! implements [`StringLike`] (one method returning `&mut self.0`). Anything else is a compile
//! error at the attribute; `anonymize_with = path::to::fn` takes any `fn(&T) -> T` (`fn(&str) -> String`
//! for a `String` field).

pub(crate) mod apply;
mod card;
mod contact;
mod date;
mod ip;
mod ip_prefix;
mod location;
mod name;
mod pseudonym;
pub(crate) mod strategy;

pub use card::{card_bin_last4, card_last4, luhn_valid, MASKED_CARD};
pub use contact::{email, phone, MASKED};
pub use date::{age_band, age_band_at, year, AgeBand, CivilDate, DateError, DateInput};
pub use ip::{ip, ip_str, ip_with, socket_addr, IpMask, MaskError, ParseError};
pub use ip_prefix::PrefixPreservingIp;
pub use location::{city_level, coarse_location, GeoPoint, CITY_GRID_DEGREES, COARSE_DECIMALS};
pub use name::initials;
pub use pseudonym::{global_pseudonymizer, PseudonymError, Pseudonymizer, MIN_KEY_LEN};
pub use strategy::{Anonymize, StringLike, REDACTED};

/// The marker types of `#[personal(anonymize = "...")]`, one per anonymizer name: what
/// [`Anonymize`] is implemented for (`Anonymize<strategies::email>` on `String`).
pub mod strategies {
    pub use super::strategy::{
        age_band, bin_last4, coarse_location, email, initials, ip, last4, phone, pseudonym, redact,
        year,
    };
}
