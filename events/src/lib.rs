//! The event vocabulary of jejak and the rules for writing it.
//!
//! - [`envelope`]: what every event carries, the shape of an append request, and its checks;
//! - [`chain`]: the canonical encoding of an event and the hash chain over the log;
//! - [`checkpoint`]: signed checkpoints of the chain head (Ed25519);
//! - [`catalogue`]: the typed events of the programme, their golden formats and upcasting;
//! - [`vocabulary`]: the closed word lists (roles, codes, reasons);
//! - [`command`]: commands as users send them; [`decide`]: the rules; [`state`]: `evolve`;
//! - [`attendance`]: the one attendance-rate definition; [`eligibility`]: the rule sets;
//! - [`person_ref`]: pseudonymous person references; [`streams`]: stream ids;
//! - [`ids`]: ids derived from command ids; [`time`]: UTC microsecond timestamps;
//! - [`limits`]: every bound on input.
//!
//! Architecture invariant: this crate does no I/O, has no `async`, reads no clock and makes no
//! random ids. The shell passes `now` and ids in. Its dependencies are checked by a test.

pub mod attendance;
pub mod catalogue;
pub mod chain;
pub mod checkpoint;
pub mod command;
pub mod decide;
pub mod eligibility;
pub mod envelope;
pub mod ids;
pub mod ledger;
pub mod limits;
pub mod merkle;
pub mod note;
pub mod person_ref;
pub mod rejection;
pub mod state;
pub mod streams;
pub mod time;
pub mod vocabulary;
pub mod witness;

pub use envelope::{
    AppendRequest, ExpectedVersion, InputError, Metadata, NewEvent, RecordedEvent, Source,
    StreamAppend, category_of,
};
pub use time::Timestamp;
