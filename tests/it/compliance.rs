//! `jejak compliance` on a log seeded with one breach of each kind, written past the rules as an
//! import from an older system would (source `migration`) or, for lateness, through the rules
//! themselves: it finds each one, at its position, and nothing else. A broken chain is a finding
//! too. The demo finds nothing (`projections.rs` checks that on the large demo).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use events::catalogue::{
    AttendanceRecorded, CompetencyAssessed, EligibilityOverrideApproved,
    EligibilityOverrideRequested, Event, EventReversed, GrantApproved, GrantProposed,
    NominationApproved, ParticipantAccepted, ParticipantGraduated,
};
use events::vocabulary::{AttendanceCode, CompetencyResult, Role};
use events::{
    AppendRequest, ExpectedVersion, Metadata, NewEvent, Source, StreamAppend, Timestamp, streams,
};
use jejak::clock::SimulatedClock;
use jejak::store::{Backend, Store};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixtures::{
    PACKAGE, SESSION, command_loop, disnaker, envelope, issuer, petugas, setup, system,
};
use crate::support::{TestDb, backend_tests, clock_at, jejak, stdout};

backend_tests!(every_seeded_breach_is_found_at_its_position_and_nothing_else,);

fn local(date: &str, hour: i64) -> Timestamp {
    let day: NaiveDate = date.parse().unwrap();
    Timestamp::start_of_day(day).unwrap().checked_add_micros((hour - 8) * 3_600_000_000).unwrap()
}

/// Appends `event` to its stream as an older system's import would: no rules, source
/// `migration`. Returns its position.
async fn raw(store: &Store, stream_id: String, event: Event, actor: &str, role: &str) -> i64 {
    let new = NewEvent {
        event_type: event.event_type().to_owned(),
        schema_version: event.schema_version(),
        occurred_at: store_now(store).await,
        facility: Some("RUTAN-SOE".to_owned()),
        reason: None,
        document_ref: None,
        payload: event.to_payload(),
    };
    let metadata = Metadata {
        actor: actor.to_owned(),
        role: role.to_owned(),
        organisation: "RUTAN-SOE".to_owned(),
        source: Source::Migration,
        correlation_id: Uuid::new_v4(),
        causation_id: None,
    };
    let stream = StreamAppend { stream_id, expected: ExpectedVersion::Any, events: vec![new] };
    let request = AppendRequest::new(Uuid::new_v4(), metadata, vec![stream]);
    store.append(request).await.unwrap().first_position
}

async fn store_now(store: &Store) -> Timestamp {
    // The clock is simulated and set by the test; the head's time is never later than it.
    store.head().await.unwrap().recorded_at.unwrap()
}

async fn run(
    commands: &jejak::commands::CommandLoop,
    batch: Vec<(Value, jejak::commands::Issuer)>,
) -> Vec<i64> {
    let items: Vec<_> =
        batch.into_iter().map(|(command, issuer)| (envelope(command), issuer)).collect();
    let (executed, refused) = commands.session().run(&items).await.unwrap();
    assert!(refused.is_empty(), "{refused:?}");
    executed.iter().map(|executed| executed.last_position).collect()
}

/// The seeded log; returns, per rule, the positions of the events that breach it.
async fn seeded(store: &Store, clock: &Arc<SimulatedClock>) -> BTreeMap<&'static str, Vec<i64>> {
    let commands = command_loop(store, clock.clone());
    let mut expected: BTreeMap<&'static str, Vec<i64>> = BTreeMap::new();
    let instructor = || issuer("instruktur.hadi", Role::Instruktur, "DISNAKERTRANS-TTS");

    clock.set(local("2026-02-20", 9));
    let p = setup(&commands, 5, 8).await; // p[0..8] nominated by petugas.andi, approved by karutan.eko
    clock.set(local("2026-03-02", 9));
    let mut batch = vec![(json!({"type": "start_package", "package_id": PACKAGE}), disnaker())];
    for participation in &p[..5] {
        batch.push((
            json!({"type": "accept_participant", "participation_id": participation}),
            disnaker(),
        ));
    }
    for participation in &p[..3] {
        batch.push((
            json!({"type": "start_participation", "participation_id": participation}),
            disnaker(),
        ));
    }
    batch.push((json!({"type": "withdraw_participant", "participation_id": p[4], "reason_code": "own_request"}), petugas()));
    for (participation, code) in [(p[0], "hadir"), (p[1], "alpa"), (p[2], "hadir")] {
        batch.push((json!({"type": "record_attendance", "participation_id": participation, "session_id": SESSION, "code": code}), instructor()));
    }
    run(&commands, batch).await;
    let p3_mark = events::ids::event_id(
        {
            let events = store.read_stream(&streams::participation(p[2]), 1, 100).await.unwrap();
            events.iter().rev().find(|e| e.event_type == "AttendanceRecorded").unwrap().command_id
        },
        0,
    );

    clock.set(local("2026-03-03", 9));
    let today: NaiveDate = "2026-03-03".parse().unwrap();
    // Places: p0..p3 hold four of five (p4 withdrew). p5 takes the fifth; p6 is one too many.
    let accept = |id: Uuid| {
        Event::ParticipantAccepted(ParticipantAccepted { participation_id: id, accepted_on: today })
    };
    raw(store, streams::participation(p[5]), accept(p[5]), "disnaker.gita", "disnaker_admin").await;
    let over =
        raw(store, streams::participation(p[6]), accept(p[6]), "disnaker.gita", "disnaker_admin")
            .await;
    expected.entry("acceptance_beyond_quota").or_default().push(over);
    // p7 was approved by karutan.eko; its nominator approves it again.
    let approval = Event::NominationApproved(NominationApproved {
        participation_id: p[7],
        tpp_session_date: today,
        nominated_by: "petugas.andi".to_owned(),
    });
    let own = raw(store, streams::participation(p[7]), approval, "petugas.andi", "karutan").await;
    expected.entry("self_approval").or_default().push(own);
    // An override requested and approved by the same wali.
    let request_id = Uuid::from_u128(0x0e);
    let requested = Event::EligibilityOverrideRequested(EligibilityOverrideRequested {
        participation_id: p[5],
        request_id,
    });
    raw(store, streams::participation(p[5]), requested, "wali.dewi", "wali").await;
    let approved = Event::EligibilityOverrideApproved(EligibilityOverrideApproved {
        participation_id: p[5],
        request_id,
        requested_by: "wali.dewi".to_owned(),
    });
    let override_position =
        raw(store, streams::participation(p[5]), approved, "wali.dewi", "wali").await;
    expected.entry("override_without_second_person").or_default().push(override_position);
    // A mark for the withdrawn p4, and one for p3 dated before the package began.
    let mark = |id: Uuid, date: &str| {
        Event::AttendanceRecorded(AttendanceRecorded {
            participation_id: id,
            session_id: SESSION,
            session_date: date.parse().unwrap(),
            code: AttendanceCode::Hadir,
            minutes_late: None,
        })
    };
    let withdrawn = raw(
        store,
        streams::participation(p[4]),
        mark(p[4], "2026-03-02"),
        "instruktur.hadi",
        "instruktur",
    )
    .await;
    expected.entry("attendance_after_participation_ended").or_default().push(withdrawn);
    let early = raw(
        store,
        streams::participation(p[3]),
        mark(p[3], "2026-02-25"),
        "instruktur.hadi",
        "instruktur",
    )
    .await;
    expected.entry("attendance_outside_package_period").or_default().push(early);

    clock.set(local("2026-03-28", 9));
    let closing = json!({"type": "close_package", "package_id": PACKAGE});
    run(&commands, vec![(closing, disnaker())]).await; // p0, p2 complete; p1 ends for low attendance
    let asesor = issuer("asesor.lina", Role::Asesor, "LSP-TTS");
    let assessment = json!({"type": "assess_competency", "participation_id": p[0], "assessment_id": Uuid::from_u128(0xa0), "lsp": "LSP-TTS", "units": ["C.14.01"], "result": "kompeten"});
    run(&commands, vec![(assessment, asesor)]).await;
    run(
        &commands,
        vec![(json!({"type": "graduate_participant", "participation_id": p[0]}), disnaker())],
    )
    .await;
    let proposal = json!({"type": "propose_grant", "participation_id": p[0], "items": [{"name": "mesin jahit", "quantity": 1, "unit_value_rupiah": 2750000}], "capital_rupiah": 1000000, "funding_source": "APBD", "budget_line": "5.1"});
    run(&commands, vec![(proposal, disnaker())]).await;
    // The proposer approves the grant they proposed.
    let grant = streams::grant_id(p[0]);
    let grant_approval = Event::GrantApproved(GrantApproved {
        grant_id: grant,
        proposed_by: "disnaker.gita".to_owned(),
    });
    let same_person =
        raw(store, streams::grant(grant), grant_approval, "disnaker.gita", "ppk").await;
    expected.entry("grant_duties_not_distinct").or_default().push(same_person);
    // A grant for p1, who ended for low attendance.
    let p1_grant = streams::grant_id(p[1]);
    let proposed = Event::GrantProposed(GrantProposed {
        grant_id: p1_grant,
        participation_id: p[1],
        package_id: PACKAGE,
        person_ref: crate::fixtures::person(1),
        items: vec![],
        capital_rupiah: 500_000,
        total_rupiah: 500_000,
        funding_source: "APBD".to_owned(),
        budget_line: "5.1".to_owned(),
    });
    let non_graduate =
        raw(store, streams::grant(p1_grant), proposed, "disnaker.gita", "disnaker_admin").await;
    expected.entry("grant_to_non_graduate").or_default().push(non_graduate);
    // p1 assessed competent and graduated anyway, with 0 of 1 sessions attended.
    let assessed = Event::CompetencyAssessed(CompetencyAssessed {
        participation_id: p[1],
        assessment_id: Uuid::from_u128(0xa1),
        lsp: "LSP-TTS".to_owned(),
        units: vec![],
        result: CompetencyResult::Kompeten,
        assessed_on: "2026-03-28".parse().unwrap(),
    });
    raw(store, streams::participation(p[1]), assessed, "asesor.lina", "asesor").await;
    let graduate = |id: Uuid| {
        Event::ParticipantGraduated(ParticipantGraduated {
            participation_id: id,
            assessment_id: Uuid::from_u128(0xa1),
            graduated_on: "2026-03-28".parse().unwrap(),
        })
    };
    let low =
        raw(store, streams::participation(p[1]), graduate(p[1]), "disnaker.gita", "disnaker_admin")
            .await;
    expected.entry("graduation_below_attendance_threshold").or_default().push(low);
    // p2 graduated with no competency result at all.
    let unassessed =
        raw(store, streams::participation(p[2]), graduate(p[2]), "disnaker.gita", "disnaker_admin")
            .await;
    expected.entry("graduation_without_competent_result").or_default().push(unassessed);
    // p2's mark of 2 March reversed 26 days later, with no request and no second person.
    let reversal = Event::EventReversed(EventReversed {
        reversed_event_id: p3_mark,
        reversed_event_type: "AttendanceRecorded".to_owned(),
        target: SESSION.to_string(),
        request_id: None,
        requested_by: None,
    });
    let late_reversal =
        raw(store, streams::participation(p[2]), reversal, "instruktur.hadi", "instruktur").await;
    expected.entry("late_correction_without_second_person").or_default().push(late_reversal);

    // Through the rules: an admission entered five weeks after it happened is late; an SDP
    // import is as late as its extract, so an old admission from a fresh extract is not.
    let admission = |n: u32, admitted: &str, extract: Option<&str>| {
        let mut command = json!({"type": "record_custody_episode", "person_ref": format!("p{:032x}", 0xfeed_0000_u32 + n), "episode_ref": format!("late{n}"), "facility": "RUTAN-SOE", "admitted_on": admitted, "legal_status": "tahanan"});
        if let Some(extract) = extract {
            command["sdp"] = json!({"extract_at": extract, "row_ref": format!("row-{n}")});
        }
        (command, system())
    };
    let positions = run(
        &commands,
        vec![
            admission(1, "2026-02-20", None),
            admission(2, "2026-01-10", Some("2026-03-27T00:00:00Z")),
            admission(3, "2026-03-01", Some("2026-03-10T00:00:00Z")),
        ],
    )
    .await;
    expected.entry("recorded_late").or_default().extend([positions[0], positions[2]]);
    expected
}

fn compliance(db: &TestDb, extra: &[&str]) -> (i32, Value) {
    let output = jejak(&db.url, &[&["compliance", "--format", "json"], extra].concat());
    let json = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&output.stderr)));
    (output.status.code().unwrap(), json)
}

fn found(json: &Value) -> BTreeMap<String, Vec<i64>> {
    let mut found: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for finding in json["findings"].as_array().unwrap() {
        let positions = finding["positions"].as_array().unwrap();
        found
            .entry(finding["rule"].as_str().unwrap().to_owned())
            .or_default()
            .push(positions.last().unwrap().as_i64().unwrap());
    }
    found
}

async fn every_seeded_breach_is_found_at_its_position_and_nothing_else(db: TestDb) {
    let clock = clock_at("2026-02-20T01:00:00Z");
    let store = db.open_with(clock.clone()).await;
    let expected = seeded(&store, &clock).await;
    store.close().await;
    let expected: BTreeMap<String, Vec<i64>> =
        expected.into_iter().map(|(rule, positions)| (rule.to_owned(), positions)).collect();
    assert_eq!(expected.len(), 11, "one breach of each kind but the chain's");

    let (code, json) = compliance(&db, &[]);
    assert_eq!(code, 1, "findings make the exit status 1");
    assert_eq!(found(&json), expected);
    let migrated = json["checked"]["migration_events"].as_u64().unwrap();
    assert!(migrated >= 13, "the imported events were checked too ({migrated})");
    let self_approval =
        json["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "self_approval").unwrap();
    assert_eq!(
        self_approval["positions"].as_array().unwrap().len(),
        2,
        "the nomination and the approval"
    );
    assert_eq!(self_approval["actor"], "petugas.andi");

    // The review period selects by the day a breach was recorded.
    let (_, march_3) = compliance(&db, &["--from", "2026-03-03", "--to", "2026-03-03"]);
    let rules: Vec<String> = found(&march_3).into_keys().collect();
    assert_eq!(
        rules,
        [
            "acceptance_beyond_quota",
            "attendance_after_participation_ended",
            "attendance_outside_package_period",
            "override_without_second_person",
            "self_approval"
        ]
    );
    let (code, _) = compliance(&db, &["--to", "2026-03-02"]);
    assert_eq!(code, 0, "nothing was breached before 3 March");
    // CSV and table forms name the same findings.
    let csv = stdout(&jejak(&db.url, &["compliance", "--format", "csv"]));
    assert_eq!(csv.lines().count(), 1 + 12);
    let table = stdout(&jejak(&db.url, &["compliance"]));
    assert!(table.contains("self_approval (1): nobody approves their own nomination"), "{table}");

    // An edited event breaks the chain: that is a finding too, whatever the period.
    let copy = db.copy().await;
    let unprotect = match db.backend {
        Backend::Sqlite => "DROP TRIGGER events_no_update",
        Backend::Postgres => "DROP TRIGGER events_no_update ON events",
    };
    let edit = format!(
        "UPDATE events SET actor = 'karutan.eko' WHERE position = {}",
        expected["self_approval"][0]
    );
    copy.execute(&[unprotect, &edit]).await.unwrap();
    let (_, json) = compliance(&copy, &["--to", "2026-03-02"]);
    let broken = found(&json);
    assert_eq!(broken.get("chain_broken"), Some(&expected["self_approval"]), "{json}");
}
