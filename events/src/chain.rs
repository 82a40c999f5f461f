//! The canonical encoding of an event and the hash chain over the log.
//!
//! `hash = SHA-256(canonical(event))`, and `canonical(event)` includes the previous event's hash,
//! so each event binds everything before it. `docs/hash-chain.md` specifies the encoding so that
//! an auditor can re-implement it; `tools/verify_export.py` is such a re-implementation, and the
//! test suite checks that the two agree.
//!
//! Encoding, field by field, in this order:
//! - a text is its UTF-8 length as a 4-byte big-endian unsigned integer, then its bytes;
//!   an absent text is the 4 bytes `FF FF FF FF`;
//! - an integer is 8 bytes, big-endian two's complement.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::envelope::RecordedEvent;
use crate::time::Timestamp;

/// The first field of every encoded event; a new encoding gets a new tag.
pub const ENCODING_TAG: &str = "jejak-event-v1";
/// The `prev_hash` of the event at position 1.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Appends the canonical encoding of fields to a buffer.
#[derive(Default)]
pub struct Encoder {
    bytes: Vec<u8>,
}

impl Encoder {
    pub fn text(&mut self, text: &str) -> &mut Encoder {
        self.bytes_text(text.as_bytes())
    }

    /// A text given as its UTF-8 bytes.
    fn bytes_text(&mut self, text: &[u8]) -> &mut Encoder {
        let length = u32::try_from(text.len()).expect("texts are bounded far below 4 GiB");
        assert_ne!(length, u32::MAX, "the length FF FF FF FF stands for an absent text");
        self.bytes.extend_from_slice(&length.to_be_bytes());
        self.bytes.extend_from_slice(text);
        self
    }

    pub fn optional_text(&mut self, text: Option<&str>) -> &mut Encoder {
        match text {
            Some(text) => self.text(text),
            None => {
                self.bytes.extend_from_slice(&u32::MAX.to_be_bytes());
                self
            }
        }
    }

    pub fn integer(&mut self, value: i64) -> &mut Encoder {
        self.bytes.extend_from_slice(&value.to_be_bytes());
        self
    }

    pub fn clear(&mut self) {
        self.bytes.clear();
    }

    pub fn sha256_hex(&self) -> String {
        hex::encode(Sha256::digest(&self.bytes))
    }

    /// The digest itself.
    fn sha256(&self) -> [u8; 32] {
        Sha256::digest(&self.bytes).into()
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// Writes the canonical encoding of `event` (every envelope field but `hash`) into `encoder`.
pub fn encode_event(event: &RecordedEvent, encoder: &mut Encoder) {
    let mut uuid_text = uuid::Uuid::encode_buffer();
    encoder.text(ENCODING_TAG).integer(event.position);
    encoder.text(event.event_id.hyphenated().encode_lower(&mut uuid_text));
    encoder.text(event.command_id.hyphenated().encode_lower(&mut uuid_text));
    encoder.text(&event.stream_id).integer(event.stream_version);
    encoder.text(&event.event_type).integer(i64::from(event.schema_version));
    let (occurred_at, recorded_at) =
        (event.occurred_at.canonical_bytes(), event.recorded_at.canonical_bytes());
    encoder.bytes_text(&occurred_at).bytes_text(&recorded_at);
    encoder.text(&event.actor).text(&event.role).text(&event.organisation);
    encoder.optional_text(event.facility.as_deref()).text(event.source.as_str());
    encoder.optional_text(event.reason.as_deref()).optional_text(event.document_ref.as_deref());
    encoder.text(event.correlation_id.hyphenated().encode_lower(&mut uuid_text));
    let causation = event.causation_id.map(|id| id.hyphenated().encode_lower(&mut uuid_text));
    encoder.optional_text(causation.as_deref());
    encoder.text(&event.payload).text(&event.prev_hash);
}

/// The hash an event must carry: lower-case hex of SHA-256 over its canonical encoding.
pub fn event_hash(event: &RecordedEvent) -> String {
    let mut encoder = Encoder::default();
    encode_event(event, &mut encoder);
    encoder.sha256_hex()
}

/// What is wrong at the first position where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BreakKind {
    #[error("position {expected} is missing: the next event found is at position {found}")]
    Gap { expected: i64, found: i64 },
    #[error("prev_hash does not match the hash of the event before it")]
    PrevHashMismatch,
    #[error("hash does not match the event's content")]
    HashMismatch,
    #[error("recorded_at {recorded_at} is earlier than the event before it ({previous})")]
    TimeWentBackwards { recorded_at: Timestamp, previous: Timestamp },
    #[error("stream {stream_id} jumps from version {previous} to {found}")]
    StreamVersionGap { stream_id: String, previous: i64, found: i64 },
    #[error("the log ends at position {last}, but its recorded head (log_head) says {head}")]
    Truncated { last: i64, head: i64 },
    #[error(
        "the recorded head (log_head) names hash {head_hash} at this position, but the chain \
         ends with {chain_hash}: the events were rewritten behind it"
    )]
    HeadDiffers { head_hash: String, chain_hash: String },
    #[error("the stored event cannot be read: {detail}")]
    Unreadable { detail: String },
}

/// The first break found in a chain, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("chain broken at position {position}: {kind}")]
pub struct ChainBreak {
    pub position: i64,
    pub kind: BreakKind,
}

/// Walks a log in position order and reports the first event that breaks the chain.
///
/// It holds the last hash and the last version of each stream seen, nothing else, so it runs
/// over a log of any length in bounded memory (one entry per stream).
pub struct ChainVerifier {
    next_position: i64,
    prev_hash: String,
    prev_recorded_at: Option<Timestamp>,
    /// The digest `prev_hash` is the hex of, once an event has been checked.
    prev_digest: Option<[u8; 32]>,
    stream_versions: BTreeMap<String, i64>,
    strict_stream_start: bool,
    encoder: Encoder,
}

impl Default for ChainVerifier {
    fn default() -> ChainVerifier {
        ChainVerifier {
            next_position: 1,
            prev_hash: GENESIS_HASH.to_owned(),
            prev_recorded_at: None,
            prev_digest: None,
            stream_versions: BTreeMap::new(),
            strict_stream_start: true,
            encoder: Encoder::default(),
        }
    }
}

impl ChainVerifier {
    /// A verifier for a range of the log that starts after `position`, whose event had `hash`.
    /// Streams that began before the range are taken at the first version seen.
    pub fn after(position: i64, hash: &str) -> ChainVerifier {
        ChainVerifier {
            next_position: position + 1,
            prev_hash: hash.to_owned(),
            strict_stream_start: false,
            ..ChainVerifier::default()
        }
    }

    /// The same, knowing when the event at `position` was recorded: the range's first event
    /// may not be recorded before it.
    pub fn recorded_after(mut self, recorded_at: Option<Timestamp>) -> ChainVerifier {
        self.prev_recorded_at = recorded_at;
        self
    }

    /// Checks the next event of the log.
    pub fn check(&mut self, event: &RecordedEvent) -> Result<(), ChainBreak> {
        let broken = |kind| ChainBreak { position: event.position, kind };
        if event.position != self.next_position {
            let position = self.next_position;
            let kind = BreakKind::Gap { expected: position, found: event.position };
            return Err(ChainBreak { position, kind });
        }
        if event.prev_hash != self.prev_hash {
            return Err(broken(BreakKind::PrevHashMismatch));
        }
        self.encoder.clear();
        encode_event(event, &mut self.encoder);
        let digest = self.encoder.sha256();
        let mut digits = [0_u8; 64];
        hex::encode_to_slice(digest, &mut digits).expect("64 digits for 32 bytes");
        if digits != event.hash.as_bytes() {
            return Err(broken(BreakKind::HashMismatch));
        }
        if let Some(previous) = self.prev_recorded_at
            && event.recorded_at < previous
        {
            let recorded_at = event.recorded_at;
            return Err(broken(BreakKind::TimeWentBackwards { recorded_at, previous }));
        }
        self.check_stream_version(event).map_err(broken)?;
        self.next_position += 1;
        self.prev_hash.clone_from(&event.hash);
        self.prev_digest = Some(digest);
        self.prev_recorded_at = Some(event.recorded_at);
        Ok(())
    }

    fn check_stream_version(&mut self, event: &RecordedEvent) -> Result<(), BreakKind> {
        let found = event.stream_version;
        match self.stream_versions.get_mut(&event.stream_id) {
            Some(previous) if *previous + 1 == found => *previous = found,
            Some(previous) => {
                let (stream_id, previous) = (event.stream_id.clone(), *previous);
                return Err(BreakKind::StreamVersionGap { stream_id, previous, found });
            }
            None if found == 1 || !self.strict_stream_start => {
                self.stream_versions.insert(event.stream_id.clone(), found);
            }
            None => {
                let stream_id = event.stream_id.clone();
                return Err(BreakKind::StreamVersionGap { stream_id, previous: 0, found });
            }
        }
        Ok(())
    }

    /// Checks that the log ended where its head says it does (`head` is the last position).
    pub fn finish(&self, head: i64) -> Result<(), ChainBreak> {
        let last = self.next_position - 1;
        if last == head {
            return Ok(());
        }
        Err(ChainBreak { position: last + 1, kind: BreakKind::Truncated { last, head } })
    }

    /// The position of the last event checked, 0 before any.
    pub fn last_position(&self) -> i64 {
        self.next_position - 1
    }

    /// The hash of the last event checked, or the hash the range started after.
    pub fn last_hash(&self) -> &str {
        &self.prev_hash
    }

    /// The last event's hash as the 32 bytes it is the hex of, once an event has been checked:
    /// what the Merkle tree's leaf is made from, without decoding the hex again.
    pub fn last_digest(&self) -> Option<&[u8; 32]> {
        self.prev_digest.as_ref()
    }
}

#[cfg(test)]
mod tests;
