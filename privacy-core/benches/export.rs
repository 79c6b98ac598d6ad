//! `export()` + JSON of a 10-field record vs `serde_json::to_string` of the same record.
//!
//! `cargo bench -p privacy-core --bench export`; the ratio prints at the end.

#[path = "support/mod.rs"]
mod support;

use std::hint::black_box;
use std::net::IpAddr;

use criterion::Criterion;
use privacy_core::PersonalData;
use serde::Serialize;

#[derive(PersonalData, Serialize)]
#[personal(subject = "customer")]
struct Customer {
    #[personal(subject_id)]
    id: u64,
    #[personal(category = "identity.name", purpose = "account", source = "user")]
    name: String,
    #[personal(
        category = "contact.email",
        purpose = "account, marketing",
        source = "user",
        shared_with = "email-service"
    )]
    email: String,
    #[personal(category = "contact.phone", purpose = "account", source = "user")]
    phone: String,
    #[personal(
        category = "contact.postal_address",
        purpose = "billing",
        source = "user",
        shared_with = "payment-processor"
    )]
    address: String,
    #[personal(
        category = "demographic.birth_date",
        purpose = "children-protection",
        source = "user"
    )]
    birth_date: String,
    #[personal(
        category = "device.ip_address",
        purpose = "security",
        source = "device"
    )]
    ip: Option<IpAddr>,
    #[personal(category = "device.id", purpose = "support", source = "device")]
    imei: String,
    #[personal(
        category = "location.imprecise",
        purpose = "analytics",
        source = "device"
    )]
    city: String,
    #[personal(not_personal)]
    plan: &'static str,
}

fn main() {
    let c = Customer {
        id: 1_234_567,
        name: "Jane Q. Doe".into(),
        email: "jane.doe+news@example.com".into(),
        phone: "+14155550123".into(),
        address: "1 Market St, San Francisco, CA 94105".into(),
        birth_date: "1990-04-01".into(),
        ip: Some("203.0.113.7".parse().expect("literal")),
        imei: "490154203237518".into(),
        city: "San Francisco".into(),
        plan: "pro",
    };
    let export_json = |c: &Customer| serde_json::to_string(&c.export()).unwrap_or_default();
    let plain_json = |c: &Customer| serde_json::to_string(c).unwrap_or_default();
    let mut criterion = Criterion::default().configure_from_args();
    let mut g = criterion.benchmark_group("export");
    g.bench_function("export() + JSON", |b| b.iter(|| export_json(black_box(&c))));
    g.bench_function("serde_json::to_string(record)", |b| {
        b.iter(|| plain_json(black_box(&c)));
    });
    // Where the time goes: building the export (one raw JSON value per field) and writing it
    // (the per-field metadata makes the export about 7x the bytes of the record).
    g.bench_function("export() alone", |b| b.iter(|| black_box(&c).export()));
    let built = c.export();
    g.bench_function("serde_json::to_string(prebuilt export)", |b| {
        b.iter(|| serde_json::to_string(black_box(&built)).unwrap_or_default());
    });
    g.finish();
    criterion.final_summary();
    println!(
        "output sizes: export {} bytes, record {} bytes",
        export_json(&c).len(),
        plain_json(&c).len()
    );
    support::ratio(
        "export() alone vs serde_json of the record",
        || black_box(&c).export(),
        || plain_json(black_box(&c)),
    );
    support::ratio(
        "export() + JSON vs serde_json of the record",
        || export_json(black_box(&c)),
        || plain_json(black_box(&c)),
    );
}
