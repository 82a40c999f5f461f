//! Disclosure control for tables whose counts add up (docs/reports.md, "Small numbers").
//!
//! Primary suppression withholds every count from 1 to 4. That alone leaks: a total printed
//! beside its parts gives away the one part withheld. A [`Grid`] knows the counts of a report
//! and the sums that tie them (a row's total and its parts, a column's total and its rows, the
//! same count shown in two places), and withholds more cells (secondary, or complementary,
//! suppression) until no withheld cell can be worked out from the shown ones by any
//! combination of those sums — not only one sum at a time, but every linear combination of
//! them, as an attacker with a spreadsheet would.
//!
//! The test of "can be worked out": with the shown cells known, the sums are linear equations
//! in the withheld ones; a withheld cell is determined when every solution gives it the same
//! value, i.e. when its column is a pivot of the reduced equations with no free column in its
//! row. Cells are added cheapest first (the smallest count in a sum with a determined cell),
//! so what stays shown is as much as can be.
//!
//! [`cuts`] carries the same protection across the published cuts of a report (its quarters
//! and years, its facilities and the whole), which add up too.

use std::collections::{BTreeMap, BTreeSet};

pub mod cuts;
mod search;

/// A count in a grid.
pub type CellId = usize;

/// Why a count is not shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hidden {
    /// A count from 1 to 4 (or one that would single people out with it).
    Primary,
    /// Withheld so that a primary one cannot be worked out.
    Secondary,
}

impl Hidden {
    /// How a count not shown is printed: `<5` for a primary suppression, `x` for a secondary.
    pub fn cell(self) -> crate::report::Cell {
        match self {
            Hidden::Primary => crate::report::Cell::Suppressed,
            Hidden::Secondary => crate::report::Cell::Withheld,
        }
    }
}

/// Counts and the sums that tie them.
#[derive(Debug, Clone, Default)]
pub struct Grid {
    values: Vec<i64>,
    hidden: Vec<Option<Hidden>>,
    /// Each sum as cells with coefficients adding to zero (a total with −1, its parts with +1).
    sums: Vec<Vec<(CellId, i64)>>,
    /// Cells no report shows and no one needs kept secret: a total two sections both add up
    /// to, which ties them without being a count of its own.
    unpublished: BTreeSet<CellId>,
}

impl Grid {
    /// Adds a count; counts from 1 to 4 are withheld at once.
    pub fn cell(&mut self, value: i64) -> CellId {
        self.values.push(value);
        self.hidden.push((1..=4).contains(&value).then_some(Hidden::Primary));
        self.values.len() - 1
    }

    /// Adds a count no report shows (see `unpublished`): an unknown of the sums it is in,
    /// never one to protect.
    pub fn unpublished(&mut self, value: i64) -> CellId {
        self.values.push(value);
        self.hidden.push(Some(Hidden::Secondary));
        self.unpublished.insert(self.values.len() - 1);
        self.values.len() - 1
    }

    pub fn value(&self, cell: CellId) -> i64 {
        self.values[cell]
    }

    /// Ties `total` to the sum of `parts`.
    pub fn sum(&mut self, total: CellId, parts: &[CellId]) {
        debug_assert_eq!(
            self.values[total],
            parts.iter().map(|part| self.values[*part]).sum::<i64>(),
            "a total equals its parts"
        );
        let mut terms = vec![(total, -1)];
        terms.extend(parts.iter().map(|part| (*part, 1)));
        self.sums.push(terms);
    }

    /// Withholds `cell` as a primary suppression (e.g. a zero beside a withheld group size).
    pub fn hide(&mut self, cell: CellId) {
        self.hidden[cell] = Some(Hidden::Primary);
    }

    /// Withholds `cell` as a secondary suppression (e.g. a count that would tell a withheld
    /// group's size), unless it is withheld already.
    pub fn withhold(&mut self, cell: CellId) {
        if self.hidden[cell].is_none() {
            self.hidden[cell] = Some(Hidden::Secondary);
        }
    }

    pub fn hidden(&self, cell: CellId) -> Option<Hidden> {
        self.hidden[cell]
    }

    /// How many cells the grid holds.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// How many cells are withheld.
    pub fn withheld(&self) -> usize {
        self.hidden.iter().filter(|hidden| hidden.is_some()).count()
    }

    /// Withholds further cells until no withheld cell is determined by the sums.
    pub fn protect(&mut self) {
        while let Some(exposed) = self.determined().first().copied() {
            let cheapest = self
                .sums
                .iter()
                .filter(|sum| sum.iter().any(|(cell, _)| *cell == exposed))
                .flatten()
                .map(|(cell, _)| *cell)
                .filter(|cell| self.hidden[*cell].is_none())
                .min_by_key(|cell| (self.values[*cell] == 0, self.values[*cell], *cell));
            match cheapest {
                Some(cell) => self.hidden[cell] = Some(Hidden::Secondary),
                // Every cell of its sums is withheld already: it is determined by sums
                // reaching further; withhold the cheapest shown cell of any sum.
                None => {
                    let any = (0..self.values.len())
                        .filter(|cell| self.hidden[*cell].is_none())
                        .filter(|cell| self.sums.iter().flatten().any(|(c, _)| c == cell))
                        .min_by_key(|cell| (self.values[*cell], *cell));
                    match any {
                        Some(cell) => self.hidden[cell] = Some(Hidden::Secondary),
                        None => return,
                    }
                }
            }
        }
    }

    /// Withholds more where a sum's shown total, above 0, equals its shown parts while some
    /// parts are withheld: they are all 0 then (counts are never negative), which the linear
    /// test does not see. The smallest shown part above zero is withheld with them.
    /// Whether anything more is withheld.
    pub fn close_zero_sums(&mut self) -> bool {
        let mut changed = false;
        for n in 0..self.sums.len() {
            let sum = &self.sums[n];
            let Some(&(total, _)) = sum.iter().find(|(_, sign)| *sign == -1) else { continue };
            let parts = sum.iter().filter(|(_, sign)| *sign == 1).map(|(cell, _)| *cell);
            let withheld: Vec<CellId> =
                parts.clone().filter(|c| self.hidden[*c].is_some()).collect();
            // A shown total of 0 says every part is 0 to everyone: nothing of the withheld.
            if self.hidden[total].is_some()
                || self.values[total] == 0
                || withheld.is_empty()
                || withheld.iter().any(|c| self.values[*c] != 0)
            {
                continue;
            }
            let positive = parts.filter(|c| self.hidden[*c].is_none() && self.values[*c] > 0);
            let cell = positive.min_by_key(|c| (self.values[*c], *c)).unwrap_or(total);
            self.hidden[cell] = Some(Hidden::Secondary);
            changed = true;
        }
        changed
    }

    /// The withheld cells the sums determine, given the shown ones, in cell order.
    pub fn determined(&self) -> Vec<CellId> {
        let Reduced { unknowns, rows, pivots } = self.reduced();
        let mut is_pivot = vec![false; unknowns.len()];
        pivots.iter().for_each(|pivot| is_pivot[*pivot] = true);
        let determined: BTreeSet<CellId> = pivots
            .iter()
            .enumerate()
            .filter(|(row, _)| {
                (0..unknowns.len()).all(|col| is_pivot[col] || rows[*row][col].abs() < EPSILON)
            })
            .map(|(_, pivot)| unknowns[*pivot])
            .filter(|cell| !self.unpublished.contains(cell))
            .collect();
        determined.into_iter().collect()
    }

    /// For each withheld cell the sums do not determine, changes of the withheld counts that
    /// keep every sum and move this cell: the proof that it cannot be worked out, and what
    /// [`cuts`] must withhold in other cuts for the proof to hold across them. A change is in
    /// whole numbers (people), one per free unknown the cell depends on, the smallest first,
    /// at most [`SUPPORTS`].
    pub fn null_changes(&self) -> BTreeMap<CellId, Vec<Change>> {
        let Reduced { unknowns, rows, pivots } = self.reduced();
        let mut changes: BTreeMap<CellId, Vec<Change>> = (0..self.values.len())
            .filter(|cell| self.hidden[*cell].is_some() && unknowns.binary_search(cell).is_err())
            .map(|cell| (cell, vec![vec![(cell, 1)]]))
            .collect();
        let pivot_set: BTreeSet<usize> = pivots.iter().copied().collect();
        // The change that sets free column `free` to 1 and every other free column to 0.
        let change = |free: usize| -> Change {
            let mut cells: Vec<(CellId, f64)> = pivots
                .iter()
                .enumerate()
                .filter(|(row, _)| rows[*row][free].abs() >= EPSILON)
                .map(|(row, pivot)| (unknowns[*pivot], -rows[row][free]))
                .collect();
            cells.push((unknowns[free], 1.0));
            cells.sort_unstable_by_key(|(cell, _)| *cell);
            whole_numbers(&cells)
        };
        let free: BTreeMap<usize, Change> = (0..unknowns.len())
            .filter(|col| !pivot_set.contains(col))
            .map(|col| (col, change(col)))
            .collect();
        for (col, cells) in &free {
            changes.insert(unknowns[*col], vec![cells.clone()]);
        }
        for (row, pivot) in pivots.iter().enumerate() {
            let mut found: Vec<Change> = free
                .iter()
                .filter(|(col, _)| rows[row][**col].abs() >= EPSILON)
                .map(|(_, cells)| cells.clone())
                .collect();
            found.sort_by_key(Vec::len);
            found.truncate(SUPPORTS);
            if !found.is_empty() {
                changes.insert(unknowns[*pivot], found);
            }
        }
        changes
    }

    /// Whether `other` has the same sums over the same cells: two cuts of one report.
    pub fn same_shape(&self, other: &Grid) -> bool {
        self.values.len() == other.values.len() && self.sums == other.sums
    }

    /// The sums over the withheld cells (the unknowns), in reduced row echelon form.
    fn reduced(&self) -> Reduced {
        // A withheld cell in no sum is never determined: only those in a sum are unknowns.
        let in_sums: BTreeSet<CellId> = self.sums.iter().flatten().map(|(cell, _)| *cell).collect();
        let unknowns: Vec<CellId> =
            in_sums.into_iter().filter(|cell| self.hidden[*cell].is_some()).collect();
        let column = |cell: CellId| unknowns.binary_search(&cell).ok();
        let mut rows: Vec<Vec<f64>> = self
            .sums
            .iter()
            .map(|sum| {
                let mut row = vec![0.0; unknowns.len()];
                for (cell, coefficient) in sum {
                    if let Some(index) = column(*cell) {
                        row[index] += *coefficient as f64;
                    }
                }
                row
            })
            .filter(|row| row.iter().any(|x| *x != 0.0))
            .collect();
        let pivots = reduce(&mut rows, unknowns.len());
        Reduced { unknowns, rows, pivots }
    }
}

/// A change of counts that keeps every sum: each cell with the people it gains (or loses).
pub type Change = Vec<(CellId, i64)>;

/// `change` scaled to whole numbers: the sums have small whole coefficients, so a change has
/// rational entries with small denominators; the smallest multiplier up to 60 that makes
/// every entry whole (else the entries rounded away from zero).
fn whole_numbers(change: &[(CellId, f64)]) -> Change {
    let whole = |k: f64| change.iter().all(|(_, x)| ((x * k).round() - x * k).abs() < 1e-6);
    let k = (1..=60).map(f64::from).find(|k| whole(*k));
    change
        .iter()
        .map(|(cell, x)| match k {
            Some(k) => (*cell, (x * k).round() as i64),
            None => (*cell, (x.abs().ceil() as i64) * x.signum() as i64),
        })
        .collect()
}

/// The sums over the withheld cells: the cells (columns), the reduced rows, each row's pivot.
struct Reduced {
    unknowns: Vec<CellId>,
    rows: Vec<Vec<f64>>,
    pivots: Vec<usize>,
}

const EPSILON: f64 = 1e-9;

/// How many changes [`Grid::null_changes`] offers per cell.
pub const SUPPORTS: usize = 6;

/// Brings `rows` to reduced row echelon form; the pivot column of each nonzero row, in order.
fn reduce(rows: &mut Vec<Vec<f64>>, columns: usize) -> Vec<usize> {
    let mut pivots = Vec::new();
    let mut next = 0;
    for col in 0..columns {
        let Some(found) = (next..rows.len())
            .max_by(|a, b| rows[*a][col].abs().total_cmp(&rows[*b][col].abs()).then(b.cmp(a)))
        else {
            break;
        };
        if rows[found][col].abs() < EPSILON {
            continue;
        }
        rows.swap(next, found);
        let scale = rows[next][col];
        rows[next].iter_mut().for_each(|x| *x /= scale);
        // The sums are short: only the pivot row's nonzero entries change the other rows.
        let pivot_row: Vec<(usize, f64)> = rows[next]
            .iter()
            .enumerate()
            .filter(|(_, x)| **x != 0.0)
            .map(|(j, x)| (j, *x))
            .collect();
        for (index, row) in rows.iter_mut().enumerate() {
            if index != next && row[col].abs() >= EPSILON {
                let factor = row[col];
                for (j, p) in &pivot_row {
                    row[*j] -= factor * p;
                    if row[*j].abs() < EPSILON {
                        row[*j] = 0.0;
                    }
                }
            }
        }
        pivots.push(col);
        next += 1;
    }
    rows.truncate(next);
    pivots
}

/// A cut of a report with no rules of its own: its grid alone, for the tests of the cuts.
#[cfg(test)]
struct Plain(Grid);

#[cfg(test)]
impl cuts::Cut for Plain {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Two sections counting the same people (3 + 10 one way, 7 + 6 the other) tied through a
    /// total no report shows: the 3 is given away by the other section's sum, so one more cell
    /// of its own side is withheld; the total itself needs no protecting.
    #[test]
    fn an_unpublished_total_ties_two_sections_without_being_protected() {
        let mut grid = Grid::default();
        let [a, b, c, d] = [grid.cell(3), grid.cell(10), grid.cell(7), grid.cell(6)];
        let total = grid.unpublished(13);
        grid.sum(total, &[a, b]);
        grid.sum(total, &[c, d]);
        assert_eq!(grid.determined(), vec![a], "the total is known through c and d");
        grid.protect();
        assert!(grid.determined().is_empty());
        assert_eq!(grid.hidden(b), Some(Hidden::Secondary));
        assert_eq!((grid.hidden(c), grid.hidden(d)), (None, None), "the other side stays shown");
    }

    /// A total of 20 with parts 3, 10, 7: the 3 alone withheld is given away by the total.
    #[test]
    fn a_single_withheld_part_of_a_shown_total_is_determined_and_protected() {
        let mut grid = Grid::default();
        let total = grid.cell(20);
        let parts = [grid.cell(3), grid.cell(10), grid.cell(7)];
        grid.sum(total, &parts);
        assert_eq!(grid.determined(), vec![parts[0]]);
        grid.protect();
        assert!(grid.determined().is_empty());
        assert_eq!(grid.hidden(parts[2]), Some(Hidden::Secondary), "the smaller of the rest");
        assert_eq!(grid.hidden(parts[1]), None);
        assert_eq!(grid.hidden(total), None);
    }

    /// Two rows and two columns with a total each way: withholding a 2×2 rectangle protects
    /// every corner, while one cell per row alone is worked out through the columns.
    #[test]
    fn a_rectangle_of_withheld_cells_survives_rows_and_columns_together() {
        // a b | a+b
        // c d | c+d
        let mut grid = Grid::default();
        let [a, b, c, d] = [grid.cell(2), grid.cell(9), grid.cell(8), grid.cell(6)];
        let (ab, cd, ac, bd) = (grid.cell(11), grid.cell(14), grid.cell(10), grid.cell(15));
        grid.sum(ab, &[a, b]);
        grid.sum(cd, &[c, d]);
        grid.sum(ac, &[a, c]);
        grid.sum(bd, &[b, d]);
        grid.protect();
        assert!(grid.determined().is_empty());
        let withheld: Vec<CellId> = [a, b, c, d, ab, cd, ac, bd]
            .into_iter()
            .filter(|x| grid.hidden(*x).is_some())
            .collect();
        assert!(withheld.len() >= 4, "{withheld:?}");
        // Withholding only a and d (one per row) is not enough: a = ab − b once b is shown...
        let mut diagonal = Grid::default();
        let [a, b, c, d] = [diagonal.cell(2), diagonal.cell(9), diagonal.cell(8), diagonal.cell(3)];
        let (ab, cd) = (diagonal.cell(11), diagonal.cell(11));
        diagonal.sum(ab, &[a, b]);
        diagonal.sum(cd, &[c, d]);
        assert_eq!(diagonal.determined(), vec![a, d]);
    }

    /// Three sums over three withheld cells: each sum holds two of them, so no sum alone gives
    /// one away, yet together they pin down all three.
    #[test]
    fn cells_determined_only_by_combining_sums_are_found() {
        let mut grid = Grid::default();
        let [a, b, c] = [grid.cell(2), grid.cell(3), grid.cell(4)];
        let (x, y, z) = (grid.cell(5), grid.cell(7), grid.cell(6));
        grid.sum(x, &[a, b]);
        grid.sum(y, &[b, c]);
        grid.sum(z, &[a, c]);
        // Three equations, three unknowns: each is determined though no sum has one unknown.
        assert_eq!(grid.determined(), vec![a, b, c]);
        grid.protect();
        assert!(grid.determined().is_empty());
    }

    /// A 0 withheld beside a withheld group, in a column whose shown total equals its shown
    /// parts, is 0 to anyone who knows counts are not negative: a part above 0 goes with it.
    /// Under a total of 0 nothing is told of the few, and nothing more is withheld.
    #[test]
    fn a_sum_closing_on_withheld_zeros_gets_a_part_above_zero_withheld() {
        let mut grid = Grid::default();
        let (total, zeros) = (grid.cell(30), [grid.cell(0), grid.cell(0)]);
        let (other, big) = (grid.cell(12), grid.cell(18));
        grid.sum(total, &[zeros[0], zeros[1], other, big]);
        zeros.iter().for_each(|zero| grid.hide(*zero));
        assert!(grid.determined().is_empty(), "linearly, two withheld zeros are not determined");
        assert!(grid.close_zero_sums());
        assert_eq!(grid.hidden(other), Some(Hidden::Secondary), "the smaller part above 0");
        assert_eq!(grid.hidden(big), None);
        assert!(!grid.close_zero_sums(), "the sum no longer closes on zeros");
        let mut nothing = Grid::default();
        let (total, zero, shown) = (nothing.cell(0), nothing.cell(0), nothing.cell(0));
        nothing.sum(total, &[zero, shown]);
        nothing.hide(zero);
        assert!(!nothing.close_zero_sums());
    }

    #[test]
    fn zeros_and_large_counts_are_shown_and_nothing_else_is_withheld_without_need() {
        let mut grid = Grid::default();
        let total = grid.cell(30);
        let parts = [grid.cell(0), grid.cell(10), grid.cell(20)];
        grid.sum(total, &parts);
        grid.protect();
        assert!([total, parts[0], parts[1], parts[2]].iter().all(|c| grid.hidden(*c).is_none()));
    }
}
