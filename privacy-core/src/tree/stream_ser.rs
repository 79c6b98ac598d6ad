//! [`serialize`]: a value written straight into any serde serializer through a [`Hook`], with
//! no tree in between.
//!
//! The hook sees exactly the values and paths it sees when [`to_tree`](super::ser::to_tree)
//! builds a tree (struct fields, sequence elements, map values, newtype, `Some` and variant
//! content, with the same JSON pointers), so a hook that seals into a tree seals the same way
//! here, and the output is what serializing that tree would write: the record is written in
//! its human-readable form whatever the format, as the tree holds it, and structs as maps
//! keyed by their serde names (a format that writes structs as arrays, such as MessagePack
//! by default, would otherwise lose the names the envelopes' pointers use). A struct variant
//! is buffered as a tree (through the same hook) and written as `{variant: {fields}}`: serde
//! gives no way to open a map inside a map entry and fill it field by field.

use core::cell::RefCell;

use serde::ser::{self, Error as _, Serialize, Serializer};

use super::ser::{self as tree_ser, key_tree, Hook, Path, Segment, Site};
use super::Tree;

/// The hook, the path to the value being written, and the first error the hook returned.
pub(crate) struct Stream<H: Hook> {
    pub hook: H,
    path: Path,
    error: Option<H::Error>,
}

/// Why streaming failed: the hook refused a value, or the serializer (or the value's own
/// `Serialize`) failed.
pub(crate) enum Failure<H, S> {
    Hook(H),
    Serializer(S),
}

/// The hook back, and what was written or why not.
pub(crate) type Outcome<H, S> = (
    H,
    Result<<S as Serializer>::Ok, Failure<<H as Hook>::Error, <S as Serializer>::Error>>,
);

/// Serializes `value` into `serializer`, asking `hook` at every value whether to write a tree
/// of its own instead. Returns the hook, so its findings can be read.
pub(crate) fn serialize<H: Hook, T: Serialize + ?Sized, S: Serializer>(
    hook: H,
    value: &T,
    serializer: S,
) -> Outcome<H, S> {
    let stream = RefCell::new(Stream {
        hook,
        path: Path::default(),
        error: None,
    });
    let out = intercept(&stream, None, value, serializer);
    let stream = stream.into_inner();
    let out = match (out, stream.error) {
        (_, Some(e)) => Err(Failure::Hook(e)),
        (Err(e), None) => Err(Failure::Serializer(e)),
        (Ok(ok), None) => Ok(ok),
    };
    (stream.hook, out)
}

type Shared<'c, H> = &'c RefCell<Stream<H>>;

/// Asks the hook about `value`, then writes its replacement or the value itself.
fn intercept<H: Hook, T: Serialize + ?Sized, S: Serializer>(
    stream: Shared<'_, H>,
    field: Option<(&'static str, &'static str)>,
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let replaced = {
        let mut guard = stream.borrow_mut();
        let s = &mut *guard;
        let site = Site {
            path: &s.path,
            field,
        };
        s.hook.value(&site, value)
    };
    match replaced {
        Ok(Some(tree)) => {
            let out = tree.serialize(serializer);
            stream.borrow_mut().hook.recycle(tree);
            out
        }
        Ok(None) => value.serialize(Ser {
            stream,
            inner: serializer,
        }),
        Err(e) => {
            stream.borrow_mut().error.get_or_insert(e);
            Err(S::Error::custom("a value was refused while sealing"))
        }
    }
}

/// `value` as the hook must see it: serializing it asks the hook first.
struct Value<'c, 'v, H: Hook, T: ?Sized> {
    stream: Shared<'c, H>,
    field: Option<(&'static str, &'static str)>,
    inner: &'v T,
}

impl<H: Hook, T: Serialize + ?Sized> Serialize for Value<'_, '_, H, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        intercept(self.stream, self.field, self.inner, serializer)
    }
}

fn under<H: Hook, R>(stream: Shared<'_, H>, segment: Segment, f: impl FnOnce() -> R) -> R {
    stream.borrow_mut().path.push(segment);
    let out = f();
    stream.borrow_mut().path.pop();
    out
}

/// The wrapping serializer: forwards to `inner`, wrapping every value it is handed.
struct Ser<'c, H: Hook, S> {
    stream: Shared<'c, H>,
    inner: S,
}

/// A compound of the inner serializer; `container` is the struct's serde name, `key` the
/// pending map key's pointer text.
struct Compound<'c, H: Hook, C> {
    stream: Shared<'c, H>,
    inner: C,
    container: &'static str,
    index: usize,
    key: Option<String>,
    /// Whether `end` leaves a variant segment.
    variant: bool,
}

impl<'c, H: Hook, C> Compound<'c, H, C> {
    fn new(stream: Shared<'c, H>, inner: C, container: &'static str, variant: bool) -> Self {
        Compound {
            stream,
            inner,
            container,
            index: 0,
            key: None,
            variant,
        }
    }

    fn value<'v, T: ?Sized>(
        &self,
        field: Option<(&'static str, &'static str)>,
        value: &'v T,
    ) -> Value<'c, 'v, H, T> {
        Value {
            stream: self.stream,
            field,
            inner: value,
        }
    }

    fn next_index(&mut self) -> Segment {
        self.index += 1;
        Segment::Index(self.index - 1)
    }

    fn close(&self) {
        if self.variant {
            self.stream.borrow_mut().path.pop();
        }
    }
}

macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method(self, $($arg: $ty),*) -> Result<S::Ok, S::Error> {
            self.inner.$method($($arg),*)
        }
    )*};
}

impl<'c, H: Hook, S: Serializer> Serializer for Ser<'c, H, S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Compound<'c, H, S::SerializeSeq>;
    type SerializeTuple = Compound<'c, H, S::SerializeTuple>;
    type SerializeTupleStruct = Compound<'c, H, S::SerializeTupleStruct>;
    type SerializeTupleVariant = Compound<'c, H, S::SerializeTupleVariant>;
    type SerializeMap = Compound<'c, H, S::SerializeMap>;
    type SerializeStruct = Compound<'c, H, S::SerializeMap>;
    type SerializeStructVariant = StructVariant<'c, H, S>;

    forward! {
        serialize_bool(v: bool);
        serialize_i8(v: i8);
        serialize_i16(v: i16);
        serialize_i32(v: i32);
        serialize_i64(v: i64);
        serialize_i128(v: i128);
        serialize_u8(v: u8);
        serialize_u16(v: u16);
        serialize_u32(v: u32);
        serialize_u64(v: u64);
        serialize_u128(v: u128);
        serialize_f32(v: f32);
        serialize_f64(v: f64);
        serialize_char(v: char);
        serialize_str(v: &str);
        serialize_bytes(v: &[u8]);
        serialize_none();
        serialize_unit();
        serialize_unit_struct(name: &'static str);
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str);
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        self.inner.serialize_some(&Value {
            stream: self.stream,
            field: None,
            inner: value,
        })
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        let value = Value {
            stream: self.stream,
            field: None,
            inner: value,
        };
        self.inner.serialize_newtype_struct(name, &value)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        let value = Value {
            stream: self.stream,
            field: None,
            inner: value,
        };
        under(self.stream, Segment::Key(variant), || {
            self.inner
                .serialize_newtype_variant(name, index, variant, &value)
        })
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        let inner = self.inner.serialize_seq(len)?;
        Ok(Compound::new(self.stream, inner, "", false))
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        let inner = self.inner.serialize_tuple(len)?;
        Ok(Compound::new(self.stream, inner, "", false))
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        let inner = self.inner.serialize_tuple_struct(name, len)?;
        Ok(Compound::new(self.stream, inner, "", false))
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        let inner = self
            .inner
            .serialize_tuple_variant(name, index, variant, len)?;
        self.stream.borrow_mut().path.push(Segment::Key(variant));
        Ok(Compound::new(self.stream, inner, "", true))
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        let inner = self.inner.serialize_map(len)?;
        Ok(Compound::new(self.stream, inner, "", false))
    }

    /// A map keyed by the field names, as the tree holds a struct (`len` is the number of
    /// fields serde writes: it leaves skipped ones out).
    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        let inner = self.inner.serialize_map(Some(len))?;
        Ok(Compound::new(self.stream, inner, name, false))
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        self.stream.borrow_mut().path.push(Segment::Key(variant));
        Ok(StructVariant {
            stream: self.stream,
            inner: self.inner,
            container: name,
            variant,
            fields: Vec::with_capacity(len.min(64)),
        })
    }

    /// Always: the body is written in its human-readable form (an `IpAddr` as text), as the
    /// tree is, so a record sealed streamed reads back through the tree in any format.
    fn is_human_readable(&self) -> bool {
        true
    }
}

/// The sequence-shaped compounds: each element is a value under its index.
macro_rules! sequence_compound {
    ($($trait:ident :: $method:ident),*) => {$(
        impl<H: Hook, C: ser::$trait> ser::$trait for Compound<'_, H, C> {
            type Ok = C::Ok;
            type Error = C::Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
                let segment = self.next_index();
                let value = self.value(None, value);
                under(self.stream, segment, || self.inner.$method(&value))
            }
            fn end(self) -> Result<C::Ok, C::Error> {
                self.close();
                self.inner.end()
            }
        }
    )*};
}

sequence_compound!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

/// A struct, written as a map: each field is a value under its key.
impl<H: Hook, C: ser::SerializeMap> ser::SerializeStruct for Compound<'_, H, C> {
    type Ok = C::Ok;
    type Error = C::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), C::Error> {
        let value = self.value(Some((self.container, key)), value);
        under(self.stream, Segment::Key(key), || {
            self.inner.serialize_entry(key, &value)
        })
    }

    fn end(self) -> Result<C::Ok, C::Error> {
        self.close();
        self.inner.end()
    }
}

/// A struct variant, buffered: its fields become trees through the hook (the same trees, at
/// the same paths, as [`to_tree`](super::ser::to_tree) builds), written as
/// `{variant: {fields}}` at the end.
pub(crate) struct StructVariant<'c, H: Hook, S> {
    stream: Shared<'c, H>,
    inner: S,
    container: &'static str,
    variant: &'static str,
    fields: Vec<(Tree, Tree)>,
}

impl<H: Hook, S: Serializer> ser::SerializeStructVariant for StructVariant<'_, H, S> {
    type Ok = S::Ok;
    type Error = S::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), S::Error> {
        let mut guard = self.stream.borrow_mut();
        let stream = &mut *guard;
        let built = tree_ser::field_tree(
            &mut stream.hook,
            &mut stream.path,
            (self.container, key),
            value,
        );
        match built {
            Ok(tree) => {
                self.fields.push((Tree::Key(key), tree));
                Ok(())
            }
            Err(tree_ser::Error::Hook(e)) => {
                stream.error.get_or_insert(e);
                Err(S::Error::custom("a value was refused while sealing"))
            }
            Err(e) => Err(S::Error::custom(e)),
        }
    }

    fn end(self) -> Result<S::Ok, S::Error> {
        self.stream.borrow_mut().path.pop();
        let mut tree = Tree::Map(vec![(Tree::Key(self.variant), Tree::Map(self.fields))]);
        let out = tree.serialize(self.inner);
        // Its personal values that are not encrypted, copied: wiped like the tree's.
        zeroize::Zeroize::zeroize(&mut tree);
        out
    }
}

impl<H: Hook, C: ser::SerializeMap> ser::SerializeMap for Compound<'_, H, C> {
    type Ok = C::Ok;
    type Error = C::Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), C::Error> {
        // The key as the tree holds it (human-readable), written from there.
        let (tree, text) = key_tree::<T, H::Error>(key)
            .map_err(|_| C::Error::custom("a map key that is not a string or number"))?;
        self.key = Some(text);
        self.inner.serialize_key(&tree)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        let text = self
            .key
            .take()
            .ok_or_else(|| C::Error::custom("a map value without its key"))?;
        let value = self.value(None, value);
        under(self.stream, Segment::Owned(text), || {
            self.inner.serialize_value(&value)
        })
    }

    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}
