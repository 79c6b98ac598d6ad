//! The demo's steps: seed data, answer a right-to-know request, answer a deletion request,
//! run the retention sweep, print the data inventory and the policy coverage check.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use privacy_core::dsar::{DsarWriteError, DsarWriter, ErasureReport};
use privacy_core::inventory::{Inventory, InventoryError, Policy};
use privacy_core::PersonalData;
use tracing::info;

use super::demo_data;
use super::model::{
    ChildProfile, Device, ErrorReport, Invoice, LocationPing, MarketingPreference, ParentAccount,
};
use super::vault::{Stored, Vault, VaultError};

/// The parent whose right-to-know request the demo answers.
pub const KNOW_PARENT: &str = "p-1001";
/// The parent whose deletion request the demo answers.
pub const DELETE_PARENT: &str = "p-1002";
/// The policy file the coverage check reads (the 2019 SafePath policy).
pub const POLICY: &str = include_str!("../../../privacy-core/policies/safepath-2019.toml");

/// Errors of a step; they name files, steps and record kinds, never personal values.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// Reading or writing records failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// A DSAR document could not be assembled.
    #[error("right-to-know request: {0}")]
    Dsar(#[from] DsarWriteError),
    /// Writing an output file failed.
    #[error("could not write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The database holds demo data of an older layout.
    #[error("the database was written by an older version of this demo; delete it (and its .keys file) or pass another --db")]
    OldData,
    /// The policy file is invalid.
    #[error("policy file: {0}")]
    Policy(#[from] privacy_core::inventory::PolicyError),
    /// Two record types share a record name.
    #[error("data inventory: {0}")]
    Inventory(#[from] InventoryError),
}

/// The layout of the demo's records; a database from another layout is refused, not misread.
pub const DATA_VERSION: &str = "2";

/// Creates the demo families unless the database already has them.
pub fn seed(vault: &Vault, now: SystemTime) -> Result<usize, StepError> {
    let seeded = vault
        .store
        .meta("seeded")
        .map_err(VaultError::from)?
        .is_some();
    let version = vault.store.meta("data_version").map_err(VaultError::from)?;
    if seeded && version.as_deref() != Some(DATA_VERSION) {
        return Err(StepError::OldData);
    }
    if seeded {
        info!("demo data already present; not seeding again");
        return Ok(0);
    }
    let mut count = 0;
    for family in demo_data::families(now) {
        info!(parent = ?family.parent, "registering parent account");
        count += save_all(vault, std::slice::from_ref(&family.parent))?;
        count += save_all(vault, std::slice::from_ref(&family.preference))?;
        count += save_all(vault, &family.invoices)?;
        for child in &family.children {
            info!(child = ?child, "child invited by parent");
        }
        count += save_all(vault, &family.children)?;
        count += save_all(vault, &family.devices)?;
        count += save_all(vault, &family.pings)?;
        for report in &family.reports {
            info!(report = ?report, "crash report received");
        }
        count += save_all(vault, &family.reports)?;
    }
    vault
        .store
        .set_meta("data_version", DATA_VERSION)
        .map_err(VaultError::from)?;
    vault
        .store
        .set_meta("seeded", "1")
        .map_err(VaultError::from)?;
    info!(records = count, "demo data stored");
    Ok(count)
}

fn save_all<T: Stored + std::fmt::Debug>(vault: &Vault, records: &[T]) -> Result<usize, StepError> {
    for record in records {
        vault.save(record)?;
        tracing::debug!(kind = T::KIND, record = ?record, "sealed and stored");
    }
    Ok(records.len())
}

/// The files a right-to-know answer was written to.
pub struct KnowAnswer {
    pub json: PathBuf,
    pub summary: PathBuf,
    pub records: usize,
}

/// Answers a right-to-know request for a parent: one document for the parent and one per
/// child (the parent is the child's responsible subject), in one JSON file and one summary.
///
/// Each document is streamed with [`DsarWriter`]: records are written to both files as they
/// are read, one record type at a time, and what the document states about all of them
/// comes at its end. A request that fails half way leaves files that are visibly
/// incomplete (the JSON does not parse), never a document that looks whole.
pub fn know(vault: &Vault, parent_id: &str, out: &Path) -> Result<KnowAnswer, StepError> {
    info!("right-to-know request received");
    let json_path = out.join(format!("dsar-{parent_id}.json"));
    let summary_path = out.join(format!("dsar-{parent_id}.md"));
    let mut json = Output::create(&json_path)?;
    let mut summary = Output::create(&summary_path)?;
    // The envelope around the documents; its only variable part is the parent's id.
    let head = serde_json::json!({
        "request": "right to know (CCPA 1798.110, GDPR Art. 15)",
        "responsible_subject": parent_id,
    })
    .to_string();
    json.write(head.strip_suffix('}').unwrap_or(&head))?;
    json.write(",\"documents\":[")?;

    let mut doc = Answer::new(&mut json, &mut summary, parent_id);
    let mut records = 0;
    records += doc.add_all(&vault.of_subject::<ParentAccount>(parent_id)?)?;
    records += doc.add_all(&vault.of_subject::<MarketingPreference>(parent_id)?)?;
    records += doc.add_all(&vault.of_subject::<Invoice>(parent_id)?)?;
    doc.finish()?;
    for child in children_of(vault, parent_id)? {
        json.write(",")?;
        summary.write("\n---\n\n")?;
        let mut doc = Answer::new(&mut json, &mut summary, &child.id);
        records += doc.add_all(std::slice::from_ref(&child))?;
        records += doc.add_all(&vault.of_subject::<Device>(&child.id)?)?;
        records += doc.add_all(&vault.of_subject::<LocationPing>(&child.id)?)?;
        records += doc.add_all(&vault.of_subject::<ErrorReport>(&child.id)?)?;
        doc.finish()?;
    }
    json.write("]}\n")?;
    info!(records, "right-to-know answer written");
    Ok(KnowAnswer {
        json: json_path,
        summary: summary_path,
        records,
    })
}

/// One output file of an answer; its errors name the file.
struct Output {
    path: PathBuf,
    file: fs::File,
}

impl Output {
    fn create(path: &Path) -> Result<Output, StepError> {
        let file = fs::File::create(path).map_err(|source| StepError::Write {
            path: path.to_owned(),
            source,
        })?;
        Ok(Output {
            path: path.to_owned(),
            file,
        })
    }

    fn write(&mut self, text: &str) -> Result<(), StepError> {
        self.file
            .write_all(text.as_bytes())
            .map_err(|source| StepError::Write {
                path: self.path.clone(),
                source,
            })
    }

    /// A writer's error, naming this file when it is an I/O error.
    fn error(path: &Path, e: DsarWriteError) -> StepError {
        match e {
            DsarWriteError::Io(source) => StepError::Write {
                path: path.to_owned(),
                source,
            },
            other => StepError::Dsar(other),
        }
    }
}

/// The document of one subject, streamed to both files at once.
struct Answer<'a> {
    json: DsarWriter<&'a mut fs::File>,
    json_path: &'a Path,
    summary: DsarWriter<&'a mut fs::File>,
    summary_path: &'a Path,
}

impl<'a> Answer<'a> {
    fn new(json: &'a mut Output, summary: &'a mut Output, subject_id: &str) -> Answer<'a> {
        Answer {
            json: DsarWriter::json(&mut json.file, subject_id),
            json_path: &json.path,
            summary: DsarWriter::markdown(&mut summary.file, subject_id),
            summary_path: &summary.path,
        }
    }

    fn add_all<T: PersonalData>(&mut self, records: &[T]) -> Result<usize, StepError> {
        for r in records {
            let export = r.export();
            self.json
                .add_export(&export)
                .map_err(|e| Output::error(self.json_path, e))?;
            self.summary
                .add_export(export)
                .map_err(|e| Output::error(self.summary_path, e))?;
        }
        Ok(records.len())
    }

    fn finish(self) -> Result<(), StepError> {
        self.json
            .finish()
            .map_err(|e| Output::error(self.json_path, e))?;
        self.summary
            .finish()
            .map_err(|e| Output::error(self.summary_path, e))?;
        Ok(())
    }
}

fn children_of(vault: &Vault, parent_id: &str) -> Result<Vec<ChildProfile>, StepError> {
    Ok(vault
        .all::<ChildProfile>()?
        .into_iter()
        .filter(|c| c.parent_id == parent_id)
        .collect())
}

/// The outcome of a deletion request.
pub struct DeleteAnswer {
    pub report_path: PathBuf,
    pub report: ErasureReport,
    pub deleted_rows: usize,
    pub kept_rows: usize,
}

/// Answers a deletion request for a parent and their children: every record is erased
/// field by field; records left with nothing but retained values under a legal basis are
/// kept (invoices), all others deleted; then every data key of the family is shredded, so
/// sealed copies in backups become unreadable, and the database file is compacted.
pub fn delete(vault: &mut Vault, parent_id: &str, out: &Path) -> Result<DeleteAnswer, StepError> {
    info!("deletion request received");
    let mut report = ErasureReport::new("deletion request", Some(parent_id.to_owned()));
    let mut subjects = vec![parent_id.to_owned()];
    subjects.extend(children_of(vault, parent_id)?.into_iter().map(|c| c.id));
    let (mut deleted_rows, mut kept_rows) = (0, 0);
    for subject in &subjects {
        for (deleted, kept) in [
            erase_kind::<ParentAccount>(vault, subject, &mut report)?,
            erase_kind::<MarketingPreference>(vault, subject, &mut report)?,
            erase_kind::<Invoice>(vault, subject, &mut report)?,
            erase_kind::<ChildProfile>(vault, subject, &mut report)?,
            erase_kind::<Device>(vault, subject, &mut report)?,
            erase_kind::<LocationPing>(vault, subject, &mut report)?,
            erase_kind::<ErrorReport>(vault, subject, &mut report)?,
        ] {
            deleted_rows += deleted;
            kept_rows += kept;
        }
    }
    for subject in &subjects {
        vault.keyring.shred(subject).map_err(VaultError::Keys)?;
    }
    vault.store.compact().map_err(VaultError::from)?;
    let report_path = out.join(format!("erasure-{parent_id}.json"));
    write(
        &report_path,
        &serde_json::to_string_pretty(&report).unwrap_or_default(),
    )?;
    info!(deleted_rows, kept_rows, "deletion request answered");
    Ok(DeleteAnswer {
        report_path,
        report,
        deleted_rows,
        kept_rows,
    })
}

pub fn erase_kind<T: Stored>(
    vault: &Vault,
    subject: &str,
    report: &mut ErasureReport,
) -> Result<(usize, usize), StepError> {
    let (mut deleted, mut kept) = (0, 0);
    for mut record in vault.of_subject::<T>(subject)? {
        let r = record.erase();
        // Kept only if something besides the record's own identifier survives under a
        // legal basis (the invoices); everything else is deleted outright.
        let retains = r
            .retained()
            .any(|(_, basis)| basis != privacy_core::dsar::SUBJECT_ID_BASIS);
        report.absorb(r);
        if retains {
            vault.save(&record)?;
            kept += 1;
        } else {
            vault.delete(&record)?;
            deleted += 1;
        }
    }
    Ok((deleted, kept))
}

/// Totals of a retention sweep.
pub struct SweepAnswer {
    pub expired_fields: usize,
    pub deleted_rows: usize,
}

/// Applies retention: location pings older than 30 days lose their position (and are
/// deleted, since nothing else in them is worth keeping); IP addresses and crash reports
/// after 90 days.
pub fn sweep(vault: &Vault, now: SystemTime) -> Result<SweepAnswer, StepError> {
    let mut answer = SweepAnswer {
        expired_fields: 0,
        deleted_rows: 0,
    };
    expire_kind::<LocationPing>(vault, now, AfterExpiry::Delete, &mut answer)?;
    expire_kind::<Device>(vault, now, AfterExpiry::Keep, &mut answer)?;
    expire_kind::<ErrorReport>(vault, now, AfterExpiry::Delete, &mut answer)?;
    if answer.deleted_rows > 0 {
        vault.store.compact().map_err(VaultError::from)?;
    }
    info!(
        expired_fields = answer.expired_fields,
        deleted_rows = answer.deleted_rows,
        "retention sweep done"
    );
    Ok(answer)
}

/// What happens to a record once some of its fields expired.
#[derive(Clone, Copy, PartialEq, Eq)]
enum AfterExpiry {
    /// Nothing else in it is worth keeping: delete the row.
    Delete,
    /// Store the record again without the expired values.
    Keep,
}

fn expire_kind<T: Stored>(
    vault: &Vault,
    now: SystemTime,
    after: AfterExpiry,
    answer: &mut SweepAnswer,
) -> Result<(), StepError> {
    for mut record in vault.all::<T>()? {
        let changed = record.expire(now).changed();
        if changed == 0 {
            continue;
        }
        answer.expired_fields += changed;
        match after {
            AfterExpiry::Delete => {
                vault.delete(&record)?;
                answer.deleted_rows += 1;
            }
            AfterExpiry::Keep => vault.save(&record)?,
        }
    }
    Ok(())
}

/// The data inventory of every SafePath record type.
pub fn inventory() -> Result<Inventory, InventoryError> {
    Inventory::new()
        .add::<ParentAccount>()?
        .add::<MarketingPreference>()?
        .add::<Invoice>()?
        .add::<ChildProfile>()?
        .add::<Device>()?
        .add::<LocationPing>()?
        .add::<ErrorReport>()
}

/// The inventory as a Markdown table and the coverage check against the 2019 policy.
pub fn inventory_report() -> Result<(String, String), StepError> {
    let inventory = inventory()?;
    let policy = Policy::from_toml_str(POLICY)?;
    let check = inventory.check(&policy);
    Ok((inventory.to_markdown(), check.to_string()))
}

fn write(path: &Path, text: &str) -> Result<(), StepError> {
    fs::write(path, text).map_err(|source| StepError::Write {
        path: path.to_owned(),
        source,
    })
}
