//! The PostgreSQL backend: for shared and national deployments.
//!
//! Appends run under READ COMMITTED and begin by locking the one row of `log_head`
//! (`SELECT … FOR UPDATE`). Every statement after the lock sees everything committed before it,
//! so the tip and the stream versions read under it are current; positions come from the tip,
//! never from a sequence, so a rolled-back append leaves no hole. Each commit notifies the
//! channel `jejak_events`, which subscribers in other processes listen on.

use std::collections::BTreeSet;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use events::chain::{EncodedPage, EventText};
use events::{AppendRequest, ExpectedVersion, RecordedEvent, Source, Timestamp};
use futures::TryStreamExt;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{PgConnection, PgPool, Row};
use uuid::Uuid;

use super::plan::{self, BatchMode, ChainTip, Plan, StoredCommand, WriteState};
use super::{
    AppendOutcome, EVENT_COLUMNS, Head, StoreError, corrupt, decode_outcome, encode_outcome,
};
use crate::clock::Clock;
use crate::store::writer::WriterTarget;

/// Connections of the pool (read models, reports, the tree; events are read by
/// `postgres_reader`).
const READ_CONNECTIONS_MAX: u32 = 8;
/// Rows per INSERT statement when a batch is large.
const INSERT_ROWS_MAX: usize = 2_000;
/// The notification channel every append signals on commit.
pub(crate) const NOTIFY_CHANNEL: &str = "jejak_events";
/// How long a connection waits for a lock before its statement fails.
pub(crate) const LOCK_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a session may sit idle inside a transaction before the server ends it.
pub(crate) const IDLE_IN_TRANSACTION_TIMEOUT: Duration = Duration::from_secs(60);

pub(crate) fn connect_options(url: &str) -> Result<PgConnectOptions, StoreError> {
    let lock_timeout = format!("{}ms", LOCK_TIMEOUT.as_millis());
    let idle_timeout = format!("{}ms", IDLE_IN_TRANSACTION_TIMEOUT.as_millis());
    let options = PgConnectOptions::from_str(url)?.application_name("jejak").options([
        ("lock_timeout", lock_timeout.as_str()),
        ("idle_in_transaction_session_timeout", idle_timeout.as_str()),
        ("timezone", "UTC"),
    ]);
    Ok(options)
}

/// When this process last met a lost connection, in milliseconds after [`process_start`]; 0
/// when it never has.
static CONNECTION_LOST_AT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn process_start() -> std::time::Instant {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    *START.get_or_init(std::time::Instant::now)
}

/// Notes that a connection was found lost: pooled connections idle since then are tested
/// before they are handed out again.
pub(crate) fn connection_lost_now() {
    let at = u64::try_from(process_start().elapsed().as_millis()).unwrap_or(u64::MAX).max(1);
    CONNECTION_LOST_AT.fetch_max(at, std::sync::atomic::Ordering::Relaxed);
}

/// Whether a connection that has sat idle for `idle_for` may have been cut while it did: it
/// went idle no later than the last loss this process met (a restart or an administrator
/// ends every session at once, so its idle neighbours are likely dead too).
pub(crate) fn idle_through_a_loss(idle_for: Duration) -> bool {
    let lost_at = CONNECTION_LOST_AT.load(std::sync::atomic::Ordering::Relaxed);
    if lost_at == 0 {
        return false;
    }
    let idle_since = process_start().elapsed().saturating_sub(idle_for);
    idle_since <= Duration::from_millis(lost_at) + Duration::from_millis(1)
}

pub(crate) async fn open(url: &str) -> Result<(PgPool, WriterTarget), StoreError> {
    let options = connect_options(url)?;
    // Connections are not tested before every use (a round trip each), only those that sat
    // idle through a connection loss this process met: after a restart, a failover or
    // `pg_terminate_backend`, the dead ones are dropped before a request meets them.
    let pool = PgPoolOptions::new()
        .max_connections(READ_CONNECTIONS_MAX)
        .test_before_acquire(false)
        .before_acquire(|connection, meta| {
            Box::pin(async move {
                if !idle_through_a_loss(meta.idle_for) {
                    return Ok(true);
                }
                Ok(sqlx::Connection::ping(connection).await.is_ok())
            })
        })
        .connect_with(options.clone())
        .await?;
    let migrator = sqlx::migrate!("migrations/postgres");
    if !migrations_applied(&pool, &migrator).await {
        migrator.run(&pool).await?;
    }
    Ok((pool, WriterTarget::Postgres(Box::new(options))))
}

/// Whether every migration this build knows is applied, unchanged. Reading that needs no right
/// to create anything, so a login role of `jejak_app` can open a database its owner migrated;
/// when something is missing or different, `run` applies it or says why it cannot.
async fn migrations_applied(pool: &PgPool, migrator: &sqlx::migrate::Migrator) -> bool {
    let applied: Result<Vec<(i64, Vec<u8>)>, _> =
        sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations WHERE success")
            .fetch_all(pool)
            .await;
    let Ok(applied) = applied else { return false };
    migrator.iter().all(|migration| {
        applied.iter().any(|(version, checksum)| {
            *version == migration.version && checksum.as_slice() == &*migration.checksum
        })
    })
}

/// The last event row of the log: what the chain ends with, whatever `log_head` says.
pub(crate) async fn head(connection: &mut PgConnection) -> Result<Head, StoreError> {
    let sql = "SELECT position, hash, recorded_at FROM events ORDER BY position DESC LIMIT 1";
    let Some(row) = sqlx::query(sql).fetch_optional(connection).await? else {
        return Ok(Head::genesis());
    };
    let tip = tip_from_row(&row)?;
    Ok(Head { position: tip.position, hash: tip.hash, recorded_at: tip.recorded_at })
}

/// The last event row and the `log_head` row (where the writers last left the chain's tip),
/// read in one statement, so both are of one moment. `verify` checks that they agree.
pub(crate) async fn heads(connection: &mut PgConnection) -> Result<(Head, Head), StoreError> {
    let sql = "SELECT h.position, h.hash, h.recorded_at, e.position, e.hash, e.recorded_at \
               FROM log_head h LEFT JOIN LATERAL (SELECT position, hash, recorded_at FROM events \
               ORDER BY position DESC LIMIT 1) e ON true";
    let row = sqlx::query(sql).fetch_one(connection).await?;
    let recorded = tip_from_row(&row)?;
    let recorded = Head {
        position: recorded.position,
        hash: recorded.hash,
        recorded_at: recorded.recorded_at,
    };
    let last: Option<i64> = row.try_get(3)?;
    let Some(position) = last else { return Ok((Head::genesis(), recorded)) };
    let recorded_at: DateTime<Utc> = row.try_get(5)?;
    let last = Head {
        position,
        hash: row.try_get(4)?,
        recorded_at: Some(timestamp(position, recorded_at)?),
    };
    Ok((last, recorded))
}

fn tip_from_row(row: &PgRow) -> Result<ChainTip, StoreError> {
    let position: i64 = row.try_get(0)?;
    let recorded_at: Option<DateTime<Utc>> = row.try_get(2)?;
    let recorded_at = recorded_at.map(|time| timestamp(position, time)).transpose()?;
    Ok(ChainTip { position, hash: row.try_get(1)?, recorded_at })
}

pub(crate) async fn read_all(
    connection: &mut PgConnection,
    from: i64,
    limit: i64,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let sql = read_all_sql();
    fetch_events(sqlx::query(&sql).bind(from).bind(limit), connection).await
}

fn read_all_sql() -> String {
    format!("SELECT {EVENT_COLUMNS} FROM events WHERE position >= $1 ORDER BY position LIMIT $2")
}

/// The same page, encoded for the chain into `page`.
pub(crate) async fn read_all_encoded(
    connection: &mut PgConnection,
    from: i64,
    limit: i64,
    mut page: EncodedPage,
) -> Result<EncodedPage, StoreError> {
    let sql = read_all_sql();
    page.clear(usize::try_from(limit).unwrap_or(0));
    fetch_into(sqlx::query(&sql).bind(from).bind(limit), connection, page, encode_row).await
}

pub(crate) async fn read_stream(
    connection: &mut PgConnection,
    stream_id: &str,
    from_version: i64,
    limit: i64,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = $1 AND stream_version >= $2 \
         ORDER BY stream_version LIMIT $3"
    );
    fetch_events(sqlx::query(&sql).bind(stream_id).bind(from_version).bind(limit), connection).await
}

pub(crate) async fn read_category(
    connection: &mut PgConnection,
    category: &str,
    from: i64,
    limit: i64,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE category = $1 AND position >= $2 \
         ORDER BY position LIMIT $3"
    );
    let query = sqlx::query(&sql).bind(category).bind(from).bind(limit);
    fetch_events(query, connection).await
}

pub(crate) async fn read_by_actor(
    connection: &mut PgConnection,
    actor: &str,
    from: i64,
    limit: i64,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE actor = $1 AND position >= $2 ORDER BY position LIMIT $3"
    );
    let query = sqlx::query(&sql).bind(actor).bind(from).bind(limit);
    fetch_events(query, connection).await
}

/// The literal type in the query lets the partial index `events_reversals` serve it.
pub(crate) async fn read_reversals(
    connection: &mut PgConnection,
    from: i64,
    limit: i64,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE event_type = 'EventReversed' AND position >= $1 ORDER BY position LIMIT $2"
    );
    let query = sqlx::query(&sql).bind(from).bind(limit);
    fetch_events(query, connection).await
}

/// The last position recorded at or before `at`: `recorded_at` never decreases along the log,
/// so what the log knew at `at` is the prefix up to it.
pub(crate) async fn known_position(pool: &PgPool, at: Timestamp) -> Result<i64, StoreError> {
    let sql = super::KNOWN_POSITION_SQL;
    let position: i64 = sqlx::query_scalar(sql).bind(at.to_datetime()).fetch_one(pool).await?;
    Ok(position)
}

/// Events in `(after, until]` recorded more than 23 hours after they occurred, and before
/// `occurred_before`, in position order.
pub(crate) async fn read_late(
    connection: &mut PgConnection,
    after: i64,
    until: i64,
    occurred_before: Timestamp,
    limit: i64,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE position IN (SELECT position FROM late_events \
         WHERE position > $1 AND position <= $2 AND occurred_at < $3) ORDER BY position LIMIT $4"
    );
    let query =
        sqlx::query(&sql).bind(after).bind(until).bind(occurred_before.to_datetime()).bind(limit);
    fetch_events(query, connection).await
}

/// The positions of the events with these ids (those that exist).
pub(crate) async fn positions_of(
    pool: &PgPool,
    event_ids: &[Uuid],
) -> Result<Vec<(Uuid, i64)>, StoreError> {
    // One index lookup per id: `event_id = ANY($1)` can be planned as a scan of the whole log
    // once the statement goes generic (see `write_batch`).
    let sql = "SELECT e.event_id, e.position FROM unnest($1::uuid[]) AS i(id) \
               CROSS JOIN LATERAL (SELECT event_id, position FROM events WHERE event_id = i.id) AS e";
    let rows = sqlx::query(sql).bind(event_ids).fetch_all(pool).await?;
    rows.iter().map(|row| Ok((row.try_get(0)?, row.try_get(1)?))).collect()
}

pub(crate) async fn stream_version(
    connection: &mut PgConnection,
    stream_id: &str,
) -> Result<i64, StoreError> {
    let sql = "SELECT MAX(stream_version) FROM events WHERE stream_id = $1";
    let version: Option<i64> =
        sqlx::query_scalar(sql).bind(stream_id).fetch_one(connection).await?;
    Ok(version.unwrap_or(0))
}

pub(crate) async fn command_record(
    connection: &mut PgConnection,
    command_id: Uuid,
) -> Result<Option<(String, AppendOutcome)>, StoreError> {
    let sql = "SELECT request_digest, outcome, first_position FROM commands WHERE command_id = $1";
    let Some(row) = sqlx::query(sql).bind(command_id).fetch_optional(connection).await? else {
        return Ok(None);
    };
    let position: i64 = row.try_get(2)?;
    let outcome: String = row.try_get(1)?;
    Ok(Some((row.try_get(0)?, decode_outcome(position, &outcome)?)))
}

/// Writes events and command records copied from another log, once they are checked to
/// continue this log's chain, in one transaction under the `log_head` lock. On an error the
/// transaction is left open and the caller drops the connection, which rolls it back.
pub(crate) async fn write_verbatim(
    connection: &mut PgConnection,
    events: &[RecordedEvent],
    commands: &[(Uuid, StoredCommand)],
) -> Result<(), super::AppendError> {
    sqlx::query("BEGIN ISOLATION LEVEL READ COMMITTED")
        .execute(&mut *connection)
        .await
        .map_err(StoreError::from)?;
    let sql = "SELECT position, hash, recorded_at FROM log_head FOR UPDATE";
    let row = sqlx::query(sql).fetch_one(&mut *connection).await.map_err(StoreError::from)?;
    let tip = tip_from_row(&row)?;
    super::continues_chain(&tip, events)?;
    for chunk in events.chunks(INSERT_ROWS_MAX) {
        insert_events(connection, chunk).await?;
    }
    for chunk in commands.chunks(INSERT_ROWS_MAX) {
        insert_commands(connection, chunk).await?;
    }
    if let Some(last) = events.last() {
        let sql = "UPDATE log_head SET position = $1, hash = $2, recorded_at = $3 \
                   RETURNING pg_notify($4, $1::text)";
        sqlx::query(sql)
            .bind(last.position)
            .bind(&last.hash)
            .bind(last.recorded_at.to_datetime())
            .bind(NOTIFY_CHANNEL)
            .execute(&mut *connection)
            .await
            .map_err(StoreError::from)?;
    }
    sqlx::query("COMMIT").execute(&mut *connection).await.map_err(StoreError::from)?;
    Ok(())
}

/// Sessions of this database waiting for a lock, each with a session that blocks it.
pub(crate) async fn stalls(pool: &PgPool) -> Result<Vec<super::Stall>, StoreError> {
    let sql = "SELECT w.pid, coalesce(w.application_name, ''), \
               coalesce(extract(epoch FROM now() - w.query_start), 0)::float8, \
               b.pid, coalesce(b.application_name, ''), coalesce(b.state, ''), \
               coalesce(extract(epoch FROM now() - b.xact_start), 0)::float8, \
               left(coalesce(b.query, ''), 200) \
               FROM pg_stat_activity w \
               CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS blocker(pid) \
               JOIN pg_stat_activity b ON b.pid = blocker.pid \
               WHERE w.datname = current_database() ORDER BY 3 DESC, w.pid";
    let rows = sqlx::query(sql).fetch_all(pool).await?;
    rows.iter()
        .map(|row| {
            Ok(super::Stall {
                waiting_pid: row.try_get(0)?,
                waiting_application: row.try_get(1)?,
                waiting_seconds: row.try_get(2)?,
                blocking_pid: row.try_get(3)?,
                blocking_application: row.try_get(4)?,
                blocking_state: row.try_get(5)?,
                blocking_transaction_seconds: row.try_get(6)?,
                blocking_query: row.try_get(7)?,
            })
        })
        .collect()
}

/// Writes one batch: in one round trip when the writer knows the tip and every stream's
/// expected version is exact (see [`write_if_unchanged`]), otherwise, or when that finds the
/// log moved on, under the lock with [`write_locked`]. `known` is the tip this writer last
/// committed, kept for the next batch; it is forgotten on any failure.
pub(crate) async fn write_batch(
    connection: &mut PgConnection,
    clock: &dyn Clock,
    requests: &[AppendRequest],
    mode: BatchMode,
    metrics: &super::StoreMetrics,
    known: &mut Option<ChainTip>,
) -> Result<Plan, StoreError> {
    let tip = known.take();
    if let Some(plan) = tip.and_then(|tip| assumed_plan(tip, clock.now(), requests, mode)) {
        if write_if_unchanged(connection, &plan).await? {
            *known = Some(plan.plan.tip.clone());
            return Ok(plan.plan);
        }
        metrics.optimistic_misses.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    let plan = write_locked(connection, clock, requests, mode, metrics).await?;
    *known = Some(plan.tip.clone());
    Ok(plan)
}

/// A plan laid out on assumptions instead of reads, and what it assumed.
struct AssumedPlan {
    plan: Plan,
    /// The tip it was laid on.
    tip: ChainTip,
    /// Every stream the batch names, at the version the plan took it to be at.
    streams: Vec<(String, i64)>,
}

/// The plan of a batch on `tip`, taking each stream to be at the version its first request
/// expects and no command to be in the log yet. `None` when that cannot be assumed (a stream
/// expected at any version) or would not be worth checking: a refusal (answers given from
/// assumptions are not given at all), or a batch too large for one statement.
fn assumed_plan(
    tip: ChainTip,
    now: Timestamp,
    requests: &[AppendRequest],
    mode: BatchMode,
) -> Option<AssumedPlan> {
    let mut streams: Vec<(String, i64)> = Vec::new();
    for stream in requests.iter().flat_map(|request| &request.streams) {
        let ExpectedVersion::Exact(version) = stream.expected else { return None };
        if !streams.iter().any(|(id, _)| *id == stream.stream_id) {
            streams.push((stream.stream_id.clone(), version));
        }
    }
    let state = WriteState {
        tip: Some(tip.clone()),
        stream_versions: streams.iter().cloned().collect(),
        commands: Default::default(),
    };
    let plan = plan::plan(state, now, requests, mode);
    let fits = plan.events.len() <= INSERT_ROWS_MAX && plan.commands.len() <= INSERT_ROWS_MAX;
    let refused = plan.results.iter().any(Result::is_err);
    (fits && !refused && !plan.events.is_empty()).then_some(AssumedPlan { plan, tip, streams })
}

/// Writes an assumed plan in one statement, committed on its own, if and only if its
/// assumptions hold: the head is still the tip it was laid on (so nothing was appended since,
/// and what the statement's snapshot shows is the whole log), every stream is at the version
/// assumed, and none of its commands is recorded. The `log_head` update takes the row lock,
/// and under READ COMMITTED re-checks the head on the newest row version after a wait, so two
/// writers laid on the same tip cannot both succeed: positions stay gap-free and in commit
/// order. Returns whether it wrote; when it did not, nothing was written.
async fn write_if_unchanged(
    connection: &mut PgConnection,
    assumed: &AssumedPlan,
) -> Result<bool, StoreError> {
    let plan = &assumed.plan;
    // Each stream and each command is looked up through its index by a scalar subquery, which
    // the planner cannot turn into a join: as `EXISTS` the command check was planned as a hash
    // join over a scan of the whole `commands` table.
    let sql = format!(
        "WITH head AS (UPDATE log_head SET position = $29, hash = $30, recorded_at = $31 \
         WHERE position = $33 AND hash = $34 \
         AND NOT EXISTS (SELECT 1 FROM unnest($35::text[], $36::bigint[]) AS s(id, version) \
         WHERE coalesce((SELECT MAX(stream_version) FROM events WHERE stream_id = s.id), 0) \
         <> s.version) \
         AND NOT EXISTS (SELECT 1 FROM unnest($37::uuid[]) AS i(id) \
         WHERE (SELECT true FROM commands WHERE command_id = i.id)) \
         RETURNING position), \
         written_events AS ({EVENT_INSERT} WHERE EXISTS (SELECT 1 FROM head)), \
         written_commands AS ({} WHERE EXISTS (SELECT 1 FROM head)) \
         SELECT pg_notify($32, position::text) FROM head",
        command_insert(23)
    );
    let (stream_ids, versions): (Vec<String>, Vec<i64>) = assumed.streams.iter().cloned().unzip();
    let command_ids: Vec<Uuid> = plan.commands.iter().map(|(id, _)| *id).collect();
    let query = bind_commands(bind_events(sqlx::query(&sql), &plan.events), &plan.commands);
    let written = query
        .bind(plan.tip.position)
        .bind(&plan.tip.hash)
        .bind(plan.tip.recorded_at.map(Timestamp::to_datetime))
        .bind(NOTIFY_CHANNEL)
        .bind(assumed.tip.position)
        .bind(&assumed.tip.hash)
        .bind(stream_ids)
        .bind(versions)
        .bind(command_ids)
        .fetch_optional(&mut *connection)
        .await?;
    Ok(written.is_some())
}

/// Writes one batch in one READ COMMITTED transaction under the `log_head` row lock, in five
/// round trips: BEGIN, the lock, one read of the streams' versions and the command records,
/// one statement writing events, command records and the new head, COMMIT. (A
/// batch larger than [`INSERT_ROWS_MAX`] rows writes in several statements.) On an error the
/// transaction is left open and the caller drops the connection, which rolls it back.
async fn write_locked(
    connection: &mut PgConnection,
    clock: &dyn Clock,
    requests: &[AppendRequest],
    mode: BatchMode,
    metrics: &super::StoreMetrics,
) -> Result<Plan, StoreError> {
    sqlx::query("BEGIN ISOLATION LEVEL READ COMMITTED").execute(&mut *connection).await?;
    let sql = "SELECT position, hash, recorded_at FROM log_head FOR UPDATE";
    let waiting = std::time::Instant::now();
    let tip = tip_from_row(&sqlx::query(sql).fetch_one(&mut *connection).await?)?;
    metrics.lock_waited(waiting.elapsed());
    let mut state = WriteState { tip: Some(tip), ..WriteState::default() };

    // What the batch is checked against, read after the lock: one statement for both.
    let stream_ids: Vec<String> = requests
        .iter()
        .flat_map(|request| request.streams.iter().map(|stream| stream.stream_id.clone()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let command_ids: Vec<Uuid> = requests.iter().map(|request| request.command_id).collect();
    // Each id is looked up on its own through the index. `stream_id = ANY($1)` read the same,
    // but once the statement went generic (after five runs) PostgreSQL planned it as a scan
    // of all of `events`, evaluating the array against every row: the append slowed as the
    // log grew (a profile of W1 showed `ExecEvalScalarArrayOp` and `texteq` on a heap scan).
    let sql = "SELECT 0, s.id, (SELECT MAX(stream_version) FROM events WHERE stream_id = s.id), \
               NULL::text, NULL::text, NULL::int8 FROM unnest($1::text[]) AS s(id) \
               UNION ALL \
               SELECT 1, c.command_id::text, NULL::int8, c.request_digest, c.outcome, \
               c.first_position FROM unnest($2::uuid[]) AS i(id) \
               CROSS JOIN LATERAL (SELECT * FROM commands WHERE command_id = i.id) AS c";
    let query = sqlx::query(sql).bind(&stream_ids).bind(&command_ids);
    for row in query.fetch_all(&mut *connection).await? {
        let kind: i32 = row.try_get(0)?;
        let key: String = row.try_get(1)?;
        if kind == 0 {
            let version: Option<i64> = row.try_get(2)?;
            state.stream_versions.insert(key, version.unwrap_or(0));
        } else {
            let position: i64 = row.try_get(5)?;
            let command_id = Uuid::parse_str(&key).map_err(|error| corrupt(position, error))?;
            let outcome: Option<String> = row.try_get(4)?;
            let stored = StoredCommand {
                request_digest: row.try_get(3)?,
                outcome: decode_outcome(position, outcome.as_deref().unwrap_or_default())?,
            };
            state.commands.insert(command_id, stored);
        }
    }

    let plan = plan::plan(state, clock.now(), requests, mode);
    if plan.events.len() <= INSERT_ROWS_MAX && plan.commands.len() <= INSERT_ROWS_MAX {
        if !plan.events.is_empty() {
            write_in_one_statement(connection, &plan).await?;
        }
    } else {
        for chunk in plan.events.chunks(INSERT_ROWS_MAX) {
            insert_events(connection, chunk).await?;
        }
        for chunk in plan.commands.chunks(INSERT_ROWS_MAX) {
            insert_commands(connection, chunk).await?;
        }
        update_head(connection, &plan).await?;
    }
    sqlx::query("COMMIT").execute(&mut *connection).await?;
    Ok(plan)
}

const EVENT_INSERT: &str = "INSERT INTO events (position, event_id, command_id, stream_id, \
    stream_version, category, event_type, schema_version, occurred_at, recorded_at, actor, role, \
    organisation, facility, source, reason, document_ref, correlation_id, causation_id, \
    payload, prev_hash, hash) \
    SELECT * FROM UNNEST($1::bigint[], $2::uuid[], $3::uuid[], $4::text[], $5::bigint[], \
    $6::text[], $7::text[], $8::int[], $9::timestamptz[], $10::timestamptz[], $11::text[], \
    $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], \
    $18::uuid[], $19::uuid[], $20::text[], $21::text[], $22::text[])";

/// The command-record insert, its parameters numbered from `$first`.
fn command_insert(first: usize) -> String {
    let [a, b, c, d, e, f] = [0, 1, 2, 3, 4, 5].map(|n| first + n);
    format!(
        "INSERT INTO commands (command_id, request_digest, first_position, last_position, \
         recorded_at, outcome) SELECT * FROM UNNEST(${a}::uuid[], ${b}::text[], ${c}::bigint[], \
         ${d}::bigint[], ${e}::timestamptz[], ${f}::text[])"
    )
}

/// The events, their command records and the new head in one statement (data-modifying CTEs).
async fn write_in_one_statement(
    connection: &mut PgConnection,
    plan: &Plan,
) -> Result<(), StoreError> {
    let sql = format!(
        "WITH written_events AS ({EVENT_INSERT}), written_commands AS ({}) \
         UPDATE log_head SET position = $29, hash = $30, recorded_at = $31 \
         RETURNING pg_notify($32, $29::text)",
        command_insert(23)
    );
    let query = bind_commands(bind_events(sqlx::query(&sql), &plan.events), &plan.commands);
    query
        .bind(plan.tip.position)
        .bind(&plan.tip.hash)
        .bind(plan.tip.recorded_at.map(Timestamp::to_datetime))
        .bind(NOTIFY_CHANNEL)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

async fn update_head(connection: &mut PgConnection, plan: &Plan) -> Result<(), StoreError> {
    if plan.events.is_empty() {
        return Ok(());
    }
    let sql = "UPDATE log_head SET position = $1, hash = $2, recorded_at = $3 \
               RETURNING pg_notify($4, $1::text)";
    sqlx::query(sql)
        .bind(plan.tip.position)
        .bind(&plan.tip.hash)
        .bind(plan.tip.recorded_at.map(Timestamp::to_datetime))
        .bind(NOTIFY_CHANNEL)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

/// Binds the 22 columns of `events` as arrays, in [`EVENT_INSERT`]'s order.
fn bind_events<'q>(query: PgQuery<'q>, events: &[RecordedEvent]) -> PgQuery<'q> {
    fn column<T>(events: &[RecordedEvent], field: impl Fn(&RecordedEvent) -> T) -> Vec<T> {
        events.iter().map(field).collect()
    }
    query
        .bind(column(events, |e| e.position))
        .bind(column(events, |e| e.event_id))
        .bind(column(events, |e| e.command_id))
        .bind(column(events, |e| e.stream_id.clone()))
        .bind(column(events, |e| e.stream_version))
        .bind(column(events, |e| e.category().to_owned()))
        .bind(column(events, |e| e.event_type.clone()))
        .bind(column(events, |e| e.schema_version))
        .bind(column(events, |e| e.occurred_at.to_datetime()))
        .bind(column(events, |e| e.recorded_at.to_datetime()))
        .bind(column(events, |e| e.actor.clone()))
        .bind(column(events, |e| e.role.clone()))
        .bind(column(events, |e| e.organisation.clone()))
        .bind(column(events, |e| e.facility.clone()))
        .bind(column(events, |e| e.source.as_str()))
        .bind(column(events, |e| e.reason.clone()))
        .bind(column(events, |e| e.document_ref.clone()))
        .bind(column(events, |e| e.correlation_id))
        .bind(column(events, |e| e.causation_id))
        .bind(column(events, |e| e.payload.clone()))
        .bind(column(events, |e| e.prev_hash.clone()))
        .bind(column(events, |e| e.hash.clone()))
}

/// Binds the 6 columns of command records as arrays, in [`command_insert`]'s order.
fn bind_commands<'q>(query: PgQuery<'q>, commands: &[(Uuid, StoredCommand)]) -> PgQuery<'q> {
    let outcomes = commands.iter().map(|(_, stored)| &stored.outcome);
    query
        .bind(commands.iter().map(|(id, _)| *id).collect::<Vec<_>>())
        .bind(commands.iter().map(|(_, stored)| stored.request_digest.clone()).collect::<Vec<_>>())
        .bind(outcomes.clone().map(|outcome| outcome.first_position).collect::<Vec<_>>())
        .bind(outcomes.clone().map(|outcome| outcome.last_position).collect::<Vec<_>>())
        .bind(outcomes.clone().map(|outcome| outcome.recorded_at.to_datetime()).collect::<Vec<_>>())
        .bind(outcomes.map(encode_outcome).collect::<Vec<_>>())
}

async fn insert_events(
    connection: &mut PgConnection,
    events: &[RecordedEvent],
) -> Result<(), StoreError> {
    bind_events(sqlx::query(EVENT_INSERT), events).execute(&mut *connection).await?;
    Ok(())
}

async fn insert_commands(
    connection: &mut PgConnection,
    commands: &[(Uuid, StoredCommand)],
) -> Result<(), StoreError> {
    let sql = command_insert(1);
    let query = bind_commands(sqlx::query(&sql), commands);
    query.execute(&mut *connection).await?;
    Ok(())
}

fn timestamp(position: i64, time: DateTime<Utc>) -> Result<Timestamp, StoreError> {
    Timestamp::from_datetime(time)
        .ok_or_else(|| corrupt(position, format!("{time} is outside the years 1900-9999")))
}

/// Runs a query of [`EVENT_COLUMNS`], decoding each row as it arrives: the server goes on
/// sending while a row is decoded, where collecting the rows first would leave it idle while
/// the whole page is decoded.
async fn fetch_events(
    query: PgQuery<'_>,
    connection: &mut PgConnection,
) -> Result<Vec<RecordedEvent>, StoreError> {
    fetch_into(query, connection, Vec::new(), |events, row| {
        events.push(event_from_row(row)?);
        Ok(())
    })
    .await
}

/// Runs a query of [`EVENT_COLUMNS`], handing each row to `add` as it arrives.
async fn fetch_into<T>(
    query: PgQuery<'_>,
    connection: &mut PgConnection,
    mut page: T,
    add: fn(&mut T, &PgRow) -> Result<(), StoreError>,
) -> Result<T, StoreError> {
    let mut rows = query.fetch(connection);
    while let Some(row) = rows.try_next().await? {
        add(&mut page, &row)?;
    }
    Ok(page)
}

/// Microseconds from the Unix epoch to PostgreSQL's, 2000-01-01T00:00:00Z: a `timestamptz`
/// travels as microseconds since the latter.
const POSTGRES_EPOCH_UNIX_MICROS: i64 = 946_684_800_000_000;

/// Reads a row of [`EVENT_COLUMNS`]. The columns' types are the `events` table's own, so each
/// value is decoded as that type without sqlx's check of the column's declared type (which
/// clones the type's description per value: a seventh of a walk of the log); a value that
/// does not decode is still an error, and any other change shows in the chain's hashes.
fn event_from_row(row: &PgRow) -> Result<RecordedEvent, StoreError> {
    let position: i64 = row.try_get_unchecked(0)?;
    let source: &str = row.try_get_unchecked(13)?;
    Ok(RecordedEvent {
        position,
        event_id: row.try_get_unchecked(1)?,
        command_id: row.try_get_unchecked(2)?,
        stream_id: row.try_get_unchecked(3)?,
        stream_version: row.try_get_unchecked(4)?,
        event_type: row.try_get_unchecked(5)?,
        schema_version: row.try_get_unchecked(6)?,
        occurred_at: timestamp_at(row, position, 7)?,
        recorded_at: timestamp_at(row, position, 8)?,
        actor: row.try_get_unchecked(9)?,
        role: row.try_get_unchecked(10)?,
        organisation: row.try_get_unchecked(11)?,
        facility: row.try_get_unchecked(12)?,
        source: Source::from_str(source).map_err(|error| corrupt(position, error))?,
        reason: row.try_get_unchecked(14)?,
        document_ref: row.try_get_unchecked(15)?,
        correlation_id: row.try_get_unchecked(16)?,
        causation_id: row.try_get_unchecked(17)?,
        payload: row.try_get_unchecked(18)?,
        prev_hash: row.try_get_unchecked(19)?,
        hash: row.try_get_unchecked(20)?,
    })
}

/// The `timestamptz` at `index` of the event row at `position`.
fn timestamp_at(row: &PgRow, position: i64, index: usize) -> Result<Timestamp, StoreError> {
    let micros: i64 = row.try_get_unchecked(index)?;
    micros
        .checked_add(POSTGRES_EPOCH_UNIX_MICROS)
        .and_then(Timestamp::from_unix_micros)
        .ok_or_else(|| corrupt(position, format!("{micros} µs is outside the years 1900-9999")))
}

/// The id at `index` of an event row, written out in `buffer` in its canonical form.
fn id_text<'b>(row: &PgRow, index: usize, buffer: &'b mut [u8]) -> Result<&'b str, StoreError> {
    let id: Uuid = row.try_get_unchecked(index)?;
    Ok(id.hyphenated().encode_lower(buffer))
}

/// Adds a row of [`EVENT_COLUMNS`] to `page` as its canonical encoding, the texts borrowed
/// from the row and the ids and times written out in their canonical form, each checked as
/// [`event_from_row`] checks it.
fn encode_row(page: &mut EncodedPage, row: &PgRow) -> Result<(), StoreError> {
    let position: i64 = row.try_get_unchecked(0)?;
    let source: &str = row.try_get_unchecked(13)?;
    Source::from_str(source).map_err(|error| corrupt(position, error))?;
    let (occurred, recorded) = (timestamp_at(row, position, 7)?, timestamp_at(row, position, 8)?);
    let (occurred_at, recorded_at) = (occurred.canonical_bytes(), recorded.canonical_bytes());
    let mut ids = [Uuid::encode_buffer(); 4];
    let [event_id, command_id, correlation_id, causation_id] = &mut ids;
    let id = |index, buffer| id_text(row, index, buffer);
    let causation: Option<Uuid> = row.try_get_unchecked(17)?;
    let event = EventText {
        position,
        event_id: id(1, event_id)?,
        command_id: id(2, command_id)?,
        stream_id: row.try_get_unchecked(3)?,
        stream_version: row.try_get_unchecked(4)?,
        event_type: row.try_get_unchecked(5)?,
        schema_version: row.try_get_unchecked(6)?,
        occurred_at: &occurred_at,
        recorded_at: &recorded_at,
        actor: row.try_get_unchecked(9)?,
        role: row.try_get_unchecked(10)?,
        organisation: row.try_get_unchecked(11)?,
        facility: row.try_get_unchecked(12)?,
        source,
        reason: row.try_get_unchecked(14)?,
        document_ref: row.try_get_unchecked(15)?,
        correlation_id: id(16, correlation_id)?,
        causation_id: causation.map(|id| &*id.hyphenated().encode_lower(causation_id)),
        payload: row.try_get_unchecked(18)?,
        prev_hash: row.try_get_unchecked(19)?,
    };
    page.push(&event, recorded, row.try_get_unchecked(20)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timestamptz_counts_from_the_first_instant_of_2000() {
        let epoch = Timestamp::from_unix_micros(POSTGRES_EPOCH_UNIX_MICROS).unwrap();
        assert_eq!(epoch.to_string(), "2000-01-01T00:00:00.000000Z");
    }
}
