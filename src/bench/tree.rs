//! What the Merkle tree costs (docs/PERFORMANCE.md): the writes with the tree's follower
//! running beside them, the follower's catch-up over a whole log, and proofs.
//!
//! The tree is not written by appends: the server's log follower extends its tiles every
//! `server::FOLLOW_EVERY` (src/tree.rs). Its cost to a write is therefore the follower's work
//! beside it — reading the new events' hashes and writing tiles, on the same database — which
//! `TreeFollower` reproduces for a workload measured with and without it in the same run.

use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use tokio::sync::watch;

use super::BenchError;
use crate::store::Store;

/// The tree's follower as the server runs it: `tree::extend` every `FOLLOW_EVERY`, until
/// stopped.
pub struct TreeFollower {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<usize, crate::tree::TreeError>>,
}

impl TreeFollower {
    pub fn start(store: &Store) -> TreeFollower {
        let (stop, mut stopped) = watch::channel(false);
        let store = store.clone();
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(crate::server::FOLLOW_EVERY);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut rounds = 0;
            loop {
                tokio::select! {
                    _ = ticks.tick() => {}
                    _ = stopped.changed() => return Ok(rounds),
                }
                crate::tree::extend(&store).await?;
                rounds += 1;
            }
        });
        TreeFollower { stop, task }
    }

    /// Stops the follower; how many times it extended the tree.
    pub async fn stop(self) -> Result<usize, BenchError> {
        let _ = self.stop.send(true);
        let rounds = self.task.await.map_err(|error| BenchError::Mismatch(error.to_string()))?;
        Ok(rounds?)
    }
}

/// How long proofs take on a log whose tree is up to date.
#[derive(Debug, Clone, Serialize)]
pub struct ProofTimings {
    pub tree_size: u64,
    pub samples: usize,
    pub inclusion_p50_ms: f64,
    pub inclusion_p99_ms: f64,
    pub consistency_p50_ms: f64,
    pub consistency_p99_ms: f64,
}

/// Extends the tree over the whole log (from nothing when it has no tiles yet): how many
/// events it covers and the time it took.
pub async fn catch_up(store: &Store) -> Result<(u64, Duration), BenchError> {
    let began = Instant::now();
    let covered = crate::tree::extend(store).await?;
    Ok((covered, began.elapsed()))
}

/// Times `samples` inclusion proofs of random events in the tree of the whole log and as many
/// consistency proofs between random sizes, each as `jejak prove` and the API make it (the
/// tree brought up to the log first), and checks every proof it times.
pub async fn proof_timings(
    store: &Store,
    samples: usize,
    seed: u64,
) -> Result<ProofTimings, BenchError> {
    let head = store.head().await?.position;
    if head < 1 {
        return Err(BenchError::Mismatch("no events to prove".to_owned()));
    }
    crate::tree::extend(store).await?;
    let tree_size = head as u64;
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7ee);
    let (mut inclusion, mut consistency) = (Vec::new(), Vec::new());
    for _ in 0..samples.max(1) {
        let position = rng.random_range(1..=head);
        let event = store.read_all(position, 1).await?;
        let event_id = event
            .first()
            .map(|event| event.event_id)
            .ok_or_else(|| BenchError::Mismatch(format!("no event at position {position}")))?;
        let began = Instant::now();
        let proof = crate::tree::prove_inclusion(store, event_id, Some(tree_size)).await?;
        inclusion.push(began.elapsed().as_secs_f64() * 1000.0);
        events::merkle::verify_inclusion(
            &proof.leaf_hash,
            proof.leaf_index,
            tree_size,
            &proof.proof,
            &proof.root,
        )
        .map_err(|error| BenchError::Mismatch(format!("an inclusion proof: {error}")))?;

        let from = rng.random_range(1..=tree_size);
        let began = Instant::now();
        let proof = crate::tree::prove_consistency(store, from, tree_size).await?;
        consistency.push(began.elapsed().as_secs_f64() * 1000.0);
        events::merkle::verify_consistency(
            from,
            tree_size,
            &proof.from_root,
            &proof.to_root,
            &proof.proof,
        )
        .map_err(|error| BenchError::Mismatch(format!("a consistency proof: {error}")))?;
    }
    let (inclusion_p50_ms, inclusion_p99_ms) = super::raw::percentiles(&mut inclusion);
    let (consistency_p50_ms, consistency_p99_ms) = super::raw::percentiles(&mut consistency);
    Ok(ProofTimings {
        tree_size,
        samples: samples.max(1),
        inclusion_p50_ms,
        inclusion_p99_ms,
        consistency_p50_ms,
        consistency_p99_ms,
    })
}
