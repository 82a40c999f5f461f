//! A stalled writer on PostgreSQL: a session sits on the chain-tip lock in an open
//! transaction. Appends wait behind it (rather than racing past and leaving a gap); readers
//! are not held up and see the log as it was, with no gap and nothing skipped; `jejak status`
//! and `/metrics` name the stall and the session that causes it; past `lock_timeout` (10 s) the
//! waiting append fails having written nothing; and once the session ends, appends land in
//! their place.

use axum::http::Method;
use events::ExpectedVersion;
use jejak::store::Backend;
use sqlx::Connection;

use crate::api::{call, world};
use crate::support::{TestDb, append_to, jejak_async, stdout};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_holding_the_chain_tip_stalls_writers_visibly_and_readers_skip_nothing() {
    let Some(db) = TestDb::new(Backend::Postgres).await else { return };
    let world = world(&db).await;
    let store = world.store.clone();
    let before = store.head().await.unwrap();

    // An administrator's session, left open on the chain tip.
    let options =
        db.url.parse::<sqlx::postgres::PgConnectOptions>().unwrap().application_name("stuck-admin");
    let mut stuck = sqlx::PgConnection::connect_with(&options).await.unwrap();
    let stuck_pid: i32 =
        sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(&mut stuck).await.unwrap();
    sqlx::raw_sql("BEGIN; SELECT position FROM log_head FOR UPDATE")
        .execute(&mut stuck)
        .await
        .unwrap();

    let waiting = {
        let store = store.clone();
        tokio::spawn(async move {
            store.append(append_to("stall-1", ExpectedVersion::NO_STREAM, 3)).await
        })
    };
    // The append queues behind the lock; wait until the database shows it waiting.
    let stall = loop {
        let stalls = store.stalls().await.unwrap();
        if let Some(stall) = stalls.into_iter().find(|stall| stall.blocking_pid == stuck_pid) {
            break stall;
        }
        assert!(!waiting.is_finished(), "the append cannot pass the held chain tip");
        tokio::task::yield_now().await;
    };
    assert_eq!(stall.blocking_application, "stuck-admin");
    assert_eq!(stall.blocking_state, "idle in transaction");
    assert!(stall.blocking_query.contains("log_head"), "{}", stall.blocking_query);
    assert_eq!(stall.waiting_application, "jejak");

    // Readers carry on: the log as it was, no gap, nothing beyond the head.
    let events = store.read_all(1, 10_000).await.unwrap();
    let positions: Vec<i64> = events.iter().map(|event| event.position).collect();
    assert_eq!(positions, (1..=before.position).collect::<Vec<_>>());
    assert_eq!(store.head().await.unwrap(), before);

    // The operator sees it, and who causes it.
    let status = jejak_async(Some(&db.url), &["status"]).await;
    let status = stdout(&status);
    assert!(
        status.contains(&format!(
            "lock held by session {stuck_pid} (stuck-admin, idle in transaction"
        )),
        "{status}"
    );
    let (_, metrics) = call(&world.router, Method::GET, "/metrics", None, None).await;
    let metrics = metrics.as_str().unwrap().to_owned();
    assert!(metrics.contains("\njejak_lock_waiters 1\n"), "{metrics}");
    let blocked_for = metrics
        .lines()
        .find_map(|line| line.strip_prefix("jejak_lock_blocker_transaction_seconds "))
        .and_then(|value| value.parse::<f64>().ok())
        .unwrap();
    assert!(blocked_for > 0.0);

    // One stuck session does not hold writers forever: past `lock_timeout` the append fails,
    // having written nothing.
    let failed = waiting.await.unwrap().unwrap_err();
    assert!(failed.to_string().contains("lock timeout"), "{failed}");
    assert_eq!(store.head().await.unwrap(), before);

    // The session ends; the next append lands right after the old head.
    let waiting = {
        let store = store.clone();
        tokio::spawn(async move {
            store.append(append_to("stall-2", ExpectedVersion::NO_STREAM, 3)).await
        })
    };
    sqlx::raw_sql("ROLLBACK").execute(&mut stuck).await.unwrap();
    let outcome = waiting.await.unwrap().unwrap();
    assert_eq!(outcome.first_position, before.position + 1);
    assert!(store.stalls().await.unwrap().is_empty());
    let (_, metrics) = call(&world.router, Method::GET, "/metrics", None, None).await;
    assert!(metrics.as_str().unwrap().contains("\njejak_lock_waiters 0\n"));
    assert!(jejak::verify::verify_log(&store, |_| {}).await.unwrap().is_intact());
    stuck.close().await.unwrap();
}
