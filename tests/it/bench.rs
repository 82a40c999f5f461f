//! `jejak bench` keeps working: a small run on each database measures every workload and the
//! raw limit, writes every figure with its ratio as JSON, and leaves no database behind; the
//! scale run's path (`--into-log`) writes into a log and keeps it. (Its figures are for
//! docs/PERFORMANCE.md; these tests never judge speed.)

use serde_json::Value;

use crate::support::{TestDb, backend_tests, jejak_async, stdout};

backend_tests!(
    a_small_bench_run_reports_every_workload_against_the_raw_limit,
    a_bench_into_the_log_keeps_the_workload_and_asks_it_as_of_questions,
);

async fn a_small_bench_run_reports_every_workload_against_the_raw_limit(db: TestDb) {
    let bench_databases = r"SELECT count(*) FROM pg_database WHERE datname LIKE 'jejak\_bench\_%'";
    let before = match db.backend {
        jejak::store::Backend::Postgres => db.count(bench_databases).await,
        jejak::store::Backend::Sqlite => 0,
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bench.json");
    let (backend, path) = (db.backend.name(), out.to_str().unwrap());
    // A server's load at 16 writers, not 64: other tests hold PostgreSQL connections too.
    let args = [
        "bench",
        "--backend",
        backend,
        "--streams",
        "25",
        "--samples",
        "40",
        "--load-writers",
        "16",
        "--out",
        path,
    ];
    let output = jejak_async(Some(&db.url), &args).await;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout(&output).contains("RATIO"), "a table for people");

    let json: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert!(json["machine"]["cores"].as_u64().unwrap() >= 1);
    let run = &json["run"];
    assert_eq!(run["backend"], db.backend.name());
    assert_eq!(run["streams"], 25);
    for raw in [
        "single_rows_per_second",
        "concurrent_rows_per_second",
        "server_load_rows_per_second",
        "multi_rows_per_second",
        "read_rows_per_second",
        "log_table_read_rows_per_second",
        "stream_read_p50_micros",
        "stream_read_p99_micros",
    ] {
        assert!(run["raw"][raw].as_f64().unwrap() > 0.0, "raw {raw}");
    }
    let figures = run["figures"].as_array().unwrap();
    let workloads: Vec<&str> = figures.iter().map(|f| f["workload"].as_str().unwrap()).collect();
    assert_eq!(
        workloads,
        [
            "W1", "W1", "W2", "W2", "W1cmd", "W3", "W3", "W4", "W4", "W5", "W5", "W7", "W7", "W7",
            "W7", "W7", "W6", "W6", "W6"
        ]
    );
    // W2 at the default 8 writers and at a server's load, each against as many raw writers.
    let w2: Vec<&Value> = figures.iter().filter(|f| f["workload"] == "W2").collect();
    assert!(w2[0]["what"].as_str().unwrap().contains(" 8 writers"), "{}", w2[0]);
    assert!(w2[1]["what"].as_str().unwrap().contains(" 16 writers"), "{}", w2[1]);
    assert_eq!(run["raw"]["server_load_writers"], 16);
    assert_eq!(w2[1]["target"]["ratio_at_least"], 1.5);
    assert_eq!(w2[1]["raw"], "server_load_rows_per_second");
    // The read side is judged against a read of the log's own table, not the bare one.
    for figure in figures.iter().filter(|f| ["W4", "W6"].contains(&f["workload"].as_str().unwrap()))
    {
        if figure["unit"] == "events/s" {
            assert_eq!(figure["raw"], "log_table_read_rows_per_second", "{figure}");
        }
    }
    // W1 and W3 are measured without and with the Merkle tree's follower, in the same run.
    let with_tree = |workload: &str| -> Vec<bool> {
        let whats = figures.iter().filter(|f| f["workload"] == workload);
        whats.map(|f| f["what"].as_str().unwrap().contains("tree follower running")).collect()
    };
    assert_eq!(with_tree("W1"), [false, true]);
    assert_eq!(with_tree("W3"), [true, false]);
    // W7 builds the tree over W3's whole log, then times proofs it has checked.
    let w7: Vec<&Value> = figures.iter().filter(|f| f["workload"] == "W7").collect();
    let log_size = 25 * 45 + 2 * 42 + 25; // participations, two packages, grants
    let built = w7[0]["what"].as_str().unwrap();
    assert!(built.contains(&format!("of {log_size} events")), "{built}");
    for proof in &w7[1..] {
        assert_eq!(proof["target"]["milliseconds_under"], 10.0, "{proof}");
    }
    let facility = figures.last().unwrap()["what"].as_str().unwrap();
    assert!(facility.contains("UPT-0000"), "the last as-of report is one facility's: {facility}");
    for figure in figures {
        let value = figure["value"].as_f64().unwrap();
        assert!(value > 0.0, "{figure}");
        if figure["unit"] == "ms" {
            continue; // the as-of reports: an absolute target, or none
        }
        let raw_name = figure["raw"].as_str().unwrap();
        let raw = figure["raw_value"].as_f64().unwrap();
        assert_eq!(raw, run["raw"][raw_name].as_f64().unwrap(), "{figure}");
        let ratio = figure["ratio"].as_f64().unwrap();
        assert!((ratio - value / raw).abs() < 1e-9 * ratio.max(1.0), "{figure}");
    }

    if db.backend == jejak::store::Backend::Postgres {
        let after = db.count(bench_databases).await;
        assert_eq!(after, before, "the bench drops the databases it made");
    }
}

/// The scale run's path at a tiny size: the workload written into the test's own empty log and
/// kept, its tree built and proofs timed, as-of questions asked of every projection after the
/// snapshots are taken; then `--only W7` times the tree and proofs of that log as it is.
async fn a_bench_into_the_log_keeps_the_workload_and_asks_it_as_of_questions(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("scale.json");
    let (path, every) = (out.to_str().unwrap(), "50");
    let args = ["bench", "--into-log", "--streams", "3", "--samples", "5", "--questions", "1"];
    let args = [&args[..], &["--snapshot-every", every, "--out", path]].concat();
    let output = jejak_async(Some(&db.url), &args).await;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    let json: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let events = json["workload"]["events"].as_i64().unwrap();
    assert!(events >= 3 * 45, "three participation streams at least: {events}");
    assert_eq!(db.count("SELECT count(*) FROM events").await, events, "the log keeps it");
    assert_eq!(json["snapshot_every"], 50);
    assert!(db.count("SELECT count(*) FROM fold_snapshots").await >= events / 50);
    let asked = json["as_of"].as_array().unwrap();
    for projection in ["programme", "people", "monthly"] {
        assert!(asked.iter().any(|q| q["projection"] == projection), "{projection}: {asked:?}");
    }

    let w7 = ["bench", "--into-log", "--only", "W7", "--samples", "5"];
    let again = jejak_async(Some(&db.url), &w7).await;
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    let said = stdout(&again);
    assert!(said.contains(&format!("in the tree of {events} events")), "{said}");
}
