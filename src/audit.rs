//! `jejak audit`: selects the events about a subject from the log and hands them to the pure
//! trail builder (`projections::audit`), then prints the trail.
//!
//! A person's trail holds their person stream, every participation opened for them and its
//! grant, and the records merged into theirs. A participation's holds its stream and its
//! grant's. An actor's holds every event they wrote, with reversals by anyone next to them.

use std::collections::BTreeSet;
use std::io::Write;

use chrono::NaiveDate;
use events::catalogue::{ParticipationOpened, PersonRecordsMerged};
use events::limits::PAGE_EVENTS_MAX;
use events::{RecordedEvent, streams};
use projections::audit::{SubjectKind, Trail};
use projections::projection::Config;
use uuid::Uuid;

use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("`{id}` is not a {kind} id: give the UUID")]
    BadId { kind: &'static str, id: String },
    #[error("the log holds no event about {kind} {id}")]
    NotFound { kind: &'static str, id: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl crate::store::StoreFailure for AuditError {
    fn store_error(&self) -> Option<&StoreError> {
        match self {
            AuditError::Store(error) => Some(error),
            _ => None,
        }
    }
}

/// The trail of one subject; with `facility`, only what happened in that facility. A subject
/// with nothing there is not found, in the same words as one the log has never seen, so that
/// the answer does not tell whether it exists elsewhere.
pub async fn trail(
    store: &Store,
    subject: SubjectKind,
    id: &str,
    as_of: Option<NaiveDate>,
    config: &Config,
    facility: Option<&str>,
) -> Result<Trail, AuditError> {
    let uuid = || {
        Uuid::parse_str(id)
            .map_err(|_| AuditError::BadId { kind: subject.as_str(), id: id.to_owned() })
    };
    let mut reversals = Vec::new();
    let events = match subject {
        SubjectKind::Person => person_events(store, id).await?,
        SubjectKind::Participation => {
            let participation = uuid()?;
            let mut events = read_stream(store, &streams::participation(participation)).await?;
            let grant = streams::grant(streams::grant_id(participation));
            events.extend(read_stream(store, &grant).await?);
            events
        }
        SubjectKind::Package => read_stream(store, &streams::package(uuid()?)).await?,
        SubjectKind::Grant => read_stream(store, &streams::grant(uuid()?)).await?,
        SubjectKind::Actor => {
            reversals = read_pages(|from| store.read_reversals(from, PAGE_EVENTS_MAX)).await?;
            read_pages(|from| store.read_by_actor(id, from, PAGE_EVENTS_MAX)).await?
        }
    };
    let not_found = || AuditError::NotFound { kind: subject.as_str(), id: id.to_owned() };
    if events.is_empty() {
        return Err(not_found());
    }
    let mut trail = projections::audit::trail(subject, id, &events, &reversals, as_of, config);
    if let Some(facility) = facility {
        trail.entries.retain(|entry| entry.facility.as_deref() == Some(facility));
        if trail.entries.is_empty() {
            return Err(not_found());
        }
    }
    Ok(trail)
}

/// A person's stream, the records merged into it, and every participation and grant of theirs.
async fn person_events(store: &Store, person_ref: &str) -> Result<Vec<RecordedEvent>, StoreError> {
    let mut events = Vec::new();
    let mut people = vec![person_ref.to_owned()];
    let mut seen = BTreeSet::new();
    while let Some(person) = people.pop() {
        if !seen.insert(person.clone()) {
            continue;
        }
        let stream = read_stream(store, &streams::person(&person)).await?;
        for event in &stream {
            match event.event_type.as_str() {
                "ParticipationOpened" => {
                    if let Ok(opened) = serde_json::from_str::<ParticipationOpened>(&event.payload)
                    {
                        let id = opened.participation_id;
                        events.extend(read_stream(store, &streams::participation(id)).await?);
                        let grant = streams::grant(streams::grant_id(id));
                        events.extend(read_stream(store, &grant).await?);
                    }
                }
                "PersonRecordsMerged" => {
                    if let Ok(merged) = serde_json::from_str::<PersonRecordsMerged>(&event.payload)
                    {
                        people.push(merged.merged_ref);
                    }
                }
                _ => {}
            }
        }
        events.extend(stream);
    }
    Ok(events)
}

async fn read_stream(store: &Store, stream_id: &str) -> Result<Vec<RecordedEvent>, StoreError> {
    let mut events: Vec<RecordedEvent> = Vec::new();
    loop {
        let from = events.last().map_or(1, |event| event.stream_version + 1);
        let page = store.read_stream(stream_id, from, PAGE_EVENTS_MAX).await?;
        let done = page.len() < PAGE_EVENTS_MAX;
        events.extend(page);
        if done {
            return Ok(events);
        }
    }
}

/// Every page of a read by position.
async fn read_pages<F, Fut>(mut read: F) -> Result<Vec<RecordedEvent>, StoreError>
where
    F: FnMut(i64) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<RecordedEvent>, StoreError>>,
{
    let mut events: Vec<RecordedEvent> = Vec::new();
    loop {
        let from = events.last().map_or(1, |event| event.position + 1);
        let page = read(from).await?;
        let done = page.len() < PAGE_EVENTS_MAX;
        events.extend(page);
        if done {
            return Ok(events);
        }
    }
}

/// Prints a trail for people: each event on a few lines, its reversal under it.
pub fn print_table(out: &mut impl Write, trail: &Trail, config: &Config) -> std::io::Result<()> {
    let as_of = trail.as_of.map(|date| format!(", as of {date}")).unwrap_or_default();
    writeln!(
        out,
        "Audit trail of {} {}{as_of}: {} events (times are UTC{:+})",
        trail.subject.as_str(),
        trail.id,
        trail.entries.len(),
        config.utc_offset_hours
    )?;
    for entry in &trail.entries {
        writeln!(out)?;
        writeln!(out, "#{}  {}  in {}", entry.position, entry.event_type, entry.stream_id)?;
        writeln!(out, "    when:  occurred {}, recorded {}", entry.occurred_at, entry.recorded_at)?;
        let place = entry.facility.as_deref().map(|f| format!(" at {f}")).unwrap_or_default();
        writeln!(
            out,
            "    who:   {} ({}, {}){place} via {}",
            entry.actor, entry.role, entry.organisation, entry.source
        )?;
        if entry.reason.is_some() || entry.document_ref.is_some() {
            let reason = entry.reason.as_deref().unwrap_or("-");
            let document = entry
                .document_ref
                .as_deref()
                .map(|d| format!(" [document {d}]"))
                .unwrap_or_default();
            writeln!(out, "    why:   {reason}{document}")?;
        }
        writeln!(out, "    what:  {}", entry.summary)?;
        if let Some(reverses) = &entry.reverses {
            let at =
                reverses.position.map(|p| format!("#{p}")).unwrap_or(reverses.event_id.to_string());
            writeln!(out, "    reverses {at} ({})", reverses.event_type)?;
        }
        if let Some(reversed) = &entry.reversed_by {
            let requested = reversed
                .requested_by
                .as_deref()
                .map(|r| format!(", requested by {r}"))
                .unwrap_or_default();
            writeln!(
                out,
                "    REVERSED by #{} on {} by {}{requested}: {}",
                reversed.position,
                reversed.recorded_at,
                reversed.actor,
                reversed.reason.as_deref().unwrap_or("-")
            )?;
        }
    }
    Ok(())
}
