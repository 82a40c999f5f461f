//! Reading and writing read-model rows in either database, by the tables' declared columns.

use std::str::FromStr;

use chrono::NaiveDate;
use projections::table::{Column, Key, Row, TableDef};
use projections::value::{Kind, Value};
use sqlx::{Row as _, postgres::PgRow, sqlite::SqliteRow};
use uuid::Uuid;

use super::schema::storage;
use crate::store::{Backend, StoreError};

/// A placeholder for the `index`-th parameter (from 1).
fn placeholder(backend: Backend, index: usize) -> String {
    match backend {
        Backend::Sqlite => "?".to_owned(),
        Backend::Postgres => format!("${index}"),
    }
}

fn columns(table: &TableDef) -> impl Iterator<Item = &Column> {
    table.key.iter().chain(&table.columns)
}

/// `SELECT columns FROM storage WHERE generation = ? ORDER BY key`: a whole generation.
pub(super) fn select_sql(backend: Backend, table: &TableDef) -> String {
    let names: Vec<&str> = columns(table).map(|c| c.name).collect();
    let key: Vec<&str> = table.key.iter().map(|c| c.name).collect();
    format!(
        "SELECT {} FROM {} WHERE generation = {} ORDER BY {}",
        names.join(", "),
        storage(table.name),
        placeholder(backend, 1),
        key.join(", ")
    )
}

/// `count` tuples of `width` placeholders each, numbered on from `first`: `(?, ?), (?, ?)`.
fn tuples(backend: Backend, count: usize, width: usize, first: usize) -> String {
    let tuples: Vec<String> = (0..count)
        .map(|tuple| {
            let tuple: Vec<String> = (0..width)
                .map(|index| placeholder(backend, first + tuple * width + index))
                .collect();
            format!("({})", tuple.join(", "))
        })
        .collect();
    tuples.join(", ")
}

/// Bind parameters per statement, under both databases' limits (SQLite 32,766; PostgreSQL
/// 65,535).
const PARAMETERS_MAX: usize = 30_000;
/// Rows per upsert statement at most.
const ROWS_PER_STATEMENT_MAX: usize = 1_000;

/// How many rows of `table` one upsert statement writes.
pub(super) fn upsert_rows_max(table: &TableDef) -> usize {
    let per_row = 1 + table.key.len() + table.columns.len();
    (PARAMETERS_MAX / per_row).clamp(1, ROWS_PER_STATEMENT_MAX)
}

/// An upsert of `rows` rows into a generation, in one statement: each row's generation, key
/// and columns, in that order. The rows' keys must differ (PostgreSQL refuses to touch a row
/// twice in one statement).
pub(super) fn upsert_sql(backend: Backend, table: &TableDef, rows: usize) -> String {
    let names: Vec<&str> =
        std::iter::once("generation").chain(columns(table).map(|c| c.name)).collect();
    let key: Vec<&str> =
        std::iter::once("generation").chain(table.key.iter().map(|c| c.name)).collect();
    let updates: Vec<String> =
        table.columns.iter().map(|c| format!("{0} = excluded.{0}", c.name)).collect();
    let action = if updates.is_empty() {
        "NOTHING".to_owned()
    } else {
        format!("UPDATE SET {}", updates.join(", "))
    };
    format!(
        "INSERT INTO {} ({}) VALUES {} ON CONFLICT ({}) DO {action}",
        storage(table.name),
        names.join(", "),
        tuples(backend, rows, names.len(), 1),
        key.join(", ")
    )
}

/// Parents one [`select_by_column_sql`] statement looks up.
pub(super) const LOOKUPS_PER_SELECT: usize = ROWS_PER_STATEMENT_MAX;

/// Keys one [`select_keys_sql`] statement looks up.
pub(super) fn keys_per_select(table: &TableDef) -> usize {
    (PARAMETERS_MAX / table.key.len().max(1)).clamp(1, ROWS_PER_STATEMENT_MAX)
}

/// `SELECT columns FROM storage WHERE generation = ? AND (key) IN (VALUES (?…), …)` for `keys`
/// keys.
pub(super) fn select_keys_sql(backend: Backend, table: &TableDef, keys: usize) -> String {
    let names: Vec<&str> = columns(table).map(|c| c.name).collect();
    let key: Vec<&str> = table.key.iter().map(|c| c.name).collect();
    format!(
        "SELECT {} FROM {} WHERE generation = {} AND ({}) IN (VALUES {})",
        names.join(", "),
        storage(table.name),
        placeholder(backend, 1),
        key.join(", "),
        tuples(backend, keys, table.key.len(), 2)
    )
}

/// `SELECT columns FROM storage WHERE generation = ? AND column IN (?, …)` for `values`
/// values: the rows that hang off those parents, through the primary key or the lookup index on
/// `column` (`super::schema::lookup_indexes`). A plain list, not `IN (VALUES …)`: PostgreSQL
/// plans the list as one index scan for all the values, and the `VALUES` form as a join that
/// read all 8.8M marks of a national log to find one facility's.
pub(super) fn select_by_column_sql(
    backend: Backend,
    table: &TableDef,
    column: &str,
    values: usize,
) -> String {
    let names: Vec<&str> = columns(table).map(|c| c.name).collect();
    format!(
        "SELECT {} FROM {} WHERE generation = {} AND {column} IN ({})",
        names.join(", "),
        storage(table.name),
        placeholder(backend, 1),
        (2..values + 2).map(|index| placeholder(backend, index)).collect::<Vec<_>>().join(", ")
    )
}

pub(super) fn delete_sql(backend: Backend, table: &TableDef) -> String {
    let mut sql = format!(
        "DELETE FROM {} WHERE generation = {}",
        storage(table.name),
        placeholder(backend, 1)
    );
    for (index, column) in table.key.iter().enumerate() {
        sql.push_str(&format!(" AND {} = {}", column.name, placeholder(backend, index + 2)));
    }
    sql
}

/// Binds one value as the column's type (PostgreSQL needs typed nulls).
macro_rules! bind_value {
    ($query:expr, $backend:expr, $column:expr, $value:expr) => {{
        let query = $query;
        match ($column.kind, $value) {
            (::projections::value::Kind::Int, ::projections::value::Value::Int(number)) => {
                query.bind(Some(*number))
            }
            (::projections::value::Kind::Int, _) => query.bind(None::<i64>),
            (::projections::value::Kind::Bool, ::projections::value::Value::Bool(flag))
                if $backend == $crate::store::Backend::Sqlite =>
            {
                query.bind(Some(i64::from(*flag)))
            }
            (::projections::value::Kind::Bool, _) if $backend == $crate::store::Backend::Sqlite => {
                query.bind(None::<i64>)
            }
            (::projections::value::Kind::Bool, ::projections::value::Value::Bool(flag)) => {
                query.bind(Some(*flag))
            }
            (::projections::value::Kind::Bool, _) => query.bind(None::<bool>),
            (::projections::value::Kind::Text, ::projections::value::Value::Text(text)) => {
                query.bind(Some(text.clone()))
            }
            (::projections::value::Kind::Text, _) => query.bind(None::<String>),
            (::projections::value::Kind::Uuid, ::projections::value::Value::Uuid(id)) => {
                query.bind(Some(id.hyphenated().to_string()))
            }
            (::projections::value::Kind::Uuid, _) => query.bind(None::<String>),
            (::projections::value::Kind::Date, ::projections::value::Value::Date(date))
                if $backend == $crate::store::Backend::Sqlite =>
            {
                query.bind(Some(date.to_string()))
            }
            (::projections::value::Kind::Date, _) if $backend == $crate::store::Backend::Sqlite => {
                query.bind(None::<String>)
            }
            (::projections::value::Kind::Date, ::projections::value::Value::Date(date)) => {
                query.bind(Some(*date))
            }
            (::projections::value::Kind::Date, _) => query.bind(None::<::chrono::NaiveDate>),
        }
    }};
}
pub(super) use bind_value;

fn corrupt(table: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt { position: 0, detail: format!("read model {table}: {detail}") }
}

/// An id column's text as a value.
fn uuid(table: &TableDef, text: Option<&str>) -> Result<Value, StoreError> {
    let Some(text) = text else { return Ok(Value::Null) };
    Uuid::try_parse(text)
        .map(Value::Uuid)
        .map_err(|e| corrupt(table.name, format!("{text:?}: {e}")))
}

/// A row's values as its key and the rest, the key no larger than it is: tables keep the keys,
/// and a key left with the room of the whole row took 1.5 KB for a 16-byte id (the live
/// whole-country report held 600 MB of them).
fn split(table: &TableDef, mut values: Vec<Value>) -> (Key, Row) {
    let row = values.split_off(table.key.len());
    values.shrink_to_fit();
    (values, row)
}

/// Reads a SQLite row of [`columns`] into a key and a row.
pub(super) fn from_sqlite(table: &TableDef, row: &SqliteRow) -> Result<(Key, Row), StoreError> {
    let mut values = Vec::with_capacity(table.key.len() + table.columns.len());
    for (index, column) in columns(table).enumerate() {
        let value = match column.kind {
            Kind::Int => row.try_get::<Option<i64>, _>(index)?.map_or(Value::Null, Value::Int),
            Kind::Bool => row
                .try_get::<Option<i64>, _>(index)?
                .map_or(Value::Null, |flag| Value::Bool(flag != 0)),
            Kind::Text => row.try_get::<Option<String>, _>(index)?.map_or(Value::Null, Value::Text),
            Kind::Uuid => uuid(table, row.try_get::<Option<&str>, _>(index)?)?,
            Kind::Date => match row.try_get::<Option<String>, _>(index)? {
                None => Value::Null,
                Some(text) => {
                    Value::Date(NaiveDate::from_str(&text).map_err(|e| corrupt(table.name, e))?)
                }
            },
        };
        values.push(value);
    }
    Ok(split(table, values))
}

/// Reads a PostgreSQL row of [`columns`] into a key and a row.
pub(super) fn from_postgres(table: &TableDef, row: &PgRow) -> Result<(Key, Row), StoreError> {
    let mut values = Vec::with_capacity(table.key.len() + table.columns.len());
    for (index, column) in columns(table).enumerate() {
        let value = match column.kind {
            Kind::Int => row.try_get::<Option<i64>, _>(index)?.map_or(Value::Null, Value::Int),
            Kind::Bool => row.try_get::<Option<bool>, _>(index)?.map_or(Value::Null, Value::Bool),
            Kind::Text => row.try_get::<Option<String>, _>(index)?.map_or(Value::Null, Value::Text),
            Kind::Uuid => uuid(table, row.try_get::<Option<&str>, _>(index)?)?,
            Kind::Date => {
                row.try_get::<Option<NaiveDate>, _>(index)?.map_or(Value::Null, Value::Date)
            }
        };
        values.push(value);
    }
    Ok(split(table, values))
}
