//! Record-level sealing and opening through the typed model vs the hand-written equivalent,
//! in the same run: encrypt the field(s) with a prebuilt AES-256-GCM cipher under a fresh
//! random nonce (from a ChaCha20 generator seeded once: a fixed nonce would not be a correct
//! equivalent), base64 nonce and ciphertext, and `serde_json` the record (and the reverse for
//! opening).
//!
//! Both ways of sealing are measured: the streamed `seal_json` / `open_json`, and `seal` /
//! `Sealed::open` through the in-memory tree with `serde_json` on the `Sealed`.
//!
//! `cargo bench -p privacy-core --bench seal`; the ratios print at the end.

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

    let stream_one = || keyring.seal_json(black_box(&one)).unwrap();
    let stream_four = || keyring.seal_json(black_box(&four)).unwrap();
    let unstream_one = || keyring.open_json::<One>(black_box(&sealed_one)).unwrap();
    let unstream_four = || keyring.open_json::<Four>(black_box(&sealed_four)).unwrap();

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
}
