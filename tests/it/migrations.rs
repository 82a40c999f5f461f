//! The read-model migration is exactly the DDL derived from the projections' declared tables
//! (`src/projector/schema.rs`), in both dialects, and both migration folders apply cleanly.
//! Run with `UPDATE_MIGRATIONS=1` to regenerate 0002 after changing a table, before it ships.

use jejak::projector::schema::all_ddl;
use jejak::store::Backend;

use crate::support::repository_root;

fn expected(backend: Backend) -> String {
    let (text, integer) = match backend {
        Backend::Sqlite => ("TEXT", "INTEGER"),
        Backend::Postgres => ("text", "bigint"),
    };
    let state = format!(
        "-- Read models: one row of state per projection, then each projection's tables.\n\
         -- Generated from the projections' table declarations (src/projector/schema.rs); do not edit by hand.\n\
         \n\
         CREATE TABLE projection_state (\n    name {text} PRIMARY KEY,\n    version {integer} NOT NULL,\n    config {text} NOT NULL,\n    \
         generation {integer} NOT NULL,\n    position {integer} NOT NULL,\n    hash {text} NOT NULL,\n    \
         building_generation {integer},\n    building_version {integer},\n    building_config {text},\n    \
         building_position {integer},\n    building_hash {text}\n);\n\n"
    );
    state + &all_ddl(backend)
}

#[test]
fn the_read_model_migration_is_the_ddl_of_the_declared_tables() {
    for (backend, folder) in [(Backend::Sqlite, "sqlite"), (Backend::Postgres, "postgres")] {
        let path = repository_root().join("migrations").join(folder).join("0002_read_models.sql");
        let expected = expected(backend);
        if std::env::var_os("UPDATE_MIGRATIONS").is_some() {
            std::fs::write(&path, &expected).unwrap();
        }
        let actual = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(actual, expected, "{} differs from the declared tables", path.display());
    }
}
