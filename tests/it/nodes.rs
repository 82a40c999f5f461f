//! Several nodes on one PostgreSQL: two `jejak serve` processes take commands at once, racing
//! for a package's last place, and the rules and the chain hold; projectors in several
//! processes take turns at each projection through its lease, and when one is killed another
//! takes over, without counting anything twice.

use std::sync::Arc;

use events::Timestamp;
use events::vocabulary::Role;
use jejak::clock::{SimulatedClock, SystemClock};
use jejak::projector::Projector;
use jejak::store::{Backend, Store};
use projections::projection::{self, Config};
use serde_json::json;
use uuid::Uuid;

use crate::fixtures::{command_loop, setup};
use crate::projections::{assert_live_model_is_the_fold, read_log};
use crate::serve::Served;
use crate::support::TestDb;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_race_for_the_last_place_and_the_survivor_keeps_the_read_models_whole() {
    let Some(db) = TestDb::new(Backend::Postgres).await else { return };
    let clock = Arc::new(SimulatedClock::new(Timestamp::parse("2026-02-20T01:00:00Z").unwrap()));
    let store = db.open_with(clock.clone()).await;
    let commands = command_loop(&store, clock.clone());
    // One place, six approved inmates.
    let participations = setup(&commands, 1, 6).await;
    let now = Timestamp::parse("2026-02-20T01:00:00Z").unwrap();
    let token = jejak::users::add(
        &store,
        "disnaker.nodes",
        Role::DisnakerAdmin,
        "DISNAKERTRANS-TTS",
        None,
        now,
    )
    .await
    .unwrap();
    store.close().await;

    let (a, b) = (Served::start(&db, &[]), Served::start(&db, &[]));
    let answers: Vec<(String, String)> = std::thread::scope(|scope| {
        let racers: Vec<_> = participations
            .iter()
            .enumerate()
            .map(|(i, participation)| {
                let (server, token) = (if i % 2 == 0 { &a } else { &b }, token.as_str());
                scope.spawn(move || {
                    let command =
                        json!({"command_id": Uuid::new_v4(), "participation_id": participation});
                    server.post("/api/commands/accept_participant", token, &command)
                })
            })
            .collect();
        racers.into_iter().map(|racer| racer.join().unwrap()).collect()
    });
    for (status, body) in &answers {
        assert!(status.contains("200"), "{status} {body}");
    }

    // One was accepted, five wait; the chain is whole.
    let store = Store::open(&db.url, Arc::new(SystemClock)).await.unwrap();
    let events = read_log(&store).await;
    let count = |event_type: &str| events.iter().filter(|e| e.event_type == event_type).count();
    assert_eq!(count("ParticipantAccepted"), 1, "one place, one acceptance");
    assert_eq!(count("ParticipantWaitlisted"), 5);
    assert!(jejak::verify::verify_log(&store, |_| {}).await.unwrap().is_intact());

    // A node dies with whatever lease it held; this process's projector takes over, and every
    // read model is the fold of the log.
    a.kill();
    let projector = Projector::new(store.clone(), Config::default());
    projector.catch_up_all().await.unwrap();
    for projection in projection::all() {
        let position = assert_live_model_is_the_fold(&projector, projection, &events).await;
        assert_eq!(position, events.len() as i64);
    }
    // The surviving node answers from the same read models.
    let enrolment = b.json("/api/views/enrolment", &token);
    let packages =
        enrolment["sections"].as_array().unwrap().iter().find(|s| s["name"] == "packages").unwrap();
    let column = |name: &str| {
        packages["columns"].as_array().unwrap().iter().position(|c| c == name).unwrap()
    };
    assert_eq!(packages["rows"][0][column("places_left")], 0);
    assert_eq!(packages["rows"][0][column("waiting_list")], 5);
    assert!(b.stop().success());
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projectors_in_two_processes_take_turns_through_the_lease_and_never_fence_each_other() {
    let Some(db) = TestDb::new(Backend::Postgres).await else { return };
    // Two stores are two processes' pools; their projectors share nothing but the database.
    let start = Timestamp::start_of_day(jejak::demo::STORY_START).unwrap();
    let clock = Arc::new(SimulatedClock::new(start));
    let one = db.open_with(clock.clone()).await;
    let options = jejak::demo::DemoOptions { participants: 30, seed: 5 };
    jejak::demo::generate(&one, clock, options).await.unwrap();
    let two = db.open().await;
    let head = one.head().await.unwrap().position;
    let config = Config::default();
    let (first, second) = (
        Projector::new(one.clone(), config).with_batch_events(100),
        Projector::new(two.clone(), config).with_batch_events(100),
    );
    for cut in [head / 3, 2 * head / 3, head] {
        for projection in projection::all() {
            // Without the lease the second to commit would find the checkpoint moved: Fenced.
            let (mut quiet_a, mut quiet_b) = (|_| {}, |_| {});
            let (a, b) = tokio::join!(
                first.catch_up(projection, Some(cut), &mut quiet_a),
                second.catch_up(projection, Some(cut), &mut quiet_b),
            );
            assert_eq!(a.unwrap(), cut, "{} to {cut}", projection.name);
            assert_eq!(b.unwrap(), cut, "{} to {cut}", projection.name);
        }
    }
    let events = read_log(&one).await;
    for projection in projection::all() {
        first.catch_up(projection, None, &mut |_| {}).await.unwrap();
        assert_live_model_is_the_fold(&first, projection, &events).await;
    }
    one.close().await;
    two.close().await;
}
