//! The date a document states when the caller passes one: UTC, ISO 8601, whole seconds.

use std::time::SystemTime;

use crate::anonymize::CivilDate;

/// `2023-11-14T22:13:20Z` for `at`, also before 1970.
pub(crate) fn iso8601(at: SystemTime) -> String {
    let secs: i128 = match at.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => i128::from(after.as_secs()),
        Err(before) => -i128::from(before.duration().as_secs()),
    };
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400);
    let date = CivilDate::from_days_since_epoch(i64::try_from(days).unwrap_or(0));
    format!(
        "{date}T{:02}:{:02}:{:02}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn dates_print_in_utc_iso_8601() {
        let at = |s| SystemTime::UNIX_EPOCH + Duration::from_secs(s);
        assert_eq!(iso8601(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(at(1_700_000_000)), "2023-11-14T22:13:20Z");
        assert_eq!(iso8601(at(951_782_400)), "2000-02-29T00:00:00Z");
        assert_eq!(
            iso8601(SystemTime::UNIX_EPOCH - Duration::from_secs(1)),
            "1969-12-31T23:59:59Z"
        );
    }
}
