//! Table-driven tests of every anonymizer function, edge cases included.

use std::net::{IpAddr, SocketAddr};

use privacy_core::anonymize::{
    age_band, card_bin_last4, card_last4, coarse_location, email, initials, ip, ip_str, ip_with,
    luhn_valid, phone, socket_addr, year, AgeBand, CivilDate, GeoPoint, IpMask, MaskError,
    ParseError, Pseudonymizer, MASKED, MASKED_CARD,
};

fn addr(s: &str) -> IpAddr {
    s.parse().expect("test address")
}

#[test]
fn ip_keeps_the_24_bit_and_48_bit_prefixes() {
    for (input, expected) in [
        ("203.0.113.7", "203.0.113.0"),
        ("0.0.0.0", "0.0.0.0"),
        ("255.255.255.255", "255.255.255.0"),
        ("10.1.2.3", "10.1.2.0"),
        ("2001:db8:85a3:8d3:1319:8a2e:370:7348", "2001:db8:85a3::"),
        ("::", "::"),
        ("::1", "::"),
        (
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "ffff:ffff:ffff::",
        ),
        ("::ffff:203.0.113.7", "::ffff:203.0.113.0"),
    ] {
        assert_eq!(ip(addr(input)).to_string(), expected, "{input}");
    }
}

#[test]
fn ip_with_takes_any_valid_prefix_and_rejects_out_of_range_ones() {
    let a = addr("203.0.113.7");
    assert_eq!(
        ip_with(a, IpMask::new(16, 48).unwrap()).to_string(),
        "203.0.0.0"
    );
    assert_eq!(
        ip_with(a, IpMask::new(0, 0).unwrap()).to_string(),
        "0.0.0.0"
    );
    assert_eq!(
        ip_with(a, IpMask::new(32, 128).unwrap()).to_string(),
        "203.0.113.7"
    );
    let v6 = addr("2001:db8:85a3:8d3:1319:8a2e:370:7348");
    assert_eq!(
        ip_with(v6, IpMask::new(24, 32).unwrap()).to_string(),
        "2001:db8::"
    );
    assert_eq!(ip_with(v6, IpMask::new(24, 128).unwrap()), v6);
    assert_eq!(IpMask::new(33, 48), Err(MaskError::V4(33)));
    assert_eq!(IpMask::new(24, 129), Err(MaskError::V6(129)));
}

#[test]
fn socket_addresses_lose_their_port() {
    let s: SocketAddr = "203.0.113.7:443".parse().unwrap();
    assert_eq!(socket_addr(s).to_string(), "203.0.113.0");
}

#[test]
fn ip_str_accepts_zones_and_ports_and_never_echoes_bad_input() {
    for (input, expected) in [
        ("203.0.113.7", "203.0.113.0"),
        (" 203.0.113.7 ", "203.0.113.0"),
        ("fe80::1ff:fe23:4567:890a%eth0", "fe80::"),
        ("203.0.113.7:8080", "203.0.113.0"),
        ("[2001:db8::1]:443", "2001:db8::"),
    ] {
        assert_eq!(ip_str(input).as_deref(), Ok(expected), "{input}");
    }
    for bad in [
        "",
        "not an ip",
        "999.1.1.1",
        "1.2.3",
        "jane@example.com",
        &"1".repeat(10_000),
    ] {
        let err = ip_str(bad).unwrap_err();
        assert_eq!(err, ParseError);
        assert!(bad.is_empty() || !err.to_string().contains(bad));
    }
}

#[test]
fn email_keeps_the_first_character_and_the_domain() {
    let long = format!("{}@example.com", "a".repeat(5000));
    for (input, expected) in [
        ("jane.doe+x@example.com", "j***@example.com"),
        ("j***@example.com", "j***@example.com"),
        ("émile@exemple.fr", "é***@exemple.fr"),
        ("user@bücher.example", "u***@bücher.example"),
        ("用户@例子.广告", "用***@例子.广告"),
        (long.as_str(), "a***@example.com"),
        ("@example.com", MASKED),
        ("jane@", MASKED),
        ("jane@@example.com", MASKED),
        ("a@b@example.com", MASKED),
        ("jane doe@example.com", MASKED),
        ("not an email", MASKED),
        ("", MASKED),
    ] {
        assert_eq!(email(input), expected, "{input}");
    }
}

#[test]
fn phone_keeps_country_code_and_last_two_digits() {
    for (input, expected) in [
        ("+14155550142", "+1********42"),
        ("+1 (415) 555-0142", "+1********42"),
        ("+1********42", "+1********42"),
        ("+442071838750", "+44********50"),
        ("+35312345678", "+353******78"),
        ("+8613812345678", "+86*********78"),
        ("4155550142", MASKED),
        ("+1234", MASKED),
        ("+1415555014299999", MASKED),
        ("+1 415 CALL NOW", MASKED),
        ("", MASKED),
    ] {
        assert_eq!(phone(input), expected, "{input}");
    }
}

#[test]
fn cards_keep_at_most_the_bin_and_last_four() {
    for (input, last4, bin_last4) in [
        (
            "4242424242424242",
            "**** **** **** 4242",
            "424242******4242",
        ),
        (
            "4242 4242 4242 4242",
            "**** **** **** 4242",
            "424242******4242",
        ),
        ("378282246310005", "**** **** **** 0005", "378282*****0005"),
        ("**** **** **** 4242", "**** **** **** 4242", MASKED_CARD),
        (
            "424242******4242",
            "**** **** **** 4242",
            "424242******4242",
        ),
        ("1234", MASKED_CARD, MASKED_CARD),
        ("not a card", MASKED_CARD, MASKED_CARD),
        ("", MASKED_CARD, MASKED_CARD),
    ] {
        assert_eq!(card_last4(input), last4, "{input}");
        assert_eq!(card_bin_last4(input), bin_last4, "{input}");
    }
}

#[test]
fn luhn_accepts_real_test_cards_and_rejects_the_rest() {
    for valid in [
        "4242424242424242",
        "4111 1111 1111 1111",
        "378282246310005",
        "5500-0055-5555-5559",
    ] {
        assert!(luhn_valid(valid), "{valid}");
    }
    for invalid in [
        "4242424242424241",
        "1234567812345678",
        "42424242",
        "",
        "4242a42424242424",
    ] {
        assert!(!luhn_valid(invalid), "{invalid}");
    }
}

#[test]
fn initials_keep_one_letter_per_word() {
    for (input, expected) in [
        ("Jane Q. Doe", "J. Q. D."),
        ("J. Q. D.", "J. Q. D."),
        ("émile zola", "É. Z."),
        ("Σωκράτης", "Σ."),
        ("  ", ""),
        ("", ""),
    ] {
        assert_eq!(initials(input), expected, "{input}");
    }
}

#[test]
fn locations_round_to_the_requested_precision_and_invalid_points_are_dropped() {
    let p = GeoPoint {
        lat: 37.773_972,
        lon: -122.431_297,
    };
    assert_eq!(
        coarse_location(p, 2),
        GeoPoint {
            lat: 37.77,
            lon: -122.43
        }
    );
    assert_eq!(
        coarse_location(p, 0),
        GeoPoint {
            lat: 38.0,
            lon: -122.0
        }
    );
    assert_eq!(
        coarse_location(coarse_location(p, 2), 2),
        coarse_location(p, 2)
    );
    let zero = GeoPoint { lat: 0.0, lon: 0.0 };
    assert_eq!(
        coarse_location(
            GeoPoint {
                lat: f64::NAN,
                lon: 1.0
            },
            2
        ),
        zero
    );
    assert_eq!(
        coarse_location(
            GeoPoint {
                lat: 91.0,
                lon: 1.0
            },
            2
        ),
        zero
    );
}

#[test]
fn birth_dates_reduce_to_year_or_age_band() {
    let birth = CivilDate::parse("2010-06-15").unwrap();
    assert_eq!(year(birth), 2010);
    for (today, band) in [
        ("2022-06-14", AgeBand::Child),
        ("2023-06-15", AgeBand::YoungTeen),
        ("2026-06-14", AgeBand::YoungTeen),
        ("2026-06-15", AgeBand::OlderTeen),
        ("2028-06-15", AgeBand::Adult18),
        ("2080-01-01", AgeBand::Senior),
    ] {
        assert_eq!(
            age_band(birth, CivilDate::parse(today).unwrap()),
            band,
            "{today}"
        );
    }
    assert_eq!(AgeBand::YoungTeen.label(), "13-15");
    for bad in ["2010-02-30", "2010-13-01", "10-06-15", "yesterday", ""] {
        assert!(CivilDate::parse(bad).is_err(), "{bad}");
    }
    assert!(CivilDate::parse("2024-02-29").is_ok());
    assert_eq!(
        CivilDate::from_days_since_epoch(19_723).to_string(),
        "2024-01-01"
    );
}

#[test]
fn pseudonyms_are_stable_per_key_carry_the_key_id_and_never_show_the_key() {
    let k1 = Pseudonymizer::new("k1", b"0123456789abcdef0123456789abcdef").unwrap();
    let k2 = Pseudonymizer::new("k2", b"fedcba9876543210fedcba9876543210").unwrap();
    let a = k1.pseudonym("jane@example.com");
    assert_eq!(a, k1.pseudonym("jane@example.com"));
    assert_ne!(a, k1.pseudonym("john@example.com"));
    assert_ne!(a[6..], k2.pseudonym("jane@example.com")[6..]);
    assert!(a.starts_with("ps_k1_") && a.len() == 6 + 22);
    assert!(Pseudonymizer::is_token(&a));
    assert!(!format!("{k1:?}").contains("0123456789abcdef"));
    assert!(Pseudonymizer::new("k1", b"short").is_err());
    assert!(Pseudonymizer::new("bad id", b"0123456789abcdef").is_err());
}
