//! The heuristic detectors: true and false positives, and `assert_no_detected_pii!`.

use privacy_core::assert_no_detected_pii;
use privacy_core::testing::{detect, DetectionKind};

fn found(text: &str) -> Vec<(DetectionKind, &str)> {
    detect(text)
        .into_iter()
        .map(|d| (d.kind, &text[d.offset..d.offset + d.len]))
        .collect()
}

#[test]
fn emails_are_detected_with_their_exact_span() {
    assert_eq!(
        found("mail <jane.doe+x@mail.example.co.uk>, and bob@example.org."),
        [
            (DetectionKind::Email, "jane.doe+x@mail.example.co.uk"),
            (DetectionKind::Email, "bob@example.org"),
        ]
    );
}

#[test]
fn at_signs_that_are_not_emails_are_ignored() {
    assert_eq!(found("@here ping user@localhost, git@1.2 and a@b.c1"), []);
}

#[test]
fn ipv4_addresses_are_detected_but_not_loopback_or_malformed_quads() {
    assert_eq!(
        found("from 203.0.113.7:443 via 10.0.0.1, bind 0.0.0.0 127.0.0.1 256.1.1.1"),
        [
            (DetectionKind::Ipv4, "203.0.113.7"),
            (DetectionKind::Ipv4, "10.0.0.1"),
        ]
    );
}

#[test]
fn a_bare_version_string_counts_as_an_ipv4_but_marked_or_longer_versions_do_not() {
    assert_eq!(found("release 1.2.3.4"), [(DetectionKind::Ipv4, "1.2.3.4")]);
    assert_eq!(
        found("release v1.2.3.4, 1.2.3.4.5, 1.2.3.4-beta, 1.2.3"),
        []
    );
}

#[test]
fn ipv6_addresses_are_detected_but_not_times_paths_or_loopback() {
    assert_eq!(
        found("client 2001:db8::8a2e:370:7334 at 12:30:45 in std::fmt on [::1]:8080"),
        [(DetectionKind::Ipv6, "2001:db8::8a2e:370:7334")]
    );
}

#[test]
fn luhn_valid_card_numbers_are_detected_plain_spaced_or_dashed() {
    assert_eq!(
        found("card 4242424242424242, 4000 0566 5566 5556, 3782-822463-10005"),
        [
            (DetectionKind::Card, "4242424242424242"),
            (DetectionKind::Card, "4000 0566 5566 5556"),
            (DetectionKind::Card, "3782-822463-10005"),
        ]
    );
}

#[test]
fn a_sixteen_digit_order_id_that_fails_luhn_is_not_a_card() {
    assert_eq!(found("order 4242424242424241 shipped"), []);
}

#[test]
fn timestamps_and_ids_glued_to_letters_are_not_cards() {
    assert_eq!(
        found("t=1700000000000000000 id4242424242424242 4242424242424242x"),
        []
    );
}

#[test]
fn e164_phone_numbers_are_detected_but_not_short_or_glued_ones() {
    assert_eq!(
        found("call +14155552671 or +44 20 7946 0958; not +123 nor n+14155552671"),
        [
            (DetectionKind::Phone, "+14155552671"),
            (DetectionKind::Phone, "+44 20 7946 0958"),
        ]
    );
}

#[test]
fn detections_print_kind_and_range_only() {
    let d = detect("x jane@example.com");
    let found: Vec<_> = d.iter().map(|d| (d.kind, d.offset, d.len)).collect();
    assert_eq!(found, [(DetectionKind::Email, 2, 16)]);
    assert_eq!(d[0].to_string(), "something like email at byte 2..18");
}

#[test]
fn assert_no_detected_pii_passes_clean_text_and_names_findings_without_values() {
    assert_no_detected_pii!("GET /health 200 in 3ms (build v1.2.3.4)");
    let panic = std::panic::catch_unwind(|| assert_no_detected_pii!("to jane@example.com"))
        .expect_err("must panic");
    let message = panic.downcast_ref::<String>().expect("a String message");
    assert_eq!(
        message,
        "text looks like it holds personal data (1):\n  something like email at byte 3..19"
    );
}
