//! Signed checkpoints in the shell: signing the head of a verified log, reading a checkpoints
//! file (one JSON checkpoint per line), and checking a log against it (docs/checkpoints.md).
//!
//! A checkpoint is signed as a C2SP `tlog-checkpoint` of the log's Merkle tree in a C2SP
//! `signed-note` (`{"note": "…"}`); the first format, a signature over the chain head
//! (`jejak-checkpoint-v1`), is still read and checked, never re-signed.

use std::path::Path;

use events::Timestamp;
use events::checkpoint::{self, Checkpoint, CheckpointError};
use events::note::{self, CheckpointBody};
use serde::{Deserialize, Serialize};

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
    #[error(transparent)]
    Tree(#[from] crate::tree::TreeError),
    #[error("the origin {0:?} cannot name a log: {1}")]
    Origin(String, note::NoteError),
}

/// A checkpoint of the Merkle tree: a C2SP tlog-checkpoint in a signed note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteCheckpoint {
    pub note: String,
}

/// A line of a checkpoints file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Signed {
    Note(NoteCheckpoint),
    /// The first format: a signature over the chain head.
    Chain(Checkpoint),
}

/// The extension lines jejak writes in a tree checkpoint: the chain hash of the event at the
/// tree's size, and when it was signed.
const CHAIN_LINE: &str = "jejak-chain-hash ";
const SIGNED_LINE: &str = "jejak-signed-at ";

impl Signed {
    /// The body a note claims, before any signature is checked.
    fn body(&self) -> Option<CheckpointBody> {
        match self {
            Signed::Note(found) => {
                let (text, _) = note::split(&found.note).ok()?;
                CheckpointBody::parse(text).ok()
            }
            Signed::Chain(_) => None,
        }
    }

    /// The position it certifies (a tree checkpoint's size).
    pub fn position(&self) -> i64 {
        match self {
            Signed::Chain(checkpoint) => checkpoint.position,
            Signed::Note(_) => self.body().map_or(0, |body| body.size as i64),
        }
    }

    /// The chain hash it certifies at that position.
    pub fn hash(&self) -> Option<String> {
        match self {
            Signed::Chain(checkpoint) => Some(checkpoint.hash.clone()),
            Signed::Note(_) => extension(&self.body()?, CHAIN_LINE),
        }
    }

    /// When it was signed, as it says.
    pub fn signed_at(&self) -> String {
        match self {
            Signed::Chain(checkpoint) => checkpoint.signed_at.to_string(),
            Signed::Note(_) => {
                self.body().and_then(|body| extension(&body, SIGNED_LINE)).unwrap_or_default()
            }
        }
    }
}

fn extension(body: &CheckpointBody, prefix: &str) -> Option<String> {
    body.extensions.iter().find_map(|line| line.strip_prefix(prefix)).map(str::to_owned)
}

/// The origin of a log that was not given one: `jejak/` and the first 16 hex digits of its
/// first event's hash, which no other log shares.
pub async fn default_origin(store: &Store) -> Result<String, SignError> {
    let first = store.read_all(1, 1).await?.pop().ok_or(SignError::Empty)?;
    Ok(format!("jejak/{}", &first.hash[..16.min(first.hash.len())]))
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
pub fn read_file(path: &Path) -> Result<Vec<(usize, Signed)>, CheckpointFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| CheckpointFileError::Unreadable {
        path: path.display().to_string(),
        source,
    })?;
    parse(&text, &path.display().to_string())
}

/// Parses a checkpoints file's text; `path` names it in errors.
pub fn parse(text: &str, path: &str) -> Result<Vec<(usize, Signed)>, CheckpointFileError> {
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

/// Verifies the whole log, then signs its head at `now` as a C2SP checkpoint of its tree,
/// named `origin` (the key's name too).
pub async fn sign_head(
    store: &Store,
    key: &events::checkpoint::SigningKey,
    now: Timestamp,
    origin: &str,
) -> Result<NoteCheckpoint, SignError> {
    let report = verify::verify_log(store, |_| {}).await?;
    if let Some(found) = report.first_break {
        return Err(SignError::Broken(found.to_string()));
    }
    if let Some(found) = report.tree.first_mismatch {
        return Err(SignError::Broken(found.to_string()));
    }
    let head = report.head;
    if head.position == 0 {
        return Err(SignError::Empty);
    }
    let size = head.position as u64;
    let root = crate::tree::root(store, size).await?;
    let body = CheckpointBody {
        origin: origin.to_owned(),
        size,
        root,
        extensions: vec![format!("{CHAIN_LINE}{}", head.hash), format!("{SIGNED_LINE}{now}")],
    };
    let note = note::sign(&body.text(), origin, key)
        .map_err(|error| SignError::Origin(origin.to_owned(), error))?;
    Ok(NoteCheckpoint { note })
}

/// Appends a checkpoint to a checkpoints file (created if need be) and syncs it.
pub fn append_to_file(path: &Path, checkpoint: &NoteCheckpoint) -> std::io::Result<()> {
    use std::io::Write;
    let line = serde_json::to_string(checkpoint).expect("a checkpoint serialises") + "\n";
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    file.write_all(line.as_bytes())?;
    file.sync_all()
}

/// The verifier key of `key` for a log named `origin`, as signed notes write it.
pub fn verifier_key(
    origin: &str,
    key: &events::checkpoint::SigningKey,
) -> Result<String, SignError> {
    note::verifier_key(origin, &key.verifying_key())
        .map_err(|error| SignError::Origin(origin.to_owned(), error))
}

/// How one checkpoint compares with the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// Signed by the expected key, and the log holds the signed hash at the signed position.
    Matches,
    /// The checkpoint itself is not authentic: altered, or signed by another key.
    NotAuthentic(String),
    /// The log's tree of that size has another root: it was rewritten.
    RootDiffers { log_root: String },
    /// The log ends before the checkpoint's position: events were removed.
    BeyondHead { head: i64 },
    /// The log holds another event at that position: it was rewritten.
    Differs { log_hash: String },
}

/// One checkpoint and what was found.
#[derive(Debug, Clone)]
pub struct Checked {
    pub line: usize,
    pub checkpoint: Signed,
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
        let kind = match c {
            Signed::Note(_) => "tree checkpoint",
            Signed::Chain(_) => "checkpoint",
        };
        let (position, signed_at) = (c.position(), c.signed_at());
        write!(f, "{kind} at line {} (position {position}, signed {signed_at}): ", self.line)?;
        match &self.finding {
            Finding::Matches => write!(f, "matches the log"),
            Finding::NotAuthentic(error) => write!(f, "NOT AUTHENTIC: {error}"),
            Finding::BeyondHead { head } => {
                write!(f, "DOES NOT MATCH: the log ends at position {head}, before it")
            }
            Finding::Differs { log_hash } => write!(
                f,
                "DOES NOT MATCH: it signed hash {}, the log has {log_hash}: the log was rewritten",
                c.hash().unwrap_or_default()
            ),
            Finding::RootDiffers { log_root } => write!(
                f,
                "DOES NOT MATCH: it signed another tree root than the log's ({log_root}): the log \
                 was rewritten"
            ),
        }
    }
}

/// Checks each checkpoint against the log and the expected public key.
pub async fn check(
    store: &Store,
    checkpoints: &[(usize, Signed)],
    public_key_hex: &str,
) -> Result<Vec<Checked>, crate::tree::TreeError> {
    let head = store.head().await?.position;
    let mut checked = Vec::with_capacity(checkpoints.len());
    for (line, checkpoint) in checkpoints {
        let finding = match checkpoint {
            Signed::Chain(chain) => check_chain(store, chain, public_key_hex, head).await?,
            Signed::Note(found) => check_note(store, found, public_key_hex, head).await?,
        };
        checked.push(Checked { line: *line, checkpoint: checkpoint.clone(), finding });
    }
    Ok(checked)
}

async fn check_chain(
    store: &Store,
    checkpoint: &Checkpoint,
    public_key_hex: &str,
    head: i64,
) -> Result<Finding, StoreError> {
    if let Err(error) = checkpoint.verify(public_key_hex) {
        return Ok(Finding::NotAuthentic(error.to_string()));
    }
    at_position(store, checkpoint.position, &checkpoint.hash, head).await
}

/// Whether the log holds `hash` at `position`.
async fn at_position(
    store: &Store,
    position: i64,
    hash: &str,
    head: i64,
) -> Result<Finding, StoreError> {
    if position > head || position < 1 {
        return Ok(Finding::BeyondHead { head });
    }
    Ok(match store.read_all(position, 1).await?.pop() {
        Some(event) if event.hash == hash => Finding::Matches,
        Some(event) => Finding::Differs { log_hash: event.hash },
        None => Finding::BeyondHead { head },
    })
}

async fn check_note(
    store: &Store,
    found: &NoteCheckpoint,
    public_key_hex: &str,
    head: i64,
) -> Result<Finding, crate::tree::TreeError> {
    let key = match checkpoint::verifying_key(public_key_hex) {
        Ok(key) => key,
        Err(error) => return Ok(Finding::NotAuthentic(error.to_string())),
    };
    let claimed = Signed::Note(found.clone()).body();
    let Some(origin) = claimed.map(|body| body.origin) else {
        return Ok(Finding::NotAuthentic("not a C2SP checkpoint".to_owned()));
    };
    let body = note::open(&found.note, &origin, &key).and_then(CheckpointBody::parse);
    let body = match body {
        Ok(body) => body,
        Err(error) => return Ok(Finding::NotAuthentic(error.to_string())),
    };
    if body.size as i64 > head {
        return Ok(Finding::BeyondHead { head });
    }
    let root = crate::tree::root(store, body.size).await?;
    if root != body.root {
        return Ok(Finding::RootDiffers { log_root: crate::tree::base64(&root) });
    }
    match extension(&body, CHAIN_LINE) {
        Some(hash) => Ok(at_position(store, body.size as i64, &hash, head).await?),
        None => Ok(Finding::Matches),
    }
}

/// A tree checkpoint of the file and the witnesses that cosigned it, over all its copies.
#[derive(Debug, Clone)]
pub struct Cosigned {
    /// The first line the checkpoint is on.
    pub line: usize,
    pub size: u64,
    /// The names of the witnesses given whose cosignature on it verifies.
    pub witnesses: std::collections::BTreeSet<String>,
    /// The note with every signature line of its copies, each once, in the order found.
    pub note: String,
}

/// Each distinct tree checkpoint of `checkpoints` (its copies, one per witness that cosigned
/// it, are one checkpoint) with the witnesses among `witnesses` whose cosignature on it
/// verifies. Chain-format checkpoints cannot carry cosignatures and are left out.
pub fn cosigned(
    checkpoints: &[(usize, Signed)],
    witnesses: &[(String, checkpoint::VerifyingKey)],
) -> Vec<Cosigned> {
    let mut found: Vec<(String, Vec<String>, Cosigned)> = Vec::new();
    for (line, signed) in checkpoints {
        let Signed::Note(copy) = signed else { continue };
        let Ok((text, lines)) = note::split(&copy.note) else { continue };
        let Ok(body) = CheckpointBody::parse(text) else { continue };
        let index = match found.iter().position(|(seen, ..)| seen == text) {
            Some(index) => index,
            None => {
                let witnesses = std::collections::BTreeSet::new();
                let first =
                    Cosigned { line: *line, size: body.size, witnesses, note: String::new() };
                found.push((text.to_owned(), Vec::new(), first));
                found.len() - 1
            }
        };
        let (_, signatures, cosigned) = &mut found[index];
        for line in lines {
            if !signatures.iter().any(|seen| seen == line) {
                signatures.push(line.to_owned());
            }
        }
        for (name, key) in witnesses {
            if events::witness::cosignature_time(&copy.note, name, key).is_ok() {
                cosigned.witnesses.insert(name.clone());
            }
        }
    }
    found
        .into_iter()
        .map(|(text, signatures, mut cosigned)| {
            cosigned.note = format!("{text}\n{}\n", signatures.join("\n"));
            cosigned
        })
        .collect()
}
