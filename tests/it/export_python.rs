//! `jejak export` and the independent verifier `tools/verify_export.py` agree with
//! `jejak verify`, on an intact log and on an edited one, for an export from each database.

use std::path::Path;
use std::process::Command;

use events::ExpectedVersion;
use jejak::store::Backend;

use crate::support::{
    TestDb, append_seeded, backend_tests, clock_at, jejak, repository_root, stdout,
};

backend_tests!(
    python_refuses_what_jejak_never_writes_naming_the_position,
    python_agrees_with_jejak_verify_on_intact_and_edited_exports,
    python_checks_the_signed_checkpoints_jejak_makes,
);

fn python_verify(path: &Path) -> (i32, String) {
    python_verify_with(path, &[])
}

fn python_verify_with(path: &Path, options: &[&Path]) -> (i32, String) {
    let script = repository_root().join("tools/verify_export.py");
    let mut command = Command::new("python3");
    command.arg(script).arg(path);
    if let [checkpoints, public_key, rest @ ..] = options {
        command.arg("--checkpoints").arg(checkpoints).arg("--public-key").arg(public_key);
        if let [proof] = rest {
            command.arg("--proof").arg(proof);
        }
    }
    let output = command.output().expect("python3 runs");
    (output.status.code().unwrap(), stdout(&output))
}

async fn python_checks_the_signed_checkpoints_jejak_makes(db: TestDb) {
    let clock = clock_at("2026-04-01T00:00:00Z");
    let store = db.open_with(clock.clone()).await;
    for seed in 0..6_u128 {
        clock.advance_micros(1_000_001);
        store.append(append_seeded(seed, "package-1", ExpectedVersion::Any, 1)).await.unwrap();
    }
    store.close().await;
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let key = path("kanwil.key");
    assert!(jejak(&db.url, &["keygen", "--out", key.to_str().unwrap()]).status.success());
    let checkpoints = path("checkpoints.jsonl");
    let sign =
        ["checkpoint", "--key", key.to_str().unwrap(), "--out", checkpoints.to_str().unwrap()];
    assert!(jejak(&db.url, &sign).status.success());
    let export = path("log.ndjson");
    assert!(jejak(&db.url, &["export", "--out", export.to_str().unwrap()]).status.success());

    let public = path("kanwil.key.pub");
    let (code, output) = python_verify_with(&export, &[&checkpoints, &public]);
    assert_eq!(code, 0, "{output}");
    let matched = "tree checkpoint at line 1 (position 6): matches, tree root included";
    assert!(output.contains(matched), "{output}");

    // An inclusion proof of the third event, against the checkpoint's root.
    let third = jejak(&db.url, &["log", "--from", "3", "--limit", "1", "--format", "json"]);
    let third: serde_json::Value =
        serde_json::from_str(stdout(&third).lines().next().unwrap()).unwrap();
    let event = third["event_id"].as_str().unwrap();
    let proved = jejak(&db.url, &["prove", "inclusion", "--event", event, "--size", "6"]);
    assert!(proved.status.success(), "{}", String::from_utf8_lossy(&proved.stderr));
    let proof = path("proof.json");
    std::fs::write(&proof, stdout(&proved)).unwrap();
    let (code, output) = python_verify_with(&export, &[&checkpoints, &public, &proof]);
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("the event is in the tree the checkpoint signed"), "{output}");
    let mut forged: serde_json::Value = serde_json::from_str(&stdout(&proved)).unwrap();
    forged["leaf_index"] = serde_json::json!(3);
    forged["position"] = serde_json::json!(4);
    std::fs::write(&proof, forged.to_string()).unwrap();
    let (code, output) = python_verify_with(&export, &[&checkpoints, &public, &proof]);
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("DOES NOT PROVE"), "{output}");
    let (code, output) = {
        let stale = jejak(&db.url, &["prove", "inclusion", "--event", event, "--size", "5"]);
        std::fs::write(&proof, stdout(&stale)).unwrap();
        python_verify_with(&export, &[&checkpoints, &public, &proof])
    };
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("no authentic checkpoint of that size"), "{output}");

    // A signature with one character changed is not authentic.
    let text = std::fs::read_to_string(&checkpoints).unwrap();
    let line = text.find("\u{2014} ").unwrap() + "\u{2014} ".len();
    let signature_at = line + text[line..].find(' ').unwrap() + 12;
    let mut forged = text.clone().into_bytes();
    forged[signature_at] = if forged[signature_at] == b'A' { b'B' } else { b'A' };
    std::fs::write(&checkpoints, forged).unwrap();
    let (code, output) = python_verify_with(&export, &[&checkpoints, &public]);
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("NOT AUTHENTIC: the signature does not match"), "{output}");
}

async fn python_agrees_with_jejak_verify_on_intact_and_edited_exports(db: TestDb) {
    let clock = clock_at("2026-04-01T00:00:00Z");
    let store = db.open_with(clock.clone()).await;
    for seed in 0..12_u128 {
        clock.advance_micros(1_000_001);
        let stream = format!("package-{}", seed % 3);
        store
            .append(append_seeded(seed, &stream, ExpectedVersion::Any, 1 + seed as i64 % 2))
            .await
            .unwrap();
    }
    let head = store.head().await.unwrap();
    store.close().await;
    let dir = tempfile::tempdir().unwrap();

    let intact = dir.path().join("intact.ndjson");
    let exported = jejak(&db.url, &["export", "--out", intact.to_str().unwrap()]);
    assert!(exported.status.success(), "{}", stdout(&exported));
    let (code, output) = python_verify(&intact);
    assert_eq!(code, 0, "{output}");
    assert!(
        output.contains(&format!("{} events, head hash {}", head.position, head.hash)),
        "{output}"
    );
    let verified = jejak(&db.url, &["verify"]);
    assert!(stdout(&verified).contains(&head.hash));

    // An edit to the exported file itself: one byte of one payload.
    let text = std::fs::read_to_string(&intact).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[4] = lines[4].replacen("catatan", "catatam", 1);
    let edited_file = dir.path().join("edited-file.ndjson");
    std::fs::write(&edited_file, lines.join("\n") + "\n").unwrap();
    let (code, output) = python_verify(&edited_file);
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("chain broken at position 5: hash does not match"), "{output}");

    // An edit to a copy of the database: both verifiers name the same position.
    let copy = db.copy().await;
    let unprotect = match db.backend {
        Backend::Sqlite => "DROP TRIGGER events_no_update",
        Backend::Postgres => "DROP TRIGGER events_no_update ON events",
    };
    let edit = r#"UPDATE events SET payload = '{"n":1,"note":"diubah"}' WHERE position = 8"#;
    copy.execute(&[unprotect, edit]).await.unwrap();
    let (code, output) =
        (jejak(&copy.url, &["verify"]).status.code(), stdout(&jejak(&copy.url, &["verify"])));
    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("chain broken at position 8: hash does not match"), "{output}");
    let edited_db = dir.path().join("edited-db.ndjson");
    assert!(jejak(&copy.url, &["export", "--out", edited_db.to_str().unwrap()]).status.success());
    let (code, output) = python_verify(&edited_db);
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("chain broken at position 8: hash does not match"), "{output}");
}

/// A change made to an exported event.
type Edit = dyn Fn(&mut serde_json::Value);

/// Lines jejak never writes, each named at its position rather than crashing the verifier: a
/// field missing, a source that is not one of the six, a payload that is not a JSON object, an
/// impossible date, a timestamp with a line break, an upper-case id.
async fn python_refuses_what_jejak_never_writes_naming_the_position(db: TestDb) {
    let clock = clock_at("2026-04-01T00:00:00Z");
    let store = db.open_with(clock.clone()).await;
    for seed in 0..3_u128 {
        clock.advance_micros(1_000_001);
        store.append(append_seeded(seed, "package-1", ExpectedVersion::Any, 1)).await.unwrap();
    }
    store.close().await;
    let dir = tempfile::tempdir().unwrap();
    let intact = dir.path().join("intact.ndjson");
    assert!(jejak(&db.url, &["export", "--out", intact.to_str().unwrap()]).status.success());
    let text = std::fs::read_to_string(&intact).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let second: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    let cases: Vec<(&str, Box<Edit>)> = vec![
        ("facility is missing", Box::new(|e| drop(e.as_object_mut().unwrap().remove("facility")))),
        ("source is not one of", Box::new(|e| e["source"] = serde_json::json!("lain"))),
        ("payload is not a JSON object", Box::new(|e| e["payload"] = serde_json::json!("x"))),
        (
            "recorded_at is not a canonical",
            Box::new(|e| e["recorded_at"] = serde_json::json!("2026-02-30T00:00:00.000000Z")),
        ),
        (
            "occurred_at is not a canonical",
            Box::new(|e| {
                let value = format!("{}\n", e["occurred_at"].as_str().unwrap());
                e["occurred_at"] = serde_json::json!(value)
            }),
        ),
        (
            "event_id is not a lower-case UUID",
            Box::new(|e| {
                let upper = e["event_id"].as_str().unwrap().to_uppercase();
                e["event_id"] = serde_json::json!(upper)
            }),
        ),
    ];
    for (said, edit) in cases {
        let mut event = second.clone();
        edit(&mut event);
        let edited = [lines[0].to_owned(), event.to_string(), lines[2].to_owned()].join("\n");
        let file = dir.path().join("edited.ndjson");
        std::fs::write(&file, edited + "\n").unwrap();
        let (code, output) = python_verify(&file);
        assert_eq!(code, 1, "{said}: {output}");
        assert!(output.contains("chain broken at position 2"), "{said}: {output}");
        assert!(output.contains(said), "{said}: {output}");
    }
}
