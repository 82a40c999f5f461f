//! How `jejak report` and the evidence pack print a report. JSON and CSV are written as the view
//! hands on its rows, so a report with a row per participant of a national log is never held
//! whole; the table, whose column widths need every row, is printed from the whole report.

use std::io::{BufWriter, Write};

use chrono::Utc;
use projections::report::{Cell, Collect, Head, Options, Provenance, Report, Section, Sink};

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
            let mut report = Collect::default();
            super::write_at(projector, history, view, options, moment, &mut report).await?;
            let mut out = out;
            write_table(&mut out, &report.into_report())?;
            out
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
        let failed = |error: csv::Error| ReportError::Output(error.to_string());
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
            Some(error) => Err(ReportError::Output(error.to_string())),
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

fn write_table(out: &mut impl Write, report: &Report) -> anyhow::Result<()> {
    writeln!(out, "{}", report.title)?;
    let parameters: Vec<_> = report.parameters.iter().collect();
    for line in provenance_lines(&report.provenance, &parameters) {
        writeln!(out, "  {line}")?;
    }
    for section in &report.sections {
        writeln!(out, "\n{} ({} rows)", section.title, section.rows.len())?;
        // Two passes over the cells, each shown as it is needed: a whole-country section has
        // a row per participant, and a copy of its text would double what the report holds.
        let shown = |row: &[Cell]| -> Vec<String> {
            row.iter().map(|cell| shorten(&cell.display())).collect()
        };
        let mut widths: Vec<usize> =
            section.columns.iter().map(|name| name.len().min(COLUMN_WIDTH_MAX)).collect();
        for row in &section.rows {
            for (width, value) in widths.iter_mut().zip(shown(row)) {
                *width = (*width).max(value.chars().count());
            }
        }
        let line = |values: Vec<String>| {
            values
                .iter()
                .zip(&widths)
                .map(|(value, width)| format!("{value:<width$}"))
                .collect::<Vec<_>>()
                .join("  ")
        };
        writeln!(out, "{}", line(section.columns.iter().map(|c| shorten(c)).collect()))?;
        for row in &section.rows {
            writeln!(out, "{}", line(shown(row)).trim_end())?;
        }
    }
    if !report.notes.is_empty() {
        writeln!(out)?;
        for note in &report.notes {
            writeln!(out, "Note: {note}")?;
        }
    }
    Ok(())
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= COLUMN_WIDTH_MAX {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(COLUMN_WIDTH_MAX - 1).collect();
    short.push('…');
    short
}
