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
//! [`Grid::null_supports`]), times a *flow* through the periods (+1 on this period and each
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

use std::collections::BTreeSet;

use super::{CellId, Grid};

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

    /// How many leaves are under `node` (1 for a leaf).
    fn width(&self, node: usize) -> u64 {
        self.down(node).len() as u64
    }

    fn children(&self, node: usize) -> impl Iterator<Item = usize> + '_ {
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

    /// The nodes of each flow through `node`: a change at `node` balanced in every sum of the
    /// tree, either carried up to the root or set against a sibling, and carried down to a
    /// leaf. Signs are left out: every such set of nodes has signs that keep the sums.
    fn flows(&self, node: usize) -> Vec<BTreeSet<usize>> {
        let mut flows = Vec::new();
        let mut up = Vec::new();
        let mut at = Some(node);
        while let Some(n) = at {
            up.push(n);
            at = self.parent[n];
        }
        for down in self.down(node) {
            flows.push(up.iter().chain(&down).copied().collect());
        }
        let Some(parent) = self.parent[node] else { return flows };
        for sibling in self.children(parent).filter(|s| *s != node) {
            for down in self.down(node) {
                for across in self.down(sibling) {
                    flows.push(down.iter().chain(&across).copied().collect());
                }
            }
        }
        flows
    }
}

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
    debug_assert!(cuts.windows(2).all(|pair| pair[0].grid().same_shape(pair[1].grid())));
    let mut witnessed: Vec<BTreeSet<CellId>> = vec![BTreeSet::new(); cuts.len()];
    loop {
        let mut changed = false;
        for cut in cuts.iter_mut() {
            changed |= cut.settle();
        }
        for k in 0..cuts.len() {
            changed |= witness(cuts, k, (periods, places), &mut witnessed);
        }
        if !changed {
            return;
        }
    }
}

/// Gives every withheld count of cut `k` without one a witness, withholding what it touches.
/// Whether anything was withheld or witnessed.
fn witness<C: Cut>(
    cuts: &mut [C],
    k: usize,
    (periods, places): (&Tree, &Tree),
    witnessed: &mut [BTreeSet<CellId>],
) -> bool {
    let (period, place) = (k / places.len(), k % places.len());
    let supports = cuts[k].grid().null_supports();
    let mut changed = false;
    let (along, across) = (periods.flows(period), places.flows(place));
    for (cell, changes) in supports {
        if witnessed[k].contains(&cell) {
            continue;
        }
        let mut best: Option<Choice<'_>> = None;
        for support in &changes {
            for along in &along {
                for across in &across {
                    let touched: Vec<usize> = along
                        .iter()
                        .flat_map(|p| across.iter().map(move |f| p * places.len() + f))
                        .collect();
                    let cost = cost(cuts, &touched, support, (periods, places));
                    if best.as_ref().is_none_or(|(least, _, _)| cost < *least) {
                        best = Some((cost, touched, support));
                    }
                }
            }
        }
        let Some((_, touched, support)) = best else { continue };
        for t in touched {
            for c in support {
                cuts[t].grid_mut().withhold(*c);
                witnessed[t].insert(*c);
            }
        }
        changed = true;
    }
    changed
}

/// A witness chosen: its cost, the cuts it touches, the cells it touches in each.
type Choice<'a> = ((u64, i64), Vec<usize>, &'a Vec<CellId>);

/// What withholding `support` in every cut of `touched` costs: the counts newly withheld,
/// each weighed by how wide its cut is (a count of a year weighs as much as all its quarters',
/// of the whole as all its facilities'), then how many people they hold. The widest cuts are
/// the most read; what is withheld goes to the narrowest first.
fn cost<C: Cut>(
    cuts: &[C],
    touched: &[usize],
    support: &[CellId],
    (periods, places): (&Tree, &Tree),
) -> (u64, i64) {
    let mut cost = (0, 0);
    for t in touched {
        let weight = periods.width(t / places.len()) * places.width(t % places.len());
        let grid = cuts[*t].grid();
        for c in support.iter().filter(|c| grid.hidden(**c).is_none()) {
            cost.0 += weight;
            cost.1 += grid.value(*c);
        }
    }
    cost
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cut of a one-cell report: its count and no rules of its own.
    struct One(Grid);

    impl Cut for One {
        fn grid(&self) -> &Grid {
            &self.0
        }
        fn grid_mut(&mut self) -> &mut Grid {
            &mut self.0
        }
        fn settle(&mut self) -> bool {
            false
        }
    }

    fn one(value: i64) -> One {
        let mut grid = Grid::default();
        grid.cell(value);
        One(grid)
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
        let mut cuts: Vec<One> = values.into_iter().map(one).collect();
        protect(&mut cuts, &periods, &places);
        let withheld: Vec<usize> =
            (0..cuts.len()).filter(|k| cuts[*k].0.hidden(0).is_some()).collect();
        assert!(withheld.contains(&4), "the 2 itself: {withheld:?}");
        assert!(!withheld.contains(&0), "the whole year stays shown: {withheld:?}");
        assert_eq!(withheld.len(), 4, "a rectangle: {withheld:?}");
    }

    /// A facility with a single quarter: no sibling quarter can balance it, so the change goes
    /// up through the year, and the year's figure for that facility is withheld with the
    /// other facility's.
    #[test]
    fn flows_go_up_where_there_is_no_sibling() {
        let tree = Tree::new(vec![None, Some(0), Some(1)]);
        assert_eq!(tree.flows(2), vec![BTreeSet::from([0, 1, 2])]);
        let wide = Tree::new(vec![None, Some(0), Some(0), Some(1), Some(2)]);
        let flows = wide.flows(1);
        assert!(flows.contains(&BTreeSet::from([0, 1, 3])), "up: {flows:?}");
        assert!(flows.contains(&BTreeSet::from([1, 3, 2, 4])), "against a sibling: {flows:?}");
    }
}
