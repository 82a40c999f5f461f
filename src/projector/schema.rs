//! The SQL of the read models, derived from the projections' table declarations.
//!
//! Each projection table is stored in `rm_<table>` with a leading `generation` column: a rebuild
//! writes a new generation beside the live one and swaps by changing one number in
//! `projection_state`. Readers use the view `<table>`, which shows the active generation only,
//! so they never see a half-built read model. The migrations hold this DDL as committed text
//! (`0002_read_models.sql` the first tables, later migrations what changed, written from
//! [`ddl`]); a test checks that the migrated schema of both databases is what the declarations
//! say, so the two cannot drift apart.

use projections::table::{Column, TableDef};
use projections::value::Kind;

use crate::store::Backend;

/// The storage table of a read-model table.
pub fn storage(table: &str) -> String {
    format!("rm_{table}")
}

/// The SQL type of a column of `kind`.
pub fn sql_type(backend: Backend, kind: Kind) -> &'static str {
    match (backend, kind) {
        (Backend::Sqlite, Kind::Int | Kind::Bool) => "INTEGER",
        (Backend::Sqlite, Kind::Text | Kind::Uuid | Kind::Date) => "TEXT",
        (Backend::Postgres, Kind::Int) => "bigint",
        (Backend::Postgres, Kind::Bool) => "boolean",
        (Backend::Postgres, Kind::Text | Kind::Uuid) => "text",
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
        if backend == Backend::Postgres {
            sql.push_str(&format!(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON {} TO jejak_app;\n\
                 GRANT SELECT ON {} TO jejak_app, jejak_reader;\n",
                storage(table.name),
                table.name
            ));
        }
    }
    sql
}

/// An index per table that hangs off its parent by a column other than the first of its key
/// (which the primary key already serves): `(generation, column)`, so that a read model
/// narrowed to one facility reads that facility's sessions, participations and grants without
/// reading the country's. `0008_read_model_lookups.sql` created them (and a migration that
/// creates such a table again creates its index); a test checks that each exists. The
/// statement is the same in both dialects.
pub fn lookup_indexes() -> String {
    let mut sql = "-- Lookups of read-model rows by the parent they hang off, for reports narrowed to a\n\
                   -- facility, provider or skill (docs/reports.md).\n\
                   -- Generated from the projections' table declarations (src/projector/schema.rs); do not edit by hand.\n"
        .to_owned();
    for projection in projections::projection::all() {
        for table in (projection.tables)() {
            let Some(under) = table.under else { continue };
            if table.key.first().is_some_and(|first| first.name == under.column) {
                continue;
            }
            sql.push_str(&format!(
                "CREATE INDEX {storage}_by_{column} ON {storage} (generation, {column});\n",
                storage = storage(table.name),
                column = under.column
            ));
        }
    }
    sql
}
