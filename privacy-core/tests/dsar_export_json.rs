//! `RecordExport::json`, written while the export is built from metadata rendered once per
//! type, is byte for byte what the structured `Serialize` path writes, for every shape of
//! field: values, withheld fields, nested records, values that fail to serialize, metadata
//! from outside the record's schema, and text that needs escaping.

mod dsar_support;

use dsar_support::{child, holder};
use privacy_core::dsar::{ExportedValue, RecordExport};
use privacy_core::{PersonalData, RecordSchema};
use serde::{Serialize, Serializer};

fn assert_same_json(export: &RecordExport) {
    let structured = serde_json::to_string(export).expect("serializes");
    assert_eq!(export.json(), structured);
    let parsed: serde_json::Value = serde_json::from_str(export.json()).expect("valid JSON");
    assert_eq!(
        parsed["fields"].as_array().map(Vec::len),
        Some(export.fields().len())
    );
}

#[test]
fn the_seed_records_write_the_same_json_both_ways() {
    for export in [holder().export(), child().export()] {
        assert_same_json(&export);
        // Twice: the second export of a type copies the cached metadata.
        assert_same_json(&export.clone());
    }
    assert_same_json(&holder().export());
}

#[test]
fn nested_records_are_written_inside_their_field() {
    let export = holder().export();
    let nested: Vec<&RecordExport> = export
        .fields()
        .filter_map(|f| match f.value {
            ExportedValue::Records(records) => Some(records),
            _ => None,
        })
        .flatten()
        .collect();
    assert!(!nested.is_empty(), "the holder has nested records");
    for n in nested {
        assert!(export.json().contains(n.json()));
        assert_same_json(n);
    }
}

#[test]
fn each_value_view_is_the_json_of_that_value() {
    let record = holder();
    let export = record.export();
    for pv in record.personal_values() {
        let Some(field) = export.field(pv.field) else {
            continue;
        };
        if let ExportedValue::Value(json) = field.value {
            let value = field.value.json().expect("parses");
            assert_eq!(serde_json::to_string(&value).expect("writes"), json);
        }
    }
}

#[derive(PersonalData, Serialize)]
#[personal(subject = "customer")]
struct Odd {
    #[personal(subject_id)]
    id: String,
    #[personal(category = "contact.email")]
    email: String,
    #[personal(category = "identity.name")]
    name: Refuses,
    #[personal(category = "contact.phone")]
    phone: String,
}

/// A value whose `Serialize` fails, with an error text that quotes the value.
struct Refuses(&'static str);

impl Serialize for Refuses {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let _ = serializer;
        Err(serde::ser::Error::custom(format!(
            "cannot write {}",
            self.0
        )))
    }
}

impl privacy_core::Erase for Refuses {
    fn erase(&mut self) {
        self.0 = "";
    }
    fn is_erased(&self) -> bool {
        self.0.is_empty()
    }
}

fn odd() -> Odd {
    Odd {
        id: "id \"quoted\" \\ \u{1}".into(),
        email: "ana\"@example.com".into(),
        name: Refuses("Ana Secret"),
        phone: "+1 415 555 \u{e9}".into(),
    }
}

#[test]
fn a_value_that_fails_to_serialize_is_withheld_and_the_rest_still_follows() {
    let export = odd().export();
    assert_same_json(&export);
    assert!(!export.json().contains("Ana Secret"));
    let name = export.field("name").expect("listed");
    assert!(
        matches!(name.value, ExportedValue::Withheld(r) if r.contains("could not be serialized"))
    );
    let phone = export.field("phone").expect("listed");
    assert_eq!(
        phone.value.json(),
        Some(serde_json::json!("+1 415 555 \u{e9}"))
    );
}

#[test]
fn escaped_text_in_the_subject_id_and_values_stays_valid_json() {
    let export = odd().export();
    let parsed: serde_json::Value = serde_json::from_str(export.json()).expect("valid JSON");
    assert_eq!(parsed["subject_id"], "id \"quoted\" \\ \u{1}");
    let email = parsed["fields"]
        .as_array()
        .and_then(|fields| fields.iter().find(|f| f["field"] == "email"))
        .expect("the email entry");
    assert_eq!(email["value"], "ana\"@example.com");
}

#[test]
fn metadata_from_another_schema_is_rendered_on_the_spot() {
    // A hand-written export may push a field of another type's schema.
    let schema: &'static RecordSchema = Odd::schema();
    let foreign = holder().record_schema();
    let meta = foreign
        .fields
        .iter()
        .find(|f| f.category.is_some() && f.withheld_reason().is_none() && f.nested.is_none())
        .expect("a plain field");
    let mut export = RecordExport::new(schema, Some("7".into()));
    export.push_value(&schema.fields[1], "a@example.com");
    export.push_value(meta, &42);
    export.push_value(&schema.fields[3], "+1 415");
    assert_same_json(&export);
    assert_eq!(export.fields().len(), 3);
}

#[test]
fn debug_shows_field_names_but_no_value_and_no_subject_id() {
    let record = odd();
    let export = record.export();
    let debug = format!("{export:?} {:?}", export.fields().collect::<Vec<_>>());
    assert!(debug.contains("email") && debug.contains("Odd"));
    assert!(!debug.contains("ana"), "{debug}");
    assert!(!debug.contains("quoted"), "{debug}");
}
