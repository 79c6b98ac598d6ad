//! What a retention sweep finds in one record type: the counts it reports
//! ([`TypeSweep`], [`SweepSummary`]) and which records are past their retention and hold
//! nothing more to keep. The typed record handles use these; [`sweep`](super::sweep) drives
//! them over the data map.

use std::time::{Duration, SystemTime};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::schema::{ErasePolicy, FieldKind, RecordSchema};
use crate::PersonalData;

/// What a retention sweep did to the records of one type: counts only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct TypeSweep {
    /// The record name ([`RecordSchema::name`]).
    pub record: &'static str,
    /// Records old enough to hold an expired field, read and opened (or found unreadable).
    pub examined: u64,
    /// Records with fields expired (erased or anonymized) and saved again, sealed as before.
    pub changed: u64,
    /// Records deleted because, once expired, they held nothing personal but their subject
    /// id (not counted in `changed`).
    pub deleted: u64,
    /// Records deleted unopened: sealed under a key that was shredded, nothing readable.
    pub unreadable_deleted: u64,
}

impl TypeSweep {
    pub(crate) fn new(record: &'static str) -> TypeSweep {
        TypeSweep {
            record,
            ..TypeSweep::default()
        }
    }
}

/// What [`Requests::sweep`](super::Requests::sweep) did: counts per record type with a finite retention, and how
/// many people's retention keys it destroyed. Serializable; holds no values and no ids.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SweepSummary {
    /// One entry per stored type with a field of finite retention, in data-map order.
    pub types: Vec<TypeSweep>,
    /// People whose last kept record went, whose retention key was destroyed
    /// ([`Keyring::shred_retained`](crate::crypto::Keyring::shred_retained)).
    pub retention_keys_destroyed: u64,
}

impl SweepSummary {
    /// The counts of the type named `record` ([`RecordSchema::name`]), if it was swept.
    pub fn of(&self, record: &str) -> Option<&TypeSweep> {
        self.types.iter().find(|t| t.record == record)
    }

    /// Records examined, every type.
    pub fn examined(&self) -> u64 {
        self.types.iter().map(|t| t.examined).sum()
    }

    /// Records deleted (emptied by expiry, or unreadable), every type.
    pub fn deleted(&self) -> u64 {
        self.types
            .iter()
            .map(|t| t.deleted + t.unreadable_deleted)
            .sum()
    }
}

/// The shortest finite retention of a field of `schema` (nested records included).
pub(crate) fn shortest_retention(schema: &RecordSchema) -> Option<Duration> {
    schema
        .fields
        .iter()
        .filter_map(|f| {
            let own = f.retention.duration();
            let nested = f.nested.and_then(shortest_retention);
            match (own, nested) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        })
        .min()
}

/// Whether `record` (expired at `now`) holds nothing personal but its subject id: erasing a
/// copy changes nothing, and every retained field has passed its retention.
pub(crate) fn holds_nothing<T: PersonalData + Serialize + DeserializeOwned>(
    record: &T,
    now: SystemTime,
) -> bool {
    let copy = serde_json::to_value(record)
        .ok()
        .and_then(|v| serde_json::from_value::<T>(v).ok());
    let Some(mut copy) = copy else {
        // Cannot tell: keep it.
        return false;
    };
    copy.erase().changed() == 0 && retained_expired(T::schema(), record.collected_at(), now)
}

/// Whether every field of `schema` kept through erasure has a retention that passed at
/// `now`.
fn retained_expired(
    schema: &RecordSchema,
    collected_at: Option<SystemTime>,
    now: SystemTime,
) -> bool {
    schema.fields.iter().all(|f| {
        let own = f.kind != FieldKind::Personal
            || f.on_erase != ErasePolicy::Retain
            || f.retention.is_expired(collected_at, now);
        own && f
            .nested
            .is_none_or(|n| retained_expired(n, collected_at, now))
    })
}
