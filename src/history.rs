//! Time travel (docs/history.md): a projection folded in memory as of a past business date
//! (`as_of`), as the log knew it at a past moment (`known_at`), or both, fast on a long log.
//!
//! - `known_at` is a prefix of the log: up to the last position recorded by then.
//! - Snapshots of the unfiltered fold are kept every `every` positions (`fold_snapshots`), with
//!   the latest `occurred_at` in their prefix. A fold as of `D` starts from the latest snapshot
//!   whose prefix occurred entirely by `D` and that lies within the prefix known.
//! - After the snapshot it reads every event recorded up to a day after `D` ends (they may have
//!   occurred by `D`), and beyond that only events recorded more than 23 hours after they
//!   occurred (`late_events`, kept by a trigger) that occurred by `D`, and reversals, which
//!   take effect from the date of what they reverse. Any event recorded more than a day after
//!   `D` ended that occurred by `D` is late, so nothing is missed.
//! - The answer equals the fold of the whole known prefix filtered by
//!   `projections::history::AsOfFilter`; a property test checks it.
//! - A fold may be narrowed to a scope (`projections::scope`: one facility, provider or skill):
//!   it then holds only the rows that scope's views draw on, and its snapshots are kept under the
//!   scope's text, so an answer about one facility holds that facility's rows, not the country's.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use events::limits::PAGE_EVENTS_MAX;
use events::{RecordedEvent, Timestamp};
use projections::history::{AsOfFilter, end_of_day};
use projections::projection::{Config, ProjectionDef, Replay};
use projections::scope::Scope;
use projections::table::{SNAPSHOT_PART_BYTES, SnapshotReader, Tables};
use sqlx::Row as _;
use uuid::Uuid;

use crate::projector::config_text;
use crate::store::{Backend, Store, StoreError, dialect, on_pool};

/// Snapshots are taken every this many positions unless set otherwise.
pub const SNAPSHOT_EVERY_DEFAULT: i64 = 50_000;

/// Snapshots within a scope (one facility, provider or skill) are taken at least this often,
/// however far apart the whole log's are. A scope's snapshot holds its own rows only (one
/// facility's is about a five-hundredth of the country's), so keeping them close costs little
/// room, and an answer about one facility then folds at most this many events past one.
pub const SCOPED_SNAPSHOT_EVERY_MAX: i64 = 50_000;

/// A past moment to fold at, in either sense or both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Moment {
    /// Business time: the world on this date, including facts recorded later.
    pub as_of: Option<NaiveDate>,
    /// Knowledge time: what the log held at this instant.
    pub known_at: Option<Timestamp>,
}

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("{0} is outside the dates jejak can represent")]
    DateOutOfRange(NaiveDate),
    #[error("snapshot of {projection} at position {position} cannot be read: {detail}")]
    BadSnapshot { projection: String, position: i64, detail: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl crate::store::StoreFailure for HistoryError {
    fn store_error(&self) -> Option<&StoreError> {
        match self {
            HistoryError::Store(error) => Some(error),
            _ => None,
        }
    }
}

/// A fold at a moment.
#[derive(Debug, Clone)]
pub struct Folded {
    pub tables: Tables,
    /// The last position of the log the answer draws on (the known prefix).
    pub position: i64,
    /// That position's hash.
    pub hash: String,
    /// The business date the views are computed for.
    pub as_of: NaiveDate,
    /// Where the fold started: the snapshot used, or 0.
    pub snapshot: i64,
    /// How many events were folded after the snapshot.
    pub folded: usize,
}

/// Folds projections at past moments, keeping snapshots to do it fast.
#[derive(Clone)]
pub struct History {
    store: Store,
    config: Config,
    every: i64,
    /// The interval within a scope: `every`, or closer (`SCOPED_SNAPSHOT_EVERY_MAX`).
    scoped_every: i64,
    /// About how many bytes of rows a snapshot's part holds.
    part_bytes: usize,
}

/// A snapshot's position, hash and latest `occurred_at`, as stored.
type SnapshotHead = (i64, String, String);

struct Snapshot {
    position: i64,
    hash: String,
    max_occurred_at: Timestamp,
    tables: Tables,
}

impl History {
    pub fn new(store: Store, config: Config) -> History {
        let (every, part_bytes) = (SNAPSHOT_EVERY_DEFAULT, SNAPSHOT_PART_BYTES);
        History { store, config, every, scoped_every: every, part_bytes }.with_snapshot_every(every)
    }

    pub fn config(&self) -> Config {
        self.config
    }

    /// Takes snapshots of the whole log every `every` positions (at least 1), and within a
    /// scope every `every` or every `SCOPED_SNAPSHOT_EVERY_MAX`, whichever is closer.
    pub fn with_snapshot_every(mut self, every: i64) -> History {
        self.every = every.max(1);
        self.scoped_every = self.every.min(SCOPED_SNAPSHOT_EVERY_MAX);
        self
    }

    /// Takes snapshots within a scope every `every` positions (at least 1).
    pub fn with_scoped_snapshot_every(mut self, every: i64) -> History {
        self.scoped_every = every.max(1);
        self
    }

    /// Writes snapshots in parts of about `bytes` of rows each instead of a megabyte (tests, to
    /// read snapshots of many parts).
    pub fn with_snapshot_part_bytes(mut self, bytes: usize) -> History {
        self.part_bytes = bytes.max(1);
        self
    }

    /// How many positions apart the snapshots within `scope` are.
    fn every_within(&self, scope: &Scope) -> i64 {
        if scope.is_whole() { self.every } else { self.scoped_every }
    }

    /// `projection` folded at `moment`, holding only the rows within `scope` (when the
    /// projection can be narrowed). Takes the snapshots the log lacks first.
    pub async fn fold_at(
        &self,
        projection: ProjectionDef,
        scope: &Scope,
        moment: Moment,
    ) -> Result<Folded, HistoryError> {
        let scope = &narrowed(projection, scope);
        self.ensure_snapshots(projection, scope).await?;
        let head = self.store.head().await?;
        let known = match moment.known_at {
            Some(at) => self.store.known_position(at).await?,
            None => head.position,
        };
        let Some(as_of) = moment.as_of else {
            let snapshot = self.latest_snapshot(projection, scope, known, None).await?;
            let (mut replay, snapshot_position) = self.start(projection, scope, snapshot);
            let mut folded = 0;
            self.each_page(replay.position, known, |page| {
                folded += page.len();
                page.iter().for_each(|event| replay.apply(event));
            })
            .await?;
            let as_of = match moment.known_at {
                Some(at) => self.config.local_date(at),
                None => {
                    head.recorded_at.map_or(chrono::NaiveDate::MIN, |at| self.config.local_date(at))
                }
            };
            let hash = replay.hash.clone();
            return Ok(Folded {
                tables: replay.tables,
                position: known,
                hash,
                as_of,
                snapshot: snapshot_position,
                folded,
            });
        };
        let day_ends =
            end_of_day(&self.config, as_of).ok_or(HistoryError::DateOutOfRange(as_of))?;
        let settled = day_ends
            .checked_add_micros(24 * 3_600_000_000 - 1)
            .ok_or(HistoryError::DateOutOfRange(as_of))?;
        // Events after `read_whole` were recorded more than a day after `as_of` ended.
        let read_whole = self.store.known_position(settled).await?.min(known);
        let snapshot = self.latest_snapshot(projection, scope, read_whole, Some(day_ends)).await?;
        let (mut replay, base) = self.start(projection, scope, snapshot);
        // The reversals are few and read first, so that the filter need remember only the
        // events they point at and the log can be folded a page at a time.
        let reversals = self.read_reversals(base, known).await?;
        let targets = AsOfFilter::reversal_targets(&reversals);
        let positions: BTreeMap<Uuid, i64> = if targets.is_empty() {
            BTreeMap::new()
        } else {
            self.store.positions_of(&targets).await?.into_iter().collect()
        };
        let mut filter = AsOfFilter::new(as_of, self.config, base).watching(targets);
        let mut fold = |events: &[RecordedEvent]| {
            let mut admitted = 0;
            for event in events {
                if filter.admits(event, |id| positions.get(&id).copied()) {
                    if let Ok(fact) = events::state::Fact::from_recorded(event) {
                        (projection.apply)(&fact, &mut replay.tables, &self.config);
                    }
                    admitted += 1;
                }
            }
            admitted
        };
        let mut folded = 0;
        self.each_page(base, read_whole, |page| folded += fold(page)).await?;
        if known > read_whole {
            let mut later = self.read_late(read_whole, known, day_ends).await?;
            later.extend(reversals.into_iter().filter(|event| event.position > read_whole));
            later.sort_by_key(|event| event.position);
            later.dedup_by_key(|event| event.position);
            folded += fold(&later);
        }
        let hash = self.hash_at(known).await?;
        Ok(Folded { tables: replay.tables, position: known, hash, as_of, snapshot: base, folded })
    }

    /// A replay within `scope` starting from `snapshot` (taken within it), or from the
    /// beginning.
    fn start(
        &self,
        projection: ProjectionDef,
        scope: &Scope,
        snapshot: Option<Snapshot>,
    ) -> (Replay, i64) {
        let mut replay = Replay::within(projection, self.config, scope);
        let Some(snapshot) = snapshot else { return (replay, 0) };
        replay.tables = match projection.within(scope) {
            Some(within) => snapshot.tables.within(within),
            None => snapshot.tables,
        };
        replay.position = snapshot.position;
        replay.hash = snapshot.hash;
        (replay, snapshot.position)
    }

    /// Takes a snapshot of the fold within `scope` at every multiple of `every` up to the head
    /// that has none yet.
    pub async fn ensure_snapshots(
        &self,
        projection: ProjectionDef,
        scope: &Scope,
    ) -> Result<usize, HistoryError> {
        let scope = &narrowed(projection, scope);
        let every = self.every_within(scope);
        let head = self.store.head().await?.position;
        if head - self.latest_snapshot_position(projection, scope).await? < every {
            return Ok(0);
        }
        let latest = self.latest_snapshot(projection, scope, head, None).await?;
        let mut max_occurred = latest.as_ref().map(|snapshot| snapshot.max_occurred_at);
        let (mut replay, _) = self.start(projection, scope, latest);
        let mut taken = 0;
        while replay.position < head - (head % every) {
            let until = (replay.position / every + 1) * every;
            self.each_page(replay.position, until, |page| {
                for event in page {
                    max_occurred =
                        Some(max_occurred.map_or(event.occurred_at, |m| m.max(event.occurred_at)));
                    replay.apply(event);
                }
            })
            .await?;
            let Some(occurred) = max_occurred else { break };
            self.save_snapshot(projection, scope, &replay, occurred).await?;
            tracing::info!(
                projection = projection.name,
                scope = %scope.text(),
                position = replay.position,
                "snapshot taken"
            );
            taken += 1;
        }
        Ok(taken)
    }

    /// Takes, ahead of the questions, the snapshots that as-of questions on current knowledge
    /// start from: for every projection, within the whole log and within every scope already
    /// asked about (one that has snapshots), each multiple of `every` up to the head that has
    /// none. Returns how many it took. The server runs it beside the log follower, so that no
    /// question pays for the snapshots the head has moved past; a scope nobody has asked about
    /// gets none.
    pub async fn take_snapshots_ahead(&self) -> Result<usize, HistoryError> {
        let head = self.store.head().await?.position;
        let mut taken = 0;
        for projection in projections::projection::all() {
            for (scope, latest) in self.snapshot_scopes(projection).await? {
                if head - latest >= self.every_within(&scope) {
                    taken += self.ensure_snapshots(projection, &scope).await?;
                }
            }
        }
        Ok(taken)
    }

    /// The scopes `projection` keeps snapshots within (the whole log always), each with the
    /// position of its latest snapshot (0 for none).
    async fn snapshot_scopes(
        &self,
        projection: ProjectionDef,
    ) -> Result<Vec<(Scope, i64)>, StoreError> {
        let sql = "SELECT scope, MAX(position) FROM fold_snapshots \
                   WHERE projection = $1 AND version = $2 AND config = $3 GROUP BY scope";
        let sql = dialect(self.store.backend(), sql);
        let version = i64::from(projection.version);
        let config = config_text(&self.config);
        let rows: Vec<(String, i64)> = on_pool!(self.store, |pool| {
            sqlx::query_as(&sql)
                .bind(projection.name)
                .bind(version)
                .bind(&config)
                .fetch_all(pool)
                .await?
        });
        let mut scopes: BTreeMap<String, (Scope, i64)> = BTreeMap::new();
        scopes.insert(String::new(), (Scope::WHOLE, 0));
        for (text, latest) in rows {
            match Scope::from_text(&text) {
                Some(scope) => {
                    let scope = narrowed(projection, &scope);
                    let entry = scopes.entry(scope.text()).or_insert((scope, 0));
                    entry.1 = entry.1.max(latest);
                }
                None => tracing::warn!(
                    projection = projection.name,
                    scope = %text,
                    "snapshots under a scope this version cannot read"
                ),
            }
        }
        Ok(scopes.into_values().collect())
    }

    /// Hands `each` the events in `(after, until]` a page at a time, in position order, so that
    /// a fold over a long stretch of the log holds one page of it.
    async fn each_page(
        &self,
        after: i64,
        until: i64,
        mut each: impl FnMut(&[RecordedEvent]),
    ) -> Result<(), StoreError> {
        let mut pages = self.store.pages(after + 1, until, PAGE_EVENTS_MAX);
        while let Some(page) = pages.next().await {
            let page = page?;
            if page.is_empty() {
                break;
            }
            each(&page);
        }
        Ok(())
    }

    async fn read_late(
        &self,
        after: i64,
        until: i64,
        before: Timestamp,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut events: Vec<RecordedEvent> = Vec::new();
        loop {
            let from = events.last().map_or(after, |event| event.position);
            let page = self.store.read_late(from, until, before, PAGE_EVENTS_MAX).await?;
            let done = page.len() < PAGE_EVENTS_MAX;
            events.extend(page);
            if done {
                return Ok(events);
            }
        }
    }

    async fn read_reversals(
        &self,
        after: i64,
        until: i64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut events: Vec<RecordedEvent> = Vec::new();
        loop {
            let from = events.last().map_or(after, |event| event.position) + 1;
            let page = self.store.read_reversals(from, PAGE_EVENTS_MAX).await?;
            let done =
                page.len() < PAGE_EVENTS_MAX || page.last().is_some_and(|e| e.position >= until);
            events.extend(page.into_iter().filter(|event| event.position <= until));
            if done {
                return Ok(events);
            }
        }
    }

    async fn hash_at(&self, position: i64) -> Result<String, StoreError> {
        if position == 0 {
            return Ok(events::chain::GENESIS_HASH.to_owned());
        }
        let event = self.store.read_all(position, 1).await?.pop();
        Ok(event.map_or_else(|| events::chain::GENESIS_HASH.to_owned(), |event| event.hash))
    }

    /// The position of the latest snapshot of `projection` within `scope`, 0 if none.
    async fn latest_snapshot_position(
        &self,
        projection: ProjectionDef,
        scope: &Scope,
    ) -> Result<i64, StoreError> {
        let sql = "SELECT COALESCE(MAX(position), 0) FROM fold_snapshots \
                   WHERE projection = $1 AND version = $2 AND config = $3 AND scope = $4";
        let sql = dialect(self.store.backend(), sql);
        let version = i64::from(projection.version);
        let config = config_text(&self.config);
        let position = on_pool!(self.store, |pool| {
            sqlx::query_scalar(&sql)
                .bind(projection.name)
                .bind(version)
                .bind(&config)
                .bind(scope.text())
                .fetch_one(pool)
                .await?
        });
        Ok(position)
    }

    /// The latest snapshot within `scope` at or before `position` whose prefix occurred
    /// entirely before `occurred_before` (when given).
    async fn latest_snapshot(
        &self,
        projection: ProjectionDef,
        scope: &Scope,
        position: i64,
        occurred_before: Option<Timestamp>,
    ) -> Result<Option<Snapshot>, HistoryError> {
        let occurred = occurred_before.map_or_else(|| "~".to_owned(), |at| at.to_string());
        let head = "SELECT position, hash, max_occurred_at FROM fold_snapshots \
                    WHERE projection = $1 AND version = $2 AND config = $3 AND scope = $4 \
                    AND part = 0 AND position <= $5 AND max_occurred_at < $6 \
                    ORDER BY position DESC LIMIT 1";
        // Its parts are read and decoded one at a time, a query each (a driver reads rows
        // ahead of the caller): a national log's snapshot is tens of megabytes, and neither it
        // nor a database row holding it is ever whole in memory.
        let part = "SELECT data FROM fold_snapshots WHERE projection = $1 AND version = $2 \
                    AND config = $3 AND scope = $4 AND position = $5 AND part = $6";
        let (head, part) =
            (dialect(self.store.backend(), head), dialect(self.store.backend(), part));
        let version = i64::from(projection.version);
        let config = config_text(&self.config);
        let definitions = (projection.tables)();
        let mut reader = SnapshotReader::new(&definitions);
        // One read transaction for the head and every part (REPEATABLE READ on PostgreSQL): a
        // snapshot deleted meanwhile is read whole or not at all.
        let found: Option<(SnapshotHead, Result<(), String>)> = on_pool!(self.store, |pool| {
            let mut transaction = pool.begin().await.map_err(StoreError::from)?;
            if self.store.backend() == Backend::Postgres {
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                    .execute(&mut *transaction)
                    .await
                    .map_err(StoreError::from)?;
            }
            let found: Option<SnapshotHead> = sqlx::query_as(&head)
                .bind(projection.name)
                .bind(version)
                .bind(&config)
                .bind(scope.text())
                .bind(position)
                .bind(&occurred)
                .fetch_optional(&mut *transaction)
                .await
                .map_err(StoreError::from)?;
            let mut read = Ok(());
            if let Some((position, ..)) = &found {
                for number in 0_i64.. {
                    let row = sqlx::query(&part)
                        .bind(projection.name)
                        .bind(version)
                        .bind(&config)
                        .bind(scope.text())
                        .bind(position)
                        .bind(number)
                        .fetch_optional(&mut *transaction)
                        .await
                        .map_err(StoreError::from)?;
                    let Some(row) = row else { break };
                    read = reader.read(row.get(0));
                    if read.is_err() {
                        break;
                    }
                }
            }
            transaction.commit().await.map_err(StoreError::from)?;
            found.map(|found| (found, read))
        });
        let Some(((position, hash, max_occurred_at), read)) = found else { return Ok(None) };
        let bad = |detail: String| HistoryError::BadSnapshot {
            projection: projection.name.to_owned(),
            position,
            detail,
        };
        read.map_err(bad)?;
        let max_occurred_at =
            Timestamp::parse_canonical(&max_occurred_at).map_err(|error| bad(error.to_string()))?;
        let tables = reader.finish().map_err(bad)?;
        Ok(Some(Snapshot { position, hash, max_occurred_at, tables }))
    }

    async fn save_snapshot(
        &self,
        projection: ProjectionDef,
        scope: &Scope,
        replay: &Replay,
        max_occurred_at: Timestamp,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO fold_snapshots (projection, version, config, scope, position, \
                   part, hash, max_occurred_at, data) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING";
        let version = i64::from(projection.version);
        let config = config_text(&self.config);
        let occurred = max_occurred_at.to_string();
        let sql = dialect(self.store.backend(), sql);
        // Each part is made as it is written, in one transaction: a reader finds every part of
        // a snapshot or none.
        on_pool!(self.store, |pool| {
            let mut transaction = pool.begin().await?;
            let parts = replay.tables.snapshot_parts_of(self.part_bytes);
            for (part, data) in (0_i64..).zip(parts) {
                sqlx::query(&sql)
                    .bind(projection.name)
                    .bind(version)
                    .bind(&config)
                    .bind(scope.text())
                    .bind(replay.position)
                    .bind(part)
                    .bind(&replay.hash)
                    .bind(&occurred)
                    .bind(data)
                    .execute(&mut *transaction)
                    .await?;
            }
            transaction.commit().await?;
        });
        Ok(())
    }
}

/// The scope a fold of `projection` is narrowed to: the whole for a projection that cannot be.
fn narrowed(projection: ProjectionDef, scope: &Scope) -> Scope {
    if projection.keeps.is_some() { scope.clone() } else { Scope::WHOLE }
}
