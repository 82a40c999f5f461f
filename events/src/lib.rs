//! The event vocabulary of jejak and the rules for writing it.
//!
//! - [`envelope`]: what every event carries, the shape of an append request, and its checks;
//! - [`chain`]: the canonical encoding of an event and the hash chain over the log;
//! - [`catalogue`]: the typed events of the programme;
//! - [`ids`]: ids derived from command ids; [`time`]: UTC microsecond timestamps;
//! - [`limits`]: every bound on input.
//!
//! Architecture invariant: this crate does no I/O, has no `async`, reads no clock and makes no
//! random ids. The shell passes `now` and ids in. Its dependencies are checked by a test.

pub mod catalogue;
pub mod chain;
pub mod envelope;
pub mod ids;
pub mod limits;
pub mod time;

pub use envelope::{
    AppendRequest, ExpectedVersion, InputError, Metadata, NewEvent, RecordedEvent, Source,
    StreamAppend,
};
pub use time::Timestamp;
