//! Events of a person stream (`person-{ref}`): custody facts imported from SDP or recorded by
//! staff, follow-up after release, the change-of-circumstances inbox, and the links to the
//! person's participations. No names, no national ids, no offence detail: only coarse codes.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::catalogue::participation::PersonAttributes;
use crate::time::Timestamp;
use crate::vocabulary::{
    CaseSource, EmploymentStatus, LegalStatus, OffenceGroup, RegisterClass, ReleaseType,
    RevocationReason,
};

/// Where an imported fact came from: the SDP extract and its row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SdpSource {
    /// When the extract was taken, in UTC. Lateness of imported facts is measured from here.
    pub extract_at: Timestamp,
    pub row_ref: String,
}

/// A custody episode (one *nomor register*) began.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustodyEpisodeRecorded {
    pub person_ref: String,
    pub episode_ref: String,
    pub facility: String,
    pub admitted_on: NaiveDate,
    pub legal_status: LegalStatus,
    pub register_class: Option<RegisterClass>,
    pub attributes: PersonAttributes,
    pub sdp: Option<SdpSource>,
}

/// The person's legal status changed, e.g. *tahanan* to *narapidana* on a final judgment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalStatusChanged {
    pub person_ref: String,
    pub legal_status: LegalStatus,
    pub changed_on: NaiveDate,
    pub sentence_months: Option<u32>,
    pub offence_group: Option<OffenceGroup>,
    pub sdp: Option<SdpSource>,
}

/// Sentence dates as SDP computes them (start, expiry, and the fractions rules refer to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentenceDatesUpdated {
    pub person_ref: String,
    pub sentence_start: NaiveDate,
    pub expiry_date: NaiveDate,
    pub sdp: Option<SdpSource>,
}

/// A disciplinary sanction (*hukuman disiplin*); no detail text, only its period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisciplinarySanctionRecorded {
    pub person_ref: String,
    pub sanction_id: Uuid,
    pub imposed_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub sdp: Option<SdpSource>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonTransferred {
    pub person_ref: String,
    pub from_facility: String,
    pub to_facility: String,
    pub transferred_on: NaiveDate,
    pub sdp: Option<SdpSource>,
}

/// The person was released from custody: the recidivism index date for a *narapidana*.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonReleased {
    pub person_ref: String,
    pub facility: String,
    pub release_type: ReleaseType,
    pub released_on: NaiveDate,
    /// Legal status at release: pre-trial releases are not in the recidivism cohort.
    pub legal_status: LegalStatus,
    pub sdp: Option<SdpSource>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonDied {
    pub person_ref: String,
    pub died_on: NaiveDate,
    pub sdp: Option<SdpSource>,
}

/// Parole or conditional leave was revoked and the person returned to custody.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationRevoked {
    pub person_ref: String,
    pub revoked_on: NaiveDate,
    pub reason: RevocationReason,
    pub sdp: Option<SdpSource>,
}

/// A new case: an offence after release, with the dates recidivism counting needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCaseRecorded {
    pub person_ref: String,
    pub case_id: Uuid,
    pub offence_date: NaiveDate,
    pub arrest_date: Option<NaiveDate>,
    pub conviction_date: Option<NaiveDate>,
    pub readmission_date: Option<NaiveDate>,
    pub offence_group: Option<OffenceGroup>,
    pub source: CaseSource,
    pub sdp: Option<SdpSource>,
}

/// A follow-up contact after release (*PK Bapas*, training office).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpContactRecorded {
    pub person_ref: String,
    pub contact_id: Uuid,
    pub contacted_on: NaiveDate,
    pub employment_status: EmploymentStatus,
    pub uses_trained_skill: bool,
    pub uses_grant: Option<bool>,
}

/// Two person records turned out to be one person; this stream survives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonRecordsMerged {
    pub person_ref: String,
    pub merged_ref: String,
}

/// This person record was merged into another; later facts go there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonMergedInto {
    pub person_ref: String,
    pub surviving_ref: String,
}

/// A participation for this person was opened (the person's side of a nomination).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipationOpened {
    pub person_ref: String,
    pub participation_id: Uuid,
    pub package_id: Uuid,
}

/// A custody change touched the person's participations or grants: a task for facility staff
/// in the change-of-circumstances inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeOfCircumstanceRaised {
    pub person_ref: String,
    pub task_id: Uuid,
    pub facility: String,
    /// The fact that raised it: `released`, `transferred`, `died`.
    pub trigger: String,
    pub trigger_event_id: Uuid,
    pub affected_participations: Vec<Uuid>,
    /// What the system did: `participation_ended`, `participation_withdrawn`,
    /// `grant_handover_deferred`, …
    pub actions_taken: Vec<String>,
}

/// Facility staff acknowledged a change-of-circumstances task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeOfCircumstanceAcknowledged {
    pub person_ref: String,
    pub task_id: Uuid,
}

/// The person's personal data was erased: their key destroyed; the log keeps only the ref.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalDataErased {
    pub person_ref: String,
    pub legal_basis: String,
}
