//! Redacted `Debug` of a 10-field struct vs `#[derive(Debug)]` of the same struct and values,
//! and vs a hand-written `debug_struct` printing "<redacted>" per field.
//!
//! `cargo bench -p privacy-core --bench debug`; the ratios print at the end.

use std::fmt::{self, Write};
use std::hint::black_box;

use criterion::Criterion;
use privacy_core::PersonalData;
use serde::Serialize;

#[path = "support/mod.rs"]
mod support;

#[derive(PersonalData, Serialize)]
struct Redacted {
    #[personal(subject_id)]
    id: u64,
    #[personal(category = "identity.name")]
    name: String,
    #[personal(category = "contact.email")]
    email: String,
    #[personal(category = "contact.phone")]
    phone: String,
    #[personal(category = "contact.postal_address")]
    address: String,
    #[personal(category = "demographic.birth_date")]
    birth_date: String,
    #[personal(category = "device.ip_address")]
    ip: Option<std::net::IpAddr>,
    #[personal(category = "device.id")]
    imei: String,
    #[personal(category = "location.precise")]
    position: Option<(f64, f64)>,
    #[personal(not_personal)]
    plan: &'static str,
}

#[derive(Debug)]
struct Plain {
    id: u64,
    name: String,
    email: String,
    phone: String,
    address: String,
    birth_date: String,
    ip: Option<std::net::IpAddr>,
    imei: String,
    position: Option<(f64, f64)>,
    plan: &'static str,
}

struct HandWritten(Plain);

impl fmt::Debug for HandWritten {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const R: &str = "<redacted>";
        struct Raw(&'static str);
        impl fmt::Debug for Raw {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.0)
            }
        }
        f.debug_struct("Plain")
            .field("id", &Raw(R))
            .field("name", &Raw(R))
            .field("email", &Raw(R))
            .field("phone", &Raw(R))
            .field("address", &Raw(R))
            .field("birth_date", &Raw(R))
            .field("ip", &Raw(R))
            .field("imei", &Raw(R))
            .field("position", &Raw(R))
            .field("plan", &self.0.plan)
            .finish()
    }
}

fn plain() -> Plain {
    Plain {
        id: 1_234_567,
        name: "Jane Q. Doe".into(),
        email: "jane.doe+news@example.com".into(),
        phone: "+14155550123".into(),
        address: "1 Market St, San Francisco, CA 94105".into(),
        birth_date: "1990-04-01".into(),
        ip: Some("203.0.113.7".parse().expect("literal address")),
        imei: "490154203237518".into(),
        position: Some((37.7936, -122.3950)),
        plan: "pro",
    }
}

fn redacted() -> Redacted {
    let p = plain();
    Redacted {
        id: p.id,
        name: p.name,
        email: p.email,
        phone: p.phone,
        address: p.address,
        birth_date: p.birth_date,
        ip: p.ip,
        imei: p.imei,
        position: p.position,
        plan: p.plan,
    }
}

fn render(buf: &mut String, value: &dyn fmt::Debug) -> usize {
    buf.clear();
    write!(buf, "{value:?}").expect("writing to a String");
    buf.len()
}

fn main() {
    let (r, p, h) = (redacted(), plain(), HandWritten(plain()));
    let mut buf = String::with_capacity(1024);
    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("debug");
    g.bench_function("redacted (derive PersonalData)", |b| {
        b.iter(|| render(&mut buf, black_box(&r)));
    });
    g.bench_function("derive(Debug)", |b| {
        b.iter(|| render(&mut buf, black_box(&p)));
    });
    g.bench_function("hand-written <redacted>", |b| {
        b.iter(|| render(&mut buf, black_box(&h)));
    });
    g.finish();
    c.final_summary();

    let mut b1 = String::with_capacity(1024);
    let mut b2 = String::with_capacity(1024);
    support::ratio(
        "redacted Debug vs derive(Debug)",
        || render(&mut b1, black_box(&r)),
        || render(&mut b2, black_box(&p)),
    );
    support::ratio(
        "redacted Debug vs hand-written <redacted>",
        || render(&mut b1, black_box(&r)),
        || render(&mut b2, black_box(&h)),
    );
}
