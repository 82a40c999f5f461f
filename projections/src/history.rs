//! Time travel in business time: which events a fold as of a past business date admits.
//!
//! `as_of` is a business date: the state of the world on that day, including facts recorded
//! later. A fold as of `D` admits every event that occurred on or before `D` (in the
//! deployment's time zone) and skips the others. A reversal takes effect from the date of what
//! it reverses (a correction says the original was wrong from the start), so it is admitted
//! exactly when its target was. `known_at`, the other sense, needs no filter: since
//! `recorded_at` never decreases along the log, what the log knew at a moment is a prefix of it.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use events::catalogue::EventReversed;
use events::{RecordedEvent, Timestamp};
use uuid::Uuid;

use crate::projection::Config;

/// The first instant (UTC) after the business date `date` ends in the deployment's zone.
pub fn end_of_day(config: &Config, date: NaiveDate) -> Option<Timestamp> {
    let next = date.succ_opt()?;
    Timestamp::start_of_day(next)?.checked_add_micros(-config.utc_offset_hours * 3_600_000_000)
}

/// Decides event by event what a fold as of a business date admits, after a prefix (up to
/// `base`) that is known to be admitted whole.
#[derive(Debug, Clone)]
pub struct AsOfFilter {
    as_of: NaiveDate,
    config: Config,
    base: i64,
    /// Events after `base` that were admitted, for their reversals.
    admitted: BTreeSet<Uuid>,
    /// When set, only these events are remembered as admitted: the ones reversals point at.
    watched: Option<BTreeSet<Uuid>>,
}

impl AsOfFilter {
    /// A filter for folds as of `as_of` whose events up to `base` are all admitted.
    pub fn new(as_of: NaiveDate, config: Config, base: i64) -> AsOfFilter {
        AsOfFilter { as_of, config, base, admitted: BTreeSet::new(), watched: None }
    }

    /// Remembers only the admitted events among `targets`, the ids every reversal the filter
    /// will be shown points at ([`AsOfFilter::reversal_targets`]), so that a fold over a long
    /// stretch of the log holds an id per reversal rather than one per event.
    pub fn watching(mut self, targets: impl IntoIterator<Item = Uuid>) -> AsOfFilter {
        self.watched = Some(targets.into_iter().collect());
        self
    }

    /// The event ids a reversal among `events` points at, for the caller to find positions of.
    pub fn reversal_targets<'e>(events: impl IntoIterator<Item = &'e RecordedEvent>) -> Vec<Uuid> {
        events
            .into_iter()
            .filter(|event| event.event_type == "EventReversed")
            .filter_map(|event| serde_json::from_str::<EventReversed>(&event.payload).ok())
            .map(|reversal| reversal.reversed_event_id)
            .collect()
    }

    /// Whether the fold admits `event`, the next one after `base` in position order that it is
    /// shown. `target_position` finds the position of a reversal's target.
    pub fn admits(
        &mut self,
        event: &RecordedEvent,
        target_position: impl Fn(Uuid) -> Option<i64>,
    ) -> bool {
        let admitted = if event.event_type == "EventReversed" {
            match serde_json::from_str::<EventReversed>(&event.payload) {
                Ok(reversal) => {
                    let target = reversal.reversed_event_id;
                    self.admitted.contains(&target)
                        || target_position(target).is_some_and(|position| position <= self.base)
                }
                // An undecodable reversal is skipped by the fold anyway; date it like any event.
                Err(_) => self.config.local_date(event.occurred_at) <= self.as_of,
            }
        } else {
            self.config.local_date(event.occurred_at) <= self.as_of
        };
        let watched = self.watched.as_ref().is_none_or(|ids| ids.contains(&event.event_id));
        if admitted && watched {
            self.admitted.insert(event.event_id);
        }
        admitted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_business_day_ends_at_local_midnight() {
        let config = Config { utc_offset_hours: 8 };
        let end = end_of_day(&config, NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()).unwrap();
        assert_eq!(end.to_string(), "2026-03-02T16:00:00.000000Z");
    }
}
