//! Comparisons between the groups of definition 2 (docs/reports.md, "Comparisons"): the
//! difference of each programme group's 12- and 24-month proven reoffending rate from the
//! "nominated, not enrolled" and "never nominated" groups with its 95% interval (Newcombe's
//! hybrid score method), shown only where both groups reach the minimum size; the same by
//! release type, by skill and by whether a grant was handed over; and rates directly
//! standardised by sex and age band (and offence group where every stratum is large enough)
//! to the whole cohort. Participation is selected: every comparison carries §(d).7's caveat.
//!
//! The breakdowns' counts are cells of the report's grid, tied to the groups' counts by their
//! sums, so the report's disclosure control protects them with everything else.

use std::collections::BTreeMap;

use super::{Counts, Followed, Member, copy_marker, either, marker, rate, rows};
use crate::disclosure::{CellId, Grid};
use crate::report::{Cell, Section};
use crate::survival::newcombe_difference;

/// The windows compared: indices into `WINDOWS` (12 and 24 months). The tier is proven
/// reoffending (index 0).
pub(super) const COMPARED_WINDOWS: [usize; 2] = [0, 1];
/// The programme groups compared, as rows of the table: intention to treat and the five
/// groups of those who started.
const PROGRAMME_ROWS: [usize; 6] = [1, 2, 3, 4, 5, 6];
/// The comparison groups: nominated, not enrolled; never nominated.
const COMPARISON_ROWS: [usize; 2] = [7, 9];
const ITT_ROW: usize = 1;

pub(super) const CAVEAT: &str = "Participation is selected (review-board approval, good-conduct and sentence rules): a difference between groups is not a programme effect.";
pub const INSUFFICIENT: &str = "insufficient numbers to compare";
pub const NOT_COMPUTABLE: &str =
    "not computable: a stratum of the standard holds fewer than 5 of the group followed in full";

/// The members of one group row in one value of a breakdown: followed in full and with a
/// proven reoffence, per compared window.
pub(super) struct Stratum {
    dimension: &'static str,
    value: String,
    row: usize,
    full: Vec<CellId>,
    outcome: Vec<CellId>,
}

/// A breakdown: its name, its values in order, the rows broken down, and each member's value.
struct Dimension<'m> {
    name: &'static str,
    values: Vec<String>,
    rows: &'static [usize],
    value_of: Box<dyn Fn(&Member<'_>) -> String + 'm>,
}

/// The breakdowns. Intention to treat only: a graduate's stratum inside intention to treat's
/// would tie the two by a difference the grid does not see. The skills are every trade of the
/// log's packages and `unknown`, whoever is in them, so that the list of rows says nothing
/// of who started what.
fn dimensions<'m>(skills: &[String]) -> Vec<Dimension<'m>> {
    let mut skills: Vec<String> = skills.to_vec();
    skills.sort();
    skills.dedup();
    skills.push("unknown".to_owned());
    vec![
        Dimension {
            name: "release_type",
            values: super::COHORT_RELEASE_TYPES.iter().map(|t| (*t).to_owned()).collect(),
            rows: &[ITT_ROW, 7, 9],
            value_of: Box::new(|m| m.release_type.to_owned()),
        },
        Dimension {
            name: "skill",
            values: skills,
            rows: &[ITT_ROW],
            value_of: Box::new(|m| m.skill.unwrap_or("unknown").to_owned()),
        },
        Dimension {
            name: "grant",
            values: vec!["handed_over".to_owned(), "not_handed_over".to_owned()],
            rows: &[ITT_ROW],
            value_of: Box::new(|m| {
                if m.grant_handed_over { "handed_over" } else { "not_handed_over" }.to_owned()
            }),
        },
    ]
}

/// The breakdowns' counts as cells of `grid`; `followed[w][m]` is member `m` in window `w`.
pub(super) fn strata(
    grid: &mut Grid,
    (members, skills): (&[Member<'_>], &[String]),
    followed: &[Vec<Followed>],
) -> Vec<Stratum> {
    let mut strata = Vec::new();
    for dimension in dimensions(skills) {
        for &row in dimension.rows {
            for value in &dimension.values {
                let (mut full, mut outcome) = (Vec::new(), Vec::new());
                for w in COMPARED_WINDOWS {
                    let of = members.iter().zip(&followed[w]).filter(|(m, f)| {
                        m.in_row(row) && f.full && (dimension.value_of)(m) == *value
                    });
                    let (n, k) = of.fold((0, 0), |(n, k), (_, f)| {
                        (n + 1, k + i64::from(!f.outcomes[0].is_empty()))
                    });
                    full.push(grid.cell(n));
                    outcome.push(grid.cell(k));
                }
                strata.push(Stratum {
                    dimension: dimension.name,
                    value: value.clone(),
                    row,
                    full,
                    outcome,
                });
            }
        }
    }
    strata
}

/// Ties each breakdown to its group's counts (its values add up to the group), and withholds
/// a stratum's outcome count beside its withheld number followed.
pub(super) fn tie(counts: &mut Counts) {
    // Per breakdown, row and window: the strata's numbers followed and outcome counts.
    type Parts = (Vec<CellId>, Vec<CellId>);
    let mut parts: BTreeMap<(&str, usize, usize), Parts> = BTreeMap::new();
    for stratum in &counts.strata {
        for (i, _) in COMPARED_WINDOWS.iter().enumerate() {
            let entry = parts.entry((stratum.dimension, stratum.row, i)).or_default();
            entry.0.push(stratum.full[i]);
            entry.1.push(stratum.outcome[i]);
        }
    }
    for ((_, row, i), (full, outcome)) in parts {
        let w = COMPARED_WINDOWS[i];
        counts.grid.sum(counts.full[w][row], &full);
        counts.grid.sum(counts.outcome[w][0][row].0, &outcome);
    }
    hide_beside_withheld(counts);
}

/// Nothing is shown of a stratum of a group whose size is withheld, and a stratum's outcome
/// count is withheld with its number followed (a 0 beside either would say something of
/// every one of them), each with the kind of marker of the count it is withheld beside.
/// Returns whether anything changed.
pub(super) fn hide_beside_withheld(counts: &mut Counts) -> bool {
    let mut changed = false;
    for stratum in &counts.strata {
        let group = counts.cohort[stratum.row];
        for cell in stratum.full.iter().chain(&stratum.outcome) {
            changed |= copy_marker(&mut counts.grid, group, *cell);
        }
        for (full, outcome) in stratum.full.iter().zip(&stratum.outcome) {
            changed |= copy_marker(&mut counts.grid, *full, *outcome);
        }
    }
    changed
}

const MEASURES: [&str; 10] = [
    "group_n",
    "group_reoffended_n",
    "group_rate_percent",
    "comparison_n",
    "comparison_reoffended_n",
    "comparison_rate_percent",
    "difference_points",
    "ci_low_points",
    "ci_high_points",
    "note",
];

/// Both groups' counts and rates, and their difference with its interval: withheld with a
/// withheld count, §(d).6's words when either group is smaller than `min`.
fn compare(
    counts: &Counts,
    group: (CellId, CellId),
    against: (CellId, CellId),
    min: i64,
) -> Vec<Cell> {
    let side = |(full, outcome): (CellId, CellId)| {
        let rate = rate(counts, full, outcome);
        let shown = match &rate {
            Err(marker) => marker.clone(),
            Ok(None) => Cell::Empty,
            Ok(Some(rate)) => Cell::decimal(*rate),
        };
        let known = matches!(rate, Ok(Some(_)))
            .then(|| (counts.grid.value(outcome), counts.grid.value(full)));
        (vec![counts.shown(full), counts.shown(outcome), shown], known)
    };
    let (mut cells, mine) = side(group);
    let (theirs_cells, theirs) = side(against);
    cells.extend(theirs_cells);
    let hidden_of = |(full, outcome): (CellId, CellId)| {
        either(counts.grid.hidden(full), counts.grid.hidden(outcome))
    };
    let hidden = either(hidden_of(group), hidden_of(against));
    cells.extend(match (marker(hidden), mine, theirs) {
        (Some(marker), ..) => vec![marker.clone(), marker.clone(), marker, Cell::Empty],
        (None, Some((k1, n1)), Some((k2, n2))) if n1 >= min && n2 >= min => {
            let (difference, low, high) = newcombe_difference(k1, n1, k2, n2).expect("groups");
            vec![
                Cell::decimal(difference * 100.0),
                Cell::decimal(low * 100.0),
                Cell::decimal(high * 100.0),
                Cell::Empty,
            ]
        }
        _ => vec![Cell::Empty, Cell::Empty, Cell::Empty, Cell::text(INSUFFICIENT)],
    });
    cells
}

fn group_cells(counts: &Counts, w: usize, row: usize) -> (CellId, CellId) {
    (counts.full[w][row], counts.outcome[w][0][row].0)
}

/// Each programme group against each comparison group, in the 12- and 24-month windows.
pub(super) fn comparisons_section(counts: &Counts, min: i64) -> Section {
    let mut columns = vec!["group", "comparison", "window_months"];
    columns.extend(MEASURES);
    let mut section = Section::new(
        "comparisons",
        &format!(
            "Differences in proven reoffending between groups, 95% interval (Newcombe). {CAVEAT}"
        ),
        &columns,
    );
    let names = rows();
    for w in COMPARED_WINDOWS {
        for row in PROGRAMME_ROWS {
            for against in COMPARISON_ROWS {
                let mut cells = vec![
                    Cell::text(names[row].0),
                    Cell::text(names[against].0),
                    Cell::Int(i64::from(super::WINDOWS[w])),
                ];
                cells.extend(compare(
                    counts,
                    group_cells(counts, w, row),
                    group_cells(counts, w, against),
                    min,
                ));
                section.push(cells);
            }
        }
    }
    section
}

/// The comparisons of intention to treat by release type (against the comparison groups of
/// the same release type), by skill and by grant (against the whole comparison groups).
pub(super) fn breakdowns_section(counts: &Counts, min: i64) -> Section {
    let mut columns = vec!["breakdown", "value", "group", "comparison", "window_months"];
    columns.extend(MEASURES);
    let mut section = Section::new(
        "breakdowns",
        &format!("Differences by release type, skill and grant. {CAVEAT}"),
        &columns,
    );
    let names = rows();
    let stratum_of = |dimension: &str, value: &str, row: usize| {
        counts.strata.iter().find(|s| s.dimension == dimension && s.value == value && s.row == row)
    };
    for (i, w) in COMPARED_WINDOWS.into_iter().enumerate() {
        for stratum in counts.strata.iter().filter(|s| PROGRAMME_ROWS.contains(&s.row)) {
            for against in COMPARISON_ROWS {
                let theirs = match stratum.dimension {
                    "release_type" => match stratum_of("release_type", &stratum.value, against) {
                        Some(theirs) => (theirs.full[i], theirs.outcome[i]),
                        None => continue,
                    },
                    _ => group_cells(counts, w, against),
                };
                let mut cells = vec![
                    Cell::text(stratum.dimension),
                    Cell::text(&stratum.value),
                    Cell::text(names[stratum.row].0),
                    Cell::text(names[against].0),
                    Cell::Int(i64::from(super::WINDOWS[w])),
                ];
                cells.extend(compare(counts, (stratum.full[i], stratum.outcome[i]), theirs, min));
                section.push(cells);
            }
        }
    }
    section
}

/// A member's stratum for standardisation.
fn stratum_key(member: &Member<'_>, with_offence: bool) -> String {
    let field = |f: fn(&crate::people::PersonRow) -> &Option<String>| {
        member.person.and_then(|p| f(p).clone()).unwrap_or_else(|| "unknown".to_owned())
    };
    let mut key = format!("{}/{}", field(|p| &p.sex), field(|p| &p.age_band));
    if with_offence {
        key = format!("{key}/{}", field(|p| &p.offence_group));
    }
    key
}

/// Every group's 12- and 24-month proven reoffending rate directly standardised to the whole
/// cohort followed in full (the standard population), by sex and age band, and by offence
/// group too when every stratum of the standard holds at least 5 people.
pub(super) fn standardised_section(
    counts: &Counts,
    members: &[Member<'_>],
    followed: &[Vec<Followed>],
) -> Section {
    let mut section = Section::new(
        "standardised",
        &format!("Proven reoffending directly standardised to the whole cohort. {CAVEAT}"),
        &[
            "group",
            "window_months",
            "strata",
            "standard_n",
            "crude_rate_percent",
            "standardised_rate_percent",
            "note",
        ],
    );
    for w in COMPARED_WINDOWS {
        let full: Vec<(&Member<'_>, bool)> = members
            .iter()
            .zip(&followed[w])
            .filter(|(_, f)| f.full)
            .map(|(m, f)| (m, !f.outcomes[0].is_empty()))
            .collect();
        let tally = |with_offence: bool, row: usize| {
            let mut by: BTreeMap<String, (i64, i64)> = BTreeMap::new();
            for (m, reoffended) in full.iter().filter(|(m, _)| m.in_row(row)) {
                let entry = by.entry(stratum_key(m, with_offence)).or_default();
                entry.0 += 1;
                entry.1 += i64::from(*reoffended);
            }
            by
        };
        let with_offence = tally(true, 0).values().all(|(n, _)| *n >= 5);
        let standard = tally(with_offence, 0);
        let total: i64 = standard.values().map(|(n, _)| n).sum();
        let strata =
            if with_offence { "sex × age band × offence group" } else { "sex × age band" };
        for (row, (group, _)) in rows().into_iter().enumerate() {
            let (full_cell, outcome_cell) = group_cells(counts, w, row);
            let mut cells = vec![
                Cell::text(group),
                Cell::Int(i64::from(super::WINDOWS[w])),
                Cell::text(strata),
                counts.shown(counts.full[w][0]),
            ];
            let crude = rate(counts, full_cell, outcome_cell);
            cells.extend(match crude {
                Err(marker) => vec![marker.clone(), marker, Cell::Empty],
                Ok(None) => vec![Cell::Empty, Cell::Empty, Cell::Empty],
                Ok(Some(crude)) => {
                    // Every stratum of the standard must hold 5 or more of the group: a rate
                    // from fewer would be a small count's, and which group lacks whom would
                    // tell where a lone person is. The same words whatever the reason.
                    let mine = tally(with_offence, row);
                    let missing = standard
                        .keys()
                        .filter(|key| mine.get(*key).is_none_or(|(n, _)| *n < 5))
                        .count();
                    let standardised: f64 = standard
                        .iter()
                        .filter_map(|(key, (weight, _))| {
                            let (n, k) = mine.get(key)?;
                            Some(*weight as f64 / total as f64 * *k as f64 / *n as f64)
                        })
                        .sum();
                    match missing {
                        0 => vec![
                            Cell::decimal(crude),
                            Cell::decimal(standardised * 100.0),
                            Cell::Empty,
                        ],
                        _ => vec![Cell::decimal(crude), Cell::Empty, Cell::text(NOT_COMPUTABLE)],
                    }
                }
            });
            section.push(cells);
        }
    }
    section
}
