//! [`TreeDeserializer`]: deserializes a value from a borrowed [`Tree`], with some nodes
//! replaced (the opened envelopes) without copying the tree.
//!
//! It never lends the tree's strings to the value (`visit_str`, not `visit_borrowed_str`),
//! so it is a deserializer for any `'de`: an opened plaintext, short-lived, can be read where
//! the outer input's lifetime is expected.

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;

use super::Tree;

/// Nodes to read in place of others, by the address of the node they replace.
pub(crate) type Overlay<'t> = [(*const Tree, Tree)];

/// A deserializer over one node of a tree.
pub(crate) struct TreeDeserializer<'t, 'o> {
    node: &'t Tree,
    overlay: &'o Overlay<'o>,
}

impl<'t, 'o> TreeDeserializer<'t, 'o>
where
    'o: 't,
{
    /// Reads `node`, taking each node listed in `overlay` from there instead.
    pub(crate) fn new(node: &'t Tree, overlay: &'o Overlay<'o>) -> Self {
        let node = overlay
            .iter()
            .find(|(at, _)| core::ptr::eq(*at, node))
            .map_or(node, |(_, with)| with);
        TreeDeserializer { node, overlay }
    }

    fn at(&self, node: &'t Tree) -> Self {
        TreeDeserializer::new(node, self.overlay)
    }
}

/// Why a value could not be read from the tree. Messages name types, never values.
#[derive(Debug)]
pub(crate) struct Error(String);

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: core::fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }

    // The default messages quote the unexpected value; name its kind only.
    fn invalid_value(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        Error(format!("invalid value: {}, expected {exp}", kind(&unexp)))
    }

    fn invalid_type(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        Error(format!("invalid type: {}, expected {exp}", kind(&unexp)))
    }
}

fn kind(unexp: &de::Unexpected<'_>) -> &'static str {
    match unexp {
        de::Unexpected::Bool(_) => "a boolean",
        de::Unexpected::Unsigned(_) | de::Unexpected::Signed(_) => "an integer",
        de::Unexpected::Float(_) => "a float",
        de::Unexpected::Char(_) | de::Unexpected::Str(_) => "a string",
        de::Unexpected::Bytes(_) => "bytes",
        de::Unexpected::Unit | de::Unexpected::Option => "null",
        de::Unexpected::Seq => "a sequence",
        de::Unexpected::Map => "a map",
        _ => "another kind of value",
    }
}

impl<'de, 't, 'o: 't> de::Deserializer<'de> for TreeDeserializer<'t, 'o> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node {
            Tree::Unit => visitor.visit_unit(),
            Tree::Bool(v) => visitor.visit_bool(*v),
            Tree::I64(v) => visitor.visit_i64(*v),
            Tree::U64(v) => visitor.visit_u64(*v),
            Tree::I128(v) => visitor.visit_i128(*v),
            Tree::U128(v) => visitor.visit_u128(*v),
            Tree::F64(v) => visitor.visit_f64(*v),
            Tree::Str(v) => visitor.visit_str(v),
            Tree::Key(v) => visitor.visit_str(v),
            Tree::Bytes(v) => visitor.visit_bytes(v),
            Tree::Seq(items) => visitor.visit_seq(Seq {
                items: items.iter(),
                overlay: self.overlay,
            }),
            Tree::Map(entries) => visitor.visit_map(Map {
                entries: entries.iter(),
                value: None,
                overlay: self.overlay,
            }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node {
            Tree::Unit => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.node {
            Tree::Str(_) | Tree::Key(_) => visitor.visit_enum(Enum {
                variant: self,
                content: None,
            }),
            Tree::Map(entries) if entries.len() == 1 => {
                let (key, value) = &entries[0];
                visitor.visit_enum(Enum {
                    variant: self.at(key),
                    content: Some(self.at(value)),
                })
            }
            _ => Err(de::Error::custom(
                "expected an enum variant (a string or a one-entry map)",
            )),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

struct Seq<'t, 'o> {
    items: core::slice::Iter<'t, Tree>,
    overlay: &'o Overlay<'o>,
}

impl<'de, 't, 'o: 't> de::SeqAccess<'de> for Seq<'t, 'o> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.items
            .next()
            .map(|item| seed.deserialize(TreeDeserializer::new(item, self.overlay)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Map<'t, 'o> {
    entries: core::slice::Iter<'t, (Tree, Tree)>,
    value: Option<&'t Tree>,
    overlay: &'o Overlay<'o>,
}

impl<'de, 't, 'o: 't> de::MapAccess<'de> for Map<'t, 'o> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.entries.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(TreeDeserializer::new(key, self.overlay))
                    .map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let value = self
            .value
            .take()
            .ok_or_else(|| <Error as de::Error>::custom("a map value without its key"))?;
        seed.deserialize(TreeDeserializer::new(value, self.overlay))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

struct Enum<'t, 'o> {
    variant: TreeDeserializer<'t, 'o>,
    content: Option<TreeDeserializer<'t, 'o>>,
}

impl<'de, 't, 'o: 't> de::EnumAccess<'de> for Enum<'t, 'o> {
    type Error = Error;
    type Variant = Variant<'t, 'o>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Variant<'t, 'o>), Error> {
        let value = seed.deserialize(self.variant)?;
        Ok((
            value,
            Variant {
                content: self.content,
            },
        ))
    }
}

struct Variant<'t, 'o> {
    content: Option<TreeDeserializer<'t, 'o>>,
}

impl<'de, 't, 'o: 't> de::VariantAccess<'de> for Variant<'t, 'o> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        match self.content {
            None => Ok(()),
            Some(content) => de::Deserialize::deserialize(content),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        match self.content {
            Some(content) => seed.deserialize(content),
            None => seed.deserialize(().into_deserializer()),
        }
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        match self.content {
            Some(content) => de::Deserializer::deserialize_any(content, visitor),
            None => Err(de::Error::custom("expected a tuple variant's content")),
        }
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.content {
            Some(content) => de::Deserializer::deserialize_any(content, visitor),
            None => Err(de::Error::custom("expected a struct variant's content")),
        }
    }
}
