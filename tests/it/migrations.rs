//! The migrations build exactly the read models the projections declare
//! (`src/projector/schema.rs`), on both databases: every storage table with its columns, their
//! types and nullability and its primary key, every view with its columns, no table that is
//! not declared, the lookup indexes of the tables that hang off a parent (0008, held as the
//! statements `lookup_indexes` derives), and on PostgreSQL the roles' privileges.
//!
//! A migration that changes a table writes its DDL as `schema::ddl` derives it; when this test
//! fails it prints that DDL.

use jejak::projector::schema::{ddl, lookup_indexes, sql_type, storage};
use jejak::store::Backend;
use projections::table::TableDef;
use sqlx::Connection;

use crate::support::{TestDb, backend_tests};

backend_tests!(the_migrated_read_models_are_the_declared_tables);

/// (name, type, not null) of each column of a table or view, in order.
type Columns = Vec<(String, String, bool)>;

async fn strings(db: &TestDb, sql: &str, bind: &str) -> Vec<String> {
    match db.backend {
        Backend::Sqlite => {
            let mut connection = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            sqlx::query_scalar(sql).bind(bind).fetch_all(&mut connection).await.unwrap()
        }
        Backend::Postgres => {
            let mut connection = sqlx::PgConnection::connect(&db.url).await.unwrap();
            sqlx::query_scalar(sql).bind(bind).fetch_all(&mut connection).await.unwrap()
        }
    }
}

async fn columns(db: &TestDb, table: &str) -> Columns {
    match db.backend {
        Backend::Sqlite => {
            let mut connection = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            sqlx::query_as(
                "SELECT name, type, \"notnull\" = 1 FROM pragma_table_info(?1) ORDER BY cid",
            )
            .bind(table)
            .fetch_all(&mut connection)
            .await
            .unwrap()
        }
        Backend::Postgres => {
            let mut connection = sqlx::PgConnection::connect(&db.url).await.unwrap();
            sqlx::query_as(
                "SELECT column_name::text, data_type::text, is_nullable = 'NO' \
                 FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
            )
            .bind(table)
            .fetch_all(&mut connection)
            .await
            .unwrap()
        }
    }
}

fn declared_columns(backend: Backend, table: &TableDef) -> Columns {
    let integer = sql_type(backend, projections::value::Kind::Int);
    std::iter::once(("generation".to_owned(), integer.to_owned(), true))
        .chain(table.key.iter().chain(&table.columns).map(|column| {
            (column.name.to_owned(), sql_type(backend, column.kind).to_owned(), !column.nullable)
        }))
        .collect()
}

async fn the_migrated_read_models_are_the_declared_tables(db: TestDb) {
    db.open().await.close().await;
    let backend = db.backend;
    let (tables_sql, key_sql, indexes_sql) = match backend {
        Backend::Sqlite => (
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ?1 ESCAPE '!' \
             ORDER BY name",
            "SELECT name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk",
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name LIKE ?1 ESCAPE '!'",
        ),
        Backend::Postgres => (
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' \
             AND table_type = 'BASE TABLE' AND table_name LIKE $1 ESCAPE '!' ORDER BY table_name",
            "SELECT a.attname::text FROM pg_index i \
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
             WHERE i.indrelid = $1::regclass AND i.indisprimary \
             ORDER BY array_position(i.indkey::int2[], a.attnum)",
            "SELECT indexname::text FROM pg_indexes WHERE tablename LIKE $1 ESCAPE '!'",
        ),
    };
    let mut declared = Vec::new();
    for projection in projections::projection::all() {
        let definitions = (projection.tables)();
        for table in &definitions {
            let name = storage(table.name);
            declared.push(name.clone());
            let derived = ddl(backend, projection.name, std::slice::from_ref(table));
            let expected = declared_columns(backend, table);
            assert_eq!(columns(&db, &name).await, expected, "{name} should be:\n{derived}");
            let key: Vec<String> = std::iter::once("generation")
                .chain(table.key.iter().map(|column| column.name))
                .map(str::to_owned)
                .collect();
            assert_eq!(strings(&db, key_sql, &name).await, key, "{name} should be:\n{derived}");
            let view: Vec<String> =
                columns(&db, table.name).await.into_iter().map(|(name, ..)| name).collect();
            let names: Vec<String> = expected.into_iter().skip(1).map(|(name, ..)| name).collect();
            assert_eq!(view, names, "the view {} should be:\n{derived}", table.name);
            if backend == Backend::Postgres {
                let reads = format!(
                    "SELECT has_table_privilege('jejak_reader', '{}', 'SELECT')",
                    table.name
                );
                let writes = format!(
                    "SELECT has_table_privilege('jejak_app', '{name}', 'INSERT, UPDATE, DELETE')"
                );
                assert_eq!(
                    db.count(&format!("SELECT ({reads})::int::bigint")).await,
                    1,
                    "{}",
                    table.name
                );
                assert_eq!(db.count(&format!("SELECT ({writes})::int::bigint")).await, 1, "{name}");
            }
        }
    }
    declared.sort();
    assert_eq!(strings(&db, tables_sql, "rm!_%").await, declared, "no table that is not declared");
    let indexes = strings(&db, indexes_sql, "rm!_%").await;
    assert!(lookup_indexes().contains("rm_programme_participations_by_package_id"));
    for statement in lookup_indexes().lines().filter(|line| line.starts_with("CREATE INDEX")) {
        let name = statement.split_whitespace().nth(2).unwrap();
        assert!(indexes.iter().any(|index| index == name), "{name} is missing");
    }
}
