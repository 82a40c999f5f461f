//! The typed events of the programme, and how they are read back from the log.
//!
//! Each event type has a stable name (`event_type` in the log), a schema version and a payload
//! struct whose JSON form is pinned by a golden file in `events/testdata/golden/`. Reading an
//! event back never panics: an unknown type, an unsupported version or a malformed payload is a
//! [`DecodeError`] that the shell reports with the event's position.

use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A payload type of the catalogue.
pub trait Payload: Serialize + DeserializeOwned {
    /// The name stored in the log's `event_type` column.
    const EVENT_TYPE: &'static str;
    /// The version of the payload's shape that this struct reads and writes.
    const SCHEMA_VERSION: i32;
}

/// Why a stored event could not be read as a typed event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown event type `{event_type}`")]
    UnknownType { event_type: String },
    #[error("{event_type} has schema version {version}, which this build cannot read")]
    UnsupportedVersion { event_type: String, version: i32 },
    #[error("{event_type} payload is malformed: {detail}")]
    Malformed { event_type: String, detail: String },
}

/// Where a training package takes place; decides which eligibility rules apply to inmates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VenueType {
    /// Inside the facility: ordinary *pembinaan kemandirian*.
    InFacility,
    /// At a training centre (BLK): outside the walls, so *asimilasi* for inmates.
    TrainingCentre,
    /// In a village hall: outside the walls, so *asimilasi* for inmates.
    Village,
}

/// A training package (*paket pelatihan*) was defined by the training office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageDefined {
    pub package_id: Uuid,
    pub title: String,
    pub provider: String,
    pub skill: String,
    pub venue_type: VenueType,
    pub location: String,
    pub planned_hours: u32,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub quota_total: u32,
    pub quota_inmates: Option<u32>,
    pub attendance_threshold_percent: u8,
    pub funding_source: String,
}

impl Payload for PackageDefined {
    const EVENT_TYPE: &'static str = "PackageDefined";
    const SCHEMA_VERSION: i32 = 1;
}

/// An inmate was nominated (*diusulkan*) for a package by facility staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParticipantNominated {
    pub participation_id: Uuid,
    pub package_id: Uuid,
    pub person_ref: String,
    pub custody_episode_ref: String,
}

impl Payload for ParticipantNominated {
    const EVENT_TYPE: &'static str = "ParticipantNominated";
    const SCHEMA_VERSION: i32 = 1;
}

/// Every event of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    PackageDefined(PackageDefined),
    ParticipantNominated(ParticipantNominated),
}

impl Event {
    pub fn event_type(&self) -> &'static str {
        match self {
            Event::PackageDefined(_) => PackageDefined::EVENT_TYPE,
            Event::ParticipantNominated(_) => ParticipantNominated::EVENT_TYPE,
        }
    }

    pub fn schema_version(&self) -> i32 {
        match self {
            Event::PackageDefined(_) => PackageDefined::SCHEMA_VERSION,
            Event::ParticipantNominated(_) => ParticipantNominated::SCHEMA_VERSION,
        }
    }

    /// The payload text to store: compact JSON, fields in declaration order.
    pub fn to_payload(&self) -> String {
        let encoded = match self {
            Event::PackageDefined(payload) => serde_json::to_string(payload),
            Event::ParticipantNominated(payload) => serde_json::to_string(payload),
        };
        encoded.expect("catalogue payloads have string keys and no floats")
    }

    /// Reads a stored event back.
    pub fn decode(
        event_type: &str,
        schema_version: i32,
        payload: &str,
    ) -> Result<Event, DecodeError> {
        match event_type {
            PackageDefined::EVENT_TYPE => {
                decode_as(schema_version, payload).map(Event::PackageDefined)
            }
            ParticipantNominated::EVENT_TYPE => {
                decode_as(schema_version, payload).map(Event::ParticipantNominated)
            }
            _ => Err(DecodeError::UnknownType { event_type: event_type.to_owned() }),
        }
    }
}

fn decode_as<P: Payload>(schema_version: i32, payload: &str) -> Result<P, DecodeError> {
    if schema_version != P::SCHEMA_VERSION {
        let event_type = P::EVENT_TYPE.to_owned();
        return Err(DecodeError::UnsupportedVersion { event_type, version: schema_version });
    }
    serde_json::from_str(payload).map_err(|error| DecodeError::Malformed {
        event_type: P::EVENT_TYPE.to_owned(),
        detail: error.to_string(),
    })
}
