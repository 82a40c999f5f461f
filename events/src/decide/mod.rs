//! `decide`: a command, the state of the streams it touches and a context in; events out, or a
//! [`Rejection`]. Pure: the shell loads the streams, passes `now` and the actor, and appends
//! what comes back, to every stream at the versions it read, in one transaction.
//!
//! Two steps: [`streams_needed`] names the streams a command reads (it may need more once the
//! first are loaded — a release reads the person, then their participations, then their
//! packages), and [`decide`] applies the rules. Who may do what is data ([`permitted_roles`]);
//! segregation of duties, facility scope and every state transition are checked here.

mod grant;
mod package;
mod participation;
mod person;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use uuid::Uuid;

use crate::catalogue::Event;
use crate::command::{Command, CorrectEvent};
use crate::envelope::Source;
use crate::rejection::Rejection;
use crate::state::{
    Fact, FactMeta, GrantState, OrganisationState, PackageState, ParticipationState, PersonState,
    StreamKind, StreamState,
};
use crate::streams;
use crate::time::Timestamp;
use crate::vocabulary::Role;

/// Corrections of events older than this need a request and a second person.
pub const LATE_CORRECTION_DAYS: i64 = 7;
/// Dates in commands must fall in this range.
pub const DATE_MIN: NaiveDate = NaiveDate::from_ymd_opt(1950, 1, 1).expect("a valid date");
pub const DATE_MAX: NaiveDate = NaiveDate::from_ymd_opt(2100, 12, 31).expect("a valid date");

/// Who issues a command, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub command_id: Uuid,
    pub actor: String,
    pub role: Role,
    pub organisation: String,
    pub source: Source,
    /// The log's clock when the command is decided.
    pub now: Timestamp,
    /// The business day: the command's stated date, or today where the deployment is.
    pub today: NaiveDate,
    pub reason: Option<String>,
    pub document_ref: Option<String>,
}

/// The streams a decision reads, each at the version it was read at.
#[derive(Debug, Clone, Default)]
pub struct World {
    streams: BTreeMap<String, (i64, StreamState)>,
}

impl World {
    /// Adds a stream; `state` is the fold of its events up to `version`.
    pub fn insert(&mut self, stream_id: String, version: i64, state: StreamState) {
        self.streams.insert(stream_id, (version, state));
    }

    pub fn contains(&self, stream_id: &str) -> bool {
        self.streams.contains_key(stream_id)
    }

    pub fn version(&self, stream_id: &str) -> i64 {
        self.streams.get(stream_id).map_or(0, |(version, _)| *version)
    }

    pub fn get(&self, stream_id: &str) -> Option<&StreamState> {
        self.streams.get(stream_id).map(|(_, state)| state)
    }

    pub fn get_mut(&mut self, stream_id: &str) -> Option<&mut (i64, StreamState)> {
        self.streams.get_mut(stream_id)
    }

    /// Every stream read, with its version.
    pub fn versions(&self) -> impl Iterator<Item = (&str, i64)> {
        self.streams.iter().map(|(id, (version, _))| (id.as_str(), *version))
    }

    pub fn package(&self, package_id: Uuid) -> Option<&PackageState> {
        match self.get(&streams::package(package_id)) {
            Some(StreamState::Package(state)) if state.definition.is_some() => Some(state),
            _ => None,
        }
    }

    pub fn participation(&self, participation_id: Uuid) -> Option<&ParticipationState> {
        match self.get(&streams::participation(participation_id)) {
            Some(StreamState::Participation(state)) if state.status.is_some() => Some(state),
            _ => None,
        }
    }

    pub fn grant(&self, grant_id: Uuid) -> Option<&GrantState> {
        match self.get(&streams::grant(grant_id)) {
            Some(StreamState::Grant(state)) if state.status.is_some() => Some(state),
            _ => None,
        }
    }

    pub fn person(&self, person_ref: &str) -> Option<&PersonState> {
        match self.get(&streams::person(person_ref)) {
            Some(StreamState::Person(state)) if state.person_ref.is_some() => Some(state),
            _ => None,
        }
    }

    pub fn organisation(&self, code: &str) -> Option<&OrganisationState> {
        match self.get(&streams::organisation(code)) {
            Some(StreamState::Organisation(state)) if state.registered.is_some() => Some(state),
            _ => None,
        }
    }
}

/// What the rules decided: events for each stream, in order, and a reply for the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub events: Vec<(String, Event)>,
    /// The facility (UPT) the events concern, for the envelope: the inmate's facility.
    pub facility: Option<String>,
    pub reply: serde_json::Value,
    /// The business day of the facts when it comes from the state read rather than the
    /// command (an attendance mark happened on its session's day, whenever it is entered).
    pub business_day: Option<NaiveDate>,
}

impl Decision {
    fn new(reply: serde_json::Value) -> Decision {
        Decision { events: Vec::new(), facility: None, reply, business_day: None }
    }

    fn push(&mut self, stream_id: String, event: impl Into<Event>) {
        self.events.push((stream_id, event.into()));
    }

    /// The events grouped by stream, streams in the order they first appear. This is the order
    /// they are appended in, so the `n`-th event here gets the id `event_id(command_id, n)`.
    pub fn grouped(&self) -> Vec<(String, Vec<Event>)> {
        let mut groups: Vec<(String, Vec<Event>)> = Vec::new();
        for (stream_id, event) in &self.events {
            match groups.iter_mut().find(|(id, _)| id == stream_id) {
                Some((_, events)) => events.push(event.clone()),
                None => groups.push((stream_id.clone(), vec![event.clone()])),
            }
        }
        groups
    }

    /// The decided events as facts, as they will read back once appended at `recorded_at`.
    pub fn facts(
        &self,
        ctx: &Context,
        occurred_at: Timestamp,
        recorded_at: Timestamp,
    ) -> Vec<(String, Fact)> {
        let mut facts = Vec::with_capacity(self.events.len());
        let mut index: u32 = 0;
        for (stream_id, events) in self.grouped() {
            for event in events {
                let meta = FactMeta {
                    stream_id: stream_id.clone(),
                    event_id: crate::ids::event_id(ctx.command_id, index),
                    position: 0,
                    actor: ctx.actor.clone(),
                    role: ctx.role.as_str().to_owned(),
                    organisation: ctx.organisation.clone(),
                    facility: self.facility.clone(),
                    source: ctx.source,
                    occurred_at,
                    recorded_at,
                    reason: ctx.reason.clone(),
                    document_ref: ctx.document_ref.clone(),
                };
                facts.push((stream_id.clone(), Fact { event, meta }));
                index += 1;
            }
        }
        facts
    }
}

/// The roles that may issue each command (domain.md R7, R9). Auditors and analysts write
/// nothing.
pub fn permitted_roles(command: &Command) -> &'static [Role] {
    roles_for(command.name())
}

/// The roles that may issue the command named `name` (its `type`); none for a name that is not
/// a command.
pub fn roles_for(name: &str) -> &'static [Role] {
    use Role::*;
    match name {
        "register_organisation" | "merge_person_records" => &[System],
        "erase_personal_data" => &[Dpo],
        "define_package"
        | "amend_package"
        | "start_package"
        | "close_package"
        | "cancel_package"
        | "register_public_applicant"
        | "accept_participant"
        | "graduate_participant"
        | "issue_certificate"
        | "propose_grant" => &[DisnakerAdmin],
        "schedule_session" | "cancel_session" => &[DisnakerAdmin, Instruktur],
        "nominate_inmate" | "acknowledge_change" => &[PetugasPembinaan],
        "assess_eligibility" => &[Wali, System],
        "request_eligibility_override" => &[Wali, PetugasPembinaan],
        "approve_eligibility_override" => &[Karutan],
        "approve_nomination" | "reject_nomination" => &[Karutan, TppSekretaris],
        "withdraw_participant" | "end_participation" => &[PetugasPembinaan, DisnakerAdmin, System],
        "start_participation" => &[Instruktur, DisnakerAdmin, System],
        "record_attendance" => &[Instruktur, PetugasPembinaan, System],
        "suspend_participation" | "resume_participation" => &[PetugasPembinaan, System],
        "complete_training" => &[DisnakerAdmin, System],
        "assess_competency" => &[Asesor],
        "approve_grant" | "reject_grant" | "cancel_grant" | "recover_grant" => &[Ppk],
        "defer_grant_handover" | "hand_over_grant" => &[PetugasSerahTerima],
        "record_grant_monitoring" => &[DisnakerAdmin, PkBapas],
        "record_custody_episode"
        | "change_legal_status"
        | "update_sentence_dates"
        | "record_disciplinary_sanction"
        | "record_transfer"
        | "record_release"
        | "record_death"
        | "record_revocation" => &[System, PetugasPembinaan],
        "record_new_case" => &[System, PkBapas],
        "record_follow_up" => &[PkBapas, DisnakerAdmin],
        "correct_event" => &[
            PetugasPembinaan,
            Wali,
            TppSekretaris,
            Karutan,
            DisnakerAdmin,
            Instruktur,
            Asesor,
            Ppk,
            PetugasSerahTerima,
            PkBapas,
            System,
        ],
        "approve_correction" | "reject_correction" => &[Karutan, DisnakerAdmin, Ppk, System],
        _ => &[],
    }
}

/// The streams `command` reads, given those already loaded into `world`. The shell loads the
/// missing ones and asks again until nothing new is named.
pub fn streams_needed(command: &Command, world: &World) -> Vec<String> {
    match command {
        Command::RegisterOrganisation(c) => vec![streams::organisation(&c.code)],
        Command::DefinePackage(c) => {
            let mut needed =
                vec![streams::package(c.package_id), streams::organisation(&c.provider)];
            needed.extend(c.facilities.iter().map(|facility| streams::organisation(facility)));
            needed
        }
        Command::AmendPackage(c) => vec![streams::package(c.package_id)],
        Command::ScheduleSession(c) => vec![streams::package(c.package_id)],
        Command::CancelSession(c) => vec![streams::package(c.package_id)],
        Command::StartPackage(c) => vec![streams::package(c.package_id)],
        Command::ClosePackage(c) => package::roster_streams(c.package_id, world),
        Command::CancelPackage(c) => package::roster_streams(c.package_id, world),
        Command::NominateInmate(c) => participation::opening_streams(c.package_id, &c.person_ref),
        Command::RegisterPublicApplicant(c) => {
            participation::opening_streams(c.package_id, &c.person_ref)
        }
        Command::AssessEligibility(c) => {
            participation::with_package_and_person(c.participation_id, world)
        }
        Command::RequestEligibilityOverride(c) => participation::alone(c.participation_id),
        Command::ApproveEligibilityOverride(c) => participation::alone(c.participation_id),
        Command::ApproveNomination(c) => participation::alone(c.participation_id),
        Command::RejectNomination(c) => participation::alone(c.participation_id),
        Command::AcceptParticipant(c) => participation::with_package(c.participation_id, world),
        Command::WithdrawParticipant(c) => participation::with_package(c.participation_id, world),
        Command::StartParticipation(c) => participation::with_package(c.participation_id, world),
        Command::RecordAttendance(c) => participation::with_package(c.participation_id, world),
        Command::SuspendParticipation(c) => participation::alone(c.participation_id),
        Command::ResumeParticipation(c) => participation::alone(c.participation_id),
        Command::EndParticipation(c) => participation::with_package(c.participation_id, world),
        Command::CompleteTraining(c) => participation::with_package(c.participation_id, world),
        Command::AssessCompetency(c) => participation::alone(c.participation_id),
        Command::GraduateParticipant(c) => participation::with_package(c.participation_id, world),
        Command::IssueCertificate(c) => participation::with_package(c.participation_id, world),
        Command::ProposeGrant(c) => {
            let mut needed = participation::with_package(c.participation_id, world);
            needed.push(streams::grant(streams::grant_id(c.participation_id)));
            needed
        }
        Command::ApproveGrant(c) => grant::streams(c.grant_id, world),
        Command::RejectGrant(c) => grant::streams(c.grant_id, world),
        Command::DeferGrantHandover(c) => grant::streams(c.grant_id, world),
        Command::HandOverGrant(c) => grant::streams(c.grant_id, world),
        Command::CancelGrant(c) => grant::streams(c.grant_id, world),
        Command::RecordGrantMonitoring(c) => grant::streams(c.grant_id, world),
        Command::RecoverGrant(c) => grant::streams(c.grant_id, world),
        Command::RecordCustodyEpisode(c) => {
            vec![streams::person(&c.person_ref), streams::organisation(&c.facility)]
        }
        Command::RecordTransfer(c) => {
            let mut needed = person::consequence_streams(&c.person_ref, world);
            needed.push(streams::organisation(&c.to_facility));
            needed
        }
        Command::RecordRelease(c) => person::consequence_streams(&c.person_ref, world),
        Command::RecordDeath(c) => person::consequence_streams(&c.person_ref, world),
        Command::ChangeLegalStatus(c) => vec![streams::person(&c.person_ref)],
        Command::UpdateSentenceDates(c) => vec![streams::person(&c.person_ref)],
        Command::RecordDisciplinarySanction(c) => vec![streams::person(&c.person_ref)],
        Command::RecordRevocation(c) => vec![streams::person(&c.person_ref)],
        Command::RecordNewCase(c) => vec![streams::person(&c.person_ref)],
        Command::RecordFollowUp(c) => vec![streams::person(&c.person_ref)],
        Command::MergePersonRecords(c) => {
            vec![streams::person(&c.person_ref), streams::person(&c.merged_ref)]
        }
        Command::AcknowledgeChange(c) => vec![streams::person(&c.person_ref)],
        Command::ErasePersonalData(c) => vec![streams::person(&c.person_ref)],
        Command::CorrectEvent(c) => vec![c.stream_id.clone()],
        Command::ApproveCorrection(c) => vec![c.stream_id.clone()],
        Command::RejectCorrection(c) => vec![c.stream_id.clone()],
    }
}

/// Whether `role` may send `command` at all, whatever the state: the first rule, which the
/// shell also applies before it tells anyone what a command id already did.
pub fn authorise(command: &Command, role: Role) -> Result<(), Rejection> {
    if permitted_roles(command).contains(&role) {
        return Ok(());
    }
    Err(Rejection::NotPermitted { role: role.to_string(), command: command.name() })
}

/// Applies the rules.
pub fn decide(command: &Command, world: &World, ctx: &Context) -> Result<Decision, Rejection> {
    authorise(command, ctx.role)?;
    check_dates(command)?;
    let mut decision = decide_command(command, world, ctx)?;
    if decision.facility.is_none() {
        decision.facility = facility_of(command, world);
    }
    Ok(decision)
}

/// The facility a command's events concern: the inmate's, where there is an inmate.
fn facility_of(command: &Command, world: &World) -> Option<String> {
    let value = serde_json::to_value(command).ok()?;
    let uuid =
        |key: &str| value.get(key).and_then(|v| v.as_str()).and_then(|v| v.parse::<Uuid>().ok());
    if let Some(participation_id) = uuid("participation_id") {
        return world.participation(participation_id).and_then(|p| p.facility.clone());
    }
    if let Some(grant_id) = uuid("grant_id") {
        let participation_id = world.grant(grant_id)?.participation_id?;
        return world.participation(participation_id).and_then(|p| p.facility.clone());
    }
    if let Some(person_ref) = value.get("person_ref").and_then(|v| v.as_str()) {
        return world.person(person_ref).and_then(|p| p.facility.clone());
    }
    match value.get("stream_id").and_then(|v| v.as_str()).and_then(|id| world.get(id)) {
        Some(StreamState::Participation(participation)) => participation.facility.clone(),
        Some(StreamState::Person(person)) => person.facility.clone(),
        _ => None,
    }
}

fn decide_command(command: &Command, world: &World, ctx: &Context) -> Result<Decision, Rejection> {
    match command {
        Command::RegisterOrganisation(c) => package::register_organisation(c, world),
        Command::DefinePackage(c) => package::define(c, world, ctx),
        Command::AmendPackage(c) => package::amend(c, world, ctx),
        Command::ScheduleSession(c) => package::schedule_session(c, world, ctx),
        Command::CancelSession(c) => package::cancel_session(c, world, ctx),
        Command::StartPackage(c) => package::start(c, world, ctx),
        Command::ClosePackage(c) => package::close(c, world, ctx),
        Command::CancelPackage(c) => package::cancel(c, world, ctx),
        Command::NominateInmate(c) => participation::nominate(c, world, ctx),
        Command::RegisterPublicApplicant(c) => participation::register_public(c, world, ctx),
        Command::AssessEligibility(c) => participation::assess_eligibility(c, world, ctx),
        Command::RequestEligibilityOverride(c) => participation::request_override(c, world, ctx),
        Command::ApproveEligibilityOverride(c) => participation::approve_override(c, world, ctx),
        Command::ApproveNomination(c) => participation::approve_nomination(c, world, ctx),
        Command::RejectNomination(c) => participation::reject_nomination(c, world, ctx),
        Command::AcceptParticipant(c) => participation::accept(c, world, ctx),
        Command::WithdrawParticipant(c) => participation::withdraw(c, world, ctx),
        Command::StartParticipation(c) => participation::start(c, world, ctx),
        Command::RecordAttendance(c) => participation::record_attendance(c, world, ctx),
        Command::SuspendParticipation(c) => participation::suspend(c, world, ctx),
        Command::ResumeParticipation(c) => participation::resume(c, world, ctx),
        Command::EndParticipation(c) => participation::end(c, world, ctx),
        Command::CompleteTraining(c) => participation::complete(c, world, ctx),
        Command::AssessCompetency(c) => participation::assess_competency(c, world, ctx),
        Command::GraduateParticipant(c) => participation::graduate(c, world, ctx),
        Command::IssueCertificate(c) => participation::issue_certificate(c, world, ctx),
        Command::ProposeGrant(c) => grant::propose(c, world, ctx),
        Command::ApproveGrant(c) => grant::approve(c, world, ctx),
        Command::RejectGrant(c) => grant::reject(c, world, ctx),
        Command::DeferGrantHandover(c) => grant::defer(c, world, ctx),
        Command::HandOverGrant(c) => grant::hand_over(c, world, ctx),
        Command::CancelGrant(c) => grant::cancel(c, world, ctx),
        Command::RecordGrantMonitoring(c) => grant::monitor(c, world, ctx),
        Command::RecoverGrant(c) => grant::recover(c, world, ctx),
        Command::RecordCustodyEpisode(c) => person::custody_episode(c, world, ctx),
        Command::ChangeLegalStatus(c) => person::legal_status(c, world, ctx),
        Command::UpdateSentenceDates(c) => person::sentence_dates(c, world, ctx),
        Command::RecordDisciplinarySanction(c) => person::sanction(c, world, ctx),
        Command::RecordTransfer(c) => person::transfer(c, world, ctx),
        Command::RecordRelease(c) => person::release(c, world, ctx),
        Command::RecordDeath(c) => person::death(c, world, ctx),
        Command::RecordRevocation(c) => person::revocation(c, world, ctx),
        Command::RecordNewCase(c) => person::new_case(c, world, ctx),
        Command::RecordFollowUp(c) => person::follow_up(c, world, ctx),
        Command::MergePersonRecords(c) => person::merge(c, world, ctx),
        Command::ErasePersonalData(c) => person::erase(c, world, ctx),
        Command::AcknowledgeChange(c) => person::acknowledge(c, world, ctx),
        Command::CorrectEvent(c) => correct(c, world, ctx),
        Command::ApproveCorrection(c) => approve_correction(&c.stream_id, c.request_id, world, ctx),
        Command::RejectCorrection(c) => reject_correction(&c.stream_id, c.request_id, world, ctx),
    }
}

/// Every date a command carries must be within [`DATE_MIN`]..=[`DATE_MAX`].
fn check_dates(command: &Command) -> Result<(), Rejection> {
    fn walk(value: &serde_json::Value, key: &str) -> Result<(), Rejection> {
        match value {
            serde_json::Value::String(text) if text.len() == 10 => {
                if let Ok(date) = text.parse::<NaiveDate>()
                    && !(DATE_MIN..=DATE_MAX).contains(&date)
                {
                    let field = field_name(key);
                    return Err(Rejection::DateOutOfRange {
                        field,
                        date,
                        min: DATE_MIN,
                        max: DATE_MAX,
                    });
                }
                Ok(())
            }
            serde_json::Value::Object(fields) => {
                fields.iter().try_for_each(|(key, value)| walk(value, key))
            }
            serde_json::Value::Array(items) => items.iter().try_for_each(|item| walk(item, key)),
            _ => Ok(()),
        }
    }
    let value = serde_json::to_value(command).expect("commands serialise");
    walk(&value, "date")
}

/// A `'static` name for a date field, for the error message.
fn field_name(key: &str) -> &'static str {
    const DATE_FIELDS: &[&str] = &[
        "start_date",
        "end_date",
        "date",
        "started_on",
        "closed_on",
        "cancelled_on",
        "assessed_on",
        "tpp_session_date",
        "accepted_on",
        "suspended_on",
        "resumed_on",
        "ended_on",
        "completed_on",
        "graduated_on",
        "issued_on",
        "valid_until",
        "handed_over_on",
        "visited_on",
        "recovered_on",
        "admitted_on",
        "changed_on",
        "sentence_start",
        "expiry_date",
        "imposed_on",
        "ends_on",
        "transferred_on",
        "released_on",
        "died_on",
        "revoked_on",
        "offence_date",
        "arrest_date",
        "conviction_date",
        "readmission_date",
        "contacted_on",
    ];
    DATE_FIELDS.iter().copied().find(|field| *field == key).unwrap_or("date")
}

// ----------------------------------------------------------------------------------------------
// Shared checks

fn require_reason(ctx: &Context) -> Result<&str, Rejection> {
    ctx.reason
        .as_deref()
        .filter(|reason| !reason.trim().is_empty())
        .ok_or(Rejection::Required { field: "reason" })
}

fn require_document(ctx: &Context) -> Result<&str, Rejection> {
    ctx.document_ref
        .as_deref()
        .filter(|reference| !reference.trim().is_empty())
        .ok_or(Rejection::Required { field: "document_ref" })
}

fn non_empty(field: &'static str, value: &str) -> Result<(), Rejection> {
    if value.trim().is_empty() {
        return Err(Rejection::Required { field });
    }
    if value.len() > 200 {
        return Err(Rejection::InvalidField { field, detail: "longer than 200 bytes".to_owned() });
    }
    Ok(())
}

/// Facility roles act only within their facility.
fn facility_scope(
    ctx: &Context,
    what: &'static str,
    facility: Option<&str>,
) -> Result<(), Rejection> {
    let facility_role = matches!(
        ctx.role,
        Role::PetugasPembinaan | Role::Wali | Role::TppSekretaris | Role::Karutan
    );
    match facility {
        Some(facility) if facility_role && facility != ctx.organisation => {
            Err(Rejection::WrongOrganisation {
                what,
                owner: facility.to_owned(),
                actor_organisation: ctx.organisation.clone(),
            })
        }
        _ => Ok(()),
    }
}

/// The training office and its instructors act only on their own packages.
fn provider_scope(ctx: &Context, package: &PackageState) -> Result<(), Rejection> {
    let provider_role = matches!(ctx.role, Role::DisnakerAdmin | Role::Instruktur);
    let provider =
        package.definition.as_ref().map_or("", |definition| definition.provider.as_str());
    if provider_role && provider != ctx.organisation {
        return Err(Rejection::WrongOrganisation {
            what: "package",
            owner: provider.to_owned(),
            actor_organisation: ctx.organisation.clone(),
        });
    }
    Ok(())
}

fn system_only(ctx: &Context, system_only: bool, reason: &str) -> Result<(), Rejection> {
    if system_only && ctx.role != Role::System {
        return Err(Rejection::SystemOnlyReason { reason: reason.to_owned() });
    }
    Ok(())
}

fn derived(ctx: &Context, label: &str) -> Uuid {
    crate::ids::derived_id(ctx.command_id, label)
}

// ----------------------------------------------------------------------------------------------
// Corrections

fn correct(command: &CorrectEvent, world: &World, ctx: &Context) -> Result<Decision, Rejection> {
    let reason = require_reason(ctx)?.to_owned();
    let corrections = corrections_of(world, &command.stream_id)?;
    let target = command.event_id;
    if corrections.reversals.contains(&target) {
        return Err(Rejection::ReversalOfReversal);
    }
    if corrections.reversed.contains(&target) {
        return Err(Rejection::AlreadyReversed { event_id: target });
    }
    let Some(original) = corrections.reversible.get(&target) else {
        let id = format!("{target} in {}", command.stream_id);
        return Err(Rejection::NotFound { what: "reversible event", id });
    };
    if corrections.pending.values().any(|pending| pending.target_event_id == target) {
        return Err(Rejection::AlreadyExists {
            what: "correction request for event",
            id: target.to_string(),
        });
    }
    check_reversal_allowed(world, &command.stream_id, original)?;
    let age_days = (ctx.now.unix_micros() - original.occurred_at.unix_micros()) / 86_400_000_000;
    let mut decision = Decision::new(serde_json::Value::Null);
    if age_days > LATE_CORRECTION_DAYS {
        decision.push(
            command.stream_id.clone(),
            crate::catalogue::CorrectionRequested {
                request_id: command.request_id,
                target_event_id: target,
                target_event_type: original.event_type.clone(),
                target: original.target.clone(),
            },
        );
        decision.reply = serde_json::json!({
            "status": "pending_second_person",
            "request_id": command.request_id,
            "detail": format!("the event is {age_days} days old; a second person must approve the correction"),
        });
    } else {
        decision.push(
            command.stream_id.clone(),
            crate::catalogue::EventReversed {
                reversed_event_id: target,
                reversed_event_type: original.event_type.clone(),
                target: original.target.clone(),
                request_id: None,
                requested_by: None,
            },
        );
        decision.reply = serde_json::json!({ "status": "reversed", "reason": reason });
    }
    Ok(decision)
}

fn approve_correction(
    stream_id: &str,
    request_id: Uuid,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let corrections = corrections_of(world, stream_id)?;
    let Some(pending) = corrections.pending.get(&request_id) else {
        return Err(Rejection::NothingPending {
            what: "correction request",
            id: request_id.to_string(),
        });
    };
    if pending.requested_by == ctx.actor {
        return Err(Rejection::SegregationOfDuties {
            rule: "a correction is approved by someone other than its requester",
        });
    }
    let target = pending.target_event_id;
    if corrections.reversed.contains(&target) {
        return Err(Rejection::AlreadyReversed { event_id: target });
    }
    let original = corrections
        .reversible
        .get(&target)
        .ok_or_else(|| Rejection::NotFound { what: "reversible event", id: target.to_string() })?;
    check_reversal_allowed(world, stream_id, original)?;
    let mut decision =
        Decision::new(serde_json::json!({ "status": "reversed", "request_id": request_id }));
    decision.push(
        stream_id.to_owned(),
        crate::catalogue::EventReversed {
            reversed_event_id: target,
            reversed_event_type: original.event_type.clone(),
            target: original.target.clone(),
            request_id: Some(request_id),
            requested_by: Some(pending.requested_by.clone()),
        },
    );
    Ok(decision)
}

fn reject_correction(
    stream_id: &str,
    request_id: Uuid,
    world: &World,
    _ctx: &Context,
) -> Result<Decision, Rejection> {
    let corrections = corrections_of(world, stream_id)?;
    if !corrections.pending.contains_key(&request_id) {
        return Err(Rejection::NothingPending {
            what: "correction request",
            id: request_id.to_string(),
        });
    }
    let mut decision =
        Decision::new(serde_json::json!({ "status": "rejected", "request_id": request_id }));
    decision.push(stream_id.to_owned(), crate::catalogue::CorrectionRejected { request_id });
    Ok(decision)
}

fn corrections_of<'w>(
    world: &'w World,
    stream_id: &str,
) -> Result<&'w crate::state::Corrections, Rejection> {
    if StreamKind::of(stream_id).is_none() || world.version(stream_id) == 0 {
        return Err(Rejection::NotFound { what: "stream", id: stream_id.to_owned() });
    }
    world.get(stream_id).and_then(StreamState::corrections).ok_or_else(|| {
        Rejection::NotReversible { event_type: "organisation registration".to_owned() }
    })
}

/// A competency result that a graduation stands on cannot be reversed.
fn check_reversal_allowed(
    world: &World,
    stream_id: &str,
    original: &crate::state::Reversible,
) -> Result<(), Rejection> {
    if let Some(StreamState::Participation(state)) = world.get(stream_id)
        && original.event_type == "CompetencyAssessed"
        && state.graduated_on.is_some()
    {
        let detail = "the participant graduated on this result; the graduation stands".to_owned();
        return Err(Rejection::NotAllowed { detail });
    }
    if let Some(StreamState::Participation(state)) = world.get(stream_id)
        && original.event_type == "AttendanceRecorded"
        && state.completed.is_some()
    {
        let detail =
            "training was completed on this attendance; it can no longer change".to_owned();
        return Err(Rejection::NotAllowed { detail });
    }
    Ok(())
}

#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;
