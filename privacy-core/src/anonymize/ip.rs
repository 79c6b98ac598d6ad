//! IP address truncation: keep the network prefix, zero the host bits.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Keeps the first 24 bits of an IPv4 address and the first 48 bits of an IPv6 address,
/// zeroing the rest (the analytics-industry default: 203.0.113.7 -> 203.0.113.0).
///
/// An IPv4-mapped IPv6 address (`::ffff:203.0.113.7`) is truncated as the IPv4 address it
/// carries and stays in mapped form (`::ffff:203.0.113.0`); keeping its first 48 bits would
/// keep the whole IPv4 address. Allocates nothing.
///
/// ```
/// use privacy_core::anonymize::ip;
/// assert_eq!(ip("203.0.113.7".parse().unwrap()).to_string(), "203.0.113.0");
/// assert_eq!(ip("2001:db8:85a3:8d3:1319:8a2e:370:7348".parse().unwrap()).to_string(), "2001:db8:85a3::");
/// ```
pub fn ip(addr: IpAddr) -> IpAddr {
    truncate(addr, IpMask::DEFAULT)
}

/// A prefix length for [`ip_with`]: how many leading bits to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpMask {
    v4: u8,
    v6: u8,
}

/// A prefix length out of range for its address family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MaskError {
    /// IPv4 prefixes are 0 to 32 bits.
    #[error("IPv4 prefix length {0} is out of range (0 to 32)")]
    V4(u8),
    /// IPv6 prefixes are 0 to 128 bits.
    #[error("IPv6 prefix length {0} is out of range (0 to 128)")]
    V6(u8),
}

impl IpMask {
    /// The default of [`ip`]: /24 for IPv4, /48 for IPv6.
    pub const DEFAULT: IpMask = IpMask { v4: 24, v6: 48 };

    /// Keeps `v4` leading bits of IPv4 addresses and `v6` of IPv6 addresses; `v4` above 32 or
    /// `v6` above 128 is a [`MaskError`].
    pub const fn new(v4: u8, v6: u8) -> Result<IpMask, MaskError> {
        if v4 > 32 {
            return Err(MaskError::V4(v4));
        }
        if v6 > 128 {
            return Err(MaskError::V6(v6));
        }
        Ok(IpMask { v4, v6 })
    }

    /// The IPv4 prefix length.
    pub const fn v4(self) -> u8 {
        self.v4
    }

    /// The IPv6 prefix length.
    pub const fn v6(self) -> u8 {
        self.v6
    }
}

impl Default for IpMask {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// [`ip`] with other prefix lengths: keeps `mask.v4()` leading bits of an IPv4 address and
/// `mask.v6()` of an IPv6 address, zeroing the rest. IPv4-mapped IPv6 addresses use the IPv4
/// length. Allocates nothing.
///
/// ```
/// use privacy_core::anonymize::{ip_with, IpMask};
/// let mask = IpMask::new(16, 32)?;
/// assert_eq!(ip_with("203.0.113.7".parse().unwrap(), mask).to_string(), "203.0.0.0");
/// # Ok::<(), privacy_core::anonymize::MaskError>(())
/// ```
pub fn ip_with(addr: IpAddr, mask: IpMask) -> IpAddr {
    truncate(addr, mask)
}

/// The address of a socket, truncated by [`ip`]; the port is dropped, because a source port
/// can single out one user behind a shared (NAT) address as well as the address can. (The
/// `ip` anonymizer on a `SocketAddr` field keeps the type and sets the port to 0.)
pub fn socket_addr(addr: SocketAddr) -> IpAddr {
    ip(addr.ip())
}

/// Text that is not an IP address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not an IP address (the input is not repeated here: it may be personal data)")]
#[allow(clippy::exhaustive_structs)] // a unit error compared by value
pub struct ParseError;

/// [`ip`] on text: `"203.0.113.7"` -> `"203.0.113.0"`.
///
/// Accepted, after trimming surrounding whitespace: an IPv4 or IPv6 address; an IPv6 address
/// with a zone (`fe80::1%eth0`: the zone names a local interface and is dropped); a socket
/// address (`203.0.113.7:443`, `[2001:db8::1]:443`, `[fe80::1%eth0]:443`: the port is
/// dropped); a bracketed IPv6 address (`[2001:db8::1]`). The output is the truncated address
/// in canonical form (`::ffff:203.0.113.0` for an IPv4-mapped address). Anything else is
/// [`ParseError`], which does not repeat the input.
///
/// ```
/// use privacy_core::anonymize::ip_str;
/// assert_eq!(ip_str("fe80::1ff:fe23:4567:890a%eth0").as_deref(), Ok("fe80::"));
/// assert!(ip_str("jane@example.com").is_err());
/// ```
pub fn ip_str(text: &str) -> Result<String, ParseError> {
    let text = text.trim();
    if text.len() > MAX_TEXT {
        return Err(ParseError);
    }
    if let Ok(addr) = text.parse::<IpAddr>() {
        return Ok(ip(addr).to_string());
    }
    if let Ok(sock) = text.parse::<SocketAddr>() {
        return Ok(socket_addr(sock).to_string());
    }
    let inner = match text.strip_prefix('[') {
        Some(rest) => {
            let (inner, after) = rest.split_once(']').ok_or(ParseError)?;
            if !after.is_empty() {
                let port = after.strip_prefix(':').ok_or(ParseError)?;
                if !port.bytes().all(|b| b.is_ascii_digit()) || port.parse::<u16>().is_err() {
                    return Err(ParseError);
                }
            }
            inner
        }
        None => text,
    };
    let addr = match inner.split_once('%') {
        Some((addr, zone)) if valid_zone(zone) => addr,
        Some(_) => return Err(ParseError),
        None => inner,
    };
    let addr = addr.parse::<Ipv6Addr>().map_err(|_| ParseError)?;
    Ok(ip(IpAddr::V6(addr)).to_string())
}

/// Longer text is no address (the longest, an IPv6 socket address with a zone, is far
/// shorter); refusing it early keeps the cost of bad input bounded.
const MAX_TEXT: usize = 128;

/// An interface name or number: no whitespace, brackets or further `%`.
fn valid_zone(zone: &str) -> bool {
    !zone.is_empty()
        && zone
            .chars()
            .all(|c| !c.is_whitespace() && !matches!(c, '%' | '[' | ']' | '/'))
}

fn truncate(addr: IpAddr, mask: IpMask) -> IpAddr {
    match addr {
        IpAddr::V4(v4) => IpAddr::V4(mask_v4(v4, mask.v4)),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V6(mask_v4(v4, mask.v4).to_ipv6_mapped()),
            None => IpAddr::V6(mask_v6(v6, mask.v6)),
        },
    }
}

fn mask_v4(addr: Ipv4Addr, bits: u8) -> Ipv4Addr {
    let keep = u32::MAX
        .checked_shl(32 - u32::from(bits.min(32)))
        .unwrap_or(0);
    Ipv4Addr::from(u32::from(addr) & keep)
}

fn mask_v6(addr: Ipv6Addr, bits: u8) -> Ipv6Addr {
    let keep = u128::MAX
        .checked_shl(128 - u32::from(bits.min(128)))
        .unwrap_or(0);
    Ipv6Addr::from(u128::from(addr) & keep)
}
