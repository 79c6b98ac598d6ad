//! Compact JSON written straight into a `String`: the low-level writer under the typed
//! model ([`FieldValue::write_json`](crate::FieldValue::write_json)) and the exports built on
//! it. It imports nothing from the promises.
//!
//! [`write_json`] writes exactly the bytes `serde_json::to_writer` writes. Scalars (strings,
//! integers, booleans, `None`, unit, unit variants, and `Some`/newtypes of them: most
//! personal fields) are written directly, without going through `io::Write`; anything
//! else, and floating-point numbers, is written by `serde_json` itself.

use core::fmt;
use std::io;

use serde::ser::{Impossible, Serializer};
use serde::Serialize;

/// Appends `value`'s compact JSON to `out`; `false` (and `out` holding a partial write)
/// when its `Serialize` fails.
pub(crate) fn write_json<T: Serialize + ?Sized>(out: &mut String, value: &T) -> bool {
    let start = out.len();
    if value.serialize(Direct(out)).is_ok() {
        return true;
    }
    // Not a scalar (or a failing `Serialize`): let serde_json write it from the start.
    out.truncate(start);
    serde_json::to_writer(StrWriter(out), value).is_ok()
}

/// Serializes `value` as JSON at the end of `out`, or `null` when its `Serialize` fails.
pub(crate) fn push_json<T: Serialize + ?Sized>(out: &mut String, value: &T) {
    let start = out.len();
    if !write_json(out, value) {
        out.truncate(start);
        out.push_str("null");
    }
}

/// Appends `text` as a JSON string, escaped as `serde_json` escapes it: `"`, `\` and the
/// control characters below U+0020 (`\b \t \n \f \r`, the rest as `\u00XX`); nothing else.
pub(crate) fn push_str_escaped(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(text.len() + 2);
    out.push('"');
    let bytes = text.as_bytes();
    let mut from = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short = match b {
            b'"' => '"',
            b'\\' => '\\',
            0x08 => 'b',
            0x09 => 't',
            0x0A => 'n',
            0x0C => 'f',
            0x0D => 'r',
            0x00..=0x1F => 'u',
            _ => continue,
        };
        // `i` is at an ASCII byte, so both slices end on character boundaries.
        out.push_str(text.get(from..i).unwrap_or_default());
        out.push('\\');
        out.push(short);
        if short == 'u' {
            out.push_str("00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xF)]));
        }
        from = i + 1;
    }
    out.push_str(text.get(from..).unwrap_or_default());
    out.push('"');
}

/// Lets `serde_json` write into a `String`. It writes whole UTF-8 sequences (it splits
/// strings only at the ASCII characters it escapes), and anything else is refused with an
/// error rather than written.
struct StrWriter<'a>(&'a mut String);

impl io::Write for StrWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = core::str::from_utf8(buf)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8"))?;
        self.0.push_str(text);
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.write(buf).map(drop)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The scalar fast path of [`write_json`]: writes scalars, refuses compound values with
/// [`NotScalar`] before writing anything of them.
struct Direct<'a>(&'a mut String);

/// Why [`Direct`] stopped: a compound value (or a failing `Serialize`), for serde_json.
#[derive(Debug)]
struct NotScalar;

impl fmt::Display for NotScalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a scalar")
    }
}

impl std::error::Error for NotScalar {}

impl serde::ser::Error for NotScalar {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        NotScalar
    }
}

macro_rules! integers {
    ($($method:ident: $ty:ty),*) => {$(
        fn $method(self, v: $ty) -> Result<(), NotScalar> {
            use fmt::Write as _;
            write!(self.0, "{v}").map_err(|_| NotScalar)
        }
    )*};
}

impl Serializer for Direct<'_> {
    type Ok = ();
    type Error = NotScalar;
    type SerializeSeq = Impossible<(), NotScalar>;
    type SerializeTuple = Impossible<(), NotScalar>;
    type SerializeTupleStruct = Impossible<(), NotScalar>;
    type SerializeTupleVariant = Impossible<(), NotScalar>;
    type SerializeMap = Impossible<(), NotScalar>;
    type SerializeStruct = Impossible<(), NotScalar>;
    type SerializeStructVariant = Impossible<(), NotScalar>;

    integers!(
        serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_i128: i128, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_u128: u128
    );

    fn serialize_bool(self, v: bool) -> Result<(), NotScalar> {
        self.0.push_str(if v { "true" } else { "false" });
        Ok(())
    }

    fn serialize_f32(self, _v: f32) -> Result<(), NotScalar> {
        // serde_json's shortest round-trip form (ryu) is not `Display`'s.
        Err(NotScalar)
    }

    fn serialize_f64(self, _v: f64) -> Result<(), NotScalar> {
        Err(NotScalar)
    }

    fn serialize_char(self, v: char) -> Result<(), NotScalar> {
        push_str_escaped(self.0, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<(), NotScalar> {
        push_str_escaped(self.0, v);
        Ok(())
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<(), NotScalar> {
        Err(NotScalar)
    }

    fn serialize_none(self) -> Result<(), NotScalar> {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), NotScalar> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), NotScalar> {
        self.0.push_str("null");
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), NotScalar> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), NotScalar> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), NotScalar> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), NotScalar> {
        Err(NotScalar)
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, NotScalar> {
        Err(NotScalar)
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, NotScalar> {
        Err(NotScalar)
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, NotScalar> {
        Err(NotScalar)
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, NotScalar> {
        Err(NotScalar)
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, NotScalar> {
        Err(NotScalar)
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, NotScalar> {
        Err(NotScalar)
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, NotScalar> {
        Err(NotScalar)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::net::IpAddr;

    use super::*;

    fn same_as_serde_json<T: Serialize + ?Sized>(value: &T) {
        let mut out = String::from("prefix");
        assert!(write_json(&mut out, value));
        let expected = serde_json::to_string(value).expect("serializes");
        assert_eq!(out, format!("prefix{expected}"));
    }

    #[derive(Serialize)]
    enum Plan {
        Free,
        Pro(u8),
    }

    #[derive(Serialize)]
    struct Wrapper(String);

    #[test]
    fn scalars_and_compound_values_are_written_as_serde_json_writes_them() {
        same_as_serde_json("plain");
        same_as_serde_json("quote \" backslash \\ slash / del \u{7f} \u{e9} \u{1F600}");
        let controls: String = (0u8..0x20).map(char::from).collect();
        same_as_serde_json(&controls);
        same_as_serde_json(&'\n');
        for n in [i64::MIN, -1, 0, 7, i64::MAX] {
            same_as_serde_json(&n);
        }
        same_as_serde_json(&u128::MAX);
        same_as_serde_json(&i128::MIN);
        same_as_serde_json(&true);
        same_as_serde_json(&Option::<String>::None);
        same_as_serde_json(&Some("x"));
        same_as_serde_json(&());
        same_as_serde_json(&Plan::Free);
        same_as_serde_json(&Plan::Pro(3));
        same_as_serde_json(&Wrapper("w\"".into()));
        for f in [0.1_f64, 1e21, -0.0, f64::NAN, f64::INFINITY] {
            same_as_serde_json(&f);
        }
        same_as_serde_json(&1.5_f32);
        same_as_serde_json(&Some((37.77_f64, -122.43_f64)));
        same_as_serde_json(&vec!["a", "b"]);
        same_as_serde_json(&BTreeMap::from([("k", 1)]));
        same_as_serde_json(&b"bytes"[..]);
        same_as_serde_json(&"203.0.113.7".parse::<IpAddr>().expect("literal"));
        same_as_serde_json(&std::time::SystemTime::UNIX_EPOCH);
    }
}
