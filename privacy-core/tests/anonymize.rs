//! Table-driven tests of every anonymizer function and every `Anonymize` impl, edge cases
//! included. No global pseudonymizer is installed in this test binary.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use privacy_core::anonymize::strategies;
use privacy_core::anonymize::{
    age_band, age_band_at, card_bin_last4, card_last4, city_level, coarse_location, email,
    global_pseudonymizer, initials, ip, ip_str, ip_with, luhn_valid, phone, socket_addr, year,
    AgeBand, Anonymize, CivilDate, DateError, GeoPoint, IpMask, MaskError, ParseError,
    PrefixPreservingIp, PseudonymError, Pseudonymizer, MASKED, MASKED_CARD, REDACTED,
};
// The strategy trait is the derive's; the idempotence tests name it to be generic over markers.
use privacy_core::__private::anon::Strategy;

fn addr(s: &str) -> IpAddr {
    s.parse().expect("test address")
}

fn date(s: &str) -> CivilDate {
    CivilDate::parse(s).expect("test date")
}

/// Applies `S` twice: the anonymized value, whether the first pass changed it, whether the
/// second did (it never should).
fn twice<S: Strategy, T: Anonymize<S>>(mut value: T) -> (T, bool, bool) {
    let first = Anonymize::<S>::anonymize(&mut value);
    let second = Anonymize::<S>::anonymize(&mut value);
    (value, first, second)
}

// ---- ip ---------------------------------------------------------------------------------

#[test]
fn ip_keeps_the_24_bit_and_48_bit_prefixes() {
    for (input, expected) in [
        ("203.0.113.7", "203.0.113.0"),
        ("0.0.0.0", "0.0.0.0"),
        ("255.255.255.255", "255.255.255.0"),
        ("10.1.2.3", "10.1.2.0"),
        ("127.0.0.1", "127.0.0.0"),
        ("2001:db8:85a3:8d3:1319:8a2e:370:7348", "2001:db8:85a3::"),
        ("::", "::"),
        ("::1", "::"),
        ("fe80::1ff:fe23:4567:890a", "fe80::"),
        (
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "ffff:ffff:ffff::",
        ),
        ("::ffff:203.0.113.7", "::ffff:203.0.113.0"),
        ("::ffff:0.0.0.0", "::ffff:0.0.0.0"),
        ("::ffff:255.255.255.255", "::ffff:255.255.255.0"),
        ("64:ff9b::203.0.113.7", "64:ff9b::"),
    ] {
        assert_eq!(ip(addr(input)).to_string(), expected, "{input}");
    }
}

#[test]
fn ip_with_takes_any_valid_prefix_and_rejects_out_of_range_ones() {
    let v4 = addr("203.0.113.7");
    let v6 = addr("2001:db8:85a3:8d3:1319:8a2e:370:7348");
    let mapped = addr("::ffff:203.0.113.7");
    for (input, v4_bits, v6_bits, expected) in [
        (v4, 16, 48, "203.0.0.0"),
        (v4, 0, 0, "0.0.0.0"),
        (v4, 32, 128, "203.0.113.7"),
        (v4, 1, 0, "128.0.0.0"),
        (v4, 31, 0, "203.0.113.6"),
        (v6, 24, 32, "2001:db8::"),
        (v6, 24, 0, "::"),
        (v6, 24, 128, "2001:db8:85a3:8d3:1319:8a2e:370:7348"),
        (v6, 24, 1, "::"),
        (v6, 24, 64, "2001:db8:85a3:8d3::"),
        (mapped, 16, 128, "::ffff:203.0.0.0"),
    ] {
        let mask = IpMask::new(v4_bits, v6_bits).expect("valid mask");
        assert_eq!(
            ip_with(input, mask).to_string(),
            expected,
            "{input} /{v4_bits} /{v6_bits}"
        );
    }
    assert_eq!(IpMask::new(33, 48), Err(MaskError::V4(33)));
    assert_eq!(IpMask::new(24, 129), Err(MaskError::V6(129)));
    assert_eq!(IpMask::new(255, 255), Err(MaskError::V4(255)));
    assert_eq!(
        MaskError::V6(129).to_string(),
        "IPv6 prefix length 129 is out of range (0 to 128)"
    );
    assert_eq!(IpMask::default(), IpMask::DEFAULT);
    assert_eq!((IpMask::DEFAULT.v4(), IpMask::DEFAULT.v6()), (24, 48));
}

#[test]
fn socket_addresses_lose_their_port() {
    for (input, expected) in [
        ("203.0.113.7:443", "203.0.113.0"),
        ("[2001:db8::1]:8080", "2001:db8::"),
        ("[::ffff:203.0.113.7]:1", "::ffff:203.0.113.0"),
    ] {
        let s: SocketAddr = input.parse().expect("test socket address");
        assert_eq!(socket_addr(s).to_string(), expected, "{input}");
    }
}

#[test]
fn ip_str_accepts_zones_ports_and_brackets() {
    for (input, expected) in [
        ("203.0.113.7", "203.0.113.0"),
        (" 203.0.113.7\n", "203.0.113.0"),
        ("0.0.0.0", "0.0.0.0"),
        ("255.255.255.255", "255.255.255.0"),
        ("::", "::"),
        ("::1", "::"),
        ("::ffff:203.0.113.7", "::ffff:203.0.113.0"),
        ("fe80::1ff:fe23:4567:890a%eth0", "fe80::"),
        ("fe80::1%25", "fe80::"),
        ("[fe80::1%eth0]:443", "fe80::"),
        ("[fe80::1%eth0]", "fe80::"),
        ("203.0.113.7:8080", "203.0.113.0"),
        ("[2001:db8::1]:443", "2001:db8::"),
        ("[2001:db8::1]", "2001:db8::"),
        ("2001:DB8:85A3::1", "2001:db8:85a3::"),
    ] {
        assert_eq!(ip_str(input).as_deref(), Ok(expected), "{input}");
    }
}

#[test]
fn ip_str_refuses_what_is_not_an_address_without_repeating_it() {
    let long = "1".repeat(10_000);
    for bad in [
        "",
        " ",
        "not an ip",
        "999.1.1.1",
        "1.2.3",
        "1.2.3.4.5",
        "jane@example.com",
        "203.0.113.7%eth0",
        "fe80::1%",
        "fe80::1%eth0%eth1",
        "fe80::1% eth0",
        "%eth0",
        "[::1]:99999",
        "[::1]:",
        "[::1]x",
        "[203.0.113.7]",
        "[::1",
        "::1]",
        "٢٠٣.٠.١١٣.٧",
        "203.0.113.7/24",
        long.as_str(),
    ] {
        let err = ip_str(bad).unwrap_err();
        assert_eq!(err, ParseError, "{bad:?}");
        assert_eq!(
            err.to_string(),
            "not an IP address (the input is not repeated here: it may be personal data)"
        );
    }
}

// ---- email, phone -------------------------------------------------------------------------

#[test]
fn email_keeps_the_first_character_and_the_domain() {
    let long_local = format!("{}@example.com", "a".repeat(64));
    for (input, expected) in [
        ("jane.doe+x@example.com", "j***@example.com"),
        (" jane@example.com ", "j***@example.com"),
        ("j***@example.com", "j***@example.com"),
        ("J@EXAMPLE.COM", "J***@EXAMPLE.COM"),
        ("émile@exemple.fr", "é***@exemple.fr"),
        ("user@bücher.example", "u***@bücher.example"),
        ("user@xn--bcher-kva.example", "u***@xn--bcher-kva.example"),
        ("用户@例子.广告", "用***@例子.广告"),
        ("👩‍💻dev@example.com", "👩***@example.com"),
        ("jane@localhost", "j***@localhost"),
        (long_local.as_str(), "a***@example.com"),
    ] {
        assert_eq!(email(input), expected, "{input}");
    }
}

#[test]
fn email_masks_everything_that_is_not_an_address() {
    let too_long_local = format!("{}@example.com", "a".repeat(65));
    let too_long = format!("jane@{}.com", "a".repeat(250));
    for input in [
        "",
        "   ",
        "@example.com",
        "@",
        "jane@",
        "jane@@example.com",
        "a@b@example.com",
        "jane doe@example.com",
        "\"jane doe\"@example.com",
        "Jane <jane@example.com>",
        "jane@example..com",
        "jane@.example.com",
        "jane@example.com.",
        "jane@[192.0.2.1]",
        "jane@example.com;drop",
        "not an email",
        MASKED,
        too_long_local.as_str(),
        too_long.as_str(),
    ] {
        assert_eq!(email(input), MASKED, "{input}");
    }
}

#[test]
fn phone_keeps_country_code_and_last_two_digits() {
    for (input, expected) in [
        ("+14155550142", "+1********42"),
        ("+1 (415) 555-0142", "+1********42"),
        ("+1.415.555.0142", "+1********42"),
        ("+1********42", "+1********42"),
        ("+442071838750", "+44********50"),
        ("+44 20 7183 8750", "+44********50"),
        ("+35312345678", "+353******78"),
        ("+8613812345678", "+86*********78"),
        ("+79123456789", "+7********89"),
        ("+12345678", "+1*****78"),
        ("+123456789012345", "+1************45"),
    ] {
        assert_eq!(phone(input), expected, "{input}");
    }
    for input in [
        "4155550142",
        "00442071838750",
        "+1234",
        "+1234567",
        "+1234567890123456",
        "+1 415 CALL NOW",
        "+1 415 555 0142 ext. 12",
        "+١٤١٥٥٥٥٠١٤٢",
        "+",
        "",
        MASKED,
        &"+1".repeat(5000),
    ] {
        assert_eq!(phone(input), MASKED, "{input}");
    }
}

// ---- cards --------------------------------------------------------------------------------

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
        (
            "4242-4242-4242-4242",
            "**** **** **** 4242",
            "424242******4242",
        ),
        ("378282246310005", "**** **** **** 0005", "378282*****0005"),
        (
            "6011000990139424000",
            "**** **** **** 4000",
            "601100*********4000",
        ),
        ("123456789012", "**** **** **** 9012", "********9012"),
        ("12345678901234", "**** **** **** 1234", "**********1234"),
        (
            "**** **** **** 4242",
            "**** **** **** 4242",
            "************4242",
        ),
        (
            "424242******4242",
            "**** **** **** 4242",
            "424242******4242",
        ),
        ("********9012", "**** **** **** 9012", "********9012"),
        ("4242**4242424242", "**** **** **** 4242", MASKED_CARD),
        (MASKED_CARD, MASKED_CARD, MASKED_CARD),
        ("1234", MASKED_CARD, MASKED_CARD),
        ("12345678901234567890", MASKED_CARD, MASKED_CARD),
        ("4242 4242 4242 424x", MASKED_CARD, MASKED_CARD),
        ("not a card", MASKED_CARD, MASKED_CARD),
        ("", MASKED_CARD, MASKED_CARD),
    ] {
        assert_eq!(card_last4(input), last4, "last4 {input}");
        assert_eq!(card_bin_last4(input), bin_last4, "bin_last4 {input}");
    }
}

#[test]
fn luhn_accepts_real_test_cards_and_rejects_the_rest() {
    for valid in [
        "4242424242424242",
        "4111 1111 1111 1111",
        "378282246310005",
        "5500-0055-5555-5559",
        "6011000990139424",
    ] {
        assert!(luhn_valid(valid), "{valid}");
    }
    for invalid in [
        "4242424242424241",
        "1234567812345678",
        "42424242",
        "",
        "4242a42424242424",
        "**** **** **** 4242",
        "00000000000000000000",
    ] {
        assert!(!luhn_valid(invalid), "{invalid}");
    }
}

// ---- names --------------------------------------------------------------------------------

#[test]
fn initials_keep_one_letter_per_word() {
    let long = "Wolfgang ".repeat(1000);
    for (input, expected) in [
        ("Jane Q. Doe", "J. Q. D."),
        ("J. Q. D.", "J. Q. D."),
        ("jane doe", "J. D."),
        ("émile zola", "É. Z."),
        ("Σωκράτης", "Σ."),
        ("李 小龍", "李. 小."),
        ("straße ßen", "S. ß."),
        ("Jean-Luc Picard", "J. P."),
        ("Mary & 'Ann'", "M. A."),
        ("  Jane\tDoe\n", "J. D."),
        ("- & -", ""),
        ("  ", ""),
        ("", ""),
    ] {
        assert_eq!(initials(input), expected, "{input}");
        assert_eq!(initials(&initials(input)), expected, "idempotent: {input}");
    }
    assert_eq!(initials(&long).len(), 1000 * 3 - 1);
}

// ---- location -----------------------------------------------------------------------------

#[test]
fn locations_round_to_the_requested_precision_and_invalid_points_are_dropped() {
    let sf = GeoPoint {
        lat: 37.773_972,
        lon: -122.431_297,
    };
    let zero = GeoPoint { lat: 0.0, lon: 0.0 };
    for (point, decimals, expected) in [
        (
            sf,
            2,
            GeoPoint {
                lat: 37.77,
                lon: -122.43,
            },
        ),
        (
            sf,
            0,
            GeoPoint {
                lat: 38.0,
                lon: -122.0,
            },
        ),
        (
            sf,
            3,
            GeoPoint {
                lat: 37.774,
                lon: -122.431,
            },
        ),
        (sf, 200, sf),
        (
            GeoPoint {
                lat: -0.001,
                lon: -0.004,
            },
            2,
            zero,
        ),
        (
            GeoPoint {
                lat: 90.0,
                lon: -180.0,
            },
            2,
            GeoPoint {
                lat: 90.0,
                lon: -180.0,
            },
        ),
        (
            GeoPoint {
                lat: f64::NAN,
                lon: 1.0,
            },
            2,
            zero,
        ),
        (
            GeoPoint {
                lat: 1.0,
                lon: f64::INFINITY,
            },
            2,
            zero,
        ),
        (
            GeoPoint {
                lat: 91.0,
                lon: 1.0,
            },
            2,
            zero,
        ),
        (
            GeoPoint {
                lat: 1.0,
                lon: -180.5,
            },
            2,
            zero,
        ),
    ] {
        let out = coarse_location(point, decimals);
        assert_eq!(out, expected, "{point:?} to {decimals}");
        assert!(out.lat.is_sign_positive() || out.lat < 0.0, "no -0.0");
        assert_eq!(coarse_location(out, decimals), out, "idempotent");
    }
    assert_eq!(
        coarse_location(
            GeoPoint {
                lat: -0.001,
                lon: 0.0
            },
            2
        )
        .lat
        .to_bits(),
        0.0f64.to_bits()
    );
}

#[test]
fn city_level_snaps_to_the_centre_of_a_tenth_of_a_degree_cell() {
    for (point, expected) in [
        (
            GeoPoint {
                lat: 37.773_972,
                lon: -122.431_297,
            },
            GeoPoint {
                lat: 37.75,
                lon: -122.45,
            },
        ),
        (
            GeoPoint {
                lat: 37.701,
                lon: -122.499,
            },
            GeoPoint {
                lat: 37.75,
                lon: -122.45,
            },
        ),
        (
            GeoPoint {
                lat: 48.858_37,
                lon: 2.294_481,
            },
            GeoPoint {
                lat: 48.85,
                lon: 2.25,
            },
        ),
        (
            GeoPoint { lat: 0.0, lon: 0.0 },
            GeoPoint {
                lat: 0.05,
                lon: 0.05,
            },
        ),
        (
            GeoPoint {
                lat: -0.01,
                lon: -0.01,
            },
            GeoPoint {
                lat: -0.05,
                lon: -0.05,
            },
        ),
        (
            GeoPoint {
                lat: 90.0,
                lon: 180.0,
            },
            GeoPoint {
                lat: 89.95,
                lon: 179.95,
            },
        ),
        (
            GeoPoint {
                lat: -90.0,
                lon: -180.0,
            },
            GeoPoint {
                lat: -89.95,
                lon: -179.95,
            },
        ),
        (
            GeoPoint {
                lat: f64::NAN,
                lon: 0.0,
            },
            GeoPoint { lat: 0.0, lon: 0.0 },
        ),
    ] {
        let out = city_level(point);
        assert_eq!(out, expected, "{point:?}");
        if point.lat.is_finite() {
            assert_eq!(city_level(out), out, "idempotent: {point:?}");
        }
    }
}

// ---- dates --------------------------------------------------------------------------------

#[test]
fn year_accepts_iso_text_and_civil_dates() {
    assert_eq!(year("1990-04-01"), Ok(1990));
    assert_eq!(year(" 0001-01-01 "), Ok(1));
    assert_eq!(year(&String::from("2024-02-29")), Ok(2024));
    assert_eq!(year(&date("1990-04-01")), Ok(1990));
    for bad in [
        "2010-02-30",
        "2023-02-29",
        "2010-13-01",
        "2010-00-10",
        "2010-01-00",
        "10-06-15",
        "2010-6-15",
        "+010-06-15",
        "2010-06-15T00:00",
        "2010/06/15",
        "yesterday",
        "",
        "２０１０-０６-１５",
    ] {
        assert_eq!(year(bad), Err(DateError::Malformed), "{bad}");
    }
    let impossible = CivilDate {
        year: 2010,
        month: 2,
        day: 30,
    };
    assert_eq!(year(&impossible), Err(DateError::Malformed));
}

#[test]
fn age_bands_follow_the_documented_boundaries() {
    let birth = date("2010-06-15");
    for (today, band) in [
        ("2010-06-15", AgeBand::Child),
        ("2022-06-14", AgeBand::Child),
        ("2023-06-15", AgeBand::YoungTeen),
        ("2026-06-14", AgeBand::YoungTeen),
        ("2026-06-15", AgeBand::OlderTeen),
        ("2028-06-14", AgeBand::OlderTeen),
        ("2028-06-15", AgeBand::Adult18),
        ("2035-06-15", AgeBand::Adult25),
        ("2045-06-15", AgeBand::Adult35),
        ("2055-06-15", AgeBand::Adult45),
        ("2065-06-15", AgeBand::Adult55),
        ("2075-06-14", AgeBand::Adult55),
        ("2075-06-15", AgeBand::Senior),
        ("2210-01-01", AgeBand::Senior),
    ] {
        assert_eq!(age_band_at(&birth, date(today)), Ok(band), "{today}");
        assert_eq!(
            age_band_at("2010-06-15", date(today)),
            Ok(band),
            "text, {today}"
        );
    }
    assert_eq!(
        age_band_at(&birth, date("2010-06-14")),
        Err(DateError::InFuture)
    );
    assert_eq!(
        age_band_at("2010-13-01", date("2020-01-01")),
        Err(DateError::Malformed)
    );
    // Born on February 29th: a year older on March 1st in common years.
    let leap = date("2008-02-29");
    assert_eq!(leap.age_on(date("2021-02-28")), Ok(12));
    assert_eq!(leap.age_on(date("2021-03-01")), Ok(13));
    assert_eq!(age_band("1900-01-01"), Ok(AgeBand::Senior));
    assert_eq!(age_band("9999-01-01"), Err(DateError::InFuture));
    let labels: Vec<_> = AgeBand::ALL.iter().map(|b| b.label()).collect();
    assert_eq!(
        labels,
        ["0-12", "13-15", "16-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"]
    );
    for band in AgeBand::ALL {
        assert_eq!(AgeBand::from_label(band.label()), Some(band));
        assert_eq!(AgeBand::of_age(u32::from(band.lower_bound())), band);
    }
}

#[test]
fn civil_dates_parse_print_and_serialize_as_iso_text() {
    assert_eq!(
        CivilDate::from_days_since_epoch(0).to_string(),
        "1970-01-01"
    );
    assert_eq!(
        CivilDate::from_days_since_epoch(19_723).to_string(),
        "2024-01-01"
    );
    assert_eq!(
        CivilDate::from_days_since_epoch(-1).to_string(),
        "1969-12-31"
    );
    assert!(CivilDate::today() >= date("2024-01-01"));
    let d = date("1990-04-01");
    assert_eq!(serde_json::to_string(&d).unwrap(), "\"1990-04-01\"");
    assert_eq!(
        serde_json::from_str::<CivilDate>("\"1990-04-01\"").unwrap(),
        d
    );
    let err = serde_json::from_str::<CivilDate>("\"1990-02-31\"").unwrap_err();
    assert!(!err.to_string().contains("1990"), "{err}");
    assert_eq!("1990-04-01".parse::<CivilDate>(), Ok(d));
}

// ---- pseudonyms ---------------------------------------------------------------------------

#[test]
fn pseudonyms_are_stable_per_key_carry_the_key_id_and_never_show_the_key() {
    let k1 = Pseudonymizer::new("k1", b"0123456789abcdef0123456789abcdef").unwrap();
    let k2 = Pseudonymizer::new("k2", b"fedcba9876543210fedcba9876543210").unwrap();
    let a = k1.pseudonym("jane@example.com");
    assert_eq!(a, k1.pseudonym("jane@example.com"));
    assert_eq!(a, k1.clone().pseudonym("jane@example.com"));
    assert_ne!(a, k1.pseudonym("john@example.com"));
    assert_ne!(a[6..], k2.pseudonym("jane@example.com")[6..]);
    assert!(a.starts_with("ps_k1_") && a.len() == 6 + 22);
    assert!(Pseudonymizer::is_token(&a));
    assert!(k1.pseudonym("").starts_with("ps_k1_"));
    assert_eq!(k1.key_id(), "k1");
    assert_eq!(format!("{k1:?}"), "Pseudonymizer { key_id: \"k1\", .. }");
}

#[test]
fn pseudonym_is_the_first_128_bits_of_hmac_sha256_in_base64url() {
    use base64::Engine as _;
    use hmac::{Hmac, Mac};
    let key = b"an independent check key, 32 B!";
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key).unwrap();
    mac.update(b"what do ya want for nothing?");
    let digest = mac.finalize().into_bytes();
    let expected = format!(
        "ps_rfc_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16])
    );
    let p = Pseudonymizer::new("rfc", key).unwrap();
    assert_eq!(p.pseudonym("what do ya want for nothing?"), expected);
}

#[test]
fn pseudonymizer_refuses_short_keys_and_bad_key_ids_without_showing_them() {
    assert_eq!(
        Pseudonymizer::new("k1", b"short").unwrap_err(),
        PseudonymError::KeyTooShort(5)
    );
    for bad in ["", "bad id", "k_1", "a-b", "12345678901234567", "ключ"] {
        assert_eq!(
            Pseudonymizer::new(bad, b"0123456789abcdef").unwrap_err(),
            PseudonymError::BadKeyId,
            "{bad}"
        );
    }
    let msg = PseudonymError::KeyTooShort(5).to_string();
    assert_eq!(
        msg,
        "pseudonymization key is too short (5 bytes; at least 16 are needed)"
    );
    for not_token in [
        "",
        "ps_",
        "ps_k1_",
        "ps_k1_short",
        "ps__AAAAAAAAAAAAAAAAAAAAAA",
        "ps_k1_AAAAAAAAAAAAAAAAAAAAA=",
    ] {
        assert!(!Pseudonymizer::is_token(not_token), "{not_token}");
    }
}

// ---- Anonymize impls --------------------------------------------------------------------

#[test]
fn ip_anonymizer_truncates_every_address_type_once() {
    assert_eq!(
        twice::<strategies::ip, _>(addr("203.0.113.7")),
        (addr("203.0.113.0"), true, false)
    );
    assert_eq!(
        twice::<strategies::ip, _>(addr("203.0.113.0")),
        (addr("203.0.113.0"), false, false)
    );
    assert_eq!(
        twice::<strategies::ip, _>(Ipv4Addr::new(198, 51, 100, 23)),
        (Ipv4Addr::new(198, 51, 100, 0), true, false)
    );
    assert_eq!(
        twice::<strategies::ip, _>("2001:db8:85a3:8d3::1".parse::<Ipv6Addr>().unwrap()),
        ("2001:db8:85a3::".parse::<Ipv6Addr>().unwrap(), true, false)
    );
    assert_eq!(
        twice::<strategies::ip, _>("[2001:db8::1]:443".parse::<SocketAddr>().unwrap()),
        ("[2001:db8::]:0".parse::<SocketAddr>().unwrap(), true, false)
    );
    for (text, expected) in [
        ("203.0.113.7", "203.0.113.0"),
        ("fe80::1%eth0", "fe80::"),
        ("not an address", MASKED),
        ("", MASKED),
    ] {
        assert_eq!(
            twice::<strategies::ip, _>(text.to_owned()),
            (expected.to_owned(), true, false),
            "{text}"
        );
    }
}

#[test]
fn text_anonymizers_give_the_documented_result_once() {
    fn check<S: Strategy>(cases: &[(&str, &str)])
    where
        String: Anonymize<S>,
    {
        for (input, expected) in cases {
            let (out, first, second) = twice::<S, _>((*input).to_owned());
            assert_eq!(out, *expected, "{} {input}", S::NAME);
            assert_eq!(first, input != expected, "{} {input}", S::NAME);
            assert!(!second, "{} {input}: second pass changed it", S::NAME);
        }
    }
    check::<strategies::redact>(&[("jane", REDACTED), ("", REDACTED), (REDACTED, REDACTED)]);
    check::<strategies::email>(&[
        ("jane.doe+x@example.com", "j***@example.com"),
        ("nope", MASKED),
    ]);
    check::<strategies::phone>(&[("+1 415 555 0142", "+1********42"), ("555 0142", MASKED)]);
    check::<strategies::last4>(&[
        ("4242 4242 4242 4242", "**** **** **** 4242"),
        ("x", MASKED_CARD),
    ]);
    check::<strategies::bin_last4>(&[
        ("4242 4242 4242 4242", "424242******4242"),
        ("x", MASKED_CARD),
    ]);
    check::<strategies::initials>(&[("Jane Q. Doe", "J. Q. D."), ("", "")]);
    check::<strategies::year>(&[
        ("1990-04-01", "1990"),
        (" 1990 ", "1990"),
        ("1990", "1990"),
        ("0042-01-01", "0042"),
        ("1990-02-30", MASKED),
        ("April 1st, 1990", MASKED),
    ]);
    check::<strategies::age_band>(&[
        ("1950-04-01", "65+"),
        ("65+", "65+"),
        (" 13-15 ", "13-15"),
        ("9999-01-01", MASKED),
        ("1990-02-30", MASKED),
        ("", MASKED),
    ]);
    // No pseudonymizer is installed in this test binary: `pseudonym` fails closed.
    assert!(global_pseudonymizer().is_none());
    check::<strategies::pseudonym>(&[
        ("490154203237518", REDACTED),
        (
            "ps_k1_AAAAAAAAAAAAAAAAAAAAAA",
            "ps_k1_AAAAAAAAAAAAAAAAAAAAAA",
        ),
    ]);
}

#[test]
fn other_field_types_are_anonymized_once() {
    assert_eq!(
        twice::<strategies::coarse_location, _>(GeoPoint {
            lat: 37.773_972,
            lon: -122.431_297
        }),
        (
            GeoPoint {
                lat: 37.77,
                lon: -122.43
            },
            true,
            false
        )
    );
    assert_eq!(
        twice::<strategies::coarse_location, _>((48.858_37, 2.294_481)),
        ((48.86, 2.29), true, false)
    );
    assert_eq!(
        twice::<strategies::coarse_location, _>((f64::NAN, 2.294_481)),
        ((0.0, 0.0), true, false)
    );
    assert_eq!(
        twice::<strategies::year, _>(date("1990-04-01")),
        (date("1990-01-01"), true, false)
    );
    assert_eq!(
        twice::<strategies::year, _>(CivilDate {
            year: 1990,
            month: 2,
            day: 30
        }),
        (date("0000-01-01"), true, false)
    );
    for (age, expected) in [
        (0u8, 0u8),
        (12, 0),
        (13, 13),
        (15, 13),
        (17, 16),
        (37, 35),
        (64, 55),
        (65, 65),
        (255, 65),
    ] {
        assert_eq!(
            twice::<strategies::age_band, _>(age),
            (expected, age != expected, false),
            "{age}"
        );
        assert_eq!(
            twice::<strategies::age_band, _>(u32::from(age)).0,
            u32::from(expected)
        );
    }
    assert_eq!(twice::<strategies::age_band, _>(u64::MAX).0, 65);
    assert_eq!(twice::<strategies::age_band, _>(40_000u16).0, 65);
    assert_eq!(
        twice::<strategies::redact, _>(addr("203.0.113.7")),
        (addr("0.0.0.0"), true, false)
    );
    assert_eq!(
        twice::<strategies::redact, _>(addr("2001:db8::1")),
        (addr("::"), true, false)
    );
    assert_eq!(
        twice::<strategies::redact, _>("203.0.113.7:443".parse::<SocketAddr>().unwrap()),
        ("0.0.0.0:0".parse::<SocketAddr>().unwrap(), true, false)
    );
    assert_eq!(
        twice::<strategies::email, _>(vec!["jane@example.com".to_owned(), "x".to_owned()]),
        (
            vec!["j***@example.com".to_owned(), MASKED.to_owned()],
            true,
            false
        )
    );
    assert_eq!(
        twice::<strategies::email, _>(None::<String>),
        (None, false, false)
    );
}

// ---- prefix-preserving IP pseudonyms --------------------------------------------------------

/// The sample key of the Crypto-PAn reference distribution.
const CRYPTOPAN_KEY: [u8; 32] = [
    21, 34, 23, 141, 51, 164, 207, 128, 19, 10, 91, 22, 73, 144, 125, 16, 216, 152, 143, 131, 121,
    121, 101, 39, 98, 87, 76, 45, 42, 132, 34, 2,
];

#[test]
fn prefix_preserving_pseudonyms_match_the_crypto_pan_reference_trace() {
    let pan = PrefixPreservingIp::new(&CRYPTOPAN_KEY);
    for (input, expected) in [
        ("128.11.68.132", "135.242.180.132"),
        ("129.118.74.4", "134.136.186.123"),
        ("130.132.252.244", "133.68.164.234"),
        ("141.223.7.43", "141.167.8.160"),
        ("141.233.145.108", "141.129.237.235"),
        ("152.163.225.39", "151.140.114.167"),
        ("156.29.3.236", "147.225.12.42"),
        ("165.247.96.84", "162.9.99.234"),
        ("166.107.77.190", "160.132.178.185"),
        ("192.102.249.13", "252.138.62.131"),
        ("24.0.250.221", "100.15.198.226"),
        ("64.14.118.196", "0.255.183.58"),
        ("10.185.25.118", "117.161.29.118"),
        ("::ffff:128.11.68.132", "::ffff:135.242.180.132"),
    ] {
        assert_eq!(
            pan.pseudonymize(addr(input)).to_string(),
            expected,
            "{input}"
        );
    }
    assert_eq!(format!("{pan:?}"), "PrefixPreservingIp { .. }");
}

#[test]
fn prefix_preserving_pseudonyms_of_ipv6_match_a_known_implementation() {
    let pan = PrefixPreservingIp::new(&CRYPTOPAN_KEY);
    for (input, expected) in [
        ("::1", "78ff:f001:9fc0:20df:8380:b1f1:704:ed"),
        ("::2", "78ff:f001:9fc0:20df:8380:b1f1:704:ef"),
        ("2001:db8::1", "4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1e"),
    ] {
        assert_eq!(
            pan.pseudonymize(addr(input)).to_string(),
            expected,
            "{input}"
        );
    }
}
