//! Rules for grants of equipment and capital: three different people propose, approve and
//! hand over; only graduates receive one unless the package's policy says otherwise; one open
//! grant per participation; integer rupiah that never overflow.

use uuid::Uuid;

use super::{
    Context, Decision, World, non_empty, provider_scope, require_document, require_reason,
};
use crate::catalogue::{
    GrantApproved, GrantCancelled, GrantHandedOver, GrantHandoverDeferred, GrantProposed,
    GrantRecovered, GrantRejected, GrantUseMonitored,
};
use crate::command::*;
use crate::rejection::Rejection;
use crate::state::{GrantState, GrantStatus, ParticipationStatus};
use crate::streams;
use crate::vocabulary::{DeferralReason, GrantPolicy, RecipientKind};

/// The grant, and once it is loaded, its graduate's person stream.
pub(super) fn streams(grant_id: Uuid, world: &World) -> Vec<String> {
    let mut needed = vec![streams::grant(grant_id)];
    if let Some(person_ref) = world.grant(grant_id).and_then(|grant| grant.person_ref.clone()) {
        needed.push(streams::person(&person_ref));
    }
    needed
}

fn grant(world: &World, grant_id: Uuid) -> Result<&GrantState, Rejection> {
    world
        .grant(grant_id)
        .ok_or_else(|| Rejection::NotFound { what: "grant", id: grant_id.to_string() })
}

fn in_state(
    grant: &GrantState,
    allowed: &[GrantStatus],
    action: &'static str,
) -> Result<(), Rejection> {
    let status = grant.status.expect("loaded grants have a status");
    if !allowed.contains(&status) {
        let state = format!("{status:?}").to_lowercase();
        return Err(Rejection::InvalidState { what: "the grant", state, action });
    }
    Ok(())
}

fn rupiah(field: &'static str, amount: i64) -> Result<u64, Rejection> {
    u64::try_from(amount).map_err(|_| Rejection::NegativeRupiah { field, amount })
}

pub(super) fn propose(
    command: &ProposeGrant,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let participation = world.participation(command.participation_id).ok_or_else(|| {
        Rejection::NotFound { what: "participation", id: command.participation_id.to_string() }
    })?;
    let package_id = participation.package_id.unwrap_or_default();
    let package = world
        .package(package_id)
        .ok_or_else(|| Rejection::NotFound { what: "package", id: package_id.to_string() })?;
    provider_scope(ctx, package)?;
    let status = participation.status.expect("loaded");
    let policy = package.definition.as_ref().expect("defined").grant_policy;
    let entitled = match policy {
        GrantPolicy::GraduatesOnly => status == ParticipationStatus::Graduated,
        GrantPolicy::Completers => matches!(
            status,
            ParticipationStatus::Completed
                | ParticipationStatus::Competent
                | ParticipationStatus::NotYetCompetent
                | ParticipationStatus::Graduated
        ),
        GrantPolicy::NoGrants => false,
    };
    if !entitled {
        let allowed = match policy {
            GrantPolicy::GraduatesOnly => "graduates",
            GrantPolicy::Completers => "those who completed the training",
            GrantPolicy::NoGrants => "nobody (the package gives no grants)",
        };
        return Err(Rejection::NotEntitledToGrant { allowed, state: status.label().to_owned() });
    }
    let grant_id = streams::grant_id(command.participation_id);
    if world.grant(grant_id).is_some_and(|grant| grant.status.is_some_and(GrantStatus::is_open)) {
        return Err(Rejection::OpenGrantExists);
    }
    non_empty("funding_source", &command.funding_source)?;
    non_empty("budget_line", &command.budget_line)?;
    let capital = rupiah("capital_rupiah", command.capital_rupiah)?;
    let mut items = Vec::with_capacity(command.items.len());
    let mut total = capital;
    for item in &command.items {
        non_empty("items.name", &item.name)?;
        let quantity = u32::try_from(item.quantity)
            .ok()
            .filter(|quantity| *quantity >= 1)
            .ok_or_else(|| Rejection::InvalidField {
                field: "items.quantity",
                detail: "a whole number from 1".to_owned(),
            })?;
        let unit = rupiah("items.unit_value_rupiah", item.unit_value_rupiah)?;
        let line = unit
            .checked_mul(u64::from(quantity))
            .ok_or(Rejection::RupiahOverflow { field: "items" })?;
        total = total.checked_add(line).ok_or(Rejection::RupiahOverflow { field: "items" })?;
        items.push(item.to_item(quantity, unit));
    }
    if total == 0 {
        return Err(Rejection::InvalidField {
            field: "items",
            detail: "a grant needs equipment or capital".to_owned(),
        });
    }
    if i64::try_from(total).is_err() {
        return Err(Rejection::RupiahOverflow { field: "total" });
    }
    let mut decision =
        Decision::new(serde_json::json!({ "grant_id": grant_id, "total_rupiah": total }));
    decision.push(
        streams::grant(grant_id),
        GrantProposed {
            grant_id,
            participation_id: command.participation_id,
            package_id,
            person_ref: participation.person_ref.clone().unwrap_or_default(),
            items,
            capital_rupiah: capital,
            total_rupiah: total,
            funding_source: command.funding_source.clone(),
            budget_line: command.budget_line.clone(),
        },
    );
    Ok(decision)
}

fn not_proposer(grant: &GrantState, ctx: &Context) -> Result<(), Rejection> {
    if grant.proposed_by.as_deref() == Some(ctx.actor.as_str()) {
        return Err(Rejection::SegregationOfDuties {
            rule: "a grant is approved by someone other than its proposer",
        });
    }
    Ok(())
}

pub(super) fn approve(
    command: &ApproveGrant,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let grant = grant(world, command.grant_id)?;
    in_state(grant, &[GrantStatus::Proposed], "approve it")?;
    not_proposer(grant, ctx)?;
    require_document(ctx)?;
    let mut decision =
        Decision::new(serde_json::json!({ "grant_id": command.grant_id, "status": "approved" }));
    let approved = GrantApproved {
        grant_id: command.grant_id,
        proposed_by: grant.proposed_by.clone().unwrap_or_default(),
    };
    decision.push(streams::grant(command.grant_id), approved);
    Ok(decision)
}

pub(super) fn reject(
    command: &RejectGrant,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let grant = grant(world, command.grant_id)?;
    in_state(grant, &[GrantStatus::Proposed], "reject it")?;
    not_proposer(grant, ctx)?;
    require_reason(ctx)?;
    let mut decision =
        Decision::new(serde_json::json!({ "grant_id": command.grant_id, "status": "rejected" }));
    decision.push(streams::grant(command.grant_id), GrantRejected { grant_id: command.grant_id });
    Ok(decision)
}

fn graduate_in_custody(world: &World, grant: &GrantState) -> bool {
    grant
        .person_ref
        .as_deref()
        .and_then(|person_ref| world.person(person_ref))
        .is_some_and(|person| person.in_custody)
}

pub(super) fn defer(
    command: &DeferGrantHandover,
    world: &World,
    _ctx: &Context,
) -> Result<Decision, Rejection> {
    let grant = grant(world, command.grant_id)?;
    in_state(grant, &[GrantStatus::Approved], "defer its handover")?;
    if command.reason_code == DeferralReason::MasihDitahan && !graduate_in_custody(world, grant) {
        return Err(Rejection::NotInCustody);
    }
    let mut decision =
        Decision::new(serde_json::json!({ "grant_id": command.grant_id, "status": "deferred" }));
    decision.push(
        streams::grant(command.grant_id),
        GrantHandoverDeferred {
            grant_id: command.grant_id,
            reason: command.reason_code,
            storage_ref: command.storage_ref.clone(),
        },
    );
    Ok(decision)
}

pub(super) fn hand_over(
    command: &HandOverGrant,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let grant = grant(world, command.grant_id)?;
    in_state(grant, &[GrantStatus::Approved, GrantStatus::Deferred], "hand it over")?;
    if grant.approved_by.as_deref() == Some(ctx.actor.as_str())
        || grant.proposed_by.as_deref() == Some(ctx.actor.as_str())
    {
        return Err(Rejection::SegregationOfDuties {
            rule: "a grant is handed over by someone other than its proposer and its approver",
        });
    }
    let bast = require_document(ctx)?;
    non_empty("place", &command.place)?;
    if command.recipient == RecipientKind::Perwakilan
        && command.authority_ref.as_deref().is_none_or(|r| r.trim().is_empty())
    {
        return Err(Rejection::Required {
            field: "authority_ref (the representative's letter of authority)",
        });
    }
    if command.recipient == RecipientKind::Sendiri && graduate_in_custody(world, grant) {
        let detail = "the graduate is in custody: defer the handover or hand over to a documented representative".to_owned();
        return Err(Rejection::NotAllowed { detail });
    }
    let mut decision = Decision::new(
        serde_json::json!({ "grant_id": command.grant_id, "status": "handed_over", "bast_number": bast }),
    );
    decision.push(
        streams::grant(command.grant_id),
        GrantHandedOver {
            grant_id: command.grant_id,
            bast_number: bast.to_owned(),
            handed_over_on: ctx.today,
            place: command.place.clone(),
            recipient: command.recipient,
            authority_ref: command.authority_ref.clone(),
            approved_by: grant.approved_by.clone().unwrap_or_default(),
        },
    );
    Ok(decision)
}

pub(super) fn cancel(
    command: &CancelGrant,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let grant = grant(world, command.grant_id)?;
    in_state(
        grant,
        &[GrantStatus::Proposed, GrantStatus::Approved, GrantStatus::Deferred],
        "cancel it (only before handover)",
    )?;
    require_reason(ctx)?;
    let mut decision =
        Decision::new(serde_json::json!({ "grant_id": command.grant_id, "status": "cancelled" }));
    decision.push(streams::grant(command.grant_id), GrantCancelled { grant_id: command.grant_id });
    Ok(decision)
}

pub(super) fn monitor(
    command: &RecordGrantMonitoring,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let grant = grant(world, command.grant_id)?;
    in_state(grant, &[GrantStatus::HandedOver], "monitor its use (only after handover)")?;
    if grant.visits.contains(&command.visit_id) {
        return Err(Rejection::AlreadyExists {
            what: "monitoring visit",
            id: command.visit_id.to_string(),
        });
    }
    let mut decision = Decision::new(
        serde_json::json!({ "grant_id": command.grant_id, "visit_id": command.visit_id }),
    );
    decision.push(
        streams::grant(command.grant_id),
        GrantUseMonitored {
            grant_id: command.grant_id,
            visit_id: command.visit_id,
            visited_on: ctx.today,
            business_status: command.business_status,
        },
    );
    Ok(decision)
}

pub(super) fn recover(
    command: &RecoverGrant,
    world: &World,
    ctx: &Context,
) -> Result<Decision, Rejection> {
    let grant = grant(world, command.grant_id)?;
    in_state(grant, &[GrantStatus::HandedOver], "recover it (only after handover)")?;
    require_reason(ctx)?;
    let amount = rupiah("amount_rupiah", command.amount_rupiah)?;
    if amount == 0 {
        return Err(Rejection::InvalidField {
            field: "amount_rupiah",
            detail: "must be 1 or more".to_owned(),
        });
    }
    let available = grant.total_rupiah.saturating_sub(grant.recovered_rupiah);
    if amount > available {
        return Err(Rejection::RecoveryExceedsGrant { amount, available });
    }
    let mut decision = Decision::new(
        serde_json::json!({ "grant_id": command.grant_id, "recovered_rupiah": amount }),
    );
    decision.push(
        streams::grant(command.grant_id),
        GrantRecovered {
            grant_id: command.grant_id,
            recovered_on: ctx.today,
            amount_rupiah: amount,
        },
    );
    Ok(decision)
}
