//! The outside view, kept in the suite: schemathesis (from PyPI, pinned by `.ci/run`) reads
//! `/openapi.json` and fuzzes every endpoint of the API as each role, with valid and invalid
//! data. It fails on any 5xx, any status the schema does not list, any content type it does
//! not name, and any answer outside its schema. The roles that write nothing leave the log,
//! the read models and every report exactly as they were.
//!
//! One worker: Python 3.11's parser is not safe when two of schemathesis's threads describe
//! their strategies at once ("AST constructor recursion depth mismatch").
//!
//! `JEJAK_SCHEMATHESIS` names the `st` program (else it is looked for on `PATH`); without it
//! the test says it was skipped, except under `CI=true`, where it fails. `JEJAK_FUZZ_EXAMPLES`
//! sets the examples per operation and phase (default 4: about 300 requests a role, some
//! 4,000 per database).

use std::path::PathBuf;

use axum::http::Method;
use events::vocabulary::Role;
use serde_json::{Value, json};

use crate::api::{World, call, world};
use crate::support::{TestDb, backend_tests, repository_root};

backend_tests!(the_schema_driven_fuzz_of_every_role_finds_nothing);

/// The `st` program, or why there is none.
fn schemathesis() -> Option<PathBuf> {
    let named = std::env::var_os("JEJAK_SCHEMATHESIS").map(PathBuf::from);
    let found = named.or_else(|| {
        std::env::split_paths(&std::env::var_os("PATH")?)
            .map(|dir| dir.join("st"))
            .find(|path| path.is_file())
    });
    match found {
        Some(path) if path.is_file() => Some(path),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but schemathesis is missing: .ci/run installs it (JEJAK_SCHEMATHESIS)")
        }
        _ => {
            eprintln!(
                "skipped: schemathesis is not installed (pip install schemathesis==4.32.5, \
                 then set JEJAK_SCHEMATHESIS to its `st`)"
            );
            None
        }
    }
}

/// Everything a request could change: every event, each read model's checkpoint, and every
/// report as the auditor reads it (without its print time).
async fn everything(world: &World) -> Vec<Value> {
    let auditor = world.tokens[&Role::Auditor].as_str();
    let events = world.store.read_all(1, 10_000).await.unwrap();
    let events: Vec<String> = events.iter().map(|event| format!("{event:?}")).collect();
    let mut seen = vec![json!(events)];
    for view in projections::views::all() {
        let uri = format!("/api/views/{}", view.name);
        let (_, mut report) = call(&world.router, Method::GET, &uri, Some(auditor), None).await;
        if let Some(report) = report.as_object_mut() {
            report.remove("generated_at");
        }
        seen.push(report);
    }
    // The read models' checkpoints once every view has been read, so each is caught up:
    // whether the fuzz happened to ask for a view first is not a change it made.
    let (_, status) = call(&world.router, Method::GET, "/api/status", Some(auditor), None).await;
    seen.push(status);
    seen
}

async fn the_schema_driven_fuzz_of_every_role_finds_nothing(db: TestDb) {
    let Some(st) = schemathesis() else { return };
    let examples = std::env::var("JEJAK_FUZZ_EXAMPLES").unwrap_or_else(|_| "4".to_owned());
    let world = world(&db).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(axum::serve(listener, world.router.clone()).into_future());
    let config = repository_root().join("tests/schemathesis/schemathesis.toml");
    let reports = tempfile::tempdir().unwrap();
    for (role, token) in &world.tokens {
        let read_only = matches!(role, Role::Auditor | Role::Analis);
        let before = if read_only { Some(everything(&world).await) } else { None };
        let output = tokio::process::Command::new(&st)
            .current_dir(reports.path())
            .args(["--config-file", config.to_str().unwrap(), "run"])
            .arg(format!("{base}/openapi.json"))
            .args(["--url", &base, "--mode", "all", "--max-examples", &examples])
            .args(["--workers", "1", "--seed", "2026", "--no-color"])
            .args(["-H", &format!("Authorization: Bearer {token}")])
            .output()
            .await
            .expect("schemathesis runs");
        let said = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "as {role:?}:\n{said}");
        let generated = said.lines().find(|line| line.contains(" generated, ")).unwrap_or_default();
        eprintln!("fuzz as {}: {}", role.as_str(), generated.trim());
        if let Some(before) = before {
            assert_eq!(everything(&world).await, before, "{role:?} changed nothing");
        }
    }
    server.abort();
    world.store.close().await;
}
