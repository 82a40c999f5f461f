//! `jejak report`: brings a view's read model up to the head, computes the view from it, and
//! prints it as a table, CSV or JSON (docs/reports.md; the printers are in `print`).

mod print;

pub use print::{Csv, Format, print_at};

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Utc;
use projections::projection::{Config, ProjectionDef};
use projections::report::{Cell, Collect, Head, Options, Report, Section, Sink};
use projections::table::Tables;
use projections::views::{self, Input, ViewDef};

use crate::history::{Folded, History, HistoryError, Moment};
use crate::projector::{Projector, ProjectorError};
use crate::store::StoreFailure;
use events::Timestamp;

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
    /// A broken pipe among them: `jejak report … | head` stopped reading.
    #[error("writing the report failed: {0}")]
    Output(#[source] std::io::Error),
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
            | ReportError::Computation(_)
            | ReportError::Output(_) => None,
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
    let mut report = Collect::default();
    write_at(projector, history, view, options, moment, &mut report).await?;
    Ok(report.into_report())
}

/// As [`build_at`], handing the report to `sink` as the view makes it: a view with a row per
/// participant hands each on as it goes, so a printer holds none of them.
pub async fn write_at(
    projector: &Projector,
    history: &History,
    view: &str,
    options: &Options,
    moment: Moment,
    sink: &mut dyn Sink,
) -> Result<(), ReportError> {
    let view = named(view, options)?;
    if moment == Moment::default() {
        return write_view(projector, view, options, sink).await;
    }
    let folded = fold(history, view, options, moment).await?;
    write_fold(view, &folded, options, history.config(), moment.known_at, sink);
    Ok(())
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
    let folded = fold(history, view, options, moment).await?;
    let mut report = Collect::default();
    write_fold(view, &folded, options, history.config(), moment.known_at, &mut report);
    Ok(report.into_report())
}

/// The fold of `view`'s projection at `moment`, narrowed to the scope `options` ask about.
async fn fold(
    history: &History,
    view: ViewDef,
    options: &Options,
    moment: Moment,
) -> Result<Folded, HistoryError> {
    let projection = projection_of(view);
    history.fold_at(projection, &projection.scope(options), moment).await
}

fn projection_of(view: ViewDef) -> ProjectionDef {
    projections::projection::named(view.projection).expect("views name known projections")
}

/// Computes a view from a fold of its projection at a past moment.
pub fn from_fold(view: ViewDef, folded: &Folded, options: &Options, config: Config) -> Report {
    let mut report = Collect::default();
    write_fold(view, folded, options, config, None, &mut report);
    report.into_report()
}

/// Hands `sink` a view computed from a fold of its projection at a past moment, its
/// parameters naming the day and, when given, the moment of knowledge (`known_at`).
pub fn write_fold(
    view: ViewDef,
    folded: &Folded,
    options: &Options,
    config: Config,
    known_at: Option<Timestamp>,
    sink: &mut dyn Sink,
) {
    let input = Input {
        tables: &folded.tables,
        projection: projection_of(view),
        config,
        position: folded.position,
        hash: &folded.hash,
        as_of: folded.as_of,
        options,
    };
    let mut parameters = vec![("as_of".to_owned(), folded.as_of.to_string())];
    parameters.extend(known_at.map(|at| ("known_at".to_owned(), at.to_string())));
    view.write_to(&input, &mut WithParameters { sink, parameters });
}

/// A sink that adds parameters to the head it passes on.
struct WithParameters<'a> {
    sink: &'a mut dyn Sink,
    parameters: Vec<(String, String)>,
}

impl Sink for WithParameters<'_> {
    fn head(&mut self, mut head: Head) {
        head.parameters.extend(self.parameters.drain(..));
        self.sink.head(head);
    }

    fn section(&mut self, section: Section) {
        self.sink.section(section);
    }

    fn row(&mut self, row: Vec<Cell>) {
        self.sink.row(row);
    }

    fn notes(&mut self, notes: Vec<String>) {
        self.sink.notes(notes);
    }
}

/// Computes `view` (a view of `views::all()`, or another computation over a read model, such
/// as the evaluator's extract) from its read model, after catching it up to the head.
pub async fn build_view(
    projector: &Projector,
    view: ViewDef,
    options: &Options,
) -> Result<Report, ReportError> {
    let mut report = Collect::default();
    write_view(projector, view, options, &mut report).await?;
    Ok(report.into_report())
}

/// As [`build_view`], handing the report to `sink` as the view makes it.
async fn write_view(
    projector: &Projector,
    view: ViewDef,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<(), ReportError> {
    let projection = projection_of(view);
    let (tables, position, hash) = current_only(projector, projection, options, view.reads).await?;
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
    view.write_to(&input, sink);
    Ok(())
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
    current_only(projector, projection, options, None).await
}

/// As [`current`], loading only the tables in `only` when given.
async fn current_only(
    projector: &Projector,
    projection: ProjectionDef,
    options: &Options,
    only: Option<&[&str]>,
) -> Result<(Tables, i64, String), ProjectorError> {
    // Another process may be catching the same read model up: then its work is ours too.
    let mut attempts = 0;
    loop {
        match projector.catch_up(projection, None, &mut |_| {}).await {
            Err(ProjectorError::Fenced { .. }) if attempts < 3 => attempts += 1,
            other => break other.map(drop)?,
        }
    }
    projector.load_only(projection, &projection.scope(options), only).await
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
