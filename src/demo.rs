//! `jejak demo`: a realistic, deterministic, fictional dataset, written through the same command
//! path as every user, on a simulated clock that runs from 2023 to late 2026 so that
//! `recorded_at` follows the story and nothing looks entered late.
//!
//! The story: Rutan SoE and two Lapas, two training offices, an LSP and a Bapas; the four
//! packages of the SoE case and others over the years; convicted inmates, pre-trial detainees
//! and public applicants; nominations, eligibility, review-board decisions, quotas and waiting
//! lists; attendance with realistic absence codes; dropouts, releases and transfers in the
//! middle of training; graduations, certificates, grants (deferred while the graduate is still
//! inside); releases over the years, follow-up contacts, revocations and new cases. Every
//! name, id and case is invented; the persons' ids are hashed with the published demo key.
//!
//! Each simulated day runs in phases (custody facts, packages, nominations, …), each phase
//! one transaction; the generator reads the replies (accepted or waitlisted) and keeps a small
//! model of who is where, so its later commands follow what the rules decided.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use events::command::{Command, CommandEnvelope, *};
use events::person_ref::{IdKind, person_ref};
use events::vocabulary::*;
use events::{Source, Timestamp, ids, streams};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use uuid::Uuid;

use crate::clock::SimulatedClock;
use crate::commands::{BatchFailure, CommandLoop, Executed, Issuer};
use crate::keys::DEMO_PERSON_KEY;
use crate::store::{Store, StoreError};

/// Where the story starts and where it stops (the data cut-off).
pub const STORY_START: NaiveDate = NaiveDate::from_ymd_opt(2023, 1, 2).expect("a date");
pub const STORY_END: NaiveDate = NaiveDate::from_ymd_opt(2026, 10, 31).expect("a date");
/// A day of the story when training runs (packages started, participants in training,
/// sessions that week): the day `serve --demo`'s overview opens on, so that a newcomer sees a
/// living programme. `tests/it/rules.rs` checks the story keeps it so.
pub const LIVELY_DAY: NaiveDate = NaiveDate::from_ymd_opt(2026, 4, 15).expect("a date");

#[derive(Debug, Clone, Copy)]
pub struct DemoOptions {
    /// About how many participations the story has.
    pub participants: usize,
    pub seed: u64,
}

/// What the generator wrote.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DemoSummary {
    pub commands: usize,
    /// Commands the rules refused, as happens in real life (a full quota, a late start).
    pub refused: usize,
    pub events: i64,
    pub packages: usize,
    pub inmates: usize,
    pub public_applicants: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the log already holds {events} events; the demo is written only to an empty log")]
    NotEmpty { events: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Batch(#[from] BatchFailure),
}

const FACILITIES: [(&str, &str, OrganisationKind); 3] = [
    ("RUTAN-SOE", "Rutan Kelas IIB SoE", OrganisationKind::Rutan),
    ("LAPAS-KUPANG", "Lapas Kelas IIA Kupang", OrganisationKind::Lapas),
    ("LAPAS-ATAMBUA", "Lapas Kelas IIB Atambua", OrganisationKind::Lapas),
];
const PROVIDERS: [(&str, &str); 2] = [
    ("DISNAKERTRANS-TTS", "Disnakertrans Kab. TTS"),
    ("DISNAKERTRANS-KUPANG", "Disnakertrans Kota Kupang"),
];
const SKILLS: [(&str, &str); 7] = [
    ("menjahit", "Menjahit"),
    ("kecantikan", "Kecantikan"),
    ("pres_batako", "Pembuatan pres batako"),
    ("pangkas_rambut", "Pangkas rambut"),
    ("pengelasan", "Pengelasan"),
    ("tata_boga", "Tata boga"),
    ("perbengkelan", "Perbengkelan sepeda motor"),
];

/// The phases of a day, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Custody,
    Packages,
    Nominations,
    Assessments,
    Decisions,
    Acceptance,
    Starts,
    Attendance,
    Dropouts,
    Closing,
    Results,
    Grants,
    FollowUp,
}

/// Something the story does on a day, decided when the day comes.
#[derive(Debug, Clone)]
enum Step {
    Admit(usize),
    Convict(usize),
    Sanction(usize),
    Transfer(usize),
    Release(usize),
    Die(usize),
    Revoke(usize),
    Reoffend(usize),
    Readmit(usize),
    NewCase(usize, NaiveDate, Option<NaiveDate>, Option<NaiveDate>),
    FollowUp(usize, u32),
    Acknowledge(usize, Uuid),
    Define(usize),
    Nominate(usize),
    Assess(usize),
    Decide(usize),
    Accept(usize),
    AcceptWaiting(usize),
    Start(usize),
    Attend(usize, Uuid),
    /// A mark entered days after its session: (package, session, participation, code, late).
    AttendLate(usize, Uuid, Uuid, AttendanceCode, Option<u32>),
    /// A wrong mark corrected: (package, participation, the mark's event, session, right code).
    Correct(usize, Uuid, Uuid, Uuid, AttendanceCode),
    /// A late correction approved by a second person, then the right mark entered.
    ApproveCorrection(usize, Uuid, Uuid, Uuid, AttendanceCode),
    Dropout(usize),
    Close(usize),
    Assess2(usize),
    Graduate(usize),
    ProposeGrants(usize),
    ApproveGrants(usize),
    HandOver(usize),
    HandOverLater(Uuid, usize, String),
    Monitor(Uuid, usize),
}

struct Person {
    sdp_id: String,
    person_ref: String,
    facility: usize,
    admitted_on: NaiveDate,
    sentence_months: u32,
    release_on: NaiveDate,
    release_type: ReleaseType,
    offence_group: OffenceGroup,
    sex: Sex,
    age_band: AgeBand,
    in_custody: bool,
    released: bool,
    died: bool,
    busy_until: NaiveDate,
    grants: Vec<Uuid>,
}

struct Package {
    id: Uuid,
    facility: usize,
    provider: usize,
    skill: usize,
    venue: VenueType,
    start: NaiveDate,
    end: NaiveDate,
    quota: u32,
    sessions: Vec<(NaiveDate, Uuid)>,
    /// Participations by person index (inmates) and public applicant refs.
    inmates: Vec<(usize, Uuid)>,
    public: Vec<Uuid>,
    accepted: BTreeSet<Uuid>,
    waiting: Vec<Uuid>,
    active: BTreeSet<Uuid>,
    completed: BTreeSet<Uuid>,
    /// Not eligible or turned down: no approval, no acceptance.
    refused: BTreeSet<Uuid>,
    competent: BTreeSet<Uuid>,
    graduates: BTreeSet<Uuid>,
    /// Graduates with a grant proposed.
    granted: BTreeSet<Uuid>,
    attendance_rate: BTreeMap<Uuid, f64>,
}

struct Story {
    rng: ChaCha8Rng,
    people: Vec<Person>,
    packages: Vec<Package>,
    agenda: BTreeMap<(NaiveDate, Phase), Vec<Step>>,
    next_command: u128,
    seed: u64,
    participation_person: BTreeMap<Uuid, usize>,
    summary: DemoSummary,
}

fn date_add(date: NaiveDate, days: i64) -> NaiveDate {
    if days >= 0 { date + Days::new(days as u64) } else { date - Days::new((-days) as u64) }
}

fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(chrono::Months::new(months)).unwrap_or(date)
}

fn issuer(actor: &str, role: Role, organisation: &str) -> Issuer {
    let source = if role == Role::System { Source::Import } else { Source::Ui };
    Issuer {
        actor: actor.to_owned(),
        role,
        organisation: organisation.to_owned(),
        source,
        correlation_id: None,
        causation_id: None,
    }
}

fn petugas(facility: usize) -> Issuer {
    let (code, ..) = FACILITIES[facility];
    issuer(&format!("petugas1.{}", code.to_lowercase()), Role::PetugasPembinaan, code)
}

fn staff(facility: usize, role: Role, title: &str) -> Issuer {
    let (code, ..) = FACILITIES[facility];
    issuer(&format!("{title}.{}", code.to_lowercase()), role, code)
}

fn provider_staff(provider: usize, role: Role, title: &str) -> Issuer {
    let (code, _) = PROVIDERS[provider];
    issuer(&format!("{title}.{}", code.to_lowercase()), role, code)
}

/// An attendance mark, entered by the provider's instructor.
fn mark(
    provider: usize,
    participation_id: Uuid,
    session_id: Uuid,
    code: AttendanceCode,
    minutes_late: Option<u32>,
) -> (Command, Issuer) {
    let command = Command::RecordAttendance(RecordAttendance {
        participation_id,
        session_id,
        code,
        minutes_late,
    });
    (command, provider_staff(provider, Role::Instruktur, "instruktur1"))
}

fn system() -> Issuer {
    issuer("sdp-import", Role::System, "DITJENPAS")
}

impl Story {
    fn new(options: DemoOptions) -> Story {
        Story {
            rng: ChaCha8Rng::seed_from_u64(options.seed),
            people: Vec::new(),
            packages: Vec::new(),
            agenda: BTreeMap::new(),
            next_command: 0,
            seed: options.seed,
            participation_person: BTreeMap::new(),
            summary: DemoSummary::default(),
        }
    }

    fn at(&mut self, date: NaiveDate, phase: Phase, step: Step) {
        if date <= STORY_END {
            self.agenda.entry((date, phase)).or_default().push(step);
        }
    }

    fn command_id(&mut self) -> Uuid {
        self.next_command += 1;
        ids::derived_id(
            Uuid::from_u128(0x6a65_6a61_6b2d_6465_6d6f_0000_0000_0000 + u128::from(self.seed)),
            &self.next_command.to_string(),
        )
    }

    fn envelope(
        &mut self,
        command: Command,
        reason: Option<&str>,
        document_ref: Option<String>,
    ) -> CommandEnvelope {
        CommandEnvelope {
            command_id: self.command_id(),
            occurred_at: None,
            reason: reason.map(str::to_owned),
            document_ref,
            command,
        }
    }

    /// Plans the inmates and their custody timelines.
    fn plan_people(&mut self, inmates: usize) {
        let span_days = (STORY_END - STORY_START).num_days() - 240;
        for index in 0..inmates {
            let sdp_id = format!("SDP-DEMO-{:06}", index + 1);
            // A third of the inmates are inside when the story starts; the rest arrive over it.
            let admitted_on = if self.rng.random_bool(0.33) {
                date_add(STORY_START, self.rng.random_range(0..30))
            } else {
                date_add(STORY_START, self.rng.random_range(0..span_days))
            };
            let pre_trial_only = self.rng.random_bool(0.10);
            let sentence_months =
                *[6, 10, 14, 18, 24, 30, 36, 48, 60, 84].choose(&mut self.rng).expect("non-empty");
            let convicted_on =
                (!pre_trial_only).then(|| date_add(admitted_on, self.rng.random_range(40..120)));
            let parole = self.rng.random_bool(0.4) && sentence_months >= 12;
            let release_on = match convicted_on {
                None => date_add(admitted_on, self.rng.random_range(60..200)),
                Some(_) if parole => date_add(admitted_on, i64::from(sentence_months) * 20),
                Some(_) => add_months(admitted_on, sentence_months),
            };
            let release_type = match (convicted_on, parole) {
                (None, _) => ReleaseType::PutusanBebas,
                (Some(_), true) => ReleaseType::PembebasanBersyarat,
                (Some(_), false) => ReleaseType::BebasMurni,
            };
            let offence_group = *[
                OffenceGroup::Pencurian,
                OffenceGroup::Pencurian,
                OffenceGroup::Narkotika,
                OffenceGroup::Narkotika,
                OffenceGroup::Kekerasan,
                OffenceGroup::Penipuan,
                OffenceGroup::Asusila,
                OffenceGroup::Korupsi,
                OffenceGroup::Lainnya,
            ]
            .choose(&mut self.rng)
            .expect("non-empty");
            let sex = if self.rng.random_bool(0.82) { Sex::LakiLaki } else { Sex::Perempuan };
            let age_band = *[
                AgeBand::From18To25,
                AgeBand::From26To35,
                AgeBand::From26To35,
                AgeBand::From36To45,
                AgeBand::From46To55,
                AgeBand::From56,
            ]
            .choose(&mut self.rng)
            .expect("non-empty");
            let facility = self.rng.random_range(0..FACILITIES.len());
            let person_ref = person_ref(&DEMO_PERSON_KEY, IdKind::Sdp, &sdp_id);
            self.people.push(Person {
                sdp_id,
                person_ref,
                facility,
                admitted_on,
                sentence_months,
                release_on,
                release_type,
                offence_group,
                sex,
                age_band,
                in_custody: false,
                released: false,
                died: false,
                busy_until: admitted_on,
                grants: Vec::new(),
            });
            let admit_day = admitted_on;
            self.at(admit_day, Phase::Custody, Step::Admit(index));
            if let Some(convicted_on) = convicted_on {
                self.at(convicted_on.max(admit_day), Phase::Custody, Step::Convict(index));
            }
            if self.rng.random_bool(0.12) {
                let day = date_add(admit_day, self.rng.random_range(30..400));
                if day < release_on {
                    self.at(day, Phase::Custody, Step::Sanction(index));
                }
            }
            if self.rng.random_bool(0.03) {
                let day = date_add(admit_day, self.rng.random_range(60..500));
                if day < release_on {
                    self.at(day, Phase::Custody, Step::Transfer(index));
                }
            }
            if self.rng.random_bool(0.004) {
                let day = date_add(admit_day, self.rng.random_range(30..600));
                self.at(day, Phase::Custody, Step::Die(index));
            }
            self.at(release_on.max(date_add(admit_day, 1)), Phase::Custody, Step::Release(index));
        }
    }

    /// Plans the packages: the four of the SoE case first, then others across facilities.
    fn plan_packages(&mut self, participants: usize) {
        let count = participants.div_ceil(16).max(4);
        let span_days = (STORY_END - STORY_START).num_days() - 120;
        for index in 0..count {
            let (facility, skill) = if index < 4 {
                (0, index)
            } else {
                (self.rng.random_range(0..FACILITIES.len()), self.rng.random_range(0..SKILLS.len()))
            };
            let offset = if index < 4 {
                40 + 7 * index as i64
            } else {
                60 + (span_days - 60) * index as i64 / count as i64
            };
            let mut start = date_add(STORY_START, offset);
            while start.weekday() != Weekday::Mon {
                start = date_add(start, 1);
            }
            let weeks = self.rng.random_range(3..=5);
            let end = date_add(start, weeks * 7 - 3);
            let venue = match (index, self.rng.random_range(0..10)) {
                (2, _) => VenueType::TrainingCentre,
                (0..=3, _) => VenueType::InFacility,
                (_, 0) => VenueType::Village,
                (_, 1 | 2) => VenueType::TrainingCentre,
                _ => VenueType::InFacility,
            };
            let provider = usize::from(facility != 0);
            let id = ids::derived_id(
                Uuid::from_u128(0x6a65_6a61_6b2d_7061_6b65_7400_0000_0000 + u128::from(self.seed)),
                &index.to_string(),
            );
            let mut sessions = Vec::new();
            let mut day = start;
            while day <= end {
                if matches!(day.weekday(), Weekday::Mon | Weekday::Wed | Weekday::Fri) {
                    sessions.push((day, ids::derived_id(id, &format!("session-{day}"))));
                }
                day = date_add(day, 1);
            }
            let quota = self.rng.random_range(12..=20);
            let package = Package {
                id,
                facility,
                provider,
                skill,
                venue,
                start,
                end,
                quota,
                sessions: sessions.clone(),
                inmates: Vec::new(),
                public: Vec::new(),
                accepted: BTreeSet::new(),
                waiting: Vec::new(),
                active: BTreeSet::new(),
                completed: BTreeSet::new(),
                refused: BTreeSet::new(),
                competent: BTreeSet::new(),
                graduates: BTreeSet::new(),
                granted: BTreeSet::new(),
                attendance_rate: BTreeMap::new(),
            };
            self.packages.push(package);
            self.at(date_add(start, -21), Phase::Packages, Step::Define(index));
            self.at(date_add(start, -14), Phase::Nominations, Step::Nominate(index));
            self.at(date_add(start, -12), Phase::Assessments, Step::Assess(index));
            self.at(date_add(start, -10), Phase::Decisions, Step::Decide(index));
            self.at(date_add(start, -7), Phase::Acceptance, Step::Accept(index));
            self.at(date_add(start, -3), Phase::Acceptance, Step::AcceptWaiting(index));
            self.at(start, Phase::Starts, Step::Start(index));
            for (day, session_id) in sessions {
                self.at(day, Phase::Attendance, Step::Attend(index, session_id));
            }
            self.at(date_add(start, 9), Phase::Dropouts, Step::Dropout(index));
            self.at(end, Phase::Closing, Step::Close(index));
            self.at(date_add(end, 4), Phase::Results, Step::Assess2(index));
            self.at(date_add(end, 7), Phase::Results, Step::Graduate(index));
            self.at(date_add(end, 14), Phase::Grants, Step::ProposeGrants(index));
            self.at(date_add(end, 21), Phase::Grants, Step::ApproveGrants(index));
            self.at(date_add(end, 30), Phase::Grants, Step::HandOver(index));
        }
    }
}

/// Writes the demo dataset to an empty log, with `clock` driving `recorded_at`.
pub async fn generate(
    store: &Store,
    clock: Arc<SimulatedClock>,
    options: DemoOptions,
) -> Result<DemoSummary, DemoError> {
    let head = store.head().await?;
    if head.position > 0 {
        return Err(DemoError::NotEmpty { events: head.position });
    }
    let commands = CommandLoop::new(store.clone(), clock.clone(), TimeZone::Makassar);
    let mut session = commands.session();
    let mut story = Story::new(options);
    let inmates = options.participants * 3 / 2;
    story.plan_people(inmates);
    story.plan_packages(options.participants);
    story.summary.inmates = inmates;
    story.summary.packages = story.packages.len();

    clock.set(local_time(STORY_START, 8));
    let mut setup = Vec::new();
    for (code, name, kind) in FACILITIES {
        let command = Command::RegisterOrganisation(RegisterOrganisation {
            code: code.to_owned(),
            name: name.to_owned(),
            kind,
            time_zone: TimeZone::Makassar,
            parent: Some("KANWIL-NTT".to_owned()),
        });
        setup.push((story.envelope(command, None, None), system()));
    }
    for (code, name) in PROVIDERS {
        let command = Command::RegisterOrganisation(RegisterOrganisation {
            code: code.to_owned(),
            name: name.to_owned(),
            kind: OrganisationKind::Disnakertrans,
            time_zone: TimeZone::Makassar,
            parent: None,
        });
        setup.push((story.envelope(command, None, None), system()));
    }
    for (code, name, kind) in [
        ("LSP-TTS", "LSP Pelatihan TTS", OrganisationKind::Lsp),
        ("BAPAS-KUPANG", "Bapas Kelas I Kupang", OrganisationKind::Bapas),
    ] {
        let command = Command::RegisterOrganisation(RegisterOrganisation {
            code: code.to_owned(),
            name: name.to_owned(),
            kind,
            time_zone: TimeZone::Makassar,
            parent: None,
        });
        setup.push((story.envelope(command, None, None), system()));
    }
    run(&mut session, &mut story, setup, STORY_START).await?;

    while let Some((&(day, phase), _)) = story.agenda.iter().next() {
        let steps = story.agenda.remove(&(day, phase)).expect("present");
        clock.set(local_time(day, 8 + phase as u32 / 2).latest(clock_now(&clock)));
        let items = plan_steps(&mut story, day, steps);
        run(&mut session, &mut story, items, day).await?;
    }
    story.summary.events = store.head().await?.position;
    Ok(story.summary)
}

fn clock_now(clock: &SimulatedClock) -> Timestamp {
    use crate::clock::Clock;
    clock.now()
}

/// `hour` o'clock on `date` in SoE (UTC+8), in UTC.
fn local_time(date: NaiveDate, hour: u32) -> Timestamp {
    let midnight = Timestamp::start_of_day(date).expect("a date in range");
    midnight.checked_add_micros((i64::from(hour) - 8) * 3_600_000_000).expect("in range")
}

async fn run(
    session: &mut crate::commands::Session,
    story: &mut Story,
    items: Vec<(CommandEnvelope, Issuer)>,
    day: NaiveDate,
) -> Result<(), DemoError> {
    if items.is_empty() {
        return Ok(());
    }
    let (executed, refused) = session.run(&items).await?;
    story.summary.commands += executed.len();
    story.summary.refused += refused.len();
    for failure in &refused {
        let command = items[failure.index].0.command.name();
        tracing::debug!(command, code = failure.failure.code(), message = %failure.failure, "refused");
    }
    let refused_at: BTreeSet<usize> = refused.iter().map(|failure| failure.index).collect();
    let accepted: Vec<(&CommandEnvelope, &Executed)> = items
        .iter()
        .enumerate()
        .filter(|(index, _)| !refused_at.contains(index))
        .map(|(_, (envelope, _))| envelope)
        .zip(executed.iter())
        .collect();
    for (envelope, executed) in accepted {
        learn(story, &envelope.command, executed, day);
    }
    Ok(())
}

/// Updates the generator's model from what the rules decided.
fn learn(story: &mut Story, command: &Command, executed: &Executed, day: NaiveDate) {
    let reply = &executed.reply;
    let status = reply.get("status").and_then(|status| status.as_str());
    let ids = |key: &str| -> Vec<Uuid> {
        reply.get(key).and_then(|v| v.as_array()).map_or(Vec::new(), |items| {
            items.iter().filter_map(|v| v.as_str()?.parse().ok()).collect()
        })
    };
    let package_of = |story: &Story, participation_id: Uuid| {
        story.packages.iter().position(|p| {
            p.inmates.iter().any(|(_, id)| *id == participation_id)
                || p.public.contains(&participation_id)
        })
    };
    match command {
        // Now and then a mark was wrong: corrected within days, or (rarely) weeks later.
        Command::RecordAttendance(c) if !executed.duplicate => {
            let quick = story.rng.random_bool(0.012);
            let late = !quick && story.rng.random_bool(0.004);
            if let Some(index) = package_of(story, c.participation_id).filter(|_| quick || late) {
                let after = if quick {
                    story.rng.random_range(1..4)
                } else {
                    story.rng.random_range(10..16)
                };
                let right = if c.code.counts_as_attended() {
                    AttendanceCode::Alpa
                } else {
                    AttendanceCode::Hadir
                };
                let event_id = ids::event_id(executed.command_id, 0);
                let step = Step::Correct(index, c.participation_id, event_id, c.session_id, right);
                story.at(date_add(day, after), Phase::Attendance, step);
            }
        }
        Command::AssessEligibility(c)
            if reply.get("eligible") == Some(&serde_json::Value::Bool(false)) =>
        {
            if let Some(index) = package_of(story, c.participation_id) {
                story.packages[index].refused.insert(c.participation_id);
            }
        }
        Command::RejectNomination(c) => {
            if let Some(index) = package_of(story, c.participation_id) {
                story.packages[index].refused.insert(c.participation_id);
            }
        }
        Command::AcceptParticipant(c) => {
            if let Some(index) = package_of(story, c.participation_id) {
                let package = &mut story.packages[index];
                match status {
                    Some("accepted") => {
                        package.waiting.retain(|id| *id != c.participation_id);
                        package.accepted.insert(c.participation_id);
                    }
                    Some("waitlisted") => package.waiting.push(c.participation_id),
                    _ => {}
                }
            }
        }
        Command::StartParticipation(c) => {
            if let Some(index) = package_of(story, c.participation_id) {
                story.packages[index].active.insert(c.participation_id);
            }
        }
        Command::EndParticipation(c) => {
            if let Some(index) = package_of(story, c.participation_id) {
                story.packages[index].active.remove(&c.participation_id);
            }
        }
        Command::ClosePackage(c) => {
            if let Some(package) = story.packages.iter_mut().find(|p| p.id == c.package_id) {
                package.completed.extend(ids("completed"));
                package.active.clear();
            }
        }
        Command::AssessCompetency(c) => {
            if let Some(index) = package_of(story, c.participation_id) {
                let package = &mut story.packages[index];
                if c.result == CompetencyResult::Kompeten {
                    package.competent.insert(c.participation_id);
                } else {
                    package.competent.remove(&c.participation_id);
                }
            }
        }
        Command::GraduateParticipant(c) => {
            if let Some(index) = package_of(story, c.participation_id) {
                story.packages[index].graduates.insert(c.participation_id);
            }
        }
        Command::ProposeGrant(c) => {
            if let Some(index) = package_of(story, c.participation_id) {
                story.packages[index].granted.insert(c.participation_id);
            }
            if let Some(person) = story.participation_person.get(&c.participation_id) {
                story.people[*person].grants.push(streams::grant_id(c.participation_id));
            }
        }
        Command::RecordRelease(RecordRelease { person_ref, .. })
        | Command::RecordTransfer(RecordTransfer { person_ref, .. })
        | Command::RecordDeath(RecordDeath { person_ref, .. }) => {
            for participation_id in ids("affected_participations") {
                if let Some(index) = package_of(story, participation_id) {
                    let package = &mut story.packages[index];
                    package.active.remove(&participation_id);
                    package.accepted.remove(&participation_id);
                    package.waiting.retain(|id| *id != participation_id);
                }
            }
            let task =
                reply.get("task_id").and_then(|v| v.as_str()).and_then(|v| v.parse::<Uuid>().ok());
            let person = story.people.iter().position(|p| p.person_ref == *person_ref);
            if let (Some(task_id), Some(person)) = (task, person)
                && story.rng.random_bool(0.85)
            {
                let later = date_add(day, story.rng.random_range(1..5));
                story.at(later, Phase::FollowUp, Step::Acknowledge(person, task_id));
            }
        }
        _ => {}
    }
}

/// The commands of one day's phase.
fn plan_steps(
    story: &mut Story,
    day: NaiveDate,
    steps: Vec<Step>,
) -> Vec<(CommandEnvelope, Issuer)> {
    let mut items = Vec::new();
    for step in steps {
        plan_step(story, day, step, &mut items);
    }
    items
}

fn plan_step(
    story: &mut Story,
    day: NaiveDate,
    step: Step,
    items: &mut Vec<(CommandEnvelope, Issuer)>,
) {
    let mut push = |story: &mut Story,
                    command: Command,
                    issuer: Issuer,
                    reason: Option<&str>,
                    document: Option<String>| {
        let envelope = story.envelope(command, reason, document);
        items.push((envelope, issuer));
    };
    match step {
        Step::Admit(index) => {
            let person = &mut story.people[index];
            person.in_custody = true;
            let facility = FACILITIES[person.facility].0.to_owned();
            let command = Command::RecordCustodyEpisode(RecordCustodyEpisode {
                person_ref: person.person_ref.clone(),
                episode_ref: format!("REG-{}", person.sdp_id),
                facility,
                admitted_on: person.admitted_on,
                legal_status: LegalStatus::Tahanan,
                register_class: Some(RegisterClass::AII),
                sex: Some(person.sex),
                age_band: Some(person.age_band),
                offence_group: Some(person.offence_group),
                sentence_band: None,
                sdp: None,
            });
            push(story, command, system(), None, None);
        }
        Step::Convict(index) => {
            let person = &story.people[index];
            let (person_ref, months, group) =
                (person.person_ref.clone(), person.sentence_months, person.offence_group);
            let start = person.admitted_on;
            let expiry = add_months(start, months);
            push(
                story,
                Command::ChangeLegalStatus(ChangeLegalStatus {
                    person_ref: person_ref.clone(),
                    legal_status: LegalStatus::Narapidana,
                    changed_on: day,
                    sentence_months: Some(months),
                    offence_group: Some(group),
                    sdp: None,
                }),
                system(),
                None,
                None,
            );
            push(
                story,
                Command::UpdateSentenceDates(UpdateSentenceDates {
                    person_ref,
                    sentence_start: start,
                    expiry_date: expiry,
                    sdp: None,
                }),
                system(),
                None,
                None,
            );
        }
        Step::Sanction(index) => {
            let person_ref = story.people[index].person_ref.clone();
            let sanction_id = story.command_id();
            let ends_on = date_add(day, story.rng.random_range(14..60));
            push(
                story,
                Command::RecordDisciplinarySanction(RecordDisciplinarySanction {
                    person_ref,
                    sanction_id,
                    imposed_on: day,
                    ends_on,
                    sdp: None,
                }),
                system(),
                None,
                None,
            );
        }
        Step::Transfer(index) => {
            let person = &mut story.people[index];
            if !person.in_custody {
                return;
            }
            let to = (person.facility + 1) % FACILITIES.len();
            let person_ref = person.person_ref.clone();
            person.facility = to;
            push(
                story,
                Command::RecordTransfer(RecordTransfer {
                    person_ref,
                    to_facility: FACILITIES[to].0.to_owned(),
                    transferred_on: day,
                    sdp: None,
                }),
                system(),
                None,
                None,
            );
        }
        Step::Release(index) => {
            let person = &mut story.people[index];
            if !person.in_custody || person.died {
                return;
            }
            person.in_custody = false;
            person.released = true;
            let (person_ref, release_type) = (person.person_ref.clone(), person.release_type);
            push(
                story,
                Command::RecordRelease(RecordRelease {
                    person_ref,
                    release_type,
                    released_on: day,
                    sdp: None,
                }),
                system(),
                None,
                None,
            );
            for months in [3, 6, 12] {
                if story.rng.random_bool(0.8) {
                    story.at(
                        add_months(day, months),
                        Phase::FollowUp,
                        Step::FollowUp(index, months),
                    );
                }
            }
            if release_type == ReleaseType::PembebasanBersyarat && story.rng.random_bool(0.08) {
                let later = date_add(day, story.rng.random_range(40..300));
                story.at(later, Phase::Custody, Step::Revoke(index));
            } else if release_type != ReleaseType::PutusanBebas && story.rng.random_bool(0.24) {
                let later = date_add(day, story.rng.random_range(90..720));
                story.at(later, Phase::Custody, Step::Reoffend(index));
            }
        }
        Step::Die(index) => {
            let person = &mut story.people[index];
            if person.died {
                return;
            }
            person.died = true;
            person.in_custody = false;
            let person_ref = person.person_ref.clone();
            push(
                story,
                Command::RecordDeath(RecordDeath { person_ref, died_on: day, sdp: None }),
                system(),
                None,
                None,
            );
        }
        Step::Revoke(index) => {
            let person = &mut story.people[index];
            if person.in_custody || person.died {
                return;
            }
            person.in_custody = true;
            let person_ref = person.person_ref.clone();
            push(
                story,
                Command::RecordRevocation(RecordRevocation {
                    person_ref,
                    revoked_on: day,
                    reason_code: RevocationReason::PelanggaranSyarat,
                    sdp: None,
                }),
                system(),
                None,
                None,
            );
        }
        Step::Reoffend(index) => {
            // An offence after release: a readmission a few days later for most, a conviction
            // months later for most; the case is recorded once the court has decided (or, with
            // no conviction, at the readmission), with every date it needs.
            if story.people[index].died || story.people[index].in_custody {
                return;
            }
            let readmitted = story.rng.random_bool(0.6);
            let convicted = story.rng.random_bool(0.7);
            let readmission = readmitted.then(|| date_add(day, 3));
            let conviction = convicted.then(|| date_add(day, story.rng.random_range(90..240)));
            if let Some(readmission) = readmission {
                story.at(readmission, Phase::Custody, Step::Readmit(index));
            }
            let recorded_on = conviction.or(readmission).unwrap_or_else(|| date_add(day, 2));
            story.at(
                recorded_on,
                Phase::Custody,
                Step::NewCase(index, day, readmission, conviction),
            );
        }
        Step::Readmit(index) => {
            let person = &mut story.people[index];
            if person.died || person.in_custody {
                return;
            }
            person.in_custody = true;
            person.released = false;
            person.admitted_on = day;
            let facility = FACILITIES[person.facility].0.to_owned();
            let command = Command::RecordCustodyEpisode(RecordCustodyEpisode {
                person_ref: person.person_ref.clone(),
                episode_ref: format!("REG-{}-{day}", person.sdp_id),
                facility,
                admitted_on: day,
                legal_status: LegalStatus::Tahanan,
                register_class: Some(RegisterClass::AII),
                sex: Some(person.sex),
                age_band: Some(person.age_band),
                offence_group: Some(person.offence_group),
                sentence_band: None,
                sdp: None,
            });
            push(story, command, system(), None, None);
        }
        Step::NewCase(index, offence_date, readmission_date, conviction_date) => {
            let person = &story.people[index];
            if person.died {
                return;
            }
            let (person_ref, group, inside) =
                (person.person_ref.clone(), person.offence_group, person.in_custody);
            let case_id = story.command_id();
            let command = Command::RecordNewCase(RecordNewCase {
                person_ref: person_ref.clone(),
                case_id,
                offence_date,
                arrest_date: Some(date_add(offence_date, 1)),
                conviction_date,
                readmission_date,
                offence_group: Some(group),
                source: CaseSource::Sdp,
                sdp: None,
            });
            push(story, command, system(), None, None);
            if !inside || readmission_date.is_none() {
                return;
            }
            let months = *[6, 12, 18, 24, 36].choose(&mut story.rng).expect("non-empty");
            let (start, expiry) = (
                readmission_date.expect("readmitted"),
                add_months(readmission_date.expect("readmitted"), months),
            );
            let release_on = if conviction_date.is_some() {
                push(
                    story,
                    Command::ChangeLegalStatus(ChangeLegalStatus {
                        person_ref: person_ref.clone(),
                        legal_status: LegalStatus::Narapidana,
                        changed_on: day,
                        sentence_months: Some(months),
                        offence_group: Some(group),
                        sdp: None,
                    }),
                    system(),
                    None,
                    None,
                );
                push(
                    story,
                    Command::UpdateSentenceDates(UpdateSentenceDates {
                        person_ref,
                        sentence_start: start,
                        expiry_date: expiry,
                        sdp: None,
                    }),
                    system(),
                    None,
                    None,
                );
                expiry.max(date_add(day, 1))
            } else {
                date_add(day, story.rng.random_range(30..120))
            };
            let person = &mut story.people[index];
            person.release_on = release_on;
            person.release_type = if conviction_date.is_some() {
                ReleaseType::BebasMurni
            } else {
                ReleaseType::PutusanBebas
            };
            story.at(release_on, Phase::Custody, Step::Release(index));
        }
        Step::FollowUp(index, months) => {
            let person = &story.people[index];
            if person.in_custody || person.died {
                return;
            }
            let person_ref = person.person_ref.clone();
            let has_grant = !person.grants.is_empty();
            let employment_status = *[
                EmploymentStatus::Bekerja,
                EmploymentStatus::Wirausaha,
                EmploymentStatus::TidakBekerja,
            ]
            .choose(&mut story.rng)
            .expect("non-empty");
            let uses_trained_skill = story.rng.random_bool(if has_grant { 0.7 } else { 0.35 });
            let contact_id = ids::derived_id(
                Uuid::from_u128(index as u128),
                &format!("follow-up-{day}-{months}"),
            );
            let command = Command::RecordFollowUp(RecordFollowUp {
                person_ref,
                contact_id,
                contacted_on: day,
                employment_status,
                uses_trained_skill,
                uses_grant: has_grant.then_some(uses_trained_skill),
            });
            push(
                story,
                command,
                issuer("pk1.bapas-kupang", Role::PkBapas, "BAPAS-KUPANG"),
                None,
                None,
            );
        }
        Step::Acknowledge(index, task_id) => {
            let person = &story.people[index];
            let command = Command::AcknowledgeChange(AcknowledgeChange {
                person_ref: person.person_ref.clone(),
                task_id,
            });
            let facility = person.facility;
            push(story, command, petugas(facility), None, None);
        }
        Step::Define(index) => define_package(story, index, &mut push),
        Step::Nominate(index) => nominate(story, index, day, &mut push),
        Step::Assess(index) => {
            let (facility, ids): (usize, Vec<Uuid>) = {
                let package = &story.packages[index];
                (package.facility, package.inmates.iter().map(|(_, id)| *id).collect())
            };
            for participation_id in ids {
                let command = Command::AssessEligibility(AssessEligibility {
                    participation_id,
                    assessed_on: None,
                    sppn_score: Some(story.rng.random_range(55..95)),
                    litmas_ref: None,
                });
                push(story, command, staff(facility, Role::Wali, "wali1"), None, None);
            }
        }
        Step::Decide(index) => {
            let (facility, ids): (usize, Vec<Uuid>) = {
                let package = &story.packages[index];
                (package.facility, package.inmates.iter().map(|(_, id)| *id).collect())
            };
            let minutes = format!("BA-TPP/{}/{:03}", story.packages[index].start.year(), index + 1);
            let refused = story.packages[index].refused.clone();
            for participation_id in ids.into_iter().filter(|id| !refused.contains(id)) {
                if story.rng.random_bool(0.05) {
                    let command = Command::RejectNomination(RejectNomination {
                        participation_id,
                        reason_code: NominationRejectionReason::Behaviour,
                    });
                    push(
                        story,
                        command,
                        staff(facility, Role::Karutan, "karutan"),
                        Some("hasil sidang TPP"),
                        Some(minutes.clone()),
                    );
                } else {
                    let command = Command::ApproveNomination(ApproveNomination {
                        participation_id,
                        tpp_session_date: day,
                    });
                    push(
                        story,
                        command,
                        staff(facility, Role::Karutan, "karutan"),
                        None,
                        Some(minutes.clone()),
                    );
                }
            }
        }
        Step::Accept(index) => {
            let package = &story.packages[index];
            let mut ids: Vec<Uuid> = package
                .inmates
                .iter()
                .map(|(_, id)| *id)
                .chain(package.public.iter().copied())
                .filter(|id| !package.refused.contains(id))
                .collect();
            ids.sort();
            let provider = package.provider;
            for participation_id in ids {
                push(
                    story,
                    Command::AcceptParticipant(AcceptParticipant {
                        participation_id,
                        accepted_on: None,
                    }),
                    provider_staff(provider, Role::DisnakerAdmin, "admin"),
                    None,
                    None,
                );
            }
        }
        Step::AcceptWaiting(index) => {
            let package = &story.packages[index];
            let (provider, facility) = (package.provider, package.facility);
            let accepted: Vec<Uuid> = package.accepted.iter().copied().collect();
            let waiting = package.waiting.clone();
            let withdrawals: Vec<Uuid> =
                accepted.into_iter().filter(|_| story.rng.random_bool(0.04)).collect();
            for participation_id in &withdrawals {
                let command = Command::WithdrawParticipant(WithdrawParticipant {
                    participation_id: *participation_id,
                    reason_code: WithdrawalReason::OwnRequest,
                });
                push(story, command, petugas(facility), None, None);
                story.packages[index].accepted.remove(participation_id);
            }
            for participation_id in waiting.into_iter().take(withdrawals.len()) {
                push(
                    story,
                    Command::AcceptParticipant(AcceptParticipant {
                        participation_id,
                        accepted_on: None,
                    }),
                    provider_staff(provider, Role::DisnakerAdmin, "admin"),
                    None,
                    None,
                );
            }
        }
        Step::Start(index) => {
            let package = &story.packages[index];
            let (id, provider) = (package.id, package.provider);
            let accepted: Vec<Uuid> = package.accepted.iter().copied().collect();
            push(
                story,
                Command::StartPackage(StartPackage { package_id: id, started_on: None }),
                provider_staff(provider, Role::DisnakerAdmin, "admin"),
                None,
                None,
            );
            for participation_id in accepted {
                push(
                    story,
                    Command::StartParticipation(StartParticipation {
                        participation_id,
                        started_on: None,
                    }),
                    provider_staff(provider, Role::Instruktur, "instruktur1"),
                    None,
                    None,
                );
                let rate = story.rng.random_range(0.72..0.995);
                story.packages[index].attendance_rate.insert(participation_id, rate);
            }
        }
        Step::Attend(index, session_id) => {
            let package = &story.packages[index];
            let provider = package.provider;
            let active: Vec<(Uuid, f64)> = package
                .active
                .iter()
                .map(|id| (*id, package.attendance_rate.get(id).copied().unwrap_or(0.9)))
                .collect();
            for (participation_id, rate) in active {
                let code = if story.rng.random_bool(rate) {
                    if story.rng.random_bool(0.1) {
                        AttendanceCode::Terlambat
                    } else {
                        AttendanceCode::Hadir
                    }
                } else {
                    *[
                        AttendanceCode::Sakit,
                        AttendanceCode::Sakit,
                        AttendanceCode::Izin,
                        AttendanceCode::Izin,
                        AttendanceCode::Alpa,
                        AttendanceCode::Alpa,
                        AttendanceCode::Bentrok,
                        AttendanceCode::Menolak,
                    ]
                    .choose(&mut story.rng)
                    .expect("non-empty")
                };
                let minutes_late =
                    (code == AttendanceCode::Terlambat).then(|| story.rng.random_range(5..45));
                // Late data entry is normal in a Rutan: some marks come in days later.
                if story.rng.random_bool(0.06) {
                    let later = date_add(day, story.rng.random_range(1..6));
                    let step =
                        Step::AttendLate(index, session_id, participation_id, code, minutes_late);
                    story.at(later, Phase::Attendance, step);
                    continue;
                }
                let (command, issuer) =
                    mark(provider, participation_id, session_id, code, minutes_late);
                push(story, command, issuer, None, None);
            }
        }
        Step::AttendLate(index, session_id, participation_id, code, minutes_late) => {
            let provider = story.packages[index].provider;
            let (command, issuer) =
                mark(provider, participation_id, session_id, code, minutes_late);
            push(story, command, issuer, None, None);
        }
        Step::Correct(index, participation_id, event_id, session_id, code) => {
            let provider = story.packages[index].provider;
            let request_id = ids::derived_id(event_id, "correction");
            push(
                story,
                Command::CorrectEvent(CorrectEvent {
                    stream_id: streams::participation(participation_id),
                    event_id,
                    request_id,
                }),
                provider_staff(provider, Role::Instruktur, "instruktur1"),
                Some("salah input presensi"),
                None,
            );
            let session_day = story.packages[index]
                .sessions
                .iter()
                .find(|(_, id)| *id == session_id)
                .map_or(day, |(date, _)| *date);
            if (day - session_day).num_days() > events::decide::LATE_CORRECTION_DAYS {
                // Too old to reverse at once: a second person approves it the next day.
                let step =
                    Step::ApproveCorrection(index, participation_id, request_id, session_id, code);
                story.at(date_add(day, 1), Phase::Attendance, step);
            } else {
                let (command, issuer) = mark(provider, participation_id, session_id, code, None);
                push(story, command, issuer, None, None);
            }
        }
        Step::ApproveCorrection(index, participation_id, request_id, session_id, code) => {
            let provider = story.packages[index].provider;
            push(
                story,
                Command::ApproveCorrection(ApproveCorrection {
                    stream_id: streams::participation(participation_id),
                    request_id,
                }),
                provider_staff(provider, Role::DisnakerAdmin, "admin"),
                None,
                None,
            );
            let (command, issuer) = mark(provider, participation_id, session_id, code, None);
            push(story, command, issuer, None, None);
        }
        Step::Dropout(index) => {
            let package = &story.packages[index];
            let facility = package.facility;
            let active: Vec<Uuid> = package.active.iter().copied().collect();
            for participation_id in active {
                if story.rng.random_bool(0.05) {
                    let reason_code =
                        *[EndReason::MengundurkanDiri, EndReason::Perilaku, EndReason::Kesehatan]
                            .choose(&mut story.rng)
                            .expect("non-empty");
                    push(
                        story,
                        Command::EndParticipation(EndParticipation {
                            participation_id,
                            reason_code,
                            ended_on: None,
                        }),
                        petugas(facility),
                        Some("keputusan wali"),
                        None,
                    );
                }
            }
        }
        Step::Close(index) => {
            // Closing completes those above the threshold and ends the rest.
            let package = &story.packages[index];
            let (id, provider) = (package.id, package.provider);
            push(
                story,
                Command::ClosePackage(ClosePackage { package_id: id, closed_on: None }),
                provider_staff(provider, Role::DisnakerAdmin, "admin"),
                None,
                None,
            );
        }
        Step::Assess2(index) => {
            let completed: Vec<Uuid> = story.packages[index].completed.iter().copied().collect();
            for participation_id in completed {
                let result = if story.rng.random_bool(0.82) {
                    CompetencyResult::Kompeten
                } else {
                    CompetencyResult::BelumKompeten
                };
                let assessment_id = story.command_id();
                let command = Command::AssessCompetency(AssessCompetency {
                    participation_id,
                    assessment_id,
                    lsp: "LSP-TTS".to_owned(),
                    units: vec!["unit-1".to_owned(), "unit-2".to_owned()],
                    result,
                    assessed_on: None,
                });
                push(
                    story,
                    command,
                    issuer("asesor1.lsp-tts", Role::Asesor, "LSP-TTS"),
                    None,
                    None,
                );
            }
        }
        Step::Graduate(index) => {
            let package = &story.packages[index];
            let provider = package.provider;
            let completed: Vec<Uuid> = package.completed.iter().copied().collect();
            let competent = package.competent.clone();
            for (number, participation_id) in completed.into_iter().enumerate() {
                let admin = provider_staff(provider, Role::DisnakerAdmin, "admin");
                let certificate = format!("SP/{}/{:03}/{:03}", day.year(), index + 1, number + 1);
                push(
                    story,
                    Command::IssueCertificate(IssueCertificate {
                        participation_id,
                        certificate_type: CertificateType::Pelatihan,
                        number: certificate,
                        issuer: PROVIDERS[provider].0.to_owned(),
                        issued_on: None,
                        valid_until: None,
                    }),
                    admin.clone(),
                    None,
                    None,
                );
                if !competent.contains(&participation_id) {
                    continue;
                }
                push(
                    story,
                    Command::GraduateParticipant(GraduateParticipant {
                        participation_id,
                        graduated_on: None,
                    }),
                    admin.clone(),
                    None,
                    None,
                );
                let bnsp = format!("BNSP/{}/{:03}/{:03}", day.year(), index + 1, number + 1);
                push(
                    story,
                    Command::IssueCertificate(IssueCertificate {
                        participation_id,
                        certificate_type: CertificateType::KompetensiBnsp,
                        number: bnsp,
                        issuer: "BNSP".to_owned(),
                        issued_on: None,
                        valid_until: Some(add_months(day, 36)),
                    }),
                    admin,
                    None,
                    None,
                );
            }
        }
        Step::ProposeGrants(index) => {
            let package = &story.packages[index];
            let provider = package.provider;
            let skill = SKILLS[package.skill].0;
            let graduates: Vec<Uuid> = package.graduates.iter().copied().collect();
            for participation_id in graduates {
                if !story.rng.random_bool(0.75) {
                    continue;
                }
                let (item, value) = match skill {
                    "menjahit" => ("mesin jahit", 2_750_000),
                    "kecantikan" => ("peralatan salon", 2_250_000),
                    "pres_batako" => ("alat cetak batako", 3_500_000),
                    "pangkas_rambut" => ("peralatan pangkas", 1_850_000),
                    "pengelasan" => ("mesin las", 4_200_000),
                    "tata_boga" => ("peralatan dapur", 2_000_000),
                    _ => ("perkakas bengkel", 3_100_000),
                };
                let items = vec![GrantItemInput {
                    name: item.to_owned(),
                    quantity: 1,
                    unit_value_rupiah: value,
                }];
                let command = Command::ProposeGrant(ProposeGrant {
                    participation_id,
                    items,
                    capital_rupiah: 1_000_000,
                    funding_source: format!("APBD {}", day.year()),
                    budget_line: "5.1.02.99.99".to_owned(),
                });
                push(
                    story,
                    command,
                    provider_staff(provider, Role::DisnakerAdmin, "admin"),
                    None,
                    None,
                );
            }
        }
        Step::ApproveGrants(index) => {
            let package = &story.packages[index];
            let provider = package.provider;
            let grants: Vec<Uuid> =
                package.granted.iter().map(|id| streams::grant_id(*id)).collect();
            for grant_id in grants {
                push(
                    story,
                    Command::ApproveGrant(ApproveGrant { grant_id }),
                    provider_staff(provider, Role::Ppk, "ppk"),
                    None,
                    Some(format!("SK-PPK/{}/{}", day.year(), index + 1)),
                );
            }
        }
        Step::HandOver(index) => {
            let package = &story.packages[index];
            let provider = package.provider;
            let granted: Vec<Uuid> = package.granted.iter().copied().collect();
            for (number, participation_id) in granted.into_iter().enumerate() {
                let grant_id = streams::grant_id(participation_id);
                let Some(person) = story
                    .participation_person
                    .get(&participation_id)
                    .map(|index| &story.people[*index])
                else {
                    let bast = format!("BAST/{}/{:03}/{:03}", day.year(), index + 1, number + 1);
                    let command = Command::HandOverGrant(HandOverGrant {
                        grant_id,
                        handed_over_on: None,
                        place: "Kantor Disnakertrans".to_owned(),
                        recipient: RecipientKind::Sendiri,
                        authority_ref: None,
                    });
                    push(
                        story,
                        command,
                        provider_staff(provider, Role::PetugasSerahTerima, "bendahara"),
                        None,
                        Some(bast),
                    );
                    story.at(date_add(day, 120), Phase::Grants, Step::Monitor(grant_id, provider));
                    continue;
                };
                let bast = format!("BAST/{}/{:03}/{:03}", day.year(), index + 1, number + 1);
                if person.in_custody {
                    let release_on = person.release_on;
                    let command = Command::DeferGrantHandover(DeferGrantHandover {
                        grant_id,
                        reason_code: DeferralReason::MasihDitahan,
                        storage_ref: Some(format!("REG-D/{}/{}", day.year(), number + 1)),
                    });
                    push(
                        story,
                        command,
                        provider_staff(provider, Role::PetugasSerahTerima, "bendahara"),
                        None,
                        None,
                    );
                    let later = date_add(release_on.max(day), 14);
                    story.at(later, Phase::Grants, Step::HandOverLater(grant_id, provider, bast));
                } else {
                    let command = Command::HandOverGrant(HandOverGrant {
                        grant_id,
                        handed_over_on: None,
                        place: "Kantor Disnakertrans".to_owned(),
                        recipient: RecipientKind::Sendiri,
                        authority_ref: None,
                    });
                    push(
                        story,
                        command,
                        provider_staff(provider, Role::PetugasSerahTerima, "bendahara"),
                        None,
                        Some(bast),
                    );
                    story.at(date_add(day, 120), Phase::Grants, Step::Monitor(grant_id, provider));
                }
            }
        }
        Step::HandOverLater(grant_id, provider, bast) => {
            let command = Command::HandOverGrant(HandOverGrant {
                grant_id,
                handed_over_on: None,
                place: "Kantor Disnakertrans".to_owned(),
                recipient: RecipientKind::Sendiri,
                authority_ref: None,
            });
            push(
                story,
                command,
                provider_staff(provider, Role::PetugasSerahTerima, "bendahara"),
                None,
                Some(bast),
            );
            story.at(date_add(day, 120), Phase::Grants, Step::Monitor(grant_id, provider));
        }
        Step::Monitor(grant_id, provider) => {
            let visit_id = ids::derived_id(grant_id, &format!("visit-{day}"));
            let business_status = *[
                BusinessStatus::Berjalan,
                BusinessStatus::Berjalan,
                BusinessStatus::Berjalan,
                BusinessStatus::TidakBerjalan,
                BusinessStatus::Dijual,
            ]
            .choose(&mut story.rng)
            .expect("non-empty");
            push(
                story,
                Command::RecordGrantMonitoring(RecordGrantMonitoring {
                    grant_id,
                    visit_id,
                    business_status,
                    visited_on: None,
                }),
                provider_staff(provider, Role::DisnakerAdmin, "admin"),
                None,
                None,
            );
        }
    }
}

type Push<'p> = dyn FnMut(&mut Story, Command, Issuer, Option<&str>, Option<String>) + 'p;

fn define_package(story: &mut Story, index: usize, push: &mut Push<'_>) {
    let package = &story.packages[index];
    let (skill, title) = SKILLS[package.skill];
    let facilities = vec![FACILITIES[package.facility].0.to_owned()];
    let location = match package.venue {
        VenueType::InFacility => FACILITIES[package.facility].1.to_owned(),
        VenueType::TrainingCentre => "BLK Kupang".to_owned(),
        VenueType::Village => "Balai Desa".to_owned(),
    };
    let command = Command::DefinePackage(DefinePackage {
        package_id: package.id,
        title: format!("{title} angkatan {}", index + 1),
        provider: PROVIDERS[package.provider].0.to_owned(),
        skill: skill.to_owned(),
        skkni_units: vec![format!("SKKNI-{skill}-01")],
        venue_type: package.venue,
        location,
        facilities,
        planned_hours: package.sessions.len() as u32 * 4,
        start_date: package.start,
        end_date: package.end,
        quota_total: package.quota,
        quota_inmates: (package.venue != VenueType::InFacility).then_some(package.quota * 2 / 3),
        attendance_threshold_percent: None,
        funding_source: format!("APBD {}", package.start.year()),
        grant_policy: None,
    });
    let (provider, id, sessions) = (package.provider, package.id, package.sessions.clone());
    push(story, command, provider_staff(provider, Role::DisnakerAdmin, "admin"), None, None);
    for (date, session_id) in sessions {
        let command = Command::ScheduleSession(ScheduleSession {
            package_id: id,
            session_id,
            date,
            start_time: chrono::NaiveTime::from_hms_opt(8, 0, 0).expect("a time"),
            end_time: chrono::NaiveTime::from_hms_opt(12, 0, 0).expect("a time"),
            hours: 4,
        });
        push(story, command, provider_staff(provider, Role::Instruktur, "instruktur1"), None, None);
    }
}

/// Nominates inmates in custody at the package's facility who are free, and registers public
/// applicants for packages outside the walls.
fn nominate(story: &mut Story, index: usize, day: NaiveDate, push: &mut Push<'_>) {
    let (facility, venue, quota, package_id, end) = {
        let package = &story.packages[index];
        (package.facility, package.venue, package.quota, package.id, package.end)
    };
    let public_share = if venue == VenueType::InFacility { 0.0 } else { 0.35 };
    let inmate_places = ((f64::from(quota) * (1.0 - public_share)) * 1.3).ceil() as usize;
    let mut candidates: Vec<usize> = (0..story.people.len())
        .filter(|&person| {
            let p = &story.people[person];
            p.in_custody && p.facility == facility && p.busy_until < day && !p.died
        })
        .collect();
    candidates.sort_by_key(|&person| (story.people[person].busy_until, person));
    for person in candidates.into_iter().take(inmate_places) {
        let participation_id =
            streams::participation_id(package_id, &story.people[person].person_ref);
        story.people[person].busy_until = end;
        story.packages[index].inmates.push((person, participation_id));
        story.participation_person.insert(participation_id, person);
        let person_ref = story.people[person].person_ref.clone();
        push(
            story,
            Command::NominateInmate(NominateInmate { package_id, person_ref }),
            petugas(facility),
            None,
            None,
        );
    }
    let public_count = (f64::from(quota) * public_share).ceil() as usize;
    for number in 0..public_count {
        let applicant = format!("APL-{}-{index}-{number}", story.seed);
        let person_ref = person_ref(&DEMO_PERSON_KEY, IdKind::Applicant, &applicant);
        let participation_id = streams::participation_id(package_id, &person_ref);
        story.packages[index].public.push(participation_id);
        story.summary.public_applicants += 1;
        let sex = if story.rng.random_bool(0.5) { Sex::LakiLaki } else { Sex::Perempuan };
        let command = Command::RegisterPublicApplicant(RegisterPublicApplicant {
            package_id,
            person_ref,
            desa_code: format!("53.02.{:02}.20{:02}", 1 + number % 9, 1 + number % 20),
            kecamatan_code: format!("53.02.{:02}", 1 + number % 9),
            sex: Some(sex),
            age_band: Some(AgeBand::From18To25),
        });
        push(
            story,
            command,
            provider_staff(story.packages[index].provider, Role::DisnakerAdmin, "admin"),
            None,
            None,
        );
    }
}
