//! The raw limit of the database, measured in the same run as the workloads: plain sqlx on a
//! minimal append-only table, with the store's own durability settings (the write side's
//! limit), and a plain read of the log's own `events` table ([`read_log_table`], the read
//! side's).
//!
//! It is meant to be the fastest honest way to put these rows in and get them out: one
//! dedicated connection per writer (no pool, so no ping before use), statements prepared once
//! and cached by sqlx, no secondary index while inserting (the stream index is built before
//! the stream reads), and the same `synchronous` / `fsync` settings as the log.

use std::time::Instant;

use futures::TryStreamExt;
use rand::SeedableRng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use sqlx::{Connection, PgConnection, Row, SqliteConnection};

use super::BenchError;
use crate::store::{Backend, StoreError, dialect};

/// One row of the raw table: a stream, its version and a payload as large as the log's.
#[derive(Debug, Clone)]
pub struct RawRow {
    pub stream_id: String,
    pub version: i64,
    pub payload: Vec<u8>,
}

/// The raw limit's figures.
#[derive(Debug, Clone, Serialize)]
pub struct RawLimit {
    /// One row per insert statement and transaction, one writer.
    pub single_rows_per_second: f64,
    /// The same with `writers` concurrent connections, each on its own streams.
    pub concurrent_rows_per_second: f64,
    pub writers: usize,
    /// The same with `server_load_writers` connections: a server's load.
    pub server_load_rows_per_second: f64,
    pub server_load_writers: usize,
    /// One stream's rows per multi-row insert statement (one transaction), one writer.
    pub multi_rows_per_second: f64,
    /// Every row read back in position order, one query.
    pub read_rows_per_second: f64,
    /// Every row of the log's own `events` table (W3's), the columns the store reads, in
    /// position order, one query, as plain values: the read side's limit. `None` until W3 has
    /// written that table.
    pub log_table_read_rows_per_second: Option<f64>,
    /// One stream's rows by stream id (indexed), over `samples` random streams.
    pub stream_read_p50_micros: f64,
    pub stream_read_p99_micros: f64,
}

/// A connection to the raw database.
enum Raw {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

/// Runs `$body` with `$c` bound to the connection, whichever backend it is: one statement
/// text for both (written with `$n` placeholders, see [`dialect`]), checked for each.
macro_rules! on_raw {
    ($raw:expr, |$c:ident| $body:expr) => {
        match $raw {
            Raw::Sqlite($c) => $body,
            Raw::Postgres($c) => $body,
        }
    };
}

impl Raw {
    async fn open(backend: Backend, url: &str) -> Result<Raw, StoreError> {
        Ok(match backend {
            Backend::Sqlite => {
                // The log's own settings: WAL, synchronous=FULL.
                let options = crate::store::sqlite_connect_options(url)?;
                Raw::Sqlite(SqliteConnection::connect_with(&options).await?)
            }
            Backend::Postgres => Raw::Postgres(PgConnection::connect(url).await?),
        })
    }

    fn backend(&self) -> Backend {
        match self {
            Raw::Sqlite(_) => Backend::Sqlite,
            Raw::Postgres(_) => Backend::Postgres,
        }
    }

    async fn execute(&mut self, sql: &str) -> Result<(), StoreError> {
        on_raw!(self, |c| sqlx::raw_sql(sql).execute(c).await.map(drop)?);
        Ok(())
    }

    async fn reset(&mut self) -> Result<(), StoreError> {
        let table = match self {
            Raw::Sqlite(_) => {
                "CREATE TABLE raw_events (position INTEGER PRIMARY KEY, \
                 stream_id TEXT NOT NULL, version INTEGER NOT NULL, payload BLOB NOT NULL)"
            }
            Raw::Postgres(_) => {
                "CREATE TABLE raw_events (position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
                 stream_id text NOT NULL, version bigint NOT NULL, payload bytea NOT NULL)"
            }
        };
        self.execute("DROP TABLE IF EXISTS raw_events").await?;
        self.execute(table).await
    }

    async fn insert_one(&mut self, row: &RawRow) -> Result<(), StoreError> {
        let sql = dialect(
            self.backend(),
            "INSERT INTO raw_events (stream_id, version, payload) VALUES ($1, $2, $3)",
        );
        on_raw!(self, |c| {
            let query = sqlx::query(&sql).bind(&row.stream_id).bind(row.version);
            query.bind(&row.payload).execute(c).await.map(drop)?
        });
        Ok(())
    }

    async fn insert_many(&mut self, rows: &[RawRow]) -> Result<(), StoreError> {
        on_raw!(self, |c| {
            let mut builder =
                sqlx::QueryBuilder::new("INSERT INTO raw_events (stream_id, version, payload) ");
            builder.push_values(rows, |mut b, row| {
                b.push_bind(&row.stream_id).push_bind(row.version).push_bind(&row.payload);
            });
            builder.build().execute(c).await.map(drop)?
        });
        Ok(())
    }

    /// Reads every row in position order; returns how many.
    async fn read_all(&mut self) -> Result<u64, StoreError> {
        let sql = "SELECT position, stream_id, version, payload FROM raw_events ORDER BY position";
        let (mut count, mut bytes) = (0_u64, 0_usize);
        on_raw!(self, |c| {
            let mut rows = sqlx::query(sql).fetch(c);
            while let Some(row) = rows.try_next().await? {
                let payload: Vec<u8> = row.try_get(3)?;
                let stream: String = row.try_get(1)?;
                bytes += payload.len() + stream.len();
                count += 1;
            }
        });
        std::hint::black_box(bytes);
        Ok(count)
    }

    async fn read_stream(&mut self, stream_id: &str) -> Result<usize, StoreError> {
        let sql = dialect(
            self.backend(),
            "SELECT position, stream_id, version, payload FROM raw_events \
             WHERE stream_id = $1 ORDER BY version",
        );
        let rows = on_raw!(self, |c| sqlx::query(&sql).bind(stream_id).fetch_all(c).await?.len());
        Ok(rows)
    }

    async fn close(self) {
        let _ = on_raw!(self, |c| c.close().await);
    }
}

/// Measures the raw limit on the (empty, dedicated) database at `url`. `rows` are grouped by
/// stream, each stream's rows together and in version order.
pub async fn measure(
    backend: Backend,
    url: &str,
    rows: &[RawRow],
    (writers, load_writers): (usize, usize),
    samples: usize,
    seed: u64,
    stage: &(dyn Fn(&str) + Sync),
) -> Result<RawLimit, BenchError> {
    let mut raw = Raw::open(backend, url).await?;
    let rate = |count: usize, started: Instant| count as f64 / started.elapsed().as_secs_f64();

    stage("raw: single-row inserts, 1 writer");
    raw.reset().await?;
    let started = Instant::now();
    for row in rows {
        raw.insert_one(row).await?;
    }
    let single = rate(rows.len(), started);

    let streams: Vec<&[RawRow]> = by_stream(rows);
    let writers = writers.max(1);
    let concurrent = concurrent_inserts(&mut raw, url, &streams, writers, stage).await?;
    let load_writers = load_writers.max(1);
    let server_load = if writers == load_writers {
        concurrent
    } else {
        concurrent_inserts(&mut raw, url, &streams, load_writers, stage).await?
    };

    stage("raw: multi-row inserts, one stream per statement");
    raw.reset().await?;
    let started = Instant::now();
    for stream in &streams {
        raw.insert_many(stream).await?;
    }
    let multi = rate(rows.len(), started);

    stage("raw: reading every row");
    let started = Instant::now();
    let read = raw.read_all().await?;
    let read = rate(read as usize, started);

    stage("raw: reading single streams");
    raw.execute("CREATE INDEX raw_events_stream ON raw_events (stream_id, version)").await?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut micros = Vec::with_capacity(samples);
    for _ in 0..samples {
        let stream = streams.choose(&mut rng).expect("at least one stream");
        let started = Instant::now();
        let found = raw.read_stream(&stream[0].stream_id).await?;
        micros.push(started.elapsed().as_secs_f64() * 1e6);
        if found != stream.len() {
            let detail = format!("{} rows of {}, not {}", found, stream[0].stream_id, stream.len());
            return Err(BenchError::Mismatch(detail));
        }
    }
    raw.close().await;
    let (p50, p99) = percentiles(&mut micros);
    Ok(RawLimit {
        single_rows_per_second: single,
        concurrent_rows_per_second: concurrent,
        writers,
        server_load_rows_per_second: server_load,
        server_load_writers: load_writers,
        multi_rows_per_second: multi,
        read_rows_per_second: read,
        log_table_read_rows_per_second: None,
        stream_read_p50_micros: p50,
        stream_read_p99_micros: p99,
    })
}

/// Single-row inserts from `writers` connections at once, each on its own streams; rows a
/// second.
async fn concurrent_inserts(
    raw: &mut Raw,
    url: &str,
    streams: &[&[RawRow]],
    writers: usize,
    stage: &(dyn Fn(&str) + Sync),
) -> Result<f64, BenchError> {
    stage(&format!("raw: single-row inserts, {writers} writers"));
    raw.reset().await?;
    let mut shares: Vec<Vec<&RawRow>> = vec![Vec::new(); writers];
    for (i, stream) in streams.iter().enumerate() {
        shares[i % writers].extend(stream.iter());
    }
    let mut connections = Vec::new();
    for _ in 0..shares.len() {
        connections.push(Raw::open(raw.backend(), url).await?);
    }
    let rows: usize = shares.iter().map(Vec::len).sum();
    let started = Instant::now();
    let tasks = connections.into_iter().zip(shares).map(|(mut connection, share)| async move {
        for row in share {
            connection.insert_one(row).await?;
        }
        connection.close().await;
        Ok::<(), StoreError>(())
    });
    futures::future::try_join_all(tasks).await?;
    Ok(rows as f64 / started.elapsed().as_secs_f64())
}

/// Reads every row of the log's `events` table at `url` in position order, the columns the
/// store's readers read, into plain values (no decoding into the log's types), in one query;
/// rows a second. The read-side workloads are compared with it.
///
/// On PostgreSQL with plain sqlx. On SQLite with rusqlite, the driver the store itself reads
/// with: sqlx's SQLite driver copies every value of a row through its worker thread, so a raw
/// read through it is several times slower than the store's and would be no limit at all.
pub async fn read_log_table(backend: Backend, url: &str) -> Result<f64, BenchError> {
    let sql = format!("SELECT {} FROM events ORDER BY position", crate::store::EVENT_COLUMNS);
    let started = Instant::now();
    let (count, bytes) = match backend {
        Backend::Sqlite => {
            let path = crate::store::sqlite_connect_options(url)?.get_filename().to_owned();
            let read = tokio::task::spawn_blocking(move || read_sqlite_table(&path, &sql));
            read.await.map_err(|error| BenchError::Mismatch(error.to_string()))??
        }
        Backend::Postgres => {
            let mut connection = PgConnection::connect(url).await.map_err(StoreError::from)?;
            let (mut count, mut bytes) = (0_usize, 0_usize);
            let mut rows = sqlx::query(&sql).fetch(&mut connection);
            while let Some(row) = rows.try_next().await.map_err(StoreError::from)? {
                bytes += plain_postgres_row(&row).map_err(StoreError::from)?;
                count += 1;
            }
            drop(rows);
            let _ = connection.close().await;
            (count, bytes)
        }
    };
    std::hint::black_box(bytes);
    Ok(count as f64 / started.elapsed().as_secs_f64())
}

/// The rows of `sql` on the SQLite file at `path`, every column as the plain value it is stored
/// as; returns the rows and the bytes of their text, so that nothing read goes unused.
fn read_sqlite_table(path: &std::path::Path, sql: &str) -> Result<(usize, usize), StoreError> {
    let connection = rusqlite::Connection::open(path)?;
    let mut statement = connection.prepare(sql)?;
    let mut rows = statement.query([])?;
    let (mut count, mut bytes) = (0_usize, 0_usize);
    while let Some(row) = rows.next()? {
        for index in [0, 4, 6] {
            bytes += usize::from(row.get::<_, i64>(index)? > 0);
        }
        for index in [1, 2, 3, 5, 7, 8, 9, 10, 11, 13, 16, 18, 19, 20] {
            bytes += row.get_ref(index)?.as_str().map_err(rusqlite::Error::from)?.len();
        }
        for index in [12, 14, 15, 17] {
            let text = row.get_ref(index)?.as_str_or_null().map_err(rusqlite::Error::from)?;
            bytes += text.map_or(0, str::len);
        }
        count += 1;
    }
    Ok((count, bytes))
}

/// The same on PostgreSQL, where ids are `uuid` and times `timestamptz`.
fn plain_postgres_row(row: &sqlx::postgres::PgRow) -> Result<usize, sqlx::Error> {
    use sqlx::types::chrono::{DateTime, Utc};
    let mut bytes = usize::from(row.try_get::<i32, _>(6)? > 0);
    for index in [0, 4] {
        bytes += usize::from(row.try_get::<i64, _>(index)? > 0);
    }
    for index in [1, 2, 16] {
        bytes += usize::from(row.try_get::<uuid::Uuid, _>(index)?.is_nil());
    }
    bytes += usize::from(row.try_get::<Option<uuid::Uuid>, _>(17)?.is_some());
    for index in [7, 8] {
        bytes += usize::from(row.try_get::<DateTime<Utc>, _>(index)?.timestamp() > 0);
    }
    for index in [3, 5, 9, 10, 11, 13, 18, 19, 20] {
        bytes += row.try_get::<&str, _>(index)?.len();
    }
    for index in [12, 14, 15] {
        bytes += row.try_get::<Option<&str>, _>(index)?.map_or(0, str::len);
    }
    Ok(bytes)
}

/// Consecutive rows of the same stream, as slices.
fn by_stream(rows: &[RawRow]) -> Vec<&[RawRow]> {
    rows.chunk_by(|a, b| a.stream_id == b.stream_id).collect()
}

/// The median and the 99th percentile (nearest rank) of `values`.
pub fn percentiles(values: &mut [f64]) -> (f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    values.sort_by(f64::total_cmp);
    let rank = |p: f64| {
        let index = ((p * values.len() as f64).ceil() as usize).clamp(1, values.len()) - 1;
        values[index]
    };
    (rank(0.50), rank(0.99))
}

#[cfg(test)]
mod tests {
    use super::percentiles;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut values: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        assert_eq!(percentiles(&mut values), (50.0, 99.0));
        assert_eq!(percentiles(&mut [7.0]), (7.0, 7.0));
        assert_eq!(percentiles(&mut []), (0.0, 0.0));
    }
}
