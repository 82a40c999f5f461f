//! What a report is: a few named tables with a header that says exactly what the figures
//! reflect (the log position and chain hash, the projection and its version, the definition
//! version where there is one) so anyone can reproduce them from the same log.
//!
//! A report is a deterministic function of the projection's tables and the options; the shell
//! adds only `generated_at`. Counts from 1 to 4 that could single people out are shown as
//! suppressed ([`Cell::Suppressed`]), never as numbers.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Serialize, Serializer};

/// Where a report's figures come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// The last event the figures include.
    pub log_position: i64,
    /// That event's hash: the chain head the figures reflect.
    pub chain_hash: String,
    pub projection: String,
    pub projection_version: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub definition_version: Option<String>,
}

/// One value in a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Empty,
    Int(i64),
    /// A number with one decimal, held in tenths so it prints the same everywhere.
    Tenths(i64),
    Text(String),
    Date(NaiveDate),
    Bool(bool),
    /// A count from 1 to 4, withheld; or a figure derived from one.
    Suppressed,
    /// A count withheld so that a suppressed one cannot be worked out from it (secondary
    /// suppression); or a figure derived from one.
    Withheld,
}

impl Cell {
    pub fn text(value: impl Into<String>) -> Cell {
        Cell::Text(value.into())
    }

    pub fn optional_text(value: Option<impl Into<String>>) -> Cell {
        value.map_or(Cell::Empty, |value| Cell::Text(value.into()))
    }

    pub fn optional_date(value: Option<NaiveDate>) -> Cell {
        value.map_or(Cell::Empty, Cell::Date)
    }

    /// A percentage `part / whole`, one decimal, rounded half up; empty when `whole` is 0.
    pub fn percent(part: i64, whole: i64) -> Cell {
        if whole == 0 {
            return Cell::Empty;
        }
        Cell::Tenths((part * 1000 * 2 + whole) / (whole * 2))
    }

    /// A float, one decimal.
    pub fn decimal(value: f64) -> Cell {
        Cell::Tenths((value * 10.0).round() as i64)
    }

    /// How the cell reads in a table or CSV.
    pub fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Int(number) => number.to_string(),
            Cell::Tenths(tenths) => {
                let sign = if *tenths < 0 { "-" } else { "" };
                format!("{sign}{}.{}", tenths.abs() / 10, tenths.abs() % 10)
            }
            Cell::Text(text) => text.clone(),
            Cell::Date(date) => date.to_string(),
            Cell::Bool(flag) => if *flag { "yes" } else { "no" }.to_owned(),
            Cell::Suppressed => "<5".to_owned(),
            Cell::Withheld => "x".to_owned(),
        }
    }
}

impl Serialize for Cell {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Empty => serializer.serialize_none(),
            Cell::Int(number) => serializer.serialize_i64(*number),
            Cell::Tenths(tenths) => serializer.serialize_f64(*tenths as f64 / 10.0),
            Cell::Text(text) => serializer.serialize_str(text),
            Cell::Date(date) => serializer.collect_str(date),
            Cell::Bool(flag) => serializer.serialize_bool(*flag),
            Cell::Suppressed => serializer.serialize_str("suppressed"),
            Cell::Withheld => serializer.serialize_str("withheld"),
        }
    }
}

/// One table of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    pub name: String,
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Section {
    pub fn new(name: &str, title: &str, columns: &[&str]) -> Section {
        Section {
            name: name.to_owned(),
            title: title.to_owned(),
            columns: columns.iter().map(|column| (*column).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.columns.len(), "{}: a row of the wrong width", self.name);
        self.rows.push(row);
    }
}

/// A report: its view, what it reflects, its options, its tables and its notes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub view: String,
    pub title: String,
    pub provenance: Provenance,
    pub parameters: BTreeMap<String, String>,
    pub sections: Vec<Section>,
    pub notes: Vec<String>,
}

/// A report's heading: what it is and what it reflects, everything before its sections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub view: String,
    pub title: String,
    pub provenance: Provenance,
    pub parameters: BTreeMap<String, String>,
}

/// Where a view puts its report as it makes it: the head, then each section (with the rows it
/// has so far) followed by any more of its rows, then the notes. A view that lists every
/// participant of a national log hands each row on as it makes it, so that a printer can write
/// it out and nothing holds them all; [`Collect`] keeps them all, as a [`Report`]. (`Send`, so
/// that the shell can hand one to a view across its awaits on a server.)
pub trait Sink: Send {
    fn head(&mut self, head: Head);
    /// Starts a section: the rows that follow, up to the next section or the notes, are its.
    fn section(&mut self, section: Section);
    fn row(&mut self, row: Vec<Cell>);
    /// The report's notes, its last part.
    fn notes(&mut self, notes: Vec<String>);
}

impl Report {
    pub fn from_head(head: Head) -> Report {
        let Head { view, title, provenance, parameters } = head;
        Report { view, title, provenance, parameters, sections: Vec::new(), notes: Vec::new() }
    }

    /// Hands the whole report to `sink`.
    pub fn emit(self, sink: &mut dyn Sink) {
        let Report { view, title, provenance, parameters, sections, notes } = self;
        sink.head(Head { view, title, provenance, parameters });
        for section in sections {
            sink.section(section);
        }
        sink.notes(notes);
    }
}

/// A sink that keeps the whole report.
#[derive(Debug, Default)]
pub struct Collect(Option<Report>);

impl Collect {
    /// The report the view made. A view always starts with its head.
    pub fn into_report(self) -> Report {
        self.0.expect("a view hands on its head first")
    }

    fn report(&mut self) -> &mut Report {
        self.0.as_mut().expect("a view hands on its head first")
    }
}

impl Sink for Collect {
    fn head(&mut self, head: Head) {
        self.0 = Some(Report::from_head(head));
    }

    fn section(&mut self, section: Section) {
        self.report().sections.push(section);
    }

    fn row(&mut self, row: Vec<Cell>) {
        let section = self.report().sections.last_mut().expect("a row follows its section");
        section.push(row);
    }

    fn notes(&mut self, notes: Vec<String>) {
        self.report().notes.extend(notes);
    }
}

/// What a report may be narrowed to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    pub facility: Option<String>,
    pub skill: Option<String>,
    /// The recidivism data cut-off; when absent, the date of the latest SDP extract
    /// (definition 2) or of the last event (definition 1).
    pub cut_off: Option<NaiveDate>,
    /// The recidivism waiting period for convictions, in months (default 6).
    pub waiting_months: Option<u32>,
    /// The recidivism definition (1 or 2); the latest when absent.
    pub definition: Option<u32>,
    /// The smallest group, followed in full, the recidivism report compares (default 30).
    pub comparison_min: Option<u32>,
    /// Only the packages of this training provider (the training office's own view).
    pub provider: Option<String>,
    /// The period asked about, both days included: packages that run in it (programme
    /// views), months in it (monthly), releases in it (the people views' cohorts).
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// The reader sees published cuts only (docs/reports.md, "Published cuts"): the people
    /// views protect their counts together with every other published cut's.
    pub published: bool,
}

impl Options {
    /// Whether something running from `start` to `end` (both included) falls in the period
    /// `from`..=`to`, either end of which may be open.
    pub fn period_overlaps(&self, start: NaiveDate, end: NaiveDate) -> bool {
        self.from.is_none_or(|from| end >= from) && self.to.is_none_or(|to| start <= to)
    }

    pub fn parameters(&self) -> BTreeMap<String, String> {
        let mut parameters = BTreeMap::new();
        if let Some(facility) = &self.facility {
            parameters.insert("facility".to_owned(), facility.clone());
        }
        if let Some(skill) = &self.skill {
            parameters.insert("skill".to_owned(), skill.clone());
        }
        if let Some(provider) = &self.provider {
            parameters.insert("provider".to_owned(), provider.clone());
        }
        if let Some(from) = self.from {
            parameters.insert("from".to_owned(), from.to_string());
        }
        if let Some(to) = self.to {
            parameters.insert("to".to_owned(), to.to_string());
        }
        parameters
    }
}

/// Whether a column holds counts of people or things, which small-count suppression applies
/// to: integer columns other than days, months, hours, percentages, money and quotas.
pub fn is_count_column(name: &str) -> bool {
    let measures = ["_days", "_months", "_hours", "_percent", "_rupiah", "_first", "_n_weeks"];
    let settings = ["quota", "quota_inmates", "planned_hours", "threshold_percent", "year"];
    !measures.iter().any(|suffix| name.ends_with(suffix))
        && !settings.contains(&name)
        && !name.starts_with("hours")
}

/// The report with every count from 1 to 4 withheld, for readers who see aggregates only
/// (analysts): a count that small could single a person out. A sum of money or a percentage
/// in the same row as a withheld count is withheld with it (three grants' total in rupiah
/// says what each was worth), and so is an indicator of money beside its withheld count.
pub fn suppress_small_counts(mut report: Report) -> Report {
    for section in &mut report.sections {
        let counts: Vec<bool> = section.columns.iter().map(|name| is_count_column(name)).collect();
        let derived: Vec<bool> =
            section.columns.iter().map(|name| is_derived_column(name)).collect();
        for row in &mut section.rows {
            let mut withheld = false;
            for (cell, is_count) in row.iter_mut().zip(&counts) {
                if *is_count && matches!(cell, Cell::Int(1..=4)) {
                    *cell = Cell::Suppressed;
                    withheld = true;
                }
            }
            if withheld {
                for (cell, is_derived) in row.iter_mut().zip(&derived) {
                    if *is_derived && !matches!(cell, Cell::Empty) {
                        *cell = Cell::Suppressed;
                    }
                }
            }
        }
        withhold_money_indicators(section);
    }
    report.notes.push(
        "Counts from 1 to 4 are suppressed (<5), and money and rates beside them.".to_owned(),
    );
    report
}

/// Columns computed from a row's counts: money and percentages.
fn is_derived_column(name: &str) -> bool {
    name.contains("rupiah") || name.ends_with("_percent")
}

/// Indicators of money and the count each is the total of.
const MONEY_INDICATORS: [(&str, &str); 1] =
    [("grant_rupiah_handed_over_this_year", "grants_handed_over_this_year")];

/// In an indicator section (`indicator`, `value`), withholds a money indicator whose count is
/// withheld.
fn withhold_money_indicators(section: &mut Section) {
    if section.columns != ["indicator", "value"] {
        return;
    }
    let withheld = |rows: &[Vec<Cell>], name: &str| {
        rows.iter().any(|row| row[0] == Cell::text(name) && row[1] == Cell::Suppressed)
    };
    for (money, count) in MONEY_INDICATORS {
        if withheld(&section.rows, count) {
            for row in section.rows.iter_mut().filter(|row| row[0] == Cell::text(money)) {
                row[1] = Cell::Suppressed;
            }
        }
    }
}

/// A count as shown: suppressed from 1 to 4.
pub fn count(n: i64) -> Cell {
    if (1..=4).contains(&n) { Cell::Suppressed } else { Cell::Int(n) }
}

/// The 95% Wilson score interval of `successes` out of `trials`, in percent.
pub fn wilson_interval(successes: i64, trials: i64) -> Option<(f64, f64)> {
    if trials <= 0 {
        return None;
    }
    let z = 1.959_963_984_540_054_f64;
    let n = trials as f64;
    let p = successes as f64 / n;
    let denominator = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denominator;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denominator;
    Some((((centre - half) * 100.0).max(0.0), ((centre + half) * 100.0).min(100.0)))
}

/// The median of whole numbers; the mean of the middle two when their count is even.
pub fn median(values: &mut [i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let middle = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[middle] as f64
    } else {
        (values[middle - 1] + values[middle]) as f64 / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn a_period_takes_what_overlaps_it_both_ends_included() {
        let (from, to) = (Some(day("2025-03-01")), Some(day("2025-03-31")));
        let options = Options { from, to, ..Options::default() };
        assert!(options.period_overlaps(day("2025-02-01"), day("2025-03-01")), "ends on day one");
        assert!(options.period_overlaps(day("2025-03-31"), day("2025-05-01")), "starts last day");
        assert!(options.period_overlaps(day("2025-01-01"), day("2025-12-31")), "runs through");
        assert!(!options.period_overlaps(day("2025-01-01"), day("2025-02-28")), "ends before");
        assert!(!options.period_overlaps(day("2025-04-01"), day("2025-04-30")), "starts after");
        let open = Options { from, ..Options::default() };
        assert!(open.period_overlaps(day("2030-01-01"), day("2030-01-02")));
        assert!(Options::default().period_overlaps(day("1999-01-01"), day("1999-01-01")));
        assert_eq!(options.parameters()["from"], "2025-03-01");
    }

    #[test]
    fn percentages_round_half_up_to_one_decimal() {
        assert_eq!(Cell::percent(1, 3).display(), "33.3");
        assert_eq!(Cell::percent(2, 3).display(), "66.7");
        assert_eq!(Cell::percent(1, 8).display(), "12.5");
        assert_eq!(Cell::percent(0, 0), Cell::Empty);
    }

    #[test]
    fn small_counts_are_suppressed() {
        assert_eq!(count(0), Cell::Int(0));
        assert_eq!(count(4), Cell::Suppressed);
        assert_eq!(count(5), Cell::Int(5));
        assert_eq!(serde_json::to_string(&Cell::Suppressed).unwrap(), "\"suppressed\"");
    }

    #[test]
    fn the_wilson_interval_matches_a_worked_example() {
        // 6 of 10: p = 0.6, z² = 3.8415; centre = (0.6 + 0.19207)/1.38415 = 0.57224;
        // half = 1.96 × sqrt(0.024 + 0.0096037)/1.38415 = 0.25960 → 31.3% to 83.2%.
        let (low, high) = wilson_interval(6, 10).unwrap();
        assert_eq!(
            (Cell::decimal(low).display(), Cell::decimal(high).display()),
            ("31.3".to_owned(), "83.2".to_owned())
        );
        let (low, high) = wilson_interval(0, 5).unwrap();
        assert_eq!(low, 0.0);
        assert!((high - 43.4).abs() < 0.1, "{high}");
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&mut [5, 1, 3]), Some(3.0));
        assert_eq!(median(&mut [4, 1, 3, 2]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }

    #[test]
    fn money_and_rates_beside_a_withheld_count_are_withheld_too() {
        let mut table = Section::new("t", "t", &["grants", "total_rupiah", "rate_percent"]);
        table.push(vec![Cell::Int(3), Cell::Int(8_250_000), Cell::Tenths(500)]);
        table.push(vec![Cell::Int(7), Cell::Int(19_250_000), Cell::Tenths(700)]);
        let mut indicators = Section::new("i", "i", &["indicator", "value"]);
        indicators.push(vec![Cell::text("grants_handed_over_this_year"), Cell::Int(2)]);
        indicators
            .push(vec![Cell::text("grant_rupiah_handed_over_this_year"), Cell::Int(5_500_000)]);
        let report = Report {
            view: "v".into(),
            title: "v".into(),
            provenance: Provenance {
                log_position: 1,
                chain_hash: String::new(),
                projection: "p".into(),
                projection_version: 1,
                definition_version: None,
            },
            parameters: BTreeMap::new(),
            sections: vec![table, indicators],
            notes: vec![],
        };
        let report = suppress_small_counts(report);
        assert_eq!(report.sections[0].rows[0], vec![Cell::Suppressed; 3]);
        assert_eq!(report.sections[0].rows[1][1], Cell::Int(19_250_000));
        assert_eq!(report.sections[1].rows[1][1], Cell::Suppressed, "the money beside 2 grants");
    }
}
