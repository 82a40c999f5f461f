//! An in-memory log that runs commands the way the shell does — read the streams a command
//! needs, decide, append to all of them — with no database. Tests, property tests and
//! simulations use it; the shell's command loop does the same against the store.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::command::CommandEnvelope;
use crate::decide::{self, Context, Decision, World};
use crate::envelope::Source;
use crate::rejection::Rejection;
use crate::state::{Fact, StreamKind, StreamState};
use crate::time::Timestamp;
use crate::vocabulary::Role;

/// Who runs a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    pub role: Role,
    pub organisation: String,
}

impl Actor {
    pub fn new(name: &str, role: Role, organisation: &str) -> Actor {
        Actor { name: name.to_owned(), role, organisation: organisation.to_owned() }
    }
}

/// Streams, their versions and their facts, in memory.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    facts: Vec<(String, Fact)>,
    streams: BTreeMap<String, (i64, StreamState)>,
}

/// How many rounds of "load what the command names" a command may take.
const LOAD_ROUNDS_MAX: usize = 4;

impl Ledger {
    /// The world a command reads: every stream it names, loaded until it names nothing new.
    pub fn world_for(&self, command: &crate::command::Command) -> World {
        let mut world = World::default();
        for _ in 0..LOAD_ROUNDS_MAX {
            let missing: Vec<String> = decide::streams_needed(command, &world)
                .into_iter()
                .filter(|id| !world.contains(id))
                .collect();
            if missing.is_empty() {
                break;
            }
            for stream_id in missing {
                let (version, state) =
                    match (self.streams.get(&stream_id), StreamKind::of(&stream_id)) {
                        (Some((version, state)), _) => (*version, state.clone()),
                        (None, Some(kind)) => (0, StreamState::new(kind)),
                        (None, None) => continue,
                    };
                world.insert(stream_id, version, state);
            }
        }
        world
    }

    /// Decides `envelope` as `actor` on `today` and, if the rules allow it, appends its events.
    pub fn execute(
        &mut self,
        envelope: &CommandEnvelope,
        actor: &Actor,
        now: Timestamp,
        today: NaiveDate,
    ) -> Result<Decision, Rejection> {
        let ctx = Context {
            command_id: envelope.command_id,
            actor: actor.name.clone(),
            role: actor.role,
            organisation: actor.organisation.clone(),
            source: Source::Cli,
            now,
            today,
            reason: envelope.reason.clone(),
            document_ref: envelope.document_ref.clone(),
        };
        let world = self.world_for(&envelope.command);
        let decision = decide::decide(&envelope.command, &world, &ctx)?;
        let occurred_at = envelope.occurred_at.unwrap_or(now);
        for (stream_id, fact) in decision.facts(&ctx, occurred_at, now) {
            self.apply(stream_id, fact);
        }
        Ok(decision)
    }

    /// Appends one fact to a stream, as the log would.
    pub fn apply(&mut self, stream_id: String, mut fact: Fact) {
        fact.meta.position = self.facts.len() as i64 + 1;
        let Some(kind) = StreamKind::of(&stream_id) else { return };
        let (version, state) =
            self.streams.entry(stream_id.clone()).or_insert_with(|| (0, StreamState::new(kind)));
        *version += 1;
        state.evolve(&fact);
        self.facts.push((stream_id, fact));
    }

    /// Every fact in the order it was appended.
    pub fn facts(&self) -> &[(String, Fact)] {
        &self.facts
    }

    pub fn state(&self, stream_id: &str) -> Option<&StreamState> {
        self.streams.get(stream_id).map(|(_, state)| state)
    }

    /// Rebuilds every stream's state from its facts alone.
    pub fn replayed(&self) -> Ledger {
        let mut ledger = Ledger::default();
        for (stream_id, fact) in &self.facts {
            ledger.apply(stream_id.clone(), fact.clone());
        }
        ledger
    }

    pub fn states(&self) -> impl Iterator<Item = (&str, &StreamState)> {
        self.streams.iter().map(|(id, (_, state))| (id.as_str(), state))
    }
}
