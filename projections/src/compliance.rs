//! Compliance findings: every breach of the programme's rules (domain.md §5, §6) found in the
//! log itself, each naming the positions behind it.
//!
//! The rules are checked again here, from the facts, because the log may hold events that never
//! went through them: imported from an older system (source `migration`), or written with the
//! rules switched off. The state each check reads is rebuilt with the same total `evolve` the
//! write side folds with, which applies any fact and enforces nothing.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use events::catalogue::{Event, EventReversed};
use events::chain::ChainBreak;
use events::decide::LATE_CORRECTION_DAYS;
use events::state::{
    Fact, PackageState, ParticipationState, ParticipationStatus, StreamKind, StreamState,
};
use events::vocabulary::{CompetencyResult, GrantPolicy};
use events::{RecordedEvent, Source, Timestamp};
use serde::Serialize;
use uuid::Uuid;

use crate::projection::Config;

const DAY_MICROS: i64 = 86_400_000_000;

/// The rules checked, each with a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    SelfApproval,
    GrantDutiesNotDistinct,
    GrantToNonGraduate,
    GraduationBelowAttendanceThreshold,
    GraduationWithoutCompetentResult,
    AttendanceOutsidePackagePeriod,
    AttendanceAfterParticipationEnded,
    AcceptanceBeyondQuota,
    LateCorrectionWithoutSecondPerson,
    OverrideWithoutSecondPerson,
    RecordedLate,
    ChainBroken,
}

impl Rule {
    pub const ALL: [Rule; 12] = [
        Rule::SelfApproval,
        Rule::GrantDutiesNotDistinct,
        Rule::GrantToNonGraduate,
        Rule::GraduationBelowAttendanceThreshold,
        Rule::GraduationWithoutCompetentResult,
        Rule::AttendanceOutsidePackagePeriod,
        Rule::AttendanceAfterParticipationEnded,
        Rule::AcceptanceBeyondQuota,
        Rule::LateCorrectionWithoutSecondPerson,
        Rule::OverrideWithoutSecondPerson,
        Rule::RecordedLate,
        Rule::ChainBroken,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Rule::SelfApproval => "self_approval",
            Rule::GrantDutiesNotDistinct => "grant_duties_not_distinct",
            Rule::GrantToNonGraduate => "grant_to_non_graduate",
            Rule::GraduationBelowAttendanceThreshold => "graduation_below_attendance_threshold",
            Rule::GraduationWithoutCompetentResult => "graduation_without_competent_result",
            Rule::AttendanceOutsidePackagePeriod => "attendance_outside_package_period",
            Rule::AttendanceAfterParticipationEnded => "attendance_after_participation_ended",
            Rule::AcceptanceBeyondQuota => "acceptance_beyond_quota",
            Rule::LateCorrectionWithoutSecondPerson => "late_correction_without_second_person",
            Rule::OverrideWithoutSecondPerson => "override_without_second_person",
            Rule::RecordedLate => "recorded_late",
            Rule::ChainBroken => "chain_broken",
        }
    }

    /// What the rule asks, in a line (domain.md reference in brackets).
    pub fn title(self) -> &'static str {
        match self {
            Rule::SelfApproval => "nobody approves their own nomination (R8)",
            Rule::GrantDutiesNotDistinct => {
                "grant proposer, approver and handover officer are three people (R8)"
            }
            Rule::GrantToNonGraduate => {
                "grants go to graduates unless the package says otherwise (R20)"
            }
            Rule::GraduationBelowAttendanceThreshold => {
                "graduation needs the package's attendance threshold (R18)"
            }
            Rule::GraduationWithoutCompetentResult => "graduation needs a kompeten result (R18)",
            Rule::AttendanceOutsidePackagePeriod => {
                "no attendance outside the package period (R16)"
            }
            Rule::AttendanceAfterParticipationEnded => {
                "no attendance after the participation ended (R16)"
            }
            Rule::AcceptanceBeyondQuota => "accepted participants never exceed the quota (R15)",
            Rule::LateCorrectionWithoutSecondPerson => {
                "a correction older than 7 days needs a second person (R3)"
            }
            Rule::OverrideWithoutSecondPerson => {
                "an eligibility override needs a request and a second person (R11)"
            }
            Rule::RecordedLate => "facts are recorded promptly (SPIP: pencatatan tepat waktu)",
            Rule::ChainBroken => "the hash chain is whole, without gaps (R1)",
        }
    }
}

impl std::str::FromStr for Rule {
    type Err = String;
    fn from_str(text: &str) -> Result<Rule, String> {
        Rule::ALL.into_iter().find(|rule| rule.code() == text).ok_or_else(|| {
            let codes: Vec<&str> = Rule::ALL.iter().map(|rule| rule.code()).collect();
            format!("no rule `{text}`: use {}", codes.join(", "))
        })
    }
}

/// One breach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: Rule,
    pub title: &'static str,
    /// The events behind it, the breaching one last.
    pub positions: Vec<i64>,
    pub stream_id: String,
    pub actor: String,
    pub source: String,
    pub occurred_at: String,
    pub recorded_at: String,
    /// The local date the breaching event was recorded: what `--from`/`--to` select on.
    pub recorded_on: NaiveDate,
    pub detail: String,
}

/// Settings of a compliance run.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub config: Config,
    /// Events recorded more than this many days after they occurred are findings.
    pub late_after_days: i64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings { config: Config::default(), late_after_days: 7 }
    }
}

/// The compliance fold: shown every event of the log in position order, it collects findings.
#[derive(Debug, Default)]
pub struct Compliance {
    settings: Settings,
    streams: BTreeMap<String, StreamState>,
    /// Per package, the participations holding a place, and whether each is an inmate.
    places: BTreeMap<Uuid, BTreeMap<Uuid, bool>>,
    /// Per participation, the position of its nomination.
    nominated_at: BTreeMap<Uuid, i64>,
    /// Marks reversed and not yet replaced, by stream and session: a replacement belongs to its
    /// correction, which is checked on its own, and is not late data entry.
    awaiting_replacement: BTreeSet<(String, String)>,
    /// Events whose source was `migration`, not checked for timeliness.
    pub migrated: u64,
    pub checked: u64,
    pub undecodable: Vec<(i64, String)>,
    findings: Vec<Finding>,
}

impl Compliance {
    pub fn new(settings: Settings) -> Compliance {
        Compliance { settings, ..Compliance::default() }
    }

    /// A break in the chain found while reading the log.
    pub fn chain_break(&mut self, found: &ChainBreak, recorded_at: Option<Timestamp>) {
        let config = &self.settings.config;
        let at = recorded_at
            .unwrap_or_else(|| Timestamp::start_of_day(NaiveDate::MIN).expect("representable"));
        self.findings.push(Finding {
            rule: Rule::ChainBroken,
            title: Rule::ChainBroken.title(),
            positions: vec![found.position],
            stream_id: String::new(),
            actor: String::new(),
            source: String::new(),
            occurred_at: String::new(),
            recorded_at: recorded_at.map(|at| config.local_time_text(at)).unwrap_or_default(),
            recorded_on: config.local_date(at),
            detail: found.to_string(),
        });
    }

    /// Checks the next event of the log, then folds it into the state the checks read.
    pub fn check(&mut self, event: &RecordedEvent) {
        self.checked += 1;
        let fact = match Fact::from_recorded(event) {
            Ok(fact) => fact,
            Err(error) => {
                self.undecodable.push((event.position, error.to_string()));
                return;
            }
        };
        self.check_timeliness(event, &fact);
        let mut found = Vec::new();
        self.check_rules(event, &fact, &mut found);
        self.findings.extend(found);
        if let Some(kind) = StreamKind::of(&event.stream_id)
            && kind != StreamKind::Organisation
        {
            self.streams
                .entry(event.stream_id.clone())
                .or_insert_with(|| StreamState::new(kind))
                .evolve(&fact);
        }
        self.track_places(&fact);
    }

    /// The findings, in the order the breaching events appear in the log.
    pub fn finish(mut self) -> Vec<Finding> {
        self.findings.sort_by_key(|finding| finding.positions.last().copied().unwrap_or(0));
        self.findings
    }

    fn finding(
        &self,
        rule: Rule,
        event: &RecordedEvent,
        earlier: &[i64],
        detail: String,
    ) -> Finding {
        let config = &self.settings.config;
        let mut positions = earlier.to_vec();
        positions.push(event.position);
        Finding {
            rule,
            title: rule.title(),
            positions,
            stream_id: event.stream_id.clone(),
            actor: event.actor.clone(),
            source: event.source.as_str().to_owned(),
            occurred_at: config.local_time_text(event.occurred_at),
            recorded_at: config.local_time_text(event.recorded_at),
            recorded_on: config.local_date(event.recorded_at),
            detail,
        }
    }

    fn participation(&self, id: Uuid) -> Option<&ParticipationState> {
        match self.streams.get(&events::streams::participation(id))? {
            StreamState::Participation(state) => Some(state),
            _ => None,
        }
    }

    fn package(&self, id: Uuid) -> Option<&PackageState> {
        match self.streams.get(&events::streams::package(id))? {
            StreamState::Package(state) => Some(state),
            _ => None,
        }
    }

    fn check_timeliness(&mut self, event: &RecordedEvent, fact: &Fact) {
        if event.source == Source::Migration {
            self.migrated += 1;
            return;
        }
        match &fact.event {
            Event::EventReversed(reversal)
                if reversal.reversed_event_type == "AttendanceRecorded" =>
            {
                self.awaiting_replacement
                    .insert((event.stream_id.clone(), reversal.target.clone()));
            }
            Event::AttendanceRecorded(mark) => {
                let key = (event.stream_id.clone(), mark.session_id.to_string());
                if self.awaiting_replacement.remove(&key) {
                    return;
                }
            }
            _ => {}
        }
        // An SDP import is as late as its extract, not as the fact it reports.
        let (from, what) = match sdp_extract(&fact.event) {
            Some(extract_at) => (extract_at, "the SDP extract"),
            None => (event.occurred_at, "it occurred"),
        };
        let late_days = (event.recorded_at.unix_micros() - from.unix_micros()) / DAY_MICROS;
        if late_days > self.settings.late_after_days {
            let detail = format!(
                "{} recorded {late_days} days after {what} (threshold {} days)",
                event.event_type, self.settings.late_after_days
            );
            let finding = self.finding(Rule::RecordedLate, event, &[], detail);
            self.findings.push(finding);
        }
    }

    fn check_rules(&self, event: &RecordedEvent, fact: &Fact, found: &mut Vec<Finding>) {
        let actor = event.actor.as_str();
        match &fact.event {
            Event::NominationApproved(approved) => {
                let Some(state) = self.participation(approved.participation_id) else { return };
                if state.nominated_by.as_deref() == Some(actor) {
                    let earlier: Vec<i64> = self
                        .nominated_at
                        .get(&approved.participation_id)
                        .copied()
                        .into_iter()
                        .collect();
                    let detail = format!("{actor} approved the nomination they made");
                    found.push(self.finding(Rule::SelfApproval, event, &earlier, detail));
                }
            }
            Event::EligibilityOverrideApproved(approved) => {
                let Some(state) = self.participation(approved.participation_id) else { return };
                let detail = match &state.pending_override {
                    None => Some("approved with no override request on record".to_owned()),
                    Some((request_id, _)) if *request_id != approved.request_id => Some(format!(
                        "approved request {} that was never made",
                        approved.request_id
                    )),
                    Some((_, requester)) if requester == actor => {
                        Some(format!("{actor} approved the override they requested"))
                    }
                    Some(_) => None,
                };
                if let Some(detail) = detail {
                    found.push(self.finding(Rule::OverrideWithoutSecondPerson, event, &[], detail));
                }
            }
            Event::GrantApproved(_) | Event::GrantHandedOver(_) => {
                let Some(StreamState::Grant(grant)) = self.streams.get(&event.stream_id) else {
                    return;
                };
                let mut people = vec![("proposed", grant.proposed_by.clone())];
                if matches!(fact.event, Event::GrantHandedOver(_)) {
                    people.push(("approved", grant.approved_by.clone()));
                }
                let same: Vec<&str> = people
                    .iter()
                    .filter(|(_, who)| who.as_deref() == Some(actor))
                    .map(|(role, _)| *role)
                    .collect();
                if !same.is_empty() {
                    let step = if matches!(fact.event, Event::GrantApproved(_)) {
                        "approved"
                    } else {
                        "handed over"
                    };
                    let detail = format!("{actor} {step} a grant they also {}", same.join(" and "));
                    found.push(self.finding(Rule::GrantDutiesNotDistinct, event, &[], detail));
                }
            }
            Event::GrantProposed(proposed) => {
                let (Some(state), Some(package)) = (
                    self.participation(proposed.participation_id),
                    self.package(proposed.package_id),
                ) else {
                    let detail = "a grant for a participation or package not in the log".to_owned();
                    found.push(self.finding(Rule::GrantToNonGraduate, event, &[], detail));
                    return;
                };
                let policy = package
                    .definition
                    .as_ref()
                    .map_or(GrantPolicy::GraduatesOnly, |d| d.grant_policy);
                let status = state.status;
                let allowed = match policy {
                    GrantPolicy::GraduatesOnly => status == Some(ParticipationStatus::Graduated),
                    GrantPolicy::Completers => matches!(
                        status,
                        Some(
                            ParticipationStatus::Completed
                                | ParticipationStatus::Competent
                                | ParticipationStatus::NotYetCompetent
                                | ParticipationStatus::Graduated
                        )
                    ),
                    GrantPolicy::NoGrants => false,
                };
                if !allowed {
                    let detail = format!(
                        "proposed for a participation that is {} under policy {}",
                        status.map_or("unknown", |s| s.label()),
                        policy.as_str()
                    );
                    found.push(self.finding(Rule::GrantToNonGraduate, event, &[], detail));
                }
            }
            Event::ParticipantGraduated(graduated) => {
                let Some(state) = self.participation(graduated.participation_id) else { return };
                if state.latest_result() != Some(CompetencyResult::Kompeten) {
                    let result = state.latest_result().map_or("none", |r| r.as_str());
                    let detail = format!("graduated with competency result {result}");
                    found.push(self.finding(
                        Rule::GraduationWithoutCompetentResult,
                        event,
                        &[],
                        detail,
                    ));
                }
                let Some(package) = state.package_id.and_then(|id| self.package(id)) else {
                    return;
                };
                let threshold =
                    package.definition.as_ref().map_or(80, |d| d.attendance_threshold_percent);
                let rate = state.rate(package, graduated.graduated_on);
                if !rate.meets(threshold) {
                    let detail = format!(
                        "graduated with {} of {} sessions attended; the threshold is {threshold}%",
                        rate.attended, rate.expected
                    );
                    found.push(self.finding(
                        Rule::GraduationBelowAttendanceThreshold,
                        event,
                        &[],
                        detail,
                    ));
                }
            }
            Event::AttendanceRecorded(mark) => {
                let Some(state) = self.participation(mark.participation_id) else { return };
                let stopped = match state.status {
                    Some(ParticipationStatus::Withdrawn) => Some(None),
                    _ => state.stopped_on.filter(|on| mark.session_date > *on).map(Some),
                };
                if let Some(stopped_on) = stopped {
                    let detail = match stopped_on {
                        Some(on) => format!(
                            "a mark for {} after training stopped on {on}",
                            mark.session_date
                        ),
                        None => format!(
                            "a mark for {} for a withdrawn participation",
                            mark.session_date
                        ),
                    };
                    found.push(self.finding(
                        Rule::AttendanceAfterParticipationEnded,
                        event,
                        &[],
                        detail,
                    ));
                }
                let definition = state
                    .package_id
                    .and_then(|id| self.package(id))
                    .and_then(|package| package.definition.as_ref());
                if let Some(definition) = definition
                    && (mark.session_date < definition.start_date
                        || mark.session_date > definition.end_date)
                {
                    let detail = format!(
                        "a mark for {} outside the package's {} to {}",
                        mark.session_date, definition.start_date, definition.end_date
                    );
                    found.push(self.finding(
                        Rule::AttendanceOutsidePackagePeriod,
                        event,
                        &[],
                        detail,
                    ));
                }
            }
            Event::ParticipantAccepted(accepted) => {
                let Some(state) = self.participation(accepted.participation_id) else { return };
                let Some(package_id) = state.package_id else { return };
                let inmate = state.category.is_some_and(|c| c.as_str() == "wbp");
                let mut held = self.places.get(&package_id).cloned().unwrap_or_default();
                held.insert(accepted.participation_id, inmate);
                let Some(definition) = self.package(package_id).and_then(|p| p.definition.as_ref())
                else {
                    return;
                };
                let total = held.len() as u32;
                let inmates = held.values().filter(|inmate| **inmate).count() as u32;
                let over_total = total > definition.quota_total;
                let over_inmates =
                    definition.quota_inmates.is_some_and(|quota| inmate && inmates > quota);
                if over_total || over_inmates {
                    let detail = if over_total {
                        format!("{total} places held for a quota of {}", definition.quota_total)
                    } else {
                        format!(
                            "{inmates} inmate places held for an inmate quota of {}",
                            definition.quota_inmates.unwrap_or_default()
                        )
                    };
                    found.push(self.finding(Rule::AcceptanceBeyondQuota, event, &[], detail));
                }
            }
            Event::EventReversed(reversal) => self.check_reversal(event, reversal, found),
            _ => {}
        }
    }

    fn check_reversal(
        &self,
        event: &RecordedEvent,
        reversal: &EventReversed,
        found: &mut Vec<Finding>,
    ) {
        let Some(corrections) = self.streams.get(&event.stream_id).and_then(|s| s.corrections())
        else {
            return;
        };
        let Some(original) = corrections.reversible.get(&reversal.reversed_event_id) else {
            return;
        };
        let age_days =
            (event.recorded_at.unix_micros() - original.occurred_at.unix_micros()) / DAY_MICROS;
        if age_days <= LATE_CORRECTION_DAYS {
            return;
        }
        let request = reversal.request_id.and_then(|id| corrections.pending.get(&id));
        let detail = match request {
            None => Some(format!(
                "a {} {age_days} days old reversed with no correction request on record",
                original.event_type
            )),
            Some(pending) if pending.requested_by == event.actor => Some(format!(
                "{} approved the correction they requested ({age_days} days old)",
                event.actor
            )),
            Some(_) => None,
        };
        if let Some(detail) = detail {
            found.push(self.finding(Rule::LateCorrectionWithoutSecondPerson, event, &[], detail));
        }
    }

    fn track_places(&mut self, fact: &Fact) {
        let package_of =
            |this: &Compliance, id: Uuid| this.participation(id).and_then(|p| p.package_id);
        match &fact.event {
            Event::ParticipantNominated(nominated) => {
                self.nominated_at.insert(nominated.participation_id, fact.meta.position);
            }
            Event::ParticipantAccepted(accepted) => {
                if let Some(state) = self.participation(accepted.participation_id)
                    && let Some(package_id) = state.package_id
                {
                    let inmate = state.category.is_some_and(|c| c.as_str() == "wbp");
                    self.places
                        .entry(package_id)
                        .or_default()
                        .insert(accepted.participation_id, inmate);
                }
            }
            Event::ParticipantWithdrawn(left) => {
                if let Some(package_id) = package_of(self, left.participation_id) {
                    self.places.entry(package_id).or_default().remove(&left.participation_id);
                }
            }
            Event::ParticipationEnded(left) => {
                if let Some(package_id) = package_of(self, left.participation_id) {
                    self.places.entry(package_id).or_default().remove(&left.participation_id);
                }
            }
            _ => {}
        }
    }
}

/// The SDP extract a fact came from, if it was imported from SDP.
fn sdp_extract(event: &Event) -> Option<Timestamp> {
    let value: serde_json::Value = serde_json::from_str(&event.to_payload()).ok()?;
    let extract = value.get("sdp")?.get("extract_at")?.as_str()?;
    Timestamp::parse(extract).ok()
}

/// The rules that have at least one finding.
pub fn rules_found(findings: &[Finding]) -> BTreeSet<Rule> {
    findings.iter().map(|finding| finding.rule).collect()
}
