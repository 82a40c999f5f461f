//! The shell of jejak: the event store on SQLite and PostgreSQL, the command loop, imports,
//! the demo generator, verification, export and the command-line interface. The pure crates
//! `events` and `projections` hold the rules and the views.
//!
//! - `store`: the log itself — append (group commit), read, subscribe;
//! - `commands`: the one command loop (load, decide, append, retry); `exec`: JSON-lines input;
//! - `import`: attendance registers and SDP extracts; `keys`: the person-ref key;
//! - `demo`: the fictional dataset; `verify`, `export`: walks over the whole log;
//! - `clock`: the injected clock; `telemetry`: logging;
//! - `cli`: the `jejak` command line, which prints (beside `reports::print` and the bench's
//!   command) through `outln!` and `out!`.

/// `println!` that hands a failed write back to the caller (`?`, into `anyhow`) instead of
/// panicking: when the reader stops reading (`jejak status | head -1`), the command ends
/// quietly (`cli::run`).
macro_rules! outln {
    ($($arg:tt)*) => {
        std::io::Write::write_fmt(&mut std::io::stdout(), format_args!("{}\n", format_args!($($arg)*)))?
    };
}

/// Prints a text as it is, through the same checked write as [`outln!`]: a document printed
/// whole (an export, a receipt, the bench's table).
macro_rules! out {
    ($text:expr) => {
        std::io::Write::write_all(&mut std::io::stdout(), $text.as_bytes())?
    };
}

/// Prints a line to standard error. A closed standard error (`jejak … 2>&1 | head`) loses the
/// line instead of panicking as `eprintln!` does: there is nowhere left to say anything.
macro_rules! errln {
    ($($arg:tt)*) => {{
        let _ = std::io::Write::write_fmt(
            &mut std::io::stderr(),
            format_args!("{}\n", format_args!($($arg)*)),
        );
    }};
}

pub mod audit;
pub mod backup;
pub mod bench;
pub mod checkpoints;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod compliance;
pub mod copy;
pub mod demo;
pub mod evidence;
pub mod exec;
pub mod export;
pub mod extract;
pub mod forget;
pub mod history;
pub mod import;
pub mod keys;
pub mod projector;
pub mod receipts;
pub mod reports;
pub mod server;
pub mod store;
pub mod telemetry;
pub mod tree;
pub mod users;
pub mod vault;
pub mod verify;
pub mod witness;
