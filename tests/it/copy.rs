//! `jejak copy` moves a whole log from SQLite to PostgreSQL and back: every event with its
//! position, times and hash, every command record; the copy verifies against the original's
//! signed checkpoint and gives the same reports. It copies only into an empty log.

use std::sync::Arc;

use events::Timestamp;
use jejak::clock::{SimulatedClock, SystemClock};
use jejak::demo::{self, DemoOptions};
use jejak::store::{Backend, Store};

use crate::projections::read_log;
use crate::projections::report_json;
use crate::support::{TestDb, jejak, jejak_async, stdout};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_copied_from_sqlite_to_postgres_and_back_keeps_every_position_and_hash() {
    let Some(postgres) = TestDb::new(Backend::Postgres).await else { return };
    let sqlite = TestDb::new(Backend::Sqlite).await.unwrap();
    let clock = Arc::new(SimulatedClock::new(Timestamp::start_of_day(demo::STORY_START).unwrap()));
    let store = sqlite.open_with(clock.clone()).await;
    demo::generate(&store, clock, DemoOptions { participants: 30, seed: 12 }).await.unwrap();
    let original = read_log(&store).await;
    store.close().await;
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    assert!(jejak(&sqlite.url, &["keygen", "--out", &path("k")]).status.success());
    assert!(
        jejak(&sqlite.url, &["checkpoint", "--key", &path("k"), "--out", &path("cp")])
            .status
            .success()
    );

    let copied = jejak_async(None, &["copy", "--from", &sqlite.url, "--to", &postgres.url]).await;
    assert!(copied.status.success(), "{}", String::from_utf8_lossy(&copied.stderr));
    assert!(stdout(&copied).contains("log intact"), "{}", stdout(&copied));

    // The same events, byte for byte, and the same command records.
    let target = Store::open(&postgres.url, Arc::new(SystemClock)).await.unwrap();
    assert_eq!(read_log(&target).await, original);
    let source = sqlite.open().await;
    for event in original.iter().step_by(97) {
        assert_eq!(
            target.command_record(event.command_id).await.unwrap(),
            source.command_record(event.command_id).await.unwrap(),
            "the record of {}",
            event.command_id
        );
    }
    source.close().await;
    target.close().await;
    let checked = jejak(
        &postgres.url,
        &["verify", "--checkpoints", &path("cp"), "--public-key", &path("k.pub")],
    );
    assert!(stdout(&checked).contains("all 1 checkpoints match the log"), "{}", stdout(&checked));
    for view in ["enrolment", "grants", "recidivism"] {
        assert_eq!(report_json(&postgres, view), report_json(&sqlite, view), "{view}");
    }

    // And back to SQLite.
    let back = TestDb::new(Backend::Sqlite).await.unwrap();
    assert!(
        jejak_async(None, &["copy", "--from", &postgres.url, "--to", &back.url])
            .await
            .status
            .success()
    );
    let returned = back.open().await;
    assert_eq!(read_log(&returned).await, original);
    returned.close().await;

    // Never into a log that holds events.
    let refused = jejak_async(None, &["copy", "--from", &sqlite.url, "--to", &postgres.url]).await;
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("copy only into an empty log"), "{message}");
}
