//! `export()` + JSON of a 10-field record vs `serde_json::to_string` of the same record.
//!
//! An export writes its compact JSON while it is built (the per-field metadata is rendered
//! once per type and copied), so "export() + JSON" is `export().into_json()`. The structured
//! path, `serde_json::to_string(&export)`, gives the same bytes and is measured too.
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
    let export_json = |c: &Customer| c.export().into_json();
    let structured_json = |c: &Customer| serde_json::to_string(&c.export()).unwrap_or_default();
    assert_eq!(export_json(&c), structured_json(&c));
    let plain_json = |c: &Customer| serde_json::to_string(c).unwrap_or_default();
    let mut criterion = Criterion::default().configure_from_args();
    let mut g = criterion.benchmark_group("export");
    g.bench_function("export() + JSON", |b| b.iter(|| export_json(black_box(&c))));
    g.bench_function("serde_json::to_string(record)", |b| {
        b.iter(|| plain_json(black_box(&c)));
    });
    // The structured path: the same bytes, every entry's metadata serialized again.
    g.bench_function("serde_json::to_string(export())", |b| {
        b.iter(|| structured_json(black_box(&c)));
    });
    g.finish();
    criterion.final_summary();
    println!(
        "output sizes: export {} bytes, record {} bytes",
        export_json(&c).len(),
        plain_json(&c).len()
    );
    support::ratio(
        "serde_json::to_string(export()) vs serde_json of the record",
        || structured_json(black_box(&c)),
        || plain_json(black_box(&c)),
    );
    support::ratio(
        "export() + JSON vs serde_json of the record",
        || export_json(black_box(&c)),
        || plain_json(black_box(&c)),
    );
}
