//! Anonymizers: functions that make a value non-identifying, and the [`Anonymize`] trait that
//! applies them to fields.

mod strategy;

use std::net::IpAddr;

pub use strategy::{Anonymize, Strategy};

/// The marker types of `#[personal(anonymize = "...")]`, one per anonymizer name.
pub mod strategies {
    pub use super::strategy::{
        age_band, bin_last4, coarse_location, email, initials, ip, last4, phone, pseudonym, redact,
        year,
    };
}

/// Keeps the first 24 bits of an IPv4 address and the first 48 bits of an IPv6 address.
pub fn ip(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(v4) => IpAddr::V4((u32::from(v4) & 0xffff_ff00).into()),
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !((1u128 << 80) - 1)).into()),
    }
}
