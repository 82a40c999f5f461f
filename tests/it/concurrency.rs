//! Eight concurrent writers and a live subscriber, on each backend: the subscriber sees every
//! event exactly once, in position order, the positions have no gaps, and the chain verifies.

use std::collections::BTreeSet;
use std::time::Duration;

use events::ExpectedVersion;
use events::chain::ChainVerifier;
use uuid::Uuid;

use crate::support::{TestDb, append_to, backend_tests};

const WRITERS: usize = 8;
const EVENTS_PER_WRITER: i64 = 1_000;

backend_tests!(eight_writers_and_a_live_subscriber_see_every_event_once_in_order);

async fn eight_writers_and_a_live_subscriber_see_every_event_once_in_order(db: TestDb) {
    let store = db.open().await;
    let total = WRITERS as i64 * EVENTS_PER_WRITER;
    let mut subscription = store.subscribe(1).await.unwrap();
    let subscriber = tokio::spawn(async move {
        let mut seen = Vec::with_capacity(total as usize);
        while (seen.len() as i64) < total {
            seen.extend(subscription.next_batch(1_000).await.unwrap());
        }
        seen
    });
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let store = store.clone();
            tokio::spawn(async move {
                let stream = format!("participation-{writer}");
                for version in 0..EVENTS_PER_WRITER {
                    let request = append_to(&stream, ExpectedVersion::Exact(version), 1);
                    store.append(request).await.unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    let seen = tokio::time::timeout(Duration::from_secs(120), subscriber).await.unwrap().unwrap();

    let positions: Vec<i64> = seen.iter().map(|event| event.position).collect();
    assert_eq!(positions, (1..=total).collect::<Vec<_>>(), "in order, without gaps or repeats");
    let ids: BTreeSet<Uuid> = seen.iter().map(|event| event.event_id).collect();
    assert_eq!(ids.len() as i64, total, "each event exactly once");
    for writer in 0..WRITERS {
        let stream = format!("participation-{writer}");
        let versions: Vec<i64> =
            seen.iter().filter(|e| e.stream_id == stream).map(|e| e.stream_version).collect();
        assert_eq!(versions, (1..=EVENTS_PER_WRITER).collect::<Vec<_>>());
    }
    let mut verifier = ChainVerifier::default();
    seen.iter().for_each(|event| verifier.check(event).unwrap());
    let report = jejak::verify::verify_log(&store, |_| {}).await.unwrap();
    assert!(report.is_intact(), "{:?}", report.first_break);
    assert_eq!(report.head.position, total);
}
