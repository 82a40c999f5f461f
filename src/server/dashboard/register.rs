//! The attendance register of a session (*daftar hadir*) as one screen: every participant in
//! training on the session's day, a one-tap choice of the attendance codes with "present"
//! chosen for all, exceptions changed, minutes late where late. One submit is one atomic batch:
//! every mark written or none, each with a command id derived from the one id the page was
//! drawn with, so sending it twice writes nothing twice. A register already taken opens as it
//! stands; a mark is changed through a correction (after seven days, with a second person).
//!
//! Names: roles that may read personal data see the names the API would give them; an
//! *instruktur* sees the names of the participants of its own office's packages, on their
//! registers only, each read recorded in the vault's access log (docs/api.md).

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use events::command::CommandEnvelope;
use events::vocabulary::{AttendanceCode, Role};
use maud::html;
use projections::programme::{
    PackageRow, ParticipationRow, RegisterRow, SessionRow, key, register_code,
};
use uuid::Uuid;

use super::actions::{self, link, programme};
use super::forms::{self, Values, short_ref};
use super::i18n::{Lang, t};
use super::words::word;
use super::{Web, catalogue, page, refusals};
use crate::server::AppState;
use crate::server::api::issuer_of;
use crate::server::error::ApiError;

/// The codes a register offers: what happened to the participant at the session. A cancelled
/// session and a suspension are recorded by the system, not on the register.
const CODES: [AttendanceCode; 8] = [
    AttendanceCode::Hadir,
    AttendanceCode::Terlambat,
    AttendanceCode::Sakit,
    AttendanceCode::Izin,
    AttendanceCode::Alpa,
    AttendanceCode::Bentrok,
    AttendanceCode::Dibebaskan,
    AttendanceCode::Menolak,
];

/// One line of the register.
struct Line {
    participation: ParticipationRow,
    name: String,
    /// The mark already recorded, if any.
    recorded: Option<AttendanceCode>,
}

/// The session, its package and its register lines, as the user may see them.
struct Register {
    session: SessionRow,
    package: PackageRow,
    lines: Vec<Line>,
}

/// Why a register's names are read, as the vault's access log records it.
#[derive(Clone, Copy)]
enum Purpose {
    /// Shown on the register page.
    Register,
    /// Kept on the instructor's device for a register taken without signal.
    KeptOffline,
    /// A register sent from a device: names are read only for a refusal that names someone.
    Sending,
}

async fn load(
    state: &AppState,
    web: &Web,
    session_id: &str,
    purpose: Purpose,
) -> Result<Register, ApiError> {
    let not_found = || ApiError::NotFound(format!("{} {session_id}", t(web.lang, "ui.session")));
    let session_id = Uuid::parse_str(session_id).map_err(|_| not_found())?;
    let (tables, _, _) = programme(state, &web.user)
        .await
        .map_err(|error| ApiError::failed(error, &web.request_id))?;
    let session = tables.get::<SessionRow>(&key(session_id)).ok_or_else(not_found)?;
    let package = tables.get::<PackageRow>(&key(session.package_id)).ok_or_else(not_found)?;
    let mut participations: Vec<ParticipationRow> = tables
        .all::<ParticipationRow>()
        .filter(|p| p.package_id == session.package_id)
        .filter(|p| p.started_on.is_some_and(|started| started <= session.date))
        .filter(|p| p.stopped_on.is_none_or(|stopped| stopped >= session.date))
        .collect();
    participations.sort_by(|a, b| a.person_ref.cmp(&b.person_ref));
    let column = usize::try_from(session.number - 1).unwrap_or(usize::MAX);
    let mut lines = Vec::with_capacity(participations.len());
    for participation in participations {
        let marks =
            tables.get::<RegisterRow>(&key(participation.participation_id)).map(|r| r.marks);
        let recorded = marks.and_then(|marks| marks.chars().nth(column)).and_then(register_code);
        let name = name(state, web, &package, &participation.person_ref, purpose).await;
        lines.push(Line { participation, name, recorded });
    }
    Ok(Register { session, package, lines })
}

/// A participant's name on a register, where the user may read it; their short reference
/// otherwise.
async fn name(
    state: &AppState,
    web: &Web,
    package: &PackageRow,
    person_ref: &str,
    purpose: Purpose,
) -> String {
    let own_instructor =
        web.user.role == Role::Instruktur && package.provider == web.user.organisation;
    let read = if let Purpose::Sending = purpose {
        None
    } else if own_instructor {
        let purpose = match purpose {
            Purpose::KeptOffline => "daftar hadir sesi, disimpan di perangkat untuk luring",
            _ => "daftar hadir sesi",
        };
        super::read_name(state, web, person_ref, purpose).await
    } else {
        super::name_of(state, web, person_ref).await
    };
    read.unwrap_or_else(|| short_ref(person_ref))
}

pub async fn show(
    State(state): State<AppState>,
    web: Web,
    Path(session): Path<String>,
    query: axum::extract::Query<Vec<(String, String)>>,
) -> Response {
    if !catalogue::may_use(web.user.role, "record_attendance") {
        return web.error_page(ApiError::Forbidden(t(web.lang, "ui.forbidden").to_owned()));
    }
    let kept = query.0.iter().any(|(name, value)| name == "offline" && value == "1");
    let purpose = if kept { Purpose::KeptOffline } else { Purpose::Register };
    let shown: Values = query.0.into_iter().filter(|(name, _)| name == "saved").collect();
    match load(&state, &web, &session, purpose).await {
        Ok(register) => {
            draw(&state, &web, &register, &shown, &Vec::new(), Uuid::new_v4(), StatusCode::OK).await
        }
        Err(error) => web.error_page(error),
    }
}

/// Draws the register: what is recorded as it stands, the rest as a form.
async fn draw(
    state: &AppState,
    web: &Web,
    register: &Register,
    typed: &Values,
    errors: &forms::Errors,
    command_id: Uuid,
    status: StatusCode,
) -> Response {
    let lang = web.lang;
    let Register { session, package, lines } = register;
    let open: Vec<&Line> = lines.iter().filter(|line| line.recorded.is_none()).collect();
    let next = format!("/register/{}", session.session_id);
    let word_of =
        |code: AttendanceCode| word(code.as_str(), lang == Lang::Id).unwrap_or(code.as_str());
    let corrections = corrections(state, web, lines, session.session_id, &next).await;
    let body = html! {
        (forms::error_summary(lang, errors))
        p.lead { (package.title) " · " (t(lang, "ui.session")) " " (session.number) " · " (session.date) " · " (session.hours) " JP" }
        @if typed.contains_key("saved") { p.msg.ok #saved role="status" { (t(lang, "ui.register_saved")) } }
        @if lines.is_empty() { p.notes { (t(lang, "ui.register_empty")) } }
        @let taken: Vec<&Line> = lines.iter().filter(|line| line.recorded.is_some()).collect();
        @if !taken.is_empty() {
            h2 { (t(lang, "ui.register_taken")) }
            div.scroll { table data-section="register-taken" {
                thead { tr { th { (t(lang, "ui.name")) } th { (t(lang, "col.code")) } th { } } }
                tbody { @for line in &taken {
                    tr data-participation=(line.participation.participation_id) {
                        td { (line.name) }
                        td data-code=(line.recorded.map_or("", AttendanceCode::as_str)) { (line.recorded.map_or("", word_of)) }
                        td { @if let Some(href) = corrections.iter().find(|(id, _)| *id == line.participation.participation_id).map(|(_, href)| href) {
                            a href=(href) { (actions::title("correct_event", lang)) } } }
                    }
                } }
            } }
        }
        @if !open.is_empty() {
            h2 { (t(lang, "ui.register_to_take")) }
            p.hint { (t(lang, "ui.register_hint")) }
            form.form.register method="post" action=(next) novalidate data-session=(session.session_id)
                data-title=(format!("{} · {} {} · {}", package.title, t(lang, "ui.session"), session.number, session.date)) {
                input type="hidden" name="csrf" value=(web.csrf);
                input type="hidden" name="command_id" value=(command_id);
                @for line in &open {
                    @let id = line.participation.participation_id;
                    @let chosen = typed.get(&format!("code_{id}")).map_or("hadir", String::as_str);
                    @let error = errors.iter().find(|(field, _)| *field == format!("code_{id}")).map(|(_, m)| m);
                    fieldset.mark id=(format!("f-code_{id}")) class=(if error.is_some() { "field-error" } else { "" }) data-participation=(id) {
                        legend { (line.name) }
                        @if let Some(error) = error { span.error { (error) } }
                        div.codes {
                            @for code in CODES {
                                @let input_id = format!("c-{id}-{}", code.as_str());
                                label.radio for=(input_id) {
                                    input type="radio" id=(input_id) name=(format!("code_{id}")) value=(code.as_str()) checked[chosen == code.as_str()];
                                    " " (word_of(code))
                                }
                            }
                        }
                        label.late for=(format!("l-{id}")) { (t(lang, "ui.minutes_late")) " "
                            input id=(format!("l-{id}")) type="text" inputmode="numeric" size="3" name=(format!("late_{id}")) value=[typed.get(&format!("late_{id}"))]; }
                    }
                }
                div.buttons { button #save-register type="submit" { (t(lang, "ui.save_register")) } }
            }
        }
        p { a href=(format!("/enrolment?package={}", package.package_id)) { (t(lang, "ui.open_package")) } " · " a href="/tugas" { (t(lang, "nav.tugas")) } }
    };
    let mut response = page(web, "tugas", t(lang, "ui.register"), body);
    *response.status_mut() = status;
    response
}

/// For each recorded mark the user may correct, the link to its correction.
async fn corrections(
    state: &AppState,
    web: &Web,
    lines: &[Line],
    session_id: Uuid,
    next: &str,
) -> Vec<(Uuid, String)> {
    if !catalogue::may_use(web.user.role, "correct_event") {
        return Vec::new();
    }
    let mut links = Vec::new();
    for line in lines.iter().filter(|line| line.recorded.is_some()) {
        let stream = events::streams::participation(line.participation.participation_id);
        let Ok(events) = state.inner.store.read_stream(&stream, 1, 10_000).await else { continue };
        let session = session_id.to_string();
        let reversed: Vec<String> = events
            .iter()
            .filter(|e| e.event_type == "EventReversed")
            .filter_map(|e| serde_json::from_str::<serde_json::Value>(&e.payload).ok())
            .filter_map(|p| p["reversed_event_id"].as_str().map(str::to_owned))
            .collect();
        let mark = events.iter().rev().find(|e| {
            e.event_type == "AttendanceRecorded"
                && e.payload.contains(&session)
                && !reversed.contains(&e.event_id.to_string())
        });
        if let Some(mark) = mark {
            let event_id = mark.event_id.to_string();
            links.push((
                line.participation.participation_id,
                link("correct_event", &[("stream_id", &stream), ("event_id", &event_id)], next),
            ));
        }
    }
    links
}

pub async fn submit(
    State(state): State<AppState>,
    web: Web,
    Path(session): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let lang = web.lang;
    if !catalogue::may_use(web.user.role, "record_attendance") {
        return web.error_page(ApiError::Forbidden(t(lang, "ui.forbidden").to_owned()));
    }
    let Ok(Form(pairs)) = form else {
        return web.error_page(ApiError::bad_request("bad_form", t(lang, "ui.csrf")));
    };
    let typed = forms::values(pairs);
    if !web.csrf_ok(typed.get("csrf").map(String::as_str)) {
        return web.error_page(ApiError::Forbidden(t(lang, "ui.csrf").to_owned()));
    }
    let Some(command_id) = typed.get("command_id").and_then(|id| Uuid::parse_str(id).ok()) else {
        return web.error_page(ApiError::bad_request("bad_form", t(lang, "ui.csrf")));
    };
    let register = match load(&state, &web, &session, Purpose::Register).await {
        Ok(register) => register,
        Err(error) => return web.error_page(error),
    };
    let open = register.lines.iter().filter(|line| line.recorded.is_none());
    let ids: Vec<Uuid> = open.map(|line| line.participation.participation_id).collect();
    let (marks, errors) = marks(register.session.session_id, &ids, &typed, command_id, lang);
    if !errors.is_empty() {
        return draw(
            &state,
            &web,
            &register,
            &typed,
            &errors,
            command_id,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let saved =
        Redirect::to(&format!("/register/{}?saved=1", register.session.session_id)).into_response();
    if marks.is_empty() {
        return saved;
    }
    let issuer = issuer_of(&web.user, events::Source::Ui, &web.request_id);
    let participants: Vec<Uuid> = marks.iter().map(|(id, _)| *id).collect();
    let envelopes: Vec<CommandEnvelope> = marks.into_iter().map(|(_, envelope)| envelope).collect();
    match state.inner.commands.execute_atomic(&envelopes, &issuer).await {
        Ok(_) => saved,
        Err(failed) => {
            let field =
                participants.get(failed.index).map_or_else(String::new, |id| format!("code_{id}"));
            let (_, message, status) = refusals::of_failure(failed.failure, lang, &web.request_id);
            draw(&state, &web, &register, &typed, &vec![(field, message)], command_id, status).await
        }
    }
}

/// The marks of the participations `ids` as commands, each with its id derived from the
/// page's; or what is wrong with what was typed.
fn marks(
    session_id: Uuid,
    ids: &[Uuid],
    typed: &Values,
    command_id: Uuid,
    lang: Lang,
) -> (Vec<(Uuid, CommandEnvelope)>, forms::Errors) {
    let mut marks = Vec::new();
    let mut errors = forms::Errors::new();
    for &id in ids {
        let code = typed.get(&format!("code_{id}")).map(|c| c.trim()).unwrap_or("hadir");
        let late = typed.get(&format!("late_{id}")).map(|l| l.trim()).filter(|l| !l.is_empty());
        let minutes: Option<u32> = match late.map(str::parse) {
            None => None,
            Some(Ok(minutes)) => Some(minutes),
            Some(Err(_)) => {
                errors.push((format!("code_{id}"), t(lang, "ui.minutes_late_number").to_owned()));
                continue;
            }
        };
        let json = serde_json::json!({
            "command_id": forms::derived_id(command_id, &id.to_string()),
            "type": "record_attendance",
            "participation_id": id,
            "session_id": session_id,
            "code": code,
            "minutes_late": minutes,
        });
        match CommandEnvelope::from_value(json) {
            Ok(envelope) => marks.push((id, envelope)),
            Err(_) => errors.push((format!("code_{id}"), t(lang, "ui.choose_code").to_owned())),
        }
    }
    (marks, errors)
}

/// What the offline script is told about a register it sent.
#[derive(serde::Serialize)]
struct Answer {
    /// `written`, `already_written`, `refused`, `sign_in`, `other_user` or `try_again`.
    outcome: &'static str,
    message: String,
    /// The participant a refusal is about, when it is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    participation_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

fn answer(status: StatusCode, answer: Answer) -> Response {
    (status, [(axum::http::header::CACHE_CONTROL, "no-store")], axum::Json(answer)).into_response()
}

fn said(outcome: &'static str, message: String) -> Answer {
    Answer { outcome, message, participation_id: None, name: None }
}

/// A register taken on a device, sent by the offline script (docs/dashboard.md): the marks of
/// every participant its form named, with the command ids its page was drawn with, written
/// all or none under the signed-in user, who must be the user who took it. Sent again, it
/// writes nothing and says so. The answer is JSON, never a redirect, so the script can keep
/// what was not written.
pub async fn send(
    State(state): State<AppState>,
    web: Result<Web, super::PageError>,
    Path(session): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let web = match web {
        Ok(web) => web,
        Err(super::PageError::SignIn) => {
            let message = "sign in again / masuk lagi".to_owned();
            return answer(StatusCode::UNAUTHORIZED, said("sign_in", message));
        }
        Err(super::PageError::Page(page)) => return page,
    };
    let lang = web.lang;
    let typed = match form {
        Ok(Form(pairs)) => forms::values(pairs),
        Err(_) => {
            return answer(StatusCode::BAD_REQUEST, said("refused", t(lang, "ui.csrf").into()));
        }
    };
    if !catalogue::may_use(web.user.role, "record_attendance") {
        return answer(StatusCode::FORBIDDEN, said("refused", t(lang, "ui.forbidden").into()));
    }
    if !web.csrf_ok(typed.get("csrf").map(String::as_str)) {
        return answer(StatusCode::FORBIDDEN, said("sign_in", t(lang, "ui.csrf").into()));
    }
    let taken_by = typed.get("taken_by").map_or("", String::as_str);
    if taken_by != web.user.name {
        let message = format!("{} {taken_by}", t(lang, "offline.other_user"));
        return answer(StatusCode::CONFLICT, said("other_user", message));
    }
    let Some(command_id) = typed.get("command_id").and_then(|id| Uuid::parse_str(id).ok()) else {
        return answer(StatusCode::BAD_REQUEST, said("refused", t(lang, "ui.csrf").into()));
    };
    let register = match load(&state, &web, &session, Purpose::Sending).await {
        Ok(register) => register,
        Err(error) => return answer(error.status(), said("refused", error.message())),
    };
    write_sent(&state, &web, &register, &typed, command_id).await
}

/// Writes the marks of a sent register, all or none, and says what became of them.
async fn write_sent(
    state: &AppState,
    web: &Web,
    register: &Register,
    typed: &Values,
    command_id: Uuid,
) -> Response {
    let lang = web.lang;
    let ids: Vec<Uuid> = typed
        .keys()
        .filter_map(|field| field.strip_prefix("code_"))
        .filter_map(|id| Uuid::parse_str(id).ok())
        .collect();
    let session_id = register.session.session_id;
    let (marks, errors) = marks(session_id, &ids, typed, command_id, lang);
    let about = |field: &str| {
        let id = field.strip_prefix("code_").and_then(|id| Uuid::parse_str(id).ok());
        let name = id.and_then(|id| {
            register.lines.iter().find(|line| line.participation.participation_id == id)
        });
        (id, name.map(|line| line.name.clone()))
    };
    if let Some((field, message)) = errors.first() {
        let (participation_id, name) = about(field);
        let refused =
            Answer { outcome: "refused", message: message.clone(), participation_id, name };
        return answer(StatusCode::UNPROCESSABLE_ENTITY, refused);
    }
    let issuer = issuer_of(&web.user, events::Source::Ui, &web.request_id);
    let envelopes: Vec<CommandEnvelope> = marks.into_iter().map(|(_, envelope)| envelope).collect();
    match state.inner.commands.execute_atomic(&envelopes, &issuer).await {
        Ok(executed) if executed.iter().all(|done| done.duplicate) => {
            answer(StatusCode::OK, said("already_written", t(lang, "offline.already").into()))
        }
        Ok(_) => answer(StatusCode::OK, said("written", t(lang, "offline.written").into())),
        Err(failed) => {
            let field = ids.get(failed.index).map_or_else(String::new, |id| format!("code_{id}"));
            let (_, message, status) = refusals::of_failure(failed.failure, lang, &web.request_id);
            let outcome = if status.is_server_error() { "try_again" } else { "refused" };
            let (participation_id, _) = about(&field);
            let name = match participation_id {
                Some(id) => name_of_participation(state, web, &register.package, id).await,
                None => None,
            };
            answer(status, Answer { outcome, message, participation_id, name })
        }
    }
}

/// The name of a participant no longer on the register (their participation ended since it
/// was taken), as the user may see it.
async fn name_of_participation(
    state: &AppState,
    web: &Web,
    package: &PackageRow,
    participation_id: Uuid,
) -> Option<String> {
    let (tables, _, _) = programme(state, &web.user).await.ok()?;
    let row = tables.get::<ParticipationRow>(&key(participation_id))?;
    Some(name(state, web, package, &row.person_ref, Purpose::Register).await)
}
