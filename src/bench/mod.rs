//! `jejak bench`: the fixed benchmark workload (docs/PERFORMANCE.md) and its measurements.
//!
//! The workload: packages of 20 participations with 40 sessions each; every participation is
//! one stream of 45 events (nominated, approved, accepted, started, 40 attendance marks,
//! graduated) written in one append, and its grant proposal a one-event stream. The log runs
//! over years on a simulated clock, each package recorded as it ends, so `recorded_at` and the
//! business dates move forward together as in real use. Payloads are the real event types,
//! 150-250 bytes each, so every fold does its real work.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveTime};
use events::catalogue::{
    AttendanceRecorded, Event, GrantItem, GrantProposed, NominationApproved, PackageDefined,
    PackageStarted, ParticipantAccepted, ParticipantGraduated, ParticipantNominated,
    ParticipationStarted, PersonAttributes, SessionScheduled,
};
use events::vocabulary::{
    AttendanceCode, GrantPolicy, LegalStatus, ParticipantCategory, RegisterClass, VenueType,
};
use events::{
    AppendRequest, ExpectedVersion, Metadata, NewEvent, Source, StreamAppend, Timestamp, ids,
    streams,
};
use futures::StreamExt;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use uuid::Uuid;

use crate::clock::SimulatedClock;

pub mod command;
pub mod raw;
pub mod suite;
pub mod tree;
use crate::history::{History, HistoryError, Moment};
use crate::store::{AppendError, Store, StoreError};
use projections::report::Options;
use projections::views::ViewDef;

/// Participations per package.
pub const PACKAGE_SIZE: usize = 20;
/// Sessions per package, and marks per participation.
pub const SESSIONS: usize = 40;
/// Participations per facility: packages go round the facilities, as many as the workload has
/// participations over this (at least one), as in the country (about 270,000 inmates in 500
/// facilities).
pub const PARTICIPATIONS_PER_FACILITY: usize = 500;
/// The first package starts here; one starts every other day.
pub const WORKLOAD_START: NaiveDate = NaiveDate::from_ymd_opt(2020, 1, 6).expect("a date");

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("the log holds {0} events; the workload is written only to an empty log")]
    NotEmpty(i64),
    #[error(transparent)]
    Append(#[from] AppendError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error(transparent)]
    Projector(#[from] crate::projector::ProjectorError),
    #[error(transparent)]
    Verify(#[from] crate::verify::VerifyError),
    #[error(transparent)]
    Tree(#[from] crate::tree::TreeError),
    #[error("the bench's files: {0}")]
    Io(std::io::Error),
    #[error("the workload did not come out as written: {0}")]
    Mismatch(String),
    #[error("no workload is called `{0}`; the workloads are {WORKLOADS}")]
    UnknownWorkload(String),
}

/// The workloads of the suite, by name.
pub const WORKLOADS: &str = "W1, W2, W1cmd, W3, W4, W5, W6, W7";

/// What writing the workload took.
#[derive(Debug, Clone, Serialize)]
pub struct Filled {
    pub streams: usize,
    pub events: i64,
    pub seconds: f64,
    pub events_per_second: f64,
}

/// The code of the facility a package of a workload of `participations` runs in: `UPT-0000`,
/// `UPT-0001`, … in turn.
pub fn facility(index: usize, participations: usize) -> String {
    let facilities = participations.div_ceil(PARTICIPATIONS_PER_FACILITY).max(1);
    format!("UPT-{:04}", index % facilities)
}

fn metadata(actor: &str, role: &str, facility: &str) -> Metadata {
    Metadata {
        actor: actor.to_owned(),
        role: role.to_owned(),
        organisation: facility.to_owned(),
        source: Source::Import,
        correlation_id: Uuid::nil(),
        causation_id: None,
    }
}

fn new_event(event: &Event, occurred_at: Timestamp, facility: &str) -> NewEvent {
    NewEvent {
        event_type: event.event_type().to_owned(),
        schema_version: event.schema_version(),
        occurred_at,
        facility: Some(facility.to_owned()),
        reason: None,
        document_ref: None,
        payload: event.to_payload(),
    }
}

/// One package of the workload: its own stream, its participations' streams and their grants.
pub struct PackageWork {
    pub package_id: Uuid,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub sessions: Vec<(Uuid, NaiveDate)>,
    /// The package stream: defined, 40 sessions scheduled, started.
    pub package: AppendRequest,
    /// One append of 45 events per participation stream.
    pub participations: Vec<AppendRequest>,
    /// One single-event grant stream per participation.
    pub grants: Vec<AppendRequest>,
}

impl PackageWork {
    /// When the package is recorded: 09:00 on its last day.
    pub fn recorded_at(&self) -> Timestamp {
        Timestamp::start_of_day(self.end)
            .expect("in range")
            .checked_add_micros(9 * 3_600_000_000)
            .expect("in range")
    }
}

/// The packages of a workload of `participations` streams, generated in order from `seed`.
pub fn packages(participations: usize, seed: u64) -> impl Iterator<Item = PackageWork> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..participations.div_ceil(PACKAGE_SIZE)).map(move |index| {
        let size = PACKAGE_SIZE.min(participations - index * PACKAGE_SIZE);
        package_work(seed, index, size, &facility(index, participations), &mut rng)
    })
}

/// The appends of one package: its own stream, then each participation and grant.
fn package_work(
    seed: u64,
    index: usize,
    participations: usize,
    facility: &str,
    rng: &mut ChaCha8Rng,
) -> PackageWork {
    let base = Uuid::from_u128(0x6a65_6a61_6b2d_6265_6e63_6800_0000_0000 + u128::from(seed));
    let package_id = ids::derived_id(base, &format!("package-{index}"));
    let start = WORKLOAD_START + chrono::Days::new(2 * index as u64);
    let end = start + chrono::Days::new(55);
    let at = |date: NaiveDate| Timestamp::start_of_day(date).expect("in range");
    let sessions: Vec<(Uuid, NaiveDate)> = (0..SESSIONS)
        .map(|n| {
            (
                ids::derived_id(package_id, &format!("session-{n}")),
                start + chrono::Days::new(n as u64 + n as u64 / 5 * 2),
            )
        })
        .collect();
    let mut package = vec![Event::PackageDefined(PackageDefined {
        package_id,
        title: format!("Menjahit angkatan {index}"),
        provider: "DISNAKERTRANS-TTS".to_owned(),
        skill: "menjahit".to_owned(),
        skkni_units: vec!["C.14.01".to_owned()],
        venue_type: VenueType::InFacility,
        location: format!("Bengkel kerja {facility}"),
        facilities: vec![facility.to_owned()],
        planned_hours: 160,
        start_date: start,
        end_date: end,
        quota_total: PACKAGE_SIZE as u32,
        quota_inmates: None,
        attendance_threshold_percent: 80,
        funding_source: "APBD Kab. TTS".to_owned(),
        grant_policy: GrantPolicy::GraduatesOnly,
    })];
    package.extend(sessions.iter().map(|(session_id, date)| {
        Event::SessionScheduled(SessionScheduled {
            package_id,
            session_id: *session_id,
            date: *date,
            start_time: NaiveTime::from_hms_opt(8, 0, 0).expect("a time"),
            end_time: NaiveTime::from_hms_opt(12, 0, 0).expect("a time"),
            hours: 4,
        })
    }));
    package.push(Event::PackageStarted(PackageStarted { package_id, started_on: start }));
    let stream = |id: String, events: Vec<Event>, occurred: Timestamp| StreamAppend {
        stream_id: id,
        expected: ExpectedVersion::NO_STREAM,
        events: events.iter().map(|event| new_event(event, occurred, facility)).collect(),
    };
    let command = |label: String| ids::derived_id(base, &label);
    let package = AppendRequest::new(
        command(format!("package-{index}")),
        metadata("disnaker.admin", "disnaker_admin", facility),
        vec![stream(streams::package(package_id), package, at(start))],
    );
    let (mut participation_appends, mut grant_appends) = (Vec::new(), Vec::new());
    for n in 0..participations {
        let person_ref =
            format!("p{:032x}", u128::from(seed) << 64 | (index * PACKAGE_SIZE + n) as u128);
        let participation_id = streams::participation_id(package_id, &person_ref);
        let mut events = vec![
            Event::ParticipantNominated(ParticipantNominated {
                participation_id,
                package_id,
                person_ref: person_ref.clone(),
                custody_episode_ref: format!("REG-BENCH-{index}-{n}"),
                category: ParticipantCategory::Wbp,
                legal_status: LegalStatus::Narapidana,
                register_class: Some(RegisterClass::BI),
                attributes: PersonAttributes::default(),
            }),
            Event::NominationApproved(NominationApproved {
                participation_id,
                tpp_session_date: start - chrono::Days::new(14),
                nominated_by: "petugas.bench".to_owned(),
            }),
            Event::ParticipantAccepted(ParticipantAccepted {
                participation_id,
                accepted_on: start - chrono::Days::new(7),
            }),
            Event::ParticipationStarted(ParticipationStarted {
                participation_id,
                started_on: start,
            }),
        ];
        events.extend(sessions.iter().map(|(session_id, date)| {
            let code =
                if rng.random_bool(0.92) { AttendanceCode::Hadir } else { AttendanceCode::Izin };
            Event::AttendanceRecorded(AttendanceRecorded {
                participation_id,
                session_id: *session_id,
                session_date: *date,
                code,
                minutes_late: None,
            })
        }));
        events.push(Event::ParticipantGraduated(ParticipantGraduated {
            participation_id,
            assessment_id: ids::derived_id(participation_id, "assessment"),
            graduated_on: end,
        }));
        participation_appends.push(AppendRequest::new(
            command(format!("participation-{index}-{n}")),
            metadata("instruktur.bench", "instruktur", facility),
            vec![stream(streams::participation(participation_id), events, at(end))],
        ));
        let grant_id = streams::grant_id(participation_id);
        let grant = Event::GrantProposed(GrantProposed {
            grant_id,
            participation_id,
            package_id,
            person_ref,
            items: vec![GrantItem {
                name: "mesin jahit".to_owned(),
                quantity: 1,
                unit_value_rupiah: 2_750_000,
            }],
            capital_rupiah: 1_000_000,
            total_rupiah: 3_750_000,
            funding_source: "APBD Kab. TTS".to_owned(),
            budget_line: "5.1.02.99".to_owned(),
        });
        grant_appends.push(AppendRequest::new(
            command(format!("grant-{index}-{n}")),
            metadata("disnaker.admin", "disnaker_admin", facility),
            vec![stream(streams::grant(grant_id), vec![grant], at(end))],
        ));
    }
    PackageWork {
        package_id,
        start,
        end,
        sessions,
        package,
        participations: participation_appends,
        grants: grant_appends,
    }
}

/// Writes the workload of `streams` participation streams to an empty log, `writers` appends
/// at a time, with the clock following the story.
pub async fn fill(
    store: &Store,
    clock: &Arc<SimulatedClock>,
    participations: usize,
    seed: u64,
    writers: usize,
    mut progress: impl FnMut(i64),
) -> Result<Filled, BenchError> {
    let head = store.head().await?.position;
    if head > 0 {
        return Err(BenchError::NotEmpty(head));
    }
    let started = Instant::now();
    for work in packages(participations, seed) {
        clock.set(work.recorded_at());
        // The package first, then its participations and grants concurrently.
        store.append(work.package).await?;
        let appends = work.participations.into_iter().chain(work.grants);
        let results: Vec<_> = futures::stream::iter(appends.map(|request| store.append(request)))
            .buffer_unordered(writers.max(1))
            .collect()
            .await;
        for result in results {
            result?;
        }
        progress(store.head().await?.position);
    }
    let events = store.head().await?.position;
    let seconds = started.elapsed().as_secs_f64();
    Ok(Filled {
        streams: participations,
        events,
        seconds,
        events_per_second: events as f64 / seconds,
    })
}

/// Timings of one as-of question.
#[derive(Debug, Clone, Serialize)]
pub struct AsOfTiming {
    pub projection: &'static str,
    /// The view computed from the fold.
    pub view: &'static str,
    /// The facility the question is about; `None` for the whole log.
    pub facility: Option<String>,
    pub as_of: NaiveDate,
    pub milliseconds: f64,
    /// The snapshot the fold started from (its position, 0 for none) and the events folded
    /// after it.
    pub snapshot: i64,
    pub folded: usize,
}

/// Answers as-of questions on random business dates of the workload, after the snapshots are
/// taken: each projection's first view over the whole log, and the enrolment of one facility
/// (`UPT-0000`). Returns the time to take the snapshots and each answer's time.
pub async fn as_of_questions(
    store: &Store,
    history: &History,
    questions: usize,
    seed: u64,
) -> Result<(Duration, Vec<AsOfTiming>), BenchError> {
    let one_facility = Options { facility: Some(facility(0, 1)), ..Options::default() };
    let mut asked: Vec<(ViewDef, Options)> = projections::projection::all()
        .into_iter()
        .map(|projection| (first_view(projection.name), Options::default()))
        .collect();
    asked.push((first_view("programme"), one_facility));
    let started = Instant::now();
    for (view, options) in &asked {
        let projection = projections::projection::named(view.projection).expect("a projection");
        history.ensure_snapshots(projection, &projection.scope(options)).await?;
    }
    let snapshots = started.elapsed();
    let head = store.head().await?;
    let last = head.recorded_at.map_or(WORKLOAD_START, Timestamp::date);
    let span = (last - WORKLOAD_START).num_days().max(1);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
    let mut timings = Vec::new();
    for _ in 0..questions {
        let as_of = WORKLOAD_START + chrono::Days::new(rng.random_range(0..span) as u64);
        for (view, options) in &asked {
            let projection = projections::projection::named(view.projection).expect("a projection");
            let started = Instant::now();
            let moment = Moment { as_of: Some(as_of), known_at: None };
            let folded = history.fold_at(projection, &projection.scope(options), moment).await?;
            let report = crate::reports::from_fold(*view, &folded, options, history.config());
            std::hint::black_box(report);
            timings.push(AsOfTiming {
                projection: view.projection,
                view: view.name,
                facility: options.facility.clone(),
                as_of,
                milliseconds: started.elapsed().as_secs_f64() * 1000.0,
                snapshot: folded.snapshot,
                folded: folded.folded,
            });
        }
    }
    Ok((snapshots, timings))
}

/// A projection's first view: the answer a question about it is timed by.
pub fn first_view(projection: &str) -> ViewDef {
    projections::views::all()
        .into_iter()
        .find(|view| view.projection == projection)
        .expect("every projection has a view")
}
