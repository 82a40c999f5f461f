//! Crash safety of the write path: `jejak exec` takes a steady stream of commands and is killed
//! with SIGKILL at random moments, again and again, on each database. After every kill, every
//! command it had acknowledged is in the log, no command is half-written (each command's
//! events are all there, under its record, or none are), and the chain verifies. Re-running
//! the same file then finishes the work without writing anything twice.
//!
//! Rounds: `JEJAK_CRASH_ROUNDS` (default 6; `.ci/run` sets more). A kill during a projector
//! batch and during `jejak rebuild` is tried in `projections.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;

use jejak::clock::SystemClock;
use jejak::store::Store;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{TestDb, backend_tests};

backend_tests!(
    commands_acknowledged_before_a_sigkill_are_all_in_the_log_and_none_is_half_written,
    a_server_killed_while_taking_commands_keeps_the_log_and_every_read_model_whole,
    an_attendance_import_killed_at_random_lands_whole_or_not_at_all,
);

const COMMANDS: usize = 1_500;

fn rounds() -> usize {
    std::env::var("JEJAK_CRASH_ROUNDS").ok().and_then(|n| n.parse().ok()).unwrap_or(6)
}

/// The load: a facility, then one custody episode per (fictional) person.
fn load() -> Vec<Value> {
    let mut commands = Vec::new();
    let mut push = |mut command: Value| {
        command["command_id"] = json!(Uuid::new_v4());
        commands.push(command);
    };
    push(
        json!({"type": "register_organisation", "code": "RUTAN-SOE", "name": "Rutan SoE", "kind": "rutan", "time_zone": "Asia/Makassar"}),
    );
    for n in 0..COMMANDS {
        push(json!({
            "type": "record_custody_episode", "person_ref": format!("p{:032x}", 0xc0de_0000_u64 + n as u64),
            "episode_ref": format!("crash-{n}"), "facility": "RUTAN-SOE", "admitted_on": "2024-01-01",
            "legal_status": "narapidana", "sdp": {"extract_at": "2026-02-19T00:00:00Z", "row_ref": format!("crash-{n}")},
        }));
    }
    commands
}

/// The load as a file for `jejak exec`, and its command ids.
fn command_file(dir: &std::path::Path) -> (std::path::PathBuf, Vec<Uuid>) {
    let commands = load();
    let ids = commands.iter().map(|c| c["command_id"].as_str().unwrap().parse().unwrap()).collect();
    let lines: Vec<String> = commands.iter().map(Value::to_string).collect();
    let path = dir.join("load.jsonl");
    let mut file = std::fs::File::create(&path).unwrap();
    writeln!(file, "{}", lines.join("\n")).unwrap();
    (path, ids)
}

/// Runs `jejak exec FILE` and kills it with SIGKILL once `kill_after` commands have been newly
/// written (or lets it finish when `None`); returns the commands it acknowledged as written.
fn exec_until_killed(db: &TestDb, file: &std::path::Path, kill_after: Option<usize>) -> Vec<Uuid> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jejak"))
        .args(["exec", "--actor", "sdp-import", "--role", "system", "--org", "DITJENPAS"])
        .arg(file)
        .env("JEJAK_DATABASE_URL", &db.url)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the jejak binary runs");
    let mut acknowledged = Vec::new();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines {
        let Ok(line) = line else { break };
        let result: Value = serde_json::from_str(&line).unwrap();
        assert!(
            matches!(result["status"].as_str(), Some("ok" | "duplicate")),
            "every command of the load is valid: {line}"
        );
        if result["status"] == "ok" {
            acknowledged.push(result["command_id"].as_str().unwrap().parse().unwrap());
            if Some(acknowledged.len()) == kill_after {
                child.kill().unwrap(); // SIGKILL
                break;
            }
        }
    }
    child.wait().unwrap();
    acknowledged
}

/// Every event belongs to a recorded command whose record names exactly its positions, the
/// chain verifies, and each of `acknowledged` is recorded. Returns the recorded command ids.
async fn assert_whole(store: &Store, acknowledged: &BTreeSet<Uuid>) -> BTreeSet<Uuid> {
    let report = jejak::verify::verify_log(store, |_| {}).await.unwrap();
    assert!(report.is_intact(), "the chain verifies: {:?}", report.first_break);
    let head = store.head().await.unwrap().position;
    let mut positions: BTreeMap<Uuid, Vec<i64>> = BTreeMap::new();
    let mut from = 1;
    while from <= head {
        let page = store.read_all(from, 5_000).await.unwrap();
        for event in &page {
            positions.entry(event.command_id).or_default().push(event.position);
        }
        from = page.last().unwrap().position + 1;
    }
    for (command_id, positions) in &positions {
        let (_, outcome) = store
            .command_record(*command_id)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("events of {command_id} without its command record"));
        let expected: Vec<i64> = (outcome.first_position..=outcome.last_position).collect();
        assert_eq!(positions, &expected, "{command_id}: all its events, where its record says");
    }
    for command_id in acknowledged {
        assert!(positions.contains_key(command_id), "acknowledged {command_id} is in the log");
    }
    positions.into_keys().collect()
}

async fn commands_acknowledged_before_a_sigkill_are_all_in_the_log_and_none_is_half_written(
    db: TestDb,
) {
    let dir = tempfile::tempdir().unwrap();
    let (file, ids) = command_file(dir.path());
    let mut rng = ChaCha8Rng::seed_from_u64(0xdead);
    let mut acknowledged = BTreeSet::new();
    let rounds = rounds();
    for round in 0..rounds {
        let kill_after = rng.random_range(1..=COMMANDS / (rounds + 1));
        let (db_url, file_path) = (db.url.clone(), file.clone());
        let borrowed = TestDb::borrowed(db.backend, db_url);
        let newly = tokio::task::spawn_blocking(move || {
            exec_until_killed(&borrowed, &file_path, Some(kill_after))
        })
        .await
        .unwrap();
        assert_eq!(newly.len(), kill_after, "round {round}: killed after {kill_after}");
        acknowledged.extend(newly);
        let store = Store::open(&db.url, Arc::new(SystemClock)).await.unwrap();
        let recorded = assert_whole(&store, &acknowledged).await;
        store.close().await;
        // Killed in flight, a command may have landed unacknowledged; never the other way.
        assert!(recorded.len() >= acknowledged.len());
    }
    // The same file again finishes the load; what was written is not written twice.
    let (db_url, file_path) = (db.url.clone(), file.clone());
    let borrowed = TestDb::borrowed(db.backend, db_url);
    tokio::task::spawn_blocking(move || exec_until_killed(&borrowed, &file_path, None))
        .await
        .unwrap();
    let store = Store::open(&db.url, Arc::new(SystemClock)).await.unwrap();
    let recorded = assert_whole(&store, &acknowledged).await;
    assert_eq!(recorded, ids.iter().copied().collect(), "every command once, and only those");
    store.close().await;
}

/// The same load through `jejak serve`, which follows the log with its projector as it goes:
/// each round the server takes commands over HTTP and is killed with SIGKILL while one more is
/// in flight. After each kill, the log is whole as above, and every read model, at whatever
/// position its checkpoint claims, is the in-memory fold of the log up to there.
async fn a_server_killed_while_taking_commands_keeps_the_log_and_every_read_model_whole(
    db: TestDb,
) {
    let store = Store::open(&db.url, Arc::new(SystemClock)).await.unwrap();
    let now = events::Timestamp::parse("2026-11-01T00:00:00Z").unwrap();
    let role = events::vocabulary::Role::System;
    let token = jejak::users::add(&store, "sdp.crash", role, "DITJENPAS", None, now).await.unwrap();
    store.close().await;
    let commands = load();
    let mut rng = ChaCha8Rng::seed_from_u64(0x5e7e);
    let mut acknowledged = BTreeSet::new();
    let mut next = 0;
    for round in 0..rounds().div_ceil(2) {
        let borrowed = TestDb::borrowed(db.backend, db.url.clone());
        let served = crate::serve::Served::start(&borrowed, &[]);
        let batch = rng.random_range(1..=40);
        for command in &commands[next..next + batch] {
            let name = command["type"].as_str().unwrap();
            let (status, body) = served.post(&format!("/api/commands/{name}"), &token, command);
            assert!(status.contains("200"), "round {round}: {status} {body}");
            acknowledged.insert(command["command_id"].as_str().unwrap().parse().unwrap());
        }
        next += batch;
        // One more in flight as the process dies: it may land or not, never half.
        let (address, command) = (served.address.clone(), commands[next].clone());
        let token_in_flight = token.clone();
        let in_flight = std::thread::spawn(move || {
            let name = command["type"].as_str().unwrap().to_owned();
            crate::serve::post_to(
                &address,
                &format!("/api/commands/{name}"),
                &token_in_flight,
                &command,
            )
        });
        served.kill();
        let _ = in_flight.join();
        next += 1;

        let store = Store::open(&db.url, Arc::new(SystemClock)).await.unwrap();
        assert_whole(&store, &acknowledged).await;
        let events = crate::projections::read_log(&store).await;
        let projector = jejak::projector::Projector::new(
            store.clone(),
            projections::projection::Config::default(),
        );
        for projection in projections::projection::all() {
            if projector
                .status()
                .await
                .unwrap()
                .iter()
                .any(|s| s.name == projection.name && s.generation.is_some())
            {
                crate::projections::assert_live_model_is_the_fold(&projector, projection, &events)
                    .await;
            }
        }
        store.close().await;
    }
    // Caught up after the last crash, every read model is the fold of the whole log.
    let store = Store::open(&db.url, Arc::new(SystemClock)).await.unwrap();
    let events = crate::projections::read_log(&store).await;
    let projector =
        jejak::projector::Projector::new(store.clone(), projections::projection::Config::default());
    projector.catch_up_all().await.unwrap();
    for projection in projections::projection::all() {
        let position =
            crate::projections::assert_live_model_is_the_fold(&projector, projection, &events)
                .await;
        assert_eq!(position, events.len() as i64);
    }
    store.close().await;
}

/// An attendance import killed with SIGKILL at a random point of its run: the file's marks are
/// all in the log or none is (an import is one all-or-nothing append), the chain verifies, and
/// running the file again writes exactly what is missing.
async fn an_attendance_import_killed_at_random_lands_whole_or_not_at_all(db: TestDb) {
    use crate::fixtures::{PACKAGE, SESSION, command_loop, disnaker, envelope, setup};
    let clock = crate::support::clock_at("2026-03-02T02:00:00Z");
    let store = db.open_with(clock.clone()).await;
    let commands = command_loop(&store, clock);
    let participations = setup(&commands, 40, 40).await;
    let mut batch =
        vec![(envelope(json!({"type": "start_package", "package_id": PACKAGE})), disnaker())];
    for participation_id in &participations {
        for kind in ["accept_participant", "start_participation"] {
            batch.push((
                envelope(json!({"type": kind, "participation_id": participation_id})),
                disnaker(),
            ));
        }
    }
    let (_, refused) = commands.session().run(&batch).await.unwrap();
    assert!(refused.is_empty(), "{refused:?}");
    store.close().await;
    let dir = tempfile::tempdir().unwrap();
    let mut csv = "participation_id,session_id,code,minutes_late\n".to_owned();
    for participation_id in &participations {
        csv.push_str(&format!("{participation_id},{SESSION},hadir,\n"));
    }
    let file = dir.path().join("attendance.csv");
    std::fs::write(&file, csv).unwrap();
    let marks = |events: &[events::RecordedEvent]| {
        events.iter().filter(|event| event.event_type == "AttendanceRecorded").count()
    };
    // How many log lines a whole run writes, measured on a copy: kills are spread over them.
    let copy = db.copy().await;
    let import_into = |url: &str, kill_after: Option<usize>| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_jejak"))
            .args(["import", "attendance"])
            .arg(&file)
            .args([
                "--actor",
                "instruktur.hadi",
                "--role",
                "instruktur",
                "--org",
                "DISNAKERTRANS-TTS",
            ])
            .env("JEJAK_DATABASE_URL", url)
            .env("RUST_LOG", "jejak=trace,sqlx=debug")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(if kill_after.is_some() { Stdio::piped() } else { Stdio::null() })
            .spawn()
            .expect("the jejak binary runs");
        // The log lines it writes as it goes mark the moments it can be killed at.
        let mut seen = 0;
        if let Some(kill_after) = kill_after {
            let lines = BufReader::new(child.stderr.take().unwrap()).lines();
            for _ in lines {
                seen += 1;
                if seen >= kill_after {
                    break;
                }
            }
            let _ = child.kill(); // SIGKILL, unless it already finished
        }
        (child.wait().unwrap(), seen)
    };
    let (_, total) = tokio::task::block_in_place(|| import_into(&copy.url, Some(usize::MAX)));
    let import = |kill_after: Option<usize>| import_into(&db.url, kill_after).0;
    let mut rng = ChaCha8Rng::seed_from_u64(0x1a7e);
    let mut landed = false;
    for round in 0..rounds().div_ceil(2) {
        let kill_after = rng.random_range(1..=total + total / 4);
        tokio::task::block_in_place(|| import(Some(kill_after)));
        let store = Store::open(&db.url, Arc::new(SystemClock)).await.unwrap();
        assert_whole(&store, &BTreeSet::new()).await;
        let found = marks(&crate::projections::read_log(&store).await);
        store.close().await;
        eprintln!("round {round}: killed after {kill_after} log lines, {found} marks in the log");
        assert!(
            found == 0 || found == participations.len(),
            "round {round}: {found} marks, not all or none"
        );
        landed |= found > 0;
    }
    let finished = tokio::task::block_in_place(|| import(None));
    assert!(finished.success(), "the import finishes");
    let store = Store::open(&db.url, Arc::new(SystemClock)).await.unwrap();
    assert_whole(&store, &BTreeSet::new()).await;
    assert_eq!(
        marks(&crate::projections::read_log(&store).await),
        participations.len(),
        "each mark once (landed before: {landed})"
    );
    store.close().await;
}
