//! [`Registration`]: the link-time list of every `#[derive(PersonalData)]` type.
//!
//! The derive submits one `Registration` per non-generic type with the [`inventory`] crate;
//! [`registered`] lists them all, whichever crate of the program defines them, so the
//! [`DataMap`](super::DataMap) can name every type that no store holds.
//!
//! Generic types (`struct Envelope<T>`, a type with a lifetime) cannot be registered: a
//! registration names one concrete type, and the derive cannot know which instantiations
//! the program uses. Add each instantiation that is stored to the map explicitly
//! ([`DataMapBuilder::store`](super::DataMapBuilder::store)); the completeness check does
//! not see them.

use core::any::TypeId;
use core::fmt;

use crate::schema::RecordSchema;
use crate::PersonalData;

/// One `#[derive(PersonalData)]` type, registered at link time by the derive.
///
/// Not built by hand: the derive writes
/// `inventory::submit! { Registration::new::<Type>("crate::module::Type") }` inside its
/// generated block.
pub struct Registration {
    schema: fn() -> &'static RecordSchema,
    type_id: fn() -> TypeId,
    path: &'static str,
}

impl Registration {
    /// The registration of `T`, known in code as `path` (`module_path!()` and the type name).
    #[doc(hidden)]
    pub const fn new<T: PersonalData + 'static>(path: &'static str) -> Registration {
        Registration {
            schema: T::schema,
            type_id: TypeId::of::<T>,
            path,
        }
    }

    /// The type's schema.
    pub fn schema(&self) -> &'static RecordSchema {
        (self.schema)()
    }

    /// The type's [`TypeId`].
    pub fn type_id(&self) -> TypeId {
        (self.type_id)()
    }

    /// The type's path in code, e.g. `my_service::accounts::Account`.
    pub fn path(&self) -> &'static str {
        self.path
    }
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("path", &self.path)
            .field("record", &self.schema().name)
            .finish_non_exhaustive()
    }
}

inventory::collect!(Registration);

/// Every registered `PersonalData` type linked into the program, in no particular order.
///
/// ```
/// use privacy_core::{requests::registered, PersonalData};
///
/// #[derive(PersonalData)]
/// struct Newsletter {
///     #[personal(subject_id)]
///     id: u64,
///     #[personal(category = "contact.email")]
///     email: String,
/// }
///
/// assert!(registered().any(|r| r.path().ends_with("::Newsletter")));
/// ```
pub fn registered() -> impl Iterator<Item = &'static Registration> {
    inventory::iter::<Registration>.into_iter()
}
