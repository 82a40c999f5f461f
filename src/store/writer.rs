//! The writer: one per process, the only code that appends.
//!
//! Callers send [`WriteJob`]s over a bounded channel and wait for their answer. The writer takes
//! one job, then every independent job already waiting (up to
//! [`limits::COMMANDS_PER_GROUP_COMMIT_MAX`] commands), and writes them in one transaction:
//! group commit. Under load the chain tip and the commit's fsync are paid once per batch.
//! Each caller still gets its own answer: its positions and hash, or its own conflict.
//!
//! The wait is bounded and only taken under load: when a batch would hold fewer jobs than the
//! last one, the callers just answered are most likely still building their next jobs, so the
//! writer lets them run a few times ([`GROUP_COMMIT_YIELDS_MAX`] on PostgreSQL's tokio task, at
//! most 100 µs on SQLite's thread) before it writes what it has. Without it, eight callers in a
//! loop split into batches of about five; with it, eight (docs/PERFORMANCE.md). A lone caller's
//! batch follows a batch of one and never waits.
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
    /// Jobs in the last batch: under load, about how many callers are writing at once.
    last_batch: usize,
}

/// How many times the writer lets the callers run before it writes a batch smaller than the
/// last one: the callers it has just answered are sending their next jobs.
const GROUP_COMMIT_YIELDS_MAX: usize = 8;

/// The longest the SQLite writer's thread waits for them, in the same case.
const GROUP_COMMIT_WAIT_MAX: std::time::Duration = std::time::Duration::from_micros(100);

impl Inbox {
    async fn next(&mut self) -> Next {
        let message = match self.held_back.take() {
            Some(message) => Some(message),
            None => self.receiver.recv().await,
        };
        let (mut jobs, mode) = match self.gather(message) {
            Next::Batch(jobs, mode) => (jobs, mode),
            other => return other,
        };
        let mut yields = 0;
        while yields < GROUP_COMMIT_YIELDS_MAX && self.waits_for_more(&jobs, mode) {
            tokio::task::yield_now().await;
            yields += 1;
            self.take_waiting(&mut jobs, mode);
        }
        self.last_batch = jobs.len();
        Next::Batch(jobs, mode)
    }

    /// The same as [`Inbox::next`], for the SQLite writer's own thread.
    fn blocking_next(&mut self) -> Next {
        let message = match self.held_back.take() {
            Some(message) => Some(message),
            None => self.receiver.blocking_recv(),
        };
        let (mut jobs, mode) = match self.gather(message) {
            Next::Batch(jobs, mode) => (jobs, mode),
            other => return other,
        };
        let began = std::time::Instant::now();
        while began.elapsed() < GROUP_COMMIT_WAIT_MAX && self.waits_for_more(&jobs, mode) {
            std::thread::yield_now();
            self.take_waiting(&mut jobs, mode);
        }
        self.last_batch = jobs.len();
        Next::Batch(jobs, mode)
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
        let mut jobs = vec![first];
        self.take_waiting(&mut jobs, mode);
        Next::Batch(jobs, mode)
    }

    /// Takes into an independent batch every independent write already waiting, up to the
    /// bound; another kind of message is held back for after the batch.
    fn take_waiting(&mut self, jobs: &mut Vec<WriteJob>, mode: BatchMode) {
        let mut commands: usize = jobs.iter().map(|job| job.requests.len()).sum();
        while mode == BatchMode::Independent
            && self.held_back.is_none()
            && commands < limits::COMMANDS_PER_GROUP_COMMIT_MAX
        {
            match self.receiver.try_recv() {
                Ok(WriterMessage::Write(job)) if job.mode == BatchMode::Independent => {
                    commands += job.requests.len();
                    jobs.push(job);
                }
                Ok(message) => self.held_back = Some(message),
                Err(_) => break,
            }
        }
    }

    /// Group commit's bounded wait: whether an independent batch smaller than the last one
    /// should wait for the callers that are still sending. A lone caller's batch (the last
    /// one held one job) never waits.
    fn waits_for_more(&self, jobs: &[WriteJob], mode: BatchMode) -> bool {
        mode == BatchMode::Independent
            && self.held_back.is_none()
            && jobs.len() < self.last_batch
            && jobs.iter().map(|job| job.requests.len()).sum::<usize>()
                < limits::COMMANDS_PER_GROUP_COMMIT_MAX
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
    let inbox = Inbox { receiver, held_back: None, last_batch: 1 };
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
                let mut tries = 0;
                let result = loop {
                    let result = on_postgres(&options, &mut connection, async |open| {
                        postgres::write_batch(open, clock, &requests, mode, metrics, &mut known_tip)
                            .await
                    })
                    .await;
                    match result {
                        Err(error) if error.is_connection_lost() && tries < LOST_RETRIES => {
                            // The batch may or may not have committed: written again under the
                            // lock, what did commit reads back as the first result of its
                            // command ids, and nothing is written twice.
                            tries += 1;
                            known_tip = None;
                            tracing::warn!(%error, tries, "the writer's connection was lost; writing the batch again");
                            tokio::time::sleep(LOST_BACKOFF * tries).await;
                        }
                        result => break result,
                    }
                };
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

/// How many times the PostgreSQL writer writes a batch again on a new connection after losing
/// one (a restart, a failover, a session ended by an administrator).
const LOST_RETRIES: u32 = 3;
/// The pause before each such try, times the number of the try: a restarting server gets a
/// moment to accept connections again.
const LOST_BACKOFF: std::time::Duration = std::time::Duration::from_millis(200);

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

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> (WriterMessage, oneshot::Receiver<Answer>) {
        let (reply, answer) = oneshot::channel();
        let job = WriteJob { requests: Vec::new(), mode: BatchMode::Independent, reply };
        (WriterMessage::Write(job), answer)
    }

    fn batch_size(next: Next) -> usize {
        match next {
            Next::Batch(jobs, _) => jobs.len(),
            _ => panic!("expected a batch"),
        }
    }

    /// On one thread, spawned tasks run only when the writer lets them: whether they are in the
    /// batch says whether it waited.
    #[tokio::test(flavor = "current_thread")]
    async fn a_batch_smaller_than_the_last_waits_for_the_callers_still_sending() {
        let (sender, receiver) = mpsc::channel(WRITE_QUEUE_MAX);
        let mut inbox = Inbox { receiver, held_back: None, last_batch: 8 };
        let mut answers = Vec::new();
        let (first, answer) = job();
        sender.send(first).await.unwrap();
        answers.push(answer);
        for _ in 0..7 {
            let (message, answer) = job();
            answers.push(answer);
            let sender = sender.clone();
            tokio::spawn(async move { sender.send(message).await.map_err(|_| ()) });
        }
        assert_eq!(batch_size(inbox.next().await), 8);
        assert_eq!(inbox.last_batch, 8);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_lone_callers_batch_is_written_at_once() {
        let (sender, receiver) = mpsc::channel(WRITE_QUEUE_MAX);
        let mut inbox = Inbox { receiver, held_back: None, last_batch: 1 };
        let (first, _first_answer) = job();
        sender.send(first).await.unwrap();
        let (second, _second_answer) = job();
        let late = tokio::spawn(async move { sender.send(second).await.map_err(|_| ()) });
        assert_eq!(batch_size(inbox.next().await), 1);
        late.await.unwrap().unwrap();
        assert_eq!(batch_size(inbox.next().await), 1, "the second job is a batch of its own");
    }

    #[test]
    fn the_sqlite_writer_takes_every_job_waiting_then_goes_with_what_it_has() {
        let (sender, receiver) = mpsc::channel(WRITE_QUEUE_MAX);
        let mut inbox = Inbox { receiver, held_back: None, last_batch: 8 };
        let mut answers = Vec::new();
        for _ in 0..5 {
            let (message, answer) = job();
            sender.try_send(message).map_err(|_| ()).unwrap();
            answers.push(answer);
        }
        // Three callers of the last batch never send again: the batch goes with five.
        assert_eq!(batch_size(inbox.blocking_next()), 5);
        assert_eq!(inbox.last_batch, 5);
    }
}
