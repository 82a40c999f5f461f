//! Histories of people built by hand for the recidivism tests: custody, releases, cases,
//! deaths, revocations and participations, folded through the `people` projection.

#![allow(dead_code)] // each test file uses its own part of it

pub mod generated;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use events::Timestamp;
use events::catalogue::*;
use events::envelope::Source;
use events::state::{Fact, FactMeta};
use events::vocabulary::*;
use projections::projection::{Config, Replay};
use projections::report::{Cell, Options, Report};
use projections::views::{self, Input};
use uuid::Uuid;

/// The rows of the recidivism report (definition 2): the cohort, intention to treat, the
/// eight groups that partition the cohort.
pub const GROUPS: [&str; 10] = [
    "all",
    "itt",
    "graduate",
    "completed_not_competent",
    "non_completer",
    "administrative_exit",
    "personal_exit",
    "nominated_not_enrolled",
    "nominated_not_approved",
    "never_nominated",
];

pub fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

pub struct History {
    pub replay: Replay,
    next: u128,
    /// The package the next participations are in (`package` defines one).
    pub package: Uuid,
    /// The facility the next releases are from.
    pub facility: &'static str,
}

impl Default for History {
    fn default() -> Self {
        History::new()
    }
}

impl History {
    pub fn new() -> History {
        History {
            replay: Replay::new(projections::people::DEF, Config::default()),
            next: 0,
            package: Uuid::from_u128(1),
            facility: "RUTAN-SOE",
        }
    }

    /// Defines package `n` in `skill`; participations go to it after this.
    pub fn package(&mut self, n: u128, skill: &str) {
        self.package = Uuid::from_u128(n);
        let defined = PackageDefined {
            package_id: self.package,
            title: format!("Paket {n}"),
            provider: "DISNAKER-X".to_owned(),
            skill: skill.to_owned(),
            skkni_units: Vec::new(),
            venue_type: VenueType::InFacility,
            location: "Bengkel".to_owned(),
            facilities: vec!["RUTAN-A".to_owned()],
            planned_hours: 40,
            start_date: date("2022-01-01"),
            end_date: date("2022-03-01"),
            quota_total: 20,
            quota_inmates: None,
            attendance_threshold_percent: 80,
            funding_source: "APBD".to_owned(),
            grant_policy: GrantPolicy::GraduatesOnly,
        };
        self.push(format!("package-{}", self.package), "2022-01-01", defined);
    }

    pub fn push(&mut self, stream_id: String, on: &str, event: impl Into<Event>) {
        self.next += 1;
        let occurred_at = Timestamp::start_of_day(date(on)).unwrap();
        let fact = Fact {
            event: event.into(),
            meta: FactMeta {
                stream_id,
                event_id: Uuid::from_u128(self.next),
                position: self.next as i64,
                actor: "sdp-import".to_owned(),
                role: "system".to_owned(),
                organisation: "SYSTEM".to_owned(),
                facility: Some("RUTAN-SOE".to_owned()),
                source: Source::Import,
                occurred_at,
                recorded_at: occurred_at,
                reason: None,
                document_ref: None,
            },
        };
        self.replay.apply_fact(&fact);
    }

    /// A person admitted on 2022-01-01 with this legal status.
    pub fn person(&mut self, name: &str, legal_status: LegalStatus) -> String {
        let person_ref =
            format!("p{:0>32}", name.bytes().map(|b| format!("{b:02x}")).collect::<String>());
        self.admitted(&person_ref, "2022-01-01", legal_status);
        person_ref
    }

    /// A sentenced person admitted on 2022-01-01 with these attributes.
    pub fn person_with(&mut self, name: &str, attributes: PersonAttributes) -> String {
        let person_ref =
            format!("p{:0>32}", name.bytes().map(|b| format!("{b:02x}")).collect::<String>());
        let episode = CustodyEpisodeRecorded {
            person_ref: person_ref.clone(),
            episode_ref: format!("reg-{person_ref}"),
            facility: "RUTAN-SOE".to_owned(),
            admitted_on: date("2022-01-01"),
            legal_status: LegalStatus::Narapidana,
            register_class: None,
            attributes,
            sdp: None,
        };
        self.push(format!("person-{person_ref}"), "2022-01-01", episode);
        person_ref
    }

    /// A custody episode of `person_ref` beginning on `on`.
    pub fn admitted(&mut self, person_ref: &str, on: &str, legal_status: LegalStatus) {
        let episode = CustodyEpisodeRecorded {
            person_ref: person_ref.to_owned(),
            episode_ref: format!("reg-{person_ref}-{on}"),
            facility: "RUTAN-SOE".to_owned(),
            admitted_on: date(on),
            legal_status,
            register_class: None,
            attributes: PersonAttributes::default(),
            sdp: None,
        };
        self.push(format!("person-{person_ref}"), on, episode);
    }

    pub fn release(&mut self, person_ref: &str, on: &str, legal_status: LegalStatus) {
        self.release_as(person_ref, on, legal_status, ReleaseType::BebasMurni, None);
    }

    /// A release of this type, imported from an SDP extract taken on `extract` when given.
    pub fn release_as(
        &mut self,
        person_ref: &str,
        on: &str,
        legal_status: LegalStatus,
        release_type: ReleaseType,
        extract: Option<&str>,
    ) {
        let sdp = extract.map(|extract| SdpSource {
            extract_at: Timestamp::start_of_day(date(extract)).unwrap(),
            row_ref: format!("row-{}", self.next),
        });
        let released = PersonReleased {
            person_ref: person_ref.to_owned(),
            facility: self.facility.to_owned(),
            release_type,
            released_on: date(on),
            legal_status,
            sdp,
        };
        self.push(format!("person-{person_ref}"), on, released);
    }

    pub fn case(&mut self, person_ref: &str, offence: &str, conviction: Option<&str>) {
        self.case_readmitted(person_ref, offence, conviction, None);
    }

    pub fn case_readmitted(
        &mut self,
        person_ref: &str,
        offence: &str,
        conviction: Option<&str>,
        readmission: Option<&str>,
    ) {
        self.next += 1;
        let case = NewCaseRecorded {
            person_ref: person_ref.to_owned(),
            case_id: Uuid::from_u128(0xca5e_0000 + self.next),
            offence_date: date(offence),
            arrest_date: None,
            conviction_date: conviction.map(date),
            readmission_date: readmission.map(date),
            offence_group: None,
            source: CaseSource::Sdp,
            sdp: None,
        };
        self.push(format!("person-{person_ref}"), conviction.unwrap_or(offence), case);
    }

    pub fn died(&mut self, person_ref: &str, on: &str) {
        self.push(
            format!("person-{person_ref}"),
            on,
            PersonDied { person_ref: person_ref.to_owned(), died_on: date(on), sdp: None },
        );
    }

    pub fn revoked(&mut self, person_ref: &str, on: &str) {
        let revoked = IntegrationRevoked {
            person_ref: person_ref.to_owned(),
            revoked_on: date(on),
            reason: RevocationReason::PelanggaranSyarat,
            sdp: None,
        };
        self.push(format!("person-{person_ref}"), on, revoked);
    }

    /// A participation nominated on `nominated`, and what became of it by `ended`:
    /// `pending` (nothing more), `rejected`, `waitlisted`, `approved`, `accepted`, `running`
    /// (started on the nomination day), `graduate` (completed and kompeten on `ended`),
    /// `completed` (completed on `ended`, no result), `non_completer`, `personal_exit` or
    /// `administrative_exit` (ended on `ended`).
    pub fn participation(
        &mut self,
        person_ref: &str,
        nominated: &str,
        outcome: &str,
        ended: &str,
    ) -> Uuid {
        self.next += 1;
        let participation_id = Uuid::from_u128(0x9a00_0000 + self.next);
        let stream = format!("participation-{participation_id}");
        let nominated_event = ParticipantNominated {
            participation_id,
            package_id: self.package,
            person_ref: person_ref.to_owned(),
            custody_episode_ref: "reg".to_owned(),
            category: ParticipantCategory::Wbp,
            legal_status: LegalStatus::Narapidana,
            register_class: None,
            attributes: PersonAttributes::default(),
        };
        self.push(stream.clone(), nominated, nominated_event);
        let on = nominated;
        match outcome {
            "pending" => {}
            "waitlisted" => {
                self.push(stream, on, ParticipantWaitlisted { participation_id, position: 1 })
            }
            "rejected" => self.push(
                stream,
                on,
                NominationRejected { participation_id, reason: NominationRejectionReason::Other },
            ),
            "approved" | "accepted" => {
                let approved = NominationApproved {
                    participation_id,
                    tpp_session_date: date(on),
                    nominated_by: "petugas".to_owned(),
                };
                self.push(stream.clone(), on, approved);
                if outcome == "accepted" {
                    let accepted = ParticipantAccepted { participation_id, accepted_on: date(on) };
                    self.push(stream, on, accepted);
                }
            }
            _ => {
                let started = ParticipationStarted { participation_id, started_on: date(on) };
                self.push(stream.clone(), on, started);
                self.finish(&stream, participation_id, outcome, ended);
            }
        }
        participation_id
    }

    fn finish(&mut self, stream: &str, participation_id: Uuid, outcome: &str, ended: &str) {
        let reason = match outcome {
            "running" => return,
            "graduate" | "completed" => {
                let completed = TrainingCompleted {
                    participation_id,
                    completed_on: date(ended),
                    sessions_attended: 10,
                    sessions_expected: 10,
                    hours_attended: 40,
                };
                self.push(stream.to_owned(), ended, completed);
                if outcome == "graduate" {
                    self.graduated(participation_id, ended);
                }
                return;
            }
            "personal_exit" => EndReason::Kesehatan,
            "administrative_exit" => EndReason::PaketDibatalkan,
            _ => EndReason::MengundurkanDiri,
        };
        let ended_event = ParticipationEnded {
            participation_id,
            reason,
            category: reason.category(),
            system_only: false,
            ended_on: date(ended),
        };
        self.push(stream.to_owned(), ended, ended_event);
    }

    /// A competence result of kompeten recorded on `on`.
    pub fn graduated(&mut self, participation_id: Uuid, on: &str) {
        let graduated = ParticipantGraduated {
            participation_id,
            assessment_id: Uuid::from_u128(2),
            graduated_on: date(on),
        };
        self.push(format!("participation-{participation_id}"), on, graduated);
    }

    /// A follow-up contact by Bapas on `on`, recorded the same day.
    pub fn contact(&mut self, person_ref: &str, on: &str) {
        self.next += 1;
        let contact = FollowUpContactRecorded {
            person_ref: person_ref.to_owned(),
            contact_id: Uuid::from_u128(0xc0_0000 + self.next),
            contacted_on: date(on),
            employment_status: EmploymentStatus::Bekerja,
            uses_trained_skill: true,
            uses_grant: None,
        };
        self.push(format!("person-{person_ref}"), on, contact);
    }

    /// A grant for `participation_id` proposed and handed over on `on`.
    pub fn grant_handed_over(&mut self, person_ref: &str, participation_id: Uuid, on: &str) {
        self.next += 1;
        let grant_id = Uuid::from_u128(0x6a00_0000 + self.next);
        let stream = format!("grant-{grant_id}");
        let proposed = GrantProposed {
            grant_id,
            participation_id,
            package_id: self.package,
            person_ref: person_ref.to_owned(),
            items: Vec::new(),
            capital_rupiah: 1_000_000,
            total_rupiah: 1_000_000,
            funding_source: "APBD".to_owned(),
            budget_line: "5.1.02".to_owned(),
        };
        self.push(stream.clone(), on, proposed);
        let handed_over = GrantHandedOver {
            grant_id,
            bast_number: format!("BAST-{}", self.next),
            handed_over_on: date(on),
            place: "RUTAN-SOE".to_owned(),
            recipient: RecipientKind::Sendiri,
            authority_ref: None,
            approved_by: "ppk".to_owned(),
        };
        self.push(stream, on, handed_over);
    }

    /// The recidivism report of this history with these options, as of `as_of`.
    pub fn report(&self, options: &Options, as_of: &str) -> Report {
        self.build(views::named("recidivism").unwrap().build, options, as_of)
    }

    /// What `build` makes of this history with these options, as of `as_of`.
    pub fn build(&self, build: fn(&Input<'_>) -> Report, options: &Options, as_of: &str) -> Report {
        self.with_input(options, as_of, build)
    }

    /// What `f` makes of the views' input of this history with these options, as of `as_of`.
    pub fn with_input<T>(
        &self,
        options: &Options,
        as_of: &str,
        f: impl FnOnce(&Input<'_>) -> T,
    ) -> T {
        let input = Input {
            tables: &self.replay.tables,
            projection: projections::people::DEF,
            config: Config::default(),
            position: self.replay.position,
            hash: &self.replay.hash,
            as_of: date(as_of),
            options,
        };
        f(&input)
    }
}

/// The displayed cells of the first row of section `name` whose first cells are `keys`, by
/// column name.
pub fn section_row(report: &Report, name: &str, keys: &[&str]) -> BTreeMap<String, String> {
    let section = report.sections.iter().find(|s| s.name == name).expect("the section");
    let found = section
        .rows
        .iter()
        .find(|r| keys.iter().zip(r.iter()).all(|(key, cell)| cell.display() == *key));
    let found = found.unwrap_or_else(|| panic!("no row {keys:?} in {name}"));
    section.columns.iter().cloned().zip(found.iter().map(Cell::display)).collect()
}

/// The displayed cells of the table row for a group, window and outcome, from `cohort_n` on.
pub fn row(report: &Report, group: &str, window: i64, outcome: &str) -> Vec<String> {
    let table = &report.sections[0];
    let found = table.rows.iter().find(|r| {
        r[0] == Cell::text(group) && r[2] == Cell::Int(window) && r[3] == Cell::text(outcome)
    });
    let found = found.unwrap_or_else(|| panic!("no row {group} {window} {outcome}"));
    found[4..].iter().map(Cell::display).collect()
}
