//! An analyst who sees the people views with their small counts withheld tries to work the
//! withheld counts out. They know how the tables fit together (docs/reports.md): the groups
//! add up to the cohort and the first five to intention to treat, followed plus censored is
//! the cohort in every window, the cohort is the same in every window and outcome, the
//! quarters add up to the cohort and each exclusion to its total, the notes print the
//! exclusion totals and the grant count, the post-release view prints each quarter's
//! releases and grants, and the people followed and reoffended at each point of the time to
//! reoffence add up over the groups too. They write every one of those as an equation and solve them all
//! together, exactly (integer elimination, written here, sharing nothing with the report's
//! own protection). They recover no withheld count.

mod analyst;
mod people_history;

use std::collections::BTreeMap;

use analyst::{Attack, Term};
use events::vocabulary::{LegalStatus, ReleaseType};
use people_history::{GROUPS, History, date};
use projections::report::{Cell, Options, Report};
use projections::views;
use proptest::prelude::*;

/// Reads the recidivism report and the post-release view and writes every equation an
/// analyst knows.
fn attack(recidivism: &Report, post_release: &Report) -> Attack {
    let mut attack = Attack::default();
    let mut windows = Vec::new();
    for row in &recidivism.sections[0].rows {
        let (Cell::Text(group), Cell::Int(window), Cell::Text(tier)) = (&row[0], &row[2], &row[3])
        else {
            panic!("a row without its keys")
        };
        if !windows.contains(window) {
            windows.push(*window);
        }
        attack.read(format!("cohort {group}"), &row[4]);
        attack.read(format!("full {group} {window}"), &row[5]);
        attack.read(format!("censored {group} {window}"), &row[6]);
        attack.read(format!("outcome {group} {window} {tier}"), &row[7]);
    }
    let mut columns = vec!["cohort".to_owned()];
    for window in &windows {
        columns.push(format!("full {{}} {window}"));
        columns.push(format!("censored {{}} {window}"));
        for tier in ["proven", "readmission", "revocation"] {
            columns.push(format!("outcome {{}} {window} {tier}"));
        }
        for group in GROUPS {
            let parts = [format!("full {group} {window}"), format!("censored {group} {window}")];
            attack.sum(&format!("cohort {group}"), &parts);
        }
    }
    for column in &columns {
        let name = |group: &str| {
            if column == "cohort" { format!("cohort {group}") } else { column.replace("{}", group) }
        };
        let leaves: Vec<String> = GROUPS[2..].iter().map(|g| name(g)).collect();
        attack.sum(&name("all"), &leaves);
        attack.sum(&name("itt"), &leaves[..5]);
    }
    // The cohorts section: each quarter, and the total row (the cohort and the exclusions).
    let cohorts = &recidivism.sections[1];
    let mut quarters = Vec::new();
    for row in &cohorts.rows {
        let Cell::Text(quarter) = &row[0] else { panic!("a quarter") };
        for (c, column) in cohorts.columns.iter().enumerate().skip(1) {
            let name = if quarter == "total" && column == "in_cohort" {
                "cohort all".to_owned()
            } else {
                format!("{column} {quarter}")
            };
            attack.read(name, &row[c]);
        }
        if quarter != "total" {
            quarters.push(quarter.clone());
        }
    }
    // A published cut shows its period as one row, the total (its quarters are cuts of their
    // own); the post-release view's one row is the same cohort.
    for column in cohorts.columns.iter().skip(1).filter(|_| !quarters.is_empty()) {
        let parts: Vec<String> = quarters.iter().map(|q| format!("{column} {q}")).collect();
        let total =
            if column == "in_cohort" { "cohort all".to_owned() } else { format!("{column} total") };
        attack.sum(&total, &parts);
    }
    // Time to the first proven reoffence: people followed and reoffended at each point, the
    // groups adding up to the whole and to intention to treat.
    let time = recidivism.sections.iter().find(|s| s.name == "time_to_first_proven").unwrap();
    let mut points = Vec::new();
    for row in &time.rows {
        let (Cell::Text(group), Cell::Int(months)) = (&row[0], &row[1]) else { panic!("keys") };
        attack.read(format!("at_risk {group} {months}"), &row[2]);
        attack.read(format!("reoffended {group} {months}"), &row[3]);
        if !points.contains(months) {
            points.push(*months);
        }
    }
    for months in points {
        for what in ["at_risk", "reoffended"] {
            let name = |group: &str| format!("{what} {group} {months}");
            let leaves: Vec<String> = GROUPS[2..].iter().map(|g| name(g)).collect();
            attack.sum(&name("all"), &leaves);
            attack.sum(&name("itt"), &leaves[..5]);
        }
    }
    comparisons(recidivism, &mut attack);
    // The notes: the grant count (the exclusions are the total row again).
    let notes = recidivism.notes.join("\n");
    let grants = notes.split("Of the cohort, ").nth(1).and_then(|rest| rest.split(' ').next());
    let grants = grants.expect("the grant count is in the notes");
    let grants = match grants.parse::<i64>() {
        Ok(n) => Cell::Int(n),
        Err(_) => Cell::Suppressed,
    };
    attack.read("grants".to_owned(), &grants);
    // The post-release view: each quarter's releases (the cohort's) and grants.
    let follow = &post_release.sections[0];
    let column = |name: &str| follow.columns.iter().position(|c| c == name).unwrap();
    let mut grant_parts = Vec::new();
    for row in &follow.rows {
        let Cell::Text(quarter) = &row[0] else { panic!("a quarter") };
        attack.read(format!("in_cohort {quarter}"), &row[column("released")]);
        attack.read(format!("grants {quarter}"), &row[column("with_grant")]);
        grant_parts.push(format!("grants {quarter}"));
        // The other follow-up counts: tied to nothing within a cut, but they add up across
        // cuts.
        for (c, name) in follow.columns.iter().enumerate().skip(1) {
            if !["released", "with_grant"].contains(&name.as_str()) {
                attack.read(format!("post_release {name} {quarter}"), &row[c]);
            }
        }
    }
    attack.sum("grants", &grant_parts);
    if quarters.is_empty() {
        let released: Vec<String> =
            grant_parts.iter().map(|g| g.replace("grants", "in_cohort")).collect();
        attack.sum("cohort all", &released);
    }
    attack
}

/// The comparisons repeat the groups' counts; the breakdowns split them by release type,
/// skill and grant, each breakdown's values adding up to its group.
fn comparisons(recidivism: &Report, attack: &mut Attack) {
    let section = |name: &str| recidivism.sections.iter().find(|s| s.name == name).unwrap();
    let comparisons = section("comparisons");
    let at = |name: &str| comparisons.columns.iter().position(|c| c == name).unwrap();
    for row in &comparisons.rows {
        let [Cell::Text(group), Cell::Text(against), Cell::Int(window)] = &row[..3] else {
            panic!("keys")
        };
        attack.read(format!("full {group} {window}"), &row[at("group_n")]);
        attack.read(format!("outcome {group} {window} proven"), &row[at("group_reoffended_n")]);
        attack.read(format!("full {against} {window}"), &row[at("comparison_n")]);
        let outcome = format!("outcome {against} {window} proven");
        attack.read(outcome, &row[at("comparison_reoffended_n")]);
    }
    let breakdowns = section("breakdowns");
    let at = |name: &str| breakdowns.columns.iter().position(|c| c == name).unwrap();
    let mut parts: BTreeMap<(String, String, i64), Vec<String>> = BTreeMap::new();
    for row in &breakdowns.rows {
        let [
            Cell::Text(by),
            Cell::Text(value),
            Cell::Text(group),
            Cell::Text(against),
            Cell::Int(w),
        ] = &row[..5]
        else {
            panic!("keys")
        };
        let mut sides = vec![(group, "group")];
        if by == "release_type" {
            sides.push((against, "comparison"));
        }
        for (who, side) in sides {
            let name = format!("{by} {value} {who} {w}");
            attack.read(format!("full {name}"), &row[at(&format!("{side}_n"))]);
            let outcome = format!("outcome {name} proven");
            attack.read(outcome, &row[at(&format!("{side}_reoffended_n"))]);
            let key = (by.clone(), who.clone(), *w);
            let list = parts.entry(key).or_default();
            if !list.contains(&value.to_string()) {
                list.push(value.clone());
            }
        }
    }
    for ((by, who, w), values) in parts {
        for what in ["full", "outcome"] {
            let tier = if what == "outcome" { " proven" } else { "" };
            let names: Vec<String> =
                values.iter().map(|v| format!("{what} {by} {v} {who} {w}{tier}")).collect();
            attack.sum(&format!("{what} {who} {w}{tier}"), &names);
        }
    }
}

/// A generated person, in days from 2022-01-01: released, nominated, what became of the
/// participation, died, a new case (offence, days to conviction), a grant handed over.
type Generated = (u32, u32, u8, Option<u32>, Option<(u32, u32)>, bool);

fn person_history(people: &[Generated]) -> History {
    let mut history = History::new();
    history.package(1, "menjahit");
    history.package(2, "pangkas_rambut");
    for (n, (released, nominated, kind, died, case, grant)) in people.iter().enumerate() {
        history.package = uuid::Uuid::from_u128(1 + n as u128 % 2);
        history.facility = FACILITIES[n % 3 % 2];
        let person = history.person(&format!("Q{n:03}"), LegalStatus::Narapidana);
        let day = |d: u32| (date("2022-01-01") + chrono::Days::new(u64::from(d))).to_string();
        let kinds = ["none", "graduate", "non_completer", "waitlisted", "rejected", "completed"];
        let kind = kinds[usize::from(*kind) % kinds.len()];
        if kind != "none" {
            let id = history.participation(&person, &day(*nominated), kind, &day(nominated + 60));
            if *grant && kind == "graduate" {
                history.grant_handed_over(&person, id, &day(nominated + 70));
            }
        }
        let release_type = match n % 11 {
            0 => ReleaseType::Lainnya,
            n if n % 3 == 0 => ReleaseType::PembebasanBersyarat,
            _ => ReleaseType::BebasMurni,
        };
        history.release_as(&person, &day(*released), LegalStatus::Narapidana, release_type, None);
        if let Some((offence, convicted)) = case {
            history.case(&person, &day(*offence), Some(&day(offence + convicted)));
        }
        if let Some(died) = died {
            history.died(&person, &day(*died));
        }
    }
    history
}

/// Generated people: released in `released` (days from 2022-01-01), one in seven dying in
/// `died`, two in five with a new case (offence in `offence`, convicted `convicted` days later).
fn generated(
    released: std::ops::Range<u32>,
    (died, offence, convicted): (std::ops::Range<u32>, std::ops::Range<u32>, std::ops::Range<u32>),
    people: std::ops::Range<usize>,
) -> impl Strategy<Value = Vec<Generated>> {
    let person = (
        released,
        0u32..190,
        0u8..6,
        prop::option::weighted(0.15, died),
        prop::option::weighted(0.4, (offence, convicted)),
        any::<bool>(),
    );
    prop::collection::vec(person, people)
}

/// Two facilities, the first releasing twice as many.
const FACILITIES: [&str; 2] = ["RUTAN-SOE", "LAPAS-KUPANG"];

fn view(history: &History, name: &str) -> Report {
    let options = Options { cut_off: Some(date("2025-12-31")), ..Options::default() };
    history.build(views::named(name).unwrap().build, &options, "2025-12-31")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 20, ..ProptestConfig::default() })]

    #[test]
    fn an_analyst_recovers_no_withheld_count_from_the_people_views(
        people in generated(200..1000, (300..1500, 300..1400, 10..500), 5..80)
    ) {
        let history = person_history(&people);
        let attack = attack(&view(&history, "recidivism"), &view(&history, "post_release"));
        let withheld = attack.cells.values().filter(|t| matches!(t, Term::Unknown(_))).count();
        let recovered = attack.recovered();
        prop_assert!(recovered.is_empty(), "recovered {:?} of {} withheld", recovered, withheld);
    }
}

/// The attack itself works: on the report with only primary suppression (each count from 1 to
/// 4 withheld where it stands, nothing else), it recovers a count.
#[test]
fn the_analyst_recovers_a_count_that_primary_suppression_alone_leaves_open() {
    let mut attack = Attack::default();
    attack.read("cohort all".to_owned(), &Cell::Int(20));
    attack.read("cohort graduate".to_owned(), &Cell::Suppressed);
    attack.read("cohort never_nominated".to_owned(), &Cell::Int(17));
    attack.sum("cohort all", &["cohort graduate".to_owned(), "cohort never_nominated".to_owned()]);
    assert_eq!(attack.recovered(), ["cohort graduate"]);
}

/// Every published cut of both views, read at once (`analyst::across`).
fn attack_cuts(cuts: &[(Options, Report, Report)]) -> Attack {
    let read = cuts.iter().map(|(options, r, p)| (options.clone(), attack(r, p))).collect();
    analyst::across(read, false)
}

proptest! {
    // Each case's analyst solves a few linear programs of thousands of counts: sixteen cases
    // keep the suite within its time.
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// The analyst reads every published cut of both views — all time, each year and quarter,
    /// the whole and each facility — and solves every equation within and between them
    /// together, with counts never negative. They recover no withheld count; and the first and
    /// the last cut they read are what the views answer when asked for them alone.
    #[test]
    fn an_analyst_recovers_no_withheld_count_from_the_sums_of_published_cuts(
        people in generated(370..900, (400..1400, 380..1300, 10..400), 5..90)
    ) {
        let history = person_history(&people);
        let options = Options { published: true, ..Options::default() };
        let cuts = history.with_input(&options, "2025-12-31", views::published_cuts);
        // Every quarter with a release is a cut, for the whole and for each facility.
        let day = |d: u32| date("2022-01-01") + chrono::Days::new(u64::from(d));
        for (n, generated) in people.iter().enumerate() {
            let released = day(generated.0);
            let quarter = cuts.iter().find(|(o, _, _)| {
                o.facility.as_deref() == Some(FACILITIES[n % 3 % 2])
                    && o.from.is_some_and(|f| f <= released && (released - f).num_days() < 92)
                    && o.to.is_some_and(|t| released <= t && (t - o.from.unwrap()).num_days() < 92)
            });
            prop_assert!(quarter.is_some(), "no quarter cut for the release on {released}");
        }
        for (asked, recidivism, post_release) in [&cuts[0], &cuts[cuts.len() - 1]] {
            let alone = history.build(views::named("recidivism").unwrap().build, asked, "2025-12-31");
            prop_assert_eq!(&alone, recidivism);
            let alone = history.build(views::named("post_release").unwrap().build, asked, "2025-12-31");
            prop_assert_eq!(&alone, post_release);
        }
        let attack = attack_cuts(&cuts);
        let within: usize = cuts.iter().map(|(_, r, p)| self::attack(r, p).equations.len()).sum();
        prop_assert!(attack.equations.len() > within, "the sums between cuts are written");
        // Nor from knowing that counts are never negative.
        prop_assert_eq!(analyst::what_is_given_away(attack), Ok(()));
    }
}

/// Protecting each cut alone is not enough: the same history's cuts, each protected on its
/// own as a reader who may see names gets them, give counts away to the analyst's sums.
#[test]
fn cuts_protected_one_by_one_give_counts_away() {
    let people: Vec<Generated> = (0..24)
        .map(|n| {
            (
                400 + n * 13,
                30 + n,
                (n % 6) as u8,
                None,
                (n % 3 == 0).then_some((500 + n * 7, 40)),
                n % 2 == 0,
            )
        })
        .collect();
    let history = person_history(&people);
    let published = Options { published: true, ..Options::default() };
    let cuts = history.with_input(&published, "2025-12-31", views::published_cuts);
    let alone: Vec<(Options, Report, Report)> = cuts
        .iter()
        .map(|(options, _, _)| {
            let options = Options { published: false, ..options.clone() };
            let build = |name: &str| {
                history.build(views::named(name).unwrap().build, &options, "2025-12-31")
            };
            (options.clone(), build("recidivism"), build("post_release"))
        })
        .collect();
    assert_eq!(analyst::what_is_given_away(attack_cuts(&cuts)), Ok(()));
    let leak = analyst::what_is_given_away(attack_cuts(&alone));
    assert!(leak.is_err_and(|found| found.starts_with("recovered")), "one by one, a count");
}
