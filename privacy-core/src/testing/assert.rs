//! `assert_no_pii!`, `assert_no_pii_in_logs!`, `assert_no_detected_pii!` and the functions
//! they call.

use core::fmt::Write as _;

use super::{detect, Allow, LeakScanner};
use crate::PersonalData;

/// Asserts that `text` holds no personal value of the given records, raw or encoded.
///
/// `assert_no_pii!(text, &record1, &record2, ...)`: `text` is anything that is
/// `AsRef<str>`; the records are references to `PersonalData` values. On failure it panics
/// with one line per leak naming the record, field, category, encoding and byte range, never
/// the value:
///
/// ```text
/// personal data leaked into text (1 leak):
///   Account.email <contact.email> found base64 at byte 18..38
/// ```
///
/// See [`LeakScanner`](crate::testing::LeakScanner) for what is searched and how short values
/// are treated.
///
/// # Allow-list
/// After the records, `; allow = [...]` names the fields and categories that may appear
/// (see [`Allow`](crate::testing::Allow)): `field("id")` (any record's `id`),
/// `field("Account.id")`, `category(Category::IdentityAccountId)`. Everything else is still
/// reported, and the failure message lists the allow-list after the leaks.
///
/// ```
/// use privacy_core::{assert_no_pii, Category, PersonalData};
///
/// #[derive(PersonalData)]
/// struct Account {
///     #[personal(subject_id)]
///     id: String,
///     #[personal(category = "contact.email")]
///     email: String,
/// }
///
/// let account = Account { id: "u-4242".into(), email: "jane@example.com".into() };
/// let log = "password reset for user=u-4242";
/// assert_no_pii!(log, &account; allow = [field("id")]);
/// assert_no_pii!(log, &account; allow = [category(Category::IdentityAccountId)]);
/// let caught = std::panic::catch_unwind(|| assert_no_pii!(log, &account));
/// assert!(caught.is_err());
/// ```
#[macro_export]
macro_rules! assert_no_pii {
    ($text:expr, $($record:expr),+ ; allow = [$($rule:ident ( $($arg:tt)* )),* $(,)?] $(,)?) => {
        $crate::testing::__assert_no_pii_allowing(
            ::core::convert::AsRef::<str>::as_ref(&$text),
            &[$($record as &dyn $crate::PersonalData),+],
            ::std::vec![$($crate::testing::Allow::$rule($($arg)*)),*],
        )
    };
    ($text:expr, $($record:expr),+ $(,)?) => {
        $crate::testing::__assert_no_pii(
            ::core::convert::AsRef::<str>::as_ref(&$text),
            &[$($record as &dyn $crate::PersonalData),+],
        )
    };
}

/// Runs a closure under [`capture_logs`](crate::testing::capture_logs) and asserts, like
/// [`assert_no_pii!`], that its `tracing` output holds no personal value of the records.
/// Evaluates to the captured text.
///
/// What the closure's thread logs is captured, and so is what every other thread (spawned
/// threads, async runtime workers, a server's handlers) logs meanwhile through the global
/// subscriber; see [`capture_logs`](crate::testing::capture_logs). The allow-list form of
/// [`assert_no_pii!`] works here too: `assert_no_pii_in_logs!(f, &r; allow = [field("id")])`.
///
/// ```
/// use privacy_core::PersonalData;
///
/// #[derive(PersonalData, serde::Serialize)]
/// struct Account {
///     #[personal(category = "contact.email")]
///     email: String,
/// }
///
/// fn handle_signup(account: &Account) {
///     tracing::info!(account = ?account, "signed up");
/// }
///
/// let account = Account { email: "jane@example.com".into() };
/// let logs = privacy_core::assert_no_pii_in_logs!(|| handle_signup(&account), &account);
/// assert!(logs.contains("account=Account { email: <contact.email> }"));
/// ```
#[macro_export]
macro_rules! assert_no_pii_in_logs {
    ($f:expr, $($record:expr),+ ; allow = [$($rule:ident ( $($arg:tt)* )),* $(,)?] $(,)?) => {{
        let __logs = $crate::testing::capture_logs($f);
        $crate::testing::__assert_no_pii_allowing(
            &__logs,
            &[$($record as &dyn $crate::PersonalData),+],
            ::std::vec![$($crate::testing::Allow::$rule($($arg)*)),*],
        );
        __logs
    }};
    ($f:expr, $($record:expr),+ $(,)?) => {{
        let __logs = $crate::testing::capture_logs($f);
        $crate::testing::__assert_no_pii(
            &__logs,
            &[$($record as &dyn $crate::PersonalData),+],
        );
        __logs
    }};
}

/// Asserts that the heuristic [`detect`](crate::testing::detect)ors find nothing in `text`:
/// no email, IP address, card or E.164 phone number. On failure it names the kind and byte
/// range of each finding, never the text.
#[macro_export]
macro_rules! assert_no_detected_pii {
    ($text:expr $(,)?) => {
        $crate::testing::__assert_no_detected_pii(::core::convert::AsRef::<str>::as_ref(&$text))
    };
}

#[doc(hidden)]
#[track_caller]
#[allow(clippy::panic)]
pub fn __assert_no_pii(text: &str, records: &[&dyn PersonalData]) {
    __assert_no_pii_allowing(text, records, Vec::new());
}

#[doc(hidden)]
#[track_caller]
#[allow(clippy::panic)]
pub fn __assert_no_pii_allowing(text: &str, records: &[&dyn PersonalData], allow: Vec<Allow>) {
    let scanner = match LeakScanner::new(records) {
        Ok(scanner) => scanner.allow(allow),
        Err(e) => panic!("assert_no_pii!: {e}"),
    };
    let leaks = scanner.scan(text);
    if leaks.is_empty() {
        return;
    }
    let mut message = format!(
        "personal data leaked into text ({} leak{}):",
        leaks.len(),
        if leaks.len() == 1 { "" } else { "s" }
    );
    for leak in &leaks {
        // Writing to a String cannot fail.
        let _ = write!(message, "\n  {leak}");
    }
    if !scanner.allowed().is_empty() {
        let rules: Vec<String> = scanner.allowed().iter().map(ToString::to_string).collect();
        let _ = write!(message, "\n(allowed: {})", rules.join(", "));
    }
    panic!("{message}");
}

#[doc(hidden)]
#[track_caller]
#[allow(clippy::panic)]
pub fn __assert_no_detected_pii(text: &str) {
    let found = detect(text);
    if found.is_empty() {
        return;
    }
    let mut message = format!("text looks like it holds personal data ({}):", found.len());
    for d in &found {
        let _ = write!(message, "\n  {d}");
    }
    panic!("{message}");
}
