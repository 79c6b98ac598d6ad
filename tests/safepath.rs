//! The SafePath example end to end: right to know, deletion down to the database file's
//! bytes, retention sweep, clean logs, and idempotent re-runs.

mod safepath_support;

use std::path::Path;
use std::time::{Duration, SystemTime};

use privacy_core::testing::{capture_logs_with, LeakScanner};
use privacy_core::PersonalData;
use safepath_support::service::demo_data::{families, Family};
use safepath_support::service::{self as service, steps};
use safepath_support::{open, TempDir};

fn records_of(family: &Family) -> Vec<&dyn PersonalData> {
    let mut out: Vec<&dyn PersonalData> = vec![&family.parent, &family.preference];
    out.extend(family.invoices.iter().map(|r| r as &dyn PersonalData));
    out.extend(family.children.iter().map(|r| r as &dyn PersonalData));
    out.extend(family.devices.iter().map(|r| r as &dyn PersonalData));
    out.extend(family.pings.iter().map(|r| r as &dyn PersonalData));
    out.extend(family.reports.iter().map(|r| r as &dyn PersonalData));
    out
}

fn database_bytes(dir: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for name in [
        "safepath.sqlite",
        "safepath.sqlite-wal",
        "safepath.sqlite-journal",
    ] {
        if let Ok(b) = std::fs::read(dir.join(name)) {
            bytes.extend(b);
        }
    }
    bytes
}

#[test]
fn the_demo_keeps_every_promise_of_the_policy() {
    let tmp = TempDir::new("all");
    let now = SystemTime::now();
    let demo = families(now);
    let all_records: Vec<&dyn PersonalData> = demo.iter().flat_map(records_of).collect();

    let ((), logs) = capture_logs_with(|| {
        let mut vault = open(&tmp.0);
        assert!(steps::seed(&vault, now).expect("seed") > 0);

        // Right to know for the first parent: parent and children, every CCPA item.
        let know = steps::know(&vault, steps::KNOW_PARENT, &tmp.0).expect("know");
        let json = std::fs::read_to_string(&know.json).expect("dsar json");
        let family = &demo[0];
        // Streamed, yet one complete document: the parent's and one per child.
        let answer: serde_json::Value = serde_json::from_str(&json).expect("complete JSON");
        assert_eq!(answer["responsible_subject"], steps::KNOW_PARENT);
        let documents = answer["documents"].as_array().expect("documents");
        assert_eq!(documents.len(), 1 + family.children.len());
        assert_eq!(documents[0]["subject"]["id"], steps::KNOW_PARENT);
        let summary = std::fs::read_to_string(&know.summary).expect("dsar summary");
        assert_eq!(
            summary.matches("## Your rights").count(),
            documents.len(),
            "every streamed summary is finished"
        );
        for value in [
            &family.parent.email,
            &family.parent.name,
            &family.children[0].name,
        ] {
            assert!(
                json.contains(value.as_str()),
                "DSAR misses an exported value"
            );
        }
        assert!(
            !json.contains(&family.parent.card_number),
            "card number disclosed"
        );
        assert!(
            !json.contains(&family.parent.password_hash),
            "password disclosed"
        );
        for item in [
            "categories",
            "sources",
            "purposes",
            "third_parties",
            "specific_pieces",
        ] {
            assert!(
                json.contains(item),
                "DSAR misses the CCPA 1798.110 item {item}"
            );
        }

        // Deletion for the second parent: nothing of them left in the database file.
        let erased = &demo[1];
        let answer = steps::delete(&mut vault, steps::DELETE_PARENT, &tmp.0).expect("delete");
        assert!(answer.deleted_rows > 0);
        assert_eq!(answer.kept_rows, 2, "the two invoices are retained");
        drop(vault);
        let bytes = database_bytes(&tmp.0);
        let erased_records: Vec<&dyn PersonalData> = {
            let mut r: Vec<&dyn PersonalData> = vec![&erased.parent];
            r.extend(erased.children.iter().map(|c| c as &dyn PersonalData));
            r.extend(erased.devices.iter().map(|c| c as &dyn PersonalData));
            r.extend(erased.pings.iter().map(|c| c as &dyn PersonalData));
            r.extend(erased.reports.iter().map(|c| c as &dyn PersonalData));
            r
        };
        // What the invoices keep under their legal basis (name, address, card's last four,
        // the parent's id) legitimately stays; every other value must be gone.
        let retained: Vec<String> = erased
            .invoices
            .iter()
            .flat_map(PersonalData::personal_values)
            .map(|v| v.value)
            .collect();
        let must_be_gone: Vec<_> = erased_records
            .iter()
            .flat_map(|r| r.personal_values())
            .filter(|v| !retained.contains(&v.value))
            .collect();
        assert!(must_be_gone.len() > 20, "the scan covers the erased family");
        let leaks = LeakScanner::from_values(must_be_gone)
            .expect("scanner")
            .scan(&bytes);
        assert!(
            leaks.is_empty(),
            "erased values remain in the database file: {leaks:?}"
        );

        // Retained invoices still open.
        let vault = open(&tmp.0);
        let invoices = vault
            .of_subject::<service::model::Invoice>(steps::DELETE_PARENT)
            .expect("retained invoices open");
        assert_eq!(invoices.len(), 2);
        assert_eq!(invoices[0].billed_name, erased.parent.name);

        // Retention: pings older than 30 days go, fresh ones stay.
        let swept = steps::sweep(&vault, now).expect("sweep");
        assert!(swept.deleted_rows > 0);
        let pings = vault.all::<service::model::LocationPing>().expect("pings");
        assert!(!pings.is_empty());
        assert!(pings
            .iter()
            .all(|p| now.duration_since(p.recorded_at).unwrap_or_default()
                < Duration::from_secs(30 * 86_400)));

        steps::inventory_report().expect("inventory");
    });
    assert!(
        logs.contains("deletion request answered"),
        "the run was logged"
    );
    let leaks = LeakScanner::new(&all_records).expect("scanner").scan(&logs);
    assert!(leaks.is_empty(), "raw personal data in the logs: {leaks:?}");
}
