//! What each attendance code counts as, and the one definition of the attendance rate.
//!
//! Completion, reports and compliance all call [`rate`]; nothing else computes it.
//!
//! - A session counts toward the rate if it was held (not cancelled) on a day the participant
//!   was active, and its mark (if any) is not one of the codes that take a session out of the
//!   count (`dibebaskan`, `sesi_dibatalkan`, `ditangguhkan`).
//! - It counts as attended if its mark is `hadir` or `terlambat`.
//! - A counted session with no mark counts as not attended: an unrecorded session is not
//!   presence.

use serde::{Deserialize, Serialize};

use crate::vocabulary::AttendanceCode;

impl AttendanceCode {
    /// Present: the session counts as attended.
    pub fn counts_as_attended(self) -> bool {
        matches!(self, AttendanceCode::Hadir | AttendanceCode::Terlambat)
    }

    /// An absence with a good reason (ACCAB); `alpa` and `menolak` are not.
    pub fn acceptable_absence(self) -> bool {
        matches!(
            self,
            AttendanceCode::Sakit
                | AttendanceCode::Izin
                | AttendanceCode::Dibebaskan
                | AttendanceCode::Bentrok
                | AttendanceCode::SesiDibatalkan
                | AttendanceCode::Ditangguhkan
        )
    }

    /// Whether a session with this mark counts toward the rate at all.
    pub fn counts_toward_rate(self) -> bool {
        !matches!(
            self,
            AttendanceCode::Dibebaskan
                | AttendanceCode::SesiDibatalkan
                | AttendanceCode::Ditangguhkan
        )
    }

    /// Codes only the system writes: a cancelled session, a suspension.
    pub fn system_only(self) -> bool {
        matches!(self, AttendanceCode::SesiDibatalkan)
    }
}

/// Sessions attended out of sessions counted, and the training hours attended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rate {
    pub attended: u32,
    pub expected: u32,
    pub hours_attended: u32,
}

impl Rate {
    /// Whether the rate reaches `threshold_percent`. Integer arithmetic: no rounding.
    /// With nothing expected, the threshold is not reached.
    pub fn meets(self, threshold_percent: u8) -> bool {
        self.expected > 0
            && u64::from(self.attended) * 100
                >= u64::from(threshold_percent) * u64::from(self.expected)
    }

    /// The rate in basis points (1/100 of a percent), rounded down; `None` with nothing expected.
    pub fn basis_points(self) -> Option<u32> {
        if self.expected == 0 {
            return None;
        }
        Some((u64::from(self.attended) * 10_000 / u64::from(self.expected)) as u32)
    }
}

/// One session, as the rate sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionMark {
    /// The session was held on a day the participant was active.
    pub held_while_active: bool,
    pub hours: u32,
    pub mark: Option<AttendanceCode>,
}

/// The attendance rate over `sessions`.
pub fn rate(sessions: impl IntoIterator<Item = SessionMark>) -> Rate {
    let mut rate = Rate::default();
    for session in sessions {
        if !session.held_while_active {
            continue;
        }
        match session.mark {
            Some(code) if !code.counts_toward_rate() => {}
            Some(code) if code.counts_as_attended() => {
                rate.expected += 1;
                rate.attended += 1;
                rate.hours_attended += session.hours;
            }
            Some(_) | None => rate.expected += 1,
        }
    }
    rate
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(mark: Option<AttendanceCode>) -> SessionMark {
        SessionMark { held_while_active: true, hours: 4, mark }
    }

    #[test]
    fn present_and_late_count_as_attended_excused_codes_leave_the_count() {
        use AttendanceCode::*;
        let sessions =
            [Hadir, Terlambat, Sakit, Alpa, Dibebaskan, SesiDibatalkan, Ditangguhkan, Izin]
                .map(|code| session(Some(code)));
        let rate = rate(sessions);
        assert_eq!(rate, Rate { attended: 2, expected: 5, hours_attended: 8 });
        assert_eq!(rate.basis_points(), Some(4_000));
    }

    #[test]
    fn an_unmarked_session_counts_as_not_attended_and_inactive_days_do_not_count() {
        let inactive = SessionMark { held_while_active: false, hours: 4, mark: None };
        let rate = rate([session(Some(AttendanceCode::Hadir)), session(None), inactive]);
        assert_eq!((rate.attended, rate.expected), (1, 2));
    }

    #[test]
    fn the_threshold_is_met_exactly_at_the_boundary() {
        let at = Rate { attended: 4, expected: 5, hours_attended: 0 };
        let below = Rate { attended: 3, expected: 4, hours_attended: 0 };
        assert!(at.meets(80));
        assert!(!below.meets(80));
        assert!(!Rate::default().meets(80), "nothing expected never meets a threshold");
        assert!(Rate::default().basis_points().is_none());
    }

    #[test]
    fn every_code_is_either_attended_or_an_absence_of_some_kind() {
        for code in AttendanceCode::ALL {
            let attended = code.counts_as_attended();
            let absence = code.acceptable_absence()
                || matches!(code, AttendanceCode::Alpa | AttendanceCode::Menolak);
            assert!(attended ^ absence, "{code}");
        }
    }
}
