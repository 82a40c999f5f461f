//! The views people read, each computed from one projection's tables by a pure function.
//!
//! | view | projection | what it is |
//! |---|---|---|
//! | `enrolment` | programme | *daftar peserta*: each package's places and states, and each participant |
//! | `attendance` | programme | *rekap presensi*: each session, each participant's rate |
//! | `funnel` | programme | nominated → … → grant handed over, conversions, median days, rejection reasons |
//! | `outcomes` | programme | *hasil pelatihan*: starters, completers, results, exits, certificates |
//! | `grants` | programme | *register bantuan*: each grant and its signatures; totals |
//! | `inbox` | programme | change-of-circumstances tasks per facility |
//! | `monthly` | monthly | *laporan pembinaan kemandirian* per facility and month |
//! | `recidivism` | people | the release-cohort report of domain.md §(d) |
//! | `recidivism_stock` | people | *persentase residivis dalam populasi*, a stock measure, apart |
//! | `post_release` | people | follow-up contacts at 3, 6 and 12 months |

mod monthly;
mod people;
mod programme;
mod recidivism_time;
mod recidivism_v1;
mod recidivism_v2;

use chrono::NaiveDate;

use crate::projection::{Config, ProjectionDef};
use crate::report::{Collect, Options, Provenance, Report, Sink};
use crate::table::Tables;

/// What a view is computed from.
pub struct Input<'a> {
    pub tables: &'a Tables,
    pub projection: ProjectionDef,
    pub config: Config,
    pub position: i64,
    pub hash: &'a str,
    /// The day the figures are as of: sessions after it have not happened.
    pub as_of: NaiveDate,
    pub options: &'a Options,
}

impl Input<'_> {
    pub fn provenance(&self, definition_version: Option<&str>) -> Provenance {
        Provenance {
            log_position: self.position,
            chain_hash: self.hash.to_owned(),
            projection: self.projection.name.to_owned(),
            projection_version: self.projection.version,
            definition_version: definition_version.map(str::to_owned),
        }
    }

    /// Whether a facility passes the `--facility` filter.
    pub fn facility_matches(&self, facility: Option<&str>) -> bool {
        crate::scope::passes(self.options.facility.as_deref(), facility)
    }

    /// Whether a package's provider passes the provider filter.
    pub fn provider_matches(&self, provider: &str) -> bool {
        crate::scope::passes(self.options.provider.as_deref(), Some(provider))
    }

    pub fn skill_matches(&self, skill: &str) -> bool {
        crate::scope::passes(self.options.skill.as_deref(), Some(skill))
    }

    /// Whether something running from `start` to `end` (both included) falls in the period.
    pub fn period_overlaps(&self, start: NaiveDate, end: NaiveDate) -> bool {
        self.options.period_overlaps(start, end)
    }

    /// Whether a day falls in the period.
    pub fn period_contains(&self, day: NaiveDate) -> bool {
        self.period_overlaps(day, day)
    }
}

/// A view: its name, the projection it reads and how to compute it.
#[derive(Clone, Copy)]
pub struct ViewDef {
    pub name: &'static str,
    pub projection: &'static str,
    pub build: fn(&Input<'_>) -> Report,
    /// For a view with a row per participant, session or grant: how to hand its rows on as it
    /// makes them (`build` then collects what this hands on).
    pub write: Option<fn(&Input<'_>, &mut dyn Sink)>,
    /// The only tables of its projection the view reads, when it says (a live answer about a
    /// whole country then loads no others); every table otherwise.
    pub reads: Option<&'static [&'static str]>,
}

impl ViewDef {
    /// A view made whole, then handed on.
    const fn whole(name: &'static str, projection: &'static str, build: Build) -> ViewDef {
        ViewDef { name, projection, build, write: None, reads: None }
    }

    /// A programme view that can hand its rows on as it makes them, reading only `reads`.
    const fn by_rows(
        name: &'static str,
        build: Build,
        write: Write,
        reads: &'static [&'static str],
    ) -> ViewDef {
        ViewDef { name, projection: "programme", build, write: Some(write), reads: Some(reads) }
    }

    /// Hands the view's report to `sink`, a row at a time where the view can.
    pub fn write_to(&self, input: &Input<'_>, sink: &mut dyn Sink) {
        match self.write {
            Some(write) => write(input, sink),
            None => (self.build)(input).emit(sink),
        }
    }
}

type Build = fn(&Input<'_>) -> Report;
type Write = fn(&Input<'_>, &mut dyn Sink);

/// The report `write` hands on, kept whole.
fn collected(input: &Input<'_>, write: Write) -> Report {
    let mut collect = Collect::default();
    write(input, &mut collect);
    collect.into_report()
}

impl std::fmt::Debug for ViewDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

pub fn all() -> [ViewDef; 11] {
    use ViewDef as V;
    [
        V::whole("overview", "programme", programme::overview),
        V::by_rows(
            "enrolment",
            programme::enrolment,
            programme::write_enrolment,
            programme::PARTICIPANT_TABLES,
        ),
        V::by_rows(
            "attendance",
            programme::attendance,
            programme::write_attendance,
            programme::PARTICIPANT_TABLES,
        ),
        V::whole("funnel", "programme", programme::funnel),
        V::whole("outcomes", "programme", programme::outcomes),
        V::by_rows("grants", programme::grants, programme::write_grants, programme::GRANT_TABLES),
        V::whole("inbox", "programme", programme::inbox),
        V::whole("monthly", "monthly", monthly::monthly),
        V::whole("recidivism", "people", people::recidivism),
        V::whole("recidivism_stock", "people", people::stock),
        V::whole("post_release", "people", people::post_release),
    ]
}

pub fn named(name: &str) -> Option<ViewDef> {
    all().into_iter().find(|view| view.name == name)
}

/// Every published cut of the programme views a reader of aggregates opens (the overview, the
/// funnel and the outcomes), protected together; and those views.
pub use programme::{PUBLISHED_VIEWS as PROGRAMME_FAMILY, published_cuts as programme_cuts};
/// The recidivism definition a report is computed by unless asked for another.
pub use recidivism_v2::VERSION as RECIDIVISM_DEFINITION_VERSION;
/// Every published cut of the recidivism report and the post-release view, protected together.
pub use recidivism_v2::published_cuts;
/// The words a recidivism comparison prints instead of a figure it may not give.
pub use recidivism_v2::{
    INSUFFICIENT as COMPARISON_INSUFFICIENT, NOT_COMPUTABLE as STANDARDISED_NOT_COMPUTABLE,
};
/// The recidivism definitions that can be asked for (`--definition`).
pub const RECIDIVISM_DEFINITIONS: [u32; 2] = [1, 2];

/// The evaluator's person-level extract of the recidivism report (not a view: it names
/// people, by ref, and only the shell's evaluator path builds it, replacing every ref with a
/// pseudonym of the extract's own).
pub mod person_level {
    pub use super::recidivism_v2::extract::{VIEW, build, dictionary};
}
