//! [`SubjectId`] and [`CollectedAt`]: the types that `subject_id` and `collected_at` fields accept.

use std::borrow::Cow;
use std::time::SystemTime;

/// A type that identifies a data subject: the type of a `#[personal(subject_id)]` field.
///
/// Implemented for integers, strings and `Option`s of them; implement it for id newtypes.
pub trait SubjectId {
    /// The id as text, or `None` if the value holds no id (an empty string, `None`).
    fn to_subject_id(&self) -> Option<String>;
}

macro_rules! display_ids {
    ($($ty:ty),*) => {$(
        impl SubjectId for $ty {
            fn to_subject_id(&self) -> Option<String> {
                Some(self.to_string())
            }
        }
    )*};
}

display_ids!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);

impl SubjectId for str {
    fn to_subject_id(&self) -> Option<String> {
        (!self.is_empty()).then(|| self.to_owned())
    }
}

impl SubjectId for String {
    fn to_subject_id(&self) -> Option<String> {
        self.as_str().to_subject_id()
    }
}

impl SubjectId for Cow<'_, str> {
    fn to_subject_id(&self) -> Option<String> {
        (**self).to_subject_id()
    }
}

impl<T: SubjectId + ?Sized> SubjectId for &T {
    fn to_subject_id(&self) -> Option<String> {
        (**self).to_subject_id()
    }
}

impl<T: SubjectId> SubjectId for Option<T> {
    fn to_subject_id(&self) -> Option<String> {
        self.as_ref().and_then(SubjectId::to_subject_id)
    }
}

/// A type that records when data was collected: the type of a `#[personal(collected_at)]` field.
///
/// Implemented for `SystemTime` and `Option<SystemTime>`; implement it for your timestamp type
/// (a `chrono::DateTime`, Unix seconds in a newtype, ...).
pub trait CollectedAt {
    /// The collection time, or `None` when unknown (the record then never expires by period).
    fn to_system_time(&self) -> Option<SystemTime>;
}

impl CollectedAt for SystemTime {
    fn to_system_time(&self) -> Option<SystemTime> {
        Some(*self)
    }
}

impl<T: CollectedAt> CollectedAt for Option<T> {
    fn to_system_time(&self) -> Option<SystemTime> {
        self.as_ref().and_then(CollectedAt::to_system_time)
    }
}

/// A type that can identify a data subject (`#[personal(subject_id)]`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot serve as a subject id",
    label = "`#[personal(subject_id)]` needs an integer, a string, or an Option of one",
    note = "implement `privacy_core::SubjectId` for the type"
)]
pub trait SubjectIdValue {
    /// The subject id as text.
    fn subject_id(&self) -> Option<String>;
}

impl<T: SubjectId + ?Sized> SubjectIdValue for T {
    fn subject_id(&self) -> Option<String> {
        SubjectId::to_subject_id(self)
    }
}

/// A type that can say when a record was collected (`#[personal(collected_at)]`).
///
/// The diagnostic lists the types the enabled features of privacy-core accept.
#[cfg_attr(
    not(any(feature = "chrono", feature = "time")),
    diagnostic::on_unimplemented(
        message = "`{Self}` cannot serve as a collection time",
        label = "`#[personal(collected_at)]` needs a `SystemTime`, an `Option<SystemTime>` or a type implementing `privacy_core::CollectedAt`",
        note = "with privacy-core's feature `chrono`, `chrono::DateTime`, `NaiveDateTime` and `NaiveDate` are accepted too; with `time`, `OffsetDateTime`, `PrimitiveDateTime` and `Date`"
    )
)]
#[cfg_attr(
    all(feature = "chrono", not(feature = "time")),
    diagnostic::on_unimplemented(
        message = "`{Self}` cannot serve as a collection time",
        label = "`#[personal(collected_at)]` needs a `SystemTime`, a `chrono::DateTime`, `NaiveDateTime` or `NaiveDate`, an `Option` of one, or a type implementing `privacy_core::CollectedAt`",
        note = "with privacy-core's feature `time`, `OffsetDateTime`, `PrimitiveDateTime` and `Date` are accepted too"
    )
)]
#[cfg_attr(
    all(feature = "time", not(feature = "chrono")),
    diagnostic::on_unimplemented(
        message = "`{Self}` cannot serve as a collection time",
        label = "`#[personal(collected_at)]` needs a `SystemTime`, a `time::OffsetDateTime`, `PrimitiveDateTime` or `Date`, an `Option` of one, or a type implementing `privacy_core::CollectedAt`",
        note = "with privacy-core's feature `chrono`, `chrono::DateTime`, `NaiveDateTime` and `NaiveDate` are accepted too"
    )
)]
#[cfg_attr(
    all(feature = "chrono", feature = "time"),
    diagnostic::on_unimplemented(
        message = "`{Self}` cannot serve as a collection time",
        label = "`#[personal(collected_at)]` needs a `SystemTime`, a `chrono::DateTime`, `NaiveDateTime` or `NaiveDate`, a `time::OffsetDateTime`, `PrimitiveDateTime` or `Date`, an `Option` of one, or a type implementing `privacy_core::CollectedAt`"
    )
)]
pub trait CollectedAtValue {
    /// The collection time.
    fn collected_at(&self) -> Option<SystemTime>;
}

impl<T: CollectedAt + ?Sized> CollectedAtValue for T {
    fn collected_at(&self) -> Option<SystemTime> {
        CollectedAt::to_system_time(self)
    }
}

#[cfg(feature = "uuid")]
impl SubjectId for uuid::Uuid {
    /// The hyphenated form; the nil UUID names no one.
    fn to_subject_id(&self) -> Option<String> {
        (!self.is_nil()).then(|| self.hyphenated().to_string())
    }
}

#[cfg(feature = "chrono")]
mod chrono_impls {
    use std::time::SystemTime;

    use super::CollectedAt;

    impl<Tz: chrono::TimeZone> CollectedAt for chrono::DateTime<Tz> {
        fn to_system_time(&self) -> Option<SystemTime> {
            Some(SystemTime::from(self.clone()))
        }
    }

    impl CollectedAt for chrono::NaiveDateTime {
        /// Read as UTC.
        fn to_system_time(&self) -> Option<SystemTime> {
            Some(SystemTime::from(self.and_utc()))
        }
    }

    impl CollectedAt for chrono::NaiveDate {
        /// Midnight UTC of the date.
        fn to_system_time(&self) -> Option<SystemTime> {
            self.and_hms_opt(0, 0, 0)
                .map(|at| SystemTime::from(at.and_utc()))
        }
    }
}

#[cfg(feature = "time")]
mod time_impls {
    use std::time::SystemTime;

    use super::CollectedAt;

    impl CollectedAt for time::OffsetDateTime {
        fn to_system_time(&self) -> Option<SystemTime> {
            Some(SystemTime::from(*self))
        }
    }

    impl CollectedAt for time::PrimitiveDateTime {
        /// Read as UTC.
        fn to_system_time(&self) -> Option<SystemTime> {
            Some(SystemTime::from(self.assume_utc()))
        }
    }

    impl CollectedAt for time::Date {
        /// Midnight UTC of the date.
        fn to_system_time(&self) -> Option<SystemTime> {
            Some(SystemTime::from(self.midnight().assume_utc()))
        }
    }
}
