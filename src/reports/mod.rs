//! `jejak report`: brings a view's read model up to the head, computes the view from it, and
//! prints it as a table, CSV or JSON (docs/reports.md).

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::sync::Arc;

use chrono::Utc;
use projections::projection::{Config, ProjectionDef};
use projections::report::{Cell, Options, Report};
use projections::table::Tables;
use projections::views::{self, Input, ViewDef};

use crate::history::{Folded, History, HistoryError, Moment};
use crate::projector::{Projector, ProjectorError};
use crate::store::StoreFailure;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("no view `{name}`: use {}", views::all().iter().map(|v| v.name).collect::<Vec<_>>().join(", "))]
    UnknownView { name: String },
    #[error(
        "Laporan {view} tidak dipersempit per kejuruan (orang yang tidak pernah diusulkan tidak punya kejuruan); lihat rincian per kejuruan di dalam laporan, dan hapus `skill`. / The {view} report is not narrowed by skill (people never nominated have none); see its breakdown by skill, and leave out `skill`."
    )]
    NotBySkill { view: String },
    #[error("computing the published cuts failed: {0}")]
    Computation(String),
    #[error(transparent)]
    Projector(#[from] ProjectorError),
    #[error(transparent)]
    History(#[from] HistoryError),
}

impl StoreFailure for ReportError {
    fn store_error(&self) -> Option<&crate::store::StoreError> {
        match self {
            ReportError::Projector(error) => error.store_error(),
            ReportError::History(error) => error.store_error(),
            ReportError::UnknownView { .. }
            | ReportError::NotBySkill { .. }
            | ReportError::Computation(_) => None,
        }
    }
}

/// Computes a view at a past moment from the in-memory fold (`history`), or, for the present,
/// from its read model.
pub async fn build_at(
    projector: &Projector,
    history: &History,
    view: &str,
    options: &Options,
    moment: Moment,
) -> Result<Report, ReportError> {
    if moment == Moment::default() {
        return build(projector, view, options).await;
    }
    let view = named(view, options)?;
    Ok(build_as_of(history, view, options, moment).await?)
}

/// The view of that name, if `options` may narrow it: the people views (recidivism, stock,
/// post-release) are about releases, which have no skill.
fn named(name: &str, options: &Options) -> Result<ViewDef, ReportError> {
    let view =
        views::named(name).ok_or_else(|| ReportError::UnknownView { name: name.to_owned() })?;
    if view.projection == projections::people::DEF.name && options.skill.is_some() {
        return Err(ReportError::NotBySkill { view: name.to_owned() });
    }
    Ok(view)
}

/// Computes a view from the fold at `moment`, narrowed to the scope its options ask about.
pub async fn build_as_of(
    history: &History,
    view: ViewDef,
    options: &Options,
    moment: Moment,
) -> Result<Report, HistoryError> {
    let projection =
        projections::projection::named(view.projection).expect("views name known projections");
    let folded = history.fold_at(projection, &projection.scope(options), moment).await?;
    let mut report = from_fold(view, &folded, options, history.config());
    if let Some(known_at) = moment.known_at {
        report.parameters.insert("known_at".to_owned(), known_at.to_string());
    }
    Ok(report)
}

/// Computes a view from a fold of its projection at a past moment.
pub fn from_fold(view: ViewDef, folded: &Folded, options: &Options, config: Config) -> Report {
    let projection =
        projections::projection::named(view.projection).expect("views name known projections");
    let input = Input {
        tables: &folded.tables,
        projection,
        config,
        position: folded.position,
        hash: &folded.hash,
        as_of: folded.as_of,
        options,
    };
    let mut report = (view.build)(&input);
    report.parameters.insert("as_of".to_owned(), folded.as_of.to_string());
    report
}

/// Computes a view from its read model, after catching the read model up to the head.
pub async fn build(
    projector: &Projector,
    view: &str,
    options: &Options,
) -> Result<Report, ReportError> {
    build_view(projector, named(view, options)?, options).await
}

/// Computes `view` (a view of `views::all()`, or another computation over a read model, such
/// as the evaluator's extract) from its read model, after catching it up to the head.
pub async fn build_view(
    projector: &Projector,
    view: ViewDef,
    options: &Options,
) -> Result<Report, ReportError> {
    let projection =
        projections::projection::named(view.projection).expect("views name known projections");
    let (tables, position, hash) = current(projector, projection, options).await?;
    let as_of = as_of(projector, position).await?;
    let input = Input {
        tables: &tables,
        projection,
        config: projector.config(),
        position,
        hash: &hash,
        as_of,
        options,
    };
    Ok((view.build)(&input))
}

/// Every published cut of a family of views (the people views; the overview, funnel and
/// outcomes), as last computed: computing one protects them all together (docs/reports.md,
/// "Published cuts"), so the server keeps each family for the log position it was computed at
/// and answers the next cut from it.
#[derive(Default)]
pub struct PublishedCuts {
    /// By projection: the family last computed and what it was computed from.
    latest: tokio::sync::Mutex<BTreeMap<&'static str, Family>>,
}

type Family = (CutsKey, Arc<Vec<Cut>>);

/// What a family of cuts is a function of: the log position and its hash, and the options
/// other than the cut.
type CutsKey = (i64, String, Options);
/// A cut's options and its reports, one per view of the family.
type Cut = (Options, Vec<Report>);

/// Whether `view` is one of a family protected across published cuts.
pub fn in_published_family(view: &str) -> bool {
    ["recidivism", "post_release"].contains(&view) || views::PROGRAMME_FAMILY.contains(&view)
}

/// The view `view` of a family for a reader of published cuts, at the head: the cut
/// `options` asks for, protected with every other.
pub async fn build_published(
    projector: &Projector,
    cuts: &PublishedCuts,
    view: &str,
    options: &Options,
) -> Result<Report, ReportError> {
    let def = named(view, options)?;
    let projection = projections::projection::named(def.projection)
        .ok_or_else(|| ReportError::UnknownView { name: view.to_owned() })?;
    let (tables, position, hash) = current(projector, projection, options).await?;
    let as_of = as_of(projector, position).await?;
    let whole = Options { facility: None, from: None, to: None, ..options.clone() };
    let key = (position, hash.clone(), whole.clone());
    let mut latest = cuts.latest.lock().await;
    let family = match latest.get(projection.name) {
        Some((at, family)) if *at == key => family.clone(),
        _ => {
            let config = projector.config();
            let family = tokio::task::spawn_blocking(move || {
                let input = Input {
                    tables: &tables,
                    projection,
                    config,
                    position,
                    hash: &hash,
                    as_of,
                    options: &whole,
                };
                family_of(&input)
            })
            .await
            .map_err(|error| ReportError::Computation(error.to_string()))?;
            let family = Arc::new(family);
            latest.insert(projection.name, (key, family.clone()));
            family
        }
    };
    drop(latest);
    let asked = family.iter().find(|(cut, _)| {
        (cut.from, cut.to, &cut.facility) == (options.from, options.to, &options.facility)
    });
    match asked.and_then(|(_, reports)| reports.iter().find(|r| r.view == def.name)) {
        Some(report) => Ok(report.clone()),
        // A cut with nothing in it: computed alone.
        None => build_view(projector, def, options).await,
    }
}

/// Every published cut of the family `input`'s projection computes.
fn family_of(input: &Input<'_>) -> Vec<Cut> {
    if input.projection.name == projections::people::DEF.name {
        let cuts = views::published_cuts(input).into_iter();
        cuts.map(|(options, recidivism, post_release)| (options, vec![recidivism, post_release]))
            .collect()
    } else {
        views::programme_cuts(input)
    }
}

/// A projection's read model caught up to the head and loaded within the scope `options` ask
/// about, with the position and hash it reflects.
pub async fn current(
    projector: &Projector,
    projection: ProjectionDef,
    options: &Options,
) -> Result<(Tables, i64, String), ProjectorError> {
    // Another process may be catching the same read model up: then its work is ours too.
    let mut attempts = 0;
    loop {
        match projector.catch_up(projection, None, &mut |_| {}).await {
            Err(ProjectorError::Fenced { .. }) if attempts < 3 => attempts += 1,
            other => break other.map(drop)?,
        }
    }
    projector.load(projection, &projection.scope(options)).await
}

/// The day the figures are as of: the local date of the last event they include.
pub async fn as_of(
    projector: &Projector,
    position: i64,
) -> Result<chrono::NaiveDate, ProjectorError> {
    let store = projector.store();
    let recorded = if position == 0 {
        None
    } else {
        store.read_all(position, 1).await.map_err(ProjectorError::from)?.pop()
    };
    let config = projector.config();
    Ok(recorded
        .map_or_else(|| Utc::now().date_naive(), |event| config.local_date(event.recorded_at)))
}

/// Prints a report; JSON gains `generated_at`, the only field that is not a function of the log.
pub fn print(report: &Report, json: bool, csv: bool) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if json {
        /// Written as it is serialised: a whole-country report has a row per participant.
        #[derive(serde::Serialize)]
        struct Printed<'a> {
            #[serde(flatten)]
            report: &'a Report,
            generated_at: String,
        }
        let printed = Printed { report, generated_at: Utc::now().to_rfc3339() };
        serde_json::to_writer_pretty(&mut out, &printed)?;
        writeln!(out)?;
    } else if csv {
        write_csv(&mut out, report)?;
    } else {
        write_table(&mut out, report)?;
    }
    out.flush()?;
    Ok(())
}

fn provenance_lines(report: &Report) -> Vec<String> {
    let p = &report.provenance;
    let mut lines = vec![
        format!("log position {} (chain hash {})", p.log_position, p.chain_hash),
        format!("projection {} v{}", p.projection, p.projection_version),
    ];
    if let Some(definition) = &p.definition_version {
        lines.push(format!("definition {definition}"));
    }
    for (name, value) in &report.parameters {
        lines.push(format!("{name}: {value}"));
    }
    lines
}

/// A report as CSV: `#` lines for its title and provenance, then each section with a header.
pub fn write_csv(out: &mut impl Write, report: &Report) -> anyhow::Result<()> {
    writeln!(out, "# {}", report.title)?;
    for line in provenance_lines(report) {
        writeln!(out, "# {line}")?;
    }
    for section in &report.sections {
        writeln!(out, "# section: {}", section.name)?;
        let mut writer = csv::Writer::from_writer(&mut *out);
        writer.write_record(&section.columns)?;
        for row in &section.rows {
            writer.write_record(row.iter().map(Cell::display))?;
        }
        writer.into_inner().map_err(|error| error.into_error())?;
        writeln!(out)?;
    }
    for note in &report.notes {
        writeln!(out, "# note: {note}")?;
    }
    Ok(())
}

const COLUMN_WIDTH_MAX: usize = 36;

fn write_table(out: &mut impl Write, report: &Report) -> anyhow::Result<()> {
    writeln!(out, "{}", report.title)?;
    for line in provenance_lines(report) {
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
