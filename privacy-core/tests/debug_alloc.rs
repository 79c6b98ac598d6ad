//! Redacted `Debug` performs no heap allocation (counted by a global allocator).

use std::fmt::Write;

use privacy_core::PersonalData;
use serde::Serialize;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::allocations_during;

#[derive(PersonalData, Serialize)]
struct Customer {
    #[personal(subject_id)]
    id: u64,
    #[personal(category = "identity.name")]
    name: String,
    #[personal(category = "contact.email")]
    email: String,
    #[personal(category = "location.precise")]
    position: Option<(f64, f64)>,
    #[personal(nested)]
    card: Option<Card>,
    #[personal(not_personal)]
    visits: u32,
}

#[derive(PersonalData, Serialize)]
struct Card {
    #[personal(
        category = "financial.card_number",
        on_erase = "retain",
        legal_basis = "tax records"
    )]
    number: String,
}

#[test]
fn redacted_debug_does_not_allocate() {
    let c = Customer {
        id: 7,
        name: "Jane Doe".into(),
        email: "jane@example.com".into(),
        position: Some((52.52, 13.405)),
        card: Some(Card {
            number: "4242424242424242".into(),
        }),
        visits: 3,
    };
    let mut out = String::with_capacity(4096);
    let allocations = allocations_during(|| {
        write!(out, "{c:?}").unwrap();
        write!(out, "{c:#?}").unwrap();
    });
    assert_eq!(allocations, 0, "Debug allocated");
    let control = allocations_during(|| {
        std::hint::black_box(format!("{c:?}"));
    });
    assert!(control > 0, "the counter sees allocations");
    assert!(out.starts_with("Customer { id: <identity.account_id>, name: <identity.name>"));
}
