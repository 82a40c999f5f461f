//! Every named limit of `events::limits` that input can reach: exactly at the limit is
//! accepted, one past it is refused with its own typed error. (The store's limits — commands
//! per atomic append, page size — and the server's body limit are tried in the integration
//! suite.)

use events::limits::*;
use events::{
    AppendRequest, ExpectedVersion, InputError, Metadata, NewEvent, Source, StreamAppend, Timestamp,
};
use uuid::Uuid;

fn metadata() -> Metadata {
    Metadata {
        actor: "petugas.andi".to_owned(),
        role: "petugas_pembinaan".to_owned(),
        organisation: "RUTAN-SOE".to_owned(),
        source: Source::Cli,
        correlation_id: Uuid::nil(),
        causation_id: None,
    }
}

fn event() -> NewEvent {
    NewEvent {
        event_type: "Noted".to_owned(),
        schema_version: 1,
        occurred_at: Timestamp::parse("2026-03-02T08:00:00Z").unwrap(),
        facility: Some("RUTAN-SOE".to_owned()),
        reason: None,
        document_ref: None,
        payload: r#"{"n":1}"#.to_owned(),
    }
}

fn request(streams: Vec<StreamAppend>) -> AppendRequest {
    AppendRequest::new(Uuid::from_u128(7), metadata(), streams)
}

fn stream(id: &str, events: Vec<NewEvent>) -> StreamAppend {
    StreamAppend { stream_id: id.to_owned(), expected: ExpectedVersion::Any, events }
}

fn one(event: NewEvent) -> AppendRequest {
    request(vec![stream("limits-1", vec![event])])
}

/// A payload of exactly `bytes` bytes.
fn payload_of(bytes: usize) -> String {
    let filler = bytes - r#"{"x":""}"#.len();
    format!(r#"{{"x":"{}"}}"#, "a".repeat(filler))
}

/// A payload whose deepest value is at level `depth` (the top-level object is level 1, a value
/// in it level 2).
fn payload_nested(depth: usize) -> String {
    format!(r#"{{"a":{}1{}}}"#, "[".repeat(depth - 2), "]".repeat(depth - 2))
}

#[test]
fn a_payload_at_its_byte_limit_is_accepted_and_one_byte_more_refused() {
    let at = event();
    let at = NewEvent { payload: payload_of(PAYLOAD_BYTES_MAX), ..at };
    assert_eq!(one(at).validate(), Ok(()));
    let past = NewEvent { payload: payload_of(PAYLOAD_BYTES_MAX + 1), ..event() };
    assert_eq!(
        one(past).validate(),
        Err(InputError::PayloadTooLarge { bytes: PAYLOAD_BYTES_MAX + 1, max: PAYLOAD_BYTES_MAX })
    );
}

#[test]
fn a_payload_at_its_depth_limit_is_accepted_and_one_level_more_refused() {
    let at = NewEvent { payload: payload_nested(PAYLOAD_DEPTH_MAX), ..event() };
    assert_eq!(one(at).validate(), Ok(()));
    let past = NewEvent { payload: payload_nested(PAYLOAD_DEPTH_MAX + 1), ..event() };
    assert_eq!(one(past).validate(), Err(InputError::PayloadTooDeep { max: PAYLOAD_DEPTH_MAX }));
}

#[test]
fn events_per_append_at_the_limit_are_accepted_and_one_more_refused() {
    let at = request(vec![stream("limits-1", vec![event(); EVENTS_PER_APPEND_MAX])]);
    assert_eq!(at.validate(), Ok(()));
    let past = request(vec![stream("limits-1", vec![event(); EVENTS_PER_APPEND_MAX + 1])]);
    assert_eq!(
        past.validate(),
        Err(InputError::TooManyEvents {
            count: EVENTS_PER_APPEND_MAX + 1,
            max: EVENTS_PER_APPEND_MAX
        })
    );
}

#[test]
fn streams_per_append_at_the_limit_are_accepted_and_one_more_refused() {
    let streams =
        |n: usize| (0..n).map(|i| stream(&format!("limits-{i}"), vec![event()])).collect();
    assert_eq!(request(streams(STREAMS_PER_APPEND_MAX)).validate(), Ok(()));
    assert_eq!(
        request(streams(STREAMS_PER_APPEND_MAX + 1)).validate(),
        Err(InputError::TooManyStreams {
            count: STREAMS_PER_APPEND_MAX + 1,
            max: STREAMS_PER_APPEND_MAX
        })
    );
}

#[test]
fn a_stream_id_at_its_limit_is_accepted_and_one_byte_more_refused() {
    let at = "s".repeat(STREAM_ID_BYTES_MAX);
    assert_eq!(request(vec![stream(&at, vec![event()])]).validate(), Ok(()));
    let past = "s".repeat(STREAM_ID_BYTES_MAX + 1);
    assert_eq!(
        request(vec![stream(&past, vec![event()])]).validate(),
        Err(InputError::StreamIdTooLong {
            bytes: STREAM_ID_BYTES_MAX + 1,
            max: STREAM_ID_BYTES_MAX
        })
    );
}

#[test]
fn an_event_type_at_its_limit_is_accepted_and_one_byte_more_refused() {
    let at = NewEvent { event_type: "E".repeat(EVENT_TYPE_BYTES_MAX), ..event() };
    assert_eq!(one(at).validate(), Ok(()));
    let past = "E".repeat(EVENT_TYPE_BYTES_MAX + 1);
    let refused = one(NewEvent { event_type: past.clone(), ..event() }).validate();
    assert_eq!(
        refused,
        Err(InputError::EventTypeInvalid { event_type: past, max: EVENT_TYPE_BYTES_MAX })
    );
}

#[test]
fn names_at_their_limit_are_accepted_and_one_byte_more_refused() {
    let at = "n".repeat(NAME_BYTES_MAX);
    let past = "n".repeat(NAME_BYTES_MAX + 1);
    let with_actor = |actor: &str| {
        AppendRequest::new(
            Uuid::from_u128(7),
            Metadata { actor: actor.to_owned(), ..metadata() },
            vec![stream("limits-1", vec![event()])],
        )
    };
    assert_eq!(with_actor(&at).validate(), Ok(()));
    assert!(matches!(
        with_actor(&past).validate(),
        Err(InputError::FieldTooLong { bytes, max: NAME_BYTES_MAX, .. }) if bytes == NAME_BYTES_MAX + 1
    ));
    let facility = |name: &str| one(NewEvent { facility: Some(name.to_owned()), ..event() });
    assert_eq!(facility(&at).validate(), Ok(()));
    assert!(matches!(
        facility(&past).validate(),
        Err(InputError::FieldTooLong { field: "facility", max: NAME_BYTES_MAX, .. })
    ));
}

#[test]
fn a_reason_and_a_document_reference_at_their_limits_are_accepted_and_one_byte_more_refused() {
    let reason = |n: usize| one(NewEvent { reason: Some("r".repeat(n)), ..event() });
    assert_eq!(reason(REASON_BYTES_MAX).validate(), Ok(()));
    assert_eq!(
        reason(REASON_BYTES_MAX + 1).validate(),
        Err(InputError::FieldTooLong {
            field: "reason",
            bytes: REASON_BYTES_MAX + 1,
            max: REASON_BYTES_MAX
        })
    );
    let document = |n: usize| one(NewEvent { document_ref: Some("d".repeat(n)), ..event() });
    assert_eq!(document(DOCUMENT_REF_BYTES_MAX).validate(), Ok(()));
    assert_eq!(
        document(DOCUMENT_REF_BYTES_MAX + 1).validate(),
        Err(InputError::FieldTooLong {
            field: "document reference",
            bytes: DOCUMENT_REF_BYTES_MAX + 1,
            max: DOCUMENT_REF_BYTES_MAX
        })
    );
}
