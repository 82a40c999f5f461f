//! The readers of the log on PostgreSQL: connections of the store's own, one read at a time
//! each.
//!
//! Events, the head, stream versions and command records are read here rather than through
//! sqlx's pool. The pool tests every connection given back to it with a round trip to the
//! server, in a task of its own, before it hands the connection out again: every read cost the
//! server a second wake-up and this process a second task, on the cores they share (the
//! command path, which loads two streams a command, gained about 6%; docs/PERFORMANCE.md).
//! Here a connection is given back as the read leaves it. What the pool's test guarded against is a read that
//! stopped half-way: a read that fails, or whose future is dropped before it ends, closes its
//! connection instead of giving it back, so no connection is handed out in the middle of a
//! result. A connection that sat idle through a connection loss this process met is tested
//! before use, as the pool's are (`postgres::idle_through_a_loss`).

use std::sync::Mutex;
use std::time::Instant;

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use tokio::sync::Semaphore;

use super::StoreError;
use super::postgres::idle_through_a_loss;

/// Connections the readers may hold at once.
const READ_CONNECTIONS_MAX: usize = 8;

pub(crate) struct EventReader {
    options: PgConnectOptions,
    idle: Mutex<Vec<Idle>>,
    permits: Semaphore,
}

struct Idle {
    connection: PgConnection,
    since: Instant,
}

impl EventReader {
    pub(crate) fn new(options: PgConnectOptions) -> EventReader {
        EventReader {
            options,
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(READ_CONNECTIONS_MAX),
        }
    }

    /// Runs `read` on an idle connection (or a new one), at most [`READ_CONNECTIONS_MAX`] at
    /// once. The connection is kept for the next read only if `read` ends well.
    pub(crate) async fn run<T>(
        &self,
        read: impl AsyncFnOnce(&mut PgConnection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let _permit = self.permits.acquire().await.map_err(|_| closed())?;
        let mut connection = self.connection().await?;
        let result = read(&mut connection).await;
        if result.is_ok() {
            let idle = Idle { connection, since: Instant::now() };
            self.idle.lock().expect("never poisoned").push(idle);
        }
        result
    }

    /// The connection given back last (the one most likely still warm), or a new one.
    async fn connection(&self) -> Result<PgConnection, StoreError> {
        loop {
            let idle = self.idle.lock().expect("never poisoned").pop();
            let Some(Idle { mut connection, since }) = idle else {
                return Ok(PgConnection::connect_with(&self.options).await?);
            };
            if !idle_through_a_loss(since.elapsed()) || connection.ping().await.is_ok() {
                return Ok(connection);
            }
        }
    }

    /// Refuses new reads and closes the idle connections, telling the server so.
    pub(crate) async fn close(&self) {
        self.permits.close();
        let idle = std::mem::take(&mut *self.idle.lock().expect("never poisoned"));
        for Idle { connection, .. } in idle {
            let _ = connection.close().await;
        }
    }
}

fn closed() -> StoreError {
    StoreError::Reader("the readers of the log are closed".to_owned())
}
