//! Retention enforcement: `expire` at the boundaries of a period, and [`sweep`] totals.

mod dsar_support;

use std::time::Duration;

use dsar_support::{at, child, holder, ChildProfile, DAY, T0};
use privacy_core::dsar::sweep;
use privacy_core::PersonalData;

const ONE: Duration = Duration::from_secs(1);

fn limit() -> std::time::SystemTime {
    at(T0 + 30 * DAY)
}

#[test]
fn one_second_before_the_limit_the_value_is_kept() {
    let mut c = child();
    assert_eq!(c.expire(limit() - ONE).changed(), 0);
    assert!(c.pings[0].position.is_some());
}

#[test]
fn exactly_at_the_limit_the_value_expires() {
    let mut c = child();
    let report = c.expire(limit());
    assert_eq!(report.changed(), 1);
    assert_eq!(report.fields[0].record, "ChildProfile");
    assert_eq!(report.fields[0].field, "pings/0/position");
    assert!(c.pings[0].position.is_none());
    assert!(c.pings[1].position.is_some(), "the newer ping stays");
}

#[test]
fn one_second_after_the_limit_the_value_is_expired() {
    let mut c = child();
    assert_eq!(c.expire(limit() + ONE).changed(), 1);
    assert!(c.pings[0].position.is_none());
}

#[test]
fn account_retention_never_expires_and_transient_never_outlives_a_sweep() {
    let mut h = holder();
    let report = h.expire(at(T0 + 100 * 365 * DAY));
    assert_eq!(
        h.name, "Maria Lopez",
        "account retention is kept until erasure"
    );
    assert_eq!(h.card.as_ref().unwrap().cvc, None);
    let changed: Vec<_> = report
        .fields
        .iter()
        .filter(|f| f.outcome != privacy_core::dsar::ErasureOutcome::AlreadyErased)
        .map(|f| f.field.as_str())
        .collect();
    assert_eq!(changed, ["card/0/cvc", "devices/0/ip"]);
}

#[test]
fn a_sweep_adds_up_what_expired() {
    let (mut a, mut b, mut h) = (child(), child(), holder());
    let records: Vec<&mut dyn PersonalData> = vec![&mut a, &mut b, &mut h];
    let total = sweep(records, at(T0 + 95 * DAY));
    assert_eq!(total.records, 3);
    assert_eq!(total.touched, 3);
    assert_eq!(total.erased, 5);
    assert_eq!(total.anonymized, 1);
    assert_eq!(
        total
            .by_category
            .iter()
            .map(|(c, n)| (*c, *n))
            .collect::<Vec<_>>(),
        [
            ("device.ip_address", 1),
            ("financial.card_security_code", 1),
            ("location.precise", 4)
        ]
    );
    assert_eq!(total.reports.len(), 3);
    assert_eq!(total.merged().changed(), 6);
}

#[test]
fn a_sweep_over_a_vec_of_one_type_leaves_fresh_records_untouched() {
    let mut children: Vec<ChildProfile> = vec![child(), child()];
    let total = sweep(children.iter_mut(), limit() - ONE);
    assert_eq!((total.records, total.touched, total.erased), (2, 0, 0));
    assert!(total.reports.is_empty());
    assert!(children.iter().all(|c| c.pings[0].position.is_some()));
    let total = sweep(children.iter_mut(), limit());
    assert_eq!((total.records, total.touched, total.erased), (2, 2, 2));
    assert!(children.iter().all(|c| c.pings[0].position.is_none()));
}
