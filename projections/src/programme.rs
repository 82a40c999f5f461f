//! The `programme` projection: packages, sessions, participations, attendance marks,
//! suspensions, certificates, grants and change-of-circumstances tasks, one row per thing.
//!
//! The enrolment, attendance, funnel, outcomes, grants and inbox reports are computed from these
//! tables. Rows summarise their entity (a participation's state and the dates it reached each
//! stage); they are never copies of events. Attendance is kept as a paper register is: a row
//! per participant with a letter per session (`programme_registers`), not a row per mark — a
//! national log holds tens of millions of marks.

use chrono::NaiveDate;
use events::catalogue::{self, Event};
use events::state::Fact;
use events::vocabulary::{AttendanceCode, CertificateType, CompetencyResult};
use uuid::Uuid;

use crate::projection::{Config, ProjectionDef};
use crate::record;
use crate::scope::Scope;
use crate::table::{Key, Record, Row, RowRef, TableDef, Tables};
use crate::value::Cell;

pub const DEF: ProjectionDef =
    ProjectionDef { name: "programme", version: 3, tables, touches, apply, keeps: Some(keeps) };

record!(
    /// A training package as defined and amended, with its places and the number of sessions
    /// scheduled so far (the next one is numbered one more).
    "programme_packages" => PackageRow {
        package_id: Uuid;
        title: String,
        provider: String,
        skill: String,
        venue_type: String,
        facility: Option<String>,
        location: String,
        start_date: NaiveDate,
        end_date: NaiveDate,
        planned_hours: i64,
        quota_total: i64,
        quota_inmates: Option<i64>,
        attendance_threshold_percent: i64,
        funding_source: String,
        grant_policy: String,
        status: String,
        places_taken: i64,
        inmate_places_taken: i64,
        waitlist_length: i64,
        sessions_scheduled: i64,
    }
);

record!(
    /// A session, numbered in the order its package scheduled it (from 1): its column in the
    /// package's attendance registers.
    "programme_sessions" => SessionRow {
        session_id: Uuid;
        package_id: Uuid,
        number: i64,
        date: NaiveDate,
        hours: i64,
        cancelled: bool,
    }
);

record!(
    /// One person in one package: the state now, and the day each stage was reached.
    "programme_participations" => ParticipationRow {
        participation_id: Uuid;
        package_id: Uuid,
        person_ref: String,
        category: String,
        facility: Option<String>,
        legal_status: Option<String>,
        sex: Option<String>,
        age_band: Option<String>,
        offence_group: Option<String>,
        sentence_band: Option<String>,
        status: String,
        status_since: NaiveDate,
        cycle: i64,
        nominated_on: NaiveDate,
        assessed_on: Option<NaiveDate>,
        eligible: Option<bool>,
        rule_set: Option<String>,
        overridden: bool,
        decided_on: Option<NaiveDate>,
        rejection_reason: Option<String>,
        accepted_on: Option<NaiveDate>,
        waitlisted_on: Option<NaiveDate>,
        waitlist_position: Option<i64>,
        withdrawn_on: Option<NaiveDate>,
        withdrawal_reason: Option<String>,
        started_on: Option<NaiveDate>,
        suspended_since: Option<NaiveDate>,
        stopped_on: Option<NaiveDate>,
        end_reason: Option<String>,
        end_category: Option<String>,
        completed_on: Option<NaiveDate>,
        sessions_attended: Option<i64>,
        sessions_expected: Option<i64>,
        hours_attended: Option<i64>,
        competency_result: Option<String>,
        competency_on: Option<NaiveDate>,
        latest_assessment: Option<String>,
        graduated_on: Option<NaiveDate>,
        training_certificates: i64,
        bnsp_certificates: i64,
        certified_on: Option<NaiveDate>,
    }
);

record!(
    /// One participant's attendance register: the standing mark for each session of the
    /// package, a letter per session in session-number order ([`register_letter`]), `.` where
    /// there is none. A participation with no standing mark has no register.
    "programme_registers" => RegisterRow {
        participation_id: Uuid;
        marks: String,
    }
);

/// The letter of an attendance code in a register, as on a paper *daftar hadir*.
pub fn register_letter(code: AttendanceCode) -> char {
    match code {
        AttendanceCode::Hadir => 'H',
        AttendanceCode::Terlambat => 'T',
        AttendanceCode::Sakit => 'S',
        AttendanceCode::Izin => 'I',
        AttendanceCode::Dibebaskan => 'D',
        AttendanceCode::Bentrok => 'B',
        AttendanceCode::Alpa => 'A',
        AttendanceCode::Menolak => 'M',
        AttendanceCode::SesiDibatalkan => 'X',
        AttendanceCode::Ditangguhkan => 'G',
    }
}

/// The code a register's letter stands for; `None` for `.` (no mark) and any other letter.
pub fn register_code(letter: char) -> Option<AttendanceCode> {
    AttendanceCode::ALL.iter().copied().find(|code| register_letter(*code) == letter)
}

/// The register with the mark for session `number` set to `letter` (`.` to take it away),
/// without trailing blanks.
fn set_mark(marks: &str, number: usize, letter: char) -> String {
    let mut letters: Vec<char> = marks.chars().collect();
    if letters.len() < number {
        letters.resize(number, '.');
    }
    letters[number - 1] = letter;
    while letters.last() == Some(&'.') {
        letters.pop();
    }
    letters.into_iter().collect()
}

record!(
    "programme_suspensions" => SuspensionRow {
        participation_id: Uuid,
        suspended_on: NaiveDate;
        reason: String,
        resumed_on: Option<NaiveDate>,
    }
);

record!(
    "programme_certificates" => CertificateRow {
        participation_id: Uuid,
        issuer: String,
        number: String;
        certificate_type: String,
        issued_on: NaiveDate,
        valid_until: Option<NaiveDate>,
    }
);

record!(
    /// A grant and who signed each step.
    "programme_grants" => GrantRow {
        grant_id: Uuid;
        participation_id: Uuid,
        package_id: Uuid,
        person_ref: String,
        status: String,
        items: String,
        capital_rupiah: i64,
        total_rupiah: i64,
        funding_source: String,
        budget_line: String,
        proposed_by: String,
        proposed_on: NaiveDate,
        approved_by: Option<String>,
        approved_on: Option<NaiveDate>,
        decision_ref: Option<String>,
        deferred: bool,
        handed_over_by: Option<String>,
        handed_over_on: Option<NaiveDate>,
        bast_number: Option<String>,
        recipient: Option<String>,
        place: Option<String>,
        recovered_rupiah: i64,
        cycle: i64,
    }
);

record!(
    "programme_grant_visits" => GrantVisitRow {
        grant_id: Uuid,
        visit_id: Uuid;
        visited_on: NaiveDate,
        business_status: String,
    }
);

record!(
    /// A change-of-circumstances task in a facility's inbox.
    "programme_tasks" => TaskRow {
        task_id: Uuid;
        person_ref: String,
        facility: String,
        trigger: String,
        raised_on: NaiveDate,
        affected_participations: String,
        actions_taken: String,
        acknowledged_by: Option<String>,
        acknowledged_on: Option<NaiveDate>,
    }
);

record!(
    /// A late correction of a participation's record, asked for by one person and waiting for
    /// a second (or decided by them).
    "programme_corrections" => CorrectionRow {
        request_id: Uuid;
        participation_id: Uuid,
        target_event_id: Uuid,
        target_event_type: String,
        target: String,
        requested_by: String,
        requested_on: NaiveDate,
        reason: Option<String>,
        status: String,
        decided_by: Option<String>,
    }
);

/// The tables, parents first; what each hangs off decides whether a scope keeps its rows.
fn tables() -> Vec<TableDef> {
    let (package, participation) = (PackageRow::TABLE, ParticipationRow::TABLE);
    vec![
        PackageRow::def(),
        SessionRow::def().under(package, "package_id"),
        ParticipationRow::def().under(package, "package_id"),
        RegisterRow::def().under(participation, "participation_id"),
        SuspensionRow::def().under(participation, "participation_id"),
        CertificateRow::def().under(participation, "participation_id"),
        GrantRow::def().under(package, "package_id"),
        GrantVisitRow::def().under(GrantRow::TABLE, "grant_id"),
        TaskRow::def(),
        CorrectionRow::def().under(participation, "participation_id"),
    ]
}

/// Which rows a programme question narrowed to `scope` draws on (`crate::scope`): the packages
/// of the facility (or of no facility), provider and skill, and what hangs off them by the
/// tables' declarations (`tables`: sessions, participations and grants under their package;
/// registers, suspensions and certificates under their participation; visits under their
/// grant);
/// and the facility's inbox (none for a provider). The views narrow further (a facility's view
/// leaves out other facilities' inmates in an open package).
fn keeps(scope: &Scope, table: &str, key: &Key, row: &Row) -> bool {
    match table {
        PackageRow::TABLE => PackageRow::from_parts(key, row).is_some_and(|package| {
            (package.facility.is_none() || scope.facility_matches(package.facility.as_deref()))
                && scope.provider_matches(&package.provider)
                && scope.skill_matches(&package.skill)
        }),
        TaskRow::TABLE => {
            scope.provider.is_none()
                && TaskRow::from_parts(key, row)
                    .is_some_and(|task| scope.facility_matches(Some(&task.facility)))
        }
        _ => true,
    }
}

/// The key of a row keyed by one id.
pub fn key(id: Uuid) -> Key {
    vec![id.to_value()]
}

/// The id in a stream id such as `participation-…`.
fn stream_uuid(stream_id: &str) -> Option<Uuid> {
    stream_id.split_once('-').and_then(|(_, id)| id.parse().ok())
}

fn touches(fact: &Fact, tables: &Tables, out: &mut Vec<RowRef>) {
    use Event::*;
    let participation = |id: Uuid| RowRef::of::<ParticipationRow>(key(id));
    let package = |id: Uuid| RowRef::of::<PackageRow>(key(id));
    match &fact.event {
        PackageDefined(e) => out.push(package(e.package_id)),
        PackageAmended(e) => out.push(package(e.package_id)),
        PackageStarted(e) => out.push(package(e.package_id)),
        PackageClosed(e) => out.push(package(e.package_id)),
        PackageCancelled(e) => out.push(package(e.package_id)),
        WaitlistJoined(e) => out.push(package(e.package_id)),
        WaitlistLeft(e) => out.push(package(e.package_id)),
        PlaceAllocated(e) => out.push(package(e.package_id)),
        PlaceReleased(e) => out.extend([package(e.package_id), participation(e.participation_id)]),
        SessionScheduled(e) => {
            out.extend([package(e.package_id), RowRef::of::<SessionRow>(key(e.session_id))])
        }
        SessionCancelled(e) => out.push(RowRef::of::<SessionRow>(key(e.session_id))),
        ParticipantNominated(e) => out.push(participation(e.participation_id)),
        PublicApplicantRegistered(e) => out.push(participation(e.participation_id)),
        EligibilityAssessed(e) => out.push(participation(e.participation_id)),
        EligibilityOverrideApproved(e) => out.push(participation(e.participation_id)),
        NominationApproved(e) => out.push(participation(e.participation_id)),
        NominationRejected(e) => out.push(participation(e.participation_id)),
        ParticipantAccepted(e) => out.push(participation(e.participation_id)),
        ParticipantWaitlisted(e) => out.push(participation(e.participation_id)),
        ParticipantWithdrawn(e) => out.push(participation(e.participation_id)),
        ParticipationStarted(e) => out.push(participation(e.participation_id)),
        AttendanceRecorded(e) => out.extend([
            RowRef::of::<SessionRow>(key(e.session_id)),
            RowRef::of::<RegisterRow>(key(e.participation_id)),
        ]),
        ParticipationSuspended(e) => out.push(participation(e.participation_id)),
        ParticipationResumed(e) => open_suspension(e.participation_id, tables, out),
        ParticipationEnded(e) => open_suspension(e.participation_id, tables, out),
        TrainingCompleted(e) => open_suspension(e.participation_id, tables, out),
        CompetencyAssessed(e) => out.push(participation(e.participation_id)),
        ParticipantGraduated(e) => out.push(participation(e.participation_id)),
        CertificateIssued(e) => out.extend([
            participation(e.participation_id),
            RowRef::of::<CertificateRow>(vec![
                e.participation_id.to_value(),
                e.issuer.to_value(),
                e.number.to_value(),
            ]),
        ]),
        GrantProposed(e) => out.push(RowRef::of::<GrantRow>(key(e.grant_id))),
        GrantApproved(e) => out.push(RowRef::of::<GrantRow>(key(e.grant_id))),
        GrantRejected(e) => out.push(RowRef::of::<GrantRow>(key(e.grant_id))),
        GrantHandoverDeferred(e) => out.push(RowRef::of::<GrantRow>(key(e.grant_id))),
        GrantHandedOver(e) => out.push(RowRef::of::<GrantRow>(key(e.grant_id))),
        GrantCancelled(e) => out.push(RowRef::of::<GrantRow>(key(e.grant_id))),
        GrantRecovered(e) => out.push(RowRef::of::<GrantRow>(key(e.grant_id))),
        GrantUseMonitored(e) => out
            .push(RowRef::of::<GrantVisitRow>(vec![e.grant_id.to_value(), e.visit_id.to_value()])),
        ChangeOfCircumstanceRaised(e) => out.push(RowRef::of::<TaskRow>(key(e.task_id))),
        ChangeOfCircumstanceAcknowledged(e) => out.push(RowRef::of::<TaskRow>(key(e.task_id))),
        CorrectionRequested(e) => correction(fact, e.request_id, out),
        CorrectionRejected(e) => correction(fact, e.request_id, out),
        EventReversed(e) => {
            if let Some(request_id) = e.request_id {
                correction(fact, request_id, out);
            }
            let Some(stream) = stream_uuid(&fact.meta.stream_id) else { return };
            let target: Option<Uuid> = e.target.parse().ok();
            match (e.reversed_event_type.as_str(), target) {
                ("AttendanceRecorded", Some(session)) => out.extend([
                    RowRef::of::<SessionRow>(key(session)),
                    RowRef::of::<RegisterRow>(key(stream)),
                ]),
                ("CompetencyAssessed", _) => out.push(participation(stream)),
                ("GrantUseMonitored", Some(visit)) => {
                    out.push(RowRef::of::<GrantVisitRow>(vec![stream.to_value(), visit.to_value()]))
                }
                ("CertificateIssued", _) => {
                    if let Some((issuer, number)) = e.target.split_once('\u{1f}') {
                        out.push(participation(stream));
                        let certificate = vec![
                            stream.to_value(),
                            issuer.to_owned().to_value(),
                            number.to_owned().to_value(),
                        ];
                        out.push(RowRef::of::<CertificateRow>(certificate));
                    }
                }
                _ => {}
            }
        }
        _ => {}
    }
}

/// A correction of a participation's record: the participation and the request's row.
fn correction(fact: &Fact, request_id: Uuid, out: &mut Vec<RowRef>) {
    if !fact.meta.stream_id.starts_with("participation-") {
        return;
    }
    let Some(stream) = stream_uuid(&fact.meta.stream_id) else { return };
    out.extend([
        RowRef::of::<ParticipationRow>(key(stream)),
        RowRef::of::<CorrectionRow>(key(request_id)),
    ]);
}

/// The participation, and once it is loaded, its open suspension if it has one.
fn open_suspension(participation_id: Uuid, tables: &Tables, out: &mut Vec<RowRef>) {
    out.push(RowRef::of::<ParticipationRow>(key(participation_id)));
    if let Some(row) = tables.get::<ParticipationRow>(&key(participation_id))
        && let Some(since) = row.suspended_since
    {
        out.push(RowRef::of::<SuspensionRow>(vec![participation_id.to_value(), since.to_value()]));
    }
}

fn apply(fact: &Fact, tables: &mut Tables, config: &Config) {
    use Event::*;
    let today = config.local_date(fact.meta.occurred_at);
    match &fact.event {
        PackageDefined(e) => define_package(tables, e),
        PackageAmended(e) => amend_package(tables, e),
        PackageStarted(e) => {
            update::<PackageRow>(tables, key(e.package_id), |row| row.status = "started".to_owned())
        }
        PackageClosed(e) => {
            update::<PackageRow>(tables, key(e.package_id), |row| row.status = "closed".to_owned())
        }
        PackageCancelled(e) => update::<PackageRow>(tables, key(e.package_id), |row| {
            row.status = "cancelled".to_owned()
        }),
        WaitlistJoined(e) => {
            update::<PackageRow>(tables, key(e.package_id), |row| row.waitlist_length += 1)
        }
        WaitlistLeft(e) => {
            update::<PackageRow>(tables, key(e.package_id), |row| row.waitlist_length -= 1)
        }
        PlaceAllocated(e) => update::<PackageRow>(tables, key(e.package_id), |row| {
            row.places_taken += 1;
            row.inmate_places_taken += i64::from(e.inmate);
        }),
        PlaceReleased(e) => {
            let inmate = tables
                .get::<ParticipationRow>(&key(e.participation_id))
                .is_some_and(|p| p.category == "wbp");
            update::<PackageRow>(tables, key(e.package_id), |row| {
                row.places_taken -= 1;
                row.inmate_places_taken -= i64::from(inmate);
            });
        }
        SessionScheduled(e) => schedule_session(tables, e),
        SessionCancelled(e) => {
            update::<SessionRow>(tables, key(e.session_id), |row| row.cancelled = true)
        }
        ParticipantNominated(e) => nominate(tables, fact, e, today),
        PublicApplicantRegistered(e) => register_public_applicant(tables, e, today),
        CertificateIssued(e) => issue_certificate(tables, e),
        GrantProposed(e) => propose_grant(tables, fact, e, today),
        GrantApproved(e) => update::<GrantRow>(tables, key(e.grant_id), |row| {
            row.status = "approved".to_owned();
            row.approved_by = Some(fact.meta.actor.clone());
            row.approved_on = Some(today);
            row.decision_ref.clone_from(&fact.meta.document_ref);
        }),
        GrantRejected(e) => {
            update::<GrantRow>(tables, key(e.grant_id), |row| row.status = "rejected".to_owned())
        }
        GrantCancelled(e) => {
            update::<GrantRow>(tables, key(e.grant_id), |row| row.status = "cancelled".to_owned())
        }
        GrantHandoverDeferred(e) => update::<GrantRow>(tables, key(e.grant_id), |row| {
            row.status = "deferred".to_owned();
            row.deferred = true;
        }),
        GrantHandedOver(e) => update::<GrantRow>(tables, key(e.grant_id), |row| {
            row.status = "handed_over".to_owned();
            row.handed_over_by = Some(fact.meta.actor.clone());
            row.handed_over_on = Some(e.handed_over_on);
            row.bast_number = Some(e.bast_number.clone());
            row.recipient = Some(e.recipient.to_string());
            row.place = Some(e.place.clone());
        }),
        GrantRecovered(e) => update::<GrantRow>(tables, key(e.grant_id), |row| {
            row.recovered_rupiah += rupiah(e.amount_rupiah)
        }),
        GrantUseMonitored(e) => tables.put(&GrantVisitRow {
            grant_id: e.grant_id,
            visit_id: e.visit_id,
            visited_on: e.visited_on,
            business_status: e.business_status.to_string(),
        }),
        ChangeOfCircumstanceRaised(e) => raise_task(tables, e, today),
        ChangeOfCircumstanceAcknowledged(e) => update::<TaskRow>(tables, key(e.task_id), |row| {
            row.acknowledged_by = Some(fact.meta.actor.clone());
            row.acknowledged_on = Some(today);
        }),
        CorrectionRequested(e) => request_correction(tables, fact, e, today),
        CorrectionRejected(e) => decide_correction(fact, tables, e.request_id, "rejected"),
        EventReversed(e) => {
            if let Some(request_id) = e.request_id {
                decide_correction(fact, tables, request_id, "approved");
            }
            reverse(fact, e, tables);
        }
        _ => participation_stage(fact, tables, today),
    }
}

/// The events that move a participation through its stages, from eligibility to graduation.
fn participation_stage(fact: &Fact, tables: &mut Tables, today: NaiveDate) {
    use Event::*;
    match &fact.event {
        EligibilityAssessed(e) => participation(tables, e.participation_id, |row| {
            row.assessed_on = Some(e.assessed_on);
            row.eligible = Some(e.eligible);
            row.rule_set = Some(format!("{} v{}", e.rule_set, e.rule_set_version));
            row.overridden = false;
            set_status(row, if e.eligible { "eligible" } else { "not_eligible" }, e.assessed_on);
        }),
        EligibilityOverrideApproved(e) => participation(tables, e.participation_id, |row| {
            row.eligible = Some(true);
            row.overridden = true;
            set_status(row, "eligible", today);
        }),
        NominationApproved(e) => participation(tables, e.participation_id, |row| {
            row.decided_on = Some(e.tpp_session_date);
            set_status(row, "approved", e.tpp_session_date);
        }),
        NominationRejected(e) => participation(tables, e.participation_id, |row| {
            row.decided_on = Some(today);
            row.rejection_reason = Some(e.reason.to_string());
            set_status(row, "rejected", today);
        }),
        ParticipantAccepted(e) => participation(tables, e.participation_id, |row| {
            row.accepted_on = Some(e.accepted_on);
            row.waitlist_position = None;
            set_status(row, "accepted", e.accepted_on);
        }),
        ParticipantWaitlisted(e) => participation(tables, e.participation_id, |row| {
            row.waitlisted_on = Some(today);
            row.waitlist_position = Some(i64::from(e.position));
            set_status(row, "waitlisted", today);
        }),
        ParticipantWithdrawn(e) => participation(tables, e.participation_id, |row| {
            row.withdrawn_on = Some(today);
            row.withdrawal_reason = Some(e.reason.to_string());
            row.waitlist_position = None;
            set_status(row, "withdrawn", today);
        }),
        ParticipationStarted(e) => participation(tables, e.participation_id, |row| {
            row.started_on = Some(e.started_on);
            set_status(row, "active", e.started_on);
        }),
        AttendanceRecorded(e) => {
            mark(tables, e.participation_id, e.session_id, register_letter(e.code))
        }
        ParticipationSuspended(e) => {
            tables.put(&SuspensionRow {
                participation_id: e.participation_id,
                suspended_on: e.suspended_on,
                reason: e.reason.to_string(),
                resumed_on: None,
            });
            participation(tables, e.participation_id, |row| {
                row.suspended_since = Some(e.suspended_on);
                set_status(row, "suspended", e.suspended_on);
            });
        }
        ParticipationResumed(e) => {
            close_suspension(tables, e.participation_id, e.resumed_on);
            participation(tables, e.participation_id, |row| {
                set_status(row, "active", e.resumed_on)
            });
        }
        ParticipationEnded(e) => {
            close_suspension(tables, e.participation_id, e.ended_on);
            participation(tables, e.participation_id, |row| {
                row.stopped_on = Some(e.ended_on);
                row.end_reason = Some(e.reason.to_string());
                row.end_category = Some(e.category.to_string());
                set_status(row, "ended", e.ended_on);
            });
        }
        TrainingCompleted(e) => {
            close_suspension(tables, e.participation_id, e.completed_on);
            participation(tables, e.participation_id, |row| {
                row.stopped_on = Some(e.completed_on);
                row.completed_on = Some(e.completed_on);
                row.sessions_attended = Some(i64::from(e.sessions_attended));
                row.sessions_expected = Some(i64::from(e.sessions_expected));
                row.hours_attended = Some(i64::from(e.hours_attended));
                set_status(row, "completed", e.completed_on);
            });
        }
        CompetencyAssessed(e) => participation(tables, e.participation_id, |row| {
            row.competency_result = Some(e.result.to_string());
            row.competency_on = Some(e.assessed_on);
            row.latest_assessment = Some(e.assessment_id.to_string());
            let status = match e.result {
                CompetencyResult::Kompeten => "competent",
                CompetencyResult::BelumKompeten => "not_yet_competent",
            };
            set_status(row, status, e.assessed_on);
        }),
        ParticipantGraduated(e) => participation(tables, e.participation_id, |row| {
            row.graduated_on = Some(e.graduated_on);
            set_status(row, "graduated", e.graduated_on);
        }),
        _ => {}
    }
}

/// A package as defined: planned, no place taken, no session scheduled yet.
fn define_package(tables: &mut Tables, e: &catalogue::PackageDefined) {
    tables.put(&PackageRow {
        package_id: e.package_id,
        title: e.title.clone(),
        provider: e.provider.clone(),
        skill: e.skill.clone(),
        venue_type: e.venue_type.to_string(),
        facility: e.facilities.first().cloned(),
        location: e.location.clone(),
        start_date: e.start_date,
        end_date: e.end_date,
        planned_hours: i64::from(e.planned_hours),
        quota_total: i64::from(e.quota_total),
        quota_inmates: e.quota_inmates.map(i64::from),
        attendance_threshold_percent: i64::from(e.attendance_threshold_percent),
        funding_source: e.funding_source.clone(),
        grant_policy: e.grant_policy.to_string(),
        status: "planned".to_owned(),
        places_taken: 0,
        inmate_places_taken: 0,
        waitlist_length: 0,
        sessions_scheduled: 0,
    });
}

/// The fields a package amendment names, the others kept.
fn amend_package(tables: &mut Tables, e: &catalogue::PackageAmended) {
    update::<PackageRow>(tables, key(e.package_id), |row| {
        let changes = &e.changes;
        if let Some(value) = &changes.title {
            row.title.clone_from(value);
        }
        if let Some(value) = &changes.location {
            row.location.clone_from(value);
        }
        if let Some(value) = &changes.funding_source {
            row.funding_source.clone_from(value);
        }
        row.planned_hours = changes.planned_hours.map_or(row.planned_hours, i64::from);
        row.start_date = changes.start_date.unwrap_or(row.start_date);
        row.end_date = changes.end_date.unwrap_or(row.end_date);
        row.quota_total = changes.quota_total.map_or(row.quota_total, i64::from);
        row.quota_inmates = changes.quota_inmates.map(i64::from).or(row.quota_inmates);
        row.attendance_threshold_percent = changes
            .attendance_threshold_percent
            .map_or(row.attendance_threshold_percent, i64::from);
    });
}

/// A session scheduled, or scheduled again (it keeps its number: its register column).
fn schedule_session(tables: &mut Tables, e: &catalogue::SessionScheduled) {
    // Scheduled again, a session keeps its number.
    let number = match tables.get::<SessionRow>(&key(e.session_id)) {
        Some(session) => session.number,
        None => {
            let mut number = 0;
            update::<PackageRow>(tables, key(e.package_id), |row| {
                row.sessions_scheduled += 1;
                number = row.sessions_scheduled;
            });
            number
        }
    };
    tables.put(&SessionRow {
        session_id: e.session_id,
        package_id: e.package_id,
        number,
        date: e.date,
        hours: i64::from(e.hours),
        cancelled: false,
    })
}

/// An inmate nominated: a new participation, or the next cycle of one.
fn nominate(
    tables: &mut Tables,
    fact: &Fact,
    e: &catalogue::ParticipantNominated,
    today: NaiveDate,
) {
    let (id, category) = (e.participation_id, e.category.as_str());
    let mut row = next_cycle(tables, id, e.package_id, &e.person_ref, category, today);
    row.facility.clone_from(&fact.meta.facility);
    row.legal_status = Some(e.legal_status.to_string());
    row.sex = e.attributes.sex.map(|v| v.to_string());
    row.age_band = e.attributes.age_band.map(|v| v.to_string());
    row.offence_group = e.attributes.offence_group.map(|v| v.to_string());
    row.sentence_band = e.attributes.sentence_band.map(|v| v.to_string());
    tables.put(&row);
}

/// A participation begun on `today`: the first of `participation_id`, or its next cycle.
fn next_cycle(
    tables: &Tables,
    participation_id: Uuid,
    package_id: Uuid,
    person_ref: &str,
    category: &str,
    today: NaiveDate,
) -> ParticipationRow {
    let cycle =
        tables.get::<ParticipationRow>(&key(participation_id)).map_or(1, |row| row.cycle + 1);
    new_participation(participation_id, package_id, person_ref, category, today, cycle)
}

/// A member of the public registered: a new participation, or the next cycle of one.
fn register_public_applicant(
    tables: &mut Tables,
    e: &catalogue::PublicApplicantRegistered,
    today: NaiveDate,
) {
    let (id, category) = (e.participation_id, e.category.as_str());
    let mut row = next_cycle(tables, id, e.package_id, &e.person_ref, category, today);
    row.status = "registered".to_owned();
    row.sex = e.sex.map(|v| v.to_string());
    row.age_band = e.age_band.map(|v| v.to_string());
    tables.put(&row);
}

/// A certificate issued, and counted on its participation.
fn issue_certificate(tables: &mut Tables, e: &catalogue::CertificateIssued) {
    tables.put(&CertificateRow {
        participation_id: e.participation_id,
        issuer: e.issuer.clone(),
        number: e.number.clone(),
        certificate_type: e.certificate_type.to_string(),
        issued_on: e.issued_on,
        valid_until: e.valid_until,
    });
    participation(tables, e.participation_id, |row| match e.certificate_type {
        CertificateType::Pelatihan => row.training_certificates += 1,
        CertificateType::KompetensiBnsp => {
            row.bnsp_certificates += 1;
            row.certified_on = row.certified_on.or(Some(e.issued_on));
        }
    });
}

/// A grant proposed: a new grant, or the next cycle of one.
fn propose_grant(tables: &mut Tables, fact: &Fact, e: &catalogue::GrantProposed, today: NaiveDate) {
    let cycle = tables.get::<GrantRow>(&key(e.grant_id)).map_or(1, |row| row.cycle + 1);
    let items = e
        .items
        .iter()
        .map(|item| format!("{} x{} @{}", item.name, item.quantity, item.unit_value_rupiah))
        .collect::<Vec<_>>();
    tables.put(&GrantRow {
        grant_id: e.grant_id,
        participation_id: e.participation_id,
        package_id: e.package_id,
        person_ref: e.person_ref.clone(),
        status: "proposed".to_owned(),
        items: items.join("; "),
        capital_rupiah: rupiah(e.capital_rupiah),
        total_rupiah: rupiah(e.total_rupiah),
        funding_source: e.funding_source.clone(),
        budget_line: e.budget_line.clone(),
        proposed_by: fact.meta.actor.clone(),
        proposed_on: today,
        approved_by: None,
        approved_on: None,
        decision_ref: None,
        deferred: false,
        handed_over_by: None,
        handed_over_on: None,
        bast_number: None,
        recipient: None,
        place: None,
        recovered_rupiah: 0,
        cycle,
    });
}

/// A correction of a participation's event requested, pending a second person.
fn request_correction(
    tables: &mut Tables,
    fact: &Fact,
    e: &catalogue::CorrectionRequested,
    today: NaiveDate,
) {
    if !fact.meta.stream_id.starts_with("participation-") {
        return;
    }
    let Some(participation_id) = stream_uuid(&fact.meta.stream_id) else { return };
    tables.put(&CorrectionRow {
        request_id: e.request_id,
        participation_id,
        target_event_id: e.target_event_id,
        target_event_type: e.target_event_type.clone(),
        target: e.target.clone(),
        requested_by: fact.meta.actor.clone(),
        requested_on: today,
        reason: fact.meta.reason.clone(),
        status: "pending".to_owned(),
        decided_by: None,
    });
}

/// A change-of-circumstances task for the facility's inbox.
fn raise_task(tables: &mut Tables, e: &catalogue::ChangeOfCircumstanceRaised, today: NaiveDate) {
    tables.put(&TaskRow {
        task_id: e.task_id,
        person_ref: e.person_ref.clone(),
        facility: e.facility.clone(),
        trigger: e.trigger.clone(),
        raised_on: today,
        affected_participations: e
            .affected_participations
            .iter()
            .map(Uuid::to_string)
            .collect::<Vec<_>>()
            .join(" "),
        actions_taken: e.actions_taken.join("; "),
        acknowledged_by: None,
        acknowledged_on: None,
    });
}

/// A correction request decided by a second person.
fn decide_correction(fact: &Fact, tables: &mut Tables, request_id: Uuid, status: &str) {
    update::<CorrectionRow>(tables, key(request_id), |row| {
        row.status = status.to_owned();
        row.decided_by = Some(fact.meta.actor.clone());
    });
}

fn reverse(fact: &Fact, reversed: &events::catalogue::EventReversed, tables: &mut Tables) {
    let Some(stream) = stream_uuid(&fact.meta.stream_id) else { return };
    match reversed.reversed_event_type.as_str() {
        "AttendanceRecorded" => {
            if let Ok(session) = reversed.target.parse::<Uuid>() {
                mark(tables, stream, session, '.');
            }
        }
        "GrantUseMonitored" => {
            if let Ok(visit) = reversed.target.parse::<Uuid>() {
                tables.delete::<GrantVisitRow>(&vec![stream.to_value(), visit.to_value()]);
            }
        }
        "CompetencyAssessed" => participation(tables, stream, |row| {
            if row.latest_assessment.as_deref() == Some(reversed.target.as_str()) {
                row.latest_assessment = None;
                row.competency_result = None;
                row.competency_on = None;
                if matches!(row.status.as_str(), "competent" | "not_yet_competent") {
                    let since = row.completed_on.unwrap_or(row.status_since);
                    set_status(row, "completed", since);
                }
            }
        }),
        "CertificateIssued" => {
            let Some((issuer, number)) = reversed.target.split_once('\u{1f}') else { return };
            let certificate_key =
                vec![stream.to_value(), issuer.to_owned().to_value(), number.to_owned().to_value()];
            let Some(certificate) = tables.get::<CertificateRow>(&certificate_key) else { return };
            tables.delete::<CertificateRow>(&certificate_key);
            participation(tables, stream, |row| {
                if certificate.certificate_type == CertificateType::Pelatihan.as_str() {
                    row.training_certificates -= 1;
                } else {
                    row.bnsp_certificates -= 1;
                    if row.bnsp_certificates == 0 {
                        row.certified_on = None;
                    }
                }
            });
        }
        _ => {}
    }
}

fn rupiah(amount: u64) -> i64 {
    i64::try_from(amount).unwrap_or(i64::MAX)
}

/// A participation as nominated or registered on `today`, every later stage still to come.
pub fn new_participation(
    id: Uuid,
    package_id: Uuid,
    person_ref: &str,
    category: &str,
    today: NaiveDate,
    cycle: i64,
) -> ParticipationRow {
    ParticipationRow {
        participation_id: id,
        package_id,
        person_ref: person_ref.to_owned(),
        category: category.to_owned(),
        facility: None,
        legal_status: None,
        sex: None,
        age_band: None,
        offence_group: None,
        sentence_band: None,
        status: "nominated".to_owned(),
        status_since: today,
        cycle,
        nominated_on: today,
        assessed_on: None,
        eligible: None,
        rule_set: None,
        overridden: false,
        decided_on: None,
        rejection_reason: None,
        accepted_on: None,
        waitlisted_on: None,
        waitlist_position: None,
        withdrawn_on: None,
        withdrawal_reason: None,
        started_on: None,
        suspended_since: None,
        stopped_on: None,
        end_reason: None,
        end_category: None,
        completed_on: None,
        sessions_attended: None,
        sessions_expected: None,
        hours_attended: None,
        competency_result: None,
        competency_on: None,
        latest_assessment: None,
        graduated_on: None,
        training_certificates: 0,
        bnsp_certificates: 0,
        certified_on: None,
    }
}

fn set_status(row: &mut ParticipationRow, status: &str, since: NaiveDate) {
    row.status = status.to_owned();
    row.status_since = since;
}

/// Changes a row if it exists; a fact about something the read model never saw changes nothing.
fn update<R: Record>(tables: &mut Tables, key: Key, change: impl FnOnce(&mut R)) {
    if let Some(mut row) = tables.get::<R>(&key) {
        change(&mut row);
        tables.put(&row);
    }
}

/// Sets the participant's mark for the session in their register (`.` takes it away). A
/// session with no number (its package unknown to the fold) has no column to mark.
fn mark(tables: &mut Tables, participation_id: Uuid, session_id: Uuid, letter: char) {
    let Some(number) = tables
        .get::<SessionRow>(&key(session_id))
        .and_then(|session| usize::try_from(session.number).ok())
        .filter(|number| *number >= 1)
    else {
        return;
    };
    let register = tables.get::<RegisterRow>(&key(participation_id));
    let marks = set_mark(register.as_ref().map_or("", |row| row.marks.as_str()), number, letter);
    if marks.is_empty() {
        if register.is_some() {
            tables.delete::<RegisterRow>(&key(participation_id));
        }
    } else {
        tables.put(&RegisterRow { participation_id, marks });
    }
}

fn participation(tables: &mut Tables, id: Uuid, change: impl FnOnce(&mut ParticipationRow)) {
    update::<ParticipationRow>(tables, key(id), change);
}

fn close_suspension(tables: &mut Tables, participation_id: Uuid, on: NaiveDate) {
    let Some(since) =
        tables.get::<ParticipationRow>(&key(participation_id)).and_then(|row| row.suspended_since)
    else {
        return;
    };
    update::<SuspensionRow>(tables, vec![participation_id.to_value(), since.to_value()], |row| {
        row.resumed_on = Some(on)
    });
    participation(tables, participation_id, |row| row.suspended_since = None);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each declared parent is a table of this projection, declared before its children and
    /// keyed by one column of the kind the child's column holds.
    #[test]
    fn every_table_hangs_off_a_parent_declared_before_it() {
        let definitions = tables();
        let mut children = 0;
        for (index, definition) in definitions.iter().enumerate() {
            let Some(under) = definition.under else { continue };
            children += 1;
            let parent = definitions[..index].iter().find(|d| d.name == under.parent);
            let parent = parent.unwrap_or_else(|| panic!("{}: parent first", definition.name));
            let column = definition.position(under.column).expect("a column of the table");
            let column = definition.key.iter().chain(&definition.columns).nth(column).unwrap();
            assert_eq!(parent.key.len(), 1, "{} is keyed by one id", parent.name);
            assert_eq!(parent.key[0].kind, column.kind, "{}", definition.name);
        }
        assert_eq!(children, 8, "all but the packages and the inbox hang off a parent");
    }

    #[test]
    fn every_code_has_a_letter_of_its_own_and_a_register_a_letter_per_session() {
        let letters: std::collections::BTreeSet<char> =
            AttendanceCode::ALL.iter().map(|code| register_letter(*code)).collect();
        assert_eq!(letters.len(), AttendanceCode::ALL.len());
        assert!(!letters.contains(&'.'), "the blank is no code");
        for code in AttendanceCode::ALL {
            assert_eq!(register_code(register_letter(*code)), Some(*code));
        }
        assert_eq!(register_code('.'), None);
        assert_eq!(set_mark("", 3, 'H'), "..H");
        assert_eq!(set_mark("..H", 1, 'A'), "A.H");
        assert_eq!(set_mark("A.H", 1, 'S'), "S.H", "a mark recorded again stands instead");
        assert_eq!(set_mark("S.H", 3, '.'), "S", "no trailing blanks");
        assert_eq!(set_mark("S", 1, '.'), "");
        assert_eq!(set_mark("S", 4, '.'), "S", "taking away a mark that is not there");
    }
}
