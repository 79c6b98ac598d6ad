//! Sealing one field (16 B and 1 KiB) with `Keyring::seal_bytes` vs raw AES-256-GCM
//! encryption of the same bytes with a prebuilt cipher, in the same run; plus the cost of one
//! OS random call for a nonce, which is why nonces come from a per-thread ChaCha20 generator.
//!
//! `cargo bench -p privacy-core --bench crypto`; the ratios print at the end.

use std::hint::black_box;

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use criterion::Criterion;
use privacy_core::crypto::{Aad, Keyring};
use rand_core::{OsRng, RngCore};

#[path = "support/mod.rs"]
mod support;

fn main() {
    let keyring = Keyring::in_memory();
    let aad = Aad::new("Account", "card", "42");
    let raw = Aes256Gcm::new(&[7u8; 32].into());
    let nonce = [3u8; 12];
    let small = [0x41u8; 16];
    let large = [0x42u8; 1024];
    // Warm the key cache: the first seal creates the subject's data key.
    keyring.seal_bytes(&aad, &small).unwrap();

    let seal = |data: &[u8]| keyring.seal_bytes(&aad, black_box(data)).unwrap();
    let raw_encrypt = |data: &[u8]| {
        raw.encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: black_box(data),
                aad: b"",
            },
        )
        .unwrap()
    };
    // The associated data seal_bytes authenticates for this binding: header and three
    // length-prefixed strings (5 + 4 + 7 + 4 + 4 + 4 + 2 = 30 bytes).
    let bound = [0x55u8; 30];
    let raw_with_aad = |data: &[u8]| {
        raw.encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: black_box(data),
                aad: &bound,
            },
        )
        .unwrap()
    };
    let os_nonce = || {
        let mut n = [0u8; 12];
        OsRng.fill_bytes(&mut n);
        n
    };

    let mut c = Criterion::default().configure_from_args();
    {
        let mut g = c.benchmark_group("crypto");
        g.bench_function("seal_bytes 16 B", |b| b.iter(|| seal(&small)));
        g.bench_function("raw aes-gcm 16 B", |b| b.iter(|| raw_encrypt(&small)));
        g.bench_function("seal_bytes 1 KiB", |b| b.iter(|| seal(&large)));
        g.bench_function("raw aes-gcm 1 KiB", |b| b.iter(|| raw_encrypt(&large)));
        g.bench_function("OsRng 12-byte nonce", |b| b.iter(os_nonce));
        g.finish();
    }
    c.final_summary();

    support::ratio(
        "seal 16 B vs raw aes-gcm",
        || seal(&small),
        || raw_encrypt(&small),
    );
    support::ratio(
        "seal 1 KiB vs raw aes-gcm",
        || seal(&large),
        || raw_encrypt(&large),
    );
    support::ratio(
        "raw with the same AAD vs raw, 16 B",
        || raw_with_aad(&small),
        || raw_encrypt(&small),
    );
    support::ratio("OsRng nonce vs raw aes-gcm 16 B", os_nonce, || {
        raw_encrypt(&small)
    });
}
