//! A page of the log as the chain checks it: each event's canonical encoding written straight
//! from the row it was read from, into one buffer for the whole page, with the few fields the
//! checks compare beside it. A walk of the whole log (`jejak verify`) reads these instead of
//! decoding every column of every event into owned values that it would only encode again.

use std::ops::Range;

use super::{Encoder, EventText, encode_text};
use crate::time::Timestamp;

/// About what an event's encoding and the fields beside it take (the canonical encoding of a
/// participation event is 500–700 bytes); only what is written is resident.
const EVENT_BYTES: usize = 1024;

/// Events encoded for the chain, in the order they were pushed.
#[derive(Default)]
pub struct EncodedPage {
    encoder: Encoder,
    events: Vec<Entry>,
}

/// Where an event's parts lie in the page's buffer.
struct Entry {
    position: i64,
    stream_version: i64,
    recorded_at: Timestamp,
    encoding: Range<usize>,
    stream_id: Range<usize>,
    prev_hash: Range<usize>,
    hash: Range<usize>,
}

/// One event of an [`EncodedPage`].
pub struct EncodedEvent<'a> {
    pub position: i64,
    pub stream_id: &'a str,
    pub stream_version: i64,
    pub recorded_at: Timestamp,
    /// The canonical encoding the event's hash is over.
    pub encoding: &'a [u8],
    pub prev_hash: &'a [u8],
    /// The hash stored with the event.
    pub hash: &'a [u8],
}

impl EncodedPage {
    /// Empties the page for `events` more, keeping the memory it has: a walk of the log fills
    /// the same few pages again instead of growing a new one for each.
    pub fn clear(&mut self, events: usize) {
        self.encoder.clear();
        self.events.clear();
        self.events.reserve(events);
        // Room for the page at once: grown by doubling, a fresh page of 10,000 events was
        // copied and faulted in several times over before it held them.
        self.encoder.bytes.reserve(events.saturating_mul(EVENT_BYTES));
    }

    /// Adds an event: `text` is its fields, `recorded_at` the instant `text.recorded_at` is the
    /// canonical form of, and `hash` the hash stored with it.
    pub fn push(&mut self, text: &EventText<'_>, recorded_at: Timestamp, hash: &str) {
        let start = self.encoder.bytes.len();
        encode_text(text, &mut self.encoder);
        let encoding = start..self.encoder.bytes.len();
        // The previous hash is the encoding's last text.
        let prev_hash = encoding.end - text.prev_hash.len()..encoding.end;
        let stream_id = self.append(text.stream_id);
        let hash = self.append(hash);
        let (position, stream_version) = (text.position, text.stream_version);
        let entry =
            Entry { position, stream_version, recorded_at, encoding, stream_id, prev_hash, hash };
        self.events.push(entry);
    }

    fn append(&mut self, text: &str) -> Range<usize> {
        let start = self.encoder.bytes.len();
        self.encoder.bytes.extend_from_slice(text.as_bytes());
        start..self.encoder.bytes.len()
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The position of the page's last event.
    pub fn last_position(&self) -> Option<i64> {
        self.events.last().map(|entry| entry.position)
    }

    pub fn iter(&self) -> impl Iterator<Item = EncodedEvent<'_>> {
        let bytes = self.encoder.bytes.as_slice();
        self.events.iter().map(move |entry| EncodedEvent {
            position: entry.position,
            // Copied from a `str`, at its own bounds.
            stream_id: std::str::from_utf8(&bytes[entry.stream_id.clone()]).expect("a str"),
            stream_version: entry.stream_version,
            recorded_at: entry.recorded_at,
            encoding: &bytes[entry.encoding.clone()],
            prev_hash: &bytes[entry.prev_hash.clone()],
            hash: &bytes[entry.hash.clone()],
        })
    }
}
