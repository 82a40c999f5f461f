//! A live subscription to the log that never skips and never repeats an event.
//!
//! It reads forward from the next position it expects and hands out only the contiguous run
//! that starts there: if a read ever returned position `n + 2` without `n + 1`, it would stop
//! before the hole and wait, never step over it. (The store's ordering makes that impossible —
//! positions become visible in order — and this is the second line of defence.) It wakes when
//! this process commits, when PostgreSQL notifies a commit by another process, and otherwise
//! polls, so commits by other SQLite processes are seen too.

use std::time::Duration;

use events::RecordedEvent;
use sqlx::postgres::PgListener;
use tokio::sync::watch;

use super::postgres::NOTIFY_CHANNEL;
use super::{Pool, Store, StoreError};

/// How often a subscription looks for events written by other processes it was not told of.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// A cursor on the log that waits for new events.
pub struct Subscription {
    store: Store,
    next_position: i64,
    committed: watch::Receiver<i64>,
    listener: Option<PgListener>,
}

impl Subscription {
    pub(super) async fn new(store: Store, from: i64) -> Result<Subscription, StoreError> {
        let listener = match store.pool() {
            Pool::Postgres(pool) => {
                let mut listener = PgListener::connect_with(pool).await?;
                listener.listen(NOTIFY_CHANNEL).await?;
                Some(listener)
            }
            Pool::Sqlite(_) => None,
        };
        let committed = store.committed();
        Ok(Subscription { store, next_position: from.max(1), committed, listener })
    }

    /// The position of the next event this subscription will hand out.
    pub fn next_position(&self) -> i64 {
        self.next_position
    }

    /// The next events in position order, at most `limit`; waits until there is at least one.
    pub async fn next_batch(&mut self, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        loop {
            self.committed.borrow_and_update();
            let mut events = self.store.read_all(self.next_position, limit).await?;
            let contiguous = events
                .iter()
                .zip(self.next_position..)
                .take_while(|(event, expected)| event.position == *expected)
                .count();
            events.truncate(contiguous);
            if let Some(last) = events.last() {
                self.next_position = last.position + 1;
                return Ok(events);
            }
            self.wait().await?;
        }
    }

    async fn wait(&mut self) -> Result<(), StoreError> {
        let Subscription { committed, listener, .. } = self;
        let notified = async {
            match listener {
                Some(listener) => listener.recv().await.map(drop),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            changed = committed.changed() => {
                if changed.is_err() {
                    // The writer is gone; fall back to polling.
                    tokio::time::sleep(POLL_INTERVAL).await;
                }
            }
            received = notified => { received?; }
            () = tokio::time::sleep(POLL_INTERVAL) => {}
        }
        Ok(())
    }
}
