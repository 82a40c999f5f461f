//! What every integration test shares: a fresh database per test on each backend, request
//! builders, and the `jejak` binary.
//!
//! SQLite tests use a file in a temporary directory. PostgreSQL tests create a database named
//! by a random UUID on the server at `JEJAK_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) and drop it afterwards. When that server is
//! unreachable, PostgreSQL tests print why they were skipped, unless `CI=true`, where a missing
//! PostgreSQL fails the run.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, OnceLock};

use events::{AppendRequest, ExpectedVersion, Metadata, NewEvent, Source, StreamAppend, Timestamp};
use jejak::clock::{Clock, SimulatedClock, SystemClock};
use jejak::store::{Backend, Store};
use sqlx::Connection;
use uuid::Uuid;

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The server URL PostgreSQL tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("JEJAK_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

/// Whether PostgreSQL tests can run; panics under `CI=true` when they cannot.
pub fn postgres_available() -> bool {
    static AVAILABLE: OnceLock<Result<(), String>> = OnceLock::new();
    let available = AVAILABLE.get_or_init(|| {
        let url = postgres_admin_url();
        let probe = std::thread::spawn(move || {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async { sqlx::PgConnection::connect(&url).await.map(drop) })
        });
        probe.join().unwrap().map_err(|error| error.to_string())
    });
    match available {
        Ok(()) => true,
        Err(error) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but PostgreSQL at {} is unreachable: {error}", postgres_admin_url())
        }
        Err(error) => {
            eprintln!("skipped: PostgreSQL at {} is unreachable ({error})", postgres_admin_url());
            false
        }
    }
}

/// A database of its own for one test, removed when dropped.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    /// The SQLite file's directory, or the PostgreSQL database's name.
    place: Place,
}

enum Place {
    Sqlite(tempfile::TempDir),
    Postgres(String),
    /// Another `TestDb`'s database, reached another way (another login role); not removed.
    Borrowed,
}

impl TestDb {
    /// A new empty database, or `None` when the backend is PostgreSQL and it is unavailable.
    pub async fn new(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("jejak.db").display());
                Some(TestDb { backend, url, place: Place::Sqlite(dir) })
            }
            Backend::Postgres => {
                if !postgres_available() {
                    return None;
                }
                let name = format!("jejak_test_{}", Uuid::new_v4().simple());
                create_postgres_database(&name, None).await;
                Some(TestDb { backend, url: postgres_url(&name), place: Place::Postgres(name) })
            }
        }
    }

    /// The database at `url`, which another `TestDb` owns and removes.
    pub fn borrowed(backend: Backend, url: String) -> TestDb {
        TestDb { backend, url, place: Place::Borrowed }
    }

    /// Opens the store on the system clock.
    pub async fn open(&self) -> Store {
        self.open_with(Arc::new(SystemClock)).await
    }

    pub async fn open_with(&self, clock: Arc<dyn Clock>) -> Store {
        Store::open(&self.url, clock).await.expect("the test database opens")
    }

    /// A copy of this database, taken while no store has it open.
    pub async fn copy(&self) -> TestDb {
        match &self.place {
            Place::Sqlite(dir) => {
                let copy_dir = tempfile::tempdir().unwrap();
                let target = copy_dir.path().join("jejak.db");
                let mut connection = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
                let sql = format!("VACUUM INTO '{}'", target.display());
                sqlx::query(&sql).execute(&mut connection).await.unwrap();
                let _ = dir;
                let url = format!("sqlite://{}", target.display());
                TestDb { backend: self.backend, url, place: Place::Sqlite(copy_dir) }
            }
            Place::Postgres(name) => {
                let copy = format!("jejak_test_{}", Uuid::new_v4().simple());
                create_postgres_database(&copy, Some(name)).await;
                TestDb {
                    backend: self.backend,
                    url: postgres_url(&copy),
                    place: Place::Postgres(copy),
                }
            }
            Place::Borrowed => panic!("copy the database through the TestDb that owns it"),
        }
    }

    /// This PostgreSQL database's URL with `user` as the login role.
    pub fn url_as(&self, user: &str) -> String {
        let (scheme, rest) = self.url.split_once("://").expect("a URL with a scheme");
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
        format!("{scheme}://{user}@{host}/{path}")
    }

    /// The single integer a raw SQL query returns, read outside the store.
    pub async fn count(&self, sql: &str) -> i64 {
        match self.backend {
            Backend::Sqlite => {
                let mut connection = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
                sqlx::query_scalar(sql).fetch_one(&mut connection).await.unwrap()
            }
            Backend::Postgres => {
                let mut connection = sqlx::PgConnection::connect(&self.url).await.unwrap();
                sqlx::query_scalar(sql).fetch_one(&mut connection).await.unwrap()
            }
        }
    }

    /// The first row of `sql`, every column read as optional text (cast it in the query).
    pub async fn text_row(&self, sql: &str) -> Vec<Option<String>> {
        use sqlx::Row;
        match self.backend {
            Backend::Sqlite => {
                let mut connection = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
                let row = sqlx::query(sql).fetch_one(&mut connection).await.unwrap();
                (0..row.len()).map(|i| row.get(i)).collect()
            }
            Backend::Postgres => {
                let mut connection = sqlx::PgConnection::connect(&self.url).await.unwrap();
                let row = sqlx::query(sql).fetch_one(&mut connection).await.unwrap();
                (0..row.len()).map(|i| row.get(i)).collect()
            }
        }
    }

    /// Runs raw SQL statements on this database, outside the store.
    pub async fn execute(&self, statements: &[&str]) -> Result<(), sqlx::Error> {
        match self.backend {
            Backend::Sqlite => {
                let mut connection = sqlx::SqliteConnection::connect(&self.url).await?;
                for statement in statements {
                    sqlx::query(statement).execute(&mut connection).await?;
                }
            }
            Backend::Postgres => {
                let mut connection = sqlx::PgConnection::connect(&self.url).await?;
                for statement in statements {
                    sqlx::query(statement).execute(&mut connection).await?;
                }
            }
        }
        Ok(())
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Place::Postgres(name) = &self.place {
            let name = name.clone();
            let dropped = std::thread::spawn(move || {
                let runtime =
                    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                runtime.block_on(async {
                    let mut admin = sqlx::PgConnection::connect(&postgres_admin_url()).await?;
                    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    sqlx::query(&sql).execute(&mut admin).await.map(drop)
                })
            });
            if let Ok(Err(error)) = dropped.join() {
                eprintln!("could not drop test database: {error}");
            }
        }
    }
}

async fn create_postgres_database(name: &str, template: Option<&str>) {
    let mut admin = sqlx::PgConnection::connect(&postgres_admin_url()).await.unwrap();
    if let Some(template) = template {
        // A copy is taken while no store has the database open, but a closed connection's
        // server process may still be exiting; PostgreSQL refuses a template in use.
        let sql = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                   WHERE datname = $1 AND pid <> pg_backend_pid()";
        sqlx::query(sql).bind(template).execute(&mut admin).await.unwrap();
    }
    let sql = match template {
        Some(template) => format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""),
        None => format!("CREATE DATABASE \"{name}\""),
    };
    sqlx::query(&sql).execute(&mut admin).await.unwrap();
}

fn postgres_url(database: &str) -> String {
    let admin = postgres_admin_url();
    let (scheme, rest) = admin.split_once("://").expect("a URL with a scheme");
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let query = path.split_once('?').map(|(_, query)| format!("?{query}")).unwrap_or_default();
    format!("{scheme}://{authority}/{database}{query}")
}

/// Runs each named test once per backend: `mod sqlite { … }` and `mod postgres { … }`.
/// A test is `async fn name(db: TestDb)`.
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = crate::support::TestDb::new(jejak::store::Backend::Sqlite).await.unwrap();
                    super::$name(db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = crate::support::TestDb::new(jejak::store::Backend::Postgres).await
                    else { return };
                    super::$name(db).await;
                }
            )*
        }
    };
}
pub(crate) use backend_tests;

/// A simulated clock that starts at `text`.
pub fn clock_at(text: &str) -> Arc<SimulatedClock> {
    Arc::new(SimulatedClock::new(Timestamp::parse(text).unwrap()))
}

pub fn metadata(actor: &str) -> Metadata {
    Metadata {
        actor: actor.to_owned(),
        role: "petugas_pembinaan".to_owned(),
        organisation: "rutan-soe".to_owned(),
        source: Source::Cli,
        correlation_id: Uuid::from_u128(99),
        causation_id: None,
    }
}

/// An event of type `Noted` whose payload records `n`.
pub fn new_event(n: i64) -> NewEvent {
    NewEvent {
        event_type: "Noted".to_owned(),
        schema_version: 1,
        occurred_at: Timestamp::parse("2026-02-10T01:00:00.123456Z").unwrap(),
        facility: Some("RUTAN-SOE".to_owned()),
        reason: None,
        document_ref: None,
        payload: format!(r#"{{"n":{n},"note":"catatan {n}"}}"#),
    }
}

/// A request with a fresh random command id appending `count` events to one stream.
pub fn append_to(stream_id: &str, expected: ExpectedVersion, count: i64) -> AppendRequest {
    let events = (1..=count).map(new_event).collect();
    let stream = StreamAppend { stream_id: stream_id.to_owned(), expected, events };
    AppendRequest::new(Uuid::new_v4(), metadata("petugas.andi"), vec![stream])
}

/// The same, with a command id derived from `seed`, so that two runs write identical logs.
pub fn append_seeded(
    seed: u128,
    stream_id: &str,
    expected: ExpectedVersion,
    count: i64,
) -> AppendRequest {
    let mut request = append_to(stream_id, expected, count);
    request.command_id = Uuid::from_u128(seed);
    request
}

/// The `jejak` binary, run with `args` against `url`.
pub fn jejak(url: &str, args: &[&str]) -> Output {
    jejak_in(None, Some(url), args)
}

/// The `jejak` binary run in `dir` (if given), with `JEJAK_DATABASE_URL` set to `url` (if given).
pub fn jejak_in(dir: Option<&Path>, url: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_jejak"));
    command.args(args).env_remove("JEJAK_DATABASE_URL").env("RUST_LOG", "warn");
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    if let Some(url) = url {
        command.env("JEJAK_DATABASE_URL", url);
    }
    command.output().expect("the jejak binary runs")
}

/// `jejak` as [`jejak_in`] runs it, from async code: the process waits on a blocking thread,
/// so the test's runtime carries on with whatever the test does meanwhile.
pub async fn jejak_async(url: Option<&str>, args: &[&str]) -> Output {
    let url = url.map(str::to_owned);
    let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        jejak_in(None, url.as_deref(), &args)
    })
    .await
    .expect("the jejak process is waited for")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The repository's root directory.
pub fn repository_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
