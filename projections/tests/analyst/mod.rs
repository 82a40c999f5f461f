//! The analyst's arithmetic, shared by the tests that play one: the counts they read (shown or
//! withheld), the sums they know tie them, and what solving those sums together gives away —
//! exactly, and from knowing that counts are never negative.

use std::collections::{BTreeMap, BTreeSet};

use microlp::{ComparisonOp, OptimizationDirection, Problem, Variable};
use projections::report::{Cell, Options};

/// What the analyst reads: a number, or an unknown they name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Term {
    Known(i64),
    Unknown(String),
}

#[derive(Default, Clone)]
pub struct Attack {
    pub cells: BTreeMap<String, Term>,
    /// Each equation: the names of cells adding to zero with their signs.
    pub equations: Vec<Vec<(String, i64)>>,
}

impl Attack {
    pub fn read(&mut self, name: String, cell: &Cell) {
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
    pub fn sum(&mut self, total: &str, parts: &[String]) {
        let mut equation = vec![(total.to_owned(), -1)];
        equation.extend(parts.iter().map(|part| (part.clone(), 1)));
        self.equations.push(equation);
    }

    /// Makes known every unknown the shown zeros tell: those every non-negative solution sets
    /// to 0 when nothing but the shown zeros is known (the parts of a total of 0, a total of
    /// parts all 0, and so on). Everyone reads that from the zeros printed; it tells nothing
    /// of a count above 0. With every known term 0 the solutions are a cone: one solution has
    /// above 0 every unknown any solution has, and one linear program finds it.
    pub fn told_zeros(&mut self) {
        let mut zeros_only = self.clone();
        for (name, term) in zeros_only.cells.iter_mut() {
            if !matches!(term, Term::Known(0)) {
                *term = Term::Unknown(name.clone());
            }
        }
        let (unknowns, rows) = zeros_only.system();
        let withheld = |name: &String| matches!(self.cells.get(name), Some(Term::Unknown(_)));
        let open: BTreeSet<usize> =
            (0..unknowns.len()).filter(|j| withheld(&unknowns[*j])).collect();
        for j in open.difference(&above_zero(unknowns.len(), &rows, &open)) {
            self.cells.insert(unknowns[*j].clone(), Term::Known(0));
        }
    }

    /// The unknowns every non-negative solution of the equations sets to 0, as an analyst with
    /// a linear-programming solver finds them: each round asks for a solution with as many of
    /// the unknowns not yet seen above 0 as can be; those it sets above 0 can be; when a round
    /// sets none, the rest are 0 in every solution. They become known.
    pub fn forced_zeros(&mut self) -> Vec<String> {
        let (unknowns, rows) = self.system();
        let mut open: BTreeSet<usize> = (0..unknowns.len()).collect();
        loop {
            let above = above_zero(unknowns.len(), &rows, &open);
            if above.is_empty() {
                break;
            }
            open.retain(|j| !above.contains(j));
        }
        let zeros: Vec<String> = open.into_iter().map(|j| unknowns[j].clone()).collect();
        for name in &zeros {
            self.cells.insert(name.clone(), Term::Known(0));
        }
        zeros
    }

    /// The unknowns, and each equation over them with the known terms moved to the right.
    fn system(&self) -> (Vec<String>, Vec<Row>) {
        let unknowns: Vec<String> = self
            .cells
            .iter()
            .filter(|(_, term)| matches!(term, Term::Unknown(_)))
            .map(|(name, _)| name.clone())
            .collect();
        let index: BTreeMap<&String, usize> =
            unknowns.iter().enumerate().map(|(i, name)| (name, i)).collect();
        let mut rows = Vec::new();
        for equation in &self.equations {
            let mut row: BTreeMap<usize, f64> = BTreeMap::new();
            let mut rhs = 0.0;
            for (name, sign) in equation {
                match (index.get(name), self.cells.get(name)) {
                    (Some(j), _) => *row.entry(*j).or_default() += *sign as f64,
                    (None, Some(Term::Known(value))) => rhs -= (*sign * *value) as f64,
                    _ => {}
                }
            }
            row.retain(|_, x| *x != 0.0);
            if !row.is_empty() {
                rows.push((row.into_iter().collect(), rhs));
            }
        }
        (unknowns, rows)
    }

    /// The unknowns every solution of the equations gives the same value: those whose unit
    /// vector is a combination of the equations (over the unknowns; the known terms are
    /// constants).
    pub fn recovered(&self) -> Vec<String> {
        let unknowns: Vec<&String> = self
            .cells
            .iter()
            .filter(|(_, term)| matches!(term, Term::Unknown(_)))
            .map(|(name, _)| name)
            .collect();
        let index: BTreeMap<&String, usize> =
            unknowns.iter().enumerate().map(|(i, name)| (*name, i)).collect();
        let mut echelon = Echelon::default();
        for equation in &self.equations {
            let mut row: BTreeMap<usize, i64> = BTreeMap::new();
            for (name, sign) in equation {
                if let Some(i) = index.get(name) {
                    *row.entry(*i).or_default() += sign;
                }
            }
            echelon.insert(
                row.into_iter().map(|(i, x)| (i, modular(x))).filter(|(_, x)| *x != 0).collect(),
            );
        }
        unknowns
            .iter()
            .enumerate()
            .filter(|(i, _)| echelon.reduce(vec![(*i, 1)]).is_empty())
            .map(|(_, name)| (*name).clone())
            .collect()
    }
}

/// An equation over the unknowns (index, coefficient) with its right-hand side.
type Row = (Vec<(usize, f64)>, f64);

/// Of the unknowns `open`, those a non-negative solution of `rows` (each over the unknowns, with
/// its right-hand side) sets above 0: a solution with as many of them above 0 as a linear
/// program can find at once.
fn above_zero(
    unknowns: usize,
    rows: &[(Vec<(usize, f64)>, f64)],
    open: &BTreeSet<usize>,
) -> BTreeSet<usize> {
    let mut problem = Problem::new(OptimizationDirection::Maximize);
    let y: Vec<Variable> =
        (0..unknowns).map(|_| problem.add_var(0.0, (0.0, f64::INFINITY))).collect();
    for j in open {
        let t = problem.add_var(1.0, (0.0, 1.0));
        problem.add_constraint([(y[*j], 1.0), (t, -1.0)], ComparisonOp::Ge, 0.0);
    }
    for (row, rhs) in rows {
        let terms: Vec<(Variable, f64)> = row.iter().map(|(j, x)| (y[*j], *x)).collect();
        problem.add_constraint(terms.as_slice(), ComparisonOp::Eq, *rhs);
    }
    let outcome = problem.solve().expect("the counts read are a solution");
    let solution = outcome.solution().expect("a small problem is solved in full");
    open.iter().copied().filter(|j| solution.var_value(y[*j]) > 1e-6).collect()
}

/// Exact elimination over the integers modulo a prime (2^61 − 1), on sparse rows: the
/// equations are sums of a few counts each, and there are thousands when every published cut
/// is read. Modulo so large a prime, an answer differs from the rational one only if the prime
/// divides a determinant of these small-coefficient equations, far beyond their size.
const PRIME: u64 = (1 << 61) - 1;

fn modular(x: i64) -> u64 {
    x.rem_euclid(PRIME as i64) as u64
}

fn times(a: u64, b: u64) -> u64 {
    ((u128::from(a) * u128::from(b)) % u128::from(PRIME)) as u64
}

fn inverse(a: u64) -> u64 {
    let (mut result, mut base, mut exponent) = (1, a, PRIME - 2);
    while exponent > 0 {
        if exponent & 1 == 1 {
            result = times(result, base);
        }
        base = times(base, base);
        exponent >>= 1;
    }
    result
}

/// A sparse row: (column, nonzero value), by column.
type Sparse = Vec<(usize, u64)>;

/// Rows with distinct leading columns, each leading with 1.
#[derive(Default)]
struct Echelon {
    rows: BTreeMap<usize, Sparse>,
}

impl Echelon {
    /// `v` less the rows that cancel its leading column, while one does; empty when `v` is a
    /// combination of the rows.
    fn reduce(&self, mut v: Sparse) -> Sparse {
        while let Some(&(lead, value)) = v.first() {
            let Some(row) = self.rows.get(&lead) else { break };
            v = minus(&v, value, row);
        }
        v
    }

    fn insert(&mut self, v: Sparse) {
        let v = self.reduce(v);
        if let Some(&(lead, value)) = v.first() {
            let scale = inverse(value);
            self.rows.insert(lead, v.into_iter().map(|(c, x)| (c, times(x, scale))).collect());
        }
    }
}

/// `v` − `factor` × `row`.
fn minus(v: &Sparse, factor: u64, row: &Sparse) -> Sparse {
    let mut out = Vec::with_capacity(v.len() + row.len());
    let (mut i, mut j) = (0, 0);
    while i < v.len() || j < row.len() {
        let next_v = v.get(i).map(|(c, _)| *c);
        let next_r = row.get(j).map(|(c, _)| *c);
        let (column, value) = match (next_v, next_r) {
            (Some(a), Some(b)) if a == b => {
                let x = (v[i].1 + PRIME - times(factor, row[j].1)) % PRIME;
                i += 1;
                j += 1;
                (a, x)
            }
            (Some(a), b) if b.is_none_or(|b| a < b) => {
                i += 1;
                (a, v[i - 1].1)
            }
            _ => {
                j += 1;
                (row[j - 1].0, (PRIME - times(factor, row[j - 1].1)) % PRIME)
            }
        };
        if value != 0 {
            out.push((column, value));
        }
    }
    out
}

/// What the analyst gives away: nothing (`Ok`), or the withheld counts they work out. They
/// first take as known what a shown 0 tells (the parts of a total of 0 are 0), then find the
/// counts every non-negative solution of the equations sets to 0, then solve the equations
/// exactly with those known.
pub fn what_is_given_away(mut attack: Attack) -> Result<(), String> {
    attack.told_zeros();
    let withheld = attack.cells.values().filter(|t| matches!(t, Term::Unknown(_))).count();
    let zeros = attack.forced_zeros();
    if !zeros.is_empty() {
        return Err(format!("found to be 0: {zeros:?} of {withheld} withheld"));
    }
    let recovered = attack.recovered();
    if !recovered.is_empty() {
        return Err(format!("recovered {recovered:?} of {withheld} withheld"));
    }
    Ok(())
}

/// Every published cut, read at once (each with what the analyst read of it): each cut's own equations, and the sums between cuts —
/// every count of all time is the sum of the years', of a year the sum of its quarters', of
/// the whole the sum of the facilities'. These hold up to people released twice (in two
/// quarters, from two facilities), a difference the analyst is taken to know: they are
/// written as exact.
pub fn across(cuts: Vec<(Options, Attack)>, absent_is_zero: bool) -> Attack {
    let mut family = Attack::default();
    let key = |options: &Options| (options.from, options.to, options.facility.clone());
    let label = |options: &Options| format!("{:?}", key(options));
    let mut names = BTreeSet::new();
    let keys: BTreeSet<_> = cuts.iter().map(|(o, _)| key(o)).collect();
    for (options, one) in cuts {
        let cut = label(&options);
        for (name, term) in one.cells {
            names.insert(name.clone());
            family.cells.insert(format!("{cut}|{name}"), term);
        }
        for equation in one.equations {
            let equation = equation.into_iter().map(|(name, sign)| (format!("{cut}|{name}"), sign));
            family.equations.push(equation.collect());
        }
    }
    let year_of = |from: Option<chrono::NaiveDate>| from.map(|d| chrono::Datelike::year(&d));
    for (from, to, place) in &keys {
        // The parts of this cut: its years (all time), its quarters (a year), its facilities
        // (the whole).
        let is_year = |f: &Option<chrono::NaiveDate>, t: &Option<chrono::NaiveDate>| {
            f.zip(*t).is_some_and(|(f, t)| {
                chrono::Datelike::month(&f) == 1 && chrono::Datelike::month(&t) == 12
            })
        };
        let mut families: Vec<Vec<String>> = Vec::new();
        let periods: Vec<String> = keys
            .iter()
            .filter(|(f, t, p)| p == place && f.is_some() && (f, t) != (from, to))
            .filter(|(f, t, _)| match (from, to) {
                (None, None) => is_year(f, t),
                _ if is_year(from, to) => !is_year(f, t) && year_of(*f) == year_of(*from),
                _ => false,
            })
            .map(|(f, t, p)| format!("{:?}", (f, t, p)))
            .collect();
        families.push(periods);
        if place.is_none() {
            let places = keys
                .iter()
                .filter(|(f, t, p)| (f, t) == (from, to) && p.is_some())
                .map(|(f, t, p)| format!("{:?}", (f, t, p)))
                .collect();
            families.push(places);
        }
        let whole = format!("{:?}", (from, to, place));
        for parts in families.into_iter().filter(|parts| !parts.is_empty()) {
            // Only counts every cut of the sum prints (a reader who may see names has rows by
            // quarter that a published cut does not); or, where a row a cut does not print
            // counts 0 there (`absent_is_zero`), every count some cut of the sum prints.
            for name in &names {
                let terms: Vec<String> =
                    parts.iter().map(|part| format!("{part}|{name}")).collect();
                let total = format!("{whole}|{name}");
                let all = || std::iter::once(&total).chain(&terms);
                let printed = |cells: &BTreeMap<String, Term>, t: &String| cells.contains_key(t);
                if absent_is_zero && all().any(|t| printed(&family.cells, t)) {
                    let absent: Vec<String> =
                        all().filter(|t| !printed(&family.cells, t)).cloned().collect();
                    for t in absent {
                        family.cells.insert(t, Term::Known(0));
                    }
                }
                if all().all(|t| printed(&family.cells, t)) {
                    family.sum(&total, &terms);
                }
            }
        }
    }
    family
}
