//! Rules for the registry and for packages: define, amend, sessions, start, close, cancel.

use uuid::Uuid;

use super::{Context, Decision, World, non_empty, provider_scope, require_reason};
use crate::catalogue::{
    OrganisationRegistered, PackageAmended, PackageCancelled, PackageChanges, PackageClosed,
    PackageDefined, PackageStarted, ParticipantWithdrawn, ParticipationEnded, PlaceReleased,
    SessionCancelled, SessionScheduled, TrainingCompleted, WaitlistLeft,
};
use crate::command::{
    AmendPackage, CancelPackage, CancelSession, ClosePackage, DefinePackage, RegisterOrganisation,
    ScheduleSession, StartPackage,
};
use crate::rejection::Rejection;
use crate::state::{PackageState, PackageStatus, ParticipationStatus};
use crate::streams;
use crate::vocabulary::{EndReason, GrantPolicy, WithdrawalReason};

/// The default attendance threshold for graduation.
pub const ATTENDANCE_THRESHOLD_DEFAULT: u8 = 80;

pub(super) fn register_organisation(
    command: &RegisterOrganisation,
    world: &World,
) -> Result<Decision, Rejection> {
    let code_ok = (2..=64).contains(&command.code.len())
        && command.code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
    if !code_ok {
        let detail = "2 to 64 upper-case letters, digits or `-`, e.g. RUTAN-SOE".to_owned();
        return Err(Rejection::InvalidField { field: "code", detail });
    }
    non_empty("name", &command.name)?;
    if world.organisation(&command.code).is_some() {
        return Err(Rejection::AlreadyExists { what: "organisation", id: command.code.clone() });
    }
    let mut decision = Decision::new(serde_json::json!({ "organisation": command.code }));
    decision.push(
        streams::organisation(&command.code),
        OrganisationRegistered {
            code: command.code.clone(),
            name: command.name.clone(),
            kind: command.kind,
            time_zone: command.time_zone,
            parent: command.parent.clone(),
        },
    );
    Ok(decision)
}

pub(super) fn define(
    command: &DefinePackage,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    if world.version(&streams::package(command.package_id)) > 0 {
        return Err(Rejection::AlreadyExists {
            what: "package",
            id: command.package_id.to_string(),
        });
    }
    for (field, value) in [
        ("title", &command.title),
        ("skill", &command.skill),
        ("location", &command.location),
        ("funding_source", &command.funding_source),
    ] {
        non_empty(field, value)?;
    }
    if world.organisation(&command.provider).is_none() {
        return Err(Rejection::NotFound { what: "organisation", id: command.provider.clone() });
    }
    for facility in &command.facilities {
        let registered = world.organisation(facility).and_then(|org| org.registered.as_ref());
        if !registered.is_some_and(|org| org.kind.is_facility()) {
            return Err(Rejection::NotFound { what: "facility", id: facility.clone() });
        }
    }
    let threshold = command.attendance_threshold_percent.unwrap_or(ATTENDANCE_THRESHOLD_DEFAULT);
    let definition = PackageDefined {
        package_id: command.package_id,
        title: command.title.clone(),
        provider: command.provider.clone(),
        skill: command.skill.clone(),
        skkni_units: command.skkni_units.clone(),
        venue_type: command.venue_type,
        location: command.location.clone(),
        facilities: command.facilities.clone(),
        planned_hours: command.planned_hours,
        start_date: command.start_date,
        end_date: command.end_date,
        quota_total: command.quota_total,
        quota_inmates: command.quota_inmates,
        attendance_threshold_percent: threshold,
        funding_source: command.funding_source.clone(),
        grant_policy: command.grant_policy.unwrap_or(GrantPolicy::GraduatesOnly),
    };
    check_definition(&definition)?;
    let mut decision = Decision::new(serde_json::json!({ "package_id": command.package_id }));
    if ctx.role == crate::vocabulary::Role::DisnakerAdmin && ctx.organisation != command.provider {
        return Err(Rejection::WrongOrganisation {
            what: "package",
            owner: command.provider.clone(),
            actor_organisation: ctx.organisation.clone(),
        });
    }
    decision.push(streams::package(command.package_id), definition);
    Ok(decision)
}

fn check_definition(definition: &PackageDefined) -> Result<(), Rejection> {
    if definition.end_date < definition.start_date {
        let detail = format!(
            "the end {} is before the start {}",
            definition.end_date, definition.start_date
        );
        return Err(Rejection::InvalidField { field: "end_date", detail });
    }
    if definition.quota_total < 1 {
        return Err(Rejection::InvalidField {
            field: "quota_total",
            detail: "must be 1 or more".to_owned(),
        });
    }
    if definition.quota_inmates.is_some_and(|inmates| inmates > definition.quota_total) {
        let detail = "cannot exceed the total quota".to_owned();
        return Err(Rejection::InvalidField { field: "quota_inmates", detail });
    }
    if !(1..=100).contains(&definition.attendance_threshold_percent) {
        let detail = "must be between 1 and 100".to_owned();
        return Err(Rejection::InvalidField { field: "attendance_threshold_percent", detail });
    }
    if definition.planned_hours < 1 {
        return Err(Rejection::InvalidField {
            field: "planned_hours",
            detail: "must be 1 or more".to_owned(),
        });
    }
    Ok(())
}

fn package(world: &World, package_id: Uuid) -> Result<&PackageState, Rejection> {
    world
        .package(package_id)
        .ok_or_else(|| Rejection::NotFound { what: "package", id: package_id.to_string() })
}

fn open_package<'w>(
    world: &'w World,
    package_id: Uuid,
    action: &'static str,
) -> Result<&'w PackageState, Rejection> {
    let package = package(world, package_id)?;
    if !package.is_open() {
        let state = format!("{:?}", package.status).to_lowercase();
        return Err(Rejection::InvalidState { what: "the package", state, action });
    }
    Ok(package)
}

pub(super) fn amend(
    command: &AmendPackage,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let package = open_package(world, command.package_id, "amend it")?;
    provider_scope(ctx, package)?;
    require_reason(ctx)?;
    let changes = PackageChanges {
        title: command.title.clone(),
        location: command.location.clone(),
        planned_hours: command.planned_hours,
        start_date: command.start_date,
        end_date: command.end_date,
        quota_total: command.quota_total,
        quota_inmates: command.quota_inmates,
        attendance_threshold_percent: command.attendance_threshold_percent,
        funding_source: command.funding_source.clone(),
    };
    if changes == PackageChanges::default() {
        return Err(Rejection::Required { field: "a change" });
    }
    let mut amended = package.definition.clone().expect("open packages are defined");
    macro_rules! apply {
        ($($field:ident),*) => {$( if let Some(value) = &changes.$field { amended.$field = value.clone(); } )*};
    }
    apply!(
        title,
        location,
        planned_hours,
        start_date,
        end_date,
        quota_total,
        attendance_threshold_percent,
        funding_source
    );
    if changes.quota_inmates.is_some() {
        amended.quota_inmates = changes.quota_inmates;
    }
    check_definition(&amended)?;
    if amended.quota_total < package.places_taken() {
        return Err(Rejection::QuotaBelowAccepted { accepted: package.places_taken() });
    }
    if amended.quota_inmates.is_some_and(|quota| quota < package.inmate_places_taken()) {
        return Err(Rejection::QuotaBelowAccepted { accepted: package.inmate_places_taken() });
    }
    if let Some(session) = package.sessions.values().find(|session| {
        !session.cancelled && (session.date < amended.start_date || session.date > amended.end_date)
    }) {
        let (date, start, end) = (session.date, amended.start_date, amended.end_date);
        return Err(Rejection::OutsidePackagePeriod { date, start, end });
    }
    let mut decision = Decision::new(serde_json::json!({ "package_id": command.package_id }));
    decision.push(
        streams::package(command.package_id),
        PackageAmended { package_id: command.package_id, changes },
    );
    Ok(decision)
}

pub(super) fn schedule_session(
    command: &ScheduleSession,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let package = open_package(world, command.package_id, "schedule a session")?;
    provider_scope(ctx, package)?;
    let definition = package.definition.as_ref().expect("open packages are defined");
    if package.sessions.contains_key(&command.session_id) {
        return Err(Rejection::AlreadyExists {
            what: "session",
            id: command.session_id.to_string(),
        });
    }
    if command.date < definition.start_date || command.date > definition.end_date {
        let (start, end) = (definition.start_date, definition.end_date);
        return Err(Rejection::OutsidePackagePeriod { date: command.date, start, end });
    }
    if command.end_time <= command.start_time {
        return Err(Rejection::InvalidField {
            field: "end_time",
            detail: "must be after the start".to_owned(),
        });
    }
    if !(1..=12).contains(&command.hours) {
        return Err(Rejection::InvalidField {
            field: "hours",
            detail: "between 1 and 12 per session".to_owned(),
        });
    }
    let mut decision = Decision::new(serde_json::json!({ "session_id": command.session_id }));
    decision.push(
        streams::package(command.package_id),
        SessionScheduled {
            package_id: command.package_id,
            session_id: command.session_id,
            date: command.date,
            start_time: command.start_time,
            end_time: command.end_time,
            hours: command.hours,
        },
    );
    Ok(decision)
}

pub(super) fn cancel_session(
    command: &CancelSession,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let package = open_package(world, command.package_id, "cancel a session")?;
    provider_scope(ctx, package)?;
    require_reason(ctx)?;
    let Some(session) = package.sessions.get(&command.session_id) else {
        return Err(Rejection::NotFound { what: "session", id: command.session_id.to_string() });
    };
    if session.cancelled {
        return Err(Rejection::SessionCancelled { session_id: command.session_id });
    }
    let mut decision = Decision::new(serde_json::json!({ "session_id": command.session_id }));
    let cancelled =
        SessionCancelled { package_id: command.package_id, session_id: command.session_id };
    decision.push(streams::package(command.package_id), cancelled);
    Ok(decision)
}

pub(super) fn start(
    command: &StartPackage,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let package = package(world, command.package_id)?;
    provider_scope(ctx, package)?;
    if package.status != PackageStatus::Planned {
        let state = format!("{:?}", package.status).to_lowercase();
        return Err(Rejection::InvalidState { what: "the package", state, action: "start it" });
    }
    let definition = package.definition.as_ref().expect("defined");
    if ctx.today < definition.start_date || ctx.today > definition.end_date {
        let (start, end) = (definition.start_date, definition.end_date);
        return Err(Rejection::OutsidePackagePeriod { date: ctx.today, start, end });
    }
    let mut decision = Decision::new(serde_json::json!({ "package_id": command.package_id }));
    let started = PackageStarted { package_id: command.package_id, started_on: ctx.today };
    decision.push(streams::package(command.package_id), started);
    Ok(decision)
}

/// The package and, once it is loaded, every participation on its roster.
pub(super) fn roster_streams(package_id: Uuid, world: &World) -> Vec<String> {
    let mut needed = vec![streams::package(package_id)];
    if let Some(package) = world.package(package_id) {
        needed.extend(package.roster.iter().map(|id| streams::participation(*id)));
    }
    needed
}

/// Closing: participants still in training complete if their attendance meets the threshold,
/// and end for low attendance (*kehadiran kurang*) if it does not; anyone not yet started is
/// withdrawn. Before the end date, a package closes only when nobody is left open.
pub(super) fn close(
    command: &ClosePackage,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let package = open_package(world, command.package_id, "close it")?;
    provider_scope(ctx, package)?;
    let definition = package.definition.as_ref().expect("defined");
    let open: Vec<_> = open_participations(package, world);
    if ctx.today < definition.end_date && !open.is_empty() {
        let detail = format!(
            "the package runs until {} and {} participants are still open",
            definition.end_date,
            open.len()
        );
        return Err(Rejection::NotAllowed { detail });
    }
    let mut decision = Decision::new(serde_json::json!({ "package_id": command.package_id }));
    let (mut completed, mut ended, mut withdrawn) = (Vec::new(), Vec::new(), Vec::new());
    for (participation_id, state) in open {
        let stream = streams::participation(participation_id);
        if state.status.is_some_and(ParticipationStatus::is_in_training) {
            let rate = state.rate(package, ctx.today);
            if rate.meets(definition.attendance_threshold_percent) {
                completed.push(participation_id);
                decision.push(
                    stream,
                    TrainingCompleted {
                        participation_id,
                        completed_on: ctx.today,
                        sessions_attended: rate.attended,
                        sessions_expected: rate.expected,
                        hours_attended: rate.hours_attended,
                    },
                );
            } else {
                ended.push(participation_id);
                end_for(
                    &mut decision,
                    package,
                    command.package_id,
                    participation_id,
                    EndReason::KehadiranKurang,
                    ctx,
                );
            }
        } else {
            withdrawn.push(participation_id);
            withdraw_for(
                &mut decision,
                package,
                command.package_id,
                participation_id,
                WithdrawalReason::PackageClosed,
                ctx,
            );
        }
    }
    decision.reply = serde_json::json!({
        "package_id": command.package_id,
        "completed": completed,
        "ended_for_attendance": ended,
        "withdrawn": withdrawn,
    });
    let closed = PackageClosed { package_id: command.package_id, closed_on: ctx.today };
    decision.push(streams::package(command.package_id), closed);
    Ok(decision)
}

/// Cancelling: every open participation ends (or is withdrawn) with `paket_dibatalkan`.
pub(super) fn cancel(
    command: &CancelPackage,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let package = open_package(world, command.package_id, "cancel it")?;
    provider_scope(ctx, package)?;
    require_reason(ctx)?;
    let mut decision = Decision::new(serde_json::json!({ "package_id": command.package_id }));
    for (participation_id, state) in open_participations(package, world) {
        if state.status.is_some_and(ParticipationStatus::is_in_training) {
            end_for(
                &mut decision,
                package,
                command.package_id,
                participation_id,
                EndReason::PaketDibatalkan,
                ctx,
            );
        } else {
            withdraw_for(
                &mut decision,
                package,
                command.package_id,
                participation_id,
                WithdrawalReason::PackageCancelled,
                ctx,
            );
        }
    }
    let cancelled = PackageCancelled { package_id: command.package_id, cancelled_on: ctx.today };
    decision.push(streams::package(command.package_id), cancelled);
    Ok(decision)
}

fn open_participations<'w>(
    package: &PackageState,
    world: &'w World,
) -> Vec<(Uuid, &'w crate::state::ParticipationState)> {
    package
        .roster
        .iter()
        .filter_map(|id| world.participation(*id).map(|state| (*id, state)))
        .filter(|(_, state)| state.status.is_some_and(ParticipationStatus::is_open))
        .collect()
}

/// Ends a participation in training and gives its place back.
pub(super) fn end_for(
    decision: &mut Decision,
    package: &PackageState,
    package_id: Uuid,
    participation_id: Uuid,
    reason: EndReason,
    ctx: &Context,
) {
    decision.push(
        streams::participation(participation_id),
        ParticipationEnded {
            participation_id,
            reason,
            category: reason.category(),
            system_only: reason.system_only(),
            ended_on: ctx.today,
        },
    );
    if package.places.contains_key(&participation_id) {
        decision.push(streams::package(package_id), PlaceReleased { package_id, participation_id });
    }
}

/// Withdraws a participation not yet started, and gives back its place or waiting-list spot.
pub(super) fn withdraw_for(
    decision: &mut Decision,
    package: &PackageState,
    package_id: Uuid,
    participation_id: Uuid,
    reason: WithdrawalReason,
    _ctx: &Context,
) {
    decision.push(
        streams::participation(participation_id),
        ParticipantWithdrawn { participation_id, reason, system_only: reason.system_only() },
    );
    if package.places.contains_key(&participation_id) {
        decision.push(streams::package(package_id), PlaceReleased { package_id, participation_id });
    }
    if package.waitlist.iter().any(|(id, _)| *id == participation_id) {
        decision.push(streams::package(package_id), WaitlistLeft { package_id, participation_id });
    }
}
