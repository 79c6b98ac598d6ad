//! Retention sweeps over the data map: [`Requests::sweep`] expires every stored value whose
//! retention has passed and records what it did as counts per record type, never values.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::engine::Requests;
use super::error::RequestError;
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

/// What [`Requests::sweep`] did: counts per record type with a finite retention, and how
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

impl Requests {
    /// Enforces retention at `now` over every stored type of the data map.
    ///
    /// For each type with a field (nested records included) of finite retention
    /// (`retention = "30d"`, ...; [`Retention::duration`](crate::schema::Retention::duration)),
    /// the records collected at or before `now` minus the type's shortest such retention
    /// are read a page at a time ([`RecordStore::collected_before`](super::RecordStore::collected_before))
    /// and opened, and [`PersonalData::expire`] is applied at `now`:
    ///
    /// - nothing expired: the record is left as it is;
    /// - once expired, the record holds nothing personal: every field other than the subject
    ///   id is erased (erasing it again would change nothing) and every field kept under a
    ///   legal basis (`on_erase = "retain"`) has passed its retention, measured from the
    ///   record's `collected_at`: the row is **deleted**;
    /// - otherwise the record is sealed again and saved in place: under the person's data
    ///   key, or, for a record kept after erasure (the person's data key is shredded), under
    ///   their retention key, as [`Keyring::seal_erased`](crate::crypto::Keyring::seal_erased)
    ///   sealed it (nothing else is erased);
    /// - a record that no longer opens because its key was shredded is deleted (nothing
    ///   readable remains).
    ///
    /// Then, for every person erased earlier (data key shredded) who had a record deleted by
    /// this sweep and has no record left in any store of the map, the retention key is
    /// destroyed ([`Keyring::shred_retained`](crate::crypto::Keyring::shred_retained)): it
    /// dies with the last retained value. Stores are compacted after deletions.
    ///
    /// One `info` event per swept type gives the counts (never values or ids). A store
    /// without [`collected_before`](super::RecordStore::collected_before) fails the sweep.
    /// The sweep is safe to repeat and to rerun after an error: an expired value expires to
    /// itself.
    pub fn sweep(&self, now: SystemTime) -> Result<SweepSummary, RequestError> {
        let mut summary = SweepSummary::default();
        let mut ended = BTreeSet::new();
        for records in self.map.erased() {
            let Some(counts) = records.sweep(&self.keyring, now, &mut ended)? else {
                continue;
            };
            tracing::info!(
                record = counts.record,
                examined = counts.examined,
                changed = counts.changed,
                deleted = counts.deleted,
                unreadable_deleted = counts.unreadable_deleted,
                "retention sweep"
            );
            summary.types.push(counts);
        }
        for subject in &ended {
            let mut left = 0;
            for records in self.map.erased() {
                left += records.store().count(records.table(), subject)?;
                if left > 0 {
                    break;
                }
            }
            if left == 0 {
                self.keyring
                    .shred_retained(subject)
                    .map_err(|e| RequestError::crypto("retention key", e))?;
                summary.retention_keys_destroyed += 1;
            }
        }
        tracing::info!(
            retention_keys_destroyed = summary.retention_keys_destroyed,
            "retention sweep done"
        );
        Ok(summary)
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
