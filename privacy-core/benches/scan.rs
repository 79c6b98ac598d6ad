//! Leak scan throughput: 16 MiB of log text searched for every value of 100 records in every
//! encoding (one pass: a sampling prefilter, then an anchored Aho-Corasick automaton where a
//! pattern may start), against `memchr::memmem` searching one value.

#[path = "support/mod.rs"]
mod support;

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, Throughput};
use memchr::memmem;
use privacy_core::testing::LeakScanner;
use privacy_core::{Category, PersonalValue};

const TEXT_LEN: usize = 16 << 20;
const RECORDS: usize = 100;

/// A small deterministic generator (xorshift64*), so every run scans the same text.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        let i = self.next() % items.len() as u64;
        items[usize::try_from(i).unwrap_or(0)]
    }
}

fn records() -> Vec<PersonalValue> {
    let mut values = Vec::new();
    let mut push = |field, category, value: String| {
        values.push(PersonalValue {
            record: "Account",
            field,
            category,
            value,
        });
    };
    for i in 0..RECORDS {
        push(
            "id",
            Category::IdentityAccountId,
            format!("{}", 7_000_000 + i * 7919),
        );
        push(
            "email",
            Category::ContactEmail,
            format!("customer.{i}@mail-{}.example.com", i % 7),
        );
        push(
            "name",
            Category::IdentityName,
            format!("Customer Number{i} Smith"),
        );
        push(
            "ip",
            Category::DeviceIpAddress,
            format!("198.51.100.{}", i + 1),
        );
        push(
            "phone",
            Category::ContactPhone,
            format!("+1415555{:04}", 1000 + i),
        );
        push(
            "card",
            Category::FinancialCardNumber,
            format!("4000056655{:06}", 100_000 + i),
        );
    }
    values
}

/// Realistic `tracing`-style log lines without personal data, with one raw email planted.
fn log_text() -> String {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let levels = [" INFO", " INFO", " INFO", "DEBUG", " WARN"];
    let targets = [
        "api::orders",
        "api::auth",
        "db::pool",
        "cache",
        "http::server",
    ];
    let verbs = ["GET", "POST", "PUT", "DELETE"];
    let paths = [
        "/api/v1/orders",
        "/api/v1/cart",
        "/health",
        "/api/v1/items",
        "/static/app.js",
    ];
    let mut text = String::with_capacity(TEXT_LEN + 256);
    let mut line = 0u64;
    while text.len() < TEXT_LEN {
        line += 1;
        let _ = writeln!(
            text,
            "2024-05-{:02}T{:02}:{:02}:{:02}.{:06}Z{} {}: request{{method={} path={}/{} req_id={:016x}}}: handled status={} bytes={} took={}ms",
            1 + rng.below(28),
            rng.below(24),
            rng.below(60),
            rng.below(60),
            rng.below(1_000_000),
            rng.pick(&levels),
            rng.pick(&targets),
            rng.pick(&verbs),
            rng.pick(&paths),
            rng.below(100_000),
            rng.next(),
            rng.pick(&[200, 201, 204, 404, 500]),
            rng.below(65_536),
            rng.below(2_000),
        );
        if line == 50_000 {
            text.push_str(" WARN api::auth: reset sent to=customer.42@mail-0.example.com\n");
        }
    }
    text
}

fn main() {
    let text = log_text();
    let values = records();
    let needle = values[6 * 42 + 1].value.clone();
    let scanner = LeakScanner::from_values(values).expect("scanner");
    let finder = memmem::Finder::new(needle.as_bytes());
    println!(
        "scan: {} bytes of logs, {RECORDS} records, {} patterns, {} leaks, {scanner:?}",
        text.len(),
        scanner.pattern_count(),
        scanner.scan(&text).len()
    );

    let mut c = Criterion::default().configure_from_args().sample_size(10);
    let mut group = c.benchmark_group("scan");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("leak_scanner_100_records_all_encodings", |b| {
        b.iter(|| scanner.scan(black_box(&text)));
    });
    group.bench_function("memmem_one_value", |b| {
        b.iter(|| finder.find_iter(black_box(text.as_bytes())).count());
    });
    group.finish();
    c.final_summary();

    let r = support::ratio(
        "leak scan (100 records, all encodings) / memmem (one value)",
        || scanner.scan(black_box(&text)),
        || finder.find_iter(black_box(text.as_bytes())).count(),
    );
    println!(
        "full scan throughput = {:.2}x single-pattern memmem (target >= 0.25x)",
        1.0 / r
    );
}
