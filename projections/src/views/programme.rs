//! Views of the `programme` projection: enrolment, attendance, funnel, outcomes, grants, inbox.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use chrono::{Datelike, NaiveDate};
use events::attendance::{Rate, SessionMark};
use events::vocabulary::AttendanceCode;
use uuid::Uuid;

use super::Input;
use crate::programme::{
    GrantRow, GrantVisitRow, PackageRow, ParticipationRow, RegisterRow, SessionRow, SuspensionRow,
    TaskRow, key, register_code,
};
use crate::report::{Cell, Head, Report, Section, Sink, median};
use crate::table::{Record, Tables};
pub use cuts::{VIEWS as PUBLISHED_VIEWS, published_cuts};

mod cuts;

/// Whether `input` asks about a package: of its facility (or of none), skill, provider and
/// period.
fn wanted_package(input: &Input<'_>, package: &PackageRow) -> bool {
    (input.facility_matches(package.facility.as_deref()) || package.facility.is_none())
        && input.skill_matches(&package.skill)
        && input.provider_matches(&package.provider)
        && input.period_overlaps(package.start_date, package.end_date)
}

/// Whether `input` asks about a participation: in one of `packages`, and an inmate of its
/// facility when it asks about one.
fn wanted_participation(
    input: &Input<'_>,
    participation: &ParticipationRow,
    packages: &BTreeMap<Uuid, PackageRow>,
) -> bool {
    packages.contains_key(&participation.package_id)
        && (input.options.facility.is_none()
            || participation.category != "wbp"
            || input.facility_matches(participation.facility.as_deref()))
}

/// The lists of `map` under the keys `keys` holds.
fn kept<V: Clone>(map: &BTreeMap<Uuid, V>, keys: &BTreeSet<Uuid>) -> BTreeMap<Uuid, V> {
    map.iter().filter(|(id, _)| keys.contains(id)).map(|(id, list)| (*id, list.clone())).collect()
}

/// The tables the views of participants read ([`Programme::load_frame`] and the participations
/// with their registers).
pub(super) const PARTICIPANT_TABLES: &[&str] = &[
    PackageRow::TABLE,
    SessionRow::TABLE,
    ParticipationRow::TABLE,
    RegisterRow::TABLE,
    SuspensionRow::TABLE,
    TaskRow::TABLE,
];

/// The tables the grant register reads.
pub(super) const GRANT_TABLES: &[&str] =
    &[PackageRow::TABLE, GrantRow::TABLE, GrantVisitRow::TABLE];

/// The programme's tables, indexed for the views.
struct Programme {
    packages: BTreeMap<Uuid, PackageRow>,
    sessions: Sessions,
    participations: Vec<ParticipationRow>,
    /// The registers of the participations above: a letter per session of the package, in
    /// the order of the sessions' numbers (`RegisterRow`). A byte per mark: a view of a large
    /// log holds millions.
    marks: BTreeMap<Uuid, Box<[u8]>>,
    suspensions: BTreeMap<Uuid, Vec<SuspensionRow>>,
    grants: Vec<GrantRow>,
    visits: BTreeMap<Uuid, Vec<GrantVisitRow>>,
    tasks: Vec<TaskRow>,
}

impl Programme {
    /// What the views of participants need beside the participations themselves: the packages,
    /// sessions, suspensions and inbox as `input` asks. A view with a row per participant reads
    /// the participations one at a time ([`Programme::participations`]); a whole country has
    /// hundreds of thousands.
    fn load_frame(input: &Input<'_>) -> Programme {
        let tables = input.tables;
        let sessions = Sessions::of(tables);
        let mut suspensions: BTreeMap<Uuid, Vec<SuspensionRow>> = BTreeMap::new();
        for suspension in tables.all::<SuspensionRow>() {
            suspensions.entry(suspension.participation_id).or_default().push(suspension);
        }
        // The inbox belongs to facilities: a provider's view has none.
        let tasks = tables
            .all::<TaskRow>()
            .filter(|task| input.facility_matches(Some(&task.facility)))
            .filter(|_| input.options.provider.is_none())
            .collect();
        Programme {
            packages: wanted_packages(input),
            sessions,
            participations: Vec::new(),
            marks: BTreeMap::new(),
            suspensions,
            grants: Vec::new(),
            visits: BTreeMap::new(),
            tasks,
        }
    }

    /// The programme's packages, sessions and participants as `input` asks, without grants.
    fn load_participants(input: &Input<'_>) -> Programme {
        let frame = Programme::load_frame(input);
        let mut participations: Vec<ParticipationRow> = Vec::new();
        let mut marks: BTreeMap<Uuid, Box<[u8]>> = BTreeMap::new();
        for participation in frame.participations(input) {
            let id = participation.participation_id;
            if let Some(letters) = register(input.tables, id) {
                marks.insert(id, letters);
            }
            participations.push(participation);
        }
        // Collected without knowing how many: up to twice the room, of the largest rows here.
        participations.shrink_to_fit();
        Programme { participations, marks, ..frame }
    }

    /// The participations `input` asks about, read from the tables one at a time in the order
    /// of their ids.
    fn participations<'a>(
        &'a self,
        input: &'a Input<'_>,
    ) -> impl Iterator<Item = ParticipationRow> + 'a {
        input
            .tables
            .all::<ParticipationRow>()
            .filter(|p| wanted_participation(input, p, &self.packages))
    }

    /// The programme with its grants and their visits: the views of participants and sessions
    /// (enrolment, attendance, inbox) need none, and a whole country's are as many rows again.
    fn load(input: &Input<'_>) -> Programme {
        Programme::load_participants(input).with_grants(input)
    }

    fn with_grants(self, input: &Input<'_>) -> Programme {
        let (tables, packages) = (input.tables, &self.packages);
        let mut grants: Vec<GrantRow> = tables
            .all::<GrantRow>()
            .filter(|grant| packages.contains_key(&grant.package_id))
            .collect();
        grants.shrink_to_fit();
        let mut visits: BTreeMap<Uuid, Vec<GrantVisitRow>> = BTreeMap::new();
        for visit in tables.all::<GrantVisitRow>() {
            visits.entry(visit.grant_id).or_default().push(visit);
        }
        Programme { grants, visits, ..self }
    }

    /// This programme narrowed to what `input` asks, as `load` would read it from the tables:
    /// a family of published cuts reads the tables once and narrows for each cut.
    fn narrowed(&self, input: &Input<'_>) -> Programme {
        let packages: BTreeMap<Uuid, PackageRow> = self
            .packages
            .iter()
            .filter(|(_, package)| wanted_package(input, package))
            .map(|(id, package)| (*id, package.clone()))
            .collect();
        let participations: Vec<ParticipationRow> = self
            .participations
            .iter()
            .filter(|p| wanted_participation(input, p, &packages))
            .cloned()
            .collect();
        let package_ids: BTreeSet<Uuid> = packages.keys().copied().collect();
        let participation_ids: BTreeSet<Uuid> =
            participations.iter().map(|p| p.participation_id).collect();
        let grants: Vec<GrantRow> =
            self.grants.iter().filter(|g| packages.contains_key(&g.package_id)).cloned().collect();
        let grant_ids: BTreeSet<Uuid> = grants.iter().map(|g| g.grant_id).collect();
        Programme {
            sessions: self.sessions.kept(&package_ids),
            marks: kept(&self.marks, &participation_ids),
            suspensions: kept(&self.suspensions, &participation_ids),
            visits: kept(&self.visits, &grant_ids),
            tasks: self
                .tasks
                .iter()
                .filter(|task| input.facility_matches(Some(&task.facility)))
                .filter(|_| input.options.provider.is_none())
                .cloned()
                .collect(),
            packages,
            participations,
            grants,
        }
    }

    /// Whether a participant was in training on `date` (started, not stopped, not suspended).
    fn active_on(&self, participation: &ParticipationRow, date: NaiveDate) -> bool {
        let Some(started) = participation.started_on else { return false };
        let before_stop = participation.stopped_on.is_none_or(|stopped| date <= stopped);
        let suspended = self.suspensions.get(&participation.participation_id).is_some_and(|list| {
            list.iter().any(|s| {
                s.suspended_on <= date && s.resumed_on.is_none_or(|resumed| date < resumed)
            })
        });
        started <= date && before_stop && !suspended
    }

    /// The letters of a participant's register, as loaded.
    fn letters(&self, participation: &ParticipationRow) -> Option<&[u8]> {
        self.marks.get(&participation.participation_id).map(|letters| &**letters)
    }

    /// The attendance rate by `events::attendance::rate`, the one definition.
    fn rate(&self, participation: &ParticipationRow, as_of: NaiveDate) -> Rate {
        self.rate_with(participation, self.letters(participation), as_of)
    }

    /// The attendance rate of a participant whose register's letters are `letters`.
    fn rate_with(
        &self,
        participation: &ParticipationRow,
        letters: Option<&[u8]>,
        as_of: NaiveDate,
    ) -> Rate {
        let sessions = self.sessions.of_package(&participation.package_id);
        events::attendance::rate(sessions.iter().map(|session| SessionMark {
            held_while_active: !session.cancelled
                && session.date <= as_of
                && self.active_on(participation, session.date),
            hours: session.hours as u32,
            mark: mark_in(letters, participation, session),
        }))
    }
}

/// Every package's sessions in date order (then by id), packages in the order of their ids:
/// one list in one allocation of the size it needs, each package's range of it beside. A
/// national log has hundreds of thousands of sessions; a list per package grown a session at
/// a time held half as much again.
#[derive(Debug, Clone, Default)]
struct Sessions {
    rows: Vec<SessionRow>,
    packages: BTreeMap<Uuid, Range<usize>>,
}

impl Sessions {
    /// The sessions in `tables`.
    fn of(tables: &Tables) -> Sessions {
        let mut rows = Vec::with_capacity(tables.count(SessionRow::TABLE));
        rows.extend(tables.all::<SessionRow>());
        // Unstable: a stable sort takes a buffer of half the list; the ids make keys unique.
        rows.sort_unstable_by_key(|session| (session.package_id, session.date, session.session_id));
        Sessions::grouped(rows)
    }

    /// `rows`, already in package order, with each package's range.
    fn grouped(rows: Vec<SessionRow>) -> Sessions {
        let mut packages = BTreeMap::new();
        let mut start = 0;
        for list in rows.chunk_by(|a, b| a.package_id == b.package_id) {
            packages.insert(list[0].package_id, start..start + list.len());
            start += list.len();
        }
        Sessions { rows, packages }
    }

    /// The sessions of one package, in date order; none for a package without any.
    fn of_package(&self, package_id: &Uuid) -> &[SessionRow] {
        self.packages.get(package_id).map_or(&[], |range| &self.rows[range.clone()])
    }

    /// Each package with sessions, in the order of their ids, with its sessions.
    fn by_package(&self) -> impl Iterator<Item = (&Uuid, &[SessionRow])> {
        self.packages.iter().map(|(id, range)| (id, &self.rows[range.clone()]))
    }

    /// The sessions of the packages in `keep`.
    fn kept(&self, keep: &BTreeSet<Uuid>) -> Sessions {
        let rows = self
            .by_package()
            .filter(|(id, _)| keep.contains(id))
            .flat_map(|(_, list)| list.iter().cloned())
            .collect();
        Sessions::grouped(rows)
    }
}

/// The packages `input` asks about.
fn wanted_packages(input: &Input<'_>) -> BTreeMap<Uuid, PackageRow> {
    input
        .tables
        .all::<PackageRow>()
        .filter(|package| wanted_package(input, package))
        .map(|package| (package.package_id, package))
        .collect()
}

/// The letters of a participation's attendance register, a byte a session: a view of a large
/// log holds millions of marks.
fn register(tables: &crate::table::Tables, participation: Uuid) -> Option<Box<[u8]>> {
    let register = tables.get::<RegisterRow>(&key(participation))?;
    Some(register.marks.into_bytes().into_boxed_slice())
}

/// The mark in a register's `letters` for a session of the participant's package, if it has
/// one: a letter that is no code of ours counts nowhere.
fn mark_in(
    letters: Option<&[u8]>,
    participation: &ParticipationRow,
    session: &SessionRow,
) -> Option<AttendanceCode> {
    if session.package_id != participation.package_id {
        return None;
    }
    let index = usize::try_from(session.number).ok()?.checked_sub(1)?;
    register_code(char::from(*letters?.get(index)?))
}

/// The figures leadership opens first, as of the day: who is in training, this week's sessions,
/// attendance so far, places free, and this year's graduates, certificates and grants.
pub(super) fn overview(input: &Input<'_>) -> Report {
    if input.options.published {
        return cuts::published(input, "overview");
    }
    overview_from(input, &Programme::load(input))
}

/// The overview of `programme`, the tables narrowed to what `input` asks.
fn overview_from(input: &Input<'_>, programme: &Programme) -> Report {
    let as_of = input.as_of;
    let week_start = as_of - chrono::Days::new(6);
    let this_year = |date: Option<NaiveDate>| {
        date.is_some_and(|date| date.year() == as_of.year() && date <= as_of)
    };
    let active = programme.participations.iter().filter(|p| programme.active_on(p, as_of)).count();
    let sessions_this_week = programme
        .packages
        .keys()
        .flat_map(|id| programme.sessions.of_package(id))
        .filter(|session| !session.cancelled && session.date >= week_start && session.date <= as_of)
        .count();
    let (attended, counted, people) = programme
        .participations
        .iter()
        .filter(|p| p.started_on.is_some_and(|started| started <= as_of))
        .map(|p| programme.rate(p, as_of))
        .fold((0_i64, 0_i64, 0_i64), |(a, c, n), rate| {
            let expected = i64::from(rate.expected);
            (a + i64::from(rate.attended), c + expected, n + i64::from(expected > 0))
        });
    // The rate of one to four people is theirs: a published cut does not print it.
    let attendance = if input.options.published && (1..=4).contains(&people) {
        Cell::Suppressed
    } else {
        Cell::percent(attended, counted)
    };
    let vacancies: i64 = programme
        .packages
        .values()
        .filter(|package| matches!(package.status.as_str(), "planned" | "started"))
        .map(|package| (package.quota_total - package.places_taken).max(0))
        .sum();
    let graduates = programme.participations.iter().filter(|p| this_year(p.graduated_on)).count();
    let certified = programme.participations.iter().filter(|p| this_year(p.certified_on)).count();
    let handed_over: Vec<&GrantRow> =
        programme.grants.iter().filter(|grant| this_year(grant.handed_over_on)).collect();
    let open_tasks = programme.tasks.iter().filter(|task| task.acknowledged_on.is_none()).count();
    let mut section = Section::new("indicators", "Ringkasan (overview)", &["indicator", "value"]);
    let mut push = |name: &str, value: Cell| section.push(vec![Cell::text(name), value]);
    push("active_participants", Cell::Int(active as i64));
    push("sessions_this_week", Cell::Int(sessions_this_week as i64));
    push("attendance_percent", attendance);
    push("places_left", Cell::Int(vacancies));
    push("graduates_this_year", Cell::Int(graduates as i64));
    push("certified_this_year", Cell::Int(certified as i64));
    push("grants_handed_over_this_year", Cell::Int(handed_over.len() as i64));
    push(
        "grant_rupiah_handed_over_this_year",
        Cell::Int(handed_over.iter().map(|grant| grant.total_rupiah).sum()),
    );
    push("open_inbox_tasks", Cell::Int(open_tasks as i64));
    let notes = vec![format!(
        "As of {as_of}: this week is {week_start} to {as_of}; this year is {}. Attendance is over every session held so far for participants in training (the one rate definition).",
        as_of.year()
    )];
    report(input, "overview", "Ringkasan (overview)", vec![section], notes)
}

fn report(
    input: &Input<'_>,
    view: &str,
    title: &str,
    sections: Vec<Section>,
    notes: Vec<String>,
) -> Report {
    Report { sections, notes, ..Report::from_head(head(input, view, title)) }
}

fn head(input: &Input<'_>, view: &str, title: &str) -> Head {
    let mut parameters = input.options.parameters();
    parameters.insert("as_of".to_owned(), input.as_of.to_string());
    Head {
        view: view.to_owned(),
        title: title.to_owned(),
        provenance: input.provenance(None),
        parameters,
    }
}

fn reached(date: Option<NaiveDate>) -> i64 {
    i64::from(date.is_some())
}

pub(super) fn enrolment(input: &Input<'_>) -> Report {
    super::collected(input, write_enrolment)
}

/// The enrolment report, its row per participant handed on as it is made.
pub(super) fn write_enrolment(input: &Input<'_>, sink: &mut dyn Sink) {
    let programme = Programme::load_frame(input);
    sink.head(head(input, "enrolment", "Daftar peserta per paket (enrolment)"));
    enrolment_packages(input, &programme, sink);
    enrolment_participants(input, &programme, sink);
    sink.notes(Vec::new());
}

/// How many of a package's participants reached each state, in the order of the enrolment
/// columns from `nominated` to `graduated`.
type StateCounts = [i64; 12];

fn state_counts(p: &ParticipationRow) -> StateCounts {
    let inmate = p.category == "wbp";
    let status = |status: &str| p.status == status;
    [
        inmate,
        p.eligible == Some(true),
        inmate && p.decided_on.is_some() && p.rejection_reason.is_none(),
        inmate && p.accepted_on.is_some(),
        !inmate && p.accepted_on.is_some(),
        status("waitlisted"),
        status("active"),
        status("suspended"),
        status("withdrawn"),
        status("ended"),
        p.completed_on.is_some(),
        p.graduated_on.is_some(),
    ]
    .map(i64::from)
}

/// Enrolment per package: its places and how many of its participants reached each state.
fn enrolment_packages(input: &Input<'_>, programme: &Programme, sink: &mut dyn Sink) {
    sink.section(Section::new(
        "packages",
        "Enrolment per package (daftar peserta)",
        &[
            "package_id",
            "title",
            "skill",
            "provider",
            "facility",
            "venue_type",
            "start_date",
            "end_date",
            "status",
            "quota",
            "quota_inmates",
            "nominated",
            "eligible",
            "approved",
            "accepted_inmates",
            "accepted_public",
            "waiting_list",
            "active",
            "suspended",
            "withdrawn",
            "ended",
            "completed",
            "graduated",
            "places_left",
        ],
    ));
    let mut by_package: BTreeMap<Uuid, StateCounts> = BTreeMap::new();
    for participation in programme.participations(input) {
        let counts = by_package.entry(participation.package_id).or_default();
        for (count, reached) in counts.iter_mut().zip(state_counts(&participation)) {
            *count += reached;
        }
    }
    for package in programme.packages.values() {
        let counts = by_package.get(&package.package_id).copied().unwrap_or_default();
        let mut row = vec![
            Cell::text(package.package_id.to_string()),
            Cell::text(&package.title),
            Cell::text(&package.skill),
            Cell::text(&package.provider),
            Cell::optional_text(package.facility.clone()),
            Cell::text(&package.venue_type),
            Cell::Date(package.start_date),
            Cell::Date(package.end_date),
            Cell::text(&package.status),
            Cell::Int(package.quota_total),
            package.quota_inmates.map_or(Cell::Empty, Cell::Int),
        ];
        row.extend(counts.map(Cell::Int));
        row.push(Cell::Int(package.quota_total - package.places_taken));
        sink.row(row);
    }
}

/// Each participant's state and attendance on the day asked about, a row at a time.
fn enrolment_participants(input: &Input<'_>, programme: &Programme, sink: &mut dyn Sink) {
    sink.section(Section::new(
        "participants",
        "Participants",
        &[
            "participation_id",
            "package_id",
            "person_ref",
            "category",
            "facility",
            "legal_status",
            "state",
            "since",
            "sessions_held",
            "attended",
            "attendance_percent",
            "acceptable_absences",
            "unacceptable_absences",
            "last_attended",
            "suspended",
            "pending_change",
        ],
    ));
    let open_tasks: BTreeMap<&str, usize> = programme
        .tasks
        .iter()
        .filter(|task| task.acknowledged_by.is_none())
        .fold(BTreeMap::new(), |mut open, task| {
            *open.entry(task.person_ref.as_str()).or_default() += 1;
            open
        });
    for participation in programme.participations(input) {
        let letters = register(input.tables, participation.participation_id);
        let pending = open_tasks.contains_key(participation.person_ref.as_str());
        sink.row(participant_row(input, programme, participation, letters.as_deref(), pending));
    }
}

/// A participant's row of the enrolment report.
fn participant_row(
    input: &Input<'_>,
    programme: &Programme,
    participation: ParticipationRow,
    letters: Option<&[u8]>,
    pending_change: bool,
) -> Vec<Cell> {
    let rate = programme.rate_with(&participation, letters, input.as_of);
    let sessions = programme.sessions.of_package(&participation.package_id);
    let marks: Vec<(AttendanceCode, NaiveDate)> = sessions
        .iter()
        .filter_map(|session| Some((mark_in(letters, &participation, session)?, session.date)))
        .collect();
    let acceptable = marks.iter().filter(|(code, _)| code.acceptable_absence()).count();
    let unacceptable = marks
        .iter()
        .filter(|(code, _)| matches!(code, AttendanceCode::Alpa | AttendanceCode::Menolak))
        .count();
    let last =
        marks.iter().filter(|(code, _)| code.counts_as_attended()).map(|(_, date)| *date).max();
    let suspended = participation.status == "suspended";
    vec![
        Cell::text(participation.participation_id.to_string()),
        Cell::text(participation.package_id.to_string()),
        Cell::Text(participation.person_ref),
        Cell::Text(participation.category),
        Cell::optional_text(participation.facility),
        Cell::optional_text(participation.legal_status),
        Cell::Text(participation.status),
        Cell::Date(participation.status_since),
        Cell::Int(i64::from(rate.expected)),
        Cell::Int(i64::from(rate.attended)),
        Cell::percent(i64::from(rate.attended), i64::from(rate.expected)),
        Cell::Int(acceptable as i64),
        Cell::Int(unacceptable as i64),
        Cell::optional_date(last),
        Cell::Bool(suspended),
        Cell::Bool(pending_change),
    ]
}

pub(super) fn attendance(input: &Input<'_>) -> Report {
    super::collected(input, write_attendance)
}

/// The attendance report, its rows per session and per participant handed on as they are made.
pub(super) fn write_attendance(input: &Input<'_>, sink: &mut dyn Sink) {
    let programme = Programme::load_frame(input);
    sink.head(head(input, "attendance", "Rekap presensi (attendance register)"));
    attendance_sessions(input, &programme, sink);
    attendance_participants(input, &programme, sink);
    sink.notes(vec![
        "The attendance rate is sessions attended (hadir, terlambat) over sessions counted: held sessions on days the participant was in training, leaving out dibebaskan, sesi_dibatalkan and ditangguhkan; an unmarked session counts as not attended.".to_owned(),
    ]);
}

/// A participation and its register's letters.
type Registered = (ParticipationRow, Option<Box<[u8]>>);

/// A row per session held by the day asked about, a package at a time: only one package's
/// participants are held at once.
fn attendance_sessions(input: &Input<'_>, programme: &Programme, sink: &mut dyn Sink) {
    let mut columns = vec!["session_id", "package_id", "date", "held", "expected"];
    columns.extend(AttendanceCode::ALL.iter().map(|code| code.as_str()));
    columns.extend(["unmarked", "attendance_percent"]);
    sink.section(Section::new("sessions", "Attendance per session (rekap presensi)", &columns));
    let mut by_package: BTreeMap<Uuid, Vec<Uuid>> = BTreeMap::new();
    for participation in programme.participations(input) {
        by_package
            .entry(participation.package_id)
            .or_default()
            .push(participation.participation_id);
    }
    for (package_id, list) in programme.sessions.by_package() {
        if !programme.packages.contains_key(package_id) {
            continue;
        }
        let participants: Vec<Registered> = by_package
            .get(package_id)
            .into_iter()
            .flatten()
            .filter_map(|id| {
                let participation = input.tables.get::<ParticipationRow>(&key(*id))?;
                Some((participation, register(input.tables, *id)))
            })
            .collect();
        for session in list.iter().filter(|session| session.date <= input.as_of) {
            sink.row(session_row(programme, session, &participants));
        }
    }
}

/// A session's row: who was expected and how each was marked.
fn session_row(
    programme: &Programme,
    session: &SessionRow,
    participants: &[Registered],
) -> Vec<Cell> {
    let mark_of = |(participation, letters): &&Registered| {
        mark_in(letters.as_deref(), participation, session)
    };
    let expected: Vec<&Registered> = participants
        .iter()
        .filter(|(p, _)| !session.cancelled && programme.active_on(p, session.date))
        .collect();
    let all_marks: Vec<AttendanceCode> = participants.iter().filter_map(|p| mark_of(&p)).collect();
    let mut row = vec![
        Cell::text(session.session_id.to_string()),
        Cell::text(session.package_id.to_string()),
        Cell::Date(session.date),
        Cell::Bool(!session.cancelled),
        Cell::Int(expected.len() as i64),
    ];
    row.extend(
        AttendanceCode::ALL
            .iter()
            .map(|code| Cell::Int(all_marks.iter().filter(|mark| *mark == code).count() as i64)),
    );
    let unmarked = expected.iter().filter(|p| mark_of(p).is_none()).count();
    let counted = expected
        .iter()
        .filter(|p| mark_of(p).is_none_or(AttendanceCode::counts_toward_rate))
        .count();
    let attended = expected
        .iter()
        .filter(|p| mark_of(p).is_some_and(AttendanceCode::counts_as_attended))
        .count();
    row.push(Cell::Int(unmarked as i64));
    row.push(Cell::percent(attended as i64, counted as i64));
    row
}

/// A row per participant who started: their rate against the package's threshold.
fn attendance_participants(input: &Input<'_>, programme: &Programme, sink: &mut dyn Sink) {
    sink.section(Section::new(
        "participants",
        "Attendance per participant",
        &[
            "participation_id",
            "package_id",
            "person_ref",
            "state",
            "sessions_counted",
            "attended",
            "hours_attended",
            "attendance_percent",
            "threshold_percent",
            "below_threshold",
        ],
    ));
    for participation in programme.participations(input).filter(|p| p.started_on.is_some()) {
        let letters = register(input.tables, participation.participation_id);
        let rate = programme.rate_with(&participation, letters.as_deref(), input.as_of);
        let threshold = programme
            .packages
            .get(&participation.package_id)
            .map_or(80, |p| p.attendance_threshold_percent);
        sink.row(vec![
            Cell::text(participation.participation_id.to_string()),
            Cell::text(participation.package_id.to_string()),
            Cell::Text(participation.person_ref),
            Cell::Text(participation.status),
            Cell::Int(i64::from(rate.expected)),
            Cell::Int(i64::from(rate.attended)),
            Cell::Int(i64::from(rate.hours_attended)),
            Cell::percent(i64::from(rate.attended), i64::from(rate.expected)),
            Cell::Int(threshold),
            Cell::Bool(rate.expected > 0 && !rate.meets(threshold as u8)),
        ]);
    }
}

/// The stages of the funnel, and the date each participation reached each.
fn stage_dates(
    participation: &ParticipationRow,
    handed_over: &BTreeMap<Uuid, NaiveDate>,
) -> [Option<NaiveDate>; 9] {
    let approved = participation.decided_on.filter(|_| participation.rejection_reason.is_none());
    let eligible = participation.assessed_on.filter(|_| participation.eligible == Some(true));
    let (eligible, approved) = if participation.category == "wbp" {
        (eligible, approved)
    } else {
        (Some(participation.nominated_on), Some(participation.nominated_on))
    };
    let competent = participation
        .competency_on
        .filter(|_| participation.competency_result.as_deref() == Some("kompeten"));
    let handed_over = handed_over.get(&participation.participation_id).copied();
    [
        Some(participation.nominated_on),
        eligible,
        approved,
        participation.accepted_on,
        participation.started_on,
        participation.completed_on,
        competent,
        participation.certified_on,
        handed_over,
    ]
}

const STAGES: [&str; 9] = [
    "nominated",
    "eligible",
    "approved",
    "accepted",
    "started",
    "completed",
    "competent",
    "certified",
    "grant_handed_over",
];

pub(super) fn funnel(input: &Input<'_>) -> Report {
    if input.options.published {
        return cuts::published(input, "funnel");
    }
    funnel_from(input, &Programme::load(input))
}

/// The funnel of `programme`, the tables narrowed to what `input` asks.
fn funnel_from(input: &Input<'_>, programme: &Programme) -> Report {
    // The day each participant's first grant was handed over, looked up once per participant.
    let mut handed_over: BTreeMap<Uuid, NaiveDate> = BTreeMap::new();
    for grant in &programme.grants {
        if let Some(day) = grant.handed_over_on {
            let first = handed_over.entry(grant.participation_id).or_insert(day);
            *first = (*first).min(day);
        }
    }
    let mut sections = Vec::new();
    for (category, title) in
        [("wbp", "Funnel: inmates"), ("masyarakat", "Funnel: public participants")]
    {
        let mut section = Section::new(
            &format!("funnel_{category}"),
            title,
            &["stage", "reached", "conversion_percent", "median_days_from_previous_stage"],
        );
        let dates: Vec<[Option<NaiveDate>; 9]> = programme
            .participations
            .iter()
            .filter(|p| p.category == category)
            .map(|p| stage_dates(p, &handed_over))
            .collect();
        for (index, stage) in STAGES.iter().enumerate() {
            let reached = dates.iter().filter(|d| d[index].is_some()).count() as i64;
            let previous = if index == 0 {
                reached
            } else {
                dates.iter().filter(|d| d[index - 1].is_some()).count() as i64
            };
            let mut days: Vec<i64> = if index == 0 {
                Vec::new()
            } else {
                dates
                    .iter()
                    .filter_map(|d| Some((d[index]? - d[index - 1]?).num_days()))
                    .filter(|days| *days >= 0)
                    .collect()
            };
            section.push(vec![
                Cell::text(*stage),
                Cell::Int(reached),
                if index == 0 { Cell::Empty } else { Cell::percent(reached, previous) },
                median(&mut days).map_or(Cell::Empty, Cell::decimal),
            ]);
        }
        sections.push(section);
    }
    let mut reasons =
        Section::new("refusals", "Why nominations did not go on", &["outcome", "reason", "count"]);
    let mut counts: BTreeMap<(String, String), i64> = BTreeMap::new();
    for participation in &programme.participations {
        if let Some(reason) = &participation.rejection_reason {
            *counts
                .entry(("rejected by the review board".to_owned(), reason.clone()))
                .or_default() += 1;
        }
        if participation.eligible == Some(false) && participation.status == "not_eligible" {
            let rule_set = participation.rule_set.clone().unwrap_or_default();
            *counts.entry(("not eligible".to_owned(), rule_set)).or_default() += 1;
        }
        if let Some(reason) = &participation.withdrawal_reason {
            *counts
                .entry(("withdrawn before the start".to_owned(), reason.clone()))
                .or_default() += 1;
        }
    }
    for ((outcome, reason), count) in counts {
        reasons.push(vec![Cell::text(outcome), Cell::text(reason), Cell::Int(count)]);
    }
    sections.push(reasons);
    let notes = vec!["Public participants pass no eligibility or review-board stage: they count as eligible and approved when they register.".to_owned()];
    report(input, "funnel", "Funnel: nomination to grant", sections, notes)
}

/// Why a published cut of the outcomes has no row per package.
const PUBLISHED_OUTCOMES: &str = "Published cut: outcomes per skill, facility and category, not per package (a package is a small group; its row beside the skill's total would give a withheld count away).";

pub(super) fn outcomes(input: &Input<'_>) -> Report {
    if input.options.published {
        return cuts::published(input, "outcomes");
    }
    outcomes_from(input, &Programme::load(input))
}

/// The outcomes of `programme`, the tables narrowed to what `input` asks.
fn outcomes_from(input: &Input<'_>, programme: &Programme) -> Report {
    let columns = [
        "package_id",
        "title",
        "skill",
        "provider",
        "facility",
        "category",
        "starters",
        "completers",
        "competent",
        "not_yet_competent",
        "non_completers",
        "administrative_exits",
        "personal_exits",
        "training_certificates",
        "bnsp_certificates",
    ];
    let mut section = Section::new("packages", "Hasil pelatihan (outcomes per package)", &columns);
    let mut by_key: BTreeMap<(Uuid, String), Vec<&ParticipationRow>> = BTreeMap::new();
    for participation in &programme.participations {
        by_key
            .entry((participation.package_id, participation.category.clone()))
            .or_default()
            .push(participation);
    }
    let mut totals: BTreeMap<(String, String, String), [i64; 9]> = BTreeMap::new();
    for ((package_id, category), rows) in &by_key {
        let Some(package) = programme.packages.get(package_id) else { continue };
        let figures = outcome_figures(rows);
        let total = totals
            .entry((
                package.skill.clone(),
                package.facility.clone().unwrap_or_default(),
                category.clone(),
            ))
            .or_default();
        for (sum, figure) in total.iter_mut().zip(figures) {
            *sum += figure;
        }
        let mut row = vec![
            Cell::text(package_id.to_string()),
            Cell::text(&package.title),
            Cell::text(&package.skill),
            Cell::text(&package.provider),
            Cell::optional_text(package.facility.clone()),
            Cell::text(category),
        ];
        row.extend(figures.into_iter().map(Cell::Int));
        section.push(row);
    }
    let mut by_skill = Section::new(
        "skills",
        "Outcomes per skill, facility and category",
        &[
            "skill",
            "facility",
            "category",
            "starters",
            "completers",
            "competent",
            "not_yet_competent",
            "non_completers",
            "administrative_exits",
            "personal_exits",
            "training_certificates",
            "bnsp_certificates",
        ],
    );
    for ((skill, facility, category), figures) in totals {
        let mut row = vec![Cell::text(skill), Cell::text(facility), Cell::text(category)];
        row.extend(figures.into_iter().map(Cell::Int));
        by_skill.push(row);
    }
    let mut by_group = outcome_groups(programme);
    if !input.options.published {
        for cell in by_group.rows.iter_mut().flat_map(|row| row[3..].iter_mut()) {
            if let Cell::Int(n) = *cell {
                *cell = crate::report::count(n);
            }
        }
    }
    let mut notes = vec![
        "Non-completers ended for their own reasons (own request, dismissal, low attendance, behaviour); administrative exits were released, transferred or had the package cancelled; personal exits ended for health or death. Each is reported apart.".to_owned(),
        "Counts by sex and age band from 1 to 4 are suppressed (<5).".to_owned(),
    ];
    // A published cut is a period, a facility or a skill, never one package: a package is a
    // small group, and its row beside the skill's total would give a withheld count away as
    // the total less the other packages.
    let sections = if input.options.published {
        notes.push(PUBLISHED_OUTCOMES.to_owned());
        vec![by_skill, by_group]
    } else {
        vec![section, by_skill, by_group]
    };
    report(input, "outcomes", "Hasil pelatihan (training outcomes)", sections, notes)
}

/// The outcomes by sex and age band of those who started, as counts (suppressed by the caller).
fn outcome_groups(programme: &Programme) -> Section {
    let mut by_group = Section::new(
        "groups",
        "Outcomes by sex and age band (inmates and public apart)",
        &["category", "sex", "age_band", "starters", "completers", "competent"],
    );
    let mut groups: BTreeMap<(String, String, String), [i64; 3]> = BTreeMap::new();
    for p in programme.participations.iter().filter(|p| p.started_on.is_some()) {
        let key = (
            p.category.clone(),
            p.sex.clone().unwrap_or_else(|| "unknown".to_owned()),
            p.age_band.clone().unwrap_or_else(|| "unknown".to_owned()),
        );
        let entry = groups.entry(key).or_default();
        entry[0] += 1;
        entry[1] += reached(p.completed_on);
        entry[2] += i64::from(p.competency_result.as_deref() == Some("kompeten"));
    }
    for ((category, sex, age_band), figures) in groups {
        let mut row = vec![Cell::text(category), Cell::text(sex), Cell::text(age_band)];
        row.extend(figures.into_iter().map(Cell::Int));
        by_group.push(row);
    }
    by_group
}

fn outcome_figures(rows: &[&ParticipationRow]) -> [i64; 9] {
    let count =
        |test: &dyn Fn(&ParticipationRow) -> bool| rows.iter().filter(|p| test(p)).count() as i64;
    let ended = |category: &'static str| {
        move |p: &ParticipationRow| {
            p.status == "ended" && p.end_category.as_deref() == Some(category)
        }
    };
    [
        count(&|p| p.started_on.is_some()),
        count(&|p| p.completed_on.is_some()),
        count(&|p| p.competency_result.as_deref() == Some("kompeten")),
        count(&|p| p.competency_result.as_deref() == Some("belum_kompeten")),
        count(&ended("participant")),
        count(&ended("operational")),
        count(&ended("personal")),
        rows.iter().map(|p| p.training_certificates).sum(),
        rows.iter().map(|p| p.bnsp_certificates).sum(),
    ]
}

pub(super) fn grants(input: &Input<'_>) -> Report {
    super::collected(input, write_grants)
}

/// A grant register's totals by package title, facility and funding source: grants, then
/// rupiah proposed, approved, handed over and recovered.
type GrantTotals = BTreeMap<(String, String, String), [i64; 5]>;

/// The grant register, its row per grant handed on as it is made.
pub(super) fn write_grants(input: &Input<'_>, sink: &mut dyn Sink) {
    let packages = wanted_packages(input);
    sink.head(head(input, "grants", "Register bantuan (grant register)"));
    sink.section(Section::new(
        "grants",
        "Register bantuan (grants)",
        &[
            "grant_id",
            "package_id",
            "person_ref",
            "status",
            "items",
            "capital_rupiah",
            "total_rupiah",
            "funding_source",
            "budget_line",
            "proposed_by",
            "proposed_on",
            "approved_by",
            "approved_on",
            "decision_ref",
            "deferred",
            "bast_number",
            "handed_over_by",
            "handed_over_on",
            "recipient",
            "place",
            "monitoring_visits",
            "last_business_status",
            "last_visited_on",
            "recovered_rupiah",
            "three_people",
        ],
    ));
    let mut totals = GrantTotals::new();
    // Visits are keyed by their grant's id first, so they come in the order of the grants.
    let mut visits = input.tables.all::<GrantVisitRow>().peekable();
    for grant in input.tables.all::<GrantRow>() {
        let mut its_visits = Vec::new();
        while let Some(visit) = visits.next_if(|visit| visit.grant_id <= grant.grant_id) {
            if visit.grant_id == grant.grant_id {
                its_visits.push(visit);
            }
        }
        let Some(package) = packages.get(&grant.package_id) else { continue };
        add_to_totals(&mut totals, package, &grant);
        sink.row(grant_row(grant, &its_visits));
    }
    let mut summary = Section::new(
        "totals",
        "Totals per package, facility and funding source",
        &[
            "package",
            "facility",
            "funding_source",
            "grants",
            "proposed_rupiah",
            "approved_rupiah",
            "handed_over_rupiah",
            "recovered_rupiah",
        ],
    );
    for ((package, facility, funding), figures) in totals {
        let mut row = vec![Cell::text(package), Cell::text(facility), Cell::text(funding)];
        row.extend(figures.into_iter().map(Cell::Int));
        summary.push(row);
    }
    sink.section(summary);
    sink.notes(vec!["`three_people` is yes when the proposer, the approver and the handover officer recorded so far are all different people.".to_owned()]);
}

/// A grant's row of the register, with its monitoring visits.
fn grant_row(grant: GrantRow, visits: &[GrantVisitRow]) -> Vec<Cell> {
    let last = visits.iter().max_by_key(|visit| (visit.visited_on, visit.visit_id));
    let signers =
        [Some(&grant.proposed_by), grant.approved_by.as_ref(), grant.handed_over_by.as_ref()];
    let present: Vec<&String> = signers.into_iter().flatten().collect();
    let distinct = present.iter().collect::<BTreeSet<_>>().len() == present.len();
    vec![
        Cell::text(grant.grant_id.to_string()),
        Cell::text(grant.package_id.to_string()),
        Cell::text(&grant.person_ref),
        Cell::text(&grant.status),
        Cell::text(&grant.items),
        Cell::Int(grant.capital_rupiah),
        Cell::Int(grant.total_rupiah),
        Cell::text(&grant.funding_source),
        Cell::text(&grant.budget_line),
        Cell::text(&grant.proposed_by),
        Cell::Date(grant.proposed_on),
        Cell::optional_text(grant.approved_by.clone()),
        Cell::optional_date(grant.approved_on),
        Cell::optional_text(grant.decision_ref.clone()),
        Cell::Bool(grant.deferred),
        Cell::optional_text(grant.bast_number.clone()),
        Cell::optional_text(grant.handed_over_by.clone()),
        Cell::optional_date(grant.handed_over_on),
        Cell::optional_text(grant.recipient.clone()),
        Cell::optional_text(grant.place.clone()),
        Cell::Int(visits.len() as i64),
        Cell::optional_text(last.map(|visit| visit.business_status.clone())),
        Cell::optional_date(last.map(|visit| visit.visited_on)),
        Cell::Int(grant.recovered_rupiah),
        Cell::Bool(distinct),
    ]
}

fn add_to_totals(totals: &mut GrantTotals, package: &PackageRow, grant: &GrantRow) {
    let key = (
        package.title.clone(),
        package.facility.clone().unwrap_or_default(),
        grant.funding_source.clone(),
    );
    let total = totals.entry(key).or_default();
    let live = !matches!(grant.status.as_str(), "rejected" | "cancelled");
    total[0] += 1;
    total[1] += if live { grant.total_rupiah } else { 0 };
    total[2] += if grant.approved_on.is_some() && live { grant.total_rupiah } else { 0 };
    total[3] += if grant.handed_over_on.is_some() { grant.total_rupiah } else { 0 };
    total[4] += grant.recovered_rupiah;
}

pub(super) fn inbox(input: &Input<'_>) -> Report {
    let programme = Programme::load_participants(input);
    let mut tasks = programme.tasks.clone();
    tasks.sort_by(|a, b| {
        (a.acknowledged_by.is_some(), &a.facility, a.raised_on, a.task_id).cmp(&(
            b.acknowledged_by.is_some(),
            &b.facility,
            b.raised_on,
            b.task_id,
        ))
    });
    let mut section = Section::new(
        "tasks",
        "Change-of-circumstances inbox",
        &[
            "task_id",
            "facility",
            "person_ref",
            "trigger",
            "raised_on",
            "affected_participations",
            "actions_taken",
            "open",
            "acknowledged_by",
            "acknowledged_on",
        ],
    );
    for task in &tasks {
        section.push(vec![
            Cell::text(task.task_id.to_string()),
            Cell::text(&task.facility),
            Cell::text(&task.person_ref),
            Cell::text(&task.trigger),
            Cell::Date(task.raised_on),
            Cell::text(&task.affected_participations),
            Cell::text(&task.actions_taken),
            Cell::Bool(task.acknowledged_by.is_none()),
            Cell::optional_text(task.acknowledged_by.clone()),
            Cell::optional_date(task.acknowledged_on),
        ]);
    }
    let mut per_facility = Section::new(
        "facilities",
        "Open tasks per facility",
        &["facility", "open_tasks", "acknowledged_tasks"],
    );
    let mut counts: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for task in &tasks {
        let entry = counts.entry(task.facility.as_str()).or_default();
        if task.acknowledged_by.is_none() { entry.0 += 1 } else { entry.1 += 1 }
    }
    for (facility, (open, done)) in counts {
        per_facility.push(vec![Cell::text(facility), Cell::Int(open), Cell::Int(done)]);
    }
    report(input, "inbox", "Change-of-circumstances inbox", vec![per_facility, section], Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::programme::new_participation;

    #[test]
    fn sessions_are_grouped_by_package_in_date_order_and_kept_by_package() {
        let mut tables = Tables::folded();
        let sessions = [
            (id(11), id(2), "2026-03-09"),
            (id(12), id(1), "2026-03-04"),
            (id(13), id(2), "2026-03-02"),
            (id(14), id(1), "2026-03-02"),
            (id(15), id(3), "2026-03-02"),
        ];
        for (n, (session_id, package_id, date)) in sessions.into_iter().enumerate() {
            let (number, date, hours, cancelled) = (n as i64 + 1, day(date), 3, false);
            tables.put(&SessionRow { session_id, package_id, number, date, hours, cancelled });
        }
        let ids = |list: &[SessionRow]| list.iter().map(|s| s.session_id).collect::<Vec<_>>();
        let all = Sessions::of(&tables);
        assert_eq!(ids(all.of_package(&id(1))), [id(14), id(12)]);
        assert_eq!(ids(all.of_package(&id(2))), [id(13), id(11)]);
        assert!(all.of_package(&id(4)).is_empty());
        let packages: Vec<Uuid> = all.by_package().map(|(id, _)| *id).collect();
        assert_eq!(packages, [id(1), id(2), id(3)]);
        let kept = all.kept(&BTreeSet::from([id(2), id(3)]));
        assert!(kept.of_package(&id(1)).is_empty());
        assert_eq!(ids(kept.of_package(&id(2))), [id(13), id(11)]);
        assert_eq!(ids(kept.of_package(&id(3))), [id(15)]);
    }

    /// Inmates in two skills (10 and 12 started) and two groups (3 and 19), in one package
    /// each: the 3 withheld would be the funnel's 22 started (or the skills' 10 + 12) less the
    /// 19, so the 19 is withheld too, and the funnel and the skills stay shown.
    #[test]
    fn a_published_group_count_is_not_the_funnel_total_less_the_other_groups() {
        let mut tables = Tables::folded();
        for (n, skill) in [(1, "menjahit"), (2, "pangkas_rambut")] {
            tables.put(&PackageRow { skill: skill.to_owned(), ..package(id(n), "LP-A") });
        }
        for n in 0..22_u128 {
            let mut row = participation(id(100 + n), id(1 + u128::from(n >= 10)), "LP-A");
            row.sex = Some(if n < 3 { "L" } else { "P" }.to_owned());
            tables.put(&row);
        }
        let published = Options { published: true, ..Options::default() };
        let outcomes = build_from(&tables, outcomes, &published);
        let starters = |section: &str| -> Vec<Cell> {
            let section = outcomes.sections.iter().find(|s| s.name == section).unwrap();
            section.rows.iter().map(|row| row[3].clone()).collect()
        };
        assert_eq!(starters("groups"), [Cell::Suppressed, Cell::Withheld]);
        assert_eq!(starters("skills"), [Cell::Int(10), Cell::Int(12)]);
        let funnel = build_from(&tables, funnel, &published);
        let started = funnel.sections[0].rows.iter().find(|row| row[0] == Cell::text("started"));
        assert_eq!(started.unwrap()[1], Cell::Int(22));
    }
    use crate::projection::Config;
    use crate::report::Options;
    use crate::scope::Scope;
    use crate::table::Tables;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn package(package_id: Uuid, facility: &str) -> PackageRow {
        PackageRow {
            package_id,
            title: "Menjahit dasar".to_owned(),
            provider: "BLK Contoh".to_owned(),
            skill: "sewing".to_owned(),
            venue_type: "inside".to_owned(),
            facility: Some(facility.to_owned()),
            location: "Bengkel kerja".to_owned(),
            start_date: day("2026-03-02"),
            end_date: day("2026-03-31"),
            planned_hours: 12,
            quota_total: 10,
            quota_inmates: None,
            attendance_threshold_percent: 75,
            funding_source: "apbn".to_owned(),
            grant_policy: "none".to_owned(),
            status: "running".to_owned(),
            places_taken: 1,
            inmate_places_taken: 1,
            waitlist_length: 0,
            sessions_scheduled: 0,
        }
    }

    /// A participation in training since 2 March, nominated in February.
    fn participation(participation_id: Uuid, package_id: Uuid, facility: &str) -> ParticipationRow {
        let person = format!("ref-{participation_id}");
        let nominated = day("2026-02-20");
        let mut row = new_participation(participation_id, package_id, &person, "wbp", nominated, 1);
        row.facility = Some(facility.to_owned());
        row.status = "in_training".to_owned();
        row.status_since = day("2026-03-02");
        row.started_on = Some(day("2026-03-02"));
        row
    }

    fn register(participation_id: Uuid, marks: &str) -> RegisterRow {
        RegisterRow { participation_id, marks: marks.to_owned() }
    }

    /// Two packages in two facilities, four sessions in the first and one in the second,
    /// numbered out of date order; one register holds a letter that is no code of ours.
    fn tables() -> Tables {
        let mut tables = Tables::folded();
        fill(&mut tables);
        tables
    }

    fn fill(tables: &mut Tables) {
        tables.put(&package(id(1), "LP-A"));
        tables.put(&package(id(2), "LP-B"));
        // A package in no facility, open to everyone, with one public participant.
        tables.put(&PackageRow { facility: None, ..package(id(3), "") });
        let public = new_participation(id(24), id(3), "ref-24", "masyarakat", day("2026-02-20"), 1);
        tables.put(&ParticipationRow { started_on: Some(day("2026-03-02")), ..public });
        tables.put(&register(id(24), "H"));
        // Session ids out of date order, so that id order and date order differ; the 20 March
        // session was scheduled first.
        let sessions = [
            (id(14), id(1), 2, "2026-03-02"),
            (id(12), id(1), 3, "2026-03-04"),
            (id(13), id(1), 4, "2026-03-06"),
            (id(11), id(1), 1, "2026-03-20"),
            (id(15), id(2), 1, "2026-03-02"),
            (id(16), id(3), 1, "2026-03-02"),
        ];
        for (session_id, package_id, number, date) in sessions {
            let date = day(date);
            let cancelled = false;
            tables.put(&SessionRow { session_id, package_id, number, date, hours: 3, cancelled });
        }
        tables.put(&participation(id(21), id(1), "LP-A"));
        tables.put(&participation(id(22), id(1), "LP-A"));
        tables.put(&participation(id(23), id(2), "LP-B"));
        // P21: hadir on 2 March, izin on the 4th, alpa on the 6th.
        tables.put(&register(id(21), ".HIA"));
        // P22: terlambat on 2 March, then a letter that is no code.
        tables.put(&register(id(22), ".T?"));
        tables.put(&register(id(23), "H"));
    }

    fn build(view: fn(&Input<'_>) -> Report, options: &Options) -> Report {
        build_from(&tables(), view, options)
    }

    fn build_from(tables: &Tables, view: fn(&Input<'_>) -> Report, options: &Options) -> Report {
        let input = Input {
            tables,
            projection: crate::programme::DEF,
            config: Config::default(),
            position: 9,
            hash: "00",
            as_of: day("2026-03-10"),
            options,
        };
        view(&input)
    }

    /// The named columns of the participants section, one list per participant, by id.
    fn participants(report: &Report, columns: &[&str]) -> BTreeMap<String, Vec<Cell>> {
        let section = report.sections.iter().find(|s| s.name == "participants").unwrap();
        let at = |name: &str| section.columns.iter().position(|c| c == name).unwrap();
        section
            .rows
            .iter()
            .map(|row| {
                let Cell::Text(id) = &row[0] else { panic!("an id first: {row:?}") };
                (id.clone(), columns.iter().map(|name| row[at(name)].clone()).collect())
            })
            .collect()
    }

    #[test]
    fn enrolment_counts_each_participants_marks_by_kind_up_to_the_day() {
        let report = build(enrolment, &Options::default());
        let columns = [
            "sessions_held",
            "attended",
            "acceptable_absences",
            "unacceptable_absences",
            "last_attended",
        ];
        let rows = participants(&report, &columns);
        // Three sessions held by 10 March. P21: hadir, izin (an acceptable absence, still
        // counted), alpa.
        assert_eq!(
            rows[&id(21).to_string()],
            [Cell::Int(3), Cell::Int(1), Cell::Int(1), Cell::Int(1), Cell::Date(day("2026-03-02"))]
        );
        // P22: terlambat counts as attended; the unknown code counts nowhere.
        assert_eq!(
            rows[&id(22).to_string()],
            [Cell::Int(3), Cell::Int(1), Cell::Int(0), Cell::Int(0), Cell::Date(day("2026-03-02"))]
        );
        assert!(rows.contains_key(&id(23).to_string()));
    }

    #[test]
    fn a_facility_filter_keeps_only_its_participants_and_their_marks() {
        let options = Options { facility: Some("LP-B".to_owned()), ..Options::default() };
        let rows = participants(&build(enrolment, &options), &["attended", "last_attended"]);
        // P24, a public participant in a package of no facility, is everyone's.
        assert_eq!(rows.keys().collect::<Vec<_>>(), [&id(23).to_string(), &id(24).to_string()]);
        assert_eq!(rows[&id(23).to_string()], [Cell::Int(1), Cell::Date(day("2026-03-02"))]);
    }

    #[test]
    fn attendance_counts_each_sessions_marks_by_code() {
        let report = build(attendance, &Options::default());
        let section = report.sections.iter().find(|s| s.name == "sessions").unwrap();
        let at = |name: &str| section.columns.iter().position(|c| c == name).unwrap();
        let row = |session: Uuid| {
            section.rows.iter().find(|row| row[0] == Cell::Text(session.to_string())).unwrap()
        };
        // 4 March: P21 izin, P22's unknown code is no mark at all.
        let fourth = row(id(12));
        assert_eq!(fourth[at("izin")], Cell::Int(1));
        assert_eq!(fourth[at("unmarked")], Cell::Int(1));
        // 2 March: hadir and terlambat, both attended.
        let second = row(id(14));
        assert_eq!(
            (&second[at("hadir")], &second[at("terlambat")]),
            (&Cell::Int(1), &Cell::Int(1))
        );
        // The session of 20 March has not been held by 10 March.
        assert!(section.rows.iter().all(|r| r[0] != Cell::Text(id(11).to_string())));
    }

    #[test]
    fn tables_within_a_facility_hold_its_rows_only_and_give_the_same_views() {
        let options = Options { facility: Some("LP-B".to_owned()), ..Options::default() };
        let projection = crate::programme::DEF;
        let scope = projection.scope(&options);
        let mut within = Tables::folded().within(projection.within(&scope).unwrap());
        fill(&mut within);
        let ids = |tables: &Tables| -> Vec<Uuid> {
            let mut ids: Vec<Uuid> = tables.all::<PackageRow>().map(|p| p.package_id).collect();
            ids.extend(tables.all::<SessionRow>().map(|s| s.session_id));
            ids.extend(tables.all::<ParticipationRow>().map(|p| p.participation_id));
            ids.extend(tables.all::<RegisterRow>().map(|r| r.participation_id));
            ids
        };
        // LP-B's package and the one of no facility, what hangs off them, and no more; the
        // public participant's register was put before its package's sessions: a register
        // hangs off its participation only.
        assert_eq!(ids(&within), [id(2), id(3), id(15), id(16), id(23), id(24), id(23), id(24)]);
        for view in [overview, enrolment, attendance, funnel, outcomes, grants, inbox] {
            assert_eq!(build_from(&within, view, &options), build(view, &options));
        }
        // A provider none of the packages has: nothing is held.
        let options = Options { provider: Some("LPK Lain".to_owned()), ..Options::default() };
        let mut within = Tables::folded().within(projection.within(&Scope::of(&options)).unwrap());
        fill(&mut within);
        assert!(within.is_empty());
        assert!(projection.within(&Scope::WHOLE).is_none(), "the whole needs no narrowing");
    }
}
