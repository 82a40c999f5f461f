//! The event store: an append-only, hash-chained log on SQLite or PostgreSQL.
//!
//! One [`Store`] value serves a process. Reads go through a connection pool. Appends go to one
//! writer task per process, which owns a dedicated connection and gathers the appends that
//! arrive while it is busy into one transaction (group commit). Inside that transaction it takes
//! the chain-tip lock (`BEGIN IMMEDIATE` on SQLite, a row lock on `log_head` on PostgreSQL),
//! reads the tip and the streams' versions, lays the batch out with the pure [`plan`] and
//! inserts it. Positions are therefore assigned under the lock, in commit order, without gaps,
//! and a reader never sees position `n + 1` before `n`.

mod plan;
mod postgres;
mod postgres_reader;
mod sqlite;
mod subscription;
mod writer;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use events::chain::EncodedPage;
use events::{AppendRequest, ExpectedVersion, InputError, RecordedEvent, Timestamp, limits};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot, watch};
use uuid::Uuid;

use crate::clock::Clock;
/// The SQLite connection settings of the log (WAL, `synchronous=FULL`), for the bench's raw
/// limit.
pub(crate) use sqlite::connect_options as sqlite_connect_options;
pub use subscription::Subscription;
pub use writer::WRITE_QUEUE_MAX;

use plan::BatchMode;

/// What one append got: where its events went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendOutcome {
    pub command_id: Uuid,
    pub first_position: i64,
    pub last_position: i64,
    pub recorded_at: Timestamp,
    /// The hash of the command's last event: the chain head right after it.
    pub last_hash: String,
    pub streams: Vec<StreamOutcome>,
    /// The answer the command loop gave, kept so a retry gets the same one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<serde_json::Value>,
    /// True when this command was already in the log and nothing new was written.
    #[serde(skip)]
    pub duplicate: bool,
}

/// The versions one append gave to one stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamOutcome {
    pub stream_id: String,
    pub first_version: i64,
    pub last_version: i64,
}

/// The last event of the log: position 0 and the genesis hash when it is empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Head {
    pub position: i64,
    pub hash: String,
    pub recorded_at: Option<Timestamp>,
}

impl Head {
    /// The head of an empty log.
    pub fn genesis() -> Head {
        Head { position: 0, hash: events::chain::GENESIS_HASH.to_owned(), recorded_at: None }
    }
}

/// A command's record as the log keeps it: for copying a log between databases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandRecord {
    pub command_id: Uuid,
    pub request_digest: String,
    pub outcome: AppendOutcome,
}

/// A session of the database waiting for a lock another session holds: how writers stall.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stall {
    pub waiting_pid: i32,
    pub waiting_application: String,
    pub waiting_seconds: f64,
    pub blocking_pid: i32,
    pub blocking_application: String,
    /// `active`, `idle in transaction`, ...
    pub blocking_state: String,
    /// How long the blocking session's transaction has been open.
    pub blocking_transaction_seconds: f64,
    /// The blocking session's last statement, shortened.
    pub blocking_query: String,
}

/// A failure of the store itself, not of the request.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(Arc<sqlx::Error>),
    /// From the SQLite writer's own connection (rusqlite, see `writer.rs`).
    #[error("database error: {0}")]
    Sqlite(Arc<rusqlite::Error>),
    #[error("could not apply migrations: {0}")]
    Migration(Arc<sqlx::migrate::MigrateError>),
    #[error("the stored event at position {position} cannot be read: {detail}")]
    Corrupt { position: i64, detail: String },
    #[error("`{url}` is not a database URL: use sqlite://FILE or postgres://…")]
    UnsupportedUrl { url: String },
    #[error("{what} is {value}; it must be between {min} and {max}")]
    OutOfRange { what: &'static str, value: i64, min: i64, max: i64 },
    #[error("the store's writer has stopped")]
    WriterStopped,
    #[error("the store's writer could not start: {0}")]
    WriterStart(String),
    #[error("a read of the log failed: {0}")]
    Reader(String),
}

impl StoreError {
    /// The database was busy or locked past its wait (SQLite's busy timeout, PostgreSQL's
    /// `lock_timeout`): nothing was written and the same call may succeed later.
    pub fn is_busy(&self) -> bool {
        match self {
            StoreError::Database(error) => {
                let sqlx::Error::Database(error) = &**error else { return false };
                let Some(code) = error.code() else { return false };
                // PostgreSQL's lock_not_available; SQLite's BUSY and LOCKED with every extended
                // code (a snapshot another process moved the WAL under is BUSY_SNAPSHOT), and
                // PROTOCOL, which a reader meets when a checkpoint truncates the WAL under it.
                code == "55P03"
                    || code.parse::<i32>().is_ok_and(|code| matches!(code & 0xff, 5 | 6 | 15))
            }
            StoreError::Sqlite(error) => matches!(
                error.sqlite_error_code(),
                Some(
                    rusqlite::ErrorCode::DatabaseBusy
                        | rusqlite::ErrorCode::DatabaseLocked
                        | rusqlite::ErrorCode::FileLockingProtocolFailed
                )
            ),
            _ => false,
        }
    }

    /// A busy condition that waiting does not cure but running the same call again at once
    /// may: a read snapshot another process moved the WAL under (SQLite's BUSY_SNAPSHOT), the
    /// WAL reset as a reader opened it (PROTOCOL), a database in recovery (BUSY_RECOVERY). A
    /// `jejak forget` in another process, which truncates the WAL, causes them.
    pub fn is_momentary(&self) -> bool {
        const MOMENTARY: [i32; 3] = [517, 15, 261];
        match self {
            StoreError::Database(error) => {
                let sqlx::Error::Database(error) = &**error else { return false };
                error
                    .code()
                    .and_then(|code| code.parse::<i32>().ok())
                    .is_some_and(|code| MOMENTARY.contains(&code))
            }
            StoreError::Sqlite(error) => match &**error {
                rusqlite::Error::SqliteFailure(failure, _) => {
                    MOMENTARY.contains(&failure.extended_code)
                }
                _ => false,
            },
            _ => false,
        }
    }

    /// The connection to the database was lost (a server restart, a failover, a session ended
    /// by an administrator) or none could be had: the statement may not have run, and the same
    /// call on a fresh connection may succeed. Commands are safe to send again (their ids make
    /// them idempotent).
    pub fn is_connection_lost(&self) -> bool {
        let StoreError::Database(error) = self else { return false };
        match &**error {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::WorkerCrashed => true,
            sqlx::Error::Database(error) => error.code().is_some_and(|code| {
                // connection_exception (08…), admin_shutdown, crash_shutdown,
                // cannot_connect_now.
                code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03")
            }),
            _ => false,
        }
    }
}

/// An error that may have come from the store, so that callers can tell a passing condition
/// of the database (busy, a lost connection) from a failure.
pub trait StoreFailure {
    /// The store's error inside, if this is one.
    fn store_error(&self) -> Option<&StoreError>;
}

impl StoreFailure for StoreError {
    fn store_error(&self) -> Option<&StoreError> {
        Some(self)
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> StoreError {
        let error = StoreError::Database(Arc::new(error));
        if error.is_connection_lost() {
            postgres::connection_lost_now();
        }
        error
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> StoreError {
        StoreError::Sqlite(Arc::new(error))
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> StoreError {
        StoreError::Migration(Arc::new(error))
    }
}

/// Why an append wrote nothing.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AppendError {
    #[error("invalid append: {0}")]
    Invalid(#[from] InputError),
    #[error("stream {stream_id} is at version {actual}, not the expected {expected}")]
    Conflict { stream_id: String, expected: ExpectedVersion, actual: i64 },
    #[error("command id {command_id} was already used for a different request")]
    CommandReused { command_id: Uuid },
    #[error("{count} commands in one atomic append; at most {max} are allowed")]
    TooManyCommands { count: usize, max: usize },
    #[error("command {index} of the batch was refused, so none was written: {error}")]
    BatchRefused { index: usize, error: Box<AppendError> },
    #[error("the events do not continue the log: {0}")]
    Discontinuous(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whether `events` continue the chain from `tip`: the next positions, each linked to the one
/// before and hashed as it says.
pub(crate) fn continues_chain(
    tip: &plan::ChainTip,
    events: &[RecordedEvent],
) -> Result<(), AppendError> {
    let mut verifier = events::chain::ChainVerifier::after(tip.position, &tip.hash)
        .recorded_after(tip.recorded_at);
    for event in events {
        verifier.check(event).map_err(|found| AppendError::Discontinuous(found.to_string()))?;
    }
    Ok(())
}

/// The database behind a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a URL names: `sqlite:` or `postgres:`/`postgresql:`.
    pub fn of_url(url: &str) -> Result<Backend, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl { url: redact_url(url) })
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A URL with its password replaced by `***`, fit for logs and error messages.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let Some((credentials, host)) = rest.split_once('@') else { return url.to_owned() };
    match credentials.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[derive(Clone)]
pub(crate) enum Pool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// A handle on the log. Cheap to clone; all clones share one pool and one writer.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    reads: EventReads,
    writer: mpsc::Sender<writer::WriterMessage>,
    committed: watch::Receiver<i64>,
    metrics: Arc<StoreMetrics>,
}

/// Where events are read from: the store's own readers, not the pool (`sqlite::EventReader`,
/// `postgres_reader::EventReader`).
enum EventReads {
    Sqlite(Arc<sqlite::EventReader>),
    Postgres(Box<postgres_reader::EventReader>),
}

async fn read_head(reads: &EventReads) -> Result<Head, StoreError> {
    match reads {
        EventReads::Sqlite(reader) => sqlite::head(reader).await,
        EventReads::Postgres(reader) => reader.run(async |c| postgres::head(c).await).await,
    }
}

/// What this process's writer has done since it started, for `/metrics`.
#[derive(Debug, Default)]
pub struct StoreMetrics {
    /// Append transactions committed (a group commit is one).
    pub transactions: AtomicU64,
    /// Transactions that failed and wrote nothing.
    pub failed_transactions: AtomicU64,
    pub events: AtomicU64,
    /// Appends refused for a stale expected version.
    pub conflicts: AtomicU64,
    /// Time spent waiting for the chain-tip lock, in microseconds, and how many waits.
    pub lock_wait_micros: AtomicU64,
    pub lock_waits: AtomicU64,
    /// The longest single wait, in microseconds.
    pub lock_wait_max_micros: AtomicU64,
    /// PostgreSQL batches laid on the tip this writer last committed that found the log moved
    /// on (another process appended) or an assumption wrong, and were written again under the
    /// lock.
    pub optimistic_misses: AtomicU64,
}

impl StoreMetrics {
    pub(crate) fn lock_waited(&self, waited: std::time::Duration) {
        let micros = u64::try_from(waited.as_micros()).unwrap_or(u64::MAX);
        self.lock_wait_micros.fetch_add(micros, Ordering::Relaxed);
        self.lock_waits.fetch_add(1, Ordering::Relaxed);
        self.lock_wait_max_micros.fetch_max(micros, Ordering::Relaxed);
    }
}

impl Store {
    /// Opens the database at `url`, creating a SQLite file if it is missing, and applies the
    /// migrations that are not yet applied.
    pub async fn open(url: &str, clock: Arc<dyn Clock>) -> Result<Store, StoreError> {
        let (pool, reads, connection) = match Backend::of_url(url)? {
            Backend::Sqlite => {
                let (pool, reader, connection) = sqlite::open(url).await?;
                (pool, EventReads::Sqlite(reader), connection)
            }
            Backend::Postgres => {
                let (pool, connection) = postgres::open(url).await?;
                let reader =
                    Box::new(postgres_reader::EventReader::new(postgres::connect_options(url)?));
                (Pool::Postgres(pool), EventReads::Postgres(reader), connection)
            }
        };
        let head = read_head(&reads).await?;
        let (committed_sender, committed) = watch::channel(head.position);
        let metrics = Arc::new(StoreMetrics::default());
        let writer = writer::spawn(connection, clock, committed_sender, metrics.clone())?;
        Ok(Store { inner: Arc::new(Inner { pool, reads, writer, committed, metrics }) })
    }

    /// The writer's counters since this process opened the store.
    pub fn metrics(&self) -> &StoreMetrics {
        &self.inner.metrics
    }

    pub fn backend(&self) -> Backend {
        match self.inner.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Appends one command's events, to one or several streams, all or nothing.
    pub async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, AppendError> {
        request.validate()?;
        let mut results = self.submit(vec![request], BatchMode::Independent).await?;
        results.pop().expect("one result per request")
    }

    /// Appends many commands in one transaction: every one of them or none.
    ///
    /// Commands already in the log (same id, same content) are answered from the log and
    /// written again by nobody, so re-running a batch after a crash changes nothing.
    pub async fn append_atomic(
        &self,
        requests: Vec<AppendRequest>,
    ) -> Result<Vec<AppendOutcome>, AppendError> {
        if requests.len() > limits::COMMANDS_PER_ATOMIC_APPEND_MAX {
            let (count, max) = (requests.len(), limits::COMMANDS_PER_ATOMIC_APPEND_MAX);
            return Err(AppendError::TooManyCommands { count, max });
        }
        for (index, request) in requests.iter().enumerate() {
            request.validate().map_err(|error| AppendError::BatchRefused {
                index,
                error: Box::new(AppendError::Invalid(error)),
            })?;
        }
        if requests.is_empty() {
            return Ok(Vec::new());
        }
        let results = self.submit(requests, BatchMode::Atomic).await?;
        let mut outcomes = Vec::with_capacity(results.len());
        for (index, result) in results.into_iter().enumerate() {
            match result {
                Ok(outcome) => outcomes.push(outcome),
                Err(error) => {
                    return Err(AppendError::BatchRefused { index, error: Box::new(error) });
                }
            }
        }
        Ok(outcomes)
    }

    async fn submit(
        &self,
        requests: Vec<AppendRequest>,
        mode: BatchMode,
    ) -> Result<Vec<Result<AppendOutcome, AppendError>>, StoreError> {
        let (reply, answer) = oneshot::channel();
        let job = writer::WriteJob { requests, mode, reply };
        let message = writer::WriterMessage::Write(job);
        self.inner.writer.send(message).await.map_err(|_| StoreError::WriterStopped)?;
        answer.await.map_err(|_| StoreError::WriterStopped)?
    }

    /// Waits for appends already submitted, then closes the writer's connection, the pool and
    /// the readers' connections.
    /// Appends after this fail with [`StoreError::WriterStopped`].
    pub async fn close(&self) {
        let (done, closed) = oneshot::channel();
        if self.inner.writer.send(writer::WriterMessage::Close(done)).await.is_ok() {
            let _ = closed.await;
        }
        match &self.inner.pool {
            Pool::Sqlite(pool) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
        }
        if let EventReads::Postgres(reader) = &self.inner.reads {
            reader.close().await;
        }
    }

    /// The records of the commands whose first event lies in `(after, until]`, in position
    /// order.
    pub async fn command_records(
        &self,
        after: i64,
        until: i64,
    ) -> Result<Vec<CommandRecord>, StoreError> {
        let sql = dialect(
            self.backend(),
            "SELECT CAST(command_id AS TEXT), request_digest, outcome, first_position \
             FROM commands WHERE first_position > $1 AND first_position <= $2 \
             ORDER BY first_position, command_id",
        );
        let rows: Vec<(String, String, String, i64)> = on_pool!(self, |pool| {
            sqlx::query_as(&sql).bind(after).bind(until).fetch_all(pool).await?
        });
        rows.into_iter()
            .map(|(id, request_digest, outcome, position)| {
                Ok(CommandRecord {
                    command_id: Uuid::parse_str(&id).map_err(|error| corrupt(position, error))?,
                    request_digest,
                    outcome: decode_outcome(position, &outcome)?,
                })
            })
            .collect()
    }

    /// Writes `events` and `commands` exactly as they are (positions, hashes, times) right
    /// after the head, in one transaction, once the events are checked to continue the chain:
    /// the way `jejak copy` moves a log between databases. Not for new events: those go
    /// through [`Store::append`].
    pub async fn append_verbatim(
        &self,
        events: &[RecordedEvent],
        commands: &[CommandRecord],
    ) -> Result<(), AppendError> {
        let commands: Vec<(Uuid, plan::StoredCommand)> = commands
            .iter()
            .map(|record| {
                let stored = plan::StoredCommand {
                    request_digest: record.request_digest.clone(),
                    outcome: record.outcome.clone(),
                };
                (record.command_id, stored)
            })
            .collect();
        let (reply, answer) = oneshot::channel();
        let job = writer::VerbatimJob { events: events.to_vec(), commands, reply };
        let message = writer::WriterMessage::Verbatim(job);
        self.inner.writer.send(message).await.map_err(|_| StoreError::WriterStopped)?;
        answer.await.map_err(|_| StoreError::WriterStopped)?
    }

    /// Sessions of this database waiting for a lock another session holds, with the session
    /// that holds it. On PostgreSQL this names whoever stalls the writers (a session sitting
    /// on the chain-tip lock); readers never wait on it. SQLite cannot see other processes'
    /// sessions: there a writer waits for the write lock up to its busy timeout, unseen.
    pub async fn stalls(&self) -> Result<Vec<Stall>, StoreError> {
        match &self.inner.pool {
            Pool::Sqlite(_) => Ok(Vec::new()),
            Pool::Postgres(pool) => postgres::stalls(pool).await,
        }
    }

    /// The settings that decide whether an acknowledged append survives a crash or power cut,
    /// as the database reports them: `(name, value)` pairs.
    pub async fn durability(&self) -> Result<Vec<(String, String)>, StoreError> {
        let names: &[&str] = match self.backend() {
            Backend::Sqlite => &["journal_mode", "synchronous"],
            Backend::Postgres => &["fsync", "synchronous_commit", "transaction_isolation"],
        };
        let mut settings = Vec::new();
        for name in names {
            let value = match &self.inner.pool {
                Pool::Sqlite(pool) => {
                    let value: sqlx::sqlite::SqliteRow =
                        sqlx::query(&format!("PRAGMA {name}")).fetch_one(pool).await?;
                    let value: String = match sqlx::Row::try_get::<i64, _>(&value, 0) {
                        Ok(number) => number.to_string(),
                        Err(_) => sqlx::Row::try_get(&value, 0)?,
                    };
                    value
                }
                Pool::Postgres(pool) => {
                    sqlx::query_scalar(&format!("SHOW {name}")).fetch_one(pool).await?
                }
            };
            settings.push(((*name).to_owned(), value));
        }
        Ok(settings)
    }

    /// The last event of the log, read from the event rows.
    pub async fn head(&self) -> Result<Head, StoreError> {
        read_head(&self.inner.reads).await
    }

    /// The last event, and where the writers recorded the chain's tip apart from the events
    /// (PostgreSQL's `log_head` row; SQLite keeps none), read at one moment. The recorded head
    /// must name the last event; `verify` checks that it does.
    pub async fn heads(&self) -> Result<(Head, Option<Head>), StoreError> {
        match &self.inner.reads {
            EventReads::Sqlite(reader) => Ok((sqlite::head(reader).await?, None)),
            EventReads::Postgres(reader) => {
                let (last, recorded) = reader.run(async |c| postgres::heads(c).await).await?;
                Ok((last, Some(recorded)))
            }
        }
    }

    /// Up to `limit` events from position `from` on, in position order.
    pub async fn read_all(
        &self,
        from: i64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let limit = page_limit(limit)?;
        match &self.inner.reads {
            EventReads::Sqlite(reader) => sqlite::read_all(reader, from, limit).await,
            EventReads::Postgres(reader) => {
                reader.run(async |c| postgres::read_all(c, from, limit).await).await
            }
        }
    }

    /// The same page encoded for the chain, what `jejak verify` reads ([`EncodedPage`]),
    /// written into `page` (emptied first; its memory is used again).
    pub async fn read_all_encoded(
        &self,
        from: i64,
        limit: usize,
        page: EncodedPage,
    ) -> Result<EncodedPage, StoreError> {
        let limit = page_limit(limit)?;
        match &self.inner.reads {
            EventReads::Sqlite(reader) => sqlite::read_all_encoded(reader, from, limit, page).await,
            EventReads::Postgres(reader) => {
                reader.run(async |c| postgres::read_all_encoded(c, from, limit, page).await).await
            }
        }
    }

    /// The log from `from` to `until` (both included) in pages of at most `page_events`
    /// events, read one page ahead: the next page is fetched and decoded while the caller
    /// works on the current one, so a walk of the whole log (verify, rebuild, export) keeps
    /// both cores busy. At most two pages are held at once. A page that cannot be read ends
    /// the walk with its error; an empty page means the log ended before `until`.
    pub fn pages(&self, from: i64, until: i64, page_events: usize) -> Pages<Vec<RecordedEvent>> {
        self.read_ahead(from, until, page_events, |store, from, limit, _| async move {
            store.read_all(from, limit).await
        })
    }

    /// The same walk in pages encoded for the chain. Pages given back ([`Pages::give_back`])
    /// are filled again, so besides the two above one page may wait to be refilled while the
    /// caller holds another.
    pub fn encoded_pages(&self, from: i64, until: i64, page_events: usize) -> Pages<EncodedPage> {
        self.read_ahead(from, until, page_events, |store, from, limit, spare| async move {
            store.read_all_encoded(from, limit, spare.unwrap_or_default()).await
        })
    }

    /// A walk of `from..=until` whose pages `read` fetches (with a page given back, if one
    /// waits), each read while the caller works on the one before.
    fn read_ahead<P: Page, F: Future<Output = Result<P, StoreError>> + Send>(
        &self,
        from: i64,
        until: i64,
        page_events: usize,
        read: impl Fn(Store, i64, usize, Option<P>) -> F + Send + 'static,
    ) -> Pages<P> {
        let (sender, receiver) = mpsc::channel(1);
        let (returned, mut spares) = mpsc::channel(1);
        let store = self.clone();
        let page_events = page_events.clamp(1, limits::PAGE_EVENTS_MAX);
        let reader = tokio::spawn(async move {
            let mut from = from;
            while from <= until {
                let left = usize::try_from(until - from + 1).unwrap_or(page_events);
                let spare = spares.try_recv().ok();
                let page = read(store.clone(), from, left.min(page_events), spare).await;
                let next = match &page {
                    Ok(page) => page.last_position().map(|last| last + 1),
                    Err(_) => None,
                };
                if sender.send(page).await.is_err() {
                    return;
                }
                match next {
                    Some(next) => from = next,
                    None => return,
                }
            }
        });
        Pages { receiver, returned, reader }
    }

    /// Up to `limit` events of one stream from version `from_version` on, in version order.
    pub async fn read_stream(
        &self,
        stream_id: &str,
        from_version: i64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let limit = page_limit(limit)?;
        match &self.inner.reads {
            EventReads::Sqlite(reader) => {
                sqlite::read_stream(reader, stream_id, from_version, limit).await
            }
            EventReads::Postgres(reader) => {
                reader
                    .run(async |c| postgres::read_stream(c, stream_id, from_version, limit).await)
                    .await
            }
        }
    }

    /// Up to `limit` events of every stream in a category (`participation` for
    /// `participation-*`) from position `from` on, in position order.
    pub async fn read_category(
        &self,
        category: &str,
        from: i64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let limit = page_limit(limit)?;
        match &self.inner.reads {
            EventReads::Sqlite(reader) => {
                sqlite::read_category(reader, category, from, limit).await
            }
            EventReads::Postgres(reader) => {
                reader.run(async |c| postgres::read_category(c, category, from, limit).await).await
            }
        }
    }

    /// Up to `limit` events written by `actor` from position `from` on, in position order.
    pub async fn read_by_actor(
        &self,
        actor: &str,
        from: i64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let limit = page_limit(limit)?;
        match &self.inner.reads {
            EventReads::Sqlite(reader) => sqlite::read_by_actor(reader, actor, from, limit).await,
            EventReads::Postgres(reader) => {
                reader.run(async |c| postgres::read_by_actor(c, actor, from, limit).await).await
            }
        }
    }

    /// Up to `limit` reversals (`EventReversed`) from position `from` on, in position order.
    pub async fn read_reversals(
        &self,
        from: i64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let limit = page_limit(limit)?;
        match &self.inner.reads {
            EventReads::Sqlite(reader) => sqlite::read_reversals(reader, from, limit).await,
            EventReads::Postgres(reader) => {
                reader.run(async |c| postgres::read_reversals(c, from, limit).await).await
            }
        }
    }

    /// The last position recorded at or before `at` (0 if none): since `recorded_at` never
    /// decreases along the log, what the log knew at `at` is the prefix up to that position.
    pub async fn known_position(&self, at: Timestamp) -> Result<i64, StoreError> {
        match &self.inner.pool {
            Pool::Sqlite(pool) => sqlite::known_position(pool, at).await,
            Pool::Postgres(pool) => postgres::known_position(pool, at).await,
        }
    }

    /// Up to `limit` events in positions `(after, until]` that were recorded more than 23 hours
    /// after they occurred and occurred before `occurred_before`, in position order.
    pub async fn read_late(
        &self,
        after: i64,
        until: i64,
        occurred_before: Timestamp,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let limit = page_limit(limit)?;
        match &self.inner.reads {
            EventReads::Sqlite(reader) => {
                sqlite::read_late(reader, after, until, occurred_before, limit).await
            }
            EventReads::Postgres(reader) => {
                reader
                    .run(async |c| {
                        postgres::read_late(c, after, until, occurred_before, limit).await
                    })
                    .await
            }
        }
    }

    /// The positions of the events with these ids, for those in the log.
    pub async fn positions_of(&self, event_ids: &[Uuid]) -> Result<Vec<(Uuid, i64)>, StoreError> {
        match &self.inner.pool {
            Pool::Sqlite(pool) => sqlite::positions_of(pool, event_ids).await,
            Pool::Postgres(pool) => postgres::positions_of(pool, event_ids).await,
        }
    }

    /// The current version of a stream, 0 if it has no events.
    pub async fn stream_version(&self, stream_id: &str) -> Result<i64, StoreError> {
        match &self.inner.reads {
            EventReads::Sqlite(reader) => sqlite::stream_version(reader, stream_id).await,
            EventReads::Postgres(reader) => {
                reader.run(async |c| postgres::stream_version(c, stream_id).await).await
            }
        }
    }

    /// What a command already in the log got, if it is there.
    pub async fn command_outcome(
        &self,
        command_id: Uuid,
    ) -> Result<Option<AppendOutcome>, StoreError> {
        Ok(self.command_record(command_id).await?.map(|(_, outcome)| outcome))
    }

    /// A command already in the log: the digest of its request and what it got.
    pub async fn command_record(
        &self,
        command_id: Uuid,
    ) -> Result<Option<(String, AppendOutcome)>, StoreError> {
        match &self.inner.reads {
            EventReads::Sqlite(reader) => sqlite::command_record(reader, command_id).await,
            EventReads::Postgres(reader) => {
                reader.run(async |c| postgres::command_record(c, command_id).await).await
            }
        }
    }

    /// A live subscription to the whole log from position `from` on.
    pub async fn subscribe(&self, from: i64) -> Result<Subscription, StoreError> {
        Subscription::new(self.clone(), from).await
    }

    pub(crate) fn pool(&self) -> &Pool {
        &self.inner.pool
    }

    /// A receiver of the position of the last append this process committed.
    pub(crate) fn committed(&self) -> watch::Receiver<i64> {
        self.inner.committed.clone()
    }
}

/// Runs `$body` with `$pool` bound to the store's pool, whichever backend it is: the same
/// statement code for both, checked by the compiler for each.
macro_rules! on_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match $store.pool() {
            $crate::store::Pool::Sqlite($pool) => $body,
            $crate::store::Pool::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// A statement written with PostgreSQL's `$n` placeholders, in `backend`'s dialect: SQLite
/// takes them as `?n`.
pub(crate) fn dialect(backend: Backend, sql: &str) -> String {
    match backend {
        Backend::Postgres => sql.to_owned(),
        Backend::Sqlite => {
            let mut out = String::with_capacity(sql.len());
            let mut chars = sql.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
                    out.push('?');
                } else {
                    out.push(c);
                }
            }
            out
        }
    }
}

fn page_limit(limit: usize) -> Result<i64, StoreError> {
    if limit == 0 || limit > limits::PAGE_EVENTS_MAX {
        let (value, max) = (limit as i64, limits::PAGE_EVENTS_MAX as i64);
        return Err(StoreError::OutOfRange { what: "the page size", value, min: 1, max });
    }
    Ok(limit as i64)
}

/// The last position recorded at or before `$1` (0 if none), by a binary search over the
/// positions: they run from 1 to the head without a gap and `recorded_at` never decreases along
/// them, so the positions recorded by `$1` are a prefix. Each step reads one row through the
/// primary key; about 24 steps at 10 million events. `lo` is always known, `hi` the last
/// position not yet ruled out.
pub(crate) const KNOWN_POSITION_SQL: &str = "\
    WITH RECURSIVE search(lo, hi) AS ( \
        SELECT CAST(0 AS BIGINT), COALESCE((SELECT MAX(position) FROM events), 0) \
        UNION ALL \
        SELECT CASE WHEN probe.recorded_at <= $1 THEN probe.position ELSE search.lo END, \
               CASE WHEN probe.recorded_at <= $1 THEN search.hi ELSE probe.position - 1 END \
        FROM search JOIN events AS probe ON probe.position = (search.lo + search.hi + 1) / 2 \
        WHERE search.lo < search.hi \
    ) \
    SELECT MIN(hi) FROM search";

/// The columns of `events` in the order the row readers expect.
pub(crate) const EVENT_COLUMNS: &str = "position, event_id, command_id, stream_id, stream_version, \
    event_type, schema_version, occurred_at, recorded_at, actor, role, organisation, facility, \
    source, reason, document_ref, correlation_id, causation_id, payload, prev_hash, hash";

fn corrupt(position: i64, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt { position, detail: detail.to_string() }
}

fn decode_outcome(position: i64, text: &str) -> Result<AppendOutcome, StoreError> {
    let mut outcome: AppendOutcome =
        serde_json::from_str(text).map_err(|error| corrupt(position, error))?;
    outcome.duplicate = true;
    Ok(outcome)
}

fn encode_outcome(outcome: &AppendOutcome) -> String {
    serde_json::to_string(outcome).expect("an outcome has no floats and string keys")
}

/// A walk of the log, page by page, with the next page read ahead ([`Store::pages`]).
pub struct Pages<P> {
    receiver: mpsc::Receiver<Result<P, StoreError>>,
    /// Pages given back, for the reader to fill again.
    returned: mpsc::Sender<P>,
    reader: tokio::task::JoinHandle<()>,
}

impl<P> Pages<P> {
    /// The next page, or `None` once the walk has passed `until` or stopped at an error.
    pub async fn next(&mut self) -> Option<Result<P, StoreError>> {
        self.receiver.recv().await
    }

    /// Hands a page back once done with it, for a walk that reuses pages to fill again
    /// instead of growing another (beyond one waiting, it is dropped).
    pub fn give_back(&self, page: P) {
        let _ = self.returned.try_send(page);
    }
}

/// A page of a walk of the log: it says where the next one begins.
pub trait Page: Send + 'static {
    /// The position of the page's last event; `None` for an empty page.
    fn last_position(&self) -> Option<i64>;
}

impl Page for Vec<RecordedEvent> {
    fn last_position(&self) -> Option<i64> {
        self.last().map(|event| event.position)
    }
}

impl Page for EncodedPage {
    fn last_position(&self) -> Option<i64> {
        EncodedPage::last_position(self)
    }
}

impl<P> Drop for Pages<P> {
    fn drop(&mut self) {
        self.reader.abort();
    }
}
