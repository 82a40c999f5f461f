//! The analyst's arithmetic, shared by the tests that play one: the counts they read (shown or
//! withheld), the sums they know tie them, and what solving those sums together gives away —
//! exactly, and from knowing that counts are never negative.

use std::collections::{BTreeMap, BTreeSet};

use projections::report::{Cell, Options};

/// What the analyst reads: a number, or an unknown they name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Term {
    Known(i64),
    Unknown(String),
}

#[derive(Default)]
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

    /// The unknowns an analyst who knows counts are never negative finds to be 0: a sum whose
    /// total is shown and equal to its shown parts has every other part 0 (and those zeros
    /// may in turn close another sum). They become known; the names of those found through a
    /// total above 0 (a total of 0 says every part is 0 to everyone, nothing of the few).
    pub fn zeros(&mut self) -> Vec<String> {
        let mut found = Vec::new();
        loop {
            let mut more = Vec::new();
            for equation in &self.equations {
                let known = |name: &String| match self.cells.get(name) {
                    Some(Term::Known(n)) => Some(*n),
                    _ => None,
                };
                let Some((total, _)) = equation.iter().find(|(_, sign)| *sign == -1) else {
                    continue;
                };
                let parts = equation.iter().filter(|(_, sign)| *sign == 1).map(|(name, _)| name);
                let (shown, open): (Vec<&String>, Vec<&String>) =
                    parts.partition(|name| known(name).is_some());
                let shown_sum: i64 = shown.iter().filter_map(|name| known(name)).sum();
                if known(total) == Some(shown_sum) {
                    let open = open.into_iter().filter(|name| self.cells.contains_key(*name));
                    more.extend(open.map(|name| (name.clone(), shown_sum > 0)));
                }
            }
            more.sort();
            more.dedup();
            if more.is_empty() {
                return found;
            }
            let mut known = BTreeMap::new();
            for (name, telling) in more {
                *known.entry(name).or_insert(false) |= telling;
            }
            for (name, telling) in known {
                self.cells.insert(name.clone(), Term::Known(0));
                if telling {
                    found.push(name);
                }
            }
        }
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

/// What the analyst gives away by the equations and then by knowing counts are never
/// negative: nothing (`Ok`), or the counts they work out.
pub fn what_is_given_away(mut attack: Attack) -> Result<(), String> {
    let withheld = attack.cells.values().filter(|t| matches!(t, Term::Unknown(_))).count();
    let recovered = attack.recovered();
    if !recovered.is_empty() {
        return Err(format!("recovered {recovered:?} of {withheld} withheld"));
    }
    let zeros = attack.zeros();
    if !zeros.is_empty() {
        return Err(format!("found to be 0: {zeros:?}"));
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
