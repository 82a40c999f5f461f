//! The projector: runs the pure folds of `projections` into SQL read tables.
//!
//! It follows the log in position order and, for each batch of events, loads the rows the batch
//! touches, applies the folds, and writes the changed rows together with the new checkpoint in
//! one transaction. The checkpoint update is fenced on the position it started from, so a crash
//! can never count an event twice or lose one, and two projectors can never both apply a batch.
//!
//! A projection whose version (or settings) changed is rebuilt: a new generation of its tables
//! is filled from position 1 beside the live one, then swapped in by changing the active
//! generation in `projection_state` — readers, who read through views of the active generation,
//! see the old read model or the new one, never half of one.

mod rows;
pub mod schema;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use events::RecordedEvent;
use events::state::Fact;
use futures::TryStreamExt;
use projections::projection::{Config, ProjectionDef, TOUCH_ROUNDS_MAX};
use projections::scope::Scope;
use projections::table::{Key, Row, RowRef, TableDef, Tables};
use projections::value::Value;
use serde::Serialize;
use sqlx::Row as _;

use crate::store::{Pool, Store, StoreError};
use rows::bind_value;

/// Events folded per transaction, unless set with [`Projector::with_batch_events`].
pub const BATCH_EVENTS_DEFAULT: usize = 2_000;
/// Events a rebuild folds per transaction, unless set with
/// [`Projector::with_rebuild_batch_events`]. A rebuild holds every row of the new generation
/// in memory anyway, so large batches cost no memory and write each changed row once per
/// batch instead of once per small batch.
pub const REBUILD_BATCH_EVENTS_DEFAULT: usize = 100_000;
/// Rows kept in memory between batches of a catch-up or a rebuild before they are dropped
/// (they are in the database by then, and read back when an event touches them again).
pub const CACHED_ROWS_MAX: usize = 100_000;
/// False positives of a rebuild's [`Written`] filter: the share of rows it never wrote that it
/// still reads back.
const WRITTEN_FALSE_POSITIVES: f64 = 0.01;
/// Rows a [`Written`] filter is sized for at most (about 38 MB at 1%): past that its false
/// positives rise, and a rebuild reads back more rows, but never reads a wrong one.
const WRITTEN_ROWS_SIZED_MAX: usize = 32_000_000;

/// Why the projector stopped.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ProjectorError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("projection {name} was moved on by another projector; try again")]
    Fenced { name: &'static str },
}

impl crate::store::StoreFailure for ProjectorError {
    fn store_error(&self) -> Option<&StoreError> {
        match self {
            ProjectorError::Store(error) => Some(error),
            ProjectorError::Fenced { .. } => None,
        }
    }
}

/// A projection's checkpoint and how far behind the log it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectionStatus {
    pub name: String,
    /// The version this build folds with.
    pub version: u32,
    /// The version of the live read model (different until a rebuild swaps in).
    pub live_version: Option<u32>,
    pub generation: Option<i64>,
    pub position: i64,
    pub head: i64,
    pub lag: i64,
    /// A rebuild in progress: its position.
    pub rebuilding_at: Option<i64>,
}

/// The state row of a projection.
#[derive(Debug, Clone, PartialEq, Eq)]
struct State {
    version: i64,
    config: String,
    generation: i64,
    position: i64,
    hash: String,
    building_generation: Option<i64>,
    building_position: Option<i64>,
}

/// A projection being rebuilt: the generation being filled, and the rows it holds.
struct Building {
    projection: ProjectionDef,
    /// The live generation, swapped out at the end.
    live: i64,
    generation: i64,
    tables: Tables,
    /// From the moment the rebuild holds only part of its rows: which rows it has written.
    written: Option<Written>,
}

/// Events per page of a rebuild's walk of the log. A rebuild holds three pages (the one it
/// folds, the one read ahead and the one being read), each event with its decoded fact: at
/// 5,000 events, about 20 MB of its memory bound, where the log's largest page would take
/// twice that.
const REBUILD_PAGE_EVENTS: usize = 5_000;

/// The rows a rebuild has written into its new generation, as a Bloom filter. The generation
/// started empty, so a row the filter says was never written is absent there, and a rebuild
/// that holds only part of its rows reads back only those the filter may hold — the rows it
/// did write, and about 1% of the others — instead of looking up every new row (a new
/// attendance mark, for instance) only to find it missing.
struct Written(fastbloom::BloomFilter);

impl Written {
    /// A filter for about `rows` rows (at least those of `tables`, at most
    /// [`WRITTEN_ROWS_SIZED_MAX`]), holding every row of `tables`.
    fn holding(definitions: &[TableDef], tables: &Tables, rows: usize) -> Written {
        let rows = rows.max(tables.len()).clamp(1_024, WRITTEN_ROWS_SIZED_MAX);
        let mut written = Written(
            fastbloom::BloomFilter::with_false_pos(WRITTEN_FALSE_POSITIVES).expected_items(rows),
        );
        for definition in definitions {
            for key in tables.keys(definition.name) {
                written.insert(definition.name, &key);
            }
        }
        written
    }

    fn insert(&mut self, table: &'static str, key: &Key) {
        self.0.insert(&(table, key));
    }

    /// Whether the row may have been written (false: it certainly was not).
    fn may_hold(&self, table: &'static str, key: &Key) -> bool {
        self.0.contains(&(table, key))
    }
}

/// The facts of a page of the log, once for every projection it is folded into. An event that
/// cannot be decoded is skipped, and said so.
fn decode(events: &[RecordedEvent]) -> Vec<Fact> {
    events
        .iter()
        .filter_map(|event| match Fact::from_recorded(event) {
            Ok(fact) => Some(fact),
            Err(error) => {
                tracing::warn!(position = event.position, %error, "event skipped: cannot be decoded");
                None
            }
        })
        .collect()
}

/// Which checkpoint a batch moves: the live generation's or a rebuild's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Live,
    Building,
}

/// Runs the projections of the `projections` crate into the store's database.
#[derive(Clone)]
pub struct Projector {
    store: Store,
    config: Config,
    batch_events: usize,
    rebuild_batch_events: usize,
    cached_rows_max: usize,
    /// One slot per projection: in one process, catch-ups and rebuilds of a projection take
    /// turns instead of fencing each other out; on PostgreSQL the slot also holds the lease
    /// connection, so that across processes too one projector at a time runs a projection.
    locks: Arc<BTreeMap<&'static str, Arc<tokio::sync::Mutex<Slot>>>>,
}

/// A projection's slot in this process: on PostgreSQL, the dedicated connection (never a
/// pooled one) whose session holds the projection's advisory lock during a turn.
#[derive(Default)]
struct Slot {
    lease: Option<sqlx::PgConnection>,
}

/// This process's turn at a projection. On PostgreSQL it holds the projection's lease: a
/// session advisory lock, so a projector in another process waits for it, and takes over as
/// soon as this one ends, cleanly or killed (the server drops a dead session's locks). The
/// checkpoint update stays fenced, so even a holder that lost its session cannot write a stale
/// batch.
struct Turn {
    slot: Option<tokio::sync::OwnedMutexGuard<Slot>>,
    leased: bool,
}

/// The advisory-lock key of a projection's lease.
fn lease_key(projection: &str) -> i64 {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("jejak.projector.{projection}").as_bytes());
    i64::from_be_bytes(digest[..8].try_into().expect("8 bytes"))
}

const LEASE_RELEASE: &str = "SELECT pg_advisory_unlock_all()";

impl Turn {
    /// Ends the turn and gives up the lease.
    async fn release(mut self) {
        if let (true, Some(slot)) = (self.leased, self.slot.as_mut()) {
            if let Some(lease) = slot.lease.as_mut()
                && sqlx::query(LEASE_RELEASE).execute(lease).await.is_err()
            {
                // A broken session holds nothing; the next turn connects afresh.
                slot.lease = None;
            }
            self.leased = false;
        }
    }
}

impl Drop for Turn {
    /// A turn given up half-way (its request was dropped) releases the lease in the
    /// background, or drops the connection, which releases it too.
    fn drop(&mut self) {
        if !self.leased {
            return;
        }
        let Some(mut slot) = self.slot.take() else { return };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if let Some(lease) = slot.lease.as_mut()
                        && sqlx::query(LEASE_RELEASE).execute(lease).await.is_err()
                    {
                        slot.lease = None;
                    }
                });
            }
            Err(_) => slot.lease = None,
        }
    }
}

pub(crate) fn config_text(config: &Config) -> String {
    format!("utc{:+}", config.utc_offset_hours)
}

impl Projector {
    pub fn new(store: Store, config: Config) -> Projector {
        let locks = projections::projection::all()
            .into_iter()
            .map(|projection| (projection.name, Arc::new(tokio::sync::Mutex::new(Slot::default()))))
            .collect();
        Projector {
            store,
            config,
            batch_events: BATCH_EVENTS_DEFAULT,
            rebuild_batch_events: REBUILD_BATCH_EVENTS_DEFAULT,
            cached_rows_max: CACHED_ROWS_MAX,
            locks: Arc::new(locks),
        }
    }

    /// Folds at most `events` events per transaction (at least 1). Smaller batches hold locks
    /// for less time and use less memory; larger ones are faster.
    pub fn with_batch_events(mut self, events: usize) -> Projector {
        self.batch_events = events.max(1);
        self
    }

    /// Folds at most `events` events per transaction of a rebuild (at least 1).
    pub fn with_rebuild_batch_events(mut self, events: usize) -> Projector {
        self.rebuild_batch_events = events.max(1);
        self
    }

    /// Keeps at most about `rows` rows in memory between batches (at least 1): the bound on a
    /// catch-up's and a rebuild's memory.
    pub fn with_cached_rows_max(mut self, rows: usize) -> Projector {
        self.cached_rows_max = rows.max(1);
        self
    }

    pub fn config(&self) -> Config {
        self.config
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Brings every projection up to the head of the log.
    pub async fn catch_up_all(&self) -> Result<(), ProjectorError> {
        for projection in projections::projection::all() {
            self.catch_up(projection, None, &mut |_| {}).await?;
        }
        Ok(())
    }

    /// Brings a projection up to `until` (the head when `None`), rebuilding it first if its
    /// version or settings changed. Returns the position reached.
    pub async fn catch_up(
        &self,
        projection: ProjectionDef,
        until: Option<i64>,
        progress: &mut (dyn FnMut(i64) + Send),
    ) -> Result<i64, ProjectorError> {
        let turn = self.turn(projection).await?;
        let reached = self.catch_up_in_turn(projection, until, progress).await;
        turn.release().await;
        reached
    }

    /// Waits for this process's turn at a projection and, on PostgreSQL, for its lease.
    async fn turn(&self, projection: ProjectionDef) -> Result<Turn, ProjectorError> {
        let Some(slot) = self.locks.get(projection.name) else {
            return Ok(Turn { slot: None, leased: false });
        };
        let mut slot = slot.clone().lock_owned().await;
        let Pool::Postgres(pool) = self.store.pool() else {
            // SQLite is one machine's file: its write lock and the fenced checkpoint suffice.
            return Ok(Turn { slot: Some(slot), leased: false });
        };
        if slot.lease.is_none() {
            let mut lease =
                <sqlx::PgConnection as sqlx::Connection>::connect_with(&pool.connect_options())
                    .await
                    .map_err(StoreError::from)?;
            // Waiting for the lease is waiting for another projector's batch, not a stuck lock.
            sqlx::query("SET lock_timeout = 0")
                .execute(&mut lease)
                .await
                .map_err(StoreError::from)?;
            slot.lease = Some(lease);
        }
        let waiting = Instant::now();
        let lease = slot.lease.as_mut().expect("connected above");
        let locked = sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(lease_key(projection.name))
            .execute(lease)
            .await;
        if let Err(error) = locked {
            slot.lease = None;
            return Err(StoreError::from(error).into());
        }
        let waited = waiting.elapsed();
        if waited.as_millis() > 100 {
            tracing::info!(
                projection = projection.name,
                waited_ms = waited.as_millis() as u64,
                "took over the projection's lease"
            );
        }
        Ok(Turn { slot: Some(slot), leased: true })
    }

    async fn catch_up_in_turn(
        &self,
        projection: ProjectionDef,
        until: Option<i64>,
        progress: &mut (dyn FnMut(i64) + Send),
    ) -> Result<i64, ProjectorError> {
        let state = self.state_or_create(projection).await?;
        if state.version != i64::from(projection.version)
            || state.config != config_text(&self.config)
        {
            tracing::info!(
                projection = projection.name,
                from = state.version,
                to = projection.version,
                "projection changed: rebuilding"
            );
            return self.rebuild_in_turn(&[projection], until, progress).await;
        }
        if state.position == 0 && state.building_generation.is_none() {
            // Nothing projected yet: folding everything in memory is the same fold, done faster.
            return self.rebuild_in_turn(&[projection], until, progress).await;
        }
        let target = until.unwrap_or(i64::MAX);
        let mut tables = Tables::partial();
        let mut position = state.position;
        let started = Instant::now();
        while position < target {
            let limit = self.batch_limit(position, target);
            let events = self.store.read_all(position + 1, limit).await?;
            let Some(last) = events.last() else { break };
            let (last_position, last_hash) = (last.position, last.hash.clone());
            self.fold(projection, state.generation, &decode(&events), &mut tables, None).await?;
            let changes = tables.take_changes();
            self.commit(
                projection,
                Target::Live,
                state.generation,
                position,
                last_position,
                &last_hash,
                &changes,
            )
            .await?;
            tracing::debug!(
                projection = projection.name,
                position = last_position,
                rows = changes.len(),
                "projection batch committed"
            );
            position = last_position;
            progress(position);
            if tables.len() > self.cached_rows_max {
                tables.clear();
            }
        }
        if position > state.position {
            let head = self.store.head().await?.position;
            tracing::info!(
                projection = projection.name,
                position,
                lag = head - position,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "projection caught up"
            );
        }
        Ok(position)
    }

    /// Rebuilds a projection from position 1 into a new generation and swaps it in once it has
    /// reached `until` (the head when `None`).
    pub async fn rebuild(
        &self,
        projection: ProjectionDef,
        until: Option<i64>,
        progress: &mut (dyn FnMut(i64) + Send),
    ) -> Result<i64, ProjectorError> {
        self.rebuild_all(&[projection], until, progress).await
    }

    /// Rebuilds several projections in one pass over the log: each page is read and decoded
    /// once and folded into each projection's new generation, and each batch commits every
    /// projection's rows with its own fenced checkpoint. Each is swapped in once all have
    /// reached `until`.
    pub async fn rebuild_all(
        &self,
        projections: &[ProjectionDef],
        until: Option<i64>,
        progress: &mut (dyn FnMut(i64) + Send),
    ) -> Result<i64, ProjectorError> {
        let mut turns = Vec::with_capacity(projections.len());
        // Leases are taken in the order given; `select_projections` and `all()` give one order.
        for projection in projections {
            turns.push(self.turn(*projection).await?);
        }
        let reached = self.rebuild_in_turn(projections, until, progress).await;
        for turn in turns {
            turn.release().await;
        }
        reached
    }

    async fn rebuild_in_turn(
        &self,
        projections: &[ProjectionDef],
        until: Option<i64>,
        progress: &mut (dyn FnMut(i64) + Send),
    ) -> Result<i64, ProjectorError> {
        // The bound on rows kept between batches is shared, so that rebuilding several at once
        // takes no more memory than rebuilding one.
        let rows_max = self.cached_rows_max / projections.len().max(1);
        let mut building = Vec::with_capacity(projections.len());
        for projection in projections {
            let state = self.state_or_create(*projection).await?;
            if let Some(stale) = state.building_generation {
                // A rebuild that did not finish (a crash): its rows are dropped and it starts
                // over.
                self.drop_generation(*projection, stale).await?;
            }
            let generation = state.generation.max(state.building_generation.unwrap_or(0)) + 1;
            self.drop_generation(*projection, generation).await?;
            self.start_building(*projection, &state, generation).await?;
            let tables = Tables::complete();
            building.push(Building {
                projection: *projection,
                live: state.generation,
                generation,
                tables,
                written: None,
            });
        }
        let mut position = 0;
        let mut hash = events::chain::GENESIS_HASH.to_owned();
        loop {
            let target = match until {
                Some(until) => until,
                None => self.store.head().await?.position,
            };
            if position >= target {
                break;
            }
            // One batch: pages of the log folded until the batch is full or the target reached.
            let batch_target = target.min(
                position
                    .saturating_add(i64::try_from(self.rebuild_batch_events).unwrap_or(i64::MAX)),
            );
            let mut folded_to = None;
            let mut pages = self.store.pages(position + 1, batch_target, REBUILD_PAGE_EVENTS);
            while let Some(events) = pages.next().await {
                let events = events?;
                let Some(last) = events.last() else { break };
                folded_to = Some((last.position, last.hash.clone()));
                let facts = decode(&events);
                for build in &mut building {
                    let (projection, generation) = (build.projection, build.generation);
                    let written = build.written.as_ref();
                    self.fold(projection, generation, &facts, &mut build.tables, written).await?;
                }
            }
            let Some((last_position, last_hash)) = folded_to else { break };
            for build in &mut building {
                // Past the bound on rows every row is written by now, and from here on the
                // rebuild keeps only what the next batches touch, read back from the new
                // generation (a read model with a row per attendance mark would otherwise hold
                // a row per event); it remembers which rows it wrote, so as not to look up the
                // ones it did not. The rows it drops are moved out to be written, not copied.
                let dropping = build.tables.len() > rows_max;
                if dropping && build.written.is_none() {
                    let definitions = (build.projection.tables)();
                    let rows = usize::try_from(target).unwrap_or(usize::MAX);
                    build.written = Some(Written::holding(&definitions, &build.tables, rows));
                }
                let changes = if dropping {
                    std::mem::replace(&mut build.tables, Tables::partial()).into_changes()
                } else {
                    build.tables.take_changes()
                };
                self.commit(
                    build.projection,
                    Target::Building,
                    build.generation,
                    position,
                    last_position,
                    &last_hash,
                    &changes,
                )
                .await?;
                if let Some(written) = build.written.as_mut() {
                    for (table, key, _) in &changes {
                        written.insert(table, key);
                    }
                }
            }
            tracing::debug!(position = last_position, "rebuild batch committed");
            position = last_position;
            hash = last_hash;
            progress(position);
        }
        for build in building {
            let projection = build.projection;
            self.swap(projection, build.generation, position, &hash, build.live).await?;
            self.drop_generation(projection, build.live).await?;
            tracing::info!(
                projection = projection.name,
                version = projection.version,
                generation = build.generation,
                position,
                "rebuilt and swapped in"
            );
        }
        Ok(position)
    }

    /// How many events the next batch reads when at `position` heading for `target`.
    fn batch_limit(&self, position: i64, target: i64) -> usize {
        usize::try_from(target - position)
            .map_or(self.batch_events, |left| left.min(self.batch_events))
    }

    /// Applies facts to the rows they touch, loading those rows first (of a rebuild's
    /// generation, only the rows it may have `written`).
    async fn fold(
        &self,
        projection: ProjectionDef,
        generation: i64,
        facts: &[Fact],
        tables: &mut Tables,
        written: Option<&Written>,
    ) -> Result<(), ProjectorError> {
        let definitions = (projection.tables)();
        self.prefetch(projection, generation, facts, tables, written).await?;
        for fact in facts {
            for _ in 0..TOUCH_ROUNDS_MAX {
                let mut touched = Vec::new();
                (projection.touches)(fact, tables, &mut touched);
                let missing: Vec<RowRef> =
                    touched.into_iter().filter(|reference| !tables.is_known(reference)).collect();
                if missing.is_empty() {
                    break;
                }
                self.load_missing(&definitions, generation, missing, tables, written).await?;
            }
            (projection.apply)(fact, tables, &self.config);
        }
        Ok(())
    }

    /// Loads, a few statements per table, the rows the events name before any is applied (as
    /// far as the rows already here tell), so that folding them rarely waits for a row; rows
    /// that only an earlier event of the batch makes known are loaded event by event.
    async fn prefetch(
        &self,
        projection: ProjectionDef,
        generation: i64,
        facts: &[Fact],
        tables: &mut Tables,
        written: Option<&Written>,
    ) -> Result<(), ProjectorError> {
        let mut missing = Vec::new();
        let mut touched = Vec::new();
        for fact in facts {
            (projection.touches)(fact, tables, &mut touched);
            missing.extend(touched.drain(..).filter(|reference| !tables.is_known(reference)));
        }
        self.load_missing(&(projection.tables)(), generation, missing, tables, written).await
    }

    /// Reads these rows of a generation into `tables` (those not found as absent), with one
    /// select per table per [`rows::keys_per_select`] keys; rows a rebuild has certainly not
    /// `written` are absent without a read.
    async fn load_missing(
        &self,
        definitions: &[TableDef],
        generation: i64,
        missing: Vec<RowRef>,
        tables: &mut Tables,
        written: Option<&Written>,
    ) -> Result<(), ProjectorError> {
        let mut by_table: BTreeMap<&'static str, std::collections::BTreeSet<Key>> = BTreeMap::new();
        for reference in missing {
            if written.is_some_and(|written| !written.may_hold(reference.table, &reference.key)) {
                tables.load(reference.table, reference.key, None);
                continue;
            }
            by_table.entry(reference.table).or_default().insert(reference.key);
        }
        for (table, keys) in by_table {
            let definition =
                definitions.iter().find(|t| t.name == table).expect("a declared table");
            let keys: Vec<Key> = keys.into_iter().collect();
            for keys in keys.chunks(rows::keys_per_select(definition)) {
                let mut found: BTreeMap<Key, Row> =
                    self.load_rows(definition, generation, keys).await?.into_iter().collect();
                for key in keys {
                    let row = found.remove(key);
                    tables.load(table, key.clone(), row);
                }
            }
        }
        Ok(())
    }

    /// The rows of a generation with these keys (those that exist).
    async fn load_rows(
        &self,
        definition: &TableDef,
        generation: i64,
        keys: &[Key],
    ) -> Result<Vec<(Key, Row)>, ProjectorError> {
        let backend = self.store.backend();
        let sql = rows::select_keys_sql(backend, definition, keys.len());
        macro_rules! load {
            ($pool:expr, $decode:path) => {{
                let mut query = sqlx::query(&sql).bind(generation);
                for key in keys {
                    for (column, value) in definition.key.iter().zip(key) {
                        query = bind_value!(query, backend, column, value);
                    }
                }
                let found = query.fetch_all($pool).await.map_err(StoreError::from)?;
                found.iter().map(|row| $decode(definition, row)).collect::<Result<Vec<_>, _>>()?
            }};
        }
        Ok(match self.store.pool() {
            Pool::Sqlite(pool) => load!(pool, rows::from_sqlite),
            Pool::Postgres(pool) => load!(pool, rows::from_postgres),
        })
    }

    /// The live read model of a projection within `scope` (every row for the whole), with the
    /// position and hash it reflects. Read in one transaction, so that the rows are those of
    /// that position even while a catch-up commits; a row is decoded and kept or left out as
    /// it is read, so a scope's answer holds its own rows only.
    pub async fn load(
        &self,
        projection: ProjectionDef,
        scope: &Scope,
    ) -> Result<(Tables, i64, String), ProjectorError> {
        self.load_only(projection, scope, None).await
    }

    /// As [`Projector::load`], loading only the tables named in `only` when given (a view that
    /// says which it reads); the others are left empty.
    pub async fn load_only(
        &self,
        projection: ProjectionDef,
        scope: &Scope,
        only: Option<&[&str]>,
    ) -> Result<(Tables, i64, String), ProjectorError> {
        self.state_or_create(projection).await?;
        let within = projection.within(scope);
        let narrowed = within.is_some();
        let mut tables = match within {
            Some(within) => Tables::complete().within(within),
            None => Tables::complete(),
        };
        let backend = self.store.backend();
        let state_sql =
            self.dialect("SELECT generation, position, hash FROM projection_state WHERE name = $1");
        macro_rules! load {
            ($pool:expr, $decode:path, $snapshot:expr) => {{
                let mut tx = $pool.begin().await.map_err(StoreError::from)?;
                if let Some(statement) = $snapshot {
                    sqlx::query(statement).execute(&mut *tx).await.map_err(StoreError::from)?;
                }
                let (generation, position, hash): (i64, i64, String) = sqlx::query_as(&state_sql)
                    .bind(projection.name)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(StoreError::from)?;
                // Parents first, in declared order: a scope keeps a row by its parent.
                let definitions = (projection.tables)();
                let wanted = definitions
                    .iter()
                    .filter(|definition| only.is_none_or(|names| names.contains(&definition.name)));
                for definition in wanted {
                    let Some(under) = definition.under.filter(|_| narrowed) else {
                        let sql = rows::select_sql(backend, &definition);
                        let mut found = sqlx::query(&sql).bind(generation).fetch(&mut *tx);
                        while let Some(row) = found.try_next().await.map_err(StoreError::from)? {
                            let (key, row) = $decode(&definition, &row)?;
                            tables.load(definition.name, key, Some(row));
                        }
                        continue;
                    };
                    // Only the rows under the parents held, looked up by the column naming them
                    // (a facility's marks, not the country's).
                    let mut columns = definition.key.iter().chain(&definition.columns);
                    let column = *columns
                        .find(|c| c.name == under.column)
                        .expect("a declared parent column is the table's");
                    let parents: Vec<Value> = tables
                        .keys(under.parent)
                        .filter_map(|key| key.into_iter().next())
                        .collect();
                    for chunk in parents.chunks(rows::LOOKUPS_PER_SELECT) {
                        let sql = rows::select_by_column_sql(
                            backend,
                            &definition,
                            column.name,
                            chunk.len(),
                        );
                        let mut query = sqlx::query(&sql).bind(generation);
                        for value in chunk {
                            query = bind_value!(query, backend, column, value);
                        }
                        for row in query.fetch_all(&mut *tx).await.map_err(StoreError::from)? {
                            let (key, row) = $decode(&definition, &row)?;
                            tables.load(definition.name, key, Some(row));
                        }
                    }
                }
                tx.rollback().await.map_err(StoreError::from)?;
                (position, hash)
            }};
        }
        let (position, hash) = match self.store.pool() {
            // SQLite's read transaction sees one snapshot from its first read on (WAL).
            Pool::Sqlite(pool) => load!(pool, rows::from_sqlite, None::<&str>),
            Pool::Postgres(pool) => load!(
                pool,
                rows::from_postgres,
                Some("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            ),
        };
        Ok((tables, position, hash))
    }

    /// Every projection's checkpoint and lag.
    pub async fn status(&self) -> Result<Vec<ProjectionStatus>, ProjectorError> {
        let head = self.store.head().await?.position;
        let mut statuses = Vec::new();
        for projection in projections::projection::all() {
            let state = self.read_state(projection.name).await?;
            let position = state.as_ref().map_or(0, |s| s.position);
            statuses.push(ProjectionStatus {
                name: projection.name.to_owned(),
                version: projection.version,
                live_version: state.as_ref().map(|s| s.version as u32),
                generation: state.as_ref().map(|s| s.generation),
                position,
                head,
                lag: head - position,
                rebuilding_at: state.and_then(|s| s.building_position),
            });
        }
        Ok(statuses)
    }

    // ------------------------------------------------------------------------------------------
    // SQL

    async fn state_or_create(&self, projection: ProjectionDef) -> Result<State, ProjectorError> {
        if let Some(state) = self.read_state(projection.name).await? {
            return Ok(state);
        }
        let sql = "INSERT INTO projection_state (name, version, config, generation, position, hash) \
                   VALUES ($1, $2, $3, 1, 0, $4) ON CONFLICT (name) DO NOTHING";
        let sql = self.dialect(sql);
        let version = i64::from(projection.version);
        let config = config_text(&self.config);
        let genesis = events::chain::GENESIS_HASH;
        match self.store.pool() {
            Pool::Sqlite(pool) => {
                sqlx::query(&sql)
                    .bind(projection.name)
                    .bind(version)
                    .bind(&config)
                    .bind(genesis)
                    .execute(pool)
                    .await
                    .map_err(StoreError::from)?;
            }
            Pool::Postgres(pool) => {
                sqlx::query(&sql)
                    .bind(projection.name)
                    .bind(version)
                    .bind(&config)
                    .bind(genesis)
                    .execute(pool)
                    .await
                    .map_err(StoreError::from)?;
            }
        }
        Ok(self.read_state(projection.name).await?.expect("just created"))
    }

    /// The statement in this store's dialect.
    fn dialect(&self, sql: &str) -> String {
        crate::store::dialect(self.store.backend(), sql)
    }

    async fn read_state(&self, name: &str) -> Result<Option<State>, ProjectorError> {
        let sql = self.dialect(
            "SELECT version, config, generation, position, hash, building_generation, building_position \
             FROM projection_state WHERE name = $1",
        );
        macro_rules! read {
            ($pool:expr) => {{
                let row = sqlx::query(&sql)
                    .bind(name)
                    .fetch_optional($pool)
                    .await
                    .map_err(StoreError::from)?;
                row.map(|row| -> Result<State, sqlx::Error> {
                    Ok(State {
                        version: row.try_get(0)?,
                        config: row.try_get(1)?,
                        generation: row.try_get(2)?,
                        position: row.try_get(3)?,
                        hash: row.try_get(4)?,
                        building_generation: row.try_get(5)?,
                        building_position: row.try_get(6)?,
                    })
                })
                .transpose()
                .map_err(StoreError::from)?
            }};
        }
        Ok(match self.store.pool() {
            Pool::Sqlite(pool) => read!(pool),
            Pool::Postgres(pool) => read!(pool),
        })
    }

    /// Writes a batch's changed rows and moves the checkpoint from `from` to `to`, in one
    /// transaction, fenced: if the checkpoint is no longer at `from`, nothing is written.
    #[allow(clippy::too_many_arguments)]
    async fn commit(
        &self,
        projection: ProjectionDef,
        target: Target,
        generation: i64,
        from: i64,
        to: i64,
        hash: &str,
        changes: &[(&'static str, Key, Option<Row>)],
    ) -> Result<(), ProjectorError> {
        let backend = self.store.backend();
        let definitions = (projection.tables)();
        tracing::debug!(
            projection = projection.name,
            from,
            to,
            rows = changes.len(),
            "projection batch committing"
        );
        let fence = match target {
            Target::Live => self.dialect("UPDATE projection_state SET position = $1, hash = $2 WHERE name = $3 AND position = $4 AND generation = $5"),
            Target::Building => self.dialect(
                "UPDATE projection_state SET building_position = $1, building_hash = $2 \
                 WHERE name = $3 AND building_position = $4 AND building_generation = $5",
            ),
        };
        macro_rules! write {
            ($pool:expr) => {{
                let mut transaction = $pool.begin().await.map_err(StoreError::from)?;
                for definition in &definitions {
                    let rows: Vec<(&Key, &Row)> = changes
                        .iter()
                        .filter(|(table, ..)| *table == definition.name)
                        .filter_map(|(_, key, row)| Some((key, row.as_ref()?)))
                        .collect();
                    for rows in rows.chunks(rows::upsert_rows_max(definition)) {
                        let sql = rows::upsert_sql(backend, definition, rows.len());
                        let mut query = sqlx::query(&sql);
                        for (key, row) in rows {
                            query = query.bind(generation);
                            for (column, value) in definition
                                .key
                                .iter()
                                .zip(*key)
                                .chain(definition.columns.iter().zip(*row))
                            {
                                query = bind_value!(query, backend, column, value);
                            }
                        }
                        query.execute(&mut *transaction).await.map_err(StoreError::from)?;
                    }
                }
                for (table, key, _) in changes.iter().filter(|(.., row)| row.is_none()) {
                    let definition =
                        definitions.iter().find(|t| t.name == *table).expect("a declared table");
                    let sql = rows::delete_sql(backend, definition);
                    let mut query = sqlx::query(&sql).bind(generation);
                    for (column, value) in definition.key.iter().zip(key) {
                        query = bind_value!(query, backend, column, value);
                    }
                    query.execute(&mut *transaction).await.map_err(StoreError::from)?;
                }
                let moved = sqlx::query(&fence)
                    .bind(to)
                    .bind(hash)
                    .bind(projection.name)
                    .bind(from)
                    .bind(generation)
                    .execute(&mut *transaction)
                    .await
                    .map_err(StoreError::from)?;
                if moved.rows_affected() != 1 {
                    return Err(ProjectorError::Fenced { name: projection.name });
                }
                transaction.commit().await.map_err(StoreError::from)?;
            }};
        }
        match self.store.pool() {
            Pool::Sqlite(pool) => write!(pool),
            Pool::Postgres(pool) => write!(pool),
        }
        Ok(())
    }

    async fn start_building(
        &self,
        projection: ProjectionDef,
        state: &State,
        generation: i64,
    ) -> Result<(), ProjectorError> {
        let sql = self.dialect(
            "UPDATE projection_state SET building_generation = $1, building_version = $2, building_config = $3, \
             building_position = 0, building_hash = $4 WHERE name = $5 AND generation = $6",
        );
        let version = i64::from(projection.version);
        let config = config_text(&self.config);
        let genesis = events::chain::GENESIS_HASH;
        macro_rules! start {
            ($pool:expr) => {
                sqlx::query(&sql)
                    .bind(generation)
                    .bind(version)
                    .bind(&config)
                    .bind(genesis)
                    .bind(projection.name)
                    .bind(state.generation)
                    .execute($pool)
                    .await
                    .map_err(StoreError::from)?
            };
        }
        let moved = match self.store.pool() {
            Pool::Sqlite(pool) => start!(pool).rows_affected(),
            Pool::Postgres(pool) => start!(pool).rows_affected(),
        };
        if moved != 1 {
            return Err(ProjectorError::Fenced { name: projection.name });
        }
        Ok(())
    }

    /// Makes the rebuilt generation the live one: one row changes, so readers switch at once.
    async fn swap(
        &self,
        projection: ProjectionDef,
        generation: i64,
        position: i64,
        hash: &str,
        old: i64,
    ) -> Result<(), ProjectorError> {
        let sql = self.dialect(
            "UPDATE projection_state SET generation = building_generation, version = building_version, \
             config = building_config, position = $1, hash = $2, building_generation = NULL, \
             building_version = NULL, building_config = NULL, building_position = NULL, building_hash = NULL \
             WHERE name = $3 AND building_generation = $4 AND building_position = $1 AND generation = $5",
        );
        macro_rules! swap {
            ($pool:expr) => {
                sqlx::query(&sql)
                    .bind(position)
                    .bind(hash)
                    .bind(projection.name)
                    .bind(generation)
                    .bind(old)
                    .execute($pool)
                    .await
                    .map_err(StoreError::from)?
            };
        }
        let moved = match self.store.pool() {
            Pool::Sqlite(pool) => swap!(pool).rows_affected(),
            Pool::Postgres(pool) => swap!(pool).rows_affected(),
        };
        if moved != 1 {
            return Err(ProjectorError::Fenced { name: projection.name });
        }
        Ok(())
    }

    async fn drop_generation(
        &self,
        projection: ProjectionDef,
        generation: i64,
    ) -> Result<(), ProjectorError> {
        for definition in (projection.tables)() {
            let sql = self.dialect(&format!(
                "DELETE FROM {} WHERE generation = $1",
                schema::storage(definition.name)
            ));
            match self.store.pool() {
                Pool::Sqlite(pool) => {
                    sqlx::query(&sql)
                        .bind(generation)
                        .execute(pool)
                        .await
                        .map_err(StoreError::from)?;
                }
                Pool::Postgres(pool) => {
                    sqlx::query(&sql)
                        .bind(generation)
                        .execute(pool)
                        .await
                        .map_err(StoreError::from)?;
                }
            }
        }
        Ok(())
    }
}

/// The rows of every table of `tables`, for comparing two read models.
pub fn snapshot(
    projection: ProjectionDef,
    tables: &Tables,
) -> Vec<(&'static str, Vec<(Key, Row)>)> {
    (projection.tables)()
        .into_iter()
        .map(|definition| {
            let rows = tables.raw(definition.name).collect();
            (definition.name, rows)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use projections::value::Value;

    fn mark(participation: u128, session: u128) -> Key {
        vec![
            Value::Uuid(uuid::Uuid::from_u128(participation)),
            Value::Uuid(uuid::Uuid::from_u128(session)),
        ]
    }

    /// A rebuild trusts the filter's "never written" to skip a read: it must hold every row it
    /// was given, those of the tables it starts from and those inserted after, and it must
    /// turn away nearly every other row, or it saves nothing.
    #[test]
    fn the_written_filter_holds_every_written_row_and_turns_away_the_rest() {
        let definitions = (projections::projection::all()[0].tables)();
        let table = definitions[0].name;
        let mut tables = Tables::complete();
        for participation in 0..2_000 {
            tables.load(table, mark(participation, 0), Some(Vec::new()));
        }
        let mut written = Written::holding(&definitions, &tables, 20_000);
        for participation in 0..10_000 {
            written.insert(table, &mark(participation, 1));
        }
        for participation in 0..2_000 {
            assert!(written.may_hold(table, &mark(participation, 0)), "a row it started with");
        }
        for participation in 0..10_000 {
            assert!(written.may_hold(table, &mark(participation, 1)), "a row inserted after");
        }
        let other = definitions[1].name;
        let strangers = (0..10_000)
            .filter(|participation| {
                written.may_hold(table, &mark(*participation, 2))
                    || written.may_hold(other, &mark(*participation, 1))
            })
            .count();
        assert!(strangers < 500, "{strangers} of 10,000 rows never written would be read back");
    }
}
