//! The published cuts of the programme views a reader of aggregates opens — the overview, the
//! funnel and the outcomes — protected together (docs/reports.md, "Published cuts").
//!
//! The three views share counts: per category, the funnel's people who started, completed and
//! were found competent are the outcomes' skills added up, and their groups by sex and age
//! added up. And the cuts add up: the quarters of a year to the year, the years to all time,
//! the facilities to the whole. Every count of the three views of a cut is a cell of one grid,
//! every cut's grid has the same cells (a row a cut lacks is a count of 0 there) and the same
//! sums, and `crate::disclosure::cuts` withholds until no withheld count can be worked out
//! from any view of any cut.
//!
//! The sums between cuts are near sums, taken as exact (as for the people views): a package
//! that runs across two quarters is in both, and one of no facility in every facility's cut.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};

use super::{Input, Programme, funnel_from, outcomes_from, overview_from};
use crate::disclosure::cuts::{Cut, Period, Tree, calendar, protect};
use crate::disclosure::{CellId, Grid, Hidden};
use crate::programme::PackageRow;
use crate::report::{Cell, Options, Report, Section, is_count_column};

/// The programme views whose published cuts are protected together, in a cut's order.
pub const VIEWS: [&str; 3] = ["overview", "funnel", "outcomes"];

/// What a published cut of these views says of its protection.
const PUBLISHED: &str = "Published cut: its counts are protected together with the overview, the funnel and the outcomes of every other published cut (all time, each calendar year and quarter, the whole and each facility). Counts from 1 to 4 are suppressed (<5), and further counts withheld (x) so that none of them is a total less its other parts, within a view, between views or between cuts; a percentage, median or sum of money beside a withheld count is withheld with it.";

/// Where a count stands: the view (its place in `VIEWS`), the section, the row (its words),
/// the column.
type Key = (usize, String, Vec<String>, usize);

/// The figures the outcomes' skills and groups count, and the funnel's stage for each.
const TIED: [(&str, &str); 3] =
    [("starters", "started"), ("completers", "completed"), ("competent", "competent")];

/// The three views of a cut, as computed, and the grid of their counts.
struct Counted {
    reports: Vec<Report>,
    grid: Grid,
}

impl Cut for Counted {
    fn grid(&self) -> &Grid {
        &self.grid
    }
    fn grid_mut(&mut self) -> &mut Grid {
        &mut self.grid
    }
    fn settle(&mut self) -> bool {
        let before = self.grid.withheld();
        loop {
            self.grid.protect();
            if !self.grid.close_zero_sums() {
                break;
            }
        }
        self.grid.withheld() > before
    }
}

/// The view `view` of the published cut `input` asks for, protected together with every
/// published cut (or, for a cut with no package in it, alone).
pub(super) fn published(input: &Input<'_>, view: &str) -> Report {
    let family = Family::of(input);
    let asked = ((input.options.from, input.options.to), input.options.facility.clone());
    let at = family.keys().position(|key| key == asked);
    let (keys, cut) = match at {
        Some(at) => {
            let (keys, mut cuts) = family.protected();
            (keys, cuts.swap_remove(at))
        }
        None => {
            let (keys, mut cuts) = gridded(vec![family.raw(asked.0, &asked.1)]);
            cuts[0].settle();
            (keys, cuts.swap_remove(0))
        }
    };
    let reports = render(cut, &keys);
    let wanted = reports.into_iter().find(|report| report.view == view);
    wanted.expect("a view of the programme family")
}

/// Every published cut of the overview, the funnel and the outcomes of `input`'s log, with
/// the options that ask for it: what a reader of published cuts can read, all at once.
pub fn published_cuts(input: &Input<'_>) -> Vec<(Options, Vec<Report>)> {
    let family = Family::of(input);
    let keys: Vec<(Period, Option<String>)> = family.keys().collect();
    let (cells, cuts) = family.protected();
    keys.into_iter()
        .zip(cuts)
        .map(|((period, place), cut)| (family.options(period, &place), render(cut, &cells)))
        .collect()
}

/// The log's published cuts of the programme: its periods and places and their trees, and
/// its programme read once for them all.
struct Family<'a> {
    input: &'a Input<'a>,
    whole: Programme,
    periods: Vec<Period>,
    period_tree: Tree,
    places: Vec<Option<String>>,
    place_tree: Tree,
}

impl<'a> Family<'a> {
    fn of(input: &'a Input<'a>) -> Family<'a> {
        let everything = Options {
            facility: None,
            skill: None,
            provider: None,
            from: None,
            to: None,
            ..input.options.clone()
        };
        let whole = Programme::load(&Input { options: &everything, ..*input });
        let (periods, period_tree) = periods(whole.packages.values());
        let mut facilities: Vec<String> =
            whole.packages.values().filter_map(|package| package.facility.clone()).collect();
        let inmates = whole.participations.iter().filter(|p| p.category == "wbp");
        facilities.extend(inmates.filter_map(|p| p.facility.clone()));
        facilities.sort_unstable();
        facilities.dedup();
        let mut places = vec![None];
        places.extend(facilities.into_iter().map(Some));
        let place_tree = Tree::new((0..places.len()).map(|n| (n > 0).then_some(0)).collect());
        Family { input, whole, periods, period_tree, places, place_tree }
    }

    /// Every cut, period by period, each for every place.
    fn keys(&self) -> impl Iterator<Item = (Period, Option<String>)> + '_ {
        self.periods.iter().flat_map(|p| self.places.iter().map(move |f| (*p, f.clone())))
    }

    fn options(&self, (from, to): Period, place: &Option<String>) -> Options {
        let options = self.input.options.clone();
        Options { facility: place.clone(), from, to, skill: None, provider: None, ..options }
    }

    /// The three views of one cut as computed, before any protection.
    fn raw(&self, period: Period, place: &Option<String>) -> Vec<Report> {
        let options = self.options(period, place);
        let input = Input { options: &options, ..*self.input };
        let programme = self.whole.narrowed(&input);
        vec![
            overview_from(&input, &programme),
            funnel_from(&input, &programme),
            outcomes_from(&input, &programme),
        ]
    }

    /// Every cut, in the order of `keys`, protected together.
    fn protected(&self) -> (Vec<Key>, Vec<Counted>) {
        let raw = self.keys().map(|(period, place)| self.raw(period, &place)).collect();
        let (keys, mut cuts) = gridded(raw);
        protect(&mut cuts, &self.period_tree, &self.place_tree);
        (keys, cuts)
    }
}

/// The cuts' counts as grids with the same cells and sums: one cell per count any cut shows
/// (0 where a cut has no such row), and the funnel tied to the outcomes wherever the data
/// tie them in every cut. The cells are the counts' keys, in order.
fn gridded(raw: Vec<Vec<Report>>) -> (Vec<Key>, Vec<Counted>) {
    let counts: Vec<BTreeMap<Key, i64>> = raw.iter().map(|reports| counts_of(reports)).collect();
    let mut keys: Vec<Key> = counts.iter().flat_map(|map| map.keys().cloned()).collect();
    keys.sort_unstable();
    keys.dedup();
    let ties = ties(&keys, &counts);
    let cuts = raw
        .into_iter()
        .zip(&counts)
        .map(|(reports, counts)| {
            let mut grid = Grid::default();
            for key in &keys {
                grid.cell(counts.get(key).copied().unwrap_or(0));
            }
            for (total, parts) in &ties {
                let total = match total {
                    Total::Shown(cell) => *cell,
                    Total::Unpublished => {
                        grid.unpublished(parts[0].iter().map(|c| grid.value(*c)).sum())
                    }
                };
                for parts in parts {
                    grid.sum(total, parts);
                }
            }
            Counted { reports, grid }
        })
        .collect();
    (keys, cuts)
}

/// The total a tie adds its parts up to: a count the funnel shows, or one no view shows.
enum Total {
    Shown(CellId),
    Unpublished,
}

/// Per category and tied figure, the skills' cells and the groups' cells, each adding up to
/// the funnel's stage where it does in every cut, else to a total no one is shown where the
/// two add up alike in every cut; not tied where they do not.
fn ties(keys: &[Key], counts: &[BTreeMap<Key, i64>]) -> Vec<(Total, Vec<Vec<CellId>>)> {
    let outcomes = VIEWS.iter().position(|v| *v == "outcomes").expect("outcomes");
    let funnel = VIEWS.iter().position(|v| *v == "funnel").expect("funnel");
    let cells = |section: &str, category_at: usize, column: usize, category: &str| {
        let wanted = |key: &&Key| {
            key.0 == outcomes
                && key.1 == section
                && key.2.get(category_at).is_some_and(|c| c == category)
                && key.3 == column
        };
        (0..keys.len()).filter(|id| wanted(&&keys[*id])).collect::<Vec<CellId>>()
    };
    let value = |cut: &BTreeMap<Key, i64>, ids: &[CellId]| -> i64 {
        ids.iter().map(|id| cut.get(&keys[*id]).copied().unwrap_or(0)).sum()
    };
    let mut ties = Vec::new();
    for category in ["wbp", "masyarakat"] {
        for (n, (_, stage)) in TIED.iter().enumerate() {
            // skills: skill, facility, category, then the figures; groups: category, sex,
            // age band, then the figures.
            let skills = cells("skills", 2, 3 + n, category);
            let groups = cells("groups", 0, 3 + n, category);
            let funnel_key = (funnel, format!("funnel_{category}"), vec![(*stage).to_owned()], 1);
            let shown = keys.binary_search(&funnel_key).ok();
            let alike = |total: &dyn Fn(&BTreeMap<Key, i64>) -> i64| {
                counts.iter().all(|cut| {
                    value(cut, &skills) == total(cut) && value(cut, &groups) == total(cut)
                })
            };
            let funnel_value = |cut: &BTreeMap<Key, i64>| cut.get(&funnel_key).copied();
            if let Some(cell) = shown
                && alike(&|cut| funnel_value(cut).unwrap_or(0))
            {
                ties.push((Total::Shown(cell), vec![skills, groups]));
            } else if alike(&|cut| value(cut, &skills)) {
                ties.push((Total::Unpublished, vec![skills, groups]));
            }
        }
    }
    ties
}

/// The counts of a cut's views by where they stand.
fn counts_of(reports: &[Report]) -> BTreeMap<Key, i64> {
    let mut counts = BTreeMap::new();
    for (view, report) in reports.iter().enumerate() {
        for section in &report.sections {
            for row in &section.rows {
                for (column, value) in counted(section.columns.as_slice(), row) {
                    counts.insert((view, section.name.clone(), words(row), column), value);
                }
            }
        }
    }
    counts
}

/// The counts of a row, by column: whole numbers in a count column, money excepted.
fn counted<'r>(columns: &'r [String], row: &'r [Cell]) -> impl Iterator<Item = (usize, i64)> + 'r {
    let money = words(row).iter().any(|word| word.contains("rupiah"));
    row.iter().zip(columns).enumerate().filter_map(move |(column, (cell, name))| match cell {
        Cell::Int(n) if is_count_column(name) && !money => Some((column, *n)),
        _ => None,
    })
}

/// The words of a row, which name it.
fn words(row: &[Cell]) -> Vec<String> {
    row.iter()
        .filter_map(|cell| match cell {
            Cell::Text(text) => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// A cut's views with what its grid withholds withheld (`keys` are the grid's cells), and
/// with a withheld count every percentage, median and sum of money computed from it.
fn render(cut: Counted, keys: &[Key]) -> Vec<Report> {
    let Counted { mut reports, grid } = cut;
    let hidden = |key: &Key| keys.binary_search(key).ok().and_then(|id| grid.hidden(id));
    for (view, report) in reports.iter_mut().enumerate() {
        for section in &mut report.sections {
            let columns = section.columns.clone();
            for row in &mut section.rows {
                let words = words(row);
                let found: Vec<(usize, Hidden)> = counted(&columns, row)
                    .filter_map(|(column, _)| {
                        let key = (view, section.name.clone(), words.clone(), column);
                        hidden(&key).map(|hidden| (column, hidden))
                    })
                    .collect();
                for (column, hidden) in found {
                    row[column] = hidden.cell();
                }
            }
            withheld_rows(section, view, keys, &grid);
            beside_withheld(section);
        }
        report.notes.push(PUBLISHED.to_owned());
    }
    reports
}

/// Adds the rows `section` lacks (counts of 0 in this cut) where the grid withholds one of
/// their counts: left out, they would read as 0. Such a row has its words, then its counts.
fn withheld_rows(section: &mut Section, view: usize, keys: &[Key], grid: &Grid) {
    let present: BTreeSet<Vec<String>> = section.rows.iter().map(|row| words(row)).collect();
    let mut added: BTreeMap<Vec<String>, Vec<Cell>> = BTreeMap::new();
    for (id, (_, _, row_words, column)) in keys
        .iter()
        .enumerate()
        .filter(|(_, key)| key.0 == view && key.1 == section.name && !present.contains(&key.2))
    {
        let Some(hidden) = grid.hidden(id) else { continue };
        let row = added.entry(row_words.clone()).or_insert_with(|| {
            let mut row: Vec<Cell> = row_words.iter().map(Cell::text).collect();
            row.resize(section.columns.len(), Cell::Int(0));
            row
        });
        row[*column] = hidden.cell();
    }
    if !added.is_empty() {
        section.rows.extend(added.into_values());
        section.rows.sort_by_key(|row| words(row));
    }
}

/// The marker of a withheld cell.
fn withheld(cell: &Cell) -> Option<Cell> {
    matches!(cell, Cell::Suppressed | Cell::Withheld).then(|| cell.clone())
}

/// Withholds what is computed from a withheld count, with its marker: a funnel stage's
/// conversion and median days when its count or the previous stage's is withheld, the
/// overview's money beside its withheld grant count.
fn beside_withheld(section: &mut Section) {
    if section.name.starts_with("funnel_") {
        for n in (1..section.rows.len()).rev() {
            let marker =
                withheld(&section.rows[n][1]).or_else(|| withheld(&section.rows[n - 1][1]));
            if let Some(marker) = marker {
                for cell in section.rows[n][2..].iter_mut().filter(|c| **c != Cell::Empty) {
                    *cell = marker.clone();
                }
            }
        }
    }
    if section.name == "indicators" {
        let value = |rows: &[Vec<Cell>], name: &str| {
            rows.iter().find(|row| row[0] == Cell::text(name)).and_then(|row| withheld(&row[1]))
        };
        if let Some(marker) = value(&section.rows, "grants_handed_over_this_year") {
            let money = section.rows.iter_mut().filter(|row| words(row)[0].contains("rupiah"));
            money.for_each(|row| row[1] = marker.clone());
        }
    }
}

/// How long a package may run and still have every quarter it runs in a published cut: a
/// longer one (a date typed wrong) adds its first two years' quarters, not a century's.
const LONGEST: chrono::Months = chrono::Months::new(24);

/// All time, then each calendar year and quarter a package runs in; and the tree they make.
fn periods<'p>(packages: impl Iterator<Item = &'p PackageRow>) -> (Vec<Period>, Tree) {
    let mut quarters = Vec::new();
    for package in packages {
        let last = package.start_date.checked_add_months(LONGEST).unwrap_or(package.start_date);
        let start = package.start_date;
        let quarter = NaiveDate::from_ymd_opt(start.year(), start.month0() / 3 * 3 + 1, 1);
        let mut day = quarter.unwrap_or(start);
        while day <= package.end_date.min(last) {
            quarters.push((day.year(), day.month0() / 3));
            day = match day.checked_add_months(chrono::Months::new(3)) {
                Some(next) => next,
                None => break,
            };
        }
    }
    calendar(quarters)
}
