//! Tests of request validation: each rule refuses with its own typed error.

use super::*;
use crate::limits;

fn request(streams: Vec<StreamAppend>) -> AppendRequest {
    let metadata = Metadata {
        actor: "petugas.andi".to_owned(),
        role: "petugas_pembinaan".to_owned(),
        organisation: "rutan-soe".to_owned(),
        source: Source::Cli,
        correlation_id: Uuid::from_u128(1),
        causation_id: None,
    };
    AppendRequest::new(Uuid::from_u128(2), metadata, streams)
}

fn new_event(payload: &str) -> NewEvent {
    NewEvent {
        event_type: "PackageDefined".to_owned(),
        schema_version: 1,
        occurred_at: Timestamp::parse("2026-02-10T01:00:00Z").unwrap(),
        facility: None,
        reason: None,
        document_ref: None,
        payload: payload.to_owned(),
    }
}

fn one_stream(stream_id: &str, expected: ExpectedVersion, payload: &str) -> AppendRequest {
    let events = vec![new_event(payload)];
    request(vec![StreamAppend { stream_id: stream_id.to_owned(), expected, events }])
}

fn check(request: AppendRequest) -> Result<(), InputError> {
    request.validate()
}

#[test]
fn a_well_formed_request_passes() {
    assert_eq!(check(one_stream("package-1", ExpectedVersion::NO_STREAM, r#"{"a":1}"#)), Ok(()));
}

#[test]
fn stream_ids_are_checked() {
    let error = check(one_stream("", ExpectedVersion::Any, "{}")).unwrap_err();
    assert_eq!(error, InputError::EmptyStreamId);
    let long = "p".repeat(limits::STREAM_ID_BYTES_MAX + 1);
    let error = check(one_stream(&long, ExpectedVersion::Any, "{}")).unwrap_err();
    assert!(matches!(error, InputError::StreamIdTooLong { bytes: 129, max: 128 }));
    for bad in ["-package", "package 1", "package/1", "paket-ü"] {
        let error = check(one_stream(bad, ExpectedVersion::Any, "{}")).unwrap_err();
        assert!(matches!(error, InputError::StreamIdInvalid { .. }), "{bad}");
    }
}

#[test]
fn a_negative_expected_version_is_refused() {
    let error = check(one_stream("package-1", ExpectedVersion::Exact(-1), "{}")).unwrap_err();
    assert_eq!(error, InputError::NegativeExpectedVersion { version: -1 });
}

#[test]
fn payloads_are_checked() {
    type Expectation = fn(&InputError) -> bool;
    let cases: [(&str, Expectation); 5] = [
        ("not json", |e| matches!(e, InputError::PayloadNotJsonObject { .. })),
        ("[1,2]", |e| matches!(e, InputError::PayloadNotJsonObject { .. })),
        (
            r#"{"rupiah":1.5}"#,
            |e| matches!(e, InputError::PayloadHasFloat { path } if path == "$.rupiah"),
        ),
        (
            r#"{"a":[{"b":1e3}]}"#,
            |e| matches!(e, InputError::PayloadHasFloat { path } if path == "$.a[0].b"),
        ),
        (r#"{"a":[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}"#, |e| {
            matches!(e, InputError::PayloadTooDeep { .. })
        }),
    ];
    for (payload, expected) in cases {
        let error = check(one_stream("package-1", ExpectedVersion::Any, payload)).unwrap_err();
        assert!(expected(&error), "{payload}: {error:?}");
    }
    let big = format!(r#"{{"a":"{}"}}"#, "x".repeat(limits::PAYLOAD_BYTES_MAX));
    let error = check(one_stream("package-1", ExpectedVersion::Any, &big)).unwrap_err();
    assert!(matches!(error, InputError::PayloadTooLarge { max: 65536, .. }));
}

#[test]
fn event_counts_are_bounded() {
    let error = check(request(vec![])).unwrap_err();
    assert_eq!(error, InputError::EmptyAppend);
    let events = vec![new_event("{}"); limits::EVENTS_PER_APPEND_MAX + 1];
    let stream =
        StreamAppend { stream_id: "p-1".to_owned(), expected: ExpectedVersion::Any, events };
    let error = check(request(vec![stream])).unwrap_err();
    assert_eq!(error, InputError::TooManyEvents { count: 1001, max: 1000 });
}

#[test]
fn a_stream_named_twice_is_refused() {
    let stream = StreamAppend {
        stream_id: "p-1".to_owned(),
        expected: ExpectedVersion::Any,
        events: vec![new_event("{}")],
    };
    let error = check(request(vec![stream.clone(), stream])).unwrap_err();
    assert_eq!(error, InputError::StreamTwice { stream_id: "p-1".to_owned() });
}

#[test]
fn event_fields_are_checked() {
    let mut bad_type = one_stream("p-1", ExpectedVersion::Any, "{}");
    bad_type.streams[0].events[0].event_type = "1Bad Type".to_owned();
    assert!(matches!(check(bad_type), Err(InputError::EventTypeInvalid { .. })));
    let mut empty_actor = one_stream("p-1", ExpectedVersion::Any, "{}");
    empty_actor.metadata.actor = " ".to_owned();
    assert_eq!(check(empty_actor), Err(InputError::EmptyField { field: "actor" }));
    let mut control = one_stream("p-1", ExpectedVersion::Any, "{}");
    control.streams[0].events[0].reason = Some("bad\u{7}".to_owned());
    assert_eq!(check(control), Err(InputError::ControlCharacter { field: "reason" }));
    let mut bad_version = one_stream("p-1", ExpectedVersion::Any, "{}");
    bad_version.streams[0].events[0].schema_version = 0;
    assert_eq!(check(bad_version), Err(InputError::SchemaVersionInvalid { version: 0 }));
}

#[test]
fn the_digest_covers_the_content() {
    let first = one_stream("p-1", ExpectedVersion::Any, r#"{"a":1}"#);
    let same = one_stream("p-1", ExpectedVersion::Any, r#"{"a":1}"#);
    let other = one_stream("p-1", ExpectedVersion::Any, r#"{"a":2}"#);
    assert_eq!(first.request_digest, same.request_digest);
    assert_ne!(first.request_digest, other.request_digest);
    let mut forged = first.clone();
    forged.request_digest = "XYZ".to_owned();
    assert_eq!(check(forged), Err(InputError::DigestInvalid));
}

#[test]
fn categories_are_the_prefix_before_the_first_dash() {
    assert_eq!(category_of("participation-8f3e-1"), "participation");
    assert_eq!(category_of("registry"), "registry");
}
