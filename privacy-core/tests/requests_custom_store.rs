//! A team on another stack writes its own record store: the whole `RecordStore` for a map in
//! memory is the fifty lines of `MemoryStore` below, and the request engine runs over it
//! unchanged (with a ledger of its own, here SQLite when the feature is on).

mod requests_support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use privacy_core::requests::{RecordStore, StoreError, StoredRecord};

/// table -> record id -> row.
type Tables = BTreeMap<String, BTreeMap<String, StoredRecord>>;

#[derive(Default)]
struct MemoryStore(Mutex<Tables>);

impl MemoryStore {
    fn tables(&self) -> Result<std::sync::MutexGuard<'_, Tables>, StoreError> {
        self.0
            .lock()
            .map_err(|_| StoreError::new("lock", "poisoned"))
    }
    fn rows(
        &self,
        table: &str,
        keep: impl Fn(&StoredRecord) -> bool,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        let tables = self.tables()?;
        let rows = tables.get(table).into_iter().flat_map(|t| t.values());
        Ok(rows.filter(|r| keep(r)).take(limit).cloned().collect())
    }
}

impl RecordStore for MemoryStore {
    fn ensure_table(&self, table: &str) -> Result<(), StoreError> {
        self.tables()?.entry(table.to_owned()).or_default();
        Ok(())
    }
    fn save(&self, table: &str, rows: &[StoredRecord]) -> Result<(), StoreError> {
        let mut tables = self.tables()?;
        let t = tables.entry(table.to_owned()).or_default();
        t.extend(rows.iter().map(|r| (r.record_id.clone(), r.clone())));
        Ok(())
    }
    fn page(
        &self,
        table: &str,
        subject: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        let after = after.unwrap_or("");
        self.rows(
            table,
            |r| r.subject_id == subject && r.record_id.as_str() > after,
            limit,
        )
    }
    fn delete(&self, table: &str, ids: &[String]) -> Result<u64, StoreError> {
        let mut tables = self.tables()?;
        let Some(t) = tables.get_mut(table) else {
            return Ok(0);
        };
        Ok(ids.iter().filter(|id| t.remove(*id).is_some()).count() as u64)
    }
    fn count(&self, table: &str, subject: &str) -> Result<u64, StoreError> {
        Ok(self
            .rows(table, |r| r.subject_id == subject, usize::MAX)?
            .len() as u64)
    }
    fn find_by_index(
        &self,
        table: &str,
        field: &str,
        index: &str,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        self.rows(
            table,
            |r| {
                r.blind_indexes
                    .iter()
                    .any(|(f, i)| f == field && i == index)
            },
            limit,
        )
    }
    fn linked_subjects(
        &self,
        table: &str,
        link: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let after = after.unwrap_or("");
        let rows = self.rows(
            table,
            |r| r.link_id.as_deref() == Some(link) && r.subject_id.as_str() > after,
            usize::MAX,
        )?;
        let ids: std::collections::BTreeSet<String> =
            rows.into_iter().map(|r| r.subject_id).collect();
        Ok(ids.into_iter().take(limit).collect())
    }
}

#[cfg(feature = "sqlite")]
#[test]
fn the_engine_runs_unchanged_over_a_store_written_for_another_stack() {
    use privacy_core::crypto::Keyring;
    use privacy_core::requests::{Requests, SqliteLedger};

    let dir = std::env::temp_dir().join(format!("privacy-custom-store-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store: Arc<dyn RecordStore> = Arc::new(MemoryStore::default());
    let map = requests_support::model::builder(&store)
        .batch_size(3)
        .build()
        .unwrap();
    let ledger = SqliteLedger::open(dir.join("ledger.db")).unwrap();
    let requests = Requests::new(map, Arc::new(Keyring::in_memory()), ledger);
    requests_support::scenarios::deletion_across_types(&requests);
    // A store without `collected_before` still compiles; a sweep over it fails, saying so.
    let err = requests.sweep(std::time::SystemTime::now()).unwrap_err();
    assert!(
        err.to_string().contains("not supported by this store"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
