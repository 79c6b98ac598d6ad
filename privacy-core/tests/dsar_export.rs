//! The right to know: one [`Dsar`] document per subject from records shaped after the seed
//! service, with every CCPA 1798.110 and GDPR Art. 15(1) item, each exported value exactly
//! once, and no value the access rules withhold.

mod dsar_support;

use dsar_support::{at, child, golden, holder, Device, NEVER_DISCLOSED, T0};
use privacy_core::dsar::{Dsar, DsarError};
use privacy_core::PersonalData;
use serde::Serialize;

#[test]
fn the_export_holds_every_exported_value_exactly_once() {
    let record = holder();
    let mut request = Dsar::new("u-1001");
    request.add(&record).unwrap();
    let compact = serde_json::to_string(&request).unwrap();
    let export = record.export();
    let mut checked = 0;
    for pv in record.personal_values() {
        let withheld = [&export]
            .into_iter()
            .chain(nested_exports(&export))
            .filter(|r| r.record() == pv.record)
            .filter_map(|r| r.field(pv.field))
            .any(|f| matches!(f.value, privacy_core::dsar::ExportedValue::Withheld(_)));
        if pv.field == "id" {
            // The subject id also names the document and each record; it is not a secret.
            continue;
        }
        let expected = usize::from(!withheld);
        assert_eq!(
            compact.matches(&pv.value).count(),
            expected,
            "{}.{} in the compact JSON",
            pv.record,
            pv.field
        );
        checked += 1;
    }
    assert_eq!(checked, 9, "every personal value of the holder was checked");
}

fn nested_exports(r: &privacy_core::dsar::RecordExport) -> Vec<&privacy_core::dsar::RecordExport> {
    let mut out = Vec::new();
    for f in r.fields() {
        if let privacy_core::dsar::ExportedValue::Records(nested) = f.value {
            for n in nested {
                out.push(n);
                out.extend(nested_exports(n));
            }
        }
    }
    out
}

#[test]
fn the_export_never_contains_a_password_hint_card_number_security_code_or_government_id() {
    let mut request = Dsar::new("u-1001");
    request.add(&holder()).unwrap();
    let outputs = [
        request.to_json_pretty(),
        serde_json::to_string(&request).unwrap(),
        request.to_markdown(),
    ];
    for text in &outputs {
        for secret in NEVER_DISCLOSED {
            assert!(!text.contains(secret), "a withheld value was disclosed");
        }
    }
    let doc = request.to_json();
    let withheld: Vec<(&str, &str)> = doc["withheld"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["field"].as_str().unwrap(), w["reason"].as_str().unwrap()))
        .collect();
    let fields: Vec<&str> = withheld.iter().map(|(f, _)| *f).collect();
    assert_eq!(
        fields,
        [
            "AccountHolder.passport",
            "AccountHolder.password_hash",
            "AccountHolder.password_hint",
            "PaymentCard.cvc",
            "PaymentCard.number"
        ]
    );
    assert_eq!(withheld[3].1, "transient data is never stored");
    assert!(withheld.iter().all(|(_, reason)| !reason.is_empty()));
    assert_eq!(doc["ccpa_1798_110"]["specific_pieces"]["withheld"], 5);
}

#[test]
fn the_export_states_every_ccpa_1798_110_item() {
    let mut request = Dsar::new("u-1001");
    request.add(&holder()).unwrap();
    let doc = request.to_json();
    let ccpa = &doc["ccpa_1798_110"];
    let categories: Vec<&str> = ccpa["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["category"].as_str().unwrap())
        .collect();
    assert_eq!(
        categories,
        [
            "account.password",
            "account.password_hint",
            "contact.email",
            "device.id",
            "device.ip_address",
            "financial.card_number",
            "financial.card_security_code",
            "identity.account_id",
            "identity.government_id",
            "identity.name"
        ]
    );
    assert_eq!(
        ccpa["ccpa_categories"],
        serde_json::json!([
            "(A) Identifiers",
            "(B) Customer records (Cal. Civ. Code 1798.80(e))"
        ])
    );
    assert_eq!(ccpa["sources"], serde_json::json!(["device", "user"]));
    assert_eq!(
        ccpa["purposes"],
        serde_json::json!([
            "account",
            "authentication",
            "billing",
            "identity-verification",
            "location-sharing",
            "marketing",
            "security"
        ])
    );
    assert_eq!(
        ccpa["third_parties"],
        serde_json::json!(["email-service", "payment-processor"])
    );
    assert_eq!(
        ccpa["categories_shared"],
        serde_json::json!(["contact.email", "financial.card_number"])
    );
    assert_eq!(
        ccpa["specific_pieces"],
        serde_json::json!({ "location": "/records", "values": 5, "withheld": 5 })
    );
    assert_eq!(doc["records"].as_array().unwrap().len(), 1);
}

#[test]
fn the_export_states_every_gdpr_article_15_item() {
    let mut request = Dsar::new("u-1001");
    request.add(&holder()).unwrap();
    let doc = request.to_json();
    let gdpr = &doc["gdpr_art_15"];
    assert_eq!(gdpr["purposes"], doc["ccpa_1798_110"]["purposes"]);
    assert_eq!(gdpr["recipients"], doc["ccpa_1798_110"]["third_parties"]);
    assert_eq!(gdpr["source"], serde_json::json!(["device", "user"]));
    assert_eq!(gdpr["categories"].as_array().unwrap().len(), 10);
    let retention: Vec<String> = gdpr["retention"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!("{}: {} ({})", r["category"], r["retention"], r["kept_for"]).replace('"', "")
        })
        .collect();
    assert!(retention.contains(&"device.ip_address: 90d (90 days after collection)".to_owned()));
    assert!(retention.contains(&"identity.name: account (while the account exists)".to_owned()));
    assert!(retention.contains(&"financial.card_security_code: transient (not stored)".to_owned()));
    let rights = gdpr["rights"].to_string();
    for right in [
        "rectification",
        "erasure",
        "restriction",
        "objection",
        "complaint",
    ] {
        assert!(rights.contains(right), "the right to {right} is stated");
    }
    assert_eq!(
        doc["subject"],
        serde_json::json!({ "id": "u-1001", "kind": ["account holder"] })
    );
}

#[test]
fn a_request_restricted_to_one_kind_of_subject_refuses_records_of_another_kind() {
    let mut request = Dsar::new("c-2001").with_subject_kind("account holder");
    assert_eq!(
        request.add(&child()).unwrap_err(),
        DsarError::OtherKind {
            record: "ChildProfile",
            kind: "child"
        }
    );
    assert!(request.records().is_empty());
    let mut request = Dsar::new("c-2001").with_subject_kind("child");
    request.add(&child()).unwrap();
    assert_eq!(request.subject_kind(), Some("child"));
    assert_eq!(request.records().len(), 1);
    assert_eq!(
        DsarError::OtherKind {
            record: "ChildProfile",
            kind: "child"
        }
        .to_string(),
        "a ChildProfile record describes a `child`, not the kind of subject of this request"
    );
}

#[test]
fn a_record_of_another_subject_is_refused_and_adds_nothing() {
    let mut request = Dsar::new("u-1001");
    assert_eq!(
        request.add(&child()).unwrap_err(),
        DsarError::OtherSubject {
            record: "ChildProfile"
        }
    );
    assert!(request.records().is_empty());
    assert_eq!(
        request.add(&child()).unwrap_err().to_string(),
        "a ChildProfile record of another data subject was added to this request"
    );
}

#[test]
fn a_record_without_subject_id_is_refused_unless_nested_in_its_parent() {
    let mut request = Dsar::new("u-1001");
    let device = Device {
        imei: "1".into(),
        ip: "::1".parse().unwrap(),
        seen_at: at(0),
    };
    assert_eq!(
        request.add_export(device.export()).unwrap_err(),
        DsarError::NoSubject { record: "Device" }
    );
    assert_eq!(request.add(&holder()), Ok(()));
    assert_eq!(request.records().len(), 1);
}

#[derive(PersonalData, Serialize)]
#[personal(subject = "account holder")]
struct Household {
    #[personal(subject_id)]
    id: String,
    #[personal(nested)]
    children: Vec<dsar_support::ChildProfile>,
}

#[test]
fn a_nested_record_of_another_subject_is_refused_with_its_parent() {
    let mut request = Dsar::new("u-1001");
    let household = Household {
        id: "u-1001".into(),
        children: vec![child()],
    };
    assert_eq!(
        request.add(&household).unwrap_err(),
        DsarError::OtherSubject {
            record: "ChildProfile"
        }
    );
    assert!(request.records().is_empty());
}

#[test]
fn records_nested_without_a_subject_kind_take_their_parents() {
    let mut request = Dsar::new("c-2001");
    request.add(&child()).unwrap();
    assert_eq!(
        request.to_json()["subject"]["kind"],
        serde_json::json!(["child"])
    );
}

#[test]
fn a_date_appears_only_when_given() {
    let mut request = Dsar::new("c-2001");
    request.add(&child()).unwrap();
    assert!(request.to_json().get("generated_at").is_none());
    let dated = request.with_generated_at(at(T0));
    assert_eq!(dated.to_json()["generated_at"], "2023-11-14T22:13:20Z");
    assert!(dated
        .to_markdown()
        .contains("Prepared: 2023-11-14T22:13:20Z"));
}

#[test]
fn the_child_document_matches_its_golden_files() {
    let mut request = Dsar::new("c-2001");
    request.add(&child()).unwrap();
    golden("dsar_child.json", &(request.to_json_pretty() + "\n"));
    golden("dsar_child.md", &request.to_markdown());
}

#[test]
fn the_account_holder_document_matches_its_golden_files() {
    let mut request = Dsar::new("u-1001").with_generated_at(at(T0));
    request.add(&holder()).unwrap();
    golden("dsar_holder.json", &(request.to_json_pretty() + "\n"));
    golden("dsar_holder.md", &request.to_markdown());
}

#[test]
fn the_same_records_give_the_same_bytes() {
    let render = || {
        let mut request = Dsar::new("u-1001");
        request.add(&holder()).unwrap();
        (request.to_json_pretty(), request.to_markdown())
    };
    assert_eq!(render(), render());
}

mod billing {
    use privacy_core::PersonalData;

    #[derive(PersonalData, serde::Serialize)]
    #[personal(name = "BillingAccount", subject = "customer")]
    pub struct Account {
        #[personal(subject_id)]
        pub id: String,
        #[personal(category = "contact.postal_address", purpose = "billing")]
        pub address: String,
    }
}

#[test]
fn an_export_and_an_erasure_report_name_the_record_by_its_pinned_name() {
    let mut record = billing::Account {
        id: "c-1".into(),
        address: "1 Market St".into(),
    };
    let export = record.export();
    assert_eq!(export.record(), "BillingAccount");
    assert!(
        export.json().starts_with(r#"{"record":"BillingAccount","#),
        "{}",
        export.json()
    );
    let report = record.erase();
    let report = serde_json::to_value(&report).unwrap();
    assert_eq!(report["record"], "BillingAccount");
}
