//! [`Stall`]: fault injection for the resume test, off unless [`Config::stall`] sets it. A
//! record store that, at its `n`-th delete batch, writes a marker file and then blocks
//! forever, so a test can SIGKILL the process in the middle of a deletion at a known point.
//!
//! [`Config::stall`]: super::Config::stall

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use privacy_core::requests::{RecordStore, StoreError, StoredRecord};

/// Where to stall: before the `after_deletes`-th delete batch (1 = the first), after
/// creating `marker`.
#[derive(Debug, Clone)]
pub struct Stall {
    /// The delete batch to stall at.
    pub after_deletes: u64,
    /// The file created when the store stalls.
    pub marker: PathBuf,
}

/// A record store that stalls as [`Stall`] says and otherwise passes every call on.
pub struct StallingStore {
    inner: Arc<dyn RecordStore>,
    stall: Stall,
    deletes: AtomicU64,
}

impl StallingStore {
    /// `inner`, stalling as `stall` says.
    pub fn new(inner: Arc<dyn RecordStore>, stall: Stall) -> StallingStore {
        StallingStore {
            inner,
            stall,
            deletes: AtomicU64::new(0),
        }
    }
}

impl RecordStore for StallingStore {
    fn ensure_table(&self, table: &str) -> Result<(), StoreError> {
        self.inner.ensure_table(table)
    }
    fn save(&self, table: &str, rows: &[StoredRecord]) -> Result<(), StoreError> {
        self.inner.save(table, rows)
    }
    fn page(
        &self,
        table: &str,
        subject_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        self.inner.page(table, subject_id, after, limit)
    }
    fn delete(&self, table: &str, record_ids: &[String]) -> Result<u64, StoreError> {
        if self.deletes.fetch_add(1, Ordering::SeqCst) + 1 == self.stall.after_deletes {
            tracing::warn!("fault injection: the record store stalls (a test kills the process)");
            let _ = std::fs::write(&self.stall.marker, b"stalled");
            loop {
                std::thread::park();
            }
        }
        self.inner.delete(table, record_ids)
    }
    fn count(&self, table: &str, subject_id: &str) -> Result<u64, StoreError> {
        self.inner.count(table, subject_id)
    }
    fn find_by_index(
        &self,
        table: &str,
        field: &str,
        index: &str,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        self.inner.find_by_index(table, field, index, limit)
    }
    fn linked_subjects(
        &self,
        table: &str,
        link_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        self.inner.linked_subjects(table, link_id, after, limit)
    }
    fn compact(&self) -> Result<(), StoreError> {
        self.inner.compact()
    }
}
