//! [`Pii<T>`]: a wrapper for personal values that live outside derived structs.

use core::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroize;

/// A personal value outside a `#[derive(PersonalData)]` struct: a function argument, a
/// request field, a local variable.
///
/// - `Debug` and `Display` print `<redacted>`, so `{:?}`, `{}` and `tracing` fields never
///   show the value;
/// - the value is zeroized on drop (`String` and `Vec<u8>` wipe their whole buffer, spare
///   capacity included; any [`Zeroize`] type works);
/// - it implements `Deserialize`, so it can be read from a request, but **not** `Serialize`:
///   writing the value out is an explicit opt-in, through
///   [`expose_serialize`](Pii::expose_serialize) or `#[serde(serialize_with =
///   "privacy_core::pii::serialize_exposed")]`;
/// - [`expose`](Pii::expose) gives deliberate, greppable access.
///
/// ```
/// use privacy_core::pii::Pii;
///
/// let email = Pii::new(String::from("jane@example.com"));
/// assert_eq!(format!("{email:?} {email}"), "<redacted> <redacted>");
/// assert_eq!(email.expose(), "jane@example.com");
/// assert_eq!(serde_json::to_string(&email.expose_serialize())?, "\"jane@example.com\"");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Pii<T: Zeroize>(T);

impl<T: Zeroize> Pii<T> {
    /// Wraps a value.
    pub const fn new(value: T) -> Pii<T> {
        Pii(value)
    }

    /// The value, for deliberate use.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// The value, mutably, for deliberate use.
    pub fn expose_mut(&mut self) -> &mut T {
        &mut self.0
    }

    /// A view that serializes the value itself: the explicit opt-in to write it out.
    pub fn expose_serialize(&self) -> Exposed<'_, T> {
        Exposed(&self.0)
    }

    /// Unwraps the value; the wrapper's copy (now `T::default()`) is zeroized as it drops.
    pub fn into_inner(mut self) -> T
    where
        T: Default,
    {
        core::mem::take(&mut self.0)
    }
}

impl<T: Zeroize> Drop for Pii<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<T: Zeroize> From<T> for Pii<T> {
    fn from(value: T) -> Pii<T> {
        Pii(value)
    }
}

impl<T: Zeroize> fmt::Debug for Pii<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T: Zeroize> fmt::Display for Pii<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<'de, T: Zeroize + Deserialize<'de>> Deserialize<'de> for Pii<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Pii)
    }
}

/// The value of a [`Pii`], serializable: returned by [`Pii::expose_serialize`].
#[derive(Clone, Copy)]
pub struct Exposed<'a, T>(&'a T);

impl<T: Serialize> Serialize for Exposed<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<T> fmt::Debug for Exposed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Serializes a [`Pii`] field's value: `#[serde(serialize_with =
/// "privacy_core::pii::serialize_exposed")]`, the explicit opt-in for a struct that derives
/// `Serialize`.
///
/// ```
/// use privacy_core::pii::Pii;
///
/// #[derive(serde::Serialize)]
/// struct Reply {
///     #[serde(serialize_with = "privacy_core::pii::serialize_exposed")]
///     email: Pii<String>,
/// }
/// let reply = Reply { email: Pii::new("jane@example.com".into()) };
/// assert_eq!(serde_json::to_string(&reply)?, r#"{"email":"jane@example.com"}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn serialize_exposed<T, S>(pii: &Pii<T>, serializer: S) -> Result<S::Ok, S::Error>
where
    T: Zeroize + Serialize,
    S: Serializer,
{
    pii.0.serialize(serializer)
}
