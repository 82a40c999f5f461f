//! Time to the first proven reoffence (issue 25, item 1): per group of recidivism definition
//! 2, the Kaplan–Meier share not yet reoffended at 6, 12, 24, 36 and 60 months after release,
//! over everyone followed so far — not only those whose whole window has passed.
//!
//! A person is followed from t0 to the earliest of their death, and the data cut-off less the
//! waiting period (an offence after that may not be convicted yet: it would read as no
//! offence). The event is the first offence in that time convicted by the cut-off.

use chrono::{Months, NaiveDate};

use super::people::People;
use crate::survival::Observation;

/// The points of the curve the report prints, in months after release.
pub(super) const MONTHS: [u32; 5] = [6, 12, 24, 36, 60];

/// Months as days on the curve's axis: 365.25 / 12 days each.
pub(super) fn days(months: u32) -> i64 {
    (f64::from(months) * 365.25 / 12.0).round() as i64
}

/// One person's follow-up for the first proven reoffence; `None` when the follow-up ends
/// before it starts (released after the cut-off less the waiting period).
pub(super) fn observation(
    people: &People,
    person_ref: &str,
    t0: NaiveDate,
    waiting: u32,
    cut_off: NaiveDate,
) -> Option<Observation> {
    let followed_to = cut_off.checked_sub_months(Months::new(waiting))?;
    let died = people.died_on(person_ref);
    let end = died.map_or(followed_to, |died| died.min(followed_to));
    if end < t0 {
        return None;
    }
    let cases = people.cases.get(person_ref).into_iter().flatten();
    let first = cases
        .filter(|case| t0 <= case.offence_date && case.offence_date <= end)
        .filter(|case| case.conviction_date.is_some_and(|convicted| convicted <= cut_off))
        .map(|case| case.offence_date)
        .min();
    Some(match first {
        Some(offence) => Observation { days: (offence - t0).num_days(), event: true },
        None => Observation { days: (end - t0).num_days(), event: false },
    })
}

/// How many of `observations` are still followed at `day` (neither reoffended nor censored
/// before it), and how many reoffended on or before it.
pub(super) fn at(observations: &[Observation], day: i64) -> (i64, i64) {
    let at_risk = observations.iter().filter(|o| o.days >= day).count() as i64;
    let events = observations.iter().filter(|o| o.event && o.days <= day).count() as i64;
    (at_risk, events)
}
