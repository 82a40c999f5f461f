//! The typed events of the programme, and how they are read back from the log.
//!
//! Each event type has a stable name (`event_type` in the log), a schema version and a payload
//! struct whose JSON form is pinned by a golden file in `events/testdata/golden/`. Reading an
//! event back never panics: an unknown type, an unsupported version or a malformed payload is a
//! [`DecodeError`] that the shell reports with the event's position. Payloads of an older
//! schema version are upcast to the current one first (`upcast.rs`).

pub mod correction;
pub mod grant;
pub mod package;
pub mod participation;
pub mod person;
pub mod registry;
mod upcast;

use serde::de::DeserializeOwned;

pub use correction::*;
pub use grant::*;
pub use package::*;
pub use participation::*;
pub use person::*;
pub use registry::*;

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

macro_rules! catalogue {
    ($( $name:ident = $version:literal ),+ $(,)?) => {
        /// Every event of the catalogue.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Event {
            $( $name($name) ),+
        }

        impl Event {
            /// Every event type with its current schema version.
            pub const TYPES: &'static [(&'static str, i32)] = &[$( (stringify!($name), $version) ),+];

            pub fn event_type(&self) -> &'static str {
                match self { $( Event::$name(_) => stringify!($name) ),+ }
            }

            pub fn schema_version(&self) -> i32 {
                match self { $( Event::$name(_) => $version ),+ }
            }

            /// The payload text to store: compact JSON, fields in declaration order.
            pub fn to_payload(&self) -> String {
                let encoded = match self { $( Event::$name(payload) => serde_json::to_string(payload) ),+ };
                encoded.expect("catalogue payloads have string keys and no floats")
            }

            /// Reads a stored event back, upcasting an older schema version.
            pub fn decode(event_type: &str, schema_version: i32, payload: &str) -> Result<Event, DecodeError> {
                match event_type {
                    $( stringify!($name) => {
                        decode_as(stringify!($name), $version, schema_version, payload).map(Event::$name)
                    } )+
                    _ => Err(DecodeError::UnknownType { event_type: event_type.to_owned() }),
                }
            }
        }

        $(
            impl From<$name> for Event {
                fn from(payload: $name) -> Event {
                    Event::$name(payload)
                }
            }
        )+
    };
}

catalogue! {
    OrganisationRegistered = 1,
    PackageDefined = 2,
    PackageAmended = 1,
    SessionScheduled = 1,
    SessionCancelled = 1,
    PackageStarted = 1,
    PackageClosed = 1,
    PackageCancelled = 1,
    PlaceAllocated = 1,
    PlaceReleased = 1,
    WaitlistJoined = 1,
    WaitlistLeft = 1,
    RosterEntryOpened = 1,
    ParticipantNominated = 2,
    PublicApplicantRegistered = 1,
    EligibilityAssessed = 1,
    EligibilityOverrideRequested = 1,
    EligibilityOverrideApproved = 1,
    NominationApproved = 1,
    NominationRejected = 1,
    ParticipantAccepted = 1,
    ParticipantWaitlisted = 1,
    ParticipantWithdrawn = 1,
    ParticipationStarted = 1,
    AttendanceRecorded = 1,
    ParticipationSuspended = 1,
    ParticipationResumed = 1,
    ParticipationEnded = 1,
    TrainingCompleted = 1,
    CompetencyAssessed = 1,
    ParticipantGraduated = 1,
    CertificateIssued = 1,
    GrantProposed = 1,
    GrantApproved = 1,
    GrantRejected = 1,
    GrantHandoverDeferred = 1,
    GrantHandedOver = 1,
    GrantCancelled = 1,
    GrantUseMonitored = 1,
    GrantRecovered = 1,
    CustodyEpisodeRecorded = 1,
    LegalStatusChanged = 1,
    SentenceDatesUpdated = 1,
    DisciplinarySanctionRecorded = 1,
    PersonTransferred = 1,
    PersonReleased = 1,
    PersonDied = 1,
    IntegrationRevoked = 1,
    NewCaseRecorded = 1,
    FollowUpContactRecorded = 1,
    PersonRecordsMerged = 1,
    PersonMergedInto = 1,
    ParticipationOpened = 1,
    ChangeOfCircumstanceRaised = 1,
    ChangeOfCircumstanceAcknowledged = 1,
    PersonalDataErased = 1,
    CorrectionRequested = 1,
    CorrectionRejected = 1,
    EventReversed = 1,
}

fn decode_as<P: DeserializeOwned>(
    event_type: &str,
    current: i32,
    stored: i32,
    payload: &str,
) -> Result<P, DecodeError> {
    let malformed = |error: serde_json::Error| DecodeError::Malformed {
        event_type: event_type.to_owned(),
        detail: error.to_string(),
    };
    if stored == current {
        return serde_json::from_str(payload).map_err(malformed);
    }
    if stored > current || stored < 1 {
        return Err(DecodeError::UnsupportedVersion {
            event_type: event_type.to_owned(),
            version: stored,
        });
    }
    let value: serde_json::Value = serde_json::from_str(payload).map_err(malformed)?;
    let upcast = upcast::to_current(event_type, stored, current, value)?;
    serde_json::from_value(upcast).map_err(malformed)
}
