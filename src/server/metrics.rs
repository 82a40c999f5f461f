//! `/metrics`: aggregate counters in the Prometheus text format. Nothing about any person or
//! any single request: counts, sums and the projections' lag.

use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::projector::ProjectionStatus;
use crate::store::{Stall, StoreMetrics};

/// Upper bounds of the request-latency histogram, in seconds.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// Counters the server keeps.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Requests by status class (1xx…5xx), index 0 to 4.
    requests: [AtomicU64; 5],
    latency_buckets: [AtomicU64; BUCKETS.len()],
    latency_sum_micros: AtomicU64,
    latency_count: AtomicU64,
    pub commands_ok: AtomicU64,
    pub commands_duplicate: AtomicU64,
    /// Refusals by the rules' code.
    refusals: Mutex<std::collections::BTreeMap<String, u64>>,
    pub command_contention: AtomicU64,
}

impl Metrics {
    pub fn request(&self, status: u16, took: Duration) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.requests[class].fetch_add(1, Relaxed);
        let seconds = took.as_secs_f64();
        for (bucket, bound) in self.latency_buckets.iter().zip(BUCKETS) {
            if seconds <= bound {
                bucket.fetch_add(1, Relaxed);
            }
        }
        self.latency_sum_micros.fetch_add(took.as_micros() as u64, Relaxed);
        self.latency_count.fetch_add(1, Relaxed);
    }

    pub fn refused(&self, code: &str) {
        let mut refusals = self.refusals.lock().expect("never poisoned: no panics inside");
        *refusals.entry(code.to_owned()).or_default() += 1;
    }

    /// The text exposition of every counter.
    pub fn render(
        &self,
        store: &StoreMetrics,
        projections: &[ProjectionStatus],
        stalls: &[Stall],
    ) -> String {
        let mut text = String::new();
        let waiters: std::collections::BTreeSet<i32> =
            stalls.iter().map(|s| s.waiting_pid).collect();
        metric(
            &mut text,
            "jejak_lock_waiters",
            "gauge",
            "Database sessions waiting for a lock another session holds (PostgreSQL).",
            waiters.len(),
        );
        let oldest = stalls.iter().map(|s| s.blocking_transaction_seconds).fold(0.0_f64, f64::max);
        metric(
            &mut text,
            "jejak_lock_blocker_transaction_seconds",
            "gauge",
            "How long the oldest transaction that blocks a waiting session has been open (0 when none).",
            oldest,
        );
        let name = "jejak_http_requests_total";
        header(&mut text, name, "counter", "HTTP requests answered, by status class.");
        for (index, count) in self.requests.iter().enumerate() {
            let _ = writeln!(text, "{name}{{class=\"{}xx\"}} {}", index + 1, count.load(Relaxed));
        }
        let name = "jejak_http_request_duration_seconds";
        header(&mut text, name, "histogram", "Time to answer a request.");
        for (bucket, bound) in self.latency_buckets.iter().zip(BUCKETS) {
            let _ = writeln!(text, "{name}_bucket{{le=\"{bound}\"}} {}", bucket.load(Relaxed));
        }
        let count = self.latency_count.load(Relaxed);
        let _ = writeln!(text, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(text, "{name}_sum {}", self.latency_sum_micros.load(Relaxed) as f64 / 1e6);
        let _ = writeln!(text, "{name}_count {count}");
        let counters: [(&str, &str, u64); 9] = [
            ("jejak_commands_total", "Commands that wrote events.", self.commands_ok.load(Relaxed)),
            (
                "jejak_commands_duplicate_total",
                "Commands retried with the same id: answered, nothing written.",
                self.commands_duplicate.load(Relaxed),
            ),
            (
                "jejak_command_contention_total",
                "Commands that gave up after retrying conflicting appends.",
                self.command_contention.load(Relaxed),
            ),
            (
                "jejak_appends_total",
                "Append transactions committed (a group commit is one).",
                store.transactions.load(Relaxed),
            ),
            (
                "jejak_append_failures_total",
                "Append transactions that failed and wrote nothing.",
                store.failed_transactions.load(Relaxed),
            ),
            (
                "jejak_events_appended_total",
                "Events appended by this process.",
                store.events.load(Relaxed),
            ),
            (
                "jejak_append_conflicts_total",
                "Appends refused for a stale expected version.",
                store.conflicts.load(Relaxed),
            ),
            (
                "jejak_append_tip_moved_total",
                "PostgreSQL batches laid on this writer's last tip that found the log moved on \
                 and were written again under the lock.",
                store.optimistic_misses.load(Relaxed),
            ),
            (
                "jejak_chain_tip_lock_waits_total",
                "Times an append waited for the chain-tip lock.",
                store.lock_waits.load(Relaxed),
            ),
        ];
        for (name, help, value) in counters {
            metric(&mut text, name, "counter", help, value);
        }
        metric(
            &mut text,
            "jejak_chain_tip_lock_wait_seconds_total",
            "counter",
            "Time appends waited for the chain-tip lock.",
            store.lock_wait_micros.load(Relaxed) as f64 / 1e6,
        );
        metric(
            &mut text,
            "jejak_chain_tip_lock_wait_max_seconds",
            "gauge",
            "The longest single wait for the chain-tip lock.",
            store.lock_wait_max_micros.load(Relaxed) as f64 / 1e6,
        );
        let name = "jejak_command_refusals_total";
        header(&mut text, name, "counter", "Commands the rules refused, by rule.");
        for (code, count) in self.refusals.lock().expect("never poisoned").iter() {
            let _ = writeln!(text, "{name}{{code=\"{code}\"}} {count}");
        }
        let name = "jejak_projection_lag_events";
        header(&mut text, name, "gauge", "Events in the log not yet in a read model.");
        for status in projections {
            let _ = writeln!(
                text,
                "jejak_projection_lag_events{{projection=\"{}\"}} {}",
                status.name, status.lag
            );
        }
        text
    }
}

fn header(text: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(text, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// A metric without labels: its header and its one value.
fn metric(text: &mut String, name: &str, kind: &str, help: &str, value: impl std::fmt::Display) {
    header(text, name, kind, help);
    let _ = writeln!(text, "{name} {value}");
}
