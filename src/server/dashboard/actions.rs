//! The forms people do their work with (docs/dashboard.md): `GET /act` lists the ones the
//! user's role may use, `GET /act/{command}` draws one (what the link gave filled in),
//! `POST /act/{command}` sends it through the same command path as the API, with the user as
//! actor and `source = ui`, and `GET /act/{command}/done` says what was written.
//!
//! A refused form comes back with what was typed, the mistakes by their fields and in a
//! summary at the top, and nothing written. A consequential one (graduation, handover,
//! release, death, cancelling a package, forgetting) shows "check your answers" first. Every
//! post carries the session's CSRF token and the command id the form was drawn with.

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use events::command::CommandEnvelope;
use events::vocabulary::Role;
use maud::{Markup, html};
use projections::report::Options;
use uuid::Uuid;

use super::catalogue::{self, Area, FormSpec, Kind, Register};
use super::forms::{self, Choice, Errors, Lists, Values};
use super::i18n::{Lang, t};
use super::{Web, form_labels, local_path, page, refusals};
use crate::commands::CommandFailure;
use crate::server::AppState;
use crate::server::access::{self, Scope};
use crate::server::api::{issuer_of, narrow};
use crate::server::error::ApiError;

fn say(lang: Lang, indonesian: &str, english: &str) -> String {
    if lang == Lang::Id { indonesian } else { english }.to_owned()
}

/// A form's title in the language.
pub fn title(command: &str, lang: Lang) -> &'static str {
    form_labels::command(command, lang == Lang::Id).map_or("?", |(title, _)| title)
}

/// The link to a form, with what it is about filled in and where to go back to.
pub fn link(command: &str, given: &[(&str, &str)], next: &str) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in given {
        query.append_pair(name, value);
    }
    if let Some(next) = local_path(next) {
        query.append_pair("next", next);
    }
    format!("/act/{command}?{}", query.finish())
}

// ------------------------------------------------------------------------------------------
// The list of forms

pub async fn index(web: Web) -> Response {
    let lang = web.lang;
    let usable: Vec<&FormSpec> =
        catalogue::FORMS.iter().filter(|f| catalogue::may_use(web.user.role, f.command)).collect();
    let areas = [
        (Area::Package, say(lang, "Paket dan sesi", "Packages and sessions")),
        (Area::Participation, say(lang, "Peserta", "Participants")),
        (Area::Grant, say(lang, "Bantuan", "Grants")),
        (Area::Person, say(lang, "Orang", "People")),
        (Area::Correction, say(lang, "Koreksi", "Corrections")),
    ];
    let body = html! {
        @if usable.is_empty() {
            p.msg #no-forms { (say(lang, "Peran Anda hanya membaca; tidak ada formulir untuk Anda.", "Your role reads only; there is no form for you.")) }
        }
        @for (area, heading) in &areas {
            @let forms: Vec<&&FormSpec> = usable.iter().filter(|f| f.area == *area).collect();
            @if !forms.is_empty() {
                h2 { (heading) }
                ul.actions {
                    @for form in forms {
                        li { a href=(format!("/act/{}", form.command)) data-command=(form.command) { (title(form.command, lang)) }
                             " — " span.hint { (form_labels::command(form.command, lang == Lang::Id).map_or("", |(_, help)| help)) } }
                    }
                }
            }
        }
    };
    page(&web, "act", t(lang, "nav.act"), body)
}

// ------------------------------------------------------------------------------------------
// One form

/// What a form is drawn with.
struct Drawing<'a> {
    spec: &'static FormSpec,
    values: Values,
    errors: Errors,
    lists: Lists,
    command_id: Uuid,
    web: &'a Web,
}

pub async fn show(
    State(state): State<AppState>,
    web: Web,
    Path(command): Path<String>,
    query: Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let spec = match usable(&web, &command) {
        Ok(spec) => spec,
        Err(response) => return response,
    };
    let mut values = forms::values(query.map(|Query(pairs)| pairs).unwrap_or_default());
    // The office a user works for is the provider of its packages and the body that assesses.
    for field in spec.fields.iter().filter(|f| matches!(f.name, "provider" | "lsp")) {
        values.entry(field.name.to_owned()).or_insert_with(|| web.user.organisation.clone());
    }
    let lists = match lists(&state, &web, spec).await {
        Ok(lists) => lists,
        Err(error) => return web.error_page(error),
    };
    let drawing = Drawing {
        spec,
        values,
        errors: Errors::new(),
        lists,
        command_id: Uuid::new_v4(),
        web: &web,
    };
    draw(&state, drawing, StatusCode::OK).await
}

/// The form of `command`, if the user's role may use it.
#[allow(clippy::result_large_err)]
fn usable(web: &Web, command: &str) -> Result<&'static FormSpec, Response> {
    let Some(spec) = catalogue::named(command) else {
        return Err(web.error_page(ApiError::NotFound(format!("/act/{command}"))));
    };
    if !catalogue::may_use(web.user.role, command) {
        let message = format!(
            "{} {}",
            say(
                web.lang,
                "Peran Anda tidak dapat menggunakan formulir ini:",
                "Your role may not use this form:"
            ),
            title(command, web.lang)
        );
        return Err(web.error_page(ApiError::Forbidden(message)));
    }
    Ok(spec)
}

/// Draws a form: its title and purpose, what the link named, the error summary, the fields
/// and the hidden command id and CSRF token.
async fn draw(state: &AppState, drawing: Drawing<'_>, status: StatusCode) -> Response {
    let web = drawing.web;
    let lang = web.lang;
    let spec = drawing.spec;
    let by_nik = access::may_read_personal_data(web.user.role) && state.inner.vault.is_some();
    let context = about(state, web, &drawing.values, &drawing.lists).await;
    let drawn = forms::Drawn {
        spec,
        values: &drawing.values,
        errors: &drawing.errors,
        lists: &drawing.lists,
        lang,
        by_nik,
    };
    let next = drawing.values.get("next").and_then(|next| local_path(next)).unwrap_or("/tugas");
    let help = form_labels::command(spec.command, lang == Lang::Id).map_or("", |(_, help)| help);
    let body = html! {
        (forms::error_summary(lang, &drawing.errors))
        p.lead { (help) }
        (context)
        form.form method="post" action=(format!("/act/{}", spec.command)) novalidate {
            input type="hidden" name="csrf" value=(web.csrf);
            input type="hidden" name="command_id" value=(drawing.command_id);
            input type="hidden" name="next" value=(next);
            (forms::fields(&drawn))
            div.buttons {
                button #send type="submit" { (if spec.confirm { say(lang, "Lanjut", "Continue") } else { say(lang, "Simpan", "Save") }) }
                " " a href=(next) { (say(lang, "Batal", "Cancel")) }
            }
        }
    };
    let mut response = page(web, "act", title(spec.command, lang), body);
    *response.status_mut() = status;
    response
}

/// What the link named (a package, participant or grant), as a line above the form: the
/// person by name where the user may read names.
async fn about(state: &AppState, web: &Web, values: &Values, lists: &Lists) -> Markup {
    let find = |choices: &[Choice], name: &str| {
        values.get(name).and_then(|id| choices.iter().find(|c| &c.id == id)).cloned()
    };
    let participation = find(&lists.participations, "participation_id");
    let name = match values.get("person_ref").filter(|r| !r.is_empty()) {
        Some(person_ref) => super::name_of(state, web, person_ref).await,
        None => None,
    };
    html! {
        @if let Some(package) = find(&lists.packages, "package_id") { p.about { (t(web.lang, "ui.package")) ": " strong { (package.label) } } }
        @if let Some(participation) = participation { p.about { (t(web.lang, "ui.participation")) ": " strong { (participation.label) } } }
        @if let Some(grant) = find(&lists.grants, "grant_id") { p.about { (t(web.lang, "ui.grant")) ": " strong { (grant.label) } } }
        @if let Some(name) = name { p.about #person-name { (t(web.lang, "ui.person")) ": " strong { (name) } } }
    }
}

// ------------------------------------------------------------------------------------------
// Sending a form

pub async fn submit(
    State(state): State<AppState>,
    web: Web,
    Path(command): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let spec = match usable(&web, &command) {
        Ok(spec) => spec,
        Err(response) => return response,
    };
    let Ok(Form(pairs)) = form else {
        let message = say(
            web.lang,
            "Formulir tidak terbaca; muat ulang lalu isi lagi.",
            "The form could not be read; reload it and fill it in again.",
        );
        return web.error_page(ApiError::bad_request("bad_form", message));
    };
    let values = forms::values(pairs);
    if !web.csrf_ok(values.get("csrf").map(String::as_str)) {
        return web.error_page(ApiError::Forbidden(t(web.lang, "ui.csrf").to_owned()));
    }
    let Some(command_id) = values.get("command_id").and_then(|id| Uuid::parse_str(id).ok()) else {
        return web.error_page(ApiError::bad_request("bad_form", t(web.lang, "ui.csrf")));
    };
    let lists = match lists(&state, &web, spec).await {
        Ok(lists) => lists,
        Err(error) => return web.error_page(error),
    };
    let person = person(&state, &web, spec, &values).await;
    let refuse = |errors: Errors, status: StatusCode, lists: Lists, values: Values| {
        let drawing = Drawing { spec, values, errors, lists, command_id, web: &web };
        (drawing, status)
    };
    let json = match forms::read(spec, &values, command_id, &person, web.lang) {
        Ok(json) => json,
        Err(errors) => {
            let (drawing, status) = refuse(errors, StatusCode::UNPROCESSABLE_ENTITY, lists, values);
            return draw(&state, drawing, status).await;
        }
    };
    let confirmed = values.get("confirmed").is_some_and(|v| v == "1");
    if spec.command == "forget" {
        return forget(&state, &web, spec, values, lists, command_id, &json, confirmed).await;
    }
    let envelope = match CommandEnvelope::from_value(json) {
        Ok(envelope) => envelope,
        Err(error) => {
            let errors = vec![(String::new(), error.to_string())];
            let (drawing, status) = refuse(errors, StatusCode::BAD_REQUEST, lists, values);
            return draw(&state, drawing, status).await;
        }
    };
    let issuer = issuer_of(&web.user, events::Source::Ui, &web.request_id);
    if spec.confirm && !confirmed {
        let checked =
            state.inner.commands.check_batch(std::slice::from_ref(&envelope), &issuer).await;
        let failure = match checked {
            Ok(failures) => failures.into_iter().next().map(|failure| failure.failure),
            Err(failure) => Some(failure.failure),
        };
        let Some(failure) = failure else {
            return check_your_answers(&web, spec, &values, &lists, &json_person(&envelope));
        };
        let (errors, status) = refused(&web, failure);
        let (drawing, status) = refuse(errors, status, lists, values);
        return draw(&state, drawing, status).await;
    }
    match state.inner.commands.execute(&envelope, &issuer).await {
        Ok(executed) => {
            let written = (executed.first_position, executed.last_position);
            let receipt = receipt_of(&state, written).await;
            done_redirect(spec.command, &values, written, executed.duplicate, receipt)
        }
        Err(failure) if failure.is_callers() || failure.is_passing() => {
            let (errors, status) = refused(&web, failure);
            let (drawing, status) = refuse(errors, status, lists, values);
            draw(&state, drawing, status).await
        }
        Err(failure) => web.error_page(ApiError::from_command(failure, &web.request_id)),
    }
}

/// The person a command names, for "check your answers".
fn json_person(envelope: &CommandEnvelope) -> String {
    serde_json::to_value(envelope)
        .ok()
        .and_then(|json| json.get("person_ref").and_then(|p| p.as_str()).map(str::to_owned))
        .unwrap_or_default()
}

/// A refused command as the form's mistakes, and the status it answers with.
fn refused(web: &Web, failure: CommandFailure) -> (Errors, StatusCode) {
    let (field, message, status) = refusals::of_failure(failure, web.lang, &web.request_id);
    (vec![(field.to_owned(), message)], status)
}

/// "Check your answers": the answers, to be sent as they are or changed.
fn check_your_answers(
    web: &Web,
    spec: &FormSpec,
    values: &Values,
    lists: &Lists,
    person: &str,
) -> Response {
    let lang = web.lang;
    let errors = Errors::new();
    let drawn = forms::Drawn { spec, values, errors: &errors, lists, lang, by_nik: false };
    let change = {
        let given: Vec<(&str, &str)> = values
            .iter()
            .filter(|(name, _)| !matches!(name.as_str(), "csrf" | "command_id" | "confirmed"))
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        link(spec.command, &given, "")
    };
    let body = html! {
        p.lead { (say(lang, "Periksa jawaban Anda. Setelah dikirim, catatan ini masuk ke log dan hanya dapat dikoreksi dengan alasan.", "Check your answers. Once sent, this goes into the log and can only be corrected with a reason.")) }
        (forms::answers(&drawn, person))
        form.form method="post" action=(format!("/act/{}", spec.command)) {
            (forms::carried(values, &["confirmed"]))
            input type="hidden" name="confirmed" value="1";
            div.buttons {
                button #confirm type="submit" { (say(lang, "Kirim", "Send")) }
                " " a #change href=(change) { (say(lang, "Ubah jawaban", "Change your answers")) }
            }
        }
    };
    page(
        web,
        "act",
        &format!(
            "{} · {}",
            say(lang, "Periksa jawaban", "Check your answers"),
            title(spec.command, lang)
        ),
        body,
    )
}

/// The event among those a command wrote (`first..=last`) that a receipt can be printed for —
/// a grant handed over, a certificate issued — if there is one.
async fn receipt_of(state: &AppState, (first, last): (i64, i64)) -> Option<Uuid> {
    /// More events than any command that hands something over writes.
    const WRITTEN_MAX: i64 = 64;
    if first < 1 || last < first || last - first >= WRITTEN_MAX {
        return None;
    }
    let count = usize::try_from(last - first + 1).ok()?;
    let written = state.inner.store.read_all(first, count).await.ok()?;
    let receiptable = |event: &&events::RecordedEvent| {
        crate::receipts::RECEIPT_EVENTS.contains(&event.event_type.as_str())
    };
    written.iter().find(receiptable).map(|event| event.event_id)
}

fn done_redirect(
    command: &str,
    values: &Values,
    (first, last): (i64, i64),
    duplicate: bool,
    receipt: Option<Uuid>,
) -> Response {
    let next = values.get("next").and_then(|next| local_path(next)).unwrap_or("/tugas");
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("first", &first.to_string());
    query.append_pair("last", &last.to_string());
    if duplicate {
        query.append_pair("again", "1");
    }
    if let Some(receipt) = receipt {
        query.append_pair("receipt", &receipt.to_string());
    }
    query.append_pair("next", next);
    Redirect::to(&format!("/act/{command}/done?{}", query.finish())).into_response()
}

#[derive(serde::Deserialize)]
pub struct Done {
    first: Option<i64>,
    last: Option<i64>,
    again: Option<String>,
    next: Option<String>,
    /// The event whose receipt can be printed, when the command handed something over.
    receipt: Option<Uuid>,
}

pub async fn done(
    web: Web,
    Path(command): Path<String>,
    query: Result<Query<Done>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let lang = web.lang;
    let Ok(Query(done)) = query else { return Redirect::to("/tugas").into_response() };
    let next = done.next.as_deref().and_then(local_path).unwrap_or("/tugas");
    let positions = match (done.first, done.last) {
        (Some(first), Some(last)) if first == last => format!("{first}"),
        (Some(first), Some(last)) => format!("{first}–{last}"),
        _ => String::new(),
    };
    let body = html! {
        div.msg.ok #done role="status" {
            @if done.again.is_some() {
                (say(lang, "Sudah tercatat sebelumnya; tidak ada yang ditulis dua kali.", "Already recorded; nothing was written twice."))
            } @else {
                (say(lang, "Tersimpan di log.", "Saved in the log."))
            }
            @if !positions.is_empty() { " " (say(lang, "Posisi", "Position")) " " span #positions { (positions) } "." }
        }
        @if let Some(receipt) = done.receipt {
            p { a #receipt href={ "/receipt/" (receipt) } { (say(lang, "Cetak tanda terima untuk penerima", "Print the receipt for the recipient")) } }
        }
        p { a #next href=(next) { (say(lang, "Kembali", "Back")) } " · " a href="/tugas" { (t(lang, "nav.tugas")) } }
    };
    page(&web, "act", title(&command, lang), body)
}

// ------------------------------------------------------------------------------------------
// The person a form names

/// The person a form names: by the reference the link gave, an SDP or applicant number (with
/// the server's person key), or a NIK looked up in the vault (recorded there). `Ok(None)` when
/// nothing was given.
async fn person(state: &AppState, web: &Web, spec: &FormSpec, values: &Values) -> forms::Person {
    let Some(register) = spec.fields.iter().find_map(|f| match f.kind {
        Kind::Person(register) => Some(register),
        _ => None,
    }) else {
        return Ok(None);
    };
    let lang = web.lang;
    let given = |name: &str| values.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    if let Some(person_ref) = given("person_ref") {
        if events::person_ref::is_person_ref(person_ref) {
            return Ok(Some(person_ref.to_owned()));
        }
        return Err(say(lang, "Rujukan orang tidak sah.", "Not a valid person reference."));
    }
    let (number, kind) = match register {
        Register::Sdp => ("sdp_number", events::person_ref::IdKind::Sdp),
        Register::Applicant => ("applicant_number", events::person_ref::IdKind::Applicant),
    };
    if let Some(number) = given(number) {
        return match state.person_key() {
            Some(key) => Ok(Some(events::person_ref::person_ref(key, kind, number))),
            None => Err(say(
                lang,
                "Server belum diberi kunci rujukan orang; cari dengan NIK atau minta administrator.",
                "The server has no person key; look the person up by NIK, or ask the administrator.",
            )),
        };
    }
    if let (Some(nik), Some(vault)) = (given("nik"), &state.inner.vault)
        && access::may_read_personal_data(web.user.role)
    {
        let accessor = super::accessor(web);
        let purpose = format!("formulir {}", spec.command);
        return match vault.find_by_nik(nik, &accessor, &purpose, state.inner.clock.now()).await {
            Ok(Some(person_ref)) => Ok(Some(person_ref)),
            Ok(None) => Err(say(lang, "Tidak ada orang dengan NIK itu.", "Nobody has that NIK.")),
            Err(error) => Err(error.to_string()),
        };
    }
    Ok(None)
}

// ------------------------------------------------------------------------------------------
// Forgetting a person

#[allow(clippy::too_many_arguments)]
async fn forget(
    state: &AppState,
    web: &Web,
    spec: &'static FormSpec,
    values: Values,
    lists: Lists,
    command_id: Uuid,
    json: &serde_json::Value,
    confirmed: bool,
) -> Response {
    let person_ref = json["person_ref"].as_str().unwrap_or_default().to_owned();
    let reason = json["reason"].as_str().unwrap_or_default().to_owned();
    if !confirmed {
        return check_your_answers(web, spec, &values, &lists, &person_ref);
    }
    let Some(vault) = &state.inner.vault else {
        return web.error_page(ApiError::Unavailable(t(web.lang, "ui.no_vault").to_owned()));
    };
    let issuer = issuer_of(&web.user, events::Source::Ui, &web.request_id);
    let accessor = super::accessor(web);
    let now = state.inner.clock.now();
    let forgotten = crate::forget::forget(
        &state.inner.commands,
        vault,
        &person_ref,
        &reason,
        &issuer,
        &accessor,
        now,
    )
    .await;
    match forgotten {
        Ok(position) => done_redirect("forget", &values, (position, position), false, None),
        Err(error) => {
            let status = match &error {
                crate::forget::ForgetError::Unknown(_) => StatusCode::NOT_FOUND,
                crate::forget::ForgetError::AlreadyForgotten { .. } => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let errors = vec![(String::new(), error.to_string())];
            let drawing = Drawing { spec, values, errors, lists, command_id, web };
            draw(state, drawing, status).await
        }
    }
}

// ------------------------------------------------------------------------------------------
// What forms offer

/// The packages, participations, sessions and grants the user may see, as a form offers them;
/// loaded only for forms that offer some.
async fn lists(state: &AppState, web: &Web, spec: &FormSpec) -> Result<Lists, ApiError> {
    let needs = spec.fields.iter().any(|f| {
        matches!(f.kind, Kind::Package | Kind::Participation(_) | Kind::Session | Kind::Grant(_))
    });
    if !needs {
        return Ok(Lists::default());
    }
    let (tables, _, _) =
        programme(state, &web.user).await.map_err(|e| ApiError::failed(e, &web.request_id))?;
    Ok(choices(&tables, web.lang))
}

/// The programme read model, caught up, as the user's work may draw on it: their facility's
/// or their office's packages. Packages do not name the certification body that assesses them,
/// so an assessor's work draws on every package (its forms and lists show people by short
/// reference only, never by name).
pub async fn programme(
    state: &AppState,
    user: &crate::users::User,
) -> Result<(projections::table::Tables, i64, String), crate::projector::ProjectorError> {
    let mut options = Options::default();
    if user.role != Role::Asesor {
        narrow(&mut options, &Scope::of(user));
    }
    crate::reports::current(&state.inner.projector, projections::programme::DEF, &options).await
}

/// The choices a programme read model offers.
pub fn choices(tables: &projections::table::Tables, lang: Lang) -> Lists {
    use projections::programme::{GrantRow, PackageRow, ParticipationRow, SessionRow};
    let word = |code: &str| super::words::word(code, lang == Lang::Id).unwrap_or(code).to_owned();
    let mut packages: Vec<PackageRow> = tables.all::<PackageRow>().collect();
    packages.sort_by(|a, b| b.start_date.cmp(&a.start_date).then(a.title.cmp(&b.title)));
    let title_of = |id: Uuid| {
        packages.iter().find(|p| p.package_id == id).map_or_else(String::new, |p| p.title.clone())
    };
    let mut participations: Vec<ParticipationRow> = tables.all::<ParticipationRow>().collect();
    participations.sort_by_key(|p| std::cmp::Reverse(p.status_since));
    let mut sessions: Vec<SessionRow> =
        tables.all::<SessionRow>().filter(|s| !s.cancelled).collect();
    sessions.sort_by_key(|s| (s.package_id, s.number));
    let mut grants: Vec<GrantRow> = tables.all::<GrantRow>().collect();
    grants.sort_by_key(|g| std::cmp::Reverse(g.proposed_on));
    Lists {
        packages: packages
            .iter()
            .map(|p| Choice {
                id: p.package_id.to_string(),
                label: format!("{} ({} – {})", p.title, p.start_date, p.end_date),
                state: p.status.clone(),
                package: None,
            })
            .collect(),
        participations: participations
            .iter()
            .map(|p| Choice {
                id: p.participation_id.to_string(),
                label: format!(
                    "{} · {} · {}",
                    forms::short_ref(&p.person_ref),
                    title_of(p.package_id),
                    word(&p.status)
                ),
                state: p.status.clone(),
                package: Some(p.package_id.to_string()),
            })
            .collect(),
        sessions: sessions
            .iter()
            .map(|s| Choice {
                id: s.session_id.to_string(),
                label: format!(
                    "{} {} · {} · {}",
                    t(lang, "ui.session"),
                    s.number,
                    s.date,
                    title_of(s.package_id)
                ),
                state: String::new(),
                package: Some(s.package_id.to_string()),
            })
            .collect(),
        grants: grants
            .iter()
            .map(|g| Choice {
                id: g.grant_id.to_string(),
                label: format!(
                    "{} · Rp{} · {}",
                    forms::short_ref(&g.person_ref),
                    g.total_rupiah,
                    word(&g.status)
                ),
                state: g.status.clone(),
                package: Some(g.package_id.to_string()),
            })
            .collect(),
    }
}

/// Whether the role writes anything at all (and so has work waiting).
pub fn writes(role: Role) -> bool {
    catalogue::FORMS.iter().any(|form| catalogue::may_use(role, form.command))
}

/// The forms that take a participation on from its state.
pub fn next_steps(state: &str) -> &'static [&'static str] {
    match state {
        "nominated" => &[
            "assess_eligibility",
            "approve_nomination",
            "reject_nomination",
            "withdraw_participant",
        ],
        "registered" => &["assess_eligibility", "accept_participant", "withdraw_participant"],
        "eligible" => &["approve_nomination", "reject_nomination", "withdraw_participant"],
        "not_eligible" => &["request_eligibility_override", "withdraw_participant"],
        "approved" | "waitlisted" => &["accept_participant", "withdraw_participant"],
        "accepted" => &["start_participation", "withdraw_participant"],
        "active" => &[
            "record_attendance",
            "suspend_participation",
            "complete_training",
            "end_participation",
        ],
        "suspended" => &["resume_participation", "end_participation"],
        "completed" | "not_yet_competent" => &["assess_competency", "issue_certificate"],
        "competent" => &["graduate_participant", "issue_certificate"],
        "graduated" => &["propose_grant", "issue_certificate"],
        _ => &[],
    }
}

/// The forms that act on a package, in the order a package runs.
pub const PACKAGE_STEPS: [&str; 7] = [
    "nominate_inmate",
    "register_public_applicant",
    "schedule_session",
    "start_package",
    "amend_package",
    "close_package",
    "cancel_package",
];

/// One participation: who, where they stand, and the forms that take them on.
pub async fn participant(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
) -> Response {
    use projections::programme::{PackageRow, ParticipationRow, key};
    let lang = web.lang;
    let not_found =
        || web.error_page(ApiError::NotFound(format!("{} {id}", t(lang, "ui.participation"))));
    let Ok(participation_id) = Uuid::parse_str(&id) else { return not_found() };
    let (tables, _, _) = match programme(&state, &web.user).await {
        Ok(loaded) => loaded,
        Err(error) => return web.error_page(ApiError::failed(error, &web.request_id)),
    };
    let Some(row) = tables.get::<ParticipationRow>(&key(participation_id)) else {
        return not_found();
    };
    let package = tables.get::<PackageRow>(&key(row.package_id));
    let name = super::name_of(&state, &web, &row.person_ref).await;
    let word = |code: &str| super::words::word(code, lang == Lang::Id).unwrap_or(code).to_owned();
    let here = format!("/participant/{participation_id}");
    let steps: Vec<&str> = next_steps(&row.status)
        .iter()
        .copied()
        .filter(|command| catalogue::may_use(web.user.role, command))
        .collect();
    let id = participation_id.to_string();
    let overrides = if catalogue::may_use(web.user.role, "approve_eligibility_override") {
        pending_overrides(&state, participation_id).await
    } else {
        Vec::new()
    };
    let body = html! {
        dl.answers {
            dt { (t(lang, "ui.person")) } dd #person { (name.unwrap_or_else(|| forms::short_ref(&row.person_ref))) }
            @if let Some(package) = &package {
                dt { (t(lang, "ui.package")) } dd { a href=(format!("/enrolment?package={}", package.package_id)) { (package.title) } " (" (package.start_date) " – " (package.end_date) ")" }
            }
            dt { (t(lang, "col.state")) } dd #state data-state=(row.status) { (word(&row.status)) " · " (row.status_since) }
            dt { (t(lang, "col.category")) } dd { (word(&row.category)) }
            @if let (Some(attended), Some(expected)) = (row.sessions_attended, row.sessions_expected) {
                dt { (t(lang, "col.attended")) } dd { (attended) " / " (expected) }
            }
        }
        @if !steps.is_empty() {
            h2 { (t(lang, "ui.next_steps")) }
            ul.actions { @for command in &steps {
                li { a data-command=(command) href=(link(command, &[("participation_id", &id), ("person_ref", &row.person_ref), ("package_id", &row.package_id.to_string())], &here)) { (title(command, lang)) } }
            } }
        }
        @if !overrides.is_empty() {
            h2 { (title("approve_eligibility_override", lang)) }
            ul.actions { @for (request, asked_by) in &overrides {
                li { a data-command="approve_eligibility_override" href=(link("approve_eligibility_override", &[("participation_id", &id), ("request_id", request), ("person_ref", &row.person_ref)], &here)) {
                    (title("approve_eligibility_override", lang)) } " · " (t(lang, "ui.requested_by")) " " (asked_by) }
            } }
        }
        p { a href=(format!("/audit?subject=participation&id={participation_id}")) { (t(lang, "nav.audit")) } }
    };
    page(&web, "enrolment", t(lang, "ui.participation"), body)
}

/// The eligibility overrides asked for on a participation and not yet approved: each request's
/// id and who asked, from its stream.
async fn pending_overrides(state: &AppState, participation_id: Uuid) -> Vec<(String, String)> {
    let stream = events::streams::participation(participation_id);
    let Ok(recorded) = state.inner.store.read_stream(&stream, 1, 10_000).await else {
        return Vec::new();
    };
    let request = |payload: &str| {
        serde_json::from_str::<serde_json::Value>(payload)
            .ok()
            .and_then(|p| p["request_id"].as_str().map(str::to_owned))
    };
    let approved: Vec<String> = recorded
        .iter()
        .filter(|e| e.event_type == "EligibilityOverrideApproved")
        .filter_map(|e| request(&e.payload))
        .collect();
    recorded
        .iter()
        .filter(|e| e.event_type == "EligibilityOverrideRequested")
        .filter_map(|e| request(&e.payload).map(|id| (id, e.actor.clone())))
        .filter(|(id, _)| !approved.contains(id))
        .collect()
}
