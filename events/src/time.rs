//! Instants in UTC at microsecond precision, with one fixed text form.
//!
//! Every timestamp in the log (`occurred_at`, `recorded_at`) is a [`Timestamp`]: microseconds
//! since the Unix epoch, UTC. Its text form is always `YYYY-MM-DDTHH:MM:SS.ffffffZ` (27 bytes),
//! the form that is stored in SQLite, written to exports and fed to the hash chain, so a
//! timestamp survives a round trip through either database byte for byte.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
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
        // Every stored timestamp is read through here (the whole log, on replay and verify),
        // so the fixed form is read field by field; anything else takes the general path,
        // which names what is wrong.
        if let Some(timestamp) = Timestamp::parse_fixed(text.as_bytes()) {
            return Ok(timestamp);
        }
        let timestamp = Timestamp::parse(text)?;
        if timestamp.to_string() != text {
            return Err(TimestampError::NotCanonical { text: text.to_owned() });
        }
        Ok(timestamp)
    }

    /// Reads `YYYY-MM-DDTHH:MM:SS.ffffffZ` with every field in range, or nothing. Such a text
    /// is the canonical form of the instant it names: each field has its fixed width.
    fn parse_fixed(text: &[u8]) -> Option<Timestamp> {
        let [
            y0,
            y1,
            y2,
            y3,
            b'-',
            m0,
            m1,
            b'-',
            d0,
            d1,
            b'T',
            h0,
            h1,
            b':',
            i0,
            i1,
            b':',
            s0,
            s1,
            b'.',
            f0,
            f1,
            f2,
            f3,
            f4,
            f5,
            b'Z',
        ] = *text
        else {
            return None;
        };
        let number = |digits: &[u8]| -> Option<u32> {
            digits.iter().try_fold(0_u32, |value, &digit| {
                digit.is_ascii_digit().then(|| value * 10 + u32::from(digit - b'0'))
            })
        };
        let year = i32::try_from(number(&[y0, y1, y2, y3])?).ok()?;
        let date = NaiveDate::from_ymd_opt(year, number(&[m0, m1])?, number(&[d0, d1])?)?;
        let micro = number(&[f0, f1, f2, f3, f4, f5])?;
        let (hour, minute, second) = (number(&[h0, h1])?, number(&[i0, i1])?, number(&[s0, s1])?);
        if second > 59 {
            return None;
        }
        Timestamp::from_datetime(date.and_hms_micro_opt(hour, minute, second, micro)?.and_utc())
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

impl Timestamp {
    /// The canonical text, `YYYY-MM-DDTHH:MM:SS.ffffffZ`, written digit by digit: the hash
    /// chain encodes two per event, and the store writes two per event.
    pub fn canonical_bytes(self) -> [u8; 27] {
        let datetime = self.to_datetime();
        let (date, time) = (datetime.date_naive(), datetime.time());
        let mut text = *b"0000-00-00T00:00:00.000000Z";
        let mut digits = |at: usize, width: usize, value: u32| {
            let mut value = value;
            for slot in text[at..at + width].iter_mut().rev() {
                *slot = b'0' + (value % 10) as u8;
                value /= 10;
            }
        };
        // Years are 1900-9999 (`from_unix_micros`), so four digits always hold them.
        digits(0, 4, u32::try_from(date.year()).unwrap_or(0));
        digits(5, 2, date.month());
        digits(8, 2, date.day());
        digits(11, 2, time.hour());
        digits(14, 2, time.minute());
        digits(17, 2, time.second());
        digits(20, 6, time.nanosecond() / 1_000);
        text
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The same text as `to_rfc3339_opts(SecondsFormat::Micros, true)` (a test holds them
        // equal).
        let text = self.canonical_bytes();
        f.write_str(std::str::from_utf8(&text).expect("ASCII digits and separators"))
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

    /// What `parse_canonical` accepted before its fixed-form fast path.
    fn parse_canonical_slowly(text: &str) -> Result<Timestamp, TimestampError> {
        let timestamp = Timestamp::parse(text)?;
        if timestamp.to_datetime().to_rfc3339_opts(chrono::SecondsFormat::Micros, true) != text {
            return Err(TimestampError::NotCanonical { text: text.to_owned() });
        }
        Ok(timestamp)
    }

    proptest::proptest! {
        #[test]
        fn the_text_form_is_chronos_and_reads_back(
            micros in Timestamp::parse("1900-01-01T00:00:00Z").unwrap().unix_micros()
                ..=Timestamp::parse("9999-12-31T23:59:59.999999Z").unwrap().unix_micros()
        ) {
            let timestamp = Timestamp::from_unix_micros(micros).unwrap();
            let text = timestamp.to_string();
            let chrono = timestamp.to_datetime().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
            proptest::prop_assert_eq!(&text, &chrono);
            proptest::prop_assert_eq!(Timestamp::parse_canonical(&text), Ok(timestamp));
        }

        #[test]
        fn the_fast_path_accepts_exactly_what_the_general_one_does(
            micros in Timestamp::parse("1900-01-01T00:00:00Z").unwrap().unix_micros()
                ..=Timestamp::parse("9999-12-31T23:59:59.999999Z").unwrap().unix_micros(),
            at in 0_usize..27,
            byte in proptest::prop_oneof![
                b'0'..=b'9',
                proptest::strategy::Just(b'-'),
                proptest::strategy::Just(b':'),
                proptest::strategy::Just(b'Z'),
                proptest::strategy::Just(b' '),
            ],
        ) {
            let mut text = Timestamp::from_unix_micros(micros).unwrap().to_string().into_bytes();
            text[at] = byte;
            let text = String::from_utf8(text).unwrap();
            proptest::prop_assert_eq!(
                Timestamp::parse_canonical(&text).ok(),
                parse_canonical_slowly(&text).ok(),
                "{}", text
            );
        }
    }

    #[test]
    fn impossible_dates_and_times_are_refused() {
        for text in [
            "2026-02-30T00:00:00.000000Z",
            "2026-13-01T00:00:00.000000Z",
            "2026-01-01T24:00:00.000000Z",
            "2026-01-01T23:60:00.000000Z",
            "2026-12-31T23:59:60.000000Z",
            "1899-12-31T23:59:59.999999Z",
        ] {
            assert!(Timestamp::parse_canonical(text).is_err(), "{text}");
        }
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
