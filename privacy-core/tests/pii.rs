//! `Pii<T>`: redacted formatting, deliberate access, serialize only by opt-in, zeroize.

use std::sync::atomic::{AtomicUsize, Ordering};

use privacy_core::pii::{serialize_exposed, Pii};
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

#[derive(Debug)]
#[allow(dead_code)]
struct Request {
    email: Pii<String>,
}

#[derive(Serialize)]
struct Reply {
    #[serde(serialize_with = "serialize_exposed")]
    email: Pii<String>,
}

#[derive(Deserialize)]
struct Signup {
    email: Pii<String>,
    age: Pii<u8>,
}

static WIPED: AtomicUsize = AtomicUsize::new(0);

/// A value whose zeroize we can watch.
struct Watched;

impl Zeroize for Watched {
    fn zeroize(&mut self) {
        WIPED.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn debug_and_display_print_redacted() {
    let email = Pii::new(String::from("jane@example.com"));
    assert_eq!(
        format!("{email:?}|{email}|{email:#?}"),
        "<redacted>|<redacted>|<redacted>"
    );
    assert_eq!(
        format!("{:?}", Request { email }),
        "Request { email: <redacted> }"
    );
}

#[test]
fn expose_gives_the_value_for_deliberate_use() {
    let mut phone = Pii::new(String::from("+14155552671"));
    assert_eq!(phone.expose(), "+14155552671");
    phone.expose_mut().push('0');
    assert_eq!(phone.into_inner(), "+141555526710");
}

#[test]
fn serialization_requires_an_explicit_opt_in() {
    let email = Pii::new(String::from("jane@example.com"));
    assert_eq!(
        serde_json::to_string(&email.expose_serialize()).expect("json"),
        r#""jane@example.com""#
    );
    assert_eq!(
        serde_json::to_string(&Reply { email }).expect("json"),
        r#"{"email":"jane@example.com"}"#
    );
}

#[test]
fn pii_deserializes_from_a_request_body() {
    let signup: Signup =
        serde_json::from_str(r#"{"email":"jane@example.com","age":42}"#).expect("valid body");
    assert_eq!(signup.email.expose(), "jane@example.com");
    assert_eq!(*signup.age.expose(), 42);
}

#[test]
fn the_value_is_zeroized_when_the_wrapper_drops() {
    drop(Pii::new(Watched));
    assert_eq!(WIPED.load(Ordering::SeqCst), 1);
    // What that zeroize does to a byte buffer: wiped and emptied.
    let mut bytes = Pii::new(b"secret".to_vec());
    bytes.expose_mut().zeroize();
    assert!(bytes.expose().is_empty());
}
