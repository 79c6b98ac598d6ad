//! Redacted `Debug` performs no heap allocation (counted by a global allocator).

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

use privacy_core::PersonalData;
use serde::Serialize;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

#[allow(unsafe_code)]
// SAFETY: forwards to the system allocator and only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

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
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    write!(out, "{c:?}").unwrap();
    write!(out, "{c:#?}").unwrap();
    let after = ALLOCATIONS.load(Ordering::SeqCst);
    assert_eq!(after - before, 0, "Debug allocated");
    assert!(out.starts_with("Customer { id: <identity.account_id>, name: <identity.name>"));
}
