//! Receipts (docs/witness.md): `jejak receipt` on the demo's log makes a receipt of a grant
//! handover that `tools/verify_receipt.py` accepts, and the script rejects each of: an edited
//! event, an edited proof, a checkpoint signed by another key, a missing cosignature under
//! `--quorum 1`. An event that is not a handover or a certificate gets no receipt, and one no
//! cosigned checkpoint holds yet gets a pending one that says so.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use events::Timestamp;
use jejak::clock::SimulatedClock;
use jejak::demo::{self, DemoOptions};
use serde_json::Value;

use crate::support::{TestDb, jejak, repository_root, stdout};

fn verify_receipt(receipt: &Path, public_key: &Path, witness: &str) -> (i32, String) {
    let output = Command::new("python3")
        .arg(repository_root().join("tools/verify_receipt.py"))
        .arg(receipt)
        .arg("--public-key")
        .arg(public_key)
        .args(["--witness", witness, "--quorum", "1"])
        .output()
        .expect("python3 runs");
    (output.status.code().unwrap(), stdout(&output))
}

/// `receipt` with `change` applied, written beside it as `name`.
fn edited(
    receipt: &Value,
    dir: &Path,
    name: &str,
    change: impl FnOnce(&mut Value),
) -> std::path::PathBuf {
    let mut copy = receipt.clone();
    change(&mut copy);
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(&copy).unwrap()).unwrap();
    path
}

#[tokio::test]
async fn a_receipt_of_a_demo_handover_verifies_offline_and_every_alteration_fails() {
    let db = TestDb::new(jejak::store::Backend::Sqlite).await.unwrap();
    let start = Timestamp::start_of_day(demo::STORY_START).unwrap();
    let clock = Arc::new(SimulatedClock::new(start));
    let store = db.open_with(clock.clone()).await;
    demo::generate(&store, clock, DemoOptions { participants: 30, seed: 4 }).await.unwrap();
    let head = store.head().await.unwrap().position;
    let events = store.read_all(1, head as usize).await.unwrap();
    let handover = events.iter().find(|e| e.event_type == "GrantHandedOver").expect("a handover");
    let other = events.iter().find(|e| e.event_type == "ParticipantNominated").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let (key, checkpoints) = (path("log.key"), path("checkpoints.jsonl"));
    assert!(jejak(&db.url, &["keygen", "--out", key.to_str().unwrap()]).status.success());
    let receipt_args = |event: uuid::Uuid, witness: &str| {
        vec![
            "receipt".to_owned(),
            "--event".to_owned(),
            event.to_string(),
            "--checkpoints".to_owned(),
            checkpoints.to_str().unwrap().to_owned(),
            "--public-key".to_owned(),
            path("log.key.pub").to_str().unwrap().to_owned(),
            "--witness".to_owned(),
            witness.to_owned(),
        ]
    };
    let run = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        jejak(&db.url, &args)
    };
    let witness = events::checkpoint::signing_key(&"66".repeat(32)).unwrap();
    let vkey = events::witness::verifier_key("saksi.contoh", &witness.verifying_key());

    // Signed, not yet cosigned: the receipt is pending and says so.
    let sign =
        ["checkpoint", "--key", key.to_str().unwrap(), "--out", checkpoints.to_str().unwrap()];
    assert!(jejak(&db.url, &sign).status.success());
    let pending = run(receipt_args(handover.event_id, &vkey));
    assert_eq!(pending.status.code(), Some(1));
    let said: Value = serde_json::from_str(&stdout(&pending)).unwrap();
    assert!(said["pending"].as_str().unwrap().contains("ask for the receipt again"), "{said}");

    // The witness cosigns the checkpoint (as `jejak serve --witness` appends it).
    let file = std::fs::read_to_string(&checkpoints).unwrap();
    let note = serde_json::from_str::<Value>(file.lines().last().unwrap()).unwrap()["note"]
        .as_str()
        .unwrap()
        .to_owned();
    let (text, _) = events::note::split(&note).unwrap();
    let cosigned =
        format!("{note}{}", events::witness::cosign(text, "saksi.contoh", &witness, 1_790_000_000));
    let line = serde_json::json!({ "note": cosigned }).to_string();
    std::fs::write(&checkpoints, format!("{file}{line}\n")).unwrap();

    let made = run(receipt_args(handover.event_id, &vkey));
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let receipt: Value = serde_json::from_str(&stdout(&made)).unwrap();
    assert_eq!(receipt["cosigned_by"], serde_json::json!(["saksi.contoh"]));
    let good = edited(&receipt, dir.path(), "receipt.json", |_| {});
    let public = path("log.key.pub");
    let (code, report) = verify_receipt(&good, &public, &vkey);
    assert_eq!(code, 0, "{report}");
    assert!(
        report.contains("event intact: GrantHandedOver")
            && report.contains("cosigned by witness saksi.contoh"),
        "{report}"
    );

    // Each alteration fails, naming what.
    let event_edited = edited(&receipt, dir.path(), "event.json", |r| {
        r["event"]["recorded_at"] = Value::String("2026-01-01T00:00:00.000000Z".into());
    });
    let proof_edited = edited(&receipt, dir.path(), "proof.json", |r| {
        r["proof"][0] = Value::String(jejak::tree::base64(&[9; 32]));
    });
    let stranger = events::checkpoint::signing_key(&"77".repeat(32)).unwrap();
    let other_key = edited(&receipt, dir.path(), "other-key.json", |r| {
        let origin = text.lines().next().unwrap();
        let resigned = events::note::sign(text, origin, &stranger).unwrap();
        let cosignature = events::witness::cosign(text, "saksi.contoh", &witness, 1_790_000_000);
        r["checkpoint"] = Value::String(format!("{resigned}{cosignature}"));
    });
    let uncosigned = edited(&receipt, dir.path(), "uncosigned.json", |r| {
        r["checkpoint"] = Value::String(note.clone());
    });
    for (file, words) in [
        (&event_edited, "was EDITED"),
        (&proof_edited, "the proof does NOT put the event"),
        (&other_key, "NOT signed by the log's key"),
        (&uncosigned, "QUORUM NOT MET"),
    ] {
        let (code, report) = verify_receipt(file, &public, &vkey);
        assert_eq!(code, 1, "{}: {report}", file.display());
        assert!(report.contains(words), "{}: {report}", file.display());
    }

    // No receipt for a nomination.
    let refused = run(receipt_args(other.event_id, &vkey));
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not for ParticipantNominated"));
    store.close().await;
}

/// The dashboard's receipt page on a demo server that signs checkpoints and knows its witness:
/// the page shows the handover, its proof, the cosigned checkpoint and the keys with their
/// fingerprints (the same as `/log/keys` publishes); its file verifies offline; a role that
/// sees aggregates only is refused.
#[tokio::test]
async fn the_receipt_page_prints_the_proof_and_keys_and_its_file_verifies() {
    let db = TestDb::new(jejak::store::Backend::Sqlite).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let (key, checkpoints) = (path("log.key"), path("checkpoints.jsonl"));
    assert!(jejak(&db.url, &["keygen", "--out", key.to_str().unwrap()]).status.success());
    let witness = events::checkpoint::signing_key(&"66".repeat(32)).unwrap();
    let vkey = events::witness::verifier_key("saksi.contoh", &witness.verifying_key());
    let served = crate::serve::Served::start(
        &db,
        &[
            "--demo",
            "--checkpoint-key",
            key.to_str().unwrap(),
            "--checkpoint-out",
            checkpoints.to_str().unwrap(),
            "--witness",
            &format!("http://127.0.0.1:9={vkey}"),
        ],
    );
    // Signed on demand, cosigned as the witness would.
    let sign =
        ["checkpoint", "--key", key.to_str().unwrap(), "--out", checkpoints.to_str().unwrap()];
    assert!(jejak(&db.url, &sign).status.success());
    let file = std::fs::read_to_string(&checkpoints).unwrap();
    let note = serde_json::from_str::<Value>(file.lines().last().unwrap()).unwrap()["note"]
        .as_str()
        .unwrap()
        .to_owned();
    let (text, _) = events::note::split(&note).unwrap();
    let cosignature = events::witness::cosign(text, "saksi.contoh", &witness, 1_790_000_000);
    let line = serde_json::json!({ "note": format!("{note}{cosignature}") }).to_string();
    std::fs::write(&checkpoints, format!("{file}{line}\n")).unwrap();
    let store = db.open().await;
    let events = store.read_all(1, 10_000).await.unwrap();
    let handover = events.iter().find(|e| e.event_type == "GrantHandedOver").unwrap().event_id;
    store.close().await;

    let auditor = served.token("auditor");
    let page =
        crate::serve::dashboard_page(&served.address, auditor, &format!("/receipt/{handover}"));
    assert!(page.contains("Serah terima bantuan") && page.contains("Bukti keanggotaan"), "{page}");
    assert!(page.contains("saksi.contoh") && !page.contains("id=\"pending\""), "{page}");
    let keys = served.get("/log/keys", None).1;
    let log_key = std::fs::read_to_string(path("log.key.pub")).unwrap();
    let log_key = events::checkpoint::verifying_key(log_key.trim()).unwrap();
    let fingerprint = jejak::receipts::fingerprint(&log_key);
    assert!(keys.contains(&format!("fingerprint {fingerprint}")), "{keys}");
    assert!(keys.contains(&format!("witness {vkey}")), "{keys}");
    assert!(page.contains(&fingerprint), "the page prints the log key's fingerprint");

    let json = crate::serve::dashboard_page(
        &served.address,
        auditor,
        &format!("/receipt/{handover}?format=json"),
    );
    std::fs::write(path("receipt.json"), &json).unwrap();
    let (code, report) = verify_receipt(&path("receipt.json"), &path("log.key.pub"), &vkey);
    assert_eq!(code, 0, "{report}");
    assert!(report.contains(&fingerprint), "the script prints the same fingerprint: {report}");

    let analyst = crate::serve::dashboard_page(
        &served.address,
        served.token("analis"),
        &format!("/receipt/{handover}"),
    );
    assert!(!analyst.contains("Bukti keanggotaan"), "an analyst sees no receipt: {analyst}");
    // The recidivism page draws the time to reoffence as step lines, without script.
    let recidivism = crate::serve::dashboard_page(&served.address, auditor, "/recidivism");
    let chart = recidivism.split("data-chart=\"time-to-reoffence\"").nth(1).expect("the chart");
    assert!(chart.contains("<polyline") && recidivism.contains("Belum mengulang tindak pidana"));
    // The demo opens the overview on its lively day; an analyst's, asking the latest data
    // (a published cut), opens on today's.
    let overview =
        crate::serve::dashboard_page(&served.address, served.token("analis"), "/overview");
    assert!(
        overview.contains("id=\"provenance\"") && !overview.contains("id=\"opening-day\""),
        "{overview}"
    );
}
