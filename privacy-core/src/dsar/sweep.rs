//! Retention enforcement over many records at once.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::Serialize;

use super::erasure::{ErasureOutcome, ErasureReport};
use crate::PersonalData;

/// Totals of a [`sweep`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Records examined.
    pub records: usize,
    /// Records with at least one field erased or anonymized.
    pub touched: usize,
    /// Fields deleted.
    pub erased: usize,
    /// Fields anonymized.
    pub anonymized: usize,
    /// Fields deleted or anonymized, per category name.
    pub by_category: BTreeMap<&'static str, usize>,
    /// The report of every touched record.
    pub reports: Vec<ErasureReport>,
}

/// Applies [`PersonalData::expire`] at `now` to every record and adds up what it did.
pub fn sweep<'a, I>(records: I, now: SystemTime) -> SweepReport
where
    I: IntoIterator<Item = &'a mut dyn PersonalData>,
{
    let mut total = SweepReport::default();
    for record in records {
        total.records += 1;
        let report = record.expire(now);
        if report.changed() == 0 {
            continue;
        }
        total.touched += 1;
        for f in &report.fields {
            let counter = match f.outcome {
                ErasureOutcome::Erased => &mut total.erased,
                ErasureOutcome::Anonymized => &mut total.anonymized,
                _ => continue,
            };
            *counter += 1;
            if let Some(c) = f.category {
                *total.by_category.entry(c.name()).or_default() += 1;
            }
        }
        total.reports.push(report);
    }
    total
}
