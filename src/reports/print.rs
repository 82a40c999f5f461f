//! How `jejak report` and the evidence pack print a report. Each format is written as the view
//! hands on its rows, so a report with a row per participant of a national log is never held
//! whole; the table holds a page of a section's rows to size its columns.

use std::io::{BufWriter, Write};

use chrono::Utc;
use projections::report::{Cell, Head, Options, Provenance, Section, Sink};

use super::ReportError;
use crate::history::{History, Moment};
use crate::projector::Projector;

/// How a report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
}

/// Prints a view at `moment` on standard output: JSON gains `generated_at`, the only field that
/// is not a function of the log.
pub async fn print_at(
    projector: &Projector,
    history: &History,
    view: &str,
    options: &Options,
    moment: Moment,
    format: Format,
) -> anyhow::Result<()> {
    let out = BufWriter::new(std::io::stdout());
    let mut out = match format {
        Format::Table => {
            let mut table = Table::new(out);
            super::write_at(projector, history, view, options, moment, &mut table).await?;
            table.finish()?
        }
        Format::Csv => {
            let mut csv = Csv::new(out);
            super::write_at(projector, history, view, options, moment, &mut csv).await?;
            csv.finish()?
        }
        Format::Json => {
            let mut json = Json::new(out, Utc::now().to_rfc3339());
            super::write_at(projector, history, view, options, moment, &mut json).await?;
            json.finish()?
        }
    };
    out.flush()?;
    Ok(())
}

fn provenance_lines(provenance: &Provenance, parameters: &[(&String, &String)]) -> Vec<String> {
    let p = provenance;
    let mut lines = vec![
        format!("log position {} (chain hash {})", p.log_position, p.chain_hash),
        format!("projection {} v{}", p.projection, p.projection_version),
    ];
    if let Some(definition) = &p.definition_version {
        lines.push(format!("definition {definition}"));
    }
    for (name, value) in parameters {
        lines.push(format!("{name}: {value}"));
    }
    lines
}

/// A report as CSV, written as it is made: `#` lines for its title and provenance, then each
/// section with a header and a blank line after it, then `#` lines for the notes.
pub struct Csv<W: Write> {
    /// Taken out to write a line of its own between records; `None` after a failure.
    writer: Option<csv::Writer<W>>,
    in_section: bool,
    /// The first failure to write; nothing is written after it.
    failed: Option<csv::Error>,
}

impl<W: Write> Csv<W> {
    pub fn new(out: W) -> Csv<W> {
        Csv { writer: Some(Csv::records(out)), in_section: false, failed: None }
    }

    fn records(out: W) -> csv::Writer<W> {
        // Sections differ in width.
        csv::WriterBuilder::new().flexible(true).from_writer(out)
    }

    /// The output, once every part was written; or the first failure.
    pub fn finish(self) -> Result<W, ReportError> {
        // The I/O error itself, so that a broken pipe is seen as one (`cli::run`).
        let failed = |error: csv::Error| match error.into_kind() {
            csv::ErrorKind::Io(error) => ReportError::Output(error),
            other => ReportError::Output(std::io::Error::other(format!("{other:?}"))),
        };
        if let Some(error) = self.failed {
            return Err(failed(error));
        }
        let writer = self.writer.expect("the writer is there unless a write failed");
        writer.into_inner().map_err(|error| failed(error.into_error().into()))
    }

    fn attempt(&mut self, write: impl FnOnce(&mut Csv<W>) -> Result<(), csv::Error>) {
        if self.failed.is_none()
            && let Err(error) = write(self)
        {
            self.failed = Some(error);
        }
    }

    fn writer(&mut self) -> Result<&mut csv::Writer<W>, csv::Error> {
        self.writer.as_mut().ok_or_else(|| std::io::Error::other("a write failed").into())
    }

    /// A line of its own, outside the CSV records.
    fn line(&mut self, line: &str) -> Result<(), csv::Error> {
        let writer = self.writer.take().ok_or_else(|| std::io::Error::other("a write failed"))?;
        let mut out = writer.into_inner().map_err(|error| error.into_error())?;
        writeln!(out, "{line}")?;
        self.writer = Some(Csv::records(out));
        Ok(())
    }

    fn end_section(&mut self) -> Result<(), csv::Error> {
        if std::mem::take(&mut self.in_section) {
            self.line("")?;
        }
        Ok(())
    }

    fn record(&mut self, row: &[Cell]) -> Result<(), csv::Error> {
        self.writer()?.write_record(row.iter().map(Cell::display))
    }
}

impl<W: Write + Send> Sink for Csv<W> {
    fn head(&mut self, head: Head) {
        self.attempt(|csv| {
            csv.line(&format!("# {}", head.title))?;
            let parameters: Vec<_> = head.parameters.iter().collect();
            for line in provenance_lines(&head.provenance, &parameters) {
                csv.line(&format!("# {line}"))?;
            }
            Ok(())
        });
    }

    fn section(&mut self, section: Section) {
        self.attempt(|csv| {
            csv.end_section()?;
            csv.line(&format!("# section: {}", section.name))?;
            csv.writer()?.write_record(&section.columns)?;
            csv.in_section = true;
            section.rows.iter().try_for_each(|row| csv.record(row))
        });
    }

    fn row(&mut self, row: Vec<Cell>) {
        self.attempt(|csv| csv.record(&row));
    }

    fn notes(&mut self, notes: Vec<String>) {
        self.attempt(|csv| {
            csv.end_section()?;
            notes.iter().try_for_each(|note| csv.line(&format!("# note: {note}")))
        });
    }
}

/// A report as JSON, written as it is made: the report's fields and `generated_at`, each
/// section's fields on lines of their own and a line per row.
struct Json<W: Write> {
    out: W,
    generated_at: String,
    /// Sections begun, and rows written in the last of them.
    sections: usize,
    rows: usize,
    failed: Option<serde_json::Error>,
}

impl<W: Write> Json<W> {
    fn new(out: W, generated_at: String) -> Json<W> {
        Json { out, generated_at, sections: 0, rows: 0, failed: None }
    }

    fn finish(self) -> Result<W, ReportError> {
        match self.failed {
            Some(error) => Err(ReportError::Output(error.into())),
            None => Ok(self.out),
        }
    }

    fn attempt(&mut self, write: impl FnOnce(&mut Json<W>) -> Result<(), serde_json::Error>) {
        if self.failed.is_none()
            && let Err(error) = write(self)
        {
            self.failed = Some(error);
        }
    }

    fn text(&mut self, text: &str) -> Result<(), serde_json::Error> {
        self.out.write_all(text.as_bytes()).map_err(serde_json::Error::io)
    }

    /// `"name": value` on a line of its own, after `indent` and before `end`.
    fn field(
        &mut self,
        indent: &str,
        name: &str,
        value: &impl serde::Serialize,
        end: &str,
    ) -> Result<(), serde_json::Error> {
        self.text(&format!("{indent}\"{name}\": "))?;
        serde_json::to_writer(&mut self.out, value)?;
        self.text(end)
    }

    fn end_section(&mut self) -> Result<(), serde_json::Error> {
        if self.sections > 0 {
            self.text(if self.rows > 0 { "\n      ]\n    }" } else { "]\n    }" })?;
        }
        Ok(())
    }

    fn record(&mut self, row: &[Cell]) -> Result<(), serde_json::Error> {
        self.text(if self.rows == 0 { "\n        " } else { ",\n        " })?;
        self.rows += 1;
        serde_json::to_writer(&mut self.out, row)
    }
}

impl<W: Write + Send> Sink for Json<W> {
    fn head(&mut self, head: Head) {
        self.attempt(|json| {
            json.text("{\n")?;
            json.field("  ", "view", &head.view, ",\n")?;
            json.field("  ", "title", &head.title, ",\n")?;
            json.field("  ", "provenance", &head.provenance, ",\n")?;
            json.field("  ", "parameters", &head.parameters, ",\n")?;
            json.text("  \"sections\": [")
        });
    }

    fn section(&mut self, section: Section) {
        self.attempt(|json| {
            json.end_section()?;
            json.text(if json.sections == 0 { "\n    {\n" } else { ",\n    {\n" })?;
            json.sections += 1;
            json.rows = 0;
            json.field("      ", "name", &section.name, ",\n")?;
            json.field("      ", "title", &section.title, ",\n")?;
            json.field("      ", "columns", &section.columns, ",\n")?;
            json.text("      \"rows\": [")?;
            section.rows.iter().try_for_each(|row| json.record(row))
        });
    }

    fn row(&mut self, row: Vec<Cell>) {
        self.attempt(|json| json.record(&row));
    }

    fn notes(&mut self, notes: Vec<String>) {
        self.attempt(|json| {
            json.end_section()?;
            json.text(if json.sections > 0 { "\n  ],\n" } else { "],\n" })?;
            json.field("  ", "notes", &notes, ",\n")?;
            let generated_at = std::mem::take(&mut json.generated_at);
            json.field("  ", "generated_at", &generated_at, "\n}\n")
        });
    }
}

const COLUMN_WIDTH_MAX: usize = 36;

/// Rows of a section held to size its columns before any of them is printed.
const TABLE_PAGE: usize = 1000;

/// A report as a table for a terminal, written as it is made. A section's columns are as wide
/// as its header and its first [`TABLE_PAGE`] rows need; a longer section's later rows are
/// printed at those widths as they come (a wider cell there pushes the rest of its line to the
/// right), so that a section with a row per participant of a national log is never held whole.
struct Table<W: Write> {
    out: W,
    section: Option<TableSection>,
    /// The first failure to write; nothing is written after it.
    failed: Option<std::io::Error>,
}

/// The section being printed.
struct TableSection {
    title: String,
    columns: Vec<String>,
    /// Set once the header is printed; until then the rows so far are `held`.
    widths: Option<Vec<usize>>,
    held: Vec<Vec<String>>,
    rows: usize,
}

impl<W: Write> Table<W> {
    fn new(out: W) -> Table<W> {
        Table { out, section: None, failed: None }
    }

    /// The output, once every part was written; or the first failure.
    fn finish(self) -> Result<W, ReportError> {
        match self.failed {
            Some(error) => Err(ReportError::Output(error)),
            None => Ok(self.out),
        }
    }

    fn attempt(&mut self, write: impl FnOnce(&mut Table<W>) -> std::io::Result<()>) {
        if self.failed.is_none()
            && let Err(error) = write(self)
        {
            self.failed = Some(error);
        }
    }

    fn add(&mut self, row: &[Cell]) -> std::io::Result<()> {
        let Some(section) = self.section.as_mut() else { return Ok(()) };
        let shown: Vec<String> = row.iter().map(|cell| shorten(&cell.display())).collect();
        section.rows += 1;
        match &section.widths {
            Some(widths) => writeln!(self.out, "{}", line(&shown, widths)),
            None => {
                section.held.push(shown);
                if section.held.len() < TABLE_PAGE {
                    return Ok(());
                }
                section.print_held(&mut self.out, false)
            }
        }
    }

    fn end_section(&mut self) -> std::io::Result<()> {
        let Some(mut section) = self.section.take() else { return Ok(()) };
        if section.widths.is_none() {
            return section.print_held(&mut self.out, true);
        }
        writeln!(self.out, "({} rows)", section.rows)
    }
}

impl TableSection {
    /// The title, the header and the rows held, at the widths they need. With `whole`, they
    /// are the whole section and the title says how many there are; else a line after the
    /// section's last row will.
    fn print_held(&mut self, out: &mut impl Write, whole: bool) -> std::io::Result<()> {
        let mut widths: Vec<usize> = self.columns.iter().map(|c| c.chars().count()).collect();
        for row in &self.held {
            for (width, value) in widths.iter_mut().zip(row) {
                *width = (*width).max(value.chars().count());
            }
        }
        match whole {
            true => writeln!(out, "\n{} ({} rows)", self.title, self.rows)?,
            false => writeln!(out, "\n{}", self.title)?,
        }
        writeln!(out, "{}", line(&self.columns, &widths))?;
        for row in std::mem::take(&mut self.held) {
            writeln!(out, "{}", line(&row, &widths))?;
        }
        self.widths = Some(widths);
        Ok(())
    }
}

/// Values padded to their columns' widths, two spaces apart.
fn line(values: &[String], widths: &[usize]) -> String {
    let padded: Vec<String> =
        values.iter().zip(widths).map(|(value, width)| format!("{value:<width$}")).collect();
    padded.join("  ").trim_end().to_owned()
}

impl<W: Write + Send> Sink for Table<W> {
    fn head(&mut self, head: Head) {
        self.attempt(|table| {
            writeln!(table.out, "{}", head.title)?;
            let parameters: Vec<_> = head.parameters.iter().collect();
            for line in provenance_lines(&head.provenance, &parameters) {
                writeln!(table.out, "  {line}")?;
            }
            Ok(())
        });
    }

    fn section(&mut self, section: Section) {
        self.attempt(|table| {
            table.end_section()?;
            let Section { title, columns, rows, .. } = section;
            let columns = columns.iter().map(|column| shorten(column)).collect();
            let held = Vec::new();
            table.section = Some(TableSection { title, columns, widths: None, held, rows: 0 });
            rows.iter().try_for_each(|row| table.add(row))
        });
    }

    fn row(&mut self, row: Vec<Cell>) {
        self.attempt(|table| table.add(&row));
    }

    fn notes(&mut self, notes: Vec<String>) {
        self.attempt(|table| {
            table.end_section()?;
            if !notes.is_empty() {
                writeln!(table.out)?;
            }
            notes.iter().try_for_each(|note| writeln!(table.out, "Note: {note}"))
        });
    }
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= COLUMN_WIDTH_MAX {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(COLUMN_WIDTH_MAX - 1).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head() -> Head {
        let provenance = Provenance {
            log_position: 7,
            chain_hash: "ab".repeat(32),
            projection: "enrolment".to_owned(),
            projection_version: 1,
            definition_version: None,
        };
        Head {
            view: "enrolment".to_owned(),
            title: "Enrolment".to_owned(),
            provenance,
            parameters: Default::default(),
        }
    }

    fn row(name: &str, count: i64) -> Vec<Cell> {
        vec![Cell::Text(name.to_owned()), Cell::Int(count)]
    }

    fn section(rows: Vec<Vec<Cell>>) -> Section {
        let mut section = Section::new("packages", "Packages", &["package", "count"]);
        section.rows = rows;
        section
    }

    fn printed(table: Table<Vec<u8>>) -> String {
        String::from_utf8(table.finish().unwrap()).unwrap()
    }

    /// Where each line's second column begins, by the run of spaces before it.
    fn second_column(line: &str) -> usize {
        line.find("  ").map(|at| at + line[at..].find(|c| c != ' ').unwrap()).unwrap()
    }

    #[test]
    fn a_short_section_is_sized_by_every_row_and_counted_in_its_title() {
        let mut table = Table::new(Vec::new());
        table.head(head());
        table.section(section(vec![row("Menjahit", 3)]));
        table.row(row("Tata rias pengantin", 12));
        table.notes(vec!["Data fiktif.".to_owned()]);
        let text = printed(table);
        let lines: Vec<&str> = text.lines().collect();
        let at = lines.iter().position(|l| *l == "Packages (2 rows)").expect(&text);
        let starts: Vec<usize> = lines[at + 1..at + 4].iter().map(|l| second_column(l)).collect();
        assert_eq!(starts, vec!["Tata rias pengantin".len() + 2; 3], "{text}");
        assert!(text.ends_with("\nNote: Data fiktif.\n"), "{text}");
    }

    #[test]
    fn a_long_section_is_printed_as_it_comes_at_its_first_pages_widths() {
        let mut table = Table::new(Vec::new());
        table.head(head());
        table.section(section(Vec::new()));
        for n in 0..TABLE_PAGE {
            table.row(row(&format!("paket {n:04}"), 1));
        }
        // The first page is out before the section ends: the table does not hold it any more.
        let so_far = String::from_utf8(table.out.clone()).unwrap();
        assert!(so_far.contains(&format!("paket {:04}", TABLE_PAGE - 1)), "{so_far}");
        table.row(row("Pembuatan batako press dan paving", 5));
        table.row(row("paket akhir", 2));
        table.notes(Vec::new());
        let text = printed(table);
        let lines: Vec<&str> = text.lines().collect();
        let at = lines.iter().position(|l| *l == "Packages").expect("the title, without a count");
        assert_eq!(second_column(lines[at + 1]), "paket 0000".len() + 2);
        assert_eq!(lines[lines.len() - 2], "paket akhir  2", "later rows at the page's widths");
        assert_eq!(lines[lines.len() - 1], format!("({} rows)", TABLE_PAGE + 2));
        assert!(lines.contains(&"Pembuatan batako press dan paving  5"));
    }
}
