//! Commands: what a user asks for, before the rules decide.
//!
//! A command arrives as one JSON object: the envelope fields `command_id` (the idempotency key),
//! optionally `occurred_at`, `reason` and `document_ref`, the `type` that names the command,
//! and the command's own fields. Unknown commands, unknown fields and wrong types are refused
//! with a [`CommandError`] that names them. `docs/commands.md` has an example of each.

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::catalogue::{GrantItem, SdpSource};
use crate::time::Timestamp;
use crate::vocabulary::*;

/// A command with its envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommandEnvelope {
    pub command_id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_ref: Option<String>,
    #[serde(flatten)]
    pub command: Command,
}

/// Why a command could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("not a JSON object: {detail}")]
    NotJson { detail: String },
    #[error("`{field}` is missing")]
    MissingField { field: &'static str },
    #[error("`{field}` is not valid: {detail}")]
    InvalidField { field: &'static str, detail: String },
    #[error("unknown command `{name}`")]
    UnknownCommand { name: String },
    #[error("{command}: {detail}")]
    InvalidCommand { command: String, detail: String },
}

impl CommandError {
    /// A stable code for the kind of error.
    pub fn code(&self) -> &'static str {
        match self {
            CommandError::NotJson { .. } => "not_json",
            CommandError::MissingField { .. } => "missing_field",
            CommandError::InvalidField { .. } => "invalid_field",
            CommandError::UnknownCommand { .. } => "unknown_command",
            CommandError::InvalidCommand { .. } => "invalid_command",
        }
    }
}

impl CommandEnvelope {
    /// Reads one command from its JSON text.
    pub fn from_json(text: &str) -> Result<CommandEnvelope, CommandError> {
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|error| CommandError::NotJson { detail: error.to_string() })?;
        CommandEnvelope::from_value(value)
    }

    pub fn from_value(value: serde_json::Value) -> Result<CommandEnvelope, CommandError> {
        let serde_json::Value::Object(mut fields) = value else {
            return Err(CommandError::NotJson { detail: "expected an object".to_owned() });
        };
        let command_id = match fields.remove("command_id") {
            None => return Err(CommandError::MissingField { field: "command_id" }),
            Some(serde_json::Value::String(text)) => Uuid::parse_str(&text).map_err(|error| {
                CommandError::InvalidField { field: "command_id", detail: error.to_string() }
            })?,
            Some(_) => return Err(invalid("command_id", "expected a UUID string")),
        };
        let occurred_at = match take_text(&mut fields, "occurred_at")? {
            None => None,
            Some(text) => {
                Some(Timestamp::parse(&text).map_err(|error| invalid("occurred_at", error))?)
            }
        };
        let reason = take_text(&mut fields, "reason")?;
        let document_ref = take_text(&mut fields, "document_ref")?;
        let name = match fields.get("type") {
            None => return Err(CommandError::MissingField { field: "type" }),
            Some(serde_json::Value::String(name)) => name.clone(),
            Some(_) => return Err(invalid("type", "expected a string")),
        };
        if !Command::NAMES.contains(&name.as_str()) {
            return Err(CommandError::UnknownCommand { name });
        }
        let command =
            serde_json::from_value(serde_json::Value::Object(fields)).map_err(|error| {
                CommandError::InvalidCommand { command: name, detail: error.to_string() }
            })?;
        Ok(CommandEnvelope { command_id, occurred_at, reason, document_ref, command })
    }

    /// SHA-256 over the command as given: the same JSON retried gives the same digest.
    pub fn digest(&self) -> String {
        let text = serde_json::to_string(self).expect("commands serialise");
        hex::encode(Sha256::digest(text.as_bytes()))
    }
}

fn invalid(field: &'static str, detail: impl std::fmt::Display) -> CommandError {
    CommandError::InvalidField { field, detail: detail.to_string() }
}

fn take_text(
    fields: &mut serde_json::Map<String, serde_json::Value>,
    field: &'static str,
) -> Result<Option<String>, CommandError> {
    match fields.remove(field) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(invalid(field, "expected a string")),
    }
}

macro_rules! commands {
    ($( $variant:ident ( $name:literal ) ),+ $(,)?) => {
        /// Every command of the programme.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "type")]
        pub enum Command {
            $( #[serde(rename = $name)] $variant($variant) ),+
        }

        impl Command {
            /// The `type` of every command.
            pub const NAMES: &'static [&'static str] = &[$($name),+];

            pub fn name(&self) -> &'static str {
                match self { $( Command::$variant(_) => $name ),+ }
            }
        }
    };
}

commands! {
    RegisterOrganisation("register_organisation"),
    DefinePackage("define_package"),
    AmendPackage("amend_package"),
    ScheduleSession("schedule_session"),
    CancelSession("cancel_session"),
    StartPackage("start_package"),
    ClosePackage("close_package"),
    CancelPackage("cancel_package"),
    NominateInmate("nominate_inmate"),
    RegisterPublicApplicant("register_public_applicant"),
    AssessEligibility("assess_eligibility"),
    RequestEligibilityOverride("request_eligibility_override"),
    ApproveEligibilityOverride("approve_eligibility_override"),
    ApproveNomination("approve_nomination"),
    RejectNomination("reject_nomination"),
    AcceptParticipant("accept_participant"),
    WithdrawParticipant("withdraw_participant"),
    StartParticipation("start_participation"),
    RecordAttendance("record_attendance"),
    SuspendParticipation("suspend_participation"),
    ResumeParticipation("resume_participation"),
    EndParticipation("end_participation"),
    CompleteTraining("complete_training"),
    AssessCompetency("assess_competency"),
    GraduateParticipant("graduate_participant"),
    IssueCertificate("issue_certificate"),
    ProposeGrant("propose_grant"),
    ApproveGrant("approve_grant"),
    RejectGrant("reject_grant"),
    DeferGrantHandover("defer_grant_handover"),
    HandOverGrant("hand_over_grant"),
    CancelGrant("cancel_grant"),
    RecordGrantMonitoring("record_grant_monitoring"),
    RecoverGrant("recover_grant"),
    RecordCustodyEpisode("record_custody_episode"),
    ChangeLegalStatus("change_legal_status"),
    UpdateSentenceDates("update_sentence_dates"),
    RecordDisciplinarySanction("record_disciplinary_sanction"),
    RecordTransfer("record_transfer"),
    RecordRelease("record_release"),
    RecordDeath("record_death"),
    RecordRevocation("record_revocation"),
    RecordNewCase("record_new_case"),
    RecordFollowUp("record_follow_up"),
    MergePersonRecords("merge_person_records"),
    AcknowledgeChange("acknowledge_change"),
    ErasePersonalData("erase_personal_data"),
    CorrectEvent("correct_event"),
    ApproveCorrection("approve_correction"),
    RejectCorrection("reject_correction"),
}

macro_rules! command_struct {
    ($(#[$meta:meta])* $name:ident { $( $(#[$field_meta:meta])* $field:ident : $ty:ty ),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $( $(#[$field_meta])* pub $field: $ty ),*
        }
    };
}

command_struct!(
    /// Adds an organisation to the registry (setup; role `system`).
    RegisterOrganisation { code: String, name: String, kind: OrganisationKind, time_zone: TimeZone,
        #[serde(default)] parent: Option<String> }
);
command_struct!(
    /// Defines a training package.
    DefinePackage {
        package_id: Uuid,
        title: String,
        provider: String,
        skill: String,
        #[serde(default)] skkni_units: Vec<String>,
        venue_type: VenueType,
        location: String,
        #[serde(default)] facilities: Vec<String>,
        planned_hours: u32,
        start_date: NaiveDate,
        end_date: NaiveDate,
        quota_total: u32,
        #[serde(default)] quota_inmates: Option<u32>,
        #[serde(default)] attendance_threshold_percent: Option<u8>,
        funding_source: String,
        #[serde(default)] grant_policy: Option<GrantPolicy>,
    }
);
command_struct!(
    /// Amends a package; `reason` is required.
    AmendPackage {
        package_id: Uuid,
        #[serde(default)] title: Option<String>,
        #[serde(default)] location: Option<String>,
        #[serde(default)] planned_hours: Option<u32>,
        #[serde(default)] start_date: Option<NaiveDate>,
        #[serde(default)] end_date: Option<NaiveDate>,
        #[serde(default)] quota_total: Option<u32>,
        #[serde(default)] quota_inmates: Option<u32>,
        #[serde(default)] attendance_threshold_percent: Option<u8>,
        #[serde(default)] funding_source: Option<String>,
    }
);
command_struct!(ScheduleSession {
    package_id: Uuid,
    session_id: Uuid,
    date: NaiveDate,
    start_time: NaiveTime,
    end_time: NaiveTime,
    hours: u32
});
command_struct!(CancelSession { package_id: Uuid, session_id: Uuid });
command_struct!(StartPackage { package_id: Uuid, #[serde(default)] started_on: Option<NaiveDate> });
command_struct!(ClosePackage { package_id: Uuid, #[serde(default)] closed_on: Option<NaiveDate> });
command_struct!(CancelPackage { package_id: Uuid, #[serde(default)] cancelled_on: Option<NaiveDate> });
command_struct!(
    /// Nominates an inmate: legal status, episode and attributes come from the person's stream.
    NominateInmate { package_id: Uuid, person_ref: String }
);
command_struct!(
    RegisterPublicApplicant {
        package_id: Uuid,
        person_ref: String,
        desa_code: String,
        kecamatan_code: String,
        #[serde(default)] sex: Option<Sex>,
        #[serde(default)] age_band: Option<AgeBand>,
    }
);
command_struct!(
    AssessEligibility {
        participation_id: Uuid,
        #[serde(default)] assessed_on: Option<NaiveDate>,
        #[serde(default)] sppn_score: Option<u32>,
        #[serde(default)] litmas_ref: Option<String>,
    }
);
command_struct!(RequestEligibilityOverride { participation_id: Uuid, request_id: Uuid });
command_struct!(ApproveEligibilityOverride { participation_id: Uuid, request_id: Uuid });
command_struct!(
    /// Records the review board's approval; `document_ref` (the TPP minutes) is required.
    ApproveNomination { participation_id: Uuid, tpp_session_date: NaiveDate }
);
command_struct!(RejectNomination {
    participation_id: Uuid,
    reason_code: NominationRejectionReason
});
command_struct!(AcceptParticipant { participation_id: Uuid, #[serde(default)] accepted_on: Option<NaiveDate> });
command_struct!(WithdrawParticipant { participation_id: Uuid, reason_code: WithdrawalReason });
command_struct!(StartParticipation { participation_id: Uuid, #[serde(default)] started_on: Option<NaiveDate> });
command_struct!(RecordAttendance { participation_id: Uuid, session_id: Uuid, code: AttendanceCode, #[serde(default)] minutes_late: Option<u32> });
command_struct!(SuspendParticipation { participation_id: Uuid, reason_code: SuspensionReason, #[serde(default)] suspended_on: Option<NaiveDate> });
command_struct!(ResumeParticipation { participation_id: Uuid, #[serde(default)] resumed_on: Option<NaiveDate> });
command_struct!(EndParticipation { participation_id: Uuid, reason_code: EndReason, #[serde(default)] ended_on: Option<NaiveDate> });
command_struct!(CompleteTraining { participation_id: Uuid, #[serde(default)] completed_on: Option<NaiveDate> });
command_struct!(
    AssessCompetency {
        participation_id: Uuid,
        assessment_id: Uuid,
        lsp: String,
        #[serde(default)] units: Vec<String>,
        result: CompetencyResult,
        #[serde(default)] assessed_on: Option<NaiveDate>,
    }
);
command_struct!(GraduateParticipant { participation_id: Uuid, #[serde(default)] graduated_on: Option<NaiveDate> });
command_struct!(
    IssueCertificate {
        participation_id: Uuid,
        certificate_type: CertificateType,
        number: String,
        issuer: String,
        #[serde(default)] issued_on: Option<NaiveDate>,
        #[serde(default)] valid_until: Option<NaiveDate>,
    }
);
command_struct!(
    /// Proposes a grant. Rupiah are integers; negative amounts are refused by the rules.
    ProposeGrant {
        participation_id: Uuid,
        items: Vec<GrantItemInput>,
        capital_rupiah: i64,
        funding_source: String,
        budget_line: String,
    }
);
command_struct!(
    /// One line of equipment as proposed.
    GrantItemInput { name: String, quantity: i64, unit_value_rupiah: i64 }
);
command_struct!(ApproveGrant { grant_id: Uuid });
command_struct!(RejectGrant { grant_id: Uuid });
command_struct!(DeferGrantHandover { grant_id: Uuid, reason_code: DeferralReason, #[serde(default)] storage_ref: Option<String> });
command_struct!(
    /// Records the handover; `document_ref` is the BAST number and is required.
    HandOverGrant {
        grant_id: Uuid,
        #[serde(default)] handed_over_on: Option<NaiveDate>,
        place: String,
        recipient: RecipientKind,
        #[serde(default)] authority_ref: Option<String>,
    }
);
command_struct!(CancelGrant { grant_id: Uuid });
command_struct!(RecordGrantMonitoring { grant_id: Uuid, visit_id: Uuid, business_status: BusinessStatus, #[serde(default)] visited_on: Option<NaiveDate> });
command_struct!(RecoverGrant { grant_id: Uuid, amount_rupiah: i64, #[serde(default)] recovered_on: Option<NaiveDate> });
command_struct!(
    RecordCustodyEpisode {
        person_ref: String,
        episode_ref: String,
        facility: String,
        admitted_on: NaiveDate,
        legal_status: LegalStatus,
        #[serde(default)] register_class: Option<RegisterClass>,
        #[serde(default)] sex: Option<Sex>,
        #[serde(default)] age_band: Option<AgeBand>,
        #[serde(default)] offence_group: Option<OffenceGroup>,
        #[serde(default)] sentence_band: Option<SentenceBand>,
        #[serde(default)] sdp: Option<SdpSource>,
    }
);
command_struct!(
    ChangeLegalStatus {
        person_ref: String,
        legal_status: LegalStatus,
        changed_on: NaiveDate,
        #[serde(default)] sentence_months: Option<u32>,
        #[serde(default)] offence_group: Option<OffenceGroup>,
        #[serde(default)] sdp: Option<SdpSource>,
    }
);
command_struct!(UpdateSentenceDates { person_ref: String, sentence_start: NaiveDate, expiry_date: NaiveDate, #[serde(default)] sdp: Option<SdpSource> });
command_struct!(RecordDisciplinarySanction { person_ref: String, sanction_id: Uuid, imposed_on: NaiveDate, ends_on: NaiveDate, #[serde(default)] sdp: Option<SdpSource> });
command_struct!(RecordTransfer { person_ref: String, to_facility: String, transferred_on: NaiveDate, #[serde(default)] sdp: Option<SdpSource> });
command_struct!(RecordRelease { person_ref: String, release_type: ReleaseType, released_on: NaiveDate, #[serde(default)] sdp: Option<SdpSource> });
command_struct!(RecordDeath { person_ref: String, died_on: NaiveDate, #[serde(default)] sdp: Option<SdpSource> });
command_struct!(RecordRevocation { person_ref: String, revoked_on: NaiveDate, reason_code: RevocationReason, #[serde(default)] sdp: Option<SdpSource> });
command_struct!(
    RecordNewCase {
        person_ref: String,
        case_id: Uuid,
        offence_date: NaiveDate,
        #[serde(default)] arrest_date: Option<NaiveDate>,
        #[serde(default)] conviction_date: Option<NaiveDate>,
        #[serde(default)] readmission_date: Option<NaiveDate>,
        #[serde(default)] offence_group: Option<OffenceGroup>,
        source: CaseSource,
        #[serde(default)] sdp: Option<SdpSource>,
    }
);
command_struct!(
    RecordFollowUp {
        person_ref: String,
        contact_id: Uuid,
        contacted_on: NaiveDate,
        employment_status: EmploymentStatus,
        uses_trained_skill: bool,
        #[serde(default)] uses_grant: Option<bool>,
    }
);
command_struct!(MergePersonRecords { person_ref: String, merged_ref: String });
command_struct!(AcknowledgeChange { person_ref: String, task_id: Uuid });
command_struct!(
    /// Records that a person's personal data was erased (the vault destroys their key); the
    /// `reason` is the legal basis.
    ErasePersonalData { person_ref: String }
);
command_struct!(
    /// Reverses an event of a stream; `reason` is required. A late one becomes a request.
    CorrectEvent { stream_id: String, event_id: Uuid, request_id: Uuid }
);
command_struct!(ApproveCorrection { stream_id: String, request_id: Uuid });
command_struct!(RejectCorrection { stream_id: String, request_id: Uuid });

impl Command {
    /// The business date the command states, which becomes the events' `occurred_at` when the
    /// envelope gives none.
    pub fn business_date(&self) -> Option<NaiveDate> {
        match self {
            Command::StartPackage(c) => c.started_on,
            Command::ClosePackage(c) => c.closed_on,
            Command::CancelPackage(c) => c.cancelled_on,
            Command::AssessEligibility(c) => c.assessed_on,
            Command::ApproveNomination(c) => Some(c.tpp_session_date),
            Command::AcceptParticipant(c) => c.accepted_on,
            Command::StartParticipation(c) => c.started_on,
            Command::SuspendParticipation(c) => c.suspended_on,
            Command::ResumeParticipation(c) => c.resumed_on,
            Command::EndParticipation(c) => c.ended_on,
            Command::CompleteTraining(c) => c.completed_on,
            Command::AssessCompetency(c) => c.assessed_on,
            Command::GraduateParticipant(c) => c.graduated_on,
            Command::IssueCertificate(c) => c.issued_on,
            Command::HandOverGrant(c) => c.handed_over_on,
            Command::RecordGrantMonitoring(c) => c.visited_on,
            Command::RecoverGrant(c) => c.recovered_on,
            Command::RecordCustodyEpisode(c) => Some(c.admitted_on),
            Command::ChangeLegalStatus(c) => Some(c.changed_on),
            Command::RecordDisciplinarySanction(c) => Some(c.imposed_on),
            Command::RecordTransfer(c) => Some(c.transferred_on),
            Command::RecordRelease(c) => Some(c.released_on),
            Command::RecordDeath(c) => Some(c.died_on),
            Command::RecordRevocation(c) => Some(c.revoked_on),
            Command::RecordNewCase(c) => {
                let known = [c.arrest_date, c.conviction_date, c.readmission_date];
                Some(known.into_iter().flatten().fold(c.offence_date, NaiveDate::max))
            }
            Command::RecordFollowUp(c) => Some(c.contacted_on),
            _ => None,
        }
    }

    /// The SDP extract a command was imported from, if any: its lateness is measured from the
    /// extract, not from the fact's date.
    pub fn sdp_source(&self) -> Option<&SdpSource> {
        match self {
            Command::RecordCustodyEpisode(c) => c.sdp.as_ref(),
            Command::ChangeLegalStatus(c) => c.sdp.as_ref(),
            Command::UpdateSentenceDates(c) => c.sdp.as_ref(),
            Command::RecordDisciplinarySanction(c) => c.sdp.as_ref(),
            Command::RecordTransfer(c) => c.sdp.as_ref(),
            Command::RecordRelease(c) => c.sdp.as_ref(),
            Command::RecordDeath(c) => c.sdp.as_ref(),
            Command::RecordRevocation(c) => c.sdp.as_ref(),
            Command::RecordNewCase(c) => c.sdp.as_ref(),
            _ => None,
        }
    }
}

impl GrantItemInput {
    pub fn to_item(&self, quantity: u32, unit_value_rupiah: u64) -> GrantItem {
        GrantItem { name: self.name.clone(), quantity, unit_value_rupiah }
    }
}
