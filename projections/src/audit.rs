//! Audit trails: the events about one subject (a person, a participation, a package, a grant,
//! an actor) in log order, each with what happened, who, where, when it happened and when it
//! was recorded, and why; a reversed event carries the reversal next to it.
//!
//! The shell selects the events; this module orders, filters and links them.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use events::RecordedEvent;
use events::catalogue::EventReversed;
use serde::Serialize;
use uuid::Uuid;

use crate::projection::Config;

/// What a trail is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    Person,
    Participation,
    Package,
    Grant,
    Actor,
}

impl SubjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Person => "person",
            SubjectKind::Participation => "participation",
            SubjectKind::Package => "package",
            SubjectKind::Grant => "grant",
            SubjectKind::Actor => "actor",
        }
    }
}

/// The reversal of an event, shown next to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReversedBy {
    pub position: i64,
    pub event_id: Uuid,
    pub actor: String,
    pub recorded_at: String,
    pub reason: Option<String>,
    /// For a late correction: who asked for it (the actor approved it).
    pub requested_by: Option<String>,
}

/// What a reversal reverses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reverses {
    pub event_id: Uuid,
    pub event_type: String,
    /// The reversed event's position, when it is in this trail.
    pub position: Option<i64>,
}

/// One event of a trail.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub position: i64,
    pub event_id: Uuid,
    pub stream_id: String,
    pub event_type: String,
    pub summary: String,
    pub occurred_at: String,
    pub recorded_at: String,
    pub actor: String,
    pub role: String,
    pub organisation: String,
    pub facility: Option<String>,
    pub source: String,
    pub reason: Option<String>,
    pub document_ref: Option<String>,
    pub payload: serde_json::Value,
    pub reversed_by: Option<ReversedBy>,
    pub reverses: Option<Reverses>,
}

/// A subject's trail.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trail {
    pub subject: SubjectKind,
    pub id: String,
    /// Only events that occurred on or before this business date, when given.
    pub as_of: Option<NaiveDate>,
    pub entries: Vec<Entry>,
}

/// Builds a trail from `events` (any order; duplicates are dropped) and `reversals`, extra
/// reversals that may point into it from streams outside the selection.
pub fn trail(
    subject: SubjectKind,
    id: &str,
    events: &[RecordedEvent],
    reversals: &[RecordedEvent],
    as_of: Option<NaiveDate>,
    config: &Config,
) -> Trail {
    // As of a business date: what occurred by then; a reversal goes with what it reverses
    // (a correction says the original was wrong from the start), as in the as-of reports.
    let happened = |event: &RecordedEvent| {
        as_of.is_none_or(|as_of| config.local_date(event.occurred_at) <= as_of)
    };
    let reversal_target = |event: &RecordedEvent| {
        (event.event_type == "EventReversed")
            .then(|| serde_json::from_str::<EventReversed>(&event.payload).ok())
            .flatten()
            .map(|reversal| reversal.reversed_event_id)
    };
    let mut selected: BTreeMap<i64, &RecordedEvent> = BTreeMap::new();
    for event in events.iter().filter(|event| reversal_target(event).is_none() && happened(event)) {
        selected.insert(event.position, event);
    }
    let shown: BTreeSet<Uuid> = selected.values().map(|event| event.event_id).collect();
    for event in events {
        if reversal_target(event).is_some_and(|target| shown.contains(&target)) {
            selected.insert(event.position, event);
        }
    }
    let happened = |event: &RecordedEvent| {
        reversal_target(event).map_or_else(|| happened(event), |target| shown.contains(&target))
    };
    let position_of: BTreeMap<Uuid, i64> =
        selected.values().map(|event| (event.event_id, event.position)).collect();
    let mut reversed_by: BTreeMap<Uuid, ReversedBy> = BTreeMap::new();
    let all_reversals = selected.values().copied().chain(reversals.iter().filter(|e| happened(e)));
    for reversal in all_reversals.filter(|event| event.event_type == "EventReversed") {
        if let Ok(payload) = serde_json::from_str::<EventReversed>(&reversal.payload) {
            reversed_by.entry(payload.reversed_event_id).or_insert(ReversedBy {
                position: reversal.position,
                event_id: reversal.event_id,
                actor: reversal.actor.clone(),
                recorded_at: config.local_time_text(reversal.recorded_at),
                reason: reversal.reason.clone(),
                requested_by: payload.requested_by,
            });
        }
    }
    let entries = selected
        .values()
        .map(|event| {
            let payload = serde_json::from_str(&event.payload)
                .unwrap_or_else(|_| serde_json::Value::String(event.payload.clone()));
            let reverses = (event.event_type == "EventReversed")
                .then(|| serde_json::from_str::<EventReversed>(&event.payload).ok())
                .flatten()
                .map(|reversal| Reverses {
                    event_id: reversal.reversed_event_id,
                    event_type: reversal.reversed_event_type,
                    position: position_of.get(&reversal.reversed_event_id).copied(),
                });
            Entry {
                position: event.position,
                event_id: event.event_id,
                stream_id: event.stream_id.clone(),
                event_type: event.event_type.clone(),
                summary: summary(&payload),
                occurred_at: config.local_time_text(event.occurred_at),
                recorded_at: config.local_time_text(event.recorded_at),
                actor: event.actor.clone(),
                role: event.role.clone(),
                organisation: event.organisation.clone(),
                facility: event.facility.clone(),
                source: event.source.as_str().to_owned(),
                reason: event.reason.clone(),
                document_ref: event.document_ref.clone(),
                payload,
                reversed_by: reversed_by.get(&event.event_id).cloned(),
                reverses,
            }
        })
        .collect();
    Trail { subject, id: id.to_owned(), as_of, entries }
}

/// A one-line account of a payload: its plain fields as `name=value`, lists as their length.
pub fn summary(payload: &serde_json::Value) -> String {
    let Some(fields) = payload.as_object() else { return payload.to_string() };
    fields
        .iter()
        .filter_map(|(name, value)| match value {
            serde_json::Value::Null => None,
            serde_json::Value::String(text) => Some(format!("{name}={text}")),
            serde_json::Value::Array(items) => Some(format!("{name}=[{}]", items.len())),
            serde_json::Value::Object(_) => Some(format!("{name}={{…}}")),
            other => Some(format!("{name}={other}")),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use events::{Source, Timestamp};

    use super::*;

    fn event(position: i64, event_type: &str, occurred: &str, payload: &str) -> RecordedEvent {
        RecordedEvent {
            position,
            event_id: Uuid::from_u128(position as u128),
            command_id: Uuid::from_u128(1000 + position as u128),
            stream_id: "participation-1".to_owned(),
            stream_version: position,
            event_type: event_type.to_owned(),
            schema_version: 1,
            occurred_at: Timestamp::parse(occurred).unwrap(),
            recorded_at: Timestamp::parse("2026-03-10T02:00:00Z").unwrap(),
            actor: "petugas.andi".to_owned(),
            role: "petugas_pembinaan".to_owned(),
            organisation: "rutan-soe".to_owned(),
            facility: Some("RUTAN-SOE".to_owned()),
            source: Source::Cli,
            reason: (event_type == "EventReversed").then(|| "salah input".to_owned()),
            document_ref: None,
            correlation_id: Uuid::from_u128(7),
            causation_id: None,
            payload: payload.to_owned(),
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn a_reversal_sits_next_to_what_it_reverses_and_as_of_hides_later_events() {
        let mark = event(
            2,
            "AttendanceMarked",
            "2026-03-02T01:00:00Z",
            r#"{"code":"hadir","note":null,"items":[1,2]}"#,
        );
        let reversal_payload = format!(
            r#"{{"reversed_event_id":"{}","reversed_event_type":"AttendanceMarked","target":"s","request_id":null,"requested_by":null}}"#,
            Uuid::from_u128(2)
        );
        let reversal = event(3, "EventReversed", "2026-03-05T01:00:00Z", &reversal_payload);
        let first = event(1, "ParticipantNominated", "2026-03-01T01:00:00Z", r#"{"package":"p"}"#);
        let events = [reversal.clone(), first, mark, reversal];
        let config = Config::default();

        let whole = trail(SubjectKind::Participation, "1", &events, &[], None, &config);
        let positions: Vec<i64> = whole.entries.iter().map(|entry| entry.position).collect();
        assert_eq!(positions, [1, 2, 3], "in log order, once each");
        let reversed = whole.entries[1].reversed_by.as_ref().expect("the mark was reversed");
        assert_eq!((reversed.position, reversed.reason.as_deref()), (3, Some("salah input")));
        assert_eq!(whole.entries[2].reverses.as_ref().unwrap().position, Some(2));
        assert_eq!(whole.entries[1].summary, "code=hadir, items=[2]");
        assert_eq!(whole.entries[1].occurred_at, "2026-03-02 09:00:00");

        // As of 2 March the mark had happened; its reversal (recorded on 5 March) goes with it.
        let as_of = NaiveDate::from_ymd_opt(2026, 3, 2);
        let earlier = trail(SubjectKind::Participation, "1", &events, &[], as_of, &config);
        assert_eq!(earlier.entries.len(), 3);
        assert_eq!(earlier.entries[1].reversed_by.as_ref().map(|r| r.position), Some(3));
        // As of 1 March neither had.
        let as_of = NaiveDate::from_ymd_opt(2026, 3, 1);
        let earliest = trail(SubjectKind::Participation, "1", &events, &[], as_of, &config);
        assert_eq!(earliest.entries.iter().map(|e| e.position).collect::<Vec<_>>(), [1]);
    }
}
