//! Deletion: erase a person across every store, resumable and exactly once; and
//! [`Requests::replay`] after a restore.
//!
//! A deletion runs in steps, one per (record type, subject), then a shred step. Each step
//! first *plans*: it reads the subject's records, erases them in memory, and records in the
//! ledger what erasing them does ([`StoreOutcome`]: counts per field and outcome), before
//! anything changes. Then it *applies* in batches (records with retained fields saved
//! erased, the others deleted, many per statement) and marks the step done. Applying is
//! safe to repeat (an erased record erases to itself, a deleted one is gone), so a process
//! killed at any point and run again ([`Requests::delete`] on the same id, or
//! [`Requests::resume_pending`] at start-up) redoes at most the interrupted step and
//! assembles the same report from the plans the ledger holds. The subjects' data keys are
//! shredded last, once every store is done (sealing an erased record with retained fields
//! needs the key). The request completes once: the ledger's completion is a compare and set.

use std::collections::HashMap;
use std::time::SystemTime;

use super::engine::Requests;
use super::error::RequestError;
use super::ledger::{Request, RequestKind, RequestState};
use super::report::{DeletionReport, StoreOutcome};

const SHRED_STEP: &str = "shred";

/// What [`Requests::replay`] re-applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayReport {
    /// Completed deletions re-applied.
    pub requests: u64,
    /// Records found again (restored) and deleted.
    pub records_deleted: u64,
    /// Records found again with retained fields, saved erased (or left unopened).
    pub records_kept: u64,
}

impl Requests {
    /// Runs (or resumes) a verified deletion request and returns its final report.
    ///
    /// For every subject the request covers and every stored type of that subject's kind,
    /// each record is erased by its own [`erase`](crate::PersonalData::erase): a record
    /// that keeps fields under a legal basis (`on_erase = "retain"`) is saved erased, every
    /// other record is deleted; then the subjects' data keys are shredded and the stores
    /// compacted. A completed request returns its report again (rebuilt from the ledger,
    /// same digest). A request about a person erased before reports
    /// [`already_erased`](DeletionReport::already_erased).
    ///
    /// On error the request is recorded as failed (the message, no personal data) and
    /// calling `delete` again resumes it.
    pub fn delete(&self, id: &str) -> Result<DeletionReport, RequestError> {
        let mut request = self.ready(id, RequestKind::Deletion)?;
        if request.state == RequestState::Completed {
            return self.deletion_report(&request);
        }
        match self.run_deletion(&mut request) {
            Ok(report) => Ok(report),
            Err(e) => {
                self.fail(&mut request, &e);
                Err(e)
            }
        }
    }

    /// Resumes every deletion left in progress or failed (call it at start-up); their
    /// reports, oldest request first. Stops at the first that fails again.
    pub fn resume_pending(&self) -> Result<Vec<DeletionReport>, RequestError> {
        let mut reports = Vec::new();
        for id in self.ledger.unfinished(RequestKind::Deletion)? {
            reports.push(self.delete(&id)?);
        }
        Ok(reports)
    }

    /// Re-applies every completed deletion, oldest first, to the record stores as they are
    /// now: after restoring a backup made before some deletions, this erases again what the
    /// backup brought back, and shreds the keys again (a restored key store brings them back
    /// too). The ledger is not changed.
    ///
    /// This works only if the ledger itself was not rolled back: keep it where a restore of
    /// the data does not reach (another database, or excluded from data restores).
    pub fn replay(&self) -> Result<ReplayReport, RequestError> {
        let mut replay = ReplayReport::default();
        for id in self.ledger.completed(RequestKind::Deletion)? {
            let request = self.request(&id)?;
            replay.requests += 1;
            for subject in &request.subjects {
                for records in self.map.erased() {
                    if records.filing_kind() != subject.kind {
                        continue;
                    }
                    let plan = records.plan_erasure(&self.keyring, &subject.id)?;
                    replay.records_deleted += plan.records_deleted;
                    replay.records_kept += plan.records_kept;
                    records.apply_erasure(&self.keyring, &subject.id)?;
                    records.store().compact()?;
                }
                self.shred(&subject.id)?;
            }
        }
        Ok(replay)
    }

    fn run_deletion(&self, request: &mut Request) -> Result<DeletionReport, RequestError> {
        if request.subjects.is_empty() {
            // Found once, before anything changes: the links between subjects are records
            // that the deletion itself erases.
            request.subjects = self.resolve(request)?;
        }
        request.state = RequestState::InProgress;
        request.failure = None;
        self.ledger.update(request)?;
        let mut progress: HashMap<String, (String, bool)> = self
            .ledger
            .progress(&request.id)?
            .into_iter()
            .map(|p| (p.step, (p.outcome, p.done)))
            .collect();
        for (n, subject) in request.subjects.iter().enumerate() {
            for records in self.map.erased() {
                if records.filing_kind() != subject.kind {
                    continue;
                }
                let step = format!("{}#{n}", records.schema().name);
                match progress.get(&step) {
                    Some((_, true)) => continue,
                    Some((_, false)) => {}
                    None => {
                        let plan = records.plan_erasure(&self.keyring, &subject.id)?;
                        let json =
                            serde_json::to_string(&plan).map_err(|_| RequestError::Encode {
                                what: "deletion plan",
                            })?;
                        self.ledger.plan_step(&request.id, &step, &json)?;
                        progress.insert(step.clone(), (json, false));
                    }
                }
                records.apply_erasure(&self.keyring, &subject.id)?;
                records.store().compact()?;
                self.ledger.finish_step(&request.id, &step)?;
            }
        }
        if !progress.get(SHRED_STEP).is_some_and(|(_, done)| *done) {
            self.ledger.plan_step(&request.id, SHRED_STEP, "{}")?;
            for subject in &request.subjects {
                self.shred(&subject.id)?;
            }
            self.ledger.finish_step(&request.id, SHRED_STEP)?;
        }
        let report = self.deletion_report(request)?;
        let digest = report.digest()?;
        self.ledger
            .complete(&request.id, SystemTime::now(), &digest)?;
        Ok(report)
    }

    fn shred(&self, subject: &str) -> Result<(), RequestError> {
        self.keyring
            .shred(subject)
            .map_err(|e| RequestError::crypto("data key", e))
    }

    /// The report of a deletion, from the plans the ledger recorded.
    fn deletion_report(&self, request: &Request) -> Result<DeletionReport, RequestError> {
        let mut stores = Vec::new();
        let mut shredded = false;
        for p in self.ledger.progress(&request.id)? {
            if p.step == SHRED_STEP {
                shredded = p.done;
                continue;
            }
            let outcome: StoreOutcome = serde_json::from_str(&p.outcome).map_err(|_| {
                RequestError::Ledger(super::ledger::LedgerError::Malformed {
                    reason: "a recorded deletion step",
                })
            })?;
            if outcome.records_found > 0 {
                stores.push(outcome);
            }
        }
        let already_erased = stores
            .iter()
            .all(|s| s.records_deleted == 0 && s.changed() == 0);
        Ok(DeletionReport {
            request: request.id.clone(),
            kind: RequestKind::Deletion,
            subjects: request.subjects.clone(),
            already_erased,
            stores,
            shredded,
        })
    }

    /// The report of a completed deletion request, rebuilt from the ledger; its digest
    /// equals the one recorded.
    pub fn report(&self, id: &str) -> Result<DeletionReport, RequestError> {
        let request = self.request(id)?;
        if request.kind != RequestKind::Deletion {
            return Err(RequestError::WrongKind {
                expected: RequestKind::Deletion,
                found: request.kind,
            });
        }
        self.deletion_report(&request)
    }
}
