//! Recidivism definition 1 (`jejak-recidivism-1`), kept as it was published so that a
//! figure computed with it can be reproduced (`--definition 1`). Definition 2
//! (`recidivism_v2`) replaces it; docs/reports.md lists their differences.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::Input;
use super::people::{People, add_months, convicted, quarter, small};
use crate::people::{PersonParticipationRow, ReleaseRow};
use crate::report::{Cell, Report, Section, count, median, wilson_interval};

/// The version of the definition below; printed with every table it makes.
pub const VERSION: &str = "jejak-recidivism-1";
/// Follow-up windows, in calendar months; each ends exclusive.
pub const WINDOWS: [u32; 4] = [12, 24, 36, 60];
/// The waiting period for convictions, in months, unless the options say otherwise.
pub const WAITING_MONTHS_DEFAULT: u32 = 6;
/// The smallest group a difference between groups is shown for.
pub const COMPARISON_SIZE_MIN: i64 = 30;

const TIERS: [(&str, &str); 3] = [
    (
        "proven",
        "proven reoffending: offence in the window, convicted by its end plus the waiting period",
    ),
    ("readmission", "readmission for a new case with an offence in the window"),
    ("revocation", "revocation of parole or conditional leave in the window"),
];

const GROUPS: [(&str, &str); 9] = [
    ("all", "All released to the community (cohort)"),
    ("itt", "Intention to treat: started a package in the custody episode"),
    ("graduate", "Graduates (kompeten)"),
    ("completed_not_competent", "Completed, belum kompeten"),
    ("non_completer", "Non-completers (participant reasons)"),
    ("administrative_exit", "Administrative exits (released, transferred, cancelled)"),
    ("personal_exit", "Personal and health exits"),
    ("nominated_not_enrolled", "Nominated, not enrolled (quota or waiting list)"),
    ("never_nominated", "Never nominated"),
];

fn definition_text(waiting: u32) -> Vec<String> {
    vec![
        format!("Definition {VERSION}. Cohort: convicted inmates (narapidana, anak binaan) released to the community, by quarter of release; a person counts once per cohort quarter, at their first release in it. Transfers are not releases; releases of pre-trial detainees are left out and counted as exclusions."),
        format!("Index date t0: the release date. Windows of 12, 24, 36 and 60 months from t0, end exclusive, a month added as a calendar month (clamped to the month's last day). A window counts a person only if its end plus the waiting period ({waiting} months) is on or before the data cut-off."),
        "Censoring: a person who dies before a window ends is censored for it and counted as censored, not dropped; an outcome before the death still counts, and the rate's denominator is those followed for the whole window plus the censored who had the outcome.".to_owned(),
        format!("Outcomes, kept apart: (1) proven reoffending: a new case whose offence date is in the window and that was convicted by the window's end plus {waiting} months; (2) readmission for a new case whose offence date is in the window; (3) revocation of parole or conditional leave in the window (technical returns are never merged into the first)."),
        "Groups: intention to treat is everyone who started a package in the custody episode that ended at t0; a person with several participations in the episode belongs to the group of the one that ended last before t0. Nominated, not enrolled: nominated in the episode, approved or waitlisted, never started. Never nominated: no participation in the episode.".to_owned(),
        "Measures: cohort N (counted in the window), N with full follow-up, censored N, outcome n, rate, 95% Wilson interval, outcomes per 100 people, median days from t0 to the first outcome. Any count from 1 to 4 is suppressed (<5), and then its rate and interval are withheld. A difference from the never-nominated group is shown only when each group has at least 30 people.".to_owned(),
        "Caveat: participation is selected (review-board approval, good-conduct and sentence rules), so raw differences between groups are not programme effects.".to_owned(),
    ]
}

/// A person in a cohort quarter.
struct Member<'p> {
    person_ref: &'p str,
    t0: NaiveDate,
    /// The groups the person is in, `all` first.
    groups: Vec<&'static str>,
    grant_handed_over: bool,
}

/// The cohort members (first convicted release per person and quarter) and the exclusions.
fn cohort<'p>(
    people: &'p People,
    cut_off: NaiveDate,
) -> (Vec<Member<'p>>, BTreeMap<String, [i64; 4]>) {
    let mut members = Vec::new();
    let mut quarters: BTreeMap<String, [i64; 4]> = BTreeMap::new();
    let mut seen: BTreeSet<(String, &str)> = BTreeSet::new();
    for release in &people.releases {
        let entry = quarters.entry(quarter(release.released_on)).or_default();
        if release.released_on > cut_off {
            entry[3] += 1;
            continue;
        }
        if !convicted(release) {
            entry[1] += 1;
            continue;
        }
        if !seen.insert((quarter(release.released_on), release.person_ref.as_str())) {
            entry[2] += 1;
            continue;
        }
        entry[0] += 1;
        let (groups, grant_handed_over) = groups_of(people, release);
        members.push(Member {
            person_ref: &release.person_ref,
            t0: release.released_on,
            groups,
            grant_handed_over,
        });
    }
    (members, quarters)
}

/// The groups of a release: from the person's participations in the episode that ended at t0.
fn groups_of(people: &People, release: &ReleaseRow) -> (Vec<&'static str>, bool) {
    let t0 = release.released_on;
    let admitted = release.episode_admitted_on.unwrap_or(NaiveDate::MIN);
    let in_episode: Vec<&PersonParticipationRow> = people
        .participations
        .get(&release.person_ref)
        .into_iter()
        .flatten()
        .filter(|p| p.nominated_on >= admitted && p.nominated_on <= t0)
        .collect();
    let started: Vec<&&PersonParticipationRow> =
        in_episode.iter().filter(|p| p.started_on.is_some_and(|s| s <= t0)).collect();
    let grant_handed_over = in_episode.iter().any(|p| p.grant_handed_over);
    let mut groups = vec!["all"];
    if let Some(last) =
        started.iter().max_by_key(|p| (p.ended_on.unwrap_or(t0).min(t0), p.participation_id))
    {
        groups.push("itt");
        let outcome = match last.outcome.as_deref() {
            Some("graduate") => "graduate",
            Some("completed_not_competent") => "completed_not_competent",
            Some("non_completer") => "non_completer",
            Some("personal_exit") => "personal_exit",
            _ => "administrative_exit",
        };
        groups.push(outcome);
    } else if in_episode.iter().any(|p| {
        p.waitlisted || (p.approved && !p.accepted) || (p.accepted && p.started_on.is_none())
    }) {
        groups.push("nominated_not_enrolled");
    } else if in_episode.is_empty() {
        groups.push("never_nominated");
    }
    (groups, grant_handed_over)
}

/// The figures of one group, window and outcome.
#[derive(Default, Clone)]
struct Tally {
    cohort: i64,
    full: i64,
    censored: i64,
    denominator: i64,
    outcome: i64,
    occurrences: i64,
    days: Vec<i64>,
}

/// The outcome dates of `tier` for a person in the window `[t0, end)`.
fn outcome_dates(
    people: &People,
    tier: &str,
    person_ref: &str,
    t0: NaiveDate,
    end: NaiveDate,
    waiting: u32,
    cut_off: NaiveDate,
) -> Vec<NaiveDate> {
    let in_window = |date: NaiveDate| t0 <= date && date < end;
    match tier {
        "proven" => {
            let proven_by = add_months(end, waiting).min(cut_off);
            let cases = people.cases.get(person_ref).into_iter().flatten();
            cases
                .filter(|c| {
                    in_window(c.offence_date) && c.conviction_date.is_some_and(|d| d <= proven_by)
                })
                .map(|c| c.offence_date)
                .collect()
        }
        "readmission" => {
            let cases = people.cases.get(person_ref).into_iter().flatten();
            cases
                .filter(|c| {
                    in_window(c.offence_date) && c.readmission_date.is_some_and(|d| d <= cut_off)
                })
                .map(|c| c.offence_date)
                .collect()
        }
        _ => {
            let revocations = people.revocations.get(person_ref).into_iter().flatten();
            revocations.filter(|r| in_window(r.revoked_on)).map(|r| r.revoked_on).collect()
        }
    }
}

pub(super) fn build(input: &Input<'_>) -> Report {
    let people = People::load(input);
    let cut_off = input.options.cut_off.unwrap_or(input.as_of);
    let waiting = input.options.waiting_months.unwrap_or(WAITING_MONTHS_DEFAULT);
    let (members, quarters) = cohort(&people, cut_off);

    let mut tallies: BTreeMap<(&str, u32, &str), Tally> = BTreeMap::new();
    for member in &members {
        let died = people.died_on(member.person_ref);
        for window in WINDOWS {
            let end = add_months(member.t0, window);
            if add_months(end, waiting) > cut_off {
                continue;
            }
            let censored = died.is_some_and(|died| died < end);
            for (tier, _) in TIERS {
                let mut dates = outcome_dates(
                    &people,
                    tier,
                    member.person_ref,
                    member.t0,
                    end,
                    waiting,
                    cut_off,
                );
                if let Some(died) = died.filter(|_| censored) {
                    dates.retain(|date| *date < died);
                }
                let first = dates.iter().min().copied();
                for group in &member.groups {
                    let tally = tallies.entry((group, window, tier)).or_default();
                    tally.cohort += 1;
                    if censored {
                        tally.censored += 1;
                    } else {
                        tally.full += 1;
                    }
                    if !censored || first.is_some() {
                        tally.denominator += 1;
                    }
                    if let Some(first) = first {
                        tally.outcome += 1;
                        tally.occurrences += dates.len() as i64;
                        tally.days.push((first - member.t0).num_days());
                    }
                }
            }
        }
    }

    let mut table = super::people::rates_table();
    for window in WINDOWS {
        for (tier, _) in TIERS {
            let never =
                tallies.get(&("never_nominated", window, tier)).cloned().unwrap_or_default();
            for (group, label) in GROUPS {
                let tally = tallies.get(&(group, window, tier)).cloned().unwrap_or_default();
                table.push(measure_row(group, label, window, tier, &tally, &never));
            }
        }
    }
    let mut cohorts = Section::new(
        "cohorts",
        "Release cohorts and exclusions",
        &[
            "quarter",
            "in_cohort",
            "excluded_pre_trial",
            "excluded_later_release_same_quarter",
            "excluded_after_cut_off",
        ],
    );
    let mut exclusions = [0_i64; 4];
    for (quarter, figures) in &quarters {
        for (sum, figure) in exclusions.iter_mut().zip(figures) {
            *sum += figure;
        }
        cohorts.push(vec![
            Cell::text(quarter),
            count(figures[0]),
            count(figures[1]),
            count(figures[2]),
            count(figures[3]),
        ]);
    }
    let mut notes = definition_text(waiting);
    notes.push(format!("Data cut-off: {cut_off}. Waiting period: {waiting} months."));
    notes.push(format!(
        "Exclusions: {} releases of pre-trial detainees, {} later releases of a person already in the same quarter's cohort, {} releases after the cut-off.",
        exclusions[1], exclusions[2], exclusions[3]
    ));
    notes.push("Identity: people are matched across custody episodes by their pseudonymous ref, and merged records are followed to the surviving one.".to_owned());
    let with_grant = members.iter().filter(|m| m.grant_handed_over).count();
    notes.push(format!(
        "Of the cohort, {} had a grant handed over in the episode.",
        count(with_grant as i64).display()
    ));
    let mut parameters = input.options.parameters();
    parameters.insert("cut_off".to_owned(), cut_off.to_string());
    parameters.insert("waiting_months".to_owned(), waiting.to_string());
    Report {
        view: "recidivism".to_owned(),
        title: "Laporan pengulangan tindak pidana pasca-bebas — kohort rilis (post-release reoffending)".to_owned(),
        provenance: input.provenance(Some(VERSION)),
        parameters,
        sections: vec![table, cohorts],
        notes,
    }
}

fn measure_row(
    group: &str,
    label: &str,
    window: u32,
    tier: &str,
    tally: &Tally,
    never: &Tally,
) -> Vec<Cell> {
    let withheld = small(tally.outcome)
        || small(tally.denominator)
        || small(tally.cohort)
        || tally.denominator == 0;
    let rate = |t: &Tally| t.outcome as f64 * 100.0 / t.denominator as f64;
    let (rate_cell, low, high, per_100) = if withheld {
        let marker = if tally.denominator == 0 { Cell::Empty } else { Cell::Suppressed };
        (marker.clone(), marker.clone(), marker.clone(), marker)
    } else {
        let (low, high) = wilson_interval(tally.outcome, tally.denominator).expect("a denominator");
        let per_100 = tally.occurrences as f64 * 100.0 / tally.denominator as f64;
        (
            Cell::decimal(rate(tally)),
            Cell::decimal(low),
            Cell::decimal(high),
            Cell::decimal(per_100),
        )
    };
    let mut days = tally.days.clone();
    let median_days = if small(tally.outcome) {
        Cell::Suppressed
    } else {
        median(&mut days).map_or(Cell::Empty, Cell::decimal)
    };
    let comparable = !matches!(group, "all" | "never_nominated")
        && tally.denominator >= COMPARISON_SIZE_MIN
        && never.denominator >= COMPARISON_SIZE_MIN
        && !withheld
        && !small(never.outcome);
    let difference = if comparable {
        Cell::decimal(rate(tally) - rate(never))
    } else if matches!(group, "all" | "never_nominated") {
        Cell::Empty
    } else {
        Cell::text("insufficient numbers to compare")
    };
    vec![
        Cell::text(group),
        Cell::text(label),
        Cell::Int(i64::from(window)),
        Cell::text(tier),
        count(tally.cohort),
        count(tally.full),
        count(tally.censored),
        count(tally.outcome),
        rate_cell,
        low,
        high,
        per_100,
        median_days,
        difference,
    ]
}
