//! The scanner samples the text a few bytes apart and runs its automaton only where a pattern
//! may start; these tests check that nothing falls between two samples: every planted value is
//! found, at every alignment, at the very start and end of the text, among many values of
//! different lengths, and what is reported is really there.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use privacy_core::testing::{Encoding, LeakScanner, MIN_ENCODED_LEN};
use privacy_core::{Category, PersonalValue};
use proptest::prelude::*;

fn value(field: &'static str, text: &str) -> PersonalValue {
    PersonalValue {
        record: "Account",
        field,
        category: Category::ContactEmail,
        value: text.to_owned(),
    }
}

const FIELDS: [&str; 6] = ["a", "b", "c", "d", "e", "f"];

#[test]
fn a_value_is_found_at_every_alignment_and_at_both_ends() {
    // From the shortest searched length up, so the sampling stride ranges from 1 to 8.
    for len in 4..24 {
        let secret: String = "Qz9xKw7VpL3mNc8RtY2bHd5G".chars().take(len).collect();
        let scanner = LeakScanner::from_values([value("a", &secret)]).expect("scanner");
        for lead in 0..20 {
            for tail in 0..3 {
                let text = format!("{}{secret}{}", " ".repeat(lead), " ".repeat(tail));
                let leaks = scanner.scan(&text);
                assert!(
                    leaks
                        .iter()
                        .any(|l| l.offset == lead && l.encoding == Encoding::Raw),
                    "len {len}, lead {lead}, tail {tail}: {leaks:?}"
                );
            }
        }
    }
}

#[test]
fn a_short_value_among_long_ones_keeps_every_value_found() {
    // One 4-byte value forces a stride of 1; the long values must still be found.
    let values = [
        ("a", "Zq7#"),
        ("b", "jane.doe+news@example.com"),
        ("c", "Maria Lopez Garcia"),
    ];
    let scanner =
        LeakScanner::from_values(values.iter().map(|(f, v)| value(f, v))).expect("scanner");
    let text = format!(
        "x {} y {} z {}",
        values[1].1,
        STANDARD.encode(values[2].1),
        values[0].1
    );
    let found: Vec<_> = scanner.scan(&text).iter().map(|l| l.field).collect();
    assert_eq!(found, ["b", "c", "a"]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_planted_value_is_found_and_every_raw_report_is_real(
        secrets in proptest::collection::vec("[A-Za-z0-9@.+_-]{4,30}", 1..6),
        filler in "[a-z0-9 =.:/-]{0,400}",
        cuts in proptest::collection::vec(0usize..400, 6),
        encode in proptest::collection::vec(any::<bool>(), 6),
    ) {
        let values: Vec<_> = secrets.iter().zip(FIELDS).map(|(s, f)| value(f, s)).collect();
        let scanner = LeakScanner::from_values(values.clone()).expect("scanner");
        // Plant each value, raw or base64-encoded, at a cut of the filler, between spaces.
        let mut text = String::new();
        let mut planted = Vec::new();
        let mut rest = filler.as_str();
        for ((v, cut), b64) in values.iter().zip(&cuts).zip(&encode) {
            let at = (*cut).min(rest.len());
            text.push_str(&rest[..at]);
            rest = &rest[at..];
            text.push(' ');
            planted.push((v.field, text.len()));
            // Short and all-digit values are searched raw only (see `MIN_ENCODED_LEN`).
            let encodable =
                v.value.len() >= MIN_ENCODED_LEN && !v.value.bytes().all(|b| b.is_ascii_digit());
            if *b64 && encodable {
                text.push_str(&STANDARD.encode(&v.value));
            } else {
                text.push_str(&v.value);
            }
            text.push(' ');
        }
        text.push_str(rest);
        let leaks = scanner.scan(&text);
        for (field, offset) in planted {
            // A base64 pattern may start a character or two in, at an alignment.
            prop_assert!(
                leaks.iter().any(|l| l.field == field && (offset..offset + 3).contains(&l.offset)),
                "{} planted at {} not found in {:?}", field, offset, leaks
            );
        }
        for leak in leaks.iter().filter(|l| l.encoding == Encoding::Raw) {
            let v = values.iter().find(|v| v.field == leak.field).expect("a known field");
            prop_assert_eq!(&text.as_bytes()[leak.offset..leak.offset + leak.len], v.value.as_bytes());
        }
    }
}
