//! `jejak backup` while the log is being written, and `jejak restore` into a new database: the
//! restored log verifies, also against the signed checkpoints, and serves the same reports;
//! a restore never writes over a log.

use std::sync::Arc;

use events::{ExpectedVersion, Timestamp};
use jejak::clock::SimulatedClock;
use jejak::demo::{self, DemoOptions};

use crate::projections::report_json;
use crate::support::{TestDb, append_to, backend_tests, jejak, jejak_async, stdout};

backend_tests!(a_backup_taken_while_writing_restores_to_a_log_that_verifies_and_reports_the_same);

async fn a_backup_taken_while_writing_restores_to_a_log_that_verifies_and_reports_the_same(
    db: TestDb,
) {
    let start = Timestamp::start_of_day(demo::STORY_START).unwrap();
    let clock = Arc::new(SimulatedClock::new(start));
    let store = db.open_with(clock.clone()).await;
    demo::generate(&store, clock, DemoOptions { participants: 30, seed: 9 }).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    assert!(jejak(&db.url, &["keygen", "--out", &path("k")]).status.success());
    let signed = jejak(&db.url, &["checkpoint", "--key", &path("k"), "--out", &path("cp")]);
    assert!(signed.status.success(), "{}", String::from_utf8_lossy(&signed.stderr));

    // A backup while another writer appends.
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for i in 0..300 {
                store
                    .append(append_to(&format!("noise-{i}"), ExpectedVersion::NO_STREAM, 2))
                    .await
                    .unwrap();
            }
        })
    };
    let during = jejak_async(Some(&db.url), &["backup", "--out", &path("during")]).await;
    writer.await.unwrap();
    assert!(during.status.success(), "{}", String::from_utf8_lossy(&during.stderr));

    // Restored, it is a whole chain: a prefix of the log, with every signed checkpoint.
    let target = TestDb::new(db.backend).await.unwrap();
    let restored = jejak_async(Some(&target.url), &["restore", "--from", &path("during")]).await;
    assert!(restored.status.success(), "{}", String::from_utf8_lossy(&restored.stderr));
    assert!(stdout(&restored).contains("log intact"), "{}", stdout(&restored));
    let checked = jejak(
        &target.url,
        &["verify", "--checkpoints", &path("cp"), "--public-key", &path("k.pub")],
    );
    assert!(checked.status.success(), "{}", stdout(&checked));
    assert!(stdout(&checked).contains("all 1 checkpoints match the log"), "{}", stdout(&checked));
    let copy = target.open().await;
    let head = copy.head().await.unwrap();
    copy.close().await;
    let original = store.read_all(head.position, 1).await.unwrap();
    assert_eq!(original[0].hash, head.hash, "the restored log is the log up to its head");

    // Once the writing stops, a backup restores to the same reports.
    let after = jejak_async(Some(&db.url), &["backup", "--out", &path("after")]).await;
    assert!(after.status.success(), "{}", String::from_utf8_lossy(&after.stderr));
    let second = TestDb::new(db.backend).await.unwrap();
    assert!(
        jejak_async(Some(&second.url), &["restore", "--from", &path("after")])
            .await
            .status
            .success()
    );
    store.close().await;
    for view in ["enrolment", "grants", "recidivism"] {
        assert_eq!(report_json(&second, view), report_json(&db, view), "{view}");
    }

    // Never over a log, and never over a file.
    let refused = jejak_async(Some(&db.url), &["restore", "--from", &path("after")]).await;
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("already holds a log"), "{message}");
    let again = jejak_async(Some(&db.url), &["backup", "--out", &path("after")]).await;
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}
