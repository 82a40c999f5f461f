//! A form for every command a person sends (docs/commands.md): its fields, in the order people
//! fill them, and whether it asks "check your answers" before it is sent. The commands only the
//! system sends (registering an organisation, merging person records) have none; forgetting a
//! person, which is the vault's as well as the log's, has its own (`forget`).
//!
//! A field's name is the command's JSON field it fills, except the person (entered as an SDP
//! number, an applicant number, a NIK or a reference) and the grant's items (rows).

use events::vocabulary::*;

/// What a field takes, and how the form shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One line of text of at most this many bytes.
    Text(usize),
    /// Several lines (reasons): at most `events::limits::REASON_BYTES_MAX` bytes.
    LongText,
    Date,
    Time,
    /// A whole number from 0 (hours, places, minutes, scores).
    Count,
    /// Rupiah: digits, with `.` or `,` between thousands if wished.
    Rupiah,
    /// One of the codes of a word list, shown as words.
    Choice(&'static [&'static str]),
    YesNo,
    /// Several values separated by commas.
    List,
    /// A package the user's office runs or their facility takes part in.
    Package,
    /// A participation, among those in one of these states (all when empty).
    Participation(&'static [&'static str]),
    /// A session of the package chosen.
    Session,
    /// A grant, among those in one of these states.
    Grant(&'static [&'static str]),
    /// A person: by SDP number (inmates), applicant number (the public), NIK (for the roles
    /// that may read the vault) or reference.
    Person(Register),
    /// A facility's code.
    Facility,
    /// An id the command makes: derived from the form's command id, never typed.
    NewId,
    /// The equipment of a grant: up to [`ITEM_ROWS`] rows of name, quantity and unit value.
    Items,
}

/// Which register a person's number comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Register {
    Sdp,
    Applicant,
}

/// Rows of equipment a grant form offers.
pub const ITEM_ROWS: usize = 5;

#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
}

const fn req(name: &'static str, kind: Kind) -> Field {
    Field { name, kind, required: true }
}

const fn opt(name: &'static str, kind: Kind) -> Field {
    Field { name, kind, required: false }
}

/// What a form is about, for grouping and for the links that lead to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    Package,
    Participation,
    Grant,
    Person,
    Correction,
}

#[derive(Debug, Clone, Copy)]
pub struct FormSpec {
    pub command: &'static str,
    pub area: Area,
    pub fields: &'static [Field],
    /// Consequential: a "check your answers" page comes before it is sent.
    pub confirm: bool,
}

const fn form(command: &'static str, area: Area, fields: &'static [Field]) -> FormSpec {
    FormSpec { command, area, fields, confirm: false }
}

const fn confirmed(command: &'static str, area: Area, fields: &'static [Field]) -> FormSpec {
    FormSpec { command, area, fields, confirm: true }
}

const DECIDING: &[&str] = &["nominated", "eligible", "not_eligible"];
const TO_ACCEPT: &[&str] = &["approved", "registered", "waitlisted"];
const IN_PROGRAMME: &[&str] =
    &["nominated", "registered", "eligible", "not_eligible", "approved", "accepted", "waitlisted"];
const IN_TRAINING: &[&str] = &["active", "suspended"];
const TRAINED: &[&str] = &["completed", "competent", "not_yet_competent", "graduated"];
const REASON: Field = req("reason", Kind::LongText);
const DOCUMENT: Field = req("document_ref", Kind::Text(256));

/// The forms, by area, in the order a programme runs.
pub const FORMS: &[FormSpec] = &[
    // The package
    form(
        "define_package",
        Area::Package,
        &[
            opt("package_id", Kind::NewId),
            req("title", Kind::Text(200)),
            req("skill", Kind::Text(64)),
            opt("skkni_units", Kind::List),
            req("venue_type", Kind::Choice(VenueType::CODES)),
            req("location", Kind::Text(200)),
            opt("facilities", Kind::List),
            req("start_date", Kind::Date),
            req("end_date", Kind::Date),
            req("planned_hours", Kind::Count),
            req("quota_total", Kind::Count),
            opt("quota_inmates", Kind::Count),
            opt("attendance_threshold_percent", Kind::Count),
            req("funding_source", Kind::Text(200)),
            opt("grant_policy", Kind::Choice(GrantPolicy::CODES)),
            req("provider", Kind::Facility),
        ],
    ),
    form(
        "amend_package",
        Area::Package,
        &[
            req("package_id", Kind::Package),
            opt("title", Kind::Text(200)),
            opt("location", Kind::Text(200)),
            opt("start_date", Kind::Date),
            opt("end_date", Kind::Date),
            opt("planned_hours", Kind::Count),
            opt("quota_total", Kind::Count),
            opt("quota_inmates", Kind::Count),
            opt("attendance_threshold_percent", Kind::Count),
            opt("funding_source", Kind::Text(200)),
            REASON,
        ],
    ),
    form(
        "schedule_session",
        Area::Package,
        &[
            req("package_id", Kind::Package),
            opt("session_id", Kind::NewId),
            req("date", Kind::Date),
            req("start_time", Kind::Time),
            req("end_time", Kind::Time),
            req("hours", Kind::Count),
        ],
    ),
    form(
        "cancel_session",
        Area::Package,
        &[req("package_id", Kind::Package), req("session_id", Kind::Session), REASON],
    ),
    form(
        "start_package",
        Area::Package,
        &[req("package_id", Kind::Package), opt("started_on", Kind::Date)],
    ),
    form(
        "close_package",
        Area::Package,
        &[req("package_id", Kind::Package), opt("closed_on", Kind::Date)],
    ),
    confirmed(
        "cancel_package",
        Area::Package,
        &[req("package_id", Kind::Package), opt("cancelled_on", Kind::Date), REASON],
    ),
    // Nomination and selection
    form(
        "nominate_inmate",
        Area::Participation,
        &[req("package_id", Kind::Package), req("person_ref", Kind::Person(Register::Sdp))],
    ),
    form(
        "register_public_applicant",
        Area::Participation,
        &[
            req("package_id", Kind::Package),
            req("person_ref", Kind::Person(Register::Applicant)),
            req("desa_code", Kind::Text(32)),
            req("kecamatan_code", Kind::Text(32)),
            opt("sex", Kind::Choice(Sex::CODES)),
            opt("age_band", Kind::Choice(AgeBand::CODES)),
        ],
    ),
    form(
        "assess_eligibility",
        Area::Participation,
        &[
            req(
                "participation_id",
                Kind::Participation(&["nominated", "eligible", "not_eligible"]),
            ),
            opt("assessed_on", Kind::Date),
            opt("sppn_score", Kind::Count),
            opt("litmas_ref", Kind::Text(64)),
        ],
    ),
    form(
        "request_eligibility_override",
        Area::Participation,
        &[
            req("participation_id", Kind::Participation(&["not_eligible"])),
            opt("request_id", Kind::NewId),
            REASON,
        ],
    ),
    form(
        "approve_eligibility_override",
        Area::Participation,
        &[
            req("participation_id", Kind::Participation(&["not_eligible"])),
            req("request_id", Kind::Text(36)),
        ],
    ),
    form(
        "approve_nomination",
        Area::Participation,
        &[
            req("participation_id", Kind::Participation(DECIDING)),
            req("tpp_session_date", Kind::Date),
            DOCUMENT,
        ],
    ),
    form(
        "reject_nomination",
        Area::Participation,
        &[
            req("participation_id", Kind::Participation(DECIDING)),
            req("reason_code", Kind::Choice(NominationRejectionReason::CODES)),
            opt("document_ref", Kind::Text(256)),
        ],
    ),
    form(
        "accept_participant",
        Area::Participation,
        &[req("participation_id", Kind::Participation(TO_ACCEPT)), opt("accepted_on", Kind::Date)],
    ),
    form(
        "withdraw_participant",
        Area::Participation,
        &[
            req("participation_id", Kind::Participation(IN_PROGRAMME)),
            req("reason_code", Kind::Choice(WithdrawalReason::CODES)),
        ],
    ),
    // Training
    form(
        "start_participation",
        Area::Participation,
        &[
            req("participation_id", Kind::Participation(&["accepted"])),
            opt("started_on", Kind::Date),
        ],
    ),
    form(
        "record_attendance",
        Area::Participation,
        &[
            req("participation_id", Kind::Participation(IN_TRAINING)),
            req("session_id", Kind::Session),
            req("code", Kind::Choice(AttendanceCode::CODES)),
            opt("minutes_late", Kind::Count),
        ],
    ),
    form(
        "suspend_participation",
        Area::Participation,
        &[
            req("participation_id", Kind::Participation(&["active"])),
            req("reason_code", Kind::Choice(SuspensionReason::CODES)),
            opt("suspended_on", Kind::Date),
        ],
    ),
    form(
        "resume_participation",
        Area::Participation,
        &[
            req("participation_id", Kind::Participation(&["suspended"])),
            opt("resumed_on", Kind::Date),
        ],
    ),
    form(
        "end_participation",
        Area::Participation,
        &[
            req("participation_id", Kind::Participation(IN_TRAINING)),
            req("reason_code", Kind::Choice(EndReason::CODES)),
            opt("ended_on", Kind::Date),
        ],
    ),
    form(
        "complete_training",
        Area::Participation,
        &[
            req("participation_id", Kind::Participation(IN_TRAINING)),
            opt("completed_on", Kind::Date),
        ],
    ),
    form(
        "assess_competency",
        Area::Participation,
        &[
            req("participation_id", Kind::Participation(&["completed", "not_yet_competent"])),
            opt("assessment_id", Kind::NewId),
            req("lsp", Kind::Facility),
            opt("units", Kind::List),
            req("result", Kind::Choice(CompetencyResult::CODES)),
            opt("assessed_on", Kind::Date),
        ],
    ),
    confirmed(
        "graduate_participant",
        Area::Participation,
        &[
            req("participation_id", Kind::Participation(&["competent", "completed"])),
            opt("graduated_on", Kind::Date),
        ],
    ),
    form(
        "issue_certificate",
        Area::Participation,
        &[
            req("participation_id", Kind::Participation(TRAINED)),
            req("certificate_type", Kind::Choice(CertificateType::CODES)),
            req("number", Kind::Text(64)),
            req("issuer", Kind::Text(128)),
            opt("issued_on", Kind::Date),
            opt("valid_until", Kind::Date),
        ],
    ),
    // Grants
    form(
        "propose_grant",
        Area::Grant,
        &[
            req("participation_id", Kind::Participation(TRAINED)),
            req("items", Kind::Items),
            req("capital_rupiah", Kind::Rupiah),
            req("funding_source", Kind::Text(200)),
            req("budget_line", Kind::Text(200)),
        ],
    ),
    form("approve_grant", Area::Grant, &[req("grant_id", Kind::Grant(&["proposed"])), DOCUMENT]),
    form("reject_grant", Area::Grant, &[req("grant_id", Kind::Grant(&["proposed"])), REASON]),
    form(
        "defer_grant_handover",
        Area::Grant,
        &[
            req("grant_id", Kind::Grant(&["approved"])),
            req("reason_code", Kind::Choice(DeferralReason::CODES)),
            opt("storage_ref", Kind::Text(128)),
        ],
    ),
    confirmed(
        "hand_over_grant",
        Area::Grant,
        &[
            req("grant_id", Kind::Grant(&["approved", "deferred"])),
            req("document_ref", Kind::Text(256)),
            opt("handed_over_on", Kind::Date),
            req("place", Kind::Text(200)),
            req("recipient", Kind::Choice(RecipientKind::CODES)),
            opt("authority_ref", Kind::Text(128)),
        ],
    ),
    form(
        "cancel_grant",
        Area::Grant,
        &[req("grant_id", Kind::Grant(&["proposed", "approved", "deferred"])), REASON],
    ),
    form(
        "record_grant_monitoring",
        Area::Grant,
        &[
            req("grant_id", Kind::Grant(&["handed_over"])),
            opt("visit_id", Kind::NewId),
            req("business_status", Kind::Choice(BusinessStatus::CODES)),
            opt("visited_on", Kind::Date),
        ],
    ),
    form(
        "recover_grant",
        Area::Grant,
        &[
            req("grant_id", Kind::Grant(&["handed_over"])),
            req("amount_rupiah", Kind::Rupiah),
            opt("recovered_on", Kind::Date),
            REASON,
        ],
    ),
    // The person
    form(
        "record_custody_episode",
        Area::Person,
        &[
            req("person_ref", Kind::Person(Register::Sdp)),
            req("episode_ref", Kind::Text(64)),
            req("facility", Kind::Facility),
            req("admitted_on", Kind::Date),
            req("legal_status", Kind::Choice(LegalStatus::CODES)),
            opt("register_class", Kind::Choice(RegisterClass::CODES)),
            opt("sex", Kind::Choice(Sex::CODES)),
            opt("age_band", Kind::Choice(AgeBand::CODES)),
            opt("offence_group", Kind::Choice(OffenceGroup::CODES)),
            opt("sentence_band", Kind::Choice(SentenceBand::CODES)),
        ],
    ),
    form(
        "change_legal_status",
        Area::Person,
        &[
            req("person_ref", Kind::Person(Register::Sdp)),
            req("legal_status", Kind::Choice(LegalStatus::CODES)),
            req("changed_on", Kind::Date),
            opt("sentence_months", Kind::Count),
            opt("offence_group", Kind::Choice(OffenceGroup::CODES)),
        ],
    ),
    form(
        "update_sentence_dates",
        Area::Person,
        &[
            req("person_ref", Kind::Person(Register::Sdp)),
            req("sentence_start", Kind::Date),
            req("expiry_date", Kind::Date),
        ],
    ),
    form(
        "record_disciplinary_sanction",
        Area::Person,
        &[
            req("person_ref", Kind::Person(Register::Sdp)),
            opt("sanction_id", Kind::NewId),
            req("imposed_on", Kind::Date),
            req("ends_on", Kind::Date),
        ],
    ),
    form(
        "record_transfer",
        Area::Person,
        &[
            req("person_ref", Kind::Person(Register::Sdp)),
            req("to_facility", Kind::Facility),
            req("transferred_on", Kind::Date),
        ],
    ),
    confirmed(
        "record_release",
        Area::Person,
        &[
            req("person_ref", Kind::Person(Register::Sdp)),
            req("release_type", Kind::Choice(ReleaseType::CODES)),
            req("released_on", Kind::Date),
        ],
    ),
    confirmed(
        "record_death",
        Area::Person,
        &[req("person_ref", Kind::Person(Register::Sdp)), req("died_on", Kind::Date)],
    ),
    form(
        "record_revocation",
        Area::Person,
        &[
            req("person_ref", Kind::Person(Register::Sdp)),
            req("revoked_on", Kind::Date),
            req("reason_code", Kind::Choice(RevocationReason::CODES)),
        ],
    ),
    form(
        "record_new_case",
        Area::Person,
        &[
            req("person_ref", Kind::Person(Register::Sdp)),
            opt("case_id", Kind::NewId),
            req("offence_date", Kind::Date),
            opt("arrest_date", Kind::Date),
            opt("conviction_date", Kind::Date),
            opt("readmission_date", Kind::Date),
            opt("offence_group", Kind::Choice(OffenceGroup::CODES)),
            req("source", Kind::Choice(CaseSource::CODES)),
        ],
    ),
    form(
        "record_follow_up",
        Area::Person,
        &[
            req("person_ref", Kind::Person(Register::Sdp)),
            opt("contact_id", Kind::NewId),
            req("contacted_on", Kind::Date),
            req("employment_status", Kind::Choice(EmploymentStatus::CODES)),
            req("uses_trained_skill", Kind::YesNo),
            opt("uses_grant", Kind::YesNo),
        ],
    ),
    form(
        "acknowledge_change",
        Area::Person,
        &[req("person_ref", Kind::Person(Register::Sdp)), req("task_id", Kind::Text(36))],
    ),
    confirmed("forget", Area::Person, &[req("person_ref", Kind::Person(Register::Sdp)), REASON]),
    // Corrections
    form(
        "correct_event",
        Area::Correction,
        &[
            req("stream_id", Kind::Text(128)),
            req("event_id", Kind::Text(36)),
            opt("request_id", Kind::NewId),
            REASON,
        ],
    ),
    form(
        "approve_correction",
        Area::Correction,
        &[req("stream_id", Kind::Text(128)), req("request_id", Kind::Text(36))],
    ),
    form(
        "reject_correction",
        Area::Correction,
        &[
            req("stream_id", Kind::Text(128)),
            req("request_id", Kind::Text(36)),
            opt("reason", Kind::LongText),
        ],
    ),
];

/// Commands no person sends: the system's alone, with no form.
pub const SYSTEM_ONLY: [&str; 3] =
    ["register_organisation", "merge_person_records", "erase_personal_data"];

/// The form of `command`, if a person sends it.
pub fn named(command: &str) -> Option<&'static FormSpec> {
    FORMS.iter().find(|spec| spec.command == command)
}

/// The roles that may use a form: the command's (forgetting: the data-protection officer's).
pub fn roles(command: &str) -> &'static [Role] {
    match command {
        "forget" => &[Role::Dpo],
        command => events::decide::roles_for(command),
    }
}

/// Whether `role` may use the form of `command`.
pub fn may_use(role: Role, command: &str) -> bool {
    role != Role::System && roles(command).contains(&role)
}
