//! `jejak compliance`: reads the whole log in position order, re-checks the hash chain, and
//! shows every event to the pure compliance fold (`projections::compliance`), then keeps the
//! findings recorded in the review period.

use std::io::Write;

use chrono::NaiveDate;
use events::chain::{BreakKind, ChainBreak, ChainVerifier};
use events::limits::PAGE_EVENTS_MAX;
use projections::compliance::{Compliance, Finding, Settings};
use serde::Serialize;

use crate::store::{Backend, Store, StoreError};

/// What a compliance run found, and what it looked at.
#[derive(Debug, Clone, Serialize)]
pub struct Review {
    pub findings: Vec<Finding>,
    pub checked: Checked,
}

#[derive(Debug, Clone, Serialize)]
pub struct Checked {
    /// Events read: the whole log, since every rule needs the state before the period.
    pub events: u64,
    pub head_position: i64,
    pub head_hash: String,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub late_after_days: i64,
    /// Events imported from older systems: checked against every rule but timeliness.
    pub migration_events: u64,
    /// Events that could not be decoded (named by position); the chain still covers them.
    pub undecodable: Vec<(i64, String)>,
}

/// Checks the whole log; keeps the findings recorded from `from` to `to` (local dates).
pub async fn review(
    store: &Store,
    settings: Settings,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Review, StoreError> {
    let head = store.head().await?;
    let mut compliance = Compliance::new(settings);
    let mut verifier = ChainVerifier::default();
    let mut chain_whole = true;
    let mut position = 0;
    while position < head.position {
        let limit = usize::try_from(head.position - position).unwrap_or(PAGE_EVENTS_MAX);
        let page = match store.read_all(position + 1, limit.min(PAGE_EVENTS_MAX)).await {
            Ok(page) => page,
            Err(StoreError::Corrupt { position: at, detail }) => {
                if chain_whole {
                    let found = ChainBreak { position: at, kind: BreakKind::Unreadable { detail } };
                    compliance.chain_break(&found, None);
                    chain_whole = false;
                }
                position = at;
                continue;
            }
            Err(error) => return Err(error),
        };
        let Some(last) = page.last() else { break };
        position = last.position;
        for event in &page {
            if chain_whole && let Err(found) = verifier.check(event) {
                compliance.chain_break(&found, Some(event.recorded_at));
                chain_whole = false;
            }
            compliance.check(event);
        }
    }
    if chain_whole
        && store.backend() == Backend::Postgres
        && let Err(found) = verifier.finish(head.position)
    {
        compliance.chain_break(&found, head.recorded_at);
    }
    let (events, migration_events) = (compliance.checked, compliance.migrated);
    let undecodable = compliance.undecodable.clone();
    let findings = compliance
        .finish()
        .into_iter()
        .filter(|finding| {
            finding.rule == projections::compliance::Rule::ChainBroken
                || (from.is_none_or(|from| finding.recorded_on >= from)
                    && to.is_none_or(|to| finding.recorded_on <= to))
        })
        .collect();
    let checked = Checked {
        events,
        head_position: head.position,
        head_hash: head.hash,
        from,
        to,
        late_after_days: settings.late_after_days,
        migration_events,
        undecodable,
    };
    Ok(Review { findings, checked })
}

/// Prints a review for people: findings grouped by rule.
pub fn print_table(out: &mut impl Write, review: &Review) -> std::io::Result<()> {
    let checked = &review.checked;
    let period = match (checked.from, checked.to) {
        (None, None) => "the whole log".to_owned(),
        (from, to) => format!(
            "recorded {} to {}",
            from.map_or("the start".to_owned(), |d| d.to_string()),
            to.map_or("the head".to_owned(), |d| d.to_string())
        ),
    };
    writeln!(
        out,
        "Compliance review of {period}: {} events checked up to position {} (hash {})",
        checked.events, checked.head_position, checked.head_hash
    )?;
    if checked.migration_events > 0 {
        writeln!(
            out,
            "{} events imported from older systems were checked against every rule but timeliness",
            checked.migration_events
        )?;
    }
    if review.findings.is_empty() {
        writeln!(out, "no findings")?;
        return Ok(());
    }
    writeln!(out, "{} findings", review.findings.len())?;
    let mut rules: Vec<_> = review.findings.iter().map(|f| f.rule).collect();
    rules.dedup();
    rules.sort();
    rules.dedup();
    for rule in rules {
        let of_rule: Vec<&Finding> = review.findings.iter().filter(|f| f.rule == rule).collect();
        writeln!(out)?;
        writeln!(out, "{} ({}): {}", rule.code(), of_rule.len(), rule.title())?;
        for finding in of_rule {
            let positions: Vec<String> =
                finding.positions.iter().map(|p| format!("#{p}")).collect();
            writeln!(
                out,
                "  {}  recorded {} by {} ({}) in {}: {}",
                positions.join(" "),
                finding.recorded_at,
                if finding.actor.is_empty() { "-" } else { &finding.actor },
                if finding.source.is_empty() { "-" } else { &finding.source },
                if finding.stream_id.is_empty() { "-" } else { &finding.stream_id },
                finding.detail
            )?;
        }
    }
    Ok(())
}

/// Writes the findings as CSV, one per line.
pub fn write_csv(out: impl Write, review: &Review) -> Result<(), csv::Error> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "rule",
        "positions",
        "stream_id",
        "actor",
        "source",
        "occurred_at",
        "recorded_at",
        "detail",
    ])?;
    for finding in &review.findings {
        let positions: Vec<String> = finding.positions.iter().map(i64::to_string).collect();
        writer.write_record([
            finding.rule.code(),
            &positions.join(" "),
            &finding.stream_id,
            &finding.actor,
            &finding.source,
            &finding.occurred_at,
            &finding.recorded_at,
            &finding.detail,
        ])?;
    }
    writer.flush()?;
    Ok(())
}
