//! `jejak evidence`: a self-contained bundle for a review period (docs/evidence.md): the events
//! recorded in it, the hash that precedes them, the reports at its end as CSV, the compliance
//! findings, the signed checkpoints that fall in it, and a manifest with every file's SHA-256,
//! signed when a key is given. `tools/verify_export.py DIR` checks it offline.

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use events::Timestamp;
use events::checkpoint::{self, SigningKey};
use events::limits::PAGE_EVENTS_MAX;
use projections::compliance::Settings;
use projections::history::end_of_day;
use projections::projection::Config;
use projections::report::Options;
use projections::scope::Scope;
use projections::views;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::checkpoints::{CheckpointFileError, read_file};
use crate::history::{History, HistoryError, Moment};
use crate::store::{Store, StoreError};

/// The manifest's format name.
pub const FORMAT: &str = "jejak-evidence-v1";

#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("{0} is after {1}: the period runs from --from to --to")]
    BackwardsPeriod(NaiveDate, NaiveDate),
    #[error("no event was recorded from {0} to {1}")]
    EmptyPeriod(NaiveDate, NaiveDate),
    #[error("{0} exists and is not empty: write the bundle to a new directory")]
    NotEmpty(PathBuf),
    #[error("{0} is outside the dates jejak can represent")]
    DateOutOfRange(NaiveDate),
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Checkpoints(#[from] CheckpointFileError),
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write a report: {0}")]
    Report(String),
}

/// What goes into a bundle.
pub struct Request<'a> {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub out: &'a Path,
    pub checkpoints: Option<&'a Path>,
    /// Witnesses (name, key) whose cosigned checkpoints at the period's ends go in
    /// `witnessed.json`; none, no such file.
    pub witnesses: &'a [(String, checkpoint::VerifyingKey)],
    pub key: Option<&'a SigningKey>,
    pub config: Config,
    pub now: Timestamp,
}

/// The positions a bundle holds and the chain around them.
#[derive(Debug, Clone, Serialize)]
pub struct Range {
    pub first: i64,
    pub last: i64,
    /// The hash of the event before `first` (64 zeros when `first` is 1).
    pub prev_hash: String,
    pub last_hash: String,
}

/// The manifest: every file of the bundle with its SHA-256.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub format: &'static str,
    pub period: BTreeMap<&'static str, String>,
    pub utc_offset_hours: i64,
    pub range: Range,
    pub files: BTreeMap<String, String>,
    /// Checkpoints in the range; the note says when there is none.
    pub checkpoints: usize,
    pub findings: usize,
    pub generated_at: String,
    pub signer_public_key: Option<String>,
}

/// Writes the bundle and returns its manifest.
pub async fn write_bundle(store: &Store, request: Request<'_>) -> Result<Manifest, EvidenceError> {
    let Request { from, to, out, checkpoints, witnesses, key, config, now } = request;
    if from > to {
        return Err(EvidenceError::BackwardsPeriod(from, to));
    }
    let starts = end_of_day(&config, from.pred_opt().ok_or(EvidenceError::DateOutOfRange(from))?)
        .ok_or(EvidenceError::DateOutOfRange(from))?;
    let ends = end_of_day(&config, to).ok_or(EvidenceError::DateOutOfRange(to))?;
    let before = store.known_position(starts.checked_add_micros(-1).unwrap_or(starts)).await?;
    let last = store.known_position(ends.checked_add_micros(-1).unwrap_or(ends)).await?;
    if last <= before {
        return Err(EvidenceError::EmptyPeriod(from, to));
    }
    let first = before + 1;
    prepare(out)?;
    let mut files = BTreeMap::new();

    // The events, exactly as `jejak export` writes them.
    let path = out.join("events.ndjson");
    let mut writer = BufWriter::new(create(&path)?);
    let mut position = before;
    let mut prev_hash = events::chain::GENESIS_HASH.to_owned();
    if before > 0
        && let Some(event) = store.read_all(before, 1).await?.pop()
    {
        prev_hash = event.hash;
    }
    let mut last_event = None;
    while position < last {
        let limit =
            usize::try_from(last - position).unwrap_or(PAGE_EVENTS_MAX).min(PAGE_EVENTS_MAX);
        let page = store.read_all(position + 1, limit).await?;
        let Some(tail) = page.last() else { break };
        position = tail.position;
        for event in &page {
            serde_json::to_writer(&mut writer, event).map_err(|e| write_error(&path, e.into()))?;
            writer.write_all(b"\n").map_err(|e| write_error(&path, e))?;
        }
        last_event = page.into_iter().last();
    }
    writer.flush().map_err(|e| write_error(&path, e))?;
    drop(writer);
    let last_event = last_event.expect("the range is not empty");
    files.insert("events.ndjson".to_owned(), digest(&path)?);

    // The reports at the end of the period, as the log knew them then.
    std::fs::create_dir(out.join("reports")).map_err(|e| write_error(&out.join("reports"), e))?;
    let history = History::new(store.clone(), config);
    let moment = Moment { as_of: Some(to), known_at: Some(last_event.recorded_at) };
    let options = Options::default();
    for projection in projections::projection::all() {
        let folded = history.fold_at(projection, &Scope::WHOLE, moment).await?;
        for view in views::all().into_iter().filter(|view| view.projection == projection.name) {
            let name = format!("reports/{}.csv", view.name);
            let path = out.join(&name);
            let mut csv = crate::reports::Csv::new(BufWriter::new(create(&path)?));
            let known_at = Some(last_event.recorded_at);
            crate::reports::write_fold(view, &folded, &options, config, known_at, &mut csv);
            let mut writer =
                csv.finish().map_err(|error| EvidenceError::Report(error.to_string()))?;
            writer.flush().map_err(|e| write_error(&path, e))?;
            drop(writer);
            files.insert(name, digest(&path)?);
        }
    }

    // The compliance findings recorded in the period.
    let review = crate::compliance::review(
        store,
        Settings { config, ..Settings::default() },
        Some(from),
        Some(to),
    )
    .await?;
    let path = out.join("compliance.json");
    let text = serde_json::to_string_pretty(&review).expect("findings serialise") + "\n";
    std::fs::write(&path, text).map_err(|e| write_error(&path, e))?;
    files.insert("compliance.json".to_owned(), digest(&path)?);

    let last_event_id = last_event.event_id;
    let bundled = Bundled { store, out, files: &mut files, first, last };
    let covering = bundle_checkpoints(bundled, checkpoints, witnesses, last_event_id).await?;

    let manifest = Manifest {
        format: FORMAT,
        period: BTreeMap::from([("from", from.to_string()), ("to", to.to_string())]),
        utc_offset_hours: config.utc_offset_hours,
        range: Range { first, last, prev_hash, last_hash: last_event.hash },
        files,
        checkpoints: covering,
        findings: review.findings.len(),
        generated_at: now.to_string(),
        signer_public_key: key.map(checkpoint::public_key_hex),
    };
    // Canonical: keys sorted (serde_json's map is ordered), two-space indent, a final newline;
    // the verifier re-serialises it and compares.
    let value = serde_json::to_value(&manifest).expect("the manifest serialises");
    let text = serde_json::to_string_pretty(&value).expect("serialises") + "\n";
    let path = out.join("manifest.json");
    std::fs::write(&path, &text).map_err(|e| write_error(&path, e))?;
    if let Some(key) = key {
        let signature = checkpoint::sign_bytes(key, text.as_bytes());
        let path = out.join("manifest.json.sig");
        std::fs::write(&path, signature + "\n").map_err(|e| write_error(&path, e))?;
    }
    Ok(manifest)
}

/// Where a bundle's files go, and the range its events span.
struct Bundled<'a> {
    store: &'a Store,
    out: &'a Path,
    files: &'a mut BTreeMap<String, String>,
    first: i64,
    last: i64,
}

impl Bundled<'_> {
    fn write(&mut self, name: &str, text: &str) -> Result<(), EvidenceError> {
        let path = self.out.join(name);
        std::fs::write(&path, text).map_err(|e| write_error(&path, e))?;
        self.files.insert(name.to_owned(), digest(&path)?);
        Ok(())
    }
}

/// Writes the signed checkpoints whose position falls in the range (those a verifier can check
/// against these events) and, given witnesses, `witnessed.json`; how many checkpoints.
async fn bundle_checkpoints(
    mut bundled: Bundled<'_>,
    checkpoints: Option<&Path>,
    witnesses: &[(String, checkpoint::VerifyingKey)],
    last_event: uuid::Uuid,
) -> Result<usize, EvidenceError> {
    let (first, last) = (bundled.first, bundled.last);
    let covering: Vec<String> = match checkpoints {
        Some(file) => read_file(file)?
            .into_iter()
            .filter(|(_, checkpoint)| (first..=last).contains(&checkpoint.position()))
            .map(|(_, checkpoint)| serde_json::to_string(&checkpoint).expect("serialises"))
            .collect(),
        None => Vec::new(),
    };
    if covering.is_empty() {
        let text = format!("no signed checkpoint covers positions {first} to {last}\n");
        bundled.write("checkpoints.txt", &text)?;
    } else {
        bundled.write("checkpoints.jsonl", &(covering.join("\n") + "\n"))?;
    }
    if let (Some(file), false) = (checkpoints, witnesses.is_empty()) {
        let cosigned = crate::checkpoints::cosigned(&read_file(file)?, witnesses);
        let (name, text) = witnessed(bundled.store, &cosigned, first, last, last_event).await?;
        bundled.write(name, &text)?;
    }
    Ok(covering.len())
}

/// `witnessed.json` (docs/evidence.md): the latest checkpoint cosigned by a witness before the
/// period and the first one after it, the consistency proof between them and the inclusion
/// proof of the period's last event in the second; or `witnessed.txt` when no cosigned
/// checkpoint covers the period's end yet.
async fn witnessed(
    store: &Store,
    cosigned: &[crate::checkpoints::Cosigned],
    first: i64,
    last: i64,
    last_event: uuid::Uuid,
) -> Result<(&'static str, String), EvidenceError> {
    let vouched = cosigned.iter().filter(|c| !c.witnesses.is_empty());
    let start = vouched.clone().filter(|c| (c.size as i64) < first).max_by_key(|c| c.size);
    let Some(end) = vouched.filter(|c| c.size as i64 >= last).min_by_key(|c| c.size) else {
        let text = format!("no checkpoint cosigned by a witness covers position {last} yet\n");
        return Ok(("witnessed.txt", text));
    };
    let from = start.map_or(0, |start| start.size);
    let tree = |error: crate::tree::TreeError| EvidenceError::Report(error.to_string());
    let consistency = if from == 0 {
        Vec::new()
    } else {
        crate::tree::prove_consistency(store, from, end.size).await.map_err(tree)?.proof
    };
    let inclusion =
        crate::tree::prove_inclusion(store, last_event, Some(end.size)).await.map_err(tree)?;
    let base64 = |hashes: &[events::merkle::Hash]| {
        hashes.iter().map(crate::tree::base64).collect::<Vec<_>>()
    };
    let checkpoint = |c: &crate::checkpoints::Cosigned| serde_json::json!({ "size": c.size, "note": c.note, "witnesses": c.witnesses });
    let value = serde_json::json!({
        "start": start.map(checkpoint),
        "end": checkpoint(end),
        "consistency": base64(&consistency),
        "last_inclusion": base64(&inclusion.proof),
    });
    Ok(("witnessed.json", serde_json::to_string_pretty(&value).expect("serialises") + "\n"))
}

/// The bundle goes into a new or empty directory.
fn prepare(out: &Path) -> Result<(), EvidenceError> {
    match std::fs::read_dir(out) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(EvidenceError::NotEmpty(out.to_owned()));
            }
            Ok(())
        }
        Err(_) => std::fs::create_dir_all(out).map_err(|e| write_error(out, e)),
    }
}

fn create(path: &Path) -> Result<std::fs::File, EvidenceError> {
    std::fs::File::create(path).map_err(|e| write_error(path, e))
}

fn write_error(path: &Path, source: std::io::Error) -> EvidenceError {
    EvidenceError::Write { path: path.to_owned(), source }
}

fn digest(path: &Path) -> Result<String, EvidenceError> {
    let bytes = std::fs::read(path).map_err(|e| write_error(path, e))?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}
