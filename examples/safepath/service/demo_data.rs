//! Deterministic demo data: three families, their children's phones, location pings of
//! various ages, crash reports, invoices and marketing choices.

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use super::model::{
    ChildProfile, Device, ErrorReport, Invoice, LocationPing, MarketingPreference, ParentAccount,
};

const DAY: Duration = Duration::from_secs(86_400);

/// One family's records.
pub struct Family {
    pub parent: ParentAccount,
    pub preference: MarketingPreference,
    pub invoices: Vec<Invoice>,
    pub children: Vec<ChildProfile>,
    pub devices: Vec<Device>,
    pub pings: Vec<LocationPing>,
    pub reports: Vec<ErrorReport>,
}

struct Spec {
    id: &'static str,
    name: &'static str,
    email: &'static str,
    phone: &'static str,
    card: &'static str,
    address: &'static str,
    opted_out: bool,
    children: &'static [(&'static str, &'static str, &'static str)],
    home: (f64, f64),
}

const FAMILIES: &[Spec] = &[
    Spec {
        id: "p-1001",
        name: "Maria Lopez",
        email: "maria.lopez@example.com",
        phone: "+14155550142",
        card: "4111111111111111",
        address: "1450 Mission Street, San Francisco, CA 94103",
        opted_out: false,
        children: &[
            ("c-2001", "Sofia Lopez", "2014-03-09"),
            ("c-2002", "Mateo Lopez", "2011-11-23"),
        ],
        home: (37.773_972, -122.431_297),
    },
    Spec {
        id: "p-1002",
        name: "David Chen",
        email: "david.chen@example.net",
        phone: "+16175550199",
        card: "5500005555555559",
        address: "88 Beacon Street, Boston, MA 02108",
        opted_out: true,
        children: &[("c-2003", "Lily Chen", "2016-07-30")],
        home: (42.357_603, -71.068_432),
    },
    Spec {
        id: "p-1003",
        name: "Amara Okafor",
        email: "amara.okafor@example.org",
        phone: "+13125550173",
        card: "378282246310005",
        address: "233 South Wacker Drive, Chicago, IL 60606",
        opted_out: false,
        children: &[("c-2004", "Chidi Okafor", "2009-01-17")],
        home: (41.878_876, -87.635_915),
    },
];

/// The demo families, with timestamps relative to `now`.
pub fn families(now: SystemTime) -> Vec<Family> {
    FAMILIES
        .iter()
        .enumerate()
        .map(|(i, spec)| family(i, spec, now))
        .collect()
}

fn family(i: usize, s: &Spec, now: SystemTime) -> Family {
    let created = now - DAY * 400;
    let parent = ParentAccount {
        id: s.id.into(),
        name: s.name.into(),
        email: s.email.into(),
        phone: s.phone.into(),
        password_hash: format!(
            "$argon2id$v=19$m=19456,t=2,p=1$demo{i}$c2FmZXBhdGgtZGVtby1oYXNo{i}"
        ),
        card_number: s.card.into(),
        billing_address: s.address.into(),
        created_at: created,
        plan: "family".into(),
    };
    let preference = MarketingPreference {
        parent_id: s.id.into(),
        opted_out: Some(s.opted_out),
    };
    let last4 = &s.card[s.card.len() - 4..];
    let invoices = (0..2)
        .map(|n| Invoice {
            parent_id: s.id.into(),
            billed_name: s.name.into(),
            billed_address: s.address.into(),
            card_last4: format!("**** {last4}"),
            issued_at: now - DAY * (30 * (n + 1)),
            number: format!("INV-{}-{n}", &s.id[2..]),
            amount_cents: 999,
        })
        .collect();
    let mut children = Vec::new();
    let mut devices = Vec::new();
    let mut pings = Vec::new();
    let mut reports = Vec::new();
    for (c, (id, name, birth)) in s.children.iter().enumerate() {
        children.push(ChildProfile {
            id: (*id).into(),
            parent_id: s.id.into(),
            name: (*name).into(),
            birth_date: (*birth).into(),
            created_at: created + DAY,
        });
        let raw_ip: IpAddr = format!("198.51.{}.{}", 100 + i, 17 + c)
            .parse()
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        devices.push(Device {
            owner_id: (*id).into(),
            imei: format!("3569380{i}{c}1234567"),
            mac: format!("3c:22:fb:{i:02x}:{c:02x}:9e"),
            // The policy promises IP addresses are stored only in anonymized form.
            last_ip: privacy_core::anonymize::ip(raw_ip),
            registered_at: created + DAY,
            model: "Pixel 7".into(),
        });
        for (seq, age_days) in [45u32, 31, 12, 2].iter().enumerate() {
            let jitter = f64::from(u32::try_from(seq).unwrap_or(0)) * 0.001_3;
            pings.push(LocationPing {
                child_id: (*id).into(),
                position: Some((s.home.0 + jitter, s.home.1 - jitter)),
                recorded_at: now - DAY * *age_days,
                seq: u32::try_from(seq).unwrap_or(0),
            });
        }
        reports.push(ErrorReport {
            child_id: (*id).into(),
            environment: format!("Android 14; Pixel 7; build SP-{i}{c}"),
            trace: format!("NullPointerException at MapView.render (session {i}{c}77)"),
            reported_at: now - DAY * 5,
        });
    }
    Family {
        parent,
        preference,
        invoices,
        children,
        devices,
        pings,
        reports,
    }
}
