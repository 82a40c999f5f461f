//! Rules for a participation, following the state machine of domain.md §(b): nomination or
//! registration, eligibility, the review board, acceptance within the quota, attendance,
//! suspension, ending, completion, competency, graduation and certificates.

use uuid::Uuid;

use super::package::{end_for, withdraw_for};
use super::{
    Context, Decision, World, derived, facility_scope, non_empty, provider_scope, require_document,
    require_reason, system_only,
};
use crate::catalogue::{
    AttendanceRecorded, CertificateIssued, CompetencyAssessed, EligibilityAssessed,
    EligibilityInputs, EligibilityOverrideApproved, EligibilityOverrideRequested,
    NominationApproved, NominationRejected, ParticipantAccepted, ParticipantGraduated,
    ParticipantNominated, ParticipantWaitlisted, ParticipationOpened, ParticipationResumed,
    ParticipationStarted, ParticipationSuspended, PersonAttributes, PlaceAllocated,
    PublicApplicantRegistered, RosterEntryOpened, TrainingCompleted, WaitlistJoined, WaitlistLeft,
};
use crate::command::*;
use crate::eligibility;
use crate::person_ref::is_person_ref;
use crate::rejection::Rejection;
use crate::state::{PackageState, ParticipationState, ParticipationStatus as S};
use crate::streams;
use crate::vocabulary::{AttendanceCode, CertificateType, CompetencyResult, ParticipantCategory};

pub(super) fn alone(participation_id: Uuid) -> Vec<String> {
    vec![streams::participation(participation_id)]
}

pub(super) fn with_package(participation_id: Uuid, world: &World) -> Vec<String> {
    let mut needed = alone(participation_id);
    if let Some(package_id) = world.participation(participation_id).and_then(|p| p.package_id) {
        needed.push(streams::package(package_id));
    }
    needed
}

pub(super) fn with_package_and_person(participation_id: Uuid, world: &World) -> Vec<String> {
    let mut needed = with_package(participation_id, world);
    if let Some(person_ref) =
        world.participation(participation_id).and_then(|p| p.person_ref.clone())
    {
        needed.push(streams::person(&person_ref));
    }
    needed
}

pub(super) fn opening_streams(package_id: Uuid, person_ref: &str) -> Vec<String> {
    let participation_id = streams::participation_id(package_id, person_ref);
    vec![
        streams::package(package_id),
        streams::person(person_ref),
        streams::participation(participation_id),
    ]
}

fn participation(world: &World, participation_id: Uuid) -> Result<&ParticipationState, Rejection> {
    world.participation(participation_id).ok_or_else(|| Rejection::NotFound {
        what: "participation",
        id: participation_id.to_string(),
    })
}

fn package_of<'w>(
    world: &'w World,
    state: &ParticipationState,
) -> Result<&'w PackageState, Rejection> {
    let package_id = state.package_id.unwrap_or_default();
    world
        .package(package_id)
        .ok_or_else(|| Rejection::NotFound { what: "package", id: package_id.to_string() })
}

fn status(state: &ParticipationState) -> S {
    state.status.expect("loaded participations have a status")
}

fn in_state(
    state: &ParticipationState,
    allowed: &[S],
    action: &'static str,
) -> Result<S, Rejection> {
    let current = status(state);
    if !allowed.contains(&current) {
        return Err(Rejection::InvalidState {
            what: "the participation",
            state: current.label().to_owned(),
            action,
        });
    }
    Ok(current)
}

fn check_person_ref(person_ref: &str) -> Result<(), Rejection> {
    if !is_person_ref(person_ref) {
        let detail =
            "expected `p` and 32 hex digits: a pseudonymous ref, never a raw id".to_owned();
        return Err(Rejection::InvalidField { field: "person_ref", detail });
    }
    Ok(())
}

/// A participation for this person and package may be opened: none yet, or a closed one.
fn check_not_open(world: &World, participation_id: Uuid) -> Result<(), Rejection> {
    if let Some(existing) = world.participation(participation_id)
        && !status(existing).may_reopen()
    {
        let id = format!("{participation_id} ({})", status(existing).label());
        return Err(Rejection::AlreadyExists {
            what: "open participation of this person in this package",
            id,
        });
    }
    Ok(())
}

pub(super) fn nominate(
    command: &NominateInmate,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    check_person_ref(&command.person_ref)?;
    let package = world.package(command.package_id).ok_or_else(|| Rejection::NotFound {
        what: "package",
        id: command.package_id.to_string(),
    })?;
    let person = world
        .person(&command.person_ref)
        .ok_or_else(|| Rejection::NotFound { what: "person", id: command.person_ref.clone() })?;
    if let Some(surviving_ref) = &person.merged_into {
        return Err(Rejection::PersonMerged { surviving_ref: surviving_ref.clone() });
    }
    if !person.in_custody {
        return Err(Rejection::NotInCustody);
    }
    let facility = person.facility.clone().unwrap_or_default();
    facility_scope(ctx, "inmate", Some(&facility))?;
    if !package.is_open() {
        let state = format!("{:?}", package.status).to_lowercase();
        return Err(Rejection::InvalidState {
            what: "the package",
            state,
            action: "nominate for it",
        });
    }
    let definition = package.definition.as_ref().expect("defined");
    if !definition.facilities.contains(&facility) {
        return Err(Rejection::FacilityNotInPackage { facility });
    }
    let participation_id = streams::participation_id(command.package_id, &command.person_ref);
    check_not_open(world, participation_id)?;
    let legal_status =
        person.legal_status.ok_or(Rejection::Required { field: "the person's legal status" })?;
    let mut decision = Decision::new(serde_json::json!({ "participation_id": participation_id }));
    decision.facility = Some(facility);
    decision.push(
        streams::participation(participation_id),
        ParticipantNominated {
            participation_id,
            package_id: command.package_id,
            person_ref: command.person_ref.clone(),
            custody_episode_ref: person.episode_ref.clone().unwrap_or_default(),
            category: ParticipantCategory::Wbp,
            legal_status,
            register_class: person.register_class,
            attributes: PersonAttributes {
                offence_group: person.offence_group,
                ..person.attributes.clone()
            },
        },
    );
    open_links(&mut decision, command.package_id, &command.person_ref, participation_id, true);
    Ok(decision)
}

fn open_links(
    decision: &mut Decision,
    package_id: Uuid,
    person_ref: &str,
    participation_id: Uuid,
    inmate: bool,
) {
    let person_ref = person_ref.to_owned();
    decision.push(
        streams::person(&person_ref),
        ParticipationOpened { person_ref: person_ref.clone(), participation_id, package_id },
    );
    decision.push(
        streams::package(package_id),
        RosterEntryOpened { package_id, participation_id, inmate },
    );
}

pub(super) fn register_public(
    command: &RegisterPublicApplicant,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    check_person_ref(&command.person_ref)?;
    let package = world.package(command.package_id).ok_or_else(|| Rejection::NotFound {
        what: "package",
        id: command.package_id.to_string(),
    })?;
    provider_scope(ctx, package)?;
    if !package.is_open() {
        let state = format!("{:?}", package.status).to_lowercase();
        return Err(Rejection::InvalidState {
            what: "the package",
            state,
            action: "register for it",
        });
    }
    if let Some(person) = world.person(&command.person_ref)
        && person.in_custody
    {
        let detail = "the person is in custody: nominate them as an inmate".to_owned();
        return Err(Rejection::NotAllowed { detail });
    }
    for (field, code) in
        [("desa_code", &command.desa_code), ("kecamatan_code", &command.kecamatan_code)]
    {
        let valid =
            (2..=20).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        if !valid {
            let detail = "a Kemendagri area code: digits and dots, e.g. 53.02.01".to_owned();
            return Err(Rejection::InvalidField { field, detail });
        }
    }
    let participation_id = streams::participation_id(command.package_id, &command.person_ref);
    check_not_open(world, participation_id)?;
    let mut decision = Decision::new(serde_json::json!({ "participation_id": participation_id }));
    decision.push(
        streams::participation(participation_id),
        PublicApplicantRegistered {
            participation_id,
            package_id: command.package_id,
            person_ref: command.person_ref.clone(),
            category: ParticipantCategory::Masyarakat,
            desa_code: command.desa_code.clone(),
            kecamatan_code: command.kecamatan_code.clone(),
            sex: command.sex,
            age_band: command.age_band,
        },
    );
    open_links(&mut decision, command.package_id, &command.person_ref, participation_id, false);
    Ok(decision)
}

pub(super) fn assess_eligibility(
    command: &AssessEligibility,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let state = participation(world, command.participation_id)?;
    facility_scope(ctx, "participation", state.facility.as_deref())?;
    if state.category != Some(ParticipantCategory::Wbp) {
        let detail =
            "public applicants follow the provider's rules, not eligibility for inmates".to_owned();
        return Err(Rejection::NotAllowed { detail });
    }
    in_state(
        state,
        &[S::Nominated, S::Eligible, S::NotEligible, S::Approved],
        "assess eligibility",
    )?;
    let package = package_of(world, state)?;
    let person_ref = state.person_ref.clone().unwrap_or_default();
    let person = world
        .person(&person_ref)
        .ok_or_else(|| Rejection::NotFound { what: "person", id: person_ref.clone() })?;
    let (served_days, sentence_days) =
        eligibility::served(person.sentence_start, person.expiry_date, ctx.today);
    let facts = eligibility::Facts {
        assessed_on: ctx.today,
        venue_type: package.definition.as_ref().expect("defined").venue_type,
        in_custody: person.in_custody,
        inputs: EligibilityInputs {
            legal_status: person.legal_status,
            offence_group: person.offence_group,
            sentence_months: person.sentence_months,
            sentence_start: person.sentence_start,
            expiry_date: person.expiry_date,
            served_days,
            sentence_days,
            last_sanction_end: person.sanctions.values().map(|(_, end)| *end).max(),
            sppn_score: command.sppn_score,
            litmas_ref: command.litmas_ref.clone(),
        },
        sanctions: person.sanctions.values().copied().collect(),
    };
    let assessment = eligibility::assess(&facts);
    let assessment_id = derived(ctx, "eligibility");
    let mut decision = Decision::new(serde_json::json!({
        "participation_id": command.participation_id,
        "eligible": assessment.eligible,
        "rule_set": assessment.rule_set.id,
    }));
    decision.push(
        streams::participation(command.participation_id),
        EligibilityAssessed {
            participation_id: command.participation_id,
            assessment_id,
            rule_set: assessment.rule_set.id.to_owned(),
            rule_set_version: assessment.rule_set.version,
            assessed_on: ctx.today,
            inputs: facts.inputs,
            criteria: assessment.criteria,
            eligible: assessment.eligible,
        },
    );
    Ok(decision)
}

pub(super) fn request_override(
    command: &RequestEligibilityOverride,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let state = participation(world, command.participation_id)?;
    facility_scope(ctx, "participation", state.facility.as_deref())?;
    in_state(state, &[S::NotEligible], "request an eligibility override")?;
    require_reason(ctx)?;
    if let Some((request_id, _)) = &state.pending_override {
        return Err(Rejection::AlreadyExists {
            what: "pending override request",
            id: request_id.to_string(),
        });
    }
    let mut decision = Decision::new(
        serde_json::json!({ "status": "pending_second_person", "request_id": command.request_id }),
    );
    decision.push(
        streams::participation(command.participation_id),
        EligibilityOverrideRequested {
            participation_id: command.participation_id,
            request_id: command.request_id,
        },
    );
    Ok(decision)
}

pub(super) fn approve_override(
    command: &ApproveEligibilityOverride,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let state = participation(world, command.participation_id)?;
    facility_scope(ctx, "participation", state.facility.as_deref())?;
    let Some((request_id, requested_by)) = &state.pending_override else {
        return Err(Rejection::NothingPending {
            what: "eligibility override",
            id: command.request_id.to_string(),
        });
    };
    if *request_id != command.request_id {
        return Err(Rejection::NothingPending {
            what: "eligibility override",
            id: command.request_id.to_string(),
        });
    }
    if *requested_by == ctx.actor {
        return Err(Rejection::SegregationOfDuties {
            rule: "an eligibility override is approved by someone other than its requester",
        });
    }
    let mut decision = Decision::new(
        serde_json::json!({ "participation_id": command.participation_id, "eligible": true }),
    );
    decision.push(
        streams::participation(command.participation_id),
        EligibilityOverrideApproved {
            participation_id: command.participation_id,
            request_id: command.request_id,
            requested_by: requested_by.clone(),
        },
    );
    Ok(decision)
}

fn not_own_nomination(state: &ParticipationState, ctx: &Context) -> Result<(), Rejection> {
    if state.nominated_by.as_deref() == Some(ctx.actor.as_str()) {
        return Err(Rejection::SegregationOfDuties {
            rule: "a nomination is decided by someone other than its nominator",
        });
    }
    Ok(())
}

pub(super) fn approve_nomination(
    command: &ApproveNomination,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let state = participation(world, command.participation_id)?;
    facility_scope(ctx, "participation", state.facility.as_deref())?;
    in_state(state, &[S::Eligible], "approve the nomination")?;
    not_own_nomination(state, ctx)?;
    require_document(ctx)?;
    let mut decision =
        Decision::new(serde_json::json!({ "participation_id": command.participation_id }));
    decision.push(
        streams::participation(command.participation_id),
        NominationApproved {
            participation_id: command.participation_id,
            tpp_session_date: command.tpp_session_date,
            nominated_by: state.nominated_by.clone().unwrap_or_default(),
        },
    );
    Ok(decision)
}

pub(super) fn reject_nomination(
    command: &RejectNomination,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let state = participation(world, command.participation_id)?;
    facility_scope(ctx, "participation", state.facility.as_deref())?;
    in_state(state, &[S::Nominated, S::Eligible, S::NotEligible], "reject the nomination")?;
    not_own_nomination(state, ctx)?;
    let mut decision =
        Decision::new(serde_json::json!({ "participation_id": command.participation_id }));
    decision.push(
        streams::participation(command.participation_id),
        NominationRejected {
            participation_id: command.participation_id,
            reason: command.reason_code,
        },
    );
    Ok(decision)
}

/// Whether one more participant (an inmate or not) fits the package's quotas.
fn fits(package: &PackageState, inmate: bool) -> bool {
    let definition = package.definition.as_ref().expect("defined");
    let total_ok = package.places_taken() < definition.quota_total;
    let inmate_ok = !inmate
        || definition.quota_inmates.is_none_or(|quota| package.inmate_places_taken() < quota);
    total_ok && inmate_ok
}

pub(super) fn accept(
    command: &AcceptParticipant,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let state = participation(world, command.participation_id)?;
    let package = package_of(world, state)?;
    provider_scope(ctx, package)?;
    let current =
        in_state(state, &[S::Approved, S::Registered, S::Waitlisted], "accept the participant")?;
    if !package.is_open() {
        let state = format!("{:?}", package.status).to_lowercase();
        return Err(Rejection::InvalidState {
            what: "the package",
            state,
            action: "accept participants",
        });
    }
    let package_id = state.package_id.expect("loaded");
    let inmate = state.category == Some(ParticipantCategory::Wbp);
    let package_stream = streams::package(package_id);
    let participation_stream = streams::participation(command.participation_id);
    let mut decision = Decision::new(serde_json::Value::Null);
    if fits(package, inmate) {
        if current == S::Waitlisted {
            let first_fitting = package.waitlist.iter().find(|(_, inmate)| fits(package, *inmate));
            if first_fitting.is_some_and(|(id, _)| *id != command.participation_id) {
                return Err(Rejection::WaitlistOrder);
            }
        }
        decision.push(
            participation_stream,
            ParticipantAccepted {
                participation_id: command.participation_id,
                accepted_on: ctx.today,
            },
        );
        if current == S::Waitlisted {
            let left = WaitlistLeft { package_id, participation_id: command.participation_id };
            decision.push(package_stream.clone(), left);
        }
        decision.push(
            package_stream,
            PlaceAllocated { package_id, participation_id: command.participation_id, inmate },
        );
        decision.reply = serde_json::json!({ "participation_id": command.participation_id, "status": "accepted" });
        return Ok(decision);
    }
    let definition = package.definition.as_ref().expect("defined");
    if current == S::Waitlisted {
        return Err(Rejection::QuotaFull {
            taken: package.places_taken(),
            quota: definition.quota_total,
        });
    }
    let position = package.waitlist.len() as u32 + 1;
    decision.push(
        participation_stream,
        ParticipantWaitlisted { participation_id: command.participation_id, position },
    );
    decision.push(
        package_stream,
        WaitlistJoined { package_id, participation_id: command.participation_id, inmate },
    );
    decision.reply = serde_json::json!({
        "participation_id": command.participation_id,
        "status": "waitlisted",
        "position": position,
        "detail": format!("quota full (kuota penuh): {} of {} places taken", package.places_taken(), definition.quota_total),
    });
    Ok(decision)
}

pub(super) fn withdraw(
    command: &WithdrawParticipant,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let state = participation(world, command.participation_id)?;
    facility_scope(ctx, "participation", state.facility.as_deref())?;
    let package = package_of(world, state)?;
    if ctx.role == crate::vocabulary::Role::DisnakerAdmin {
        provider_scope(ctx, package)?;
    }
    let current = status(state);
    if !current.is_before_start() || current == S::NotEligible {
        let action = "withdraw: that is only before the start; end the participation instead";
        return Err(Rejection::InvalidState {
            what: "the participation",
            state: current.label().to_owned(),
            action,
        });
    }
    system_only(ctx, command.reason_code.system_only(), command.reason_code.as_str())?;
    let mut decision = Decision::new(
        serde_json::json!({ "participation_id": command.participation_id, "status": "withdrawn" }),
    );
    withdraw_for(
        &mut decision,
        package,
        state.package_id.expect("loaded"),
        command.participation_id,
        command.reason_code,
        ctx,
    );
    Ok(decision)
}

pub(super) fn start(
    command: &StartParticipation,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let state = participation(world, command.participation_id)?;
    let package = package_of(world, state)?;
    provider_scope(ctx, package)?;
    in_state(state, &[S::Accepted], "start")?;
    if package.status != crate::state::PackageStatus::Started {
        let state = format!("{:?}", package.status).to_lowercase();
        return Err(Rejection::InvalidState {
            what: "the package",
            state,
            action: "start participants before it starts",
        });
    }
    let definition = package.definition.as_ref().expect("defined");
    if ctx.today < definition.start_date || ctx.today > definition.end_date {
        let (start, end) = (definition.start_date, definition.end_date);
        return Err(Rejection::OutsidePackagePeriod { date: ctx.today, start, end });
    }
    let mut decision = Decision::new(
        serde_json::json!({ "participation_id": command.participation_id, "status": "active" }),
    );
    decision.push(
        streams::participation(command.participation_id),
        ParticipationStarted { participation_id: command.participation_id, started_on: ctx.today },
    );
    Ok(decision)
}

pub(super) fn record_attendance(
    command: &RecordAttendance,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let state = participation(world, command.participation_id)?;
    facility_scope(ctx, "participation", state.facility.as_deref())?;
    let package = package_of(world, state)?;
    provider_scope(ctx, package)?;
    in_state(state, &[S::Active, S::Suspended, S::Ended], "record attendance")?;
    let Some(session) = package.sessions.get(&command.session_id) else {
        return Err(Rejection::NotFound { what: "session", id: command.session_id.to_string() });
    };
    if session.cancelled {
        return Err(Rejection::SessionCancelled { session_id: command.session_id });
    }
    let definition = package.definition.as_ref().expect("defined");
    if session.date < definition.start_date || session.date > definition.end_date {
        let (start, end) = (definition.start_date, definition.end_date);
        return Err(Rejection::OutsidePackagePeriod { date: session.date, start, end });
    }
    if session.date > ctx.today {
        let detail = format!("the session is on {}, after today ({})", session.date, ctx.today);
        return Err(Rejection::InvalidField { field: "session_id", detail });
    }
    if state.marks.contains_key(&command.session_id) {
        return Err(Rejection::AttendanceAlreadyRecorded { session_id: command.session_id });
    }
    system_only(ctx, command.code.system_only(), command.code.as_str())?;
    let suspended_then = state.started_on.is_some_and(|started| started <= session.date)
        && state.suspensions.iter().any(|(from, until)| {
            *from <= session.date && until.is_none_or(|until| session.date < until)
        });
    if suspended_then {
        if command.code != AttendanceCode::Ditangguhkan {
            let detail = "the participant was suspended that day: the only mark is `ditangguhkan`"
                .to_owned();
            return Err(Rejection::InvalidField { field: "code", detail });
        }
    } else if !state.active_on(session.date) {
        return Err(Rejection::NotActiveOnDate { date: session.date });
    } else if command.code == AttendanceCode::Ditangguhkan {
        let detail = "`ditangguhkan` is only for days the participant was suspended".to_owned();
        return Err(Rejection::InvalidField { field: "code", detail });
    }
    if command.minutes_late.is_some() && command.code != AttendanceCode::Terlambat {
        let detail = "only a `terlambat` mark has minutes late".to_owned();
        return Err(Rejection::InvalidField { field: "minutes_late", detail });
    }
    let mut decision = Decision::new(
        serde_json::json!({ "participation_id": command.participation_id, "session_id": command.session_id }),
    );
    decision.business_day = Some(session.date);
    decision.push(
        streams::participation(command.participation_id),
        AttendanceRecorded {
            participation_id: command.participation_id,
            session_id: command.session_id,
            session_date: session.date,
            code: command.code,
            minutes_late: command.minutes_late,
        },
    );
    Ok(decision)
}

pub(super) fn suspend(
    command: &SuspendParticipation,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let state = participation(world, command.participation_id)?;
    facility_scope(ctx, "participation", state.facility.as_deref())?;
    in_state(state, &[S::Active], "suspend")?;
    system_only(ctx, command.reason_code.system_only(), command.reason_code.as_str())?;
    let mut decision = Decision::new(
        serde_json::json!({ "participation_id": command.participation_id, "status": "suspended" }),
    );
    decision.push(
        streams::participation(command.participation_id),
        ParticipationSuspended {
            participation_id: command.participation_id,
            reason: command.reason_code,
            system_only: command.reason_code.system_only(),
            suspended_on: ctx.today,
        },
    );
    Ok(decision)
}

pub(super) fn resume(
    command: &ResumeParticipation,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let state = participation(world, command.participation_id)?;
    facility_scope(ctx, "participation", state.facility.as_deref())?;
    in_state(state, &[S::Suspended], "resume")?;
    let mut decision = Decision::new(
        serde_json::json!({ "participation_id": command.participation_id, "status": "active" }),
    );
    decision.push(
        streams::participation(command.participation_id),
        ParticipationResumed { participation_id: command.participation_id, resumed_on: ctx.today },
    );
    Ok(decision)
}

pub(super) fn end(
    command: &EndParticipation,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let state = participation(world, command.participation_id)?;
    facility_scope(ctx, "participation", state.facility.as_deref())?;
    let package = package_of(world, state)?;
    if ctx.role == crate::vocabulary::Role::DisnakerAdmin {
        provider_scope(ctx, package)?;
    }
    in_state(
        state,
        &[S::Active, S::Suspended],
        "end the participation (before the start, withdraw instead)",
    )?;
    system_only(ctx, command.reason_code.system_only(), command.reason_code.as_str())?;
    let mut decision = Decision::new(
        serde_json::json!({ "participation_id": command.participation_id, "status": "ended" }),
    );
    end_for(
        &mut decision,
        package,
        state.package_id.expect("loaded"),
        command.participation_id,
        command.reason_code,
        ctx,
    );
    Ok(decision)
}

pub(super) fn complete(
    command: &CompleteTraining,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let state = participation(world, command.participation_id)?;
    let package = package_of(world, state)?;
    provider_scope(ctx, package)?;
    in_state(state, &[S::Active], "complete the training")?;
    let definition = package.definition.as_ref().expect("defined");
    let package_over =
        ctx.today >= definition.end_date || package.status == crate::state::PackageStatus::Closed;
    if !package_over {
        let detail = format!("the package runs until {}", definition.end_date);
        return Err(Rejection::NotAllowed { detail });
    }
    let rate = state.rate(package, ctx.today);
    let threshold = definition.attendance_threshold_percent;
    if !rate.meets(threshold) {
        return Err(Rejection::BelowAttendanceThreshold {
            attended: rate.attended,
            expected: rate.expected,
            threshold,
        });
    }
    let mut decision = Decision::new(serde_json::json!({
        "participation_id": command.participation_id,
        "sessions_attended": rate.attended,
        "sessions_expected": rate.expected,
    }));
    decision.push(
        streams::participation(command.participation_id),
        TrainingCompleted {
            participation_id: command.participation_id,
            completed_on: ctx.today,
            sessions_attended: rate.attended,
            sessions_expected: rate.expected,
            hours_attended: rate.hours_attended,
        },
    );
    Ok(decision)
}

pub(super) fn assess_competency(
    command: &AssessCompetency,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let state = participation(world, command.participation_id)?;
    in_state(
        state,
        &[S::Completed, S::Competent, S::NotYetCompetent],
        "assess competency (training must be completed first)",
    )?;
    non_empty("lsp", &command.lsp)?;
    if state.assessments.contains_key(&command.assessment_id) {
        return Err(Rejection::AlreadyExists {
            what: "assessment",
            id: command.assessment_id.to_string(),
        });
    }
    let mut decision = Decision::new(
        serde_json::json!({ "participation_id": command.participation_id, "result": command.result }),
    );
    decision.push(
        streams::participation(command.participation_id),
        CompetencyAssessed {
            participation_id: command.participation_id,
            assessment_id: command.assessment_id,
            lsp: command.lsp.clone(),
            units: command.units.clone(),
            result: command.result,
            assessed_on: ctx.today,
        },
    );
    Ok(decision)
}

pub(super) fn graduate(
    command: &GraduateParticipant,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let state = participation(world, command.participation_id)?;
    provider_scope(ctx, package_of(world, state)?)?;
    let current = status(state);
    if matches!(current, S::Completed | S::NotYetCompetent) {
        return Err(Rejection::NotCompetent);
    }
    in_state(state, &[S::Competent], "graduate")?;
    let Some(assessment_id) = state
        .latest_assessment
        .filter(|_| state.latest_result() == Some(CompetencyResult::Kompeten))
    else {
        return Err(Rejection::NotCompetent);
    };
    let mut decision = Decision::new(
        serde_json::json!({ "participation_id": command.participation_id, "status": "graduated" }),
    );
    decision.push(
        streams::participation(command.participation_id),
        ParticipantGraduated {
            participation_id: command.participation_id,
            assessment_id,
            graduated_on: ctx.today,
        },
    );
    Ok(decision)
}

pub(super) fn issue_certificate(
    command: &IssueCertificate,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let state = participation(world, command.participation_id)?;
    provider_scope(ctx, package_of(world, state)?)?;
    non_empty("number", &command.number)?;
    non_empty("issuer", &command.issuer)?;
    match command.certificate_type {
        CertificateType::Pelatihan => {
            in_state(
                state,
                &[S::Completed, S::Competent, S::NotYetCompetent, S::Graduated],
                "issue a course certificate",
            )?;
        }
        CertificateType::KompetensiBnsp => {
            if state.latest_result() != Some(CompetencyResult::Kompeten) {
                return Err(Rejection::NotCompetent);
            }
        }
    }
    if state.certificates.contains_key(&(command.issuer.clone(), command.number.clone())) {
        return Err(Rejection::AlreadyExists {
            what: "certificate",
            id: format!("{} {}", command.issuer, command.number),
        });
    }
    if command.valid_until.is_some_and(|until| until < ctx.today) {
        return Err(Rejection::InvalidField {
            field: "valid_until",
            detail: "before the issue date".to_owned(),
        });
    }
    let mut decision = Decision::new(
        serde_json::json!({ "participation_id": command.participation_id, "number": command.number }),
    );
    decision.push(
        streams::participation(command.participation_id),
        CertificateIssued {
            participation_id: command.participation_id,
            certificate_type: command.certificate_type,
            number: command.number.clone(),
            issuer: command.issuer.clone(),
            issued_on: ctx.today,
            valid_until: command.valid_until,
        },
    );
    Ok(decision)
}
