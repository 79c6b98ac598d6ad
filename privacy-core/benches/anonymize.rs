//! `anonymize::ip` vs parsing the same address from text, and the prepared `Pseudonymizer` vs
//! building the HMAC from the key on every call; plus the cost of a prefix-preserving
//! (Crypto-PAn) pseudonym, for information.
//!
//! `cargo bench -p privacy-core --bench anonymize`; the ratios print at the end.

#[path = "support/mod.rs"]
mod support;

use std::hint::black_box;
use std::net::IpAddr;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use criterion::Criterion;
use hmac::{Hmac, Mac};
use privacy_core::anonymize::{ip, PrefixPreservingIp, Pseudonymizer};
use sha2::Sha256;

const KEY: &[u8; 32] = b"bench key: 32 bytes of entropy!!";
const V4: &str = "203.0.113.7";
const V6: &str = "2001:db8:85a3:8d3:1319:8a2e:370:7348";
const EMAIL: &str = "jane.doe+news@example.com";

/// The same token as `Pseudonymizer::pseudonym`, with the HMAC keyed from scratch each call.
fn per_call_hmac(input: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(KEY).expect("any key length works");
    mac.update(input.as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut out = String::with_capacity(28);
    out.push_str("ps_k1_");
    URL_SAFE_NO_PAD.encode_string(&digest[..16], &mut out);
    out
}

fn main() {
    let v4: IpAddr = V4.parse().expect("literal");
    let v6: IpAddr = V6.parse().expect("literal");
    let p = Pseudonymizer::new("k1", KEY).expect("valid key");
    assert_eq!(
        p.pseudonym(EMAIL),
        per_call_hmac(EMAIL),
        "the baseline makes the same token"
    );
    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("anonymize");
    g.bench_function("ip v4", |b| b.iter(|| ip(black_box(v4))));
    g.bench_function("parse v4", |b| b.iter(|| black_box(V4).parse::<IpAddr>()));
    g.bench_function("ip v6", |b| b.iter(|| ip(black_box(v6))));
    g.bench_function("parse v6", |b| b.iter(|| black_box(V6).parse::<IpAddr>()));
    let pan = PrefixPreservingIp::new(KEY);
    g.bench_function("prefix-preserving v4 (Crypto-PAn)", |b| {
        b.iter(|| pan.pseudonymize(black_box(v4)));
    });
    g.bench_function("prefix-preserving v6 (Crypto-PAn)", |b| {
        b.iter(|| pan.pseudonymize(black_box(v6)));
    });
    g.bench_function("pseudonym (prepared key)", |b| {
        b.iter(|| p.pseudonym(black_box(EMAIL)));
    });
    g.bench_function("hmac with per-call key setup", |b| {
        b.iter(|| per_call_hmac(black_box(EMAIL)));
    });
    g.finish();
    c.final_summary();

    support::ratio(
        "ip() v4 vs parse v4",
        || ip(black_box(v4)),
        || black_box(V4).parse::<IpAddr>(),
    );
    support::ratio(
        "ip() v6 vs parse v6",
        || ip(black_box(v6)),
        || black_box(V6).parse::<IpAddr>(),
    );
    support::ratio(
        "Pseudonymizer vs per-call HMAC key setup",
        || p.pseudonym(black_box(EMAIL)),
        || per_call_hmac(black_box(EMAIL)),
    );
}
