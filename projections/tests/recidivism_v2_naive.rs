//! Every cell of the recidivism report (definition 2) against a second computation written
//! here from the definition's text (docs/reports.md), over generated histories. The second
//! computation is deliberately naive — person by person, window by window, straight from the
//! words — and shares none of the report's code: it reads the generated story, not the read
//! model. A count the report shows must equal it; a count shown as `<5` must be one the rules
//! withhold first (1 to 4, or in a row whose group size or number followed is withheld); a
//! count shown as `x` may be anything.

mod people_history;

use chrono::{Months, NaiveDate};
use events::vocabulary::ReleaseType;
use people_history::generated::{Participation, Person, history, person};
use people_history::{GROUPS, date};
use projections::report::{Cell, Options, Report};
use proptest::prelude::*;

const CUT_OFF: &str = "2025-12-31";
const WAITING: u32 = 6;
const WINDOWS: [u32; 4] = [12, 24, 36, 60];
const TIERS: [&str; 3] = ["proven", "readmission", "revocation"];
/// The naive figures of one group, window and outcome.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Naive {
    cohort: i64,
    full: i64,
    outcome: i64,
    occurrences: i64,
}

/// The group of a person released on `t0` after an earlier release on `earlier`, read from
/// the definition: the participations of the episode, the one that ended last, its outcome.
fn group_of(person: &Person, t0: NaiveDate, earlier: Option<NaiveDate>) -> &'static str {
    let in_episode: Vec<&Participation> = person
        .participations
        .iter()
        .filter(|p| p.nominated <= t0 && earlier.is_none_or(|e| p.nominated > e))
        .collect();
    let starts = |p: &&&Participation| {
        !matches!(p.kind, "pending" | "rejected" | "waitlisted" | "approved" | "accepted")
    };
    let mut started: Vec<&&Participation> = in_episode.iter().filter(starts).collect();
    // Ended last, a running one at t0; nominations fall on distinct days, so no ties.
    started.sort_by_key(|p| {
        let end = if p.kind == "running" { t0 } else { p.ended.min(t0) };
        (end, p.nominated)
    });
    if let Some(last) = started.last() {
        let completed = matches!(last.kind, "graduate" | "completed");
        return match last.kind {
            "graduate" if last.ended <= t0 => "graduate",
            "completed" if last.ended <= t0 => "completed_not_competent",
            _ if completed || last.kind == "running" || last.ended > t0 => "administrative_exit",
            "non_completer" => "non_completer",
            "personal_exit" => "personal_exit",
            _ => "administrative_exit",
        };
    }
    if in_episode.iter().any(|p| matches!(p.kind, "waitlisted" | "approved" | "accepted")) {
        "nominated_not_enrolled"
    } else if !in_episode.is_empty() {
        "nominated_not_approved"
    } else {
        "never_nominated"
    }
}

/// Every (group, window, tier) of the cohort, counted person by person.
fn naive(
    people: &[Person],
) -> std::collections::BTreeMap<(&'static str, u32, &'static str), Naive> {
    let cut_off = date(CUT_OFF);
    let mut figures = std::collections::BTreeMap::new();
    for person in people {
        let cohort_release = person.releases.iter().find(|r| {
            r.on <= cut_off
                && r.convicted
                && !matches!(r.release_type, ReleaseType::PutusanBebas | ReleaseType::Lainnya)
        });
        let Some(release) = cohort_release else { continue };
        let t0 = release.on;
        let earlier = person.releases.iter().filter(|r| r.on < t0).map(|r| r.on).max();
        let group = group_of(person, t0, earlier);
        let itt = matches!(
            group,
            "graduate"
                | "completed_not_competent"
                | "non_completer"
                | "administrative_exit"
                | "personal_exit"
        );
        for window in WINDOWS {
            let end = t0.checked_add_months(Months::new(window)).unwrap();
            let waiting_end = end.checked_add_months(Months::new(WAITING)).unwrap();
            let observed = waiting_end - chrono::Days::new(1) <= cut_off;
            let alive_at_end = person.died.is_none_or(|died| died >= end);
            let full = observed && alive_at_end;
            let in_window = |d: NaiveDate| t0 <= d && d < end;
            for tier in TIERS {
                let occurrences = if !full {
                    0
                } else {
                    match tier {
                        "proven" => person
                            .cases
                            .iter()
                            .filter(|c| {
                                in_window(c.offence)
                                    && c.conviction.is_some_and(|d| d < waiting_end)
                            })
                            .count(),
                        "readmission" => person
                            .cases
                            .iter()
                            .filter(|c| {
                                in_window(c.offence)
                                    && c.readmission.is_some_and(|d| d < waiting_end)
                            })
                            .count(),
                        _ => person.revoked.iter().filter(|d| in_window(**d)).count(),
                    }
                } as i64;
                let mut groups = vec!["all", group];
                if itt {
                    groups.push("itt");
                }
                for g in groups {
                    let n: &mut Naive = figures.entry((g, window, tier)).or_default();
                    n.cohort += 1;
                    n.full += i64::from(full);
                    n.outcome += i64::from(occurrences > 0);
                    n.occurrences += occurrences;
                }
            }
        }
    }
    figures
}

fn report(people: &[Person]) -> Report {
    let options = Options {
        cut_off: Some(date(CUT_OFF)),
        waiting_months: Some(WAITING),
        ..Options::default()
    };
    history(people).report(&options, CUT_OFF)
}

/// A count as the report shows it, checked against the naive count: equal when shown; from 1
/// to 4 (or withheld with its row, `first_reason`) when `<5`.
fn check_count(
    shown: &Cell,
    naive: i64,
    withheld_with_row: bool,
    what: &str,
) -> Result<(), TestCaseError> {
    match shown {
        Cell::Int(n) => prop_assert_eq!(*n, naive, "{}", what),
        Cell::Suppressed => prop_assert!(
            (1..=4).contains(&naive) || withheld_with_row,
            "{} is {} yet shown <5",
            what,
            naive
        ),
        Cell::Withheld => {}
        other => prop_assert!(false, "{} shown as {:?}", what, other),
    }
    Ok(())
}

fn tenths(part: i64, whole: i64) -> i64 {
    (part * 1000 * 2 + whole) / (whole * 2)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn every_cell_of_the_report_equals_the_naive_computation_from_the_definition(
        people in prop::collection::vec(person(), 1..60)
    ) {
        let report = report(&people);
        let naive = naive(&people);
        let table = &report.sections[0];
        prop_assert_eq!(table.rows.len(), GROUPS.len() * WINDOWS.len() * TIERS.len());
        for row in &table.rows {
            let (Cell::Text(group), Cell::Int(window), Cell::Text(tier)) = (&row[0], &row[2], &row[3]) else {
                panic!("a row without its keys: {row:?}");
            };
            let key = (GROUPS.iter().find(|g| *g == group).copied().unwrap(), *window as u32, TIERS.iter().find(|t| *t == tier).copied().unwrap());
            let n = naive.get(&key).copied().unwrap_or_default();
            let what = format!("{group} {window} {tier}");
            let cohort_hidden = !matches!(row[4], Cell::Int(_));
            let full_hidden = !matches!(row[5], Cell::Int(_));
            check_count(&row[4], n.cohort, false, &format!("{what} cohort"))?;
            check_count(&row[5], n.full, cohort_hidden, &format!("{what} followed"))?;
            check_count(&row[6], n.cohort - n.full, cohort_hidden, &format!("{what} censored"))?;
            check_count(&row[7], n.outcome, cohort_hidden || full_hidden, &format!("{what} outcome"))?;
            if let (Cell::Int(_), Cell::Int(_), true) = (&row[5], &row[7], n.full > 0) {
                let Cell::Tenths(rate) = row[8] else { panic!("{what}: a rate is shown with its counts") };
                prop_assert!((rate - tenths(n.outcome, n.full)).abs() <= 1, "{} rate", what);
                let Cell::Tenths(per_100) = row[11] else { panic!("{what}: per 100") };
                prop_assert!((per_100 - tenths(n.occurrences, n.full)).abs() <= 1, "{} per 100", what);
            } else {
                prop_assert!(!matches!(row[8], Cell::Tenths(_)), "{}: a rate beside a withheld count", what);
            }
        }
    }
}
