//! Correction (rectification): replace values through a closure, re-seal, report what
//! changed by field and category, never by value.

use std::collections::BTreeSet;
use std::time::SystemTime;

use super::digest::sha256_hex;
use super::engine::Requests;
use super::error::RequestError;
use super::ledger::{RequestKind, RequestState};
use super::records::{ErasedRecords, Storable};
use super::report::CorrectionReport;

impl Requests {
    /// Answers a verified correction request for the records of type `T`: `correct` is
    /// called on every record of `T` filed under a subject the request covers, and each
    /// record it changed is sealed again and saved in place. Completes the request with the
    /// digest of the report, which lists the fields and categories changed, never a value.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use privacy_core::{crypto::Keyring, PersonalData};
    /// # use privacy_core::requests::*;
    /// # use serde::{Deserialize, Serialize};
    /// #[derive(PersonalData, Serialize, Deserialize)]
    /// struct Account {
    ///     #[personal(subject_id)]
    ///     id: String,
    ///     #[personal(category = "contact.email", encrypt)]
    ///     email: String,
    /// }
    /// # let dir = std::env::temp_dir().join(format!("correct-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// # let map = DataMap::builder().store::<Account>(SqliteRecordStore::open(dir.join("a.db"))?).build()?;
    /// # let requests = Requests::new(map, Arc::new(Keyring::in_memory()), SqliteLedger::open(dir.join("l.db"))?);
    /// # let accounts = requests.map().records::<Account>()?;
    /// # accounts.save(requests.keyring(), &Account { id: "7".into(), email: "old@example.com".into() })?;
    /// let request = requests.receive(RequestKind::Correction, SubjectRef::new("user", "7"), "7")?;
    /// requests.verify(&request.id)?;
    /// let report = requests.correct::<Account>(&request.id, |a| a.email = "new@example.com".into())?;
    /// assert_eq!(report.categories, ["contact.email"]);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn correct<T: Storable>(
        &self,
        id: &str,
        mut correct: impl FnMut(&mut T),
    ) -> Result<CorrectionReport, RequestError> {
        let mut request = self.ready(id, RequestKind::Correction)?;
        if request.state == RequestState::Completed {
            return Err(RequestError::InvalidState {
                state: request.state,
                reason: "the correction was made already",
            });
        }
        let result = (|| {
            self.start(&mut request)?;
            let records = self.map.records::<T>()?;
            let kind = ErasedRecords::filing_kind(records);
            let mut report = CorrectionReport {
                request: request.id.clone(),
                record: T::schema().name.to_owned(),
                records_seen: 0,
                records_changed: 0,
                fields: Vec::new(),
                categories: Vec::new(),
            };
            let mut fields = BTreeSet::new();
            let mut categories = BTreeSet::new();
            for subject in request.subjects.iter().filter(|s| s.kind == kind) {
                // Read a page, then write it back: a record is never read twice.
                let mut changed = Vec::new();
                for stored in records.subject_records(&self.keyring, &subject.id) {
                    let mut stored = stored?;
                    report.records_seen += 1;
                    let before = stored.record.personal_values();
                    correct(&mut stored.record);
                    let after = stored.record.personal_values();
                    let mut any = false;
                    for value in before.iter().chain(after.iter()) {
                        let old = before
                            .iter()
                            .filter(|v| v.record == value.record && v.field == value.field);
                        let new = after
                            .iter()
                            .filter(|v| v.record == value.record && v.field == value.field);
                        if !old.map(|v| &v.value).eq(new.map(|v| &v.value)) {
                            any = true;
                            fields.insert(field_path(T::schema().name, value.record, value.field));
                            categories.insert(value.category.name().to_owned());
                        }
                    }
                    if any {
                        report.records_changed += 1;
                        changed.push(stored);
                    }
                }
                for stored in changed {
                    records.replace(&self.keyring, &stored.record_id, &stored.record)?;
                }
            }
            report.fields = fields.into_iter().collect();
            report.categories = categories.into_iter().collect();
            Ok(report)
        })();
        match result {
            Ok(report) => {
                let json = serde_json::to_string(&report).map_err(|_| RequestError::Encode {
                    what: "correction report",
                })?;
                self.ledger.complete(
                    &request.id,
                    SystemTime::now(),
                    &sha256_hex(json.as_bytes()),
                )?;
                Ok(report)
            }
            Err(e) => {
                self.fail(&mut request, &e);
                Err(e)
            }
        }
    }
}

/// `field`, or `Nested.field` for a field of a nested record type.
fn field_path(top: &str, record: &str, field: &str) -> String {
    if record == top {
        field.to_owned()
    } else {
        format!("{record}.{field}")
    }
}
