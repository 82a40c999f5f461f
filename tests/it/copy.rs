//! `jejak copy` moves a whole log from SQLite to PostgreSQL and back: every event with its
//! position, times and hash, every command record; the copy verifies against the original's
//! signed checkpoint and gives the same reports. It copies only into an empty log.

use std::sync::Arc;

use events::Timestamp;
use events::vocabulary::Role;
use jejak::clock::{SimulatedClock, SystemClock};
use jejak::demo::{self, DemoOptions};
use jejak::store::{Backend, Store};
use jejak::vault::{Accessor, MasterKey, PersonalData, PersonalRecord, Vault};

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

/// With the master key, `jejak copy` moves the users, the vault and its access log too, and
/// the same key reads the copy; without it, it copies the log alone and says what it left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_users_and_the_vault_go_along_with_the_master_key_and_are_named_without_it() {
    let Some(postgres) = TestDb::new(Backend::Postgres).await else { return };
    let sqlite = TestDb::new(Backend::Sqlite).await.unwrap();
    let back = TestDb::new(Backend::Sqlite).await.unwrap();
    let clock = Arc::new(SimulatedClock::new(Timestamp::start_of_day(demo::STORY_START).unwrap()));
    let store = sqlite.open_with(clock.clone()).await;
    demo::generate(&store, clock, DemoOptions { participants: 10, seed: 3 }).await.unwrap();
    let now = Timestamp::parse("2026-02-20T01:00:00Z").unwrap();
    let token = jejak::users::add(&store, "karutan.copy", Role::Karutan, "RUTAN-SOE", None, now)
        .await
        .unwrap();
    let vault = Vault::new(store.clone(), MasterKey::from_bytes(crate::api::MASTER));
    let person_ref = crate::fixtures::person(1);
    let record = PersonalRecord {
        full_name: "Fransiska Fiktif Tanu".to_owned(),
        nik: Some("5302014101850002".to_owned()),
        birth_date: "1985-01-01".parse().ok(),
        address: None,
        health_notes: None,
        offence_notes: None,
    };
    let who = Accessor {
        actor: "petugas.copy".to_owned(),
        role: "petugas_pembinaan".to_owned(),
        organisation: "RUTAN-SOE".to_owned(),
        request_id: None,
    };
    vault.put(&person_ref, &record, &who, "registrasi", now).await.unwrap();
    vault.get(&person_ref, &who, "pemeriksaan", now).await.unwrap();
    store.close().await;

    // Without the key: the log alone, and the answer says what stayed behind.
    let copied = jejak_async(None, &["copy", "--from", &sqlite.url, "--to", &postgres.url]).await;
    assert!(copied.status.success(), "{}", String::from_utf8_lossy(&copied.stderr));
    assert!(stdout(&copied).contains("were NOT copied"), "{}", stdout(&copied));
    assert_eq!(postgres.count("SELECT COUNT(*) FROM users").await, 0);
    assert_eq!(postgres.count("SELECT COUNT(*) FROM vault_people").await, 0);

    // With it: into a fresh database, and from there back to SQLite.
    let with_key = TestDb::new(Backend::Postgres).await.unwrap();
    for (from, to) in [(&sqlite, &with_key), (&with_key, &back)] {
        let entries = from.count("SELECT COUNT(*) FROM vault_access").await;
        let copied = copy_with_key(&from.url, &to.url);
        assert!(copied.status.success(), "{}", String::from_utf8_lossy(&copied.stderr));
        let said = format!("copied 1 users, 1 people in the vault and {entries} entries");
        assert!(stdout(&copied).contains(&said), "{}", stdout(&copied));
        assert_eq!(to.count("SELECT COUNT(*) FROM vault_access").await, entries);
        let store = to.open().await;
        let users = jejak::users::active(&store).await.unwrap();
        assert!(
            jejak::users::authenticate(&users, &token)
                .is_some_and(|user| user.name == "karutan.copy")
        );
        let vault = Vault::new(store.clone(), MasterKey::from_bytes(crate::api::MASTER));
        let read = vault.get(&person_ref, &who, "pemeriksaan salinan", now).await.unwrap();
        assert_eq!(read, PersonalData::Present { record: record.clone() });
        let found = vault.find_by_nik("5302014101850002", &who, "cari", now).await.unwrap();
        assert_eq!(found.as_deref(), Some(person_ref.as_str()));
        store.close().await;
    }
    // Into a database that already has people, nothing more is copied.
    let again = copy_with_key(&sqlite.url, &back.url);
    assert!(!again.status.success());
}

/// `jejak copy` with the test's master key in the environment.
fn copy_with_key(from: &str, to: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_jejak"))
        .args(["copy", "--from", from, "--to", to])
        .env_remove("JEJAK_DATABASE_URL")
        .env("JEJAK_MASTER_KEY", hex::encode(crate::api::MASTER))
        .output()
        .expect("the jejak binary runs")
}
