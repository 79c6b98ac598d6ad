//! Tracing capture: a service logging a derived record, redacted (passes) and raw (caught).

use privacy_core::testing::{capture_logs, capture_logs_with, Encoding, LeakScanner};
use privacy_core::{assert_no_pii, assert_no_pii_in_logs, PersonalData};
use serde::Serialize;

#[derive(PersonalData, Serialize)]
struct Customer {
    #[personal(subject_id)]
    id: u64,
    #[personal(category = "contact.email")]
    email: String,
    #[personal(category = "identity.name")]
    name: String,
    #[personal(not_personal)]
    plan: &'static str,
}

fn customer() -> Customer {
    Customer {
        id: 90_210_311,
        email: "jane@example.com".into(),
        name: "Jane Doe".into(),
        plan: "pro",
    }
}

/// A well-behaved handler: logs the record through its redacted `Debug` and serde view.
fn sign_up(customer: &Customer) -> bool {
    let span = tracing::info_span!("sign_up", plan = customer.plan);
    let _guard = span.enter();
    tracing::info!(record = ?customer, "new customer");
    tracing::debug!(body = %customer.redacted(), "stored");
    true
}

/// A buggy handler: logs the email itself.
fn send_reset(customer: &Customer) {
    tracing::info!(to = %customer.email, "password reset sent");
}

#[test]
fn a_service_logging_the_derived_record_passes() {
    let customer = customer();
    let logs = assert_no_pii_in_logs!(|| assert!(sign_up(&customer)), &customer);
    assert_eq!(
        logs,
        concat!(
            " INFO sign_up{plan=\"pro\"}: testing_capture: new customer ",
            "record=Customer { id: <identity.account_id>, email: <contact.email>, ",
            "name: <identity.name>, plan: \"pro\" }\n",
            "DEBUG sign_up{plan=\"pro\"}: testing_capture: stored ",
            "body={\"id\":\"<identity.account_id>\",\"email\":\"<contact.email>\",",
            "\"name\":\"<identity.name>\",\"plan\":\"pro\"}\n",
        )
    );
}

#[test]
fn a_service_logging_the_raw_email_is_caught() {
    let customer = customer();
    let logs = capture_logs(|| send_reset(&customer));
    assert_eq!(
        logs,
        " INFO testing_capture: password reset sent to=jane@example.com\n"
    );
    let leaks = LeakScanner::new(&[&customer]).expect("scanner").scan(&logs);
    assert_eq!(leaks.len(), 1);
    assert_eq!(
        (leaks[0].field, leaks[0].encoding),
        ("email", Encoding::Raw)
    );

    let panic = std::panic::catch_unwind(|| {
        assert_no_pii_in_logs!(|| send_reset(&customer), &customer);
    })
    .expect_err("the raw email must be caught");
    let message = panic.downcast_ref::<String>().expect("a String message");
    assert_eq!(
        message,
        "personal data leaked into text (1 leak):\n  Customer.email <contact.email> found raw at byte 46..62"
    );
}

#[test]
fn capture_logs_with_returns_the_closure_result_and_the_text() {
    let customer = customer();
    let (ok, logs) = capture_logs_with(|| sign_up(&customer));
    assert!(ok);
    assert_no_pii!(logs, &customer);
    assert_eq!(logs.lines().count(), 2);
}
