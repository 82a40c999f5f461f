//! Time travel and audit trails: as-of answers in both senses against a small history worked
//! out by hand (late-recorded marks, a correction), the fast path against the plain filtered
//! fold on random histories, and `jejak audit`.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use events::{RecordedEvent, Timestamp};
use jejak::clock::SimulatedClock;
use jejak::demo::{self, DemoOptions};
use jejak::history::{History, Moment};
use jejak::projector::snapshot;
use jejak::reports;
use jejak::store::{Backend, Store};
use projections::history::AsOfFilter;
use projections::projection::{self, Config, Replay};
use projections::report::Options;
use projections::scope::Scope;
use projections::views;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixtures::{
    PACKAGE, SESSION, command_loop, disnaker, envelope, issuer, narrowed_options, setup,
};
use crate::support::{TestDb, backend_tests, clock_at, jejak, stdout};

backend_tests!(
    as_of_answers_in_both_senses_match_the_hand_worked_history,
    the_fast_as_of_path_equals_the_filtered_fold_of_the_known_prefix,
    an_audit_trail_shows_who_what_when_why_with_reversals_beside,
    snapshots_are_taken_ahead_of_the_questions_for_every_scope_asked_about,
    jejak_snapshots_takes_from_the_command_line_what_a_question_would_take,
);

const SESSION_2: Uuid = Uuid::from_u128(0x0a11_0002);

fn instructor() -> jejak::commands::Issuer {
    issuer("instruktur.hadi", events::vocabulary::Role::Instruktur, "DISNAKERTRANS-TTS")
}

/// `hh` o'clock local time (UTC+8) on `date`, as the clock's UTC text.
fn local(date: &str, hh: u32) -> Timestamp {
    let day: NaiveDate = date.parse().unwrap();
    let midnight = Timestamp::start_of_day(day).unwrap();
    midnight.checked_add_micros((i64::from(hh) - 8) * 3_600_000_000).unwrap()
}

/// Three inmates in a package with two sessions (2 and 3 March 2026). Times are local (WITA).
///
/// - 20 Feb: nominated, assessed, approved (TPP 18 Feb); 2 Mar 09:00: accepted and started.
/// - 2 Mar: session 1 marked: P1 hadir, P2 hadir, P3 alpa.
/// - 3 Mar: session 2 marked: P1 hadir, P3 hadir. P2's mark is not entered.
/// - 4 Mar: P1's session-1 mark was wrong: reversed ("salah input") and re-marked izin.
/// - 10 Mar: P2's session-2 mark (hadir) is entered, a week late.
///
/// Returns the participations and the event id of P1's wrong mark.
async fn story(store: &Store, clock: &Arc<SimulatedClock>) -> ([Uuid; 3], Uuid) {
    let commands = command_loop(store, clock.clone());
    clock.set(local("2026-02-20", 9));
    let [p1, p2, p3]: [Uuid; 3] = setup(&commands, 5, 3).await.try_into().unwrap();
    let mut session = commands.session();
    let run = |batch: Vec<(Value, jejak::commands::Issuer)>| {
        batch.into_iter().map(|(command, issuer)| (envelope(command), issuer)).collect::<Vec<_>>()
    };
    let second = json!({"type": "schedule_session", "package_id": PACKAGE, "session_id": SESSION_2, "date": "2026-03-03", "start_time": "08:00:00", "end_time": "12:00:00", "hours": 4});
    let (_, refused) = session.run(&run(vec![(second, disnaker())])).await.unwrap();
    assert!(refused.is_empty(), "{refused:?}");

    clock.set(local("2026-03-02", 9));
    let mut batch = vec![(json!({"type": "start_package", "package_id": PACKAGE}), disnaker())];
    for p in [p1, p2, p3] {
        batch.push((json!({"type": "accept_participant", "participation_id": p}), disnaker()));
        batch.push((json!({"type": "start_participation", "participation_id": p}), disnaker()));
    }
    let mark = |p: Uuid, session: Uuid, code: &str| {
        (
            json!({"type": "record_attendance", "participation_id": p, "session_id": session, "code": code}),
            instructor(),
        )
    };
    batch.extend([
        mark(p1, SESSION, "hadir"),
        mark(p2, SESSION, "hadir"),
        mark(p3, SESSION, "alpa"),
    ]);
    let (executed, refused) = session.run(&run(batch)).await.unwrap();
    assert!(refused.is_empty(), "{refused:?}");
    let wrong_mark = events::ids::event_id(executed[executed.len() - 3].command_id, 0);

    clock.set(local("2026-03-03", 9));
    let batch = vec![mark(p1, SESSION_2, "hadir"), mark(p3, SESSION_2, "hadir")];
    assert!(session.run(&run(batch)).await.unwrap().1.is_empty());

    clock.set(local("2026-03-04", 9));
    let mut correction = json!({"type": "correct_event", "stream_id": format!("participation-{p1}"), "event_id": wrong_mark, "request_id": Uuid::from_u128(77)});
    correction["reason"] = json!("salah input");
    let batch = vec![(correction, instructor()), mark(p1, SESSION, "izin")];
    let (_, refused) = session.run(&run(batch)).await.unwrap();
    assert!(refused.is_empty(), "{refused:?}");

    clock.set(local("2026-03-10", 9));
    assert!(session.run(&run(vec![mark(p2, SESSION_2, "hadir")])).await.unwrap().1.is_empty());
    ([p1, p2, p3], wrong_mark)
}

/// `jejak report attendance` with `extra` arguments: each participant's (counted, attended).
fn attendance(db: &TestDb, extra: &[&str], participations: &[Uuid; 3]) -> (Value, [(i64, i64); 3]) {
    let args =
        [&["report", "attendance", "--format", "json", "--snapshot-every", "7"], extra].concat();
    let output = jejak(&db.url, &args);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let json: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let section =
        json["sections"].as_array().unwrap().iter().find(|s| s["name"] == "participants").unwrap();
    let columns: Vec<String> = serde_json::from_value(section["columns"].clone()).unwrap();
    let at = |name: &str| columns.iter().position(|c| c == name).unwrap();
    let rows = section["rows"].as_array().unwrap();
    let figures = participations.map(|p| {
        let row = rows.iter().find(|row| row[0] == p.to_string()).expect("a row per participant");
        (row[at("sessions_counted")].as_i64().unwrap(), row[at("attended")].as_i64().unwrap())
    });
    (json, figures)
}

async fn as_of_answers_in_both_senses_match_the_hand_worked_history(db: TestDb) {
    let clock = clock_at("2026-02-20T01:00:00Z");
    let store = db.open_with(clock.clone()).await;
    let (participations, _) = story(&store, &clock).await;
    let head = store.head().await.unwrap();
    store.close().await;
    let p = &participations;

    // Now: P1 izin + hadir, P2 hadir + hadir (entered late), P3 alpa + hadir.
    let (now, figures) = attendance(&db, &[], p);
    assert_eq!(figures, [(2, 1), (2, 2), (2, 1)]);
    assert_eq!(now["provenance"]["log_position"], head.position);
    // What the log knew at the end of 3 March: P1's wrong hadir still stands; P2's second
    // mark is not entered, so that session counts as not attended.
    let (known, figures) = attendance(&db, &["--known-at", "2026-03-03"], p);
    assert_eq!(figures, [(2, 2), (2, 1), (2, 1)]);
    assert!(known["provenance"]["log_position"].as_i64().unwrap() < head.position);
    assert_eq!(known["parameters"]["known_at"], "2026-03-03T15:59:59.999999Z");
    // The world on 2 March as known today: one session so far, P1's mark corrected to izin.
    let (_, figures) = attendance(&db, &["--as-of", "2026-03-02"], p);
    assert_eq!(figures, [(1, 0), (1, 1), (1, 0)]);
    // The world on 3 March as known on 5 March: the correction is known, the late mark not.
    let (both, figures) =
        attendance(&db, &["--as-of", "2026-03-03", "--known-at", "2026-03-05"], p);
    assert_eq!(figures, [(2, 1), (2, 1), (2, 1)]);
    assert_eq!(both["parameters"]["as_of"], "2026-03-03");
    // The world on 3 March as known today: P2's late mark is in.
    let (_, figures) = attendance(&db, &["--as-of", "2026-03-03"], p);
    assert_eq!(figures, [(2, 1), (2, 2), (2, 1)]);
    // What the log knew at 10:00 on 2 March, as an RFC 3339 moment.
    let (_, figures) = attendance(&db, &["--known-at", "2026-03-02T10:00:00+08:00"], p);
    assert_eq!(figures, [(1, 1), (1, 1), (1, 0)]);

    // Enrolment as of 25 February: approved but not yet accepted or started.
    let output =
        jejak(&db.url, &["report", "enrolment", "--format", "json", "--as-of", "2026-02-25"]);
    let json: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let packages = &json["sections"][0];
    let columns: Vec<String> = serde_json::from_value(packages["columns"].clone()).unwrap();
    let row = &packages["rows"][0];
    let value = |name: &str| row[columns.iter().position(|c| c == name).unwrap()].clone();
    assert_eq!(
        (value("approved"), value("accepted_inmates"), value("active")),
        (json!(3), json!(0), json!(0))
    );

    // A moment jejak cannot read is a clear error.
    let output = jejak(&db.url, &["report", "attendance", "--known-at", "kemarin"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--known-at kemarin"));
}

fn trail(db: &TestDb, args: &[&str]) -> Value {
    let output = jejak(db.url.as_str(), &[&["audit"], args, &["--format", "json"]].concat());
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_str(&stdout(&output)).unwrap()
}

async fn an_audit_trail_shows_who_what_when_why_with_reversals_beside(db: TestDb) {
    let clock = clock_at("2026-02-20T01:00:00Z");
    let store = db.open_with(clock.clone()).await;
    let ([p1, ..], wrong_mark) = story(&store, &clock).await;
    store.close().await;

    let whole = trail(&db, &["participation", &p1.to_string()]);
    let entries = whole["entries"].as_array().unwrap();
    let positions: Vec<i64> = entries.iter().map(|e| e["position"].as_i64().unwrap()).collect();
    assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "in log order: {positions:?}");
    let types: Vec<&str> = entries.iter().map(|e| e["event_type"].as_str().unwrap()).collect();
    assert_eq!(types.iter().filter(|t| **t == "AttendanceRecorded").count(), 3);
    let wrong = entries.iter().find(|e| e["event_id"] == wrong_mark.to_string()).unwrap();
    assert_eq!(wrong["actor"], "instruktur.hadi");
    assert_eq!(wrong["role"], "instruktur");
    assert_eq!(wrong["occurred_at"], "2026-03-02 00:00:00", "a mark happened on its session's day");
    assert_eq!(wrong["recorded_at"], "2026-03-02 09:00:00");
    let reversal = &wrong["reversed_by"];
    assert_eq!(reversal["reason"], "salah input");
    assert_eq!(reversal["recorded_at"], "2026-03-04 09:00:00");
    let reversing = entries.iter().find(|e| e["event_type"] == "EventReversed").unwrap();
    assert_eq!(reversing["position"], reversal["position"]);
    assert_eq!(reversing["reverses"]["position"], wrong["position"]);
    let nomination = entries.iter().find(|e| e["event_type"] == "ParticipantNominated").unwrap();
    assert_eq!(nomination["actor"], "petugas.andi");
    let approval = entries.iter().find(|e| e["event_type"] == "NominationApproved").unwrap();
    assert_eq!(approval["document_ref"], "BA-TPP/1", "why: the TPP minutes");

    // As of 1 March: nothing of the training yet.
    let before = trail(&db, &["participation", &p1.to_string(), "--as-of", "2026-03-01"]);
    assert!(
        before["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["event_type"] != "AttendanceRecorded")
    );
    // An actor's trail holds what they wrote, with the reversal beside the mark.
    let actor = trail(&db, &["actor", "instruktur.hadi"]);
    let marks = actor["entries"].as_array().unwrap();
    assert!(marks.iter().all(|e| e["actor"] == "instruktur.hadi"));
    let wrong = marks.iter().find(|e| e["event_id"] == wrong_mark.to_string()).unwrap();
    assert_eq!(wrong["reversed_by"]["reason"], "salah input");
    // The table names who and why.
    let output = jejak(&db.url, &["audit", "participation", &p1.to_string()]);
    let text = stdout(&output);
    assert!(text.contains("REVERSED by #") && text.contains("salah input"), "{text}");
    // An unknown subject and a malformed id are clear errors.
    let output = jejak(&db.url, &["audit", "package", &Uuid::from_u128(5).to_string()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no event about package"));
    let output = jejak(&db.url, &["audit", "grant", "bukan-uuid"]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not a grant id"));
}

/// The known prefix at `known_at`, folded plainly within `scope` and filtered as of `as_of`:
/// the oracle.
fn oracle(
    projection: projections::projection::ProjectionDef,
    scope: &Scope,
    events: &[RecordedEvent],
    moment: Moment,
) -> (i64, Replay) {
    let known = moment.known_at.map_or(events.len(), |at| {
        events.iter().take_while(|event| event.recorded_at <= at).count()
    });
    let prefix = &events[..known];
    let mut replay = Replay::within(projection, Config::default(), scope);
    let Some(as_of) = moment.as_of else {
        prefix.iter().for_each(|event| replay.apply(event));
        return (known as i64, replay);
    };
    let positions: BTreeMap<Uuid, i64> = events.iter().map(|e| (e.event_id, e.position)).collect();
    let mut filter = AsOfFilter::new(as_of, Config::default(), 0);
    let admitted: Vec<&RecordedEvent> =
        prefix.iter().filter(|e| filter.admits(e, |id| positions.get(&id).copied())).collect();
    for event in admitted {
        let fact = events::state::Fact::from_recorded(event).unwrap();
        (projection.apply)(&fact, &mut replay.tables, &Config::default());
    }
    (known as i64, replay)
}

async fn the_fast_as_of_path_equals_the_filtered_fold_of_the_known_prefix(db: TestDb) {
    let backend = db.backend;
    drop(db);
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 3,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let days = (demo::STORY_END - demo::STORY_START).num_days();
    let moments = proptest::collection::vec(
        (proptest::option::of(0..days), proptest::option::of(0..days * 24)),
        4..8,
    );
    let cases = (8usize..40, any::<u64>(), 20i64..400, moments);
    let result = runner.run(&cases, |(participants, seed, every, moments)| {
        let moments = moments
            .into_iter()
            .map(|(day, hour)| Moment {
                as_of: day.map(|day| demo::STORY_START + chrono::Days::new(day as u64)),
                known_at: hour.map(|hour| {
                    Timestamp::start_of_day(demo::STORY_START)
                        .unwrap()
                        .checked_add_micros(hour * 3_600_000_000)
                        .unwrap()
                }),
            })
            .collect::<Vec<_>>();
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(fast_path_case(
                backend,
                participants,
                seed,
                every,
                moments,
            ))
        })
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

async fn fast_path_case(
    backend: Backend,
    participants: usize,
    seed: u64,
    every: i64,
    moments: Vec<Moment>,
) -> Result<(), TestCaseError> {
    let db = TestDb::new(backend).await.expect("the backend was available a moment ago");
    let start = Timestamp::start_of_day(demo::STORY_START).unwrap();
    let clock = Arc::new(SimulatedClock::new(start));
    let store = db.open_with(clock.clone()).await;
    demo::generate(&store, clock, DemoOptions { participants, seed }).await.unwrap();
    let mut events: Vec<RecordedEvent> = Vec::new();
    loop {
        let page = store.read_all(events.len() as i64 + 1, 1_000).await.unwrap();
        if page.is_empty() {
            break;
        }
        events.extend(page);
    }
    // Snapshots of many small parts, read back a part at a time.
    let history = History::new(store.clone(), Config::default())
        .with_snapshot_every(every)
        .with_snapshot_part_bytes(200);
    // Besides the random moments, the hard ones: just after a late-entered event occurred,
    // and around a reversal, as known then and now.
    let config = Config::default();
    let late: Vec<&RecordedEvent> = events
        .iter()
        .filter(|e| e.recorded_at.unix_micros() - e.occurred_at.unix_micros() > 86_400_000_000)
        .collect();
    if late.is_empty() {
        // A small story may enter every mark on time; it cannot test the hard moments, so the
        // runner draws another.
        store.close().await;
        return Err(TestCaseError::reject("the demo entered no mark more than a day late"));
    }
    let mut moments = moments;
    for pick in [seed, seed / 7, seed / 49] {
        if let Some(event) = late.get((pick % late.len().max(1) as u64) as usize) {
            let day = config.local_date(event.occurred_at);
            moments.push(Moment { as_of: Some(day), known_at: None });
            moments.push(Moment { as_of: day.succ_opt(), known_at: Some(event.recorded_at) });
        }
    }
    let reversals: Vec<&RecordedEvent> =
        events.iter().filter(|e| e.event_type == "EventReversed").collect();
    if let Some(reversal) = reversals.get((seed % reversals.len().max(1) as u64) as usize) {
        let day = config.local_date(reversal.occurred_at) - chrono::Days::new(3);
        let before = reversal.recorded_at.checked_add_micros(-1);
        moments.push(Moment { as_of: Some(day), known_at: None });
        moments.push(Moment { as_of: Some(day), known_at: before });
    }
    // Besides the whole, the programme narrowed to each part a question can ask about.
    let programme = projection::named("programme").unwrap();
    let everything = Replay::of(programme, config, &events);
    let narrowed: Vec<Options> = narrowed_options(&everything.tables);
    for moment in moments {
        for projection in projection::all() {
            let whole = history.fold_at(projection, &Scope::WHOLE, moment).await.unwrap();
            let mut asked = vec![(Options::default(), whole.clone())];
            if projection.keeps.is_some() {
                for options in &narrowed {
                    let scope = projection.scope(options);
                    let within = history.fold_at(projection, &scope, moment).await.unwrap();
                    asked.push((options.clone(), within));
                }
            }
            for (options, folded) in asked {
                let scope = projection.scope(&options);
                let (known, expected) = oracle(projection, &scope, &events, moment);
                assert_eq!(folded.position, known, "{moment:?}");
                let hash = if known == 0 {
                    events::chain::GENESIS_HASH
                } else {
                    &events[known as usize - 1].hash
                };
                assert_eq!(folded.hash, hash);
                let fast = snapshot(projection, &folded.tables);
                let plain = snapshot(projection, &expected.tables);
                for ((table, fast_rows), (_, plain_rows)) in fast.iter().zip(&plain) {
                    let first_difference = fast_rows.iter().zip(plain_rows).find(|(a, b)| a != b);
                    assert!(
                        fast_rows.len() == plain_rows.len() && first_difference.is_none(),
                        "{table} within {scope:?} at {moment:?} (snapshot {}, {} folded): {} rows \
                         against {}; first difference {first_difference:?}",
                        folded.snapshot,
                        folded.folded,
                        fast_rows.len(),
                        plain_rows.len()
                    );
                }
                // What a narrowed question shows is what the whole shows with its options.
                for view in views::all().into_iter().filter(|v| v.projection == projection.name) {
                    assert_eq!(
                        reports::from_fold(view, &folded, &options, config),
                        reports::from_fold(view, &whole, &options, config),
                        "{} within {scope:?} at {moment:?}",
                        view.name
                    );
                }
            }
        }
    }
    let snapshots = db.count("SELECT count(*) FROM fold_snapshots WHERE part = 0").await;
    let parts = db.count("SELECT count(*) FROM fold_snapshots WHERE part > 0").await;
    prop_assert!(snapshots == 0 || parts > 0, "the snapshots were read back from several parts");
    store.close().await;
    Ok(())
}

/// What the server does beside its log follower: once the head has moved on, the whole log of
/// every projection and every scope already asked about get the snapshots they lack, so that a
/// question afterwards takes none; a scope nobody asked about gets none. A scope's snapshots are
/// kept at an interval of their own, closer than the whole log's.
async fn snapshots_are_taken_ahead_of_the_questions_for_every_scope_asked_about(db: TestDb) {
    // The demo's log, written elsewhere and copied in two halves around a question.
    let source = TestDb::new(db.backend).await.expect("the backend is up");
    let clock = Arc::new(SimulatedClock::new(Timestamp::start_of_day(demo::STORY_START).unwrap()));
    let written = source.open_with(clock.clone()).await;
    demo::generate(&written, clock.clone(), DemoOptions { participants: 12, seed: 11 })
        .await
        .unwrap();
    let head = written.head().await.unwrap().position;
    let events = written.read_all(1, head as usize).await.unwrap();
    written.close().await;
    let store = db.open_with(clock).await;
    let half = events.len() / 2;
    store.append_verbatim(&events[..half], &[]).await.unwrap();

    // A scope's snapshots are closer together than the whole log's.
    let (every, scoped) = (40, 15);
    let history = History::new(store.clone(), Config::default())
        .with_snapshot_every(every)
        .with_scoped_snapshot_every(scoped);
    let programme = projection::named("programme").unwrap();
    let options = narrowed_options(&Replay::of(programme, Config::default(), &events).tables);
    let (asked, never) = (programme.scope(&options[0]), programme.scope(&options[1]));
    let folded = history.fold_at(programme, &asked, Moment::default()).await.unwrap();
    assert!(folded.position - folded.snapshot < scoped, "started from one of the scope's");
    let before = (half as i64 / scoped) as usize;
    assert_eq!(snapshots_within(&db, &asked).await, before, "the question took its own");
    store.append_verbatim(&events[half..], &[]).await.unwrap();

    let after = (head / scoped) as usize;
    let taken = history.take_snapshots_ahead().await.unwrap();
    let projections = projection::all().len();
    assert_eq!(
        taken,
        projections * (head / every) as usize + (after - before),
        "every whole log, and the scope asked"
    );
    for projection in projection::all() {
        let missing = history.ensure_snapshots(projection, &Scope::WHOLE).await.unwrap();
        assert_eq!(missing, 0, "{} has every snapshot up to the head", projection.name);
    }
    assert_eq!(history.ensure_snapshots(programme, &asked).await.unwrap(), 0);
    assert_eq!(snapshots_within(&db, &asked).await, after);
    assert_eq!(snapshots_within(&db, &never).await, 0, "no scope nobody asked about");
    assert_eq!(history.take_snapshots_ahead().await.unwrap(), 0, "nothing left to take");
    store.close().await;
}

/// Where answers come from the command line, `jejak snapshots` takes ahead what the server
/// takes beside its follower: every projection's whole-log snapshots up to the head, so that an
/// as-of question afterwards takes none of its own; run again, it finds nothing to take.
async fn jejak_snapshots_takes_from_the_command_line_what_a_question_would_take(db: TestDb) {
    let demo = jejak(&db.url, &["demo", "--participants", "12"]);
    assert!(demo.status.success(), "{}", stdout(&demo));
    let snapshots = "SELECT count(*) FROM fold_snapshots WHERE part = 0";
    assert_eq!(db.count(snapshots).await, 0, "the demo takes none");
    let head = db.count("SELECT max(position) FROM events").await;
    let every = 40;
    assert!(head > 2 * every, "a log of {head} events has snapshots to take");
    let expected = projection::all().len() as i64 * (head / every);
    let taken = jejak(&db.url, &["--snapshot-every", "40", "snapshots"]);
    assert!(taken.status.success(), "{}", String::from_utf8_lossy(&taken.stderr));
    assert_eq!(
        stdout(&taken).trim(),
        format!("{expected} fold snapshots taken, every 40 positions")
    );
    assert_eq!(db.count(snapshots).await, expected);

    let question = ["--snapshot-every", "40", "report", "enrolment", "--as-of", "2030-01-01"];
    let answer = jejak(&db.url, &question);
    assert!(answer.status.success(), "{}", String::from_utf8_lossy(&answer.stderr));
    assert_eq!(db.count(snapshots).await, expected, "the question took none of its own");
    let again = jejak(&db.url, &["--snapshot-every", "40", "snapshots"]);
    assert_eq!(stdout(&again).trim(), "0 fold snapshots taken, every 40 positions");
}

/// How many programme snapshots are kept within `scope`.
async fn snapshots_within(db: &TestDb, scope: &Scope) -> usize {
    let text = scope.text().replace('\'', "''");
    let sql = format!(
        "SELECT count(*) FROM fold_snapshots WHERE projection = 'programme' AND scope = '{text}' \
         AND part = 0"
    );
    db.count(&sql).await as usize
}
