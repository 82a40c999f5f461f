//! Read models of jejak: pure folds over the log, run in memory here and into SQL by the shell.
//!
//! Architecture invariant: this crate does no I/O, has no `async`, reads no clock, and knows
//! nothing about SQL. It depends on `events` only.
