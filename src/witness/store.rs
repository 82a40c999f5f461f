//! The witness's memory (docs/witness.md): per log, the last checkpoint it cosigned, and the
//! refused checkpoints kept as evidence, in a SQLite file of its own. The check of a request
//! against what was cosigned and the record of the new checkpoint happen in one transaction
//! that holds the file's write lock, synced before the answer is sent.

use std::path::Path;
use std::sync::{Arc, Mutex};

use events::merkle::Hash;
use events::note::CheckpointBody;
use events::witness::{Cosigned, Refusal};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

#[derive(Debug, thiserror::Error)]
pub enum WitnessStoreError {
    #[error("the witness's database {path}: {source}")]
    Open { path: String, source: rusqlite::Error },
    #[error("the witness's database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("the witness's database holds a malformed root for {0}")]
    BadRoot(String),
}

/// What one request came to: the checkpoint recorded as cosigned, or refused.
pub type Outcome = Result<CheckpointBody, Refusal>;

/// A log as the witness remembers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witnessed {
    pub origin: String,
    pub size: u64,
    pub cosigned_at: u64,
}

#[derive(Clone)]
pub struct WitnessStore {
    connection: Arc<Mutex<rusqlite::Connection>>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS cosigned (
    origin TEXT PRIMARY KEY,
    size INTEGER NOT NULL CHECK (size >= 0),
    root BLOB NOT NULL CHECK (length(root) = 32),
    checkpoint TEXT NOT NULL,
    cosigned_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS refused (
    id INTEGER PRIMARY KEY,
    origin TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    status INTEGER NOT NULL,
    reason TEXT NOT NULL,
    request TEXT NOT NULL
);
";

impl WitnessStore {
    pub fn open(path: &Path) -> Result<WitnessStore, WitnessStoreError> {
        let open = |source| WitnessStoreError::Open { path: path.display().to_string(), source };
        let connection = rusqlite::Connection::open(path).map_err(open)?;
        connection.pragma_update(None, "journal_mode", "WAL").map_err(open)?;
        connection.pragma_update(None, "synchronous", "FULL").map_err(open)?;
        connection.busy_timeout(std::time::Duration::from_secs(5)).map_err(open)?;
        connection.execute_batch(SCHEMA).map_err(open)?;
        Ok(WitnessStore { connection: Arc::new(Mutex::new(connection)) })
    }

    /// Judges a request for `origin` against what was last cosigned for it, and records the
    /// outcome in the same transaction: the new checkpoint when `judge` accepts it, the
    /// request as evidence when it is a fork or a rollback. Blocking: run it off the runtime.
    pub fn add(
        &self,
        origin: &str,
        request: &str,
        now: u64,
        judge: impl FnOnce(Option<&Cosigned>) -> Outcome,
    ) -> Result<Outcome, WitnessStoreError> {
        let mut connection = self.connection.lock().unwrap_or_else(|p| p.into_inner());
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let known: Option<(i64, Vec<u8>)> = transaction
            .query_row(
                "SELECT size, root FROM cosigned WHERE origin = ?1",
                params![origin],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let known = match known {
            Some((size, root)) => Some(Cosigned {
                size: size as u64,
                root: Hash::try_from(root)
                    .map_err(|_| WitnessStoreError::BadRoot(origin.to_owned()))?,
            }),
            None => None,
        };
        let outcome = judge(known.as_ref());
        match &outcome {
            Ok(body) => {
                transaction.execute(
                    "INSERT INTO cosigned (origin, size, root, checkpoint, cosigned_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (origin) DO UPDATE SET \
                     size = excluded.size, root = excluded.root, \
                     checkpoint = excluded.checkpoint, cosigned_at = excluded.cosigned_at",
                    params![origin, body.size as i64, body.root.to_vec(), request, now as i64],
                )?;
            }
            Err(refusal) if refusal.is_evidence() => {
                transaction.execute(
                    "INSERT INTO refused (origin, received_at, status, reason, request) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![origin, now as i64, refusal.status(), refusal.to_string(), request],
                )?;
            }
            Err(_) => {}
        }
        transaction.commit()?;
        Ok(outcome)
    }

    /// Every log the witness has cosigned for, with its latest size.
    pub fn witnessed(&self) -> Result<Vec<Witnessed>, WitnessStoreError> {
        let connection = self.connection.lock().unwrap_or_else(|p| p.into_inner());
        let mut statement =
            connection.prepare("SELECT origin, size, cosigned_at FROM cosigned ORDER BY origin")?;
        let rows = statement.query_map([], |row| {
            Ok(Witnessed {
                origin: row.get(0)?,
                size: row.get::<_, i64>(1)? as u64,
                cosigned_at: row.get::<_, i64>(2)? as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many refused requests are kept for `origin`.
    pub fn refused(&self, origin: &str) -> Result<u64, WitnessStoreError> {
        let connection = self.connection.lock().unwrap_or_else(|p| p.into_inner());
        let count: i64 = connection.query_row(
            "SELECT count(*) FROM refused WHERE origin = ?1",
            params![origin],
            |row| row.get(0),
        )?;
        Ok(count as u64)
    }
}
