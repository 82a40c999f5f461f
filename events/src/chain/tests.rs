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

/// The first break, the same whether the events are checked decoded or as a page of encodings.
fn first_break(events: &[RecordedEvent]) -> Option<ChainBreak> {
    let mut verifier = ChainVerifier::default();
    let decoded = events.iter().try_for_each(|event| verifier.check(event)).err();
    let page = encoded(events);
    let mut verifier = ChainVerifier::default();
    let encoded = page.iter().try_for_each(|event| verifier.check_encoded(&event)).err();
    assert_eq!(decoded, encoded, "the same events checked as a page of encodings");
    decoded
}

/// The events as a reader of their rows' text puts them in a page.
fn encoded(events: &[RecordedEvent]) -> EncodedPage {
    let mut page = EncodedPage::default();
    for event in events {
        as_text(event, |text| page.push(text, event.recorded_at, &event.hash));
    }
    page
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
fn a_page_holds_each_events_canonical_encoding_and_fields() {
    let mut events = chain(5);
    events[1].causation_id = Some(Uuid::from_u128(3));
    events[1].reason = Some("koreksi".to_owned());
    events[1].hash = event_hash(&events[1]);
    let page = encoded(&events);
    assert_eq!((page.len(), page.last_position()), (5, Some(5)));
    for (event, in_page) in events.iter().zip(page.iter()) {
        let mut encoder = Encoder::default();
        encode_event(event, &mut encoder);
        assert_eq!(in_page.encoding, encoder.bytes());
        assert_eq!(in_page.position, event.position);
        assert_eq!(
            (in_page.stream_id, in_page.stream_version),
            (&*event.stream_id, event.stream_version)
        );
        assert_eq!(in_page.recorded_at, event.recorded_at);
        assert_eq!(in_page.prev_hash, event.prev_hash.as_bytes());
        assert_eq!(in_page.hash, event.hash.as_bytes());
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
