//! Read models: the SQL projector against the in-memory fold of the same log (at the end, at
//! random cut positions, after a rebuild, after a kill in the middle of a batch), and the demo
//! followed by every report. The recidivism arithmetic itself is tested by hand in
//! `projections/tests/recidivism.rs`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use events::{RecordedEvent, Timestamp};
use jejak::clock::SimulatedClock;
use jejak::demo::{self, DemoOptions};
use jejak::projector::schema::storage;
use jejak::projector::{Projector, snapshot};
use jejak::store::{Backend, Store};
use projections::programme::PackageRow;
use projections::projection::{self, Config, ProjectionDef, Replay};
use projections::report::{Options, Report};
use projections::scope::Scope;
use projections::views::{self, Input};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};

use crate::fixtures::narrowed_options;
use crate::support::{TestDb, backend_tests, jejak, stdout};

backend_tests!(
    read_models_equal_the_in_memory_fold_at_random_cut_positions,
    a_rebuilt_read_model_reports_exactly_what_the_incremental_one_does,
    a_projector_killed_mid_batch_resumes_to_the_in_memory_fold,
    a_rebuild_killed_midway_leaves_the_live_model_whole_until_it_is_run_again,
    a_rebuild_that_drops_its_rows_as_it_goes_equals_the_fold,
);

/// Writes the demo story to an empty database and returns the store and the whole log.
async fn demo_log(db: &TestDb, participants: usize, seed: u64) -> (Store, Vec<RecordedEvent>) {
    let start = Timestamp::start_of_day(demo::STORY_START).expect("a date");
    let clock = Arc::new(SimulatedClock::new(start));
    let store = db.open_with(clock.clone()).await;
    demo::generate(&store, clock, DemoOptions { participants, seed }).await.expect("the demo");
    let events = read_log(&store).await;
    (store, events)
}

pub(crate) async fn read_log(store: &Store) -> Vec<RecordedEvent> {
    let mut events = Vec::new();
    loop {
        let page = store.read_all(events.len() as i64 + 1, 1_000).await.unwrap();
        if page.is_empty() {
            return events;
        }
        events.extend(page);
    }
}

/// The in-memory fold of the first `position` events.
fn fold(projection: ProjectionDef, events: &[RecordedEvent], position: i64) -> Replay {
    let replay = Replay::of(projection, Config::default(), &events[..position as usize]);
    assert!(replay.undecodable.is_empty(), "the demo log decodes: {:?}", replay.undecodable);
    replay
}

/// Every view of `projection` computed from `tables`, with the same options and date for both.
fn reports_of(
    projection: ProjectionDef,
    tables: &projections::table::Tables,
    position: i64,
    hash: &str,
) -> Vec<Report> {
    reports_with(projection, tables, position, hash, &Options::default())
}

fn reports_with(
    projection: ProjectionDef,
    tables: &projections::table::Tables,
    position: i64,
    hash: &str,
    options: &Options,
) -> Vec<Report> {
    views::all()
        .into_iter()
        .filter(|view| view.projection == projection.name)
        .map(|view| {
            let input = Input {
                tables,
                projection,
                config: Config::default(),
                position,
                hash,
                as_of: demo::STORY_END,
                options,
            };
            (view.build)(&input)
        })
        .collect()
}

/// Asserts that the projector's live read model of `projection` is the fold of the log up to
/// the position it claims, row for row and view for view, and returns that position.
pub(crate) async fn assert_live_model_is_the_fold(
    projector: &Projector,
    projection: ProjectionDef,
    events: &[RecordedEvent],
) -> i64 {
    let (tables, position, hash) = projector.load(projection, &Scope::WHOLE).await.unwrap();
    let replay = fold(projection, events, position);
    assert_eq!(hash, replay.hash, "{}: the checkpoint's hash is the event's", projection.name);
    let sql = snapshot(projection, &tables);
    let memory = snapshot(projection, &replay.tables);
    for ((name, sql_rows), (_, memory_rows)) in sql.iter().zip(&memory) {
        assert_eq!(
            sql_rows.len(),
            memory_rows.len(),
            "{}.{name} at position {position}: row count",
            projection.name
        );
        for (sql_row, memory_row) in sql_rows.iter().zip(memory_rows) {
            assert_eq!(sql_row, memory_row, "{}.{name} at position {position}", projection.name);
        }
    }
    assert_eq!(
        reports_of(projection, &tables, position, &hash),
        reports_of(projection, &replay.tables, position, &replay.hash),
        "{}: the views at position {position}",
        projection.name
    );
    // A view that says which tables it reads gives the same report from those alone.
    for view in views::all().into_iter().filter(|view| view.projection == projection.name) {
        let Some(reads) = view.reads else { continue };
        let (only, ..) = projector.load_only(projection, &Scope::WHOLE, Some(reads)).await.unwrap();
        let left_out: usize = (projection.tables)()
            .iter()
            .filter(|definition| !reads.contains(&definition.name))
            .map(|definition| tables.keys(definition.name).count())
            .sum();
        assert_eq!(only.len(), tables.len() - left_out, "{}: the others left out", view.name);
        let options = Options::default();
        let input = |tables| Input {
            tables,
            projection,
            config: Config::default(),
            position,
            hash: &hash,
            as_of: demo::STORY_END,
            options: &options,
        };
        assert_eq!(
            (view.build)(&input(&only)),
            (view.build)(&input(&tables)),
            "{}: from the tables it reads",
            view.name
        );
    }
    position
}

/// Asserts that the live read model of `projection` loaded within each scope a question can ask
/// about is the fold of the log within that scope, row for row, and gives the views the whole
/// model gives with the scope's options; and that some scope holds less than the whole.
async fn assert_scoped_models_agree(
    projector: &Projector,
    projection: ProjectionDef,
    events: &[RecordedEvent],
) {
    let (tables, position, hash) = projector.load(projection, &Scope::WHOLE).await.unwrap();
    let mut narrower = 0;
    for options in narrowed_options(&tables) {
        let scope = projection.scope(&options);
        let (within, at, _) = projector.load(projection, &scope).await.unwrap();
        assert_eq!(at, position);
        let mut fold = Replay::within(projection, Config::default(), &scope);
        events[..position as usize].iter().for_each(|event| fold.apply(event));
        assert_eq!(
            snapshot(projection, &within),
            snapshot(projection, &fold.tables),
            "{} within {scope:?}: the SQL rows are the fold's",
            projection.name
        );
        assert_eq!(
            reports_with(projection, &within, position, &hash, &options),
            reports_with(projection, &tables, position, &hash, &options),
            "{} within {scope:?}: the views at position {position}",
            projection.name
        );
        narrower += usize::from(within.len() < tables.len());
    }
    if projection.keeps.is_some() && tables.all::<PackageRow>().next().is_some() {
        assert!(narrower > 0, "some scope holds less than the whole");
    }
}

async fn read_models_equal_the_in_memory_fold_at_random_cut_positions(db: TestDb) {
    let backend = db.backend;
    drop(db); // every case writes its own story to a database of its own
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 3,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let cases = (8usize..50, any::<u64>(), proptest::collection::vec(0.0f64..1.0, 1..4));
    let result = runner.run(&cases, |(participants, seed, cuts)| {
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(parity_case(
                backend,
                participants,
                seed,
                cuts,
            ))
        });
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

/// One random history: the projector follows it in steps that end at the cut positions, then
/// at the head, and after each step every read model is compared with the fold.
async fn parity_case(backend: Backend, participants: usize, seed: u64, cuts: Vec<f64>) {
    let db = TestDb::new(backend).await.expect("the backend was available a moment ago");
    let (store, events) = demo_log(&db, participants, seed).await;
    let head = events.len() as i64;
    let mut stops: Vec<i64> =
        cuts.iter().map(|cut| ((cut * head as f64) as i64).clamp(1, head)).collect();
    stops.sort_unstable();
    stops.dedup();
    stops.push(head);
    // Small batches, so that the steps also end in the middle of what a batch would be.
    let projector = Projector::new(store.clone(), Config::default()).with_batch_events(97);
    for projection in projection::all() {
        for &stop in &stops {
            let reached = projector.catch_up(projection, Some(stop), &mut |_| {}).await.unwrap();
            assert_eq!(reached, stop, "{} stops where it was asked to", projection.name);
            let position = assert_live_model_is_the_fold(&projector, projection, &events).await;
            assert_eq!(position, stop);
            assert_scoped_models_agree(&projector, projection, &events).await;
        }
    }
    store.close().await;
}

/// A rebuild keeps at most about `cached_rows_max` rows between its batches: past that it
/// drops them and reads back, in bulk, those the next events touch (deletes by reversals
/// included). With a tiny bound and small batches nearly every batch does so. Every
/// projection is rebuilt in one pass over the log, as `jejak rebuild` does, sharing the bound.
async fn a_rebuild_that_drops_its_rows_as_it_goes_equals_the_fold(db: TestDb) {
    let (store, events) = demo_log(&db, 60, 11).await;
    let projector = Projector::new(store.clone(), Config::default())
        .with_rebuild_batch_events(97)
        .with_cached_rows_max(120);
    let reached = projector.rebuild_all(&projection::all(), None, &mut |_| {}).await.unwrap();
    assert_eq!(reached, events.len() as i64);
    for projection in projection::all() {
        assert_live_model_is_the_fold(&projector, projection, &events).await;
        assert_scoped_models_agree(&projector, projection, &events).await;
    }
    // Once more, one at a time, over the generation just swapped in.
    for projection in projection::all() {
        let reached = projector.rebuild(projection, None, &mut |_| {}).await.unwrap();
        assert_eq!(reached, events.len() as i64);
        assert_live_model_is_the_fold(&projector, projection, &events).await;
    }
    store.close().await;
}

/// A report's JSON as `jejak report VIEW --format json` prints it, without `generated_at`.
pub(crate) fn report_json(db: &TestDb, view: &str) -> serde_json::Value {
    let output = jejak(&db.url, &["report", view, "--format", "json"]);
    assert!(output.status.success(), "report {view}: {}", String::from_utf8_lossy(&output.stderr));
    let mut json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let generated_at = json.as_object_mut().unwrap().remove("generated_at");
    assert!(generated_at.is_some(), "report {view} says when it was generated");
    json
}

async fn a_rebuilt_read_model_reports_exactly_what_the_incremental_one_does(db: TestDb) {
    let (store, events) = demo_log(&db, 60, 5).await;
    let head = events.len() as i64;
    // The incremental model: built in three steps in process, then caught up by each report.
    let projector = Projector::new(store.clone(), Config::default()).with_batch_events(500);
    for projection in projection::all() {
        for stop in [head / 3, head * 2 / 3] {
            projector.catch_up(projection, Some(stop), &mut |_| {}).await.unwrap();
        }
    }
    store.close().await;
    let incremental: Vec<_> =
        views::all().iter().map(|view| (view.name, report_json(&db, view.name))).collect();
    for (view, json) in &incremental {
        assert_eq!(json["provenance"]["log_position"], head, "{view} reflects the whole log");
        let hash = events.last().unwrap().hash.as_str();
        assert_eq!(json["provenance"]["chain_hash"], hash, "{view} names the head's hash");
    }

    let rebuilt = jejak(&db.url, &["rebuild"]);
    assert!(rebuilt.status.success(), "{}", String::from_utf8_lossy(&rebuilt.stderr));
    for (view, json) in incremental {
        assert_eq!(report_json(&db, view), json, "{view}: rebuilt and incremental differ");
    }
}

/// Runs `jejak ARGS` with the projector's debug log on and kills it as it commits its
/// `batch`-th batch; returns once it is dead.
fn run_and_kill_at_batch(db: &TestDb, args: &[&str], batch: usize) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jejak"))
        .args(args)
        .env("JEJAK_DATABASE_URL", &db.url)
        .env("RUST_LOG", "jejak::projector=debug")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the jejak binary runs");
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut committing = 0;
    for line in stderr.lines() {
        if line.unwrap().contains("projection batch committing") {
            committing += 1;
            if committing == batch {
                child.kill().unwrap();
                break;
            }
        }
    }
    child.wait().unwrap();
    assert_eq!(committing, batch, "`jejak {}` ended before its batch {batch}", args.join(" "));
}

async fn a_projector_killed_mid_batch_resumes_to_the_in_memory_fold(db: TestDb) {
    let (store, events) = demo_log(&db, 60, 8).await;
    let head = events.len() as i64;
    let projector = Projector::new(store.clone(), Config::default());
    // Each projection is live at position 300, so the killed run is an incremental catch-up.
    for projection in projection::all() {
        projector.catch_up(projection, Some(300), &mut |_| {}).await.unwrap();
    }
    for (projection, view) in
        [("programme", "enrolment"), ("people", "recidivism"), ("monthly", "monthly")]
    {
        let projection = projection::named(projection).unwrap();
        tokio::task::block_in_place(|| {
            run_and_kill_at_batch(&db, &["report", view, "--projector-batch", "50"], 4);
        });
        // Whatever the kill interrupted, the checkpoint and the rows agree with each other.
        let position = assert_live_model_is_the_fold(&projector, projection, &events).await;
        assert!(
            300 < position && position < head,
            "{}: killed part-way, at {position} of {head}",
            projection.name
        );
        // The restarted projector carries on from the checkpoint to the fold of the whole log.
        projector.catch_up(projection, None, &mut |_| {}).await.unwrap();
        let position = assert_live_model_is_the_fold(&projector, projection, &events).await;
        assert_eq!(position, head);
    }
    store.close().await;
}

async fn a_rebuild_killed_midway_leaves_the_live_model_whole_until_it_is_run_again(db: TestDb) {
    let (store, events) = demo_log(&db, 60, 9).await;
    let head = events.len() as i64;
    let projector = Projector::new(store.clone(), Config::default());
    projector.catch_up_all().await.unwrap();
    let programme = projection::named("programme").unwrap();

    tokio::task::block_in_place(|| {
        run_and_kill_at_batch(&db, &["rebuild", "programme", "--rebuild-batch", "50"], 4);
    });
    let status = projector.status().await.unwrap();
    let programme_status = status.iter().find(|s| s.name == "programme").unwrap();
    let building = programme_status.rebuilding_at.expect("the rebuild was left part-way");
    assert!(0 < building && building < head, "rebuilt to {building} of {head}");
    // Readers still see the whole live model, never the half-built one.
    assert_eq!(assert_live_model_is_the_fold(&projector, programme, &events).await, head);

    let output = jejak(&db.url, &["rebuild", "programme"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let status = projector.status().await.unwrap();
    let programme_status = status.iter().find(|s| s.name == "programme").unwrap();
    assert_eq!(programme_status.rebuilding_at, None);
    // Generation 2 was live and 3 the interrupted build: the rerun built 4 and dropped 3.
    assert_eq!(programme_status.generation, Some(4), "a fresh build was swapped in");
    for table in (programme.tables)() {
        let sql = format!("SELECT COUNT(*) FROM {} WHERE generation <> 4", storage(table.name));
        assert_eq!(db.count(&sql).await, 0, "{}: rows of other generations remain", table.name);
    }
    assert_eq!(assert_live_model_is_the_fold(&projector, programme, &events).await, head);
    store.close().await;
}

/// On PostgreSQL the service runs as a login role of `jejak_app` on a database its owner
/// migrated: it appends and maintains the read models. An analyst's login role of
/// `jejak_reader` reads the read-model views and nothing else: not the log, not the storage.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_the_app_role_keeps_read_models_and_the_reader_role_sees_only_views() {
    let Some(db) = TestDb::new(Backend::Postgres).await else { return };
    db.open().await.close().await; // the owner migrates
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let (app, reader) = (format!("jejak_t_app_{suffix}"), format!("jejak_t_reader_{suffix}"));
    db.execute(&[
        &format!("CREATE ROLE {app} LOGIN IN ROLE jejak_app"),
        &format!("CREATE ROLE {reader} LOGIN IN ROLE jejak_reader"),
    ])
    .await
    .unwrap();

    let app_db = TestDb::borrowed(Backend::Postgres, db.url_as(&app));
    let (store, events) = demo_log(&app_db, 10, 3).await;
    let projector = Projector::new(store.clone(), Config::default());
    projector.catch_up_all().await.unwrap();
    let programme = projection::named("programme").unwrap();
    assert_eq!(
        assert_live_model_is_the_fold(&projector, programme, &events).await,
        events.len() as i64
    );
    store.close().await;

    let reader_db = TestDb::borrowed(Backend::Postgres, db.url_as(&reader));
    assert!(reader_db.count("SELECT COUNT(*) FROM programme_packages").await > 0);
    assert!(reader_db.count("SELECT COUNT(*) FROM projection_state").await == 3);
    for forbidden in ["SELECT COUNT(*) FROM events", "SELECT COUNT(*) FROM rm_programme_packages"] {
        let error = reader_db.execute(&[forbidden]).await.unwrap_err();
        assert!(error.to_string().contains("permission denied"), "{forbidden}: {error}");
    }
    drop((app_db, reader_db));
    db.execute(&[&format!("DROP ROLE {app}"), &format!("DROP ROLE {reader}")]).await.unwrap();
}

/// The acceptance check of the projections issue: a large demo, then every view, each with
/// rows and figures that hang together, and a compliance review that finds nothing. SQLite
/// only: the same paths run on PostgreSQL above.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_report_on_a_2000_participant_demo_has_plausible_rows() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let output = jejak(&db.url, &["demo", "--participants", "2000"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let mut reports = std::collections::BTreeMap::new();
    for view in views::all() {
        let json = report_json(&db, view.name);
        let sections = json["sections"].as_array().unwrap();
        assert!(!sections.is_empty(), "{}: no tables", view.name);
        for section in sections {
            let rows = section["rows"].as_array().unwrap();
            assert!(!rows.is_empty(), "{}.{}: no rows", view.name, section["name"]);
        }
        let table = jejak(&db.url, &["report", view.name]);
        assert!(table.status.success());
        assert!(stdout(&table).contains(&json["title"].as_str().unwrap().to_owned()));
        reports.insert(view.name, json);
    }
    // Figures that must hang together in any real programme.
    let rows = |view: &str, section: &str| -> Vec<serde_json::Map<String, serde_json::Value>> {
        let section = reports[view]["sections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == section)
            .unwrap_or_else(|| panic!("{view} has no section {section}"))
            .clone();
        let columns: Vec<String> = serde_json::from_value(section["columns"].clone()).unwrap();
        let rows: Vec<Vec<serde_json::Value>> =
            serde_json::from_value(section["rows"].clone()).unwrap();
        rows.into_iter().map(|row| columns.iter().cloned().zip(row).collect()).collect()
    };
    let int = |row: &serde_json::Map<String, serde_json::Value>, column: &str| {
        row[column].as_i64().unwrap_or_else(|| panic!("{column} is a number: {row:?}"))
    };
    let packages = rows("enrolment", "packages");
    for package in &packages {
        assert!(int(package, "active") <= int(package, "quota"), "{package:?}");
        assert!(int(package, "places_left") >= 0, "{package:?}");
    }
    let graduated: i64 = packages.iter().map(|package| int(package, "graduated")).sum();
    assert!(graduated > 100, "2000 participations yield graduates, not {graduated}");
    for grant in rows("grants", "grants") {
        assert!(int(&grant, "total_rupiah") > 0, "{grant:?}");
    }
    // The story follows the rules, late entries and corrections included: no findings.
    let review = jejak(&db.url, &["compliance"]);
    assert_eq!(review.status.code(), Some(0), "{}", stdout(&review));
    assert!(stdout(&review).contains("no findings"));
}
