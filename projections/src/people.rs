//! The `people` projection: each person's custody record, releases, new cases, revocations,
//! follow-up contacts, and a summary of each participation for recidivism groups.
//!
//! The recidivism, population-stock and post-release reports are computed from these tables.
//! Only pseudonymous refs and coarse codes are held, as in the log.

use chrono::NaiveDate;
use events::catalogue::Event;
use events::state::Fact;
use events::vocabulary::EndCategory;
use uuid::Uuid;

use crate::projection::{Config, ProjectionDef};
use crate::record;
use crate::table::{Key, Record, RowRef, TableDef, Tables};
use crate::value::Cell;

pub const DEF: ProjectionDef =
    ProjectionDef { name: "people", version: 3, tables, touches, apply, keeps: None };

record!(
    "people_persons" => PersonRow {
        person_ref: String;
        facility: Option<String>,
        in_custody: bool,
        legal_status: Option<String>,
        sex: Option<String>,
        age_band: Option<String>,
        offence_group: Option<String>,
        sentence_band: Option<String>,
        episode_ref: Option<String>,
        admitted_on: Option<NaiveDate>,
        episodes: i64,
        died_on: Option<NaiveDate>,
        merged_into: Option<String>,
    }
);

record!(
    /// A release from custody: the index date of the recidivism cohorts. `from_sdp`: recorded
    /// from an SDP extract, so the person is matched by their SDP number.
    "people_releases" => ReleaseRow {
        person_ref: String,
        released_on: NaiveDate;
        release_type: String,
        legal_status: String,
        facility: String,
        episode_admitted_on: Option<NaiveDate>,
        from_sdp: bool,
    }
);

record!(
    "people_cases" => CaseRow {
        person_ref: String,
        case_id: Uuid;
        offence_date: NaiveDate,
        arrest_date: Option<NaiveDate>,
        conviction_date: Option<NaiveDate>,
        readmission_date: Option<NaiveDate>,
    }
);

record!(
    "people_revocations" => RevocationRow {
        person_ref: String,
        revoked_on: NaiveDate;
        reason: String,
    }
);

record!(
    "people_contacts" => ContactRow {
        person_ref: String,
        contact_id: Uuid;
        contacted_on: NaiveDate,
        employment_status: String,
        uses_trained_skill: bool,
        uses_grant: Option<bool>,
    }
);

record!(
    /// A participation as recidivism groups see it: when it began, when it ended, how.
    /// `completed_on`: the day its training was completed (`TrainingCompleted`, or the
    /// graduation when no completion was recorded before it).
    "people_participations" => PersonParticipationRow {
        participation_id: Uuid;
        person_ref: String,
        package_id: Uuid,
        nominated_on: NaiveDate,
        waitlisted: bool,
        approved: bool,
        accepted: bool,
        started_on: Option<NaiveDate>,
        ended_on: Option<NaiveDate>,
        outcome: Option<String>,
        grant_handed_over: bool,
        completed_on: Option<NaiveDate>,
    }
);

record!(
    /// The date of each source's data (`sdp`: the latest `extract_at` of an imported custody
    /// fact; `bapas`: the day the latest follow-up contact or Bapas-sourced case was
    /// recorded; local dates): the recidivism report's default data cut-off is the earlier.
    "people_extracts" => ExtractRow {
        source: String;
        extract_on: NaiveDate,
    }
);

record!(
    /// A package's trade (*kejuruan*), for the recidivism breakdown by skill.
    "people_packages" => PackageSkillRow {
        package_id: Uuid;
        skill: String,
    }
);

record!(
    "people_grants" => PersonGrantRow {
        grant_id: Uuid;
        participation_id: Uuid,
        person_ref: String,
    }
);

fn tables() -> Vec<TableDef> {
    vec![
        PersonRow::def(),
        ReleaseRow::def(),
        CaseRow::def(),
        RevocationRow::def(),
        ContactRow::def(),
        PersonParticipationRow::def(),
        PersonGrantRow::def(),
        ExtractRow::def(),
        PackageSkillRow::def(),
    ]
}

/// The SDP extract a custody fact of this projection was imported from, if it was.
fn sdp_source(event: &Event) -> Option<&events::catalogue::SdpSource> {
    use Event::*;
    match event {
        CustodyEpisodeRecorded(e) => e.sdp.as_ref(),
        LegalStatusChanged(e) => e.sdp.as_ref(),
        PersonTransferred(e) => e.sdp.as_ref(),
        PersonReleased(e) => e.sdp.as_ref(),
        PersonDied(e) => e.sdp.as_ref(),
        IntegrationRevoked(e) => e.sdp.as_ref(),
        NewCaseRecorded(e) => e.sdp.as_ref(),
        _ => None,
    }
}

/// Whether an event is post-release data from Bapas: a follow-up contact, or a new case
/// learned from Bapas. Its data date is the day it was recorded.
fn from_bapas(event: &Event) -> bool {
    match event {
        Event::FollowUpContactRecorded(_) => true,
        Event::NewCaseRecorded(e) => e.source == events::vocabulary::CaseSource::Bapas,
        _ => false,
    }
}

const SDP: &str = "sdp";
const BAPAS: &str = "bapas";

/// The date of the latest SDP extract the log holds a custody fact from.
pub fn sdp_extract(tables: &Tables) -> Option<NaiveDate> {
    extract(tables, SDP)
}

/// The date of the latest post-release record from Bapas.
pub fn bapas_data(tables: &Tables) -> Option<NaiveDate> {
    extract(tables, BAPAS)
}

fn extract(tables: &Tables, source: &str) -> Option<NaiveDate> {
    tables.get::<ExtractRow>(&vec![source.to_owned().to_value()]).map(|row| row.extract_on)
}

/// Keeps the latest data date of `source`.
fn dated(tables: &mut Tables, source: &str, on: NaiveDate) {
    if extract(tables, source).is_none_or(|latest| latest < on) {
        tables.put(&ExtractRow { source: source.to_owned(), extract_on: on });
    }
}

fn person_key(person_ref: &str) -> Key {
    vec![person_ref.to_owned().to_value()]
}

fn id_key(id: Uuid) -> Key {
    vec![id.to_value()]
}

fn touches(fact: &Fact, tables: &Tables, out: &mut Vec<RowRef>) {
    use Event::*;
    let person = |person_ref: &str| RowRef::of::<PersonRow>(person_key(person_ref));
    let participation = |id: Uuid| RowRef::of::<PersonParticipationRow>(id_key(id));
    if sdp_source(&fact.event).is_some() {
        out.push(RowRef::of::<ExtractRow>(vec![SDP.to_owned().to_value()]));
    }
    if from_bapas(&fact.event) {
        out.push(RowRef::of::<ExtractRow>(vec![BAPAS.to_owned().to_value()]));
    }
    match &fact.event {
        CustodyEpisodeRecorded(e) => out.push(person(&e.person_ref)),
        LegalStatusChanged(e) => out.push(person(&e.person_ref)),
        PersonTransferred(e) => out.push(person(&e.person_ref)),
        PersonReleased(e) => {
            out.push(person(&e.person_ref));
            out.push(RowRef::of::<ReleaseRow>(vec![
                e.person_ref.clone().to_value(),
                e.released_on.to_value(),
            ]));
        }
        PersonDied(e) => out.push(person(&e.person_ref)),
        IntegrationRevoked(e) => {
            out.push(person(&e.person_ref));
            out.push(RowRef::of::<RevocationRow>(vec![
                e.person_ref.clone().to_value(),
                e.revoked_on.to_value(),
            ]));
        }
        NewCaseRecorded(e) => out.push(RowRef::of::<CaseRow>(vec![
            e.person_ref.clone().to_value(),
            e.case_id.to_value(),
        ])),
        FollowUpContactRecorded(e) => out.push(RowRef::of::<ContactRow>(vec![
            e.person_ref.clone().to_value(),
            e.contact_id.to_value(),
        ])),
        PersonMergedInto(e) => out.push(person(&e.person_ref)),
        PackageDefined(e) => out.push(RowRef::of::<PackageSkillRow>(id_key(e.package_id))),
        ParticipantNominated(e) => out.push(participation(e.participation_id)),
        PublicApplicantRegistered(e) => out.push(participation(e.participation_id)),
        ParticipantWaitlisted(e) => out.push(participation(e.participation_id)),
        NominationApproved(e) => out.push(participation(e.participation_id)),
        ParticipantAccepted(e) => out.push(participation(e.participation_id)),
        ParticipationStarted(e) => out.push(participation(e.participation_id)),
        ParticipationEnded(e) => out.push(participation(e.participation_id)),
        TrainingCompleted(e) => out.push(participation(e.participation_id)),
        ParticipantGraduated(e) => out.push(participation(e.participation_id)),
        GrantProposed(e) => out.push(RowRef::of::<PersonGrantRow>(id_key(e.grant_id))),
        GrantHandedOver(e) => {
            out.push(RowRef::of::<PersonGrantRow>(id_key(e.grant_id)));
            if let Some(grant) = tables.get::<PersonGrantRow>(&id_key(e.grant_id)) {
                out.push(participation(grant.participation_id));
            }
        }
        EventReversed(e) => {
            let person_ref =
                fact.meta.stream_id.strip_prefix("person-").unwrap_or_default().to_owned();
            match (e.reversed_event_type.as_str(), e.target.parse::<Uuid>()) {
                ("NewCaseRecorded", Ok(case)) => {
                    out.push(RowRef::of::<CaseRow>(vec![person_ref.to_value(), case.to_value()]))
                }
                ("FollowUpContactRecorded", Ok(contact)) => {
                    out.push(RowRef::of::<ContactRow>(vec![
                        person_ref.to_value(),
                        contact.to_value(),
                    ]));
                }
                _ => {}
            }
        }
        _ => {}
    }
}

fn apply(fact: &Fact, tables: &mut Tables, config: &Config) {
    use Event::*;
    if let Some(sdp) = sdp_source(&fact.event) {
        dated(tables, SDP, config.local_date(sdp.extract_at));
    }
    if from_bapas(&fact.event) {
        dated(tables, BAPAS, config.local_date(fact.meta.recorded_at));
    }
    match &fact.event {
        CustodyEpisodeRecorded(e) => {
            let previous = tables.get::<PersonRow>(&person_key(&e.person_ref));
            tables.put(&PersonRow {
                person_ref: e.person_ref.clone(),
                facility: Some(e.facility.clone()),
                in_custody: true,
                legal_status: Some(e.legal_status.to_string()),
                sex: e.attributes.sex.map(|v| v.to_string()),
                age_band: e.attributes.age_band.map(|v| v.to_string()),
                offence_group: e.attributes.offence_group.map(|v| v.to_string()),
                sentence_band: e.attributes.sentence_band.map(|v| v.to_string()),
                episode_ref: Some(e.episode_ref.clone()),
                admitted_on: Some(e.admitted_on),
                episodes: previous.as_ref().map_or(0, |p| p.episodes) + 1,
                died_on: previous.as_ref().and_then(|p| p.died_on),
                merged_into: previous.and_then(|p| p.merged_into),
            });
        }
        LegalStatusChanged(e) => person(tables, &e.person_ref, |row| {
            row.legal_status = Some(e.legal_status.to_string());
            if let Some(group) = e.offence_group {
                row.offence_group = Some(group.to_string());
            }
        }),
        PersonTransferred(e) => {
            person(tables, &e.person_ref, |row| row.facility = Some(e.to_facility.clone()))
        }
        PersonReleased(e) => {
            let admitted =
                tables.get::<PersonRow>(&person_key(&e.person_ref)).and_then(|row| row.admitted_on);
            tables.put(&ReleaseRow {
                person_ref: e.person_ref.clone(),
                released_on: e.released_on,
                release_type: e.release_type.to_string(),
                legal_status: e.legal_status.to_string(),
                facility: e.facility.clone(),
                episode_admitted_on: admitted,
                from_sdp: e.sdp.is_some(),
            });
            person(tables, &e.person_ref, |row| row.in_custody = false);
        }
        PersonDied(e) => person(tables, &e.person_ref, |row| {
            row.in_custody = false;
            row.died_on = Some(e.died_on);
        }),
        IntegrationRevoked(e) => {
            tables.put(&RevocationRow {
                person_ref: e.person_ref.clone(),
                revoked_on: e.revoked_on,
                reason: e.reason.to_string(),
            });
            person(tables, &e.person_ref, |row| row.in_custody = true);
        }
        NewCaseRecorded(e) => tables.put(&CaseRow {
            person_ref: e.person_ref.clone(),
            case_id: e.case_id,
            offence_date: e.offence_date,
            arrest_date: e.arrest_date,
            conviction_date: e.conviction_date,
            readmission_date: e.readmission_date,
        }),
        FollowUpContactRecorded(e) => tables.put(&ContactRow {
            person_ref: e.person_ref.clone(),
            contact_id: e.contact_id,
            contacted_on: e.contacted_on,
            employment_status: e.employment_status.to_string(),
            uses_trained_skill: e.uses_trained_skill,
            uses_grant: e.uses_grant,
        }),
        PersonMergedInto(e) => {
            person(tables, &e.person_ref, |row| row.merged_into = Some(e.surviving_ref.clone()))
        }
        EventReversed(e) => reversed(fact, e, tables),
        _ => apply_participation(fact, tables, config),
    }
}

/// The participation and grant events: each participation's course, as the groups read it.
fn apply_participation(fact: &Fact, tables: &mut Tables, config: &Config) {
    use Event::*;
    match &fact.event {
        PackageDefined(e) => {
            tables.put(&PackageSkillRow { package_id: e.package_id, skill: e.skill.clone() })
        }
        ParticipantNominated(e) => open(
            tables,
            e.participation_id,
            &e.person_ref,
            e.package_id,
            config.local_date(fact.meta.occurred_at),
        ),
        PublicApplicantRegistered(e) => open(
            tables,
            e.participation_id,
            &e.person_ref,
            e.package_id,
            config.local_date(fact.meta.occurred_at),
        ),
        ParticipantWaitlisted(e) => {
            participation(tables, e.participation_id, |row| row.waitlisted = true)
        }
        NominationApproved(e) => {
            participation(tables, e.participation_id, |row| row.approved = true)
        }
        ParticipantAccepted(e) => {
            participation(tables, e.participation_id, |row| row.accepted = true)
        }
        ParticipationStarted(e) => {
            participation(tables, e.participation_id, |row| row.started_on = Some(e.started_on))
        }
        ParticipationEnded(e) => participation(tables, e.participation_id, |row| {
            row.ended_on = Some(e.ended_on);
            row.outcome = Some(
                match e.category {
                    EndCategory::Participant => "non_completer",
                    EndCategory::Operational => "administrative_exit",
                    EndCategory::Personal => "personal_exit",
                }
                .to_owned(),
            );
        }),
        TrainingCompleted(e) => participation(tables, e.participation_id, |row| {
            row.ended_on = Some(e.completed_on);
            row.outcome = Some("completed_not_competent".to_owned());
            row.completed_on = Some(e.completed_on);
        }),
        ParticipantGraduated(e) => participation(tables, e.participation_id, |row| {
            row.outcome = Some("graduate".to_owned());
            row.completed_on = row.completed_on.or(Some(e.graduated_on));
        }),
        GrantProposed(e) => tables.put(&PersonGrantRow {
            grant_id: e.grant_id,
            participation_id: e.participation_id,
            person_ref: e.person_ref.clone(),
        }),
        GrantHandedOver(e) => {
            if let Some(grant) = tables.get::<PersonGrantRow>(&id_key(e.grant_id)) {
                participation(tables, grant.participation_id, |row| row.grant_handed_over = true);
            }
        }
        _ => {}
    }
}

/// A reversed new case or follow-up contact leaves the person's record.
fn reversed(fact: &Fact, e: &events::catalogue::EventReversed, tables: &mut Tables) {
    let person_ref = fact.meta.stream_id.strip_prefix("person-").unwrap_or_default().to_owned();
    match (e.reversed_event_type.as_str(), e.target.parse::<Uuid>()) {
        ("NewCaseRecorded", Ok(case)) => {
            tables.delete::<CaseRow>(&vec![person_ref.to_value(), case.to_value()])
        }
        ("FollowUpContactRecorded", Ok(contact)) => {
            tables.delete::<ContactRow>(&vec![person_ref.to_value(), contact.to_value()]);
        }
        _ => {}
    }
}

fn open(
    tables: &mut Tables,
    participation_id: Uuid,
    person_ref: &str,
    package_id: Uuid,
    nominated_on: NaiveDate,
) {
    tables.put(&PersonParticipationRow {
        participation_id,
        person_ref: person_ref.to_owned(),
        package_id,
        nominated_on,
        waitlisted: false,
        approved: false,
        accepted: false,
        started_on: None,
        ended_on: None,
        outcome: None,
        grant_handed_over: false,
        completed_on: None,
    });
}

fn update<R: Record>(tables: &mut Tables, key: Key, change: impl FnOnce(&mut R)) {
    if let Some(mut row) = tables.get::<R>(&key) {
        change(&mut row);
        tables.put(&row);
    }
}

fn person(tables: &mut Tables, person_ref: &str, change: impl FnOnce(&mut PersonRow)) {
    update::<PersonRow>(tables, person_key(person_ref), change);
}

fn participation(tables: &mut Tables, id: Uuid, change: impl FnOnce(&mut PersonParticipationRow)) {
    update::<PersonParticipationRow>(tables, id_key(id), change);
}
