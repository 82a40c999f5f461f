//! The handlers under `/api/` and the public endpoints, with their request and response types
//! (the API's own, apart from the stored event types).

use std::collections::BTreeMap;
use std::convert::Infallible;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use events::command::CommandEnvelope;
use events::vocabulary::Role;
use events::{RecordedEvent, Source, Timestamp};
use projections::audit::SubjectKind;
use projections::report::{Cell, Options, Report};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::access::{self, Scope};
use super::error::{ApiError, ErrorBody};
use super::{AppState, RequestId};
use crate::commands::{CommandFailure, Issuer};
use crate::history::Moment;
use crate::users::User;
use crate::vault::{AccessEntry, Accessor, PersonalData, PersonalRecord, VaultError};

// ------------------------------------------------------------------------------------------
// The caller

/// The authenticated user of a request, and the request's id.
pub struct Caller {
    pub user: User,
    pub request_id: String,
    /// The bearer token the request came with, to check again on a long-lived answer.
    token: String,
}

impl Caller {
    pub fn accessor(&self) -> Accessor {
        Accessor {
            actor: self.user.name.clone(),
            role: self.user.role.as_str().to_owned(),
            organisation: self.user.organisation.clone(),
            request_id: Some(self.request_id.clone()),
        }
    }

    fn scope(&self) -> Scope {
        Scope::of(&self.user)
    }

    pub(crate) fn forbidden(&self, what: &str) -> ApiError {
        ApiError::Forbidden(format!("role {} may not {what}", self.user.role.as_str()))
    }
}

fn request_id(parts: &Parts) -> String {
    parts.extensions.get::<RequestId>().map(|id| id.0.clone()).unwrap_or_default()
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let request_id = request_id(parts);
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|token| token.starts_with(crate::users::TOKEN_PREFIX))
            .ok_or(ApiError::Unauthorized)?;
        for refresh in [false, true] {
            let users = state.users(refresh).await.map_err(|e| ApiError::failed(e, &request_id))?;
            if let Some(user) = crate::users::authenticate(&users, token) {
                return Ok(Caller { user: user.clone(), request_id, token: token.to_owned() });
            }
        }
        Err(ApiError::Unauthorized)
    }
}

pub fn query<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    query
        .map(|Query(value)| value)
        .map_err(|rejection| ApiError::bad_request("bad_query", rejection.body_text()))
}

/// A JSON body: 413 when it is over the limit, 400 when it is not what the endpoint takes.
fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(value)| value).map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge
        } else {
            ApiError::bad_request("bad_body", rejection.body_text())
        }
    })
}

fn path<T>(path: Result<Path<T>, PathRejection>) -> Result<T, ApiError> {
    path.map(|Path(value)| value)
        .map_err(|rejection| ApiError::bad_request("bad_path", rejection.body_text()))
}

// ------------------------------------------------------------------------------------------
// Public endpoints

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the log can be read.
    pub status: String,
    pub head_position: i64,
}

/// Liveness and readiness: the log can be read.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses(
    (status = 200, description = "The server reads its log", body = Health),
    (status = 503, description = "The log cannot be read", body = ErrorBody),
))]
pub async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    let head = state.inner.store.head().await.map_err(|error| {
        tracing::error!(%error, "health check: the log cannot be read");
        ApiError::Unavailable("the log cannot be read".to_owned())
    })?;
    Ok(Json(Health { status: "ok".to_owned(), head_position: head.position }))
}

/// Aggregate counters in the Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses(
    (status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain"),
))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    let projections = state.inner.projector.status().await.unwrap_or_default();
    let stalls = state.inner.store.stalls().await.unwrap_or_default();
    let mut text = state.inner.metrics.render(state.inner.store.metrics(), &projections, &stalls);
    text.push_str(&witness_metrics(&state.witness_states()));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

/// Each witness's cosigned size and failed attempts, in the Prometheus text format.
fn witness_metrics(witnesses: &[crate::witness::client::WitnessState]) -> String {
    if witnesses.is_empty() {
        return String::new();
    }
    let mut text = String::from(
        "# HELP jejak_witness_cosigned_size The largest checkpoint the witness has cosigned.\n\
         # TYPE jejak_witness_cosigned_size gauge\n",
    );
    for w in witnesses {
        let size = w.cosigned_size.unwrap_or(0);
        text.push_str(&format!("jejak_witness_cosigned_size{{witness=\"{}\"}} {size}\n", w.name));
    }
    text.push_str(
        "# HELP jejak_witness_failures_total Attempts to have a checkpoint cosigned that failed.\n\
         # TYPE jejak_witness_failures_total counter\n",
    );
    for w in witnesses {
        text.push_str(&format!(
            "jejak_witness_failures_total{{witness=\"{}\"}} {}\n",
            w.name, w.failures
        ));
    }
    text
}

pub async fn not_found() -> Response {
    super::not_found_response()
}

// ------------------------------------------------------------------------------------------
// Who am I, and how is the log

/// The caller's user.
#[utoipa::path(get, path = "/api/me", tag = "access", security(("bearer" = [])), responses(
    (status = 200, body = User), (status = 401, body = ErrorBody),
))]
pub async fn me(caller: Caller) -> Json<User> {
    Json(caller.user)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectionState {
    pub name: String,
    pub version: u32,
    pub position: i64,
    pub lag: i64,
    pub rebuilding_at: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LogStatus {
    pub head_position: i64,
    pub head_hash: String,
    pub head_recorded_at: Option<String>,
    pub projections: Vec<ProjectionState>,
    /// The witnesses the server offers its checkpoints to (docs/witness.md), and what each
    /// has cosigned.
    pub witnesses: Vec<crate::witness::client::WitnessState>,
}

/// The head of the log and each read model's lag.
#[utoipa::path(get, path = "/api/status", tag = "access", security(("bearer" = [])), responses(
    (status = 200, body = LogStatus), (status = 401, body = ErrorBody),
))]
pub async fn status(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<LogStatus>, ApiError> {
    let id = &caller.request_id;
    let head = state.inner.store.head().await.map_err(|e| ApiError::store(e, id))?;
    let statuses = state.inner.projector.status().await.map_err(|e| ApiError::failed(e, id))?;
    Ok(Json(LogStatus {
        head_position: head.position,
        head_hash: head.hash,
        head_recorded_at: head.recorded_at.map(|at| at.to_string()),
        projections: statuses
            .into_iter()
            .map(|s| ProjectionState {
                name: s.name,
                version: s.version,
                position: s.position,
                lag: s.lag,
                rebuilding_at: s.rebuilding_at,
            })
            .collect(),
        witnesses: state.witness_states(),
    }))
}

// ------------------------------------------------------------------------------------------
// Commands

#[derive(Debug, Serialize, ToSchema)]
pub struct CommandResult {
    pub command_id: Uuid,
    /// `ok`, or `duplicate` when the command id was already used for this very command: the
    /// first result, nothing written again.
    pub status: String,
    pub first_position: i64,
    pub last_position: i64,
    /// What the rules answered (ids made, a waiting-list position, …).
    pub reply: serde_json::Value,
}

/// Runs a command (docs/commands.md). The body is the command's JSON; its `type` may be left
/// out (the path names it). Every command carries its `command_id`: a retried request is
/// answered with the first result and writes nothing.
#[utoipa::path(post, path = "/api/commands/{command}", tag = "commands", security(("bearer" = [])),
    params(("command" = String, Path, description = "The command's type, e.g. `nominate_inmate`")),
    request_body(content = Object, description = "The command, as in docs/commands.md",
        example = json!({"command_id": "0b7c1e2a-5d3f-4e6a-8b9c-000000000009", "package_id": "3f1c2a5e-8d4b-4c1e-9a7f-2b6d8e0c1a01", "person_ref": "p2f6c1d9e8a7b6c5d4e3f2a1b0c9d8e7f"})),
    responses(
        (status = 200, description = "Carried out, now or before", body = CommandResult),
        (status = 400, description = "Malformed: not JSON, an unknown field, a missing one", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "The role or organisation may not", body = ErrorBody),
        (status = 404, description = "No such command, or what it names does not exist", body = ErrorBody),
        (status = 409, description = "Refused: the state does not allow it (quota full, wrong status, …)", body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 422, description = "Refused: a value the rules cannot accept", body = ErrorBody),
        (status = 503, description = "Too much contention; try again", body = ErrorBody),
    ))]
pub async fn command(
    State(state): State<AppState>,
    caller: Caller,
    name: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<CommandResult>, ApiError> {
    let name = path(name)?;
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge
        } else {
            ApiError::bad_request("bad_body", rejection.body_text())
        }
    })?;
    let mut value: serde_json::Value = serde_json::from_slice(&body).map_err(|error| {
        ApiError::bad_request("not_json", format!("the body is not JSON: {error}"))
    })?;
    let Some(object) = value.as_object_mut() else {
        return Err(ApiError::bad_request("not_an_object", "the body must be a JSON object"));
    };
    match object.get("type") {
        None => {
            object.insert("type".to_owned(), serde_json::Value::String(name.clone()));
        }
        Some(serde_json::Value::String(stated)) if *stated == name => {}
        Some(other) => {
            let message = format!("the body's type {other} is not the path's {name}");
            return Err(ApiError::bad_request("type_mismatch", message));
        }
    }
    let envelope = CommandEnvelope::from_value(value).map_err(|error| match error {
        events::command::CommandError::UnknownCommand { .. } => {
            ApiError::NotFound(error.to_string())
        }
        error => ApiError::bad_request("invalid_command", error.to_string()),
    })?;
    let issuer = issuer_of(&caller.user, Source::Api, &caller.request_id);
    let metrics = &state.inner.metrics;
    match state.inner.commands.execute(&envelope, &issuer).await {
        Ok(executed) => {
            let counter =
                if executed.duplicate { &metrics.commands_duplicate } else { &metrics.commands_ok };
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Ok(Json(CommandResult {
                command_id: executed.command_id,
                status: if executed.duplicate { "duplicate" } else { "ok" }.to_owned(),
                first_position: executed.first_position,
                last_position: executed.last_position,
                reply: executed.reply,
            }))
        }
        Err(failure) => {
            match &failure {
                CommandFailure::Contention(_) => {
                    metrics.command_contention.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                CommandFailure::Refused(rejection) => metrics.refused(rejection.code()),
                _ => {}
            }
            Err(ApiError::from_command(failure, &caller.request_id))
        }
    }
}

/// Who a request's commands are issued by, as the log records them: the user, in their
/// role, for their facility when they work in one (else their organisation), from `source`,
/// correlated with the request.
pub fn issuer_of(user: &User, source: Source, request_id: &str) -> Issuer {
    let organisation = match (&user.facility, crate::users::works_in_a_facility(user.role)) {
        (Some(facility), true) => facility.clone(),
        _ => user.organisation.clone(),
    };
    Issuer {
        actor: user.name.clone(),
        role: user.role,
        organisation,
        source,
        correlation_id: Uuid::parse_str(request_id).ok(),
        causation_id: None,
    }
}

// ------------------------------------------------------------------------------------------
// Views

#[derive(Debug, Serialize, ToSchema)]
pub struct ViewInfo {
    pub name: String,
    /// The read model it is computed from.
    pub projection: String,
    /// Whether the caller may read it.
    pub readable: bool,
}

/// The views, and which the caller may read.
#[utoipa::path(get, path = "/api/views", tag = "views", security(("bearer" = [])), responses(
    (status = 200, body = Vec<ViewInfo>), (status = 401, body = ErrorBody),
))]
pub async fn views(caller: Caller) -> Json<Vec<ViewInfo>> {
    let scope = caller.scope();
    Json(
        projections::views::all()
            .iter()
            .map(|view| ViewInfo {
                name: view.name.to_owned(),
                projection: view.projection.to_owned(),
                readable: access::may_read_view(&scope, view.name),
            })
            .collect(),
    )
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ViewQuery {
    /// The world on this business date, including facts recorded later.
    pub as_of: Option<NaiveDate>,
    /// What the log knew at this moment: RFC 3339, or a date (the end of that day).
    #[param(min_length = 10)]
    pub known_at: Option<String>,
    pub facility: Option<String>,
    pub skill: Option<String>,
    /// Recidivism data cut-off.
    pub cut_off: Option<NaiveDate>,
    /// Recidivism waiting period, months.
    #[param(minimum = 0, maximum = 60)]
    pub waiting_months: Option<u32>,
    /// Recidivism definition: 2 (the default) or 1, to reproduce a figure published with it.
    #[param(minimum = 1, maximum = 2)]
    pub definition: Option<u32>,
    /// Recidivism comparisons: the smallest group, followed in full, a difference is shown
    /// for (default 30).
    #[param(minimum = 5, maximum = 100000)]
    pub comparison_min: Option<u32>,
    /// The period, first day: packages running in it, months in it, releases in it.
    pub from: Option<NaiveDate>,
    /// The period, last day (included).
    pub to: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProvenanceBody {
    pub log_position: i64,
    pub chain_hash: String,
    pub projection: String,
    pub projection_version: u32,
    pub definition_version: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SectionBody {
    pub name: String,
    pub title: String,
    pub columns: Vec<String>,
    /// Cells: numbers, texts, dates as `YYYY-MM-DD`, booleans, null when empty,
    /// `"suppressed"` for a count from 1 to 4 withheld, and `"withheld"` for a count withheld
    /// so that a suppressed one cannot be worked out (docs/reports.md).
    #[schema(value_type = Vec<Vec<serde_json::Value>>)]
    pub rows: Vec<Vec<Cell>>,
}

/// A report: what it reflects, its tables and its notes (docs/reports.md).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportBody {
    pub view: String,
    pub title: String,
    pub provenance: ProvenanceBody,
    pub parameters: BTreeMap<String, String>,
    pub sections: Vec<SectionBody>,
    pub notes: Vec<String>,
    /// When it was computed: the only field that is not a function of the log.
    pub generated_at: String,
}

impl ReportBody {
    fn new(report: Report, now: Timestamp) -> ReportBody {
        ReportBody {
            view: report.view,
            title: report.title,
            provenance: ProvenanceBody {
                log_position: report.provenance.log_position,
                chain_hash: report.provenance.chain_hash,
                projection: report.provenance.projection,
                projection_version: report.provenance.projection_version,
                definition_version: report.provenance.definition_version,
            },
            parameters: report.parameters,
            sections: report
                .sections
                .into_iter()
                .map(|section| SectionBody {
                    name: section.name,
                    title: section.title,
                    columns: section.columns,
                    // Serialised as they are written out: a whole-country section has a row
                    // per participant, and a copy as JSON values would double it.
                    rows: section.rows,
                })
                .collect(),
            notes: report.notes,
            generated_at: now.to_string(),
        }
    }
}

/// A view (docs/reports.md), now or at a past moment. Facility staff see their facility's;
/// the training office its own packages'; analysts aggregates only, small counts withheld.
#[utoipa::path(get, path = "/api/views/{view}", tag = "views", security(("bearer" = [])),
    params(("view" = String, Path, description = "enrolment, attendance, funnel, outcomes, grants, inbox, monthly, recidivism, recidivism_stock or post_release"), ViewQuery),
    responses(
        (status = 200, body = ReportBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
pub async fn view(
    State(state): State<AppState>,
    caller: Caller,
    name: Result<Path<String>, PathRejection>,
    params: Result<Query<ViewQuery>, QueryRejection>,
) -> Result<Json<ReportBody>, ApiError> {
    let name = path(name)?;
    let params = query(params)?;
    let known_at =
        params.known_at.map(|text| parse_moment(&text, &state.inner.config)).transpose()?;
    let wanted = ViewParams {
        as_of: params.as_of,
        known_at,
        facility: params.facility,
        skill: params.skill,
        cut_off: params.cut_off,
        waiting_months: params.waiting_months,
        definition: params.definition,
        comparison_min: params.comparison_min,
        from: params.from,
        to: params.to,
    };
    let report = scoped_report(&state, &caller.user, &caller.request_id, &name, wanted).await?;
    let inner = &state.inner;
    Ok(Json(ReportBody::new(report, inner.clock.now())))
}

/// What a view is asked for, before the caller's scope narrows it.
#[derive(Debug, Clone, Default)]
pub struct ViewParams {
    pub as_of: Option<NaiveDate>,
    pub known_at: Option<Timestamp>,
    pub facility: Option<String>,
    pub skill: Option<String>,
    pub cut_off: Option<NaiveDate>,
    pub waiting_months: Option<u32>,
    pub definition: Option<u32>,
    pub comparison_min: Option<u32>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// The smallest and largest minimum group size for recidivism comparisons.
pub const COMPARISON_MIN: std::ops::RangeInclusive<u32> = 5..=100_000;

/// The longest recidivism waiting period a view takes, in months.
pub const WAITING_MONTHS_MAX: u32 = 60;

impl ViewParams {
    /// Refuses a date outside the range the log and its reports cover, and a waiting period
    /// longer than [`WAITING_MONTHS_MAX`].
    pub fn check(&self) -> Result<(), ApiError> {
        if let Some(months) = self.waiting_months.filter(|months| *months > WAITING_MONTHS_MAX) {
            let message = format!("waiting_months is 0 to {WAITING_MONTHS_MAX}, not {months}");
            return Err(ApiError::bad_request("bad_query", message));
        }
        if let Some(min) = self.comparison_min.filter(|min| !COMPARISON_MIN.contains(min)) {
            let message = format!(
                "comparison_min is {} to {}, not {min}",
                COMPARISON_MIN.start(),
                COMPARISON_MIN.end()
            );
            return Err(ApiError::bad_request("bad_query", message));
        }
        let definitions = projections::views::RECIDIVISM_DEFINITIONS;
        if let Some(definition) = self.definition.filter(|d| !definitions.contains(d)) {
            let message = format!("definition is 1 or 2, not {definition}");
            return Err(ApiError::bad_request("bad_query", message));
        }
        let dates = [
            ("as_of", self.as_of),
            ("cut_off", self.cut_off),
            ("from", self.from),
            ("to", self.to),
            ("known_at", self.known_at.map(Timestamp::date)),
        ];
        for (name, date) in dates {
            if let Some(date) = date {
                supported_date(name, date)?;
            }
        }
        Ok(())
    }
}

/// `date` when it lies in the range the log and its reports cover (the range commands
/// accept, `events::decide::DATE_MIN` to `DATE_MAX`), else a 400 that names the range.
pub fn supported_date(name: &str, date: NaiveDate) -> Result<NaiveDate, ApiError> {
    use events::decide::{DATE_MAX, DATE_MIN};
    if (DATE_MIN..=DATE_MAX).contains(&date) {
        return Ok(date);
    }
    Err(ApiError::bad_request(
        "date_out_of_range",
        format!("{name} {date} is outside the supported range {DATE_MIN} to {DATE_MAX}"),
    ))
}

/// A view as `user` may see it: refused when their role may not read it, narrowed to their
/// facility or packages, small counts withheld for aggregate-only readers. The API and the
/// dashboard both answer with this.
pub async fn scoped_report(
    state: &AppState,
    user: &User,
    request_id: &str,
    name: &str,
    wanted: ViewParams,
) -> Result<Report, ApiError> {
    if projections::views::named(name).is_none() {
        return Err(ApiError::NotFound(format!("no view `{name}`")));
    }
    wanted.check()?;
    let scope = Scope::of(user);
    let forbidden =
        |what: &str| ApiError::Forbidden(format!("role {} may not {what}", user.role.as_str()));
    if !access::may_read_view(&scope, name) {
        return Err(forbidden(&format!("read the {name} view")));
    }
    if scope == Scope::Aggregates
        && let Err(why) = published_cut(name, &wanted)
    {
        return Err(ApiError::Forbidden(why));
    }
    let mut options = Options {
        facility: wanted.facility,
        skill: wanted.skill,
        cut_off: wanted.cut_off,
        waiting_months: wanted.waiting_months,
        definition: wanted.definition,
        comparison_min: wanted.comparison_min,
        provider: None,
        from: wanted.from,
        to: wanted.to,
        published: scope == Scope::Aggregates,
    };
    if let Scope::Facility(facility) = &scope
        && options.facility.as_ref().is_some_and(|asked| asked != facility)
    {
        return Err(forbidden("read another facility's figures"));
    }
    if !access::PEOPLE_VIEWS.contains(&name) || matches!(scope, Scope::Facility(_)) {
        narrow(&mut options, &scope);
    }
    let moment = Moment { as_of: wanted.as_of, known_at: wanted.known_at };
    let inner = &state.inner;
    let family = options.published && crate::reports::in_published_family(name);
    let report = if family && moment == Moment::default() {
        crate::reports::build_published(&inner.projector, &inner.published_cuts, name, &options)
            .await
    } else {
        crate::reports::build_at(&inner.projector, &inner.history, name, &options, moment).await
    };
    let report = report.map_err(|error| match error {
        crate::reports::ReportError::UnknownView { .. } => ApiError::NotFound(error.to_string()),
        crate::reports::ReportError::NotBySkill { .. } => {
            ApiError::bad_request("bad_query", error.to_string())
        }
        error => ApiError::failed(error, request_id),
    })?;
    Ok(if scope == Scope::Aggregates {
        projections::report::suppress_small_counts(report)
    } else {
        report
    })
}

/// Whether a question is a published cut (docs/reports.md, "Published cuts"), the only ones
/// roles that see aggregates may ask: the latest data (no `as_of`, `known_at`, `cut_off`,
/// waiting period or older definition) over all time, a calendar year or a calendar quarter,
/// for everything or a whole facility (the programme views show each skill as rows of their
/// own). Free periods and dates would let the difference of two answers give away what each
/// withholds. Why not, in both languages.
fn published_cut(name: &str, wanted: &ViewParams) -> Result<(), String> {
    if wanted.skill.is_some() && projections::views::PROGRAMME_FAMILY.contains(&name) {
        return Err(format!(
            "Untuk peran ini, setiap kejuruan tampil sebagai baris di dalam laporan {name}; hapus \
             `skill`. / For this role, each skill is a row of the {name} report; leave out \
             `skill`."
        ));
    }
    let fixed = [
        ("as_of", wanted.as_of.is_some()),
        ("known_at", wanted.known_at.is_some()),
        ("cut_off", wanted.cut_off.is_some()),
        ("waiting_months", wanted.waiting_months.is_some()),
        ("definition", wanted.definition.is_some()),
        ("comparison_min", wanted.comparison_min.is_some()),
    ];
    let period_ok = match (wanted.from, wanted.to) {
        (None, None) => true,
        (Some(from), Some(to)) => is_calendar_cut(from, to),
        _ => false,
    };
    match fixed.iter().find(|(_, given)| *given).map(|(name, _)| *name) {
        None if period_ok => Ok(()),
        found => Err(format!(
            "Peran ini hanya melihat potongan terbitan: data terbaru, seluruh waktu atau satu \
             tahun/triwulan kalender (from/to), satu fasilitas atau keahlian utuh{}. / This role \
             sees published cuts only: the latest data, over all time or one calendar year or \
             quarter (from/to), for a whole facility or skill{}.",
            found.map_or(String::new(), |name| format!("; hapus `{name}`")),
            found.map_or(String::new(), |name| format!("; leave out `{name}`")),
        )),
    }
}

/// Whether `from`..=`to` is exactly a calendar year or quarter.
fn is_calendar_cut(from: NaiveDate, to: NaiveDate) -> bool {
    use chrono::Datelike;
    let quarter_start = from.day() == 1 && (from.month() - 1).is_multiple_of(3);
    let end_of = |months: u32| {
        from.checked_add_months(chrono::Months::new(months)).and_then(|next| next.pred_opt())
    };
    quarter_start && (end_of(3) == Some(to) || (from.month() == 1 && end_of(12) == Some(to)))
}

/// Narrows `options` to what `scope` may read of the programme: its facility's, or its
/// office's packages.
pub fn narrow(options: &mut Options, scope: &Scope) {
    match scope {
        Scope::Facility(facility) => options.facility = Some(facility.clone()),
        Scope::Provider(provider) => options.provider = Some(provider.clone()),
        Scope::All | Scope::Aggregates => {}
    }
}

/// A moment as RFC 3339, or a date for the end of that day where the deployment is.
fn parse_moment(
    text: &str,
    config: &projections::projection::Config,
) -> Result<Timestamp, ApiError> {
    if let Ok(date) = text.parse::<NaiveDate>() {
        supported_date("known_at", date)?;
        return projections::history::end_of_day(config, date)
            .and_then(|end| end.checked_add_micros(-1))
            .ok_or_else(|| ApiError::bad_request("bad_moment", format!("{date} is out of range")));
    }
    if let Some(date) = text.get(..10).and_then(|day| day.parse::<NaiveDate>().ok()) {
        supported_date("known_at", date)?;
    }
    Timestamp::parse(text).map_err(|error| {
        ApiError::bad_request(
            "bad_moment",
            format!("known_at {text}: {error}; give RFC 3339 or a date"),
        )
    })
}

// ------------------------------------------------------------------------------------------
// Audit trails and compliance

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Only events that occurred on or before this business date.
    pub as_of: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReversedByBody {
    pub position: i64,
    pub actor: String,
    pub recorded_at: String,
    pub reason: Option<String>,
    pub requested_by: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrailEntry {
    pub position: i64,
    pub event_id: Uuid,
    pub stream_id: String,
    pub event_type: String,
    pub summary: String,
    pub occurred_at: String,
    pub recorded_at: String,
    pub actor: String,
    pub role: String,
    pub organisation: String,
    pub facility: Option<String>,
    pub source: String,
    pub reason: Option<String>,
    pub document_ref: Option<String>,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub reversed_by: Option<ReversedByBody>,
    /// For a reversal: the position of what it reverses, when in this trail.
    pub reverses_position: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrailBody {
    pub subject: String,
    pub id: String,
    pub as_of: Option<NaiveDate>,
    pub entries: Vec<TrailEntry>,
}

fn trail_entries(entries: Vec<projections::audit::Entry>) -> Vec<TrailEntry> {
    entries
        .into_iter()
        .map(|entry| TrailEntry {
            position: entry.position,
            event_id: entry.event_id,
            stream_id: entry.stream_id,
            event_type: entry.event_type,
            summary: entry.summary,
            occurred_at: entry.occurred_at,
            recorded_at: entry.recorded_at,
            actor: entry.actor,
            role: entry.role,
            organisation: entry.organisation,
            facility: entry.facility,
            source: entry.source,
            reason: entry.reason,
            document_ref: entry.document_ref,
            payload: entry.payload,
            reversed_by: entry.reversed_by.map(|r| ReversedByBody {
                position: r.position,
                actor: r.actor,
                recorded_at: r.recorded_at,
                reason: r.reason,
                requested_by: r.requested_by,
            }),
            reverses_position: entry.reverses.and_then(|r| r.position),
        })
        .collect()
}

/// Every event about a person, participation, package, grant or actor, with reversals beside
/// what they reverse (docs/history.md). Facility staff see what happened in their facility.
#[utoipa::path(get, path = "/api/audit/{subject}/{id}", tag = "history", security(("bearer" = [])),
    params(("subject" = String, Path, description = "person, participation, package, grant or actor"),
        ("id" = String, Path, pattern = r"^[A-Za-z0-9._-]{1,64}$", description = "A person ref, a UUID, or an actor's name"), AuditQuery),
    responses(
        (status = 200, body = TrailBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
pub async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    subject: Result<Path<(String, String)>, PathRejection>,
    params: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<TrailBody>, ApiError> {
    let (subject, id) = path(subject)?;
    let params = query(params)?;
    params.as_of.map(|date| supported_date("as_of", date)).transpose()?;
    let kind = match subject.as_str() {
        "person" => SubjectKind::Person,
        "participation" => SubjectKind::Participation,
        "package" => SubjectKind::Package,
        "grant" => SubjectKind::Grant,
        "actor" => SubjectKind::Actor,
        other => return Err(ApiError::NotFound(format!("no audit subject `{other}`"))),
    };
    let facility = match caller.scope() {
        Scope::All => None,
        Scope::Facility(facility) => Some(facility),
        Scope::Provider(_) | Scope::Aggregates => return Err(caller.forbidden("read audit trails")),
    };
    let (inner, as_of) = (&state.inner, params.as_of);
    let trail =
        crate::audit::trail(&inner.store, kind, &id, as_of, &inner.config, facility.as_deref())
            .await
            .map_err(|error| audit_error(error, &caller.request_id))?;
    Ok(Json(TrailBody {
        subject: trail.subject.as_str().to_owned(),
        id: trail.id,
        as_of: trail.as_of,
        entries: trail_entries(trail.entries),
    }))
}

/// An audit trail's failure as the API and the dashboard answer it.
pub fn audit_error(error: crate::audit::AuditError, request_id: &str) -> ApiError {
    use crate::audit::AuditError;
    match error {
        AuditError::BadId { .. } => ApiError::bad_request("bad_id", error.to_string()),
        AuditError::NotFound { .. } => ApiError::NotFound(error.to_string()),
        AuditError::Store(error) => ApiError::store(error, request_id),
    }
}

/// Days after which a recording is late, unless asked otherwise.
pub const LATE_AFTER_DAYS_DEFAULT: i64 = 7;
/// The most days a compliance review may allow before a recording is late: ten years.
pub const LATE_AFTER_DAYS_MAX: i64 = 3_650;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ComplianceQuery {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Days after which a recording is late (default 7).
    #[param(minimum = 0, maximum = 3650)]
    pub late_after_days: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FindingBody {
    pub rule: String,
    pub title: String,
    pub positions: Vec<i64>,
    pub stream_id: String,
    pub actor: String,
    pub source: String,
    pub occurred_at: String,
    pub recorded_at: String,
    pub recorded_on: NaiveDate,
    pub detail: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewBody {
    pub findings: Vec<FindingBody>,
    pub events_checked: u64,
    pub head_position: i64,
    pub head_hash: String,
    pub migration_events: u64,
}

/// Every breach of the rules found in the log (docs/compliance.md).
#[utoipa::path(get, path = "/api/compliance", tag = "history", security(("bearer" = [])),
    params(ComplianceQuery),
    responses((status = 200, body = ReviewBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn compliance(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<ComplianceQuery>, QueryRejection>,
) -> Result<Json<ReviewBody>, ApiError> {
    if !access::may_read_log(caller.user.role) {
        return Err(caller.forbidden("read the compliance review"));
    }
    let params = query(params)?;
    params.from.map(|date| supported_date("from", date)).transpose()?;
    params.to.map(|date| supported_date("to", date)).transpose()?;
    let late_after_days = params.late_after_days.unwrap_or(LATE_AFTER_DAYS_DEFAULT);
    if !(0..=LATE_AFTER_DAYS_MAX).contains(&late_after_days) {
        return Err(ApiError::bad_request(
            "bad_query",
            format!("late_after_days is 0 to {LATE_AFTER_DAYS_MAX}, not {late_after_days}"),
        ));
    }
    let settings =
        projections::compliance::Settings { config: state.inner.config, late_after_days };
    let review = crate::compliance::review(&state.inner.store, settings, params.from, params.to)
        .await
        .map_err(|error| ApiError::store(error, &caller.request_id))?;
    Ok(Json(ReviewBody {
        findings: review
            .findings
            .into_iter()
            .map(|f| FindingBody {
                rule: f.rule.code().to_owned(),
                title: f.title.to_owned(),
                positions: f.positions,
                stream_id: f.stream_id,
                actor: f.actor,
                source: f.source,
                occurred_at: f.occurred_at,
                recorded_at: f.recorded_at,
                recorded_on: f.recorded_on,
                detail: f.detail,
            })
            .collect(),
        events_checked: review.checked.events,
        head_position: review.checked.head_position,
        head_hash: review.checked.head_hash,
        migration_events: review.checked.migration_events,
    }))
}

// ------------------------------------------------------------------------------------------
// The log

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// The first position (default 1).
    pub from: Option<i64>,
    /// At most this many events (default 100, at most 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

/// One event, every envelope field, the payload as its stored text (docs/export-format.md).
#[derive(Debug, Serialize, ToSchema)]
pub struct EventBody {
    pub position: i64,
    pub event_id: Uuid,
    pub command_id: Uuid,
    pub stream_id: String,
    pub stream_version: i64,
    pub event_type: String,
    pub schema_version: i32,
    pub occurred_at: String,
    pub recorded_at: String,
    pub actor: String,
    pub role: String,
    pub organisation: String,
    pub facility: Option<String>,
    pub source: String,
    pub reason: Option<String>,
    pub document_ref: Option<String>,
    pub correlation_id: Uuid,
    pub causation_id: Option<Uuid>,
    pub payload: String,
    pub prev_hash: String,
    pub hash: String,
}

impl From<RecordedEvent> for EventBody {
    fn from(e: RecordedEvent) -> EventBody {
        EventBody {
            position: e.position,
            event_id: e.event_id,
            command_id: e.command_id,
            stream_id: e.stream_id,
            stream_version: e.stream_version,
            event_type: e.event_type,
            schema_version: e.schema_version,
            occurred_at: e.occurred_at.to_string(),
            recorded_at: e.recorded_at.to_string(),
            actor: e.actor,
            role: e.role,
            organisation: e.organisation,
            facility: e.facility,
            source: e.source.as_str().to_owned(),
            reason: e.reason,
            document_ref: e.document_ref,
            correlation_id: e.correlation_id,
            causation_id: e.causation_id,
            payload: e.payload,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventsPage {
    pub events: Vec<EventBody>,
    /// Where the next page starts.
    pub next_from: i64,
}

/// Events by position, a page at a time.
#[utoipa::path(get, path = "/api/events", tag = "log", security(("bearer" = [])), params(EventsQuery),
    responses((status = 200, body = EventsPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn events(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<EventsQuery>, QueryRejection>,
) -> Result<Json<EventsPage>, ApiError> {
    if !access::may_read_log(caller.user.role) {
        return Err(caller.forbidden("read the raw log"));
    }
    let params = query(params)?;
    let from = params.from.unwrap_or(1).max(1);
    let limit = params.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request("bad_query", "limit is 1 to 1000"));
    }
    let events = state
        .inner
        .store
        .read_all(from, limit)
        .await
        .map_err(|e| ApiError::store(e, &caller.request_id))?;
    let next_from = events.last().map_or(from, |event| event.position + 1);
    Ok(Json(EventsPage { events: events.into_iter().map(EventBody::from).collect(), next_from }))
}

/// One message of the live feed, as server-sent events carry it.
#[derive(Debug, Serialize, ToSchema)]
pub struct LiveMessage {
    /// Always `appended`.
    #[schema(pattern = "^appended$")]
    pub event: String,
    /// The event's position.
    #[schema(pattern = "^[1-9][0-9]*$")]
    pub id: String,
    /// The event as `/api/events` gives it (`EventBody`), as JSON text.
    pub data: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LiveQuery {
    /// The first position to send (default: the next one appended).
    pub from: Option<i64>,
}

/// New events as server-sent events, each `id` its position and `data` the event as in
/// `/api/events`, in position order, never skipping one.
#[utoipa::path(get, path = "/api/events/live", tag = "log", security(("bearer" = [])), params(LiveQuery),
    responses((status = 200, description = "A stream of `event: appended` messages, each one `LiveMessage`", content_type = "text/event-stream", body = LiveMessage),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn live(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<LiveQuery>, QueryRejection>,
) -> Result<Sse<impl futures::Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    if !access::may_read_log(caller.user.role) {
        return Err(caller.forbidden("read the raw log"));
    }
    let params = query(params)?;
    let from = match params.from {
        Some(from) => from.max(1),
        None => {
            state
                .inner
                .store
                .head()
                .await
                .map_err(|e| ApiError::store(e, &caller.request_id))?
                .position
                + 1
        }
    };
    let subscription = state
        .inner
        .store
        .subscribe(from)
        .await
        .map_err(|e| ApiError::store(e, &caller.request_id))?;
    let feed = LiveFeed { state: state.clone(), user: caller.user.clone(), token: caller.token };
    let stream = futures::stream::unfold(Some((subscription, feed)), |next| async move {
        let (mut subscription, feed) = next?;
        let batch = feed.next_batch(&mut subscription).await?;
        let messages: Vec<Result<SseEvent, Infallible>> = batch
            .into_iter()
            .map(|event| {
                let id = event.position.to_string();
                let data = serde_json::to_string(&EventBody::from(event)).expect("serialises");
                Ok(SseEvent::default().event("appended").id(id).data(data))
            })
            .collect();
        Some((futures::stream::iter(messages), Some((subscription, feed))))
    });
    Ok(Sse::new(futures::StreamExt::flatten(stream)).keep_alive(KeepAlive::default()))
}

/// A live feed's reader: the events go out only while the token that opened it is still
/// valid for the same user, checked at least every [`super::USERS_CACHE_TTL`] and before each
/// batch, so a revoked user's feed closes within two such periods.
struct LiveFeed {
    state: AppState,
    user: User,
    token: String,
}

impl LiveFeed {
    /// The next batch, or `None` when the feed must end (revoked, or the log unreadable).
    async fn next_batch(
        &self,
        subscription: &mut crate::store::Subscription,
    ) -> Option<Vec<RecordedEvent>> {
        loop {
            let waited =
                tokio::time::timeout(super::USERS_CACHE_TTL, subscription.next_batch(100)).await;
            if !self.still_valid().await {
                tracing::info!(user = %self.user.name, "live feed closed: the token is no longer valid");
                return None;
            }
            match waited {
                Ok(Ok(batch)) => return Some(batch),
                Ok(Err(error)) => {
                    tracing::warn!(%error, "live feed stopped");
                    return None;
                }
                Err(_) => continue,
            }
        }
    }

    async fn still_valid(&self) -> bool {
        match self.state.users(false).await {
            Ok(users) => crate::users::authenticate(&users, &self.token) == Some(&self.user),
            Err(error) => {
                tracing::warn!(%error, "live feed: the users cannot be read");
                false
            }
        }
    }
}

// ------------------------------------------------------------------------------------------
// Personal data

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PurposeQuery {
    /// Why the data is needed: recorded in the access log (default: a subject access request).
    #[param(min_length = 1)]
    pub purpose: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReadPurposeQuery {
    /// Why the data is needed: recorded in the access log.
    #[param(min_length = 1)]
    pub purpose: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LookupQuery {
    /// A NIK: 16 digits.
    #[param(pattern = r"^[0-9]{16}$")]
    pub nik: String,
    /// Why the lookup is needed: recorded in the access log.
    #[param(min_length = 1)]
    pub purpose: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutPersonalData {
    pub record: PersonalRecord,
    /// Why it is recorded: recorded in the access log.
    #[schema(min_length = 1)]
    pub purpose: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonRefBody {
    pub person_ref: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForgetRequest {
    /// The legal basis, recorded in the log and the access log.
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ForgetResult {
    pub person_ref: String,
    /// The position of the `PersonalDataErased` event.
    pub log_position: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectAccessBody {
    pub person_ref: String,
    pub personal_data: PersonalData,
    pub events: Vec<TrailEntry>,
    pub access_log: Vec<AccessEntry>,
}

fn vault(state: &AppState) -> Result<&crate::vault::Vault, ApiError> {
    state.inner.vault.as_ref().ok_or_else(|| {
        ApiError::Unavailable(
            "personal data is unavailable: the server was started without a master key".to_owned(),
        )
    })
}

fn vault_error(error: VaultError, request_id: &str) -> ApiError {
    match error {
        VaultError::BadPersonRef(_)
        | VaultError::PurposeRequired
        | VaultError::ReasonRequired
        | VaultError::InvalidRecord { .. } => ApiError::bad_request("invalid", error.to_string()),
        VaultError::Erased(_) | VaultError::NikTaken | VaultError::AlreadyErased { .. } => {
            ApiError::Refused {
                status: StatusCode::CONFLICT,
                code: "refused".to_owned(),
                message: error.to_string(),
            }
        }
        VaultError::Store(error) => ApiError::store(error, request_id),
        error => ApiError::failed(error, request_id),
    }
}

fn forget_error(error: crate::forget::ForgetError, request_id: &str) -> ApiError {
    use crate::forget::ForgetError;
    match error {
        ForgetError::Vault(error) => vault_error(error, request_id),
        ForgetError::Command(failure) => ApiError::from_command(failure, request_id),
        ForgetError::Unknown(_) => ApiError::NotFound(error.to_string()),
        ForgetError::AlreadyForgotten { .. } => ApiError::Refused {
            status: StatusCode::CONFLICT,
            code: "already_forgotten".to_owned(),
            message: error.to_string(),
        },
    }
}

/// Whether `user` may read `person_ref`'s personal data: a role that may read names, and,
/// for facility staff, a person held in their facility now. The API and every page that shows
/// a name ask this, so a page never shows a name the API would refuse.
pub async fn authorise_person(
    state: &AppState,
    user: &User,
    request_id: &str,
    person_ref: &str,
) -> Result<(), ApiError> {
    if !access::may_read_personal_data(user.role) {
        let role = user.role.as_str();
        return Err(ApiError::Forbidden(format!("role {role} may not read personal data")));
    }
    if !events::person_ref::is_person_ref(person_ref) {
        return Err(ApiError::bad_request(
            "invalid",
            format!("`{person_ref}` is not a person ref"),
        ));
    }
    let Scope::Facility(facility) = Scope::of(user) else { return Ok(()) };
    let stream = events::streams::person(person_ref);
    let (_, state) = state
        .inner
        .commands
        .load_state(&stream)
        .await
        .map_err(|error| ApiError::failed(error, request_id))?;
    match state {
        events::state::StreamState::Person(person)
            if person.facility.as_deref() == Some(facility.as_str()) =>
        {
            Ok(())
        }
        _ => Err(ApiError::Forbidden(format!("{person_ref} is not held in {facility}"))),
    }
}

/// A person's personal data, for a stated purpose; the read is recorded.
#[utoipa::path(get, path = "/api/people/{person_ref}/personal-data", tag = "personal data", security(("bearer" = [])),
    params(("person_ref" = String, Path, pattern = r"^p[0-9a-f]{32}$", description = "A person ref: `p` and 32 lower-case hex digits (`jejak person-ref`)"), ReadPurposeQuery),
    responses((status = 200, body = PersonalData), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn personal_data(
    State(state): State<AppState>,
    caller: Caller,
    person_ref: Result<Path<String>, PathRejection>,
    params: Result<Query<ReadPurposeQuery>, QueryRejection>,
) -> Result<Json<PersonalData>, ApiError> {
    let person_ref = path(person_ref)?;
    let params = query(params)?;
    authorise_person(&state, &caller.user, &caller.request_id, &person_ref).await?;
    let vault = vault(&state)?;
    let purpose = params.purpose;
    let data = vault
        .get(&person_ref, &caller.accessor(), &purpose, state.inner.clock.now())
        .await
        .map_err(|error| vault_error(error, &caller.request_id))?;
    Ok(Json(data))
}

/// Records or corrects a person's personal data.
#[utoipa::path(put, path = "/api/people/{person_ref}/personal-data", tag = "personal data", security(("bearer" = [])),
    params(("person_ref" = String, Path, pattern = r"^p[0-9a-f]{32}$", description = "A person ref: `p` and 32 lower-case hex digits (`jejak person-ref`)")), request_body = PutPersonalData,
    responses((status = 204, description = "Stored"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn put_personal_data(
    State(state): State<AppState>,
    caller: Caller,
    person_ref: Result<Path<String>, PathRejection>,
    body: Result<Json<PutPersonalData>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    if !access::may_write_personal_data(caller.user.role) {
        return Err(caller.forbidden("record personal data"));
    }
    let person_ref = path(person_ref)?;
    let body = json_body(body)?;
    let vault = vault(&state)?;
    authorise_person(&state, &caller.user, &caller.request_id, &person_ref).await?;
    vault
        .put(&person_ref, &body.record, &caller.accessor(), &body.purpose, state.inner.clock.now())
        .await
        .map_err(|error| vault_error(error, &caller.request_id))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Finds a person by NIK through the blind index; the lookup is recorded.
#[utoipa::path(get, path = "/api/people/lookup", tag = "personal data", security(("bearer" = [])),
    params(LookupQuery),
    responses((status = 200, body = PersonRefBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn person_lookup(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<LookupQuery>, QueryRejection>,
) -> Result<Json<PersonRefBody>, ApiError> {
    if !access::may_read_personal_data(caller.user.role) {
        return Err(caller.forbidden("look people up"));
    }
    let params = query(params)?;
    let vault = vault(&state)?;
    let purpose = params.purpose;
    let found = vault
        .find_by_nik(&params.nik, &caller.accessor(), &purpose, state.inner.clock.now())
        .await
        .map_err(|error| vault_error(error, &caller.request_id))?;
    let Some(person_ref) = found else {
        return Err(ApiError::NotFound("nobody with that NIK".to_owned()));
    };
    if authorise_person(&state, &caller.user, &caller.request_id, &person_ref).await.is_err() {
        return Err(ApiError::NotFound("nobody with that NIK".to_owned()));
    }
    Ok(Json(PersonRefBody { person_ref }))
}

/// Forgets a person (UU 27/2022): destroys their key and record, and records the erasure in
/// the log. Their events and every aggregate stay.
#[utoipa::path(post, path = "/api/people/{person_ref}/forget", tag = "personal data", security(("bearer" = [])),
    params(("person_ref" = String, Path, pattern = r"^p[0-9a-f]{32}$", description = "A person ref: `p` and 32 lower-case hex digits (`jejak person-ref`)")), request_body = ForgetRequest,
    responses((status = 200, body = ForgetResult), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "Neither the log nor the vault has ever held this person", body = ErrorBody),
        (status = 409, description = "Already forgotten: nothing changed", body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn forget(
    State(state): State<AppState>,
    caller: Caller,
    person_ref: Result<Path<String>, PathRejection>,
    body: Result<Json<ForgetRequest>, JsonRejection>,
) -> Result<Json<ForgetResult>, ApiError> {
    if caller.user.role != Role::Dpo {
        return Err(caller.forbidden("forget a person"));
    }
    let person_ref = path(person_ref)?;
    let body = json_body(body)?;
    let vault = vault(&state)?;
    let issuer = issuer_of(&caller.user, Source::Api, &caller.request_id);
    let log_position = crate::forget::forget(
        &state.inner.commands,
        vault,
        &person_ref,
        &body.reason,
        &issuer,
        &caller.accessor(),
        state.inner.clock.now(),
    )
    .await
    .map_err(|error| forget_error(error, &caller.request_id))?;
    Ok(Json(ForgetResult { person_ref, log_position }))
}

/// The subject-access export: everything held about a person, with the access log.
#[utoipa::path(get, path = "/api/people/{person_ref}/access-export", tag = "personal data", security(("bearer" = [])),
    params(("person_ref" = String, Path, pattern = r"^p[0-9a-f]{32}$", description = "A person ref: `p` and 32 lower-case hex digits (`jejak person-ref`)"), PurposeQuery),
    responses((status = 200, body = SubjectAccessBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn subject_access(
    State(state): State<AppState>,
    caller: Caller,
    person_ref: Result<Path<String>, PathRejection>,
    params: Result<Query<PurposeQuery>, QueryRejection>,
) -> Result<Json<SubjectAccessBody>, ApiError> {
    if caller.user.role != Role::Dpo {
        return Err(caller.forbidden("export a person's data"));
    }
    let person_ref = path(person_ref)?;
    let params = query(params)?;
    let vault = vault(&state)?;
    let purpose = params.purpose.unwrap_or_else(|| "subject access request".to_owned());
    let sar = crate::forget::subject_access(
        &state.inner.store,
        vault,
        &person_ref,
        &caller.accessor(),
        &purpose,
        state.inner.clock.now(),
        &state.inner.config,
    )
    .await
    .map_err(|error| forget_error(error, &caller.request_id))?;
    Ok(Json(SubjectAccessBody {
        person_ref: sar.person_ref,
        personal_data: sar.personal_data,
        events: trail_entries(sar.events),
        access_log: sar.access_log,
    }))
}
