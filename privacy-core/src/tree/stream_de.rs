//! [`deserialize`]: a value read straight from any self-describing serde deserializer, with the
//! values at some JSON pointers replaced (opened envelopes), with no tree of the input.
//!
//! The reader tracks the path of every value it hands over (struct fields and map values by
//! key, sequence elements by index, variant content by variant name: the pointers
//! [`to_tree`](super::ser::to_tree) and [`stream_ser`](super::stream_ser) name values by).
//! At a value an [`Opener`] wants, it reads the value as a string (the envelope), asks the
//! opener for the plaintext as a tree, and lets the record's `Deserialize` read that instead.
//! `flatten`, internally tagged and untagged enums buffer their input through this reader, so
//! they see the opened values too.

use core::cell::RefCell;
use core::fmt;

use compact_str::{CompactString, ToCompactString};
use serde::de::{self, DeserializeSeed, Deserializer, Error as _, Visitor};
use zeroize::Zeroize;

use super::de::TreeDeserializer;
use super::Tree;

/// Every `Deserializer` method, forwarded to the inner deserializer with the visitor wrapped
/// (by the implementing type's `split`).
macro_rules! forward_deserializer {
    () => {
        forward_deserializer! {
            deserialize_any();
            deserialize_bool();
            deserialize_i8();
            deserialize_i16();
            deserialize_i32();
            deserialize_i64();
            deserialize_i128();
            deserialize_u8();
            deserialize_u16();
            deserialize_u32();
            deserialize_u64();
            deserialize_u128();
            deserialize_f32();
            deserialize_f64();
            deserialize_char();
            deserialize_str();
            deserialize_string();
            deserialize_bytes();
            deserialize_byte_buf();
            deserialize_option();
            deserialize_unit();
            deserialize_unit_struct(name: &'static str);
            deserialize_newtype_struct(name: &'static str);
            deserialize_seq();
            deserialize_tuple(len: usize);
            deserialize_tuple_struct(name: &'static str, len: usize);
            deserialize_map();
            deserialize_struct(name: &'static str, fields: &'static [&'static str]);
            deserialize_enum(name: &'static str, variants: &'static [&'static str]);
            deserialize_identifier();
            deserialize_ignored_any();
        }
    };
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
            let (inner, visitor) = self.split(visitor);
            inner.$method($($arg,)* visitor)
        }
    )*};
}

/// One step of a path: a key (struct field, map key, variant name) or a sequence index.
enum Step {
    Key(CompactString),
    Index(usize),
}

/// Decides which values are replaced and with what.
pub(crate) trait Opener {
    /// The opener's own error (a crypto error, say).
    type Error;

    /// Whether the value at `pointer` (its JSON pointer) is to be replaced; a token for
    /// [`Opener::open`].
    fn wants(&self, pointer: &str) -> Option<usize>;

    /// The plaintext of the envelope `text` read where [`Opener::wants`] said `which`.
    fn open(&mut self, which: usize, text: &str) -> Result<Tree, Self::Error>;

    /// The error for a value that is not a string where an envelope should be.
    fn not_an_envelope(&self) -> Self::Error;
}

/// An opener lent for one read: the caller keeps it (and what it noted) without moving it
/// in and out of the reader.
impl<O: Opener + ?Sized> Opener for &mut O {
    type Error = O::Error;

    fn wants(&self, pointer: &str) -> Option<usize> {
        (**self).wants(pointer)
    }

    fn open(&mut self, which: usize, text: &str) -> Result<Tree, Self::Error> {
        (**self).open(which, text)
    }

    fn not_an_envelope(&self) -> Self::Error {
        (**self).not_an_envelope()
    }
}

struct Reading<O: Opener> {
    opener: O,
    /// The JSON pointer of the value being read, kept up to date step by step.
    pointer: String,
    error: Option<O::Error>,
}

type Shared<'c, O> = &'c RefCell<Reading<O>>;

/// Why reading failed: the opener refused a value, or the input (or the record's own
/// `Deserialize`) failed.
pub(crate) enum Failure<O, D> {
    Opener(O),
    Input(D),
}

/// The opener back, and the value read or why not.
pub(crate) type Outcome<'de, O, S, D> = (
    O,
    Result<
        <S as DeserializeSeed<'de>>::Value,
        Failure<<O as Opener>::Error, <D as Deserializer<'de>>::Error>,
    >,
);

/// Reads `seed` from `deserializer`, replacing the values `opener` wants. Returns the opener,
/// so what it opened can be checked.
pub(crate) fn deserialize<'de, O: Opener, S: DeserializeSeed<'de>, D: Deserializer<'de>>(
    opener: O,
    seed: S,
    deserializer: D,
) -> Outcome<'de, O, S, D> {
    let reading = RefCell::new(Reading {
        opener,
        pointer: String::with_capacity(64),
        error: None,
    });
    let out = seed.deserialize(De {
        reading: &reading,
        inner: deserializer,
    });
    let reading = reading.into_inner();
    let out = match (out, reading.error) {
        (_, Some(e)) => Err(Failure::Opener(e)),
        (Err(e), None) => Err(Failure::Input(e)),
        (Ok(v), None) => Ok(v),
    };
    (reading.opener, out)
}

fn under<O: Opener, R>(reading: Shared<'_, O>, step: Step, f: impl FnOnce() -> R) -> R {
    let mark = {
        let pointer = &mut reading.borrow_mut().pointer;
        let mark = pointer.len();
        match step {
            Step::Key(key) => super::pointer::push(pointer, &key),
            Step::Index(i) => super::pointer::push_index(pointer, i),
        }
        mark
    };
    let out = f();
    reading.borrow_mut().pointer.truncate(mark);
    out
}

/// The seed of a value at the current path: the opened plaintext where the opener wants it,
/// the value itself (read through the wrapper) elsewhere.
struct Slot<'c, O: Opener, S> {
    reading: Shared<'c, O>,
    seed: S,
}

impl<'de, O: Opener, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Slot<'_, O, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        let wanted = {
            let r = self.reading.borrow();
            r.opener.wants(&r.pointer)
        };
        let Some(which) = wanted else {
            return self.seed.deserialize(De {
                reading: self.reading,
                inner: d,
            });
        };
        let mut tree = d.deserialize_any(Envelope {
            reading: self.reading,
            which,
        })?;
        let value = self
            .seed
            .deserialize(TreeDeserializer::new(&tree, &[]))
            .map_err(D::Error::custom);
        tree.zeroize();
        value
    }
}

/// Reads an envelope's text and opens it.
struct Envelope<'c, O: Opener> {
    reading: Shared<'c, O>,
    which: usize,
}

impl<'de, O: Opener> Visitor<'de> for Envelope<'_, O> {
    type Value = Tree;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an envelope (a base64 string)")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Tree, E> {
        let mut reading = self.reading.borrow_mut();
        match reading.opener.open(self.which, text) {
            Ok(tree) => Ok(tree),
            Err(e) => {
                reading.error.get_or_insert(e);
                Err(E::custom("an envelope did not open"))
            }
        }
    }

    not_an_envelope! {
        visit_bool(bool);
        visit_i64(i64);
        visit_u64(u64);
        visit_i128(i128);
        visit_u128(u128);
        visit_f64(f64);
        visit_bytes(&[u8]);
    }

    fn visit_unit<E: de::Error>(self) -> Result<Tree, E> {
        Err(self.not_a_string())
    }

    fn visit_none<E: de::Error>(self) -> Result<Tree, E> {
        Err(self.not_a_string())
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, _seq: A) -> Result<Tree, A::Error> {
        Err(self.not_a_string())
    }

    fn visit_map<A: de::MapAccess<'de>>(self, _map: A) -> Result<Tree, A::Error> {
        Err(self.not_a_string())
    }
}

impl<O: Opener> Envelope<'_, O> {
    /// Where an envelope should be, another kind of value: the opener names the error.
    fn not_a_string<E: de::Error>(&self) -> E {
        let mut reading = self.reading.borrow_mut();
        let e = reading.opener.not_an_envelope();
        reading.error.get_or_insert(e);
        E::custom("an envelope is not a string")
    }
}

macro_rules! not_an_envelope {
    ($($method:ident($ty:ty);)*) => {$(
        fn $method<E: de::Error>(self, _v: $ty) -> Result<Tree, E> {
            Err(self.not_a_string())
        }
    )*};
}
use not_an_envelope;

/// A map key or variant name: read by the key's own seed, its text kept as a path step.
struct KeySeed<'k, S> {
    seed: S,
    out: &'k mut Option<Step>,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for KeySeed<'_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(KeyDe {
            inner: d,
            out: self.out,
        })
    }
}

/// Forwards to the key's deserializer, noting the text of the key the visitor is given.
struct KeyDe<'k, D> {
    inner: D,
    out: &'k mut Option<Step>,
}

impl<'k, D> KeyDe<'k, D> {
    fn split<V>(self, visitor: V) -> (D, KeyVisitor<'k, V>) {
        (
            self.inner,
            KeyVisitor {
                inner: visitor,
                out: self.out,
            },
        )
    }
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for KeyDe<'_, D> {
    type Error = D::Error;

    forward_deserializer!();

    /// Always, as the sealing side writes map keys (see `stream_ser`).
    fn is_human_readable(&self) -> bool {
        true
    }
}

/// Notes a key's text (strings as they are, integers and booleans in decimal, as a JSON
/// pointer names them) and hands the key on.
struct KeyVisitor<'k, V> {
    inner: V,
    out: &'k mut Option<Step>,
}

macro_rules! key_text {
    ($($method:ident($ty:ty);)*) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
            *self.out = Some(Step::Key(v.to_compact_string()));
            self.inner.$method(v)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for KeyVisitor<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        *self.out = Some(Step::Key(CompactString::new(v)));
        self.inner.visit_str(v)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<V::Value, E> {
        *self.out = Some(Step::Key(CompactString::new(v)));
        self.inner.visit_borrowed_str(v)
    }

    key_text! {
        visit_bool(bool);
        visit_i8(i8);
        visit_i16(i16);
        visit_i32(i32);
        visit_i64(i64);
        visit_i128(i128);
        visit_u8(u8);
        visit_u16(u16);
        visit_u32(u32);
        visit_u64(u64);
        visit_u128(u128);
        visit_char(char);
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<V::Value, E> {
        *self.out = Some(Step::Key(CompactString::from(v.as_str())));
        self.inner.visit_string(v)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<V::Value, E> {
        self.inner.visit_f64(v)
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<V::Value, E> {
        self.inner.visit_bytes(v)
    }

    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<V::Value, E> {
        self.inner.visit_borrowed_bytes(v)
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<V::Value, E> {
        self.inner.visit_byte_buf(v)
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_some(d)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_newtype_struct(d)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.inner.visit_seq(seq)
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.inner.visit_map(map)
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.inner.visit_enum(data)
    }
}

/// The wrapping deserializer.
struct De<'c, O: Opener, D> {
    reading: Shared<'c, O>,
    inner: D,
}

impl<'c, O: Opener, D> De<'c, O, D> {
    fn split<V>(self, visitor: V) -> (D, Wrap<'c, O, V>) {
        (
            self.inner,
            Wrap {
                reading: self.reading,
                inner: visitor,
            },
        )
    }
}

impl<'de, O: Opener, D: Deserializer<'de>> Deserializer<'de> for De<'_, O, D> {
    type Error = D::Error;

    forward_deserializer!();

    /// Always, as the sealing side writes the body (see `stream_ser`).
    fn is_human_readable(&self) -> bool {
        true
    }
}

/// The wrapping visitor: compound values are read through wrapping accessors.
struct Wrap<'c, O: Opener, V> {
    reading: Shared<'c, O>,
    inner: V,
}

macro_rules! forward_visit {
    ($($method:ident($ty:ty);)*) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
            self.inner.$method(v)
        }
    )*};
}

impl<'de, O: Opener, V: Visitor<'de>> Visitor<'de> for Wrap<'_, O, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    forward_visit! {
        visit_bool(bool);
        visit_i8(i8);
        visit_i16(i16);
        visit_i32(i32);
        visit_i64(i64);
        visit_i128(i128);
        visit_u8(u8);
        visit_u16(u16);
        visit_u32(u32);
        visit_u64(u64);
        visit_u128(u128);
        visit_f32(f32);
        visit_f64(f64);
        visit_char(char);
        visit_str(&str);
        visit_borrowed_str(&'de str);
        visit_string(String);
        visit_bytes(&[u8]);
        visit_borrowed_bytes(&'de [u8]);
        visit_byte_buf(Vec<u8>);
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_some(De {
            reading: self.reading,
            inner: d,
        })
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_newtype_struct(De {
            reading: self.reading,
            inner: d,
        })
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.inner.visit_seq(Seq {
            reading: self.reading,
            inner: seq,
            index: 0,
        })
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.inner.visit_map(Map {
            reading: self.reading,
            inner: map,
            key: None,
            seen: rustc_hash::FxHashSet::default(),
        })
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.inner.visit_enum(Enum {
            reading: self.reading,
            inner: data,
        })
    }
}

struct Seq<'c, O: Opener, A> {
    reading: Shared<'c, O>,
    inner: A,
    index: usize,
}

impl<'de, O: Opener, A: de::SeqAccess<'de>> de::SeqAccess<'de> for Seq<'_, O, A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        let index = self.index;
        self.index += 1;
        let reading = self.reading;
        under(reading, Step::Index(index), || {
            self.inner.next_element_seed(Slot { reading, seed })
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

struct Map<'c, O: Opener, A> {
    reading: Shared<'c, O>,
    inner: A,
    key: Option<Step>,
    /// The keys read so far: a key twice is refused (a tampered record).
    seen: rustc_hash::FxHashSet<CompactString>,
}

impl<'de, O: Opener, A: de::MapAccess<'de>> de::MapAccess<'de> for Map<'_, O, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let key = self.inner.next_key_seed(KeySeed {
            seed,
            out: &mut self.key,
        })?;
        if let Some(Step::Key(text)) = &self.key {
            if !self.seen.insert(text.clone()) {
                return Err(A::Error::custom(super::DUPLICATE_KEY));
            }
        }
        Ok(key)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        let step = self
            .key
            .take()
            .ok_or_else(|| A::Error::custom("a map value without its key"))?;
        let reading = self.reading;
        under(reading, step, || {
            self.inner.next_value_seed(Slot { reading, seed })
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

struct Enum<'c, O: Opener, A> {
    reading: Shared<'c, O>,
    inner: A,
}

impl<'c, 'de, O: Opener, A: de::EnumAccess<'de>> de::EnumAccess<'de> for Enum<'c, O, A> {
    type Error = A::Error;
    type Variant = Variant<'c, O, A::Variant>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self::Variant), A::Error> {
        let mut name = None;
        let (value, inner) = self.inner.variant_seed(KeySeed {
            seed,
            out: &mut name,
        })?;
        let step = name.ok_or_else(|| A::Error::custom("a variant without its name"))?;
        Ok((
            value,
            Variant {
                reading: self.reading,
                inner,
                step,
            },
        ))
    }
}

struct Variant<'c, O: Opener, A> {
    reading: Shared<'c, O>,
    inner: A,
    step: Step,
}

impl<'de, O: Opener, A: de::VariantAccess<'de>> de::VariantAccess<'de> for Variant<'_, O, A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.inner.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        let reading = self.reading;
        under(reading, self.step, || {
            self.inner.newtype_variant_seed(Slot { reading, seed })
        })
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        let reading = self.reading;
        let visitor = Wrap {
            reading,
            inner: visitor,
        };
        under(reading, self.step, || {
            self.inner.tuple_variant(len, visitor)
        })
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        let reading = self.reading;
        let visitor = Wrap {
            reading,
            inner: visitor,
        };
        under(reading, self.step, || {
            self.inner.struct_variant(fields, visitor)
        })
    }
}
