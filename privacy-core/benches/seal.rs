//! Record-level sealing and opening through the typed model vs the hand-written equivalent,
//! in the same run: encrypt the field(s) with a prebuilt AES-256-GCM cipher under a fresh
//! random nonce (from a ChaCha20 generator seeded once: a fixed nonce would not be a correct
//! equivalent), base64 nonce and ciphertext, and `serde_json` the record (and the reverse for
//! opening).
//!
//! Both ways of sealing are measured: the streamed `seal_json` / `open_json`, and `seal` /
//! `Sealed::open` through the in-memory tree with `serde_json` on the `Sealed`.
//!
//! The **format floor** is measured too: the same `Sealed` JSON that `seal_json` writes (the
//! same envelope layout, associated data, JSON plaintext, seal id and header fields), written
//! and read by hand with no typed model, hook, stream or check, under the same prebuilt
//! cipher. It is what the format itself costs over the hand-written baseline; the library's
//! own cost is the ratio of `seal_json` / `open_json` to the floor.
//!
//! `cargo bench -p privacy-core --bench seal`; the ratios print at the end. With
//! `SEAL_BENCH_RUN=NAME` it runs one subject 20,000 times (`SEAL_BENCH_N`) and nothing else, to
//! count instructions: `SEAL_BENCH_RUN=seal_json_one valgrind --tool=callgrind
//! target/release/deps/seal-HASH` (the names are in `main`).

use std::hint::black_box;

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::Engine as _;
use privacy_core::crypto::{Keyring, Sealed};
use privacy_core::PersonalData;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};

#[path = "support/mod.rs"]
mod support;

#[derive(PersonalData, Serialize, Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
struct One {
    #[personal(subject_id)]
    account_id: u64,
    #[personal(category = "financial.card_number", encrypt)]
    card_number: String,
    #[personal(not_personal)]
    plan: String,
    #[personal(not_personal)]
    seats: u32,
    #[personal(not_personal)]
    region: String,
}

#[derive(PersonalData, Serialize, Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
struct Four {
    #[personal(subject_id)]
    account_id: u64,
    #[personal(category = "financial.card_number", encrypt)]
    card_number: String,
    #[personal(category = "contact.email", encrypt)]
    email: String,
    #[personal(category = "contact.phone", encrypt)]
    phone: String,
    #[personal(category = "identity.name", encrypt)]
    name: String,
    #[personal(not_personal)]
    plan: String,
}

/// What a developer would write by hand for `One`: the same record with the card as base64.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OneByHand {
    account_id: u64,
    card_number: String,
    plan: String,
    seats: u32,
    region: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FourByHand {
    account_id: u64,
    card_number: String,
    email: String,
    phone: String,
    name: String,
    plan: String,
}

/// The header of the sealed form around a hand-written body (the format floor).
#[derive(Serialize)]
struct FloorOut<'a, B> {
    #[serde(rename = "type")]
    type_name: &'a str,
    subject: String,
    record: String,
    sealed: &'a [&'a str],
    body: B,
}

/// The sealed form read back by hand, borrowing what it can (the format floor).
#[derive(Deserialize)]
struct FloorIn<'a, B> {
    #[serde(rename = "type")]
    type_name: &'a str,
    subject: &'a str,
    record: &'a str,
    #[serde(borrow)]
    sealed: Vec<&'a str>,
    body: B,
}

/// Runs `f` `n` times (an instruction count of one subject).
fn repeat<R>(n: usize, mut f: impl FnMut() -> R) {
    for _ in 0..n {
        black_box(f());
    }
}

/// The key id the format floor writes into its envelopes.
const KEY_ID: u32 = 1;

/// The associated data of an envelope, laid out as `privacy_core::crypto::Aad` lays it out:
/// version, key id, then record, pointer, subject and record binding, each length-prefixed.
fn floor_aad(key_id: u32, parts: [&str; 4]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(5 + parts.iter().map(|p| 4 + p.len()).sum::<usize>());
    aad.push(privacy_core::__private::layout::VERSION);
    aad.extend_from_slice(&key_id.to_be_bytes());
    for part in parts {
        aad.extend_from_slice(&u32::try_from(part.len()).unwrap().to_be_bytes());
        aad.extend_from_slice(part.as_bytes());
    }
    aad
}

fn main() {
    let keyring = Keyring::in_memory();
    let cipher = Aes256Gcm::new(&[7u8; 32].into());
    let b64 = base64::engine::general_purpose::STANDARD;
    let rng = std::cell::RefCell::new(ChaCha20Rng::from_seed([9u8; 32]));
    let enc = |text: &str| {
        let mut nonce = [0u8; 12];
        rng.borrow_mut().fill_bytes(&mut nonce);
        let mut out = nonce.to_vec();
        out.extend(
            cipher
                .encrypt(
                    Nonce::from_slice(&nonce),
                    Payload {
                        msg: text.as_bytes(),
                        aad: b"",
                    },
                )
                .unwrap(),
        );
        b64.encode(out)
    };
    let dec = |text: &str| {
        let bytes = b64.decode(text).unwrap();
        let (nonce, ct) = bytes.split_at(12);
        let pt = cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: b"" })
            .unwrap();
        String::from_utf8(pt).unwrap()
    };

    let one = One {
        account_id: 42,
        card_number: "4111111111111111".into(),
        plan: "family".into(),
        seats: 4,
        region: "eu-west".into(),
    };
    let four = Four {
        account_id: 42,
        card_number: "4111111111111111".into(),
        email: "ada@example.com1".into(),
        phone: "+15550001111xxxx".into(),
        name: "Ada Lovelace xxx".into(),
        plan: "family".into(),
    };
    keyring.seal(&one).unwrap();

    let seal_one = || serde_json::to_string(&keyring.seal(black_box(&one)).unwrap()).unwrap();
    let hand_one = || {
        let r = black_box(&one);
        serde_json::to_string(&OneByHand {
            account_id: r.account_id,
            card_number: enc(&r.card_number),
            plan: r.plan.clone(),
            seats: r.seats,
            region: r.region.clone(),
        })
        .unwrap()
    };
    let seal_four = || serde_json::to_string(&keyring.seal(black_box(&four)).unwrap()).unwrap();
    let hand_four = || {
        let r = black_box(&four);
        serde_json::to_string(&FourByHand {
            account_id: r.account_id,
            card_number: enc(&r.card_number),
            email: enc(&r.email),
            phone: enc(&r.phone),
            name: enc(&r.name),
            plan: r.plan.clone(),
        })
        .unwrap()
    };
    let sealed_one = seal_one();
    let by_hand_one = hand_one();
    let sealed_four = seal_four();
    let by_hand_four = hand_four();
    let open_one = || {
        let s: Sealed<One> = serde_json::from_str(black_box(&sealed_one)).unwrap();
        s.open(&keyring).unwrap()
    };
    let unhand_one = || {
        let mut r: OneByHand = serde_json::from_str(black_box(&by_hand_one)).unwrap();
        r.card_number = dec(&r.card_number);
        r
    };
    let open_four = || {
        let s: Sealed<Four> = serde_json::from_str(black_box(&sealed_four)).unwrap();
        s.open(&keyring).unwrap()
    };
    let unhand_four = || {
        let mut r: FourByHand = serde_json::from_str(black_box(&by_hand_four)).unwrap();
        r.card_number = dec(&r.card_number);
        r.email = dec(&r.email);
        r.phone = dec(&r.phone);
        r.name = dec(&r.name);
        r
    };

    // The format floor: the envelope `version || key id || nonce || ciphertext || tag` of the
    // value's JSON, bound to (record, pointer, subject, binding), base64; the seal id drawn
    // per record; the header fields around the body.
    let url_b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let floor_enc = |value: &str, parts: [&str; 4]| {
        let json = serde_json::to_vec(value).unwrap();
        let mut nonce = [0u8; 12];
        rng.borrow_mut().fill_bytes(&mut nonce);
        let mut out = Vec::with_capacity(privacy_core::__private::layout::MIN_LEN + json.len());
        out.push(privacy_core::__private::layout::VERSION);
        out.extend_from_slice(&KEY_ID.to_be_bytes());
        out.extend_from_slice(&nonce);
        let aad = floor_aad(KEY_ID, parts);
        let payload = Payload {
            msg: &json,
            aad: &aad,
        };
        out.extend(cipher.encrypt(Nonce::from_slice(&nonce), payload).unwrap());
        b64.encode(out)
    };
    let floor_dec = |text: &str, parts: [&str; 4]| -> String {
        let bytes = b64.decode(text).unwrap();
        let header = privacy_core::__private::layout::HEADER_LEN;
        let aad = floor_aad(KEY_ID, parts);
        let payload = Payload {
            msg: &bytes[header..],
            aad: &aad,
        };
        let json = cipher
            .decrypt(Nonce::from_slice(&bytes[5..header]), payload)
            .unwrap();
        serde_json::from_slice(&json).unwrap()
    };
    let seal_id = || {
        let mut id = [0u8; 12];
        rng.borrow_mut().fill_bytes(&mut id);
        url_b64.encode(id)
    };
    let floor_one = || {
        let r = black_box(&one);
        let (subject, binding) = (r.account_id.to_string(), seal_id());
        let card_number = floor_enc(&r.card_number, ["One", "/cardNumber", &subject, &binding]);
        serde_json::to_string(&FloorOut {
            type_name: "One",
            sealed: &["/cardNumber"],
            body: OneByHand {
                account_id: r.account_id,
                card_number,
                plan: r.plan.clone(),
                seats: r.seats,
                region: r.region.clone(),
            },
            subject,
            record: binding,
        })
        .unwrap()
    };
    let floor_four = || {
        let r = black_box(&four);
        let (subject, binding) = (r.account_id.to_string(), seal_id());
        let (s, b) = (subject.as_str(), binding.as_str());
        let body = FourByHand {
            account_id: r.account_id,
            card_number: floor_enc(&r.card_number, ["Four", "/cardNumber", s, b]),
            email: floor_enc(&r.email, ["Four", "/email", s, b]),
            phone: floor_enc(&r.phone, ["Four", "/phone", s, b]),
            name: floor_enc(&r.name, ["Four", "/name", s, b]),
            plan: r.plan.clone(),
        };
        serde_json::to_string(&FloorOut {
            type_name: "Four",
            sealed: &["/cardNumber", "/email", "/phone", "/name"],
            body,
            subject,
            record: binding,
        })
        .unwrap()
    };
    let floored_one = floor_one();
    let floored_four = floor_four();
    // The floor writes the same form, byte for byte in length (the seal ids, nonces and
    // ciphertexts differ).
    assert_eq!(floored_one.len(), sealed_one.len());
    assert_eq!(floored_four.len(), sealed_four.len());
    let unfloor_one = || {
        let f: FloorIn<OneByHand> = serde_json::from_str(black_box(&floored_one)).unwrap();
        assert!(f.type_name == "One" && f.sealed.len() == 1);
        let mut r = f.body;
        r.card_number = floor_dec(&r.card_number, ["One", f.sealed[0], f.subject, f.record]);
        r
    };
    let unfloor_four = || {
        let f: FloorIn<FourByHand> = serde_json::from_str(black_box(&floored_four)).unwrap();
        assert!(f.type_name == "Four" && f.sealed.len() == 4);
        let (s, b) = (f.subject, f.record);
        let mut r = f.body;
        r.card_number = floor_dec(&r.card_number, ["Four", f.sealed[0], s, b]);
        r.email = floor_dec(&r.email, ["Four", f.sealed[1], s, b]);
        r.phone = floor_dec(&r.phone, ["Four", f.sealed[2], s, b]);
        r.name = floor_dec(&r.name, ["Four", f.sealed[3], s, b]);
        r
    };

    let stream_one = || keyring.seal_json(black_box(&one)).unwrap();
    let stream_four = || keyring.seal_json(black_box(&four)).unwrap();
    let unstream_one = || keyring.open_json::<One>(black_box(&sealed_one)).unwrap();
    let unstream_four = || keyring.open_json::<Four>(black_box(&sealed_four)).unwrap();

    // `SEAL_BENCH_RUN=NAME [SEAL_BENCH_N=20000]`: run one subject NAME times and nothing else,
    // for an instruction count under `valgrind --tool=callgrind`, which this virtual machine's
    // timing noise does not reach (see the README's Performance notes).
    if let Ok(name) = std::env::var("SEAL_BENCH_RUN") {
        let n: usize = std::env::var("SEAL_BENCH_N")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(20_000);
        match name.as_str() {
            "hand_one" => repeat(n, hand_one),
            "floor_one" => repeat(n, floor_one),
            "seal_json_one" => repeat(n, stream_one),
            "hand_four" => repeat(n, hand_four),
            "floor_four" => repeat(n, floor_four),
            "seal_json_four" => repeat(n, stream_four),
            "unhand_one" => repeat(n, unhand_one),
            "unfloor_one" => repeat(n, unfloor_one),
            "open_json_one" => repeat(n, unstream_one),
            "unhand_four" => repeat(n, unhand_four),
            "unfloor_four" => repeat(n, unfloor_four),
            "open_json_four" => repeat(n, unstream_four),
            other => panic!("SEAL_BENCH_RUN={other}: not a subject of this bench"),
        }
        return;
    }

    support::ratio(
        "seal_json (streamed), 1 encrypted field, vs by hand",
        stream_one,
        hand_one,
    );
    support::ratio(
        "seal_json (streamed), 4 encrypted fields, vs by hand",
        stream_four,
        hand_four,
    );
    support::ratio(
        "open_json (streamed), 1 encrypted field, vs by hand",
        unstream_one,
        unhand_one,
    );
    support::ratio(
        "open_json (streamed), 4 encrypted fields, vs by hand",
        unstream_four,
        unhand_four,
    );
    support::ratio(
        "seal + JSON (through Sealed), 1 encrypted field, vs by hand",
        seal_one,
        hand_one,
    );
    support::ratio(
        "seal + JSON (through Sealed), 4 encrypted fields, vs by hand",
        seal_four,
        hand_four,
    );
    support::ratio(
        "JSON + open (through Sealed), 1 encrypted field, vs by hand",
        open_one,
        unhand_one,
    );
    support::ratio(
        "JSON + open (through Sealed), 4 encrypted fields, vs by hand",
        open_four,
        unhand_four,
    );
    support::ratio(
        "format floor: seal, 1 encrypted field, vs by hand",
        floor_one,
        hand_one,
    );
    support::ratio(
        "format floor: seal, 4 encrypted fields, vs by hand",
        floor_four,
        hand_four,
    );
    support::ratio(
        "format floor: open, 1 encrypted field, vs by hand",
        unfloor_one,
        unhand_one,
    );
    support::ratio(
        "format floor: open, 4 encrypted fields, vs by hand",
        unfloor_four,
        unhand_four,
    );
    support::ratio(
        "seal_json, 1 encrypted field, vs the format floor",
        stream_one,
        floor_one,
    );
    support::ratio(
        "seal_json, 4 encrypted fields, vs the format floor",
        stream_four,
        floor_four,
    );
    support::ratio(
        "open_json, 1 encrypted field, vs the format floor",
        unstream_one,
        unfloor_one,
    );
    support::ratio(
        "open_json, 4 encrypted fields, vs the format floor",
        unstream_four,
        unfloor_four,
    );
}
