//! Every bound on input, in one place.
//!
//! A value past one of these is refused with a typed error before anything is written. The
//! names put the unit and the qualifier last (`payload_bytes_max`), and the relations between
//! them are checked when the crate compiles.

/// Largest payload of one event, in bytes of its stored JSON text.
pub const PAYLOAD_BYTES_MAX: usize = 64 * 1024;
/// Deepest level of a value inside a payload: the top-level object is level 1, a value in it
/// level 2, and so on.
pub const PAYLOAD_DEPTH_MAX: usize = 16;
/// Most events one command may append, over all its streams.
pub const EVENTS_PER_APPEND_MAX: usize = 1_000;
/// Most streams one command may append to.
pub const STREAMS_PER_APPEND_MAX: usize = 512;
/// Longest stream id, in bytes.
pub const STREAM_ID_BYTES_MAX: usize = 128;
/// Longest event type name, in bytes.
pub const EVENT_TYPE_BYTES_MAX: usize = 64;
/// Longest actor, role, organisation or facility code, in bytes.
pub const NAME_BYTES_MAX: usize = 128;
/// Longest reason text, in bytes.
pub const REASON_BYTES_MAX: usize = 2_000;
/// Longest document reference (TPP minutes, BAST number), in bytes.
pub const DOCUMENT_REF_BYTES_MAX: usize = 256;
/// Most commands in one all-or-nothing append (an import file, a demo batch).
pub const COMMANDS_PER_ATOMIC_APPEND_MAX: usize = 200_000;
/// Most commands gathered into one transaction by group commit.
pub const COMMANDS_PER_GROUP_COMMIT_MAX: usize = 256;
/// Most events one read returns.
pub const PAGE_EVENTS_MAX: usize = 10_000;

const _: () = assert!(EVENTS_PER_APPEND_MAX <= PAGE_EVENTS_MAX);
const _: () = assert!(STREAMS_PER_APPEND_MAX <= EVENTS_PER_APPEND_MAX);
const _: () = assert!(STREAMS_PER_APPEND_MAX >= 256, "closing a package touches its whole roster");
const _: () = assert!(COMMANDS_PER_GROUP_COMMIT_MAX <= COMMANDS_PER_ATOMIC_APPEND_MAX);
const _: () = assert!(PAYLOAD_BYTES_MAX <= u32::MAX as usize);
