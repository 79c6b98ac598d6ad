//! Scenarios run against every store and ledger: SQLite, PostgreSQL, a test store.
#![allow(dead_code, clippy::missing_panics_doc)]

use privacy_core::requests::{RequestKind, RequestState, Requests, SubjectRef};

use super::model::{
    child, invoice, note, parent, ping, Child, Invoice, LocationPing, Note, Parent,
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
