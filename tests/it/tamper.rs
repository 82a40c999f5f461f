//! Tampering by hand with a copy of each database, protections dropped first: `jejak verify`
//! must fail at the right position for an edited payload, a deleted row, two swapped rows and a
//! forged row. A tail whose hashes were all recomputed, head and all, passes `verify` — only
//! signed checkpoints, held outside the operator's reach, can catch that — and a test records
//! it; one that left PostgreSQL's `log_head` behind fails it.

use events::chain::event_hash;
use events::{ExpectedVersion, RecordedEvent};
use jejak::store::Backend;

use crate::support::{TestDb, append_seeded, backend_tests, clock_at, jejak, stdout};

backend_tests!(
    an_intact_copy_verifies,
    an_edited_payload_fails_at_its_position,
    a_deleted_row_fails_at_its_position,
    swapped_rows_fail_at_the_first_of_them,
    a_forged_row_in_the_middle_fails_where_the_chain_breaks,
    a_rewritten_tail_with_recomputed_hashes_passes_verify_alone,
    a_rewritten_tail_fails_at_the_signed_checkpoint_that_covers_it,
    a_truncated_log_or_an_altered_checkpoint_fails_verification,
);

const LENGTH: i64 = 20;

/// A log of 20 events over four streams, and its events; no store is left open on it.
async fn original(db: &TestDb) -> Vec<RecordedEvent> {
    let clock = clock_at("2026-03-02T00:00:00Z");
    let store = db.open_with(clock.clone()).await;
    for seed in 0..LENGTH as u128 {
        clock.advance_micros(60_000_000);
        let stream = format!("participation-{}", seed % 4);
        store.append(append_seeded(seed, &stream, ExpectedVersion::Any, 1)).await.unwrap();
    }
    let events = store.read_all(1, 100).await.unwrap();
    store.close().await;
    events
}

/// A copy of `db` with the append-only triggers dropped, as a tamperer with full access would.
async fn unprotected_copy(db: &TestDb) -> TestDb {
    let copy = db.copy().await;
    let drops: &[&str] = match db.backend {
        Backend::Sqlite => &["DROP TRIGGER events_no_update", "DROP TRIGGER events_no_delete"],
        Backend::Postgres => &["DROP TRIGGER events_no_update ON events"],
    };
    copy.execute(drops).await.unwrap();
    copy
}

/// Runs `jejak verify` on `db` and returns its exit code and output.
fn verify(db: &TestDb) -> (i32, String) {
    let output = jejak(&db.url, &["verify"]);
    (output.status.code().unwrap(), stdout(&output))
}

fn text(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

const COLUMNS: &str = "event_id, command_id, stream_id, stream_version, category, event_type, \
    schema_version, occurred_at, recorded_at, actor, role, organisation, facility, source, \
    reason, document_ref, correlation_id, causation_id, payload, prev_hash, hash";

/// Statements that move the rows at `positions` to new positions, through a temporary table
/// (unique keys are checked row by row, so an in-place shuffle would trip over itself).
fn move_rows(positions: &str, new_position: &str) -> Vec<String> {
    vec![
        format!("CREATE TEMP TABLE moved AS SELECT * FROM events WHERE position IN ({positions})"),
        format!("DELETE FROM events WHERE position IN ({positions})"),
        format!(
            "INSERT INTO events (position, {COLUMNS}) SELECT {new_position}, {COLUMNS} FROM moved"
        ),
    ]
}

async fn run(db: &TestDb, statements: &[String]) {
    let statements: Vec<&str> = statements.iter().map(String::as_str).collect();
    db.execute(&statements).await.unwrap();
}

async fn an_intact_copy_verifies(db: TestDb) {
    let events = original(&db).await;
    let copy = db.copy().await;
    let (code, output) = verify(&copy);
    assert_eq!(code, 0, "{output}");
    assert!(output.contains(&format!("log intact: {LENGTH} events")), "{output}");
    assert!(output.contains(&events.last().unwrap().hash));
}

async fn an_edited_payload_fails_at_its_position(db: TestDb) {
    original(&db).await;
    let copy = unprotected_copy(&db).await;
    run(
        &copy,
        &[r#"UPDATE events SET payload = '{"n":1,"note":"diubah"}' WHERE position = 7"#.to_owned()],
    )
    .await;
    let (code, output) = verify(&copy);
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("chain broken at position 7: hash does not match"), "{output}");
}

async fn a_deleted_row_fails_at_its_position(db: TestDb) {
    original(&db).await;
    let copy = unprotected_copy(&db).await;
    run(&copy, &["DELETE FROM events WHERE position = 7".to_owned()]).await;
    let (code, output) = verify(&copy);
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("chain broken at position 7: position 7 is missing"), "{output}");
}

async fn swapped_rows_fail_at_the_first_of_them(db: TestDb) {
    original(&db).await;
    let copy = unprotected_copy(&db).await;
    run(&copy, &move_rows("5, 9", "CASE position WHEN 5 THEN 9 ELSE 5 END")).await;
    let (code, output) = verify(&copy);
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("chain broken at position 5: prev_hash does not match"), "{output}");
}

async fn a_forged_row_in_the_middle_fails_where_the_chain_breaks(db: TestDb) {
    let events = original(&db).await;
    let copy = unprotected_copy(&db).await;
    // The forger shifts rows 8.. up by one and inserts a row at 8 whose prev_hash and hash are
    // computed correctly: position 8 verifies, and the chain breaks at 9, the shifted row.
    let mut forged = events[7].clone();
    forged.stream_id = "participation-forged".to_owned();
    forged.stream_version = 1;
    forged.payload = r#"{"n":8,"note":"palsu"}"#.to_owned();
    forged.event_id = uuid::Uuid::from_u128(8_888);
    forged.prev_hash = events[6].hash.clone();
    forged.hash = event_hash(&forged);
    let mut statements = move_rows(
        &(8..=LENGTH).map(|p| p.to_string()).collect::<Vec<_>>().join(", "),
        "position + 1",
    );
    statements.push(insert_statement(db.backend, &forged));
    run(&copy, &statements).await;
    let (code, output) = verify(&copy);
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("chain broken at position 9: prev_hash does not match"), "{output}");
}

/// Statements that rewrite the payload at position 12 and recompute every hash after it, so
/// that the chain is consistent again; returns them and the new head hash.
fn rewrite_tail(backend: Backend, events: &[RecordedEvent]) -> (Vec<String>, String) {
    let mut statements = Vec::new();
    let mut prev_hash = events[10].hash.clone();
    for event in &events[11..] {
        let mut rewritten = event.clone();
        if rewritten.position == 12 {
            rewritten.payload = r#"{"n":12,"note":"ditulis ulang"}"#.to_owned();
        }
        rewritten.prev_hash = prev_hash;
        rewritten.hash = event_hash(&rewritten);
        statements.push(format!(
            "UPDATE events SET payload = {}, prev_hash = {}, hash = {} WHERE position = {}",
            text(&rewritten.payload),
            text(&rewritten.prev_hash),
            text(&rewritten.hash),
            rewritten.position
        ));
        prev_hash = rewritten.hash;
    }
    if backend == Backend::Postgres {
        statements.push(format!("UPDATE log_head SET hash = {}", text(&prev_hash)));
    }
    (statements, prev_hash)
}

async fn a_rewritten_tail_with_recomputed_hashes_passes_verify_alone(db: TestDb) {
    let events = original(&db).await;
    let copy = unprotected_copy(&db).await;
    let (statements, prev_hash) = rewrite_tail(db.backend, &events);
    run(&copy, &statements).await;
    let (code, output) = verify(&copy);
    // This is the limit of a hash chain on its own: a rewrite that recomputes every hash after
    // the edit is consistent. Signed checkpoints held by a second organisation catch it.
    assert_eq!(code, 0, "{output}");
    assert!(output.contains(&prev_hash), "{output}");
    assert!(!output.contains(&events.last().unwrap().hash), "{output}");
}

/// A signing key made with `jejak keygen` in `dir`; returns the key file and the public key file.
fn keygen(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let key = dir.join("kanwil.key");
    let output = jejak("sqlite://unused.db", &["keygen", "--out", key.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    (key.clone(), dir.join("kanwil.key.pub"))
}

/// Runs `jejak verify --checkpoints FILE --public-key FILE.pub` and returns code and output.
fn verify_against(
    db: &TestDb,
    checkpoints: &std::path::Path,
    public: &std::path::Path,
) -> (i32, String) {
    let args = [
        "verify",
        "--checkpoints",
        checkpoints.to_str().unwrap(),
        "--public-key",
        public.to_str().unwrap(),
    ];
    let output = jejak(&db.url, &args);
    (output.status.code().unwrap(), stdout(&output))
}

async fn a_rewritten_tail_fails_at_the_signed_checkpoint_that_covers_it(db: TestDb) {
    let events = original(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let (key, public) = keygen(dir.path());
    let checkpoints = dir.path().join("checkpoints.jsonl");
    // A checkpoint taken when the log held 10 events, as the signer would have made it then…
    let seed = std::fs::read_to_string(&key).unwrap();
    let signing = events::checkpoint::signing_key(&seed).unwrap();
    let early = &events[9];
    let signed_at = early.recorded_at;
    let early = events::checkpoint::sign(&signing, 10, &early.hash, early.recorded_at, signed_at);
    std::fs::write(&checkpoints, format!("{}\n", serde_json::to_string(&early).unwrap())).unwrap();
    // …and one of the head, made by `jejak checkpoint`.
    let output = jejak(
        &db.url,
        &["checkpoint", "--key", key.to_str().unwrap(), "--out", checkpoints.to_str().unwrap()],
    );
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let (code, output) = verify_against(&db, &checkpoints, &public);
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("all 2 checkpoints match the log"), "{output}");

    let copy = unprotected_copy(&db).await;
    let (statements, _) = rewrite_tail(db.backend, &events);
    run(&copy, &statements).await;
    assert_eq!(verify(&copy).0, 0, "the chain alone is consistent again");
    let (code, output) = verify_against(&copy, &checkpoints, &public);
    assert_eq!(code, 1, "{output}");
    assert!(
        output.contains("line 1 (position 10, signed") && output.contains("matches the log"),
        "{output}"
    );
    assert!(output.contains(&format!("line 2 (position {LENGTH}, signed")), "{output}");
    assert!(
        output.contains("DOES NOT MATCH") && output.contains("the log was rewritten"),
        "{output}"
    );
    assert!(output.contains("1 of 2 checkpoints do NOT match the log"), "{output}");
}

async fn a_truncated_log_or_an_altered_checkpoint_fails_verification(db: TestDb) {
    original(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let (key, public) = keygen(dir.path());
    let checkpoints = dir.path().join("checkpoints.jsonl");
    let output = jejak(
        &db.url,
        &["checkpoint", "--key", key.to_str().unwrap(), "--out", checkpoints.to_str().unwrap()],
    );
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    // The last five events removed, and the head put back where they were not.
    let copy = unprotected_copy(&db).await;
    let mut statements = vec![format!("DELETE FROM events WHERE position > {}", LENGTH - 5)];
    if db.backend == Backend::Sqlite {
        copy.execute(&["DROP TRIGGER IF EXISTS events_no_delete"]).await.unwrap();
    } else {
        statements.insert(0, "DROP TRIGGER IF EXISTS events_no_delete ON events".to_owned());
        statements.push(format!("UPDATE log_head SET position = {}", LENGTH - 5));
    }
    run(&copy, &statements).await;
    let (code, output) = verify_against(&copy, &checkpoints, &public);
    assert_eq!(code, 1, "{output}");
    assert!(output.contains(&format!("the log ends at position {}", LENGTH - 5)), "{output}");

    // A checkpoint moved to another tree size is no longer authentic.
    let text = std::fs::read_to_string(&checkpoints).unwrap();
    let moved = text.replace(&format!("\\n{LENGTH}\\n"), "\\n19\\n");
    assert_ne!(moved, text);
    std::fs::write(&checkpoints, moved).unwrap();
    let (code, output) = verify_against(&db, &checkpoints, &public);
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("NOT AUTHENTIC: the signature of"), "{output}");

    // Nor is one checked against another organisation's key.
    let other = tempfile::tempdir().unwrap();
    let (_, other_public) = keygen(other.path());
    let (code, output) = verify_against(&db, &checkpoints, &other_public);
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("signed by another key"), "{output}");
}

/// A superuser disables the triggers and rewrites the tail with recomputed hashes, but leaves
/// `log_head` as it was: the chain alone is consistent, yet the head the writers recorded names
/// another hash. `verify` fails naming `log_head`, `checkpoint` refuses to sign, and `status`
/// shows the event row's hash, not the recorded one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tail_rewritten_behind_log_head_fails_verify_and_is_never_signed() {
    let Some(db) = TestDb::new(Backend::Postgres).await else { return };
    let events = original(&db).await;
    let copy = db.copy().await;
    let (mut statements, new_hash) = rewrite_tail(db.backend, &events);
    statements.retain(|statement| !statement.contains("log_head"));
    statements.insert(0, "ALTER TABLE events DISABLE TRIGGER ALL".to_owned());
    statements.push("ALTER TABLE events ENABLE TRIGGER ALL".to_owned());
    run(&copy, &statements).await;

    let old_hash = &events.last().unwrap().hash;
    let (code, output) = verify(&copy);
    assert_eq!(code, 1, "{output}");
    assert!(output.contains(&format!("chain broken at position {LENGTH}")), "{output}");
    assert!(output.contains("log_head") && output.contains(old_hash), "{output}");
    assert!(output.contains(&new_hash), "{output}");

    let dir = tempfile::tempdir().unwrap();
    let (key, _) = keygen(dir.path());
    let checkpoints = dir.path().join("checkpoints.jsonl");
    let output = jejak(
        &copy.url,
        &["checkpoint", "--key", key.to_str().unwrap(), "--out", checkpoints.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("the log is broken") && said.contains("log_head"), "{said}");
    assert!(!checkpoints.exists(), "nothing was signed");

    let status = stdout(&jejak(&copy.url, &["status"]));
    assert!(status.contains(&format!("head hash {new_hash}")), "{status}");
    assert!(status.contains("log_head") && status.contains(old_hash), "{status}");
}

fn insert_statement(backend: Backend, event: &RecordedEvent) -> String {
    let optional = |value: &Option<String>| value.as_deref().map_or("NULL".to_owned(), text);
    let uuid = |value: uuid::Uuid| match backend {
        Backend::Sqlite => text(&value.to_string()),
        Backend::Postgres => format!("{}::uuid", text(&value.to_string())),
    };
    let time = |value: events::Timestamp| match backend {
        Backend::Sqlite => text(&value.to_string()),
        Backend::Postgres => format!("{}::timestamptz", text(&value.to_string())),
    };
    format!(
        "INSERT INTO events (position, {COLUMNS}) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, \
         {}, {}, {}, {}, {}, {}, {}, {}, NULL, {}, {}, {})",
        event.position,
        uuid(event.event_id),
        uuid(event.command_id),
        text(&event.stream_id),
        event.stream_version,
        text(event.category()),
        text(&event.event_type),
        event.schema_version,
        time(event.occurred_at),
        time(event.recorded_at),
        text(&event.actor),
        text(&event.role),
        text(&event.organisation),
        optional(&event.facility),
        text(event.source.as_str()),
        optional(&event.reason),
        optional(&event.document_ref),
        uuid(event.correlation_id),
        text(&event.payload),
        text(&event.prev_hash),
        text(&event.hash),
    )
}

/// SQLite stores any value in any column: a value of another type, or a timestamp or an id in
/// another spelling of the same value, is found where it is and named, not read as something
/// else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_of_another_type_or_form_in_a_sqlite_row_is_unreadable_at_its_position() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    original(&db).await;
    for (edit, position) in [
        ("stream_version = 'empat'", 7),
        ("occurred_at = '2026-03-02 00:07:00Z'", 9),
        ("event_id = upper(event_id)", 11),
        ("event_id = '{' || event_id || '}'", 3),
        ("command_id = replace(command_id, '-', '')", 5),
        ("payload = x'7b7d'", 13),
    ] {
        let copy = unprotected_copy(&db).await;
        run(&copy, &[format!("UPDATE events SET {edit} WHERE position = {position}")]).await;
        let (code, output) = verify(&copy);
        assert_eq!(code, 1, "{edit}: {output}");
        let expected =
            format!("chain broken at position {position}: the stored event cannot be read");
        assert!(output.contains(&expected), "{edit}: {output}");
    }
}
