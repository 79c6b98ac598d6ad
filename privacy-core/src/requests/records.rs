//! [`Records`]: the typed handle on one record type's store: seal and save, stream a
//! subject's records, find by blind index. The data map keeps one per stored type, and
//! reaches them all through the type-erased [`ErasedRecords`] the engine iterates.

use core::any::Any;
use core::fmt;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use rand_core::{OsRng, RngCore};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::digest::hex;
use super::error::RequestError;
use super::expiry::{holds_nothing, shortest_retention, TypeSweep};
use super::report::StoreOutcome;
use super::store::{RecordStore, StoredRecord};
use crate::crypto::{Keyring, Sealed};
use crate::dsar::export::Exporter;
use crate::dsar::{RecordExport, SUBJECT_ID_BASIS};
use crate::schema::{FieldKind, RecordSchema};
use crate::PersonalData;

/// How many records a page read or a batch delete handles by default.
pub const DEFAULT_BATCH: usize = 1000;

/// What a record type needs to be stored through the data map: the derive's
/// [`PersonalData`] and serde both ways. Implemented for every such type.
pub trait Storable: PersonalData + Serialize + DeserializeOwned + Send + Sync + 'static {}

impl<T: PersonalData + Serialize + DeserializeOwned + Send + Sync + 'static> Storable for T {}

/// A route function: the id of the other subject a record links to.
pub(crate) type RouteFn<T> = Arc<dyn Fn(&T) -> Option<String> + Send + Sync>;

/// A declared route: records of this type are linked to a subject of kind `kind`.
pub(crate) struct Route<T> {
    pub(crate) kind: &'static str,
    pub(crate) link: RouteFn<T>,
}

impl<T> Clone for Route<T> {
    fn clone(&self) -> Self {
        Route {
            kind: self.kind,
            link: Arc::clone(&self.link),
        }
    }
}

/// One record read back from a store, opened.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored<T> {
    /// The id the store keeps it under; [`Records::replace`] saves a changed copy in place.
    pub record_id: String,
    /// The opened record.
    pub record: T,
}

/// The records of type `T` in their store: sealed with the keyring on the way in, opened on
/// the way out. Get one from [`DataMap::records`](super::DataMap::records).
///
/// A record is filed under its `subject_id` value, or, for a type without a `subject_id`
/// field, under the subject its declared route names. A record with a
/// `#[personal(record_id)]` field is saved under that id (saving again replaces it); other
/// records get a random id when first saved.
pub struct Records<T> {
    store: Arc<dyn RecordStore>,
    table: Arc<str>,
    route: Option<Route<T>>,
    batch: usize,
}

impl<T> Clone for Records<T> {
    fn clone(&self) -> Self {
        Records {
            store: Arc::clone(&self.store),
            table: Arc::clone(&self.table),
            route: self.route.clone(),
            batch: self.batch,
        }
    }
}

impl<T> fmt::Debug for Records<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Records")
            .field("table", &self.table)
            .field("route", &self.route.as_ref().map(|r| r.kind))
            .finish_non_exhaustive()
    }
}

impl<T: Storable> Records<T> {
    pub(crate) fn new(
        store: Arc<dyn RecordStore>,
        table: String,
        route: Option<Route<T>>,
        batch: usize,
    ) -> Records<T> {
        Records {
            store,
            table: table.into(),
            route,
            batch: batch.max(1),
        }
    }

    /// The table the records live in.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The store holding the table.
    pub fn store(&self) -> &dyn RecordStore {
        &*self.store
    }

    /// Seals `record` and saves it: under its `record_id` when it has one (replacing an
    /// earlier save), else under a new random id. Returns the record id.
    pub fn save(&self, keyring: &Keyring, record: &T) -> Result<String, RequestError> {
        let id = match record.record_id() {
            Some(id) => id,
            None => random_id(),
        };
        self.replace(keyring, &id, record)?;
        Ok(id)
    }

    /// Seals `record` and saves it under `record_id`, replacing what was there.
    pub fn replace(
        &self,
        keyring: &Keyring,
        record_id: &str,
        record: &T,
    ) -> Result<(), RequestError> {
        let row = self.row(keyring, record_id, record)?;
        self.store.save(&self.table, &[row])?;
        Ok(())
    }

    /// Seals and saves many records in one store transaction; their record ids, in order.
    pub fn save_all(&self, keyring: &Keyring, records: &[T]) -> Result<Vec<String>, RequestError> {
        let mut ids = Vec::with_capacity(records.len());
        for chunk in records.chunks(self.batch) {
            let mut rows = Vec::with_capacity(chunk.len());
            for record in chunk {
                let id = record.record_id().unwrap_or_else(random_id);
                rows.push(self.row(keyring, &id, record)?);
                ids.push(id);
            }
            self.store.save(&self.table, &rows)?;
        }
        Ok(ids)
    }

    /// Every record of `subject_id`, opened, read from the store a page at a time: memory
    /// holds one page, never the subject's whole history. The iterator stops after the first
    /// error it yields.
    pub fn subject_records<'a>(
        &'a self,
        keyring: &'a Keyring,
        subject_id: &str,
    ) -> SubjectRecords<'a, T> {
        SubjectRecords {
            rows: Pages::new(&*self.store, &self.table, subject_id, self.batch),
            keyring,
            marker: core::marker::PhantomData,
        }
    }

    /// How many records `subject_id` has.
    pub fn count(&self, subject_id: &str) -> Result<u64, RequestError> {
        Ok(self.store.count(&self.table, subject_id)?)
    }

    /// The records whose blind-indexed field at `field` (a Rust field path, `"email"`) may
    /// hold `value`, opened and checked: a record is returned only if its opened value at
    /// `field` serializes as `value` does (blind indexes of few bits match other values by
    /// design). Every live index key version is tried.
    pub fn find<V: Serialize + ?Sized>(
        &self,
        keyring: &Keyring,
        field: &str,
        value: &V,
    ) -> Result<Vec<Stored<T>>, RequestError> {
        let name = T::schema().name;
        let candidates = keyring
            .blind_index_candidates_for::<T, V>(field, value)
            .map_err(|e| RequestError::crypto(name, e))?;
        let wanted = serde_json::to_value(value).map_err(|_| RequestError::Encode {
            what: "blind-index value",
        })?;
        let mut found = Vec::new();
        for index in candidates {
            for row in self
                .store
                .find_by_index(&self.table, field, &index, self.batch)?
            {
                if found
                    .iter()
                    .any(|s: &Stored<T>| s.record_id == row.record_id)
                {
                    continue;
                }
                let record = Self::open(keyring, &row)?;
                if field_matches(&record, field, &wanted) {
                    found.push(Stored {
                        record_id: row.record_id,
                        record,
                    });
                }
            }
        }
        Ok(found)
    }

    /// Deletes every record of `subject_id` in batches, unopened and without erase policies
    /// (a purge; a person's request goes through [`Requests::delete`](super::Requests::delete),
    /// which keeps retained fields and reports). How many were deleted.
    pub fn delete_subject(&self, subject_id: &str) -> Result<u64, RequestError> {
        Ok(self
            .store
            .delete_subject(&self.table, subject_id, self.batch)?)
    }

    /// Deletes these records.
    pub fn delete(&self, record_ids: &[String]) -> Result<u64, RequestError> {
        let mut deleted = 0;
        for chunk in record_ids.chunks(self.batch) {
            deleted += self.store.delete(&self.table, chunk)?;
        }
        Ok(deleted)
    }

    /// The subject a record is filed under.
    fn subject_of(&self, record: &T) -> Result<String, RequestError> {
        let schema = T::schema();
        let routed = || self.route.as_ref().and_then(|r| (r.link)(record));
        if has_subject_field(schema) {
            record.subject_id().ok_or(RequestError::NoSubject {
                record: schema.name,
            })
        } else {
            routed().ok_or(RequestError::NoSubject {
                record: schema.name,
            })
        }
    }

    fn row(
        &self,
        keyring: &Keyring,
        record_id: &str,
        record: &T,
    ) -> Result<StoredRecord, RequestError> {
        let sealed = keyring
            .seal(record)
            .map_err(|e| RequestError::crypto(T::schema().name, e))?;
        self.row_of(record_id, record, &sealed)
    }

    /// The stored row of `record`, sealed as `sealed`.
    fn row_of(
        &self,
        record_id: &str,
        record: &T,
        sealed: &Sealed<T>,
    ) -> Result<StoredRecord, RequestError> {
        let schema = T::schema();
        let subject_id = self.subject_of(record)?;
        let link_id = if has_subject_field(schema) {
            self.route.as_ref().and_then(|r| (r.link)(record))
        } else {
            None
        };
        let mut value = serde_json::to_value(sealed).map_err(|_| RequestError::Encode {
            what: "sealed record",
        })?;
        let mut blind_indexes = Vec::new();
        if let Some(serde_json::Value::Object(map)) = value.get_mut("blind_index") {
            for (field, indexes) in map.iter() {
                if let serde_json::Value::Array(indexes) = indexes {
                    for index in indexes.iter().filter_map(serde_json::Value::as_str) {
                        blind_indexes.push((field.clone(), index.to_owned()));
                    }
                }
            }
        }
        let sealed = serde_json::to_string(&value).map_err(|_| RequestError::Encode {
            what: "sealed record",
        })?;
        let collected_at = record
            .collected_at()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_secs()).ok());
        Ok(StoredRecord {
            record_id: record_id.to_owned(),
            subject_id,
            link_id,
            collected_at,
            sealed,
            blind_indexes,
        })
    }

    fn open(keyring: &Keyring, row: &StoredRecord) -> Result<T, RequestError> {
        let name = T::schema().name;
        let sealed: Sealed<T> = serde_json::from_str(&row.sealed)
            .map_err(|_| RequestError::Corrupt { record: name })?;
        sealed
            .open(keyring)
            .map_err(|e| RequestError::crypto(name, e))
    }

    /// The export of a record, attributed to the subject it is filed under when the record
    /// itself names none (a type reached through a route).
    fn export(record: &T, filed_under: &str) -> RecordExport {
        if record.subject_id().is_some() {
            return record.export();
        }
        let mut exporter = Exporter(RecordExport::new(T::schema(), Some(filed_under.to_owned())));
        record.visit(&mut exporter);
        exporter.0
    }
}

/// Whether `schema` has a `subject_id` field.
pub(crate) fn has_subject_field(schema: &RecordSchema) -> bool {
    schema.fields.iter().any(|f| f.kind == FieldKind::SubjectId)
}

/// 128 random bits as 32 hex digits.
pub(crate) fn random_id() -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

/// Whether the serde form of `record` holds `wanted` at the Rust field path `field`
/// (anywhere along sequences and nested records).
fn field_matches<T: PersonalData + Serialize>(
    record: &T,
    field: &str,
    wanted: &serde_json::Value,
) -> bool {
    let Ok(value) = serde_json::to_value(record) else {
        return false;
    };
    let mut schema = Some(T::schema());
    let mut nodes = vec![value];
    for part in field.split('.') {
        let Some(s) = schema else { return false };
        let Some(meta) = s.field(part) else {
            return false;
        };
        let key = if meta.serde.key.is_empty() {
            meta.name
        } else {
            meta.serde.key
        };
        let mut next = Vec::new();
        for node in nodes {
            collect(node.get(key).cloned(), &mut next);
        }
        nodes = next;
        schema = meta.nested;
    }
    nodes.iter().any(|n| n == wanted)
}

/// `value`, or each element when it is a sequence.
fn collect(value: Option<serde_json::Value>, out: &mut Vec<serde_json::Value>) {
    match value {
        Some(serde_json::Value::Array(items)) => out.extend(items),
        Some(other) => out.push(other),
        None => {}
    }
}

/// The rows of one subject in one table, a page at a time.
pub(crate) struct Pages<'a> {
    store: &'a dyn RecordStore,
    table: &'a str,
    subject_id: String,
    after: Option<String>,
    page: std::vec::IntoIter<StoredRecord>,
    batch: usize,
    done: bool,
}

impl<'a> Pages<'a> {
    pub(crate) fn new(
        store: &'a dyn RecordStore,
        table: &'a str,
        subject_id: &str,
        batch: usize,
    ) -> Pages<'a> {
        Pages {
            store,
            table,
            subject_id: subject_id.to_owned(),
            after: None,
            page: Vec::new().into_iter(),
            batch,
            done: false,
        }
    }

    /// The next page of at most `batch` rows (empty at the end).
    pub(crate) fn next_page(&mut self) -> Result<Vec<StoredRecord>, RequestError> {
        if self.done {
            return Ok(Vec::new());
        }
        let rows = self.store.page(
            self.table,
            &self.subject_id,
            self.after.as_deref(),
            self.batch,
        )?;
        if rows.len() < self.batch {
            self.done = true;
        }
        self.after = rows.last().map(|r| r.record_id.clone());
        Ok(rows)
    }
}

impl Iterator for Pages<'_> {
    type Item = Result<StoredRecord, RequestError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(row) = self.page.next() {
            return Some(Ok(row));
        }
        match self.next_page() {
            Ok(rows) => {
                self.page = rows.into_iter();
                self.page.next().map(Ok)
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// A subject's records of one type, opened one by one: see [`Records::subject_records`].
pub struct SubjectRecords<'a, T> {
    rows: Pages<'a>,
    keyring: &'a Keyring,
    marker: core::marker::PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for SubjectRecords<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubjectRecords")
            .field("table", &self.rows.table)
            .finish_non_exhaustive()
    }
}

impl<T: Storable> Iterator for SubjectRecords<'_, T> {
    type Item = Result<Stored<T>, RequestError>;

    fn next(&mut self) -> Option<Self::Item> {
        let row = match self.rows.next()? {
            Ok(row) => row,
            Err(e) => return Some(Err(e)),
        };
        match Records::<T>::open(self.keyring, &row) {
            Ok(record) => Some(Ok(Stored {
                record_id: row.record_id,
                record,
            })),
            Err(e) => {
                self.rows.done = true;
                self.rows.page = Vec::new().into_iter();
                Some(Err(e))
            }
        }
    }
}

/// One stored type, its type erased: what the request engine does per type.
pub(crate) trait ErasedRecords: Send + Sync {
    fn schema(&self) -> &'static RecordSchema;
    fn table(&self) -> &str;
    fn store(&self) -> &dyn RecordStore;
    fn batch(&self) -> usize;
    /// The kind of subject records are filed under.
    fn filing_kind(&self) -> &'static str;
    /// The kind of subject a declared route links records to.
    fn route_kind(&self) -> Option<&'static str>;
    /// Whether the route links a subject of this type's kind to another subject (rather
    /// than naming the subject of a type without `subject_id`).
    fn links_subjects(&self) -> bool;
    fn as_any(&self) -> &dyn Any;
    /// Hands the export of every record of `subject` to `f`; how many.
    fn export_each(
        &self,
        keyring: &Keyring,
        subject: &str,
        f: &mut dyn FnMut(&RecordExport) -> Result<(), RequestError>,
    ) -> Result<u64, RequestError>;
    /// Hands each record of `subject` to `f` as its serde JSON form, with its schema.
    fn json_each(
        &self,
        keyring: &Keyring,
        subject: &str,
        f: &mut dyn FnMut(&dyn PersonalData, serde_json::Value) -> Result<(), RequestError>,
    ) -> Result<u64, RequestError>;
    /// What erasing every record of `subject` would do, without changing anything.
    fn plan_erasure(&self, keyring: &Keyring, subject: &str) -> Result<StoreOutcome, RequestError>;
    /// Erases every record of `subject`: records with retained fields are saved erased, the
    /// others deleted in batches. A record of a type with retained fields that no longer
    /// opens (its subject's key is shredded) is left as it is: an earlier deletion saved it.
    fn apply_erasure(&self, keyring: &Keyring, subject: &str) -> Result<(), RequestError>;
    /// Expires, at `now`, every record old enough to hold an expired field (see
    /// [`Requests::sweep`](super::Requests::sweep)) and returns the counts; the subjects of
    /// deleted records whose data key is shredded go into `ended`. `None` when the type has
    /// no finite retention (nothing examined).
    fn sweep(
        &self,
        keyring: &Keyring,
        now: SystemTime,
        ended: &mut BTreeSet<String>,
    ) -> Result<Option<TypeSweep>, RequestError>;
}

/// Whether erasing the record kept a field under a legal basis (other than the subject id,
/// which every erased record keeps): such a record is saved erased, not deleted.
fn keeps_retained(report: &crate::dsar::ErasureReport) -> bool {
    report
        .retained()
        .any(|(_, basis)| basis != SUBJECT_ID_BASIS)
}

/// Whether `schema` (or a record nested in it) has a field kept through erasure.
fn schema_retains(schema: &RecordSchema) -> bool {
    schema.fields.iter().any(|f| {
        f.on_erase == crate::schema::ErasePolicy::Retain && f.kind == FieldKind::Personal
            || f.nested.is_some_and(schema_retains)
    })
}

impl<T: Storable> ErasedRecords for Records<T> {
    fn schema(&self) -> &'static RecordSchema {
        T::schema()
    }

    fn table(&self) -> &str {
        &self.table
    }

    fn store(&self) -> &dyn RecordStore {
        &*self.store
    }

    fn batch(&self) -> usize {
        self.batch
    }

    fn filing_kind(&self) -> &'static str {
        let schema = T::schema();
        match &self.route {
            Some(route) if !has_subject_field(schema) => route.kind,
            _ => schema.subject_kind,
        }
    }

    fn route_kind(&self) -> Option<&'static str> {
        self.route.as_ref().map(|r| r.kind)
    }

    fn links_subjects(&self) -> bool {
        self.route.is_some() && has_subject_field(T::schema())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn export_each(
        &self,
        keyring: &Keyring,
        subject: &str,
        f: &mut dyn FnMut(&RecordExport) -> Result<(), RequestError>,
    ) -> Result<u64, RequestError> {
        let mut n = 0;
        for stored in self.subject_records(keyring, subject) {
            let stored = stored?;
            f(&Self::export(&stored.record, subject))?;
            n += 1;
        }
        Ok(n)
    }

    fn json_each(
        &self,
        keyring: &Keyring,
        subject: &str,
        f: &mut dyn FnMut(&dyn PersonalData, serde_json::Value) -> Result<(), RequestError>,
    ) -> Result<u64, RequestError> {
        let mut n = 0;
        for stored in self.subject_records(keyring, subject) {
            let stored = stored?;
            let json = serde_json::to_value(&stored.record)
                .map_err(|_| RequestError::Encode { what: "record" })?;
            f(&stored.record, json)?;
            n += 1;
        }
        Ok(n)
    }

    fn plan_erasure(&self, keyring: &Keyring, subject: &str) -> Result<StoreOutcome, RequestError> {
        let schema = T::schema();
        let retains = schema_retains(schema);
        let mut outcome = StoreOutcome::new(schema.name, self.filing_kind());
        let mut pages = Pages::new(&*self.store, &self.table, subject, self.batch);
        loop {
            let rows = pages.next_page()?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                outcome.records_found += 1;
                let mut record = match Self::open(keyring, row) {
                    Ok(record) => record,
                    Err(e) if e.is_shredded() => {
                        // Kept as they are when the type retains fields (an earlier
                        // deletion's erased copy), deleted unopened otherwise.
                        outcome.records_unreadable += 1;
                        if retains {
                            outcome.records_kept += 1;
                        } else {
                            outcome.records_deleted += 1;
                        }
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                let report = record.erase();
                if keeps_retained(&report) {
                    outcome.records_kept += 1;
                } else {
                    outcome.records_deleted += 1;
                }
                outcome.add_fields(&report);
            }
        }
        Ok(outcome)
    }

    fn sweep(
        &self,
        keyring: &Keyring,
        now: SystemTime,
        ended: &mut BTreeSet<String>,
    ) -> Result<Option<TypeSweep>, RequestError> {
        let schema = T::schema();
        let Some(shortest) = shortest_retention(schema) else {
            return Ok(None);
        };
        let mut counts = TypeSweep::new(schema.name);
        // Rows collected at or before `now - shortest` (the column holds whole seconds, at or
        // before the record's own time): exclusive bound one second later.
        let Some(cutoff) = now
            .checked_sub(shortest)
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_secs()).ok())
        else {
            return Ok(Some(counts));
        };
        let before = cutoff.saturating_add(1);
        let mut after: Option<String> = None;
        loop {
            let rows =
                self.store
                    .collected_before(&self.table, before, after.as_deref(), self.batch)?;
            let full = rows.len() >= self.batch;
            after = rows.last().map(|r| r.record_id.clone());
            let mut delete = Vec::new();
            let mut keep = Vec::new();
            for row in rows {
                counts.examined += 1;
                let mut record = match Self::open(keyring, &row) {
                    Ok(record) => record,
                    Err(e) if e.is_shredded() => {
                        // Sealed under a key that is gone: nothing readable remains.
                        counts.unreadable_deleted += 1;
                        ended.insert(row.subject_id.clone());
                        delete.push(row.record_id);
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                if record.expire(now).changed() == 0 {
                    continue;
                }
                let subject = record
                    .subject_id()
                    .unwrap_or_else(|| row.subject_id.clone());
                let shredded = keyring
                    .data_key_shredded(&subject)
                    .map_err(|e| RequestError::crypto(schema.name, e))?;
                if holds_nothing(&record, now) {
                    counts.deleted += 1;
                    if shredded {
                        ended.insert(row.subject_id.clone());
                    }
                    delete.push(row.record_id);
                    continue;
                }
                counts.changed += 1;
                // A record kept after erasure stays under the retention key; a live one
                // under the data key.
                let sealed = if shredded {
                    keyring.seal_kept(&record)
                } else {
                    keyring.seal(&record)
                }
                .map_err(|e| RequestError::crypto(schema.name, e))?;
                keep.push(self.row_of(&row.record_id, &record, &sealed)?);
            }
            if !keep.is_empty() {
                self.store.save(&self.table, &keep)?;
            }
            if !delete.is_empty() {
                self.store.delete(&self.table, &delete)?;
            }
            if !full {
                break;
            }
        }
        if counts.deleted + counts.unreadable_deleted > 0 {
            self.store.compact()?;
        }
        Ok(Some(counts))
    }

    fn apply_erasure(&self, keyring: &Keyring, subject: &str) -> Result<(), RequestError> {
        let retains = schema_retains(T::schema());
        let mut pages = Pages::new(&*self.store, &self.table, subject, self.batch);
        loop {
            let rows = pages.next_page()?;
            if rows.is_empty() {
                break;
            }
            let mut delete = Vec::with_capacity(rows.len());
            let mut keep = Vec::new();
            for row in rows {
                if !retains {
                    // Nothing of this type survives erasure: no need to open it.
                    delete.push(row.record_id);
                    continue;
                }
                let mut record = match Self::open(keyring, &row) {
                    Ok(record) => record,
                    Err(e) if e.is_shredded() => continue,
                    Err(e) => return Err(e),
                };
                // Erased and sealed under the person's retention key, which the shred at
                // the end of the deletion leaves: retained encrypted values stay readable.
                let (sealed, report) = keyring
                    .seal_erased(&mut record)
                    .map_err(|e| RequestError::crypto(T::schema().name, e))?;
                if keeps_retained(&report) {
                    keep.push(self.row_of(&row.record_id, &record, &sealed)?);
                } else {
                    delete.push(row.record_id);
                }
            }
            if !keep.is_empty() {
                self.store.save(&self.table, &keep)?;
            }
            self.store.delete(&self.table, &delete)?;
        }
        Ok(())
    }
}
