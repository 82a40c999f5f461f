//! Tests of the canonical encoding and the chain verifier: a pinned test vector, and one test
//! per kind of break, each checking the position the verifier names.

use uuid::Uuid;

use super::*;
use crate::envelope::Source;

fn event(position: i64, stream_id: &str, stream_version: i64, prev_hash: &str) -> RecordedEvent {
    let mut event = RecordedEvent {
        position,
        event_id: Uuid::from_u128(position as u128),
        command_id: Uuid::from_u128(1000 + position as u128),
        stream_id: stream_id.to_owned(),
        stream_version,
        event_type: "PackageDefined".to_owned(),
        schema_version: 1,
        occurred_at: Timestamp::parse("2026-02-10T01:00:00Z").unwrap(),
        recorded_at: Timestamp::from_unix_micros(1_770_685_200_000_000 + position).unwrap(),
        actor: "petugas.andi".to_owned(),
        role: "petugas_pembinaan".to_owned(),
        organisation: "rutan-soe".to_owned(),
        facility: Some("RUTAN-SOE".to_owned()),
        source: Source::Cli,
        reason: None,
        document_ref: None,
        correlation_id: Uuid::from_u128(7),
        causation_id: None,
        payload: format!(r#"{{"n":{position}}}"#),
        prev_hash: prev_hash.to_owned(),
        hash: String::new(),
    };
    event.hash = event_hash(&event);
    event
}

fn chain(length: i64) -> Vec<RecordedEvent> {
    let mut events: Vec<RecordedEvent> = Vec::new();
    for position in 1..=length {
        let prev_hash = events.last().map_or(GENESIS_HASH.to_owned(), |last| last.hash.clone());
        let stream = if position % 2 == 0 { "package-a" } else { "package-b" };
        events.push(event(position, stream, (position + 1) / 2, &prev_hash));
    }
    events
}

fn first_break(events: &[RecordedEvent]) -> Option<ChainBreak> {
    let mut verifier = ChainVerifier::default();
    events.iter().try_for_each(|event| verifier.check(event)).err()
}

#[test]
fn test_vector_is_pinned() {
    // The same vector is in docs/hash-chain.md and checked by tools/verify_export.py.
    let first = event(1, "package-a", 1, GENESIS_HASH);
    let mut encoder = Encoder::default();
    encode_event(&first, &mut encoder);
    assert_eq!(&encoder.bytes()[..18], b"\x00\x00\x00\x0ejejak-event-v1");
    assert_eq!(first.hash, "66480cc1481af023427be5047b44598fc110d199b0dc6962bc6c14021f77d1c5");
}

#[test]
fn an_intact_chain_verifies_and_finishes_at_its_head() {
    let events = chain(6);
    let mut verifier = ChainVerifier::default();
    for event in &events {
        verifier.check(event).unwrap();
    }
    assert_eq!(verifier.last_position(), 6);
    assert_eq!(verifier.last_hash(), events[5].hash);
    assert_eq!(verifier.finish(6), Ok(()));
    let truncated = verifier.finish(7).unwrap_err();
    assert_eq!(truncated.position, 7);
}

#[test]
fn the_last_digest_is_the_last_hash_as_bytes_once_an_event_is_checked() {
    let events = chain(3);
    let mut verifier = ChainVerifier::after(0, GENESIS_HASH);
    assert_eq!(verifier.last_digest(), None);
    for event in &events {
        verifier.check(event).unwrap();
        assert_eq!(verifier.last_digest().map(hex::encode), Some(event.hash.clone()));
    }
}

#[test]
fn an_edited_payload_breaks_at_its_position() {
    let mut events = chain(6);
    events[3].payload = r#"{"n":99}"#.to_owned();
    let found = first_break(&events).unwrap();
    assert_eq!((found.position, found.kind), (4, BreakKind::HashMismatch));
}

#[test]
fn a_deleted_event_is_a_gap_at_its_position() {
    let mut events = chain(6);
    events.remove(2);
    let found = first_break(&events).unwrap();
    assert_eq!(found.position, 3);
    assert_eq!(found.kind, BreakKind::Gap { expected: 3, found: 4 });
}

#[test]
fn swapped_contents_break_at_the_first_of_the_two() {
    let mut events = chain(6);
    let (second, fifth) = (events[1].clone(), events[4].clone());
    events[1] = RecordedEvent { position: 2, ..fifth };
    events[4] = RecordedEvent { position: 5, ..second };
    let found = first_break(&events).unwrap();
    assert_eq!((found.position, found.kind), (2, BreakKind::PrevHashMismatch));
}

#[test]
fn a_rehashed_edit_breaks_at_the_next_event() {
    let mut events = chain(6);
    events[2].payload = r#"{"n":99}"#.to_owned();
    events[2].hash = event_hash(&events[2]);
    let found = first_break(&events).unwrap();
    assert_eq!((found.position, found.kind), (4, BreakKind::PrevHashMismatch));
}

#[test]
fn time_going_backwards_is_a_break() {
    let mut events = chain(3);
    events[2].recorded_at = Timestamp::parse("2020-01-01T00:00:00Z").unwrap();
    events[2].hash = event_hash(&events[2]);
    let found = first_break(&events).unwrap();
    assert_eq!(found.position, 3);
    assert!(matches!(found.kind, BreakKind::TimeWentBackwards { .. }));
}

#[test]
fn a_stream_version_gap_is_a_break() {
    let mut events = chain(4);
    events[3].stream_version = 5;
    events[3].hash = event_hash(&events[3]);
    let found = first_break(&events).unwrap();
    let kind =
        BreakKind::StreamVersionGap { stream_id: "package-a".to_owned(), previous: 1, found: 5 };
    assert_eq!((found.position, found.kind), (4, kind));
}

#[test]
fn a_range_verifies_from_the_hash_before_it() {
    let events = chain(6);
    let mut verifier = ChainVerifier::after(3, &events[2].hash);
    for event in &events[3..] {
        verifier.check(event).unwrap();
    }
    let mut wrong_start = ChainVerifier::after(3, GENESIS_HASH);
    let found = wrong_start.check(&events[3]).unwrap_err();
    assert_eq!((found.position, found.kind), (4, BreakKind::PrevHashMismatch));
}
