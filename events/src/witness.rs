//! A witness of logs (docs/witness.md): the C2SP `tlog-witness` protocol's `add-checkpoint`
//! request and the witness's judgement of it, and C2SP `tlog-cosignature` (cosignature/v1,
//! Ed25519 with a timestamp) to cosign what it accepts.
//!
//! A witness remembers, per log, the last checkpoint it cosigned. It cosigns a new one only
//! when the log's own signature verifies and a consistency proof shows the new tree extends
//! the one it cosigned; so two different histories can never both carry its cosignature.
//!
//! Pure: text in, verdicts out. The shell keeps the witness's memory and answers HTTP.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

use crate::merkle::{self, Hash};
use crate::note::{self, CheckpointBody, NoteError};

/// The signature type byte of timestamped Ed25519 cosignatures (cosignature/v1).
const COSIGNATURE_V1: u8 = 0x04;
/// The most consistency proof lines a request may carry.
pub const PROOF_LINES_MAX: usize = 63;
/// The content type of a 409 answer: the size the witness last cosigned.
pub const CONTENT_TYPE_SIZE: &str = "text/x.tlog.size";

/// The key ID of a cosigner key named `name`: the first four bytes of
/// `SHA-256(name ‖ "\n" ‖ 0x04 ‖ public key)`.
pub fn key_id(name: &str, key: &VerifyingKey) -> [u8; 4] {
    note::typed_key_id(name, COSIGNATURE_V1, key)
}

/// The cosigner's verifier key: `name+keyid(hex)+base64(0x04 ‖ public key)`.
pub fn verifier_key(name: &str, key: &VerifyingKey) -> String {
    note::typed_verifier_key(name, COSIGNATURE_V1, key)
}

/// Reads a cosigner's verifier key (`name+keyid+base64(0x04 ‖ key)`).
pub fn parse_verifier_key(text: &str) -> Result<(String, VerifyingKey), NoteError> {
    let bad = NoteError::Malformed("a witness key is name+keyid+base64(0x04 ‖ key)");
    note::parse_typed_verifier_key(text, COSIGNATURE_V1, bad)
}

/// What a cosignature signs: the header, the time, and the checkpoint's text.
pub fn cosigned_message(text: &str, timestamp: u64) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{text}")
}

/// A cosignature line of the checkpoint `text` by `name` at `timestamp` (seconds since the
/// Unix epoch), with its newline: `— name base64(key id ‖ timestamp ‖ signature)`.
pub fn cosign(text: &str, name: &str, key: &SigningKey, timestamp: u64) -> String {
    let signature = key.sign(cosigned_message(text, timestamp).as_bytes());
    let mut signed = key_id(name, &key.verifying_key()).to_vec();
    signed.extend_from_slice(&timestamp.to_be_bytes());
    signed.extend_from_slice(&signature.to_bytes());
    format!("\u{2014} {name} {}\n", STANDARD.encode(signed))
}

/// The time of `name`'s cosignature in `note` once it is checked with `key`.
pub fn cosignature_time(note: &str, name: &str, key: &VerifyingKey) -> Result<u64, NoteError> {
    let (text, lines) = note::split(note)?;
    let id = key_id(name, key);
    for line in lines {
        let Some((signer, signed)) = line["\u{2014} ".len()..].split_once(' ') else { continue };
        let Ok(bytes) = STANDARD.decode(signed) else { continue };
        if signer != name || bytes.len() != 76 || bytes[..4] != id {
            continue;
        }
        let timestamp = u64::from_be_bytes(bytes[4..12].try_into().expect("8 bytes"));
        let signature = Signature::from_slice(&bytes[12..])
            .map_err(|_| NoteError::BadSignature(name.to_owned()))?;
        return match key.verify(cosigned_message(text, timestamp).as_bytes(), &signature) {
            Ok(()) => Ok(timestamp),
            Err(_) => Err(NoteError::BadSignature(name.to_owned())),
        };
    }
    Err(NoteError::Unsigned(name.to_owned()))
}

/// An `add-checkpoint` request: the size the client believes the witness last cosigned, the
/// consistency proof from it, and the signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint {
    pub old: u64,
    pub proof: Vec<Hash>,
    pub checkpoint: String,
}

impl AddCheckpoint {
    /// The request body: `old N`, a base64 hash a line, a blank line, the checkpoint.
    pub fn encode(&self) -> String {
        let mut body = format!("old {}\n", self.old);
        for hash in &self.proof {
            body.push_str(&STANDARD.encode(hash));
            body.push('\n');
        }
        body.push('\n');
        body.push_str(&self.checkpoint);
        body
    }

    pub fn parse(body: &str) -> Result<AddCheckpoint, Refusal> {
        let bad = |why: &'static str| Refusal::Malformed(why);
        let (head, checkpoint) = body.split_once("\n\n").ok_or(bad("no blank line"))?;
        let mut lines = head.split('\n');
        let old = lines.next().and_then(|line| line.strip_prefix("old "));
        let old = old.filter(|n| *n == "0" || !n.starts_with(['0', '+']));
        let old = old.and_then(|n| n.parse().ok()).ok_or(bad("the first line is `old N`"))?;
        let proof: Vec<Hash> = lines
            .map(|line| STANDARD.decode(line).ok().and_then(|h| Hash::try_from(h).ok()))
            .collect::<Option<_>>()
            .ok_or(bad("a proof line is not a base64 hash"))?;
        if proof.len() > PROOF_LINES_MAX {
            return Err(bad("more than 63 proof lines"));
        }
        Ok(AddCheckpoint { old, proof, checkpoint: checkpoint.to_owned() })
    }

    /// The checkpoint's body, unverified: to learn which log it claims to be of.
    pub fn body(&self) -> Result<CheckpointBody, Refusal> {
        let (text, _) = note::split(&self.checkpoint).map_err(|_| Refusal::Malformed("no note"))?;
        CheckpointBody::parse(text).map_err(|_| Refusal::Malformed("not a checkpoint"))
    }
}

/// What a witness last cosigned for a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosigned {
    pub size: u64,
    pub root: Hash,
}

/// Why a witness refuses a checkpoint, with the HTTP status the protocol gives it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the request is not an add-checkpoint request: {0}")]
    Malformed(&'static str),
    #[error("this witness does not witness the log {0}")]
    UnknownLog(String),
    #[error("the checkpoint is not signed by the log's key: {0}")]
    Unsigned(NoteError),
    #[error("the old size {old} is larger than the checkpoint's size {size}")]
    OldLarger { old: u64, size: u64 },
    #[error("this witness last cosigned a tree of {latest} for this log, not {old}")]
    Conflict { old: u64, latest: u64 },
    #[error("the checkpoint is not consistent with the one this witness cosigned: {0}")]
    Inconsistent(&'static str),
}

impl Refusal {
    pub fn status(&self) -> u16 {
        match self {
            Refusal::Malformed(_) | Refusal::OldLarger { .. } => 400,
            Refusal::Unsigned(_) => 403,
            Refusal::UnknownLog(_) => 404,
            Refusal::Conflict { .. } => 409,
            Refusal::Inconsistent(_) => 422,
        }
    }

    /// Whether the refusal is evidence worth keeping: a checkpoint signed by the log that
    /// does not extend what the witness cosigned (a fork, or a rollback).
    pub fn is_evidence(&self) -> bool {
        matches!(self, Refusal::Inconsistent(_))
    }
}

/// Judges a request for the log named in its checkpoint, whose signed-note key is `log_key`
/// (`name`, `key`), the witness having last cosigned `known` for it: the checkpoint to
/// cosign, or why not. The caller must record the checkpoint before answering, in the same
/// transaction that read `known`.
pub fn judge(
    request: &AddCheckpoint,
    log_key: (&str, &VerifyingKey),
    known: Option<&Cosigned>,
) -> Result<CheckpointBody, Refusal> {
    let text = note::open(&request.checkpoint, log_key.0, log_key.1).map_err(Refusal::Unsigned)?;
    let body = CheckpointBody::parse(text).map_err(|_| Refusal::Malformed("not a checkpoint"))?;
    if request.old > body.size {
        return Err(Refusal::OldLarger { old: request.old, size: body.size });
    }
    let latest = known.map_or(0, |known| known.size);
    if request.old != latest {
        return Err(Refusal::Conflict { old: request.old, latest });
    }
    if body.size == 0 && body.root != merkle::empty_root() {
        return Err(Refusal::Inconsistent("an empty tree's root is the hash of nothing"));
    }
    let Some(known) = known.filter(|known| known.size > 0) else {
        return if request.proof.is_empty() {
            Ok(body)
        } else {
            Err(Refusal::Inconsistent("a proof from an empty tree must be empty"))
        };
    };
    if known.size == body.size {
        return if known.root == body.root && request.proof.is_empty() {
            Ok(body)
        } else {
            Err(Refusal::Inconsistent("the same size with another root: a fork"))
        };
    }
    merkle::verify_consistency(known.size, body.size, &known.root, &body.root, &request.proof)
        .map_err(|_| Refusal::Inconsistent("the consistency proof does not verify: a fork"))?;
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::MemoryTree;

    fn log_key() -> SigningKey {
        SigningKey::from_bytes(&[3; 32])
    }

    /// A checkpoint of the first `size` leaves of a log whose leaves are `leaves`.
    fn checkpoint(leaves: &[Hash], size: usize) -> (String, Hash) {
        let root = MemoryTree::of_chain(&leaves[..size]).root();
        let body = CheckpointBody {
            origin: "log.contoh".into(),
            size: size as u64,
            root,
            extensions: vec![],
        };
        (note::sign(&body.text(), "log.contoh", &log_key()).unwrap(), root)
    }

    fn proof(leaves: &[Hash], from: usize, to: usize) -> Vec<Hash> {
        let tree = MemoryTree::of_chain(&leaves[..to]);
        merkle::consistency_proof(&tree, from as u64, to as u64).unwrap()
    }

    #[test]
    fn a_cosignature_verifies_with_its_time_and_fails_on_another_text() {
        let witness = SigningKey::from_bytes(&[5; 32]);
        let (note, _) = checkpoint(&[[1; 32]; 3], 3);
        let (text, _) = note::split(&note).unwrap();
        let cosigned = format!("{note}{}", cosign(text, "saksi.contoh", &witness, 1_700_000_000));
        let time = cosignature_time(&cosigned, "saksi.contoh", &witness.verifying_key());
        assert_eq!(time, Ok(1_700_000_000));
        let altered = cosigned.replacen("\n3\n", "\n4\n", 1);
        assert!(cosignature_time(&altered, "saksi.contoh", &witness.verifying_key()).is_err());
        let vkey = verifier_key("saksi.contoh", &witness.verifying_key());
        assert_eq!(parse_verifier_key(&vkey).unwrap().1, witness.verifying_key());
    }

    #[test]
    fn a_request_reads_back_as_written() {
        let request = AddCheckpoint {
            old: 7,
            proof: vec![[2; 32], [3; 32]],
            checkpoint: "x\n\n— y z\n".into(),
        };
        assert_eq!(AddCheckpoint::parse(&request.encode()), Ok(request));
        assert!(AddCheckpoint::parse("old 07\n\nx").is_err());
    }

    #[test]
    fn the_witness_cosigns_an_extension_and_refuses_a_fork_a_rollback_and_a_stale_old_size() {
        let leaves: Vec<Hash> = (0..20u8).map(|n| [n; 32]).collect();
        let mut forked = leaves.clone();
        forked[5] = [99; 32]; // the forked log rewrote a leaf the witness has seen
        let key = log_key().verifying_key();
        let log = ("log.contoh", &key);
        let (first, root) = checkpoint(&leaves, 10);
        let request = AddCheckpoint { old: 0, proof: vec![], checkpoint: first };
        assert_eq!(judge(&request, log, None).unwrap().size, 10);
        let known = Cosigned { size: 10, root };
        let (next, _) = checkpoint(&leaves, 15);
        let grow = AddCheckpoint { old: 10, proof: proof(&leaves, 10, 15), checkpoint: next };
        assert!(judge(&grow, log, Some(&known)).is_ok());
        let (fork, _) = checkpoint(&forked, 15);
        let fork = AddCheckpoint { old: 10, proof: proof(&forked, 10, 15), checkpoint: fork };
        assert_eq!(judge(&fork, log, Some(&known)).unwrap_err().status(), 422);
        let (back, _) = checkpoint(&leaves, 8);
        let back = AddCheckpoint { old: 8, proof: vec![], checkpoint: back };
        assert_eq!(judge(&back, log, Some(&known)), Err(Refusal::Conflict { old: 8, latest: 10 }));
        let stale = AddCheckpoint { old: 0, ..grow.clone() };
        assert_eq!(judge(&stale, log, Some(&known)).unwrap_err().status(), 409);
        let other = SigningKey::from_bytes(&[4; 32]).verifying_key();
        assert_eq!(judge(&grow, ("log.contoh", &other), Some(&known)).unwrap_err().status(), 403);
    }
}
