//! The shell of jejak: the event store on SQLite and PostgreSQL, verification, export and the
//! command-line interface. The pure crates `events` and `projections` hold the rules and views.
//!
//! - `store`: the log itself — append (group commit), read, subscribe;
//! - `verify`, `export`: walks over the whole log;
//! - `clock`: the injected clock; `telemetry`: logging;
//! - `cli`: the `jejak` command line, the only module that prints.

pub mod cli;
pub mod clock;
pub mod demo;
pub mod export;
pub mod store;
pub mod telemetry;
pub mod verify;
