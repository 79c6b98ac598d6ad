//! Dates of birth: reduce to the year, or to an age band.

use core::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// A calendar date (proleptic Gregorian), as in `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CivilDate {
    /// The year.
    pub year: i32,
    /// 1 to 12.
    pub month: u8,
    /// 1 to 31.
    pub day: u8,
}

/// Text that is not a `YYYY-MM-DD` date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a YYYY-MM-DD date (the input is not repeated here: it may be personal data)")]
pub struct DateError;

impl CivilDate {
    /// Parses `YYYY-MM-DD`, checking the day against the month (leap years included).
    pub fn parse(text: &str) -> Result<CivilDate, DateError> {
        let mut parts = text.trim().splitn(3, '-');
        let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(DateError);
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(DateError);
        }
        let year: i32 = y.parse().map_err(|_| DateError)?;
        let month: u8 = m.parse().map_err(|_| DateError)?;
        let day: u8 = d.parse().map_err(|_| DateError)?;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(DateError);
        }
        Ok(CivilDate { year, month, day })
    }

    /// Today's date in UTC.
    pub fn today() -> CivilDate {
        let days = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() / 86_400);
        CivilDate::from_days_since_epoch(i64::try_from(days).unwrap_or(0))
    }

    /// The date `days` after 1970-01-01 (H. Hinnant's `civil_from_days`).
    pub fn from_days_since_epoch(days: i64) -> CivilDate {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        CivilDate {
            year: i32::try_from(year).unwrap_or(i32::MAX),
            month: u8::try_from(month).unwrap_or(1),
            day: u8::try_from(day).unwrap_or(1),
        }
    }

    /// Completed years between this date (a birth date) and `on`; 0 if `on` is earlier.
    pub fn age_on(self, on: CivilDate) -> u32 {
        let mut age = on.year - self.year;
        if (on.month, on.day) < (self.month, self.day) {
            age -= 1;
        }
        u32::try_from(age).unwrap_or(0)
    }
}

impl fmt::Display for CivilDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

/// An age band. The bands follow the seed policy's special treatment of children (under 13,
/// and under 16 for consent) and the usual adult brackets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AgeBand {
    /// 0 to 12
    Child,
    /// 13 to 15
    YoungTeen,
    /// 16 to 17
    OlderTeen,
    /// 18 to 24
    Adult18,
    /// 25 to 34
    Adult25,
    /// 35 to 44
    Adult35,
    /// 45 to 54
    Adult45,
    /// 55 to 64
    Adult55,
    /// 65 and over
    Senior,
}

impl AgeBand {
    /// Every band, youngest first.
    pub const ALL: [AgeBand; 9] = [
        AgeBand::Child,
        AgeBand::YoungTeen,
        AgeBand::OlderTeen,
        AgeBand::Adult18,
        AgeBand::Adult25,
        AgeBand::Adult35,
        AgeBand::Adult45,
        AgeBand::Adult55,
        AgeBand::Senior,
    ];

    /// The band of an age in years.
    pub const fn of_age(age: u32) -> AgeBand {
        match age {
            0..=12 => AgeBand::Child,
            13..=15 => AgeBand::YoungTeen,
            16..=17 => AgeBand::OlderTeen,
            18..=24 => AgeBand::Adult18,
            25..=34 => AgeBand::Adult25,
            35..=44 => AgeBand::Adult35,
            45..=54 => AgeBand::Adult45,
            55..=64 => AgeBand::Adult55,
            _ => AgeBand::Senior,
        }
    }

    /// The label, e.g. `"13-15"` or `"65+"`.
    pub const fn label(self) -> &'static str {
        match self {
            AgeBand::Child => "0-12",
            AgeBand::YoungTeen => "13-15",
            AgeBand::OlderTeen => "16-17",
            AgeBand::Adult18 => "18-24",
            AgeBand::Adult25 => "25-34",
            AgeBand::Adult35 => "35-44",
            AgeBand::Adult45 => "45-54",
            AgeBand::Adult55 => "55-64",
            AgeBand::Senior => "65+",
        }
    }
}

impl fmt::Display for AgeBand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The age band of someone born on `birth`, on `today`.
pub fn age_band(birth: CivilDate, today: CivilDate) -> AgeBand {
    AgeBand::of_age(birth.age_on(today))
}

/// The year of a date: `1990-04-01` -> `1990`.
pub fn year(date: CivilDate) -> i32 {
    date.year
}
