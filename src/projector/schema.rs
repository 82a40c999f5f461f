//! The SQL of the read models, derived from the projections' table declarations.
//!
//! Each projection table is stored in `rm_<table>` with a leading `generation` column: a rebuild
//! writes a new generation beside the live one and swaps by changing one number in
//! `projection_state`. Readers use the view `<table>`, which shows the active generation only,
//! so they never see a half-built read model. The migrations hold this DDL as committed text; a
//! test checks that it equals what [`ddl`] derives, so the two cannot drift apart.

use projections::table::{Column, TableDef};
use projections::value::Kind;

use crate::store::Backend;

/// The storage table of a read-model table.
pub fn storage(table: &str) -> String {
    format!("rm_{table}")
}

fn sql_type(backend: Backend, kind: Kind) -> &'static str {
    match (backend, kind) {
        (Backend::Sqlite, Kind::Int | Kind::Bool) => "INTEGER",
        (Backend::Sqlite, Kind::Text | Kind::Date) => "TEXT",
        (Backend::Postgres, Kind::Int) => "bigint",
        (Backend::Postgres, Kind::Bool) => "boolean",
        (Backend::Postgres, Kind::Text) => "text",
        (Backend::Postgres, Kind::Date) => "date",
    }
}

fn column(backend: Backend, column: &Column) -> String {
    let null = if column.nullable { "" } else { " NOT NULL" };
    format!("    {} {}{null}", column.name, sql_type(backend, column.kind))
}

/// The DDL of one projection's tables and views.
pub fn ddl(backend: Backend, projection: &str, tables: &[TableDef]) -> String {
    let integer = sql_type(backend, Kind::Int);
    let mut sql = format!(
        "-- Read model `{projection}`: storage tables with a generation, and views of the active one.\n"
    );
    for table in tables {
        let mut lines = vec![format!("    generation {integer} NOT NULL")];
        lines.extend(table.key.iter().chain(&table.columns).map(|c| column(backend, c)));
        let key: Vec<&str> =
            std::iter::once("generation").chain(table.key.iter().map(|c| c.name)).collect();
        lines.push(format!("    PRIMARY KEY ({})", key.join(", ")));
        sql.push_str(&format!(
            "\nCREATE TABLE {} (\n{}\n);\n",
            storage(table.name),
            lines.join(",\n")
        ));
        let names: Vec<&str> = table.key.iter().chain(&table.columns).map(|c| c.name).collect();
        sql.push_str(&format!(
            "CREATE VIEW {} AS\n    SELECT {}\n    FROM {}\n    WHERE generation = (SELECT generation FROM projection_state WHERE name = '{projection}');\n",
            table.name,
            names.join(", "),
            storage(table.name)
        ));
    }
    sql
}

/// The DDL of every projection, in the order of `projections::projection::all()`.
pub fn all_ddl(backend: Backend) -> String {
    projections::projection::all()
        .iter()
        .map(|projection| ddl(backend, projection.name, &(projection.tables)()))
        .collect::<Vec<_>>()
        .join("")
}
