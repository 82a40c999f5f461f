//! Witnesses searched among every change of the counts of a family of cuts (docs/reports.md,
//! "Across published cuts").
//!
//! The witnesses of [`super::cuts`] are products of one cut's change and flows through the
//! cuts, and a product that would take a count below zero somewhere proves nothing: an analyst
//! knows counts are never negative, and with a linear-programming solver finds every count
//! that the sums and that knowledge pin down. Where no product can be taken, a linear program
//! over every sum within and between the cuts at once finds the cheapest change that keeps
//! them all, moves the count and takes none below zero; the shown counts it moves are
//! withheld.
//!
//! Withheld zeros the shown zeros tell (the parts of a total shown as 0) need no witness:
//! everyone reads them from the zeros printed, and withholding them hides nothing.

use std::collections::BTreeSet;

use microlp::{ComparisonOp, OptimizationDirection, Problem, Variable};

use super::CellId;
use super::cuts::Cut;

/// A count of the family: its cut and its cell.
type At = (usize, CellId);

/// A sum of the family: its total and its parts.
pub(super) type Sum = (At, Vec<At>);

/// Every sum of the family: each cut's own, and, between cuts, each cell of a cut and the
/// same cell of the cuts that add up to it (`families`).
pub(super) fn sums<C: Cut>(cuts: &[C], families: &[(usize, Vec<usize>)]) -> Vec<Sum> {
    let mut all = Vec::new();
    for (t, cut) in cuts.iter().enumerate() {
        for sum in &cut.grid().sums {
            let Some(&(total, _)) = sum.iter().find(|(_, sign)| *sign == -1) else { continue };
            let parts = sum.iter().filter(|(_, sign)| *sign == 1).map(|(c, _)| (t, *c));
            all.push(((t, total), parts.collect()));
        }
    }
    let cells = cuts.first().map_or(0, |cut| cut.grid().len());
    for (whole, parts) in families {
        for c in 0..cells {
            all.push(((*whole, c), parts.iter().map(|part| (*part, c)).collect()));
        }
    }
    all
}

/// The withheld counts of each cut that the shown zeros tell: the parts of a total of 0 are 0,
/// and a total of parts all 0 is 0, within a cut and between cuts, in turn.
pub(super) fn told_zeros<C: Cut>(cuts: &[C], sums: &[Sum]) -> Vec<BTreeSet<CellId>> {
    let shown_zero = |cut: &C| {
        let grid = cut.grid();
        (0..grid.len()).map(|c| grid.hidden(c).is_none() && grid.value(c) == 0).collect()
    };
    let mut zero: Vec<Vec<bool>> = cuts.iter().map(shown_zero).collect();
    loop {
        let mut changed = false;
        for ((t, total), parts) in sums {
            if zero[*t][*total] {
                for (p, c) in parts {
                    changed |= !zero[*p][*c];
                    zero[*p][*c] = true;
                }
            } else if parts.iter().all(|(p, c)| zero[*p][*c]) {
                zero[*t][*total] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let told = |(t, cut): (usize, &C)| -> BTreeSet<CellId> {
        let grid = cut.grid();
        (0..grid.len()).filter(|c| zero[t][*c] && grid.hidden(*c).is_some()).collect()
    };
    cuts.iter().enumerate().map(told).collect()
}

/// Witnesses for the counts `pending`: changes of the counts of every cut that keep every
/// sum and take no count below zero, the cheapest found by a linear program; the counts they
/// move, to be withheld. The zeros are moved up together by one change (the mean of their own
/// witnesses is one: a witness never takes a 0 down, so none undoes another's), each count
/// above zero by its own. A shown count moved costs the width of its cut (`weight`, and a
/// little for the people it holds: `choose`'s order), a withheld one almost nothing. There
/// is always a witness: add to the count, to every total above it and to a part below it.
///
/// `under` holds, for each cut, the narrowest cuts (a quarter of one facility) it adds up:
/// a change is one of theirs, every wider cut's the sum of its narrowest ones' — which keeps
/// every sum between cuts, and every sum of a wider cut once the narrowest keep theirs, and
/// leaves no wider count below zero once none of theirs is.
pub(super) fn searched<C: Cut>(
    cuts: &[C],
    under: &[Vec<usize>],
    pending: &[At],
    weight: impl Fn(usize) -> u64,
) -> BTreeSet<At> {
    let value = |(t, c): At| cuts[t].grid().value(c);
    let (zeros, above): (Vec<At>, Vec<At>) = pending.iter().partition(|at| value(**at) == 0);
    let mut moved = BTreeSet::new();
    if !zeros.is_empty() {
        moved.extend(cheapest(cuts, under, &zeros, &weight));
    }
    for at in above {
        if !moved.contains(&at) {
            moved.extend(cheapest(cuts, under, &[at], &weight));
        }
    }
    moved
}

/// A count's change as a gain and, for a count above 0, a loss.
type Split = (Variable, Option<Variable>);

/// The counts moved by the cheapest change that keeps every sum, takes no count below zero and
/// moves every one of `targets` up by at least 1 / their number; none if the solver fails.
fn cheapest<C: Cut>(
    cuts: &[C],
    under: &[Vec<usize>],
    targets: &[At],
    weight: impl Fn(usize) -> u64,
) -> Vec<At> {
    let mut problem = Problem::new(OptimizationDirection::Minimize);
    let cells = cuts.first().map_or(0, |cut| cut.grid().len());
    let cost = |t: usize, c: CellId| match cuts[t].grid().hidden(c) {
        Some(_) => 1e-3,
        None => weight(t) as f64 * (1.0 + cuts[t].grid().value(c) as f64 * 1e-4),
    };
    // A change as a gain and a loss (never more than the count): each narrowest cut's count,
    // and each shown count of a wider cut (what it costs to move it).
    let mut split = |t: usize, c: CellId| {
        let value = cuts[t].grid().value(c) as f64;
        let gain = problem.add_var(cost(t, c), (0.0, f64::INFINITY));
        let loss = (value > 0.0).then(|| problem.add_var(cost(t, c), (0.0, value)));
        (gain, loss)
    };
    let narrowest = |t: usize| under[t] == [t];
    let mut change: Vec<Vec<Option<Split>>> = Vec::with_capacity(cuts.len());
    for (t, cut) in cuts.iter().enumerate() {
        let shown = |c: CellId| cut.grid().hidden(c).is_none();
        let wanted = |c: CellId| narrowest(t) || shown(c);
        change.push((0..cells).map(|c| wanted(c).then(|| split(t, c))).collect());
    }
    let net = |t: usize, c: CellId, sign: f64| {
        let (gain, loss) = change[t][c].expect("a narrowest cut's count");
        std::iter::once((gain, sign)).chain(loss.map(|loss| (loss, -sign)))
    };
    let of_narrowest = |t: usize, c: CellId, sign: f64| {
        under[t].iter().flat_map(move |l| net(*l, c, sign)).collect::<Vec<_>>()
    };
    for t in (0..cuts.len()).filter(|t| narrowest(*t)) {
        for sum in &cuts[t].grid().sums {
            let row: Vec<(Variable, f64)> =
                sum.iter().flat_map(|(c, sign)| net(t, *c, *sign as f64)).collect();
            problem.add_constraint(row.as_slice(), ComparisonOp::Eq, 0.0);
        }
    }
    for t in (0..cuts.len()).filter(|t| !narrowest(*t)) {
        for c in (0..cells).filter(|c| change[t][*c].is_some()) {
            let mut row = of_narrowest(t, c, -1.0);
            let (gain, loss) = change[t][c].expect("a shown count");
            row.push((gain, 1.0));
            row.extend(loss.map(|loss| (loss, -1.0)));
            problem.add_constraint(row.as_slice(), ComparisonOp::Eq, 0.0);
        }
    }
    let least = 1.0 / targets.len() as f64;
    for (t, c) in targets {
        problem.add_constraint(of_narrowest(*t, *c, 1.0).as_slice(), ComparisonOp::Ge, least);
    }
    // The solver may give up on a hard problem, by an error or a panic: no witness then.
    let solve = std::panic::AssertUnwindSafe(|| problem.solve());
    let outcome = std::panic::catch_unwind(solve).ok().and_then(Result::ok);
    let Some(solution) = outcome.and_then(|outcome| outcome.into_solution().ok()) else {
        return Vec::new();
    };
    let moved = |t: usize, c: CellId| {
        let value = |terms: Vec<(Variable, f64)>| {
            terms.iter().map(|(v, sign)| sign * solution.var_value(*v)).sum::<f64>()
        };
        value(of_narrowest(t, c, 1.0)).abs() > least * 1e-4
    };
    let all = (0..cuts.len()).flat_map(|t| (0..cells).map(move |c| (t, c)));
    all.filter(|(t, c)| moved(*t, *c)).collect()
}

#[cfg(test)]
mod tests {
    use super::super::{Grid, Plain};
    use super::*;

    /// A total of 12 over two withheld zeros and two shown counts, 7 and 5: the zero's witness
    /// trades it with the cheaper shown count (5 loses one, the 0 gains one), never with the
    /// other zero (which would go below 0), and leaves the total alone.
    #[test]
    fn a_withheld_zero_is_witnessed_by_a_count_it_can_take_from() {
        let mut grid = Grid::default();
        let total = grid.cell(12);
        let parts = [grid.cell(0), grid.cell(0), grid.cell(7), grid.cell(5)];
        grid.sum(total, &parts);
        grid.hide(parts[0]);
        grid.hide(parts[1]);
        let cuts = [Plain(grid)];
        let moved = searched(&cuts, &[vec![0]], &[(0, parts[0])], |_| 1);
        assert_eq!(moved, BTreeSet::from([(0, parts[0]), (0, parts[3])]));
    }

    /// The parts of a total shown as 0 are told by it, and so is a total whose parts are all
    /// told or shown 0, between cuts too; a withheld 0 beside a shown total above 0 is not.
    #[test]
    fn zeros_a_shown_zero_tells_are_found_within_and_between_cuts() {
        let cut = |values: [i64; 3], hidden: &[usize]| {
            let mut grid = Grid::default();
            let cells: Vec<CellId> = values.iter().map(|v| grid.cell(*v)).collect();
            grid.sum(cells[0], &cells[1..]);
            hidden.iter().for_each(|c| grid.hide(*c));
            Plain(grid)
        };
        // The whole, and two facilities adding up to it.
        let cuts = [cut([5, 0, 5], &[1]), cut([0, 0, 0], &[1]), cut([5, 0, 5], &[])];
        let told = told_zeros(&cuts, &sums(&cuts, &[(0, vec![1, 2])]));
        assert_eq!(told[1], BTreeSet::from([1]), "a part of a shown 0");
        assert_eq!(told[0], BTreeSet::from([1]), "the whole's is its facilities' zeros");
        let alone = [cut([6, 0, 6], &[1])];
        assert!(told_zeros(&alone, &sums(&alone, &[]))[0].is_empty(), "beside a 6, not told");
    }
}
