//! Receipts a person keeps (docs/witness.md, "Receipts"): for a grant handover or a
//! certificate, the event as the log recorded it, the proof that it is in the log's Merkle
//! tree, and a checkpoint of that tree signed by the log and cosigned by its witnesses — so
//! the graduate who received a sewing machine can show, years later and without the log,
//! that the handover is in it. `tools/verify_receipt.py` checks one offline.

use events::RecordedEvent;
use events::checkpoint::VerifyingKey;
use events::note::{self, CheckpointBody};
use serde::Serialize;
use uuid::Uuid;

use crate::checkpoints::Signed;
use crate::store::{Store, StoreError};
use crate::tree::TreeError;

pub const FORMAT: &str = "jejak-receipt-1";
/// The events a receipt is made for.
pub const RECEIPT_EVENTS: [&str; 2] = ["GrantHandedOver", "CertificateIssued"];

#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    #[error("no event {0} in the log")]
    NoSuchEvent(Uuid),
    #[error("a receipt is made for a grant handover or a certificate, not for {0}")]
    NotReceiptable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Tree(#[from] TreeError),
}

/// A receipt (docs/witness.md): the event, its inclusion proof in the tree of `tree_size`
/// events, and the checkpoint of that tree with its cosignatures; or, while no checkpoint
/// covers the event yet, `pending` saying so and no proof.
#[derive(Debug, Clone, Serialize)]
pub struct Receipt {
    pub format: &'static str,
    pub event: RecordedEvent,
    pub tree_size: Option<u64>,
    pub leaf_index: u64,
    /// Base64 hashes, RFC 9162.
    pub proof: Vec<String>,
    pub checkpoint: Option<String>,
    /// The names of the witnesses whose cosignature on the checkpoint verifies.
    pub cosigned_by: Vec<String>,
    /// The log's verifier key, and the witnesses', for whoever reads the receipt: a verifier
    /// checks with keys obtained elsewhere (their fingerprints are published).
    pub log_key: String,
    pub witness_keys: Vec<String>,
    pub pending: Option<String>,
}

/// The receipt of `event_id`, with the smallest checkpoint of `checkpoints` that holds it,
/// is signed by the log's key (under the log's name, its origin) and, when `witnesses` are
/// given, cosigned by one of them.
pub async fn make(
    store: &Store,
    event_id: Uuid,
    checkpoints: &[(usize, Signed)],
    log_key: &VerifyingKey,
    witnesses: &[(String, VerifyingKey)],
) -> Result<Receipt, ReceiptError> {
    let position = store
        .positions_of(&[event_id])
        .await?
        .first()
        .map(|(_, position)| *position)
        .ok_or(ReceiptError::NoSuchEvent(event_id))?;
    let event =
        store.read_all(position, 1).await?.pop().ok_or(ReceiptError::NoSuchEvent(event_id))?;
    if !RECEIPT_EVENTS.contains(&event.event_type.as_str()) {
        return Err(ReceiptError::NotReceiptable(event.event_type));
    }
    let covering = crate::checkpoints::cosigned(checkpoints, witnesses)
        .into_iter()
        .filter(|c| c.size >= position as u64)
        .filter(|c| witnesses.is_empty() || !c.witnesses.is_empty())
        .filter(|c| signed_by(&c.note, log_key))
        .min_by_key(|c| c.size);
    let origin = covering.as_ref().and_then(|c| origin(&c.note)).unwrap_or_default();
    let log_vkey = note::verifier_key(&origin, log_key).unwrap_or_default();
    let witness_keys =
        witnesses.iter().map(|(name, key)| events::witness::verifier_key(name, key)).collect();
    let mut receipt = Receipt {
        format: FORMAT,
        event,
        tree_size: None,
        leaf_index: position as u64 - 1,
        proof: Vec::new(),
        checkpoint: None,
        cosigned_by: Vec::new(),
        log_key: log_vkey,
        witness_keys,
        pending: None,
    };
    let Some(checkpoint) = covering else {
        receipt.pending = Some(
            "no checkpoint cosigned by a witness holds this event yet: the next one the log \
             signs will, once its witnesses cosign it (within minutes on a server that signs \
             every few minutes); ask for the receipt again then"
                .to_owned(),
        );
        return Ok(receipt);
    };
    let proof = crate::tree::prove_inclusion(store, event_id, Some(checkpoint.size)).await?;
    receipt.tree_size = Some(checkpoint.size);
    receipt.proof = proof.proof.iter().map(crate::tree::base64).collect();
    receipt.cosigned_by = checkpoint.witnesses.into_iter().collect();
    receipt.checkpoint = Some(checkpoint.note);
    Ok(receipt)
}

/// A public key's fingerprint as people compare it: the first 16 bytes of its SHA-256, in
/// groups of four hex digits (tools/verify_receipt.py prints the same).
pub fn fingerprint(key: &VerifyingKey) -> String {
    use sha2::Digest;
    let digest = hex::encode(sha2::Sha256::digest(key.as_bytes()));
    digest.as_bytes()[..32]
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The log's name a checkpoint note claims.
fn origin(note: &str) -> Option<String> {
    let (text, _) = note::split(note).ok()?;
    CheckpointBody::parse(text).ok().map(|body| body.origin)
}

/// Whether the note is a checkpoint signed by the log's key, under the name it claims.
fn signed_by(note: &str, key: &VerifyingKey) -> bool {
    origin(note)
        .is_some_and(|name| note::open(note, &name, key).and_then(CheckpointBody::parse).is_ok())
}

impl crate::store::StoreFailure for ReceiptError {
    fn store_error(&self) -> Option<&StoreError> {
        match self {
            ReceiptError::Store(error) => Some(error),
            ReceiptError::Tree(error) => error.store_error(),
            _ => None,
        }
    }
}
