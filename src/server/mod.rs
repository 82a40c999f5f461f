//! `jejak serve`: the HTTP API (docs/api.md) over the log, the read models, the history and the
//! vault, for the dashboard and for other systems.
//!
//! - `api.rs`: the handlers under `/api/`, with their request and response types.
//! - `access.rs`: who may read what. Writes go through the rules, which check role and place.
//! - `error.rs`: every error as a status and a JSON body. `metrics.rs`: `/metrics`.
//! - `openapi.rs`: `/openapi.json`, generated from the handlers' annotations.
//! - `dashboard/`: the server-rendered pages people use (docs/dashboard.md).
//!
//! Every request gets an id (a valid `x-request-id` it came with, or a new UUID), which is in
//! every log line of the request, in the response's `x-request-id`, and the correlation id of
//! every event it writes.

pub mod access;
pub mod api;
pub mod dashboard;
pub mod error;
pub mod extracts;
pub mod metrics;
pub mod openapi;
pub mod proofs;

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use projections::projection::Config;
use tower_http::timeout::TimeoutLayer;
use uuid::Uuid;

use crate::clock::Clock;
use crate::commands::CommandLoop;
use crate::history::History;
use crate::projector::Projector;
use crate::store::Store;
use crate::users::User;
use crate::vault::Vault;

/// Largest request body: a command, a personal record.
pub const BODY_BYTES_MAX: usize = 256 * 1024;
/// Longest a request may take, the live feed excepted.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a token check may use the cached list of users before reading it again.
pub const USERS_CACHE_TTL: Duration = Duration::from_secs(5);

/// Everything a request handler needs.
#[derive(Clone)]
pub struct AppState {
    pub inner: Arc<Inner>,
}

pub struct Inner {
    pub store: Store,
    pub commands: CommandLoop,
    pub projector: Projector,
    pub history: History,
    /// Absent when the server has no master key: personal data is then unavailable.
    pub vault: Option<Vault>,
    pub config: Config,
    pub clock: Arc<dyn Clock>,
    pub metrics: metrics::Metrics,
    /// The key that turns SDP and applicant numbers into person refs, so forms can find a
    /// person by number; absent when the server was not given one.
    person_key: std::sync::OnceLock<[u8; events::person_ref::KEY_BYTES]>,
    /// The day the overview opens on when none is asked for (the demo's lively day); the
    /// present when unset.
    opening_day: std::sync::OnceLock<chrono::NaiveDate>,
    /// Where the server appends the checkpoints it signs, served at `/log/checkpoint`.
    checkpoints_file: std::sync::OnceLock<std::path::PathBuf>,
    /// The witnesses the server offers its checkpoints to, and what each has cosigned.
    witnesses: std::sync::OnceLock<Arc<crate::witness::client::Witnesses>>,
    /// The public key the server signs its checkpoints with, for receipts and `/log/keys`.
    log_key: std::sync::OnceLock<events::checkpoint::VerifyingKey>,
    users: RwLock<Option<(Instant, Users)>>,
    /// The published cuts of the people views, for readers of aggregates.
    pub published_cuts: crate::reports::PublishedCuts,
}

/// The active users with their token digests, as last read.
pub type Users = Arc<Vec<(User, String)>>;

impl AppState {
    pub fn new(
        store: Store,
        commands: CommandLoop,
        projector: Projector,
        history: History,
        vault: Option<Vault>,
        clock: Arc<dyn Clock>,
    ) -> AppState {
        let config = projector.config();
        AppState {
            inner: Arc::new(Inner {
                store,
                commands,
                projector,
                history,
                vault,
                config,
                clock,
                metrics: metrics::Metrics::default(),
                person_key: std::sync::OnceLock::new(),
                opening_day: std::sync::OnceLock::new(),
                checkpoints_file: std::sync::OnceLock::new(),
                witnesses: std::sync::OnceLock::new(),
                log_key: std::sync::OnceLock::new(),
                users: RwLock::new(None),
                published_cuts: crate::reports::PublishedCuts::default(),
            }),
        }
    }

    /// Gives the server the person key, so that forms find people by number; the first key
    /// given stays.
    pub fn set_person_key(&self, key: [u8; events::person_ref::KEY_BYTES]) {
        let _ = self.inner.person_key.set(key);
    }

    /// Serves the latest checkpoint in `file` at `/log/checkpoint`.
    pub fn serve_checkpoints_from(&self, file: std::path::PathBuf) {
        let _ = self.inner.checkpoints_file.set(file);
    }

    pub fn checkpoints_file(&self) -> Option<&std::path::Path> {
        self.inner.checkpoints_file.get().map(std::path::PathBuf::as_path)
    }

    /// Shows `witnesses` and their states on `/api/status` and `/metrics`.
    pub fn report_witnesses(&self, witnesses: Arc<crate::witness::client::Witnesses>) {
        let _ = self.inner.witnesses.set(witnesses);
    }

    /// The witnesses' names and keys; empty when the server has none.
    pub fn witness_keys(&self) -> Vec<(String, events::checkpoint::VerifyingKey)> {
        self.inner.witnesses.get().map(|w| w.keys()).unwrap_or_default()
    }

    /// Publishes the checkpoints' public key (on `/log/keys`, in receipts).
    pub fn set_log_key(&self, key: events::checkpoint::VerifyingKey) {
        let _ = self.inner.log_key.set(key);
    }

    pub fn log_key(&self) -> Option<&events::checkpoint::VerifyingKey> {
        self.inner.log_key.get()
    }

    /// What each witness has cosigned; empty when the server has none.
    pub fn witness_states(&self) -> Vec<crate::witness::client::WitnessState> {
        self.inner.witnesses.get().map(|w| w.states()).unwrap_or_default()
    }

    /// Makes the overview open on `day` when no day is asked for (`serve --demo`).
    pub fn open_overview_on(&self, day: chrono::NaiveDate) {
        let _ = self.inner.opening_day.set(day);
    }

    /// The day the overview opens on, if not the present.
    pub fn opening_day(&self) -> Option<chrono::NaiveDate> {
        self.inner.opening_day.get().copied()
    }

    /// The person key, if the server was given one.
    pub fn person_key(&self) -> Option<&[u8; events::person_ref::KEY_BYTES]> {
        self.inner.person_key.get()
    }

    /// The active users, read again when the cached list is older than [`USERS_CACHE_TTL`]
    /// or when `refresh` is set (a token that matched nobody: perhaps a new user).
    pub async fn users(&self, refresh: bool) -> Result<Users, crate::users::UserError> {
        // A refresh (an unknown token) reads the users again at most once a second, so a
        // stream of bad tokens cannot turn into a stream of queries.
        let fresh_enough = if refresh { Duration::from_secs(1) } else { USERS_CACHE_TTL };
        if let Some((at, users)) = self.inner.users.read().expect("never poisoned").as_ref()
            && at.elapsed() < fresh_enough
        {
            return Ok(users.clone());
        }
        let users = Arc::new(crate::users::active(&self.inner.store).await?);
        *self.inner.users.write().expect("never poisoned") = Some((Instant::now(), users.clone()));
        Ok(users)
    }

    /// Forgets the cached users, so a revocation applies at once in this process.
    pub fn forget_users(&self) {
        *self.inner.users.write().expect("never poisoned") = None;
    }
}

/// The request's id, put in the request's extensions by [`request_context`].
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Gives the request an id, logs it in a span, times it, and counts it.
async fn request_context(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| Uuid::parse_str(value).ok())
        .unwrap_or_else(Uuid::new_v4)
        .to_string();
    request.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", id = %id, method = %request.method(), path = %request.uri().path());
    let started = Instant::now();
    let mut response = tracing::Instrument::instrument(next.run(request), span.clone()).await;
    let took = started.elapsed();
    state.inner.metrics.request(response.status().as_u16(), took);
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            ms = took.as_millis() as u64,
            "answered"
        )
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// The router: the API, the public endpoints, and the middleware around them.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/api/me", get(api::me))
        .route("/api/status", get(api::status))
        .route("/api/commands/{command}", post(api::command))
        .route("/api/views", get(api::views))
        .route("/api/views/{view}", get(api::view))
        .route("/api/audit/{subject}/{id}", get(api::audit))
        .route("/api/compliance", get(api::compliance))
        .route("/api/events", get(api::events))
        .route("/api/people/lookup", get(api::person_lookup))
        .route(
            "/api/people/{person_ref}/personal-data",
            get(api::personal_data).put(api::put_personal_data),
        )
        .route("/api/people/{person_ref}/forget", post(api::forget))
        .route("/api/people/{person_ref}/access-export", get(api::subject_access))
        .route("/api/extracts/recidivism", get(extracts::recidivism))
        .route("/api/extracts/recidivism/dictionary", get(extracts::dictionary))
        .route("/api/proofs/inclusion", get(proofs::inclusion))
        .route("/api/proofs/consistency", get(proofs::consistency))
        .route("/log/checkpoint", get(proofs::checkpoint))
        .route("/log/keys", get(proofs::keys))
        .route("/log/consistency", get(proofs::public_consistency))
        .route("/log/tile/{level}/{*rest}", get(proofs::tile))
        .route("/healthz", get(api::healthz))
        .route("/metrics", get(api::metrics))
        .route("/openapi.json", get(openapi::document))
        .merge(dashboard::routes())
        // Offices on slow links: pages and reports go gzip-compressed to clients that accept it.
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT));
    // The live feed runs as long as the client listens: no request timeout.
    let live = Router::new().route("/api/events/live", get(api::live));
    api.merge(live)
        .fallback(api::not_found)
        .layer(axum::middleware::from_fn(error::retry_lost))
        .layer(DefaultBodyLimit::max(BODY_BYTES_MAX))
        .layer(axum::middleware::from_fn_with_state(state.clone(), request_context))
        .with_state(state)
}

/// Serves until `shutdown` resolves, then finishes the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await
}

/// The same over HTTPS (rustls), for a facility that serves its phones directly rather than
/// behind a reverse proxy (docs/operations.md).
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    tls: axum_server::tls_rustls::RustlsConfig,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let handle = axum_server::Handle::new();
    let stopping = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        stopping.graceful_shutdown(Some(SHUTDOWN_GRACE));
    });
    axum_server::from_tcp_rustls(listener.into_std()?, tls)?
        .handle(handle)
        .serve(router(state).layer(axum::middleware::map_request(over_tls)).into_make_service())
        .await
}

/// A request that reached the server over its own TLS says so as a reverse proxy would
/// (`X-Forwarded-Proto: https`, whatever the client sent), so that its cookies are `Secure`.
async fn over_tls(mut request: axum::extract::Request) -> axum::extract::Request {
    let https = axum::http::HeaderValue::from_static("https");
    request.headers_mut().remove(axum::http::header::FORWARDED);
    request.headers_mut().insert("x-forwarded-proto", https);
    request
}

/// How long requests in flight may take to finish once the server is asked to stop.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// How often the log follower catches the read models and the Merkle tree up with the log.
pub const FOLLOW_EVERY: Duration = Duration::from_secs(1);

/// Keeps the read models and the Merkle tree's tiles caught up with the log, so views answer
/// without waiting and `/metrics` shows the lag. Stops when `stop` fires.
pub async fn follow_log(state: AppState, stop: tokio::sync::watch::Receiver<bool>) {
    let mut ticker = Ticker::new(FOLLOW_EVERY, stop);
    while ticker.tick().await {
        if let Err(error) = state.inner.projector.catch_up_all().await {
            tracing::warn!(%error, "read models could not catch up; retrying");
        }
        if let Err(error) = crate::tree::extend(&state.inner.store).await {
            tracing::warn!(%error, "the Merkle tree's tiles could not be extended; retrying");
        }
    }
}

/// Takes the fold snapshots of current knowledge ahead of the as-of questions
/// ([`History::take_snapshots_ahead`]), looking every [`FOLLOW_EVERY`] whether the head has
/// moved a snapshot interval past them, so that no question folds that stretch itself. Beside
/// the log follower, not in it: at national scale a round folds a whole interval of the log
/// and must not hold the read models back. Stops when `stop` fires, dropping a round in
/// flight (each snapshot is one statement: it is stored whole or not at all).
pub async fn take_snapshots_ahead(state: AppState, stop: tokio::sync::watch::Receiver<bool>) {
    let mut ticker = Ticker::new(FOLLOW_EVERY, stop);
    while ticker.tick().await {
        let taken = tokio::select! {
            taken = state.inner.history.take_snapshots_ahead() => taken,
            _ = ticker.stop.changed() => return,
        };
        match taken {
            Ok(0) => {}
            Ok(taken) => tracing::info!(taken, "fold snapshots taken ahead of the questions"),
            Err(error) => {
                tracing::warn!(%error, "fold snapshots could not be taken ahead; retrying")
            }
        }
    }
}

/// The clock of the server's background work: a tick every interval (one missed while the
/// work ran is not made up) until the server is asked to stop.
struct Ticker {
    ticks: tokio::time::Interval,
    stop: tokio::sync::watch::Receiver<bool>,
}

impl Ticker {
    fn new(every: Duration, stop: tokio::sync::watch::Receiver<bool>) -> Ticker {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Ticker { ticks, stop }
    }

    /// Waits for the next tick: `true`, or `false` once the server is asked to stop.
    async fn tick(&mut self) -> bool {
        tokio::select! {
            _ = self.ticks.tick() => true,
            _ = self.stop.changed() => false,
        }
    }
}

/// What the server signs checkpoints with, how often, under which origin, and where they go.
pub struct Signer {
    pub key: events::checkpoint::SigningKey,
    pub out: std::path::PathBuf,
    pub every: Duration,
    /// The log's name; `checkpoints::default_origin` when none is given.
    pub origin: Option<String>,
}

/// Signs a checkpoint of the head every `signer.every`, appending it to `signer.out`.
pub async fn sign_checkpoints(
    state: AppState,
    signer: Signer,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    let Signer { key, out, every, origin } = signer;
    let mut ticker = Ticker::new(every, stop);
    // The first tick is at once: the first checkpoint comes one interval after the start.
    ticker.ticks.tick().await;
    while ticker.tick().await {
        let now = state.inner.clock.now();
        let store = &state.inner.store;
        let origin = match &origin {
            Some(origin) => Ok(origin.clone()),
            None => crate::checkpoints::default_origin(store).await,
        };
        let signed = match origin {
            Ok(origin) => crate::checkpoints::sign_head(store, &key, now, &origin).await,
            Err(error) => Err(error),
        };
        match signed {
            Ok(checkpoint) => match crate::checkpoints::append_to_file(&out, &checkpoint) {
                Ok(()) => tracing::info!("checkpoint signed"),
                Err(error) => {
                    tracing::error!(%error, path = %out.display(), "checkpoint not written")
                }
            },
            Err(error) => tracing::error!(%error, "checkpoint not signed"),
        }
    }
}

/// The text of a plain 404 for unknown paths, in the API's error shape.
pub fn not_found_response() -> Response {
    error::ApiError::NotFound("no such endpoint: see /openapi.json".to_owned()).into_response()
}

/// One demo user per role, with the organisation the demo story uses for it.
pub fn demo_users() -> Vec<(&'static str, events::vocabulary::Role, &'static str)> {
    use events::vocabulary::Role::*;
    vec![
        ("demo.petugas", PetugasPembinaan, "RUTAN-SOE"),
        ("demo.wali", Wali, "RUTAN-SOE"),
        ("demo.tpp", TppSekretaris, "RUTAN-SOE"),
        ("demo.karutan", Karutan, "RUTAN-SOE"),
        ("demo.disnaker", DisnakerAdmin, "DISNAKERTRANS-TTS"),
        ("demo.instruktur", Instruktur, "DISNAKERTRANS-TTS"),
        ("demo.asesor", Asesor, "LSP-TTS"),
        ("demo.ppk", Ppk, "DISNAKERTRANS-TTS"),
        ("demo.serah-terima", PetugasSerahTerima, "DISNAKERTRANS-TTS"),
        ("demo.pk-bapas", PkBapas, "BAPAS-KUPANG"),
        ("demo.auditor", Auditor, "INSPEKTORAT-NTT"),
        ("demo.analis", Analis, "KANWIL-NTT"),
        ("demo.evaluator", Evaluator, "BAPPEDA-NTT"),
        ("demo.dpo", Dpo, "KANWIL-NTT"),
        ("demo.system", System, "DITJENPAS"),
    ]
}

/// Resolves on Ctrl-C or SIGTERM: the server then stops taking requests and finishes those
/// in flight.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing the requests in flight");
}
