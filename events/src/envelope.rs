//! The envelope: what every event in the log carries besides its payload, and the shape of a
//! request to append.
//!
//! The store is generic over event types: it sees a type name, a schema version and a payload
//! text. Everything a request holds is checked here, before any database is touched, so that a
//! bad request is refused with a typed [`InputError`] and writes nothing.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::chain::Encoder;
use crate::limits;
use crate::time::Timestamp;

/// Where an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Ui,
    Cli,
    Api,
    Import,
    System,
    Migration,
}

impl Source {
    pub const ALL: [Source; 6] =
        [Source::Ui, Source::Cli, Source::Api, Source::Import, Source::System, Source::Migration];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Ui => "ui",
            Source::Cli => "cli",
            Source::Api => "api",
            Source::Import => "import",
            Source::System => "system",
            Source::Migration => "migration",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Source {
    type Err = InputError;

    fn from_str(text: &str) -> Result<Source, InputError> {
        Source::ALL
            .into_iter()
            .find(|source| source.as_str() == text)
            .ok_or_else(|| InputError::UnknownSource { text: text.to_owned() })
    }
}

/// The version a stream must be at for an append to it to go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpectedVersion {
    /// Append whatever the stream's version is.
    Any,
    /// The stream must be at exactly this version; 0 means it must not exist yet.
    Exact(i64),
}

impl ExpectedVersion {
    pub const NO_STREAM: ExpectedVersion = ExpectedVersion::Exact(0);

    /// Whether a stream at version `actual` meets this expectation.
    pub fn admits(self, actual: i64) -> bool {
        match self {
            ExpectedVersion::Any => true,
            ExpectedVersion::Exact(expected) => expected == actual,
        }
    }
}

impl fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectedVersion::Any => f.write_str("any"),
            ExpectedVersion::Exact(version) => write!(f, "{version}"),
        }
    }
}

/// Who wrote a command, and in what context. Shared by every event the command appends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    pub actor: String,
    pub role: String,
    pub organisation: String,
    pub source: Source,
    pub correlation_id: Uuid,
    pub causation_id: Option<Uuid>,
}

/// One event to be appended, before the store gives it a position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEvent {
    pub event_type: String,
    pub schema_version: i32,
    pub occurred_at: Timestamp,
    pub facility: Option<String>,
    pub reason: Option<String>,
    pub document_ref: Option<String>,
    /// JSON object text, stored exactly as given and hashed as stored.
    pub payload: String,
}

/// The events for one stream, and the version the stream must be at. A stream with no events
/// is a condition: the append goes ahead only if that stream is still at `expected`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamAppend {
    pub stream_id: String,
    pub expected: ExpectedVersion,
    pub events: Vec<NewEvent>,
}

/// The 32-byte SHA-256 digest of a request's content, in lower-case hex.
pub type Digest = String;

/// All the events of one command: one or several streams, written all or nothing.
///
/// `command_id` is the caller's idempotency key. A retry with the same id and the same
/// `request_digest` returns the first result and writes nothing; the same id with another
/// digest is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendRequest {
    pub command_id: Uuid,
    pub request_digest: Digest,
    pub metadata: Metadata,
    pub streams: Vec<StreamAppend>,
    /// What to answer a retry of this command with, besides positions (not part of the digest).
    pub reply: Option<serde_json::Value>,
}

impl AppendRequest {
    /// A request whose digest is computed from its content.
    pub fn new(command_id: Uuid, metadata: Metadata, streams: Vec<StreamAppend>) -> AppendRequest {
        let mut request = AppendRequest {
            command_id,
            request_digest: String::new(),
            metadata,
            streams,
            reply: None,
        };
        request.request_digest = request.content_digest();
        request
    }

    /// SHA-256 over the canonical encoding of everything in the request but the command id.
    pub fn content_digest(&self) -> Digest {
        let mut encoder = Encoder::default();
        let metadata = &self.metadata;
        encoder.text("jejak-request-v1");
        encoder.text(&metadata.actor).text(&metadata.role).text(&metadata.organisation);
        encoder.text(metadata.source.as_str()).text(&metadata.correlation_id.to_string());
        encoder.optional_text(metadata.causation_id.map(|id| id.to_string()).as_deref());
        for stream in &self.streams {
            let expected = match stream.expected {
                ExpectedVersion::Any => -1,
                ExpectedVersion::Exact(version) => version,
            };
            encoder.text(&stream.stream_id).integer(expected);
            encoder.integer(stream.events.len() as i64);
            for event in &stream.events {
                encoder.text(&event.event_type).integer(i64::from(event.schema_version));
                encoder.text(&event.occurred_at.to_string());
                encoder.optional_text(event.facility.as_deref());
                encoder.optional_text(event.reason.as_deref());
                encoder.optional_text(event.document_ref.as_deref());
                encoder.text(&event.payload);
            }
        }
        encoder.sha256_hex()
    }

    pub fn event_count(&self) -> usize {
        self.streams.iter().map(|stream| stream.events.len()).sum()
    }

    /// Checks every field against the rules and limits of the log.
    pub fn validate(&self) -> Result<(), InputError> {
        validate_digest(&self.request_digest)?;
        validate_metadata(&self.metadata)?;
        if self.streams.is_empty() || self.event_count() == 0 {
            return Err(InputError::EmptyAppend);
        }
        if self.streams.len() > limits::STREAMS_PER_APPEND_MAX {
            let count = self.streams.len();
            return Err(InputError::TooManyStreams { count, max: limits::STREAMS_PER_APPEND_MAX });
        }
        let count = self.event_count();
        if count > limits::EVENTS_PER_APPEND_MAX {
            return Err(InputError::TooManyEvents { count, max: limits::EVENTS_PER_APPEND_MAX });
        }
        for (index, stream) in self.streams.iter().enumerate() {
            validate_stream_id(&stream.stream_id)?;
            if self.streams[..index].iter().any(|other| other.stream_id == stream.stream_id) {
                return Err(InputError::StreamTwice { stream_id: stream.stream_id.clone() });
            }
            if let ExpectedVersion::Exact(version) = stream.expected
                && version < 0
            {
                return Err(InputError::NegativeExpectedVersion { version });
            }
            stream.events.iter().try_for_each(validate_event)?;
        }
        Ok(())
    }
}

/// An event as the log holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedEvent {
    pub position: i64,
    pub event_id: Uuid,
    pub command_id: Uuid,
    pub stream_id: String,
    pub stream_version: i64,
    pub event_type: String,
    pub schema_version: i32,
    pub occurred_at: Timestamp,
    pub recorded_at: Timestamp,
    pub actor: String,
    pub role: String,
    pub organisation: String,
    pub facility: Option<String>,
    pub source: Source,
    pub reason: Option<String>,
    pub document_ref: Option<String>,
    pub correlation_id: Uuid,
    pub causation_id: Option<Uuid>,
    pub payload: String,
    pub prev_hash: String,
    pub hash: String,
}

impl RecordedEvent {
    pub fn category(&self) -> &str {
        category_of(&self.stream_id)
    }
}

/// The category of a stream: its id up to the first `-` (`participation` for
/// `participation-8f3e…`), or the whole id if it has none.
pub fn category_of(stream_id: &str) -> &str {
    stream_id.split_once('-').map_or(stream_id, |(category, _)| category)
}

/// A request, or a part of one, that breaks the rules of the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("an append needs at least one event")]
    EmptyAppend,
    #[error("{count} events in one append; at most {max} are allowed")]
    TooManyEvents { count: usize, max: usize },
    #[error("{count} streams in one append; at most {max} are allowed")]
    TooManyStreams { count: usize, max: usize },
    #[error("stream `{stream_id}` appears twice in one append")]
    StreamTwice { stream_id: String },
    #[error("the stream id is empty")]
    EmptyStreamId,
    #[error("the stream id is {bytes} bytes long; at most {max} are allowed")]
    StreamIdTooLong { bytes: usize, max: usize },
    #[error(
        "stream id `{stream_id}` may hold only letters, digits and `-_.:`, and must start with a letter or digit"
    )]
    StreamIdInvalid { stream_id: String },
    #[error("expected version {version} is negative")]
    NegativeExpectedVersion { version: i64 },
    #[error(
        "event type `{event_type}` must be 1 to {max} letters, digits, `_` or `.`, starting with a letter"
    )]
    EventTypeInvalid { event_type: String, max: usize },
    #[error("schema version {version} must be 1 or more")]
    SchemaVersionInvalid { version: i32 },
    #[error("the payload is {bytes} bytes; at most {max} are allowed")]
    PayloadTooLarge { bytes: usize, max: usize },
    #[error("the payload is not a JSON object: {detail}")]
    PayloadNotJsonObject { detail: String },
    #[error("the payload holds a floating-point number at `{path}`; use integers or strings")]
    PayloadHasFloat { path: String },
    #[error("the payload nests deeper than {max} levels")]
    PayloadTooDeep { max: usize },
    #[error("{field} is empty")]
    EmptyField { field: &'static str },
    #[error("{field} is {bytes} bytes long; at most {max} are allowed")]
    FieldTooLong { field: &'static str, bytes: usize, max: usize },
    #[error("{field} holds a control character")]
    ControlCharacter { field: &'static str },
    #[error("`{text}` is not a source: use ui, cli, api, import, system or migration")]
    UnknownSource { text: String },
    #[error("the request digest must be 64 lower-case hex characters")]
    DigestInvalid,
}

fn validate_digest(digest: &str) -> Result<(), InputError> {
    let is_hex = digest.bytes().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'));
    if digest.len() != 64 || !is_hex {
        return Err(InputError::DigestInvalid);
    }
    Ok(())
}

fn validate_metadata(metadata: &Metadata) -> Result<(), InputError> {
    validate_name("actor", &metadata.actor)?;
    validate_name("role", &metadata.role)?;
    validate_name("organisation", &metadata.organisation)
}

/// Checks a stream id: 1 to [`limits::STREAM_ID_BYTES_MAX`] bytes of `[A-Za-z0-9-_.:]`,
/// starting with a letter or digit.
pub fn validate_stream_id(stream_id: &str) -> Result<(), InputError> {
    if stream_id.is_empty() {
        return Err(InputError::EmptyStreamId);
    }
    if stream_id.len() > limits::STREAM_ID_BYTES_MAX {
        let bytes = stream_id.len();
        return Err(InputError::StreamIdTooLong { bytes, max: limits::STREAM_ID_BYTES_MAX });
    }
    let allowed =
        |byte: u8| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b':');
    let starts_well = stream_id.as_bytes()[0].is_ascii_alphanumeric();
    if !starts_well || !stream_id.bytes().all(allowed) {
        return Err(InputError::StreamIdInvalid { stream_id: stream_id.to_owned() });
    }
    Ok(())
}

fn validate_event(event: &NewEvent) -> Result<(), InputError> {
    let type_ok = !event.event_type.is_empty()
        && event.event_type.len() <= limits::EVENT_TYPE_BYTES_MAX
        && event.event_type.as_bytes()[0].is_ascii_alphabetic()
        && event
            .event_type
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'.');
    if !type_ok {
        let event_type = event.event_type.clone();
        return Err(InputError::EventTypeInvalid { event_type, max: limits::EVENT_TYPE_BYTES_MAX });
    }
    if event.schema_version < 1 {
        return Err(InputError::SchemaVersionInvalid { version: event.schema_version });
    }
    if let Some(facility) = &event.facility {
        validate_name("facility", facility)?;
    }
    if let Some(reason) = &event.reason {
        validate_text("reason", reason, limits::REASON_BYTES_MAX)?;
    }
    if let Some(document_ref) = &event.document_ref {
        validate_name_with_max("document reference", document_ref, limits::DOCUMENT_REF_BYTES_MAX)?;
    }
    validate_payload(&event.payload)
}

fn validate_name(field: &'static str, value: &str) -> Result<(), InputError> {
    validate_name_with_max(field, value, limits::NAME_BYTES_MAX)
}

fn validate_name_with_max(field: &'static str, value: &str, max: usize) -> Result<(), InputError> {
    validate_text(field, value, max)?;
    if value.contains(['\n', '\t']) {
        return Err(InputError::ControlCharacter { field });
    }
    Ok(())
}

fn validate_text(field: &'static str, value: &str, max: usize) -> Result<(), InputError> {
    if value.trim().is_empty() {
        return Err(InputError::EmptyField { field });
    }
    if value.len() > max {
        return Err(InputError::FieldTooLong { field, bytes: value.len(), max });
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(InputError::ControlCharacter { field });
    }
    Ok(())
}

/// Checks a payload: a JSON object of at most [`limits::PAYLOAD_BYTES_MAX`] bytes, nested at
/// most [`limits::PAYLOAD_DEPTH_MAX`] deep, with no floating-point numbers (their text form
/// is not stable across encoders, and money is integer rupiah).
pub fn validate_payload(payload: &str) -> Result<(), InputError> {
    if payload.len() > limits::PAYLOAD_BYTES_MAX {
        let bytes = payload.len();
        return Err(InputError::PayloadTooLarge { bytes, max: limits::PAYLOAD_BYTES_MAX });
    }
    let value: serde_json::Value = serde_json::from_str(payload)
        .map_err(|error| InputError::PayloadNotJsonObject { detail: error.to_string() })?;
    if !value.is_object() {
        let detail = "the top level must be an object".to_owned();
        return Err(InputError::PayloadNotJsonObject { detail });
    }
    check_json_value(&value, "$", 1)
}

fn check_json_value(value: &serde_json::Value, path: &str, depth: usize) -> Result<(), InputError> {
    use serde_json::Value;
    if depth > limits::PAYLOAD_DEPTH_MAX {
        return Err(InputError::PayloadTooDeep { max: limits::PAYLOAD_DEPTH_MAX });
    }
    match value {
        Value::Number(number) if number.is_f64() => {
            Err(InputError::PayloadHasFloat { path: path.to_owned() })
        }
        Value::Array(items) => items.iter().enumerate().try_for_each(|(index, item)| {
            check_json_value(item, &format!("{path}[{index}]"), depth + 1)
        }),
        Value::Object(fields) => fields.iter().try_for_each(|(key, item)| {
            check_json_value(item, &format!("{path}.{key}"), depth + 1)
        }),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests;
