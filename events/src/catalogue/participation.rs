//! Events of a participation stream (`participation-{id}`): one person in one package, from
//! nomination or registration to graduation, following the state machine of domain.md §(b).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::vocabulary::{
    AgeBand, AttendanceCode, CertificateType, CompetencyResult, EndCategory, EndReason,
    LegalStatus, NominationRejectionReason, OffenceGroup, ParticipantCategory, RegisterClass,
    SentenceBand, Sex, SuspensionReason, WithdrawalReason,
};

/// Coarse, non-identifying attributes reports split by. Any may be unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonAttributes {
    pub sex: Option<Sex>,
    pub age_band: Option<AgeBand>,
    pub offence_group: Option<OffenceGroup>,
    pub sentence_band: Option<SentenceBand>,
}

/// An inmate was nominated (*diusulkan*) by facility staff. The facility is the envelope's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantNominated {
    pub participation_id: Uuid,
    pub package_id: Uuid,
    pub person_ref: String,
    pub custody_episode_ref: String,
    pub category: ParticipantCategory,
    pub legal_status: LegalStatus,
    pub register_class: Option<RegisterClass>,
    pub attributes: PersonAttributes,
}

/// A member of the public registered (*pendaftar umum*). No criminal-record fields exist here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicApplicantRegistered {
    pub participation_id: Uuid,
    pub package_id: Uuid,
    pub person_ref: String,
    pub category: ParticipantCategory,
    /// Kemendagri area codes of the applicant's village and sub-district.
    pub desa_code: String,
    pub kecamatan_code: String,
    pub sex: Option<Sex>,
    pub age_band: Option<AgeBand>,
}

/// The facts an eligibility decision was taken on, as known at the time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EligibilityInputs {
    pub legal_status: Option<LegalStatus>,
    pub offence_group: Option<OffenceGroup>,
    pub sentence_months: Option<u32>,
    pub sentence_start: Option<NaiveDate>,
    pub expiry_date: Option<NaiveDate>,
    /// Days of the sentence served on the assessment date, and the sentence's length in days.
    pub served_days: Option<u32>,
    pub sentence_days: Option<u32>,
    /// The end of the most recent disciplinary sanction, if any.
    pub last_sanction_end: Option<NaiveDate>,
    pub sppn_score: Option<u32>,
    pub litmas_ref: Option<String>,
}

/// One criterion of a rule set and whether it was met.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionResult {
    pub criterion: String,
    pub met: bool,
    pub detail: String,
}

/// Eligibility was assessed (*hasil penilaian syarat*) against a versioned rule set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EligibilityAssessed {
    pub participation_id: Uuid,
    pub assessment_id: Uuid,
    pub rule_set: String,
    pub rule_set_version: u32,
    pub assessed_on: NaiveDate,
    pub inputs: EligibilityInputs,
    pub criteria: Vec<CriterionResult>,
    pub eligible: bool,
}

/// Someone asked that a negative eligibility result be overridden; pending a second person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EligibilityOverrideRequested {
    pub participation_id: Uuid,
    pub request_id: Uuid,
}

/// The head of the facility approved an override: the participant counts as eligible.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EligibilityOverrideApproved {
    pub participation_id: Uuid,
    pub request_id: Uuid,
    pub requested_by: String,
}

/// The review board approved the nomination (*disetujui sidang TPP / Karutan*).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NominationApproved {
    pub participation_id: Uuid,
    pub tpp_session_date: NaiveDate,
    pub nominated_by: String,
}

/// The review board turned the nomination down (*ditolak*).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NominationRejected {
    pub participation_id: Uuid,
    pub reason: NominationRejectionReason,
}

/// The training office accepted the participant within the quota (*diterima*).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantAccepted {
    pub participation_id: Uuid,
    pub accepted_on: NaiveDate,
}

/// The quota was full; the participant waits (*daftar tunggu*) at this position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantWaitlisted {
    pub participation_id: Uuid,
    pub position: u32,
}

/// The participant was withdrawn before the start (*ditarik / mengundurkan diri*).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantWithdrawn {
    pub participation_id: Uuid,
    pub reason: WithdrawalReason,
    pub system_only: bool,
}

/// The participant started (*mulai*).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipationStarted {
    pub participation_id: Uuid,
    pub started_on: NaiveDate,
}

/// One attendance mark (*presensi*) for one session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttendanceRecorded {
    pub participation_id: Uuid,
    pub session_id: Uuid,
    pub session_date: NaiveDate,
    pub code: AttendanceCode,
    pub minutes_late: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipationSuspended {
    pub participation_id: Uuid,
    pub reason: SuspensionReason,
    pub system_only: bool,
    pub suspended_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipationResumed {
    pub participation_id: Uuid,
    pub resumed_on: NaiveDate,
}

/// The participation ended before completion (*berhenti*).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipationEnded {
    pub participation_id: Uuid,
    pub reason: EndReason,
    pub category: EndCategory,
    pub system_only: bool,
    pub ended_on: NaiveDate,
}

/// The training was completed (*selesai pelatihan*) with this attendance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingCompleted {
    pub participation_id: Uuid,
    pub completed_on: NaiveDate,
    pub sessions_attended: u32,
    pub sessions_expected: u32,
    pub hours_attended: u32,
}

/// A competency assessment (*uji kompetensi*) by an assessor of a certification body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompetencyAssessed {
    pub participation_id: Uuid,
    pub assessment_id: Uuid,
    pub lsp: String,
    pub units: Vec<String>,
    pub result: CompetencyResult,
    pub assessed_on: NaiveDate,
}

/// The participant graduated (*lulus*): completed and competent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantGraduated {
    pub participation_id: Uuid,
    pub assessment_id: Uuid,
    pub graduated_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateIssued {
    pub participation_id: Uuid,
    pub certificate_type: CertificateType,
    pub number: String,
    pub issuer: String,
    pub issued_on: NaiveDate,
    pub valid_until: Option<NaiveDate>,
}
