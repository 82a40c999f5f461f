//! What a projection is, and the in-memory runner.
//!
//! A projection is a fold written once as two pure functions over a [`Fact`]: `touches` names
//! the rows it needs (given the rows already at hand, so a handler can follow a reference from
//! one row to another), and `apply` changes them. The in-memory [`Replay`] holds every row; the
//! SQL runner in the shell loads the rows a batch touches, applies the same functions and writes
//! the changed rows back with its checkpoint. Because both run the same code over the same
//! facts in the same order, their tables agree at every position (a parity test checks it).

use chrono::NaiveDate;
use events::state::Fact;
use events::{RecordedEvent, Timestamp};

use crate::report::Options;
use crate::scope::{Keeps, Scope, Within};
use crate::table::{RowRef, TableDef, Tables};

/// Settings a projection folds with; a change of settings needs a rebuild like a new version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// The deployment's offset from UTC in hours: dates without a stated day are taken there.
    pub utc_offset_hours: i64,
}

impl Default for Config {
    /// WITA (UTC+8), where SoE is.
    fn default() -> Config {
        Config { utc_offset_hours: 8 }
    }
}

impl Config {
    /// The local calendar date of an instant.
    pub fn local_date(&self, at: Timestamp) -> NaiveDate {
        self.local(at).date()
    }

    /// An instant in local time, to the second: `YYYY-MM-DD HH:MM:SS`.
    pub fn local_time_text(&self, at: Timestamp) -> String {
        self.local(at).to_datetime().format("%Y-%m-%d %H:%M:%S").to_string()
    }

    fn local(&self, at: Timestamp) -> Timestamp {
        at.checked_add_micros(self.utc_offset_hours * 3_600_000_000).unwrap_or(at)
    }
}

/// A projection: a name, a version, its tables and its fold.
#[derive(Clone, Copy)]
pub struct ProjectionDef {
    pub name: &'static str,
    /// Bump when the fold changes meaning; the shell then rebuilds from position 1.
    pub version: u32,
    pub tables: fn() -> Vec<TableDef>,
    pub touches: fn(&Fact, &Tables, &mut Vec<RowRef>),
    pub apply: fn(&Fact, &mut Tables, &Config),
    /// Which rows of the tables declared under no parent belong to a scope, for a projection
    /// whose views can be narrowed to one (`crate::scope`); `None`: every question reads the
    /// whole read model.
    pub keeps: Option<Keeps>,
}

impl ProjectionDef {
    /// The part of this projection a report with these options draws on.
    pub fn scope(&self, options: &Options) -> Scope {
        if self.keeps.is_some() { Scope::of(options) } else { Scope::WHOLE }
    }

    /// The narrowing of tables to `scope`; `None` for the whole.
    pub fn within(&self, scope: &Scope) -> Option<Within> {
        let keeps = self.keeps?;
        (!scope.is_whole()).then(|| Within::new(scope.clone(), keeps, &(self.tables)()))
    }
}

impl std::fmt::Debug for ProjectionDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} v{}", self.name, self.version)
    }
}

/// Every projection, in the order they are run.
pub fn all() -> [ProjectionDef; 3] {
    [crate::programme::DEF, crate::people::DEF, crate::monthly::DEF]
}

/// A projection by name.
pub fn named(name: &str) -> Option<ProjectionDef> {
    all().into_iter().find(|projection| projection.name == name)
}

/// The most rounds of `touches` one fact may take to name all its rows.
pub const TOUCH_ROUNDS_MAX: usize = 4;

/// A projection folded in memory, with the position and hash of the last event applied.
#[derive(Debug, Clone)]
pub struct Replay {
    pub projection: ProjectionDef,
    pub config: Config,
    pub tables: Tables,
    pub position: i64,
    pub hash: String,
    /// Events that could not be decoded, by position: skipped, never a panic.
    pub undecodable: Vec<(i64, String)>,
}

impl Replay {
    pub fn new(projection: ProjectionDef, config: Config) -> Replay {
        Replay {
            projection,
            config,
            tables: Tables::folded(),
            position: 0,
            hash: events::chain::GENESIS_HASH.to_owned(),
            undecodable: Vec::new(),
        }
    }

    /// A replay that keeps only the rows within `scope`.
    pub fn within(projection: ProjectionDef, config: Config, scope: &Scope) -> Replay {
        let mut replay = Replay::new(projection, config);
        if let Some(within) = projection.within(scope) {
            replay.tables = replay.tables.within(within);
        }
        replay
    }

    /// Applies the next event of the log.
    pub fn apply(&mut self, event: &RecordedEvent) {
        assert_eq!(
            event.position,
            self.position + 1,
            "events are applied in position order, without gaps"
        );
        match Fact::from_recorded(event) {
            Ok(fact) => (self.projection.apply)(&fact, &mut self.tables, &self.config),
            Err(error) => self.undecodable.push((event.position, error.to_string())),
        }
        self.position = event.position;
        self.hash.clone_from(&event.hash);
    }

    /// Applies a fact that is already decoded, as the next position.
    pub fn apply_fact(&mut self, fact: &Fact) {
        (self.projection.apply)(fact, &mut self.tables, &self.config);
        self.position += 1;
    }

    /// Folds `events` (from position 1) into a new replay.
    pub fn of<'e>(
        projection: ProjectionDef,
        config: Config,
        events: impl IntoIterator<Item = &'e RecordedEvent>,
    ) -> Replay {
        let mut replay = Replay::new(projection, config);
        for event in events {
            replay.apply(event);
        }
        replay
    }
}
