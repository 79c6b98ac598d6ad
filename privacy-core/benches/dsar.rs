//! The streamed right-to-know document (`DsarWriter`) per record, against the bare export of
//! the same records (`export().into_json()`), at 1,000 and 1,000,000 records; and the peak
//! memory of a 1,000,000-record answer written to a file.
//!
//! The records are SafePath's location pings (one every five minutes is ~105,000 a year for
//! one child): a subject id, a position, a collection time and a sequence number.
//!
//! `cargo bench -p privacy-core --bench dsar` prints, in this order: the peak resident set
//! size (Linux `VmHWM`) of writing 1,000,000 records to a file as JSON and then as
//! Markdown, the records generated one at a time as if read from a database (measured first,
//! before the timing runs hold their records in memory); criterion's timings; the ratios.
//! `DSAR_BENCH_MEMORY_ONLY=1` stops after the memory figures.

#[path = "support/mod.rs"]
mod support;

use std::fs::File;
use std::hint::black_box;
use std::io;
use std::path::Path;
use std::time::{Duration, SystemTime};

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use privacy_core::dsar::DsarWriter;
use privacy_core::PersonalData;
use serde::Serialize;

const CHILD: &str = "c-2001";

#[derive(PersonalData, Serialize)]
#[personal(subject = "child")]
struct LocationPing {
    #[personal(subject_id)]
    child_id: String,
    #[personal(
        category = "location.precise",
        purpose = "location-sharing",
        source = "device",
        shared_with = "parent",
        retention = "30d",
        anonymize = "coarse_location"
    )]
    position: Option<(f64, f64)>,
    #[personal(collected_at)]
    recorded_at: SystemTime,
    #[personal(not_personal)]
    seq: u32,
}

/// The `i`-th ping: five minutes after the one before, wandering around San Francisco.
fn ping(i: u32) -> LocationPing {
    let step = f64::from(i % 10_000) * 1e-5;
    LocationPing {
        child_id: CHILD.to_owned(),
        position: Some((37.773_972 + step, -122.431_297 - step)),
        recorded_at: SystemTime::UNIX_EPOCH
            + Duration::from_secs(1_700_000_000 + 300 * u64::from(i)),
        seq: i,
    }
}

/// The baseline: every record's bare export, as JSON.
fn exports(records: &[LocationPing]) -> usize {
    records
        .iter()
        .map(|r| black_box(r.export().into_json()).len())
        .sum()
}

fn json(records: &[LocationPing]) -> io::Sink {
    let mut writer = DsarWriter::json(io::sink(), CHILD);
    for r in records {
        writer.add(r).unwrap_or_else(|e| panic!("{e}"));
    }
    writer.finish().unwrap_or_else(|e| panic!("{e}"))
}

fn markdown(records: &[LocationPing]) -> io::Sink {
    let mut writer = DsarWriter::markdown(io::sink(), CHILD);
    for r in records {
        writer.add(r).unwrap_or_else(|e| panic!("{e}"));
    }
    writer.finish().unwrap_or_else(|e| panic!("{e}"))
}

/// The process's peak resident set size so far, in KiB (Linux only).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn mib(kib: Option<u64>) -> String {
    #[allow(clippy::cast_precision_loss)]
    kib.map_or_else(
        || "unavailable".to_owned(),
        |k| format!("{:.1} MiB", k as f64 / 1024.0),
    )
}

/// Writes `n` records generated one at a time to `path`; returns the file's size.
fn answer_to_file(path: &Path, n: u32, as_json: bool) -> u64 {
    let file = File::create(path).unwrap_or_else(|e| panic!("{e}"));
    let mut writer = if as_json {
        DsarWriter::json(file, CHILD)
    } else {
        DsarWriter::markdown(file, CHILD)
    };
    for i in 0..n {
        writer.add(&ping(i)).unwrap_or_else(|e| panic!("{e}"));
    }
    let file = writer.finish().unwrap_or_else(|e| panic!("{e}"));
    file.metadata().map_or(0, |m| m.len())
}

fn memory(n: u32) {
    let dir = std::env::temp_dir();
    let path = dir.join(format!("privacy-dsar-bench-{}", std::process::id()));
    let start = peak_rss_kib();
    let started = std::time::Instant::now();
    let json_bytes = answer_to_file(&path, n, true);
    let json_time = started.elapsed();
    let after_json = peak_rss_kib();
    let started = std::time::Instant::now();
    let markdown_bytes = answer_to_file(&path, n, false);
    let markdown_time = started.elapsed();
    let after_markdown = peak_rss_kib();
    let _ = std::fs::remove_file(&path);
    println!(
        "memory: peak RSS before {}; after writing {n} records as JSON to a file ({} MB, {:.2} s) {}; \
         after Markdown ({} MB, {:.2} s) {} (limit 64 MiB)",
        mib(start),
        json_bytes / 1_000_000,
        json_time.as_secs_f64(),
        mib(after_json),
        markdown_bytes / 1_000_000,
        markdown_time.as_secs_f64(),
        mib(after_markdown),
    );
}

fn main() {
    const MILLION: u32 = 1_000_000;
    memory(MILLION);
    if std::env::var_os("DSAR_BENCH_MEMORY_ONLY").is_some() {
        return;
    }

    let small: Vec<LocationPing> = (0..1_000).map(ping).collect();
    let large: Vec<LocationPing> = (0..MILLION).map(ping).collect();

    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    for records in [&small, &large] {
        let n = records.len();
        let mut g = criterion.benchmark_group("dsar");
        g.throughput(Throughput::Elements(n as u64));
        if n > 10_000 {
            g.sample_size(10).sampling_mode(SamplingMode::Flat);
        }
        g.bench_with_input(
            BenchmarkId::new("export().into_json()", n),
            records,
            |b, r| {
                b.iter(|| exports(r));
            },
        );
        g.bench_with_input(BenchmarkId::new("DsarWriter::json", n), records, |b, r| {
            b.iter(|| json(r));
        });
        g.bench_with_input(
            BenchmarkId::new("DsarWriter::markdown", n),
            records,
            |b, r| {
                b.iter(|| markdown(r));
            },
        );
        g.finish();
    }
    criterion.final_summary();

    // Same-run ratios, per record (the medians are per call of n records).
    let mut per_record = Vec::new();
    for (records, rounds) in [(&small, 21), (&large, 5)] {
        #[allow(clippy::cast_precision_loss)]
        let n = records.len() as f64;
        let (j, base_j) = support::compare(
            &format!("JSON document vs export().into_json(), {n} records"),
            rounds,
            || json(black_box(records)),
            || exports(black_box(records)),
        );
        let (m, base_m) = support::compare(
            &format!("Markdown document vs export().into_json(), {n} records"),
            rounds,
            || markdown(black_box(records)),
            || exports(black_box(records)),
        );
        println!(
            "per record at {n}: export {:.0} ns, JSON document {:.0} ns ({:.2}x), \
             Markdown {:.0} ns ({:.2}x)",
            base_j / n,
            j / n,
            j / base_j,
            m / n,
            m / base_m
        );
        per_record.push((j / n, m / n, (base_j + base_m) / 2.0 / n));
    }
    if let [(j1, m1, b1), (j2, m2, b2)] = per_record[..] {
        println!(
            "linearity (per record at 1,000,000 / at 1,000): JSON {:.2}x, Markdown {:.2}x, \
             export {:.2}x (target <= 1.2x)",
            j2 / j1,
            m2 / m1,
            b2 / b1
        );
    }
}
