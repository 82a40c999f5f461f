//! Disclosure control across the published cuts of a report (docs/reports.md, "Published
//! cuts").
//!
//! A role that sees aggregates reads a report over all time, a calendar year or a quarter, for
//! the whole or one facility. Those cuts add up: the quarters of a year to the year, the
//! facilities to the whole. A count withheld in one quarter, shown in the year and in the other
//! three quarters, is their difference; a count withheld in two quarters and in nothing else is
//! worked out with the help of the facilities, and so on. Protecting each cut alone is not
//! enough.
//!
//! The rule: every withheld count has a *witness*, a change of the counts of every cut that
//! keeps every sum — within each cut and between cuts — moves the withheld count, and touches
//! only withheld counts. Where there is one, no arithmetic on the shown counts can tell the
//! withheld count (the shown counts are the same with the change made). A witness is built as
//! a product: a change `u` within one cut that keeps that cut's sums (from
//! [`Grid::null_changes`]), times a *flow* through the periods (+1 on this period and each
//! period above it, or +1 here and −1 on a sibling, each carried down to a quarter) and a flow
//! through the places (the same, over facilities and the whole). Such a product keeps every
//! sum. Where the cells it touches are not all withheld, they are withheld (the cheapest flows
//! first), and what that withholds is witnessed by the same product; the cuts' own rules then
//! run again, until every withheld count has a witness.
//!
//! The sums between cuts are taken as exact. They are near sums (a person released twice in a
//! year is in two of its quarters and once in the year; released from two facilities, in both
//! and once in the whole), and the difference is a count an analyst may know: taking the sums
//! as exact protects against an analyst who knows it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::{CellId, Change, Grid, search};

/// A hierarchy of cuts along one dimension: node 0 is the whole (all time, every facility),
/// every other node has a parent, and a parent's counts are the sums of its children's.
#[derive(Debug, Clone)]
pub struct Tree {
    parent: Vec<Option<usize>>,
}

impl Tree {
    /// A tree from each node's parent; node 0 is the root and has none.
    pub fn new(parent: Vec<Option<usize>>) -> Tree {
        debug_assert!(parent.first().is_some_and(Option::is_none), "node 0 is the root");
        debug_assert!(parent.iter().enumerate().skip(1).all(|(n, p)| p.is_some_and(|p| p < n)));
        Tree { parent }
    }

    pub fn len(&self) -> usize {
        self.parent.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    pub fn children(&self, node: usize) -> impl Iterator<Item = usize> + '_ {
        (0..self.parent.len()).filter(move |n| self.parent[*n] == Some(node))
    }

    /// The paths from `node` down to a leaf (a leaf's only path is itself).
    fn down(&self, node: usize) -> Vec<Vec<usize>> {
        let below: Vec<Vec<usize>> =
            self.children(node).flat_map(|child| self.down(child)).collect();
        if below.is_empty() {
            return vec![vec![node]];
        }
        below.into_iter().map(|path| std::iter::once(node).chain(path).collect()).collect()
    }

    /// Each flow through `node`, as its nodes and signs: +1 at `node`, balanced in every sum
    /// of the tree, either carried up to the root (+1 on each node above) or set against a
    /// sibling (−1 there), and carried down to a leaf.
    fn flows(&self, node: usize) -> Vec<Flow> {
        let mut flows = Vec::new();
        let mut up = Vec::new();
        let mut at = Some(node);
        while let Some(n) = at {
            up.push(n);
            at = self.parent[n];
        }
        for down in self.down(node) {
            flows.push(up.iter().chain(&down).map(|n| (*n, 1)).collect());
        }
        let Some(parent) = self.parent[node] else { return flows };
        for sibling in self.children(parent).filter(|s| *s != node) {
            for down in self.down(node) {
                for across in self.down(sibling) {
                    let this = down.iter().map(|n| (*n, 1));
                    flows.push(this.chain(across.iter().map(|n| (*n, -1))).collect());
                }
            }
        }
        flows
    }
}

/// A period of the published cuts: all time, a calendar year or a calendar quarter.
pub type Period = (Option<NaiveDate>, Option<NaiveDate>);

/// All time, then each calendar year of `quarters` (year, quarter from 0) and each of its
/// quarters there; and the tree they make.
pub fn calendar(mut quarters: Vec<(i32, u32)>) -> (Vec<Period>, Tree) {
    quarters.sort_unstable();
    quarters.dedup();
    let day = |year: i32, month0: u32| NaiveDate::from_ymd_opt(year, month0 + 1, 1);
    let mut periods: Vec<Period> = vec![(None, None)];
    let mut parents = vec![None];
    let mut year_node = None;
    for (n, (year, quarter)) in quarters.iter().enumerate() {
        if n == 0 || quarters[n - 1].0 != *year {
            periods.push((day(*year, 0), day(*year, 11).map(last_of_month)));
            parents.push(Some(0));
            year_node = Some(periods.len() - 1);
        }
        let first = day(*year, quarter * 3);
        periods.push((first, day(*year, quarter * 3 + 2).map(last_of_month)));
        parents.push(year_node);
    }
    (periods, Tree::new(parents))
}

fn last_of_month(first: NaiveDate) -> NaiveDate {
    first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|next| next.pred_opt())
        .unwrap_or(first)
}

/// A flow through a tree: each node it changes, with the sign of the change.
type Flow = BTreeMap<usize, i64>;

/// A cut's counts with the rules of its report: after more is withheld, [`Cut::settle`] applies
/// the report's own rules (what is withheld beside a withheld count, and the cut's own
/// secondary suppression) and says whether it withheld anything.
pub trait Cut {
    fn grid(&self) -> &Grid;
    fn grid_mut(&mut self) -> &mut Grid;
    fn settle(&mut self) -> bool;
}

/// Withholds counts in `cuts` until every withheld count has a witness across them. `cuts`
/// holds one cut per period of `periods` and place of `places`, at `period * places.len() +
/// place`, every one with the same cells and sums.
pub fn protect<C: Cut>(cuts: &mut [C], periods: &Tree, places: &Tree) {
    assert_eq!(cuts.len(), periods.len() * places.len(), "one cut per period and place");
    assert!(
        cuts.windows(2).all(|pair| pair[0].grid().same_shape(pair[1].grid())),
        "every cut has the same counts and sums"
    );
    let families = families(periods, places);
    let shape = Shape::new(periods, places, search::sums(cuts, &families));
    let mut witnessed: Vec<BTreeSet<CellId>> = vec![BTreeSet::new(); cuts.len()];
    loop {
        let mut changed = false;
        for cut in cuts.iter_mut() {
            changed |= cut.settle();
        }
        let told = search::told_zeros(cuts, &shape.sums);
        let mut pending = Vec::new();
        for k in 0..cuts.len() {
            witnessed[k].extend(told[k].iter().copied());
            changed |= witness(cuts, k, &shape, (&mut witnessed, &mut pending));
            witnessed[k].retain(|c| !told[k].contains(c));
        }
        // A product that would take a count below zero proves nothing: for the counts left
        // without a witness, one searched among every change of the counts.
        pending.retain(|((k, cell), _)| !witnessed[*k].contains(cell));
        let targets: Vec<(usize, CellId)> = pending.iter().map(|(at, _)| *at).collect();
        for (t, c) in search::searched(cuts, &shape.under, &targets, |t| shape.weight(t)) {
            changed |= cuts[t].grid().hidden(c).is_none();
            cuts[t].grid_mut().withhold(c);
            witnessed[t].insert(c);
        }
        // Where the search failed (it should not), the cheapest product all the same.
        for ((k, cell), product) in pending {
            if !witnessed[k].contains(&cell) {
                for (t, c) in product {
                    cuts[t].grid_mut().withhold(c);
                    witnessed[t].insert(c);
                }
                changed = true;
            }
        }
        changed |= close_zero_sums(cuts, &families);
        if !changed {
            debug_assert!(cuts.iter().all(|cut| cut.grid().determined().is_empty()));
            return;
        }
    }
}

/// The sums between cuts as `Grid::close_zero_sums` treats a cut's own: where a cut's shown
/// count, above 0, equals the shown counts of its parts (its quarters, years or facilities)
/// while some parts are withheld, those are all 0; the smallest shown part above zero is
/// withheld too. Whether anything more is withheld.
fn close_zero_sums<C: Cut>(cuts: &mut [C], families: &[(usize, Vec<usize>)]) -> bool {
    let mut changed = false;
    let cells = cuts.first().map_or(0, |cut| cut.grid().len());
    for c in 0..cells {
        for (whole, parts) in families {
            let grid = cuts[*whole].grid();
            if grid.hidden(c).is_some() || grid.value(c) == 0 {
                continue;
            }
            let withheld = parts.iter().filter(|t| cuts[**t].grid().hidden(c).is_some());
            let values: Vec<i64> = withheld.map(|t| cuts[*t].grid().value(c)).collect();
            if values.is_empty() || values.iter().any(|v| *v != 0) {
                continue;
            }
            let shown = parts.iter().filter(|t| cuts[**t].grid().hidden(c).is_none());
            let positive = shown.filter(|t| cuts[**t].grid().value(c) > 0);
            let cut = positive.min_by_key(|t| (cuts[**t].grid().value(c), **t)).unwrap_or(whole);
            cuts[*cut].grid_mut().withhold(c);
            changed = true;
        }
    }
    changed
}

/// Gives every withheld count of cut `k` without one a witness, withholding what it touches.
/// Whether anything was withheld or witnessed. A count every product would take below zero
/// somewhere is left `pending`, with the cheapest of those products (what is withheld should
/// the search for a witness fail: it keeps the count from the sums, not from non-negativity).
fn witness<C: Cut>(
    cuts: &mut [C],
    k: usize,
    shape: &Shape<'_>,
    (witnessed, pending): (&mut [BTreeSet<CellId>], &mut Vec<Pending>),
) -> bool {
    let mut changed = false;
    for (cell, changes) in cuts[k].grid().null_changes() {
        if witnessed[k].contains(&cell) {
            continue;
        }
        let Some((possible, cells)) = cheapest_product(cuts, (k, cell), &changes, shape) else {
            continue;
        };
        if !possible {
            pending.push(((k, cell), cells));
            continue;
        }
        for (t, c) in cells {
            cuts[t].grid_mut().withhold(c);
            witnessed[t].insert(c);
        }
        changed = true;
    }
    changed
}

/// A count left without a witness by the products, and the cheapest of them.
type Pending = ((usize, CellId), Vec<(usize, CellId)>);

/// The cheapest product of one of `changes` (of cut `k`, each moving `cell`) and flows through
/// the periods and places: whether counts can take it, and the counts it touches.
fn cheapest_product<C: Cut>(
    cuts: &[C],
    (k, cell): (usize, CellId),
    changes: &[Change],
    shape: &Shape<'_>,
) -> Option<(bool, Vec<(usize, CellId)>)> {
    let places = shape.places;
    let (along, across) = (shape.periods.flows(k / places.len()), places.flows(k % places.len()));
    let mut best: Option<(Choice, Touched, &Change)> = None;
    for change in changes {
        debug_assert!(change.iter().any(|(c, _)| *c == cell), "a change moves its count");
        for along in &along {
            for across in &across {
                let touched: Vec<(usize, i64)> = along
                    .iter()
                    .flat_map(|(p, a)| {
                        across.iter().map(move |(f, b)| (p * places.len() + f, a * b))
                    })
                    .collect();
                let choice = choose(cuts, &touched, change, shape);
                if best.as_ref().is_none_or(|(least, _, _)| choice < *least) {
                    best = Some((choice, touched, change));
                }
            }
        }
    }
    let ((impossible, _), touched, change) = best?;
    let cells = touched.iter().flat_map(|(t, _)| change.iter().map(|(c, _)| (*t, *c)));
    Some((!impossible, cells.collect()))
}

/// The sums between cuts: each cut with a period or a place below it, and the cuts that add
/// up to it (its years, its quarters, its facilities).
pub(super) fn families(periods: &Tree, places: &Tree) -> Vec<(usize, Vec<usize>)> {
    let at = |p: usize, f: usize| p * places.len() + f;
    let mut families: Vec<(usize, Vec<usize>)> = Vec::new();
    for f in 0..places.len() {
        for p in 0..periods.len() {
            let children: Vec<usize> = periods.children(p).map(|c| at(c, f)).collect();
            if !children.is_empty() {
                families.push((at(p, f), children));
            }
        }
    }
    for p in 0..periods.len() {
        for f in 0..places.len() {
            let children: Vec<usize> = places.children(f).map(|c| at(p, c)).collect();
            if !children.is_empty() {
                families.push((at(p, f), children));
            }
        }
    }
    families
}

/// The shape of a family of cuts: its trees and every sum within and between its cuts.
struct Shape<'a> {
    periods: &'a Tree,
    places: &'a Tree,
    sums: Vec<search::Sum>,
    /// For each cut, the narrowest cuts (a leaf period of a leaf place) it adds up.
    under: Vec<Vec<usize>>,
}

impl<'a> Shape<'a> {
    fn new(periods: &'a Tree, places: &'a Tree, sums: Vec<search::Sum>) -> Shape<'a> {
        let leaves = |tree: &Tree, node: usize| -> Vec<usize> {
            tree.down(node).iter().filter_map(|path| path.last().copied()).collect()
        };
        let under = (0..periods.len() * places.len())
            .map(|t| {
                let (p, f) = (t / places.len(), t % places.len());
                let (along, across) = (leaves(periods, p), leaves(places, f));
                along
                    .iter()
                    .flat_map(|p| across.iter().map(move |f| p * places.len() + f))
                    .collect()
            })
            .collect();
        Shape { periods, places, sums, under }
    }

    /// How wide cut `t` is: how many quarter-and-facility cuts it adds up.
    fn weight(&self, t: usize) -> u64 {
        self.under[t].len() as u64
    }
}

/// The cuts a witness touches, each with the sign of its change there.
type Touched = Vec<(usize, i64)>;

/// How a witness ranks: one the counts can take comes first, then the cheapest.
type Choice = (bool, (u64, i64));

/// Ranks the witness `change` ⊗ `touched`: whether counts can take it — whole, never below
/// zero, in one direction or the other (a change that would make a 0 negative proves nothing
/// to an analyst who knows counts are not negative) — and what withholding it costs: the
/// counts newly withheld, each weighed by how wide its cut is (a count of a year weighs as
/// much as all its quarters', of the whole as all its facilities'), then how many people they
/// hold. The widest cuts are the most read; what is withheld goes to the narrowest first.
fn choose<C: Cut>(
    cuts: &[C],
    touched: &[(usize, i64)],
    change: &Change,
    shape: &Shape<'_>,
) -> Choice {
    let mut cost = (0, 0);
    let mut possible = [true, true];
    for (t, sign) in touched {
        let weight = shape.weight(*t);
        let grid = cuts[*t].grid();
        for (c, gain) in change {
            let value = grid.value(*c);
            for (direction, possible) in [1, -1].iter().zip(&mut possible) {
                *possible &= value + direction * sign * gain >= 0;
            }
            if grid.hidden(*c).is_none() {
                cost.0 += weight;
                cost.1 += value;
            }
        }
    }
    (!possible.contains(&true), cost)
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::Plain;

    fn one(value: i64) -> Plain {
        let mut grid = Grid::default();
        grid.cell(value);
        Plain(grid)
    }

    /// A year of two quarters, one place: a 3 in the first quarter beside a 40 in the second
    /// and 43 in the year would be their difference; the second quarter is withheld with it
    /// rather than the year.
    #[test]
    fn a_quarter_withheld_alone_is_protected_by_its_sibling() {
        let periods = Tree::new(vec![None, Some(0), Some(0)]);
        let places = Tree::new(vec![None]);
        let mut cuts = vec![one(43), one(3), one(40)];
        protect(&mut cuts, &periods, &places);
        let withheld: Vec<bool> = cuts.iter().map(|c| c.0.hidden(0).is_some()).collect();
        assert_eq!(withheld, [false, true, true]);
    }

    /// Two quarters and two facilities: a 2 in one corner needs the rectangle — the same
    /// count in the other quarter and the other facility, and their corner — and nothing of the
    /// whole.
    #[test]
    fn a_corner_withheld_takes_a_rectangle_of_quarters_and_facilities() {
        let periods = Tree::new(vec![None, Some(0), Some(0)]);
        let places = Tree::new(vec![None, Some(0), Some(0)]);
        // period-major: (year: whole, A, B), (Q1: whole, A, B), (Q2: whole, A, B)
        let values = [60, 22, 38, 30, 2, 28, 30, 20, 10];
        let mut cuts: Vec<Plain> = values.into_iter().map(one).collect();
        protect(&mut cuts, &periods, &places);
        let withheld: Vec<usize> =
            (0..cuts.len()).filter(|k| cuts[*k].0.hidden(0).is_some()).collect();
        assert!(withheld.contains(&4), "the 2 itself: {withheld:?}");
        assert!(!withheld.contains(&0), "the whole year stays shown: {withheld:?}");
        assert_eq!(withheld.len(), 4, "a rectangle: {withheld:?}");
    }

    /// A facility with a single quarter: no sibling quarter can balance it, so the change goes
    /// up through the year; a facility with a sibling may be set against it instead.
    #[test]
    fn flows_go_up_where_there_is_no_sibling() {
        let tree = Tree::new(vec![None, Some(0), Some(1)]);
        assert_eq!(tree.flows(2), vec![BTreeMap::from([(0, 1), (1, 1), (2, 1)])]);
        let wide = Tree::new(vec![None, Some(0), Some(0), Some(1), Some(2)]);
        let flows = wide.flows(1);
        assert!(flows.contains(&BTreeMap::from([(0, 1), (1, 1), (3, 1)])), "up: {flows:?}");
        let against = BTreeMap::from([(1, 1), (3, 1), (2, -1), (4, -1)]);
        assert!(flows.contains(&against), "against a sibling: {flows:?}");
    }

    /// A cut of a report with a total and two parts.
    fn parts(total: i64, a: i64, b: i64) -> Plain {
        let mut grid = Grid::default();
        let cells = [grid.cell(total), grid.cell(a), grid.cell(b)];
        grid.sum(cells[0], &cells[1..]);
        grid.protect();
        Plain(grid)
    }

    /// A 3 in facility F, and a facility G with nobody: withholding G's zeros beside F's 3
    /// would keep every sum, but G's total of 0 tells every count of G is 0, and the whole
    /// then gives F's 3 away. The witness must be one counts can take: through the whole.
    #[test]
    fn a_witness_never_takes_a_count_below_zero() {
        let periods = Tree::new(vec![None]);
        let places = Tree::new(vec![None, Some(0), Some(0)]);
        let mut cuts = vec![parts(10, 3, 7), parts(10, 3, 7), parts(0, 0, 0)];
        protect(&mut cuts, &periods, &places);
        let withheld = |k: usize| (0..3).map(|c| cuts[k].0.hidden(c).is_some()).collect::<Vec<_>>();
        assert_eq!(withheld(1), [false, true, true], "F's parts");
        assert_eq!(withheld(0), [false, true, true], "the whole's parts");
        assert_eq!(withheld(2), [false, false, false], "G's zeros stay shown");
    }
}
