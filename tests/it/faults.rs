//! Faults from outside the process, against running `jejak serve` processes:
//!
//! - every connection a server holds to PostgreSQL is cut (as a failover, a restart or an
//!   administrator's `pg_terminate_backend` would) while clients send commands and read: no
//!   answer is a 5xx and no command is written twice;
//! - eight writers through one server, and on PostgreSQL eight through each of two servers,
//!   nominate people into one package for a while (`JEJAK_CONTENTION_SECONDS`, default 15):
//!   every command on the package's hot streams succeeds, none fails for contention;
//! - on SQLite, `jejak forget` processes truncate the WAL (to leave no page of an erased
//!   record) while the server answers subject-access exports: every answer is a 200.

use std::sync::mpsc;

use events::vocabulary::Role;
use jejak::store::Backend;
use serde_json::json;
use sqlx::Connection;
use uuid::Uuid;

use crate::fixtures::{command_loop, person, setup};
use crate::serve::{Served, post_to};
use crate::support::{TestDb, clock_at, jejak, postgres_admin_url, stdout};

crate::support::backend_tests!(eight_writers_through_one_server_on_one_package_never_give_up);

const CLIENTS: usize = 4;
const COMMANDS_PER_CLIENT: usize = 60;
const CUTS: usize = 6;

/// Every connection the server has to its database, ended by the server's administrator.
async fn cut_every_connection(database: &str) -> u64 {
    let mut admin = sqlx::PgConnection::connect(&postgres_admin_url()).await.unwrap();
    let sql = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
               WHERE datname = $1 AND pid <> pg_backend_pid()";
    let cut = sqlx::query(sql).bind(database).execute(&mut admin).await.unwrap();
    cut.rows_affected()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cutting_every_database_connection_under_load_gives_no_5xx_and_writes_nothing_twice() {
    let Some(db) = TestDb::new(Backend::Postgres).await else { return };
    let clock = clock_at("2026-02-20T01:00:00Z");
    let store = db.open_with(clock.clone()).await;
    setup(&command_loop(&store, clock.clone()), 5, 1).await;
    let now = events::Timestamp::parse("2026-02-20T01:00:00Z").unwrap();
    let system = jejak::users::add(&store, "system.faults", Role::System, "SYSTEM", None, now)
        .await
        .unwrap();
    let auditor =
        jejak::users::add(&store, "auditor.faults", Role::Auditor, "INSPEKTORAT-NTT", None, now)
            .await
            .unwrap();
    store.close().await;
    let database = db.url.rsplit('/').next().unwrap().split('?').next().unwrap().to_owned();
    let served = Served::start(&db, &[]);

    // Clients send custody records of new people and read a view and the log; each request
    // done is reported, so that the cuts fall while they run.
    let (done, requests) = mpsc::channel::<(String, String)>();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (address, system, auditor, done) =
                (served.address.clone(), system.clone(), auditor.clone(), done.clone());
            std::thread::spawn(move || {
                let mut sent = Vec::new();
                for n in 0..COMMANDS_PER_CLIENT {
                    let command_id = Uuid::new_v4();
                    let person_ref = person(1_000 + client * COMMANDS_PER_CLIENT + n);
                    let body = json!({"command_id": command_id, "person_ref": person_ref, "episode_ref": format!("f{client}-{n}"), "facility": "RUTAN-SOE", "admitted_on": "2025-01-01", "legal_status": "tahanan"});
                    let path = "/api/commands/record_custody_episode";
                    let (status, text) = post_to(&address, path, &system, &body).unwrap();
                    let _ = done.send((format!("POST {path}"), format!("{status} {text}")));
                    sent.push((command_id, status));
                    let path = if n % 2 == 0 { "/api/views/enrolment" } else { "/api/events?limit=50" };
                    let (status, text) = get_from(&address, path, &auditor);
                    let _ = done.send((format!("GET {path}"), format!("{status} {text}")));
                }
                sent
            })
        })
        .collect();
    drop(done);

    let mut answers = Vec::new();
    let mut cut = 0;
    let every = CLIENTS * COMMANDS_PER_CLIENT * 2 / (CUTS + 1);
    for (request, answer) in requests.iter() {
        answers.push((request, answer));
        if answers.len() % every == 0 && cut < CUTS {
            assert!(cut_every_connection(&database).await > 0, "the server had connections");
            cut += 1;
        }
    }
    assert_eq!(cut, CUTS);
    let server_errors: Vec<_> =
        answers.iter().filter(|(_, answer)| answer.contains("HTTP/1.1 5")).collect();
    assert!(server_errors.is_empty(), "{server_errors:#?}");

    let sent: Vec<(Uuid, String)> = clients.into_iter().flat_map(|c| c.join().unwrap()).collect();
    assert!(sent.iter().all(|(_, status)| status.contains("200")), "{sent:?}");
    served.kill();
    // Each command is in the log once: one event per command id, none missing, none twice.
    let sql = "SELECT COUNT(*) FROM events WHERE event_type = 'CustodyEpisodeRecorded'";
    let episodes = db.count(sql).await;
    assert_eq!(episodes as usize, 1 + CLIENTS * COMMANDS_PER_CLIENT, "one episode per command");
    let twice = "SELECT COUNT(*) - COUNT(DISTINCT command_id) FROM events \
                 WHERE event_type = 'CustodyEpisodeRecorded'";
    assert_eq!(db.count(twice).await, 0, "no command wrote its episode twice");
    let verified = jejak(&db.url, &["verify"]);
    assert!(verified.status.success(), "{}", stdout(&verified));
}

/// A plain HTTP/1.1 GET with a token; the status line and the body.
fn get_from(address: &str, path: &str, token: &str) -> (String, String) {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Connection: close\r\n\r\n"
    )
    .unwrap();
    crate::serve::read_response(stream).unwrap()
}

/// How long the contention runs last.
fn contention_seconds() -> u64 {
    std::env::var("JEJAK_CONTENTION_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(15)
}

async fn eight_writers_through_one_server_on_one_package_never_give_up(db: TestDb) {
    writers_on_one_package(&db, 1, 8).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_writers_through_each_of_two_servers_on_one_package_never_give_up() {
    let Some(db) = TestDb::new(Backend::Postgres).await else { return };
    writers_on_one_package(&db, 2, 8).await;
}

/// `writers` clients per server, each nominating new people into the fixtures' package for
/// [`contention_seconds`]: every command is answered 200, each nomination is in the log once.
async fn writers_on_one_package(db: &TestDb, servers: usize, writers: usize) {
    let clock = clock_at("2026-02-20T01:00:00Z");
    let store = db.open_with(clock.clone()).await;
    setup(&command_loop(&store, clock.clone()), 5, 1).await;
    let now = events::Timestamp::parse("2026-02-20T01:00:00Z").unwrap();
    let system =
        jejak::users::add(&store, "system.load", Role::System, "SYSTEM", None, now).await.unwrap();
    let petugas =
        jejak::users::add(&store, "petugas.load", Role::PetugasPembinaan, "RUTAN-SOE", None, now)
            .await
            .unwrap();
    store.close().await;
    let served: Vec<Served> = (0..servers).map(|_| Served::start(db, &[])).collect();
    let until = std::time::Instant::now() + std::time::Duration::from_secs(contention_seconds());
    let threads: Vec<_> = (0..servers * writers)
        .map(|writer| {
            let address = served[writer % servers].address.clone();
            let (system, petugas) = (system.clone(), petugas.clone());
            std::thread::spawn(move || {
                let mut answers = Vec::new();
                let mut n = 0;
                while std::time::Instant::now() < until {
                    let person_ref = person(100_000 * (writer + 1) + n);
                    let custody = json!({"command_id": Uuid::new_v4(), "person_ref": person_ref, "episode_ref": format!("w{writer}-{n}"), "facility": "RUTAN-SOE", "admitted_on": "2025-01-01", "legal_status": "narapidana"});
                    let path = "/api/commands/record_custody_episode";
                    answers.push(post_to(&address, path, &system, &custody).unwrap());
                    let nominate = json!({"command_id": Uuid::new_v4(), "package_id": crate::fixtures::PACKAGE, "person_ref": person_ref});
                    let path = "/api/commands/nominate_inmate";
                    answers.push(post_to(&address, path, &petugas, &nominate).unwrap());
                    n += 1;
                }
                (answers, n)
            })
        })
        .collect();
    let mut nominations = 0;
    for thread in threads {
        let (answers, n) = thread.join().unwrap();
        let failed: Vec<_> = answers.iter().filter(|(status, _)| !status.contains("200")).collect();
        assert!(failed.is_empty(), "{failed:#?}");
        nominations += n;
    }
    for server in served {
        server.kill();
    }
    let sql = "SELECT COUNT(*) FROM events WHERE event_type = 'ParticipantNominated'";
    assert_eq!(db.count(sql).await as usize, 1 + nominations, "each nomination once");
    eprintln!(
        "{servers} server(s) x {writers} writers: {nominations} nominations into one package in {} s",
        contention_seconds()
    );
    let verified = jejak(&db.url, &["verify"]);
    assert!(verified.status.success(), "{}", stdout(&verified));
}

/// Another process forgetting people checkpoints and truncates SQLite's WAL under the
/// server's reads; a read that meets the reset runs again, and every export is answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subject_access_exports_are_answered_while_another_process_forgets_people() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let clock = clock_at("2026-02-20T01:00:00Z");
    let store = db.open_with(clock.clone()).await;
    const PEOPLE: usize = 8;
    setup(&command_loop(&store, clock.clone()), 5, PEOPLE + 1).await;
    let now = events::Timestamp::parse("2026-02-20T01:00:00Z").unwrap();
    let dpo =
        jejak::users::add(&store, "dpo.faults", Role::Dpo, "KANWIL-NTT", None, now).await.unwrap();
    let vault = jejak::vault::Vault::new(
        store.clone(),
        jejak::vault::MasterKey::from_bytes(crate::api::MASTER),
    );
    let who = jejak::vault::Accessor {
        actor: "dpo.faults".to_owned(),
        role: "dpo".to_owned(),
        organisation: "KANWIL-NTT".to_owned(),
        request_id: None,
    };
    for n in 0..=PEOPLE {
        let record = jejak::vault::PersonalRecord {
            full_name: format!("Orang Fiktif {n}"),
            nik: None,
            birth_date: None,
            address: Some("x".repeat(3_000)),
            health_notes: None,
            offence_notes: None,
        };
        vault.put(&person(n), &record, &who, "registrasi", now).await.unwrap();
    }
    store.close().await;
    let key = hex::encode(crate::api::MASTER);
    let served = Served::start_with(&db, &[], None, &[("JEJAK_MASTER_KEY", &key)]);
    let export = format!("/api/people/{}/access-export?purpose=uji", person(0));
    let mut answers = Vec::new();
    for n in 1..=PEOPLE {
        let forget = std::process::Command::new(env!("CARGO_BIN_EXE_jejak"))
            .args(["forget", &person(n), "--reason", "uji UU 27/2022"])
            .args(["--actor", "dpo.cli", "--role", "dpo", "--org", "KANWIL-NTT"])
            .env("JEJAK_DATABASE_URL", &db.url)
            .env("JEJAK_MASTER_KEY", &key)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut forget = forget;
        loop {
            answers.push(get_from(&served.address, &export, &dpo).0);
            if forget.try_wait().unwrap().is_some() {
                break;
            }
        }
        assert!(forget.wait().unwrap().success());
    }
    served.kill();
    let failed: Vec<&String> = answers.iter().filter(|status| !status.contains("200")).collect();
    assert!(failed.is_empty(), "{} of {} exports failed: {failed:?}", failed.len(), answers.len());
    assert!(answers.len() >= PEOPLE, "the exports ran while the forgets did");
}
