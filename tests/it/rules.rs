//! The programme rules through the shell, on each backend: cross-stream invariants under
//! concurrency, `jejak exec`, the imports, and the demo. The rules themselves are tested one
//! by one in `events/src/decide/tests.rs`; here they meet a real database and real processes.

use events::command::CommandEnvelope;
use events::vocabulary::Role;
use events::{Timestamp, streams};
use jejak::commands::{CommandFailure, CommandLoop};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixtures::{
    PACKAGE, SESSION, command_loop, disnaker, envelope, issuer, person, petugas, setup, system,
};
use crate::support::{TestDb, backend_tests, clock_at, jejak, repository_root, stdout};

backend_tests!(
    twenty_concurrent_acceptances_for_five_places_accept_exactly_five,
    two_concurrent_approvals_of_one_nomination_write_one,
    a_retried_command_returns_its_first_result_and_a_reused_id_is_refused,
    a_command_decided_on_streams_another_process_changed_is_decided_again,
    a_refusal_is_never_given_on_what_this_process_saw_last,
    exec_reports_each_line_and_atomic_writes_nothing_unless_all_succeed,
    an_attendance_import_checks_every_row_first_and_runs_twice_as_once,
    an_sdp_import_keeps_raw_ids_out_of_the_log_and_runs_twice_as_once,
    the_demo_writes_a_story_that_verifies_and_only_to_an_empty_log,
);

async fn twenty_concurrent_acceptances_for_five_places_accept_exactly_five(db: TestDb) {
    let clock = clock_at("2026-02-20T01:00:00Z");
    let store = db.open_with(clock.clone()).await;
    let commands = command_loop(&store, clock);
    let participations = setup(&commands, 5, 20).await;
    let tasks: Vec<_> = participations
        .iter()
        .map(|participation_id| {
            let (commands, command) = (
                commands.clone(),
                envelope(
                    json!({"type": "accept_participant", "participation_id": participation_id}),
                ),
            );
            tokio::spawn(async move { commands.execute(&command, &disnaker()).await })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        let executed = task.await.unwrap().unwrap();
        statuses.push(executed.reply["status"].as_str().unwrap().to_owned());
    }
    assert_eq!(statuses.iter().filter(|s| *s == "accepted").count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| *s == "waitlisted").count(), 15, "{statuses:?}");
    let (_, package) = commands.load_state(&streams::package(PACKAGE)).await.unwrap();
    let events::state::StreamState::Package(package) = package else { panic!() };
    assert_eq!(package.places_taken(), 5);
    let positions: Vec<u32> = {
        let mut waiting = Vec::new();
        for participation_id in &participations {
            let (_, state) =
                commands.load_state(&streams::participation(*participation_id)).await.unwrap();
            let events::state::StreamState::Participation(state) = state else { panic!() };
            waiting.extend(state.waitlist_position);
        }
        waiting.sort();
        waiting
    };
    assert_eq!(positions, (1..=15).collect::<Vec<u32>>(), "each waiting place given once");
    assert!(jejak::verify::verify_log(&store, |_| {}).await.unwrap().is_intact());
}

async fn two_concurrent_approvals_of_one_nomination_write_one(db: TestDb) {
    let clock = clock_at("2026-02-20T01:00:00Z");
    let store = db.open_with(clock.clone()).await;
    let commands = command_loop(&store, clock);
    setup_one_assessed_with_registry(&commands).await;
    let participation_id = streams::participation_id(PACKAGE, &person(0));
    let approvals: Vec<_> = ["karutan.eko", "tpp.sekretaris"]
        .into_iter()
        .map(|actor| {
            let commands = commands.clone();
            let role = if actor.starts_with("karutan") { Role::Karutan } else { Role::TppSekretaris };
            let command = envelope(json!({"type": "approve_nomination", "participation_id": participation_id, "tpp_session_date": "2026-02-18", "document_ref": "BA-TPP/1"}));
            tokio::spawn(async move { commands.execute(&command, &issuer(actor, role, "RUTAN-SOE")).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for approval in approvals {
        outcomes.push(approval.await.unwrap());
    }
    let written = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
    assert_eq!(written, 1, "{outcomes:?}");
    let refused = outcomes.iter().find_map(|outcome| outcome.as_ref().err()).unwrap();
    assert!(
        matches!(refused, CommandFailure::Refused(rejection) if rejection.code() == "invalid_state"),
        "{refused:?}"
    );
    let approved = store
        .read_stream(&streams::participation(participation_id), 1, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|event| event.event_type == "NominationApproved")
        .count();
    assert_eq!(approved, 1);
}

async fn setup_one_assessed(commands: &CommandLoop) {
    let batch = vec![
        (
            envelope(json!({
                "type": "define_package", "package_id": PACKAGE, "title": "Menjahit", "provider": "DISNAKERTRANS-TTS", "skill": "menjahit",
                "venue_type": "in_facility", "location": "SoE", "facilities": ["RUTAN-SOE"], "planned_hours": 40,
                "start_date": "2026-03-02", "end_date": "2026-03-27", "quota_total": 5, "funding_source": "APBD",
            })),
            disnaker(),
        ),
        (
            envelope(
                json!({"type": "record_custody_episode", "person_ref": person(0), "episode_ref": "r0", "facility": "RUTAN-SOE", "admitted_on": "2024-01-01", "legal_status": "narapidana"}),
            ),
            system(),
        ),
        (
            envelope(
                json!({"type": "nominate_inmate", "package_id": PACKAGE, "person_ref": person(0)}),
            ),
            petugas(),
        ),
        (
            envelope(
                json!({"type": "assess_eligibility", "participation_id": streams::participation_id(PACKAGE, &person(0))}),
            ),
            issuer("wali.dewi", Role::Wali, "RUTAN-SOE"),
        ),
    ];
    let mut session = commands.session();
    let (_, refused) = session.run(&batch).await.unwrap();
    assert!(refused.is_empty(), "{refused:?}");
}

async fn a_retried_command_returns_its_first_result_and_a_reused_id_is_refused(db: TestDb) {
    let clock = clock_at("2026-02-20T01:00:00Z");
    let store = db.open_with(clock.clone()).await;
    let commands = command_loop(&store, clock.clone());
    let participations = setup(&commands, 1, 2).await;
    let first =
        envelope(json!({"type": "accept_participant", "participation_id": participations[0]}));
    let accepted = commands.execute(&first, &disnaker()).await.unwrap();
    assert_eq!(accepted.reply["status"], "accepted");
    let head = store.head().await.unwrap();
    clock.advance_micros(86_400_000_000);
    let retried = commands.execute(&first, &disnaker()).await.unwrap();
    assert!(retried.duplicate);
    assert_eq!(
        (retried.first_position, retried.last_position, &retried.reply),
        (accepted.first_position, accepted.last_position, &accepted.reply)
    );
    assert_eq!(store.head().await.unwrap(), head, "a retry writes nothing");
    let mut other =
        envelope(json!({"type": "accept_participant", "participation_id": participations[1]}));
    other.command_id = first.command_id;
    let refused = commands.execute(&other, &disnaker()).await.unwrap_err();
    assert!(matches!(refused, CommandFailure::CommandReused(id) if id == first.command_id));
    assert_eq!(store.head().await.unwrap(), head);
}

/// Two processes (two stores, two command loops) on one database: what one of them saw of a
/// stream goes stale when the other writes to it.
async fn two_processes(
    db: &TestDb,
    clock: std::sync::Arc<jejak::clock::SimulatedClock>,
) -> (CommandLoop, CommandLoop) {
    let here = command_loop(&db.open_with(clock.clone()).await, clock.clone());
    let there = command_loop(&db.open_with(clock.clone()).await, clock);
    (here, there)
}

async fn a_command_decided_on_streams_another_process_changed_is_decided_again(db: TestDb) {
    let clock = clock_at("2026-02-20T01:00:00Z");
    let (here, there) = two_processes(&db, clock).await;
    let participations = setup(&here, 1, 2).await;
    let accept = |n: usize| {
        envelope(json!({"type": "accept_participant", "participation_id": participations[n]}))
    };
    let first = here.execute(&accept(0), &disnaker()).await.unwrap();
    assert_eq!(first.reply["status"], "accepted");
    // The other process frees the one place; this one last saw the package full.
    let withdraw = envelope(
        json!({"type": "withdraw_participant", "participation_id": participations[0], "reason_code": "own_request"}),
    );
    there.execute(&withdraw, &petugas()).await.unwrap();
    let second = here.execute(&accept(1), &disnaker()).await.unwrap();
    assert_eq!(second.reply["status"], "accepted", "decided on the package as the log has it");
    let (_, state) = there.load_state(&streams::package(PACKAGE)).await.unwrap();
    let events::state::StreamState::Package(state) = state else { panic!() };
    assert_eq!(state.places_taken(), 1);
    assert!(jejak::verify::verify_log(here.store(), |_| {}).await.unwrap().is_intact());
}

async fn a_refusal_is_never_given_on_what_this_process_saw_last(db: TestDb) {
    let clock = clock_at("2026-02-20T01:00:00Z");
    let (here, there) = two_processes(&db, clock).await;
    setup(&here, 5, 1).await;
    let newcomer = person(7);
    let nominate = || {
        envelope(json!({"type": "nominate_inmate", "package_id": PACKAGE, "person_ref": newcomer}))
    };
    // Refused: not in custody as far as the log knows. This process keeps what it read.
    let refused = here.execute(&nominate(), &petugas()).await.unwrap_err();
    assert!(matches!(refused, CommandFailure::Refused(_)), "{refused:?}");
    // The other process records the custody episode.
    let custody = envelope(
        json!({"type": "record_custody_episode", "person_ref": newcomer, "episode_ref": "r7", "facility": "RUTAN-SOE", "admitted_on": "2024-01-01", "legal_status": "narapidana", "sdp": {"extract_at": "2026-02-19T00:00:00Z", "row_ref": "r7"}}),
    );
    there.execute(&custody, &system()).await.unwrap();
    let nominated = here.execute(&nominate(), &petugas()).await;
    assert!(nominated.is_ok(), "decided again on the log, not refused: {nominated:?}");
}

fn write(dir: &std::path::Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path.to_str().unwrap().to_owned()
}

fn lines(output: &std::process::Output) -> Vec<Value> {
    stdout(output).lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

async fn exec_reports_each_line_and_atomic_writes_nothing_unless_all_succeed(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let organisations = [("RUTAN-SOE", "rutan"), ("DISNAKERTRANS-TTS", "disnakertrans")]
        .map(|(code, kind)| json!({"command_id": Uuid::new_v4(), "type": "register_organisation", "code": code, "name": code, "kind": kind, "time_zone": "Asia/Makassar"}).to_string())
        .join("\n");
    let file = write(dir.path(), "orgs.jsonl", &organisations);
    let system = ["exec", &file, "--actor", "setup", "--role", "system", "--org", "SYSTEM"];
    let output = jejak(&db.url, &system);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));

    let package = |id: u128, quota: i64| {
        json!({
        "command_id": Uuid::from_u128(id), "type": "define_package", "package_id": Uuid::from_u128(id), "title": "Kecantikan",
        "provider": "DISNAKERTRANS-TTS", "skill": "kecantikan", "venue_type": "in_facility", "location": "SoE",
        "planned_hours": 40, "start_date": "2026-03-02", "end_date": "2026-03-27", "quota_total": quota, "funding_source": "APBD",
    }).to_string()
    };
    let input = [
        package(1, 10),
        "{not json".to_owned(),
        package(2, 0),
        json!({"command_id": Uuid::new_v4(), "type": "fly_away"}).to_string(),
        package(3, 12),
    ]
    .join("\n");
    let file = write(dir.path(), "packages.jsonl", &input);
    let admin = [
        "exec",
        &file,
        "--actor",
        "disnaker.gita",
        "--role",
        "disnaker_admin",
        "--org",
        "DISNAKERTRANS-TTS",
    ];
    let output = jejak(&db.url, &admin);
    assert_eq!(output.status.code(), Some(1), "a refused line makes the exit non-zero");
    let results = lines(&output);
    let statuses: Vec<&str> = results.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["ok", "invalid", "refused", "invalid", "ok"]);
    assert_eq!(results[1]["error"]["code"], "not_json");
    assert_eq!(results[2]["error"]["code"], "invalid_field");
    assert!(results[2]["error"]["message"].as_str().unwrap().contains("quota_total"));
    assert_eq!(results[3]["error"]["code"], "unknown_command");
    assert_eq!(
        results.iter().map(|r| r["line"].as_u64().unwrap()).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );

    let again = lines(&jejak(&db.url, &admin));
    assert_eq!(again[0]["status"], "duplicate");
    assert_eq!(
        again[0]["first_position"], results[0]["first_position"],
        "a retry answers with the first result"
    );

    let before = parse_head(&db);
    let atomic_input = [package(4, 10), package(5, 0)].join("\n");
    let file = write(dir.path(), "atomic.jsonl", &atomic_input);
    let output = jejak(
        &db.url,
        &[
            "exec",
            "--atomic",
            &file,
            "--actor",
            "disnaker.gita",
            "--role",
            "disnaker_admin",
            "--org",
            "DISNAKERTRANS-TTS",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let statuses: Vec<Value> = lines(&output).iter().map(|r| r["status"].clone()).collect();
    assert_eq!(statuses, [json!("not_written"), json!("refused")]);
    assert_eq!(parse_head(&db), before, "an atomic batch with a refused line writes nothing");
    let file = write(dir.path(), "atomic-good.jsonl", &[package(4, 10), package(5, 5)].join("\n"));
    let output = jejak(
        &db.url,
        &[
            "exec",
            "--atomic",
            &file,
            "--actor",
            "disnaker.gita",
            "--role",
            "disnaker_admin",
            "--org",
            "DISNAKERTRANS-TTS",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(parse_head(&db), before + 2);
}

/// The head position, read through `jejak log`.
fn parse_head(db: &TestDb) -> i64 {
    let output = jejak(&db.url, &["log", "--format", "json"]);
    stdout(&output).lines().count() as i64
}

async fn an_attendance_import_checks_every_row_first_and_runs_twice_as_once(db: TestDb) {
    let clock = clock_at("2026-03-02T02:00:00Z");
    let store = db.open_with(clock.clone()).await;
    let commands = command_loop(&store, clock);
    let participations = setup(&commands, 5, 3).await;
    let mut batch =
        vec![(envelope(json!({"type": "start_package", "package_id": PACKAGE})), disnaker())];
    for participation_id in &participations {
        batch.push((
            envelope(json!({"type": "accept_participant", "participation_id": participation_id})),
            disnaker(),
        ));
        batch.push((
            envelope(json!({"type": "start_participation", "participation_id": participation_id})),
            disnaker(),
        ));
    }
    let (_, refused) = commands.session().run(&batch).await.unwrap();
    assert!(refused.is_empty(), "{refused:?}");
    store.close().await;

    let dir = tempfile::tempdir().unwrap();
    let [one, two, three] = [participations[0], participations[1], participations[2]];
    let bad = format!(
        "participation_id,session_date,code,minutes_late\n{one},2026-03-02,hadir,\n{two},2026-03-02,terbang,\n{three},2026-03-09,hadir,\nnot-a-uuid,2026-03-02,hadir,\n{two},2026-03-02,hadir,5\n"
    );
    let file = write(dir.path(), "attendance.csv", &bad);
    let instructor =
        ["--actor", "instruktur.hadi", "--role", "instruktur", "--org", "DISNAKERTRANS-TTS"];
    fn args<'a>(file: &'a str, extra: &[&'a str], instructor: &[&'a str]) -> Vec<&'a str> {
        [&["import", "attendance", file], extra, instructor].concat()
    }
    let output = jejak(&db.url, &args(&file, &[], &instructor));
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    for line in ["line 3:", "line 4:", "line 5:", "line 6:"] {
        assert!(report.contains(line), "{line} missing from {report}");
    }
    assert!(
        report.contains("terbang")
            && report.contains("no session on 2026-03-09")
            && report.contains("minutes late"),
        "{report}"
    );
    assert!(report.contains("4 of 5 rows are bad; nothing was written"), "{report}");
    assert!(!report.contains("line 2:"), "{report}");

    let rejects = dir.path().join("rejects.csv");
    let output = jejak(
        &db.url,
        &args(&file, &["--skip-invalid", "--rejects", rejects.to_str().unwrap()], &instructor),
    );
    assert!(
        stdout(&output).contains("5 rows: 1 written, 0 already imported, 4 rejected"),
        "{}",
        stdout(&output)
    );
    let rejected = std::fs::read_to_string(&rejects).unwrap();
    assert!(
        rejected.starts_with("participation_id,session_date,code,minutes_late,error\n"),
        "{rejected}"
    );
    assert_eq!(rejected.lines().count(), 5);

    let good = format!(
        "participation_id,session_id,code,minutes_late\n{one},{SESSION},hadir,\n{two},{SESSION},terlambat,12\n{three},{SESSION},sakit,\n"
    );
    let file = write(dir.path(), "good.csv", &good);
    let run = || jejak(&db.url, &[&["import", "attendance", &file], &instructor[..]].concat());
    let first = run();
    assert!(
        stdout(&first).contains("3 rows: 2 written, 1 already imported, 0 rejected"),
        "{}",
        stdout(&first)
    );
    let head = parse_head(&db);
    let second = run();
    assert_eq!(second.status.code(), Some(0));
    assert!(
        stdout(&second).contains("3 rows: 0 written, 3 already imported"),
        "{}",
        stdout(&second)
    );
    assert_eq!(parse_head(&db), head, "importing again changes nothing");
}

async fn an_sdp_import_keeps_raw_ids_out_of_the_log_and_runs_twice_as_once(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let organisations = json!({"command_id": Uuid::new_v4(), "type": "register_organisation", "code": "RUTAN-SOE", "name": "Rutan SoE", "kind": "rutan", "time_zone": "Asia/Makassar"}).to_string();
    let file = write(dir.path(), "orgs.jsonl", &organisations);
    assert!(
        jejak(&db.url, &["exec", &file, "--actor", "setup", "--role", "system", "--org", "SYSTEM"])
            .status
            .success()
    );
    let key = dir.path().join("person.key");
    assert!(jejak(&db.url, &["keygen-person", "--out", key.to_str().unwrap()]).status.success());
    let extract = "extract_at,row_ref,sdp_person_id,fact,date,facility,legal_status,episode_ref,sentence_months,sentence_start,expiry_date,release_type,sex\n\
        2026-02-10T10:00:00+07:00,1,SDP-FIKTIF-0001,custody_episode,2025-06-01,RUTAN-SOE,tahanan,REG-A.II-9/2025,,,,,laki_laki\n\
        2026-02-10T10:00:00+07:00,2,SDP-FIKTIF-0001,legal_status,2025-09-01,,narapidana,,24,,,,\n\
        2026-02-10T10:00:00+07:00,3,SDP-FIKTIF-0001,sentence_dates,2025-09-01,,,,,2025-06-01,2027-06-01,,\n\
        2026-02-10T10:00:00+07:00,4,SDP-FIKTIF-0002,release,2026-02-01,,,,,,,bebas_murni,\n";
    let file = write(dir.path(), "sdp.csv", extract);
    let import = ["import", "sdp", &file, "--person-key-file", key.to_str().unwrap()];
    let output = jejak(&db.url, &import);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(
        stdout(&output).contains("line 5: person")
            && stdout(&output).contains("nothing was written"),
        "{}",
        stdout(&output)
    );
    let extract = extract.lines().take(4).collect::<Vec<_>>().join("\n");
    let file = write(dir.path(), "sdp-good.csv", &extract);
    let import = ["import", "sdp", &file, "--person-key-file", key.to_str().unwrap()];
    let output = jejak(&db.url, &import);
    assert!(stdout(&output).contains("3 rows: 3 written"), "{}", stdout(&output));
    let log = stdout(&jejak(&db.url, &["log", "--format", "json"]));
    assert!(!log.contains("SDP-FIKTIF"), "raw SDP ids never enter the log");
    let person_ref = stdout(&jejak(
        &db.url,
        &["person-ref", "--sdp-id", "SDP-FIKTIF-0001", "--person-key-file", key.to_str().unwrap()],
    ));
    assert!(log.contains(person_ref.trim()), "the events name the keyed ref");
    assert!(log.contains("\"source\":\"import\"") && log.contains("extract_at"));
    let head = parse_head(&db);
    let again = jejak(&db.url, &import);
    assert!(stdout(&again).contains("3 already imported"), "{}", stdout(&again));
    assert_eq!(parse_head(&db), head);
}

async fn the_demo_writes_a_story_that_verifies_and_only_to_an_empty_log(db: TestDb) {
    let output = jejak(&db.url, &["demo", "--participants", "60", "--seed", "7"]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}{}", String::from_utf8_lossy(&output.stderr));
    assert!(text.contains("log intact"), "{text}");
    let log = stdout(&jejak(&db.url, &["log", "--format", "json"]));
    for event_type in [
        "PackageDefined",
        "ParticipantNominated",
        "EligibilityAssessed",
        "NominationApproved",
        "ParticipantAccepted",
        "AttendanceRecorded",
        "TrainingCompleted",
        "ParticipantGraduated",
        "GrantProposed",
        "PersonReleased",
    ] {
        assert!(
            log.contains(&format!("\"event_type\":\"{event_type}\"")),
            "the demo has no {event_type}"
        );
    }
    let recorded: Vec<Timestamp> = log
        .lines()
        .map(|line| serde_json::from_str::<events::RecordedEvent>(line).unwrap().recorded_at)
        .collect();
    assert!(
        recorded.first().unwrap().to_string().starts_with("2023-01"),
        "the clock follows the story"
    );
    assert!(recorded.last().unwrap().to_string().starts_with("2026-"), "{:?}", recorded.last());
    let again = jejak(&db.url, &["demo"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("only to an empty log"));
}

#[test]
fn every_command_has_a_documented_example_that_parses() {
    let text = std::fs::read_to_string(repository_root().join("docs/commands.md")).unwrap();
    let mut documented = std::collections::BTreeSet::new();
    for block in text.split("```json\n").skip(1) {
        let json = block.split("\n```").next().unwrap();
        let envelope =
            CommandEnvelope::from_json(json).unwrap_or_else(|error| panic!("{json}: {error}"));
        documented.insert(envelope.command.name());
    }
    let all: std::collections::BTreeSet<&str> =
        events::command::Command::NAMES.iter().copied().collect();
    assert_eq!(documented, all);
}

#[tokio::test]
async fn a_fact_dated_after_today_is_refused() {
    let db = TestDb::new(jejak::store::Backend::Sqlite).await.unwrap();
    let clock = clock_at("2026-02-20T01:00:00Z");
    let store = db.open_with(clock.clone()).await;
    let commands = command_loop(&store, clock);
    setup_one_assessed_with_registry(&commands).await;
    let release = envelope(
        json!({"type": "record_release", "person_ref": person(0), "release_type": "bebas_murni", "released_on": "2026-02-21"}),
    );
    let refused = commands.execute(&release, &system()).await.unwrap_err();
    assert!(refused.to_string().contains("2026-02-21 is after today (2026-02-20)"), "{refused}");
    let release = envelope(
        json!({"type": "record_release", "person_ref": person(0), "release_type": "bebas_murni", "released_on": "2026-02-20"}),
    );
    commands.execute(&release, &system()).await.unwrap();
}

async fn setup_one_assessed_with_registry(commands: &CommandLoop) {
    let batch: Vec<_> = [("RUTAN-SOE", "rutan"), ("DISNAKERTRANS-TTS", "disnakertrans")]
        .into_iter()
        .map(|(code, kind)| (envelope(json!({"type": "register_organisation", "code": code, "name": code, "kind": kind, "time_zone": "Asia/Makassar"})), system()))
        .collect();
    commands.session().run(&batch).await.unwrap();
    setup_one_assessed(commands).await;
}
