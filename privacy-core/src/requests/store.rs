//! [`RecordStore`]: where sealed records live, one table per record type.
//!
//! A store deals in [`StoredRecord`] rows: the sealed record as JSON text plus the columns a
//! request needs to find it (subject, link to another subject, collection time, blind
//! indexes). It never sees a plaintext value of an `encrypt` field, and never a key. The typed
//! side (sealing, opening, erasing) is [`Records`](super::Records); the engine reaches every
//! type through the [`DataMap`](super::DataMap).
//!
//! Ready stores: `SqliteRecordStore` (feature `sqlite`) and
//! `PostgresRecordStore` (feature `postgres`). Another database
//! implements the seven required methods below (and
//! [`RecordStore::collected_before`] for retention sweeps); `tests/requests_custom_store.rs` does it for a map in
//! memory in about fifty lines.

use std::sync::Arc;

/// One sealed record as a store keeps it.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredRecord {
    /// Names the record in its table: the `#[personal(record_id)]` value, or a random id
    /// drawn when the record was first saved. Saving again under the same id replaces it.
    pub record_id: String,
    /// The data subject the record is filed under.
    pub subject_id: String,
    /// The subject of another kind this record links its subject to (a declared route, e.g.
    /// a child's parent), if any.
    pub link_id: Option<String>,
    /// When the record was collected, in seconds since the Unix epoch, if it says.
    pub collected_at: Option<i64>,
    /// The [`Sealed`](crate::crypto::Sealed) record as JSON text.
    pub sealed: String,
    /// The blind indexes of the record: (field path, index), as in
    /// [`Sealed::blind_indexes`](crate::crypto::Sealed::blind_indexes).
    pub blind_indexes: Vec<(String, String)>,
}

impl core::fmt::Debug for StoredRecord {
    /// The record id and sizes only: the subject id and the sealed form are not printed.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StoredRecord")
            .field("record_id", &self.record_id)
            .field("sealed_len", &self.sealed.len())
            .field("blind_indexes", &self.blind_indexes.len())
            .finish_non_exhaustive()
    }
}

/// Why a record store failed: the operation and the database's own message (an SQL error
/// code and text; never a row's values).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record store: {operation} failed: {message}")]
pub struct StoreError {
    /// What the store was doing (`"save"`, `"read"`, `"delete"`, ...).
    pub operation: &'static str,
    /// What the database said, without row values.
    pub message: String,
}

impl StoreError {
    /// An error of `operation` with `message` (which must not hold a stored value).
    pub fn new(operation: &'static str, message: impl Into<String>) -> StoreError {
        StoreError {
            operation,
            message: message.into(),
        }
    }
}

/// Sealed records of any number of record types, one table per type (named by
/// [`table_name`]).
///
/// Every method is safe to repeat (saving is an upsert by record id; deleting an absent row
/// changes nothing): the deletion engine replays a batch after a crash.
///
/// Reads are pages in `record_id` order: a page holds at most `limit` rows whose id sorts
/// after `after`, so a caller walks a subject's records in bounded memory
/// ([`Records::subject_records`](super::Records::subject_records) does).
pub trait RecordStore: Send + Sync {
    /// Creates the table `table` (and its indexes) if absent.
    fn ensure_table(&self, table: &str) -> Result<(), StoreError>;

    /// Inserts or replaces each row by its `record_id`, all in one transaction.
    fn save(&self, table: &str, rows: &[StoredRecord]) -> Result<(), StoreError>;

    /// At most `limit` records of `subject_id`, in `record_id` order, after `after`.
    fn page(
        &self,
        table: &str,
        subject_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError>;

    /// Deletes the rows with these record ids (one statement or transaction); how many were
    /// deleted.
    fn delete(&self, table: &str, record_ids: &[String]) -> Result<u64, StoreError>;

    /// How many records `subject_id` has in `table`.
    fn count(&self, table: &str, subject_id: &str) -> Result<u64, StoreError>;

    /// At most `limit` records holding the blind index `index` for the field at `field`.
    fn find_by_index(
        &self,
        table: &str,
        field: &str,
        index: &str,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError>;

    /// At most `limit` distinct subject ids of the records linked to `link_id`, in order,
    /// after `after`.
    fn linked_subjects(
        &self,
        table: &str,
        link_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError>;

    /// At most `limit` records of any subject whose `collected_at` is before `before`
    /// (seconds since the Unix epoch, exclusive), in `record_id` order, after `after`. Rows
    /// without a collection time are never listed. What a retention sweep
    /// ([`Requests::sweep`](super::Requests::sweep)) pages through.
    ///
    /// The default fails with a [`StoreError`] saying the store does not support it, so a
    /// store written before sweeps still compiles (and sweeps fail on it, visibly).
    fn collected_before(
        &self,
        table: &str,
        before: i64,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        let _ = (table, before, after, limit);
        Err(StoreError::new(
            "list records collected before a time",
            "not supported by this store: implement RecordStore::collected_before",
        ))
    }

    /// Deletes every record of `subject_id`, `batch` ids per statement, without opening
    /// them (no erase policy applies: for purges; requests go through the engine); how many.
    /// The default pages through [`page`](RecordStore::page) and [`delete`](RecordStore::delete).
    fn delete_subject(
        &self,
        table: &str,
        subject_id: &str,
        batch: usize,
    ) -> Result<u64, StoreError> {
        let batch = batch.max(1);
        let mut deleted = 0;
        loop {
            let ids: Vec<String> = self
                .page(table, subject_id, None, batch)?
                .into_iter()
                .map(|r| r.record_id)
                .collect();
            if ids.is_empty() {
                return Ok(deleted);
            }
            let n = self.delete(table, &ids)?;
            if n == 0 {
                // Nothing deleted although rows were listed: stop rather than spin.
                return Err(StoreError::new(
                    "delete",
                    "rows listed for the subject could not be deleted",
                ));
            }
            deleted += n;
        }
    }

    /// Makes deleted rows unrecoverable from the database's files where the database can
    /// (SQLite: checkpoint and truncate the WAL); called after every deletion. The default
    /// does nothing.
    fn compact(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

impl<S: RecordStore + ?Sized> RecordStore for Arc<S> {
    fn ensure_table(&self, table: &str) -> Result<(), StoreError> {
        (**self).ensure_table(table)
    }
    fn save(&self, table: &str, rows: &[StoredRecord]) -> Result<(), StoreError> {
        (**self).save(table, rows)
    }
    fn page(
        &self,
        table: &str,
        subject_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        (**self).page(table, subject_id, after, limit)
    }
    fn delete(&self, table: &str, record_ids: &[String]) -> Result<u64, StoreError> {
        (**self).delete(table, record_ids)
    }
    fn collected_before(
        &self,
        table: &str,
        before: i64,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        (**self).collected_before(table, before, after, limit)
    }
    fn count(&self, table: &str, subject_id: &str) -> Result<u64, StoreError> {
        (**self).count(table, subject_id)
    }
    fn find_by_index(
        &self,
        table: &str,
        field: &str,
        index: &str,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        (**self).find_by_index(table, field, index, limit)
    }
    fn linked_subjects(
        &self,
        table: &str,
        link_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        (**self).linked_subjects(table, link_id, after, limit)
    }
    fn delete_subject(
        &self,
        table: &str,
        subject_id: &str,
        batch: usize,
    ) -> Result<u64, StoreError> {
        (**self).delete_subject(table, subject_id, batch)
    }
    fn compact(&self) -> Result<(), StoreError> {
        (**self).compact()
    }
}

/// The table a record type lives in: `privacy_` and its record name
/// ([`RecordSchema::name`](crate::schema::RecordSchema::name)) in lower case, every
/// character other than an ASCII letter or digit written `_`, cut to 60 bytes. Two record
/// names with one table name are an error when the [`DataMap`](super::DataMap) is built.
///
/// ```
/// assert_eq!(privacy_core::requests::table_name("LocationPing"), "privacy_locationping");
/// assert_eq!(privacy_core::requests::table_name("billing.Invoice"), "privacy_billing_invoice");
/// ```
pub fn table_name(record: &str) -> String {
    let mut name = String::from("privacy_");
    name.extend(record.chars().map(|c| {
        if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            '_'
        }
    }));
    name.truncate(60);
    name
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
/// Whether `table` is a name [`table_name`] can give: safe to splice into SQL, quoted.
pub(crate) fn valid_table(table: &str) -> Result<(), StoreError> {
    let ok = !table.is_empty()
        && table.len() <= 63
        && table
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(StoreError::new(
            "name a table",
            "table names are lower-case ASCII letters, digits and _, at most 63 bytes",
        ))
    }
}
