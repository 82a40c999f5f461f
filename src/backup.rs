//! `jejak backup` and `jejak restore`: a consistent copy of the whole database while the
//! service runs, and bringing it back into a new database (docs/operations.md).
//!
//! SQLite: `VACUUM INTO` writes a consistent, compacted copy from one read transaction, so
//! writers carry on meanwhile; the copy is itself a SQLite database. PostgreSQL: `pg_dump`
//! (custom format) dumps from one snapshot; `pg_restore` brings it back. Both copy everything:
//! the log, the command records, the vault (still encrypted: the master key is never in the
//! database), users, checkpoints of the read models. A restore only ever writes into a new or
//! empty database, never over a log.

use std::path::{Path, PathBuf};

use sqlx::Connection;
use tokio::process::Command;

use crate::store::{Backend, Pool, Store, StoreError, redact_url};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} already exists; a backup never overwrites a file")]
    Exists(PathBuf),
    #[error("{0} is not a jejak backup of this kind: {1}")]
    NotABackup(PathBuf, String),
    #[error("the database at {0} already holds a log; restore only into a new or empty database")]
    NotEmpty(String),
    #[error("{tool} failed: {detail}")]
    Tool { tool: &'static str, detail: String },
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Writes a consistent copy of the whole database behind `store` (at `url`) to `out`.
pub async fn backup(store: &Store, url: &str, out: &Path) -> Result<(), BackupError> {
    if out.exists() {
        return Err(BackupError::Exists(out.to_owned()));
    }
    match store.pool() {
        Pool::Sqlite(pool) => {
            let target = out.to_str().ok_or_else(|| {
                BackupError::NotABackup(out.to_owned(), "the path is not UTF-8".to_owned())
            })?;
            sqlx::query("VACUUM INTO ?")
                .bind(target)
                .execute(pool)
                .await
                .map_err(StoreError::from)?;
            Ok(())
        }
        Pool::Postgres(_) => {
            let (url, password) = without_password(url);
            let mut command = Command::new("pg_dump");
            command.args(["--format=custom", "--file"]).arg(out).arg("--dbname").arg(&url);
            run(command, password, "pg_dump").await
        }
    }
}

/// Brings the backup `from` back into the new or empty database at `url`.
pub async fn restore(from: &Path, url: &str) -> Result<(), BackupError> {
    let bytes_of = |path: &Path, n: usize| -> Result<Vec<u8>, BackupError> {
        use std::io::Read;
        let mut head = vec![0; n];
        let mut file =
            std::fs::File::open(path).map_err(|error| BackupError::Io(path.to_owned(), error))?;
        let read = file.read(&mut head).map_err(|error| BackupError::Io(path.to_owned(), error))?;
        head.truncate(read);
        Ok(head)
    };
    match Backend::of_url(url)? {
        Backend::Sqlite => {
            if bytes_of(from, 16)? != b"SQLite format 3\0" {
                let why = "not a SQLite database (a PostgreSQL backup restores into PostgreSQL)";
                return Err(BackupError::NotABackup(from.to_owned(), why.to_owned()));
            }
            let target = sqlite_path(url);
            let holds_data = std::fs::metadata(&target).is_ok_and(|meta| meta.len() > 0);
            if holds_data && sqlite_has_events(url).await? {
                return Err(BackupError::NotEmpty(redact_url(url)));
            }
            for suffix in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", target.display()));
            }
            std::fs::copy(from, &target).map_err(|error| BackupError::Io(target.clone(), error))?;
            Ok(())
        }
        Backend::Postgres => {
            if bytes_of(from, 5)? != b"PGDMP" {
                let why = "not a pg_dump custom-format file (a SQLite backup restores into SQLite)";
                return Err(BackupError::NotABackup(from.to_owned(), why.to_owned()));
            }
            let mut connection =
                sqlx::PgConnection::connect(url).await.map_err(StoreError::from)?;
            let tables: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()",
            )
            .fetch_one(&mut connection)
            .await
            .map_err(StoreError::from)?;
            let _ = connection.close().await;
            if tables > 0 {
                return Err(BackupError::NotEmpty(redact_url(url)));
            }
            let (url, password) = without_password(url);
            let mut command = Command::new("pg_restore");
            command.args(["--no-owner", "--exit-on-error", "--dbname"]).arg(&url).arg(from);
            run(command, password, "pg_restore").await
        }
    }
}

/// The file a `sqlite:` URL names.
fn sqlite_path(url: &str) -> PathBuf {
    let rest = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    PathBuf::from(rest.split('?').next().unwrap_or(rest))
}

async fn sqlite_has_events(url: &str) -> Result<bool, BackupError> {
    let options = crate::store::sqlite_connect_options(url)?.create_if_missing(false);
    let mut connection =
        sqlx::SqliteConnection::connect_with(&options).await.map_err(StoreError::from)?;
    let table: Option<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'events'",
    )
    .fetch_optional(&mut connection)
    .await
    .map_err(StoreError::from)?;
    let events = match table {
        Some(_) => sqlx::query_scalar::<_, i64>("SELECT count(*) FROM events")
            .fetch_one(&mut connection)
            .await
            .map_err(StoreError::from)?,
        None => 0,
    };
    let _ = connection.close().await;
    Ok(events > 0)
}

/// The URL without its password, and the password: the password goes to the tool through
/// its environment (`PGPASSWORD`), never on a command line others can read. It is decoded as
/// a URL's user information is (`%2B` is `+`, and `+` stays `+`: it is not a form).
fn without_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else { return (url.to_owned(), None) };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let Some((credentials, host)) = authority.rsplit_once('@') else {
        return (url.to_owned(), None);
    };
    match credentials.split_once(':') {
        Some((user, password)) => {
            let password = percent_encoding::percent_decode_str(password).decode_utf8_lossy();
            (format!("{scheme}://{user}@{host}{path}"), Some(password.into_owned()))
        }
        None => (url.to_owned(), None),
    }
}

async fn run(
    mut command: Command,
    password: Option<String>,
    tool: &'static str,
) -> Result<(), BackupError> {
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let output = command.output().await.map_err(|error| BackupError::Tool {
        tool,
        detail: format!("cannot run it ({error}); install PostgreSQL's client tools"),
    })?;
    if output.status.success() {
        Ok(())
    } else {
        let detail = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        Err(BackupError::Tool { tool, detail })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url_for_the_environment() {
        assert_eq!(
            without_password("postgres://jejak:s%40cret@db:5432/jejak"),
            ("postgres://jejak@db:5432/jejak".to_owned(), Some("s@cret".to_owned()))
        );
        assert_eq!(
            without_password("postgres://postgres@127.0.0.1/x"),
            ("postgres://postgres@127.0.0.1/x".to_owned(), None)
        );
    }

    /// A `+` in a password is a plus, as PostgreSQL and sqlx read it, not a space as in a form.
    #[test]
    fn a_plus_in_a_password_stays_a_plus() {
        for (url, password, bare) in [
            (
                "postgres://jejak:a+b@db/jejak?sslmode=disable",
                "a+b",
                "postgres://jejak@db/jejak?sslmode=disable",
            ),
            ("postgres://jejak:a%2Bb@db/jejak", "a+b", "postgres://jejak@db/jejak"),
            ("postgres://jejak:a%20b@db/jejak", "a b", "postgres://jejak@db/jejak"),
            (
                "postgres://jejak:p%2Fq%3A%40r@db:5432/jejak",
                "p/q:@r",
                "postgres://jejak@db:5432/jejak",
            ),
        ] {
            let found = without_password(url);
            assert_eq!(found, (bare.to_owned(), Some(password.to_owned())), "{url}");
        }
    }

    #[test]
    fn a_sqlite_url_names_its_file() {
        assert_eq!(sqlite_path("sqlite://data/jejak.db?mode=rwc"), PathBuf::from("data/jejak.db"));
        assert_eq!(sqlite_path("sqlite:jejak.db"), PathBuf::from("jejak.db"));
    }
}
