//! The command line as a user runs it: the default database in the working directory, the
//! environment variable, `log` in both formats with its filters, `migrate`, and clear errors.

use events::RecordedEvent;

use crate::support::{TestDb, backend_tests, jejak, jejak_in, stdout};

backend_tests!(log_prints_the_log_as_a_table_or_ndjson_with_filters);

async fn log_prints_the_log_as_a_table_or_ndjson_with_filters(db: TestDb) {
    let demo = jejak(&db.url, &["demo", "--participants", "20"]);
    assert!(demo.status.success(), "{}", stdout(&demo));
    assert!(stdout(&demo).contains("log intact"));

    let all = parse(&stdout(&jejak(&db.url, &["log", "--format", "json"])));
    let head = all.len() as i64;
    assert!(head > 100, "the demo writes a story");
    assert_eq!(all.iter().map(|e| e.position).collect::<Vec<_>>(), (1..=head).collect::<Vec<_>>());
    let page = parse(&stdout(&jejak(
        &db.url,
        &["log", "--format", "json", "--from", "10", "--limit", "2"],
    )));
    assert_eq!(page.iter().map(|e| e.position).collect::<Vec<_>>(), [10, 11]);
    let stream = &all[4].stream_id;
    let one = parse(&stdout(&jejak(&db.url, &["log", "--format", "json", "--stream", stream])));
    assert_eq!(one, vec![all[4].clone()]);

    let table = stdout(&jejak(&db.url, &["log", "--limit", "3"]));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4, "{table}");
    assert!(lines[0].starts_with("POSITION"));
    assert!(lines[1].contains("OrganisationRegistered") && lines[1].contains("import"), "{table}");

    let again = jejak(&db.url, &["demo"]);
    assert_eq!(again.status.code(), Some(2));
    let error = String::from_utf8_lossy(&again.stderr);
    assert!(error.contains("only to an empty log"), "{error}");
}

fn parse(ndjson: &str) -> Vec<RecordedEvent> {
    ndjson.lines().map(|line| serde_json::from_str(line).expect("one event per line")).collect()
}

#[test]
fn the_default_database_is_jejak_db_in_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let migrated = jejak_in(Some(dir.path()), None, &["migrate"]);
    assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
    assert!(stdout(&migrated).contains("sqlite://jejak.db"));
    assert!(dir.path().join("jejak.db").exists());
    let again = jejak_in(Some(dir.path()), None, &["migrate"]);
    assert!(again.status.success());
    let verified = jejak_in(Some(dir.path()), None, &["verify"]);
    assert!(stdout(&verified).contains("log intact: 0 events"), "{}", stdout(&verified));
}

/// Runs `jejak` in `dir` with both outputs piped, `close` dropping the reading end of one
/// before the command writes.
fn jejak_without_reader(
    dir: &std::path::Path,
    args: &[&str],
    close: impl FnOnce(&mut std::process::Child),
) -> std::process::Output {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_jejak"))
        .args(args)
        .current_dir(dir)
        .env_remove("JEJAK_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    close(&mut child);
    child.wait_with_output().unwrap()
}

/// `jejak status | head -1`: a reader that stops reading ends the command quietly, with
/// success, never with a panic or an error about the pipe.
#[test]
fn a_reader_that_stops_reading_ends_the_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let demo = jejak_in(Some(dir.path()), None, &["demo", "--participants", "20"]);
    assert!(demo.status.success(), "{}", stdout(&demo));
    let commands: [&[&str]; 5] = [
        &["status"],
        &["log"],
        &["verify"],
        &["report", "enrolment"],
        &["report", "enrolment", "--format", "csv"],
    ];
    for args in commands {
        // The reader goes before the command has written anything.
        let ended = jejak_without_reader(dir.path(), args, |child| drop(child.stdout.take()));
        let said = String::from_utf8_lossy(&ended.stderr);
        assert!(ended.status.success(), "{args:?}: {:?} {said}", ended.status);
        assert!(!said.contains("panicked") && !said.contains("error"), "{args:?}: {said}");
    }
}

/// `jejak … 2>&1 | head`: a closed standard error loses what a command says there, and the
/// command still ends with the code it would have ended with — never a panic's.
#[test]
fn a_closed_standard_error_loses_the_message_not_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let demo = jejak_in(Some(dir.path()), None, &["demo", "--participants", "5"]);
    assert!(demo.status.success(), "{}", stdout(&demo));
    let commands: [(&[&str], i32); 2] = [
        // Its token on standard output, the advice on standard error.
        (&["user", "add", "petugas.tiga", "--role", "petugas_pembinaan", "--org", "RUTAN-SOE"], 0),
        // An error, said on standard error only.
        (&["log", "--database-url", "mysql://nowhere/x"], 2),
    ];
    for (args, code) in commands {
        let ended = jejak_without_reader(dir.path(), args, |child| drop(child.stderr.take()));
        assert_eq!(ended.status.code(), Some(code), "{args:?}: {}", stdout(&ended));
    }
}

#[test]
fn a_bad_database_url_is_a_clear_error() {
    let output = jejak_in(None, Some("mysql://root:geheim@localhost/x"), &["log"]);
    assert_eq!(output.status.code(), Some(2));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("is not a database URL"), "{error}");
    assert!(!error.contains("geheim"), "passwords never reach the output: {error}");
}
