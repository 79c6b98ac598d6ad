//! The leak-test kit (feature `testing`): assert in tests that no raw personal data reaches
//! logs, responses or files.
//!
//! - [`LeakScanner`] knows the exact values of records and finds them in text, raw or
//!   encoded (base64, hex, percent, JSON), reporting field, category, encoding and offset.
//! - [`assert_no_pii!`](crate::assert_no_pii) panics on any such leak, never printing a value.
//! - [`capture_logs`] runs code under a capturing `tracing` subscriber and returns the text
//!   its thread and every other thread logged meanwhile;
//!   [`assert_no_pii_in_logs!`](crate::assert_no_pii_in_logs) does both at once.
//!   [`LogCapture`] and [`CaptureWriter`] capture the bytes a service's own subscriber
//!   writes (JSON or text), from every thread and task.
//! - [`Allow`] lets a test say which fields or categories may appear (an id logged for
//!   correlation): `assert_no_pii!(text, &record; allow = [field("id")])`.
//! - [`detect`] finds things that look like emails, IP addresses, card and phone numbers
//!   without knowing any record; [`assert_no_detected_pii!`](crate::assert_no_detected_pii).
//!
//! ```
//! use privacy_core::{Category, PersonalValue};
//! use privacy_core::testing::{Encoding, LeakScanner};
//!
//! let scanner = LeakScanner::from_values([PersonalValue {
//!     record: "Account",
//!     field: "email",
//!     category: Category::ContactEmail,
//!     value: "jane@example.com".into(),
//! }])?;
//! let leaks = scanner.scan("GET /reset?to=jane%40example.com");
//! assert_eq!(leaks[0].field, "email");
//! assert_eq!(leaks[0].encoding, Encoding::Percent);
//! assert_eq!(leaks[0].to_string(), "Account.email <contact.email> found percent at byte 14..32");
//! # Ok::<(), privacy_core::testing::ScanError>(())
//! ```

mod allow;
mod assert;
mod capture;
mod detect;
mod encoding;
mod prefilter;
mod scanner;

/// The assertion macros, also reachable here (they are exported at the crate root).
pub use crate::{assert_no_detected_pii, assert_no_pii, assert_no_pii_in_logs};
pub use allow::Allow;
#[doc(hidden)]
pub use assert::{__assert_no_detected_pii, __assert_no_pii, __assert_no_pii_allowing};
pub use capture::{capture_logs, capture_logs_with, CaptureWriter, LogCapture};
pub use detect::{detect, Detection, DetectionKind};
pub use encoding::Encoding;
pub use scanner::{
    Leak, LeakScanner, ScanError, SkipReason, Skipped, MIN_ENCODED_LEN, MIN_VALUE_LEN,
};
