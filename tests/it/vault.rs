//! The personal-data vault: forgetting a person. Their name no longer reads back anywhere (API,
//! CLI, export, subject-access export); no key is ever in the database or the logs; the chain
//! still verifies; every report's rows are as they were, its provenance one event further.

use axum::http::{Method, StatusCode};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use events::vocabulary::Role;
use jejak::store::Backend;
use serde_json::{Value, json};

use crate::api::{MASTER, call, world};
use crate::fixtures::person;
use crate::support::{TestDb, backend_tests, stdout};

backend_tests!(a_forgotten_person_reads_back_as_erased_everywhere_and_nothing_else_changes);

const NAME: &str = "Yohanes Fiktif Nenobais";
/// Who reads and forgets from the command line here: the data-protection officer.
const DPO_CLI: [&str; 6] = ["--actor", "dpo.cli", "--role", "dpo", "--org", "KANWIL-NTT"];

/// `jejak ARGS` with the master key in the environment and every log line on standard error.
fn jejak_with_key(db: &TestDb, args: &[&str]) -> (std::process::Output, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_jejak"))
        .args(args)
        .env("JEJAK_DATABASE_URL", &db.url)
        .env("JEJAK_MASTER_KEY", hex::encode(MASTER))
        .env("RUST_LOG", "debug")
        .output()
        .expect("the jejak binary runs");
    let logs = String::from_utf8_lossy(&output.stderr).into_owned();
    (output, logs)
}

/// Every byte the database holds for this test, as far as it can be read: the SQLite file and
/// its WAL, or on PostgreSQL every table jejak writes, as text.
async fn database_bytes(db: &TestDb) -> Vec<u8> {
    match db.backend {
        Backend::Sqlite => {
            // Read by another process: closing a descriptor of the file in this one would drop
            // every POSIX lock this process's SQLite connections hold on it (the server's
            // pool), and a `jejak` process closing afterwards would think itself the last user
            // and delete the WAL and shared-memory files under them — the server's connections
            // then read two WAL files through one index (stale rows, short reads).
            let path = db.url.trim_start_matches("sqlite://");
            let wal = format!("{path}-wal");
            let read = std::process::Command::new("cat").arg(path).arg(&wal).output().unwrap();
            assert!(read.status.success() || !std::path::Path::new(&wal).exists());
            read.stdout
        }
        Backend::Postgres => {
            let mut connection =
                <sqlx::PgConnection as sqlx::Connection>::connect(&db.url).await.unwrap();
            let mut bytes = Vec::new();
            for table in [
                "events",
                "commands",
                "vault_people",
                "vault_access",
                "users",
                "fold_snapshots",
                "projection_state",
            ] {
                let sql = format!("SELECT CAST(t AS text) FROM {table} t");
                let rows: Vec<String> =
                    sqlx::query_scalar(&sql).fetch_all(&mut connection).await.unwrap();
                for row in rows {
                    bytes.extend(row.into_bytes());
                }
            }
            bytes
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

/// Every view, as the auditor reads it as of one business day (so that the day the report is
/// read does not change it): the rows, and the position they reflect.
async fn all_reports(router: &axum::Router, auditor: &str) -> Vec<(String, Value, i64)> {
    let mut reports = Vec::new();
    for view in projections::views::all() {
        let (status, report) = call(
            router,
            Method::GET,
            &format!("/api/views/{}?as_of=2026-02-25", view.name),
            Some(auditor),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{}: {report}", view.name);
        let position = report["provenance"]["log_position"].as_i64().unwrap();
        reports.push((view.name.to_owned(), report["sections"].clone(), position));
    }
    reports
}

async fn a_forgotten_person_reads_back_as_erased_everywhere_and_nothing_else_changes(db: TestDb) {
    let world = world(&db).await;
    let router = &world.router;
    let auditor = world.tokens[&Role::Auditor].clone();
    let karutan = world.tokens[&Role::Karutan].clone();
    let dpo = world.tokens[&Role::Dpo].clone();
    let subject = person(0);
    let data_uri = format!("/api/people/{subject}/personal-data?purpose=pendampingan");

    // Before: the name reads back through the API and the CLI.
    let (status, data) = call(router, Method::GET, &data_uri, Some(&karutan), None).await;
    assert_eq!((status, data["record"]["full_name"].as_str()), (StatusCode::OK, Some(NAME)));
    let show = ["person", "show", &subject, "--purpose", "verifikasi"];
    let show = [&show[..], &DPO_CLI[..]].concat();
    let (output, logs) = jejak_with_key(&db, &show);
    assert!(stdout(&output).contains(NAME), "{}", stdout(&output));
    assert!(!logs.contains(NAME), "the logs never carry personal data");
    let before = all_reports(router, &auditor).await;

    // The person's own key, as the vault wrapped it: known to this test only.
    let wrapped: Vec<u8> = {
        let sql = format!("SELECT wrapped_key FROM vault_people WHERE person_ref = '{subject}'");
        match db.backend {
            Backend::Sqlite => {
                let mut c =
                    <sqlx::SqliteConnection as sqlx::Connection>::connect(&db.url).await.unwrap();
                sqlx::query_scalar(&sql).fetch_one(&mut c).await.unwrap()
            }
            Backend::Postgres => {
                let mut c =
                    <sqlx::PgConnection as sqlx::Connection>::connect(&db.url).await.unwrap();
                sqlx::query_scalar(&sql).fetch_one(&mut c).await.unwrap()
            }
        }
    };
    let (nonce, ciphertext) = wrapped.split_at(24);
    let aad = format!("jejak-vault-key-v1:{subject}");
    let person_key = XChaCha20Poly1305::new(&Key::from(MASTER))
        .decrypt(
            &XNonce::try_from(nonce).unwrap(),
            Payload { msg: ciphertext, aad: aad.as_bytes() },
        )
        .expect("the test's master key opens the person's key");
    let secrets: Vec<Vec<u8>> = vec![
        MASTER.to_vec(),
        hex::encode(MASTER).into_bytes(),
        person_key.clone(),
        hex::encode(&person_key).into_bytes(),
        NAME.as_bytes().to_vec(),
    ];
    let stored = database_bytes(&db).await;
    for secret in &secrets {
        assert!(!contains(&stored, secret), "a key or a name in plain text in the database");
    }

    // Forget, from the command line, as the data-protection officer.
    let forget = ["forget", &subject, "--reason", "UU 27/2022 Pasal 43: permintaan subjek data"];
    let (output, logs) = jejak_with_key(&db, &[&forget[..], &DPO_CLI[..]].concat());
    assert!(output.status.success(), "{logs}");
    for secret in &secrets {
        let text = String::from_utf8_lossy(secret);
        assert!(!logs.contains(text.as_ref()), "a secret in the logs");
    }

    // After: erased everywhere.
    let (status, data) = call(router, Method::GET, &data_uri, Some(&karutan), None).await;
    assert_eq!((status, data["status"].as_str()), (StatusCode::OK, Some("erased")), "{data}");
    let (output, _) = jejak_with_key(&db, &show);
    assert!(
        !stdout(&output).contains(NAME) && stdout(&output).contains("erased"),
        "{}",
        stdout(&output)
    );
    let (status, export) = call(
        router,
        Method::GET,
        &format!("/api/people/{subject}/access-export"),
        Some(&dpo),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{export}");
    assert!(!export.to_string().contains(NAME), "{export}");
    assert_eq!(export["personal_data"]["status"], "erased");
    assert!(
        export["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["event_type"] == "PersonalDataErased")
    );
    let actions: Vec<&str> = export["access_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"read") && actions.contains(&"forget") && actions.contains(&"sar"),
        "{actions:?}"
    );
    let (output, _) = jejak_with_key(&db, &[&["sar", &subject][..], &DPO_CLI[..]].concat());
    assert!(!stdout(&output).contains(NAME));
    let dir = tempfile::tempdir().unwrap();
    let export_file = dir.path().join("log.ndjson");
    let (output, _) = jejak_with_key(&db, &["export", "--out", export_file.to_str().unwrap()]);
    assert!(output.status.success());
    let exported = std::fs::read(&export_file).unwrap();
    for secret in &secrets {
        assert!(!contains(&exported, secret));
    }
    // Writing it again is refused; the NIK finds nobody.
    let put = json!({"record": {"full_name": NAME}, "purpose": "koreksi"});
    let (status, _) = call(
        router,
        Method::PUT,
        &format!("/api/people/{subject}/personal-data"),
        Some(&dpo),
        Some(put),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = call(
        router,
        Method::GET,
        "/api/people/lookup?nik=5302010101900001&purpose=verifikasi",
        Some(&karutan),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // No key, no name, and not the wrapped key either, is left in the database's bytes.
    let stored = database_bytes(&db).await;
    for secret in &secrets {
        assert!(!contains(&stored, secret), "a key or a name in the database after forgetting");
    }
    if db.backend == Backend::Sqlite {
        assert!(
            !contains(&stored, &wrapped),
            "the destroyed key's ciphertext survives in the file"
        );
    }
    // The chain verifies; every report's rows are as before, one event further on.
    let (output, _) = jejak_with_key(&db, &["verify"]);
    assert!(output.status.success(), "{}", stdout(&output));
    let after = all_reports(router, &auditor).await;
    for ((view, sections, position), (_, sections_after, position_after)) in
        before.iter().zip(&after)
    {
        assert_eq!(sections, sections_after, "{view}: the rows changed");
        assert_eq!(*position_after, position + 1, "{view}: the provenance moves on by the erasure");
    }
    world.store.close().await;
}
