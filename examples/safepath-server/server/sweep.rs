//! The retention sweep over every type of the data map: a record whose `collected_at` is
//! older than its shortest retention period is opened and `expire`d; a record with nothing
//! personal left is deleted, another is saved again without the expired values.
//!
//! The request layer has no sweep of its own yet: the candidates are read here with one
//! query per type on the `collected_at` column the SQLite record store keeps (see
//! `SqliteRecordStore`), a page at a time, and changed through the data map's `Records`.

use std::time::{SystemTime, UNIX_EPOCH};

use privacy_core::crypto::Sealed;
use privacy_core::dsar::ErasureOutcome;
use privacy_core::requests::{Requests, Storable};
use privacy_core::schema::FieldKind;
use rusqlite::params;

use super::directory::Directory;
use super::error::ApiError;

/// How many candidate records one read holds.
const PAGE: i64 = 500;

/// What a sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    /// Field values expired (erased or anonymized).
    pub expired_fields: u64,
    /// Records deleted: nothing personal was left in them.
    pub deleted_rows: u64,
    /// Candidates that could not be opened (their subject's key shredded): left as they are.
    pub unreadable: u64,
}

impl core::ops::AddAssign for Swept {
    fn add_assign(&mut self, other: Swept) {
        self.expired_fields += other.expired_fields;
        self.deleted_rows += other.deleted_rows;
        self.unreadable += other.unreadable;
    }
}

/// The sweep of one record type (see [`of_type`]); the data map keeps one per stored type.
pub type Sweep = fn(&Requests, &Directory, SystemTime) -> Result<Swept, ApiError>;

/// Sweeps the records of `T` at `now`.
pub fn of_type<T: Storable>(
    requests: &Requests,
    directory: &Directory,
    now: SystemTime,
) -> Result<Swept, ApiError> {
    let mut swept = Swept::default();
    let schema = T::schema();
    let Some(shortest) = schema
        .fields
        .iter()
        .filter_map(|f| f.retention.duration())
        .min()
    else {
        return Ok(swept);
    };
    let cutoff = now
        .checked_sub(shortest)
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        .unwrap_or(0);
    let records = requests
        .map()
        .records::<T>()
        .map_err(|e| ApiError::internal("sweep", &e))?;
    let sql = format!(
        "SELECT record_id, sealed FROM \"{}\" WHERE collected_at IS NOT NULL AND collected_at <= ?1 AND record_id > ?2 ORDER BY record_id LIMIT ?3",
        records.table()
    );
    let read = |e: rusqlite::Error| ApiError::internal("sweep read", &e);
    let mut after = String::new();
    loop {
        let page: Vec<(String, String)> = {
            let conn = directory.conn();
            let mut stmt = conn.prepare_cached(&sql).map_err(read)?;
            let rows = stmt
                .query_map(params![cutoff, after, PAGE], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .map_err(read)?;
            rows.collect::<Result<_, _>>().map_err(read)?
        };
        let Some((last, _)) = page.last() else { break };
        after.clone_from(last);
        for (record_id, sealed) in page {
            let opened = serde_json::from_str::<Sealed<T>>(&sealed)
                .ok()
                .and_then(|s| s.open(requests.keyring()).ok());
            let Some(mut record) = opened else {
                swept.unreadable += 1;
                continue;
            };
            let report = record.expire(now);
            let changed = report.changed();
            if changed == 0 {
                continue;
            }
            swept.expired_fields += u64::try_from(changed).unwrap_or(u64::MAX);
            let personal = schema
                .fields
                .iter()
                .filter(|f| matches!(f.kind, FieldKind::Personal | FieldKind::Nested))
                .count();
            let gone = report
                .fields
                .iter()
                .filter(|f| {
                    !f.field.contains('/')
                        && matches!(
                            f.outcome,
                            ErasureOutcome::Erased | ErasureOutcome::AlreadyErased
                        )
                })
                .count();
            if gone >= personal {
                records
                    .delete(std::slice::from_ref(&record_id))
                    .map_err(|e| ApiError::internal("sweep delete", &e))?;
                swept.deleted_rows += 1;
            } else {
                records
                    .replace(requests.keyring(), &record_id, &record)
                    .map_err(|e| ApiError::internal("sweep save", &e))?;
            }
        }
    }
    if swept.deleted_rows > 0 {
        records
            .store()
            .compact()
            .map_err(|e| ApiError::internal("compact", &e))?;
    }
    Ok(swept)
}
