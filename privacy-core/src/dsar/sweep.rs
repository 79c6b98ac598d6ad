//! Retention enforcement over many records at once.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::Serialize;

use super::erasure::{ErasureOutcome, ErasureReport};
use crate::PersonalData;

/// Totals of a [`sweep`]: records examined and touched, fields erased and anonymized, counts
/// per category, and the report of every touched record. Serializable; holds no values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
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

impl SweepReport {
    /// Every touched record's report in one, as proof of what the sweep deleted (the record
    /// type is empty: fields name their own record).
    pub fn merged(&self) -> ErasureReport {
        let mut all = ErasureReport::default();
        for r in &self.reports {
            all.absorb(r.clone());
        }
        all
    }
}

/// Applies [`PersonalData::expire`] at `now` to every record and adds up what it did.
///
/// Takes records of one type (`vec.iter_mut()`) or of many (`&mut dyn PersonalData` items).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use privacy_core::{dsar::sweep, PersonalData};
///
/// #[derive(PersonalData)]
/// struct Ping {
///     #[personal(category = "location.precise", retention = "30d")]
///     position: Option<(f64, f64)>,
///     #[personal(collected_at)]
///     at: SystemTime,
/// }
///
/// let mut pings = vec![Ping { position: Some((1.0, 2.0)), at: SystemTime::UNIX_EPOCH }];
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(30 * 86_400);
/// let total = sweep(pings.iter_mut(), now);
/// assert_eq!((total.touched, total.erased), (1, 1));
/// assert_eq!(pings[0].position, None);
/// ```
pub fn sweep<'a, I, T>(records: I, now: SystemTime) -> SweepReport
where
    I: IntoIterator<Item = &'a mut T>,
    T: PersonalData + ?Sized + 'a,
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
