//! Dates of birth: reduce to the year, or to an age band.
//!
//! Rules: a date is ISO 8601 `YYYY-MM-DD` text (surrounding whitespace ignored, the day checked
//! against the month, leap years included) or a [`CivilDate`]. Ages are completed years in
//! UTC; someone born on February 29th turns a year older on March 1st in common years. A birth
//! date after the reference date is an error ([`DateError::InFuture`]), not age 0.

use core::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// A calendar date (proleptic Gregorian), as in `YYYY-MM-DD`; serialized as that text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[allow(clippy::exhaustive_structs)] // a plain value users (or generated code) build
pub struct CivilDate {
    /// The year.
    pub year: i32,
    /// 1 to 12.
    pub month: u8,
    /// 1 to 31.
    pub day: u8,
}

/// A date [`year`] or [`age_band`] cannot use. Never repeats the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DateError {
    /// Text that is not a valid `YYYY-MM-DD` date.
    #[error("not a YYYY-MM-DD date (the input is not repeated here: it may be personal data)")]
    Malformed,
    /// A birth date after the date the age is computed on.
    #[error("the birth date is after the date the age is computed on")]
    InFuture,
}

/// A date as [`year`] and [`age_band`] accept it: `YYYY-MM-DD` text or a [`CivilDate`].
pub trait DateInput {
    /// The date, or [`DateError::Malformed`].
    fn to_civil(&self) -> Result<CivilDate, DateError>;
}

/// A `CivilDate` built by hand with an impossible month or day is [`DateError::Malformed`].
impl DateInput for CivilDate {
    fn to_civil(&self) -> Result<CivilDate, DateError> {
        if (1..=12).contains(&self.month)
            && (1..=days_in_month(self.year, self.month)).contains(&self.day)
        {
            Ok(*self)
        } else {
            Err(DateError::Malformed)
        }
    }
}

impl DateInput for str {
    fn to_civil(&self) -> Result<CivilDate, DateError> {
        CivilDate::parse(self)
    }
}

impl DateInput for String {
    fn to_civil(&self) -> Result<CivilDate, DateError> {
        CivilDate::parse(self)
    }
}

impl CivilDate {
    /// Parses `YYYY-MM-DD`, checking the day against the month (leap years included).
    pub fn parse(text: &str) -> Result<CivilDate, DateError> {
        let mut parts = text.trim().splitn(3, '-');
        let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(DateError::Malformed);
        };
        let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
        if !digits(y, 4) || !digits(m, 2) || !digits(d, 2) {
            return Err(DateError::Malformed);
        }
        let year: i32 = y.parse().map_err(|_| DateError::Malformed)?;
        let month: u8 = m.parse().map_err(|_| DateError::Malformed)?;
        let day: u8 = d.parse().map_err(|_| DateError::Malformed)?;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(DateError::Malformed);
        }
        Ok(CivilDate { year, month, day })
    }

    /// Today's date in UTC, from the system clock (1970-01-01 if the clock is before it).
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

    /// Completed years between this date (a birth date) and `on`, or
    /// [`DateError::InFuture`] if `on` is earlier.
    pub fn age_on(self, on: CivilDate) -> Result<u32, DateError> {
        let mut age = i64::from(on.year) - i64::from(self.year);
        if (on.month, on.day) < (self.month, self.day) {
            age -= 1;
        }
        u32::try_from(age).map_err(|_| DateError::InFuture)
    }
}

impl fmt::Display for CivilDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for CivilDate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CivilDate {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        CivilDate::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl core::str::FromStr for CivilDate {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CivilDate::parse(s)
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
#[non_exhaustive]
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

impl AgeBand {
    /// The youngest age in the band: what the `age_band` anonymizer leaves of an age in
    /// years (`37` -> `35`).
    pub const fn lower_bound(self) -> u8 {
        match self {
            AgeBand::Child => 0,
            AgeBand::YoungTeen => 13,
            AgeBand::OlderTeen => 16,
            AgeBand::Adult18 => 18,
            AgeBand::Adult25 => 25,
            AgeBand::Adult35 => 35,
            AgeBand::Adult45 => 45,
            AgeBand::Adult55 => 55,
            AgeBand::Senior => 65,
        }
    }

    /// The band whose label is `label` (`"13-15"`).
    pub fn from_label(label: &str) -> Option<AgeBand> {
        AgeBand::ALL.into_iter().find(|b| b.label() == label)
    }
}

/// The age band of someone born on `birth`, today (UTC, system clock).
///
/// ```
/// use privacy_core::anonymize::{age_band, AgeBand};
/// assert_eq!(age_band("1950-04-01"), Ok(AgeBand::Senior));
/// ```
pub fn age_band<D: DateInput + ?Sized>(birth: &D) -> Result<AgeBand, DateError> {
    age_band_at(birth, CivilDate::today())
}

/// The age band of someone born on `birth`, on `today`: [`age_band`] with a fixed date.
///
/// ```
/// use privacy_core::anonymize::{age_band_at, AgeBand, CivilDate};
/// let today = CivilDate::parse("2026-06-15")?;
/// assert_eq!(age_band_at("2010-06-15", today), Ok(AgeBand::OlderTeen));
/// assert_eq!(age_band_at("2010-06-16", today), Ok(AgeBand::YoungTeen));
/// # Ok::<(), privacy_core::anonymize::DateError>(())
/// ```
pub fn age_band_at<D: DateInput + ?Sized>(
    birth: &D,
    today: CivilDate,
) -> Result<AgeBand, DateError> {
    Ok(AgeBand::of_age(birth.to_civil()?.age_on(today)?))
}

/// The year of a date: `1990-04-01` -> `1990`.
///
/// ```
/// use privacy_core::anonymize::{year, CivilDate};
/// assert_eq!(year("1990-04-01"), Ok(1990));
/// assert_eq!(year(&CivilDate { year: 1990, month: 4, day: 1 }), Ok(1990));
/// ```
pub fn year<D: DateInput + ?Sized>(date: &D) -> Result<i32, DateError> {
    Ok(date.to_civil()?.year)
}
