//! Rules for custody facts and what follows from them. A transfer, a release or a death ends
//! (or withdraws) the person's open participations with system-only reasons, defers a pending
//! grant handover while the person is still in custody, and raises a task in the facility's
//! change-of-circumstances inbox — all in the same transaction as the fact itself.

use super::package::{end_for, withdraw_for};
use super::{Context, Decision, World, derived, facility_scope, non_empty};
use crate::catalogue::*;
use crate::command::*;
use crate::ids;
use crate::person_ref::is_person_ref;
use crate::rejection::Rejection;
use crate::state::{GrantStatus, PersonState};
use crate::streams;
use crate::vocabulary::{DeferralReason, EndReason, ReleaseType, WithdrawalReason};

/// The person, then their participations and grants, then those participations' packages.
pub(super) fn consequence_streams(person_ref: &str, world: &World) -> Vec<String> {
    let mut needed = vec![streams::person(person_ref)];
    if let Some(person) = world.person(person_ref) {
        for (participation_id, package_id) in &person.participations {
            needed.push(streams::participation(*participation_id));
            needed.push(streams::package(*package_id));
            needed.push(streams::grant(streams::grant_id(*participation_id)));
        }
    }
    needed
}

fn check_ref(field: &'static str, person_ref: &str) -> Result<(), Rejection> {
    if !is_person_ref(person_ref) {
        let detail =
            "expected `p` and 32 hex digits: a pseudonymous ref, never a raw id".to_owned();
        return Err(Rejection::InvalidField { field, detail });
    }
    Ok(())
}

fn person<'w>(world: &'w World, person_ref: &str) -> Result<&'w PersonState, Rejection> {
    check_ref("person_ref", person_ref)?;
    let person = world
        .person(person_ref)
        .ok_or_else(|| Rejection::NotFound { what: "person", id: person_ref.to_owned() })?;
    if let Some(surviving_ref) = &person.merged_into {
        return Err(Rejection::PersonMerged { surviving_ref: surviving_ref.clone() });
    }
    Ok(person)
}

fn in_custody<'w>(
    world: &'w World,
    person_ref: &str,
    ctx: &Context,
) -> Result<&'w PersonState, Rejection> {
    let person = person(world, person_ref)?;
    if !person.in_custody {
        return Err(Rejection::NotInCustody);
    }
    facility_scope(ctx, "inmate", person.facility.as_deref())?;
    Ok(person)
}

fn registered_facility(world: &World, code: &str) -> Result<(), Rejection> {
    let registered = world.organisation(code).and_then(|org| org.registered.as_ref());
    if !registered.is_some_and(|org| org.kind.is_facility()) {
        return Err(Rejection::NotFound { what: "facility", id: code.to_owned() });
    }
    Ok(())
}

fn one(stream: String, event: impl Into<Event>, reply: serde_json::Value) -> Decision {
    let mut decision = Decision::new(reply);
    decision.push(stream, event);
    decision
}

pub(super) fn custody_episode(
    command: &RecordCustodyEpisode,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    check_ref("person_ref", &command.person_ref)?;
    if let Some(existing) = world.person(&command.person_ref)
        && let Some(surviving_ref) = &existing.merged_into
    {
        return Err(Rejection::PersonMerged { surviving_ref: surviving_ref.clone() });
    }
    registered_facility(world, &command.facility)?;
    facility_scope(ctx, "inmate", Some(&command.facility))?;
    non_empty("episode_ref", &command.episode_ref)?;
    let event = CustodyEpisodeRecorded {
        person_ref: command.person_ref.clone(),
        episode_ref: command.episode_ref.clone(),
        facility: command.facility.clone(),
        admitted_on: command.admitted_on,
        legal_status: command.legal_status,
        register_class: command.register_class,
        attributes: PersonAttributes {
            sex: command.sex,
            age_band: command.age_band,
            offence_group: command.offence_group,
            sentence_band: command.sentence_band,
        },
        sdp: command.sdp.clone(),
    };
    let mut decision = one(
        streams::person(&command.person_ref),
        event,
        serde_json::json!({ "person_ref": command.person_ref }),
    );
    decision.facility = Some(command.facility.clone());
    Ok(decision)
}

pub(super) fn legal_status(
    command: &ChangeLegalStatus,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let person = person(world, &command.person_ref)?;
    facility_scope(ctx, "inmate", person.facility.as_deref())?;
    let event = LegalStatusChanged {
        person_ref: command.person_ref.clone(),
        legal_status: command.legal_status,
        changed_on: command.changed_on,
        sentence_months: command.sentence_months,
        offence_group: command.offence_group,
        sdp: command.sdp.clone(),
    };
    Ok(one(
        streams::person(&command.person_ref),
        event,
        serde_json::json!({ "person_ref": command.person_ref }),
    ))
}

pub(super) fn sentence_dates(
    command: &UpdateSentenceDates,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let person = person(world, &command.person_ref)?;
    facility_scope(ctx, "inmate", person.facility.as_deref())?;
    if command.expiry_date < command.sentence_start {
        return Err(Rejection::InvalidField {
            field: "expiry_date",
            detail: "before the sentence start".to_owned(),
        });
    }
    let event = SentenceDatesUpdated {
        person_ref: command.person_ref.clone(),
        sentence_start: command.sentence_start,
        expiry_date: command.expiry_date,
        sdp: command.sdp.clone(),
    };
    Ok(one(
        streams::person(&command.person_ref),
        event,
        serde_json::json!({ "person_ref": command.person_ref }),
    ))
}

pub(super) fn sanction(
    command: &RecordDisciplinarySanction,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let person = in_custody(world, &command.person_ref, ctx)?;
    if command.ends_on < command.imposed_on {
        return Err(Rejection::InvalidField {
            field: "ends_on",
            detail: "before the sanction was imposed".to_owned(),
        });
    }
    if person.sanctions.contains_key(&command.sanction_id) {
        return Err(Rejection::AlreadyExists {
            what: "sanction",
            id: command.sanction_id.to_string(),
        });
    }
    let event = DisciplinarySanctionRecorded {
        person_ref: command.person_ref.clone(),
        sanction_id: command.sanction_id,
        imposed_on: command.imposed_on,
        ends_on: command.ends_on,
        sdp: command.sdp.clone(),
    };
    Ok(one(
        streams::person(&command.person_ref),
        event,
        serde_json::json!({ "sanction_id": command.sanction_id }),
    ))
}

/// What a custody change does to the person's participations and grants.
#[derive(Clone, Copy)]
struct Consequence {
    trigger: &'static str,
    end: EndReason,
    withdraw: WithdrawalReason,
    /// Still in custody afterwards: approved grants wait.
    defer_grants: bool,
}

/// Applies the consequences and notes in the reply which participations were affected and
/// which task was raised.
fn apply_consequences(
    decision: &mut Decision,
    world: &World,
    person: &PersonState,
    consequence: Consequence,
    ctx: &Context,
) {
    let person_ref = person.person_ref.clone().unwrap_or_default();
    let mut affected = Vec::new();
    let mut actions = Vec::new();
    for (participation_id, package_id) in &person.participations {
        let (Some(state), Some(package)) =
            (world.participation(*participation_id), world.package(*package_id))
        else {
            continue;
        };
        let status = state.status.expect("loaded");
        if status.is_in_training() {
            end_for(decision, package, *package_id, *participation_id, consequence.end, ctx);
            affected.push(*participation_id);
            actions.push(format!("participation_ended:{}", consequence.end));
        } else if status.is_open() {
            withdraw_for(
                decision,
                package,
                *package_id,
                *participation_id,
                consequence.withdraw,
                ctx,
            );
            affected.push(*participation_id);
            actions.push(format!("participation_withdrawn:{}", consequence.withdraw));
        }
        let grant_id = streams::grant_id(*participation_id);
        if let Some(grant) = world.grant(grant_id) {
            match grant.status {
                Some(GrantStatus::Approved) if consequence.defer_grants => {
                    let deferred = GrantHandoverDeferred {
                        grant_id,
                        reason: DeferralReason::MasihDitahan,
                        storage_ref: None,
                    };
                    decision.push(streams::grant(grant_id), deferred);
                    actions.push("grant_handover_deferred".to_owned());
                }
                Some(GrantStatus::Proposed | GrantStatus::Approved | GrantStatus::Deferred) => {
                    actions.push("grant_pending_review".to_owned());
                }
                _ => {}
            }
        }
    }
    if affected.is_empty() && actions.is_empty() {
        return;
    }
    let task_id = derived(ctx, "change-of-circumstance");
    decision.reply["affected_participations"] = serde_json::json!(affected);
    decision.reply["task_id"] = serde_json::json!(task_id);
    let raised = ChangeOfCircumstanceRaised {
        person_ref: person_ref.clone(),
        task_id,
        facility: person.facility.clone().unwrap_or_default(),
        trigger: consequence.trigger.to_owned(),
        trigger_event_id: ids::event_id(ctx.command_id, 0),
        affected_participations: affected,
        actions_taken: actions,
    };
    decision.push(streams::person(&person_ref), raised);
}

pub(super) fn transfer(
    command: &RecordTransfer,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let person = in_custody(world, &command.person_ref, ctx)?;
    registered_facility(world, &command.to_facility)?;
    let from = person.facility.clone().unwrap_or_default();
    if from == command.to_facility {
        return Err(Rejection::InvalidField {
            field: "to_facility",
            detail: format!("the person is already at {from}"),
        });
    }
    let mut decision = Decision::new(
        serde_json::json!({ "person_ref": command.person_ref, "to_facility": command.to_facility }),
    );
    decision.push(
        streams::person(&command.person_ref),
        PersonTransferred {
            person_ref: command.person_ref.clone(),
            from_facility: from,
            to_facility: command.to_facility.clone(),
            transferred_on: command.transferred_on,
            sdp: command.sdp.clone(),
        },
    );
    let consequence = Consequence {
        trigger: "transferred",
        end: EndReason::PindahUpt,
        withdraw: WithdrawalReason::Transferred,
        defer_grants: true,
    };
    apply_consequences(&mut decision, world, person, consequence, ctx);
    Ok(decision)
}

pub(super) fn release(
    command: &RecordRelease,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let person = in_custody(world, &command.person_ref, ctx)?;
    let mut decision = Decision::new(
        serde_json::json!({ "person_ref": command.person_ref, "released_on": command.released_on }),
    );
    decision.push(
        streams::person(&command.person_ref),
        PersonReleased {
            person_ref: command.person_ref.clone(),
            facility: person.facility.clone().unwrap_or_default(),
            release_type: command.release_type,
            released_on: command.released_on,
            legal_status: person.legal_status.unwrap_or(crate::vocabulary::LegalStatus::Narapidana),
            sdp: command.sdp.clone(),
        },
    );
    let consequence = Consequence {
        trigger: "released",
        end: EndReason::Bebas,
        withdraw: WithdrawalReason::Released,
        defer_grants: false,
    };
    apply_consequences(&mut decision, world, person, consequence, ctx);
    Ok(decision)
}

pub(super) fn death(
    command: &RecordDeath,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let person = person(world, &command.person_ref)?;
    facility_scope(ctx, "inmate", person.facility.as_deref())?;
    if person.died_on.is_some() {
        return Err(Rejection::AlreadyExists {
            what: "death record for",
            id: command.person_ref.clone(),
        });
    }
    let mut decision = Decision::new(serde_json::json!({ "person_ref": command.person_ref }));
    decision.push(
        streams::person(&command.person_ref),
        PersonDied {
            person_ref: command.person_ref.clone(),
            died_on: command.died_on,
            sdp: command.sdp.clone(),
        },
    );
    let consequence = Consequence {
        trigger: "died",
        end: EndReason::Meninggal,
        withdraw: WithdrawalReason::Died,
        defer_grants: false,
    };
    apply_consequences(&mut decision, world, person, consequence, ctx);
    Ok(decision)
}

pub(super) fn revocation(
    command: &RecordRevocation,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let person = person(world, &command.person_ref)?;
    facility_scope(ctx, "inmate", person.facility.as_deref())?;
    let conditional = matches!(
        person.released,
        Some((
            _,
            ReleaseType::PembebasanBersyarat
                | ReleaseType::CutiBersyarat
                | ReleaseType::CutiMenjelangBebas
        ))
    );
    if person.in_custody || !conditional {
        let detail = "only a conditional release (PB, CB, CMB) can be revoked".to_owned();
        return Err(Rejection::NotAllowed { detail });
    }
    let event = IntegrationRevoked {
        person_ref: command.person_ref.clone(),
        revoked_on: command.revoked_on,
        reason: command.reason_code,
        sdp: command.sdp.clone(),
    };
    Ok(one(
        streams::person(&command.person_ref),
        event,
        serde_json::json!({ "person_ref": command.person_ref }),
    ))
}

pub(super) fn new_case(
    command: &RecordNewCase,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let person = person(world, &command.person_ref)?;
    if person.cases.contains(&command.case_id) {
        return Err(Rejection::AlreadyExists { what: "case", id: command.case_id.to_string() });
    }
    if command.offence_date > ctx.today {
        return Err(Rejection::InvalidField {
            field: "offence_date",
            detail: "in the future".to_owned(),
        });
    }
    for (field, date) in [
        ("arrest_date", command.arrest_date),
        ("conviction_date", command.conviction_date),
        ("readmission_date", command.readmission_date),
    ] {
        if date.is_some_and(|date| date < command.offence_date) {
            return Err(Rejection::InvalidField {
                field,
                detail: "before the offence date".to_owned(),
            });
        }
    }
    let event = NewCaseRecorded {
        person_ref: command.person_ref.clone(),
        case_id: command.case_id,
        offence_date: command.offence_date,
        arrest_date: command.arrest_date,
        conviction_date: command.conviction_date,
        readmission_date: command.readmission_date,
        offence_group: command.offence_group,
        source: command.source,
        sdp: command.sdp.clone(),
    };
    Ok(one(
        streams::person(&command.person_ref),
        event,
        serde_json::json!({ "case_id": command.case_id }),
    ))
}

pub(super) fn follow_up(
    command: &RecordFollowUp,
    world: &World,
    _ctx: &Context,
) -> Result<Decision, Rejection> {
    let person = person(world, &command.person_ref)?;
    let Some((released_on, _)) = person.released.filter(|_| !person.in_custody) else {
        let detail = "follow-up contacts are recorded after release".to_owned();
        return Err(Rejection::NotAllowed { detail });
    };
    if command.contacted_on < released_on {
        return Err(Rejection::InvalidField {
            field: "contacted_on",
            detail: format!("before the release on {released_on}"),
        });
    }
    if person.contacts.contains(&command.contact_id) {
        return Err(Rejection::AlreadyExists {
            what: "follow-up contact",
            id: command.contact_id.to_string(),
        });
    }
    let event = FollowUpContactRecorded {
        person_ref: command.person_ref.clone(),
        contact_id: command.contact_id,
        contacted_on: command.contacted_on,
        employment_status: command.employment_status,
        uses_trained_skill: command.uses_trained_skill,
        uses_grant: command.uses_grant,
    };
    Ok(one(
        streams::person(&command.person_ref),
        event,
        serde_json::json!({ "contact_id": command.contact_id }),
    ))
}

pub(super) fn merge(
    command: &MergePersonRecords,
    world: &World,
    _ctx: &Context,
) -> Result<Decision, Rejection> {
    person(world, &command.person_ref)?;
    check_ref("merged_ref", &command.merged_ref)?;
    if command.merged_ref == command.person_ref {
        return Err(Rejection::InvalidField {
            field: "merged_ref",
            detail: "the same record".to_owned(),
        });
    }
    person(world, &command.merged_ref)?;
    let mut decision = Decision::new(
        serde_json::json!({ "person_ref": command.person_ref, "merged_ref": command.merged_ref }),
    );
    decision.push(
        streams::person(&command.person_ref),
        PersonRecordsMerged {
            person_ref: command.person_ref.clone(),
            merged_ref: command.merged_ref.clone(),
        },
    );
    decision.push(
        streams::person(&command.merged_ref),
        PersonMergedInto {
            person_ref: command.merged_ref.clone(),
            surviving_ref: command.person_ref.clone(),
        },
    );
    Ok(decision)
}

/// Records an erasure of personal data: once per person; the reason is the legal basis. The
/// person need not be in the log (a public applicant's data may be all there is).
pub(super) fn erase(
    command: &ErasePersonalData,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    check_ref("person_ref", &command.person_ref)?;
    let legal_basis = super::require_reason(ctx)?.to_owned();
    if world.person(&command.person_ref).is_some_and(|person| person.erased) {
        return Err(Rejection::AlreadyExists {
            what: "erasure of personal data for",
            id: command.person_ref.clone(),
        });
    }
    let event = PersonalDataErased { person_ref: command.person_ref.clone(), legal_basis };
    Ok(one(
        streams::person(&command.person_ref),
        event,
        serde_json::json!({ "person_ref": command.person_ref, "status": "erased" }),
    ))
}

pub(super) fn acknowledge(
    command: &AcknowledgeChange,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    check_ref("person_ref", &command.person_ref)?;
    let person = world
        .person(&command.person_ref)
        .ok_or_else(|| Rejection::NotFound { what: "person", id: command.person_ref.clone() })?;
    let Some(task) = person.tasks.get(&command.task_id) else {
        return Err(Rejection::NotFound { what: "task", id: command.task_id.to_string() });
    };
    facility_scope(ctx, "task", Some(&task.facility))?;
    if let Some(by) = &task.acknowledged_by {
        return Err(Rejection::AlreadyExists { what: "acknowledgement by", id: by.clone() });
    }
    let event = ChangeOfCircumstanceAcknowledged {
        person_ref: command.person_ref.clone(),
        task_id: command.task_id,
    };
    Ok(one(
        streams::person(&command.person_ref),
        event,
        serde_json::json!({ "task_id": command.task_id }),
    ))
}
