//! `jejak copy --from URL --to URL`: a whole log moved between databases (SQLite to PostgreSQL,
//! or back), every event with its position, times and hash, and every command record, so the
//! copy verifies as the original does and answers retries the same way. A facility can start on
//! SQLite and move to a shared PostgreSQL later.
//!
//! The source's chain is checked as it is read, and the target checks each page continues its
//! own chain before writing it, so a broken log is never copied and nothing is copied twice.
//! The target must be empty. The read models are not copied: they are rebuilt from the log on
//! first use. Given the master key, [`copy_people`] copies the users, the vault (sealed as it
//! is, after checking the key opens it) and its access log too; without the key it is not done
//! and the command says so (docs/operations.md). Sessions are never copied: people sign in
//! again.

use events::chain::ChainVerifier;
use events::limits::PAGE_EVENTS_MAX;

use crate::store::{AppendError, Backend, Head, Store, StoreError, dialect, on_pool};
use crate::vault::{Vault, VaultError};

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("the target already holds {0} events; copy only into an empty log")]
    TargetNotEmpty(i64),
    #[error("the source log is broken, so it is not copied: {0}")]
    SourceBroken(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Append(#[from] AppendError),
    #[error("the target already holds {rows} rows in {table}; copy people only into an empty one")]
    PeopleNotEmpty { table: &'static str, rows: i64 },
    #[error(transparent)]
    Vault(#[from] VaultError),
}

impl From<sqlx::Error> for CopyError {
    fn from(error: sqlx::Error) -> CopyError {
        CopyError::Store(StoreError::from(error))
    }
}

/// Copies the whole log of `from` into the empty log of `to`, a page per transaction;
/// `progress` hears the last position copied. Returns the head copied.
pub async fn copy_log(
    from: &Store,
    to: &Store,
    mut progress: impl FnMut(i64),
) -> Result<Head, CopyError> {
    let target = to.head().await?.position;
    if target > 0 {
        return Err(CopyError::TargetNotEmpty(target));
    }
    let head = from.head().await?;
    let mut verifier = ChainVerifier::default();
    let mut position = 0;
    while position < head.position {
        let page = from.read_all(position + 1, PAGE_EVENTS_MAX).await?;
        let Some(last) = page.last() else { break };
        let last = last.position.min(head.position);
        let page: Vec<_> = page.into_iter().filter(|event| event.position <= last).collect();
        for event in &page {
            verifier.check(event).map_err(|found| CopyError::SourceBroken(found.to_string()))?;
        }
        let commands = from.command_records(position, last).await?;
        to.append_verbatim(&page, &commands).await?;
        position = last;
        progress(position);
    }
    let copied = to.head().await?;
    if copied.position != head.position || copied.hash != head.hash {
        let found =
            format!("copied up to {} ({}), not {}", copied.position, copied.hash, head.hash);
        return Err(CopyError::SourceBroken(found));
    }
    Ok(copied)
}

/// How a column of a table beside the log is copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Bytes,
    /// A timestamp: text on SQLite, `timestamptz` on PostgreSQL; moved as canonical text.
    Time,
    Int,
}

/// A table beside the log that `copy_people` moves; the first column is its key.
struct SideTable {
    name: &'static str,
    columns: &'static [(&'static str, Kind)],
}

/// The users, the vault and its access log (migrations 0005), in the order they are copied.
const PEOPLE_TABLES: [SideTable; 3] = [
    SideTable {
        name: "users",
        columns: &[
            ("name", Kind::Text),
            ("role", Kind::Text),
            ("organisation", Kind::Text),
            ("facility", Kind::Text),
            ("token_hash", Kind::Text),
            ("created_at", Kind::Time),
            ("revoked_at", Kind::Time),
        ],
    },
    SideTable {
        name: "vault_people",
        columns: &[
            ("person_ref", Kind::Text),
            ("wrapped_key", Kind::Bytes),
            ("record", Kind::Bytes),
            ("nik_index", Kind::Text),
            ("updated_at", Kind::Time),
            ("erased_at", Kind::Time),
            ("erased_reason", Kind::Text),
        ],
    },
    SideTable {
        name: "vault_access",
        columns: &[
            ("id", Kind::Int),
            ("at", Kind::Time),
            ("actor", Kind::Text),
            ("role", Kind::Text),
            ("organisation", Kind::Text),
            ("person_ref", Kind::Text),
            ("action", Kind::Text),
            ("purpose", Kind::Text),
            ("request_id", Kind::Text),
        ],
    },
];

/// Rows copied a page at a time.
const PEOPLE_PAGE_ROWS: i64 = 5_000;

#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
    Int(Option<i64>),
}

/// What [`copy_people`] copied: rows per table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeopleCopied {
    pub users: i64,
    pub people: i64,
    pub accesses: i64,
}

/// Copies the users, the vault and its access log of `from` into `to`, whose tables must be
/// empty, in one transaction: all of them or nothing. `vault` (the source's, with the master
/// key) must open the records first, so that a copy is never made with a key that cannot read
/// it. Records stay sealed under their keys; the copy reads with the same master key.
pub async fn copy_people(
    from: &Store,
    vault: &Vault,
    to: &Store,
) -> Result<PeopleCopied, CopyError> {
    vault.check_key().await?;
    for table in &PEOPLE_TABLES {
        let sql = format!("SELECT COUNT(*) FROM {}", table.name);
        let rows: i64 = on_pool!(to, |pool| sqlx::query_scalar(&sql).fetch_one(pool).await?);
        if rows > 0 {
            return Err(CopyError::PeopleNotEmpty { table: table.name, rows });
        }
    }
    let mut copied = [0_i64; 3];
    on_pool!(to, |pool| {
        let mut transaction = pool.begin().await?;
        for (table, count) in PEOPLE_TABLES.iter().zip(copied.iter_mut()) {
            let insert = insert_sql(to.backend(), table);
            let mut after: Option<Cell> = None;
            loop {
                let page = read_page(from, table, after.as_ref()).await?;
                let Some(last) = page.last() else { break };
                after = last.first().cloned();
                for row in &page {
                    let mut query = sqlx::query(&insert);
                    for cell in row {
                        query = match cell {
                            Cell::Text(text) => query.bind(text.clone()),
                            Cell::Bytes(bytes) => query.bind(bytes.clone()),
                            Cell::Int(int) => query.bind(*int),
                        };
                    }
                    query.execute(&mut *transaction).await?;
                }
                *count += page.len() as i64;
            }
        }
        if to.backend() == Backend::Postgres {
            let sql = "SELECT setval(pg_get_serial_sequence('vault_access', 'id'), \
                       COALESCE((SELECT MAX(id) FROM vault_access), 0) + 1, false)";
            sqlx::query(sql).execute(&mut *transaction).await?;
        }
        transaction.commit().await?;
    });
    Ok(PeopleCopied { users: copied[0], people: copied[1], accesses: copied[2] })
}

/// The INSERT of one row of `table` in `backend`'s dialect.
fn insert_sql(backend: Backend, table: &SideTable) -> String {
    let names: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
    let values: Vec<String> = table
        .columns
        .iter()
        .enumerate()
        .map(|(index, (_, kind))| match (kind, backend) {
            (Kind::Time, Backend::Postgres) => format!("${}::timestamptz", index + 1),
            _ => format!("${}", index + 1),
        })
        .collect();
    let sql =
        format!("INSERT INTO {} ({}) VALUES ({})", table.name, names.join(", "), values.join(", "));
    dialect(backend, &sql)
}

/// Up to [`PEOPLE_PAGE_ROWS`] rows of `table` after the key `after`, in key order.
async fn read_page(
    store: &Store,
    table: &SideTable,
    after: Option<&Cell>,
) -> Result<Vec<Vec<Cell>>, CopyError> {
    use sqlx::Row;
    let backend = store.backend();
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|(name, kind)| match (kind, backend) {
            (Kind::Time, Backend::Postgres) => {
                format!("to_char({name} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
            }
            _ => (*name).to_owned(),
        })
        .collect();
    let key = table.columns[0].0;
    let condition = if after.is_some() { format!("WHERE {key} > $1") } else { String::new() };
    let sql = format!(
        "SELECT {} FROM {} {condition} ORDER BY {key} LIMIT {PEOPLE_PAGE_ROWS}",
        columns.join(", "),
        table.name
    );
    let sql = dialect(backend, &sql);
    let rows = on_pool!(store, |pool| {
        let mut query = sqlx::query(&sql);
        query = match after {
            Some(Cell::Text(text)) => query.bind(text.clone()),
            Some(Cell::Int(int)) => query.bind(*int),
            Some(Cell::Bytes(bytes)) => query.bind(bytes.clone()),
            None => query,
        };
        let rows = query.fetch_all(pool).await?;
        let mut read = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut cells = Vec::with_capacity(table.columns.len());
            for (index, (_, kind)) in table.columns.iter().enumerate() {
                cells.push(match kind {
                    Kind::Text | Kind::Time => Cell::Text(row.try_get(index)?),
                    Kind::Bytes => Cell::Bytes(row.try_get(index)?),
                    Kind::Int => Cell::Int(row.try_get(index)?),
                });
            }
            read.push(cells);
        }
        read
    });
    Ok(rows)
}
