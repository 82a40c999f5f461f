//! The clock, injected: the store asks it for `now` when it records events.
//!
//! Production runs on [`SystemClock`]; tests and the demo generator run on a [`SimulatedClock`]
//! that moves only when told, so a story that spans years can be written in seconds and still
//! have `recorded_at` follow it.

use std::sync::Mutex;

use events::Timestamp;

/// A source of the current instant.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// The machine's clock, in UTC.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_datetime(chrono::Utc::now()).expect("the system clock is within 1900-9999")
    }
}

/// A clock that stands still until it is set or advanced.
#[derive(Debug)]
pub struct SimulatedClock {
    now: Mutex<Timestamp>,
}

impl SimulatedClock {
    pub fn new(start: Timestamp) -> SimulatedClock {
        SimulatedClock { now: Mutex::new(start) }
    }

    pub fn set(&self, now: Timestamp) {
        *self.now.lock().expect("clock lock") = now;
    }

    /// Moves the clock forward by `micros` microseconds.
    pub fn advance_micros(&self, micros: i64) {
        let mut now = self.now.lock().expect("clock lock");
        *now = now.checked_add_micros(micros).expect("a simulated clock stays within 1900-9999");
    }
}

impl Clock for SimulatedClock {
    fn now(&self) -> Timestamp {
        *self.now.lock().expect("clock lock")
    }
}
