//! Scenarios run against every store and ledger: SQLite, PostgreSQL, a test store.
#![allow(dead_code, clippy::missing_panics_doc)]

use privacy_core::requests::{RequestKind, RequestState, Requests, SubjectRef};

use super::model::{
    at, child, invoice, note, parent, ping, receipt, Child, Invoice, LocationPing, Note, Parent,
    Receipt,
};

/// Saves parent `p` with two invoices, a note, and two children with `pings` pings each;
/// returns the children's ids.
pub fn family(requests: &Requests, p: &str, pings: u32) -> Vec<String> {
    let k = requests.keyring();
    let map = requests.map();
    map.records::<Parent>()
        .unwrap()
        .save(k, &parent(p))
        .unwrap();
    let invoices = map.records::<Invoice>().unwrap();
    invoices.save(k, &invoice(p, 1)).unwrap();
    invoices.save(k, &invoice(p, 2)).unwrap();
    map.records::<Note>().unwrap().save(k, &note(p)).unwrap();
    let kids = vec![format!("{p}-c1"), format!("{p}-c2")];
    for c in &kids {
        map.records::<Child>()
            .unwrap()
            .save(k, &child(c, p))
            .unwrap();
        let all: Vec<LocationPing> = (0..pings).map(|i| ping(c, i)).collect();
        map.records::<LocationPing>()
            .unwrap()
            .save_all(k, &all)
            .unwrap();
    }
    kids
}

/// Receives and verifies a request about parent `p`.
pub fn request(requests: &Requests, kind: RequestKind, p: &str) -> String {
    let r = requests
        .receive(kind, SubjectRef::new("parent", p), p)
        .unwrap();
    requests.verify(&r.id).unwrap();
    r.id
}

/// Deleting a parent erases every store, the children reached through the route, keeps
/// the invoices erased but for the amount, leaves another family intact, completes once,
/// and a second request reports already erased.
pub fn deletion_across_types(requests: &Requests) {
    let kids = family(requests, "p1", 5);
    let other_kids = family(requests, "p2", 3);
    let k = requests.keyring();
    let map = requests.map();
    let id = request(requests, RequestKind::Deletion, "p1");

    let report = requests.delete(&id).unwrap();

    let names: Vec<(&str, u64, u64)> = report
        .stores
        .iter()
        .map(|s| (s.record.as_str(), s.records_deleted, s.records_kept))
        .collect();
    assert_eq!(
        names,
        [
            ("Parent", 1, 0),
            ("Invoice", 0, 2),
            ("Note", 1, 0),
            ("Child", 1, 0),
            ("LocationPing", 5, 0),
            ("Child", 1, 0),
            ("LocationPing", 5, 0),
        ]
    );
    assert!(!report.already_erased && report.shredded);
    assert_eq!(
        report.subjects,
        [
            SubjectRef::new("parent", "p1"),
            SubjectRef::new("child", &kids[0]),
            SubjectRef::new("child", &kids[1]),
        ]
    );
    // Nested devices: serials erased, IPs anonymized, counted per record.
    let parent_fields = &report.stores[0].fields;
    let device_ip = parent_fields
        .iter()
        .find(|f| f.record == "Parent" && f.field == "devices/*/last_ip")
        .unwrap();
    assert_eq!(
        (device_ip.outcome.as_str(), device_ip.count),
        ("anonymized", 2)
    );
    let amount = report.stores[1]
        .fields
        .iter()
        .find(|f| f.field == "amount_cents")
        .unwrap();
    assert_eq!(amount.legal_basis.as_deref(), Some("tax records, 10 years"));

    // The data: gone, but for the invoices' amounts.
    assert_eq!(map.records::<Parent>().unwrap().count("p1").unwrap(), 0);
    assert_eq!(map.records::<Note>().unwrap().count("p1").unwrap(), 0);
    for c in &kids {
        assert_eq!(map.records::<Child>().unwrap().count(c).unwrap(), 0);
        assert_eq!(map.records::<LocationPing>().unwrap().count(c).unwrap(), 0);
    }
    let kept: Vec<Invoice> = map
        .records::<Invoice>()
        .unwrap()
        .subject_records(k, "p1")
        .map(|s| s.unwrap().record)
        .collect();
    assert_eq!(kept.len(), 2);
    assert!(kept
        .iter()
        .all(|i| i.billing_email.is_empty() && i.amount_cents >= 1000));
    // The encrypted card number is retained too: readable although p1's data key is shredded.
    let mut cards: Vec<&str> = kept.iter().map(|i| i.card_number.as_str()).collect();
    cards.sort_unstable();
    assert_eq!(cards, ["4111-p1-1", "4111-p1-2"]);

    // Another family is intact.
    let p2: Vec<Parent> = map
        .records::<Parent>()
        .unwrap()
        .subject_records(k, "p2")
        .map(|s| s.unwrap().record)
        .collect();
    assert!(p2 == [parent("p2")]);
    for c in &other_kids {
        assert_eq!(map.records::<LocationPing>().unwrap().count(c).unwrap(), 3);
    }

    // The ledger: completed once, with the report's digest.
    let done = requests.request(&id).unwrap();
    assert_eq!(done.state, RequestState::Completed);
    assert_eq!(done.report_digest, Some(report.digest().unwrap()));
    assert!(done.completed_at.is_some());
    // Asking again returns the same report.
    assert_eq!(requests.delete(&id).unwrap(), report);

    // A second request about the erased person.
    let again = request(requests, RequestKind::Deletion, "p1");
    let second = requests.delete(&again).unwrap();
    assert!(second.already_erased);
    assert_eq!(second.records_deleted(), 0);
    assert_eq!(second.records_kept(), 2);
}

const DAY: u64 = 86_400;
const YEAR: u64 = 365 * DAY;
const T0: u64 = 1_600_000_000;

/// A sweep over live records: past their retention they are erased in place, or deleted
/// when nothing personal is left; younger ones are not even read. Counts exact; a second
/// sweep changes nothing.
pub fn sweep_expires_by_age(requests: &Requests) {
    let k = requests.keyring();
    let receipts = requests.map().records::<Receipt>().unwrap();
    requests
        .map()
        .records::<Parent>()
        .unwrap()
        .save(k, &parent("s1"))
        .unwrap();
    let issued = [
        T0 - 6 * YEAR,  // amount (5y), card (3y) and email (1y) expired: deleted
        T0 - 2 * YEAR,  // email expired: erased in place
        T0 - 2 * YEAR,  // the same
        T0 - 100 * DAY, // younger than every retention: untouched, not read
        T0 - YEAR,      // email expires at exactly one year: erased
        T0 - 4 * YEAR,  // card and email expired, amount kept: erased in place
    ];
    for (n, secs) in (1..).zip(issued) {
        receipts.save(k, &receipt("s1", n, at(secs))).unwrap();
    }
    let summary = requests.sweep(at(T0)).unwrap();
    assert_eq!(summary.types.len(), 1, "{summary:?}");
    let counts = summary.of("Receipt").unwrap();
    assert_eq!(
        (
            counts.examined,
            counts.changed,
            counts.deleted,
            counts.unreadable_deleted
        ),
        (5, 4, 1, 0),
        "{summary:?}"
    );
    assert_eq!(summary.retention_keys_destroyed, 0);
    assert_eq!(receipts.count("s1").unwrap(), 5);
    let left: Vec<Receipt> = receipts
        .subject_records(k, "s1")
        .map(|r| r.unwrap().record)
        .collect();
    for (n, secs) in [(2, T0 - 2 * YEAR), (3, T0 - 2 * YEAR), (5, T0 - YEAR)] {
        let found = left
            .iter()
            .find(|r| r.number == format!("RCT-s1-{n}"))
            .unwrap();
        let mut expected = receipt("s1", n, at(secs));
        expected.email = String::new();
        assert!(*found == expected, "receipt {n}");
    }
    let old = left.iter().find(|r| r.number == "RCT-s1-6").unwrap();
    assert_eq!(
        (
            old.card_number.as_str(),
            old.email.as_str(),
            old.amount_cents
        ),
        ("", "", Some(1006))
    );
    let young = left.iter().find(|r| r.number == "RCT-s1-4").unwrap();
    assert!(*young == receipt("s1", 4, at(T0 - 100 * DAY)));
    // The summary serializes with counts only.
    let json = serde_json::to_string(&summary).unwrap();
    assert!(!json.contains("s1") && !json.contains("5500"), "{json}");

    // Again at the same time: everything is expired already.
    let again = requests.sweep(at(T0)).unwrap();
    let counts = again.of("Receipt").unwrap();
    assert_eq!(
        (counts.examined, counts.changed, counts.deleted),
        (4, 0, 0),
        "{again:?}"
    );
    assert_eq!(receipts.count("s1").unwrap(), 5);
}

/// A retained encrypted value: readable after its person's deletion (data key shredded),
/// gone when its retention ends, with the retention key: a copy of the old row no longer
/// opens.
pub fn sweep_ends_retained_encrypted_values(requests: &Requests) {
    use privacy_core::crypto::{Error, Sealed};

    let k = requests.keyring();
    let receipts = requests.map().records::<Receipt>().unwrap();
    requests
        .map()
        .records::<Parent>()
        .unwrap()
        .save(k, &parent("r1"))
        .unwrap();
    receipts.save(k, &receipt("r1", 1, at(T0))).unwrap();

    let id = request(requests, RequestKind::Deletion, "r1");
    let report = requests.delete(&id).unwrap();
    assert!(report.shredded);
    let rows = receipts
        .store()
        .page(receipts.table(), "r1", None, 10)
        .unwrap();
    assert_eq!(rows.len(), 1);
    let copy = rows[0].clone();
    let kept = receipts
        .subject_records(k, "r1")
        .next()
        .unwrap()
        .unwrap()
        .record;
    assert_eq!(kept.card_number, "5500-r1-1");
    assert_eq!(kept.email, "");

    // Two years on: the card is still within its retention.
    let summary = requests.sweep(at(T0 + 2 * YEAR)).unwrap();
    let counts = summary.of("Receipt").unwrap();
    assert_eq!((counts.examined, counts.changed, counts.deleted), (1, 0, 0));
    assert_eq!(summary.retention_keys_destroyed, 0);
    let sealed: Sealed<Receipt> = serde_json::from_str(&copy.sealed).unwrap();
    assert_eq!(sealed.open(k).unwrap().card_number, "5500-r1-1");

    // Three years on: the card expires; the amount is kept, sealed again under the
    // retention key (the data key is gone), still readable.
    let summary = requests.sweep(at(T0 + 3 * YEAR)).unwrap();
    let counts = summary.of("Receipt").unwrap();
    assert_eq!(
        (counts.examined, counts.changed, counts.deleted),
        (1, 1, 0),
        "{summary:?}"
    );
    assert_eq!(summary.retention_keys_destroyed, 0);
    let kept = receipts
        .subject_records(k, "r1")
        .next()
        .unwrap()
        .unwrap()
        .record;
    assert_eq!(
        (
            kept.card_number.as_str(),
            kept.email.as_str(),
            kept.amount_cents
        ),
        ("", "", Some(1001))
    );
    let resealed = receipts
        .store()
        .page(receipts.table(), "r1", None, 10)
        .unwrap()
        .remove(0);

    // Five years on: the amount expires, the record holds nothing more, the row goes, and
    // the retention key with it.
    let summary = requests.sweep(at(T0 + 5 * YEAR)).unwrap();
    let counts = summary.of("Receipt").unwrap();
    assert_eq!(
        (
            counts.examined,
            counts.changed,
            counts.deleted,
            counts.unreadable_deleted
        ),
        (1, 0, 1, 0),
        "{summary:?}"
    );
    assert_eq!(summary.retention_keys_destroyed, 1);
    assert_eq!(receipts.count("r1").unwrap(), 0);
    for row in [&copy, &resealed] {
        let sealed: Sealed<Receipt> = serde_json::from_str(&row.sealed).unwrap();
        assert!(matches!(sealed.open(k), Err(Error::Shredded)));
    }

    // The old row restored from a backup: unreadable, deleted unopened.
    receipts
        .store()
        .save(receipts.table(), std::slice::from_ref(&copy))
        .unwrap();
    let summary = requests.sweep(at(T0 + 5 * YEAR)).unwrap();
    let counts = summary.of("Receipt").unwrap();
    assert_eq!((counts.examined, counts.unreadable_deleted), (1, 1));
    assert_eq!(receipts.count("r1").unwrap(), 0);
}
