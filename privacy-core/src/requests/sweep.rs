//! Retention sweeps over the data map: [`Requests::sweep`] expires every stored value whose
//! retention has passed and records what it did as counts per record type, never values.

use std::collections::BTreeSet;
use std::time::SystemTime;

use super::engine::Requests;
use super::error::RequestError;
use super::expiry::SweepSummary;

impl Requests {
    /// Enforces retention at `now` over every stored type of the data map.
    ///
    /// For each type with a field (nested records included) of finite retention
    /// (`retention = "30d"`, ...; [`Retention::duration`](crate::schema::Retention::duration)),
    /// the records collected at or before `now` minus the type's shortest such retention
    /// are read a page at a time ([`RecordStore::collected_before`](super::RecordStore::collected_before))
    /// and opened, and [`PersonalData::expire`](crate::PersonalData::expire) is applied at `now`:
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
