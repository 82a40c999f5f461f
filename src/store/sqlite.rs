//! The SQLite backend: the embedded default.
//!
//! The file is created if missing and opened in WAL mode with `synchronous=FULL`, so an
//! acknowledged append survives a power cut. Writers are serialised by SQLite's own write lock,
//! taken up front with `BEGIN IMMEDIATE` so that the tip read under it cannot go stale.
//! Timestamps and ids are stored as text in their canonical forms.

use std::collections::BTreeSet;
use std::str::FromStr;
use std::time::Duration;

use events::{AppendRequest, RecordedEvent, Source, Timestamp};
use rusqlite::TransactionBehavior;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqliteConnection, SqlitePool};
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

pub(crate) fn connect_options(url: &str) -> Result<SqliteConnectOptions, StoreError> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(BUSY_TIMEOUT)
        .foreign_keys(true)
        // Deleted content is overwritten, so an erased person's key leaves no copy in free pages.
        .pragma("secure_delete", "ON");
    Ok(options)
}

pub(crate) async fn open(url: &str) -> Result<(Pool, WriterTarget), StoreError> {
    let options = connect_options(url)?;
    let pool = SqlitePoolOptions::new()
        .max_connections(READ_CONNECTIONS_MAX)
        .test_before_acquire(false)
        .connect_with(options.clone())
        .await?;
    sqlx::migrate!("migrations/sqlite").run(&pool).await?;
    let writer = WriterTarget::Sqlite(options.get_filename().to_owned());
    Ok((Pool::Sqlite(pool), writer))
}

pub(crate) async fn head(pool: &SqlitePool) -> Result<Head, StoreError> {
    let mut connection = pool.acquire().await?;
    let tip = read_tip(&mut connection).await?.unwrap_or_else(ChainTip::genesis);
    Ok(Head { position: tip.position, hash: tip.hash, recorded_at: tip.recorded_at })
}

async fn read_tip(connection: &mut SqliteConnection) -> Result<Option<ChainTip>, StoreError> {
    let sql = "SELECT position, hash, recorded_at FROM events ORDER BY position DESC LIMIT 1";
    let Some(row) = sqlx::query(sql).fetch_optional(&mut *connection).await? else {
        return Ok(None);
    };
    let position: i64 = row.try_get(0)?;
    let recorded_at: String = row.try_get(2)?;
    let recorded_at = Timestamp::parse_canonical(&recorded_at).map_err(|e| corrupt(position, e))?;
    Ok(Some(ChainTip { position, hash: row.try_get(1)?, recorded_at: Some(recorded_at) }))
}

/// A page of the log, in position order.
///
/// The page comes back as one value, a JSON array of rows built inside SQLite, rather than as
/// rows of 21 columns: the driver hands each row and each column over one by one (a copy and an
/// allocation per value, a thread hand-off per row), which made reading the log several times
/// slower than reading a four-column table (docs/PERFORMANCE.md). Text survives JSON exactly,
/// and every value is checked: a value not in its canonical form is corruption.
pub(crate) async fn read_all(
    pool: &SqlitePool,
    from: i64,
    limit: i64,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let sql = packed(&format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE position >= ? ORDER BY position LIMIT ?"
    ));
    let query = sqlx::query_scalar::<_, String>(&sql).bind(from).bind(limit);
    unpack(&query.fetch_one(pool).await?)
}

/// The events a `SELECT {EVENT_COLUMNS} …` finds, as one JSON array in position order.
fn packed(select: &str) -> String {
    format!(
        "SELECT json_group_array(json_array({EVENT_COLUMNS}) ORDER BY position) FROM ({select})"
    )
}

/// Reads what [`packed`] wrote, checking every value as stored values are checked.
fn unpack(page: &str) -> Result<Vec<RecordedEvent>, StoreError> {
    match serde_json::from_str::<Vec<PackedEvent>>(page) {
        Ok(rows) => rows.into_iter().map(PackedEvent::into_event).collect(),
        Err(error) => Err(unreadable_row(page, error)),
    }
}

/// Names the first row of a page that does not have the columns' types (a value of another
/// type written into the file behind the store's back), with its position.
fn unreadable_row(page: &str, error: serde_json::Error) -> StoreError {
    let rows: Vec<serde_json::Value> = serde_json::from_str(page).unwrap_or_default();
    for row in rows {
        let position = row.get(0).and_then(serde_json::Value::as_i64).unwrap_or(0);
        if let Err(error) = <PackedEvent as serde::Deserialize>::deserialize(row) {
            return corrupt(position, format!("a column of another type: {error}"));
        }
    }
    corrupt(0, format!("a page of the log cannot be read: {error}"))
}

/// A row of [`EVENT_COLUMNS`] as `json_array` writes it.
#[derive(serde::Deserialize)]
struct PackedEvent(
    i64,
    String,
    String,
    String,
    i64,
    String,
    i32,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    String,
    String,
    String,
);

impl PackedEvent {
    fn into_event(self) -> Result<RecordedEvent, StoreError> {
        let position = self.0;
        let timestamp =
            |text: &str| Timestamp::parse_canonical(text).map_err(|error| corrupt(position, error));
        Ok(RecordedEvent {
            position,
            event_id: parse_uuid(position, &self.1)?,
            command_id: parse_uuid(position, &self.2)?,
            stream_id: self.3,
            stream_version: self.4,
            event_type: self.5,
            schema_version: self.6,
            occurred_at: timestamp(&self.7)?,
            recorded_at: timestamp(&self.8)?,
            actor: self.9,
            role: self.10,
            organisation: self.11,
            facility: self.12,
            source: Source::from_str(&self.13).map_err(|error| corrupt(position, error))?,
            reason: self.14,
            document_ref: self.15,
            correlation_id: parse_uuid(position, &self.16)?,
            causation_id: self.17.map(|text| parse_uuid(position, &text)).transpose()?,
            payload: self.18,
            prev_hash: self.19,
            hash: self.20,
        })
    }
}

pub(crate) async fn read_stream(
    pool: &SqlitePool,
    stream_id: &str,
    from_version: i64,
    limit: i64,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let sql = packed(&format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = ? AND stream_version >= ? \
         ORDER BY stream_version LIMIT ?"
    ));
    let query =
        sqlx::query_scalar::<_, String>(&sql).bind(stream_id).bind(from_version).bind(limit);
    unpack(&query.fetch_one(pool).await?)
}

pub(crate) async fn read_category(
    pool: &SqlitePool,
    category: &str,
    from: i64,
    limit: i64,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let sql = packed(&format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE category = ? AND position >= ? \
         ORDER BY position LIMIT ?"
    ));
    let query = sqlx::query_scalar::<_, String>(&sql).bind(category).bind(from).bind(limit);
    unpack(&query.fetch_one(pool).await?)
}

pub(crate) async fn read_by_actor(
    pool: &SqlitePool,
    actor: &str,
    from: i64,
    limit: i64,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let sql = packed(&format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE actor = ? AND position >= ? ORDER BY position LIMIT ?"
    ));
    let query = sqlx::query_scalar::<_, String>(&sql).bind(actor).bind(from).bind(limit);
    unpack(&query.fetch_one(pool).await?)
}

/// The literal type in the query lets the partial index `events_reversals` serve it.
pub(crate) async fn read_reversals(
    pool: &SqlitePool,
    from: i64,
    limit: i64,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let sql = packed(&format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE event_type = 'EventReversed' AND position >= ? ORDER BY position LIMIT ?"
    ));
    let query = sqlx::query_scalar::<_, String>(&sql).bind(from).bind(limit);
    unpack(&query.fetch_one(pool).await?)
}

/// The last position recorded at or before `at`: `recorded_at` never decreases along the log,
/// so what the log knew at `at` is the prefix up to it.
pub(crate) async fn known_position(pool: &SqlitePool, at: Timestamp) -> Result<i64, StoreError> {
    let sql =
        "SELECT recorded_at FROM events WHERE recorded_at <= ? ORDER BY recorded_at DESC LIMIT 1";
    let last: Option<String> =
        sqlx::query_scalar(sql).bind(at.to_string()).fetch_optional(pool).await?;
    let Some(last) = last else { return Ok(0) };
    let sql = "SELECT MAX(position) FROM events WHERE recorded_at = ?";
    let position: Option<i64> = sqlx::query_scalar(sql).bind(last).fetch_one(pool).await?;
    Ok(position.unwrap_or(0))
}

/// Events in `(after, until]` recorded more than 23 hours after they occurred, and before
/// `occurred_before`, in position order.
pub(crate) async fn read_late(
    pool: &SqlitePool,
    after: i64,
    until: i64,
    occurred_before: Timestamp,
    limit: i64,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let sql = packed(&format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE position IN (SELECT position FROM late_events \
         WHERE position > ? AND position <= ? AND occurred_at < ?) ORDER BY position LIMIT ?"
    ));
    let query = sqlx::query_scalar::<_, String>(&sql)
        .bind(after)
        .bind(until)
        .bind(occurred_before.to_string())
        .bind(limit);
    unpack(&query.fetch_one(pool).await?)
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

pub(crate) async fn stream_version(pool: &SqlitePool, stream_id: &str) -> Result<i64, StoreError> {
    let mut connection = pool.acquire().await?;
    read_stream_version(&mut connection, stream_id).await
}

async fn read_stream_version(
    connection: &mut SqliteConnection,
    stream_id: &str,
) -> Result<i64, StoreError> {
    let sql = "SELECT MAX(stream_version) FROM events WHERE stream_id = ?";
    let version: Option<i64> =
        sqlx::query_scalar(sql).bind(stream_id).fetch_one(connection).await?;
    Ok(version.unwrap_or(0))
}

pub(crate) async fn command_record(
    pool: &SqlitePool,
    command_id: Uuid,
) -> Result<Option<(String, AppendOutcome)>, StoreError> {
    let mut connection = pool.acquire().await?;
    let stored = read_command(&mut connection, command_id).await?;
    Ok(stored.map(|stored| (stored.request_digest, stored.outcome)))
}

async fn read_command(
    connection: &mut SqliteConnection,
    command_id: Uuid,
) -> Result<Option<StoredCommand>, StoreError> {
    let sql = "SELECT request_digest, outcome, first_position FROM commands WHERE command_id = ?";
    let query = sqlx::query(sql).bind(command_id.hyphenated().to_string());
    let Some(row) = query.fetch_optional(connection).await? else { return Ok(None) };
    let position: i64 = row.try_get(2)?;
    let outcome: String = row.try_get(1)?;
    let outcome = decode_outcome(position, &outcome)?;
    Ok(Some(StoredCommand { request_digest: row.try_get(0)?, outcome }))
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
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.pragma_update(None, "foreign_keys", "ON")?;
    connection.pragma_update(None, "secure_delete", "ON")?;
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
    let tip = writer_tip(&transaction)?.unwrap_or_else(ChainTip::genesis);
    super::continues_chain(&tip, events)?;
    insert_events(&transaction, events)?;
    insert_commands(&transaction, commands)?;
    transaction.commit().map_err(StoreError::from)?;
    Ok(())
}

fn writer_tip(connection: &rusqlite::Connection) -> Result<Option<ChainTip>, StoreError> {
    let sql = "SELECT position, hash, recorded_at FROM events ORDER BY position DESC LIMIT 1";
    let mut statement = connection.prepare_cached(sql)?;
    let mut rows = statement.query([])?;
    let Some(row) = rows.next()? else { return Ok(None) };
    let position: i64 = row.get(0)?;
    let recorded_at: String = row.get(2)?;
    let recorded_at = Timestamp::parse_canonical(&recorded_at).map_err(|e| corrupt(position, e))?;
    Ok(Some(ChainTip { position, hash: row.get(1)?, recorded_at: Some(recorded_at) }))
}

/// What a batch is checked against, read under the write lock: the chain's tip, the version
/// of every stream the batch names and the records of its commands.
fn read_write_state(
    connection: &rusqlite::Connection,
    requests: &[AppendRequest],
) -> Result<WriteState, StoreError> {
    let mut state = WriteState { tip: writer_tip(connection)?, ..WriteState::default() };
    let stream_ids: BTreeSet<&str> = requests
        .iter()
        .flat_map(|request| request.streams.iter().map(|stream| stream.stream_id.as_str()))
        .collect();
    let sql = "SELECT MAX(stream_version) FROM events WHERE stream_id = ?1";
    let mut versions = connection.prepare_cached(sql)?;
    for stream_id in stream_ids {
        let version: Option<i64> = versions.query_row([stream_id], |row| row.get(0))?;
        state.stream_versions.insert(stream_id.to_owned(), version.unwrap_or(0));
    }
    let sql = "SELECT request_digest, outcome, first_position FROM commands WHERE command_id = ?1";
    let mut records = connection.prepare_cached(sql)?;
    let command_ids: BTreeSet<Uuid> = requests.iter().map(|request| request.command_id).collect();
    for command_id in command_ids {
        let mut rows = records.query([command_id.hyphenated().to_string()])?;
        let Some(row) = rows.next()? else { continue };
        let position: i64 = row.get(2)?;
        let outcome: String = row.get(1)?;
        let stored = StoredCommand {
            request_digest: row.get(0)?,
            outcome: decode_outcome(position, &outcome)?,
        };
        state.commands.insert(command_id, stored);
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
    let uuid = Uuid::parse_str(text).map_err(|error| corrupt(position, error))?;
    let mut canonical = [0_u8; uuid::fmt::Hyphenated::LENGTH];
    if uuid.hyphenated().encode_lower(&mut canonical) != text {
        return Err(corrupt(position, format!("`{text}` is not a lower-case hyphenated UUID")));
    }
    Ok(uuid)
}
