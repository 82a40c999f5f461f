//! The benchmark suite of docs/PERFORMANCE.md: workloads W1-W7 on fresh databases, and the
//! raw limit of the same database measured in the same run, every figure with its ratio.
//!
//! Each writing workload gets a database of its own, so each starts from an empty log:
//! `w1` (one event per append), `w2` (the same, `writers` at once), `w1cmd` (one attendance
//! command per call through the command path), `w3` (one 45-event stream per append; W4-W7
//! then run on it), `w1tree` and `w3tree` (W1 and W3 again with the Merkle tree's follower
//! running beside them) and `raw` (the plain table). PostgreSQL databases (`jejak_bench_<pid>_<name>`)
//! are created on the server of the base URL and dropped at the end; SQLite files go in a
//! temporary directory, removed at the end.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use events::command::{Command, CommandEnvelope, RecordAttendance};
use events::vocabulary::{AttendanceCode, Role, TimeZone};
use events::{AppendRequest, ExpectedVersion, Source, StreamAppend, Timestamp, ids};
use projections::projection::{Config, Replay};
use projections::report::Options;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use sqlx::Connection;

use super::raw::{self, RawLimit, RawRow};
use super::{BenchError, WORKLOAD_START, packages};
use crate::clock::SimulatedClock;
use crate::commands::{CommandLoop, Issuer};
use crate::history::{History, Moment};
use crate::projector::Projector;
use crate::store::{Backend, Store};

/// What the suite runs on.
#[derive(Debug, Clone)]
pub struct SuiteOptions {
    pub backend: Backend,
    /// For PostgreSQL, the server's URL (the bench creates and drops its own databases there).
    pub base_url: Option<String>,
    /// Participation streams of 45 events.
    pub streams: usize,
    /// Concurrent writers for W2 and the raw concurrent inserts.
    pub writers: usize,
    /// The same for W2's second run, a server's load (64 unless told).
    pub load_writers: usize,
    /// Streams read one by one for W5.
    pub samples: usize,
    pub seed: u64,
    /// The deployment's time zone: business days and the clock of W1cmd.
    pub zone: TimeZone,
    /// The workloads to run (`W1`, `W2`, `W1cmd`, `W3`…`W7`); empty for all. W4-W7 run on
    /// W3's log, so W3 is written whenever one of them is asked for. The raw limit is always
    /// measured.
    pub only: Vec<String>,
}

impl SuiteOptions {
    fn wants(&self, workload: &str) -> bool {
        self.only.is_empty()
            || self.only.iter().any(|only| only.trim().eq_ignore_ascii_case(workload))
    }
}

/// A target: the ratio to the raw limit at least (or, for latencies, at most) this.
#[derive(Debug, Clone, Copy, Serialize)]
pub enum Target {
    #[serde(rename = "ratio_at_least")]
    AtLeast(f64),
    #[serde(rename = "ratio_at_most")]
    AtMost(f64),
    #[serde(rename = "milliseconds_under")]
    Under(f64),
}

/// One measured figure.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub workload: &'static str,
    pub what: String,
    pub value: f64,
    pub unit: &'static str,
    /// The raw-limit figure it is compared with.
    pub raw: Option<&'static str>,
    pub raw_value: Option<f64>,
    /// `value / raw_value`.
    pub ratio: Option<f64>,
    pub target: Option<Target>,
    pub met: Option<bool>,
}

impl Figure {
    fn new(
        workload: &'static str,
        what: impl Into<String>,
        value: f64,
        unit: &'static str,
    ) -> Self {
        Figure {
            workload,
            what: what.into(),
            value,
            unit,
            raw: None,
            raw_value: None,
            ratio: None,
            target: None,
            met: None,
        }
    }

    fn against(mut self, raw: &'static str, raw_value: f64, target: Option<Target>) -> Self {
        let ratio = self.value / raw_value;
        self.raw = Some(raw);
        self.raw_value = Some(raw_value);
        self.ratio = Some(ratio);
        self.target = target;
        self.met = target.map(|target| match target {
            Target::AtLeast(least) => ratio >= least,
            Target::AtMost(most) => ratio <= most,
            Target::Under(ms) => self.value < ms,
        });
        self
    }

    fn under(mut self, milliseconds: f64) -> Self {
        self.target = Some(Target::Under(milliseconds));
        self.met = Some(self.value < milliseconds);
        self
    }
}

/// The machine a run was measured on.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cores: usize,
    pub cpu: String,
    pub memory_gib: f64,
    pub kernel: String,
}

impl Machine {
    pub fn this() -> Machine {
        let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        let cpu = read("/proc/cpuinfo")
            .lines()
            .find_map(|line| {
                line.strip_prefix("model name")
                    .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
            })
            .unwrap_or_default();
        let memory_kib: f64 = read("/proc/meminfo")
            .lines()
            .find_map(|line| line.strip_prefix("MemTotal:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0.0);
        Machine {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu,
            memory_gib: (memory_kib / 1024.0 / 1024.0 * 10.0).round() / 10.0,
            kernel: read("/proc/sys/kernel/osrelease").trim().to_owned(),
        }
    }
}

/// Everything one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct SuiteReport {
    pub backend: &'static str,
    pub streams: usize,
    pub events_per_stream: usize,
    pub durability: Vec<(String, String)>,
    pub raw: RawLimit,
    pub figures: Vec<Figure>,
    /// The process's peak resident memory at the end of the run.
    pub peak_resident_mb: f64,
    pub seconds: f64,
}

/// The databases of one run.
struct Databases {
    backend: Backend,
    /// PostgreSQL: the server's URL; SQLite: the directory.
    base: String,
    dir: Option<PathBuf>,
    created: Vec<String>,
}

impl Databases {
    fn new(options: &SuiteOptions) -> Databases {
        match options.backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("jejak-bench-{}", std::process::id()));
                Databases {
                    backend: Backend::Sqlite,
                    base: dir.display().to_string(),
                    dir: Some(dir),
                    created: Vec::new(),
                }
            }
            Backend::Postgres => Databases {
                backend: Backend::Postgres,
                base: options
                    .base_url
                    .clone()
                    .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".to_owned()),
                dir: None,
                created: Vec::new(),
            },
        }
    }

    /// The URL of a new, empty database called `name`.
    async fn fresh(&mut self, name: &str) -> Result<String, BenchError> {
        match self.backend {
            Backend::Sqlite => {
                let dir = self.dir.as_ref().expect("a directory");
                std::fs::create_dir_all(dir).map_err(BenchError::Io)?;
                let file = dir.join(format!("{name}.db"));
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
                }
                Ok(format!("sqlite://{}", file.display()))
            }
            Backend::Postgres => {
                let database = format!("jejak_bench_{}_{name}", std::process::id());
                let mut admin = sqlx::PgConnection::connect(&self.base).await.map_err(store)?;
                let drop = format!("DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
                sqlx::raw_sql(&drop).execute(&mut admin).await.map_err(store)?;
                let create = format!("CREATE DATABASE \"{database}\"");
                sqlx::raw_sql(&create).execute(&mut admin).await.map_err(store)?;
                admin.close().await.map_err(store)?;
                self.created.push(database.clone());
                Ok(with_database(&self.base, &database))
            }
        }
    }

    async fn remove(self) {
        match self.backend {
            Backend::Sqlite => {
                if let Some(dir) = self.dir {
                    let _ = std::fs::remove_dir_all(dir);
                }
            }
            Backend::Postgres => {
                let Ok(mut admin) = sqlx::PgConnection::connect(&self.base).await else { return };
                for database in self.created {
                    let drop = format!("DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
                    let _ = sqlx::raw_sql(&drop).execute(&mut admin).await;
                }
                let _ = admin.close().await;
            }
        }
    }
}

fn store(error: sqlx::Error) -> BenchError {
    BenchError::Store(error.into())
}

/// `url` with its database name replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (url, query) = match url.split_once('?') {
        Some((url, query)) => (url, format!("?{query}")),
        None => (url, String::new()),
    };
    let start = url.find("://").map_or(0, |i| i + 3);
    let server = match url[start..].find('/') {
        Some(slash) => &url[..start + slash],
        None => url,
    };
    format!("{server}/{database}{query}")
}

/// The peak resident memory of this process, in MB (Linux; 0 elsewhere).
pub fn peak_resident_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

/// Each participation stream of the workload as 45 single-event appends with their expected
/// versions, stream by stream.
fn single_event_appends(streams: usize, seed: u64) -> Vec<Vec<AppendRequest>> {
    let mut all = Vec::with_capacity(streams);
    for work in packages(streams, seed) {
        for request in work.participations {
            let stream = &request.streams[0];
            let appends = stream
                .events
                .iter()
                .enumerate()
                .map(|(i, event)| {
                    AppendRequest::new(
                        ids::derived_id(request.command_id, &format!("event-{i}")),
                        request.metadata.clone(),
                        vec![StreamAppend {
                            stream_id: stream.stream_id.clone(),
                            expected: ExpectedVersion::Exact(i as i64),
                            events: vec![event.clone()],
                        }],
                    )
                })
                .collect();
            all.push(appends);
        }
    }
    all
}

/// The raw table's rows: the participation streams' events, with their payloads as stored.
fn raw_rows(streams: usize, seed: u64) -> Vec<RawRow> {
    let mut rows = Vec::with_capacity(streams * 45);
    for work in packages(streams, seed) {
        for request in work.participations {
            let stream = &request.streams[0];
            for (i, event) in stream.events.iter().enumerate() {
                rows.push(RawRow {
                    stream_id: stream.stream_id.clone(),
                    version: i as i64 + 1,
                    payload: serde_json::to_vec(&event.payload).expect("a JSON value"),
                });
            }
        }
    }
    rows
}

/// Runs the suite; `stage` is told what is being measured as it starts.
pub async fn run(
    options: &SuiteOptions,
    stage: &(dyn Fn(&str) + Sync),
) -> Result<SuiteReport, BenchError> {
    if let Some(unknown) = options.only.iter().find(|only| {
        !super::WORKLOADS.split(", ").any(|name| name.eq_ignore_ascii_case(only.trim()))
    }) {
        return Err(BenchError::UnknownWorkload(unknown.clone()));
    }
    let started = Instant::now();
    let mut databases = Databases::new(options);
    let result = measure(options, &mut databases, stage).await;
    databases.remove().await;
    let (durability, raw, figures) = result?;
    Ok(SuiteReport {
        backend: options.backend.name(),
        streams: options.streams,
        events_per_stream: 45,
        durability,
        raw,
        figures,
        peak_resident_mb: peak_resident_mb(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

type Measured = (Vec<(String, String)>, RawLimit, Vec<Figure>);

/// What every workload is measured with: the run's options, its clock, the raw limit.
struct Run<'a> {
    options: &'a SuiteOptions,
    clock: Arc<SimulatedClock>,
    raw: RawLimit,
    /// Events in the participation streams: what W1-W3 write, timed.
    events: usize,
    config: Config,
    stage: &'a (dyn Fn(&str) + Sync),
}

impl Run<'_> {
    /// The read of the log's own table, measured once W3 has written it.
    fn log_table_read(&self) -> f64 {
        self.raw.log_table_read_rows_per_second.expect("measured right after W3")
    }
}

/// The raw figure the read-side workloads are judged against.
const LOG_TABLE_READ: &str = "log_table_read_rows_per_second";

fn rate(count: usize, took: Duration) -> f64 {
    count as f64 / took.as_secs_f64()
}

/// The words a workload measured with the tree's follower running beside it carries.
const WITH_TREE: &str = ", tree follower running";

async fn measure(
    options: &SuiteOptions,
    databases: &mut Databases,
    stage: &(dyn Fn(&str) + Sync),
) -> Result<Measured, BenchError> {
    let (streams, seed, writers) = (options.streams.max(1), options.seed, options.writers.max(1));
    let backend = options.backend;
    let clock = Arc::new(SimulatedClock::new(
        Timestamp::start_of_day(WORKLOAD_START - chrono::Days::new(30)).expect("a date"),
    ));

    // The raw limit.
    let url = databases.fresh("raw").await?;
    let rows = raw_rows(streams, seed);
    let writer_counts = (writers, options.load_writers.max(1));
    let raw =
        raw::measure(backend, &url, &rows, writer_counts, options.samples, seed, stage).await?;
    let events = rows.len();
    drop(rows);
    let config = Config { utc_offset_hours: options.zone.utc_offset_hours() };
    let mut run = Run { options, clock, raw, events, config, stage };
    let mut figures = Vec::new();

    let url = databases.fresh("w1").await?;
    let log = Store::open(&url, run.clock.clone()).await?;
    let durability = log.durability().await?;
    if options.wants("W1") {
        figures.push(w1(&run, &log, false).await?);
        log.close().await;
        let log = Store::open(&databases.fresh("w1tree").await?, run.clock.clone()).await?;
        figures.push(w1(&run, &log, true).await?);
        log.close().await;
    } else {
        log.close().await;
    }
    if options.wants("W2") {
        let log = Store::open(&databases.fresh("w2").await?, run.clock.clone()).await?;
        figures.push(w2(&run, &log, writers).await?);
        log.close().await;
        if writers != run.raw.server_load_writers {
            let log = Store::open(&databases.fresh("w2load").await?, run.clock.clone()).await?;
            figures.push(w2(&run, &log, run.raw.server_load_writers).await?);
            log.close().await;
        }
    }
    if options.wants("W1cmd") {
        let log = Store::open(&databases.fresh("w1cmd").await?, run.clock.clone()).await?;
        figures.push(w1cmd(&run, &log).await?);
        log.close().await;
    }
    if !["W3", "W4", "W5", "W6", "W7"].iter().any(|w| options.wants(w)) {
        return Ok((durability, run.raw, figures));
    }

    // W3 with the tree's follower first, on a log of its own; then W3 alone, whose log W4-W7
    // run on (its tree built from nothing by W7).
    let log = Store::open(&databases.fresh("w3tree").await?, run.clock.clone()).await?;
    figures.push(w3(&run, &log, true).await?);
    log.close().await;
    let url = databases.fresh("w3").await?;
    let log = Store::open(&url, run.clock.clone()).await?;
    figures.push(w3(&run, &log, false).await?);
    stage("raw: reading the log's own events table");
    run.raw.log_table_read_rows_per_second = Some(raw::read_log_table(backend, &url).await?);
    if options.wants("W4") {
        figures.extend(w4(&run, &log).await?);
    }
    if options.wants("W5") {
        figures.extend(w5(&run, &log).await?);
    }
    if options.wants("W7") {
        figures.extend(w7(&run, &log).await?);
    }
    if options.wants("W6") {
        figures.extend(w6(&run, &log).await?);
    }
    log.close().await;
    Ok((durability, run.raw, figures))
}

/// W1: one event per append, with its expected version, one writer; with the tree's follower
/// beside it when `with_tree`.
async fn w1(run: &Run<'_>, log: &Store, with_tree: bool) -> Result<Figure, BenchError> {
    let what = format!("one event per append, 1 writer{}", if with_tree { WITH_TREE } else { "" });
    (run.stage)(&format!("W1: {what}"));
    let appends = single_event_appends(run.options.streams.max(1), run.options.seed);
    let follower = with_tree.then(|| super::tree::TreeFollower::start(log));
    let began = Instant::now();
    for stream in appends {
        for request in stream {
            log.append(request).await?;
        }
    }
    let took = began.elapsed();
    if let Some(follower) = follower {
        follower.stop().await?;
    }
    Ok(Figure::new("W1", what, rate(run.events, took), "events/s").against(
        "single_rows_per_second",
        run.raw.single_rows_per_second,
        Some(Target::AtLeast(0.85)),
    ))
}

/// W2: one event per append, `writers` at once on distinct streams: group commit at work.
/// Judged against the raw inserts from as many connections: at least as fast at `--writers`
/// (8), half as fast again at a server's load (`--load-writers`, 64).
async fn w2(run: &Run<'_>, log: &Store, writers: usize) -> Result<Figure, BenchError> {
    (run.stage)(&format!("W2: one event per append, {writers} writers"));
    let mut shares: Vec<Vec<AppendRequest>> = (0..writers).map(|_| Vec::new()).collect();
    let appends = single_event_appends(run.options.streams.max(1), run.options.seed);
    for (i, stream) in appends.into_iter().enumerate() {
        shares[i % writers].extend(stream);
    }
    let transactions_before = log.metrics().transactions.load(std::sync::atomic::Ordering::Relaxed);
    let began = Instant::now();
    let tasks: Vec<_> = shares
        .into_iter()
        .map(|share| {
            let log = log.clone();
            tokio::spawn(async move {
                for request in share {
                    log.append(request).await?;
                }
                Ok::<(), BenchError>(())
            })
        })
        .collect();
    for task in tasks {
        task.await.map_err(|error| BenchError::Mismatch(error.to_string()))??;
    }
    let took = began.elapsed();
    let transactions =
        log.metrics().transactions.load(std::sync::atomic::Ordering::Relaxed) - transactions_before;
    let per_commit = run.events as f64 / transactions.max(1) as f64;
    let (raw, raw_value, target) = if writers == run.raw.server_load_writers {
        ("server_load_rows_per_second", run.raw.server_load_rows_per_second, 1.5)
    } else {
        ("concurrent_rows_per_second", run.raw.concurrent_rows_per_second, 1.0)
    };
    Ok(Figure::new(
        "W2",
        format!("one event per append, {writers} writers ({per_commit:.1} events per commit)"),
        rate(run.events, took),
        "events/s",
    )
    .against(raw, raw_value, Some(Target::AtLeast(target))))
}

/// W1cmd: one attendance command per call through the whole command path.
async fn w1cmd(run: &Run<'_>, log: &Store) -> Result<Figure, BenchError> {
    (run.stage)("W1cmd: one command per call through the command path, 1 writer");
    let (streams, seed) = (run.options.streams.max(1), run.options.seed);
    let (commands, took) = attendance_commands(log, &run.clock, streams, seed, run.options).await?;
    Ok(Figure::new(
        "W1cmd",
        "one command per call (load, decide, append), 1 writer",
        rate(commands, took),
        "commands/s",
    )
    .against(
        "single_rows_per_second",
        run.raw.single_rows_per_second,
        Some(Target::AtLeast(0.7)),
    ))
}

/// W3: one whole 45-event stream per append, one writer; packages and grants untimed; with
/// the tree's follower beside it when `with_tree`.
async fn w3(run: &Run<'_>, log: &Store, with_tree: bool) -> Result<Figure, BenchError> {
    let what = format!(
        "one 45-event stream per append, 1 writer{}",
        if with_tree { WITH_TREE } else { "" }
    );
    (run.stage)(&format!("W3: {what}"));
    let follower = with_tree.then(|| super::tree::TreeFollower::start(log));
    let mut took = Duration::ZERO;
    let mut events = 0;
    for work in packages(run.options.streams.max(1), run.options.seed) {
        run.clock.set(work.recorded_at());
        log.append(work.package).await?;
        let began = Instant::now();
        for request in work.participations {
            events += request.streams[0].events.len();
            log.append(request).await?;
        }
        took += began.elapsed();
        for request in work.grants {
            log.append(request).await?;
        }
    }
    if let Some(follower) = follower {
        follower.stop().await?;
    }
    Ok(Figure::new("W3", what, rate(events, took), "events/s").against(
        "multi_rows_per_second",
        run.raw.multi_rows_per_second,
        Some(Target::AtLeast(0.5)),
    ))
}

/// The number of events in `log`.
async fn log_events(log: &Store) -> Result<usize, BenchError> {
    Ok(usize::try_from(log.head().await?.position).unwrap_or(0))
}

/// W4: the whole log replayed through every projection in memory; a full rebuild into SQL.
async fn w4(run: &Run<'_>, log: &Store) -> Result<Vec<Figure>, BenchError> {
    (run.stage)("W4: replay of the whole log through every projection, in memory");
    let head = log.head().await?.position;
    let began = Instant::now();
    let mut replays: Vec<Replay> =
        projections::projection::all().into_iter().map(|p| Replay::new(p, run.config)).collect();
    let mut pages = log.pages(1, head, events::limits::PAGE_EVENTS_MAX);
    while let Some(page) = pages.next().await {
        for event in &page? {
            let fact = events::state::Fact::from_recorded(event);
            for replay in &mut replays {
                match &fact {
                    Ok(fact) => replay.apply_fact(fact),
                    Err(_) => replay.apply(event),
                }
            }
        }
    }
    let replayed = began.elapsed();
    std::hint::black_box(&replays);
    drop(replays);
    (run.stage)("W4: full rebuild of every projection into SQL");
    let projector = Projector::new(log.clone(), run.config);
    let began = Instant::now();
    projector.rebuild_all(&projections::projection::all(), None, &mut |_| {}).await?;
    let rebuilt = began.elapsed();
    let (events, read) = (log_events(log).await?, run.log_table_read());
    Ok(vec![
        Figure::new(
            "W4",
            "replay through every projection, in memory",
            rate(events, replayed),
            "events/s",
        )
        .against(LOG_TABLE_READ, read, Some(Target::AtLeast(0.8))),
        Figure::new(
            "W4",
            "full rebuild of every projection into SQL",
            rate(events, rebuilt),
            "events/s",
        )
        .against(LOG_TABLE_READ, read, Some(Target::AtLeast(0.5))),
    ])
}

/// W5: one stream by id, over random participation streams.
async fn w5(run: &Run<'_>, log: &Store) -> Result<Vec<Figure>, BenchError> {
    (run.stage)("W5: loading single streams");
    let ids: Vec<String> = packages(run.options.streams.max(1), run.options.seed)
        .flat_map(|work| work.participations.into_iter().map(|r| r.streams[0].stream_id.clone()))
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(run.options.seed ^ 0x5717);
    let mut micros = Vec::with_capacity(run.options.samples);
    for _ in 0..run.options.samples {
        let id = ids.choose(&mut rng).expect("a stream");
        let began = Instant::now();
        let read = log.read_stream(id, 0, 100).await?;
        micros.push(began.elapsed().as_secs_f64() * 1e6);
        if read.len() != 45 {
            return Err(BenchError::Mismatch(format!("{id} has {} events, not 45", read.len())));
        }
    }
    let (p50, p99) = raw::percentiles(&mut micros);
    Ok(vec![
        Figure::new("W5", "load one stream, p50", p50, "µs").against(
            "stream_read_p50_micros",
            run.raw.stream_read_p50_micros,
            None,
        ),
        Figure::new("W5", "load one stream, p99", p99, "µs").against(
            "stream_read_p99_micros",
            run.raw.stream_read_p99_micros,
            Some(Target::AtMost(1.5)),
        ),
    ])
}

/// W7: the tree's follower catching up with the whole log from nothing (what an import or a
/// first start costs it), then inclusion and consistency proofs over random events and sizes.
async fn w7(run: &Run<'_>, log: &Store) -> Result<Vec<Figure>, BenchError> {
    (run.stage)("W7: the Merkle tree built over the whole log, then proofs");
    let (covered, took) = super::tree::catch_up(log).await?;
    let samples = run.options.samples.max(1);
    let proofs = super::tree::proof_timings(log, samples, run.options.seed).await?;
    let size = proofs.tree_size;
    let proof = |what: &str, ms: f64| {
        Figure::new("W7", format!("{what}, tree of {size}"), ms, "ms").under(10.0)
    };
    Ok(vec![
        Figure::new(
            "W7",
            format!("tree built from nothing over {covered} of {size} events"),
            rate(covered as usize, took),
            "events/s",
        )
        .against(LOG_TABLE_READ, run.log_table_read(), None),
        proof("inclusion proof p50", proofs.inclusion_p50_ms),
        proof("inclusion proof p99", proofs.inclusion_p99_ms),
        proof("consistency proof p50", proofs.consistency_p50_ms),
        proof("consistency proof p99", proofs.consistency_p99_ms),
    ])
}

/// W6: verify the whole chain and tree; as-of reports over the whole log and one facility.
async fn w6(run: &Run<'_>, log: &Store) -> Result<Vec<Figure>, BenchError> {
    (run.stage)("W6: verifying the whole log");
    let began = Instant::now();
    let verified = crate::verify::verify_log(log, |_| {}).await?;
    let took = began.elapsed();
    if !verified.is_intact() {
        return Err(BenchError::Mismatch("the workload's chain does not verify".to_owned()));
    }
    let mut figures = vec![
        Figure::new(
            "W6",
            "verify the whole chain and tree",
            rate(log_events(log).await?, took),
            "events/s",
        )
        .against(LOG_TABLE_READ, run.log_table_read(), Some(Target::AtLeast(0.8))),
    ];
    (run.stage)("W6: as-of reports over the whole log");
    let history = History::new(log.clone(), run.config);
    let head = log.head().await?;
    let last = head.recorded_at.map_or(WORKLOAD_START, Timestamp::date);
    let enrolment = crate::bench::first_view("programme");
    let programme = projections::projection::named("programme").expect("the programme projection");
    // The whole log, and the facility of the first package: a facility officer's question.
    let one_facility = crate::bench::facility(0, run.options.streams.max(1));
    let asked = [
        (Options::default(), "whole log".to_owned()),
        (Options { facility: Some(one_facility.clone()), ..Options::default() }, one_facility),
    ];
    for (report_options, about) in asked {
        let began = Instant::now();
        history.ensure_snapshots(programme, &programme.scope(&report_options)).await?;
        let snapshots = began.elapsed().as_secs_f64();
        let began = Instant::now();
        let moment = Moment { as_of: Some(last), known_at: None };
        let report =
            crate::reports::build_as_of(&history, enrolment, &report_options, moment).await?;
        std::hint::black_box(report);
        let took = began.elapsed().as_secs_f64() * 1000.0;
        let what = format!("as-of enrolment on {last}, {about} (snapshots {snapshots:.1} s)");
        let figure = Figure::new("W6", what, took, "ms");
        figures.push(if report_options.facility.is_none() { figure.under(1000.0) } else { figure });
    }
    Ok(figures)
}

/// Writes the packages and each participation up to its start (untimed), then records every
/// attendance mark as its own command through the command loop, in date order, the clock on
/// the session's day. Returns the commands carried out and the time they took.
async fn attendance_commands(
    log: &Store,
    clock: &Arc<SimulatedClock>,
    streams: usize,
    seed: u64,
    options: &SuiteOptions,
) -> Result<(usize, Duration), BenchError> {
    let mut marks: Vec<(NaiveDate, uuid::Uuid, uuid::Uuid)> = Vec::new();
    for work in packages(streams, seed) {
        log.append(work.package).await?;
        for request in work.participations {
            let stream = &request.streams[0];
            // Nominated, approved, accepted, started: the participation is active.
            let opening = AppendRequest::new(
                request.command_id,
                request.metadata.clone(),
                vec![StreamAppend {
                    stream_id: stream.stream_id.clone(),
                    expected: ExpectedVersion::NO_STREAM,
                    events: stream.events[..4].to_vec(),
                }],
            );
            log.append(opening).await?;
            let participation_id = stream
                .stream_id
                .strip_prefix("participation-")
                .and_then(|id| uuid::Uuid::parse_str(id).ok())
                .ok_or_else(|| BenchError::Mismatch(stream.stream_id.clone()))?;
            for (session_id, date) in &work.sessions {
                marks.push((*date, participation_id, *session_id));
            }
        }
    }
    marks.sort_by_key(|(date, ..)| *date);
    let commands = CommandLoop::new(log.clone(), clock.clone(), options.zone);
    let issuer = Issuer {
        actor: "instruktur.bench".to_owned(),
        role: Role::Instruktur,
        organisation: "DISNAKERTRANS-TTS".to_owned(),
        source: Source::Api,
        correlation_id: None,
        causation_id: None,
    };
    let base = ids::derived_id(uuid::Uuid::from_u128(u128::from(seed)), "w1cmd");
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xc0de);
    let mut day = None;
    let began = Instant::now();
    for (n, (date, participation_id, session_id)) in marks.iter().enumerate() {
        if day != Some(*date) {
            // Noon on the session's day where the deployment is.
            let noon = Timestamp::start_of_day(*date)
                .expect("in range")
                .checked_add_micros((12 - options.zone.utc_offset_hours()) * 3_600_000_000)
                .expect("in range");
            clock.set(noon);
            day = Some(*date);
        }
        let code = if rng.random_bool(0.92) { AttendanceCode::Hadir } else { AttendanceCode::Izin };
        let envelope = CommandEnvelope {
            command_id: ids::derived_id(base, &n.to_string()),
            occurred_at: None,
            reason: None,
            document_ref: None,
            command: Command::RecordAttendance(RecordAttendance {
                participation_id: *participation_id,
                session_id: *session_id,
                code,
                minutes_late: None,
            }),
        };
        commands
            .execute(&envelope, &issuer)
            .await
            .map_err(|failure| BenchError::Mismatch(format!("an attendance command: {failure}")))?;
    }
    Ok((marks.len(), began.elapsed()))
}

/// The figures as a table for people.
pub fn table(report: &SuiteReport) -> String {
    let mut out = format!(
        "jejak bench: {} streams of {} events on {} ({:.0} s, peak {:.0} MB resident)\n",
        report.streams,
        report.events_per_stream,
        report.backend,
        report.seconds,
        report.peak_resident_mb
    );
    let settings: Vec<String> =
        report.durability.iter().map(|(name, value)| format!("{name}={value}")).collect();
    out.push_str(&format!("settings: {}\n\n", settings.join(", ")));
    out.push_str(&format!(
        "{:<6} {:<70} {:>12} {:<10} {:>12} {:>7} {:>8}\n",
        "", "WORKLOAD", "VALUE", "UNIT", "RAW", "RATIO", "TARGET"
    ));
    for figure in &report.figures {
        let target = match (figure.target, figure.met) {
            (Some(Target::AtLeast(least)), Some(met)) => format!("≥{least}× {}", mark(met)),
            (Some(Target::AtMost(most)), Some(met)) => format!("≤{most}× {}", mark(met)),
            (Some(Target::Under(ms)), Some(met)) => format!("<{ms:.0} {}", mark(met)),
            _ => String::new(),
        };
        // Small figures (a proof's milliseconds) with their decimals.
        let decimals = if figure.value < 100.0 { 2 } else { 0 };
        out.push_str(&format!(
            "{:<6} {:<70} {:>12.decimals$} {:<10} {:>12} {:>7} {:>8}\n",
            figure.workload,
            figure.what.chars().take(70).collect::<String>(),
            figure.value,
            figure.unit,
            figure.raw_value.map(|raw| format!("{raw:.0}")).unwrap_or_default(),
            figure.ratio.map(|ratio| format!("{ratio:.2}")).unwrap_or_default(),
            target
        ));
    }
    out
}

fn mark(met: bool) -> &'static str {
    if met { "ok" } else { "MISSED" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::PACKAGE_SIZE;

    #[test]
    fn a_database_name_replaces_the_servers_one() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "jejak_bench_w1"),
            "postgres://postgres@127.0.0.1:5432/jejak_bench_w1"
        );
        assert_eq!(
            with_database("postgres://u:p@db/x?sslmode=disable", "b"),
            "postgres://u:p@db/b?sslmode=disable"
        );
        assert_eq!(with_database("postgres://db", "b"), "postgres://db/b");
    }

    #[test]
    fn a_figure_is_judged_by_its_ratio_to_the_raw_limit() {
        let fast = Figure::new("W1", "x", 900.0, "events/s").against(
            "r",
            1000.0,
            Some(Target::AtLeast(0.85)),
        );
        assert_eq!((fast.ratio, fast.met), (Some(0.9), Some(true)));
        let slow =
            Figure::new("W5", "x", 200.0, "µs").against("r", 100.0, Some(Target::AtMost(1.5)));
        assert_eq!((slow.ratio, slow.met), (Some(2.0), Some(false)));
        assert_eq!(Figure::new("W6", "x", 1200.0, "ms").under(1000.0).met, Some(false));
    }

    #[test]
    fn the_single_event_appends_carry_each_streams_versions_in_order() {
        let appends = single_event_appends(PACKAGE_SIZE + 1, 7);
        assert_eq!(appends.len(), PACKAGE_SIZE + 1);
        for stream in &appends {
            assert_eq!(stream.len(), 45);
            for (i, request) in stream.iter().enumerate() {
                assert_eq!(request.streams[0].expected, ExpectedVersion::Exact(i as i64));
                assert_eq!(request.streams[0].events.len(), 1);
            }
        }
        assert_eq!(raw_rows(PACKAGE_SIZE + 1, 7).len(), (PACKAGE_SIZE + 1) * 45);
    }
}
