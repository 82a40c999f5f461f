//! The evaluator's extract holds everything the report is counted from: over generated
//! histories, every cell the version-2 report shows — the table, the cohorts, the time to
//! reoffence, the comparisons, the breakdowns and the standardised rates — is counted again
//! here from the extract's rows alone, with the arithmetic (Wilson, Kaplan–Meier with
//! Greenwood's log-log interval, Newcombe) written here too. A withheld cell is skipped: it
//! is not published.

mod people_history;

use std::collections::{BTreeMap, BTreeSet};

use people_history::generated::{history, person};
use people_history::{GROUPS, date};
use projections::report::{Cell, Options, Report, Section};
use projections::views::{self, Input, person_level};
use proptest::prelude::*;

const Z: f64 = 1.959_963_984_540_054;
/// An extract row: column → the value as written in the CSV.
type Row = BTreeMap<String, String>;

fn build(history: &people_history::History, build: fn(&Input<'_>) -> Report) -> Report {
    let options = Options {
        cut_off: Some(date("2025-12-31")),
        waiting_months: Some(6),
        ..Options::default()
    };
    history.build(build, &options, "2025-12-31")
}

fn rows_of(extract: &Report) -> Vec<Row> {
    let section = &extract.sections[0];
    section
        .rows
        .iter()
        .map(|row| section.columns.iter().cloned().zip(row.iter().map(Cell::display)).collect())
        .collect()
}

fn members_of<'r>(rows: &'r [Row], group: &str) -> Vec<&'r Row> {
    rows.iter()
        .filter(|r| r["in_cohort"] == "yes")
        .filter(|r| match group {
            "all" => true,
            "itt" => r["itt"] == "yes",
            leaf => r["group"] == leaf,
        })
        .collect()
}

fn decimal(value: f64) -> String {
    Cell::decimal(value).display()
}

fn wilson(k: i64, n: i64) -> (f64, f64) {
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let denominator = 1.0 + Z * Z / n;
    let centre = (p + Z * Z / (2.0 * n)) / denominator;
    let half = Z * (p * (1.0 - p) / n + Z * Z / (4.0 * n * n)).sqrt() / denominator;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// A shown count or figure equals what the extract gives; a withheld or empty one is skipped.
fn check(shown: &Cell, expected: impl Into<String>, what: &str) -> Result<(), TestCaseError> {
    if matches!(shown, Cell::Int(_) | Cell::Tenths(_)) {
        prop_assert_eq!(shown.display(), expected.into(), "{}", what);
    }
    Ok(())
}

/// People followed in full in window `w` and, of them, those with outcome `tier`, the count of
/// outcomes and the days to the first.
fn tally(members: &[&Row], w: i64, tier: &str) -> (i64, i64, i64, Vec<i64>) {
    let full: Vec<&&Row> = members.iter().filter(|r| r[&format!("full_{w}")] == "yes").collect();
    let with: Vec<&&&Row> = full.iter().filter(|r| r[&format!("{tier}_{w}")] == "yes").collect();
    let count: i64 =
        full.iter().map(|r| r[&format!("{tier}_count_{w}")].parse::<i64>().unwrap()).sum();
    let days = with.iter().map(|r| r[&format!("{tier}_days_{w}")].parse().unwrap()).collect();
    (full.len() as i64, with.len() as i64, count, days)
}

fn check_table(report: &Report, rows: &[Row]) -> Result<(), TestCaseError> {
    for row in &report.sections[0].rows {
        let (group, w, tier) = (row[0].display(), row[2].display(), row[3].display());
        let w: i64 = w.parse().unwrap();
        let what = format!("{group} {w} {tier}");
        let members = members_of(rows, &group);
        let (full, k, count, mut days) = tally(&members, w, &tier);
        let cohort = members.len() as i64;
        check(&row[4], cohort.to_string(), &format!("{what} cohort"))?;
        check(&row[5], full.to_string(), &format!("{what} full"))?;
        check(&row[6], (cohort - full).to_string(), &format!("{what} censored"))?;
        check(&row[7], k.to_string(), &format!("{what} outcome"))?;
        if full > 0 {
            let (low, high) = wilson(k, full);
            check(&row[8], decimal(k as f64 * 100.0 / full as f64), &format!("{what} rate"))?;
            check(&row[9], decimal(low * 100.0), &format!("{what} low"))?;
            check(&row[10], decimal(high * 100.0), &format!("{what} high"))?;
            check(
                &row[11],
                decimal(count as f64 * 100.0 / full as f64),
                &format!("{what} per 100"),
            )?;
            days.sort_unstable();
            let median = match days.len() {
                0 => String::new(),
                n if n % 2 == 1 => decimal(days[n / 2] as f64),
                n => decimal((days[n / 2 - 1] + days[n / 2]) as f64 / 2.0),
            };
            check(&row[12], median, &format!("{what} median"))?;
        }
    }
    Ok(())
}

fn check_cohorts(report: &Report, rows: &[Row]) -> Result<(), TestCaseError> {
    let cohorts = report.sections.iter().find(|s| s.name == "cohorts").unwrap();
    for row in &cohorts.rows {
        let quarter = row[0].display();
        let of: Vec<&Row> =
            rows.iter().filter(|r| quarter == "total" || r["release_quarter"] == quarter).collect();
        for (c, column) in cohorts.columns.iter().enumerate().skip(1) {
            let n = match column.strip_prefix("excluded_") {
                Some(reason) => of.iter().filter(|r| r["exclusion"] == reason).count(),
                None => of.iter().filter(|r| r["in_cohort"] == "yes").count(),
            };
            check(&row[c], n.to_string(), &format!("cohorts {quarter} {column}"))?;
        }
    }
    let grants = rows.iter().filter(|r| r["grant_handed_over"] == "yes").count();
    let notes = report.notes.join("\n");
    let shown = notes.split("Of the cohort, ").nth(1).and_then(|rest| rest.split(' ').next());
    if let Some(Ok(shown)) = shown.map(str::parse::<usize>) {
        prop_assert_eq!(shown, grants, "the grant count");
    }
    Ok(())
}

/// Kaplan–Meier at `day` with its 95% log-log interval, from (days, event) pairs.
fn kaplan_meier(observed: &[(i64, bool)], day: i64) -> (f64, Option<(f64, f64)>) {
    let event_days: BTreeSet<i64> =
        observed.iter().filter(|(d, e)| *e && *d <= day).map(|(d, _)| *d).collect();
    let (mut survival, mut greenwood) = (1.0_f64, 0.0_f64);
    for d in event_days {
        let n = observed.iter().filter(|(days, _)| *days >= d).count() as f64;
        let events = observed.iter().filter(|(days, e)| *e && *days == d).count() as f64;
        survival *= 1.0 - events / n;
        if n > events {
            greenwood += events / (n * (n - events));
        }
    }
    let interval = (survival > 0.0 && survival < 1.0).then(|| {
        let se = greenwood.sqrt() / survival.ln().abs();
        (survival.powf((Z * se).exp()), survival.powf((-Z * se).exp()))
    });
    (survival, interval)
}

fn check_time(report: &Report, rows: &[Row]) -> Result<(), TestCaseError> {
    let time = report.sections.iter().find(|s| s.name == "time_to_first_proven").unwrap();
    for row in &time.rows {
        let (group, months) = (row[0].display(), row[1].display().parse::<u32>().unwrap());
        let day = (f64::from(months) * 365.25 / 12.0).round() as i64;
        let observed: Vec<(i64, bool)> = members_of(rows, &group)
            .iter()
            .filter(|r| !r["km_days"].is_empty())
            .map(|r| (r["km_days"].parse().unwrap(), r["km_event"] == "yes"))
            .collect();
        let what = format!("time {group} {months}");
        let at_risk = observed.iter().filter(|(d, _)| *d >= day).count();
        let reoffended = observed.iter().filter(|(d, e)| *e && *d <= day).count();
        check(&row[2], at_risk.to_string(), &format!("{what} at risk"))?;
        check(&row[3], reoffended.to_string(), &format!("{what} reoffended"))?;
        let (survival, interval) = kaplan_meier(&observed, day);
        check(&row[4], decimal(survival * 100.0), &format!("{what} survival"))?;
        if let Some((low, high)) = interval {
            check(&row[5], decimal(low * 100.0), &format!("{what} low"))?;
            check(&row[6], decimal(high * 100.0), &format!("{what} high"))?;
        }
    }
    Ok(())
}

/// The measures of a comparison row (from `group_n` on), counted from two sets of members.
fn check_comparison(
    section: &Section,
    row: &[Cell],
    (mine, theirs): (&[&Row], &[&Row]),
    w: i64,
    what: &str,
) -> Result<(), TestCaseError> {
    let at = |name: &str| section.columns.iter().position(|c| c == name).unwrap();
    let (n1, k1, _, _) = tally(mine, w, "proven");
    let (n2, k2, _, _) = tally(theirs, w, "proven");
    check(&row[at("group_n")], n1.to_string(), &format!("{what} group n"))?;
    check(&row[at("group_reoffended_n")], k1.to_string(), &format!("{what} group k"))?;
    check(&row[at("comparison_n")], n2.to_string(), &format!("{what} comparison n"))?;
    check(&row[at("comparison_reoffended_n")], k2.to_string(), &format!("{what} comparison k"))?;
    if n1 == 0 || n2 == 0 {
        return Ok(());
    }
    let (p1, p2) = (k1 as f64 / n1 as f64, k2 as f64 / n2 as f64);
    check(&row[at("group_rate_percent")], decimal(p1 * 100.0), &format!("{what} rate"))?;
    check(&row[at("comparison_rate_percent")], decimal(p2 * 100.0), &format!("{what} theirs"))?;
    let ((l1, u1), (l2, u2)) = (wilson(k1, n1), wilson(k2, n2));
    let d = p1 - p2;
    let low = d - ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt();
    let high = d + ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt();
    check(&row[at("difference_points")], decimal(d * 100.0), &format!("{what} difference"))?;
    check(&row[at("ci_low_points")], decimal(low * 100.0), &format!("{what} low"))?;
    check(&row[at("ci_high_points")], decimal(high * 100.0), &format!("{what} high"))?;
    Ok(())
}

fn check_comparisons(report: &Report, rows: &[Row]) -> Result<(), TestCaseError> {
    let section = report.sections.iter().find(|s| s.name == "comparisons").unwrap();
    for row in &section.rows {
        let (group, against, w) = (row[0].display(), row[1].display(), row[2].display());
        let (mine, theirs) = (members_of(rows, &group), members_of(rows, &against));
        let what = format!("{group} vs {against} {w}");
        check_comparison(section, row, (&mine, &theirs), w.parse().unwrap(), &what)?;
    }
    let section = report.sections.iter().find(|s| s.name == "breakdowns").unwrap();
    for row in &section.rows {
        let [by, value, group, against, w] = [0, 1, 2, 3, 4].map(|i| row[i].display());
        let in_value = |r: &&Row| match by.as_str() {
            "release_type" => r["release_type"] == value,
            "skill" => r["skill"] == value,
            _ => (r["grant_handed_over"] == "yes") == (value == "handed_over"),
        };
        let mine: Vec<&Row> = members_of(rows, &group).into_iter().filter(in_value).collect();
        let theirs: Vec<&Row> = members_of(rows, &against)
            .into_iter()
            .filter(|r| by != "release_type" || r["release_type"] == value)
            .collect();
        let what = format!("{by} {value} {group} vs {against} {w}");
        check_comparison(section, row, (&mine, &theirs), w.parse().unwrap(), &what)?;
    }
    Ok(())
}

fn check_standardised(report: &Report, rows: &[Row]) -> Result<(), TestCaseError> {
    let section = report.sections.iter().find(|s| s.name == "standardised").unwrap();
    for row in &section.rows {
        let (group, w) = (row[0].display(), row[1].display().parse::<i64>().unwrap());
        let full = |group: &str| -> Vec<&Row> {
            let of = members_of(rows, group);
            of.into_iter().filter(|r| r[&format!("full_{w}")] == "yes").collect()
        };
        let key = |r: &Row, offence: bool| {
            let field = |name: &str| {
                if r[name].is_empty() { "unknown".to_owned() } else { r[name].clone() }
            };
            let mut key = format!("{}/{}", field("sex"), field("age_band"));
            if offence {
                key = format!("{key}/{}", field("offence_group"));
            }
            key
        };
        let counts = |people: &[&Row], offence: bool| {
            let mut by: BTreeMap<String, (i64, i64)> = BTreeMap::new();
            for r in people {
                let entry = by.entry(key(r, offence)).or_default();
                entry.0 += 1;
                entry.1 += i64::from(r[&format!("proven_{w}")] == "yes");
            }
            by
        };
        let standard_people = full("all");
        let offence = counts(&standard_people, true).values().all(|(n, _)| *n >= 5);
        let standard = counts(&standard_people, offence);
        let what = format!("standardised {group} {w}");
        check(&row[3], standard_people.len().to_string(), &format!("{what} standard"))?;
        let mine = counts(&full(&group), offence);
        if standard.keys().any(|k| mine.get(k).is_none_or(|(n, _)| *n < 5)) {
            continue;
        }
        let total = standard_people.len() as f64;
        let rate: f64 = standard
            .iter()
            .map(|(k, (weight, _))| *weight as f64 / total * mine[k].1 as f64 / mine[k].0 as f64)
            .sum();
        check(&row[5], decimal(rate * 100.0), &format!("{what} rate"))?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn every_published_cell_of_the_report_is_counted_again_from_the_extract_alone(
        people in prop::collection::vec(person(), 1..80)
    ) {
        let history = history(&people);
        let report = build(&history, views::named("recidivism").unwrap().build);
        let extract = build(&history, person_level::build);
        let rows = rows_of(&extract);
        let releases: usize = people.iter().map(|p| p.releases.len()).sum();
        prop_assert_eq!(rows.len(), releases, "a row per release");
        prop_assert!(rows.iter().all(|r| GROUPS[2..].contains(&r["group"].as_str()) || r["in_cohort"] == "no"));
        check_table(&report, &rows)?;
        check_cohorts(&report, &rows)?;
        check_time(&report, &rows)?;
        check_comparisons(&report, &rows)?;
        check_standardised(&report, &rows)?;
    }
}
