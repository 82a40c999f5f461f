//! An analyst who sees the programme views a reader of aggregates may open — the overview,
//! the funnel and the outcomes — on every published cut, with their small counts withheld,
//! tries to work the withheld counts out. They know how the views fit together
//! (docs/reports.md, "Published cuts"): per category, the funnel's people who started,
//! completed and were found competent are the outcomes' skills added up and their groups by
//! sex and age added up; every count of all time is the sum of the years', of a year the sum
//! of its quarters', of the whole the sum of the facilities'; a row a cut does not print
//! counts 0 there. They solve every one of those equations together, exactly, and with what
//! knowing that counts are never negative adds. They recover no withheld count; and nothing
//! computed from a withheld count (a conversion, a median, a sum of money) is printed.

mod analyst;

use analyst::Attack;
use chrono::NaiveDate;
use projections::programme::{GrantRow, PackageRow, ParticipationRow, new_participation};
use projections::projection::Config;
use projections::report::{Cell, Options, Report, is_count_column};
use projections::table::Tables;
use projections::views::{self, Input};
use proptest::prelude::*;
use uuid::Uuid;

/// The day the views are as of.
const AS_OF: &str = "2024-12-31";

const FACILITIES: [&str; 2] = ["RUTAN-SOE", "LAPAS-KUPANG"];
const SKILLS: [&str; 3] = ["menjahit", "pangkas_rambut", "tata_rias"];

fn day(offset: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2023, 1, 1).unwrap() + chrono::Days::new(u64::from(offset))
}

/// A generated package: its skill, its facility, its first day (from 2023-01-01), its length.
type GeneratedPackage = (usize, usize, u32, u32);

/// A generated participant: the package, inmate or public, sex and age band (the last of
/// each unknown), the furthest stage reached (0 nominated … 8 a grant handed over), and how
/// they stopped there (below).
type Generated = (usize, bool, usize, usize, usize, u8);

/// The last day of the quarter of `day`: a generated package runs within one quarter, so
/// that the sums between cuts the analyst writes are exact (a package running across two
/// quarters is in both, and the quarters add up to more than their year).
fn last_of_quarter(day: NaiveDate) -> NaiveDate {
    use chrono::Datelike;
    let first = NaiveDate::from_ymd_opt(day.year(), day.month0() / 3 * 3 + 1, 1).unwrap();
    first + chrono::Months::new(3) - chrono::Days::new(1)
}

fn package(n: usize, (skill, facility, start, days): GeneratedPackage) -> PackageRow {
    PackageRow {
        package_id: Uuid::from_u128(1 + n as u128),
        title: format!("Paket {n}"),
        provider: "DISNAKER-X".to_owned(),
        skill: SKILLS[skill].to_owned(),
        venue_type: "inside".to_owned(),
        facility: Some(FACILITIES[facility].to_owned()),
        location: "Bengkel".to_owned(),
        start_date: day(start),
        end_date: day(start + days).min(last_of_quarter(day(start))),
        planned_hours: 40,
        quota_total: 20,
        quota_inmates: None,
        attendance_threshold_percent: 80,
        funding_source: "APBD".to_owned(),
        grant_policy: "graduates_only".to_owned(),
        status: "finished".to_owned(),
        places_taken: 0,
        inmate_places_taken: 0,
        waitlist_length: 0,
        sessions_scheduled: 0,
    }
}

/// A participation in `package` that reached `stage`; where it stopped short, `how` says
/// why: for an inmate stopped at nomination, found not eligible (odd) or still pending; at
/// eligibility, rejected by the review board (odd) or still pending; at the start, ended for
/// their own, an operational or a personal reason (by `how` modulo 3).
fn participation(n: usize, package: &PackageRow, generated: &Generated) -> ParticipationRow {
    let &(_, inmate, sex, age, stage, how) = generated;
    let id = Uuid::from_u128(0x9a00_0000 + n as u128);
    let category = if inmate { "wbp" } else { "masyarakat" };
    let start = package.start_date;
    let mut row =
        new_participation(id, package.package_id, &format!("ref-{n}"), category, start, 1);
    row.nominated_on = start - chrono::Days::new(20);
    row.facility = inmate.then(|| package.facility.clone()).flatten();
    row.sex = ["L", "P"].get(sex).map(|s| (*s).to_owned());
    row.age_band = ["18-25", "26-35"].get(age).map(|s| (*s).to_owned());
    let on = |days: u64| Some(start + chrono::Days::new(days));
    if inmate {
        row.assessed_on = on(0).map(|d| d - chrono::Days::new(15));
        row.eligible = Some(stage >= 1 || how % 2 == 0);
        if stage == 0 && how % 2 == 1 {
            row.status = "not_eligible".to_owned();
            row.rule_set = Some("pp-7-2022".to_owned());
        }
        if stage >= 1 {
            row.decided_on = on(0).map(|d| d - chrono::Days::new(10));
        }
        if stage == 1 && how % 2 == 1 {
            row.rejection_reason = Some("other".to_owned());
        } else if stage == 1 {
            row.decided_on = None;
        }
    }
    if stage >= 3 {
        row.accepted_on = on(0).map(|d| d - chrono::Days::new(5));
    }
    if stage >= 4 {
        row.started_on = on(0);
        row.status = "in_training".to_owned();
    }
    if stage == 4 {
        row.status = "ended".to_owned();
        row.end_category =
            Some(["participant", "operational", "personal"][usize::from(how % 3)].to_owned());
        row.stopped_on = on(10);
    }
    if stage >= 5 {
        row.completed_on = on(30);
        row.status = "completed".to_owned();
    }
    if stage >= 6 {
        row.competency_result = Some("kompeten".to_owned());
        row.competency_on = on(35);
        row.graduated_on = on(35);
    }
    if stage >= 7 {
        row.certified_on = on(40);
        row.training_certificates = 1;
    }
    row
}

fn grant(n: usize, participation: &ParticipationRow) -> GrantRow {
    let on = participation.competency_on.unwrap() + chrono::Days::new(10);
    GrantRow {
        grant_id: Uuid::from_u128(0x6a00_0000 + n as u128),
        participation_id: participation.participation_id,
        package_id: participation.package_id,
        person_ref: participation.person_ref.clone(),
        status: "handed_over".to_owned(),
        items: "mesin jahit".to_owned(),
        capital_rupiah: 1_000_000,
        total_rupiah: 1_500_000 + n as i64 * 1000,
        funding_source: "APBD".to_owned(),
        budget_line: "5.1.02".to_owned(),
        proposed_by: "ppk".to_owned(),
        proposed_on: on,
        approved_by: Some("ppk".to_owned()),
        approved_on: Some(on),
        decision_ref: None,
        deferred: false,
        handed_over_by: Some("petugas".to_owned()),
        handed_over_on: Some(on),
        bast_number: Some(format!("BAST-{n}")),
        recipient: Some("sendiri".to_owned()),
        place: participation.facility.clone(),
        recovered_rupiah: 0,
        cycle: 1,
    }
}

fn tables(packages: &[GeneratedPackage], people: &[Generated]) -> Tables {
    let mut tables = Tables::folded();
    let packages: Vec<PackageRow> =
        packages.iter().enumerate().map(|(n, generated)| package(n, *generated)).collect();
    for package in &packages {
        tables.put(package);
    }
    for (n, generated) in people.iter().enumerate() {
        let row = participation(n, &packages[generated.0 % packages.len()], generated);
        if generated.4 >= 8 {
            tables.put(&grant(n, &row));
        }
        tables.put(&row);
    }
    tables
}

fn with_input<T>(tables: &Tables, options: &Options, f: impl FnOnce(&Input<'_>) -> T) -> T {
    let input = Input {
        tables,
        projection: projections::programme::DEF,
        config: Config::default(),
        position: 1,
        hash: "00",
        as_of: AS_OF.parse().unwrap(),
        options,
    };
    f(&input)
}

/// The name of a count the analyst reads, with the column it stands in; `None` for what is
/// no count (words, percentages, medians, money).
fn count_name(
    view: &str,
    section: &str,
    columns: &[String],
    row: &[Cell],
    column: usize,
) -> Option<String> {
    let name = &columns[column];
    let words: Vec<String> = row
        .iter()
        .filter_map(|cell| match cell {
            Cell::Text(text) => Some(text.clone()),
            _ => None,
        })
        .collect();
    let counted = is_count_column(name)
        && !name.starts_with("median")
        && !words.iter().any(|w| w.contains("rupiah") || w.contains("percent"))
        && matches!(row[column], Cell::Int(_) | Cell::Suppressed | Cell::Withheld);
    counted.then(|| format!("{view}|{section}|{}|{name}", words.join("/")))
}

/// What the analyst reads of one cut's three views, and the equations between them.
fn attack(reports: &[Report]) -> Attack {
    let mut attack = Attack::default();
    // Per category and tied figure: the funnel's stage, the skills' and the groups' cells.
    let mut ties: std::collections::BTreeMap<(String, String), [Vec<String>; 3]> =
        Default::default();
    for report in reports {
        for section in &report.sections {
            for row in &section.rows {
                for column in 0..row.len() {
                    let Some(name) =
                        count_name(&report.view, &section.name, &section.columns, row, column)
                    else {
                        continue;
                    };
                    attack.read(name.clone(), &row[column]);
                    if let Some((tie, side)) = tied(&section.name, &section.columns[column], row) {
                        ties.entry(tie).or_default()[side].push(name);
                    }
                }
            }
        }
    }
    for [funnel, skills, groups] in ties.into_values() {
        if let [total] = funnel.as_slice() {
            attack.sum(total, &skills);
            attack.sum(total, &groups);
        }
    }
    attack
}

/// Where a count is one of the tied figures: (category, figure) and its side (0 the funnel,
/// 1 the skills, 2 the groups).
fn tied(section: &str, column: &str, row: &[Cell]) -> Option<((String, String), usize)> {
    let text = |at: usize| match &row[at] {
        Cell::Text(text) => Some(text.clone()),
        _ => None,
    };
    let figures =
        [("started", "starters"), ("completed", "completers"), ("competent", "competent")];
    if let Some(category) = section.strip_prefix("funnel_") {
        let stage = text(0)?;
        let (_, figure) = figures.iter().find(|(s, _)| *s == stage)?;
        return (column == "reached").then(|| ((category.to_owned(), (*figure).to_owned()), 0));
    }
    let (side, category) = match section {
        "skills" => (1, text(2)?),
        "groups" => (2, text(0)?),
        _ => return None,
    };
    figures.iter().any(|(_, f)| *f == column).then(|| ((category, column.to_owned()), side))
}

/// Nothing computed from a withheld count is printed: a funnel stage's conversion and median
/// beside its own or the previous stage's withheld count, the overview's money beside its
/// withheld grant count.
fn nothing_printed_beside_withheld(reports: &[Report]) -> Result<(), String> {
    let hidden = |cell: &Cell| matches!(cell, Cell::Suppressed | Cell::Withheld);
    for report in reports {
        for section in report.sections.iter().filter(|s| s.name.starts_with("funnel_")) {
            for n in 1..section.rows.len() {
                let row = &section.rows[n];
                if (hidden(&row[1]) || hidden(&section.rows[n - 1][1]))
                    && row[2..].iter().any(|cell| matches!(cell, Cell::Tenths(_)))
                {
                    return Err(format!(
                        "{} {:?}: a figure beside a withheld count",
                        section.name, row
                    ));
                }
            }
        }
        for section in report.sections.iter().filter(|s| s.name == "indicators") {
            let value = |name: &str| {
                section.rows.iter().find(|row| row[0] == Cell::text(name)).map(|row| row[1].clone())
            };
            let grants = value("grants_handed_over_this_year").unwrap();
            let money = value("grant_rupiah_handed_over_this_year").unwrap();
            if hidden(&grants) && !hidden(&money) {
                return Err(format!("{money:?} rupiah beside a withheld grant count"));
            }
        }
    }
    Ok(())
}

fn generated_packages() -> impl Strategy<Value = Vec<GeneratedPackage>> {
    prop::collection::vec((0..SKILLS.len(), 0..FACILITIES.len(), 0u32..650, 20u32..120), 2..7)
}

fn generated_people() -> impl Strategy<Value = Vec<Generated>> {
    prop::collection::vec(
        (0usize..7, prop::bool::weighted(0.75), 0usize..3, 0usize..3, 0usize..9, 0u8..6),
        5..90,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// The analyst reads the overview, the funnel and the outcomes of every published cut and
    /// solves every equation within and between them together: they recover no withheld
    /// count, not even knowing counts are never negative; nothing is printed beside a
    /// withheld count; and each cut is what the views answer when asked for it alone.
    #[test]
    fn an_analyst_recovers_no_withheld_count_from_the_programme_views(
        packages in generated_packages(),
        people in generated_people(),
    ) {
        let tables = tables(&packages, &people);
        let published = Options { published: true, ..Options::default() };
        let cuts = with_input(&tables, &published, views::programme_cuts);
        prop_assert!(cuts.len() > 3, "all time, a year and a quarter, for the whole and a facility");
        for (options, reports) in [&cuts[0], &cuts[cuts.len() - 1]] {
            for report in reports {
                let view = views::named(&report.view).unwrap();
                let alone = with_input(&tables, options, |input| (view.build)(input));
                prop_assert_eq!(&alone, report);
            }
        }
        for (_, reports) in &cuts {
            prop_assert_eq!(nothing_printed_beside_withheld(reports), Ok(()));
        }
        let read = cuts.iter().map(|(options, reports)| (options.clone(), attack(reports))).collect();
        let attack = analyst::across(read, true);
        prop_assert_eq!(analyst::what_is_given_away(attack), Ok(()));
    }
}

/// The attack itself works: the same cuts with their counts withheld from 1 to 4 only, each
/// where it stands, give a count away to the analyst's sums.
#[test]
fn the_analyst_recovers_a_count_that_primary_suppression_alone_leaves_open() {
    let packages = [(0, 0, 30, 60), (1, 0, 200, 60), (0, 1, 400, 60)];
    let mut people: Vec<Generated> =
        (0..30).map(|n| (n % 3, true, n % 2, 0, 4 + n % 5, 0)).collect();
    people.extend((0..3).map(|n| (0, true, 1, 0, 8, n)));
    let tables = tables(&packages, &people);
    let published = Options { published: true, ..Options::default() };
    let cuts = with_input(&tables, &published, views::programme_cuts);
    let primary: Vec<(Options, Attack)> = cuts
        .iter()
        .map(|(options, _)| {
            let options = Options { published: false, ..options.clone() };
            let reports: Vec<Report> = ["overview", "funnel", "outcomes"]
                .iter()
                .map(|name| {
                    let view = views::named(name).unwrap();
                    let report = with_input(&tables, &options, |input| (view.build)(input));
                    let report = projections::report::suppress_small_counts(report);
                    Report {
                        sections: report
                            .sections
                            .into_iter()
                            .filter(|s| s.name != "packages")
                            .collect(),
                        ..report
                    }
                })
                .collect();
            (options, attack(&reports))
        })
        .collect();
    let protected = cuts.iter().map(|(o, r)| (o.clone(), attack(r))).collect();
    assert_eq!(analyst::what_is_given_away(analyst::across(protected, true)), Ok(()));
    let leak = analyst::what_is_given_away(analyst::across(primary, true));
    assert!(leak.is_err_and(|found| found.starts_with("recovered")), "primary alone leaks");
}
