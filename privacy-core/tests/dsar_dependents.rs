//! A right-to-know request made by a parent on behalf of the children in their care
//! (`Dsar::with_dependents`, `DsarWriter::with_dependents`): the children's records are
//! accepted, every record says on whose behalf it is included, strangers are still refused.

mod dsar_support;

use dsar_support::{child, holder};
use privacy_core::dsar::{Dsar, DsarError, DsarWriter};

fn other_child() -> dsar_support::ChildProfile {
    let mut c = child();
    c.id = "c-9999".into();
    c
}

#[test]
fn a_parent_request_accepts_the_records_of_listed_dependents() {
    let mut request = Dsar::new("u-1001").with_dependents(["c-2001"]);
    request.add(&holder()).unwrap();
    request.add(&child()).unwrap();
    assert_eq!(
        request.add(&other_child()),
        Err(DsarError::OtherSubject {
            record: "ChildProfile"
        })
    );
    assert_eq!(request.records().len(), 2);
    assert_eq!(request.dependents(), ["c-2001"]);
}

#[test]
fn the_json_says_on_whose_behalf_each_record_is_included() {
    let mut request = Dsar::new("u-1001").with_dependents(["c-2001", "c-2001", "c-2002"]);
    request.add(&holder()).unwrap();
    request.add(&child()).unwrap();
    let doc = request.to_json();
    assert_eq!(doc["records"][0]["on_behalf_of"], "u-1001");
    assert_eq!(doc["records"][1]["on_behalf_of"], "c-2001");
    assert_eq!(doc["records"][1]["record"], "ChildProfile");
    assert_eq!(doc["subject"]["id"], "u-1001");
    assert_eq!(
        doc["subject"]["dependents"],
        serde_json::json!(["c-2001", "c-2002"])
    );
    // The rest of each record is what the subject's own request shows.
    let mut own = Dsar::new("c-2001");
    own.add(&child()).unwrap();
    let mut record = doc["records"][1].clone();
    record.as_object_mut().unwrap().remove("on_behalf_of");
    assert_eq!(record, own.to_json()["records"][0]);
}

#[test]
fn the_markdown_marks_the_dependents_records() {
    let mut request = Dsar::new("u-1001").with_dependents(["c-2001"]);
    request.add(&holder()).unwrap();
    request.add(&child()).unwrap();
    let md = request.to_markdown();
    assert!(
        md.contains("Also on behalf of, in the requester's care: `c-2001`  \n"),
        "{md}"
    );
    assert!(
        md.contains("- **ChildProfile** (on behalf of `c-2001`)\n"),
        "{md}"
    );
    assert!(md.contains("- **AccountHolder**\n"), "{md}");
}

#[test]
fn the_streamed_document_equals_the_one_in_memory() {
    let mut request = Dsar::new("u-1001").with_dependents(["c-2001"]);
    request.add(&holder()).unwrap();
    request.add(&child()).unwrap();
    let mut writer = DsarWriter::json(Vec::new(), "u-1001").with_dependents(["c-2001"]);
    writer.add(&holder()).unwrap();
    writer.add(&child()).unwrap();
    assert!(writer.add(&other_child()).is_err());
    let streamed: serde_json::Value = serde_json::from_slice(&writer.finish().unwrap()).unwrap();
    assert_eq!(streamed, request.to_json());

    let mut md = DsarWriter::markdown(Vec::new(), "u-1001").with_dependents(["c-2001"]);
    md.add(&child()).unwrap();
    let md = String::from_utf8(md.finish().unwrap()).unwrap();
    assert!(
        md.contains("- **ChildProfile** (on behalf of `c-2001`)\n"),
        "{md}"
    );
    assert!(md.contains("Also on behalf of, in the requester's care: `c-2001`"));
}

#[test]
fn without_dependents_nothing_changes() {
    let mut plain = Dsar::new("c-2001");
    plain.add(&child()).unwrap();
    let mut empty = Dsar::new("c-2001").with_dependents(Vec::<String>::new());
    empty.add(&child()).unwrap();
    assert_eq!(plain.to_json_pretty(), empty.to_json_pretty());
    assert_eq!(plain.to_markdown(), empty.to_markdown());
    assert!(plain.to_json()["records"][0].get("on_behalf_of").is_none());
}
