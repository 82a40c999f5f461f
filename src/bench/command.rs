//! `jejak bench`'s command line: its options, the suite on fresh databases
//! ([`super::suite`]), and the scale run into a log (`--into-log`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::ValueEnum;
use events::vocabulary::TimeZone;
use projections::projection::Config;

use crate::clock::SimulatedClock;
use crate::store::{Backend, Store};

/// The databases `jejak bench` measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchBackend {
    Sqlite,
    Postgres,
}

/// `jejak bench`'s options.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// The database to measure; PostgreSQL on the server of `--database-url` when that is
    /// a PostgreSQL URL, else 127.0.0.1:5432.
    #[arg(long, value_enum, default_value_t = BenchBackend::Sqlite)]
    pub backend: BenchBackend,
    /// Participation streams of 45 events.
    #[arg(long, default_value_t = 2_000)]
    pub streams: usize,
    /// Concurrent writers for W2 (and, with `--into-log`, appends in flight).
    #[arg(long, default_value_t = 8)]
    pub writers: usize,
    /// Concurrent writers for W2's second run, a server's load.
    #[arg(long, default_value_t = 64)]
    pub load_writers: usize,
    /// Streams loaded one by one for W5, and proofs of each kind made for W7 (and, with
    /// `--into-log`, on the log written).
    #[arg(long, default_value_t = 1_000)]
    pub samples: usize,
    /// Write the workload into the (empty) log of `--database-url` and keep it, for scale
    /// runs of rebuild, verify, export and as-of; with `--only W7`, time the Merkle tree
    /// and proofs of the log there instead, as it is.
    #[arg(long)]
    pub into_log: bool,
    /// With `--into-log`: as-of questions on random business dates, each asked of every
    /// projection.
    #[arg(long, default_value_t = 5)]
    pub questions: usize,
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Only these workloads (W1, W2, W1cmd, W3, W4, W5, W6, W7), for profiling one of them;
    /// the raw limit is always measured.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Also write the figures as JSON to this file.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// The suite of W1-W7 on fresh databases of its own, with the raw limit: a table for people,
/// and with `--out` every figure as JSON.
pub async fn run_suite(args: &BenchArgs, url: &str, zone: TimeZone) -> anyhow::Result<ExitCode> {
    let backend = match args.backend {
        BenchBackend::Sqlite => Backend::Sqlite,
        BenchBackend::Postgres => Backend::Postgres,
    };
    let options = super::suite::SuiteOptions {
        backend,
        base_url: Some(url.to_owned())
            .filter(|url| Backend::of_url(url).ok() == Some(Backend::Postgres)),
        streams: args.streams,
        writers: args.writers,
        load_writers: args.load_writers,
        samples: args.samples,
        seed: args.seed,
        zone,
        only: args.only.clone(),
    };
    let stage = |what: &str| errln!("{what}");
    let report = super::suite::run(&options, &stage).await?;
    out!(super::suite::table(&report));
    if let Some(out) = &args.out {
        let json = serde_json::json!({
            "date": chrono::Utc::now().date_naive(),
            "machine": super::suite::Machine::this(),
            "run": report,
        });
        write_json(out, &json)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `--into-log`: the workload written into `store`'s empty log and kept, its tree built and
/// proofs timed, then as-of questions on it; with `--only W7`, the tree and proofs of the log
/// as it is. `(zone, snapshot_every)` are the deployment's.
pub async fn run_into_log(
    args: &BenchArgs,
    store: &Store,
    simulated: &Arc<SimulatedClock>,
    (zone, snapshot_every): (TimeZone, i64),
) -> anyhow::Result<ExitCode> {
    let (samples, seed) = (args.samples, args.seed);
    if args.only.len() == 1 && args.only[0].eq_ignore_ascii_case("W7") {
        print_tree_timings(store, samples, seed).await?;
        return Ok(ExitCode::SUCCESS);
    }
    let bar = crate::cli::progress_bar(args.streams as i64 * 48, "writing the workload");
    let filled = super::fill(store, simulated, args.streams, seed, args.writers, |p| {
        bar.set_position(p as u64)
    })
    .await?;
    bar.finish_and_clear();
    outln!(
        "workload: {} streams, {} events in {:.1} s ({:.0} events/s)",
        filled.streams,
        filled.events,
        filled.seconds,
        filled.events_per_second
    );
    let (took, proofs) = print_tree_timings(store, samples, seed).await?;
    let config = Config { utc_offset_hours: zone.utc_offset_hours() };
    let history =
        crate::history::History::new(store.clone(), config).with_snapshot_every(snapshot_every);
    let (snapshots, timings) =
        super::as_of_questions(store, &history, args.questions, seed).await?;
    outln!("snapshots every {snapshot_every} positions taken in {:.1} s", snapshots.as_secs_f64());
    outln!(
        "{:<10} {:<10} {:<10} {:>10} {:>10} {:>8}",
        "PROJECTION",
        "FACILITY",
        "AS_OF",
        "MS",
        "SNAPSHOT",
        "FOLDED"
    );
    for timing in &timings {
        outln!(
            "{:<10} {:<10} {:<10} {:>10.1} {:>10} {:>8}",
            timing.projection,
            timing.facility.as_deref().unwrap_or("all"),
            timing.as_of,
            timing.milliseconds,
            timing.snapshot,
            timing.folded
        );
    }
    if let Some(out) = &args.out {
        let json = serde_json::json!({
            "backend": store.backend().name(),
            "workload": filled,
            "tree_seconds": took.as_secs_f64(),
            "proofs": proofs,
            "snapshot_every": snapshot_every,
            "snapshot_seconds": snapshots.as_secs_f64(),
            "as_of": timings,
        });
        write_json(out, &json)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn write_json(out: &std::path::Path, json: &serde_json::Value) -> anyhow::Result<()> {
    std::fs::write(out, serde_json::to_string_pretty(json)? + "\n")
        .with_context(|| format!("cannot write {}", out.display()))
}

/// Builds the Merkle tree over the log (from nothing when it has none) and times proofs on
/// it, printing both: the scale run of docs/PERFORMANCE.md.
async fn print_tree_timings(
    store: &Store,
    samples: usize,
    seed: u64,
) -> anyhow::Result<(std::time::Duration, super::tree::ProofTimings)> {
    let (covered, took) = super::tree::catch_up(store).await?;
    outln!(
        "Merkle tree built over {covered} events in {:.1} s ({:.0} events/s)",
        took.as_secs_f64(),
        covered as f64 / took.as_secs_f64()
    );
    let proofs = super::tree::proof_timings(store, samples, seed).await?;
    outln!(
        "{} proofs in the tree of {} events: inclusion p50 {:.2} ms, p99 {:.2} ms; \
         consistency p50 {:.2} ms, p99 {:.2} ms",
        proofs.samples,
        proofs.tree_size,
        proofs.inclusion_p50_ms,
        proofs.inclusion_p99_ms,
        proofs.consistency_p50_ms,
        proofs.consistency_p99_ms
    );
    Ok((took, proofs))
}
