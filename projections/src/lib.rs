//! Read models of jejak: pure folds over the log, run in memory here and into SQL by the shell,
//! and the reports computed from them.
//!
//! - [`value`], [`table`]: typed rows with primary keys, declared with [`record!`];
//! - [`projection`]: what a projection is, and [`projection::Replay`], the in-memory runner;
//! - [`programme`], [`people`], [`monthly`]: the three projections;
//! - [`report`]: what a report is, suppression of small counts, Wilson intervals;
//! - [`audit`]: audit trails of a person, participation, package, grant or actor;
//! - [`compliance`]: breaches of the rules found in the log;
//! - [`history`]: what a fold as of a past business date admits;
//! - [`scope`]: the part of a read model a question is about (one facility, provider, skill);
//! - [`views`]: the eleven views (overview, enrolment, attendance, funnel, outcomes, grants, inbox,
//!   monthly, recidivism, recidivism_stock, post_release), each a function of one projection.
//!
//! Architecture invariant: this crate does no I/O, has no `async`, reads no clock, and knows
//! nothing about SQL. It depends on `events` only (and its value types).

pub mod audit;
pub mod compliance;
pub mod disclosure;
pub mod history;
pub mod monthly;
pub mod people;
pub mod programme;
pub mod projection;
pub mod report;
pub mod scope;
pub mod survival;
pub mod table;
pub mod value;
pub mod views;
