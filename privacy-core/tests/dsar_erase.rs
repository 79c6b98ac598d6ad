//! The right to delete: after `erase`, no erased value survives in the export, `Debug` or
//! serde output; retained fields carry their legal basis; erasing twice changes nothing.

mod dsar_support;

use dsar_support::{child, holder};
use privacy_core::dsar::{ErasureOutcome, SUBJECT_ID_BASIS};
use privacy_core::PersonalData;

#[test]
fn after_erase_no_erased_or_anonymized_value_remains_in_export_debug_or_serde() {
    let mut h = holder();
    let before = h.personal_values();
    let report = h.erase();
    let outputs = [
        ("export", serde_json::to_string(&h.export()).unwrap()),
        ("Debug", format!("{h:?}")),
        ("serde", serde_json::to_string(&h).unwrap()),
    ];
    let mut gone = 0;
    for pv in &before {
        let outcome = report
            .fields
            .iter()
            // A nested record's field is named by its path from the holder
            // (`devices/0/ip`); these records have no serde renames.
            .find(|f| {
                let nested = format!("/{}", pv.field);
                (f.record == pv.record && f.field == pv.field)
                    || (f.record == "AccountHolder" && f.field.ends_with(&nested))
            })
            .map(|f| f.outcome);
        if matches!(
            outcome,
            Some(ErasureOutcome::Erased | ErasureOutcome::Anonymized)
        ) {
            gone += 1;
            for (what, text) in &outputs {
                assert!(
                    !text.contains(&pv.value),
                    "{}.{} remains in the {what} output",
                    pv.record,
                    pv.field
                );
            }
        }
    }
    assert_eq!(gone, 8, "eight personal values were erased or anonymized");
    let serde = &outputs[2].1;
    assert!(
        serde.contains(r#""number":"**** **** **** 1111""#),
        "the card keeps its last four digits"
    );
    assert!(serde.contains("198.51.100.0"), "the IP keeps its /24");
}

#[test]
fn retained_fields_appear_in_the_report_with_their_legal_basis() {
    let mut h = holder();
    let report = h.erase();
    let retained: Vec<_> = report
        .retained()
        .map(|(f, basis)| (f.record, f.field.as_str(), basis))
        .collect();
    assert_eq!(
        retained,
        [
            ("AccountHolder", "id", SUBJECT_ID_BASIS),
            (
                "AccountHolder",
                "passport",
                "anti-money-laundering law, 5 years"
            )
        ]
    );
    assert_eq!(h.passport, "X12345678");
    let json = serde_json::to_string(&report).unwrap();
    assert!(json.contains(
        r#""field":"passport","category":"identity.government_id","outcome":{"action":"retained","legal_basis":"anti-money-laundering law, 5 years"}"#
    ));
    assert!(
        !json.contains("X12345678"),
        "the report names fields, never values"
    );
}

#[test]
fn erasing_twice_gives_the_same_record_and_an_already_erased_report() {
    let mut h = holder();
    let first = h.erase();
    assert!(!first.already_erased());
    let once = h.clone();
    let again = h.erase();
    assert!(h == once, "erasing twice changes nothing");
    assert!(again.already_erased());
    assert_eq!(again.changed(), 0);

    let mut c = child();
    c.erase();
    let once = c.clone();
    assert!(c.erase().already_erased());
    assert!(c == once);
}

#[derive(PersonalData, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Profile {
    #[personal(subject_id)]
    user_id: String,
    #[personal(category = "identity.name")]
    display_name: String,
    #[personal(category = "contact.email")]
    #[serde(rename = "mail")]
    email_address: String,
    #[personal(nested)]
    devices: Vec<Gadget>,
}

#[derive(PersonalData, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Gadget {
    #[personal(category = "device.id")]
    serial_number: String,
}

#[test]
fn reports_name_fields_by_their_serde_names_and_nested_fields_by_their_path() {
    let mut p = Profile {
        user_id: "u-1".into(),
        display_name: "Ana".into(),
        email_address: "ana@example.com".into(),
        devices: vec![
            Gadget {
                serial_number: "SN-1".into(),
            },
            Gadget {
                serial_number: "SN-2".into(),
            },
        ],
    };
    let export: serde_json::Value = serde_json::from_str(p.export().json()).unwrap();
    let names: Vec<&str> = export["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["userId", "displayName", "mail", "devices"]);
    assert_eq!(
        export["fields"][3]["records"][1]["fields"][0]["field"],
        "serialNumber"
    );
    let report = p.erase();
    let fields: Vec<(&str, &str)> = report
        .fields
        .iter()
        .map(|f| (f.record, f.field.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            ("Profile", "userId"),
            ("Profile", "displayName"),
            ("Profile", "mail"),
            ("Profile", "devices/0/serialNumber"),
            ("Profile", "devices/1/serialNumber")
        ]
    );
}
