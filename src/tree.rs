//! The log's Merkle tree in the store (docs/merkle.md). The tree itself is pure
//! (`events::merkle`); this keeps its hashes on both databases and reads them back for roots
//! and proofs.
//!
//! Stored: C2SP tlog-tiles of height 8 from tile level 1 up, in `tree_tiles` (the hashes of
//! tree levels 8, 16, 24, …; a tile holds 256, the last of each level fewer). Not stored: tile
//! level 0, the leaf hashes, which are the events' own chain hashes hashed as leaves. Every
//! hash a root or a proof needs is then one stored hash, or at most 256 of them (of one tile,
//! or of the events of one 256-event chunk) folded.
//!
//! `extend` brings the tiles up to the log: it adds the root of every 256-event chunk the log
//! has completed, and of every tile that completes with it, in one transaction, and is run
//! before any root or proof is computed (and by the server's log follower). Its transaction
//! takes the right to extend before it reads the tiles it grows, so two extenders never build
//! on each other's half-seen work; a tile only grows (a trigger refuses anything else), and
//! `jejak verify` recomputes them from the events.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use events::merkle::{self, Hash, Subtrees};
use uuid::Uuid;

use crate::store::{Backend, Store, StoreError, dialect, on_pool};

/// Hashes per tile, and the tree levels a tile level spans.
pub const TILE_WIDTH: u64 = 256;
pub const TILE_HEIGHT: u8 = 8;
/// How many 256-event chunks one `extend` transaction adds at most.
const CHUNKS_PER_STEP: u64 = 64;

#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no event {0} in the log")]
    NoSuchEvent(Uuid),
    #[error("the log has {head} events: a tree of {size} does not exist yet")]
    BeyondHead { size: u64, head: u64 },
    #[error("a tree of {from} events is not a prefix of one of {to}: give the smaller size first")]
    SizesOutOfOrder { from: u64, to: u64 },
    #[error("the stored tree lacks the hashes of tile {level}/{index}: run `jejak verify`")]
    MissingTile { level: u8, index: u64 },
    #[error("the event at position {0} has a malformed hash: run `jejak verify`")]
    BadHash(i64),
}

impl From<sqlx::Error> for TreeError {
    fn from(error: sqlx::Error) -> TreeError {
        TreeError::Store(error.into())
    }
}

impl crate::store::StoreFailure for TreeError {
    fn store_error(&self) -> Option<&StoreError> {
        match self {
            TreeError::Store(error) => Some(error),
            _ => None,
        }
    }
}

/// An inclusion proof: the event is leaf `position − 1` of the tree of `tree_size` events.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Inclusion {
    pub event_id: Uuid,
    pub position: i64,
    pub leaf_index: u64,
    pub tree_size: u64,
    #[serde(with = "b64")]
    pub chain_hash: Hash,
    #[serde(with = "b64")]
    pub leaf_hash: Hash,
    #[serde(with = "b64")]
    pub root: Hash,
    #[serde(with = "b64_list")]
    pub proof: Vec<Hash>,
}

/// A consistency proof: the tree of `from` events is a prefix of the tree of `to`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Consistency {
    pub from: u64,
    pub to: u64,
    #[serde(with = "b64")]
    pub from_root: Hash,
    #[serde(with = "b64")]
    pub to_root: Hash,
    #[serde(with = "b64_list")]
    pub proof: Vec<Hash>,
}

/// Hashes in proofs and checkpoints: standard base64 with padding, as C2SP writes them.
pub fn base64(hash: &Hash) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(hash)
}

mod b64 {
    pub fn serialize<S: serde::Serializer>(hash: &super::Hash, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::base64(hash))
    }
}

mod b64_list {
    use serde::ser::SerializeSeq;
    pub fn serialize<S: serde::Serializer>(
        hashes: &[super::Hash],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(hashes.len()))?;
        for hash in hashes {
            seq.serialize_element(&super::base64(hash))?;
        }
        seq.end()
    }
}

fn decode(position: i64, hex_hash: &str) -> Result<Hash, TreeError> {
    let mut bytes = [0; 32];
    hex::decode_to_slice(hex_hash, &mut bytes).map_err(|_| TreeError::BadHash(position))?;
    Ok(bytes)
}

/// The chain hashes of the events at positions `from..=to`, in order.
pub async fn chain_hashes(store: &Store, from: i64, to: i64) -> Result<Vec<Hash>, TreeError> {
    let sql = dialect(
        store.backend(),
        "SELECT position, hash FROM events WHERE position >= $1 AND position <= $2 ORDER BY position",
    );
    let rows: Vec<(i64, String)> =
        on_pool!(store, |pool| { sqlx::query_as(&sql).bind(from).bind(to).fetch_all(pool).await? });
    let expected = usize::try_from(to - from + 1).unwrap_or(0);
    if rows.len() != expected {
        return Err(TreeError::BeyondHead {
            size: to as u64,
            head: from as u64 + rows.len() as u64,
        });
    }
    rows.iter().map(|(position, hash)| decode(*position, hash)).collect()
}

/// A stored tile's hashes, if it is stored.
async fn tile(store: &Store, level: u8, index: u64) -> Result<Option<Vec<Hash>>, TreeError> {
    let sql =
        dialect(store.backend(), "SELECT hashes FROM tree_tiles WHERE level = $1 AND idx = $2");
    let row: Option<(Vec<u8>,)> = on_pool!(store, |pool| {
        sqlx::query_as(&sql).bind(i32::from(level)).bind(index as i64).fetch_optional(pool).await?
    });
    Ok(row.map(|(bytes,)| split_hashes(&bytes)))
}

fn split_hashes(bytes: &[u8]) -> Vec<Hash> {
    bytes.chunks_exact(32).map(|chunk| chunk.try_into().expect("32 bytes")).collect()
}

/// A tile's hashes as far as the log goes: level 0 the leaf hashes of its 256 events, higher
/// levels as stored (brought up to the log first). `None` when the log has none of it yet.
pub async fn tile_hashes(
    store: &Store,
    level: u8,
    index: u64,
) -> Result<Option<Vec<Hash>>, TreeError> {
    if level > 0 {
        extend(store).await?;
        return tile(store, level, index).await;
    }
    let head = store.head().await?.position;
    let Some(from) = index.checked_mul(TILE_WIDTH).and_then(|f| i64::try_from(f + 1).ok()) else {
        return Ok(None);
    };
    if from > head {
        return Ok(None);
    }
    let to = (from + TILE_WIDTH as i64 - 1).min(head);
    Ok(Some(leaf_hashes(store, from, to).await?))
}

/// The leaf hashes of the events at positions `from..=to`.
async fn leaf_hashes(store: &Store, from: i64, to: i64) -> Result<Vec<Hash>, TreeError> {
    Ok(chain_hashes(store, from, to).await?.iter().map(merkle::leaf_hash).collect())
}

/// How many hashes tile level `level` holds in all.
async fn count_at(store: &Store, level: u8) -> Result<u64, TreeError> {
    let sql = dialect(
        store.backend(),
        "SELECT idx, width FROM tree_tiles WHERE level = $1 ORDER BY idx DESC LIMIT 1",
    );
    let row: Option<(i64, i32)> = on_pool!(store, |pool| {
        sqlx::query_as(&sql).bind(i32::from(level)).fetch_optional(pool).await?
    });
    Ok(row.map_or(0, |(index, width)| index as u64 * TILE_WIDTH + width as u64))
}

/// Brings the stored tiles up to the log; returns how many events they cover.
pub async fn extend(store: &Store) -> Result<u64, TreeError> {
    let head = store.head().await?.position as u64;
    extend_to(store, head).await
}

/// Brings the stored tiles up to the first `head` events at least (the log's head as read
/// by the caller, or later); returns how many events they cover.
async fn extend_to(store: &Store, head: u64) -> Result<u64, TreeError> {
    let mut head = head;
    loop {
        let chunks = count_at(store, 1).await?;
        let complete = head / TILE_WIDTH;
        if chunks >= complete {
            return Ok(chunks * TILE_WIDTH);
        }
        let last = complete.min(chunks + CHUNKS_PER_STEP);
        let from = (chunks * TILE_WIDTH + 1) as i64;
        let leaves = leaf_hashes(store, from, (last * TILE_WIDTH) as i64).await?;
        let roots: Vec<Hash> =
            leaves.chunks_exact(TILE_WIDTH as usize).map(merkle::perfect_root).collect();
        append(store, chunks, roots).await?;
        head = store.head().await?.position as u64;
    }
}

/// The statements `append` runs, in the store's dialect.
struct Statements {
    /// Takes the right to extend before anything is read: PostgreSQL's transaction-scoped
    /// advisory lock; on SQLite a write that matches nothing, which takes the database's write
    /// lock at once (as `BEGIN IMMEDIATE` would).
    lock: &'static str,
    last_tile: String,
    upsert: String,
}

impl Statements {
    fn of(backend: Backend) -> Statements {
        let lock = match backend {
            // The key is any constant no other lock of jejak's uses.
            Backend::Postgres => "SELECT pg_advisory_xact_lock(7809643440157810)",
            Backend::Sqlite => "UPDATE tree_tiles SET width = width WHERE 0",
        };
        Statements {
            lock,
            last_tile: dialect(
                backend,
                "SELECT idx, hashes FROM tree_tiles WHERE level = $1 ORDER BY idx DESC LIMIT 1",
            ),
            upsert: dialect(
                backend,
                "INSERT INTO tree_tiles (level, idx, width, hashes) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (level, idx) DO UPDATE SET width = excluded.width, \
                 hashes = excluded.hashes WHERE excluded.width > tree_tiles.width",
            ),
        }
    }
}

/// Appends `roots` (the hashes of tree level 8 from index `first`) to tile level 1, and the
/// roots of the tiles they complete to the level above, in one transaction that holds the
/// right to extend and reads every tile it grows: two extenders, in one process or two, never
/// write from what the other has since changed. When the tiles no longer end at `first`,
/// another extender was first, and nothing is written.
async fn append(store: &Store, first: u64, roots: Vec<Hash>) -> Result<(), TreeError> {
    let sql = Statements::of(store.backend());
    on_pool!(store, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query(sql.lock).execute(&mut *tx).await?;
        let (mut level, mut pending, mut expected) = (1u8, roots, Some(first));
        while !pending.is_empty() {
            let last: Option<(i64, Vec<u8>)> = sqlx::query_as(&sql.last_tile)
                .bind(i32::from(level))
                .fetch_optional(&mut *tx)
                .await?;
            let (index, current) = match last {
                Some((index, bytes)) => (index as u64, split_hashes(&bytes)),
                None => (0, Vec::new()),
            };
            let (writes, completed, start) = grow(level, index, current, pending);
            if expected.is_some_and(|first| first != start) {
                return Ok(());
            }
            expected = None;
            for (level, index, hashes) in writes {
                sqlx::query(&sql.upsert)
                    .bind(i32::from(level))
                    .bind(index as i64)
                    .bind(hashes.len() as i32)
                    .bind(hashes.concat())
                    .execute(&mut *tx)
                    .await?;
            }
            level += 1;
            pending = completed;
        }
        tx.commit().await?;
    });
    Ok(())
}

/// A tile to write: its level, its index, its hashes.
type TileWrite = (u8, u64, Vec<Hash>);

/// Adds `pending` hashes to tile level `level`, whose last tile is `index` holding `current`:
/// the tiles to write, the roots of the tiles completed (for the level above), and the index
/// across the level the first pending hash takes.
fn grow(
    level: u8,
    mut index: u64,
    mut current: Vec<Hash>,
    pending: Vec<Hash>,
) -> (Vec<TileWrite>, Vec<Hash>, u64) {
    if current.len() as u64 == TILE_WIDTH {
        index += 1;
        current.clear();
    }
    let start = index * TILE_WIDTH + current.len() as u64;
    let (mut writes, mut completed) = (Vec::new(), Vec::new());
    for hash in pending {
        current.push(hash);
        if current.len() as u64 == TILE_WIDTH {
            completed.push(merkle::perfect_root(&current));
            writes.push((level, index, std::mem::take(&mut current)));
            index += 1;
        }
    }
    if !current.is_empty() {
        writes.push((level, index, current));
    }
    (writes, completed, start)
}

/// Where a root or a proof reads its subtrees: on a first pass it records which it needs,
/// with placeholder hashes (which subtrees a computation needs depends only on the sizes,
/// never on the hashes); on the second it reads them as fetched.
enum Source {
    Recording(RefCell<BTreeSet<(u8, u64)>>),
    Fetched(BTreeMap<(u8, u64), Hash>),
}

impl Subtrees for Source {
    type Error = merkle::Missing;
    fn subtree(&self, level: u8, index: u64) -> Result<Hash, merkle::Missing> {
        match self {
            Source::Recording(needed) => {
                needed.borrow_mut().insert((level, index));
                Ok([0; 32])
            }
            Source::Fetched(found) => {
                found.get(&(level, index)).copied().ok_or(merkle::Missing { level, index })
            }
        }
    }
}

impl From<merkle::TreeError<merkle::Missing>> for TreeError {
    fn from(error: merkle::TreeError<merkle::Missing>) -> TreeError {
        match error {
            merkle::TreeError::NoSuchLeaf { index, size } => {
                TreeError::BeyondHead { size: index + 1, head: size }
            }
            merkle::TreeError::SizesOutOfOrder { from, to } => {
                TreeError::SizesOutOfOrder { from, to }
            }
            merkle::TreeError::Source(merkle::Missing { level, index }) => {
                TreeError::MissingTile { level: level / TILE_HEIGHT, index }
            }
        }
    }
}

type Computed<T> = Result<T, merkle::TreeError<merkle::Missing>>;

/// Runs `compute` over the stored tree of the log whose head is `head`, brought up to it
/// first: once to learn which subtrees it needs, then over them.
async fn over_tree<T>(
    store: &Store,
    head: u64,
    compute: impl Fn(&Source) -> Computed<T>,
) -> Result<T, TreeError> {
    extend_to(store, head).await?;
    let recording = Source::Recording(RefCell::default());
    let _ = compute(&recording);
    let Source::Recording(needed) = recording else { unreachable!("made as recording") };
    let fetched = fetch(store, head, needed.into_inner()).await?;
    Ok(compute(&fetched)?)
}

/// Fetches the subtrees `needed`, each from the tile or the 256 events that hold it: the
/// events of every chunk in one query, every stored tile in another.
async fn fetch(store: &Store, head: u64, needed: BTreeSet<(u8, u64)>) -> Result<Source, TreeError> {
    let tile_of = |(level, index): (u8, u64)| {
        let first = index << (level % TILE_HEIGHT);
        ((level / TILE_HEIGHT, first / TILE_WIDTH), (first % TILE_WIDTH) as usize)
    };
    let keys: BTreeSet<(u8, u64)> = needed.iter().map(|subtree| tile_of(*subtree).0).collect();
    let chunks: Vec<u64> = keys.iter().filter(|(l, _)| *l == 0).map(|(_, i)| *i).collect();
    let stored: Vec<(u8, u64)> = keys.iter().filter(|(l, _)| *l > 0).copied().collect();
    let mut tiles = chunk_leaves(store, head, &chunks).await?;
    tiles.extend(stored_tiles(store, &stored).await?);
    let mut found = BTreeMap::new();
    for (level, index) in needed {
        let (key, offset) = tile_of((level, index));
        let span = 1usize << (level % TILE_HEIGHT);
        let part = tiles.get(&key).and_then(|hashes| hashes.get(offset..offset + span));
        let part = part.ok_or(TreeError::MissingTile { level: key.0, index: key.1 })?;
        found.insert((level, index), merkle::perfect_root(part));
    }
    Ok(Source::Fetched(found))
}

/// The leaf hashes of 256-event chunks of the first `head` events, by tile index (level 0),
/// read in one query.
async fn chunk_leaves(
    store: &Store,
    head: u64,
    chunks: &[u64],
) -> Result<BTreeMap<(u8, u64), Vec<Hash>>, TreeError> {
    if chunks.is_empty() {
        return Ok(BTreeMap::new());
    }
    let ranges: Vec<String> = (0..chunks.len())
        .map(|n| format!("(position >= ${} AND position <= ${})", 2 * n + 1, 2 * n + 2))
        .collect();
    let sql = dialect(
        store.backend(),
        &format!(
            "SELECT position, hash FROM events WHERE {} ORDER BY position",
            ranges.join(" OR ")
        ),
    );
    let bounds: Vec<(i64, i64)> = chunks
        .iter()
        .map(|chunk| {
            let from = chunk * TILE_WIDTH + 1;
            (from as i64, (from + TILE_WIDTH - 1).min(head) as i64)
        })
        .collect();
    let rows: Vec<(i64, String)> = on_pool!(store, |pool| {
        let mut query = sqlx::query_as(&sql);
        for (from, to) in &bounds {
            query = query.bind(*from).bind(*to);
        }
        query.fetch_all(pool).await?
    });
    let mut tiles: BTreeMap<(u8, u64), Vec<Hash>> = BTreeMap::new();
    for (position, hash) in rows {
        let chunk = (position as u64 - 1) / TILE_WIDTH;
        tiles.entry((0, chunk)).or_default().push(merkle::leaf_hash(&decode(position, &hash)?));
    }
    // Positions have no gaps; a chunk read short is one the log does not hold in full.
    for (chunk, (from, to)) in chunks.iter().zip(&bounds) {
        let read = tiles.get(&(0, *chunk)).map_or(0, Vec::len);
        if read as i64 != to - from + 1 {
            return Err(TreeError::MissingTile { level: 0, index: *chunk });
        }
    }
    Ok(tiles)
}

/// Stored tiles by (tile level, index), read in one query; absent ones are left out.
async fn stored_tiles(
    store: &Store,
    keys: &[(u8, u64)],
) -> Result<BTreeMap<(u8, u64), Vec<Hash>>, TreeError> {
    if keys.is_empty() {
        return Ok(BTreeMap::new());
    }
    let wanted: Vec<String> = (0..keys.len())
        .map(|n| format!("(level = ${} AND idx = ${})", 2 * n + 1, 2 * n + 2))
        .collect();
    let sql = dialect(
        store.backend(),
        &format!("SELECT level, idx, hashes FROM tree_tiles WHERE {}", wanted.join(" OR ")),
    );
    let rows: Vec<(i32, i64, Vec<u8>)> = on_pool!(store, |pool| {
        let mut query = sqlx::query_as(&sql);
        for (level, index) in keys {
            query = query.bind(i32::from(*level)).bind(*index as i64);
        }
        query.fetch_all(pool).await?
    });
    Ok(rows
        .into_iter()
        .map(|(level, index, bytes)| ((level as u8, index as u64), split_hashes(&bytes)))
        .collect())
}

fn checked_size(size: u64, head: u64) -> Result<u64, TreeError> {
    if size > head {
        return Err(TreeError::BeyondHead { size, head });
    }
    Ok(size)
}

/// The root of the tree of the first `size` events.
pub async fn root(store: &Store, size: u64) -> Result<Hash, TreeError> {
    let head = store.head().await?.position as u64;
    let size = checked_size(size, head)?;
    over_tree(store, head, |s| merkle::root(s, size)).await
}

/// The proof that event `event_id` is in the tree of `size` events (the log's head if none).
pub async fn prove_inclusion(
    store: &Store,
    event_id: Uuid,
    size: Option<u64>,
) -> Result<Inclusion, TreeError> {
    let position = store
        .positions_of(&[event_id])
        .await?
        .first()
        .map(|(_, position)| *position)
        .ok_or(TreeError::NoSuchEvent(event_id))?;
    let head = store.head().await?.position as u64;
    let tree_size = checked_size(size.unwrap_or(head), head)?;
    let leaf_index = position as u64 - 1;
    if leaf_index >= tree_size {
        return Err(TreeError::BeyondHead { size: position as u64, head: tree_size });
    }
    let chain_hash = chain_hashes(store, position, position).await?[0];
    let (root, proof) = over_tree(store, head, |s| {
        Ok((merkle::root(s, tree_size)?, merkle::inclusion_proof(s, leaf_index, tree_size)?))
    })
    .await?;
    let leaf_hash = merkle::leaf_hash(&chain_hash);
    Ok(Inclusion { event_id, position, leaf_index, tree_size, chain_hash, leaf_hash, root, proof })
}

/// The proof that the tree of `from` events is a prefix of the tree of `to`.
pub async fn prove_consistency(
    store: &Store,
    from: u64,
    to: u64,
) -> Result<Consistency, TreeError> {
    if from > to {
        return Err(TreeError::SizesOutOfOrder { from, to });
    }
    let head = store.head().await?.position as u64;
    let to = checked_size(to, head)?;
    let (from_root, to_root, proof) = over_tree(store, head, |s| {
        let roots = (merkle::root(s, from)?, merkle::root(s, to)?);
        Ok((roots.0, roots.1, merkle::consistency_proof(s, from, to)?))
    })
    .await?;
    Ok(Consistency { from, to, from_root, to_root, proof })
}

/// What `jejak verify` found of the stored tree: how many events its tiles cover, and the
/// first stored hash the events do not give, if any.
#[derive(Debug, Clone, Default)]
pub struct TreeReport {
    pub stored_events: u64,
    pub first_mismatch: Option<TileMismatch>,
}

/// A stored hash of the tree that the events do not give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileMismatch {
    /// The tile level (1 for tree level 8) and the hash's index across that level.
    pub level: u8,
    pub index: u64,
    /// The hash the events give, if they reach that far.
    pub expected: Option<Hash>,
    pub stored: Hash,
}

impl std::fmt::Display for TileMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (tile, at) = (self.index / TILE_WIDTH, self.index % TILE_WIDTH);
        match &self.expected {
            Some(expected) => write!(
                f,
                "tree tile {}/{tile}, hash {at}: stored {}, the events give {}",
                self.level,
                base64(&self.stored),
                base64(expected)
            ),
            None => write!(
                f,
                "tree tile {}/{tile}, hash {at}: stored for events the log does not have",
                self.level
            ),
        }
    }
}

/// The tree recomputed from the events as `jejak verify` walks them: the hashes it gives at
/// tree levels 8, 16, 24, … (one per 256 events), to compare with the stored tiles.
#[derive(Debug, Default)]
pub struct TreeWalk {
    frontier: merkle::Frontier,
    given: BTreeMap<(u8, u64), Hash>,
}

impl TreeWalk {
    /// The next event's chain hash, as the 32 bytes its stored hex stands for.
    pub fn push(&mut self, chain_hash: &Hash) {
        let leaf = merkle::leaf_hash(chain_hash);
        let given = &mut self.given;
        self.frontier.push(leaf, |done| {
            if done.level >= TILE_HEIGHT && done.level % TILE_HEIGHT == 0 {
                given.insert((done.level / TILE_HEIGHT, done.index), done.hash);
            }
        });
    }

    /// The root of the tree walked so far.
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    /// Compares every stored tile with what the walk gave.
    pub async fn compare(&self, store: &Store) -> Result<TreeReport, TreeError> {
        let sql = "SELECT level, idx, hashes FROM tree_tiles ORDER BY level, idx";
        let rows: Vec<(i32, i64, Vec<u8>)> =
            on_pool!(store, |pool| { sqlx::query_as(sql).fetch_all(pool).await? });
        // Read after the tiles: events appended since the walk began are in the log by now.
        let head = store.head().await?.position as u64;
        let mut report = TreeReport::default();
        let walked = self.frontier.size();
        for (level, tile, bytes) in rows {
            let level = u8::try_from(level).unwrap_or(u8::MAX);
            for (at, stored) in split_hashes(&bytes).into_iter().enumerate() {
                let index = tile as u64 * TILE_WIDTH + at as u64;
                // A hash over events appended after the walk began is left for the next run;
                // one over events the log does not have at all is reported.
                let end = TILE_WIDTH.checked_pow(u32::from(level)).map(|span| (index + 1) * span);
                if end.is_some_and(|end| end > walked && end <= head) {
                    continue;
                }
                let expected = self.given.get(&(level, index)).copied();
                if expected != Some(stored) && report.first_mismatch.is_none() {
                    report.first_mismatch = Some(TileMismatch { level, index, expected, stored });
                }
                if level == 1 {
                    report.stored_events = report.stored_events.max((index + 1) * TILE_WIDTH);
                }
            }
        }
        Ok(report)
    }
}
