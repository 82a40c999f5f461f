//! The command loop: the one place where a command becomes events in the log.
//!
//! For each command: if its id is already in the log, answer with the first result (or refuse
//! a different command under the same id); otherwise load the streams it reads, ask the pure
//! `events::decide` for events, and append them to every stream touched, with each stream read
//! checked at the version it was read at — all in one transaction. If another writer changed
//! any of those streams meanwhile, the store reports a conflict and the loop tries again from
//! fresh state, for at most [`CONTENTION_BOUND`]. That is what keeps cross-stream rules
//! (quota across participations, one open participation per person and package, one open
//! grant per participation) true under concurrency.
//!
//! Batches (`--atomic`, imports, the demo) decide every command against the state left by the
//! ones before it, then append them all in one transaction or none.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use events::command::{CommandEnvelope, CommandError};
use events::decide::{self, Context, Decision, World};
use events::rejection::Rejection;
use events::state::{Fact, StreamKind, StreamState};
use events::vocabulary::{Role, TimeZone};
use events::{
    AppendRequest, ExpectedVersion, InputError, Metadata, NewEvent, Source, StreamAppend,
    Timestamp, limits,
};
use serde::Serialize;
use uuid::Uuid;

use crate::clock::Clock;
use crate::store::{AppendError, AppendOutcome, Store, StoreError};

/// How long a command keeps deciding again after conflicts before it gives up and asks to be
/// sent again later (`CommandFailure::Contention`: 503 with `Retry-After` in the API). Commands
/// of one process on one stream queue behind each other; only writers of other processes make
/// a command decide again, each at most once before it queues too, so the bound is met only
/// under a load well past what one package's streams take (docs/operations.md).
pub const CONTENTION_BOUND: std::time::Duration = std::time::Duration::from_secs(10);
/// The longest pause between two attempts of a command that keeps meeting another process.
const BACKOFF_MAX_MICROS: u64 = 50_000;
/// The pause before attempt `attempt` of a command that met another process's append:
/// doubling from half a millisecond to [`BACKOFF_MAX_MICROS`], with up to a millisecond of
/// jitter so that processes that met do not meet again.
fn backoff(attempt: usize) -> std::time::Duration {
    let doubled = 500_u64 << attempt.min(7);
    let micros = doubled.min(BACKOFF_MAX_MICROS) + rand::random_range(0..1_000);
    std::time::Duration::from_micros(micros)
}

/// Hot-stream locks one command may hold at once.
const HELD_LOCKS_MAX: usize = 4;
/// How many rounds of "load what the command names" a command may take.
const LOAD_ROUNDS_MAX: usize = 4;

/// Who issues commands, as the log will record them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    pub actor: String,
    pub role: Role,
    pub organisation: String,
    pub source: Source,
    /// Groups the events of one request; the command id when absent.
    pub correlation_id: Option<Uuid>,
    pub causation_id: Option<Uuid>,
}

/// A command that was carried out (now or the first time it was sent).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Executed {
    pub command_id: Uuid,
    pub first_position: i64,
    pub last_position: i64,
    pub reply: serde_json::Value,
    /// True when the command was already in the log and nothing new was written.
    pub duplicate: bool,
}

impl Executed {
    fn from_outcome(outcome: AppendOutcome) -> Executed {
        Executed {
            command_id: outcome.command_id,
            first_position: outcome.first_position,
            last_position: outcome.last_position,
            reply: outcome.reply.unwrap_or(serde_json::Value::Null),
            duplicate: outcome.duplicate,
        }
    }
}

/// Why a command wrote nothing.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CommandFailure {
    #[error("invalid command: {0}")]
    Invalid(#[from] CommandError),
    #[error("invalid input: {0}")]
    InvalidInput(#[from] InputError),
    #[error("{0}")]
    Refused(#[from] Rejection),
    #[error("command id {0} was already used for a different command")]
    CommandReused(Uuid),
    #[error(
        "the streams kept changing under this command (too many writers on them at once); gave up \
         after {0} attempts: send it again in a moment"
    )]
    Contention(usize),
    #[error("a stored event cannot be read: {0}")]
    Undecodable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl crate::store::StoreFailure for CommandFailure {
    fn store_error(&self) -> Option<&StoreError> {
        match self {
            CommandFailure::Store(error) => Some(error),
            _ => None,
        }
    }
}

impl CommandFailure {
    /// A stable code: the rule for a refusal, the kind of error otherwise.
    pub fn code(&self) -> &'static str {
        match self {
            CommandFailure::Invalid(error) => error.code(),
            CommandFailure::InvalidInput(_) => "invalid_input",
            CommandFailure::Refused(rejection) => rejection.code(),
            CommandFailure::CommandReused(_) => "command_id_reused",
            CommandFailure::Contention(_) => "contention",
            CommandFailure::Undecodable(_) => "undecodable_event",
            CommandFailure::Store(_) => "store_error",
        }
    }

    /// Whether the failure is a passing condition, not a fault: too much contention, or the
    /// database busy or its connection lost for a moment. Nothing was written; the same
    /// command may succeed when sent again.
    pub fn is_passing(&self) -> bool {
        match self {
            CommandFailure::Contention(_) => true,
            CommandFailure::Store(error) => error.is_busy() || error.is_connection_lost(),
            _ => false,
        }
    }

    /// Whether the failure is the caller's (bad or refused input) rather than the system's.
    pub fn is_callers(&self) -> bool {
        !matches!(
            self,
            CommandFailure::Store(_)
                | CommandFailure::Undecodable(_)
                | CommandFailure::Contention(_)
        )
    }
}

/// A failure in a batch: which command, and why. Nothing of the batch was written.
#[derive(Debug, Clone, thiserror::Error)]
#[error("command {index} (line {}) failed, so none was written: {failure}", index + 1)]
pub struct BatchFailure {
    pub index: usize,
    pub failure: CommandFailure,
}

impl From<AppendError> for CommandFailure {
    fn from(error: AppendError) -> CommandFailure {
        match error {
            AppendError::Invalid(error) => CommandFailure::InvalidInput(error),
            AppendError::CommandReused { command_id } => CommandFailure::CommandReused(command_id),
            AppendError::Store(error) => CommandFailure::Store(error),
            AppendError::BatchRefused { error, .. } => CommandFailure::from(*error),
            other => CommandFailure::Store(StoreError::Corrupt {
                position: 0,
                detail: other.to_string(),
            }),
        }
    }
}

/// Runs commands against a store.
#[derive(Clone)]
pub struct CommandLoop {
    store: Store,
    clock: Arc<dyn Clock>,
    zone: TimeZone,
    hot_streams: Arc<HotStreams>,
    cache: Arc<StreamCache>,
}

/// The streams single commands of this process decided on, each at the version it was folded
/// to, so that the next command on them decides without reading them again.
///
/// An entry may be stale: another process (or another command here) may have appended since.
/// That is safe because every stream a command read goes into its append as a condition at
/// the version read, so a decision taken on a stale state is refused by the store as a
/// conflict, and the command drops the entries it used and decides again from the log. A
/// refusal is never given on a cached state: the command decides again from the log first.
/// Batches and checks (imports, `--atomic`) read the log and leave the cache alone.
#[derive(Default)]
struct StreamCache {
    inner: std::sync::Mutex<CacheEntries>,
}

#[derive(Default)]
struct CacheEntries {
    streams: BTreeMap<String, Cached>,
    /// Counts uses, to tell which entries were used least recently.
    uses: u64,
}

struct Cached {
    version: i64,
    state: StreamState,
    last_used: u64,
}

/// Where a command's streams are read from.
#[derive(Clone, Copy)]
enum Reads<'c> {
    /// The log only: batches and checks.
    Log,
    /// The cache where it has the stream, else the log, keeping what the log gave.
    Cached(&'c StreamCache),
    /// The log, keeping what it gave in the cache in place of what was there.
    Refresh(&'c StreamCache),
}

/// Streams the cache keeps before it drops the half used least recently.
const STREAM_CACHE_MAX: usize = 10_000;

impl StreamCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, CacheEntries> {
        self.inner.lock().expect("the stream cache is never poisoned")
    }

    fn get(&self, stream_id: &str) -> Option<(i64, StreamState)> {
        let mut inner = self.lock();
        inner.uses += 1;
        let uses = inner.uses;
        let entry = inner.streams.get_mut(stream_id)?;
        entry.last_used = uses;
        Some((entry.version, entry.state.clone()))
    }

    /// Keeps `state` at `version` unless a later version is kept already. Any two states of
    /// one stream at one version are equal (the log's prefix does not change), so the later
    /// version is always the better one.
    fn put(&self, stream_id: &str, version: i64, state: &StreamState) {
        let mut inner = self.lock();
        if inner.streams.get(stream_id).is_some_and(|kept| kept.version >= version) {
            return;
        }
        if inner.streams.len() >= STREAM_CACHE_MAX {
            let mut uses: Vec<u64> = inner.streams.values().map(|entry| entry.last_used).collect();
            let (_, median, _) = uses.select_nth_unstable(STREAM_CACHE_MAX / 2);
            let median = *median;
            inner.streams.retain(|_, entry| entry.last_used > median);
        }
        inner.uses += 1;
        let cached = Cached { version, state: state.clone(), last_used: inner.uses };
        inner.streams.insert(stream_id.to_owned(), cached);
    }

    fn forget<'a>(&self, stream_ids: impl IntoIterator<Item = &'a String>) {
        let mut inner = self.lock();
        for stream_id in stream_ids {
            inner.streams.remove(stream_id);
        }
    }
}

/// Streams that commands in this process are fighting over. A command that met a conflict on a
/// stream takes that stream's lock before it decides again, so commands of this process that
/// race for one package queue up instead of failing each other in turn; only writers in other
/// processes can still make it decide again.
#[derive(Default)]
struct HotStreams {
    locks: std::sync::Mutex<BTreeMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl HotStreams {
    async fn lock(&self, stream_id: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.locks.lock().expect("the lock table is never poisoned");
            if locks.len() > HOT_STREAMS_MAX {
                locks.retain(|_, lock| Arc::strong_count(lock) > 1);
            }
            locks.entry(stream_id.to_owned()).or_default().clone()
        };
        lock.lock_owned().await
    }
}

/// Locks of hot streams kept before unused ones are dropped.
const HOT_STREAMS_MAX: usize = 4_096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    AllOrNothing,
    SkipRefused,
    CheckOnly,
}

/// Many batches from one writer, remembering the streams read (see [`CommandLoop::session`]).
pub struct Session {
    commands: CommandLoop,
    overlay: Overlay,
}

impl Session {
    /// Runs commands from several issuers in one transaction; refused ones are returned and
    /// the rest written. Command ids must be new: they are not looked up first.
    pub async fn run(
        &mut self,
        items: &[(CommandEnvelope, Issuer)],
    ) -> Result<(Vec<Executed>, Vec<BatchFailure>), BatchFailure> {
        let items: Vec<_> = items.iter().map(|(envelope, issuer)| (envelope, issuer)).collect();
        self.commands.execute_batch(&items, Mode::SkipRefused, &mut self.overlay, false).await
    }
}

/// Streams loaded for a batch, updated with the batch's own decisions as it goes.
#[derive(Default)]
struct Overlay {
    streams: BTreeMap<String, (i64, StreamState)>,
    /// The streams among them that came from the [`StreamCache`], not from the log.
    from_cache: Vec<String>,
}

impl CommandLoop {
    /// A loop whose business dates are the days of `zone` (the deployment's time zone).
    pub fn new(store: Store, clock: Arc<dyn Clock>, zone: TimeZone) -> CommandLoop {
        CommandLoop { store, clock, zone, hot_streams: Arc::default(), cache: Arc::default() }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Carries out one command.
    ///
    /// It decides on the streams as this process last saw them ([`StreamCache`]) and lets the
    /// append check them; the command's id is checked by the append too, so a command already
    /// in the log is answered with its first result without being looked up first. Only a
    /// refusal looks it up: a command carried out before may be refused now that its own
    /// events are in the log.
    pub async fn execute(
        &self,
        envelope: &CommandEnvelope,
        issuer: &Issuer,
    ) -> Result<Executed, CommandFailure> {
        decide::authorise(&envelope.command, issuer.role)?;
        let digest = envelope.digest();
        let mut held: Vec<(String, tokio::sync::OwnedMutexGuard<()>)> = Vec::new();
        let mut reads = Reads::Cached(&self.cache);
        let started = tokio::time::Instant::now();
        let mut attempt = 0;
        loop {
            if started.elapsed() > CONTENTION_BOUND {
                return Err(CommandFailure::Contention(attempt));
            }
            attempt += 1;
            let mut overlay = Overlay::default();
            let request = match self.decide(envelope, issuer, &digest, &mut overlay, reads).await {
                Ok(request) => request,
                Err(failure) if failure.is_callers() && !overlay.from_cache.is_empty() => {
                    // Decided on what this process saw last: decide again on the log.
                    reads = Reads::Refresh(&self.cache);
                    continue;
                }
                Err(failure) => {
                    if let Some(executed) =
                        self.retried(envelope, &digest, issuer, &failure).await?
                    {
                        return Ok(executed);
                    }
                    return Err(failure);
                }
            };
            match self.store.append(request).await {
                Ok(outcome) => {
                    self.remember(&overlay, &outcome);
                    return Ok(Executed::from_outcome(outcome));
                }
                Err(AppendError::Conflict { stream_id, .. }) => {
                    // What it read has moved on; the next attempt reads it again.
                    self.cache.forget(overlay.streams.keys());
                    tracing::debug!(command_id = %envelope.command_id, %stream_id, attempt, "conflict; deciding again");
                    if held.iter().any(|(id, _)| *id == stream_id) {
                        // Another process wrote it: give it a moment before trying again.
                        tokio::time::sleep(backoff(attempt)).await;
                    } else if held.len() < HELD_LOCKS_MAX {
                        // Locks are taken in the order conflicts arrive; to rule out two commands
                        // waiting for each other, a command holding locks only ever waits briefly.
                        let guard = if held.is_empty() {
                            Some(self.hot_streams.lock(&stream_id).await)
                        } else {
                            tokio::time::timeout(
                                std::time::Duration::from_millis(200),
                                self.hot_streams.lock(&stream_id),
                            )
                            .await
                            .ok()
                        };
                        if let Some(guard) = guard {
                            held.push((stream_id, guard));
                        }
                    }
                }
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// Carries out every command or none, in one transaction.
    pub async fn execute_atomic(
        &self,
        envelopes: &[CommandEnvelope],
        issuer: &Issuer,
    ) -> Result<Vec<Executed>, BatchFailure> {
        let items: Vec<_> = envelopes.iter().map(|envelope| (envelope, issuer)).collect();
        let (executed, failures) =
            self.execute_batch(&items, Mode::AllOrNothing, &mut Overlay::default(), true).await?;
        debug_assert!(failures.is_empty());
        Ok(executed)
    }

    /// Carries out the commands the rules accept, in one transaction, and returns the others
    /// with their failures.
    pub async fn execute_accepted(
        &self,
        envelopes: &[CommandEnvelope],
        issuer: &Issuer,
    ) -> Result<(Vec<Executed>, Vec<BatchFailure>), BatchFailure> {
        let items: Vec<_> = envelopes.iter().map(|envelope| (envelope, issuer)).collect();
        self.execute_batch(&items, Mode::SkipRefused, &mut Overlay::default(), true).await
    }

    /// Decides every command of a batch in order, writes nothing, and returns every command the
    /// rules would refuse (not only the first).
    pub async fn check_batch(
        &self,
        envelopes: &[CommandEnvelope],
        issuer: &Issuer,
    ) -> Result<Vec<BatchFailure>, BatchFailure> {
        let items: Vec<_> = envelopes.iter().map(|envelope| (envelope, issuer)).collect();
        let (_, failures) =
            self.execute_batch(&items, Mode::CheckOnly, &mut Overlay::default(), true).await?;
        Ok(failures)
    }

    /// A session for a single writer that runs many batches (the demo generator): it keeps the
    /// streams it has read between batches instead of reading them again.
    pub fn session(&self) -> Session {
        Session { commands: self.clone(), overlay: Overlay::default() }
    }

    async fn execute_batch(
        &self,
        items: &[(&CommandEnvelope, &Issuer)],
        mode: Mode,
        overlay: &mut Overlay,
        check_done: bool,
    ) -> Result<(Vec<Executed>, Vec<BatchFailure>), BatchFailure> {
        let skip_refused = mode != Mode::AllOrNothing;
        let fail = |index: usize| move |failure: CommandFailure| BatchFailure { index, failure };
        let started = tokio::time::Instant::now();
        let mut attempt = 0;
        loop {
            if started.elapsed() > CONTENTION_BOUND {
                *overlay = Overlay::default();
                return Err(BatchFailure {
                    index: 0,
                    failure: CommandFailure::Contention(attempt),
                });
            }
            attempt += 1;
            if attempt > 1 {
                // Another writer changed what this batch read: start again from the log.
                *overlay = Overlay::default();
            }
            let mut done: BTreeMap<usize, Executed> = BTreeMap::new();
            let mut failures = Vec::new();
            let mut requests = Vec::new();
            let mut request_index = Vec::new();
            for (index, (envelope, issuer)) in items.iter().enumerate() {
                let digest = envelope.digest();
                if check_done
                    && decide::authorise(&envelope.command, issuer.role).is_ok()
                    && let Some(executed) = self
                        .done_by(envelope.command_id, &digest, issuer)
                        .await
                        .map_err(fail(index))?
                {
                    done.insert(index, executed);
                    continue;
                }
                match self.decide(envelope, issuer, &digest, overlay, Reads::Log).await {
                    Ok(request) => {
                        requests.push(request);
                        request_index.push(index);
                    }
                    Err(failure) if skip_refused && failure.is_callers() => {
                        failures.push(BatchFailure { index, failure })
                    }
                    Err(failure) => {
                        *overlay = Overlay::default();
                        return Err(BatchFailure { index, failure });
                    }
                }
            }
            if mode == Mode::CheckOnly {
                *overlay = Overlay::default();
                return Ok((Vec::new(), failures));
            }
            match self.store.append_atomic(requests).await {
                Ok(outcomes) => {
                    for (index, outcome) in request_index.into_iter().zip(outcomes) {
                        done.insert(index, Executed::from_outcome(outcome));
                    }
                    return Ok((done.into_values().collect(), failures));
                }
                Err(AppendError::BatchRefused { error, .. })
                    if matches!(*error, AppendError::Conflict { .. }) =>
                {
                    tracing::debug!("a batch met a concurrent writer; deciding it again");
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Err(AppendError::BatchRefused { index, error }) => {
                    *overlay = Overlay::default();
                    return Err(BatchFailure {
                        index: request_index[index],
                        failure: CommandFailure::from(*error),
                    });
                }
                Err(error) => {
                    *overlay = Overlay::default();
                    return Err(BatchFailure { index: 0, failure: error.into() });
                }
            }
        }
    }

    /// Keeps the streams a command decided on, as its append left them, for the next command.
    fn remember(&self, overlay: &Overlay, outcome: &AppendOutcome) {
        if outcome.duplicate {
            // Carried out before: the log holds the first decision's events, not this one's.
            self.cache.forget(overlay.streams.keys());
            return;
        }
        for (stream_id, (version, state)) in &overlay.streams {
            let written = outcome.streams.iter().find(|written| written.stream_id == *stream_id);
            match written {
                Some(written) if written.last_version != *version => {
                    self.cache.forget([stream_id]);
                }
                _ => self.cache.put(stream_id, *version, state),
            }
        }
    }

    /// The first result of a command already in the log.
    async fn already_done(
        &self,
        command_id: Uuid,
        digest: &str,
    ) -> Result<Option<Executed>, CommandFailure> {
        match self.store.command_record(command_id).await? {
            None => Ok(None),
            Some((stored, outcome)) if stored == digest => {
                Ok(Some(Executed::from_outcome(outcome)))
            }
            Some(_) => Err(CommandFailure::CommandReused(command_id)),
        }
    }

    /// The first result of a command id already in the log, when `issuer` is who sent it (the
    /// same actor in the same role): a retry. Anyone else learns nothing from the id: the
    /// caller then answers with the refusal their own command met.
    async fn done_by(
        &self,
        command_id: Uuid,
        digest: &str,
        issuer: &Issuer,
    ) -> Result<Option<Executed>, CommandFailure> {
        let Some(executed) = self.already_done(command_id, digest).await? else {
            return Ok(None);
        };
        let first = self.store.read_all(executed.first_position.max(1), 1).await?;
        let sent_by_issuer = first.first().is_some_and(|event| {
            event.command_id == command_id
                && event.actor == issuer.actor
                && event.role == issuer.role.as_str()
        });
        Ok(sent_by_issuer.then_some(executed))
    }

    /// Whether a refused command is a retry of one already carried out (refused now only
    /// because of its own effects): never for a refusal of who may act, else as
    /// [`CommandLoop::done_by`] answers.
    async fn retried(
        &self,
        envelope: &CommandEnvelope,
        digest: &str,
        issuer: &Issuer,
        failure: &CommandFailure,
    ) -> Result<Option<Executed>, CommandFailure> {
        let unauthorised = matches!(
            failure,
            CommandFailure::Refused(
                Rejection::NotPermitted { .. } | Rejection::WrongOrganisation { .. }
            )
        );
        if unauthorised {
            return Ok(None);
        }
        self.done_by(envelope.command_id, digest, issuer).await
    }

    /// Loads what the command reads (as `reads` says), decides, records the decision in the
    /// overlay, and returns the append request with every stream read as a condition at the
    /// version it was read at.
    async fn decide(
        &self,
        envelope: &CommandEnvelope,
        issuer: &Issuer,
        digest: &str,
        overlay: &mut Overlay,
        reads: Reads<'_>,
    ) -> Result<AppendRequest, CommandFailure> {
        let now = self.clock.now();
        let (occurred_at, today) = self.business_time(envelope, now)?;
        let ctx = Context {
            command_id: envelope.command_id,
            actor: issuer.actor.clone(),
            role: issuer.role,
            organisation: issuer.organisation.clone(),
            source: issuer.source,
            now,
            today,
            reason: envelope.reason.clone(),
            document_ref: envelope.document_ref.clone(),
        };
        let world = self.world_for(&envelope.command, overlay, reads).await?;
        let decision = decide::decide(&envelope.command, &world, &ctx)?;
        let occurred_at = match (envelope.occurred_at, decision.business_day) {
            (None, Some(day)) => self.start_of_local_day(day).unwrap_or(occurred_at),
            _ => occurred_at,
        };
        let request = self.request(envelope, issuer, digest, &world, &decision, occurred_at);
        request.validate()?;
        for (stream_id, fact) in decision.facts(&ctx, occurred_at, now) {
            if let Some((version, state)) = overlay.streams.get_mut(&stream_id) {
                *version += 1;
                state.evolve(&fact);
            }
        }
        Ok(request)
    }

    /// The instant (UTC) a business day starts where the deployment is.
    fn start_of_local_day(&self, day: NaiveDate) -> Option<Timestamp> {
        let offset_micros = self.zone.utc_offset_hours() * 3_600_000_000;
        Timestamp::start_of_day(day)?.checked_add_micros(-offset_micros)
    }

    /// `occurred_at` and the business day of a command: as stated, else from its business
    /// date (the start of that day where the deployment is), else now.
    fn business_time(
        &self,
        envelope: &CommandEnvelope,
        now: Timestamp,
    ) -> Result<(Timestamp, NaiveDate), CommandFailure> {
        let offset_micros = self.zone.utc_offset_hours() * 3_600_000_000;
        let local_date = |at: Timestamp| at.checked_add_micros(offset_micros).map(Timestamp::date);
        let occurred_at = match (envelope.occurred_at, envelope.command.business_date()) {
            (Some(at), _) => at,
            (None, Some(date)) => Timestamp::start_of_day(date)
                .and_then(|midnight| midnight.checked_add_micros(-offset_micros))
                .ok_or(Rejection::DateOutOfRange {
                    field: "date",
                    date,
                    min: decide::DATE_MIN,
                    max: decide::DATE_MAX,
                })?,
            (None, None) => now,
        };
        let today_here = local_date(now).unwrap_or(now.date());
        if let Some(date) = envelope.command.business_date()
            && date > today_here
        {
            let detail = format!(
                "{date} is after today ({today_here}): facts are recorded once they happen"
            );
            return Err(Rejection::InvalidField { field: "date", detail }.into());
        }
        let today = envelope
            .command
            .business_date()
            .or_else(|| local_date(occurred_at))
            .unwrap_or(today_here);
        Ok((occurred_at, today))
    }

    /// The streams a command reads: loaded from the overlay, else as `reads` says, until it
    /// names no more.
    async fn world_for(
        &self,
        command: &events::command::Command,
        overlay: &mut Overlay,
        reads: Reads<'_>,
    ) -> Result<World, CommandFailure> {
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
                let Some(kind) = StreamKind::of(&stream_id) else { continue };
                if !overlay.streams.contains_key(&stream_id) {
                    let cached = match reads {
                        Reads::Cached(cache) => cache.get(&stream_id),
                        Reads::Log | Reads::Refresh(_) => None,
                    };
                    let loaded = match cached {
                        Some(cached) => {
                            overlay.from_cache.push(stream_id.clone());
                            cached
                        }
                        None => {
                            let (version, state) = self.load(&stream_id, kind).await?;
                            if let Reads::Cached(cache) | Reads::Refresh(cache) = reads {
                                cache.put(&stream_id, version, &state);
                            }
                            (version, state)
                        }
                    };
                    overlay.streams.insert(stream_id.clone(), loaded);
                }
                let (version, state) = overlay.streams[&stream_id].clone();
                world.insert(stream_id, version, state);
            }
        }
        Ok(world)
    }

    /// A stream's version and state, folded from the log.
    pub async fn load_state(&self, stream_id: &str) -> Result<(i64, StreamState), CommandFailure> {
        let kind = StreamKind::of(stream_id).ok_or_else(|| {
            CommandFailure::Refused(Rejection::NotFound {
                what: "stream",
                id: stream_id.to_owned(),
            })
        })?;
        self.load(stream_id, kind).await
    }

    /// Folds a stream from the log.
    async fn load(
        &self,
        stream_id: &str,
        kind: StreamKind,
    ) -> Result<(i64, StreamState), CommandFailure> {
        let mut state = StreamState::new(kind);
        let mut version = 0;
        loop {
            let page =
                self.store.read_stream(stream_id, version + 1, limits::PAGE_EVENTS_MAX).await?;
            let Some(last) = page.last() else { break };
            version = last.stream_version;
            for event in &page {
                let fact = Fact::from_recorded(event).map_err(|error| {
                    CommandFailure::Undecodable(format!("position {}: {error}", event.position))
                })?;
                state.evolve(&fact);
            }
            if page.len() < limits::PAGE_EVENTS_MAX {
                break;
            }
        }
        Ok((version, state))
    }

    fn request(
        &self,
        envelope: &CommandEnvelope,
        issuer: &Issuer,
        digest: &str,
        world: &World,
        decision: &Decision,
        occurred_at: Timestamp,
    ) -> AppendRequest {
        let mut streams: Vec<StreamAppend> = decision
            .grouped()
            .into_iter()
            .map(|(stream_id, events)| StreamAppend {
                expected: ExpectedVersion::Exact(world.version(&stream_id)),
                events: events
                    .iter()
                    .map(|event| NewEvent {
                        event_type: event.event_type().to_owned(),
                        schema_version: event.schema_version(),
                        occurred_at,
                        facility: decision.facility.clone(),
                        reason: envelope.reason.clone(),
                        document_ref: envelope.document_ref.clone(),
                        payload: event.to_payload(),
                    })
                    .collect(),
                stream_id,
            })
            .collect();
        for (stream_id, version) in world.versions() {
            if !streams.iter().any(|stream| stream.stream_id == stream_id) {
                let condition = StreamAppend {
                    stream_id: stream_id.to_owned(),
                    expected: ExpectedVersion::Exact(version),
                    events: Vec::new(),
                };
                streams.push(condition);
            }
        }
        let metadata = Metadata {
            actor: issuer.actor.clone(),
            role: issuer.role.as_str().to_owned(),
            organisation: issuer.organisation.clone(),
            source: issuer.source,
            correlation_id: issuer.correlation_id.unwrap_or(envelope.command_id),
            causation_id: issuer.causation_id,
        };
        AppendRequest {
            command_id: envelope.command_id,
            request_digest: digest.to_owned(),
            metadata,
            streams,
            reply: Some(decision.reply.clone()),
        }
    }
}
