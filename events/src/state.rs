//! The state of each kind of stream, and `evolve`: how one event changes it.
//!
//! Evolve is total: an event is a fact that already happened, so applying it never fails and
//! never panics, even when it arrives in a state the rules would not have allowed (an import
//! from an older system, a log written with the rules switched off). Such facts still change
//! the state as they say; the compliance report is where they are judged.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use uuid::Uuid;

use crate::attendance::{self, Rate, SessionMark};
use crate::catalogue::{DecodeError, Event, PackageDefined, PersonAttributes};
use crate::envelope::{RecordedEvent, Source, category_of};
use crate::time::Timestamp;
use crate::vocabulary::{
    AttendanceCode, CertificateType, CompetencyResult, LegalStatus, OffenceGroup,
    ParticipantCategory, RegisterClass, ReleaseType,
};

/// An event with the envelope fields the rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub event: Event,
    pub meta: FactMeta,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactMeta {
    pub stream_id: String,
    pub event_id: Uuid,
    /// 0 for an event decided but not yet written.
    pub position: i64,
    pub actor: String,
    pub role: String,
    pub organisation: String,
    pub facility: Option<String>,
    pub source: Source,
    pub occurred_at: Timestamp,
    pub recorded_at: Timestamp,
    pub reason: Option<String>,
    pub document_ref: Option<String>,
}

impl Fact {
    /// Decodes a stored event.
    pub fn from_recorded(event: &RecordedEvent) -> Result<Fact, DecodeError> {
        let decoded = Event::decode(&event.event_type, event.schema_version, &event.payload)?;
        let meta = FactMeta {
            stream_id: event.stream_id.clone(),
            event_id: event.event_id,
            position: event.position,
            actor: event.actor.clone(),
            role: event.role.clone(),
            organisation: event.organisation.clone(),
            facility: event.facility.clone(),
            source: event.source,
            occurred_at: event.occurred_at,
            recorded_at: event.recorded_at,
            reason: event.reason.clone(),
            document_ref: event.document_ref.clone(),
        };
        Ok(Fact { event: decoded, meta })
    }
}

/// What kind of stream an id names, by its category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    Package,
    Participation,
    Grant,
    Person,
    Organisation,
}

impl StreamKind {
    pub fn of(stream_id: &str) -> Option<StreamKind> {
        match category_of(stream_id) {
            "package" => Some(StreamKind::Package),
            "participation" => Some(StreamKind::Participation),
            "grant" => Some(StreamKind::Grant),
            "person" => Some(StreamKind::Person),
            "organisation" => Some(StreamKind::Organisation),
            _ => None,
        }
    }
}

/// An event that a correction may reverse, and what it touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reversible {
    pub event_type: String,
    pub occurred_at: Timestamp,
    pub actor: String,
    /// The thing the event recorded: a session, an assessment, a sanction, a case, ….
    pub target: String,
}

/// A late correction waiting for a second person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCorrection {
    pub target_event_id: Uuid,
    pub requested_by: String,
}

/// Corrections, the same in every stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Corrections {
    pub reversible: BTreeMap<Uuid, Reversible>,
    pub reversed: BTreeSet<Uuid>,
    /// Ids of reversal events: a reversal can never be reversed.
    pub reversals: BTreeSet<Uuid>,
    pub pending: BTreeMap<Uuid, PendingCorrection>,
}

impl Corrections {
    fn record(&mut self, meta: &FactMeta, event_type: &str, target: String) {
        let reversible = Reversible {
            event_type: event_type.to_owned(),
            occurred_at: meta.occurred_at,
            actor: meta.actor.clone(),
            target,
        };
        self.reversible.insert(meta.event_id, reversible);
    }

    /// Applies the correction events; returns what a reversal undid, for the stream to unwind.
    fn apply(&mut self, fact: &Fact) -> Option<Reversible> {
        match &fact.event {
            Event::CorrectionRequested(requested) => {
                let pending = PendingCorrection {
                    target_event_id: requested.target_event_id,
                    requested_by: fact.meta.actor.clone(),
                };
                self.pending.insert(requested.request_id, pending);
                None
            }
            Event::CorrectionRejected(rejected) => {
                self.pending.remove(&rejected.request_id);
                None
            }
            Event::EventReversed(reversed) => {
                if let Some(request_id) = reversed.request_id {
                    self.pending.remove(&request_id);
                }
                self.reversals.insert(fact.meta.event_id);
                self.reversed.insert(reversed.reversed_event_id);
                self.reversible.get(&reversed.reversed_event_id).cloned()
            }
            _ => None,
        }
    }
}

// ----------------------------------------------------------------------------------------------
// Organisation

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrganisationState {
    pub registered: Option<crate::catalogue::OrganisationRegistered>,
}

impl OrganisationState {
    pub fn evolve(&mut self, fact: &Fact) {
        if let Event::OrganisationRegistered(registered) = &fact.event {
            self.registered = Some(registered.clone());
        }
    }
}

// ----------------------------------------------------------------------------------------------
// Package

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PackageStatus {
    #[default]
    Planned,
    Started,
    Closed,
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub date: NaiveDate,
    pub hours: u32,
    pub cancelled: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageState {
    /// The definition as amended.
    pub definition: Option<PackageDefined>,
    pub status: PackageStatus,
    pub sessions: BTreeMap<Uuid, Session>,
    /// Every participation ever opened for this package.
    pub roster: BTreeSet<Uuid>,
    /// Participations holding a place now, and whether each is an inmate.
    pub places: BTreeMap<Uuid, bool>,
    /// The waiting list in order, with whether each is an inmate.
    pub waitlist: Vec<(Uuid, bool)>,
    pub corrections: Corrections,
}

impl PackageState {
    pub fn places_taken(&self) -> u32 {
        self.places.len() as u32
    }

    pub fn inmate_places_taken(&self) -> u32 {
        self.places.values().filter(|inmate| **inmate).count() as u32
    }

    /// Whether the package still takes nominations and acceptances.
    pub fn is_open(&self) -> bool {
        matches!(self.status, PackageStatus::Planned | PackageStatus::Started)
    }

    pub fn evolve(&mut self, fact: &Fact) {
        self.corrections.apply(fact);
        match &fact.event {
            Event::PackageDefined(defined) => self.definition = Some(defined.clone()),
            Event::PackageAmended(amended) => {
                if let Some(definition) = &mut self.definition {
                    let changes = &amended.changes;
                    macro_rules! amend {
                        ($($field:ident),*) => {$(
                            if let Some(value) = &changes.$field {
                                definition.$field = value.clone();
                            }
                        )*};
                    }
                    amend!(title, location, planned_hours, start_date, end_date, quota_total);
                    amend!(attendance_threshold_percent, funding_source);
                    if changes.quota_inmates.is_some() {
                        definition.quota_inmates = changes.quota_inmates;
                    }
                }
            }
            Event::SessionScheduled(scheduled) => {
                let session =
                    Session { date: scheduled.date, hours: scheduled.hours, cancelled: false };
                self.sessions.insert(scheduled.session_id, session);
            }
            Event::SessionCancelled(cancelled) => {
                if let Some(session) = self.sessions.get_mut(&cancelled.session_id) {
                    session.cancelled = true;
                }
            }
            Event::PackageStarted(_) => self.status = PackageStatus::Started,
            Event::PackageClosed(_) => self.status = PackageStatus::Closed,
            Event::PackageCancelled(_) => self.status = PackageStatus::Cancelled,
            Event::PlaceAllocated(allocated) => {
                self.waitlist.retain(|(id, _)| *id != allocated.participation_id);
                self.places.insert(allocated.participation_id, allocated.inmate);
            }
            Event::PlaceReleased(released) => {
                self.places.remove(&released.participation_id);
            }
            Event::WaitlistJoined(joined) => {
                self.waitlist.retain(|(id, _)| *id != joined.participation_id);
                self.waitlist.push((joined.participation_id, joined.inmate));
            }
            Event::WaitlistLeft(left) => {
                self.waitlist.retain(|(id, _)| *id != left.participation_id)
            }
            Event::RosterEntryOpened(opened) => {
                self.roster.insert(opened.participation_id);
            }
            _ => {}
        }
    }
}

// ----------------------------------------------------------------------------------------------
// Participation

/// The states of domain.md §(b).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ParticipationStatus {
    /// *Diusulkan*: an inmate nominated, not yet assessed.
    Nominated,
    /// A public applicant registered: goes straight to acceptance.
    Registered,
    /// *Memenuhi syarat*.
    Eligible,
    /// *Tidak memenuhi syarat*.
    NotEligible,
    /// *Disetujui UPT*: approved by the review board.
    Approved,
    /// *Ditolak*.
    Rejected,
    /// *Daftar tunggu*.
    Waitlisted,
    /// *Diterima*.
    Accepted,
    /// *Ditarik*: withdrawn before the start.
    Withdrawn,
    /// *Aktif*.
    Active,
    /// *Ditangguhkan*.
    Suspended,
    /// *Berhenti*: ended before completion.
    Ended,
    /// *Selesai pelatihan*: completed, awaiting a competency result.
    Completed,
    /// Completed and assessed *kompeten*, awaiting graduation.
    Competent,
    /// Completed and assessed *belum kompeten*; may sit again.
    NotYetCompetent,
    /// *Lulus*.
    Graduated,
}

impl ParticipationStatus {
    pub fn label(self) -> &'static str {
        match self {
            ParticipationStatus::Nominated => "nominated (diusulkan)",
            ParticipationStatus::Registered => "registered (terdaftar)",
            ParticipationStatus::Eligible => "eligible (memenuhi syarat)",
            ParticipationStatus::NotEligible => "not eligible (tidak memenuhi syarat)",
            ParticipationStatus::Approved => "approved (disetujui)",
            ParticipationStatus::Rejected => "rejected (ditolak)",
            ParticipationStatus::Waitlisted => "on the waiting list (daftar tunggu)",
            ParticipationStatus::Accepted => "accepted (diterima)",
            ParticipationStatus::Withdrawn => "withdrawn (ditarik)",
            ParticipationStatus::Active => "active (aktif)",
            ParticipationStatus::Suspended => "suspended (ditangguhkan)",
            ParticipationStatus::Ended => "ended (berhenti)",
            ParticipationStatus::Completed => "completed (selesai pelatihan)",
            ParticipationStatus::Competent => "competent (kompeten)",
            ParticipationStatus::NotYetCompetent => "not yet competent (belum kompeten)",
            ParticipationStatus::Graduated => "graduated (lulus)",
        }
    }

    /// Before the start: where a withdrawal is possible.
    pub fn is_before_start(self) -> bool {
        matches!(
            self,
            ParticipationStatus::Nominated
                | ParticipationStatus::Registered
                | ParticipationStatus::Eligible
                | ParticipationStatus::Approved
                | ParticipationStatus::Waitlisted
                | ParticipationStatus::Accepted
                | ParticipationStatus::NotEligible
        )
    }

    /// Closed: a new nomination of the same person for the same package may open a new cycle.
    pub fn may_reopen(self) -> bool {
        matches!(
            self,
            ParticipationStatus::NotEligible
                | ParticipationStatus::Rejected
                | ParticipationStatus::Withdrawn
        )
    }

    /// Still open: not ended, withdrawn, refused, or through training.
    pub fn is_open(self) -> bool {
        !self.may_reopen()
            && !matches!(
                self,
                ParticipationStatus::Ended
                    | ParticipationStatus::Completed
                    | ParticipationStatus::Competent
                    | ParticipationStatus::NotYetCompetent
                    | ParticipationStatus::Graduated
            )
    }

    /// Between acceptance and the end of training: a pending custody change must end it.
    pub fn is_in_training(self) -> bool {
        matches!(self, ParticipationStatus::Active | ParticipationStatus::Suspended)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub code: AttendanceCode,
    pub event_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub result: CompetencyResult,
    pub event_id: Uuid,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParticipationState {
    pub participation_id: Option<Uuid>,
    pub package_id: Option<Uuid>,
    pub person_ref: Option<String>,
    pub category: Option<ParticipantCategory>,
    /// The facility that nominated, for inmates.
    pub facility: Option<String>,
    pub status: Option<ParticipationStatus>,
    /// 1 for the first nomination; a reopened participation starts the next cycle.
    pub cycle: u32,
    pub nominated_by: Option<String>,
    pub eligible: Option<bool>,
    pub overridden: bool,
    pub pending_override: Option<(Uuid, String)>,
    pub approved_by: Option<String>,
    pub waitlist_position: Option<u32>,
    pub started_on: Option<NaiveDate>,
    /// When training stopped: ended or completed.
    pub stopped_on: Option<NaiveDate>,
    /// Suspension periods, the last one open while suspended.
    pub suspensions: Vec<(NaiveDate, Option<NaiveDate>)>,
    pub marks: BTreeMap<Uuid, Mark>,
    pub completed: Option<Rate>,
    pub assessments: BTreeMap<Uuid, Assessment>,
    /// The most recent assessment that still stands.
    pub latest_assessment: Option<Uuid>,
    pub graduated_on: Option<NaiveDate>,
    pub certificates: BTreeMap<(String, String), CertificateType>,
    pub corrections: Corrections,
}

impl ParticipationState {
    /// The attendance rate (`attendance::rate`) over the package's sessions up to `as_of`.
    pub fn rate(&self, package: &PackageState, as_of: NaiveDate) -> Rate {
        let sessions = package.sessions.iter().map(|(session_id, session)| SessionMark {
            held_while_active: !session.cancelled
                && session.date <= as_of
                && self.active_on(session.date),
            hours: session.hours,
            mark: self.marks.get(session_id).map(|mark| mark.code),
        });
        attendance::rate(sessions)
    }

    /// Whether the participant was in training on `date`: started, not stopped, not suspended.
    pub fn active_on(&self, date: NaiveDate) -> bool {
        let Some(started) = self.started_on else { return false };
        let before_stop = self.stopped_on.is_none_or(|stopped| date <= stopped);
        let suspended = self
            .suspensions
            .iter()
            .any(|(from, until)| *from <= date && until.is_none_or(|until| date < until));
        started <= date && before_stop && !suspended
    }

    pub fn latest_result(&self) -> Option<CompetencyResult> {
        self.latest_assessment.and_then(|id| self.assessments.get(&id)).map(|a| a.result)
    }

    pub fn evolve(&mut self, fact: &Fact) {
        if let Some(undone) = self.corrections.apply(fact) {
            self.unwind(&undone);
        }
        let meta = &fact.meta;
        use ParticipationStatus as S;
        match &fact.event {
            Event::ParticipantNominated(nominated) => {
                self.open(nominated.participation_id, nominated.package_id, &nominated.person_ref);
                self.category = Some(nominated.category);
                self.facility.clone_from(&meta.facility);
                self.nominated_by = Some(meta.actor.clone());
                self.status = Some(S::Nominated);
            }
            Event::PublicApplicantRegistered(registered) => {
                self.open(
                    registered.participation_id,
                    registered.package_id,
                    &registered.person_ref,
                );
                self.category = Some(registered.category);
                self.nominated_by = Some(meta.actor.clone());
                self.status = Some(S::Registered);
            }
            Event::EligibilityAssessed(assessed) => {
                self.eligible = Some(assessed.eligible);
                self.overridden = false;
                self.status = Some(if assessed.eligible { S::Eligible } else { S::NotEligible });
            }
            Event::EligibilityOverrideRequested(requested) => {
                self.pending_override = Some((requested.request_id, meta.actor.clone()));
            }
            Event::EligibilityOverrideApproved(_) => {
                self.pending_override = None;
                self.overridden = true;
                self.status = Some(S::Eligible);
            }
            Event::NominationApproved(_) => {
                self.approved_by = Some(meta.actor.clone());
                self.status = Some(S::Approved);
            }
            Event::NominationRejected(_) => self.status = Some(S::Rejected),
            Event::ParticipantAccepted(_) => {
                self.waitlist_position = None;
                self.status = Some(S::Accepted);
            }
            Event::ParticipantWaitlisted(waitlisted) => {
                self.waitlist_position = Some(waitlisted.position);
                self.status = Some(S::Waitlisted);
            }
            Event::ParticipantWithdrawn(_) => {
                self.waitlist_position = None;
                self.status = Some(S::Withdrawn);
            }
            Event::ParticipationStarted(started) => {
                self.started_on = Some(started.started_on);
                self.status = Some(S::Active);
            }
            Event::AttendanceRecorded(recorded) => {
                let mark = Mark { code: recorded.code, event_id: meta.event_id };
                self.marks.insert(recorded.session_id, mark);
                self.corrections.record(
                    meta,
                    "AttendanceRecorded",
                    recorded.session_id.to_string(),
                );
            }
            Event::ParticipationSuspended(suspended) => {
                self.suspensions.push((suspended.suspended_on, None));
                self.status = Some(S::Suspended);
            }
            Event::ParticipationResumed(resumed) => {
                if let Some((_, until)) = self.suspensions.last_mut()
                    && until.is_none()
                {
                    *until = Some(resumed.resumed_on);
                }
                self.status = Some(S::Active);
            }
            Event::ParticipationEnded(ended) => {
                self.stopped_on = Some(ended.ended_on);
                self.close_open_suspension(ended.ended_on);
                self.status = Some(S::Ended);
            }
            Event::TrainingCompleted(completed) => {
                self.stopped_on = Some(completed.completed_on);
                self.close_open_suspension(completed.completed_on);
                self.completed = Some(Rate {
                    attended: completed.sessions_attended,
                    expected: completed.sessions_expected,
                    hours_attended: completed.hours_attended,
                });
                self.status = Some(S::Completed);
            }
            Event::CompetencyAssessed(assessed) => {
                let assessment = Assessment { result: assessed.result, event_id: meta.event_id };
                self.assessments.insert(assessed.assessment_id, assessment);
                self.latest_assessment = Some(assessed.assessment_id);
                self.corrections.record(
                    meta,
                    "CompetencyAssessed",
                    assessed.assessment_id.to_string(),
                );
                self.status = Some(match assessed.result {
                    CompetencyResult::Kompeten => S::Competent,
                    CompetencyResult::BelumKompeten => S::NotYetCompetent,
                });
            }
            Event::ParticipantGraduated(graduated) => {
                self.graduated_on = Some(graduated.graduated_on);
                self.status = Some(S::Graduated);
            }
            Event::CertificateIssued(issued) => {
                let key = (issued.issuer.clone(), issued.number.clone());
                self.certificates.insert(key, issued.certificate_type);
                let target = format!("{}\u{1f}{}", issued.issuer, issued.number);
                self.corrections.record(meta, "CertificateIssued", target);
            }
            _ => {}
        }
    }

    fn open(&mut self, participation_id: Uuid, package_id: Uuid, person_ref: &str) {
        let cycle = self.cycle + 1;
        let corrections = std::mem::take(&mut self.corrections);
        *self = ParticipationState {
            participation_id: Some(participation_id),
            package_id: Some(package_id),
            person_ref: Some(person_ref.to_owned()),
            cycle,
            corrections,
            ..ParticipationState::default()
        };
    }

    fn close_open_suspension(&mut self, on: NaiveDate) {
        if let Some((_, until)) = self.suspensions.last_mut()
            && until.is_none()
        {
            *until = Some(on);
        }
    }

    fn unwind(&mut self, undone: &Reversible) {
        match undone.event_type.as_str() {
            "AttendanceRecorded" => {
                if let Ok(session_id) = undone.target.parse::<Uuid>() {
                    self.marks.remove(&session_id);
                }
            }
            "CompetencyAssessed" => {
                if let Ok(assessment_id) = undone.target.parse::<Uuid>() {
                    self.assessments.remove(&assessment_id);
                    if self.latest_assessment == Some(assessment_id) {
                        self.latest_assessment = None;
                        if matches!(
                            self.status,
                            Some(
                                ParticipationStatus::Competent
                                    | ParticipationStatus::NotYetCompetent
                            )
                        ) {
                            self.status = Some(ParticipationStatus::Completed);
                        }
                    }
                }
            }
            "CertificateIssued" => {
                if let Some((issuer, number)) = undone.target.split_once('\u{1f}') {
                    self.certificates.remove(&(issuer.to_owned(), number.to_owned()));
                }
            }
            _ => {}
        }
    }
}

// ----------------------------------------------------------------------------------------------
// Grant

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantStatus {
    Proposed,
    Approved,
    Rejected,
    Deferred,
    HandedOver,
    Cancelled,
}

impl GrantStatus {
    /// Open: a second proposal for the same participation is refused.
    pub fn is_open(self) -> bool {
        !matches!(self, GrantStatus::Rejected | GrantStatus::Cancelled)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GrantState {
    pub grant_id: Option<Uuid>,
    pub participation_id: Option<Uuid>,
    pub package_id: Option<Uuid>,
    pub person_ref: Option<String>,
    pub status: Option<GrantStatus>,
    pub cycle: u32,
    pub proposed_by: Option<String>,
    pub approved_by: Option<String>,
    pub handed_over_by: Option<String>,
    pub total_rupiah: u64,
    pub recovered_rupiah: u64,
    pub visits: BTreeSet<Uuid>,
    pub corrections: Corrections,
}

impl GrantState {
    pub fn evolve(&mut self, fact: &Fact) {
        if let Some(undone) = self.corrections.apply(fact)
            && undone.event_type == "GrantUseMonitored"
            && let Ok(visit_id) = undone.target.parse()
        {
            self.visits.remove(&visit_id);
        }
        let actor = Some(fact.meta.actor.clone());
        match &fact.event {
            Event::GrantProposed(proposed) => {
                let (cycle, corrections) = (self.cycle + 1, std::mem::take(&mut self.corrections));
                *self = GrantState {
                    grant_id: Some(proposed.grant_id),
                    participation_id: Some(proposed.participation_id),
                    package_id: Some(proposed.package_id),
                    person_ref: Some(proposed.person_ref.clone()),
                    status: Some(GrantStatus::Proposed),
                    cycle,
                    proposed_by: actor,
                    total_rupiah: proposed.total_rupiah,
                    corrections,
                    ..GrantState::default()
                };
            }
            Event::GrantApproved(_) => {
                self.approved_by = actor;
                self.status = Some(GrantStatus::Approved);
            }
            Event::GrantRejected(_) => self.status = Some(GrantStatus::Rejected),
            Event::GrantHandoverDeferred(_) => self.status = Some(GrantStatus::Deferred),
            Event::GrantHandedOver(_) => {
                self.handed_over_by = actor;
                self.status = Some(GrantStatus::HandedOver);
            }
            Event::GrantCancelled(_) => self.status = Some(GrantStatus::Cancelled),
            Event::GrantUseMonitored(monitored) => {
                self.visits.insert(monitored.visit_id);
                self.corrections.record(
                    &fact.meta,
                    "GrantUseMonitored",
                    monitored.visit_id.to_string(),
                );
            }
            Event::GrantRecovered(recovered) => {
                self.recovered_rupiah =
                    self.recovered_rupiah.saturating_add(recovered.amount_rupiah);
            }
            _ => {}
        }
    }
}

// ----------------------------------------------------------------------------------------------
// Person

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub facility: String,
    pub trigger: String,
    pub acknowledged_by: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonState {
    pub person_ref: Option<String>,
    pub in_custody: bool,
    pub facility: Option<String>,
    pub episode_ref: Option<String>,
    pub legal_status: Option<LegalStatus>,
    pub register_class: Option<RegisterClass>,
    pub attributes: PersonAttributes,
    pub sentence_months: Option<u32>,
    pub offence_group: Option<OffenceGroup>,
    pub sentence_start: Option<NaiveDate>,
    pub expiry_date: Option<NaiveDate>,
    pub sanctions: BTreeMap<Uuid, (NaiveDate, NaiveDate)>,
    pub released: Option<(NaiveDate, ReleaseType)>,
    pub died_on: Option<NaiveDate>,
    /// Participations of this person, with their packages.
    pub participations: BTreeMap<Uuid, Uuid>,
    pub tasks: BTreeMap<Uuid, Task>,
    pub merged_into: Option<String>,
    pub merged_refs: BTreeSet<String>,
    pub cases: BTreeSet<Uuid>,
    pub contacts: BTreeSet<Uuid>,
    pub erased: bool,
    pub corrections: Corrections,
}

impl PersonState {
    pub fn evolve(&mut self, fact: &Fact) {
        if let Some(undone) = self.corrections.apply(fact) {
            let target = undone.target.parse::<Uuid>().ok();
            match (undone.event_type.as_str(), target) {
                ("DisciplinarySanctionRecorded", Some(id)) => drop(self.sanctions.remove(&id)),
                ("NewCaseRecorded", Some(id)) => drop(self.cases.remove(&id)),
                ("FollowUpContactRecorded", Some(id)) => drop(self.contacts.remove(&id)),
                _ => {}
            }
        }
        let meta = &fact.meta;
        match &fact.event {
            Event::CustodyEpisodeRecorded(recorded) => {
                self.person_ref = Some(recorded.person_ref.clone());
                self.in_custody = true;
                self.released = None;
                self.facility = Some(recorded.facility.clone());
                self.episode_ref = Some(recorded.episode_ref.clone());
                self.legal_status = Some(recorded.legal_status);
                self.register_class = recorded.register_class;
                self.attributes = recorded.attributes.clone();
                self.offence_group = recorded.attributes.offence_group;
            }
            Event::LegalStatusChanged(changed) => {
                self.legal_status = Some(changed.legal_status);
                self.sentence_months = changed.sentence_months.or(self.sentence_months);
                self.offence_group = changed.offence_group.or(self.offence_group);
            }
            Event::SentenceDatesUpdated(updated) => {
                self.sentence_start = Some(updated.sentence_start);
                self.expiry_date = Some(updated.expiry_date);
            }
            Event::DisciplinarySanctionRecorded(sanction) => {
                self.sanctions
                    .insert(sanction.sanction_id, (sanction.imposed_on, sanction.ends_on));
                self.corrections.record(
                    meta,
                    "DisciplinarySanctionRecorded",
                    sanction.sanction_id.to_string(),
                );
            }
            Event::PersonTransferred(transferred) => {
                self.facility = Some(transferred.to_facility.clone())
            }
            Event::PersonReleased(released) => {
                self.in_custody = false;
                self.released = Some((released.released_on, released.release_type));
            }
            Event::PersonDied(died) => {
                self.in_custody = false;
                self.died_on = Some(died.died_on);
            }
            Event::IntegrationRevoked(_) => {
                self.in_custody = true;
                self.released = None;
                self.legal_status = Some(LegalStatus::Narapidana);
            }
            Event::NewCaseRecorded(case) => {
                self.cases.insert(case.case_id);
                self.corrections.record(meta, "NewCaseRecorded", case.case_id.to_string());
            }
            Event::FollowUpContactRecorded(contact) => {
                self.contacts.insert(contact.contact_id);
                self.corrections.record(
                    meta,
                    "FollowUpContactRecorded",
                    contact.contact_id.to_string(),
                );
            }
            Event::PersonRecordsMerged(merged) => {
                self.merged_refs.insert(merged.merged_ref.clone());
            }
            Event::PersonMergedInto(merged) => {
                self.merged_into = Some(merged.surviving_ref.clone())
            }
            Event::ParticipationOpened(opened) => {
                self.person_ref.get_or_insert_with(|| opened.person_ref.clone());
                self.participations.insert(opened.participation_id, opened.package_id);
            }
            Event::ChangeOfCircumstanceRaised(raised) => {
                let task = Task {
                    facility: raised.facility.clone(),
                    trigger: raised.trigger.clone(),
                    acknowledged_by: None,
                };
                self.tasks.insert(raised.task_id, task);
            }
            Event::ChangeOfCircumstanceAcknowledged(acknowledged) => {
                if let Some(task) = self.tasks.get_mut(&acknowledged.task_id) {
                    task.acknowledged_by = Some(meta.actor.clone());
                }
            }
            Event::PersonalDataErased(_) => self.erased = true,
            _ => {}
        }
    }
}

/// The state of one stream, whichever its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamState {
    Package(Box<PackageState>),
    Participation(Box<ParticipationState>),
    Grant(Box<GrantState>),
    Person(Box<PersonState>),
    Organisation(Box<OrganisationState>),
}

impl StreamState {
    pub fn new(kind: StreamKind) -> StreamState {
        match kind {
            StreamKind::Package => StreamState::Package(Box::default()),
            StreamKind::Participation => StreamState::Participation(Box::default()),
            StreamKind::Grant => StreamState::Grant(Box::default()),
            StreamKind::Person => StreamState::Person(Box::default()),
            StreamKind::Organisation => StreamState::Organisation(Box::default()),
        }
    }

    pub fn evolve(&mut self, fact: &Fact) {
        match self {
            StreamState::Package(state) => state.evolve(fact),
            StreamState::Participation(state) => state.evolve(fact),
            StreamState::Grant(state) => state.evolve(fact),
            StreamState::Person(state) => state.evolve(fact),
            StreamState::Organisation(state) => state.evolve(fact),
        }
    }

    pub fn corrections(&self) -> Option<&Corrections> {
        match self {
            StreamState::Package(state) => Some(&state.corrections),
            StreamState::Participation(state) => Some(&state.corrections),
            StreamState::Grant(state) => Some(&state.corrections),
            StreamState::Person(state) => Some(&state.corrections),
            StreamState::Organisation(_) => None,
        }
    }
}
