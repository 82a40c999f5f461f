//! Signed checkpoints in the shell: signing the head of a verified log, reading a checkpoints
//! file (one JSON checkpoint per line), and checking a log against it (docs/checkpoints.md).

use std::path::Path;

use events::Timestamp;
use events::checkpoint::{self, Checkpoint, CheckpointError};

use crate::store::{Store, StoreError};
use crate::verify;

#[derive(Debug, thiserror::Error)]
pub enum CheckpointFileError {
    #[error("cannot read {path}: {source}")]
    Unreadable { path: String, source: std::io::Error },
    #[error("{path} line {line}: not a checkpoint: {detail}")]
    Malformed { path: String, line: usize, detail: String },
    #[error("{path}: {source}")]
    BadKey { path: String, source: CheckpointError },
}

#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("the log is broken ({0}); a checkpoint would certify it: run `jejak verify`")]
    Broken(String),
    #[error("the log is empty: there is no head to sign")]
    Empty,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Verify(#[from] verify::VerifyError),
}

/// A key file's content (64 hex digits), trimmed.
pub fn read_key(path: &Path) -> Result<String, CheckpointFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| CheckpointFileError::Unreadable {
        path: path.display().to_string(),
        source,
    })?;
    Ok(text.trim().to_owned())
}

/// The signing key in `path`.
pub fn read_signing_key(
    path: &Path,
) -> Result<events::checkpoint::SigningKey, CheckpointFileError> {
    checkpoint::signing_key(&read_key(path)?)
        .map_err(|source| CheckpointFileError::BadKey { path: path.display().to_string(), source })
}

/// Every checkpoint in a checkpoints file, with its line number; blank lines are skipped.
pub fn read_file(path: &Path) -> Result<Vec<(usize, Checkpoint)>, CheckpointFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| CheckpointFileError::Unreadable {
        path: path.display().to_string(),
        source,
    })?;
    parse(&text, &path.display().to_string())
}

/// Parses a checkpoints file's text; `path` names it in errors.
pub fn parse(text: &str, path: &str) -> Result<Vec<(usize, Checkpoint)>, CheckpointFileError> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            serde_json::from_str(line).map(|checkpoint| (index + 1, checkpoint)).map_err(|error| {
                CheckpointFileError::Malformed {
                    path: path.to_owned(),
                    line: index + 1,
                    detail: error.to_string(),
                }
            })
        })
        .collect()
}

/// Verifies the whole log, then signs its head at `now`.
pub async fn sign_head(
    store: &Store,
    key: &events::checkpoint::SigningKey,
    now: Timestamp,
) -> Result<Checkpoint, SignError> {
    let report = verify::verify_log(store, |_| {}).await?;
    if let Some(found) = report.first_break {
        return Err(SignError::Broken(found.to_string()));
    }
    if let Some(found) = report.tree.first_mismatch {
        return Err(SignError::Broken(found.to_string()));
    }
    let head = report.head;
    let recorded_at = head.recorded_at.ok_or(SignError::Empty)?;
    Ok(checkpoint::sign(key, head.position, &head.hash, recorded_at, now))
}

/// How one checkpoint compares with the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// Signed by the expected key, and the log holds the signed hash at the signed position.
    Matches,
    /// The checkpoint itself is not authentic: altered, or signed by another key.
    NotAuthentic(CheckpointError),
    /// The log ends before the checkpoint's position: events were removed.
    BeyondHead { head: i64 },
    /// The log holds another event at that position: it was rewritten.
    Differs { log_hash: String },
}

/// One checkpoint and what was found.
#[derive(Debug, Clone)]
pub struct Checked {
    pub line: usize,
    pub checkpoint: Checkpoint,
    pub finding: Finding,
}

impl Checked {
    pub fn matches(&self) -> bool {
        self.finding == Finding::Matches
    }
}

impl std::fmt::Display for Checked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = &self.checkpoint;
        write!(
            f,
            "checkpoint at line {} (position {}, signed {}): ",
            self.line, c.position, c.signed_at
        )?;
        match &self.finding {
            Finding::Matches => write!(f, "matches the log"),
            Finding::NotAuthentic(error) => write!(f, "NOT AUTHENTIC: {error}"),
            Finding::BeyondHead { head } => {
                write!(f, "DOES NOT MATCH: the log ends at position {head}, before it")
            }
            Finding::Differs { log_hash } => write!(
                f,
                "DOES NOT MATCH: it signed hash {}, the log has {log_hash}: the log was rewritten",
                c.hash
            ),
        }
    }
}

/// Checks each checkpoint against the log and the expected public key.
pub async fn check(
    store: &Store,
    checkpoints: &[(usize, Checkpoint)],
    public_key_hex: &str,
) -> Result<Vec<Checked>, StoreError> {
    let head = store.head().await?.position;
    let mut checked = Vec::with_capacity(checkpoints.len());
    for (line, checkpoint) in checkpoints {
        let finding = match checkpoint.verify(public_key_hex) {
            Err(error) => Finding::NotAuthentic(error),
            Ok(()) if checkpoint.position > head || checkpoint.position < 1 => {
                Finding::BeyondHead { head }
            }
            Ok(()) => {
                let event = store.read_all(checkpoint.position, 1).await?.pop();
                match event {
                    Some(event) if event.hash == checkpoint.hash => Finding::Matches,
                    Some(event) => Finding::Differs { log_hash: event.hash },
                    None => Finding::BeyondHead { head },
                }
            }
        };
        checked.push(Checked { line: *line, checkpoint: checkpoint.clone(), finding });
    }
    Ok(checked)
}
