//! The streamed right-to-know document: [`DsarWriter`] writes the document [`Dsar`] builds,
//! record by record, refuses what `Dsar` refuses without spoiling what was written, and
//! leaves an unfinished document visibly incomplete.

mod dsar_support;

use std::io::{self, Write};

use dsar_support::{at, child, holder, Device, LocationPing, DAY, NEVER_DISCLOSED, T0};
use privacy_core::dsar::{Dsar, DsarError, DsarWriteError, DsarWriter};
use privacy_core::PersonalData;
use serde::Serialize;
use serde_json::Value;

/// Many records of one subject: the child profile with its pings, and pings on their own.
fn child_records() -> Vec<Box<dyn PersonalData>> {
    let mut records: Vec<Box<dyn PersonalData>> = vec![Box::new(child())];
    for i in 0..50u32 {
        records.push(Box::new(Ping {
            child_id: "c-2001".into(),
            ping: LocationPing {
                position: (i % 7 != 0).then(|| (37.7 + f64::from(i) / 1000.0, -122.4)),
                at: at(T0 + u64::from(i) * DAY),
            },
        }));
    }
    records
}

/// A location ping stored on its own, naming its subject.
#[derive(PersonalData, Serialize)]
#[personal(subject = "child")]
struct Ping {
    #[personal(subject_id)]
    child_id: String,
    #[personal(nested)]
    ping: LocationPing,
}

fn dsar_of(id: &str, records: &[Box<dyn PersonalData>]) -> Dsar {
    let mut request = Dsar::new(id);
    for r in records {
        request.add(r.as_ref()).unwrap();
    }
    request
}

fn streamed_json(id: &str, records: &[Box<dyn PersonalData>]) -> Vec<u8> {
    let mut writer = DsarWriter::json(Vec::new(), id);
    for r in records {
        writer.add(r.as_ref()).unwrap();
    }
    writer.finish().unwrap()
}

fn parse(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("a complete JSON document")
}

/// `Dsar::to_markdown` with its overview (from `Subject:` to the `## The data` heading)
/// moved after the records, under `## Summary`: the documented layout of the stream.
fn summary_last(markdown: &str) -> String {
    let title = "# Your personal data\n\n";
    let data = markdown.find("## The data\n\n").unwrap();
    let closing = markdown
        .find("\n## Held but not shown")
        .or_else(|| markdown.find("\n## Your rights"))
        .unwrap();
    let overview = &markdown[title.len()..data - 1];
    format!(
        "{title}The records come first. What they hold, why, where it comes from, who it is \
         shared with, how long it is kept, what is not shown and your rights follow them, \
         under \"Summary\".\n\n{}\n## Summary\n\n{overview}{}",
        &markdown[data..closing],
        &markdown[closing..]
    )
}

#[test]
fn the_streamed_json_is_the_document_dsar_builds() {
    let records = child_records();
    let streamed = streamed_json("c-2001", &records);
    assert_eq!(parse(&streamed), dsar_of("c-2001", &records).to_json());

    let holder: Vec<Box<dyn PersonalData>> = vec![Box::new(holder()), Box::new(holder())];
    let streamed = streamed_json("u-1001", &holder);
    assert_eq!(parse(&streamed), dsar_of("u-1001", &holder).to_json());
}

#[test]
fn the_streamed_json_keeps_every_record_in_order_and_counts_every_value() {
    let records = child_records();
    let doc = parse(&streamed_json("c-2001", &records));
    let written = doc["records"].as_array().unwrap();
    assert_eq!(written.len(), 51);
    for (r, w) in records.iter().zip(written) {
        assert_eq!(
            w,
            &serde_json::from_str::<Value>(r.export().json()).unwrap()
        );
    }
    // The profile's id, name, birth date and two pings; then 50 ids and 50 positions (a
    // missing position is a value too: `null`).
    assert_eq!(
        doc["ccpa_1798_110"]["specific_pieces"]["values"],
        5 + 50 + 50
    );
}

#[test]
fn a_dated_document_states_its_date_in_both_forms() {
    let records = child_records();
    let json = DsarWriter::json(Vec::new(), "c-2001").with_generated_at(at(T0));
    let markdown = DsarWriter::markdown(Vec::new(), "c-2001").with_generated_at(at(T0));
    let (mut json, mut markdown) = (json, markdown);
    for r in &records {
        json.add(r.as_ref()).unwrap();
        markdown.add(r.as_ref()).unwrap();
    }
    let request = dsar_of("c-2001", &records).with_generated_at(at(T0));
    let doc = parse(&json.finish().unwrap());
    assert_eq!(doc["generated_at"], "2023-11-14T22:13:20Z");
    assert_eq!(doc, request.to_json());
    let markdown = String::from_utf8(markdown.finish().unwrap()).unwrap();
    assert_eq!(markdown, summary_last(&request.to_markdown()));
    assert!(markdown.contains("Prepared: 2023-11-14T22:13:20Z  \n"));
}

#[test]
fn the_streamed_markdown_is_dsars_with_the_summary_after_the_records() {
    for (id, records) in [
        ("c-2001", child_records()),
        ("u-1001", vec![Box::new(holder()) as Box<dyn PersonalData>]),
    ] {
        let mut writer = DsarWriter::markdown(Vec::new(), id);
        for r in &records {
            writer.add(r.as_ref()).unwrap();
        }
        let streamed = String::from_utf8(writer.finish().unwrap()).unwrap();
        assert_eq!(streamed, summary_last(&dsar_of(id, &records).to_markdown()));
    }
}

#[test]
fn an_answer_with_no_records_is_still_a_complete_document() {
    let json = DsarWriter::json(Vec::new(), "u-1").finish().unwrap();
    assert_eq!(parse(&json), Dsar::new("u-1").to_json());
    let markdown = DsarWriter::markdown(Vec::new(), "u-1").finish().unwrap();
    let markdown = String::from_utf8(markdown).unwrap();
    assert_eq!(markdown, summary_last(&Dsar::new("u-1").to_markdown()));
}

#[test]
fn refused_records_write_nothing_and_the_document_goes_on() {
    let mut writer = DsarWriter::json(Vec::new(), "c-2001").with_subject_kind("child");
    writer.add(&child()).unwrap();
    let device = Device {
        imei: "356938035643809".into(),
        ip: "198.51.100.23".parse().unwrap(),
        seen_at: at(T0),
    };
    let other_child = Ping {
        child_id: "c-9999".into(),
        ping: LocationPing {
            position: None,
            at: at(T0),
        },
    };
    let nested_other = Household {
        id: "c-2001".into(),
        children: vec![{
            let mut c = child();
            c.id = "c-9999".into();
            c
        }],
    };
    let refusals = [
        writer.add(&holder()).unwrap_err(),
        writer.add(&device).unwrap_err(),
        writer.add(&other_child).unwrap_err(),
        writer.add(&nested_other).unwrap_err(),
    ];
    let refusals: Vec<Option<&DsarError>> = refusals.iter().map(DsarWriteError::refused).collect();
    assert_eq!(
        refusals,
        [
            Some(&DsarError::OtherSubject {
                record: "AccountHolder"
            }),
            Some(&DsarError::NoSubject { record: "Device" }),
            Some(&DsarError::OtherSubject { record: "Ping" }),
            Some(&DsarError::OtherSubject {
                record: "ChildProfile"
            }),
        ]
    );
    let of_kind = DsarWriter::json(Vec::new(), "u-1001").with_subject_kind("child");
    let mut of_kind = of_kind;
    assert_eq!(
        of_kind.add(&holder()).unwrap_err().refused(),
        Some(&DsarError::OtherKind {
            record: "AccountHolder",
            kind: "account holder"
        })
    );
    writer.add(&child()).unwrap();
    assert_eq!(writer.records_written(), 2);
    let doc = parse(&writer.finish().unwrap());
    let records: Vec<Box<dyn PersonalData>> = vec![Box::new(child()), Box::new(child())];
    assert_eq!(doc, dsar_of("c-2001", &records).to_json());
}

/// A parent record naming the child's id as its own, holding a child of another id.
#[derive(PersonalData, Serialize)]
#[personal(subject = "child")]
struct Household {
    #[personal(subject_id)]
    id: String,
    #[personal(nested)]
    children: Vec<dsar_support::ChildProfile>,
}

#[test]
fn an_unfinished_document_does_not_parse_as_complete() {
    let mut out = Vec::new();
    {
        let mut writer = DsarWriter::json(&mut out, "c-2001");
        for r in &child_records() {
            writer.add(r.as_ref()).unwrap();
        }
        writer.flush().unwrap();
        // Dropped without `finish`.
    }
    assert!(out.starts_with(b"{\"records\":["));
    assert!(serde_json::from_slice::<Value>(&out).is_err());

    let mut out = Vec::new();
    {
        let mut writer = DsarWriter::markdown(&mut out, "c-2001");
        writer.add(&child()).unwrap();
        writer.flush().unwrap();
    }
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("## The data"));
    assert!(!text.contains("## Summary") && !text.contains("## Your rights"));
}

/// Accepts `room` bytes, then fails every write.
#[derive(Debug)]
struct FullDisk {
    written: Vec<u8>,
    room: usize,
}

impl Write for FullDisk {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.written.len() >= self.room {
            return Err(io::Error::new(io::ErrorKind::WriteZero, "disk full"));
        }
        let n = buf.len().min(self.room - self.written.len());
        self.written.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_failed_write_is_reported_and_ends_the_document() {
    let disk = FullDisk {
        written: Vec::new(),
        room: 100,
    };
    let mut writer = DsarWriter::json(disk, "u-1001");
    writer.add(&holder()).unwrap();
    let err = writer.flush().unwrap_err();
    assert!(matches!(err, DsarWriteError::Io(ref e) if e.kind() == io::ErrorKind::WriteZero));
    assert_eq!(
        err.to_string(),
        "writing the right-to-know document failed: disk full"
    );
    assert!(matches!(
        writer.add(&holder()).unwrap_err(),
        DsarWriteError::Broken
    ));
    let err = writer.finish().unwrap_err();
    assert_eq!(
        err.to_string(),
        "an earlier write failed; the right-to-know document is incomplete"
    );
}

#[test]
fn errors_and_debug_output_carry_no_personal_data() {
    let mut writer = DsarWriter::json(Vec::new(), "u-1001");
    writer.add(&holder()).unwrap();
    let refused = writer.add(&child()).unwrap_err();
    let texts = [
        refused.to_string(),
        format!("{refused:?}"),
        format!("{writer:?}"),
    ];
    for text in &texts {
        for secret in NEVER_DISCLOSED.iter().chain(&["u-1001", "c-2001", "Sofia"]) {
            assert!(!text.contains(secret), "{text} discloses a value");
        }
    }
    let json = String::from_utf8(writer.finish().unwrap()).unwrap();
    for secret in NEVER_DISCLOSED {
        assert!(!json.contains(secret), "a withheld value was disclosed");
    }
}

#[test]
fn a_long_answer_is_handed_to_the_writer_in_chunks_and_stays_whole() {
    /// Counts the writes it gets.
    struct Chunks(Vec<u8>, usize);
    impl Write for Chunks {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.1 += 1;
            self.0.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut writer = DsarWriter::json(Chunks(Vec::new(), 0), "c-2001");
    for i in 0..2_000u32 {
        let ping = Ping {
            child_id: "c-2001".into(),
            ping: LocationPing {
                position: Some((f64::from(i), 1.5)),
                at: at(T0),
            },
        };
        writer.add_export(ping.export()).unwrap();
    }
    let Chunks(bytes, writes) = writer.finish().unwrap();
    assert!(writes > 2, "written as it goes, not at the end");
    let doc = parse(&bytes);
    assert_eq!(doc["records"].as_array().unwrap().len(), 2_000);
    assert_eq!(doc["ccpa_1798_110"]["specific_pieces"]["values"], 4_000);
    assert_eq!(doc["subject"]["kind"], serde_json::json!(["child"]));
}
