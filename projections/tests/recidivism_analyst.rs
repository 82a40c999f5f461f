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

mod people_history;

use std::collections::BTreeMap;

use events::vocabulary::{LegalStatus, ReleaseType};
use people_history::{GROUPS, History, date};
use projections::report::{Cell, Options, Report};
use projections::views;
use proptest::prelude::*;

/// What the analyst reads: a number, or an unknown they name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Term {
    Known(i64),
    Unknown(String),
}

struct Attack {
    cells: BTreeMap<String, Term>,
    /// Each equation: the names of cells adding to zero with their signs.
    equations: Vec<Vec<(String, i64)>>,
}

impl Attack {
    fn read(&mut self, name: String, cell: &Cell) {
        let term = match cell {
            Cell::Int(n) => Term::Known(*n),
            Cell::Suppressed | Cell::Withheld => Term::Unknown(name.clone()),
            other => panic!("{name}: a count shown as {other:?}"),
        };
        if let Some(before) = self.cells.get(&name) {
            // The same count read twice: the same value, or one read withheld.
            match (before, &term) {
                (Term::Known(a), Term::Known(b)) => assert_eq!(a, b, "{name} read twice"),
                (Term::Known(_), Term::Unknown(_)) => return,
                _ => {}
            }
        }
        self.cells.insert(name, term);
    }

    /// `total` = Σ `parts`.
    fn sum(&mut self, total: &str, parts: &[String]) {
        let mut equation = vec![(total.to_owned(), -1)];
        equation.extend(parts.iter().map(|part| (part.clone(), 1)));
        self.equations.push(equation);
    }

    /// The unknowns every solution of the equations gives the same value.
    fn recovered(&self) -> Vec<String> {
        let unknowns: Vec<&String> = self
            .cells
            .iter()
            .filter(|(_, term)| matches!(term, Term::Unknown(_)))
            .map(|(name, _)| name)
            .collect();
        let index: BTreeMap<&String, usize> =
            unknowns.iter().enumerate().map(|(i, name)| (*name, i)).collect();
        let matrix: Vec<Vec<i128>> = self
            .equations
            .iter()
            .map(|equation| {
                let mut row = vec![0i128; unknowns.len()];
                for (name, sign) in equation {
                    if let Some(i) = index.get(name) {
                        row[*i] += i128::from(*sign);
                    }
                }
                row
            })
            .collect();
        let full_rank = rank(matrix.clone());
        unknowns
            .iter()
            .enumerate()
            .filter(|(j, _)| {
                let without: Vec<Vec<i128>> = matrix
                    .iter()
                    .map(|row| {
                        row.iter().enumerate().filter(|(c, _)| c != j).map(|(_, x)| *x).collect()
                    })
                    .collect();
                rank(without) < full_rank
            })
            .map(|(_, name)| (*name).clone())
            .collect()
    }
}

/// The rank of an integer matrix, by fraction-free (Bareiss-style) elimination.
fn rank(mut rows: Vec<Vec<i128>>) -> usize {
    let columns = rows.first().map_or(0, Vec::len);
    let mut rank = 0;
    for col in 0..columns {
        let Some(pivot) = (rank..rows.len()).find(|r| rows[*r][col] != 0) else { continue };
        rows.swap(rank, pivot);
        for r in 0..rows.len() {
            if r != rank && rows[r][col] != 0 {
                let (a, b) = (rows[rank][col], rows[r][col]);
                let pivot_row = rows[rank].clone();
                for (x, p) in rows[r].iter_mut().zip(&pivot_row) {
                    *x = *x * a - *p * b;
                }
                let g = rows[r].iter().fold(0i128, |g, x| gcd(g, x.abs()));
                if g > 1 {
                    rows[r].iter_mut().for_each(|x| *x /= g);
                }
            }
        }
        rank += 1;
    }
    rank
}

fn gcd(a: i128, b: i128) -> i128 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Reads the recidivism report and the post-release view and writes every equation an
/// analyst knows.
fn attack(recidivism: &Report, post_release: &Report) -> Attack {
    let mut attack = Attack { cells: BTreeMap::new(), equations: Vec::new() };
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
    for column in cohorts.columns.iter().skip(1) {
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
    }
    attack.sum("grants", &grant_parts);
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

fn view(history: &History, name: &str) -> Report {
    let options = Options { cut_off: Some(date("2025-12-31")), ..Options::default() };
    history.build(views::named(name).unwrap().build, &options, "2025-12-31")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 20, ..ProptestConfig::default() })]

    #[test]
    fn an_analyst_recovers_no_withheld_count_from_the_people_views(
        people in prop::collection::vec(
            (
                200u32..1000,
                0u32..190,
                0u8..6,
                prop::option::weighted(0.15, 300u32..1500),
                prop::option::weighted(0.4, (300u32..1400, 10u32..500)),
                any::<bool>(),
            ),
            5..80,
        )
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
    let mut attack = Attack { cells: BTreeMap::new(), equations: Vec::new() };
    attack.read("cohort all".to_owned(), &Cell::Int(20));
    attack.read("cohort graduate".to_owned(), &Cell::Suppressed);
    attack.read("cohort never_nominated".to_owned(), &Cell::Int(17));
    attack.sum("cohort all", &["cohort graduate".to_owned(), "cohort never_nominated".to_owned()]);
    assert_eq!(attack.recovered(), ["cohort graduate"]);
}
