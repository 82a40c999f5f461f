//! The writer: one per process, the only code that appends.
//!
//! Callers send [`WriteJob`]s over a bounded channel and wait for their answer. The writer takes
//! one job, then every independent job already waiting (up to
//! [`limits::COMMANDS_PER_GROUP_COMMIT_MAX`] commands), and writes them in one transaction:
//! group commit. It never waits for more jobs to arrive, so a lone writer pays nothing for the
//! batching, and under load the chain-tip lock and the commit's fsync are paid once per batch.
//! Each caller still gets its own answer: its positions and hash, or its own conflict.
//!
//! On PostgreSQL the writer is a tokio task with its own connection. On SQLite it is a thread
//! of its own that holds the connection and runs the whole transaction itself (rusqlite): the
//! pool's driver hands every statement to a worker thread and back, and an append is several
//! statements, so the thread switches cost more than the commit did (docs/PERFORMANCE.md). A
//! batch costs one hand-off there: the job in, the answers out.
//!
//! Because the transaction runs in the writer, a caller that gives up waiting cannot leave a
//! transaction half done: the batch commits or rolls back as a whole either way.

use std::sync::Arc;

use events::{AppendRequest, RecordedEvent, limits};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use tokio::sync::{mpsc, oneshot, watch};
use uuid::Uuid;

use super::plan::{BatchMode, Plan, StoredCommand};
use super::{AppendError, AppendOutcome, StoreError, StoreMetrics, postgres, sqlite};
use crate::clock::Clock;

/// Jobs that may wait for the writer before senders are held back.
pub const WRITE_QUEUE_MAX: usize = 1_024;

type Answer = Result<Vec<Result<AppendOutcome, AppendError>>, StoreError>;

/// What the writer is asked to do.
pub(crate) enum WriterMessage {
    Write(WriteJob),
    /// Events copied from another log, written as they are (`Store::append_verbatim`).
    Verbatim(VerbatimJob),
    /// Finish the jobs already taken, close the connection and stop.
    Close(oneshot::Sender<()>),
}

/// Requests to append, and where to send their answer.
pub(crate) struct WriteJob {
    pub(crate) requests: Vec<AppendRequest>,
    pub(crate) mode: BatchMode,
    pub(crate) reply: oneshot::Sender<Answer>,
}

/// Events and command records to write exactly as they are, right after the head.
pub(crate) struct VerbatimJob {
    pub(crate) events: Vec<RecordedEvent>,
    pub(crate) commands: Vec<(Uuid, StoredCommand)>,
    pub(crate) reply: oneshot::Sender<Result<(), AppendError>>,
}

/// Where the writer connects to.
pub(crate) enum WriterTarget {
    Sqlite(std::path::PathBuf),
    Postgres(Box<PgConnectOptions>),
}

/// What the writer does next, as its inbox says.
enum Next {
    Batch(Vec<WriteJob>, BatchMode),
    Verbatim(VerbatimJob),
    Close(Option<oneshot::Sender<()>>),
}

/// The writer's end of the channel, with the one message a batch could not take.
struct Inbox {
    receiver: mpsc::Receiver<WriterMessage>,
    held_back: Option<WriterMessage>,
}

impl Inbox {
    async fn next(&mut self) -> Next {
        let message = match self.held_back.take() {
            Some(message) => Some(message),
            None => self.receiver.recv().await,
        };
        self.gather(message)
    }

    /// The same as [`Inbox::next`], for the SQLite writer's own thread.
    fn blocking_next(&mut self) -> Next {
        let message = match self.held_back.take() {
            Some(message) => Some(message),
            None => self.receiver.blocking_recv(),
        };
        self.gather(message)
    }

    /// `message`, and when it is an independent write every independent write already waiting.
    fn gather(&mut self, message: Option<WriterMessage>) -> Next {
        let first = match message {
            Some(WriterMessage::Write(job)) => job,
            Some(WriterMessage::Verbatim(job)) => return Next::Verbatim(job),
            Some(WriterMessage::Close(done)) => return Next::Close(Some(done)),
            None => return Next::Close(None),
        };
        let mode = first.mode;
        let mut commands = first.requests.len();
        let mut jobs = vec![first];
        while mode == BatchMode::Independent && commands < limits::COMMANDS_PER_GROUP_COMMIT_MAX {
            match self.receiver.try_recv() {
                Ok(WriterMessage::Write(job)) if job.mode == BatchMode::Independent => {
                    commands += job.requests.len();
                    jobs.push(job);
                }
                Ok(message) => {
                    self.held_back = Some(message);
                    break;
                }
                Err(_) => break,
            }
        }
        Next::Batch(jobs, mode)
    }
}

/// What the writer shares with the store.
struct Shared {
    clock: Arc<dyn Clock>,
    committed: watch::Sender<i64>,
    metrics: Arc<StoreMetrics>,
}

pub(crate) fn spawn(
    target: WriterTarget,
    clock: Arc<dyn Clock>,
    committed: watch::Sender<i64>,
    metrics: Arc<StoreMetrics>,
) -> Result<mpsc::Sender<WriterMessage>, StoreError> {
    let (sender, receiver) = mpsc::channel(WRITE_QUEUE_MAX);
    let inbox = Inbox { receiver, held_back: None };
    let shared = Shared { clock, committed, metrics };
    match target {
        WriterTarget::Sqlite(path) => {
            std::thread::Builder::new()
                .name("jejak-sqlite-writer".to_owned())
                .spawn(move || run_sqlite(path, inbox, shared))
                .map_err(|error| StoreError::WriterStart(error.to_string()))?;
        }
        WriterTarget::Postgres(options) => {
            tokio::spawn(run_postgres(*options, inbox, shared));
        }
    }
    Ok(sender)
}

fn run_sqlite(path: std::path::PathBuf, mut inbox: Inbox, shared: Shared) {
    let mut connection: Option<rusqlite::Connection> = None;
    loop {
        match inbox.blocking_next() {
            Next::Batch(mut jobs, mode) => {
                let (requests, counts) = take_requests(&mut jobs);
                let result = on_sqlite(&path, &mut connection, |open| {
                    sqlite::write_batch(
                        open,
                        shared.clock.as_ref(),
                        &requests,
                        mode,
                        &shared.metrics,
                    )
                });
                answer(jobs, counts, result, &shared);
            }
            Next::Verbatim(job) => {
                let result = on_sqlite(&path, &mut connection, |open| {
                    sqlite::write_verbatim(open, &job.events, &job.commands)
                });
                answer_verbatim(job, result, &shared);
            }
            Next::Close(done) => {
                if let Some(open) = connection.take()
                    && let Err((_, error)) = open.close()
                {
                    tracing::warn!(%error, "closing the writer's connection failed");
                }
                if let Some(done) = done {
                    let _ = done.send(());
                }
                return;
            }
        }
    }
}

/// Runs `write` on the SQLite writer's connection, opened first when there is none. A failure
/// drops the connection (its transaction rolls back), so the next job starts on a new one.
fn on_sqlite<T, E: From<StoreError>>(
    path: &std::path::Path,
    connection: &mut Option<rusqlite::Connection>,
    write: impl FnOnce(&mut rusqlite::Connection) -> Result<T, E>,
) -> Result<T, E> {
    let open = match connection {
        Some(open) => open,
        None => connection.insert(sqlite::open_writer(path)?),
    };
    let result = write(open);
    if result.is_err() {
        *connection = None;
    }
    result
}

async fn run_postgres(options: PgConnectOptions, mut inbox: Inbox, shared: Shared) {
    let mut connection: Option<PgConnection> = None;
    // The tip this writer last committed: the next batch is laid on it (postgres.rs).
    let mut known_tip = None;
    loop {
        match inbox.next().await {
            Next::Batch(mut jobs, mode) => {
                let (requests, counts) = take_requests(&mut jobs);
                let (clock, metrics) = (shared.clock.as_ref(), &shared.metrics);
                let result = on_postgres(&options, &mut connection, async |open| {
                    postgres::write_batch(open, clock, &requests, mode, metrics, &mut known_tip)
                        .await
                })
                .await;
                answer(jobs, counts, result, &shared);
            }
            Next::Verbatim(job) => {
                known_tip = None;
                let result = on_postgres(&options, &mut connection, async |open| {
                    postgres::write_verbatim(open, &job.events, &job.commands).await
                })
                .await;
                answer_verbatim(job, result, &shared);
            }
            Next::Close(done) => {
                if let Some(open) = connection.take()
                    && let Err(error) = open.close().await
                {
                    tracing::warn!(%error, "closing the writer's connection failed");
                }
                if let Some(done) = done {
                    let _ = done.send(());
                }
                return;
            }
        }
    }
}

/// The same as [`on_sqlite`], for the PostgreSQL writer's connection.
async fn on_postgres<T, E: From<StoreError>>(
    options: &PgConnectOptions,
    connection: &mut Option<PgConnection>,
    write: impl AsyncFnOnce(&mut PgConnection) -> Result<T, E>,
) -> Result<T, E> {
    let open = match connection {
        Some(open) => open,
        None => {
            let connected = PgConnection::connect_with(options).await.map_err(StoreError::from)?;
            connection.insert(connected)
        }
    };
    let result = write(open).await;
    if result.is_err() {
        *connection = None;
    }
    result
}

/// The requests of a batch's jobs, in order, and how many each job sent.
fn take_requests(jobs: &mut [WriteJob]) -> (Vec<AppendRequest>, Vec<usize>) {
    let counts = jobs.iter().map(|job| job.requests.len()).collect();
    let requests = jobs.iter_mut().flat_map(|job| std::mem::take(&mut job.requests)).collect();
    (requests, counts)
}

fn answer_verbatim(job: VerbatimJob, result: Result<(), AppendError>, shared: &Shared) {
    if result.is_ok()
        && let Some(last) = job.events.last()
    {
        shared.committed.send_replace(last.position);
    }
    let _ = job.reply.send(result);
}

/// Counts what a batch did and gives every job its own answers.
fn answer(
    jobs: Vec<WriteJob>,
    counts: Vec<usize>,
    result: Result<Plan, StoreError>,
    shared: &Shared,
) {
    use std::sync::atomic::Ordering::Relaxed;
    let metrics = &shared.metrics;
    let plan = match result {
        Ok(plan) => plan,
        Err(error) => {
            let commands: usize = counts.iter().sum();
            tracing::warn!(%error, commands, "append batch failed; nothing written");
            metrics.failed_transactions.fetch_add(1, Relaxed);
            for job in jobs {
                let _ = job.reply.send(Err(error.clone()));
            }
            return;
        }
    };
    metrics.transactions.fetch_add(1, Relaxed);
    metrics.events.fetch_add(plan.events.len() as u64, Relaxed);
    let conflicts = plan
        .results
        .iter()
        .filter(|result| matches!(result, Err(AppendError::Conflict { .. })))
        .count();
    metrics.conflicts.fetch_add(conflicts as u64, Relaxed);
    if !plan.events.is_empty() {
        shared.committed.send_replace(plan.tip.position);
        tracing::debug!(
            commands = plan.results.len(),
            events = plan.events.len(),
            head = plan.tip.position,
            "appended"
        );
    }
    let mut results = plan.results.into_iter();
    for (job, count) in jobs.into_iter().zip(counts) {
        let answer: Vec<_> = results.by_ref().take(count).collect();
        // A caller that stopped waiting finds its command in the log when it retries.
        let _ = job.reply.send(Ok(answer));
    }
}
