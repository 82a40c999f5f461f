//! The dashboard (docs/dashboard.md): server-rendered pages for facility staff, the training
//! office, auditors and leadership, in Bahasa Indonesia or English, with nothing fetched from
//! outside the server.
//!
//! A user signs in with their token; the server answers with an HttpOnly, SameSite=Strict
//! session cookie. Every page reads through the same scoping as the API
//! (`api::scoped_report`, `access`), so a page never shows what the user's role and facility
//! may not see.

pub mod actions;
pub mod catalogue;
pub mod extract;
pub mod form_labels;
pub mod forms;
pub mod i18n;
pub mod offline;
pub mod receipt;
pub mod refusals;
pub mod register;
pub mod render;
pub mod words;
pub mod work;

use axum::Router;
use axum::extract::{Form, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use projections::audit::SubjectKind;
use projections::report::{Cell, Report};
use serde::Deserialize;

use super::access::{self, Scope};
use super::api::{ViewParams, scoped_report};
use super::error::ApiError;
use super::{AppState, RequestId};
use crate::users::User;
use i18n::{Lang, t};

const SESSION_COOKIE: &str = "jejak_session";
const LANG_COOKIE: &str = "jejak_lang";

/// The dashboard's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/lang/{code}", get(language))
        .route("/overview", get(overview))
        .route("/enrolment", get(enrolment))
        .route("/recidivism", get(recidivism))
        .route("/recidivism/extract", post(extract::take_extract))
        .route("/recidivism/extract/dictionary", get(extract::dictionary))
        .route("/inbox", get(inbox))
        .route("/tugas", get(work::tugas))
        .route("/register/{session}", get(register::show).post(register::submit))
        .route("/register/{session}/send", post(register::send))
        .route("/offline.js", get(offline::script))
        .route("/sw.js", get(offline::worker))
        .route("/offline/who", get(offline::who))
        .route("/participant/{id}", get(actions::participant))
        .route("/act", get(actions::index))
        .route("/act/{command}", get(actions::show).post(actions::submit))
        .route("/act/{command}/done", get(actions::done))
        .route("/audit", get(audit))
        .route("/compliance", get(compliance))
        .route("/receipt/{event}", get(receipt::show))
        .route("/{page}", get(report_page))
}

fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

fn language_of(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE).and_then(Lang::from_code).unwrap_or(Lang::Id)
}

/// The signed-in user of a page request, their language, and the request id.
pub struct Web {
    pub user: User,
    pub lang: Lang,
    pub request_id: String,
    pub path: String,
    /// The deployment's time zone, in which times are shown.
    pub utc_offset_hours: i64,
    /// The session's CSRF token: every form that changes something carries it.
    pub csrf: String,
    /// The current year where the deployment is: the latest published cut offered.
    pub year: i32,
}

/// The CSRF token of a session: a digest of its cookie, which a page of another site cannot
/// read, so it cannot forge a form that carries it.
fn csrf_token(session: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("jejak-csrf-v1:{session}").as_bytes());
    hex::encode(&digest[..16])
}

/// Why a page is not shown: not signed in (to the sign-in page) or an error page.
pub enum PageError {
    SignIn,
    Page(Response),
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::SignIn => Redirect::to("/").into_response(),
            PageError::Page(response) => response,
        }
    }
}

impl FromRequestParts<AppState> for Web {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Web, PageError> {
        let lang = language_of(&parts.headers);
        let request_id =
            parts.extensions.get::<RequestId>().map(|id| id.0.clone()).unwrap_or_default();
        let path = parts.uri.path_and_query().map_or("/", |pq| pq.as_str()).to_owned();
        let Some(session) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(PageError::SignIn);
        };
        match crate::users::session_user(&state.inner.store, session, state.inner.clock.now()).await
        {
            Ok(Some(user)) => Ok(Web {
                user,
                lang,
                request_id,
                path,
                utc_offset_hours: state.inner.config.utc_offset_hours,
                csrf: csrf_token(session),
                year: chrono::Datelike::year(
                    &state.inner.config.local_date(state.inner.clock.now()),
                ),
            }),
            Ok(None) => Err(PageError::SignIn),
            Err(error) => {
                let error = ApiError::failed(error, &request_id);
                Err(PageError::Page(error_page(lang, None, error)))
            }
        }
    }
}

impl Web {
    /// Whether a posted form carries this session's CSRF token.
    pub fn csrf_ok(&self, given: Option<&str>) -> bool {
        use subtle::ConstantTimeEq;
        given.is_some_and(|given| bool::from(given.as_bytes().ct_eq(self.csrf.as_bytes())))
    }

    /// The frame this user's pages are drawn in.
    pub fn frame(&self) -> render::Frame<'_> {
        render::Frame {
            lang: self.lang,
            user: &self.user,
            utc_offset_hours: self.utc_offset_hours,
            csrf: &self.csrf,
        }
    }

    /// An error as a page in the signed-in frame.
    pub fn error_page(&self, error: ApiError) -> Response {
        error_page(self.lang, Some(&self.frame()), error)
    }
}

/// An error as a page, with the API error's status.
fn error_page(lang: Lang, user: Option<&render::Frame<'_>>, error: ApiError) -> Response {
    let status = error.status();
    let (title, lead) = match status {
        StatusCode::FORBIDDEN => (t(lang, "ui.forbidden"), t(lang, "ui.forbidden_lead")),
        StatusCode::NOT_FOUND => (t(lang, "ui.not_found"), t(lang, "ui.not_found_lead")),
        StatusCode::SERVICE_UNAVAILABLE => (t(lang, "ui.error"), t(lang, "ui.try_again")),
        _ => (t(lang, "ui.error"), ""),
    };
    let page = render::message_page(lang, user, title, lead, &error.message());
    let mut response = (status, page).into_response();
    error.mark(&mut response);
    response
}

fn page(web: &Web, active: &str, title: &str, body: Markup) -> Response {
    render::layout(&web.frame(), active, &web.path, title, body).into_response()
}

/// The common query of every report page.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    /// A published cut's period, for roles that see aggregates: `2025` or `2025-Q2`.
    pub period: Option<String>,
    pub as_of: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub facility: Option<String>,
    pub skill: Option<String>,
    pub package: Option<String>,
    pub done: Option<String>,
}

fn non_empty(value: &Option<String>) -> Option<String> {
    value.as_ref().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// A date field of a page's query: absent when empty, a 400 when it is not a date or lies
/// outside the supported range.
fn page_date(name: &str, value: &Option<String>) -> Result<Option<chrono::NaiveDate>, ApiError> {
    let Some(text) = non_empty(value) else { return Ok(None) };
    let date = text
        .parse()
        .map_err(|_| ApiError::bad_request("bad_date", format!("{name} {text} is not a date")))?;
    super::api::supported_date(name, date).map(Some)
}

/// A published cut's period as its first and last day: a calendar year (`2025`) or quarter
/// (`2025-Q2`).
fn period_days(text: &str) -> Result<(chrono::NaiveDate, chrono::NaiveDate), ApiError> {
    let refused = || {
        ApiError::bad_request(
            "bad_period",
            format!("period {text}: give a year (2025) or a quarter (2025-Q2)"),
        )
    };
    let (year, quarter) = match text.split_once("-Q") {
        Some((year, quarter)) => (year, Some(quarter.parse::<u32>().map_err(|_| refused())?)),
        None => (text, None),
    };
    let year: i32 = year.parse().map_err(|_| refused())?;
    let (first, months) = match quarter {
        Some(q @ 1..=4) => (3 * (q - 1) + 1, 3),
        Some(_) => return Err(refused()),
        None => (1, 12),
    };
    let from = chrono::NaiveDate::from_ymd_opt(year, first, 1).ok_or_else(refused)?;
    let to = from
        .checked_add_months(chrono::Months::new(months))
        .and_then(|next| next.pred_opt())
        .ok_or_else(refused)?;
    super::api::supported_date("period", from)?;
    Ok((from, to))
}

impl PageQuery {
    fn params(&self) -> Result<ViewParams, ApiError> {
        let period = non_empty(&self.period).map(|text| period_days(&text)).transpose()?;
        Ok(ViewParams {
            as_of: page_date("as_of", &self.as_of)?,
            from: period
                .map(|(from, _)| from)
                .map_or_else(|| page_date("from", &self.from), |d| Ok(Some(d)))?,
            to: period
                .map(|(_, to)| to)
                .map_or_else(|| page_date("to", &self.to), |d| Ok(Some(d)))?,
            facility: non_empty(&self.facility),
            skill: non_empty(&self.skill),
            ..ViewParams::default()
        })
    }

    /// The filters a user may use: published cuts (a period, a whole facility) for roles that
    /// see aggregates, whose pages show each skill as rows of their own; any date and period
    /// for the others. The recidivism page, about releases, offers no skill: a release has
    /// none, and the server would refuse it.
    fn filters(&self, web: &Web, action: &str) -> Markup {
        let lang = web.lang;
        let skill = non_empty(&self.skill);
        let skill = (action != "/recidivism").then_some(skill.as_deref());
        if Scope::of(&web.user) == Scope::Aggregates {
            let (period, facility) = (non_empty(&self.period), non_empty(&self.facility));
            let cut = render::Cut {
                period: period.as_deref(),
                facility: facility.as_deref(),
                years: (web.year - 4..=web.year).rev().collect(),
            };
            return render::cut_filters(lang, action, &cut);
        }
        render::filters(
            lang,
            action,
            self.as_of.as_deref(),
            (self.from.as_deref(), self.to.as_deref()),
            non_empty(&self.facility).as_deref(),
            skill,
            html! {},
        )
    }
}

async fn report_for(
    state: &AppState,
    web: &Web,
    view: &str,
    query: &PageQuery,
) -> Result<Report, Response> {
    let params = query.params().map_err(|error| web.error_page(error))?;
    scoped_report(state, &web.user, &web.request_id, view, params)
        .await
        .map_err(|error| web.error_page(error))
}

// ------------------------------------------------------------------------------------------
// Signing in and out, language

async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(session) = cookie(&headers, SESSION_COOKIE)
        && let Ok(Some(user)) =
            crate::users::session_user(&state.inner.store, session, state.inner.clock.now()).await
    {
        return Redirect::to(first_page(&user)).into_response();
    }
    render::sign_in(language_of(&headers), false).into_response()
}

#[derive(Deserialize)]
struct LoginForm {
    token: String,
}

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = language_of(&headers);
    let token = form.token.trim();
    let mut user = None;
    for refresh in [false, true] {
        let users = match state.users(refresh).await {
            Ok(users) => users,
            Err(error) => return error_page(lang, None, ApiError::failed(error, "login")),
        };
        if let Some(found) = crate::users::authenticate(&users, token) {
            user = Some(found.clone());
            break;
        }
    }
    let Some(user) = user else {
        return (StatusCode::UNAUTHORIZED, render::sign_in(lang, true)).into_response();
    };
    match crate::users::start_session(&state.inner.store, &user.name, state.inner.clock.now()).await
    {
        Ok(id) => {
            let mut response = Redirect::to(first_page(&user)).into_response();
            let age = crate::users::SESSION_HOURS * 3600;
            set_cookie(&mut response, &headers, SESSION_COOKIE, &id, age, true);
            response
        }
        Err(error) => error_page(lang, None, ApiError::failed(error, "login")),
    }
}

/// The page after signing in: "Tugas saya" for a role that writes, the overview otherwise.
fn first_page(user: &User) -> &'static str {
    if actions::writes(user.role) { "/tugas" } else { "/overview" }
}

#[derive(Deserialize)]
struct LogoutForm {
    csrf: Option<String>,
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<LogoutForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    // Signing out needs the session's token too: another site cannot sign people out.
    if let Some(session) = cookie(&headers, SESSION_COOKIE) {
        let given = form.ok().and_then(|Form(form)| form.csrf);
        let token = csrf_token(session);
        if given.as_deref() != Some(token.as_str()) {
            let lang = language_of(&headers);
            return error_page(lang, None, ApiError::Forbidden(t(lang, "ui.csrf").to_owned()));
        }
        let _ = crate::users::end_session(&state.inner.store, session).await;
    }
    let mut response = Redirect::to("/").into_response();
    set_cookie(&mut response, &headers, SESSION_COOKIE, "", 0, true);
    response
}

/// Whether the request reached the server over HTTPS, as a reverse proxy in front of it says
/// (`X-Forwarded-Proto: https`, or `proto=https` in `Forwarded`). A client that says so
/// falsely only gets cookies its browser will not send back over plain HTTP.
pub fn over_https(headers: &HeaderMap) -> bool {
    let says = |name: &str, test: &dyn Fn(&str) -> bool| {
        headers.get_all(name).iter().filter_map(|value| value.to_str().ok()).any(test)
    };
    says("x-forwarded-proto", &|value| {
        value.split(',').next().is_some_and(|first| first.trim().eq_ignore_ascii_case("https"))
    }) || says("forwarded", &|value| {
        value.split([';', ',']).any(|pair| pair.trim().eq_ignore_ascii_case("proto=https"))
    })
}

/// Sets a cookie of the dashboard: strict same-site, `Secure` whenever the request came over
/// HTTPS, `HttpOnly` unless a page's own script must read it.
fn set_cookie(
    response: &mut Response,
    request: &HeaderMap,
    name: &str,
    value: &str,
    max_age: i64,
    http_only: bool,
) {
    let mut cookie = format!("{name}={value}; Path=/; SameSite=Strict; Max-Age={max_age}");
    if http_only {
        cookie.push_str("; HttpOnly");
    }
    if over_https(request) {
        cookie.push_str("; Secure");
    }
    let cookie = HeaderValue::from_str(&cookie).expect("cookie names and values are ASCII");
    response.headers_mut().append(header::SET_COOKIE, cookie);
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn language(
    Path(code): Path<String>,
    headers: HeaderMap,
    query: Result<Query<NextQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let lang = Lang::from_code(&code).unwrap_or(Lang::Id);
    let next = query.ok().and_then(|Query(query)| query.next);
    let next = next.as_deref().and_then(local_path).unwrap_or("/");
    let mut response = Redirect::to(next).into_response();
    set_cookie(&mut response, &headers, LANG_COOKIE, lang.code(), 365 * 24 * 3600, true);
    response
}

/// `next` when it is a path of this site, else `None`. Browsers drop tabs and line breaks
/// from a URL and read `\` as `/`, so `/\t/evil.example` would take them to another host:
/// only visible ASCII is accepted, starting with one `/` and never `//`, and no `\`.
pub fn local_path(next: &str) -> Option<&str> {
    let visible = next.bytes().all(|byte| (0x21..=0x7e).contains(&byte) && byte != b'\\');
    (visible && next.starts_with('/') && !next.starts_with("//")).then_some(next)
}

// ------------------------------------------------------------------------------------------
// Pages

async fn overview(
    State(state): State<AppState>,
    web: Web,
    Query(mut query): Query<PageQuery>,
) -> Response {
    // Readers of aggregates ask published cuts only, the latest data: no opening day for them.
    let aggregates = Scope::of(&web.user) == Scope::Aggregates;
    let opening = state.opening_day().filter(|_| non_empty(&query.as_of).is_none() && !aggregates);
    if let Some(day) = opening {
        query.as_of = Some(day.to_string());
    }
    let report = match report_for(&state, &web, "overview", &query).await {
        Ok(report) => report,
        Err(response) => return response,
    };
    let lang = web.lang;
    let body = html! {
        @if let Some(day) = opening { p.msg #opening-day { (t(lang, "ui.demo_day")) " " (day) "." } }
        (query.filters(&web, "/overview"))
        (render::provenance(lang, &report))
        @for section in &report.sections { (render::cards(lang, section)) }
        (render::notes(&report))
    };
    page(&web, "overview", t(lang, "nav.overview"), body)
}

async fn enrolment(
    State(state): State<AppState>,
    web: Web,
    Query(query): Query<PageQuery>,
) -> Response {
    let mut report = match report_for(&state, &web, "enrolment", &query).await {
        Ok(report) => report,
        Err(response) => return response,
    };
    let lang = web.lang;
    let package = non_empty(&query.package);
    if let Some(package) = &package {
        // One package: its row and its participants, if it is the user's to see.
        let packages = report.sections.iter().find(|s| s.name == "packages");
        let ours = packages.is_some_and(|section| {
            section.rows.iter().any(|row| row.first() == Some(&Cell::Text(package.clone())))
        });
        if !ours {
            let error = ApiError::Forbidden(t(lang, "ui.forbidden_package").to_owned());
            return web.error_page(error);
        }
        for section in &mut report.sections {
            let column = section.columns.iter().position(|c| c == "package_id").unwrap_or(0);
            section.rows.retain(|row| row.get(column) == Some(&Cell::Text(package.clone())));
        }
        add_names(&state, &web, &mut report).await;
    } else {
        // The list of packages; a package opens to its participants.
        report.sections.retain(|section| section.name != "participants");
    }
    let link = |column: &str, value: &Cell| match (column, value, &package) {
        ("package_id", Cell::Text(id), None) => Some(format!("/enrolment?package={id}")),
        ("participation_id", Cell::Text(id), Some(_)) => Some(format!("/participant/{id}")),
        _ => None,
    };
    let title = match &package {
        Some(_) => t(lang, "ui.participants_of"),
        None => t(lang, "nav.enrolment"),
    };
    let tools = match &package {
        Some(package) => package_tools(&state, &web, package).await,
        None => html! {},
    };
    let body = html! {
        (query.filters(&web, "/enrolment"))
        (tools)
        (render::provenance(lang, &report))
        @for section in &report.sections { (render::section_table(lang, section, &link)) }
        @if package.is_none() { p.notes #open_package { (t(lang, "ui.open_package_hint")) } }
        (render::notes(&report))
    };
    page(&web, "enrolment", title, body)
}

/// What the user may do with a package: the forms that act on it, and its sessions with
/// their registers.
async fn package_tools(state: &AppState, web: &Web, package: &str) -> Markup {
    let lang = web.lang;
    let next = format!("/enrolment?package={package}");
    let steps: Vec<&str> = actions::PACKAGE_STEPS
        .iter()
        .copied()
        .filter(|command| catalogue::may_use(web.user.role, command))
        .collect();
    let registers = catalogue::may_use(web.user.role, "record_attendance");
    let sessions: Vec<projections::programme::SessionRow> =
        match (registers, uuid::Uuid::parse_str(package)) {
            (true, Ok(id)) => match actions::programme(state, &web.user).await {
                Ok((tables, _, _)) => {
                    let mut sessions: Vec<projections::programme::SessionRow> = tables
                        .all::<projections::programme::SessionRow>()
                        .filter(|s| s.package_id == id && !s.cancelled)
                        .collect();
                    sessions.sort_by_key(|s| s.number);
                    sessions
                }
                Err(_) => Vec::new(),
            },
            _ => Vec::new(),
        };
    html! {
        @if !steps.is_empty() {
            ul.actions #package-actions {
                @for command in &steps {
                    li { a data-command=(command) href=(actions::link(command, &[("package_id", package)], &next)) { (actions::title(command, lang)) } }
                }
            }
        }
        @if !sessions.is_empty() {
            h2 { (t(lang, "ui.sessions")) }
            ul.actions #sessions {
                @for session in &sessions {
                    li { a data-session=(session.session_id) href=(format!("/register/{}", session.session_id)) {
                        (t(lang, "ui.session")) " " (session.number) " · " (session.date) } }
                }
            }
        }
    }
}

/// Puts each participant's name in front of their row where the API would give it to this
/// user (`api::authorise_person`); each read is recorded in the vault's access log. A person
/// the user may not read stays a reference.
async fn add_names(state: &AppState, web: &Web, report: &mut Report) {
    if state.inner.vault.is_none() || !access::may_read_personal_data(web.user.role) {
        return;
    }
    for section in report.sections.iter_mut().filter(|s| s.name == "participants") {
        let Some(column) = section.columns.iter().position(|c| c == "person_ref") else { continue };
        section.columns.insert(0, "name".to_owned());
        for row in &mut section.rows {
            let name = match &row[column] {
                Cell::Text(person_ref) => {
                    name_of(state, web, person_ref).await.map_or(Cell::Empty, Cell::Text)
                }
                _ => Cell::Empty,
            };
            row.insert(0, name);
        }
    }
}

/// A person's name for a page, if the user may read it (as the API would give it); the read is
/// recorded in the vault's access log. `None` when they may not, or there is none.
pub async fn name_of(state: &AppState, web: &Web, person_ref: &str) -> Option<String> {
    super::api::authorise_person(state, &web.user, &web.request_id, person_ref).await.ok()?;
    read_name(state, web, person_ref, "dashboard: daftar peserta").await
}

/// A person's name from the vault, the read recorded with `purpose`; the caller has decided
/// the user may read it.
pub async fn read_name(
    state: &AppState,
    web: &Web,
    person_ref: &str,
    purpose: &str,
) -> Option<String> {
    let vault = state.inner.vault.as_ref()?;
    match vault.get(person_ref, &accessor(web), purpose, state.inner.clock.now()).await {
        Ok(crate::vault::PersonalData::Present { record }) => Some(record.full_name),
        Ok(crate::vault::PersonalData::Erased { .. }) => Some("(dihapus)".to_owned()),
        _ => None,
    }
}

/// The user of a page as the vault's access log records them.
pub fn accessor(web: &Web) -> crate::vault::Accessor {
    crate::vault::Accessor {
        actor: web.user.name.clone(),
        role: web.user.role.as_str().to_owned(),
        organisation: web.user.organisation.clone(),
        request_id: Some(web.request_id.clone()),
    }
}

async fn recidivism(
    State(state): State<AppState>,
    web: Web,
    Query(query): Query<PageQuery>,
) -> Response {
    let mut report = match report_for(&state, &web, "recidivism", &query).await {
        Ok(report) => report,
        Err(response) => return response,
    };
    let lang = web.lang;
    // The curves find their groups by key; the rates chart and the tables show them in words.
    let time = report.sections.iter().find(|s| s.name == "time_to_first_proven");
    let curves = time.map(|time| render::survival_chart(lang, time));
    translate_groups(lang, &mut report);
    let rates = report.sections.iter().find(|s| s.name == "table");
    let charts = html! {
        @if let Some(table) = rates { (render::recidivism_chart(lang, table)) }
        @if let Some(curves) = curves { (curves) }
    };
    let none = |_: &str, _: &Cell| None;
    let body = html! {
        (query.filters(&web, "/recidivism"))
        (render::provenance(lang, &report))
        (charts)
        (extract::form(&web))
        h2 { (t(lang, "ui.definition")) }
        (render::notes(&report))
        @for section in &report.sections { (render::section_table(lang, section, &none)) }
    };
    page(&web, "recidivism", t(lang, "nav.recidivism"), body)
}

/// The comparison groups' labels in the page's language (the report names each group by a
/// key in its `group` column and describes it in English in `label`, or names the groups
/// compared in `group` and `comparison`), and the comparisons' breakdowns and notes.
fn translate_groups(lang: Lang, report: &mut Report) {
    for section in &mut report.sections {
        let column = |name: &str| section.columns.iter().position(|c| c == name);
        let label = column("label");
        let (group, comparison) = (column("group"), column("comparison"));
        let (breakdown, note) = (column("breakdown"), column("note"));
        for row in &mut section.rows {
            let key_of = |row: &[Cell], at: Option<usize>, prefix: &str| match at.map(|at| &row[at])
            {
                Some(Cell::Text(key)) => Some(format!("{prefix}.{key}")),
                _ => None,
            };
            if let Some(key) = key_of(row, group, "group").filter(|key| i18n::has(key)) {
                row[label.or(group).expect("a group column")] = Cell::text(t(lang, &key));
            }
            for (at, prefix) in [(comparison, "group"), (breakdown, "breakdown")] {
                if let Some(key) = key_of(row, at, prefix).filter(|key| i18n::has(key)) {
                    row[at.expect("the column")] = Cell::text(t(lang, &key));
                }
            }
            if let Some(at) = note {
                let words = [
                    (projections::views::COMPARISON_INSUFFICIENT, "note.insufficient"),
                    (projections::views::STANDARDISED_NOT_COMPUTABLE, "note.not_computable"),
                ];
                if let Some((_, key)) = words.iter().find(|(text, _)| row[at] == Cell::text(*text))
                {
                    row[at] = Cell::text(t(lang, key));
                }
            }
        }
    }
}

async fn report_page(
    State(state): State<AppState>,
    web: Web,
    Path(name): Path<String>,
    Query(query): Query<PageQuery>,
) -> Response {
    let view = match name.as_str() {
        "attendance" | "funnel" | "outcomes" | "grants" | "monthly" => name.clone(),
        _ => return web.error_page(ApiError::NotFound(format!("/{name}"))),
    };
    let report = match report_for(&state, &web, &view, &query).await {
        Ok(report) => report,
        Err(response) => return response,
    };
    let lang = web.lang;
    let none = |_: &str, _: &Cell| None;
    let body = html! {
        (query.filters(&web, &format!("/{view}")))
        (render::provenance(lang, &report))
        @for section in &report.sections { (render::section_table(lang, section, &none)) }
        (render::notes(&report))
    };
    page(&web, &view, t(lang, &format!("nav.{view}")), body)
}

async fn inbox(
    State(state): State<AppState>,
    web: Web,
    Query(query): Query<PageQuery>,
) -> Response {
    let report = match report_for(&state, &web, "inbox", &query).await {
        Ok(report) => report,
        Err(response) => return response,
    };
    let lang = web.lang;
    let can_acknowledge = catalogue::may_use(web.user.role, "acknowledge_change");
    let none = |_: &str, _: &Cell| None;
    let tasks = report.sections.iter().find(|s| s.name == "tasks");
    let col = |name: &str| tasks.and_then(|s| s.columns.iter().position(|c| c == name));
    let body = html! {
        @if query.done.is_some() { p.msg.ok #done { (t(lang, "ui.acknowledged")) } }
        (query.filters(&web, "/inbox"))
        (render::provenance(lang, &report))
        @for section in report.sections.iter().filter(|s| s.name != "tasks") { (render::section_table(lang, section, &none)) }
        @if let (Some(tasks), Some(task), Some(person), Some(open)) = (tasks, col("task_id"), col("person_ref"), col("open")) {
            (render::section_table(lang, tasks, &none))
            @if can_acknowledge {
                @for row in tasks.rows.iter().filter(|row| row[open] == Cell::Bool(true)) {
                    form method="post" action="/act/acknowledge_change" style="margin:.3rem 0" {
                        input type="hidden" name="csrf" value=(web.csrf);
                        input type="hidden" name="command_id" value=(uuid::Uuid::new_v4());
                        input type="hidden" name="next" value="/inbox";
                        input type="hidden" name="task_id" value=(row[task].display());
                        input type="hidden" name="person_ref" value=(row[person].display());
                        button type="submit" { (t(lang, "ui.acknowledge")) " · " (forms::short_ref(&row[person].display())) }
                    }
                }
            }
        }
    };
    page(&web, "inbox", t(lang, "nav.inbox"), body)
}

/// The records a correction may reverse (the write side's `Corrections::record`).
const REVERSIBLE: [&str; 7] = [
    "AttendanceRecorded",
    "CompetencyAssessed",
    "CertificateIssued",
    "GrantUseMonitored",
    "DisciplinarySanctionRecorded",
    "NewCaseRecorded",
    "FollowUpContactRecorded",
];

#[derive(Debug, Default, Deserialize)]
struct AuditQuery {
    subject: Option<String>,
    id: Option<String>,
    as_of: Option<String>,
}

async fn audit(
    State(state): State<AppState>,
    web: Web,
    Query(query): Query<AuditQuery>,
) -> Response {
    let lang = web.lang;
    let facility = match Scope::of(&web.user) {
        Scope::All => None,
        Scope::Facility(facility) => Some(facility),
        _ => {
            return web.error_page(ApiError::Forbidden(t(lang, "ui.forbidden").to_owned()));
        }
    };
    let subject = non_empty(&query.subject).unwrap_or_else(|| "person".to_owned());
    let id = non_empty(&query.id);
    let form = html! {
        form.filters method="get" action="/audit" {
            label { (t(lang, "ui.subject"))
                select name="subject" {
                    @for (value, key) in [("person", "ui.person"), ("participation", "ui.participation"), ("package", "ui.package"), ("grant", "ui.grant"), ("actor", "ui.actor")] {
                        option value=(value) selected[value == subject] { (t(lang, key)) }
                    }
                }
            }
            label { (t(lang, "ui.id")) input #id type="text" name="id" value=[id.as_deref()]; }
            label { (t(lang, "ui.as_of")) input type="date" name="as_of" value=[query.as_of.as_deref()]; }
            button type="submit" { (t(lang, "ui.show")) }
        }
    };
    let Some(id) = id else { return page(&web, "audit", t(lang, "nav.audit"), form) };
    let kind = match subject.as_str() {
        "participation" => SubjectKind::Participation,
        "package" => SubjectKind::Package,
        "grant" => SubjectKind::Grant,
        "actor" => SubjectKind::Actor,
        _ => SubjectKind::Person,
    };
    let as_of = match page_date("as_of", &query.as_of) {
        Ok(as_of) => as_of,
        Err(error) => return web.error_page(error),
    };
    let may_correct = catalogue::may_use(web.user.role, "correct_event");
    let (inner, facility) = (&state.inner, facility.as_deref());
    let trail =
        match crate::audit::trail(&inner.store, kind, &id, as_of, &inner.config, facility).await {
            Ok(trail) => trail,
            Err(error) => return web.error_page(super::api::audit_error(error, &web.request_id)),
        };
    let body = html! {
        (form)
        div.scroll { table data-section="trail" {
            thead { tr { th { "#" } th { (t(lang, "ui.event")) } th { (t(lang, "ui.occurred")) } th { (t(lang, "ui.recorded")) } th { (t(lang, "ui.who")) } th { (t(lang, "ui.why")) } th { (t(lang, "ui.what")) } } }
            tbody {
                @for entry in &trail.entries {
                    tr {
                        td.n { (entry.position) }
                        td { (entry.event_type)
                            @if let Some(reversed) = &entry.reversed_by { br; small { (t(lang, "ui.reversed_by")) " " (reversed.position) } }
                            @else if may_correct && REVERSIBLE.contains(&entry.event_type.as_str()) {
                                br; a.correct href=(actions::link("correct_event", &[("stream_id", &entry.stream_id), ("event_id", &entry.event_id.to_string())], &web.path)) { (actions::title("correct_event", lang)) }
                            } }
                        td { (entry.occurred_at) }
                        td { (entry.recorded_at) }
                        td { (entry.actor) " (" (entry.role) ")" }
                        td { (entry.reason.as_deref().unwrap_or("")) @if let Some(doc) = &entry.document_ref { " [" (doc) "]" } }
                        td style="white-space:normal;min-width:16rem" { (entry.summary) }
                    }
                }
            }
        } }
    };
    page(&web, "audit", t(lang, "nav.audit"), body)
}

#[derive(Debug, Default, Deserialize)]
struct ComplianceQuery {
    from: Option<String>,
    to: Option<String>,
}

async fn compliance(
    State(state): State<AppState>,
    web: Web,
    Query(query): Query<ComplianceQuery>,
) -> Response {
    let lang = web.lang;
    if !access::may_read_log(web.user.role) {
        return web.error_page(ApiError::Forbidden(t(lang, "ui.forbidden").to_owned()));
    }
    let (from, to) = match (page_date("from", &query.from), page_date("to", &query.to)) {
        (Ok(from), Ok(to)) => (from, to),
        (Err(error), _) | (_, Err(error)) => return web.error_page(error),
    };
    let settings =
        projections::compliance::Settings { config: state.inner.config, late_after_days: 7 };
    let review = match crate::compliance::review(&state.inner.store, settings, from, to).await {
        Ok(review) => review,
        Err(error) => {
            return web.error_page(ApiError::store(error, &web.request_id));
        }
    };
    let body = html! {
        form.filters method="get" action="/compliance" {
            label { (t(lang, "ui.from")) input type="date" name="from" value=[query.from.as_deref()]; }
            label { (t(lang, "ui.to")) input type="date" name="to" value=[query.to.as_deref()]; }
            button type="submit" { (t(lang, "ui.apply")) }
        }
        p.meta { (review.checked.events) " · " (review.findings.len()) " " (t(lang, "ui.findings")) " · " (t(lang, "ui.hash")) " " (review.checked.head_hash) }
        @if review.findings.is_empty() {
            p.msg.ok #no_findings { (t(lang, "ui.no_findings")) }
        } @else {
            div.scroll { table data-section="findings" {
                thead { tr { th { (t(lang, "ui.rule")) } th { (t(lang, "ui.positions")) } th { (t(lang, "ui.recorded")) } th { (t(lang, "ui.who")) } th { (t(lang, "ui.detail")) } } }
                tbody { @for finding in &review.findings {
                    tr { td { (finding.rule.code()) } td { (finding.positions.iter().map(i64::to_string).collect::<Vec<_>>().join(" ")) }
                         td { (finding.recorded_at) } td { (finding.actor) } td style="white-space:normal" { (finding.detail) } }
                } }
            } }
        }
        (witnesses(lang, &state.witness_states()))
    };
    page(&web, "compliance", t(lang, "nav.compliance"), body)
}

/// The witnesses the server offers its checkpoints to, and what each has cosigned
/// (docs/witness.md); nothing when it has none.
fn witnesses(lang: Lang, states: &[crate::witness::client::WitnessState]) -> Markup {
    html! {
        @if !states.is_empty() {
            h2 { (t(lang, "ui.witnesses")) }
            div.scroll { table data-section="witnesses" {
                thead { tr { th { (t(lang, "ui.witness")) } th { (t(lang, "ui.cosigned_size")) } th { (t(lang, "ui.cosigned_at")) } th { (t(lang, "ui.state")) } } }
                tbody { @for w in states {
                    tr { td { (w.name) } td.n { (w.cosigned_size.map_or("—".to_owned(), |s| s.to_string())) } td { (w.cosigned_at.as_deref().unwrap_or("—")) }
                         td style="white-space:normal" { @match &w.last_error {
                             None => (t(lang, "ui.witness_ok")),
                             Some(error) => { (t(lang, "ui.witness_failing")) " (" (w.failures) "): " (error) }
                         } } }
                } }
            } }
        }
    }
}
