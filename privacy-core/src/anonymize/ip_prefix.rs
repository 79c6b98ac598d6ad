//! Prefix-preserving keyed IP pseudonyms (Crypto-PAn).

use core::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use aes::cipher::{BlockEncrypt, KeyInit};
use aes::{Aes128, Block};
use zeroize::Zeroize;

/// Keyed, prefix-preserving IP pseudonyms: the Crypto-PAn scheme (Xu, Fan, Ammar, Moon 2002),
/// which maps every address one-to-one to another address of the same family such that two
/// addresses sharing their first `k` bits give outputs sharing their first `k` bits.
///
/// Use it where network analytics need subnet structure (which addresses share a /24, a
/// /48) without raw addresses. Unlike [`ip`](super::ip) this is pseudonymization, not
/// anonymization: whoever holds the key can recompute (and, bit by bit, invert) the mapping,
/// so the output is still personal data under the GDPR; keep the key as secret as the data.
///
/// The 32-byte key is the Crypto-PAn key: 16 bytes of AES-128 key, then 16 bytes that, AES
/// encrypted, give the pad. IPv4 outputs match the Crypto-PAn reference implementation; IPv6
/// uses the same construction over 128 bits. An IPv4-mapped IPv6 address is treated as its
/// IPv4 address and stays in mapped form, as with [`ip`](super::ip). Each call runs one AES
/// block encryption per address bit (32 or 128) and allocates nothing. The AES key schedule
/// and the pad are zeroized on drop; `Debug` prints neither.
///
/// ```
/// use privacy_core::anonymize::PrefixPreservingIp;
/// let key = [7u8; 32];
/// let pan = PrefixPreservingIp::new(&key);
/// let a = pan.pseudonymize("203.0.113.7".parse().unwrap());
/// let b = pan.pseudonymize("203.0.113.99".parse().unwrap());
/// let (a, b) = (a.to_string(), b.to_string());
/// // Same /24 in, same /24 out.
/// assert_eq!(a.rsplit_once('.').unwrap().0, b.rsplit_once('.').unwrap().0);
/// ```
#[derive(Clone)]
pub struct PrefixPreservingIp {
    cipher: Aes128,
    pad: u128,
}

impl PrefixPreservingIp {
    /// The pseudonymizer for a 32-byte Crypto-PAn key (use 32 random bytes).
    pub fn new(key: &[u8; 32]) -> PrefixPreservingIp {
        let mut aes_key = [0u8; 16];
        aes_key.copy_from_slice(&key[..16]);
        let cipher = Aes128::new(&aes_key.into());
        aes_key.zeroize();
        let mut pad = Block::default();
        pad.copy_from_slice(&key[16..]);
        cipher.encrypt_block(&mut pad);
        let mut pad_bytes: [u8; 16] = pad.into();
        pad.zeroize();
        let out = PrefixPreservingIp {
            cipher,
            pad: u128::from_be_bytes(pad_bytes),
        };
        pad_bytes.zeroize();
        out
    }

    /// The pseudonym of `addr`: an address of the same family, sharing with the pseudonym of
    /// any other address as many leading bits as the two inputs share.
    pub fn pseudonymize(&self, addr: IpAddr) -> IpAddr {
        match addr {
            IpAddr::V4(v4) => IpAddr::V4(self.v4(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V6(self.v4(v4).to_ipv6_mapped()),
                None => IpAddr::V6(Ipv6Addr::from(self.bits(u128::from(v6), 128))),
            },
        }
    }

    fn v4(&self, addr: Ipv4Addr) -> Ipv4Addr {
        let out = self.bits(u128::from(u32::from(addr)) << 96, 32) >> 96;
        // The low 96 bits are zero on the way in and untouched, so this cannot fail.
        Ipv4Addr::from(u32::try_from(out).unwrap_or(0))
    }

    /// Crypto-PAn over the leading `width` bits of `addr`: output bit `i` is input bit `i`
    /// flipped by the first bit of AES(input bits before `i`, then the pad's bits).
    fn bits(&self, addr: u128, width: u32) -> u128 {
        let mut flips = 0u128;
        for pos in 0..width {
            let keep = u128::MAX.checked_shl(128 - pos).unwrap_or(0);
            let mut block = Block::from(((addr & keep) | (self.pad & !keep)).to_be_bytes());
            self.cipher.encrypt_block(&mut block);
            flips |= u128::from(block[0] >> 7) << (127 - pos);
        }
        addr ^ flips
    }
}

impl Drop for PrefixPreservingIp {
    /// Zeroizes the pad (the AES key schedule zeroizes itself: `aes` is built with `zeroize`).
    fn drop(&mut self) {
        self.pad.zeroize();
    }
}

impl fmt::Debug for PrefixPreservingIp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrefixPreservingIp").finish_non_exhaustive()
    }
}
