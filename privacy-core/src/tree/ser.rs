//! [`TreeSerializer`]: serializes a value into a [`Tree`], telling a [`Hook`] of every value
//! serde hands over, so the hook can replace it (an envelope, a category tag).

use core::fmt;

use serde::ser::{self, Serialize};

use super::{pointer, Tree};

/// Decides, at each value serde hands over, whether to replace it.
pub(crate) trait Hook {
    /// The hook's own error (a crypto error, say).
    type Error: fmt::Debug + fmt::Display;

    /// Whether the tree is wanted: a hook that only watches the values go by (to locate
    /// them) sets it to `false`, and strings are not copied nor nodes kept.
    const BUILD: bool = true;

    /// Called with every struct field, sequence element, map value, newtype content, `Some`
    /// content and the root. `Ok(Some(tree))` writes `tree` in its place (the value itself is
    /// never serialized); `Ok(None)` serializes it as usual.
    fn value<T: Serialize + ?Sized>(
        &mut self,
        site: &Site<'_>,
        value: &T,
    ) -> Result<Option<Tree>, Self::Error>;

    /// Hands back a replacement tree once a streaming serializer has written it, so the hook
    /// can reuse its buffers (the tree builder keeps its trees).
    fn recycle(&mut self, tree: Tree) {
        drop(tree);
    }
}

/// A hook lent for one pass: the caller keeps it (and what it noted) without moving it in
/// and out of the serializer.
impl<H: Hook> Hook for &mut H {
    type Error = H::Error;
    const BUILD: bool = H::BUILD;

    fn value<T: Serialize + ?Sized>(
        &mut self,
        site: &Site<'_>,
        value: &T,
    ) -> Result<Option<Tree>, Self::Error> {
        (**self).value(site, value)
    }

    fn recycle(&mut self, tree: Tree) {
        (**self).recycle(tree);
    }
}

/// The hook that replaces nothing: a plain serde tree.
pub(crate) struct Plain;

impl Hook for Plain {
    type Error = core::convert::Infallible;

    fn value<T: Serialize + ?Sized>(
        &mut self,
        _site: &Site<'_>,
        _value: &T,
    ) -> Result<Option<Tree>, Self::Error> {
        Ok(None)
    }
}

/// Where a value sits: its path from the root and, for a struct field, the struct's serde
/// name and the field's key.
pub(crate) struct Site<'p> {
    pub path: &'p Path,
    pub field: Option<(&'static str, &'static str)>,
}

/// The path from the root to the value being serialized.
#[derive(Default)]
pub(crate) struct Path {
    segments: Vec<Segment>,
}

pub(crate) enum Segment {
    Key(&'static str),
    Owned(String),
    Index(usize),
}

impl Path {
    pub(crate) fn push(&mut self, segment: Segment) {
        self.segments.push(segment);
    }

    pub(crate) fn pop(&mut self) {
        self.segments.pop();
    }

    /// Appends the path as a JSON pointer to `out`.
    pub(crate) fn write_pointer(&self, out: &mut String) {
        for segment in &self.segments {
            match segment {
                Segment::Key(k) => pointer::push(out, k),
                Segment::Owned(k) => pointer::push(out, k),
                Segment::Index(i) => pointer::push_index(out, *i),
            }
        }
    }
}

/// Why serializing into a tree failed.
#[derive(Debug)]
pub(crate) enum Error<E> {
    /// The hook refused a value.
    Hook(E),
    /// The value's own `Serialize` failed. Its message is dropped: it could quote a value.
    Serialize,
    /// A map key that is not a string, integer or boolean, at a place the hook must name.
    Key,
}

impl<E: fmt::Display> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Hook(e) => e.fmt(f),
            Error::Serialize => f.write_str("the record's Serialize implementation failed"),
            Error::Key => f.write_str("a map key that is not a string or number"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for Error<E> {}

impl<E: fmt::Debug + fmt::Display> ser::Error for Error<E> {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        Error::Serialize
    }
}

/// Serializes `value` (the root) into a tree through `hook`.
pub(crate) fn to_tree<H: Hook, T: Serialize + ?Sized>(
    hook: &mut H,
    value: &T,
) -> Result<Tree, Error<H::Error>> {
    let mut path = Path::default();
    let site = Site {
        path: &path,
        field: None,
    };
    if let Some(tree) = hook.value(&site, value).map_err(Error::Hook)? {
        return Ok(tree);
    }
    value.serialize(TreeSerializer {
        hook,
        path: &mut path,
    })
}

/// A map key as a tree and as the text a JSON pointer names it by. Keys are plain values
/// (never personal fields); always built, to name the path.
pub(crate) fn key_tree<T: Serialize + ?Sized, E>(key: &T) -> Result<(Tree, String), Error<E>> {
    let tree = key
        .serialize(TreeSerializer {
            hook: &mut Plain,
            path: &mut Path::default(),
        })
        .map_err(|_| Error::Serialize)?;
    let text = tree.key_text().ok_or(Error::Key)?;
    Ok((tree, text))
}

/// The tree of one struct field's `value` under `path`, through `hook`, as
/// [`to_tree`] builds it (the streaming serializer buffers struct variants with it).
pub(crate) fn field_tree<H: Hook, T: Serialize + ?Sized>(
    hook: &mut H,
    path: &mut Path,
    (container, key): (&'static str, &'static str),
    value: &T,
) -> Result<Tree, Error<H::Error>> {
    TreeSerializer { hook, path }.child(Segment::Key(key), Some((container, key)), value)
}

/// The serializer; see the module docs.
pub(crate) struct TreeSerializer<'a, H> {
    hook: &'a mut H,
    path: &'a mut Path,
}

impl<'a, H: Hook> TreeSerializer<'a, H> {
    /// Serializes a value found under `segment`: asks the hook first.
    fn child<T: Serialize + ?Sized>(
        &mut self,
        segment: Segment,
        field: Option<(&'static str, &'static str)>,
        value: &T,
    ) -> Result<Tree, Error<H::Error>> {
        self.path.segments.push(segment);
        let out = self.child_here(field, value);
        self.path.segments.pop();
        out
    }

    /// Serializes a value at the current path (newtype and `Some` content): asks the hook first.
    fn child_here<T: Serialize + ?Sized>(
        &mut self,
        field: Option<(&'static str, &'static str)>,
        value: &T,
    ) -> Result<Tree, Error<H::Error>> {
        let site = Site {
            path: self.path,
            field,
        };
        if let Some(tree) = self.hook.value(&site, value).map_err(Error::Hook)? {
            return Ok(tree);
        }
        value.serialize(TreeSerializer {
            hook: &mut *self.hook,
            path: &mut *self.path,
        })
    }

    fn compound(self, kind: Kind, len: Option<usize>) -> Compound<'a, H> {
        let len = len.unwrap_or(0).min(4096);
        Compound {
            ser: self,
            kind,
            items: Vec::with_capacity(if kind.is_seq() && H::BUILD { len } else { 0 }),
            entries: Vec::with_capacity(if kind.is_seq() || !H::BUILD { 0 } else { len }),
            key: None,
            index: 0,
        }
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Seq,
    Map,
    Struct(&'static str),
    TupleVariant(&'static str),
    StructVariant(&'static str, &'static str),
}

impl Kind {
    fn is_seq(self) -> bool {
        matches!(self, Kind::Seq | Kind::TupleVariant(_))
    }
}

/// A sequence, map, struct or variant under construction.
pub(crate) struct Compound<'a, H> {
    ser: TreeSerializer<'a, H>,
    kind: Kind,
    items: Vec<Tree>,
    entries: Vec<(Tree, Tree)>,
    key: Option<(Tree, String)>,
    /// The index of the next sequence element.
    index: usize,
}

impl<H: Hook> Compound<'_, H> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error<H::Error>> {
        let index = self.index;
        self.index += 1;
        let tree = self.ser.child(Segment::Index(index), None, value)?;
        if H::BUILD {
            self.items.push(tree);
        }
        Ok(())
    }

    fn field<T: Serialize + ?Sized>(
        &mut self,
        container: &'static str,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error<H::Error>> {
        let tree = self
            .ser
            .child(Segment::Key(key), Some((container, key)), value)?;
        if H::BUILD {
            self.entries.push((Tree::Key(key), tree));
        }
        Ok(())
    }

    fn finish(self) -> Tree {
        let body = if self.kind.is_seq() {
            Tree::Seq(self.items)
        } else {
            Tree::Map(self.entries)
        };
        match self.kind {
            Kind::TupleVariant(variant) | Kind::StructVariant(_, variant) => {
                Tree::Map(vec![(Tree::Key(variant), body)])
            }
            _ => body,
        }
    }
}

impl<'a, H: Hook> ser::Serializer for TreeSerializer<'a, H> {
    type Ok = Tree;
    type Error = Error<H::Error>;
    type SerializeSeq = Compound<'a, H>;
    type SerializeTuple = Compound<'a, H>;
    type SerializeTupleStruct = Compound<'a, H>;
    type SerializeTupleVariant = Compound<'a, H>;
    type SerializeMap = Compound<'a, H>;
    type SerializeStruct = Compound<'a, H>;
    type SerializeStructVariant = Compound<'a, H>;

    fn serialize_bool(self, v: bool) -> Result<Tree, Self::Error> {
        Ok(Tree::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Tree, Self::Error> {
        Ok(Tree::I64(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<Tree, Self::Error> {
        Ok(Tree::I64(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<Tree, Self::Error> {
        Ok(Tree::I64(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<Tree, Self::Error> {
        Ok(Tree::I64(v))
    }
    fn serialize_i128(self, v: i128) -> Result<Tree, Self::Error> {
        Ok(Tree::I128(v))
    }
    fn serialize_u8(self, v: u8) -> Result<Tree, Self::Error> {
        Ok(Tree::U64(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Tree, Self::Error> {
        Ok(Tree::U64(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Tree, Self::Error> {
        Ok(Tree::U64(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<Tree, Self::Error> {
        Ok(Tree::U64(v))
    }
    fn serialize_u128(self, v: u128) -> Result<Tree, Self::Error> {
        Ok(Tree::U128(v))
    }
    fn serialize_f32(self, v: f32) -> Result<Tree, Self::Error> {
        Ok(Tree::F64(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result<Tree, Self::Error> {
        Ok(Tree::F64(v))
    }
    fn serialize_char(self, v: char) -> Result<Tree, Self::Error> {
        Ok(Tree::Str(compact_str::ToCompactString::to_compact_string(
            &v,
        )))
    }
    fn serialize_str(self, v: &str) -> Result<Tree, Self::Error> {
        if !H::BUILD {
            return Ok(Tree::Unit);
        }
        Ok(Tree::Str(compact_str::CompactString::from(v)))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Tree, Self::Error> {
        Ok(Tree::Bytes(v.to_vec()))
    }
    fn serialize_none(self) -> Result<Tree, Self::Error> {
        Ok(Tree::Unit)
    }
    fn serialize_some<T: Serialize + ?Sized>(mut self, value: &T) -> Result<Tree, Self::Error> {
        self.child_here(None, value)
    }
    fn serialize_unit(self) -> Result<Tree, Self::Error> {
        Ok(Tree::Unit)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Tree, Self::Error> {
        Ok(Tree::Unit)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Tree, Self::Error> {
        Ok(Tree::Key(variant))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        mut self,
        _name: &'static str,
        value: &T,
    ) -> Result<Tree, Self::Error> {
        self.child_here(None, value)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        mut self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Tree, Self::Error> {
        let content = self.child(Segment::Key(variant), None, value)?;
        Ok(Tree::Map(vec![(Tree::Key(variant), content)]))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'a, H>, Self::Error> {
        Ok(self.compound(Kind::Seq, len))
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, H>, Self::Error> {
        Ok(self.compound(Kind::Seq, Some(len)))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'a, H>, Self::Error> {
        Ok(self.compound(Kind::Seq, Some(len)))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a, H>, Self::Error> {
        self.path.segments.push(Segment::Key(variant));
        Ok(self.compound(Kind::TupleVariant(variant), Some(len)))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'a, H>, Self::Error> {
        Ok(self.compound(Kind::Map, len))
    }
    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Compound<'a, H>, Self::Error> {
        Ok(self.compound(Kind::Struct(name), Some(len)))
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a, H>, Self::Error> {
        self.path.segments.push(Segment::Key(variant));
        Ok(self.compound(Kind::StructVariant(name, variant), Some(len)))
    }
}

/// The three sequence-shaped compounds: each element is a value under its index.
macro_rules! sequence_compound {
    ($($trait:ident :: $method:ident),*) => {$(
        impl<H: Hook> ser::$trait for Compound<'_, H> {
            type Ok = Tree;
            type Error = Error<H::Error>;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
                self.element(value)
            }
            fn end(self) -> Result<Tree, Self::Error> {
                Ok(self.finish())
            }
        }
    )*};
}

sequence_compound!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field
);

impl<H: Hook> ser::SerializeTupleVariant for Compound<'_, H> {
    type Ok = Tree;
    type Error = Error<H::Error>;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        self.element(value)
    }
    fn end(self) -> Result<Tree, Self::Error> {
        self.ser.path.segments.pop();
        Ok(self.finish())
    }
}

impl<H: Hook> ser::SerializeMap for Compound<'_, H> {
    type Ok = Tree;
    type Error = Error<H::Error>;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Self::Error> {
        self.key = Some(key_tree(key)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        let (key, text) = self.key.take().ok_or(Error::Serialize)?;
        let tree = self.ser.child(Segment::Owned(text), None, value)?;
        if H::BUILD {
            self.entries.push((key, tree));
        }
        Ok(())
    }
    fn end(self) -> Result<Tree, Self::Error> {
        Ok(self.finish())
    }
}

impl<H: Hook> ser::SerializeStruct for Compound<'_, H> {
    type Ok = Tree;
    type Error = Error<H::Error>;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Self::Error> {
        let container = match self.kind {
            Kind::Struct(name) | Kind::StructVariant(name, _) => name,
            _ => "",
        };
        self.field(container, key, value)
    }
    fn end(self) -> Result<Tree, Self::Error> {
        Ok(self.finish())
    }
}

impl<H: Hook> ser::SerializeStructVariant for Compound<'_, H> {
    type Ok = Tree;
    type Error = Error<H::Error>;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Self::Error> {
        let container = match self.kind {
            Kind::Struct(name) | Kind::StructVariant(name, _) => name,
            _ => "",
        };
        self.field(container, key, value)
    }
    fn end(self) -> Result<Tree, Self::Error> {
        self.ser.path.segments.pop();
        Ok(self.finish())
    }
}
