//! How a batch of append requests becomes rows: pure code shared by both backends.
//!
//! A backend takes the chain-tip lock, reads the [`WriteState`] the batch needs (the tip, the
//! current version of every stream named, the commands already recorded), asks the clock for
//! `now`, and calls [`plan`]. The plan says which rows to insert and what each request gets
//! back; the backend inserts exactly those rows and commits. Nothing here touches a database,
//! so the rules of appending (expected versions, idempotency, positions, `recorded_at`, hashes)
//! are written once.

use std::collections::BTreeMap;

use events::chain::{self, GENESIS_HASH};
use events::{AppendRequest, RecordedEvent, Timestamp, ids};
use uuid::Uuid;

use super::{AppendError, AppendOutcome, StreamOutcome};

/// The last event of the log, as the writer sees it under the lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChainTip {
    pub(crate) position: i64,
    pub(crate) hash: String,
    pub(crate) recorded_at: Option<Timestamp>,
}

impl ChainTip {
    pub(crate) fn genesis() -> ChainTip {
        ChainTip { position: 0, hash: GENESIS_HASH.to_owned(), recorded_at: None }
    }
}

/// A command already in the log: what it asked for and what it got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredCommand {
    pub(crate) request_digest: String,
    pub(crate) outcome: AppendOutcome,
}

/// What a batch is checked against, read under the chain-tip lock.
#[derive(Debug, Clone, Default)]
pub(crate) struct WriteState {
    pub(crate) tip: Option<ChainTip>,
    /// The current version of each stream the batch names; absent means 0 (no stream).
    pub(crate) stream_versions: BTreeMap<String, i64>,
    pub(crate) commands: BTreeMap<Uuid, StoredCommand>,
}

/// Whether one refused request stops the whole batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BatchMode {
    /// Group commit: each request stands or falls alone.
    Independent,
    /// An import or a demo batch: all requests or none.
    Atomic,
}

/// The rows to write and the answer for each request, in request order.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) events: Vec<RecordedEvent>,
    pub(crate) commands: Vec<(Uuid, StoredCommand)>,
    pub(crate) results: Vec<Result<AppendOutcome, AppendError>>,
    pub(crate) tip: ChainTip,
}

/// Lays out a batch on top of `state`. Requests must already be validated.
pub(crate) fn plan(
    mut state: WriteState,
    now: Timestamp,
    requests: &[AppendRequest],
    mode: BatchMode,
) -> Plan {
    let start_tip = state.tip.take().unwrap_or_else(ChainTip::genesis);
    let recorded_at = start_tip.recorded_at.map_or(now, |previous| now.latest(previous));
    let mut tip = start_tip.clone();
    let mut events = Vec::new();
    let mut commands = Vec::new();
    let mut results = Vec::with_capacity(requests.len());
    for request in requests {
        let result = plan_request(&mut state, &mut tip, recorded_at, request, &mut events);
        if let Ok(outcome) = &result
            && !outcome.duplicate
        {
            let stored = StoredCommand {
                request_digest: request.request_digest.clone(),
                outcome: outcome.clone(),
            };
            state.commands.insert(request.command_id, stored.clone());
            commands.push((request.command_id, stored));
        }
        results.push(result);
    }
    let refused = results.iter().any(Result::is_err);
    if mode == BatchMode::Atomic && refused {
        return Plan { events: Vec::new(), commands: Vec::new(), results, tip: start_tip };
    }
    debug_assert!(events.windows(2).all(|pair| pair[1].position == pair[0].position + 1));
    Plan { events, commands, results, tip }
}

fn plan_request(
    state: &mut WriteState,
    tip: &mut ChainTip,
    recorded_at: Timestamp,
    request: &AppendRequest,
    events: &mut Vec<RecordedEvent>,
) -> Result<AppendOutcome, AppendError> {
    if let Some(stored) = state.commands.get(&request.command_id) {
        if stored.request_digest != request.request_digest {
            return Err(AppendError::CommandReused { command_id: request.command_id });
        }
        return Ok(AppendOutcome { duplicate: true, ..stored.outcome.clone() });
    }
    for stream in &request.streams {
        let actual = state.stream_versions.get(&stream.stream_id).copied().unwrap_or(0);
        if !stream.expected.admits(actual) {
            let stream_id = stream.stream_id.clone();
            return Err(AppendError::Conflict { stream_id, expected: stream.expected, actual });
        }
    }
    let first_position = tip.position + 1;
    let mut streams = Vec::with_capacity(request.streams.len());
    let mut index: u32 = 0;
    for stream in request.streams.iter().filter(|stream| !stream.events.is_empty()) {
        let version = state.stream_versions.entry(stream.stream_id.clone()).or_insert(0);
        let first_version = *version + 1;
        for new_event in &stream.events {
            *version += 1;
            let mut event = RecordedEvent {
                position: tip.position + 1,
                event_id: ids::event_id(request.command_id, index),
                command_id: request.command_id,
                stream_id: stream.stream_id.clone(),
                stream_version: *version,
                event_type: new_event.event_type.clone(),
                schema_version: new_event.schema_version,
                occurred_at: new_event.occurred_at,
                recorded_at,
                actor: request.metadata.actor.clone(),
                role: request.metadata.role.clone(),
                organisation: request.metadata.organisation.clone(),
                facility: new_event.facility.clone(),
                source: request.metadata.source,
                reason: new_event.reason.clone(),
                document_ref: new_event.document_ref.clone(),
                correlation_id: request.metadata.correlation_id,
                causation_id: request.metadata.causation_id,
                payload: new_event.payload.clone(),
                prev_hash: tip.hash.clone(),
                hash: String::new(),
            };
            event.hash = chain::event_hash(&event);
            *tip = ChainTip {
                position: event.position,
                hash: event.hash.clone(),
                recorded_at: Some(recorded_at),
            };
            events.push(event);
            index += 1;
        }
        let stream_id = stream.stream_id.clone();
        streams.push(StreamOutcome { stream_id, first_version, last_version: *version });
    }
    assert!(index > 0, "validated requests hold at least one event");
    Ok(AppendOutcome {
        command_id: request.command_id,
        first_position,
        last_position: tip.position,
        recorded_at,
        last_hash: tip.hash.clone(),
        streams,
        reply: request.reply.clone(),
        duplicate: false,
    })
}

#[cfg(test)]
mod tests {
    use events::{ExpectedVersion, Metadata, NewEvent, Source, StreamAppend};

    use super::*;

    fn request(command: u128, streams: &[(&str, ExpectedVersion, usize)]) -> AppendRequest {
        let metadata = Metadata {
            actor: "a".to_owned(),
            role: "r".to_owned(),
            organisation: "o".to_owned(),
            source: Source::System,
            correlation_id: Uuid::from_u128(command),
            causation_id: None,
        };
        let event = NewEvent {
            event_type: "T".to_owned(),
            schema_version: 1,
            occurred_at: Timestamp::parse("2026-01-01T00:00:00Z").unwrap(),
            facility: None,
            reason: None,
            document_ref: None,
            payload: "{}".to_owned(),
        };
        let streams = streams
            .iter()
            .map(|&(stream_id, expected, count)| StreamAppend {
                stream_id: stream_id.to_owned(),
                expected,
                events: vec![event.clone(); count],
            })
            .collect();
        AppendRequest::new(Uuid::from_u128(command), metadata, streams)
    }

    fn now() -> Timestamp {
        Timestamp::parse("2026-03-01T00:00:00Z").unwrap()
    }

    #[test]
    fn positions_follow_the_tip_and_versions_follow_each_stream() {
        let requests = [
            request(1, &[("a-1", ExpectedVersion::NO_STREAM, 2), ("b-1", ExpectedVersion::Any, 1)]),
            request(2, &[("a-1", ExpectedVersion::Exact(2), 1)]),
        ];
        let plan = plan(WriteState::default(), now(), &requests, BatchMode::Independent);
        let positions: Vec<_> =
            plan.events.iter().map(|e| (e.position, e.stream_version)).collect();
        assert_eq!(positions, [(1, 1), (2, 2), (3, 1), (4, 3)]);
        assert_eq!(plan.events[0].prev_hash, GENESIS_HASH);
        assert_eq!(plan.events[1].prev_hash, plan.events[0].hash);
        assert_eq!(plan.tip.position, 4);
        assert_eq!(plan.commands.len(), 2);
    }

    #[test]
    fn a_conflict_in_a_group_fails_only_its_own_request() {
        let requests = [
            request(1, &[("a-1", ExpectedVersion::NO_STREAM, 1)]),
            request(2, &[("a-1", ExpectedVersion::NO_STREAM, 1)]),
            request(3, &[("b-1", ExpectedVersion::NO_STREAM, 1)]),
        ];
        let plan = plan(WriteState::default(), now(), &requests, BatchMode::Independent);
        assert!(plan.results[0].is_ok() && plan.results[2].is_ok());
        let conflict = plan.results[1].as_ref().unwrap_err();
        assert!(matches!(conflict, AppendError::Conflict { actual: 1, .. }));
        assert_eq!(plan.events.len(), 2);
        assert_eq!(plan.events[1].position, 2);
    }

    #[test]
    fn an_atomic_batch_with_one_refusal_writes_nothing() {
        let requests = [
            request(1, &[("a-1", ExpectedVersion::NO_STREAM, 1)]),
            request(2, &[("a-1", ExpectedVersion::NO_STREAM, 1)]),
        ];
        let plan = plan(WriteState::default(), now(), &requests, BatchMode::Atomic);
        assert!(plan.events.is_empty() && plan.commands.is_empty());
        assert_eq!(plan.tip, ChainTip::genesis());
    }

    #[test]
    fn recorded_at_never_goes_back_behind_the_tip() {
        let later = Timestamp::parse("2027-01-01T00:00:00Z").unwrap();
        let tip = ChainTip { position: 7, hash: "ab".repeat(32), recorded_at: Some(later) };
        let state = WriteState { tip: Some(tip), ..WriteState::default() };
        let requests = [request(1, &[("a-1", ExpectedVersion::Any, 1)])];
        let plan = plan(state, now(), &requests, BatchMode::Independent);
        assert_eq!(plan.events[0].recorded_at, later);
        assert_eq!(plan.events[0].position, 8);
    }

    #[test]
    fn a_repeated_command_in_one_batch_is_answered_as_a_duplicate() {
        let first = request(1, &[("a-1", ExpectedVersion::NO_STREAM, 1)]);
        let mut reused = request(1, &[("a-1", ExpectedVersion::NO_STREAM, 2)]);
        reused.command_id = first.command_id;
        let requests = [first.clone(), first, reused];
        let plan = plan(WriteState::default(), now(), &requests, BatchMode::Independent);
        assert_eq!(plan.events.len(), 1);
        assert!(plan.results[1].as_ref().unwrap().duplicate);
        assert!(matches!(plan.results[2], Err(AppendError::CommandReused { .. })));
    }
}
