//! The redacted serde view of a record: [`Redacted`], returned by
//! [`PersonalData::redacted`](crate::PersonalData::redacted).

use core::fmt;

use serde::{Serialize, Serializer};

use crate::field_set::{FieldSet, Wanted};
use crate::schema::{FieldKind, FieldMeta};
use crate::tree::ser::{self, Hook, Site};
use crate::tree::Tree;
use crate::PersonalData;

/// A record seen through [`PersonalData::redacted`](crate::PersonalData::redacted): serializes
/// like the record, with every personal value replaced by its category tag.
///
/// For structured logs and API error bodies. Personal and subject-id fields become their tag
/// (`"<contact.email>"`), `collected_at` fields become `"<collected_at>"`, nested records are
/// redacted the same way (through `Option`, `Vec`, `Box` and map values, and inside enum
/// variants), and `not_personal` fields are kept. It implements `Serialize` only: redacted
/// output can never be deserialized back into the record by mistake. `Display` writes the
/// compact JSON.
///
/// # Errors
/// When the record cannot be redacted (its own `Serialize` fails, or writes a personal value
/// where serde does not hand the field over), nothing is written: serializing returns the
/// error, and `Display` returns [`fmt::Error`], so `to_string()` and `format!` panic as they
/// do for any failing `Display`. Where a record's `Serialize` can fail (an internally tagged
/// enum with a newtype variant holding a string, say), write
/// `serde_json::to_string(&record.redacted())` to get the error as a value.
///
/// # How it works
/// The record is serialized with its own `Serialize` into a tree, so its serde attributes
/// (`rename`, `rename_all`, `flatten`, `skip_serializing_if`, enum tags) shape the output as
/// they always do. serde hands every field value over by reference; the typed model says at
/// which address each personal value lives, and the value found there is written as its tag
/// instead (a `serialize_with` field is recognised by its struct and key). Nothing is written
/// until every personal value was found: if one was not (a custom `Serialize` that writes it
/// some other way), serializing fails and nothing is output - it fails closed.
pub struct Redacted<'a, T: ?Sized>(pub(crate) &'a T);

impl<T: PersonalData + Serialize> Serialize for Redacted<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut hook = RedactHook(FieldSet::collect(self.0, |_| true, |_| false));
        // The error message of the record's own `Serialize` could quote a value: replace it.
        let tree = ser::to_tree(&mut hook, self.0).map_err(|_| {
            serde::ser::Error::custom("the record could not be serialized for redaction")
        })?;
        if let Some(missed) = hook.0.missed(|_| true) {
            return Err(serde::ser::Error::custom(format_args!(
                "redaction cannot see where the record's Serialize writes field `{}`",
                missed.meta.name
            )));
        }
        tree.serialize(serializer)
    }
}

impl<T: PersonalData + Serialize> fmt::Display for Redacted<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let json = serde_json::to_string(self).map_err(|_| fmt::Error)?;
        f.write_str(&json)
    }
}

impl<T: ?Sized> fmt::Debug for Redacted<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Redacted(..)")
    }
}

impl<T: ?Sized> Clone for Redacted<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for Redacted<'_, T> {}

/// The tag a field's value is written as.
fn tag(meta: &FieldMeta) -> Tree {
    Tree::Str(compact_str::CompactString::from(
        match (meta.kind, meta.category) {
            (FieldKind::CollectedAt, _) => "<collected_at>".to_owned(),
            (_, Some(category)) => format!("<{}>", category.name()),
            (_, None) => "<redacted>".to_owned(),
        },
    ))
}

struct RedactHook(FieldSet);

impl Hook for RedactHook {
    type Error = core::convert::Infallible;

    fn value<T: Serialize + ?Sized>(
        &mut self,
        site: &Site<'_>,
        value: &T,
    ) -> Result<Option<Tree>, Self::Error> {
        // A `serialize_with` field hands serde a wrapper, not its value: it is recognised by
        // its struct and key instead.
        let by_key = |w: &Wanted| {
            w.meta.serde.opaque
                && site.field.is_some_and(|(container, key)| {
                    // An enum's fields reach serde under names that depend on its
                    // representation: the schema leaves their container empty, and the key
                    // alone decides.
                    (w.meta.serde.container.is_empty() || w.meta.serde.container == container)
                        && w.meta.serde.key == key
                })
        };
        Ok(self.0.take(value, by_key).map(|w| tag(w.meta)))
    }
}
