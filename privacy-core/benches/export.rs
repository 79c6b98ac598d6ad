//! `export()` + JSON against `serde_json::to_string` of the same record, for two shapes
//! written like production code:
//!
//! - **flat**: a 10-field customer record (strings, an `Option<IpAddr>`, a number);
//! - **nested**: an account with serde renames (`rename_all = "camelCase"`), a
//!   `#[personal(collected_at)]` `SystemTime`, an `Option`, numbers and strings, and a
//!   `#[personal(nested)] Vec<Device>` of three devices, each itself a record.
//!
//! An export writes its compact JSON while it is built (the per-field metadata is rendered
//! once per type and copied), so "export() + JSON" is `export().into_json()`. The structured
//! path, `serde_json::to_string(&export)`, gives the same bytes and is measured too.
//!
//! `cargo bench -p privacy-core --bench export`; the ratios print at the end, each measured in
//! the same run as its baseline.

#[path = "support/mod.rs"]
mod support;

use std::hint::black_box;
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

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

/// The nested shape: an account holder as a service stores it (camelCase keys over the
/// wire), with the devices it signed in from.
#[derive(PersonalData, Serialize)]
#[personal(subject = "customer")]
#[serde(rename_all = "camelCase")]
struct Account {
    #[personal(subject_id)]
    id: String,
    #[personal(
        category = "identity.name",
        purpose = "account",
        source = "user",
        retention = "account"
    )]
    display_name: String,
    #[personal(
        category = "contact.email",
        purpose = "account, marketing",
        source = "user",
        shared_with = "email-service",
        retention = "account"
    )]
    #[serde(rename = "email")]
    email_address: String,
    #[personal(
        category = "contact.phone",
        purpose = "account",
        source = "user",
        retention = "account"
    )]
    phone_number: Option<String>,
    #[personal(
        category = "demographic.birth_date",
        purpose = "children-protection",
        source = "user",
        retention = "account"
    )]
    birth_year: Option<u16>,
    #[personal(nested)]
    devices: Vec<Device>,
    #[personal(collected_at)]
    created_at: SystemTime,
    #[personal(not_personal)]
    login_count: u32,
    #[personal(not_personal)]
    plan: &'static str,
}

#[derive(PersonalData, Serialize)]
#[serde(rename_all = "camelCase")]
struct Device {
    #[personal(
        category = "device.id",
        purpose = "support",
        source = "device",
        retention = "1y"
    )]
    serial_number: String,
    #[personal(
        category = "device.ip_address",
        purpose = "security",
        source = "device",
        retention = "90d",
        anonymize = "ip",
        on_erase = "anonymize"
    )]
    last_ip: IpAddr,
    #[personal(
        category = "location.imprecise",
        purpose = "analytics",
        source = "device"
    )]
    city: Option<String>,
    #[personal(collected_at)]
    first_seen: SystemTime,
    #[personal(not_personal)]
    model: &'static str,
}

fn customer() -> Customer {
    Customer {
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
    }
}

fn account() -> Account {
    let at = |secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
    let device = |i: u8| Device {
        serial_number: format!("SN-4901542032375{i:02}"),
        last_ip: IpAddr::from([203, 0, 113, i]),
        city: (i % 2 == 0).then(|| "San Francisco".to_owned()),
        first_seen: at(1_700_000_000 + 86_400 * u64::from(i)),
        model: "Pixel 8",
    };
    Account {
        id: "acct-7f3a9c".into(),
        display_name: "Jane Q. Doe".into(),
        email_address: "jane.doe+news@example.com".into(),
        phone_number: Some("+14155550123".into()),
        birth_year: Some(1990),
        devices: (1..=3).map(device).collect(),
        created_at: at(1_690_000_000),
        login_count: 42,
        plan: "pro",
    }
}

/// Benches one shape and prints its ratios.
fn shape<T: PersonalData + Serialize>(criterion: &mut Criterion, name: &str, record: &T) {
    let export_json = |r: &T| r.export().into_json();
    let structured_json = |r: &T| serde_json::to_string(&r.export()).unwrap_or_default();
    assert_eq!(export_json(record), structured_json(record));
    let plain_json = |r: &T| serde_json::to_string(r).unwrap_or_default();
    let mut g = criterion.benchmark_group(format!("export/{name}"));
    g.bench_function("export() + JSON", |b| {
        b.iter(|| export_json(black_box(record)));
    });
    g.bench_function("serde_json::to_string(record)", |b| {
        b.iter(|| plain_json(black_box(record)));
    });
    // The structured path: the same bytes, every entry's metadata serialized again.
    g.bench_function("serde_json::to_string(export())", |b| {
        b.iter(|| structured_json(black_box(record)));
    });
    g.finish();
    println!(
        "{name}: output sizes: export {} bytes, record {} bytes",
        export_json(record).len(),
        plain_json(record).len()
    );
}

fn ratios<T: PersonalData + Serialize>(name: &str, record: &T) {
    support::ratio(
        &format!("{name}: serde_json::to_string(export()) vs serde_json of the record"),
        || serde_json::to_string(&black_box(record).export()).unwrap_or_default(),
        || serde_json::to_string(black_box(record)).unwrap_or_default(),
    );
    support::ratio(
        &format!("{name}: export() + JSON vs serde_json of the record"),
        || black_box(record).export().into_json(),
        || serde_json::to_string(black_box(record)).unwrap_or_default(),
    );
}

/// `EXPORT_BENCH_PROFILE=N`: only runs each shape's export and its baseline `N` times, each
/// in a function of its own, for counting instructions under callgrind
/// (`callgrind_annotate --inclusive=yes ... | grep profile_`).
macro_rules! profile {
    ($($name:ident: $shape:ty => $call:expr;)*) => {$(
        #[inline(never)]
        fn $name(record: &$shape, n: u32) {
            for _ in 0..n {
                black_box($call(black_box(record)));
            }
        }
    )*};
}

profile! {
    profile_flat_export: Customer => |r: &Customer| r.export().into_json();
    profile_flat_serde_json: Customer => |r: &Customer| serde_json::to_string(r).unwrap_or_default();
    profile_nested_export: Account => |r: &Account| r.export().into_json();
    profile_nested_serde_json: Account => |r: &Account| serde_json::to_string(r).unwrap_or_default();
}

fn main() {
    let (flat, nested) = (customer(), account());
    if let Some(n) = std::env::var("EXPORT_BENCH_PROFILE")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        profile_flat_export(&flat, n);
        profile_flat_serde_json(&flat, n);
        profile_nested_export(&nested, n);
        profile_nested_serde_json(&nested, n);
        return;
    }
    let mut criterion = Criterion::default().configure_from_args();
    shape(&mut criterion, "flat", &flat);
    shape(&mut criterion, "nested", &nested);
    criterion.final_summary();
    // `EXPORT_BENCH_NO_RATIO=1` skips the same-run ratios (for profiling under callgrind).
    if std::env::var_os("EXPORT_BENCH_NO_RATIO").is_none() {
        ratios("flat", &flat);
        ratios("nested", &nested);
    }
}
