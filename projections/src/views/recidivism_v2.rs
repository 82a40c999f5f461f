//! Recidivism definition 2 (`jejak-recidivism-2`): domain.md §(d) kept to the letter, every
//! choice it leaves open decided with its reason (docs/reports.md, "Recidivism, definition
//! 2"), and the counts of the whole report protected together (`crate::disclosure`), so that
//! no withheld count can be worked out from the others.

mod compare;
mod cuts;

pub use cuts::published_cuts;
pub(super) mod extract;

pub use compare::{INSUFFICIENT, NOT_COMPUTABLE};

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::Input;
use super::people::{People, add_months, convicted, quarter};
use crate::disclosure::{CellId, Grid, Hidden};
use crate::people::{ContactRow, PersonParticipationRow, ReleaseRow};
use crate::report::{Cell, Report, Section, median, wilson_interval};

pub const VERSION: &str = "jejak-recidivism-2";
/// Follow-up windows, in calendar months from the release; each ends exclusive.
pub const WINDOWS: [u32; 4] = [12, 24, 36, 60];
/// The waiting period for convictions, in months, unless the options say otherwise.
pub const WAITING_MONTHS_DEFAULT: u32 = 6;
/// The smallest group, followed in full, a difference between groups is shown for.
pub const COMPARISON_SIZE_MIN: i64 = 30;

/// The release types that make a cohort (§(d).1); any other release is an exclusion.
pub const COHORT_RELEASE_TYPES: [&str; 5] = [
    "bebas_murni",
    "pembebasan_bersyarat",
    "cuti_bersyarat",
    "cuti_menjelang_bebas",
    "bebas_demi_hukum",
];

const TIERS: [&str; 3] = ["proven", "readmission", "revocation"];

/// The groups of §(d).5 that partition the cohort: each member is in exactly one.
pub const LEAVES: [(&str, &str); 8] = [
    ("graduate", "Graduates (kompeten)"),
    ("completed_not_competent", "Completed, belum kompeten"),
    ("non_completer", "Non-completers (participant reasons)"),
    (
        "administrative_exit",
        "Administrative exits (cancelled, transferred, released before the training ended)",
    ),
    ("personal_exit", "Personal and health exits"),
    ("nominated_not_enrolled", "Nominated, approved or waitlisted, never started"),
    (
        "nominated_not_approved",
        "Nominated, never approved (rejected, withdrawn, or undecided at release)",
    ),
    ("never_nominated", "Never nominated"),
];
/// Intention to treat: the union of the first five leaves (started a package).
const ITT_LEAVES: usize = 5;
const NEVER_NOMINATED: usize = 7;

/// The rows of the table: the cohort, intention to treat, then the leaves.
fn rows() -> Vec<(&'static str, &'static str)> {
    let mut rows = vec![
        ("all", "All released to the community (cohort)"),
        ("itt", "Intention to treat: started a package in the custody episode"),
    ];
    rows.extend(LEAVES);
    rows
}

/// Why a release is not in the cohort, in the order the reasons are tried.
pub const EXCLUSIONS: [(&str, &str); 5] = [
    ("after_cut_off", "released after the data cut-off"),
    ("pre_trial", "not convicted when released (tahanan)"),
    ("acquitted", "released by acquittal (putusan bebas)"),
    ("other_release_type", "another release type (lainnya)"),
    ("later_release", "a later release of a person already in the cohort"),
];

fn definition_text(waiting: u32) -> Vec<String> {
    vec![
        format!(
            "Definition {VERSION}. Cohort: persons convicted (narapidana, anak binaan) released to the community in the cohort period by one of the five release types of the definition (bebas murni, pembebasan bersyarat, cuti bersyarat, cuti menjelang bebas, bebas demi hukum); each person once, at their first such release in the period. Excluded and counted: releases after the data cut-off, of persons not convicted, by acquittal (putusan bebas), of another type, and later releases of a person already in the cohort. Transfers and deaths in custody are not releases."
        ),
        format!(
            "Index date t0: the release date. Windows of 12, 24, 36 and 60 calendar months from t0, end exclusive (a month added clamps to the month's last day), each followed by a waiting period of {waiting} months for convictions. A person is followed in full for a window when its waiting period has ended on or before the data cut-off and they were alive on the window's last day; everyone else in the cohort is censored for it (death, loss of follow-up, the cut-off)."
        ),
        "Deaths: a person who dies on or before a window's last day is censored for that window whatever happened before the death, an outcome included; rates are over those followed in full only, so a death neither adds to nor takes from a rate (treating deaths after an outcome differently from deaths without one would bias the rate upward). Time to an outcome with every person followed so far is the Kaplan-Meier analysis.".to_owned(),
        format!(
            "Outcomes, kept apart: (1) proven reoffending: a new case whose offence date is in the window (the release day included) and whose conviction date falls before the end of the waiting period ({waiting} months after the window's end); (2) readmission for a new case whose offence date is in the window, readmitted before the end of the waiting period; (3) revocation of parole or conditional leave in the window. Rate: people with the outcome over people followed in full; frequency: outcomes per 100 people followed in full (two offences in a window count two there, one in the rate)."
        ),
        "Groups: a participation belongs to the release it precedes: nominated on or after the custody episode's admission, after any earlier release of the person (a revocation-readmission starts afresh), and on or before t0. Of those started by t0 the one that ended last counts (one still running at t0 counts as ending at t0; ties: the later start, then the participation id). Its group: graduate when its training was completed by t0 and a competence result of kompeten is recorded, whenever the result was recorded; completed, belum kompeten when completed by t0 without that result; else the reason it ended by t0 (participant reasons, personal and health, administrative); a participation still running at t0 or ended after it is an administrative exit (released before the training ended). With none started: nominated, not enrolled when one was approved, waitlisted or accepted; nominated, never approved when none was (rejected, withdrawn or undecided at release); never nominated with none in the episode. The eight groups partition the cohort; intention to treat is the union of the first five.".to_owned(),
        format!(
            "Measures: cohort N (everyone of the group in the cohort), N followed in full, censored N (cohort N minus N followed in full), outcome n, rate, 95% Wilson interval, outcomes per 100, median days from t0 to the first outcome. A difference from the never-nominated group is shown only when both groups have at least {COMPARISON_SIZE_MIN} people followed in full."
        ),
        "Small numbers: every count from 1 to 4 is withheld (<5), and every count of a group whose size is withheld; then further counts are withheld (x) until no withheld count can be worked out from the shown ones through any combination of the totals of the table (groups adding up to the cohort, followed plus censored equal to the cohort, the same cohort in every window, the quarters adding up to the cohort, the exclusions and their totals). A rate, interval, frequency, median or difference is withheld with its counts.".to_owned(),
        format!(
            "Time to the first proven reoffence (table time_to_first_proven): everyone in the cohort followed from t0 to the earliest of their death and the data cut-off less the waiting period ({waiting} months; an offence later may not be convicted yet), the event the first offence in that time convicted by the cut-off; the Kaplan-Meier share not reoffended at 6, 12, 24, 36 and 60 months (a month is 365.25/12 days) with its 95% pointwise interval (Greenwood's variance, log-log scale), the people still followed and those reoffended by then. A group whose size is withheld shows no curve."
        ),
        "Caveat: participation is selected (review-board approval, good-conduct and sentence rules), so raw differences between groups are not programme effects.".to_owned(),
    ]
}

/// A person in the cohort.
pub(super) struct Member<'p> {
    pub(super) person_ref: &'p str,
    pub(super) t0: NaiveDate,
    /// Their group: an index into `LEAVES`.
    pub(super) leaf: usize,
    pub(super) grant_handed_over: bool,
    pub(super) from_sdp: bool,
    pub(super) release_type: &'p str,
    /// The trade of the participation that sets the group, for those who started one.
    pub(super) skill: Option<&'p str>,
    /// The person's coarse attributes, for the standardised rates.
    pub(super) person: Option<&'p crate::people::PersonRow>,
}

impl Member<'_> {
    /// Whether the member is counted in row `row` of `rows()`.
    pub(super) fn in_row(&self, row: usize) -> bool {
        match row {
            0 => true,
            1 => self.leaf < ITT_LEAVES,
            leaf => self.leaf == leaf - 2,
        }
    }
}

/// The cohort and, per quarter of release, how many releases joined it and how many were
/// excluded for each reason of `EXCLUSIONS`.
pub(super) type Quarters = BTreeMap<String, [i64; 1 + EXCLUSIONS.len()]>;

pub(super) fn cohort<'p>(people: &'p People, cut_off: NaiveDate) -> (Vec<Member<'p>>, Quarters) {
    let mut members = Vec::new();
    let mut quarters = Quarters::new();
    for (release, decided) in decide(people, cut_off) {
        let figures = quarters.entry(quarter(release.released_on)).or_default();
        match decided {
            Err(reason) => figures[1 + reason] += 1,
            Ok(member) => {
                figures[0] += 1;
                members.push(member);
            }
        }
    }
    (members, quarters)
}

/// Each release of the period in order, as a member of the cohort or the index into
/// `EXCLUSIONS` of why it is not.
pub(super) fn decide<'p>(
    people: &'p People,
    cut_off: NaiveDate,
) -> Vec<(&'p ReleaseRow, Result<Member<'p>, usize>)> {
    let mut seen = std::collections::BTreeSet::new();
    let mut decided = Vec::new();
    for release in &people.releases {
        let exclusion = if release.released_on > cut_off {
            Some(0)
        } else if !convicted(release) {
            Some(1)
        } else if release.release_type == "putusan_bebas" {
            Some(2)
        } else if !COHORT_RELEASE_TYPES.contains(&release.release_type.as_str()) {
            Some(3)
        } else if !seen.insert(release.person_ref.as_str()) {
            Some(4)
        } else {
            None
        };
        if let Some(reason) = exclusion {
            decided.push((release, Err(reason)));
            continue;
        }
        let (leaf, grant_handed_over, package) = leaf_of(people, release);
        let member = Member {
            person_ref: &release.person_ref,
            t0: release.released_on,
            leaf,
            grant_handed_over,
            from_sdp: release.from_sdp,
            release_type: &release.release_type,
            skill: package.and_then(|id| people.skills.get(&id)).map(String::as_str),
            person: people.persons.get(&release.person_ref),
        };
        decided.push((release, Ok(member)));
    }
    decided
}

/// The group of a release, whether a grant was handed over for a participation of its
/// episode, and the package of the participation that sets the group.
fn leaf_of(people: &People, release: &ReleaseRow) -> (usize, bool, Option<uuid::Uuid>) {
    let t0 = release.released_on;
    let admitted = release.episode_admitted_on.unwrap_or(NaiveDate::MIN);
    let earlier_release = people
        .release_dates
        .get(&release.person_ref)
        .and_then(|dates| dates.iter().rev().find(|date| **date < t0).copied());
    let in_episode: Vec<&PersonParticipationRow> = people
        .participations
        .get(&release.person_ref)
        .into_iter()
        .flatten()
        .filter(|p| p.nominated_on >= admitted && p.nominated_on <= t0)
        .filter(|p| earlier_release.is_none_or(|earlier| p.nominated_on > earlier))
        .collect();
    let grant_handed_over = in_episode.iter().any(|p| p.grant_handed_over);
    let counted = in_episode
        .iter()
        .filter(|p| p.started_on.is_some_and(|started| started <= t0))
        .max_by_key(|p| (p.ended_on.unwrap_or(t0).min(t0), p.started_on, p.participation_id));
    let leaf = match counted {
        Some(p) => started_leaf(p, t0),
        None if in_episode.iter().any(|p| p.approved || p.waitlisted || p.accepted) => 5,
        None if !in_episode.is_empty() => 6,
        None => NEVER_NOMINATED,
    };
    (leaf, grant_handed_over, counted.map(|p| p.package_id))
}

/// The group of a participation started by `t0`.
fn started_leaf(participation: &PersonParticipationRow, t0: NaiveDate) -> usize {
    if participation.completed_on.is_some_and(|completed| completed <= t0) {
        return if participation.outcome.as_deref() == Some("graduate") { 0 } else { 1 };
    }
    match (participation.ended_on, participation.outcome.as_deref()) {
        (Some(ended), Some("non_completer")) if ended <= t0 => 2,
        (Some(ended), Some("personal_exit")) if ended <= t0 => 4,
        _ => 3,
    }
}

/// What one member shows in one window: followed in full or not, and per tier the dates of
/// the outcomes (empty when not followed in full).
struct Followed {
    full: bool,
    outcomes: [Vec<NaiveDate>; 3],
}

fn follow(
    people: &People,
    member: &Member<'_>,
    window: u32,
    waiting: u32,
    cut_off: NaiveDate,
) -> Followed {
    let end = add_months(member.t0, window);
    let waiting_end = add_months(end, waiting);
    let observed = cut_off.succ_opt().is_some_and(|after| waiting_end <= after);
    let alive = people.died_on(member.person_ref).is_none_or(|died| died >= end);
    let mut followed = Followed { full: observed && alive, outcomes: Default::default() };
    if !followed.full {
        return followed;
    }
    let in_window = |date: NaiveDate| member.t0 <= date && date < end;
    let cases = people.cases.get(member.person_ref).into_iter().flatten();
    for case in cases.filter(|case| in_window(case.offence_date)) {
        if case.conviction_date.is_some_and(|convicted| convicted < waiting_end) {
            followed.outcomes[0].push(case.offence_date);
        }
        if case.readmission_date.is_some_and(|readmitted| readmitted < waiting_end) {
            followed.outcomes[1].push(case.offence_date);
        }
    }
    let revocations = people.revocations.get(member.person_ref).into_iter().flatten();
    followed.outcomes[2] =
        revocations.filter(|r| in_window(r.revoked_on)).map(|r| r.revoked_on).collect();
    followed
}

/// The figures of one row in one window and tier.
#[derive(Default, Clone)]
struct Tally {
    outcome: i64,
    occurrences: i64,
    days: Vec<i64>,
}

/// Every count of the report, as cells of one grid tied by its sums.
struct Counts {
    grid: Grid,
    /// Per row: the cohort.
    cohort: Vec<CellId>,
    /// Per window and row: followed in full, censored.
    full: Vec<Vec<CellId>>,
    censored: Vec<Vec<CellId>>,
    /// Per window, tier and row: the outcome count, with what the measures need.
    outcome: Vec<Vec<Vec<(CellId, Tally)>>>,
    /// Per quarter: in the cohort, and each exclusion; then the totals of the exclusions.
    quarters: Vec<(String, Vec<CellId>)>,
    exclusion_totals: Vec<CellId>,
    with_grant: CellId,
    matched: CellId,
    unmatched: CellId,
    /// The post-release view: per quarter with releases, the `FOLLOW_UP` columns; the first
    /// is the quarter's cell of the cohort, shared with `quarters`.
    follow_up: Vec<(String, Vec<CellId>)>,
    /// Time to the first proven reoffence: per row its Kaplan–Meier curve, and per point of
    /// `recidivism_time::MONTHS` and row the people still followed and those reoffended by then.
    curves: Vec<Vec<crate::survival::Step>>,
    at_risk: Vec<Vec<CellId>>,
    reoffended: Vec<Vec<CellId>>,
    /// Per window, each member as followed in it.
    followed: Vec<Vec<Followed>>,
    /// The comparisons' breakdowns by release type, skill and grant.
    strata: Vec<compare::Stratum>,
}

fn count_all(
    people: &People,
    members: &[Member<'_>],
    quarters: &Quarters,
    (waiting, cut_off): (u32, NaiveDate),
    published: bool,
) -> Counts {
    // A published cut shows its period as one row: its quarters are cuts of their own, and
    // every cut has the same counts and sums (disclosure::cuts).
    let quarters = if published { collapse(quarters) } else { quarters.clone() };
    let mut follow_up = follow_up(people, members);
    if published {
        follow_up = collapse(&follow_up);
    }
    let rows = rows().len();
    let mut grid = Grid::default();
    let in_row = |row: usize| members.iter().filter(move |m| m.in_row(row));
    let cohort: Vec<CellId> = (0..rows).map(|row| grid.cell(in_row(row).count() as i64)).collect();
    let (mut full, mut censored, mut outcome) = (Vec::new(), Vec::new(), Vec::new());
    let mut followed_all = Vec::new();
    for window in WINDOWS {
        let followed: Vec<Followed> =
            members.iter().map(|m| follow(people, m, window, waiting, cut_off)).collect();
        let rows_of =
            |row: usize| members.iter().zip(&followed).filter(move |(m, _)| m.in_row(row));
        let full_n: Vec<i64> =
            (0..rows).map(|row| rows_of(row).filter(|(_, f)| f.full).count() as i64).collect();
        full.push(full_n.iter().map(|n| grid.cell(*n)).collect::<Vec<_>>());
        censored.push(
            (0..rows)
                .map(|row| grid.cell(grid.value(cohort[row]) - full_n[row]))
                .collect::<Vec<_>>(),
        );
        let mut tiers = Vec::new();
        for tier in 0..TIERS.len() {
            let mut cells = Vec::new();
            for row in 0..rows {
                let mut tally = Tally::default();
                for (member, f) in rows_of(row) {
                    if let Some(first) = f.outcomes[tier].iter().min() {
                        tally.outcome += 1;
                        tally.occurrences += f.outcomes[tier].len() as i64;
                        tally.days.push((*first - member.t0).num_days());
                    }
                }
                cells.push((grid.cell(tally.outcome), tally));
            }
            tiers.push(cells);
        }
        outcome.push(tiers);
        followed_all.push(followed);
    }
    let quarters: Vec<(String, Vec<CellId>)> = quarters
        .iter()
        .map(|(quarter, figures)| {
            (quarter.clone(), figures.iter().map(|figure| grid.cell(*figure)).collect())
        })
        .collect();
    let exclusion_totals: Vec<CellId> = (0..EXCLUSIONS.len())
        .map(|reason| grid.cell(quarters.iter().map(|(_, c)| grid.value(c[1 + reason])).sum()))
        .collect();
    let with_grant = grid.cell(members.iter().filter(|m| m.grant_handed_over).count() as i64);
    let matched_n = members.iter().filter(|m| m.from_sdp).count() as i64;
    let matched = grid.cell(matched_n);
    let unmatched = grid.cell(members.len() as i64 - matched_n);
    let follow_up = follow_up
        .into_iter()
        .map(|(quarter, figures)| {
            let in_cohort = quarters.iter().find(|(q, _)| *q == quarter).expect("a quarter").1[0];
            let mut cells = vec![in_cohort];
            cells.extend(figures[1..].iter().map(|figure| grid.cell(*figure)));
            (quarter, cells)
        })
        .collect();
    let (curves, at_risk, reoffended) = time_cells(&mut grid, people, members, waiting, cut_off);
    let skills: Vec<String> = people.skills.values().cloned().collect();
    let strata = compare::strata(&mut grid, (members, &skills), &followed_all);
    let mut counts = Counts {
        grid,
        cohort,
        full,
        censored,
        outcome,
        quarters,
        exclusion_totals,
        with_grant,
        matched,
        unmatched,
        follow_up,
        curves,
        at_risk,
        reoffended,
        followed: followed_all,
        strata,
    };
    counts.tie();
    counts
}

type TimeCells = (Vec<Vec<crate::survival::Step>>, Vec<Vec<CellId>>, Vec<Vec<CellId>>);

/// Each row's curve of time to the first proven reoffence, and its counts at each point.
fn time_cells(
    grid: &mut Grid,
    people: &People,
    members: &[Member<'_>],
    waiting: u32,
    cut_off: NaiveDate,
) -> TimeCells {
    use super::recidivism_time::{MONTHS, at, days, observation};
    let observed: Vec<Option<crate::survival::Observation>> =
        members.iter().map(|m| observation(people, m.person_ref, m.t0, waiting, cut_off)).collect();
    let of_row = |row: usize| -> Vec<crate::survival::Observation> {
        members
            .iter()
            .zip(&observed)
            .filter(|(m, _)| m.in_row(row))
            .filter_map(|(_, o)| *o)
            .collect()
    };
    let rows: Vec<Vec<crate::survival::Observation>> = (0..rows().len()).map(of_row).collect();
    let curves = rows.iter().map(|o| crate::survival::kaplan_meier(o)).collect();
    let (mut at_risk, mut reoffended) = (Vec::new(), Vec::new());
    for months in MONTHS {
        let counts: Vec<(i64, i64)> = rows.iter().map(|o| at(o, days(months))).collect();
        at_risk.push(counts.iter().map(|(n, _)| grid.cell(*n)).collect());
        reoffended.push(counts.iter().map(|(_, e)| grid.cell(*e)).collect());
    }
    (curves, at_risk, reoffended)
}

impl Counts {
    /// Declares every sum the report's counts obey, and withholds what a withheld group size
    /// or a withheld number followed would give away.
    fn tie(&mut self) {
        compare::tie(self);
        let grid = &mut self.grid;
        let column = |grid: &mut Grid, cells: &[CellId]| {
            grid.sum(cells[0], &cells[2..]);
            grid.sum(cells[1], &cells[2..2 + ITT_LEAVES]);
        };
        column(grid, &self.cohort);
        for (w, full) in self.full.iter().enumerate() {
            column(grid, full);
            column(grid, &self.censored[w]);
            for (row, cohort) in self.cohort.iter().enumerate() {
                grid.sum(*cohort, &[full[row], self.censored[w][row]]);
            }
            for tier in &self.outcome[w] {
                let cells: Vec<CellId> = tier.iter().map(|(cell, _)| *cell).collect();
                column(grid, &cells);
            }
        }
        let in_cohort: Vec<CellId> = self.quarters.iter().map(|(_, cells)| cells[0]).collect();
        grid.sum(self.cohort[0], &in_cohort);
        for (reason, total) in self.exclusion_totals.iter().enumerate() {
            let parts: Vec<CellId> =
                self.quarters.iter().map(|(_, cells)| cells[1 + reason]).collect();
            grid.sum(*total, &parts);
        }
        grid.sum(self.cohort[0], &[self.matched, self.unmatched]);
        for cells in self.at_risk.iter().chain(&self.reoffended) {
            column(grid, cells);
        }
        let with_grant: Vec<CellId> = self.follow_up.iter().map(|(_, cells)| cells[8]).collect();
        grid.sum(self.with_grant, &with_grant);
        // Nothing is shown about a group whose size is withheld, nor an outcome count beside a
        // withheld number followed: a 0 there would say something of every one of them. The
        // people followed at a point tell their group's size when no one has left it yet: a
        // group whose size is withheld shows no curve. Withholding these may call for more
        // withheld elsewhere, until nothing changes; each takes the kind of the count it is
        // withheld beside (<5 beside <5, x beside x).
        self.settle();
    }

    /// Applies the rules above and the grid's secondary suppression until nothing changes.
    /// Whether anything more is withheld.
    fn settle(&mut self) -> bool {
        let before = self.grid.withheld();
        loop {
            self.beside_withheld();
            compare::hide_beside_withheld(self);
            self.grid.protect();
            let more = self.beside_withheld() | self.grid.close_zero_sums();
            if !(compare::hide_beside_withheld(self) || more) {
                break;
            }
        }
        self.grid.withheld() > before
    }

    /// Withholds, with the same kind of marker, every count of a group whose size is withheld,
    /// every outcome count beside a withheld number followed, and every post-release figure
    /// beside a withheld number released. Whether anything changed.
    fn beside_withheld(&mut self) -> bool {
        let grid = &mut self.grid;
        let mut changed = false;
        for (row, cohort) in self.cohort.iter().enumerate() {
            for (w, full) in self.full.iter().enumerate() {
                changed |= copy_marker(grid, *cohort, full[row]);
                changed |= copy_marker(grid, *cohort, self.censored[w][row]);
                for tier in &self.outcome[w] {
                    changed |= copy_marker(grid, full[row], tier[row].0);
                }
            }
            for cells in self.at_risk.iter().chain(&self.reoffended) {
                changed |= copy_marker(grid, *cohort, cells[row]);
            }
        }
        // The post-release view's figures of a period whose releases are withheld.
        for (_, cells) in &self.follow_up {
            for cell in &cells[1..] {
                changed |= copy_marker(grid, cells[0], *cell);
            }
        }
        changed
    }

    fn shown(&self, cell: CellId) -> Cell {
        marker(self.grid.hidden(cell)).unwrap_or(Cell::Int(self.grid.value(cell)))
    }
}

/// Withholds `to` as `from` is withheld, when `to` is shown and `from` is not. Whether it did.
fn copy_marker(grid: &mut Grid, from: CellId, to: CellId) -> bool {
    match (grid.hidden(from), grid.hidden(to)) {
        (Some(Hidden::Primary), None) => grid.hide(to),
        (Some(Hidden::Secondary), None) => grid.withhold(to),
        _ => return false,
    }
    true
}

fn marker(hidden: Option<Hidden>) -> Option<Cell> {
    hidden.map(Hidden::cell)
}

/// The marker of a figure derived from two counts: suppressed when either is, else withheld
/// when either is.
fn either(a: Option<Hidden>, b: Option<Hidden>) -> Option<Hidden> {
    match (a, b) {
        (Some(Hidden::Primary), _) | (_, Some(Hidden::Primary)) => Some(Hidden::Primary),
        (None, None) => None,
        _ => Some(Hidden::Secondary),
    }
}

/// The rate of a row: outcome over followed in full, in percent, when both are shown.
fn rate(counts: &Counts, full: CellId, outcome: CellId) -> Result<Option<f64>, Cell> {
    let grid = &counts.grid;
    if let Some(cell) = marker(either(grid.hidden(full), grid.hidden(outcome))) {
        return Err(cell);
    }
    let (n, k) = (grid.value(full), grid.value(outcome));
    Ok((n > 0).then(|| k as f64 * 100.0 / n as f64))
}

/// The dates of the data: the latest SDP extract and the latest Bapas record.
#[derive(Clone, Copy)]
struct DataDates {
    sdp: Option<NaiveDate>,
    bapas: Option<NaiveDate>,
}

impl DataDates {
    fn of(input: &Input<'_>) -> DataDates {
        DataDates {
            sdp: crate::people::sdp_extract(input.tables),
            bapas: crate::people::bapas_data(input.tables),
        }
    }

    /// The earlier of the two, or the one there is.
    fn earlier(self) -> Option<NaiveDate> {
        match (self.sdp, self.bapas) {
            (Some(sdp), Some(bapas)) => Some(sdp.min(bapas)),
            (sdp, bapas) => sdp.or(bapas),
        }
    }
}

/// The data cut-off: as asked, else the earlier of the SDP extract and Bapas data dates,
/// else the date the figures are as of.
pub(super) fn cut_off(input: &Input<'_>) -> NaiveDate {
    input.options.cut_off.or(DataDates::of(input).earlier()).unwrap_or(input.as_of)
}

/// The cohort of the cut asked for and its counts, protected alone, or together with every
/// other published cut when the reader sees published cuts only (`cuts`).
fn counted<'p>(
    input: &Input<'_>,
    people: &'p People,
    (waiting, cut_off): (u32, NaiveDate),
) -> (Vec<Member<'p>>, Counts) {
    let (members, quarters) = cohort(people, cut_off);
    let counts = if input.options.published {
        cuts::protected(input, (waiting, cut_off))
    } else {
        count_all(people, &members, &quarters, (waiting, cut_off), false)
    };
    (members, counts)
}

/// Per-quarter figures added into the one row `total`, which is there even when empty.
fn collapse<const N: usize>(by_quarter: &BTreeMap<String, [i64; N]>) -> BTreeMap<String, [i64; N]> {
    let mut total = [0; N];
    for figures in by_quarter.values() {
        total.iter_mut().zip(figures).for_each(|(sum, figure)| *sum += figure);
    }
    BTreeMap::from([(TOTAL.to_owned(), total)])
}

/// What a published cut adds to the notes.
const PUBLISHED: &str = "Published cut: its counts are protected together with every other published cut (all time, each calendar year and quarter, the whole and each facility), so that no sum or difference of cuts gives away a withheld count; a cut shows its period as one row, its quarters being cuts of their own.";

/// The name of the total row, and of a published cut's one row of its period.
const TOTAL: &str = "total";

/// The waiting period and the data cut-off of a report.
fn settings(input: &Input<'_>) -> (u32, NaiveDate) {
    (input.options.waiting_months.unwrap_or(WAITING_MONTHS_DEFAULT), cut_off(input))
}

pub(super) fn build(input: &Input<'_>) -> Report {
    let people = People::load(input);
    let (members, counts) = counted(input, &people, settings(input));
    render(input, &members, &counts)
}

/// The report of the cut `input` asks for, from its cohort and its counts.
fn render(input: &Input<'_>, members: &[Member<'_>], counts: &Counts) -> Report {
    let dates = DataDates::of(input);
    let (waiting, cut_off) = settings(input);
    let min = input.options.comparison_min.map_or(COMPARISON_SIZE_MIN, i64::from);

    let mut table = super::people::rates_table();
    for (w, window) in WINDOWS.into_iter().enumerate() {
        for (t, tier) in TIERS.into_iter().enumerate() {
            for (row, (group, label)) in rows().into_iter().enumerate() {
                let mut cells = vec![
                    Cell::text(group),
                    Cell::text(label),
                    Cell::Int(i64::from(window)),
                    Cell::text(tier),
                    counts.shown(counts.cohort[row]),
                    counts.shown(counts.full[w][row]),
                    counts.shown(counts.censored[w][row]),
                    counts.shown(counts.outcome[w][t][row].0),
                ];
                cells.extend(measures(counts, (w, t, row), min));
                table.push(cells);
            }
        }
    }
    let cohorts = cohorts_section(counts);
    let mut notes = definition_text(waiting);
    if input.options.published {
        notes.push(PUBLISHED.to_owned());
    }
    notes.extend(metadata(input, counts, cut_off, dates, waiting));
    let mut parameters = input.options.parameters();
    parameters.insert("cut_off".to_owned(), cut_off.to_string());
    parameters.insert("waiting_months".to_owned(), waiting.to_string());
    parameters.insert("definition".to_owned(), "2".to_owned());
    parameters.insert("comparison_min".to_owned(), min.to_string());
    Report {
        view: "recidivism".to_owned(),
        title: "Laporan pengulangan tindak pidana pasca-bebas — kohort rilis (post-release reoffending)".to_owned(),
        provenance: input.provenance(Some(VERSION)),
        parameters,
        sections: vec![
            table,
            cohorts,
            time_section(counts),
            compare::comparisons_section(counts, min),
            compare::breakdowns_section(counts, min),
            compare::standardised_section(counts, members, &counts.followed),
        ],
        notes,
    }
}

/// Rate, interval, frequency, median days and the difference from the never-nominated group.
fn measures(counts: &Counts, (w, t, row): (usize, usize, usize), min: i64) -> Vec<Cell> {
    let (full, (outcome, tally)) = (counts.full[w][row], &counts.outcome[w][t][row]);
    let rate = match rate(counts, full, *outcome) {
        Err(marker) => return vec![marker; 6],
        Ok(None) => return vec![Cell::Empty; 6],
        Ok(Some(rate)) => rate,
    };
    let n = counts.grid.value(full);
    let (low, high) = wilson_interval(tally.outcome, n).expect("a denominator");
    let mut days = tally.days.clone();
    let never = counts.full[w][NEVER_NOMINATED + 2];
    let never_rate = self::rate(counts, never, counts.outcome[w][t][NEVER_NOMINATED + 2].0);
    let difference = match (row, never_rate) {
        (0, _) => Cell::Empty,
        (row, _) if row == NEVER_NOMINATED + 2 => Cell::Empty,
        (_, Err(marker)) => marker,
        (_, Ok(Some(never_rate))) if n >= min && counts.grid.value(never) >= min => {
            Cell::decimal(rate - never_rate)
        }
        _ => Cell::text(INSUFFICIENT),
    };
    vec![
        Cell::decimal(rate),
        Cell::decimal(low),
        Cell::decimal(high),
        Cell::decimal(tally.occurrences as f64 * 100.0 / n as f64),
        median(&mut days).map_or(Cell::Empty, Cell::decimal),
        difference,
    ]
}

/// Time to the first proven reoffence: per group and point, the people followed, those
/// reoffended, and the Kaplan–Meier share not reoffended with its 95% interval.
fn time_section(counts: &Counts) -> Section {
    use super::recidivism_time::{MONTHS, days};
    let mut section = Section::new(
        "time_to_first_proven",
        "Time to the first proven reoffence (Kaplan-Meier), everyone followed so far",
        &[
            "group",
            "months",
            "at_risk_n",
            "reoffended_n",
            "not_reoffended_percent",
            "ci_low_percent",
            "ci_high_percent",
        ],
    );
    for (row, (group, _)) in rows().into_iter().enumerate() {
        for (point, months) in MONTHS.into_iter().enumerate() {
            let (at_risk, reoffended) = (counts.at_risk[point][row], counts.reoffended[point][row]);
            let mut cells = vec![
                Cell::text(group),
                Cell::Int(i64::from(months)),
                counts.shown(at_risk),
                counts.shown(reoffended),
            ];
            let hidden = either(counts.grid.hidden(at_risk), counts.grid.hidden(reoffended));
            cells.extend(match marker(hidden) {
                Some(marker) => vec![marker; 3],
                None if counts.grid.value(at_risk) == 0 => vec![Cell::Empty; 3],
                None => {
                    let steps = &counts.curves[row];
                    let before = steps.iter().take_while(|s| s.day <= days(months)).last();
                    let survival = before.map_or(1.0, |s| s.survival);
                    let (low, high) = before
                        .and_then(|s| s.interval)
                        .map_or((Cell::Empty, Cell::Empty), |(l, h)| {
                            (Cell::decimal(l * 100.0), Cell::decimal(h * 100.0))
                        });
                    vec![Cell::decimal(survival * 100.0), low, high]
                }
            });
            section.push(cells);
        }
    }
    section
}

fn cohorts_section(counts: &Counts) -> Section {
    let mut columns = vec!["quarter", "in_cohort"];
    let names: Vec<String> =
        EXCLUSIONS.iter().map(|(name, _)| format!("excluded_{name}")).collect();
    columns.extend(names.iter().map(String::as_str));
    let mut section = Section::new("cohorts", "Release cohorts and exclusions", &columns);
    for (quarter, cells) in counts.quarters.iter().filter(|(quarter, _)| quarter != TOTAL) {
        let mut row = vec![Cell::text(quarter)];
        row.extend(cells.iter().map(|cell| counts.shown(*cell)));
        section.push(row);
    }
    let mut total = vec![Cell::text(TOTAL), counts.shown(counts.cohort[0])];
    total.extend(counts.exclusion_totals.iter().map(|cell| counts.shown(*cell)));
    section.push(total);
    section
}

/// §(d).8: what every table is printed with.
fn metadata(
    input: &Input<'_>,
    counts: &Counts,
    cut_off: NaiveDate,
    dates: DataDates,
    waiting: u32,
) -> Vec<String> {
    let period = match (input.options.from, input.options.to) {
        (None, None) => "every release up to the data cut-off".to_owned(),
        (from, to) => format!(
            "releases from {} to {}",
            from.map_or("the first".to_owned(), |d| d.to_string()),
            to.map_or("the data cut-off".to_owned(), |d| d.to_string())
        ),
    };
    let cut_off_source = match (input.options.cut_off, dates.sdp, dates.bapas) {
        (Some(_), ..) => "as asked",
        (None, Some(sdp), Some(bapas)) if bapas < sdp => "the date of the Bapas data, the earlier",
        (None, Some(_), Some(_)) => "the date of the latest SDP extract, the earlier",
        (None, Some(_), None) => "the date of the latest SDP extract",
        (None, None, Some(_)) => "the date of the Bapas data",
        (None, None, None) => "no SDP extract or Bapas data is dated, so the date of the figures",
    };
    let date_or_none =
        |date: Option<NaiveDate>| date.map_or("none recorded".to_owned(), |d| d.to_string());
    let exclusions: Vec<String> = EXCLUSIONS
        .iter()
        .zip(&counts.exclusion_totals)
        .map(|((_, words), cell)| format!("{words}: {}", counts.shown(*cell).display()))
        .collect();
    let matched = match (counts.grid.hidden(counts.matched), counts.grid.hidden(counts.unmatched)) {
        (None, None) => {
            Cell::percent(counts.grid.value(counts.matched), counts.grid.value(counts.cohort[0]))
                .display()
        }
        _ => "withheld (small numbers)".to_owned(),
    };
    vec![
        format!(
            "Cohort period: {period}. Windows: 12, 24, 36 and 60 months; waiting period: {waiting} months. Definition: {VERSION}."
        ),
        format!(
            "Data cut-off: {cut_off} ({cut_off_source}). SDP extract date: {}. Bapas data date (the day the latest follow-up contact or Bapas case was recorded): {}.",
            date_or_none(dates.sdp),
            date_or_none(dates.bapas)
        ),
        format!("Exclusions: {}.", exclusions.join("; ")),
        format!(
            "Identity: people are matched across custody episodes by their pseudonymous ref, a keyed hash of the SDP number, and merged records are followed to the surviving one; the release of {matched}% of the cohort came from an SDP extract."
        ),
        format!(
            "Of the cohort, {} had a grant handed over in the episode.",
            counts.shown(counts.with_grant).display()
        ),
        format!("Log position: {} (the figures include every event up to it).", input.position),
    ]
}

/// The columns of the post-release view after the quarter.
const FOLLOW_UP: [&str; 10] = [
    "released",
    "contacted_by_3_months",
    "contacted_by_6_months",
    "contacted_by_12_months",
    "bekerja",
    "wirausaha",
    "tidak_bekerja",
    "using_trained_skill",
    "with_grant",
    "grant_in_use",
];

/// Per quarter of release with members, the `FOLLOW_UP` figures of the cohort.
fn follow_up(people: &People, members: &[Member<'_>]) -> BTreeMap<String, [i64; 10]> {
    let mut by_quarter: BTreeMap<String, [i64; 10]> = BTreeMap::new();
    for member in members {
        let figures = by_quarter.entry(quarter(member.t0)).or_default();
        figures[0] += 1;
        let contacts: Vec<&ContactRow> = people
            .contacts
            .get(member.person_ref)
            .into_iter()
            .flatten()
            .filter(|c| c.contacted_on >= member.t0)
            .collect();
        for (index, (from, to)) in [(1, 4), (4, 9), (9, 15)].into_iter().enumerate() {
            let window = (add_months(member.t0, from), add_months(member.t0, to));
            figures[1 + index] += i64::from(
                contacts.iter().any(|c| window.0 <= c.contacted_on && c.contacted_on < window.1),
            );
        }
        if let Some(latest) = contacts.iter().max_by_key(|c| (c.contacted_on, c.contact_id)) {
            let status = match latest.employment_status.as_str() {
                "bekerja" => 4,
                "wirausaha" => 5,
                _ => 6,
            };
            figures[status] += 1;
            figures[7] += i64::from(latest.uses_trained_skill);
            figures[9] += i64::from(member.grant_handed_over && latest.uses_grant == Some(true));
        }
        figures[8] += i64::from(member.grant_handed_over);
    }
    by_quarter
}

/// The post-release view: follow-up by quarter of release over the cohort of this definition,
/// its counts protected together with the recidivism report's (the same quarters' releases,
/// the same grant count), so neither view gives away what the other withholds.
pub(super) fn post_release(input: &Input<'_>) -> Report {
    let people = People::load(input);
    let (_, counts) = counted(input, &people, settings(input));
    render_post_release(input, &counts)
}

fn render_post_release(input: &Input<'_>, counts: &Counts) -> Report {
    let cut_off = cut_off(input);
    let mut columns = vec!["quarter"];
    columns.extend(FOLLOW_UP);
    let mut section = Section::new(
        "cohorts",
        "Pasca bebas: follow-up after release, by release quarter",
        &columns,
    );
    for (quarter, cells) in &counts.follow_up {
        let mut row = vec![Cell::text(quarter)];
        row.extend(cells.iter().map(|cell| counts.shown(*cell)));
        section.push(row);
    }
    let mut notes = vec![
        format!("Released: the recidivism cohort of definition {VERSION} (convicted, released to the community by one of the five release types, each person once). Contacts by 3, 6 and 12 months: a follow-up contact in months 1–3, 4–8 and 9–14 after release."),
        "Employment, skill use and grant use are from each person's latest contact. Counts from 1 to 4 are suppressed (<5), and further counts withheld (x) so that neither this view nor the recidivism report gives away one of them.".to_owned(),
    ];
    if input.options.published {
        notes.push(PUBLISHED.to_owned());
    }
    let mut parameters = input.options.parameters();
    parameters.insert("cut_off".to_owned(), cut_off.to_string());
    Report {
        view: "post_release".to_owned(),
        title: "Pasca bebas (post-release outcomes)".to_owned(),
        provenance: input.provenance(None),
        parameters,
        sections: vec![section],
        notes,
    }
}
