//! [`Regime`]: when a request is due, and how far it may be extended.

use core::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

const DAY: u64 = 86_400;

/// The law a request is answered under, which sets its deadline.
///
/// - **CCPA** (Cal. Civ. Code 1798.130(a)(2)): 45 days from receipt, extendable once by 45
///   more days (90 in all) when reasonably necessary, with notice to the consumer.
/// - **GDPR** (Art. 12(3)): one month from receipt, extendable by two further months (three
///   in all). A month ends on the same day of the next month, or on that month's last day
///   when it has no such day (31 January + one month = 28 or 29 February), the rule of
///   Regulation 1182/71 Art. 3(2)(c); the time of day is kept. The extension is counted
///   from receipt: received 31 January, extended due 30 April.
/// - **Custom**: a number of days, extendable once by a number of days.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use privacy_core::requests::Regime;
///
/// let received = UNIX_EPOCH + Duration::from_secs(1_706_659_200); // 2024-01-31T00:00:00Z
/// let day = |n: u64| Duration::from_secs(n * 86_400);
/// assert_eq!(Regime::Gdpr.due_at(received, false), received + day(29)); // 2024-02-29
/// assert_eq!(Regime::Gdpr.due_at(received, true), received + day(90)); // 2024-04-30
/// assert_eq!(Regime::Ccpa.due_at(received, false), received + day(45));
/// assert_eq!(Regime::Ccpa.due_at(received, true), received + day(90));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Regime {
    /// California: 45 days, once extendable by 45.
    Ccpa,
    /// EU / UK: one month, extendable by two further months.
    Gdpr,
    /// A deadline of `days`, once extendable by `extension_days`.
    Custom {
        /// Days from receipt.
        days: u32,
        /// Days an extension adds.
        extension_days: u32,
    },
}

impl Regime {
    /// When a request received at `received` is due, with or without its extension.
    pub fn due_at(self, received: SystemTime, extended: bool) -> SystemTime {
        match self {
            Regime::Ccpa => received + Duration::from_secs(if extended { 90 } else { 45 } * DAY),
            Regime::Custom {
                days,
                extension_days,
            } => {
                let days = u64::from(days)
                    + if extended {
                        u64::from(extension_days)
                    } else {
                        0
                    };
                received + Duration::from_secs(days * DAY)
            }
            Regime::Gdpr => add_months(received, if extended { 3 } else { 1 }),
        }
    }

    /// The regime's name in the ledger: `ccpa`, `gdpr`, or `custom:<days>:<extension>`.
    pub fn to_text(self) -> String {
        match self {
            Regime::Ccpa => "ccpa".to_owned(),
            Regime::Gdpr => "gdpr".to_owned(),
            Regime::Custom {
                days,
                extension_days,
            } => format!("custom:{days}:{extension_days}"),
        }
    }

    /// Reads [`to_text`](Regime::to_text).
    pub fn from_text(text: &str) -> Option<Regime> {
        match text {
            "ccpa" => Some(Regime::Ccpa),
            "gdpr" => Some(Regime::Gdpr),
            _ => {
                let mut parts = text.strip_prefix("custom:")?.split(':');
                let days = parts.next()?.parse().ok()?;
                let extension_days = parts.next()?.parse().ok()?;
                parts.next().is_none().then_some(Regime::Custom {
                    days,
                    extension_days,
                })
            }
        }
    }
}

impl fmt::Display for Regime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// `at` plus `months` calendar months (UTC), clamped to the last day of the target month.
/// Times before 1970 are taken as 1970-01-01.
fn add_months(at: SystemTime, months: i64) -> SystemTime {
    let secs = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let days = i64::try_from(secs.as_secs() / DAY).unwrap_or(0);
    let rest = Duration::from_secs(secs.as_secs() % DAY)
        + Duration::from_nanos(u64::from(secs.subsec_nanos()));
    let (y, m, d) = civil_from_days(days);
    let total = y * 12 + (m - 1) + months;
    let (ty, tm) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    let td = d.min(days_in_month(ty, tm));
    let target = u64::try_from(days_from_civil(ty, tm, td)).unwrap_or(0);
    UNIX_EPOCH + Duration::from_secs(target * DAY) + rest
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_through_day_counts() {
        for z in [-1, 0, 59, 365, 10_957, 19_753, 20_000, 100_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(civil_from_days(19_753), (2024, 1, 31));
    }
}
