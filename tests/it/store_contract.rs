//! The store's contract, run once on SQLite and once on PostgreSQL: the envelope round trip,
//! gap-free positions, expected versions, multi-stream atomicity, idempotency, time, reads,
//! typed refusal of bad input, and the database-level append-only protections.

use std::collections::BTreeSet;

use events::chain::{ChainVerifier, EncodedPage, Encoder, GENESIS_HASH, encode_event};
use events::limits;
use events::{AppendRequest, ExpectedVersion, InputError, StreamAppend, Timestamp};
use jejak::store::{AppendError, AppendOutcome, Backend, Store, StoreError};
use uuid::Uuid;

use crate::support::{
    TestDb, append_seeded, append_to, backend_tests, clock_at, metadata, new_event,
};

backend_tests!(
    an_appended_event_reads_back_with_every_envelope_field,
    positions_start_at_one_and_have_no_gaps,
    a_stale_expected_version_is_a_typed_conflict_and_writes_nothing,
    two_writers_on_one_database_take_turns_on_one_stream_without_a_gap,
    a_multi_stream_append_is_one_transaction,
    a_multi_stream_append_with_one_stale_stream_writes_to_neither,
    a_retried_command_returns_the_first_result_and_writes_nothing,
    a_reused_command_id_with_other_content_is_refused,
    recorded_at_follows_the_clock_but_never_goes_back,
    the_position_known_at_a_moment_is_the_last_recorded_by_then,
    a_verbatim_append_recorded_before_the_head_is_refused_and_writes_nothing,
    streams_and_categories_read_in_order_and_in_pages,
    the_log_encoded_for_the_chain_is_each_events_canonical_encoding,
    bad_input_gets_a_typed_error_and_writes_nothing,
    update_delete_and_truncate_are_refused_by_the_database,
    an_atomic_batch_writes_all_or_nothing_and_reruns_as_a_no_op,
    durability_settings_are_explicit,
    a_subscription_sees_appends_made_after_it_started,
    an_atomic_append_past_its_command_limit_is_refused_whole,
    more_appends_and_reads_at_once_than_the_queue_and_the_pool_hold_all_succeed_in_turn,
    reads_dropped_half_way_leave_the_readers_whole,
);

async fn an_appended_event_reads_back_with_every_envelope_field(db: TestDb) {
    let clock = clock_at("2026-02-10T02:30:00.654321Z");
    let store = db.open_with(clock).await;
    let mut request = append_to("package-1", ExpectedVersion::NO_STREAM, 1);
    let event = &mut request.streams[0].events[0];
    event.reason = Some("kuota ditambah".to_owned());
    event.document_ref = Some("BA-TPP/2026/07".to_owned());
    request.metadata.causation_id = Some(Uuid::from_u128(5));
    let request = AppendRequest::new(request.command_id, request.metadata, request.streams);
    let outcome = store.append(request.clone()).await.unwrap();
    assert_eq!((outcome.first_position, outcome.last_position), (1, 1));

    let read = store.read_all(1, 10).await.unwrap();
    assert_eq!(read.len(), 1);
    let event = &read[0];
    let sent = &request.streams[0].events[0];
    assert_eq!(event.position, 1);
    assert_eq!(event.event_id, events::ids::event_id(request.command_id, 0));
    assert_eq!(event.command_id, request.command_id);
    assert_eq!((event.stream_id.as_str(), event.stream_version), ("package-1", 1));
    assert_eq!((event.event_type.as_str(), event.schema_version), ("Noted", 1));
    assert_eq!(event.occurred_at.to_string(), "2026-02-10T01:00:00.123456Z");
    assert_eq!(event.recorded_at.to_string(), "2026-02-10T02:30:00.654321Z");
    assert_eq!(event.actor, request.metadata.actor);
    assert_eq!(event.role, request.metadata.role);
    assert_eq!(event.organisation, request.metadata.organisation);
    assert_eq!(event.facility, sent.facility);
    assert_eq!(event.source, request.metadata.source);
    assert_eq!(event.reason.as_deref(), Some("kuota ditambah"));
    assert_eq!(event.document_ref.as_deref(), Some("BA-TPP/2026/07"));
    assert_eq!(event.correlation_id, request.metadata.correlation_id);
    assert_eq!(event.causation_id, Some(Uuid::from_u128(5)));
    assert_eq!(event.payload, sent.payload);
    assert_eq!(event.prev_hash, GENESIS_HASH);
    assert_eq!(event.hash, outcome.last_hash);
    ChainVerifier::default().check(event).unwrap();

    let head = store.head().await.unwrap();
    assert_eq!((head.position, head.hash.as_str()), (1, outcome.last_hash.as_str()));
    assert_eq!(store.stream_version("package-1").await.unwrap(), 1);
    assert_eq!(store.stream_version("package-2").await.unwrap(), 0);
}

async fn positions_start_at_one_and_have_no_gaps(db: TestDb) {
    let store = db.open().await;
    for round in 0..5 {
        let stream = format!("participation-{}", round % 2);
        store.append(append_to(&stream, ExpectedVersion::Any, 1 + round)).await.unwrap();
    }
    // A refused append in between burns no position.
    let refused = store.append(append_to("participation-0", ExpectedVersion::Exact(99), 1)).await;
    assert!(matches!(refused, Err(AppendError::Conflict { .. })));
    store.append(append_to("participation-9", ExpectedVersion::NO_STREAM, 2)).await.unwrap();
    let events = store.read_all(1, 100).await.unwrap();
    let positions: Vec<i64> = events.iter().map(|event| event.position).collect();
    assert_eq!(positions, (1..=17).collect::<Vec<_>>());
    let mut verifier = ChainVerifier::default();
    events.iter().for_each(|event| verifier.check(event).unwrap());
}

async fn a_stale_expected_version_is_a_typed_conflict_and_writes_nothing(db: TestDb) {
    let store = db.open().await;
    store.append(append_to("package-1", ExpectedVersion::NO_STREAM, 2)).await.unwrap();
    let before = store.head().await.unwrap();
    for expected in
        [ExpectedVersion::NO_STREAM, ExpectedVersion::Exact(1), ExpectedVersion::Exact(3)]
    {
        let error = store.append(append_to("package-1", expected, 1)).await.unwrap_err();
        match error {
            AppendError::Conflict { stream_id, expected: stated, actual } => {
                assert_eq!((stream_id.as_str(), stated, actual), ("package-1", expected, 2));
            }
            other => panic!("expected a conflict, got {other:?}"),
        }
    }
    assert_eq!(store.head().await.unwrap(), before);
    store.append(append_to("package-1", ExpectedVersion::Exact(2), 1)).await.unwrap();
    assert_eq!(store.stream_version("package-1").await.unwrap(), 3);
}

/// Two stores on one database are two writers that each remember the tip they last wrote
/// (PostgreSQL lays the next batch on it): every append the other made in between must send
/// the writer back to the log, never let it write on a tip that has moved.
async fn two_writers_on_one_database_take_turns_on_one_stream_without_a_gap(db: TestDb) {
    let (here, there) = (db.open().await, db.open().await);
    for version in 0..40 {
        let writer = if version % 2 == 0 { &here } else { &there };
        let outcome = writer.append(append_to("package-1", ExpectedVersion::Exact(version), 1));
        assert_eq!(outcome.await.unwrap().first_position, version + 1);
        // The other writer's last tip is now behind: a stale expectation is still refused.
        let other = if version % 2 == 0 { &there } else { &here };
        let stale = other.append(append_to("package-1", ExpectedVersion::Exact(version), 1));
        assert!(
            matches!(stale.await, Err(AppendError::Conflict { actual, .. }) if actual == version + 1),
            "version {version}"
        );
    }
    let events = here.read_all(1, 100).await.unwrap();
    let positions: Vec<i64> = events.iter().map(|event| event.position).collect();
    assert_eq!(positions, (1..=40).collect::<Vec<_>>());
    let report = jejak::verify::verify_log(&there, |_| {}).await.unwrap();
    assert!(report.is_intact(), "{:?}", report.first_break);
    if db.backend == Backend::Postgres {
        let moved = |store: &Store| {
            store.metrics().optimistic_misses.load(std::sync::atomic::Ordering::Relaxed)
        };
        assert!(moved(&here) >= 19 && moved(&there) >= 19, "each found the tip moved");
    }
}

async fn a_multi_stream_append_is_one_transaction(db: TestDb) {
    let store = db.open().await;
    store.append(append_to("package-1", ExpectedVersion::NO_STREAM, 1)).await.unwrap();
    let streams = vec![
        StreamAppend {
            stream_id: "package-1".to_owned(),
            expected: ExpectedVersion::Exact(1),
            events: vec![new_event(1)],
        },
        StreamAppend {
            stream_id: "participation-1".to_owned(),
            expected: ExpectedVersion::NO_STREAM,
            events: vec![new_event(2), new_event(3)],
        },
    ];
    let request = AppendRequest::new(Uuid::new_v4(), metadata("disnaker.admin"), streams);
    let outcome = store.append(request.clone()).await.unwrap();
    assert_eq!((outcome.first_position, outcome.last_position), (2, 4));
    let versions: Vec<_> = outcome
        .streams
        .iter()
        .map(|s| (s.stream_id.as_str(), s.first_version, s.last_version))
        .collect();
    assert_eq!(versions, [("package-1", 2, 2), ("participation-1", 1, 2)]);
    let written = store.read_all(2, 10).await.unwrap();
    assert!(written.iter().all(|event| event.command_id == request.command_id));
    assert!(written.iter().all(|event| event.recorded_at == outcome.recorded_at));
    let ids: Vec<Uuid> = written.iter().map(|event| event.event_id).collect();
    let derived: Vec<Uuid> =
        (0..3).map(|index| events::ids::event_id(request.command_id, index)).collect();
    assert_eq!(ids, derived);
}

async fn a_multi_stream_append_with_one_stale_stream_writes_to_neither(db: TestDb) {
    let store = db.open().await;
    store.append(append_to("participation-1", ExpectedVersion::NO_STREAM, 1)).await.unwrap();
    let streams = vec![
        StreamAppend {
            stream_id: "package-1".to_owned(),
            expected: ExpectedVersion::NO_STREAM,
            events: vec![new_event(1)],
        },
        StreamAppend {
            stream_id: "participation-1".to_owned(),
            expected: ExpectedVersion::NO_STREAM,
            events: vec![new_event(2)],
        },
    ];
    let request = AppendRequest::new(Uuid::new_v4(), metadata("disnaker.admin"), streams);
    let error = store.append(request.clone()).await.unwrap_err();
    assert!(
        matches!(&error, AppendError::Conflict { stream_id, actual: 1, .. } if stream_id == "participation-1"),
        "{error:?}"
    );
    assert_eq!(store.stream_version("package-1").await.unwrap(), 0);
    assert_eq!(store.stream_version("participation-1").await.unwrap(), 1);
    assert_eq!(store.head().await.unwrap().position, 1);
    assert_eq!(store.command_outcome(request.command_id).await.unwrap(), None);
}

async fn a_retried_command_returns_the_first_result_and_writes_nothing(db: TestDb) {
    let store = db.open().await;
    let request = append_to("package-1", ExpectedVersion::NO_STREAM, 3);
    let first = store.append(request.clone()).await.unwrap();
    assert!(!first.duplicate);
    store.append(append_to("package-2", ExpectedVersion::NO_STREAM, 1)).await.unwrap();
    let head = store.head().await.unwrap();
    // The retry would conflict if it were appended again: the first result wins.
    let retry = store.append(request.clone()).await.unwrap();
    assert_eq!(retry, AppendOutcome { duplicate: true, ..first.clone() });
    assert_eq!(store.head().await.unwrap(), head);
    let recorded = store.command_outcome(request.command_id).await.unwrap().unwrap();
    assert_eq!(recorded, AppendOutcome { duplicate: true, ..first });
    assert_eq!(store.command_outcome(Uuid::new_v4()).await.unwrap(), None);
}

async fn a_reused_command_id_with_other_content_is_refused(db: TestDb) {
    let store = db.open().await;
    let request = append_to("package-1", ExpectedVersion::Any, 1);
    store.append(request.clone()).await.unwrap();
    let mut other = append_to("package-1", ExpectedVersion::Any, 2);
    other.command_id = request.command_id;
    let error = store.append(other).await.unwrap_err();
    assert!(
        matches!(error, AppendError::CommandReused { command_id } if command_id == request.command_id)
    );
    assert_eq!(store.head().await.unwrap().position, 1);
}

async fn recorded_at_follows_the_clock_but_never_goes_back(db: TestDb) {
    let clock = clock_at("2026-03-01T08:00:00.000001Z");
    let store = db.open_with(clock.clone()).await;
    let first = store.append(append_to("a-1", ExpectedVersion::Any, 1)).await.unwrap();
    assert_eq!(first.recorded_at.to_string(), "2026-03-01T08:00:00.000001Z");
    clock.set(Timestamp::parse("2026-01-01T00:00:00Z").unwrap());
    let behind = store.append(append_to("a-1", ExpectedVersion::Any, 1)).await.unwrap();
    assert_eq!(behind.recorded_at, first.recorded_at);
    clock.set(Timestamp::parse("2026-03-02T09:15:30.999999Z").unwrap());
    let ahead = store.append(append_to("a-1", ExpectedVersion::Any, 1)).await.unwrap();
    assert_eq!(ahead.recorded_at.to_string(), "2026-03-02T09:15:30.999999Z");
    let stored: Vec<String> =
        store.read_all(1, 10).await.unwrap().iter().map(|e| e.recorded_at.to_string()).collect();
    assert_eq!(
        stored,
        [
            "2026-03-01T08:00:00.000001Z",
            "2026-03-01T08:00:00.000001Z",
            "2026-03-02T09:15:30.999999Z"
        ]
    );
}

async fn the_position_known_at_a_moment_is_the_last_recorded_by_then(db: TestDb) {
    let clock = clock_at("2026-03-01T08:00:00Z");
    let store = db.open_with(clock.clone()).await;
    let at = |text: &str| Timestamp::parse(text).unwrap();
    assert_eq!(store.known_position(at("2030-01-01T00:00:00Z")).await.unwrap(), 0);
    // Instants with one event, three events at once, and runs of appends at one instant, so
    // that the search meets ties on either side of its probes.
    let mut moments = Vec::new();
    for (minute, appends, events) in [(0, 1, 1), (1, 1, 3), (2, 4, 1), (3, 1, 1), (5, 7, 2)] {
        clock.set(at(&format!("2026-03-01T08:{minute:02}:00Z")));
        for _ in 0..appends {
            let outcome = store.append(append_to("a-1", ExpectedVersion::Any, events)).await;
            moments.push((minute, outcome.unwrap().last_position));
        }
    }
    let last_by = |minute: i64| moments.iter().filter(|(m, _)| *m <= minute).map(|(_, p)| *p).max();
    for minute in 0..=6 {
        for second in ["00", "30"] {
            let moment = at(&format!("2026-03-01T08:{minute:02}:{second}Z"));
            let known = store.known_position(moment).await.unwrap();
            assert_eq!(known, last_by(minute).unwrap(), "known at {moment}");
        }
    }
    assert_eq!(store.known_position(at("2026-03-01T07:59:59.999999Z")).await.unwrap(), 0);
}

async fn a_verbatim_append_recorded_before_the_head_is_refused_and_writes_nothing(db: TestDb) {
    // The log's times never go back along it (the position known at a moment is found by a
    // binary search that relies on it), also where a copy's appends meet.
    let source = TestDb::new(Backend::Sqlite).await.unwrap();
    let source = source.open_with(clock_at("2026-03-01T10:00:00Z")).await;
    source.append(append_to("a-1", ExpectedVersion::NO_STREAM, 1)).await.unwrap();
    let first = source.read_all(1, 1).await.unwrap().remove(0);
    let store = db.open_with(clock_at("2026-03-01T10:00:00Z")).await;
    store.append_verbatim(std::slice::from_ref(&first), &[]).await.unwrap();

    let next = |recorded_at: &str| {
        let mut event = first.clone();
        (event.position, event.stream_version) = (2, 2);
        event.event_id = events::ids::event_id(event.command_id, 1);
        event.prev_hash.clone_from(&first.hash);
        event.recorded_at = Timestamp::parse(recorded_at).unwrap();
        event.hash = events::chain::event_hash(&event);
        event
    };
    let earlier = store.append_verbatim(&[next("2026-03-01T09:59:59.999999Z")], &[]).await;
    assert!(
        matches!(&earlier, Err(AppendError::Discontinuous(detail)) if detail.contains("earlier")),
        "{earlier:?}"
    );
    assert_eq!(store.read_all(1, 10).await.unwrap().len(), 1);
    store.append_verbatim(&[next("2026-03-01T10:00:00Z")], &[]).await.unwrap();
    assert_eq!(store.read_all(1, 10).await.unwrap().len(), 2);
}

async fn streams_and_categories_read_in_order_and_in_pages(db: TestDb) {
    let store = db.open().await;
    for round in 0..4 {
        store.append(append_to("participation-1", ExpectedVersion::Any, 2)).await.unwrap();
        store.append(append_to("package-1", ExpectedVersion::Any, 1)).await.unwrap();
        store
            .append(append_to(&format!("participation-x{round}"), ExpectedVersion::Any, 1))
            .await
            .unwrap();
    }
    let stream = store.read_stream("participation-1", 3, 4).await.unwrap();
    let versions: Vec<i64> = stream.iter().map(|event| event.stream_version).collect();
    assert_eq!(versions, [3, 4, 5, 6]);
    assert!(stream.iter().all(|event| event.stream_id == "participation-1"));

    let mut category = Vec::new();
    let mut from = 1;
    loop {
        let page = store.read_category("participation", from, 5).await.unwrap();
        let Some(last) = page.last() else { break };
        from = last.position + 1;
        category.extend(page);
    }
    assert_eq!(category.len(), 12);
    assert!(category.iter().all(|event| event.stream_id.starts_with("participation-")));
    assert!(category.windows(2).all(|pair| pair[0].position < pair[1].position));
    assert!(store.read_category("package", 1, 100).await.unwrap().len() == 4);
    assert!(store.read_category("grant", 1, 100).await.unwrap().is_empty());
    assert_eq!(store.read_all(16, 100).await.unwrap().len(), 1);
    assert!(store.read_all(17, 100).await.unwrap().is_empty());
}

/// What `jejak verify` reads: each event's canonical encoding made from its row, in pages
/// that are filled again when given back, agreeing with the events as read and decoded.
async fn the_log_encoded_for_the_chain_is_each_events_canonical_encoding(db: TestDb) {
    let store = db.open().await;
    for round in 0..4_u128 {
        let mut request = append_to("package-1", ExpectedVersion::Any, 2);
        if round % 2 == 1 {
            let event = &mut request.streams[0].events[1];
            event.reason = Some("kuota ditambah".to_owned());
            event.document_ref = Some("BA-TPP/2026/07".to_owned());
            request.metadata.causation_id = Some(Uuid::from_u128(round));
        }
        let request = AppendRequest::new(request.command_id, request.metadata, request.streams);
        store.append(request).await.unwrap();
    }
    let events = store.read_all(1, 100).await.unwrap();
    assert_eq!(events.len(), 8);
    let mut pages = store.encoded_pages(1, 8, 3);
    let mut walked = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        for encoded in page.iter() {
            let event = &events[walked.len()];
            let mut encoder = Encoder::default();
            encode_event(event, &mut encoder);
            assert_eq!(encoded.encoding, encoder.bytes(), "position {}", event.position);
            assert_eq!(
                (encoded.position, encoded.stream_version),
                (event.position, event.stream_version)
            );
            assert_eq!(
                (encoded.stream_id, encoded.recorded_at),
                (&*event.stream_id, event.recorded_at)
            );
            assert_eq!(
                (encoded.prev_hash, encoded.hash),
                (event.prev_hash.as_bytes(), event.hash.as_bytes())
            );
            walked.push(encoded.position);
        }
        pages.give_back(page);
    }
    assert_eq!(walked, (1..=8).collect::<Vec<i64>>());
    // A page filled again holds only what it was filled with.
    let page = store.read_all_encoded(1, 8, EncodedPage::default()).await.unwrap();
    let page = store.read_all_encoded(7, 8, page).await.unwrap();
    let positions: Vec<i64> = page.iter().map(|event| event.position).collect();
    assert_eq!(positions, [7, 8]);
}

async fn bad_input_gets_a_typed_error_and_writes_nothing(db: TestDb) {
    let store = db.open().await;
    store.append(append_to("package-1", ExpectedVersion::Any, 1)).await.unwrap();
    let head = store.head().await.unwrap();
    let huge = format!(r#"{{"a":"{}"}}"#, "x".repeat(limits::PAYLOAD_BYTES_MAX));
    type Expectation = fn(&InputError) -> bool;
    let cases: Vec<(AppendRequest, Expectation)> = vec![
        (append_to("", ExpectedVersion::Any, 1), |e| *e == InputError::EmptyStreamId),
        (append_to(&"p".repeat(129), ExpectedVersion::Any, 1), |e| {
            matches!(e, InputError::StreamIdTooLong { .. })
        }),
        (append_to("package-1", ExpectedVersion::Exact(-3), 1), |e| {
            *e == InputError::NegativeExpectedVersion { version: -3 }
        }),
        (append_to("package-1", ExpectedVersion::Any, 1001), |e| {
            *e == InputError::TooManyEvents { count: 1001, max: 1000 }
        }),
        (append_to("package-1", ExpectedVersion::Any, 0), |e| *e == InputError::EmptyAppend),
        (with_payload(&huge), |e| matches!(e, InputError::PayloadTooLarge { .. })),
        (with_payload("{\"a\":"), |e| matches!(e, InputError::PayloadNotJsonObject { .. })),
        (with_payload(r#"{"modal":2.5}"#), |e| matches!(e, InputError::PayloadHasFloat { .. })),
    ];
    for (request, expected) in cases {
        match store.append(request).await {
            Err(AppendError::Invalid(error)) => assert!(expected(&error), "{error:?}"),
            other => panic!("expected a typed input error, got {other:?}"),
        }
    }
    let mut batch = vec![append_to("package-2", ExpectedVersion::Any, 1), with_payload("[]")];
    batch[0].command_id = Uuid::new_v4();
    let error = store.append_atomic(batch).await.unwrap_err();
    assert!(matches!(error, AppendError::BatchRefused { index: 1, .. }), "{error:?}");
    assert_eq!(store.head().await.unwrap(), head);
    for limit in [0, limits::PAGE_EVENTS_MAX + 1] {
        let error = store.read_all(1, limit).await.unwrap_err();
        assert!(matches!(error, StoreError::OutOfRange { .. }), "{error:?}");
    }
}

fn with_payload(payload: &str) -> AppendRequest {
    let mut request = append_to("package-1", ExpectedVersion::Any, 1);
    request.streams[0].events[0].payload = payload.to_owned();
    AppendRequest::new(request.command_id, request.metadata, request.streams)
}

async fn update_delete_and_truncate_are_refused_by_the_database(db: TestDb) {
    let store = db.open().await;
    store.append(append_to("package-1", ExpectedVersion::Any, 2)).await.unwrap();
    let head = store.head().await.unwrap();
    let mut attacks = vec![
        "UPDATE events SET payload = '{}' WHERE position = 1",
        "DELETE FROM events WHERE position = 2",
        "UPDATE commands SET request_digest = 'x'",
        "DELETE FROM commands",
    ];
    if db.backend == Backend::Postgres {
        attacks.extend(["TRUNCATE events", "TRUNCATE commands", "DELETE FROM log_head"]);
    }
    for attack in attacks {
        let error = db.execute(&[attack]).await.unwrap_err();
        assert!(error.to_string().contains("append-only"), "{attack}: {error}");
    }
    if db.backend == Backend::Postgres {
        // The application role may read and append, never change or remove.
        for attack in ["TRUNCATE events", "UPDATE events SET actor = 'x'", "DELETE FROM events"] {
            let error = db.execute(&["SET ROLE jejak_app", attack]).await.unwrap_err();
            assert!(error.to_string().contains("permission denied"), "{attack}: {error}");
        }
    }
    assert_eq!(store.head().await.unwrap(), head);
    assert_eq!(store.read_all(1, 10).await.unwrap().len(), 2);
}

async fn an_atomic_batch_writes_all_or_nothing_and_reruns_as_a_no_op(db: TestDb) {
    let store = db.open().await;
    let mut batch: Vec<AppendRequest> = (0..50)
        .map(|index| {
            append_seeded(
                1000 + index,
                &format!("participation-{index}"),
                ExpectedVersion::NO_STREAM,
                1,
            )
        })
        .collect();
    batch.push(append_seeded(2000, "participation-3", ExpectedVersion::NO_STREAM, 1));
    let error = store.append_atomic(batch.clone()).await.unwrap_err();
    match error {
        AppendError::BatchRefused { index, error } => {
            assert_eq!(index, 50);
            assert!(matches!(*error, AppendError::Conflict { actual: 1, .. }), "{error:?}");
        }
        other => panic!("expected a refused batch, got {other:?}"),
    }
    assert_eq!(store.head().await.unwrap().position, 0);
    batch.pop();
    let outcomes = store.append_atomic(batch.clone()).await.unwrap();
    assert_eq!(outcomes.len(), 50);
    assert_eq!(store.head().await.unwrap().position, 50);
    let rerun = store.append_atomic(batch).await.unwrap();
    assert!(rerun.iter().all(|outcome| outcome.duplicate));
    assert_eq!(store.head().await.unwrap().position, 50);
}

async fn durability_settings_are_explicit(db: TestDb) {
    let store = db.open().await;
    let settings = store.durability().await.unwrap();
    let value =
        |name: &str| settings.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap();
    match db.backend {
        Backend::Sqlite => {
            assert_eq!(value("journal_mode"), "wal");
            assert_eq!(value("synchronous"), "2", "synchronous=FULL");
        }
        Backend::Postgres => {
            assert_eq!(value("fsync"), "on");
            assert_eq!(value("synchronous_commit"), "on");
        }
    }
}

async fn a_subscription_sees_appends_made_after_it_started(db: TestDb) {
    let store = db.open().await;
    store.append(append_to("package-1", ExpectedVersion::Any, 2)).await.unwrap();
    let mut subscription = store.subscribe(1).await.unwrap();
    let first = subscription.next_batch(100).await.unwrap();
    assert_eq!(first.iter().map(|e| e.position).collect::<Vec<_>>(), [1, 2]);
    let waiting = tokio::spawn(async move { subscription.next_batch(100).await.unwrap() });
    store.append(append_to("package-1", ExpectedVersion::Any, 3)).await.unwrap();
    let later =
        tokio::time::timeout(std::time::Duration::from_secs(30), waiting).await.unwrap().unwrap();
    let positions: BTreeSet<i64> = later.iter().map(|event| event.position).collect();
    assert_eq!(positions.first(), Some(&3));
    assert!(positions.iter().all(|position| (3..=5).contains(position)));
}

/// The same requests on a simulated clock give byte-identical chains on both databases: the
/// hash survives a round trip through either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_requests_give_the_same_chain_on_both_databases() {
    let Some(postgres) = TestDb::new(Backend::Postgres).await else { return };
    let sqlite = TestDb::new(Backend::Sqlite).await.unwrap();
    let mut exports = Vec::new();
    for db in [&sqlite, &postgres] {
        let clock = clock_at("2026-02-10T01:02:03.456789Z");
        let store = db.open_with(clock.clone()).await;
        for seed in 0..20 {
            clock.advance_micros(1_234_567);
            let stream = format!("participation-{}", seed % 3);
            store
                .append(append_seeded(seed, &stream, ExpectedVersion::Any, 1 + seed as i64 % 3))
                .await
                .unwrap();
        }
        exports.push(store.read_all(1, 1000).await.unwrap());
        store.close().await;
    }
    assert_eq!(exports[0], exports[1]);
    let mut verifier = ChainVerifier::default();
    exports[1].iter().for_each(|event| verifier.check(event).unwrap());
}

#[tokio::test]
async fn an_unknown_database_url_is_refused_clearly() {
    let clock: std::sync::Arc<dyn jejak::clock::Clock> =
        std::sync::Arc::new(jejak::clock::SystemClock);
    let error = Store::open("mysql://root@localhost/jejak", clock).await.err().unwrap();
    assert!(matches!(error, StoreError::UnsupportedUrl { .. }));
    assert!(error.to_string().contains("sqlite://FILE"));
}

async fn an_atomic_append_past_its_command_limit_is_refused_whole(db: TestDb) {
    let store = db.open().await;
    store.append(append_to("limit-1", ExpectedVersion::NO_STREAM, 1)).await.unwrap();
    let past = limits::COMMANDS_PER_ATOMIC_APPEND_MAX + 1;
    let requests: Vec<_> = (0..past)
        .map(|n| {
            AppendRequest::new(Uuid::from_u128(n as u128 + 1), metadata("petugas.andi"), Vec::new())
        })
        .collect();
    let refused = store.append_atomic(requests).await.unwrap_err();
    assert!(
        matches!(refused, AppendError::TooManyCommands { count, max } if count == past && max == limits::COMMANDS_PER_ATOMIC_APPEND_MAX),
        "{refused}"
    );
    assert_eq!(store.head().await.unwrap().position, 1, "nothing written");
    store.close().await;
}

/// Past the write queue's depth and the pool's connections, callers wait their turn: nothing is
/// refused, nothing lost, and the positions have no gaps.
async fn more_appends_and_reads_at_once_than_the_queue_and_the_pool_hold_all_succeed_in_turn(
    db: TestDb,
) {
    let store = db.open().await;
    let appends = jejak::store::WRITE_QUEUE_MAX + 500;
    let tasks: Vec<_> = (0..appends)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move {
                store.append(append_to(&format!("queue-{n}"), ExpectedVersion::NO_STREAM, 1)).await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    // Far more readers at once than either pool has connections (4 on SQLite, 8 on PostgreSQL).
    let readers: Vec<_> = (0..64)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.read_all(1, limits::PAGE_EVENTS_MAX).await })
        })
        .collect();
    for reader in readers {
        let events = reader.await.unwrap().unwrap();
        let positions: Vec<i64> = events.iter().map(|event| event.position).collect();
        assert_eq!(positions, (1..=appends as i64).collect::<Vec<_>>());
    }
    store.close().await;
}

/// A read whose caller goes away before it ends (a request cancelled, a timeout) neither keeps
/// a reader's place nor leaves its connection in the middle of a result for the next read:
/// after more dropped reads than there are readers, every read still answers, and rightly.
async fn reads_dropped_half_way_leave_the_readers_whole(db: TestDb) {
    use futures::FutureExt;
    let store = db.open().await;
    for n in 0..20 {
        store
            .append(append_to(&format!("package-{n}"), ExpectedVersion::NO_STREAM, 3))
            .await
            .unwrap();
    }
    let mut unfinished = 0;
    for round in 0..24 {
        // Polled once (the statement sent, its rows most likely not yet read), then dropped.
        unfinished += store.read_all(1, limits::PAGE_EVENTS_MAX).now_or_never().is_none() as u32;
        let _ = store.read_stream("package-3", 1, 100).now_or_never();
        let stream = store.read_stream(&format!("package-{}", round % 20), 2, 100).await.unwrap();
        let versions: Vec<i64> = stream.iter().map(|event| event.stream_version).collect();
        assert_eq!(versions, [2, 3], "round {round}");
        assert_eq!(stream[0].stream_id, format!("package-{}", round % 20));
    }
    assert!(unfinished >= 12, "only {unfinished} reads of 24 were dropped before they ended");
    let events = store.read_all(1, limits::PAGE_EVENTS_MAX).await.unwrap();
    assert_eq!(events.iter().map(|e| e.position).collect::<Vec<_>>(), (1..=60).collect::<Vec<_>>());
    store.close().await;
}
