//! Tracing capture across threads: leaks logged by a spawned thread, by a task on a
//! multi-thread tokio runtime or through a service's own JSON subscriber are all caught.
//!
//! Kept apart from `testing_capture.rs`, whose tests compare captured text exactly: the
//! events of these tests' threads reach every capture active at the time.

use std::panic::{catch_unwind, AssertUnwindSafe};

use privacy_core::testing::{capture_logs, LogCapture};
use privacy_core::{assert_no_pii, assert_no_pii_in_logs, PersonalData};

#[derive(PersonalData)]
struct Customer {
    #[personal(subject_id)]
    id: u64,
    #[personal(category = "contact.email")]
    email: String,
}

fn customer(email: &str) -> Customer {
    Customer {
        id: 90_210_311,
        email: email.into(),
    }
}

/// The panic message of a failed assertion.
fn failure(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("the assertion fails");
    payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn a_leak_from_a_spawned_thread_is_caught() {
    let customer = customer("thread@example.com");
    let email = customer.email.clone();
    let message = failure(|| {
        assert_no_pii_in_logs!(
            move || {
                std::thread::spawn(move || tracing::info!(%email, "reset sent"))
                    .join()
                    .unwrap();
            },
            &customer
        );
    });
    assert!(
        message.contains("Customer.email <contact.email> found raw"),
        "{message}"
    );
    assert!(!message.contains("thread@example.com"), "{message}");
}

#[test]
fn a_leak_from_a_task_on_a_multi_thread_runtime_is_caught() {
    let customer = customer("tokio@example.com");
    let email = customer.email.clone();
    let logs = capture_logs(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            tokio::spawn(async move { tracing::warn!(to = %email, "mail bounced") })
                .await
                .unwrap();
        });
    });
    let message = failure(|| assert_no_pii!(logs, &customer));
    assert!(
        message.contains("Customer.email <contact.email>"),
        "{message}"
    );
}

#[test]
fn a_redacted_record_logged_from_another_thread_passes() {
    // Its own id: the allow test below logs its customer's id raw, from a thread, and that
    // line reaches this capture too when the two tests run at the same time.
    let customer = Customer {
        id: 90_210_312,
        ..customer("clean@example.com")
    };
    let logs = std::thread::scope(|scope| {
        assert_no_pii_in_logs!(
            || {
                scope
                    .spawn(|| tracing::info!(record = ?customer, "signed up"))
                    .join()
                    .unwrap();
            },
            &customer
        )
    });
    assert!(logs.contains("email: <contact.email>"), "{logs}");
}

#[test]
fn a_capture_guard_sees_every_thread_until_dropped() {
    let capture = LogCapture::start();
    let handles: Vec<_> = (0..4)
        .map(|i| std::thread::spawn(move || tracing::info!(worker = i, "guard-test")))
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let text = capture.text();
    for i in 0..4 {
        assert!(text.contains(&format!("guard-test worker={i}")), "{text}");
    }
    drop(capture);
    let later = LogCapture::start();
    assert!(!later.text().contains("guard-test"));
    assert!(LogCapture::installed_global_subscriber());
}

#[test]
fn an_allowed_field_logged_from_a_thread_passes_and_the_rest_is_still_caught() {
    // Its own id: this test logs the id raw, and tests running beside it capture every
    // thread's events, so a shared id would be a leak in theirs.
    let customer = Customer {
        id: 41_772_305,
        email: "allow@example.com".into(),
    };
    let id = customer.id;
    let logs = assert_no_pii_in_logs!(
        move || {
            std::thread::spawn(move || tracing::info!(user = id, "allow-test"))
                .join()
                .unwrap();
        },
        &customer;
        allow = [field("id")]
    );
    assert!(logs.contains("allow-test user=41772305"), "{logs}");
    let message = failure(|| assert_no_pii!(logs, &customer));
    assert!(
        message.contains("Customer.id <identity.account_id>"),
        "{message}"
    );
}
