//! The read-model migration is exactly the DDL derived from the projections' declared tables
//! (`src/projector/schema.rs`), in both dialects, and both migration folders apply cleanly.
//! So is 0008, the lookup indexes of the tables that hang off a parent. Run with
//! `UPDATE_MIGRATIONS=1` to regenerate them after changing a table, before it ships.

use jejak::projector::schema::{lookup_indexes, migration};
use jejak::store::Backend;

use crate::support::repository_root;

#[test]
fn the_read_model_migration_is_the_ddl_of_the_declared_tables() {
    for (backend, folder) in [(Backend::Sqlite, "sqlite"), (Backend::Postgres, "postgres")] {
        let path = repository_root().join("migrations").join(folder).join("0002_read_models.sql");
        let expected = migration(backend);
        if std::env::var_os("UPDATE_MIGRATIONS").is_some() {
            std::fs::write(&path, &expected).unwrap();
        }
        let actual = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(actual, expected, "{} differs from the declared tables", path.display());
    }
}

#[test]
fn the_lookup_migration_indexes_every_table_by_the_parent_it_hangs_off() {
    let expected = lookup_indexes();
    assert!(expected.contains("rm_programme_participations_by_package_id"), "{expected}");
    for folder in ["sqlite", "postgres"] {
        let path =
            repository_root().join("migrations").join(folder).join("0008_read_model_lookups.sql");
        if std::env::var_os("UPDATE_MIGRATIONS").is_some() {
            std::fs::write(&path, &expected).unwrap();
        }
        let actual = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(actual, expected, "{} differs from the declared tables", path.display());
    }
}
