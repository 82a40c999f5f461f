//! Instants in UTC at microsecond precision, with one fixed text form.
//!
//! Every timestamp in the log (`occurred_at`, `recorded_at`) is a [`Timestamp`]: microseconds
//! since the Unix epoch, UTC. Its text form is always `YYYY-MM-DDTHH:MM:SS.ffffffZ` (27 bytes),
//! the form that is stored in SQLite, written to exports and fed to the hash chain, so a
//! timestamp survives a round trip through either database byte for byte.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The earliest year a timestamp may carry. Nothing in the programme happened before it.
pub const YEAR_MIN: i32 = 1900;
/// The latest year a timestamp may carry; the fixed text form has four year digits.
pub const YEAR_MAX: i32 = 9999;

/// An instant in UTC, at microsecond precision.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    unix_micros: i64,
}

/// Why a text could not be read as a [`Timestamp`] or a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    #[error("`{text}` is not a timestamp: expected RFC 3339, e.g. 2026-02-10T09:00:00+08:00")]
    Malformed { text: String },
    #[error("`{text}` is not in the canonical form YYYY-MM-DDTHH:MM:SS.ffffffZ")]
    NotCanonical { text: String },
    #[error("`{text}` has more than microsecond precision")]
    TooPrecise { text: String },
    #[error("`{text}` is out of range: years {YEAR_MIN} to {YEAR_MAX} only")]
    OutOfRange { text: String },
}

impl Timestamp {
    /// The instant `unix_micros` microseconds after 1970-01-01T00:00:00Z.
    ///
    /// Returns `None` outside the years [`YEAR_MIN`]..=[`YEAR_MAX`].
    pub fn from_unix_micros(unix_micros: i64) -> Option<Timestamp> {
        let datetime = DateTime::<Utc>::from_timestamp_micros(unix_micros)?;
        if !(YEAR_MIN..=YEAR_MAX).contains(&datetime.year()) {
            return None;
        }
        Some(Timestamp { unix_micros })
    }

    pub fn unix_micros(self) -> i64 {
        self.unix_micros
    }

    /// Converts a chrono instant, dropping anything finer than a microsecond.
    pub fn from_datetime(datetime: DateTime<Utc>) -> Option<Timestamp> {
        Timestamp::from_unix_micros(datetime.timestamp_micros())
    }

    pub fn to_datetime(self) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp_micros(self.unix_micros)
            .expect("a Timestamp is always within chrono's range")
    }

    /// Midnight UTC at the start of `date`.
    pub fn start_of_day(date: NaiveDate) -> Option<Timestamp> {
        Timestamp::from_datetime(date.and_hms_opt(0, 0, 0)?.and_utc())
    }

    pub fn date(self) -> NaiveDate {
        self.to_datetime().date_naive()
    }

    /// Reads any RFC 3339 timestamp (any offset, at most microsecond precision), as people
    /// and other systems write them.
    pub fn parse(text: &str) -> Result<Timestamp, TimestampError> {
        let parsed = DateTime::parse_from_rfc3339(text)
            .map_err(|_| TimestampError::Malformed { text: text.to_owned() })?;
        if parsed.timestamp_subsec_nanos() % 1_000 != 0 {
            return Err(TimestampError::TooPrecise { text: text.to_owned() });
        }
        Timestamp::from_datetime(parsed.with_timezone(&Utc))
            .ok_or_else(|| TimestampError::OutOfRange { text: text.to_owned() })
    }

    /// Reads only the canonical form, as stored and hashed. Anything else is an error, so a
    /// stored timestamp that was altered to another spelling of the same instant is caught.
    pub fn parse_canonical(text: &str) -> Result<Timestamp, TimestampError> {
        let timestamp = Timestamp::parse(text)?;
        if timestamp.to_string() != text {
            return Err(TimestampError::NotCanonical { text: text.to_owned() });
        }
        Ok(timestamp)
    }

    /// The later of two instants.
    pub fn latest(self, other: Timestamp) -> Timestamp {
        if other > self { other } else { self }
    }

    /// This instant moved by `micros` microseconds, if the result is in range.
    pub fn checked_add_micros(self, micros: i64) -> Option<Timestamp> {
        Timestamp::from_unix_micros(self.unix_micros.checked_add(micros)?)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_datetime().to_rfc3339_opts(SecondsFormat::Micros, true))
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_is_fixed_width_utc_with_micros() {
        let timestamp = Timestamp::parse("2026-02-10T09:00:00+08:00").unwrap();
        assert_eq!(timestamp.to_string(), "2026-02-10T01:00:00.000000Z");
        let precise = Timestamp::parse("2026-02-10T01:00:00.123456Z").unwrap();
        assert_eq!(precise.to_string(), "2026-02-10T01:00:00.123456Z");
        assert_eq!(Timestamp::parse_canonical(&precise.to_string()), Ok(precise));
    }

    #[test]
    fn other_spellings_of_an_instant_are_not_canonical() {
        let error = Timestamp::parse_canonical("2026-02-10T09:00:00+08:00").unwrap_err();
        assert!(matches!(error, TimestampError::NotCanonical { .. }));
        let error = Timestamp::parse_canonical("2026-02-10T01:00:00Z").unwrap_err();
        assert!(matches!(error, TimestampError::NotCanonical { .. }));
    }

    #[test]
    fn refuses_nanoseconds_and_out_of_range_years() {
        let error = Timestamp::parse("2026-02-10T01:00:00.123456789Z").unwrap_err();
        assert!(matches!(error, TimestampError::TooPrecise { .. }));
        let error = Timestamp::parse("1899-12-31T23:59:59Z").unwrap_err();
        assert!(matches!(error, TimestampError::OutOfRange { .. }));
        assert!(Timestamp::parse("yesterday").is_err());
        assert_eq!(Timestamp::from_unix_micros(i64::MAX), None);
    }

    #[test]
    fn orders_by_instant() {
        let early = Timestamp::parse("2026-02-10T01:00:00Z").unwrap();
        let late = Timestamp::parse("2026-02-10T01:00:00.000001Z").unwrap();
        assert!(early < late);
        assert_eq!(early.latest(late), late);
        assert_eq!(late.latest(early), late);
    }
}
