//! The writer task: one per process, the only code that appends.
//!
//! Callers send [`WriteJob`]s over a bounded channel and wait for their answer. The task takes
//! one job, then every independent job already waiting (up to
//! [`limits::COMMANDS_PER_GROUP_COMMIT_MAX`] commands), and writes them in one transaction:
//! group commit. It never waits for more jobs to arrive, so a lone writer pays nothing for the
//! batching, and under load the chain-tip lock and the commit's fsync are paid once per batch.
//! Each caller still gets its own answer: its positions and hash, or its own conflict.
//!
//! Because the transaction runs in this task, a caller that gives up waiting cannot leave a
//! transaction half done: the batch commits or rolls back as a whole either way.

use std::sync::Arc;

use events::{AppendRequest, limits};
use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, PgConnection, SqliteConnection};
use tokio::sync::{mpsc, oneshot, watch};

use super::plan::{BatchMode, Plan};
use super::{AppendError, AppendOutcome, StoreError, StoreMetrics, postgres, sqlite};
use crate::clock::Clock;

/// Jobs that may wait for the writer before senders are held back.
pub const WRITE_QUEUE_MAX: usize = 1_024;

type Answer = Result<Vec<Result<AppendOutcome, AppendError>>, StoreError>;

/// What the writer task is asked to do.
pub(crate) enum WriterMessage {
    Write(WriteJob),
    /// Finish the jobs already taken, close the connection and stop.
    Close(oneshot::Sender<()>),
}

/// Requests to append, and where to send their answer.
pub(crate) struct WriteJob {
    pub(crate) requests: Vec<AppendRequest>,
    pub(crate) mode: BatchMode,
    pub(crate) reply: oneshot::Sender<Answer>,
}

/// The writer's own connection, opened on first use and again after a failure.
pub(crate) enum WriterConnection {
    Sqlite { options: SqliteConnectOptions, connection: Option<SqliteConnection> },
    Postgres { options: PgConnectOptions, connection: Option<PgConnection> },
}

impl WriterConnection {
    pub(crate) fn sqlite(options: SqliteConnectOptions) -> WriterConnection {
        WriterConnection::Sqlite { options, connection: None }
    }

    pub(crate) fn postgres(options: PgConnectOptions) -> WriterConnection {
        WriterConnection::Postgres { options, connection: None }
    }

    async fn write(
        &mut self,
        clock: &dyn Clock,
        requests: &[AppendRequest],
        mode: BatchMode,
        metrics: &StoreMetrics,
    ) -> Result<Plan, StoreError> {
        let result = match self {
            WriterConnection::Sqlite { options, connection } => {
                if connection.is_none() {
                    *connection = Some(SqliteConnection::connect_with(options).await?);
                }
                let open = connection.as_mut().expect("connected above");
                let result = sqlite::write_batch(open, clock, requests, mode, metrics).await;
                if result.is_err() {
                    *connection = None;
                }
                result
            }
            WriterConnection::Postgres { options, connection } => {
                if connection.is_none() {
                    *connection = Some(PgConnection::connect_with(options).await?);
                }
                let open = connection.as_mut().expect("connected above");
                let result = postgres::write_batch(open, clock, requests, mode, metrics).await;
                if result.is_err() {
                    *connection = None;
                }
                result
            }
        };
        if let Err(error) = &result {
            tracing::warn!(%error, commands = requests.len(), "append batch failed; nothing written");
        }
        result
    }

    async fn close(self) {
        let closed = match self {
            WriterConnection::Sqlite { connection: Some(connection), .. } => {
                connection.close().await
            }
            WriterConnection::Postgres { connection: Some(connection), .. } => {
                connection.close().await
            }
            _ => Ok(()),
        };
        if let Err(error) = closed {
            tracing::warn!(%error, "closing the writer's connection failed");
        }
    }
}

pub(crate) fn spawn(
    connection: WriterConnection,
    clock: Arc<dyn Clock>,
    committed: watch::Sender<i64>,
    metrics: Arc<StoreMetrics>,
) -> mpsc::Sender<WriterMessage> {
    let (sender, receiver) = mpsc::channel(WRITE_QUEUE_MAX);
    tokio::spawn(run(connection, clock, receiver, committed, metrics));
    sender
}

async fn run(
    mut connection: WriterConnection,
    clock: Arc<dyn Clock>,
    mut receiver: mpsc::Receiver<WriterMessage>,
    committed: watch::Sender<i64>,
    metrics: Arc<StoreMetrics>,
) {
    let mut held_back: Option<WriterMessage> = None;
    loop {
        let message = match held_back.take() {
            Some(message) => Some(message),
            None => receiver.recv().await,
        };
        let first = match message {
            Some(WriterMessage::Write(job)) => job,
            Some(WriterMessage::Close(done)) => {
                connection.close().await;
                let _ = done.send(());
                return;
            }
            None => return connection.close().await,
        };
        let mode = first.mode;
        let mut jobs = vec![first];
        let mut commands = jobs[0].requests.len();
        while mode == BatchMode::Independent && commands < limits::COMMANDS_PER_GROUP_COMMIT_MAX {
            match receiver.try_recv() {
                Ok(WriterMessage::Write(job)) if job.mode == BatchMode::Independent => {
                    commands += job.requests.len();
                    jobs.push(job);
                }
                Ok(message) => {
                    held_back = Some(message);
                    break;
                }
                Err(_) => break,
            }
        }
        write_jobs(&mut connection, clock.as_ref(), jobs, mode, &committed, &metrics).await;
    }
}

async fn write_jobs(
    connection: &mut WriterConnection,
    clock: &dyn Clock,
    mut jobs: Vec<WriteJob>,
    mode: BatchMode,
    committed: &watch::Sender<i64>,
    metrics: &StoreMetrics,
) {
    use std::sync::atomic::Ordering::Relaxed;
    let counts: Vec<usize> = jobs.iter().map(|job| job.requests.len()).collect();
    let requests: Vec<AppendRequest> =
        jobs.iter_mut().flat_map(|job| std::mem::take(&mut job.requests)).collect();
    let mut results = match connection.write(clock, &requests, mode, metrics).await {
        Ok(plan) => {
            metrics.transactions.fetch_add(1, Relaxed);
            metrics.events.fetch_add(plan.events.len() as u64, Relaxed);
            let conflicts = plan
                .results
                .iter()
                .filter(|result| matches!(result, Err(AppendError::Conflict { .. })))
                .count();
            metrics.conflicts.fetch_add(conflicts as u64, Relaxed);
            if !plan.events.is_empty() {
                committed.send_replace(plan.tip.position);
                tracing::debug!(
                    commands = requests.len(),
                    events = plan.events.len(),
                    head = plan.tip.position,
                    "appended"
                );
            }
            plan.results.into_iter()
        }
        Err(error) => {
            metrics.failed_transactions.fetch_add(1, Relaxed);
            for job in jobs {
                let _ = job.reply.send(Err(error.clone()));
            }
            return;
        }
    };
    for (job, count) in jobs.into_iter().zip(counts) {
        let answer: Vec<_> = results.by_ref().take(count).collect();
        // A caller that stopped waiting finds its command in the log when it retries.
        let _ = job.reply.send(Ok(answer));
    }
}
