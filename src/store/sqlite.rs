//! The SQLite backend: the embedded default.
//!
//! The file is created if missing and opened in WAL mode with `synchronous=FULL`, so an
//! acknowledged append survives a power cut. Writers are serialised by SQLite's own write lock,
//! taken up front with `BEGIN IMMEDIATE` so that the tip read under it cannot go stale.
//! Timestamps and ids are stored as text in their canonical forms.

use std::collections::BTreeSet;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use events::chain::{EncodedPage, EventText};
use events::{AppendRequest, RecordedEvent, Source, Timestamp};
use rusqlite::TransactionBehavior;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{Row, SqlitePool};
use uuid::Uuid;

use super::plan::{self, BatchMode, ChainTip, Plan, StoredCommand, WriteState};
use super::{
    AppendOutcome, EVENT_COLUMNS, Head, Pool, StoreError, corrupt, decode_outcome, encode_outcome,
};
use crate::clock::Clock;
use crate::store::writer::WriterTarget;

/// How long a writer waits for another process's write lock before giving up.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections for readers.
const READ_CONNECTIONS_MAX: u32 = 4;

/// The settings every writing connection takes, the pool's and the writer's alike (SQLite
/// keeps them per connection). Deleted content is overwritten (`secure_delete`), so an erased
/// person's key leaves no copy in free pages.
const CONNECTION_PRAGMAS: [(&str, &str); 3] =
    [("synchronous", "FULL"), ("foreign_keys", "ON"), ("secure_delete", "ON")];

pub(crate) fn connect_options(url: &str) -> Result<SqliteConnectOptions, StoreError> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(BUSY_TIMEOUT);
    Ok(CONNECTION_PRAGMAS
        .iter()
        .fold(options, |options, (name, value)| options.pragma(*name, *value)))
}

pub(crate) async fn open(url: &str) -> Result<(Pool, Arc<EventReader>, WriterTarget), StoreError> {
    let options = connect_options(url)?;
    let pool = SqlitePoolOptions::new()
        .max_connections(READ_CONNECTIONS_MAX)
        .test_before_acquire(false)
        .connect_with(options.clone())
        .await?;
    sqlx::migrate!("migrations/sqlite").run(&pool).await?;
    let path = options.get_filename().to_owned();
    let reader = Arc::new(EventReader::new(path.clone()));
    Ok((Pool::Sqlite(pool), reader, WriterTarget::Sqlite(path)))
}

pub(crate) async fn head(reader: &Arc<EventReader>) -> Result<Head, StoreError> {
    let tip = reader.run(read_tip).await?.unwrap_or_else(ChainTip::genesis);
    Ok(Head { position: tip.position, hash: tip.hash, recorded_at: tip.recorded_at })
}

/// The chain's tip, for the head and for the writer.
fn read_tip(connection: &rusqlite::Connection) -> Result<Option<ChainTip>, StoreError> {
    let sql = "SELECT position, hash, recorded_at FROM events ORDER BY position DESC LIMIT 1";
    let mut statement = connection.prepare_cached(sql)?;
    let mut rows = statement.query([])?;
    let Some(row) = rows.next()? else { return Ok(None) };
    let position: i64 = row.get(0)?;
    let recorded_at: String = row.get(2)?;
    let recorded_at = Timestamp::parse_canonical(&recorded_at).map_err(|e| corrupt(position, e))?;
    Ok(Some(ChainTip { position, hash: row.get(1)?, recorded_at: Some(recorded_at) }))
}

/// The readers of the log (events, the head, stream versions and command records): rusqlite
/// connections used on tokio's blocking threads. The writer reads the same way, with the same
/// functions, on its own connection.
///
/// Events are read here rather than through the sqlx pool, which runs each connection on a
/// worker thread and hands every row across a channel, each of its 21 columns copied into an
/// owned value first: reading the log was several times slower than reading a four-column
/// table (docs/PERFORMANCE.md). Here a whole page is read in one blocking call, its rows
/// decoded as they are stepped. Every value is checked: a value of another type, or one not in
/// its canonical form, is corruption at its position.
pub(crate) struct EventReader {
    path: std::path::PathBuf,
    idle: std::sync::Mutex<Vec<rusqlite::Connection>>,
    permits: Arc<tokio::sync::Semaphore>,
}

impl EventReader {
    fn new(path: std::path::PathBuf) -> EventReader {
        EventReader {
            path,
            idle: std::sync::Mutex::new(Vec::new()),
            permits: Arc::new(tokio::sync::Semaphore::new(READ_CONNECTIONS_MAX as usize)),
        }
    }

    /// Runs `read` on an idle connection (or a new one) on a blocking thread, at most
    /// [`READ_CONNECTIONS_MAX`] at once.
    async fn run<T: Send + 'static>(
        self: &Arc<Self>,
        read: impl FnOnce(&rusqlite::Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Reader("the readers of the log are closed".to_owned()))?;
        let reader = Arc::clone(self);
        let blocking = tokio::task::spawn_blocking(move || {
            let idle = reader.idle.lock().expect("never poisoned").pop();
            let connection = match idle {
                Some(connection) => connection,
                None => open_reader(&reader.path)?,
            };
            let result = read(&connection);
            // A connection that failed in SQLite itself is not used again.
            if !matches!(result, Err(StoreError::Sqlite(_))) {
                reader.idle.lock().expect("never poisoned").push(connection);
            }
            drop(permit);
            result
        });
        blocking.await.map_err(|error| StoreError::Reader(error.to_string()))?
    }

    /// The events a `SELECT {EVENT_COLUMNS} …` with `params` finds, in its order.
    /// `params` ends with the page's limit, which sizes the page.
    async fn select(
        self: &Arc<Self>,
        sql: String,
        params: Vec<rusqlite::types::Value>,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let events = Vec::with_capacity(page_capacity(&params));
        self.collect(sql, params, events, |events, row| {
            events.push(event_from_row(row)?);
            Ok(())
        })
        .await
    }

    /// The same events, encoded for the chain ([`EncodedPage`]).
    async fn select_encoded(
        self: &Arc<Self>,
        sql: String,
        params: Vec<rusqlite::types::Value>,
        mut page: EncodedPage,
    ) -> Result<EncodedPage, StoreError> {
        page.clear(page_capacity(&params));
        self.collect(sql, params, page, encode_row).await
    }

    /// Hands each row a `SELECT {EVENT_COLUMNS} …` with `params` finds to `add`, in its order.
    async fn collect<T: Send + 'static>(
        self: &Arc<Self>,
        sql: String,
        params: Vec<rusqlite::types::Value>,
        mut page: T,
        add: fn(&mut T, &rusqlite::Row<'_>) -> Result<(), StoreError>,
    ) -> Result<T, StoreError> {
        self.run(move |connection| {
            let mut statement = connection.prepare_cached(&sql)?;
            let mut rows = statement.query(rusqlite::params_from_iter(params))?;
            while let Some(row) = rows.next()? {
                add(&mut page, row)?;
            }
            Ok(page)
        })
        .await
    }
}

/// The events a page will hold: the limit its `params` end with, within the page bound.
fn page_capacity(params: &[rusqlite::types::Value]) -> usize {
    let limit = match params.last() {
        Some(rusqlite::types::Value::Integer(limit)) => usize::try_from(*limit).unwrap_or(0),
        _ => 0,
    };
    limit.min(events::limits::PAGE_EVENTS_MAX)
}

fn open_reader(path: &std::path::Path) -> Result<rusqlite::Connection, StoreError> {
    let connection = rusqlite::Connection::open(path)?;
    connection.busy_timeout(BUSY_TIMEOUT)?;
    connection.pragma_update(None, "query_only", "ON")?;
    connection.set_prepared_statement_cache_capacity(16);
    Ok(connection)
}

/// Reads a row of [`EVENT_COLUMNS`], checking every value's type and form. Ids, times and the
/// source are parsed from the row's own text, not from a copy of it.
fn event_from_row(row: &rusqlite::Row<'_>) -> Result<RecordedEvent, StoreError> {
    let position: i64 = row.get(0).map_err(|error| of_another_type(0, error))?;
    let text = |index: usize| text_at(row, position, index);
    let owned = |index: usize| text_at(row, position, index).map(str::to_owned);
    let optional = |index: usize| optional_text_at(row, position, index);
    let timestamp =
        |index: usize| Timestamp::parse_canonical(text(index)?).map_err(|e| corrupt(position, e));
    Ok(RecordedEvent {
        position,
        event_id: parse_uuid(position, text(1)?)?,
        command_id: parse_uuid(position, text(2)?)?,
        stream_id: owned(3)?,
        stream_version: row.get(4).map_err(|error| of_another_type(position, error))?,
        event_type: owned(5)?,
        schema_version: row.get(6).map_err(|error| of_another_type(position, error))?,
        occurred_at: timestamp(7)?,
        recorded_at: timestamp(8)?,
        actor: owned(9)?,
        role: owned(10)?,
        organisation: owned(11)?,
        facility: optional(12)?.map(str::to_owned),
        source: Source::from_str(text(13)?).map_err(|error| corrupt(position, error))?,
        reason: optional(14)?.map(str::to_owned),
        document_ref: optional(15)?.map(str::to_owned),
        correlation_id: parse_uuid(position, text(16)?)?,
        causation_id: optional(17)?.map(|text| parse_uuid(position, text)).transpose()?,
        payload: owned(18)?,
        prev_hash: owned(19)?,
        hash: owned(20)?,
    })
}

/// Adds a row of [`EVENT_COLUMNS`] to `page` as its canonical encoding, made from the row's own
/// text. Every value is checked as [`event_from_row`] checks it, so the text of each id and time
/// is its canonical form, the one the encoding is over.
fn encode_row(page: &mut EncodedPage, row: &rusqlite::Row<'_>) -> Result<(), StoreError> {
    let position: i64 = row.get(0).map_err(|error| of_another_type(0, error))?;
    let text = |index: usize| text_at(row, position, index);
    let optional = |index: usize| optional_text_at(row, position, index);
    let id = |text: &str| parse_uuid(position, text).map(|_| ());
    let timestamp = |text: &str| Timestamp::parse_canonical(text).map_err(|e| corrupt(position, e));
    let (event_id, command_id, correlation_id) = (text(1)?, text(2)?, text(16)?);
    let causation_id = optional(17)?;
    [event_id, command_id, correlation_id].into_iter().chain(causation_id).try_for_each(id)?;
    let (occurred_at, recorded_at) = (text(7)?, text(8)?);
    timestamp(occurred_at)?;
    let recorded = timestamp(recorded_at)?;
    let source = text(13)?;
    Source::from_str(source).map_err(|error| corrupt(position, error))?;
    let event = EventText {
        position,
        event_id,
        command_id,
        stream_id: text(3)?,
        stream_version: row.get(4).map_err(|error| of_another_type(position, error))?,
        event_type: text(5)?,
        schema_version: row.get(6).map_err(|error| of_another_type(position, error))?,
        occurred_at: occurred_at.as_bytes(),
        recorded_at: recorded_at.as_bytes(),
        actor: text(9)?,
        role: text(10)?,
        organisation: text(11)?,
        facility: optional(12)?,
        source,
        reason: optional(14)?,
        document_ref: optional(15)?,
        correlation_id,
        causation_id,
        payload: text(18)?,
        prev_hash: text(19)?,
    };
    page.push(&event, recorded, text(20)?);
    Ok(())
}

/// The text at `index` of the event row at `position`, borrowed from the row.
fn text_at<'r>(
    row: &'r rusqlite::Row<'_>,
    position: i64,
    index: usize,
) -> Result<&'r str, StoreError> {
    let value = row.get_ref(index).map_err(|error| of_another_type(position, error))?;
    value.as_str().map_err(|error| of_another_type(position, error.into()))
}

/// The same for a column that may be NULL.
fn optional_text_at<'r>(
    row: &'r rusqlite::Row<'_>,
    position: i64,
    index: usize,
) -> Result<Option<&'r str>, StoreError> {
    let value = row.get_ref(index).map_err(|error| of_another_type(position, error))?;
    value.as_str_or_null().map_err(|error| of_another_type(position, error.into()))
}

fn of_another_type(position: i64, error: rusqlite::Error) -> StoreError {
    corrupt(position, format!("a column of another type: {error}"))
}

/// A page of the log, in position order.
pub(crate) async fn read_all(
    reader: &Arc<EventReader>,
    from: i64,
    limit: i64,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let sql = read_all_sql();
    reader.select(sql, vec![from.into(), limit.into()]).await
}

fn read_all_sql() -> String {
    format!("SELECT {EVENT_COLUMNS} FROM events WHERE position >= ?1 ORDER BY position LIMIT ?2")
}

/// The same page, encoded for the chain into `page`.
pub(crate) async fn read_all_encoded(
    reader: &Arc<EventReader>,
    from: i64,
    limit: i64,
    page: EncodedPage,
) -> Result<EncodedPage, StoreError> {
    let sql = read_all_sql();
    reader.select_encoded(sql, vec![from.into(), limit.into()], page).await
}

pub(crate) async fn read_stream(
    reader: &Arc<EventReader>,
    stream_id: &str,
    from_version: i64,
    limit: i64,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = ?1 AND stream_version >= ?2 \
         ORDER BY stream_version LIMIT ?3"
    );
    reader.select(sql, vec![stream_id.to_owned().into(), from_version.into(), limit.into()]).await
}

pub(crate) async fn read_category(
    reader: &Arc<EventReader>,
    category: &str,
    from: i64,
    limit: i64,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE category = ?1 AND position >= ?2 \
         ORDER BY position LIMIT ?3"
    );
    reader.select(sql, vec![category.to_owned().into(), from.into(), limit.into()]).await
}

pub(crate) async fn read_by_actor(
    reader: &Arc<EventReader>,
    actor: &str,
    from: i64,
    limit: i64,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE actor = ?1 AND position >= ?2 \
         ORDER BY position LIMIT ?3"
    );
    reader.select(sql, vec![actor.to_owned().into(), from.into(), limit.into()]).await
}

/// The literal type in the query lets the partial index `events_reversals` serve it.
pub(crate) async fn read_reversals(
    reader: &Arc<EventReader>,
    from: i64,
    limit: i64,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE event_type = 'EventReversed' AND position >= ?1 \
         ORDER BY position LIMIT ?2"
    );
    reader.select(sql, vec![from.into(), limit.into()]).await
}

/// The last position recorded at or before `at`: `recorded_at` never decreases along the log,
/// so what the log knew at `at` is the prefix up to it.
pub(crate) async fn known_position(pool: &SqlitePool, at: Timestamp) -> Result<i64, StoreError> {
    let sql = super::dialect(super::Backend::Sqlite, super::KNOWN_POSITION_SQL);
    let position: i64 = sqlx::query_scalar(&sql).bind(at.to_string()).fetch_one(pool).await?;
    Ok(position)
}

/// Events in `(after, until]` recorded more than 23 hours after they occurred, and before
/// `occurred_before`, in position order.
pub(crate) async fn read_late(
    reader: &Arc<EventReader>,
    after: i64,
    until: i64,
    occurred_before: Timestamp,
    limit: i64,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE position IN (SELECT position FROM late_events \
         WHERE position > ?1 AND position <= ?2 AND occurred_at < ?3) ORDER BY position LIMIT ?4"
    );
    let params = vec![after.into(), until.into(), occurred_before.to_string().into(), limit.into()];
    reader.select(sql, params).await
}

/// The positions of the events with these ids (those that exist).
pub(crate) async fn positions_of(
    pool: &SqlitePool,
    event_ids: &[Uuid],
) -> Result<Vec<(Uuid, i64)>, StoreError> {
    let mut found = Vec::with_capacity(event_ids.len());
    for chunk in event_ids.chunks(500) {
        let placeholders = vec!["?"; chunk.len()].join(", ");
        let sql =
            format!("SELECT event_id, position FROM events WHERE event_id IN ({placeholders})");
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(id.hyphenated().to_string());
        }
        for row in query.fetch_all(pool).await? {
            let id: String = row.try_get(0)?;
            let id = Uuid::parse_str(&id).map_err(|error| StoreError::Corrupt {
                position: row.try_get(1).unwrap_or(0),
                detail: format!("event_id: {error}"),
            })?;
            found.push((id, row.try_get(1)?));
        }
    }
    Ok(found)
}

pub(crate) async fn stream_version(
    reader: &Arc<EventReader>,
    stream_id: &str,
) -> Result<i64, StoreError> {
    let stream_id = stream_id.to_owned();
    reader.run(move |connection| read_stream_version(connection, &stream_id)).await
}

/// A stream's version (0 when it has no events), for the store and for the writer.
fn read_stream_version(
    connection: &rusqlite::Connection,
    stream_id: &str,
) -> Result<i64, StoreError> {
    let sql = "SELECT MAX(stream_version) FROM events WHERE stream_id = ?1";
    let version: Option<i64> =
        connection.prepare_cached(sql)?.query_row([stream_id], |row| row.get(0))?;
    Ok(version.unwrap_or(0))
}

pub(crate) async fn command_record(
    reader: &Arc<EventReader>,
    command_id: Uuid,
) -> Result<Option<(String, AppendOutcome)>, StoreError> {
    let stored = reader.run(move |connection| read_command(connection, command_id)).await?;
    Ok(stored.map(|stored| (stored.request_digest, stored.outcome)))
}

/// A command's record, for the store and for the writer.
fn read_command(
    connection: &rusqlite::Connection,
    command_id: Uuid,
) -> Result<Option<StoredCommand>, StoreError> {
    let sql = "SELECT request_digest, outcome, first_position FROM commands WHERE command_id = ?1";
    let mut statement = connection.prepare_cached(sql)?;
    let mut rows = statement.query([command_id.hyphenated().to_string()])?;
    let Some(row) = rows.next()? else { return Ok(None) };
    let position: i64 = row.get(2)?;
    let outcome: String = row.get(1)?;
    let outcome = decode_outcome(position, &outcome)?;
    Ok(Some(StoredCommand { request_digest: row.get(0)?, outcome }))
}

/// The writer's connection (on the writer's own thread, see `writer.rs`): the pool's settings,
/// and room in the statement cache for every statement of the write path.
pub(crate) fn open_writer(path: &std::path::Path) -> Result<rusqlite::Connection, StoreError> {
    let connection = rusqlite::Connection::open(path)?;
    connection.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String =
        connection.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Corrupt { position: 0, detail: format!("journal_mode is {mode}") });
    }
    for (name, value) in CONNECTION_PRAGMAS {
        connection.pragma_update(None, name, value)?;
    }
    connection.set_prepared_statement_cache_capacity(32);
    Ok(connection)
}

/// Writes one batch in one transaction under SQLite's write lock, taken up front.
pub(crate) fn write_batch(
    connection: &mut rusqlite::Connection,
    clock: &dyn Clock,
    requests: &[AppendRequest],
    mode: BatchMode,
    metrics: &super::StoreMetrics,
) -> Result<Plan, StoreError> {
    let waiting = std::time::Instant::now();
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    metrics.lock_waited(waiting.elapsed());
    let state = read_write_state(&transaction, requests)?;
    let plan = plan::plan(state, clock.now(), requests, mode);
    insert_events(&transaction, &plan.events)?;
    insert_commands(&transaction, &plan.commands)?;
    transaction.commit()?;
    Ok(plan)
}

/// Writes events and command records copied from another log, once they are checked to
/// continue this log's chain.
pub(crate) fn write_verbatim(
    connection: &mut rusqlite::Connection,
    events: &[RecordedEvent],
    commands: &[(Uuid, StoredCommand)],
) -> Result<(), super::AppendError> {
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(StoreError::from)?;
    let tip = read_tip(&transaction)?.unwrap_or_else(ChainTip::genesis);
    super::continues_chain(&tip, events)?;
    insert_events(&transaction, events)?;
    insert_commands(&transaction, commands)?;
    transaction.commit().map_err(StoreError::from)?;
    Ok(())
}

/// What a batch is checked against, read under the write lock: the chain's tip, the version
/// of every stream the batch names and the records of its commands.
fn read_write_state(
    connection: &rusqlite::Connection,
    requests: &[AppendRequest],
) -> Result<WriteState, StoreError> {
    let mut state = WriteState { tip: read_tip(connection)?, ..WriteState::default() };
    let stream_ids: BTreeSet<&str> = requests
        .iter()
        .flat_map(|request| request.streams.iter().map(|stream| stream.stream_id.as_str()))
        .collect();
    for stream_id in stream_ids {
        let version = read_stream_version(connection, stream_id)?;
        state.stream_versions.insert(stream_id.to_owned(), version);
    }
    let command_ids: BTreeSet<Uuid> = requests.iter().map(|request| request.command_id).collect();
    for command_id in command_ids {
        if let Some(stored) = read_command(connection, command_id)? {
            state.commands.insert(command_id, stored);
        }
    }
    Ok(state)
}

fn insert_events(
    connection: &rusqlite::Connection,
    events: &[RecordedEvent],
) -> Result<(), StoreError> {
    let sql = "INSERT INTO events (position, event_id, command_id, stream_id, stream_version, \
               category, event_type, schema_version, occurred_at, recorded_at, actor, role, \
               organisation, facility, source, reason, document_ref, correlation_id, \
               causation_id, payload, prev_hash, hash) \
               VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, \
               ?17, ?18, ?19, ?20, ?21, ?22)";
    let mut insert = connection.prepare_cached(sql)?;
    for event in events {
        insert.execute(rusqlite::params![
            event.position,
            event.event_id.hyphenated().to_string(),
            event.command_id.hyphenated().to_string(),
            event.stream_id,
            event.stream_version,
            event.category(),
            event.event_type,
            event.schema_version,
            event.occurred_at.to_string(),
            event.recorded_at.to_string(),
            event.actor,
            event.role,
            event.organisation,
            event.facility,
            event.source.as_str(),
            event.reason,
            event.document_ref,
            event.correlation_id.hyphenated().to_string(),
            event.causation_id.map(|id| id.hyphenated().to_string()),
            event.payload,
            event.prev_hash,
            event.hash,
        ])?;
    }
    Ok(())
}

fn insert_commands(
    connection: &rusqlite::Connection,
    commands: &[(Uuid, StoredCommand)],
) -> Result<(), StoreError> {
    let sql = "INSERT INTO commands (command_id, request_digest, first_position, \
               last_position, recorded_at, outcome) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    let mut insert = connection.prepare_cached(sql)?;
    for (command_id, stored) in commands {
        insert.execute(rusqlite::params![
            command_id.hyphenated().to_string(),
            stored.request_digest,
            stored.outcome.first_position,
            stored.outcome.last_position,
            stored.outcome.recorded_at.to_string(),
            encode_outcome(&stored.outcome),
        ])?;
    }
    Ok(())
}

fn parse_uuid(position: i64, text: &str) -> Result<Uuid, StoreError> {
    let uuid = Uuid::try_parse(text).map_err(|error| corrupt(position, error))?;
    // Of the forms the parser takes, only the hyphenated one is 36 long; its digits must be
    // lower-case. (Checked so, not by writing the id out again and comparing: every id of
    // every event read passes here.)
    let canonical = text.len() == uuid::fmt::Hyphenated::LENGTH
        && !text.bytes().any(|byte| byte.is_ascii_uppercase());
    if !canonical {
        return Err(corrupt(position, format!("`{text}` is not a lower-case hyphenated UUID")));
    }
    Ok(uuid)
}
