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

mod page;

pub use page::{EncodedEvent, EncodedPage};

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

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// An event's fields as the text its canonical encoding is made of: ids in lower-case hyphenated
/// form, times in their canonical form. A reader that holds a row's text hands it on as it is.
pub struct EventText<'a> {
    pub position: i64,
    pub event_id: &'a str,
    pub command_id: &'a str,
    pub stream_id: &'a str,
    pub stream_version: i64,
    pub event_type: &'a str,
    pub schema_version: i32,
    pub occurred_at: &'a [u8],
    pub recorded_at: &'a [u8],
    pub actor: &'a str,
    pub role: &'a str,
    pub organisation: &'a str,
    pub facility: Option<&'a str>,
    pub source: &'a str,
    pub reason: Option<&'a str>,
    pub document_ref: Option<&'a str>,
    pub correlation_id: &'a str,
    pub causation_id: Option<&'a str>,
    pub payload: &'a str,
    pub prev_hash: &'a str,
}

/// Writes the canonical encoding of an event given as its text into `encoder`.
pub fn encode_text(event: &EventText<'_>, encoder: &mut Encoder) {
    encoder.text(ENCODING_TAG).integer(event.position);
    encoder.text(event.event_id).text(event.command_id);
    encoder.text(event.stream_id).integer(event.stream_version);
    encoder.text(event.event_type).integer(i64::from(event.schema_version));
    encoder.bytes_text(event.occurred_at).bytes_text(event.recorded_at);
    encoder.text(event.actor).text(event.role).text(event.organisation);
    encoder.optional_text(event.facility).text(event.source);
    encoder.optional_text(event.reason).optional_text(event.document_ref);
    encoder.text(event.correlation_id).optional_text(event.causation_id);
    encoder.text(event.payload).text(event.prev_hash);
}

/// Writes the canonical encoding of `event` (every envelope field but `hash`) into `encoder`.
pub fn encode_event(event: &RecordedEvent, encoder: &mut Encoder) {
    as_text(event, |text| encode_text(text, encoder));
}

/// Hands `event`'s fields as text, its ids and times written out, to `use_text`.
fn as_text<R>(event: &RecordedEvent, use_text: impl FnOnce(&EventText<'_>) -> R) -> R {
    let mut ids = [uuid::Uuid::encode_buffer(); 4];
    let [event_id, command_id, correlation_id, causation_id] = &mut ids;
    let (occurred_at, recorded_at) =
        (event.occurred_at.canonical_bytes(), event.recorded_at.canonical_bytes());
    use_text(&EventText {
        position: event.position,
        event_id: event.event_id.hyphenated().encode_lower(event_id),
        command_id: event.command_id.hyphenated().encode_lower(command_id),
        stream_id: &event.stream_id,
        stream_version: event.stream_version,
        event_type: &event.event_type,
        schema_version: event.schema_version,
        occurred_at: &occurred_at,
        recorded_at: &recorded_at,
        actor: &event.actor,
        role: &event.role,
        organisation: &event.organisation,
        facility: event.facility.as_deref(),
        source: event.source.as_str(),
        reason: event.reason.as_deref(),
        document_ref: event.document_ref.as_deref(),
        correlation_id: event.correlation_id.hyphenated().encode_lower(correlation_id),
        causation_id: event.causation_id.map(|id| &*id.hyphenated().encode_lower(causation_id)),
        payload: &event.payload,
        prev_hash: &event.prev_hash,
    })
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
        let mut encoder = std::mem::take(&mut self.encoder);
        encoder.clear();
        encode_event(event, &mut encoder);
        let checked = self.check_encoded(&EncodedEvent {
            position: event.position,
            stream_id: &event.stream_id,
            stream_version: event.stream_version,
            recorded_at: event.recorded_at,
            encoding: encoder.bytes(),
            prev_hash: event.prev_hash.as_bytes(),
            hash: event.hash.as_bytes(),
        });
        self.encoder = encoder;
        checked
    }

    /// Checks the next event of the log, given as its encoding ([`EncodedPage`]).
    pub fn check_encoded(&mut self, event: &EncodedEvent<'_>) -> Result<(), ChainBreak> {
        let broken = |kind| ChainBreak { position: event.position, kind };
        if event.position != self.next_position {
            let position = self.next_position;
            let kind = BreakKind::Gap { expected: position, found: event.position };
            return Err(ChainBreak { position, kind });
        }
        if event.prev_hash != self.prev_hash.as_bytes() {
            return Err(broken(BreakKind::PrevHashMismatch));
        }
        let digest: [u8; 32] = Sha256::digest(event.encoding).into();
        let mut digits = [0_u8; 64];
        hex::encode_to_slice(digest, &mut digits).expect("64 digits for 32 bytes");
        if digits != event.hash {
            return Err(broken(BreakKind::HashMismatch));
        }
        if let Some(previous) = self.prev_recorded_at
            && event.recorded_at < previous
        {
            let recorded_at = event.recorded_at;
            return Err(broken(BreakKind::TimeWentBackwards { recorded_at, previous }));
        }
        self.check_stream_version(event.stream_id, event.stream_version).map_err(broken)?;
        self.next_position += 1;
        self.prev_hash.clear();
        self.prev_hash.push_str(std::str::from_utf8(&digits).expect("hex digits"));
        self.prev_digest = Some(digest);
        self.prev_recorded_at = Some(event.recorded_at);
        Ok(())
    }

    fn check_stream_version(&mut self, stream_id: &str, found: i64) -> Result<(), BreakKind> {
        match self.stream_versions.get_mut(stream_id) {
            Some(previous) if *previous + 1 == found => *previous = found,
            Some(previous) => {
                let (stream_id, previous) = (stream_id.to_owned(), *previous);
                return Err(BreakKind::StreamVersionGap { stream_id, previous, found });
            }
            None if found == 1 || !self.strict_stream_start => {
                self.stream_versions.insert(stream_id.to_owned(), found);
            }
            None => {
                let stream_id = stream_id.to_owned();
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
