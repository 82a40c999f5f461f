//! `jejak evidence`: a bundle for a review period verifies offline with
//! `tools/verify_export.py`, and one byte edited in any of its files fails the verification,
//! naming that file.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use events::Timestamp;
use jejak::clock::SimulatedClock;
use jejak::demo::{self, DemoOptions};
use serde_json::Value;

use crate::support::{TestDb, backend_tests, jejak, repository_root, stdout};

backend_tests!(
    a_signed_bundle_verifies_and_any_edited_byte_names_its_file,
    a_bundle_carries_the_witnessed_checkpoints_at_its_ends_and_python_checks_them,
);

fn python(bundle: &Path, extra: &[&Path]) -> (i32, String) {
    let mut command = Command::new("python3");
    command.arg(repository_root().join("tools/verify_export.py")).arg(bundle);
    if let [public_key] = extra {
        command.arg("--public-key").arg(public_key);
    }
    let output = command.output().expect("python3 runs");
    (output.status.code().unwrap(), stdout(&output))
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files(&path));
        } else {
            found.push(path);
        }
    }
    found.sort();
    found
}

fn copy_dir(from: &Path, to: &Path) {
    for file in files(from) {
        let target = to.join(file.strip_prefix(from).unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&file, &target).unwrap();
    }
}

async fn a_signed_bundle_verifies_and_any_edited_byte_names_its_file(db: TestDb) {
    let start = Timestamp::start_of_day(demo::STORY_START).unwrap();
    let clock = Arc::new(SimulatedClock::new(start));
    let store = db.open_with(clock.clone()).await;
    demo::generate(&store, clock, DemoOptions { participants: 30, seed: 4 }).await.unwrap();
    store.close().await;
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let key = path("kanwil.key");
    assert!(jejak(&db.url, &["keygen", "--out", key.to_str().unwrap()]).status.success());
    let checkpoints = path("checkpoints.jsonl");
    let sign =
        ["checkpoint", "--key", key.to_str().unwrap(), "--out", checkpoints.to_str().unwrap()];
    assert!(jejak(&db.url, &sign).status.success());

    let bundle = path("bukti-2026");
    let args = [
        "evidence",
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
        "--out",
        bundle.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--checkpoints",
        checkpoints.to_str().unwrap(),
    ];
    let output = jejak(&db.url, &args);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(bundle.join("manifest.json")).unwrap())
            .unwrap();
    assert!(manifest["range"]["first"].as_i64().unwrap() > 1, "2026 starts mid-log");
    assert_eq!(manifest["checkpoints"], 1, "the head's checkpoint falls in 2026");
    let public = path("kanwil.key.pub");
    let (code, report) = python(&bundle, &[&public]);
    assert_eq!(code, 0, "{report}");
    assert!(report.contains("1 signed checkpoints match these events"), "{report}");
    let views = projections::views::all().len();
    assert!(report.contains(&format!("{views} reports and compliance.json match")), "{report}");

    // Every file, one byte at a time.
    let all = files(&bundle);
    assert_eq!(
        all.len(),
        views + 5,
        "events, a report per view, findings, checkpoints, manifest, signature"
    );
    for file in &all {
        let name = file.strip_prefix(&bundle).unwrap().to_str().unwrap().to_owned();
        let edited = path(&format!("edited-{}", name.replace('/', "-")));
        copy_dir(&bundle, &edited);
        let target = edited.join(&name);
        let mut bytes = std::fs::read(&target).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] = if bytes[middle] == b'1' { b'2' } else { b'1' };
        std::fs::write(&target, bytes).unwrap();
        let (code, report) = python(&edited, &[&public]);
        assert_eq!(code, 1, "{name} edited: {report}");
        assert!(report.contains(&format!("{name}:")), "{name} edited: {report}");
    }
    // A signature removed is not an unsigned bundle when the signer's key is given.
    let stripped = path("edited-stripped");
    copy_dir(&bundle, &stripped);
    std::fs::remove_file(stripped.join("manifest.json.sig")).unwrap();
    let (code, report) = python(&stripped, &[&public]);
    assert_eq!(code, 1, "{report}");
    assert!(report.contains("manifest.json.sig: missing"), "{report}");

    // A file slipped into the bundle is named too.
    let extra = path("edited-extra");
    copy_dir(&bundle, &extra);
    std::fs::write(extra.join("reports/catatan.csv"), "x\n").unwrap();
    let (code, report) = python(&extra, &[]);
    assert_eq!(code, 1);
    assert!(report.contains("reports/catatan.csv: not listed in the manifest"), "{report}");

    // Unsigned, the manifest must be exactly as written; a period without events is an error.
    let unsigned = path("unsigned");
    let args = [
        "evidence",
        "--from",
        "2024-01-01",
        "--to",
        "2024-03-31",
        "--out",
        unsigned.to_str().unwrap(),
    ];
    assert!(jejak(&db.url, &args).status.success());
    assert!(
        std::fs::read_to_string(unsigned.join("checkpoints.txt"))
            .unwrap()
            .contains("no signed checkpoint covers")
    );
    assert_eq!(python(&unsigned, &[]).0, 0);
    let text = std::fs::read_to_string(unsigned.join("manifest.json")).unwrap();
    std::fs::write(unsigned.join("manifest.json"), text.replacen("  \"", "   \"", 1)).unwrap();
    let (code, report) = python(&unsigned, &[]);
    assert_eq!(code, 1);
    assert!(report.contains("manifest.json: not as jejak wrote it"), "{report}");
    let empty = path("empty");
    let output = jejak(
        &db.url,
        &[
            "evidence",
            "--from",
            "2030-01-01",
            "--to",
            "2030-01-31",
            "--out",
            empty.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("no event was recorded from 2030-01-01")
    );
    let output = jejak(
        &db.url,
        &[
            "evidence",
            "--from",
            "2024-01-01",
            "--to",
            "2024-03-31",
            "--out",
            unsigned.to_str().unwrap(),
        ],
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not empty"));
}

/// A checkpoint of the first `size` events signed with the log's key, and a copy cosigned by
/// the witness: two lines of a checkpoints file, as `jejak serve --witness` appends them.
async fn witnessed_lines(
    store: &jejak::store::Store,
    size: u64,
    log_key: &events::checkpoint::SigningKey,
    witness: &events::checkpoint::SigningKey,
) -> String {
    use events::note::{CheckpointBody, sign};
    let origin = "jejak.rutan-contoh.example/log";
    let root = jejak::tree::root(store, size).await.unwrap();
    let body = CheckpointBody { origin: origin.to_owned(), size, root, extensions: vec![] };
    let note = sign(&body.text(), origin, log_key).unwrap();
    let cosignature = events::witness::cosign(&body.text(), "saksi.contoh", witness, 1_790_000_000);
    let line = |note: &str| serde_json::json!({ "note": note }).to_string() + "\n";
    line(&note) + &line(&format!("{note}{cosignature}"))
}

async fn a_bundle_carries_the_witnessed_checkpoints_at_its_ends_and_python_checks_them(db: TestDb) {
    let start = Timestamp::start_of_day(demo::STORY_START).unwrap();
    let clock = Arc::new(SimulatedClock::new(start));
    let store = db.open_with(clock.clone()).await;
    demo::generate(&store, clock, DemoOptions { participants: 30, seed: 4 }).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let key = path("log.key");
    assert!(jejak(&db.url, &["keygen", "--out", key.to_str().unwrap()]).status.success());
    let log_key = jejak::checkpoints::read_signing_key(&key).unwrap();
    let witness = events::checkpoint::signing_key(&"44".repeat(32)).unwrap();
    let vkey = events::witness::verifier_key("saksi.contoh", &witness.verifying_key());
    let bundle_of = |name: &str, witnessed: bool| {
        let out = path(name);
        let (checkpoints, out_text) = (path("checkpoints.jsonl"), out.to_str().unwrap().to_owned());
        let mut args = vec!["evidence", "--from", "2026-01-01", "--to", "2026-06-30"];
        args.extend(["--key", key.to_str().unwrap()]);
        args.extend(["--out", &out_text, "--checkpoints", checkpoints.to_str().unwrap()]);
        let mut args: Vec<String> = args.into_iter().map(str::to_owned).collect();
        if witnessed {
            args.extend(["--witness".to_owned(), vkey.clone()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = jejak(&db.url, &args);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        out
    };
    // Where the period's events begin and end, then a witnessed checkpoint before and after.
    std::fs::write(path("checkpoints.jsonl"), "").unwrap();
    let probe = bundle_of("probe", false);
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(probe.join("manifest.json")).unwrap())
            .unwrap();
    let (first, last) =
        (manifest["range"]["first"].as_u64().unwrap(), manifest["range"]["last"].as_u64().unwrap());
    let head = store.head().await.unwrap().position as u64;
    assert!(first > 1 && last < head, "the period lies inside the log");
    let lines = witnessed_lines(&store, first - 1, &log_key, &witness).await
        + &witnessed_lines(&store, head, &log_key, &witness).await;
    std::fs::write(path("checkpoints.jsonl"), lines).unwrap();
    store.close().await;

    let bundle = bundle_of("bukti", true);
    let check = |bundle: &Path, witness_key: &str| {
        let output = Command::new("python3")
            .arg(repository_root().join("tools/verify_export.py"))
            .arg(bundle)
            .arg("--public-key")
            .arg(path("log.key.pub"))
            .args(["--witness", witness_key])
            .output()
            .expect("python3 runs");
        (output.status.code().unwrap(), stdout(&output))
    };
    let (code, report) = check(&bundle, &vkey);
    assert_eq!(code, 0, "{report}");
    let grew = format!("witnessed: the log's tree grew from {} to {head} events", first - 1);
    assert!(report.contains(&grew) && report.contains("(saksi.contoh)"), "{report}");
    // Another witness's key: the quorum is not met.
    let stranger = events::checkpoint::signing_key(&"55".repeat(32)).unwrap();
    let other = events::witness::verifier_key("saksi.contoh", &stranger.verifying_key());
    let (code, report) = check(&bundle, &other);
    assert_eq!(code, 1, "{report}");
    assert!(report.contains("QUORUM NOT MET"), "{report}");
    // A consistency proof altered, and the manifest rewritten and signed again to match (as
    // a signer fooled by a rewritten log would): the tree no longer extends the earlier one.
    let witnessed = bundle.join("witnessed.json");
    let mut value: Value =
        serde_json::from_str(&std::fs::read_to_string(&witnessed).unwrap()).unwrap();
    value["consistency"][0] = Value::String(jejak::tree::base64(&[7; 32]));
    std::fs::write(&witnessed, serde_json::to_string_pretty(&value).unwrap() + "\n").unwrap();
    let mut manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(bundle.join("manifest.json")).unwrap())
            .unwrap();
    let digest =
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(std::fs::read(&witnessed).unwrap()));
    manifest["files"]["witnessed.json"] = Value::String(digest);
    let manifest = serde_json::to_string_pretty(&manifest).unwrap() + "\n";
    std::fs::write(bundle.join("manifest.json"), &manifest).unwrap();
    let signature = events::checkpoint::sign_bytes(&log_key, manifest.as_bytes());
    std::fs::write(bundle.join("manifest.json.sig"), signature + "\n").unwrap();
    let (code, report) = check(&bundle, &vkey);
    assert_eq!(code, 1, "{report}");
    assert!(report.contains("does NOT extend the one of"), "{report}");
}
