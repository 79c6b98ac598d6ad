//! A record's serde form as a small in-memory tree, built by serializing the record through a
//! [`ser::TreeSerializer`] and read back with [`de::TreeDeserializer`].
//!
//! This is how sealing, opening and the redacted view see a record the way serde writes it:
//! the record's own `Serialize` decides the layout (renames, `flatten`, `skip_serializing_if`,
//! enum tags), so those attributes are honoured by construction, and a [`ser::Hook`] is told
//! of every value serde hands over, which it recognises by address and type (the typed model's
//! [`Visitor`](crate::visit::Visitor) lists where the personal fields live). Works for any
//! self-describing format: the tree serializes to JSON, CBOR, ... and deserializes from them.

pub(crate) mod de;
pub(crate) mod pointer;
pub(crate) mod ser;
pub(crate) mod stream_de;
pub(crate) mod stream_ser;

use core::fmt;

use compact_str::CompactString;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use zeroize::Zeroize;

/// One node of a serde data tree. Maps keep their order; an externally tagged enum variant is a
/// one-entry map `{variant: content}`, a unit variant its name, `None` and `()` are `Unit`.
#[derive(Clone)]
pub(crate) enum Tree {
    Unit,
    /// A field or variant name serde gave as `&'static str`: a string, without a copy.
    Key(&'static str),
    Bool(bool),
    I64(i64),
    U64(u64),
    I128(i128),
    U128(u128),
    F64(f64),
    /// A string; short ones (up to 24 bytes: most keys and many values) are stored inline,
    /// without an allocation.
    Str(CompactString),
    Bytes(Vec<u8>),
    Seq(Vec<Tree>),
    Map(Vec<(Tree, Tree)>),
}

/// The error of a map with a key twice; it never quotes the key.
pub(crate) const DUPLICATE_KEY: &str = "a key appears twice in one object";

impl Tree {
    /// Whether two map keys name the same entry, as a JSON pointer names it (a `Key`, a
    /// `Str` and an integer of the same text do).
    fn same_key(&self, other: &Tree) -> bool {
        match (self.key_str(), other.key_str()) {
            (Some(a), Some(b)) => a == b,
            _ => match (self.key_text(), other.key_text()) {
                (Some(a), Some(b)) => a == b,
                _ => self == other,
            },
        }
    }

    fn key_str(&self) -> Option<&str> {
        match self {
            Tree::Key(k) => Some(k),
            Tree::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl PartialEq for Tree {
    fn eq(&self, other: &Tree) -> bool {
        match (self, other) {
            (Tree::Unit, Tree::Unit) => true,
            (Tree::Bool(a), Tree::Bool(b)) => a == b,
            (Tree::I64(a), Tree::I64(b)) => a == b,
            (Tree::U64(a), Tree::U64(b)) => a == b,
            (Tree::I128(a), Tree::I128(b)) => a == b,
            (Tree::U128(a), Tree::U128(b)) => a == b,
            (Tree::F64(a), Tree::F64(b)) => a == b,
            (Tree::Bytes(a), Tree::Bytes(b)) => a == b,
            (Tree::Seq(a), Tree::Seq(b)) => a == b,
            (Tree::Map(a), Tree::Map(b)) => a == b,
            (a, b) => match (a.as_str(), b.as_str()) {
                (Some(a), Some(b)) => a == b,
                _ => false,
            },
        }
    }
}

impl Tree {
    /// The text of a string node.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Tree::Str(s) => Some(s),
            Tree::Key(s) => Some(s),
            _ => None,
        }
    }

    /// The text of a map key, as a JSON pointer names it: strings as they are, integers and
    /// booleans in decimal; `None` for keys that cannot be named (maps, sequences).
    pub(crate) fn key_text(&self) -> Option<String> {
        match self {
            Tree::Str(s) => Some(s.to_string()),
            Tree::Key(s) => Some((*s).to_owned()),
            Tree::U64(n) => Some(n.to_string()),
            Tree::I64(n) => Some(n.to_string()),
            Tree::U128(n) => Some(n.to_string()),
            Tree::I128(n) => Some(n.to_string()),
            Tree::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// Whether the node holds no value (`None`, `()`).
    pub(crate) fn is_unit(&self) -> bool {
        matches!(self, Tree::Unit)
    }

    /// Every scalar leaf as text (strings as they are, numbers in decimal), in order: the raw
    /// values a leak scanner looks for.
    pub(crate) fn leaves(&self, out: &mut dyn FnMut(String)) {
        match self {
            Tree::Str(s) if !s.is_empty() => out(s.to_string()),
            Tree::Key(s) if !s.is_empty() => out((*s).to_owned()),
            Tree::I64(n) => out(n.to_string()),
            Tree::U64(n) => out(n.to_string()),
            Tree::I128(n) => out(n.to_string()),
            Tree::U128(n) => out(n.to_string()),
            Tree::F64(n) => out(n.to_string()),
            Tree::Seq(items) => items.iter().for_each(|v| v.leaves(out)),
            Tree::Map(entries) => entries.iter().for_each(|(_, v)| v.leaves(out)),
            _ => {}
        }
    }
}

impl Zeroize for Tree {
    fn zeroize(&mut self) {
        match self {
            Tree::Str(s) => s.zeroize(),
            Tree::Bytes(b) => b.zeroize(),
            Tree::Seq(items) => items.iter_mut().for_each(Zeroize::zeroize),
            Tree::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
                k.zeroize();
                v.zeroize();
            }),
            Tree::I64(n) => *n = 0,
            Tree::U64(n) => *n = 0,
            Tree::I128(n) => *n = 0,
            Tree::U128(n) => *n = 0,
            Tree::F64(n) => *n = 0.0,
            Tree::Bool(b) => *b = false,
            Tree::Unit | Tree::Key(_) => {}
        }
    }
}

impl Serialize for Tree {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Tree::Unit => serializer.serialize_unit(),
            Tree::Bool(v) => serializer.serialize_bool(*v),
            Tree::I64(v) => serializer.serialize_i64(*v),
            Tree::U64(v) => serializer.serialize_u64(*v),
            Tree::I128(v) => serializer.serialize_i128(*v),
            Tree::U128(v) => serializer.serialize_u128(*v),
            Tree::F64(v) => serializer.serialize_f64(*v),
            Tree::Str(v) => serializer.serialize_str(v),
            Tree::Key(v) => serializer.serialize_str(v),
            Tree::Bytes(v) => serializer.serialize_bytes(v),
            Tree::Seq(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Tree::Map(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Tree {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TreeVisitor)
    }
}

struct TreeVisitor;

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = Tree;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any self-describing value")
    }

    fn visit_unit<E>(self) -> Result<Tree, E> {
        Ok(Tree::Unit)
    }

    fn visit_none<E>(self) -> Result<Tree, E> {
        Ok(Tree::Unit)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Tree, D::Error> {
        Tree::deserialize(d)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Tree, D::Error> {
        Tree::deserialize(d)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Tree, E> {
        Ok(Tree::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Tree, E> {
        Ok(Tree::I64(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Tree, E> {
        Ok(Tree::U64(v))
    }

    fn visit_i128<E>(self, v: i128) -> Result<Tree, E> {
        Ok(Tree::I128(v))
    }

    fn visit_u128<E>(self, v: u128) -> Result<Tree, E> {
        Ok(Tree::U128(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Tree, E> {
        Ok(Tree::F64(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Tree, E> {
        Ok(Tree::Str(CompactString::from(v)))
    }

    fn visit_string<E>(self, v: String) -> Result<Tree, E> {
        Ok(Tree::Str(CompactString::from(v)))
    }

    fn visit_bytes<E>(self, v: &[u8]) -> Result<Tree, E> {
        Ok(Tree::Bytes(v.to_vec()))
    }

    fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Tree, E> {
        Ok(Tree::Bytes(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tree, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Tree::Seq(items))
    }

    /// Refuses a key that appears twice in one map: a stored record with duplicate keys is
    /// tampered with (the second value would replace a sealed first one unchecked).
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tree, A::Error> {
        // Past a few entries, the keys' texts in a set instead of comparing with each.
        const LINEAR: usize = 16;
        let mut entries: Vec<(Tree, Tree)> =
            Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
        let mut texts: Option<rustc_hash::FxHashSet<String>> = None;
        while let Some((key, value)) = map.next_entry::<Tree, Tree>()? {
            let duplicate = match (&mut texts, key.key_text()) {
                (Some(texts), Some(text)) => !texts.insert(text),
                _ => entries.iter().any(|(k, _)| k.same_key(&key)),
            };
            if duplicate {
                return Err(serde::de::Error::custom(DUPLICATE_KEY));
            }
            entries.push((key, value));
            if texts.is_none() && entries.len() == LINEAR {
                let all: Option<rustc_hash::FxHashSet<String>> =
                    entries.iter().map(|(k, _)| k.key_text()).collect();
                texts = all;
            }
        }
        Ok(Tree::Map(entries))
    }
}
